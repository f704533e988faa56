"""The security layer around the Dash app: sessions, route and callback policy, headers, audit.

Installed once per app by :func:`dashboard.security.install_security`. On every request, in order:

1. the URL rule must have a declared policy (:mod:`dashboard.security.policy`), else 403;
2. request bodies over the size limit get 413;
3. public and static routes go through; everything else needs a live server-side session (401 for
   API requests, a redirect to the login page for pages); an idle or expired session is deleted;
4. a user with a one-time password may only change it;
5. POSTs must come from the same origin; callback POSTs must be JSON (415 otherwise);
6. the route's policy decides: pages by the page's roles, callbacks by their outputs' roles and the
   user's facilities, exports by their kind; refusals are written to the audit log;
7. the callback runs with its filter store limited to the user's facilities, and its result is
   written to the audit log (rows returned, filters, never values) — or refused with 503 when the
   audit log cannot be written.

Every response gets the security headers (CSP with Dash's inline-script hashes, frame-ancestors
'none', nosniff, Referrer-Policy, no-store on everything but static code, HSTS under TLS).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import dash
import flask
from werkzeug.exceptions import HTTPException

from dashboard.security import html, policy
from dashboard.security.config import SecurityConfig
from dashboard.security.policy import RoutePolicy, Rule
from dashboard.security.scope import OutOfScope, Scope, current_scope, scope_store, set_scope
from warehouse import audit, users
from warehouse.audit import AuditLog, AuditUnavailable

_log = logging.getLogger("dashboard.security")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIXES = ("/_dash-", "/_him/", "/export/")
#: Query parameters of Dash's background callbacks (job handles); refused, as no callback is one.
BACKGROUND_ARGS = frozenset({"cacheKey", "job", "cancelJob", "oldJob"})
_APP_KEY = "him_security"


@dataclass(frozen=True)
class CallbackCall:
    """What the before-request check decided about one callback POST (read by the wrapper)."""

    key: str
    rule: Rule
    action: str  # query | page_view | export
    target: str


def _json(payload: Mapping[str, Any], status: int) -> flask.Response:
    return flask.Response(json.dumps(payload), status=status, mimetype="application/json")


def _is_store(value: Any) -> bool:
    return isinstance(value, Mapping) and ("resolved" in value or "search" in value)


def is_interval_tick(body: Mapping[str, Any] | None) -> bool:
    """True when a callback POST was triggered by ``dcc.Interval`` ticks only (not user activity)."""
    if not isinstance(body, Mapping):
        return False
    changed = body.get("changedPropIds")
    return (
        isinstance(changed, list)
        and bool(changed)
        and all(isinstance(c, str) and c.endswith(".n_intervals") for c in changed)
    )


def _spec_id(raw: Any) -> Any:
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _id_matches(spec: Any, given: Any) -> bool:
    spec = _spec_id(spec)
    if isinstance(spec, Mapping):
        if not isinstance(given, Mapping) or set(spec) != set(given):
            return False
        return all(isinstance(v, list) or given[k] == v for k, v in spec.items())  # [ALL], [MATCH] …
    return spec == given


def _wildcard(spec: Any) -> str | None:
    spec = _spec_id(spec)
    if isinstance(spec, Mapping):
        for v in spec.values():
            if isinstance(v, list) and v:
                return str(v[0])
    return None


def _items_match(specs: list[Mapping[str, Any]], items: Any) -> bool:
    """The body's inputs (or state) name the callback's declared ids and properties, in order."""
    if not isinstance(items, list) or len(items) != len(specs):
        return False
    for spec, item in zip(specs, items, strict=True):
        group = item if _wildcard(spec.get("id")) in ("ALL", "ALLSMALLER") else [item]
        if not isinstance(group, list):
            return False
        for one in group:
            if not isinstance(one, Mapping) or one.get("property") != spec.get("property"):
                return False
            if not _id_matches(spec.get("id"), one.get("id")):
                return False
    return True


def _outputs_match(key: str, outputs: Any) -> bool:
    declared = policy.parse_output_key(key)
    if key.startswith(".."):  # the multi-output form: a list, one item per declared output
        if not isinstance(outputs, list):
            return False
        given = outputs
    else:
        given = [outputs]
    if len(given) != len(declared):
        return False
    for spec, item in zip(declared, given, strict=True):
        group = item if isinstance(item, list) else [item]
        for one in group:
            # allow_duplicate outputs carry the callback's hash: ``href@<hash>``
            if not isinstance(one, Mapping) or str(one.get("property", "")).split("@", 1)[0] != spec.prop:
                return False
            if not _id_matches(spec.id, one.get("id")):
                return False
    return True


def _flat_values(items: Any) -> Iterable[tuple[Any, Any, Any]]:
    for item in items if isinstance(items, list) else []:
        for one in item if isinstance(item, list) else [item]:
            if isinstance(one, Mapping):
                yield one.get("id"), one.get("property"), one.get("value")


def _count(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, Mapping):
        if isinstance(value.get("rowData"), list):
            return len(value["rowData"])
        if isinstance(value.get("content"), str):  # dcc.Download
            return max(value["content"].count("\n") - 1, 0)
        traces = value.get("data")
        if isinstance(traces, list):
            lengths = [
                len(t.get(k) or ())
                for t in traces
                if isinstance(t, Mapping)
                for k in ("x", "y", "values", "z", "labels")
                if isinstance(t.get(k), list)
            ]
            return max(lengths, default=0)
    return None


def rows_returned(result: Any) -> int | None:
    """How many rows (or chart points) a callback's JSON response holds, for the audit log."""
    try:
        data = json.loads(result) if isinstance(result, str | bytes) else result
    except ValueError:
        return None
    response = data.get("response") if isinstance(data, Mapping) else None
    if not isinstance(response, Mapping):
        return None
    counts = [
        n
        for comp in response.values()
        if isinstance(comp, Mapping)
        for n in (_count(v) for v in comp.values())
        if n is not None
    ]
    return sum(counts) if counts else None


def filters_for_audit(values: Iterable[Any]) -> dict[str, Any]:
    """The filters of a request as recorded: the dashboard's filters, grid column names; never values.

    Dates, facilities, payers and the other filter-bar values are not PHI. A value typed into a grid
    column filter or a column condition might be, so only the column names are kept.
    """
    from dashboard import state

    out: dict[str, Any] = {}
    for value in values:
        if _is_store(value):
            view = state.parse(value.get("resolved") or value.get("search") or "")
            f = view.filters
            for name in ("date_from", "date_to", "as_of", "month"):
                if getattr(f, name) is not None:
                    out[name] = getattr(f, name).isoformat()
            for name in ("facility", "patient_type", "financial_class", "payer", "service_line"):
                if getattr(f, name):
                    out[name] = list(getattr(f, name))
            if view.table:
                out["table"] = view.table
            if view.columns:
                out["column_conditions"] = sorted({c for c, _ in view.columns})
        elif isinstance(value, Mapping) and ("filterModel" in value or "sortModel" in value):
            if value.get("filterModel"):
                out["grid_filters"] = sorted(map(str, value["filterModel"]))
            if value.get("sortModel"):
                out["grid_sort"] = [str(s.get("colId")) for s in value["sortModel"] if isinstance(s, Mapping)]
    return out


def safe_next(target: str | None) -> str | None:
    """A post-login redirect target: a local path only (no scheme, host or ``//``)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout", "/_")):
        return None
    return target


class Security:
    """The installed security layer of one Dash app."""

    def __init__(self, app: dash.Dash, config: SecurityConfig) -> None:
        self.app = app
        self.config = config
        self.server: flask.Flask = app.server
        self.audit = AuditLog(audit.log_path(config.paths))
        self._store: users.UserStore | None = None
        self._own_routes: dict[str, RoutePolicy] = {}
        prefix = app.config.routes_pathname_prefix or "/"
        assets = getattr(app.config, "assets_url_path", "assets") or "assets"
        self._patterns = [(re.compile(pat + r"\Z"), pol) for pat, pol in policy.dash_routes(prefix, assets)]
        self._css = self._find_css()
        self._wrap_lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------------------

    @property
    def store(self) -> users.UserStore:
        """The auth store (opened, and the first admin created, on first use)."""
        if self._store is None:
            store = users.UserStore(users.store_path(self.config.paths))
            if self.config.create_first_admin:
                password = store.ensure_first_admin()
                if password:
                    self.audit.append(
                        user="system",
                        action="user_change",
                        target=users.FIRST_ADMIN,
                        detail={"change": "first_admin"},
                    )
                    sys.stderr.write(
                        f"HIM dashboard: no users existed, so user '{users.FIRST_ADMIN}' was created with "
                        f"the one-time password {password}\n(shown once; it must be changed at first login)\n"
                    )
                    sys.stderr.flush()
            self._store = store
        return self._store

    def _find_css(self) -> str | None:
        folder = getattr(self.app.config, "assets_folder", None)
        try:
            names = sorted(p.name for p in Path(folder).glob("*.css")) if folder else []
        except OSError:
            names = []
        css = next((n for n in names if "bootstrap" in n), None)
        return self.app.get_asset_url(css) if css else None

    def route(
        self, rule: str, kind: str, methods: Iterable[str] = ("GET",)
    ) -> Callable[[Callable[..., Any]], Any]:
        """Register a Flask route of the security layer together with its policy."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.server.add_url_rule(rule, f"him_security.{fn.__name__}", fn, methods=list(methods))
            self._own_routes[rule] = RoutePolicy(kind)
            return fn

        return decorate

    def route_policy(self, rule: str) -> RoutePolicy | None:
        """The declared policy of a URL rule (None: undeclared, hence denied)."""
        if rule in self._own_routes:
            return self._own_routes[rule]
        for pattern, pol in self._patterns:
            if pattern.match(rule):
                return pol
        return None

    def undeclared_routes(self) -> list[str]:
        """URL rules of the server without a declared policy (the S1 test wants none)."""
        return sorted(r.rule for r in self.server.url_map.iter_rules() if self.route_policy(r.rule) is None)

    def _ip(self) -> str | None:
        return flask.request.remote_addr

    def record(
        self,
        action: str,
        *,
        target: str = "",
        filters: Mapping[str, Any] | None = None,
        rows: int | None = None,
        detail: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> None:
        """Append an audit entry for the current request (raises AuditUnavailable: fail closed)."""
        scope = current_scope()
        self.audit.append(
            user=user or (scope.user if scope else None),
            action=action,
            target=target,
            filters=filters,
            rows=rows,
            detail=detail,
            ip=self._ip(),
        )

    def refuse(
        self,
        status: int,
        reason: str,
        *,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        page: bool = False,
    ) -> flask.Response:
        """Refuse the request, record the refusal (best effort: it is refused either way)."""
        try:
            self.record(
                "refused", target=target or flask.request.path, detail={"reason": reason, **(detail or {})}
            )
        except AuditUnavailable:
            pass
        if page:
            return html.render(
                html.FORBIDDEN,
                title="Not available",
                status=status,
                css=self._css,
                home=self.home(current_scope()),
                **self._chrome(),
            )
        return _json({"error": "forbidden", "reason": reason}, status)

    def _chrome(self) -> dict[str, Any]:
        scope = current_scope()
        if scope is None:
            return {}
        links = [(self.home(scope), "Dashboard")] if scope.roles & policy.DATA_ROLES else []
        if policy.ADMIN in scope.roles:
            links += [("/admin/users", "Users"), ("/admin/audit", "Audit log")]
        links.append(("/account/password", "Change password"))
        return {"user_label": scope.user, "links": links}

    # -- pages and homes ---------------------------------------------------------------------------

    def pages(self) -> list[dict[str, Any]]:
        """The registered Dash pages in navbar order."""
        return sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))

    def page_at(self, path: str) -> dict[str, Any] | None:
        """The Dash page served at a URL path, or None."""
        prefix = self.app.config.requests_pathname_prefix or "/"
        wanted = "/" + path[len(prefix) :].strip("/") if path.startswith(prefix) else path
        wanted = wanted.rstrip("/") or "/"
        for page in self.pages():
            if ((page.get("path") or "").rstrip("/") or "/") == wanted:
                return page
        return None

    def page_allowed(self, page: Mapping[str, Any], scope: Scope) -> policy.Decision:
        """Whether a user may open a Dash page."""
        return policy.decide(policy.page_rule(str(page.get("module", ""))), scope.roles, scope.facilities)

    def home(self, scope: Scope | None) -> str:
        """Where a user lands: the first page they may open, else the admin pages, else the password page."""
        if scope is None:
            return "/login"
        for page in self.pages():
            if self.page_allowed(page, scope):
                return str(page.get("relative_path") or page.get("path") or "/")
        if policy.ADMIN in scope.roles:
            return "/admin/users"
        return "/account/password"

    # -- requests ----------------------------------------------------------------------------------

    def _wants_json(self) -> bool:
        req = flask.request
        return (
            req.method not in SAFE_METHODS
            or req.path.startswith(API_PREFIXES)
            or (
                "application/json" in (req.headers.get("Accept") or "")
                and "text/html" not in (req.headers.get("Accept") or "")
            )
        )

    def _unauthenticated(self) -> flask.Response:
        req = flask.request
        if self._wants_json():
            resp = _json({"error": "login required"}, 401)
            resp.headers["WWW-Authenticate"] = 'FormBased realm="HIM analytics"'
            return resp
        target = req.full_path.rstrip("?") if req.query_string else req.path
        return flask.redirect("/login?" + urlencode({"next": target}), code=302)

    def same_origin(self) -> bool:
        """True unless the browser says the request comes from another origin (CSRF, S6)."""
        req = flask.request
        expected = req.host_url.rstrip("/")
        allowed = {expected, *self.config.allowed_origins}
        origin = req.headers.get("Origin")
        if origin is not None:
            return origin.rstrip("/") in allowed
        fetch_site = req.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        referer = req.headers.get("Referer")
        if referer:
            parts = urlsplit(referer)
            return f"{parts.scheme}://{parts.netloc}" in allowed
        return True  # not a browser (browsers send Origin on every POST)

    def before_request(self) -> flask.Response | None:
        """The checks of the module docstring, steps 1-6."""
        req = flask.request
        set_scope(None)
        _ = self.store  # the first request opens the auth store (and creates the first admin)
        rule = req.url_rule
        if rule is None:
            return None  # Flask answers 404/405 itself; nothing is served
        pol = self.route_policy(rule.rule)
        if pol is None:
            _log.warning("refused %s: the route %s has no declared security policy", req.method, rule.rule)
            return _json({"error": "forbidden", "reason": "no policy declared"}, 403)
        if pol.kind == policy.DENY:
            return _json({"error": "not found"}, 404)
        if req.content_length is not None and req.content_length > self.config.max_request_bytes:
            return _json({"error": "request too large"}, 413)
        if pol.kind in (policy.PUBLIC, policy.STATIC):
            return None
        body = None
        if pol.kind == policy.CALLBACK and req.method == "POST":
            refused = self._callback_transport(req)
            if refused is not None:
                return refused
            body = req.get_json(silent=True)
            if not isinstance(body, dict):
                return _json({"error": "a callback body must be a JSON object"}, 400)
        token = req.cookies.get(self.config.cookie_name)
        touch = pol.kind != policy.STATUS and not is_interval_tick(body)
        session = self.store.session(
            token,
            idle_seconds=self.config.idle_seconds,
            absolute_seconds=self.config.absolute_seconds,
            touch=touch,
        )
        if session is None:
            return self._unauthenticated()
        user = session.user
        scope = Scope(user.name, frozenset(user.roles), tuple(user.facilities))
        set_scope(scope)
        flask.g.him_session = session
        if req.method not in SAFE_METHODS and not self.same_origin():
            return self.refuse(403, "cross-origin request", detail={"origin": req.headers.get("Origin")})
        if user.must_change and pol.kind not in (policy.SESSION, policy.STATUS):
            if self._wants_json():
                return _json({"error": "password change required"}, 403)
            return flask.redirect("/account/password", code=302)
        return self._authorize(pol, scope, body)

    def _callback_transport(self, req: flask.Request) -> flask.Response | None:
        if req.mimetype != "application/json":
            return _json({"error": "callbacks accept application/json only"}, 415)
        if not self.same_origin():
            return _json({"error": "forbidden", "reason": "cross-origin request"}, 403)
        if set(req.args) & BACKGROUND_ARGS:  # background-callback handles: this app uses none (S17)
            return _json({"error": "background callbacks are not served"}, 400)
        return None

    def _authorize(
        self, pol: RoutePolicy, scope: Scope, body: dict[str, Any] | None
    ) -> flask.Response | None:
        kind = pol.kind
        req = flask.request
        if kind in (policy.SESSION, policy.STATUS):
            return None
        if kind == policy.DATA:
            if scope.roles & policy.DATA_ROLES:
                return None
            return self.refuse(403, "no data role", page=not self._wants_json())
        if kind == policy.ADMIN_ONLY:
            if policy.ADMIN in scope.roles:
                return None
            return self.refuse(403, "admin only", page=not self._wants_json())
        if kind == policy.PAGE:
            return self._authorize_page(scope)
        if kind == policy.EXPORT:
            export_kind = (req.view_args or {}).get("kind", "")
            roles = policy.EXPORT_ROLES.get(export_kind, frozenset())
            if roles & scope.roles:
                return None
            return self.refuse(403, f"export kind {export_kind!r} not allowed")
        if kind == policy.LEGACY_EXPORT:
            if policy.EXPORT_ROLES["deidentified"] & scope.roles:
                fmt = (req.view_args or {}).get("fmt", "csv")
                table = req.args.get("table") or "encounters"
                if not re.fullmatch(r"[a-z_]{1,40}", table):
                    return _json({"error": "unknown table"}, 400)
                query = req.query_string.decode("latin-1")
                return flask.redirect(
                    f"/export/deidentified/{table}.{fmt}" + (f"?{query}" if query else ""), 302
                )
            return self.refuse(403, "export not allowed")
        if kind == policy.CALLBACK:
            if req.method != "POST" or body is None:
                return _json({"error": "method not allowed"}, 405)
            return self._authorize_callback(body, scope)
        return self.refuse(403, "no policy declared")

    def _authorize_page(self, scope: Scope) -> flask.Response | None:
        page = self.page_at(flask.request.path)
        if page is None:
            if scope.roles & policy.DATA_ROLES:
                return None  # Dash shows its "not found" page
            return flask.redirect(self.home(scope), code=302)
        if self.page_allowed(page, scope):
            return None
        return flask.redirect(self.home(scope), code=302)

    def _authorize_callback(self, body: dict[str, Any], scope: Scope) -> flask.Response | None:
        key = body.get("output")
        cb = self.app.callback_map.get(key) if isinstance(key, str) else None
        if cb is None:
            return self.refuse(403, "unknown callback", target=str(key)[:200])
        if "callback" not in cb:  # a clientside callback: nothing runs on the server
            return self.refuse(403, "clientside callback", target=key[:200])
        if not (
            _items_match(cb.get("inputs", []), body.get("inputs", []))
            and _items_match(cb.get("state", []), body.get("state", []))
            and _outputs_match(key, body.get("outputs"))
        ):
            return self.refuse(400, "callback body does not match its declaration", target=key[:200])
        outputs = policy.parse_output_key(key)
        target = ",".join(f"{o.key}.{o.prop}" for o in outputs)[:300]
        action = "query"
        if any(o.key == policy.PAGES_CONTENT for o in outputs):
            pathname = next((v for i, p, v in _flat_values(body.get("inputs")) if p == "pathname"), None)
            page = self.page_at(pathname if isinstance(pathname, str) else "/")
            rule = (
                policy.page_rule(str(page.get("module", "")))
                if page
                else Rule("not-found", policy.DATA_ROLES, audit=False)
            )
            action, target = "page_view", str(pathname)[:300]
        elif any(o.key == policy.PAGES_STORE for o in outputs):
            rule = None
        else:
            rule = policy.callback_rule(key)
            if any(o.key.startswith(policy.CHART_DOWNLOAD + ":") for o in outputs):
                action = "export"
        decision = policy.decide(rule, scope.roles, scope.facilities)
        if not decision:
            return self.refuse(403, decision.reason, target=target)
        assert decision.rule is not None
        values = [v for _, _, v in _flat_values(body.get("inputs"))] + [
            v for _, _, v in _flat_values(body.get("state"))
        ]
        for value in values:
            if _is_store(value):
                try:
                    scope_store(value, scope)
                except OutOfScope:
                    return self.refuse(
                        403,
                        "facility outside the user's access",
                        target=target,
                        detail={"facility": filters_for_audit([value]).get("facility", [])},
                    )
        if decision.rule.audit and not self.audit.writable():
            raise AuditUnavailable("the audit log cannot be written")
        flask.g.him_callback = CallbackCall(key, decision.rule, action, target)
        self._guard(key)
        return None

    # -- callbacks ---------------------------------------------------------------------------------

    def _guard(self, key: str) -> None:
        """Wrap a callback (once) so that it runs only as authorised, on scoped filters, and is audited."""
        with self._wrap_lock:
            cb = self.app.callback_map[key]
            fn = cb["callback"]
            if getattr(fn, "_him_guarded", False):
                return
            cb["callback"] = self._guarded(key, fn)

    def _guarded(self, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        security = self

        def guarded(*args: Any, **kwargs: Any) -> Any:
            call = flask.g.get("him_callback")
            scope = current_scope()
            if call is None or call.key != key or scope is None:
                raise PermissionError("callback not authorised by the security layer")
            scoped = tuple(scope_store(a, scope) if _is_store(a) else a for a in args)
            result = fn(*scoped, **kwargs)
            if call.rule.audit:
                detail: dict[str, Any] = {}
                if call.rule.row_level:
                    detail["row_level"] = True
                if call.action == "export":
                    detail.update({"kind": "aggregate", "format": "csv"})
                security.record(
                    call.action,
                    target=call.target,
                    filters=filters_for_audit(scoped),
                    rows=rows_returned(result) if call.action != "page_view" else None,
                    detail=detail,
                )
            return result

        guarded._him_guarded = True  # type: ignore[attr-defined]
        return guarded

    # -- responses ---------------------------------------------------------------------------------

    def csp(self) -> str:
        """The Content-Security-Policy: scripts from this origin plus Dash's inline-script hashes."""
        scripts = ["'self'", *self.app.csp_hashes()]
        if self.config.allow_eval:
            scripts.append("'unsafe-eval'")
        directives = {
            "default-src": "'self'",
            "script-src": " ".join(scripts),
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data: blob:",
            "font-src": "'self' data:",
            "connect-src": "'self'",
            "worker-src": "'self' blob:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
        return "; ".join(f"{k} {v}" for k, v in directives.items())

    def after_request(self, response: flask.Response) -> flask.Response:
        """Add the security headers to every response."""
        req = flask.request
        pol = self.route_policy(req.url_rule.rule) if req.url_rule is not None else None
        headers = response.headers
        headers["Content-Security-Policy"] = self.csp()
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if pol is None or pol.kind != policy.STATIC:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        if self.config.tls or req.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    def on_audit_unavailable(self, exc: AuditUnavailable) -> flask.Response:
        """Fail closed (X11): what could not be recorded is not served."""
        _log.error("refused %s %s: %s", flask.request.method, flask.request.path, exc)
        return _json(
            {"error": "the audit log cannot be written, so no data can be shown; tell the administrator"}, 503
        )

    def on_out_of_scope(self, exc: OutOfScope) -> flask.Response:
        """A query tried to leave the user's facilities."""
        return self.refuse(403, "facility outside the user's access")

    def on_error(self, exc: Exception) -> Any:
        """Any other error: a generic answer with a reference; the log gets frames but no values."""
        if isinstance(exc, HTTPException):
            return exc
        ref = secrets.token_hex(6)
        frames = "".join(traceback.format_tb(exc.__traceback__))
        _log.error("unhandled %s (ref %s) on %s\n%s", type(exc).__name__, ref, flask.request.endpoint, frames)
        if self._wants_json():
            return _json({"error": "internal error", "reference": ref}, 500)
        return html.render(html.ERROR, title="Error", status=500, css=self._css, ref=ref)

    # -- the index page and the layout -------------------------------------------------------------

    def patch_index(self) -> None:
        """Load the session script before Dash's renderer on every Dash page."""
        original = self.app.interpolate_index

        def interpolate_index(**kwargs: Any) -> str:
            kwargs["scripts"] = '<script src="/_him/session.js"></script>\n' + kwargs.get("scripts", "")
            return original(**kwargs)

        self.app.interpolate_index = interpolate_index  # type: ignore[method-assign]

    def patch_layout(self) -> None:
        """Show each user the navigation of their pages only, their facilities only, and a user menu."""
        original = self.app.layout

        def layout() -> Any:
            value = original() if callable(original) else original
            scope = current_scope()
            if scope is None:
                return value  # Dash validating the layout at start-up
            return personalise(value, scope, self)

        self.app.layout = layout


def _children_list(component: Any) -> list[Any] | None:
    children = getattr(component, "children", None)
    return children if isinstance(children, list) else None


def _nav_page(component: Any) -> str | None:
    ident = getattr(component, "id", None)
    if isinstance(ident, Mapping) and ident.get("type") == "shell-nav-link":
        return str(ident.get("page"))
    return None


def _contains_forbidden(component: Any, forbidden: set[str]) -> bool:
    if _nav_page(component) in forbidden:
        return True
    inner = getattr(component, "children", None)
    if isinstance(inner, list) and len(inner) == 1:
        inner = inner[0]
    return inner is not None and not isinstance(inner, list | str) and _nav_page(inner) in forbidden


def personalise(layout: Any, scope: Scope, security: Security) -> Any:
    """Return the shell's layout for one user.

    Navbar links to allowed pages only, filter options of allowed facilities only, and a small user
    menu (name, change password, log out).
    """
    forbidden = {str(p.get("module")) for p in security.pages() if not security.page_allowed(p, scope)}

    def walk(component: Any) -> None:
        children = _children_list(component)
        if children is not None:
            children[:] = [c for c in children if not _contains_forbidden(c, forbidden)]
            for c in children:
                walk(c)
        elif children is None and getattr(component, "children", None) is not None:
            walk(component.children)
        if scope.facilities:
            _limit_facility_options(component, scope.facilities)

    walk(layout)
    menu = dash.html.Div(
        [
            dash.html.Span(f"{scope.user} ({', '.join(sorted(scope.roles))})", className="me-2"),
            dash.html.A("Change password", href="/account/password", className="me-2"),
            dash.html.A("Log out", href="/logout", id="security-logout"),
        ],
        id="security-user-menu",
        className="position-fixed bottom-0 end-0 m-2 px-2 py-1 bg-body-tertiary border rounded small",
    )
    children = _children_list(layout)
    if children is not None:
        children.append(menu)
        return layout
    return dash.html.Div([layout, menu])


def _limit_facility_options(component: Any, facilities: tuple[str, ...]) -> None:
    from dashboard import ids

    ident = getattr(component, "id", None)
    if ident == getattr(ids, "F_FACILITY", None) and isinstance(getattr(component, "options", None), list):
        component.options = [
            o for o in component.options if (o.get("value") if isinstance(o, Mapping) else o) in facilities
        ]
    elif ident == getattr(ids, "CONTEXT", None) and isinstance(getattr(component, "data", None), Mapping):
        data = dict(component.data)
        options = dict(data.get("options") or {})
        if "facility" in options:
            options["facility"] = [f for f in options["facility"] if f in facilities]
            data["options"] = options
            component.data = data


def compare(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
