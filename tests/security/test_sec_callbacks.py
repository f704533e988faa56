"""S2: role escalation by crafted callbacks. Every callback of ``app.callback_map`` is posted directly,
as an attacker would, by every role: allowed or refused exactly as the declared policy says, each
refusal audited, and nothing but the refusal in a refused answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sec_helpers import (
    ROLE_USERS,
    USERS,
    audit_seq,
    callback_body,
    expected_allowed,
    key_with,
    last_entries,
    login,
    post_callback,
    response_values,
)

from dashboard.security import policy


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, Any]:
    return {name: login(app, name) for name in ROLE_USERS}


def test_every_callback_has_a_declared_policy(app: Any) -> None:
    undeclared = []
    for key in app.callback_map:
        outputs = policy.parse_output_key(key)
        if any(o.key in (policy.PAGES_CONTENT, policy.PAGES_STORE) for o in outputs):
            continue  # decided per page
        if "callback" not in app.callback_map[key]:
            continue  # clientside: never run on the server (posting it is refused)
        if policy.callback_rule(key) is None:
            undeclared.append(key)
    assert undeclared == [], "callbacks without a policy (refused to everyone): " + ", ".join(undeclared)
    assert any(policy.PAGES_CONTENT in k for k in app.callback_map), "the pages router is set up"


def test_role_by_callback_matrix(app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]) -> None:
    start = audit_seq(sec)
    refusals: list[tuple[str, str]] = []
    allowed_counts = dict.fromkeys(ROLE_USERS, 0)
    quick = {**values, "n_clicks": None}  # chart CSV buttons not clicked: see the aggregate export test
    for key in sorted(app.callback_map):
        body = callback_body(app, key, quick)
        for user in ROLE_USERS:
            resp = post_callback(clients[user], body)
            if "callback" in app.callback_map[key] and expected_allowed(key, user):
                assert resp.status_code in (200, 204), (user, key, resp.status_code, resp.data[:200])
                allowed_counts[user] += 1
            else:
                assert resp.status_code == 403, (user, key, resp.status_code, resp.data[:200])
                assert set(resp.get_json()) == {"error", "reason"}, (user, key)
                assert b"response" not in resp.data
                refusals.append((user, key))
    logged = [(e["user"], e["target"]) for e in last_entries(sec, start) if e["action"] == "refused"]
    assert len(logged) == len(refusals)
    assert {u for u, _ in logged} == {u for u, _ in refusals}
    assert allowed_counts["t-admin"] == 0, "admin alone sees no patient data"
    assert allowed_counts["t-leader"] < allowed_counts["t-manager"] <= allowed_counts["t-analyst"] + 20
    assert 0 < allowed_counts["t-analyst-fac01"] < allowed_counts["t-analyst"]


def _explorer_rows_key(app: Any) -> str:
    return next(k for k in app.callback_map if "getRowsResponse" in k)


def test_leadership_cannot_read_explorer_rows(
    app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    key = _explorer_rows_key(app)
    start = audit_seq(sec)
    resp = post_callback(clients["t-leader"], callback_body(app, key, values))
    assert resp.status_code == 403
    assert b"rowData" not in resp.data
    assert b"encounter" not in resp.data
    refused = [e for e in last_entries(sec, start) if e["action"] == "refused"]
    assert refused
    assert refused[-1]["user"] == "t-leader"
    assert "explorer-grid" in refused[-1]["target"]
    ok = post_callback(clients["t-analyst"], callback_body(app, key, values))
    rows = next(iter(response_values(ok).values()))["getRowsResponse"]["rowData"]
    assert ok.status_code == 200
    assert len(rows) == 100
    assert "patient_key" not in rows[0]


def test_leadership_gets_no_coder_level_figures(
    app: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    for key in app.callback_map:
        if "coding-charts-per-hour" in key or "coding-coder-table" in key:
            assert post_callback(clients["t-leader"], callback_body(app, key, values)).status_code == 403
            assert post_callback(clients["t-manager"], callback_body(app, key, values)).status_code in (
                200,
                204,
            )


def _router_key(app: Any) -> str:
    return next(k for k in app.callback_map if policy.PAGES_CONTENT in k)


@pytest.mark.parametrize(
    ("pathname", "leader", "analyst"),
    [
        ("/explorer", 403, 200),
        ("/", 200, 200),
        ("/data-quality", 403, 200),
        ("/nowhere", 200, 200),
    ],
)
def test_a_forged_pathname_decides_nothing_by_itself(
    app: Any, clients: dict[str, Any], values: dict[str, Any], pathname: str, leader: int, analyst: int
) -> None:
    body = callback_body(app, _router_key(app), {**values, "pathname": pathname})
    assert post_callback(clients["t-leader"], body).status_code == leader
    assert post_callback(clients["t-analyst"], body).status_code == analyst


def test_page_views_are_audited(app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]) -> None:
    start = audit_seq(sec)
    body = callback_body(app, _router_key(app), {**values, "pathname": "/denials"})
    assert post_callback(clients["t-manager"], body).status_code == 200
    views = [e for e in last_entries(sec, start) if e["action"] == "page_view"]
    assert views
    assert views[-1]["target"] == "/denials"
    assert views[-1]["user"] == "t-manager"


def test_a_body_that_does_not_match_its_declaration_is_refused(
    app: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    key = key_with(app, "denials-trend.")
    body = callback_body(app, key, values)
    forged = json.loads(json.dumps(body))
    forged["inputs"][0]["id"] = "shell-context"  # the store passed under another id
    assert post_callback(clients["t-analyst"], forged).status_code == 400
    forged = json.loads(json.dumps(body))
    forged["outputs"] = {"id": "explorer-count", "property": "children"}
    assert post_callback(clients["t-analyst"], forged).status_code == 400
    unknown = {**body, "output": "secret-rows.children"}
    assert post_callback(clients["t-analyst"], unknown).status_code == 403


def test_allowed_callbacks_are_audited_with_filters_and_rows(
    app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    key = _explorer_rows_key(app)
    start = audit_seq(sec)
    assert post_callback(clients["t-analyst"], callback_body(app, key, values)).status_code == 200
    entry = [e for e in last_entries(sec, start) if e["action"] == "query"][-1]
    assert entry["user"] == "t-analyst"
    assert entry["rows"] == 100
    assert entry["detail"] == {"row_level": True}
    assert "date_from" in entry["filters"]
    assert entry["ip"] == "127.0.0.1"


def test_users_without_data_roles_and_disabled_users(app: Any) -> None:
    admin = login(app, "t-admin")
    assert admin.get("/_dash-layout").status_code == 403
    assert admin.get("/").headers["Location"] == "/admin/users"
    assert admin.get("/admin/users").status_code == 200
    login(app, "t-former", expect=401)
    assert USERS["t-former"][0] == ("analyst",)


def test_chart_csv_downloads_are_aggregate_exports(
    app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    key = next(k for k in app.callback_map if '"chart":"denials-trend","type":"chart-download"' in k)
    body = callback_body(app, key, values)
    start = audit_seq(sec)
    resp = post_callback(clients["t-manager"], body)
    download = next(iter(response_values(resp).values()))["data"]
    assert download["filename"] == "denials-trend.csv"
    assert download["content"].count("\n") > 1
    entry = [e for e in last_entries(sec, start) if e["action"] == "export"][-1]
    assert entry["detail"] == {"kind": "aggregate", "format": "csv"}
    assert entry["rows"] == download["content"].count("\n") - 1
    # Chart CSVs come from dashboard.data.run, which suppresses small cells for leadership.
    assert post_callback(clients["t-leader"], body).status_code == 200


def test_the_explorer_url_callback_is_role_checked_but_not_a_second_audit_entry(
    app: Any, sec: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    """A grid change fires the grid's rows request (audited) and the URL callback, which only writes the
    address from the grid's models: it must not add an audit entry of its own."""
    key = key_with(app, "explorer-url-search.")
    models = {"filterModel": {}, "sortModel": [{"colId": "encounter_id", "sort": "desc"}]}
    body = callback_body(app, key, {**values, "explorer-grid-models.data": models})
    start = audit_seq(sec)
    assert post_callback(clients["t-analyst"], body).status_code == 200
    assert [e for e in last_entries(sec, start) if e["action"] == "query"] == []
    assert post_callback(clients["t-leader"], body).status_code == 403
