"""The security layer's own routes: login, logout, password change, session status, admin, exports."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import flask

from dashboard.security import client, html, policy
from dashboard.security.core import Security, compare, filters_for_audit, safe_next
from dashboard.security.scope import OutOfScope, Scope, current_scope, scoped_filters, set_scope
from warehouse import audit, deid, users
from warehouse.audit import AuditUnavailable
from warehouse.errors import HimError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FIELD = 256
AUDIT_PAGE_ROWS = 500


def _field(name: str, limit: int = MAX_FIELD) -> str:
    value = flask.request.form.get(name, "")
    return value[: limit + 1]


def _static_js(text: str) -> flask.Response:
    resp = flask.Response(text, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def register(sec: Security) -> None:
    """Add the routes (each with its declared policy) to the app's server."""
    from dashboard import report_download

    cfg = sec.config
    report_download.register(sec)

    def login_token() -> str:
        token = flask.request.cookies.get(cfg.login_cookie_name) or ""
        return token if 20 <= len(token) <= 100 and token.replace("-", "").replace("_", "").isalnum() else ""

    def login_page(
        *, status: int = 200, message: str | None = None, kind: str = "danger", username: str = ""
    ) -> flask.Response:
        token = login_token() or secrets.token_urlsafe(32)
        nxt = safe_next(flask.request.values.get("next")) or ""
        resp = html.render(
            html.LOGIN,
            title="Sign in",
            status=status,
            css=sec._css,
            csrf=token,
            next=nxt,
            username=username,
            message=message,
            message_kind=kind,
            clear_storage=True,
        )
        resp.set_cookie(
            cfg.login_cookie_name, token, httponly=True, secure=cfg.tls, samesite="Strict", path="/"
        )
        return resp

    def set_session_cookie(resp: flask.Response, token: str) -> None:
        resp.set_cookie(
            cfg.cookie_name, token, httponly=True, secure=cfg.tls, samesite=cfg.same_site, path="/"
        )

    @sec.route("/login", policy.PUBLIC, methods=("GET", "POST"))
    def login() -> Any:
        req = flask.request
        if req.method == "GET":
            if req.args.get("expired"):
                return login_page(message="Your session ended. Please sign in again.", kind="warning")
            if req.args.get("logged_out"):
                return login_page(message="You have logged out.", kind="info")
            return login_page()
        if not sec.same_origin():
            return flask.Response("cross-origin login refused\n", status=403, mimetype="text/plain")
        if req.mimetype not in FORM_TYPES:
            return flask.Response("a login is a form post\n", status=415, mimetype="text/plain")
        if not compare(login_token(), req.form.get("csrf_token")):
            return login_page(status=400, message="The form expired. Please try again.")
        name = _field("username", 64).strip().lower()
        password = _field("password")
        result = sec.store.authenticate(name, password)
        recorded = name if users.is_valid_name(name) else "(not a user name)"
        if not result.ok:
            sec.record("failed_login", user=recorded, target=recorded, detail={"reason": result.reason})
            if result.reason == "locked":
                return login_page(status=429, message="Too many failed sign-ins. Try again later.")
            return login_page(status=401, message="The user name or password is not right.")
        user = result.user
        assert user is not None
        sec.record("login", user=user.name, target=user.name, detail={"roles": list(user.roles)})
        sec.store.end_session(req.cookies.get(cfg.cookie_name))  # no session fixation
        token, _session = sec.store.create_session(user.name, ip=req.remote_addr)
        scope = Scope(user.name, frozenset(user.roles), tuple(user.facilities))
        target = (
            "/account/password" if user.must_change else (safe_next(req.form.get("next")) or sec.home(scope))
        )
        resp = flask.redirect(target, code=303)
        set_session_cookie(resp, token)
        resp.delete_cookie(cfg.login_cookie_name, path="/")
        return resp

    def current_session() -> Any:
        token = flask.request.cookies.get(cfg.cookie_name)
        session = sec.store.session(
            token, idle_seconds=cfg.idle_seconds, absolute_seconds=cfg.absolute_seconds, touch=False
        )
        if session is not None:
            set_scope(Scope(session.user.name, frozenset(session.user.roles), tuple(session.user.facilities)))
        return token, session

    @sec.route("/logout", policy.PUBLIC, methods=("GET", "POST"))
    def logout() -> Any:
        req = flask.request
        token, session = current_session()
        if session is None:
            resp = flask.redirect("/login?logged_out=1", code=303)
            resp.delete_cookie(cfg.cookie_name, path="/")
            return resp
        # A GET from another site (a link or image elsewhere) asks first; a POST needs the CSRF token.
        if req.method == "GET" and req.headers.get("Sec-Fetch-Site", "none") not in ("same-origin", "none"):
            return html.render(html.LOGOUT, title="Log out", css=sec._css, csrf=session.csrf, **sec._chrome())
        if req.method == "POST" and (
            not sec.same_origin() or not compare(session.csrf, req.form.get("csrf_token"))
        ):
            return html.render(
                html.LOGOUT, title="Log out", status=400, css=sec._css, csrf=session.csrf, **sec._chrome()
            )
        sec.store.end_session(token)
        try:
            sec.record("logout", user=session.user.name, target=session.user.name)
        except AuditUnavailable:
            pass  # the session has ended anyway
        resp = flask.redirect("/login?logged_out=1", code=303)
        resp.delete_cookie(cfg.cookie_name, path="/")
        resp.headers["Clear-Site-Data"] = '"cache", "storage"'
        return resp

    @sec.route("/account/password", policy.SESSION, methods=("GET", "POST"))
    def change_password() -> Any:
        req = flask.request
        session = flask.g.him_session
        user = session.user

        def page(status: int = 200, message: str | None = None) -> flask.Response:
            return html.render(
                html.PASSWORD,
                title="Change password",
                status=status,
                css=sec._css,
                csrf=session.csrf,
                user=user.name,
                must_change=user.must_change,
                min_length=users.MIN_PASSWORD_LENGTH,
                message=message,
                **sec._chrome(),
            )

        if req.method == "GET":
            return page()
        if req.mimetype not in FORM_TYPES or not compare(session.csrf, req.form.get("csrf_token")):
            return page(400, "The form expired. Please try again.")
        new = _field("new_password")
        if new != _field("confirm_password"):
            return page(400, "The two new passwords differ.")
        try:
            sec.store.change_password(user.name, _field("current_password"), new)
        except users.AuthError as exc:
            return page(400, str(exc))
        sec.record("user_change", target=user.name, detail={"change": "password"})
        token, _ = sec.store.create_session(user.name, ip=req.remote_addr)
        scope = Scope(user.name, frozenset(user.roles), tuple(user.facilities))
        resp = flask.redirect(sec.home(scope), code=303)
        set_session_cookie(resp, token)
        return resp

    @sec.route("/_him/session", policy.STATUS)
    def session_status() -> Any:
        session = flask.g.him_session
        now = users.clock()
        return flask.jsonify(
            {
                "user": session.user.name,
                "idle_remaining": max(0, int(session.last_active + cfg.idle_seconds - now)),
                "absolute_remaining": max(0, int(session.created + cfg.absolute_seconds - now)),
            }
        )

    @sec.route("/_him/session.js", policy.STATIC)
    def session_js() -> Any:
        return _static_js(client.SESSION_JS)

    @sec.route("/_him/clear.js", policy.STATIC)
    def clear_js() -> Any:
        return _static_js(client.CLEAR_JS)

    if not any(r.rule == "/health" for r in sec.server.url_map.iter_rules()):

        @sec.route("/health", policy.PUBLIC)
        def health() -> Any:
            from warehouse.db import WarehouseUnavailable, reader

            problems = []
            try:
                reader(cfg.paths).cursor().close()
            except (WarehouseUnavailable, HimError, OSError):
                problems.append("warehouse")
            if not sec.audit.writable():
                problems.append("audit log")
            status = 200 if not problems else 503
            return flask.jsonify(
                {"status": "ok" if not problems else "unavailable", "problems": problems}
            ), status

    # -- administration ----------------------------------------------------------------------------

    @sec.route("/admin", policy.ADMIN_ONLY)
    def admin() -> Any:
        return flask.redirect("/admin/users", code=302)

    def users_page(
        status: int = 200,
        message: str | None = None,
        kind: str = "danger",
        one_time: tuple[str, str] | None = None,
    ) -> flask.Response:
        session = flask.g.him_session
        return html.render(
            html.USERS,
            title="Users",
            status=status,
            css=sec._css,
            csrf=session.csrf,
            users=sec.store.users(),
            roles=users.ROLES,
            one_time=one_time,
            message=message,
            message_kind=kind,
            **sec._chrome(),
        )

    def admin_form_ok() -> bool:
        req = flask.request
        return req.mimetype in FORM_TYPES and compare(flask.g.him_session.csrf, req.form.get("csrf_token"))

    @sec.route("/admin/users", policy.ADMIN_ONLY, methods=("GET", "POST"))
    def admin_users() -> Any:
        req = flask.request
        if req.method == "GET":
            sec.record("page_view", target="/admin/users")
            return users_page()
        if not admin_form_ok():
            return users_page(400, "The form expired. Please try again.")
        name = _field("name", 64).strip()
        facilities = [f.strip() for f in _field("facilities", 300).split(",") if f.strip()]
        try:
            user, generated = sec.store.add(name, req.form.getlist("role"), facilities)
        except users.AuthError as exc:
            return users_page(400, str(exc))
        sec.record(
            "user_change",
            target=user.name,
            detail={"change": "add", "roles": list(user.roles), "facilities": list(user.facilities)},
        )
        return users_page(
            message=f"Added {user.name}.",
            kind="success",
            one_time=(user.name, generated) if generated else None,
        )

    @sec.route("/admin/users/<name>", policy.ADMIN_ONLY, methods=("POST",))
    def admin_user(name: str) -> Any:
        if not admin_form_ok():
            return users_page(400, "The form expired. Please try again.")
        action = flask.request.form.get("action")
        scope = current_scope()
        try:
            if action == "disable":
                if scope is not None and name == scope.user:
                    return users_page(400, "You cannot disable your own account.")
                sec.store.disable(name)
                sec.record("user_change", target=name, detail={"change": "disable"})
                return users_page(message=f"Disabled {name}; their sessions have ended.", kind="success")
            if action == "enable":
                sec.store.disable(name, disabled=False)
                sec.record("user_change", target=name, detail={"change": "enable"})
                return users_page(message=f"Enabled {name}.", kind="success")
            if action == "reset":
                generated = sec.store.reset_password(name)
                sec.record("user_change", target=name, detail={"change": "reset_password"})
                return users_page(
                    message=f"Reset the password of {name}.",
                    kind="success",
                    one_time=(name, generated) if generated else None,
                )
        except users.AuthError as exc:
            return users_page(400, str(exc))
        return users_page(400, "Unknown action.")

    def audit_query() -> dict[str, Any]:
        args = flask.request.args

        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(args.get(name, "")[:10]) if args.get(name) else None
            except ValueError:
                return None

        action = args.get("action") if args.get("action") in audit.ACTIONS else None
        return {
            "user": (args.get("user") or "")[:64] or None,
            "action": action,
            "since": day("since"),
            "until": day("until"),
        }

    def matching(query: dict[str, Any]) -> list[dict[str, Any]]:
        return [e for e in sec.audit.entries() if audit.matches(e, **query)]

    @sec.route("/admin/audit", policy.ADMIN_ONLY)
    def admin_audit() -> Any:
        query = audit_query()
        sec.record("page_view", target="/admin/audit")
        found = matching(query)
        shown = list(reversed(found[-AUDIT_PAGE_ROWS:]))
        qs = urlencode({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in query.items() if v})
        return html.render(
            html.AUDIT,
            title="Audit log",
            css=sec._css,
            entries=shown,
            matched=len(found),
            shown=len(shown),
            verification=sec.audit.verify(),
            actions=audit.ACTIONS,
            query={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in query.items()},
            qs=qs,
            **sec._chrome(),
        )

    @sec.route("/admin/audit.<fmt>", policy.ADMIN_ONLY)
    def admin_audit_export(fmt: str) -> Any:
        if fmt not in ("csv", "json"):
            return flask.Response("use .csv or .json\n", status=404, mimetype="text/plain")
        query = audit_query()
        found = matching(query)
        sec.record(
            "export",
            target=f"audit.{fmt}",
            rows=len(found),
            filters={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in query.items() if v},
            detail={"kind": "audit", "format": fmt},
        )
        mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
        resp = flask.Response(audit.export(found, fmt), mimetype=mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="audit-{dt.date.today():%Y%m%d}.{fmt}"'
        return resp

    # -- row-level exports -------------------------------------------------------------------------

    @sec.route("/export/<kind>/<table>.<fmt>", policy.EXPORT)
    def export(kind: str, table: str, fmt: str) -> Any:
        from dashboard import exports as dash_exports
        from warehouse import explorer

        args = flask.request.args
        try:
            request = dash_exports.request_of(args)
            if request.table != table and args.get("table") not in (None, table):
                raise deid.ExportRefused("the table in the path and the link differ")
            request = replace(request, table=table, filters=scoped_filters(request.filters))
            detail: dict[str, Any] = {"kind": kind, "format": fmt, "table": table}
            if kind == "limited":
                detail["dua"] = deid.check_dua(args.get("dua"))
            elif kind == "operational":
                detail["purpose"] = deid.check_purpose(args.get("purpose"))
            elif kind != "deidentified":
                raise deid.ExportRefused(f"unknown export kind {kind!r}")
            exp = deid.export(request, kind, fmt)
            rows = explorer.count(request)
        except OutOfScope:
            return sec.refuse(403, "facility outside the user's access", target=f"{kind}:{table}")
        except (ValueError, HimError) as exc:
            return flask.Response(f"cannot export: {exc}\n", status=400, mimetype="text/plain")
        filters = filters_for_audit(
            [
                {
                    "resolved": "?"
                    + urlencode(
                        [(k, v) for k, v in args.items(multi=True) if k not in ("grid", "dua", "purpose")]
                    )
                }
            ]
        )
        filters["facility"] = list(request.filters.facility)
        sec.record("export", target=f"{kind}:{table}.{fmt}", filters=filters, rows=rows, detail=detail)
        resp = flask.Response(flask.stream_with_context(exp.chunks), mimetype=exp.mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="{exp.filename}"'
        return resp
