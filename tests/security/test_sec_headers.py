"""S9 (security headers), S10 (no debug, no tracebacks), S14 (no PHI at rest in the browser),
S16 (dependency floor, no data-built links), S17 (no background-callback handles)."""

from __future__ import annotations

import ast
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from sec_helpers import add_users, callback_body, key_with, login, make_app, post_callback

from tests.fixtures.bad import CANARY_NAME

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analyst(app: Any) -> Any:
    return login(app, "t-analyst")


def _check_headers(resp: Any, app: Any, *, data: bool) -> None:
    h = resp.headers
    csp = h["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    scripts = directives["script-src"].split()
    assert "'self'" in scripts
    assert "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in scripts
    assert set(app.csp_hashes()) <= set(scripts)
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    if data:
        assert h["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in h  # plain HTTP here; see the TLS test


def test_security_headers_on_a_sample_of_routes(app: Any, analyst: Any, values: dict[str, Any]) -> None:
    key = key_with(app, "denials-trend.")
    samples = [
        (analyst.get("/denials"), True),
        (analyst.get("/_dash-layout"), True),
        (analyst.get("/_dash-dependencies"), True),
        (post_callback(analyst, callback_body(app, key, values)), True),
        (analyst.get("/export/deidentified/claims.csv"), True),
        (analyst.get("/_him/session"), True),
        (app.server.test_client().get("/login"), True),
        (app.server.test_client().get("/health"), True),
        (app.server.test_client().get("/_dash-layout"), True),
    ]
    for resp, data in samples:
        assert resp.status_code in (200, 401), resp.request.path
        _check_headers(resp, app, data=data)
    with app.server.test_client().get("/_favicon.ico") as icon:
        _check_headers(icon, app, data=False)
        assert icon.headers.get("Cache-Control") != "no-store"


def test_the_index_page_loads_the_session_script_before_dash(analyst: Any) -> None:
    page = analyst.get("/denials").get_data(as_text=True)
    assert page.index('src="/_him/session.js"') < page.index("dash_renderer")


def test_no_debug_mode_and_no_werkzeug_console(app: Any, analyst: Any) -> None:
    assert app.server.debug is False
    assert not app._dev_tools.ui
    assert not app._dev_tools.hot_reload
    console = analyst.get("/console")
    assert b"__debugger__" not in console.data
    assert b"Werkzeug" not in console.data
    assert analyst.get("/console?__debugger__=yes&cmd=resource&f=style.css").status_code in (200, 404)


def test_a_failing_callback_answers_without_a_traceback(
    sec_paths: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from dash import Input, Output

    fresh = make_app(sec_paths)
    add_users(fresh)

    message = "SELECT mrn FROM encounters WHERE name = '" + CANARY_NAME + "' /work/secret.py"

    def boom(n: Any) -> str:
        raise RuntimeError(message)  # the log shows this line of code, never the message's values

    fresh.callback(Output("shell-boom-out", "children"), Input("shell-boom", "n_clicks"))(boom)
    client = login(fresh, "t-analyst")
    key = next(k for k in fresh.callback_map if k.startswith("shell-boom-out."))
    with caplog.at_level("DEBUG"):
        resp = post_callback(client, callback_body(fresh, key, {"n_clicks": 1}))
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert set(resp.get_json()) == {"error", "reference"}
    for leak in ("Traceback", "SELECT", "Canary", "/work/", ".py"):
        assert leak not in body
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert resp.get_json()["reference"] in logged
    assert "Canary" not in logged
    assert "SELECT mrn" not in logged


def test_no_browser_storage_of_data_and_exports_are_attachments(app: Any, analyst: Any) -> None:
    import dash
    from dash import dcc

    from dashboard import shell

    def stores(node: Any) -> list[Any]:
        found = [node] if isinstance(node, dcc.Store) else []
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list | tuple) else [children] if children else []:
            if not isinstance(child, str | int | float):
                found += stores(child)
        return found

    layouts = [shell.layout()] + [p["layout"]() for p in dash.page_registry.values() if callable(p["layout"])]
    for layout in layouts:
        for store in stores(layout):
            assert getattr(store, "storage_type", "memory") == "memory", store.id
    export = analyst.get("/export/deidentified/encounters.csv")
    assert export.headers["Content-Disposition"].startswith("attachment;")
    assert export.headers["Cache-Control"] == "no-store"


def test_dependency_floor() -> None:
    major, minor = (int(x) for x in version("dash").split(".")[:2])
    assert (major, minor) >= (2, 15), "Dash >= 2.15 for CVE-2024-21485"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"dash>=2.15' in pyproject
    assert '"argon2-cffi>=' in pyproject


#: ``href=``/``src=`` values allowed in the dashboard's code: literals, and these builders (each builds
#: a local path from whitelisted parts; none copies a data value into a URL unchecked).
HREF_BUILDERS = {
    "state.href",
    "card_href",
    "exports.export_href",
    "exports.limited_href",  # the Explorer's limited data set: the view, the grid models, a checked DUA
    "exports.operational_href",  # the Operations work list: its filters, fixed grid models, a purpose
}
HREF_EXPRESSIONS = {
    "page['relative_path']",  # Dash's page registry: paths the app registered itself
    "href",  # kpi_card's parameter: its callers pass card_href(...)
    "sparkline",  # kpi_card's parameter: a data:image/svg+xml URI made by charts.sparkline from numbers
}


def test_no_link_is_built_from_data_values() -> None:
    offenders = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        if "security" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.keyword) or node.arg not in ("href", "src"):
                continue
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                continue
            if isinstance(value, ast.Call) and ast.unparse(value.func) in HREF_BUILDERS:
                continue
            if ast.unparse(value) in HREF_EXPRESSIONS:
                continue
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.arg}={ast.unparse(value)}")
    assert offenders == [], "links built from values without an allowlisted builder:\n" + "\n".join(offenders)


def test_no_background_callbacks(app: Any) -> None:
    assert not any(cb.get("background") for cb in app.callback_map.values())


def test_request_size_limit(app: Any, analyst: Any) -> None:
    big = {
        "output": "denials-trend.figure",
        "inputs": [{"id": "x", "property": "y", "value": "a" * (2 << 20)}],
    }
    assert post_callback(analyst, big).status_code == 413
    assert app.server.test_client().post("/login", data={"username": "a" * (2 << 20)}).status_code == 413
