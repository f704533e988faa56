"""S12: the links of the limited-data-set and operational exports (issue 6, exports of three kinds).

The Explorer (analysts) offers a limited data set once a data use agreement reference is typed in; the
Operations page's work list (managers) offers an operational export once a purpose is stated. Each link
carries the view it was made on, downloads exactly those rows, and is offered only to the role that
may use it: the control is not rendered for anyone else, its callback is refused, and so is the link.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sec_helpers import (
    audit_seq,
    callback_body,
    filter_store,
    last_entries,
    login,
    post_callback,
    response_values,
)

from dashboard import exports, ids
from warehouse.filters import Filters

DUA = "DUA-2026-014"
PURPOSE = "DNFB follow-up with the billing office"
#: A view with dashboard filters, a table and a URL column condition, for the Explorer's links.
SEARCH = "?from=2024-01-01&to=2025-12-31&facility=FAC01&table=encounters&col.patient_type=inpatient"
GRID = {
    "startRow": 0,
    "endRow": 100,
    "sortModel": [{"colId": "total_charges", "sort": "desc"}],
    "filterModel": {"total_charges": {"filterType": "number", "type": "greaterThan", "filter": 5000}},
}


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, Any]:
    return {name: login(app, name) for name in ("t-leader", "t-manager", "t-analyst")}


def _key(app: Any, output: str) -> str:
    return next(k for k in app.callback_map if f"{output}.href" in k)


def _rows(resp: Any) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def _limited_links(app: Any, client: Any, context: Any, dua: str | None) -> Any:
    body = callback_body(
        app,
        _key(app, ids.EXP_LDS_CSV),
        {
            f"{ids.EXP_LDS_DUA}.value": dua,
            "getRowsRequest": GRID,
            "shell-filters.data": filter_store(context, SEARCH),
        },
        changed=[f"{ids.EXP_LDS_DUA}.value"],
    )
    return post_callback(client, body)


def _operational_links(app: Any, client: Any, context: Any, purpose: str | None, search: str) -> Any:
    body = callback_body(
        app,
        _key(app, ids.OPS_OP_CSV),
        {f"{ids.OPS_OP_PURPOSE}.value": purpose, "shell-filters.data": filter_store(context, search)},
        changed=[f"{ids.OPS_OP_PURPOSE}.value"],
    )
    return post_callback(client, body)


def _page(app: Any, client: Any, values: dict[str, Any], pathname: str) -> str:
    from dashboard.security import policy

    key = next(k for k in app.callback_map if policy.PAGES_CONTENT in k)
    resp = post_callback(client, callback_body(app, key, {**values, "pathname": pathname}))
    assert resp.status_code == 200, resp.data[:200]
    return resp.get_data(as_text=True)


# -- the builders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dua", [None, "", "  ", "ab", "x" * 81, "DUA<script>", "-leading-dash"])
def test_no_limited_link_without_a_valid_dua_reference(dua: str | None) -> None:
    assert exports.limited_href("csv", SEARCH, GRID, dua) is None


def test_the_limited_link_carries_the_view_the_grid_and_the_reference() -> None:
    href = exports.limited_href("xlsx", SEARCH, GRID, f"  {DUA} ")
    assert href is not None
    url = urlsplit(href)
    assert url.path == "/export/limited/encounters.xlsx"
    query = parse_qs(url.query)
    assert query["from"] == ["2024-01-01"]
    assert query["to"] == ["2025-12-31"]
    assert query["facility"] == ["FAC01"]
    assert query["table"] == ["encounters"]
    assert query["col.patient_type"] == ["inpatient"]
    assert query["dua"] == [DUA]
    grid = json.loads(query["grid"][0])
    assert grid == {"sortModel": GRID["sortModel"], "filterModel": GRID["filterModel"]}  # no paging
    claims = exports.limited_href("parquet", "?table=claims&col.carc_code=45", None, DUA)
    assert claims is not None
    assert claims.startswith("/export/limited/claims.parquet?table=claims&col.carc_code=45&grid=")


@pytest.mark.parametrize("purpose", [None, "", "too short", "x" * 201])
def test_no_operational_link_without_a_stated_purpose(purpose: str | None) -> None:
    assert exports.operational_href("csv", Filters(), purpose) is None


def test_the_operational_link_carries_the_work_lists_filters_and_the_purpose() -> None:
    filters = Filters(
        date_from=dt.date(2025, 1, 1),
        date_to=dt.date(2025, 3, 31),
        as_of=dt.date(2025, 3, 31),
        bill_hold_days=4,
        facility=("FAC02",),
        payer=("Aetna",),
    )
    href = exports.operational_href("csv", filters, "  Work   list for the DNFB huddle ")
    assert href is not None
    url = urlsplit(href)
    assert url.path == "/export/operational/encounters.csv"
    query = parse_qs(url.query)
    assert "from" not in query  # the work list covers every earlier discharge, whatever the range
    assert query["to"] == ["2025-03-26"]  # discharged more than 4 days before 31 March
    assert query["as_of"] == ["2025-03-31"]
    assert query["facility"] == ["FAC02"]
    assert query["payer"] == ["Aetna"]
    assert query["purpose"] == ["Work list for the DNFB huddle"]
    assert json.loads(query["grid"][0]) == exports.WORK_LIST_GRID


# -- rendered only for those who may use them -------------------------------------------------------


def test_the_controls_are_rendered_only_for_the_role_that_may_use_them(
    app: Any, clients: dict[str, Any], values: dict[str, Any]
) -> None:
    assert ids.OPS_OP_PURPOSE in _page(app, clients["t-manager"], values, "/operations")
    assert ids.OPS_OP_PURPOSE not in _page(app, clients["t-leader"], values, "/operations")
    assert ids.OPS_OP_PURPOSE not in _page(app, clients["t-analyst"], values, "/operations")
    explorer = _page(app, clients["t-analyst"], values, "/explorer")
    assert ids.EXP_LDS_DUA in explorer
    assert ids.EXP_LDS_CSV in explorer


def test_the_link_callbacks_are_refused_to_other_roles(
    app: Any, context: Any, clients: dict[str, Any]
) -> None:
    for user in ("t-manager", "t-leader"):
        assert _limited_links(app, clients[user], context, DUA).status_code == 403, user
    for user in ("t-analyst", "t-leader"):
        assert _operational_links(app, clients[user], context, PURPOSE, "").status_code == 403, user


# -- the Explorer's limited data set ------------------------------------------------------------------


def test_limited_links_are_disabled_until_a_dua_is_typed(
    app: Any, context: Any, clients: dict[str, Any]
) -> None:
    resp = _limited_links(app, clients["t-analyst"], context, "ab")
    assert resp.status_code == 200
    out = response_values(resp)
    for link in (ids.EXP_LDS_CSV, ids.EXP_LDS_XLSX, ids.EXP_LDS_PARQUET):
        assert out[link]["href"] is None
        assert "disabled" in out[link]["className"].split()
    assert "data use agreement" in out[ids.EXP_LDS_HINT]["children"]


def test_the_limited_link_downloads_the_grids_rows_and_is_audited(
    app: Any, sec: Any, context: Any, clients: dict[str, Any]
) -> None:
    from dashboard import data
    from warehouse import explorer

    resp = _limited_links(app, clients["t-analyst"], context, DUA)
    assert resp.status_code == 200
    out = response_values(resp)
    hrefs = {link: out[link]["href"] for link in (ids.EXP_LDS_CSV, ids.EXP_LDS_XLSX, ids.EXP_LDS_PARQUET)}
    assert all("disabled" not in out[link]["className"].split() for link in hrefs)
    assert out[ids.EXP_LDS_HINT]["children"] == ""
    href = hrefs[ids.EXP_LDS_CSV]
    assert href.startswith("/export/limited/encounters.csv?")
    assert hrefs[ids.EXP_LDS_XLSX].startswith("/export/limited/encounters.xlsx?")
    assert hrefs[ids.EXP_LDS_PARQUET].startswith("/export/limited/encounters.parquet?")
    query = parse_qs(urlsplit(href).query)
    assert query["facility"] == ["FAC01"]
    assert query["col.patient_type"] == ["inpatient"]
    assert query["dua"] == [DUA]

    start = audit_seq(sec)
    rows = _rows(clients["t-analyst"].get(href))
    # What the grid shows for the same view, read directly.
    view = data.view(filter_store(context, SEARCH))
    request, _, _ = explorer.from_grid("encounters", view.filters, GRID, view.columns)
    expected = explorer.page(request, 0, 100_000)
    assert 0 < len(rows) == expected.height
    assert {r["facility_id"] for r in rows} == {"FAC01"}
    assert {r["patient_type"] for r in rows} == {"inpatient"}
    charges = [float(r["total_charges"]) for r in rows]
    assert min(charges) > 5000
    assert charges == sorted(charges, reverse=True)  # the grid's sort

    def key(admit: Any, discharge: Any, charge: Any) -> tuple[str, str, float]:
        return (str(admit), str(discharge), round(float(charge), 2))

    assert sorted(key(r["admit_date"], r["discharge_date"], r["total_charges"]) for r in rows) == sorted(
        key(*t) for t in expected.select("admit_date", "discharge_date", "total_charges").iter_rows()
    )
    assert "encounter_id" not in rows[0]  # a limited data set: dates kept, identifiers replaced
    assert "encounter_ref" in rows[0]
    entry = [e for e in last_entries(sec, start) if e["action"] == "export"][-1]
    assert entry["user"] == "t-analyst"
    assert entry["target"] == "limited:encounters.csv"
    assert entry["detail"]["dua"] == DUA
    assert entry["rows"] == len(rows)
    assert entry["filters"]["facility"] == ["FAC01"]
    # A manager cannot use the analyst's link, nor a leader.
    assert clients["t-manager"].get(href).status_code == 403
    assert clients["t-leader"].get(href).status_code == 403


# -- the Operations work list's operational export ------------------------------------------------------


def test_the_operational_link_downloads_the_work_list_and_is_audited(
    app: Any, sec: Any, context: Any, clients: dict[str, Any]
) -> None:
    from dashboard import data
    from warehouse import catalog

    search = "?facility=FAC01"
    resp = _operational_links(app, clients["t-manager"], context, "too short", search)
    assert resp.status_code == 200
    assert response_values(resp)[ids.OPS_OP_CSV]["href"] is None
    resp = _operational_links(app, clients["t-manager"], context, PURPOSE, search)
    assert resp.status_code == 200
    out = response_values(resp)
    href = out[ids.OPS_OP_CSV]["href"]
    assert href.startswith("/export/operational/encounters.csv?")
    assert out[ids.OPS_OP_XLSX]["href"].startswith("/export/operational/encounters.xlsx?")
    assert out[ids.OPS_OP_PARQUET]["href"].startswith("/export/operational/encounters.parquet?")
    assert "disabled" not in out[ids.OPS_OP_CSV]["className"].split()
    assert "not final billed" in out[ids.OPS_OP_HINT]["children"]
    query = parse_qs(urlsplit(href).query)
    assert query["facility"] == ["FAC01"]
    assert query["purpose"] == [PURPOSE]

    start = audit_seq(sec)
    rows = _rows(clients["t-manager"].get(href))
    # The work list at the page's as-of date, without its 100-row cut.
    filters = data.filters(filter_store(context, search))
    declared = {p.name for p in catalog.get("operations.oldest_unbilled").params}
    params = {k: v for k, v in filters.params().items() if k in declared}
    work_list = catalog.run("operations.oldest_unbilled", {**params, "top_n": 100_000})
    assert work_list.height > 0
    assert sorted(r["encounter_id"] for r in rows) == sorted(work_list["encounter_id"].to_list())
    assert {r["facility_id"] for r in rows} == {"FAC01"}
    discharged = [r["discharge_date"] for r in rows]
    assert discharged == sorted(discharged)  # oldest first, as the list
    assert "patient_key" not in rows[0]
    assert "patient_ref" not in rows[0]
    entry = [e for e in last_entries(sec, start) if e["action"] == "export"][-1]
    assert entry["user"] == "t-manager"
    assert entry["target"] == "operational:encounters.csv"
    assert entry["detail"]["purpose"] == PURPOSE
    assert entry["rows"] == len(rows)
    # An analyst cannot use the manager's link, nor a leader.
    assert clients["t-analyst"].get(href).status_code == 403
    assert clients["t-leader"].get(href).status_code == 403
