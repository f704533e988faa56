"""Helpers of the security tests: log in with the test client, build callback bodies as an attacker would."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from dashboard.security import policy
from warehouse.paths import WarehousePaths

#: The fixture users: name -> (roles, facilities, password). ``t-former`` is disabled.
USERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "t-leader": (("leadership",), (), "Sturdy-Battery-Leader-1"),
    "t-manager": (("manager",), (), "Sturdy-Battery-Manager-2"),
    "t-analyst": (("analyst",), (), "Sturdy-Battery-Analyst-3"),
    "t-admin": (("admin",), (), "Sturdy-Battery-Admin-4"),
    "t-analyst-fac01": (("analyst",), ("FAC01",), "Sturdy-Battery-Restricted-5"),
    "t-former": (("analyst",), (), "Sturdy-Battery-Former-6"),
}
ROLE_USERS = ("t-leader", "t-manager", "t-analyst", "t-admin", "t-analyst-fac01")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def login(app: Any, name: str, password: str | None = None, *, expect: int = 303) -> Any:
    """Return a test client logged in as ``name`` (the fixture password by default)."""
    client = app.server.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    password = USERS[name][2] if password is None else password
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert resp.status_code == expect, (name, resp.status_code, resp.get_data(as_text=True)[:300])
    return client


#: Values put in place of pattern-matching wildcards, by key.
FILLS = {"page": "dashboard.pages.scorecard"}


def _concrete(spec_id: Any) -> Any:
    if isinstance(spec_id, str) and spec_id.startswith("{"):
        spec_id = json.loads(spec_id)
    if isinstance(spec_id, Mapping):
        return {k: (FILLS.get(k, "x") if isinstance(v, list) else v) for k, v in spec_id.items()}
    return spec_id


def _is_multi(spec_id: Any) -> bool:
    if isinstance(spec_id, str) and spec_id.startswith("{"):
        spec_id = json.loads(spec_id)
    return isinstance(spec_id, Mapping) and any(
        isinstance(v, list) and v and v[0] in ("ALL", "ALLSMALLER") for v in spec_id.values()
    )


def default_value(spec: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """A plausible value for an input or state, from ``values`` keyed by ``id.property`` or property."""
    ident = spec["id"] if isinstance(spec["id"], str) else json.dumps(spec["id"])
    key = f"{ident}.{spec['property']}"
    if key in values:
        return values[key]
    return values.get(spec["property"])


def callback_body(
    app: Any, key: str, values: Mapping[str, Any] | None = None, changed: list[str] | None = None
) -> dict[str, Any]:
    """A well-formed ``/_dash-update-component`` body for a callback of ``app.callback_map``."""
    values = values or {}
    cb = app.callback_map[key]

    def item(spec: Mapping[str, Any]) -> Any:
        ident = _concrete(spec["id"])
        value = ident if spec["property"] == "id" else default_value(spec, values)
        one = {"id": ident, "property": spec["property"], "value": value}
        return [one] if _is_multi(spec["id"]) else one

    outputs = []
    for out in policy.parse_output_key(key):
        one = {"id": _concrete(out.id), "property": out.prop}
        outputs.append([one] if isinstance(out.id, Mapping) and _is_multi(out.id) else one)
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": [item(s) for s in cb["inputs"]],
        "state": [item(s) for s in cb.get("state", [])],
        "changedPropIds": changed or [],
    }


def key_with(app: Any, output: str) -> str:
    """The key of the callback one of whose outputs is ``output`` (``denials-trend.figure``, or
    ``denials-trend.`` for any property): pages wire several outputs into one callback."""
    return next(
        k
        for k in app.callback_map
        if any(
            f"{o.id}.{o.prop}".startswith(output) for o in policy.parse_output_key(k) if isinstance(o.id, str)
        )
    )


def post_callback(client: Any, body: Mapping[str, Any], **kwargs: Any) -> Any:
    return client.post("/_dash-update-component", json=body, **kwargs)


def expected_allowed(key: str, user: str, pathname: str = "/") -> bool:
    """What the declared policy says about a user running a callback."""
    roles, facilities, _ = USERS[user]
    outputs = policy.parse_output_key(key)
    if any(o.key == policy.PAGES_CONTENT for o in outputs):
        module = {"/": "scorecard", "/explorer": "explorer"}.get(pathname, "scorecard")
        return bool(policy.decide(policy.page_rule(module), roles, facilities))
    return bool(policy.decide(policy.callback_rule(key), roles, facilities))


def response_values(resp: Any) -> dict[str, Any]:
    """The ``response`` part of a callback answer (component id -> property -> value)."""
    data = resp.get_json(silent=True) or {}
    return data.get("response", {}) if isinstance(data, Mapping) else {}


def last_entries(sec: Any, since: int) -> list[dict[str, Any]]:
    """Audit entries with a sequence number above ``since``."""
    return [e for e in sec.audit.entries() if e["seq"] > since]


def audit_seq(sec: Any) -> int:
    entries = list(sec.audit.entries())
    return entries[-1]["seq"] if entries else 0


def make_app(paths: WarehousePaths, **config: Any) -> Any:
    """The real app from ``create_app()``, with the security layer installed (once)."""
    from dashboard.app import create_app
    from dashboard.security import SecurityConfig, install_security, installed

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(paths.pointer))
        mp.setenv("HIM_AUDIT_FSYNC", "0")
        settings = {"create_first_admin": False, **config}
        # The same settings as environment, for when create_app installs the layer itself (from_env).
        env = {
            "create_first_admin": "HIM_CREATE_FIRST_ADMIN",
            "idle_seconds": "HIM_SESSION_IDLE_SECONDS",
            "absolute_seconds": "HIM_SESSION_ABSOLUTE_SECONDS",
            "tls": "HIM_TLS",
        }
        for key, value in settings.items():
            mp.setenv(env[key], str(int(value)))
        app = create_app()
        if installed(app) is None:  # create_app may install it itself once the lead wires it in
            install_security(app, config=SecurityConfig(paths=paths, **settings))
    return app


def add_users(app: Any) -> None:
    from dashboard.security import installed

    store = installed(app).store  # type: ignore[union-attr]
    for name, (roles, facilities, password) in USERS.items():
        if store.get(name) is None:
            store.add(name, roles, facilities, password=password)
    store.disable("t-former")


def filter_store(context: Any, search: str) -> dict[str, str]:
    from dashboard import shell, state

    return shell.store_of(state.parse(search), context.defaults)
