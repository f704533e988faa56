"""Settings of the security layer, read from the environment once when it is installed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from warehouse.paths import WarehousePaths, resolve_warehouse

DEFAULT_IDLE_SECONDS = 15 * 60
DEFAULT_ABSOLUTE_SECONDS = 8 * 60 * 60
DEFAULT_MAX_REQUEST_BYTES = 1 << 20


def _flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside {low}-{high}")
    return value


@dataclass(frozen=True)
class SecurityConfig:
    """How the dashboard authenticates, times out and protects itself.

    Attributes:
        paths: the warehouse whose auth store (``<pointer>.auth.sqlite``) and audit log
            (``<pointer>.audit.jsonl``) are used.
        idle_seconds: automatic logoff after this much inactivity (``HIM_SESSION_IDLE_SECONDS``,
            default 15 minutes). A ``dcc.Interval`` tick is not activity.
        absolute_seconds: a session ends this long after login whatever happens
            (``HIM_SESSION_ABSOLUTE_SECONDS``, default 8 hours).
        tls: the site is served over HTTPS (``HIM_TLS=1``): cookies get ``Secure`` and the
            ``__Host-`` prefix, and responses carry HSTS.
        proxy_hops: trusted reverse proxies in front (``HIM_PROXY_HOPS``, default 0): their
            ``X-Forwarded-For/Proto/Host`` headers are believed (werkzeug ProxyFix).
        allowed_origins: extra origins accepted on POSTs (``HIM_ALLOWED_ORIGINS``, comma separated),
            besides the request's own.
        max_request_bytes: larger request bodies get 413 (``HIM_MAX_REQUEST_BYTES``, default 1 MiB).
        allow_eval: add ``'unsafe-eval'`` to the CSP (``HIM_CSP_ALLOW_EVAL=1``; development only).
        same_site: the session cookie's SameSite (``Lax`` or ``Strict``; ``HIM_COOKIE_SAMESITE``).
        create_first_admin: on a store with no users, create ``admin`` with a one-time password printed
            once to the server's standard error (default on).
    """

    paths: WarehousePaths = field(default_factory=resolve_warehouse)
    idle_seconds: int = DEFAULT_IDLE_SECONDS
    absolute_seconds: int = DEFAULT_ABSOLUTE_SECONDS
    tls: bool = False
    proxy_hops: int = 0
    allowed_origins: tuple[str, ...] = ()
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    allow_eval: bool = False
    same_site: str = "Lax"
    create_first_admin: bool = True

    def __post_init__(self) -> None:
        """Check the values that would silently weaken the protection."""
        if self.idle_seconds < 1 or self.absolute_seconds < self.idle_seconds:
            raise ValueError("the session's absolute lifetime must be at least its idle timeout")
        if self.same_site not in ("Lax", "Strict"):
            raise ValueError("the session cookie's SameSite must be Lax or Strict")

    @classmethod
    def from_env(cls, paths: WarehousePaths | None = None) -> SecurityConfig:
        """Read the settings from ``HIM_*`` environment variables (see the attributes)."""
        origins = tuple(
            o.strip().rstrip("/") for o in os.environ.get("HIM_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        same_site = os.environ.get("HIM_COOKIE_SAMESITE", "Lax").strip().capitalize() or "Lax"
        return cls(
            paths=paths or resolve_warehouse(),
            idle_seconds=_int("HIM_SESSION_IDLE_SECONDS", DEFAULT_IDLE_SECONDS, 1, 24 * 3600),
            absolute_seconds=_int("HIM_SESSION_ABSOLUTE_SECONDS", DEFAULT_ABSOLUTE_SECONDS, 1, 7 * 24 * 3600),
            tls=_flag("HIM_TLS"),
            proxy_hops=_int("HIM_PROXY_HOPS", 0, 0, 5),
            allowed_origins=origins,
            max_request_bytes=_int("HIM_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1024, 64 << 20),
            allow_eval=_flag("HIM_CSP_ALLOW_EVAL"),
            same_site=same_site,
            create_first_admin=_flag("HIM_CREATE_FIRST_ADMIN", True),
        )

    @property
    def cookie_name(self) -> str:
        """The session cookie's name (``__Host-`` prefixed under TLS: host-only, Secure, Path=/)."""
        return "__Host-him_session" if self.tls else "him_session"

    @property
    def login_cookie_name(self) -> str:
        """The login form's CSRF cookie (double submit)."""
        return "__Host-him_login" if self.tls else "him_login"
