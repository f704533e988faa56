"""The user store, ``him users …``, and the admin pages (users, audit log)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sec_helpers import audit_seq, csrf_of, last_entries, login

from warehouse import audit, users
from warehouse.cli import main as him
from warehouse.paths import WarehousePaths


@pytest.fixture
def store(tmp_path: Path) -> users.UserStore:
    return users.UserStore(tmp_path / "him.duckdb.auth.sqlite")


def test_add_list_disable_reset(store: users.UserStore) -> None:
    user, generated = store.add("dana", ["manager", "leadership", "manager"], ["FAC02"])
    assert user.roles == ("leadership", "manager")
    assert user.facilities == ("FAC02",)
    assert user.must_change
    assert generated
    assert len(generated) == 20
    assert store.authenticate("dana", generated).ok
    assert [u.name for u in store.users()] == ["dana"]
    store.disable("dana")
    assert not store.authenticate("dana", generated).ok
    store.disable("dana", disabled=False)
    new = store.reset_password("dana")
    assert new
    assert not store.authenticate("dana", generated).ok
    assert store.authenticate("dana", new).ok
    with pytest.raises(users.AuthError, match="already exists"):
        store.add("dana", ["analyst"])


@pytest.mark.parametrize(
    ("name", "roles", "facilities", "password", "message"),
    [
        ("Bad Name", ["analyst"], [], None, "not accepted"),
        ("eve", ["superuser"], [], None, "not one of"),
        ("eve", [], [], None, "at least one role"),
        ("eve", ["analyst"], ["FAC 1;drop"], None, "not a facility"),
        ("eve", ["analyst"], [], "short", "at least 12"),
        ("eve", ["analyst"], [], "eve-is-my-password", "user name"),
        ("eve", ["analyst"], [], "password1234", "too easy"),
    ],
)
def test_bad_input_is_refused(
    store: users.UserStore,
    name: str,
    roles: list[str],
    facilities: list[str],
    password: str | None,
    message: str,
) -> None:
    with pytest.raises(users.AuthError, match=message):
        store.add(name, roles, facilities, password=password)


def test_first_admin_is_created_once(store: users.UserStore) -> None:
    password = store.ensure_first_admin()
    assert password
    assert store.ensure_first_admin() is None
    admin = store.get("admin")
    assert admin is not None
    assert admin.roles == ("admin",)
    assert admin.must_change


def test_demo_accounts(store: users.UserStore) -> None:
    made = store.ensure_demo_accounts()
    assert {roles[0] for _, roles, _ in made} == set(users.ROLES)
    for name, _, password in made:
        assert store.authenticate(name, password).ok
    assert store.ensure_demo_accounts() == made


def test_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    paths = WarehousePaths(tmp_path / "him.duckdb")
    wh = ["--warehouse", str(paths.pointer)]
    assert him(["users", "add", "fay", "--role", "analyst", "--facility", "FAC01", *wh]) == 0
    out = capsys.readouterr().out
    one_time = re.search(r"one-time password \(shown once; must be changed at first login\): (\S+)", out)
    assert one_time
    monkeypatch.setattr("sys.stdin", io.StringIO("Correct-Horse-Battery-9\n"))
    assert (
        him(["users", "add", "gus", "--role", "manager", "--role", "leadership", "--password-stdin", *wh])
        == 0
    )
    assert him(["users", "list", *wh]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"fay\s+analyst\s+FAC01\s+must change", listing)
    assert re.search(r"gus\s+leadership,manager\s+all\s+active", listing)
    assert him(["users", "disable", "gus", *wh]) == 0
    assert him(["users", "reset-password", "fay", *wh]) == 0
    assert "one-time password for fay" in capsys.readouterr().out
    assert him(["users", "add", "hal", "--role", "wizard", *wh]) == 2
    assert "not one of" in capsys.readouterr().err
    assert him(["users", "disable", "nobody", *wh]) == 2
    store = users.open_store(paths)
    assert store.get("gus").disabled  # type: ignore[union-attr]
    assert store.authenticate("gus", "Correct-Horse-Battery-9").reason == "invalid"
    changes = [e for e in audit.AuditLog(audit.log_path(paths)).entries() if e["action"] == "user_change"]
    assert [e["detail"]["change"] for e in changes] == ["add", "add", "disable", "reset_password"]
    assert all(e["user"].startswith("cli:") for e in changes)
    assert "Correct-Horse" not in audit.log_path(paths).read_text()


def test_admin_pages(app: Any, sec: Any) -> None:
    admin = login(app, "t-admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    token = csrf_of(page.get_data(as_text=True))
    start = audit_seq(sec)
    added = admin.post(
        "/admin/users",
        data={"csrf_token": token, "name": "t-web", "role": ["analyst", "leadership"], "facilities": "FAC03"},
    )
    assert added.status_code == 200
    password = re.search(r"<code>(\S+)</code>", added.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert sec.store.get("t-web").facilities == ("FAC03",)  # type: ignore[union-attr]
    assert admin.post("/admin/users", data={"name": "t-x", "role": "analyst"}).status_code == 400  # no token
    assert (
        admin.post("/admin/users/t-web", data={"csrf_token": token, "action": "disable"}).status_code == 200
    )
    assert sec.store.get("t-web").disabled  # type: ignore[union-attr]
    own = admin.post("/admin/users/t-admin", data={"csrf_token": token, "action": "disable"})
    assert own.status_code == 400
    changes = [e for e in last_entries(sec, start) if e["action"] == "user_change"]
    assert [(e["target"], e["detail"]["change"]) for e in changes] == [("t-web", "add"), ("t-web", "disable")]
    assert password not in sec.audit.path.read_text()
    audit_page = admin.get("/admin/audit?action=user_change")
    assert audit_page.status_code == 200
    assert b"Hash chain intact" in audit_page.data
    assert b"t-web" in audit_page.data
    exported = admin.get("/admin/audit.csv?action=user_change")
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    assert exported.get_data(as_text=True).startswith("seq,time,user,action")
    assert [e for e in last_entries(sec, start) if e["action"] == "export"][-1]["detail"]["kind"] == "audit"
    analyst = login(app, "t-analyst")
    assert analyst.get("/admin/users").status_code == 403
    assert analyst.get("/admin/audit.csv").status_code == 403


def test_the_testing_helper_logs_in(app: Any) -> None:
    from dashboard.security.testing import logged_in_client

    client = logged_in_client(app, roles=("leadership",))
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/explorer").status_code == 302


def test_announce_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from warehouse.cli_users import announce_accounts

    paths = WarehousePaths(tmp_path / "him.duckdb")
    announce_accounts(paths)
    assert "one-time password" in capsys.readouterr().out
    announce_accounts(paths)
    assert capsys.readouterr().out == ""
    announce_accounts(paths, demo=True)
    out = capsys.readouterr().out
    assert "demo-analyst-pw" in out
    assert "demo-admin-pw" not in out  # 'admin' is the real first admin here, not a demo account
