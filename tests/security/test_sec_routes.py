"""S1: every route of the Flask url_map, Dash's own included, is closed without a session, except an
explicit allow-list; a route added without a declared policy is refused and fails this test."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sec_helpers import login, make_app

#: Rules that answer without a session, and why.
ALLOWLIST = {
    "/login": "the login form",
    "/logout": "ends a session if there is one",
    "/health": "load balancer probe; says ok/unavailable only",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": "Dash's JavaScript bundles",
    "/_favicon.ico": "the icon",
    "/assets/<path:filename>": "the app's CSS (styles the login page)",
    "/_him/session.js": "the session-expiry script",
    "/_him/clear.js": "clears browser storage on the login page",
}
SAMPLES = {
    "path": "denials",
    "package_name": "dash",
    "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
    "filename": "02_him.css",
    "fmt": "csv",
    "kind": "deidentified",
    "table": "encounters",
    "name": "t-analyst",
}


def url_of(rule: Any) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES.get(m.group(1), "x"), rule.rule)


def test_every_route_has_a_declared_policy(app: Any, sec: Any) -> None:
    assert sec.undeclared_routes() == []
    rules = {r.rule for r in app.server.url_map.iter_rules()}
    assert {
        "/_dash-layout",
        "/_dash-dependencies",
        "/_dash-update-component",
        "/_reload-hash",
        "/",
        "/<path:path>",
        "/export/explorer.<fmt>",
    } <= rules


def test_unauthenticated_requests_are_refused_everywhere_but_the_allowlist(app: Any) -> None:
    client = app.server.test_client()
    checked = 0
    for rule in app.server.url_map.iter_rules():
        url = url_of(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method, json={} if method == "POST" else None)
            resp.close()
            if rule.rule in ALLOWLIST:
                assert resp.status_code < 500, (rule.rule, method, resp.status_code)
                continue
            checked += 1
            assert resp.status_code in (401, 302, 404), (rule.rule, method, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/login"), rule.rule
            if resp.status_code == 404:  # development routes are denied to everyone
                assert rule.rule in ("/_reload-hash", "/static/<path:filename>"), rule.rule
            assert b"rowData" not in resp.data
            assert b'"figure"' not in resp.data
    assert checked >= 12


def test_the_allowlist_answers_without_a_session(app: Any) -> None:
    client = app.server.test_client()
    assert client.get("/login").status_code == 200
    with client.get("/_favicon.ico") as icon:
        assert icon.status_code == 200
    assert client.get("/_him/session.js").status_code == 200
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json()["status"] == "ok"
    index = client.get("/login")
    assert b'name="username"' in index.data
    assert b'name="password"' in index.data


def test_pages_and_api_answer_302_and_401(app: Any) -> None:
    client = app.server.test_client()
    page = client.get("/denials?payer=Aetna")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fdenials%3Fpayer%3DAetna"
    for url in ("/_dash-layout", "/_dash-dependencies", "/export/deidentified/encounters.csv"):
        assert client.get(url).status_code == 401, url
    assert client.post("/_dash-update-component", json={"output": "x.y"}).status_code == 401


def test_development_routes_are_denied_even_to_logged_in_users(app: Any) -> None:
    client = login(app, "t-analyst")
    assert client.get("/_reload-hash").status_code == 404


def test_a_route_added_without_a_policy_is_refused_and_reported(sec_paths: Any) -> None:
    fresh = make_app(sec_paths)
    from dashboard.security import installed

    sec = installed(fresh)
    fresh.server.add_url_rule("/debug/dump", "dump", lambda: "secret rows", methods=["GET"])
    assert sec.undeclared_routes() == ["/debug/dump"]
    resp = fresh.server.test_client().get("/debug/dump")
    assert resp.status_code == 403
    assert b"secret rows" not in resp.data


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "/logout"])
def test_login_never_redirects_off_site(app: Any, target: str) -> None:
    from sec_helpers import USERS, csrf_of

    client = app.server.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login",
        data={
            "username": "t-analyst",
            "password": USERS["t-analyst"][2],
            "csrf_token": token,
            "next": target,
        },
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/")
    assert not resp.headers["Location"].startswith("//")
    assert "evil" not in resp.headers["Location"]
