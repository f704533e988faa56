"""S6 (CSRF, cookies), S7 (session lifetime), S8 (authentication strength, first-run admin)."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import pytest
from sec_helpers import (
    USERS,
    add_users,
    audit_seq,
    callback_body,
    csrf_of,
    key_with,
    last_entries,
    login,
    make_app,
    post_callback,
)

from warehouse import users
from warehouse.paths import WarehousePaths


def _figure_body(app: Any, values: dict[str, Any]) -> dict[str, Any]:
    key = key_with(app, "denials-summary.")
    return callback_body(app, key, values)


# -- S6 ----------------------------------------------------------------------------------------------


def test_callbacks_accept_same_origin_json_only(app: Any, values: dict[str, Any]) -> None:
    client = login(app, "t-analyst")
    body = _figure_body(app, values)
    import json

    raw = json.dumps(body)
    assert client.post("/_dash-update-component", data=raw, content_type="text/plain").status_code == 415
    assert client.post("/_dash-update-component", data={"payload": raw}).status_code == 415
    foreign = post_callback(client, body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert b"response" not in foreign.data
    cross_site = post_callback(client, body, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    same = post_callback(client, body, headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert client.post("/_dash-update-component?cacheKey=x&job=1", json=body).status_code == 400  # S17


def test_login_form_has_a_csrf_token_and_checks_it(app: Any) -> None:
    client = app.server.test_client()
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    assert len(token) >= 32
    assert "HttpOnly" in page.headers["Set-Cookie"]
    name, (_, _, password) = "t-analyst", USERS["t-analyst"]
    no_token = client.post("/login", data={"username": name, "password": password})
    assert no_token.status_code == 400
    foreign = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert client.post("/login", json={"username": name, "password": password}).status_code == 415


def test_session_cookie_attributes(app: Any) -> None:
    client = app.server.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login", data={"username": "t-manager", "password": USERS["t-manager"][2], "csrf_token": token}
    )
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("him_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Expires" not in cookie
    assert "Max-Age" not in cookie


def test_tls_mode_cookies_are_secure_and_host_only(sec_paths: WarehousePaths) -> None:
    tls_app = make_app(sec_paths, tls=True)
    add_users(tls_app)
    client = tls_app.server.test_client()
    page = client.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_of(page.get_data(as_text=True))
    resp = client.post(
        "/login",
        base_url="https://localhost",
        headers={"Origin": "https://localhost"},
        data={"username": "t-analyst", "password": USERS["t-analyst"][2], "csrf_token": token},
    )
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if "him_session=" in c)
    assert cookie.startswith("__Host-him_session=")
    assert "Secure" in cookie
    assert "Domain" not in cookie


# -- S7 ----------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(users, "clock", c)
    return c


@pytest.fixture(scope="module")
def short_app(sec_paths: WarehousePaths) -> Any:
    """An app with a 60 s idle timeout, a 300 s absolute lifetime and an Interval-driven callback."""
    from dash import Input, Output

    application = make_app(sec_paths, idle_seconds=60, absolute_seconds=300)
    add_users(application)
    application.callback(Output("shell-tick-out", "children"), Input("shell-tick", "n_intervals"))(
        lambda n: f"tick {n}"
    )
    application.server.test_client().get("/login")
    return application


def _tick(app: Any) -> dict[str, Any]:
    key = next(k for k in app.callback_map if k.startswith("shell-tick-out."))
    return callback_body(app, key, {"n_intervals": 3}, changed=["shell-tick.n_intervals"])


def test_idle_timeout_and_interval_ticks(short_app: Any, clock: Clock, values: dict[str, Any]) -> None:
    client = login(short_app, "t-analyst")
    body = _figure_body(short_app, values)
    clock.now += 40
    assert post_callback(client, _tick(short_app)).status_code == 200  # served, but not activity
    clock.now += 30  # 70 s since the last real activity
    assert post_callback(client, body).status_code == 401
    page = client.get("/denials")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")


def test_real_activity_extends_the_session_until_its_absolute_end(
    short_app: Any, clock: Clock, values: dict[str, Any]
) -> None:
    client = login(short_app, "t-analyst")
    body = _figure_body(short_app, values)
    for _ in range(5):
        clock.now += 50
        assert post_callback(client, body).status_code == 200
    clock.now += 55  # 305 s after login, 55 s after the last activity
    assert post_callback(client, body).status_code == 401


def test_session_status_poll_is_not_activity(short_app: Any, clock: Clock) -> None:
    client = login(short_app, "t-analyst")
    clock.now += 45
    status = client.get("/_him/session")
    assert status.status_code == 200
    assert 14 <= status.get_json()["idle_remaining"] <= 15
    clock.now += 20
    assert client.get("/_him/session").status_code == 401


def test_logout_invalidates_the_session_on_the_server(app: Any, values: dict[str, Any]) -> None:
    client = login(app, "t-manager")
    cookie = client.get_cookie("him_session").value
    body = _figure_body(app, values)
    assert post_callback(client, body).status_code == 200
    out = client.get("/logout")
    assert out.status_code == 303
    assert out.headers["Location"] == "/login?logged_out=1"
    assert out.headers["Clear-Site-Data"] == '"cache", "storage"'
    replay = app.server.test_client()
    replay.set_cookie("him_session", cookie)
    assert post_callback(replay, body).status_code == 401


def test_logout_from_another_site_asks_first(app: Any) -> None:
    client = login(app, "t-manager")
    ask = client.get("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert ask.status_code == 200
    assert b"logout-form" in ask.data
    assert client.get("/_him/session").status_code == 200
    token = csrf_of(ask.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/_him/session").status_code == 401


def test_disabling_a_user_ends_their_live_session(app: Any, sec: Any, values: dict[str, Any]) -> None:
    sec.store.add("t-temp", ["analyst"], password="Sturdy-Battery-Temp-7")
    try:
        client = login(app, "t-temp", "Sturdy-Battery-Temp-7")
        body = _figure_body(app, values)
        assert post_callback(client, body).status_code == 200
        sec.store.disable("t-temp")
        assert post_callback(client, body).status_code == 401
        login(app, "t-temp", "Sturdy-Battery-Temp-7", expect=401)
    finally:
        sec.store.disable("t-temp")


# -- S8 ----------------------------------------------------------------------------------------------


def test_stored_hashes_are_argon2id_at_the_owasp_floor(sec: Any) -> None:
    digest = sec.store.password_hash("t-analyst")
    m = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", digest)
    assert m
    assert int(m.group(1)) >= 19456
    assert int(m.group(2)) >= 2
    raw = sec.store.path.read_bytes()
    for _name, (_, _, password) in USERS.items():
        assert password.encode() not in raw
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_ARGON2_MEMORY_KIB", "4096")
        with pytest.raises(Exception, match="OWASP"):
            users.password_hasher()


def _attempt(client: Any, name: str, password: str) -> tuple[int, str, float]:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    start = time.perf_counter()
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    took = time.perf_counter() - start
    return resp.status_code, resp.get_data(as_text=True), took


def test_unknown_user_and_wrong_password_look_the_same(app: Any, sec: Any) -> None:
    sec.store.add("t-timing", ["analyst"], password="Sturdy-Battery-Timing-8")
    client = app.server.test_client()
    unknown, wrong = [], []
    for i in range(4):  # under the lock-out threshold
        unknown.append(_attempt(client, f"t-nobody-{i}", "Wrong-Password-1234"))
        wrong.append(_attempt(client, "t-timing", f"Wrong-Password-123{i}"))
    assert {u[0] for u in unknown} == {w[0] for w in wrong} == {401}
    assert unknown[0][1].replace("t-nobody-0", "NAME") == wrong[0][1].replace("t-timing", "NAME")
    t_unknown, t_wrong = statistics.median(u[2] for u in unknown), statistics.median(w[2] for w in wrong)
    assert 0.5 < t_unknown / t_wrong < 2.0, (t_unknown, t_wrong)


def test_lockout_after_repeated_failures(app: Any, sec: Any) -> None:
    sec.store.add("t-locked", ["analyst"], password="Sturdy-Battery-Locked-9")
    client = app.server.test_client()
    start = audit_seq(sec)
    statuses = [_attempt(client, "t-locked", "Not-The-Password-0")[0] for _ in range(users.LOCK_AFTER)]
    assert statuses == [401] * users.LOCK_AFTER
    assert _attempt(client, "t-locked", "Sturdy-Battery-Locked-9")[0] == 429  # right password, still locked
    assert _attempt(client, "t-unknown-x", "whatever-password")[0] == 401
    for _ in range(users.LOCK_AFTER):
        _attempt(client, "t-unknown-y", "whatever-password")
    assert _attempt(client, "t-unknown-y", "whatever-password")[0] == 429  # unknown names lock the same way
    failed = [e for e in last_entries(sec, start) if e["action"] == "failed_login"]
    assert len(failed) >= users.LOCK_AFTER
    assert "Not-The-Password" not in str(failed)
    sec.store.reset_password("t-locked", "Sturdy-Battery-Locked-9b")
    login(app, "t-locked", "Sturdy-Battery-Locked-9b")


def test_first_start_creates_an_admin_who_must_change_the_password(
    tmp_path: Any, sec_paths: WarehousePaths, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    pointer = fresh_dir / "him.duckdb"
    pointer.symlink_to(sec_paths.pointer.resolve())
    paths = WarehousePaths(pointer)
    fresh = make_app(paths, create_first_admin=True)
    client = fresh.server.test_client()
    client.get("/login")
    out = capsys.readouterr().err
    password = re.search(r"one-time password (\S+)", out).group(1)  # type: ignore[union-attr]
    assert "admin" in out
    second = users.UserStore(users.store_path(paths)).ensure_first_admin()
    assert second is None  # printed once: a second start creates nothing
    client = login(fresh, "admin", password)
    assert client.get("/admin/users").headers["Location"] == "/account/password"
    assert client.get("/_dash-layout").status_code == 403
    page = client.get("/account/password")
    token = csrf_of(page.get_data(as_text=True))
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": password,
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert weak.status_code == 400
    done = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": password,
            "new_password": "A-much-better-Passphrase-42",
            "confirm_password": "A-much-better-Passphrase-42",
        },
    )
    assert done.status_code == 303
    assert done.headers["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
    login(fresh, "admin", password, expect=401)
