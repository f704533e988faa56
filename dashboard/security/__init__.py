"""Access control and HIPAA safeguards around the Dash app (docs/security.md).

One entry point: :func:`install_security` (called at the end of ``create_app``). The dashboard reads
the user's scope with :func:`current_scope` and must pass every query's filters through
:func:`scoped_filters`; leadership frames go through :func:`suppress_for_viewer`.
"""

from __future__ import annotations

import dash

from dashboard.security.config import SecurityConfig
from dashboard.security.scope import (
    OutOfScope,
    Scope,
    current_scope,
    intersect_facilities,
    scope_store,
    scope_view,
    scoped_filters,
    suppress_for_viewer,
)

__all__ = [
    "OutOfScope",
    "Scope",
    "SecurityConfig",
    "current_scope",
    "install_security",
    "installed",
    "intersect_facilities",
    "scope_store",
    "scope_view",
    "scoped_filters",
    "suppress_for_viewer",
]

_APP_ATTR = "_him_security"


def install_security(app: dash.Dash, *, config: SecurityConfig | None = None) -> None:
    """Put the app behind login, roles, facility scoping, the audit log and the security headers.

    Call it once, after every page, callback and route has been registered (routes added later have no
    declared policy and are refused). Nothing is opened until the first request.

    Args:
        app: the Dash app.
        config: the settings (default: :meth:`SecurityConfig.from_env`).

    Raises:
        RuntimeError: installed twice, or the server runs in debug mode.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    from dashboard.security import views
    from dashboard.security.core import Security
    from dashboard.security.scope import OutOfScope as _OutOfScope
    from warehouse.audit import AuditUnavailable

    if getattr(app, _APP_ATTR, None) is not None:
        raise RuntimeError("install_security was already called for this app")
    config = config or SecurityConfig.from_env()
    server = app.server
    if server.debug:
        raise RuntimeError("the dashboard must not run in debug mode with patient data (S10)")
    sec = Security(app, config)
    server.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SECURE"] = config.tls
    server.config["SESSION_COOKIE_SAMESITE"] = config.same_site
    server.config["PROPAGATE_EXCEPTIONS"] = False
    if config.proxy_hops:
        hops = config.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    views.register(sec)
    server.before_request(sec.before_request)
    server.after_request(sec.after_request)
    server.register_error_handler(AuditUnavailable, sec.on_audit_unavailable)
    server.register_error_handler(_OutOfScope, sec.on_out_of_scope)
    server.register_error_handler(Exception, sec.on_error)
    sec.patch_index()
    sec.patch_layout()
    setattr(app, _APP_ATTR, sec)


def installed(app: dash.Dash) -> object | None:
    """The installed security layer of an app (None before :func:`install_security`)."""
    return getattr(app, _APP_ATTR, None)
