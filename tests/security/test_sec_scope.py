"""S3, S13: a user limited to some facilities never gets another facility's rows through any page,
callback, cache or export, whatever the inputs say; two users with the same filters and different
scopes get different answers, in any order."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sec_helpers import callback_body, filter_store, key_with, login, post_callback, response_values

from dashboard.security import OutOfScope, Scope, intersect_facilities, scoped_filters
from warehouse.filters import Filters

RESTRICTED = "t-analyst-fac01"
ALLOWED = {"FAC01"}


@pytest.fixture(scope="module")
def restricted(app: Any) -> Any:
    return login(app, RESTRICTED)


@pytest.fixture(scope="module")
def unrestricted(app: Any) -> Any:
    return login(app, "t-analyst")


def rows_key(app: Any) -> str:
    return next(k for k in app.callback_map if "getRowsResponse" in k)


def grid_rows(app: Any, client: Any, store: dict[str, str], grid: dict[str, Any] | None = None) -> Any:
    grid = grid or {"startRow": 0, "endRow": 1000, "sortModel": [], "filterModel": {}}
    resp = post_callback(
        client, callback_body(app, rows_key(app), {"shell-filters.data": store, "getRowsRequest": grid})
    )
    if resp.status_code != 200:
        return resp.status_code, []
    value = next(iter(response_values(resp).values()))["getRowsResponse"]
    return 200, value["rowData"]


def test_intersection_rules() -> None:
    assert intersect_facilities((), ("FAC01",)) == ("FAC01",)
    assert intersect_facilities(("FAC01", "FAC02"), ("FAC01",)) == ("FAC01",)
    assert intersect_facilities(("FAC02",), ()) == ("FAC02",)
    with pytest.raises(OutOfScope):
        intersect_facilities(("FAC02",), ("FAC01",))
    scope = Scope("u", frozenset({"analyst"}), ("FAC01",))
    assert scoped_filters(Filters(), scope).facility == ("FAC01",)
    assert scoped_filters(Filters(facility=("FAC01",)), None) == Filters(facility=("FAC01",))


@pytest.mark.parametrize("table", ["encounters", "diagnoses", "claims", "coding_activity", "coding_audits"])
def test_explorer_rows_stay_inside_the_scope(app: Any, context: Any, restricted: Any, table: str) -> None:
    status, rows = grid_rows(app, restricted, filter_store(context, f"?table={table}"))
    assert status == 200
    assert rows
    assert {r["facility_id"] for r in rows} == ALLOWED


def test_asking_for_another_facility_is_refused_and_two_are_clamped(
    app: Any, context: Any, restricted: Any
) -> None:
    status, rows = grid_rows(app, restricted, filter_store(context, "?facility=FAC02"))
    assert status == 403
    assert rows == []
    status, rows = grid_rows(app, restricted, filter_store(context, "?facility=FAC02&facility=FAC01"))
    assert status == 200
    assert {r["facility_id"] for r in rows} == ALLOWED
    _, grid_filtered = grid_rows(
        app,
        restricted,
        filter_store(context, ""),
        {
            "startRow": 0,
            "endRow": 100,
            "sortModel": [],
            "filterModel": {"facility_id": {"filterType": "text", "type": "equals", "filter": "FAC02"}},
        },
    )
    assert grid_filtered == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    facilities=st.lists(st.sampled_from(["FAC01", "FAC02", "FAC03", "FAC9", "' OR 1=1--"]), max_size=3),
    table=st.sampled_from(["encounters", "claims", "procedures"]),
    start=st.integers(min_value=-5, max_value=10**9),
    size=st.integers(min_value=-10, max_value=10**9),
    dates=st.sampled_from(["", "&from=1900-01-01&to=2100-12-31", "&from=2024-01-01&to=2024-03-31"]),
)
def test_fuzzed_inputs_never_leave_the_scope(
    app: Any,
    context: Any,
    restricted: Any,
    facilities: list[str],
    table: str,
    start: int,
    size: int,
    dates: str,
) -> None:
    search = f"?table={table}" + "".join(f"&facility={f}" for f in facilities) + dates
    grid = {"startRow": start, "endRow": start + size, "sortModel": [], "filterModel": {}}
    status, rows = grid_rows(app, restricted, filter_store(context, search), grid)
    assert status in (200, 403)
    assert len(rows) <= 1000
    assert {r["facility_id"] for r in rows} <= ALLOWED


def _figure_key(app: Any) -> str:
    return key_with(app, "demographics-trend.")


def test_same_filters_different_scopes_different_answers(
    app: Any, store_value: Any, restricted: Any, unrestricted: Any
) -> None:
    key = _figure_key(app)
    body = callback_body(app, key, {"shell-filters.data": store_value})
    answers = []
    for client in (unrestricted, restricted, unrestricted, restricted):
        resp = post_callback(client, body)
        assert resp.status_code == 200
        answers.append(json.dumps(response_values(resp), sort_keys=True))
    assert answers[0] == answers[2]
    assert answers[1] == answers[3]
    assert answers[0] != answers[1]
    _, everyone = grid_rows(app, unrestricted, store_value)
    assert {r["facility_id"] for r in everyone} > ALLOWED


def test_the_filter_bar_offers_only_the_users_facilities(
    app: Any, restricted: Any, unrestricted: Any
) -> None:
    def facility_options(client: Any) -> set[str]:
        layout = client.get("/_dash-layout").get_json()
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                props = node.get("props", {})
                if props.get("id") == "shell-filter-facility":
                    found.update(o["value"] for o in props.get("options", []))
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(layout)
        return found

    assert facility_options(restricted) == ALLOWED
    assert facility_options(unrestricted) >= {"FAC01", "FAC02", "FAC03"}


def _csv_rows(resp: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def test_exports_stay_inside_the_scope(restricted: Any) -> None:
    resp = restricted.get("/export/deidentified/encounters.csv?from=2020-01-01&to=2030-12-31")
    assert resp.status_code == 200
    rows = _csv_rows(resp)
    assert rows
    assert {r["facility_id"] for r in rows} == ALLOWED
    assert restricted.get("/export/deidentified/encounters.csv?facility=FAC02").status_code == 403
    legacy = restricted.get("/export/explorer.csv?table=claims&facility=FAC01")
    assert legacy.status_code == 302
    assert legacy.headers["Location"].startswith("/export/deidentified/claims.csv?")


def test_data_covering_all_facilities_is_refused_to_restricted_users(
    app: Any, values: dict[str, Any], restricted: Any
) -> None:
    key = key_with(app, "data-quality-reject-rules.")
    assert post_callback(restricted, callback_body(app, key, values)).status_code == 403
    assert restricted.get("/data-quality").status_code == 302
