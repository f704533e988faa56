"""The Explorer's query layer (warehouse/explorer.py) and its streaming export route."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import duckdb
import polars as pl
import pytest
from werkzeug.datastructures import MultiDict

from dashboard.app import app  # noqa: F401  (registers the pages)
from dashboard.exports import export_href
from dashboard.security.testing import logged_in_client
from warehouse import catalog, explorer
from warehouse.filters import Filters
from warehouse.load import schema_sql

ALL = Filters()
INJECTION = "x'); drop table encounters; --"


def xlsx_rows(content: bytes) -> list[list[str]]:
    """Read the first sheet's cells as text (shared strings resolved) without a spreadsheet library."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)
            ]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        rows = []
        for row in sheet.iter(f"{{{ns['m']}}}row"):
            cells: list[str] = []
            for c in row.findall("m:c", ns):
                letters = "".join(ch for ch in c.get("r", "") if ch.isalpha())
                index = 0
                for ch in letters:
                    index = index * 26 + ord(ch) - ord("A") + 1
                cells += [""] * (index - 1 - len(cells))  # empty cells are not written
                assert c.find("m:f", ns) is None, "a cell holds a formula"
                v = c.find("m:v", ns)
                text = c.find("m:is/m:t", ns)
                if c.get("t") == "s" and v is not None:
                    cells.append(shared[int(v.text)])
                elif text is not None:
                    cells.append(text.text or "")
                else:
                    cells.append(v.text if v is not None else "")
            rows.append(cells)
        return rows


def test_the_whitelist_is_each_tables_declared_columns_without_patient_key() -> None:
    for name in explorer.TABLES:
        cols = explorer.columns(name)
        assert cols == catalog.get(f"explorer.{name}").returns
        assert "patient_key" not in {c.name for c in cols}
        assert "load_id" not in {c.name for c in cols}
        assert set(explorer.TABLES[name].key) <= explorer.filterable_columns(name)


def test_counts_agree_with_the_kpi_queries() -> None:
    f = Filters(date_from="2025-01-01", date_to="2025-12-31", facility=("FAC01",))
    volume = catalog.run("demographics.volume", f).row(0, named=True)
    assert explorer.count(explorer.Request("encounters", f)) == volume["discharges"]
    claims = catalog.run("denials.summary", f).row(0, named=True)
    assert explorer.count(explorer.Request("claims", f)) == claims["claims_submitted"]
    denied = explorer.Request("claims", f, (explorer.Condition("denial_category", "notBlank"),))
    assert explorer.count(denied) == claims["claims_denied"]


def test_conditions_sorting_and_paging() -> None:
    request = explorer.Request(
        "encounters",
        ALL,
        (
            explorer.Condition("patient_type", "equals", "INPATIENT"),
            explorer.Condition("total_charges", "greaterThan", 10_000),
            explorer.Condition("discharge_date", "inRange", "2025-01-01", "2025-06-30"),
        ),
        (explorer.Sort("total_charges", descending=True),),
    )
    page = explorer.page(request, 0, 20)
    assert page.height == 20
    assert set(page["patient_type"]) == {"inpatient"}  # text filters ignore case
    assert page["total_charges"].to_list() == sorted(page["total_charges"].to_list(), reverse=True)
    assert (
        dt.date(2025, 1, 1)
        <= page["discharge_date"].min()
        <= page["discharge_date"].max()
        <= dt.date(2025, 6, 30)
    )
    total = explorer.count(request)
    assert explorer.page(request, total - 3, 100).height == 3
    assert explorer.clamp_page(-5, 10**9) == (0, explorer.MAX_PAGE_ROWS)
    assert explorer.clamp_page("x", None) == (0, 100)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (explorer.Request("patients"), "no Explorer table"),
        (
            explorer.Request("encounters", ALL, (explorer.Condition("patient_key", "equals", "x"),)),
            "not a column",
        ),
        (explorer.Request("encounters", ALL, (), (explorer.Sort("1; drop table x"),)), "not a column"),
        (
            explorer.Request("encounters", ALL, (explorer.Condition("total_charges", "contains", "1"),)),
            "text only",
        ),
        (
            explorer.Request("encounters", ALL, (explorer.Condition("total_charges", "equals", "lots"),)),
            "number",
        ),
        (explorer.Request("encounters", ALL, (explorer.Condition("sex", "like", "%"),)), "operator"),
    ],
)
def test_identifiers_and_values_are_checked_before_any_sql(request_: explorer.Request, message: str) -> None:
    with pytest.raises(explorer.ExplorerError, match=message):
        explorer.compose(request_)


def test_injection_strings_are_bound_values() -> None:
    request = explorer.Request(
        "claims", Filters(payer=(INJECTION,)), (explorer.Condition("carc_code", "contains", INJECTION),)
    )
    sql, params = explorer.compose(request)
    assert INJECTION not in sql
    assert INJECTION.lower() in params.values()
    assert explorer.count(request) == 0
    assert explorer.count(explorer.Request("encounters")) > 0  # the table is still there


def test_grid_requests_translate_to_validated_requests() -> None:
    grid = {
        "startRow": 200,
        "endRow": 300,
        "sortModel": [{"colId": "billed_amount", "sort": "desc"}],
        "filterModel": {
            "payer": {"filterType": "text", "type": "contains", "filter": "medic"},
            "submitted_date": {
                "filterType": "date",
                "type": "inRange",
                "dateFrom": "2025-01-01 00:00:00",
                "dateTo": "2025-03-31 00:00:00",
            },
            "billed_amount": {
                "filterType": "number",
                "operator": "AND",
                "conditions": [
                    {"filterType": "number", "type": "greaterThan", "filter": 100},
                    {"filterType": "number", "type": "lessThan", "filter": 50_000},
                ],
            },
        },
    }
    request, offset, limit = explorer.from_grid("claims", ALL, grid, [("status", "denied")])
    assert (offset, limit) == (200, 100)
    assert request.sort == (explorer.Sort("billed_amount", True),)
    assert len(request.where) == 5
    with pytest.raises(explorer.ExplorerError, match="only AND"):
        explorer.from_grid("claims", ALL, {"filterModel": {"payer": {"operator": "OR", "conditions": []}}})
    with pytest.raises(explorer.ExplorerError, match="cannot sort"):
        explorer.from_grid("claims", ALL, {"sortModel": [{"colId": "patient_key", "sort": "asc"}]})
    ranged, _, _ = explorer.from_grid("encounters", ALL, {}, [("age_years", "18..44")])
    assert ranged.where == (explorer.Condition("age_years", "inRange", 18.0, 44.0),)  # typed values


def test_rows_are_json_ready() -> None:
    rows = explorer.json_rows(explorer.page(explorer.Request("coding_activity"), 0, 2))
    assert isinstance(rows[0]["started_at"], str)
    assert len(rows[0]["started_at"]) == 16
    json.dumps(rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_each_export_holds_exactly_the_filtered_rows_and_columns(fmt: str) -> None:
    request = explorer.Request(
        "claims",
        Filters(date_from="2024-01-01", date_to="2024-12-31"),
        (explorer.Condition("status", "equals", "denied"),),
        (explorer.Sort("billed_amount", True),),
    )
    expected = explorer.count(request)
    names = [c.name for c in explorer.columns("claims")]
    content = b"".join(explorer.export(request, fmt, batch_rows=50).chunks)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode())))
        header, body = rows[0], rows[1:]
    elif fmt == "xlsx":
        rows = xlsx_rows(content)
        header, body = rows[0], rows[1:]
    else:
        frame = pl.read_parquet(io.BytesIO(content))
        header, body = frame.columns, frame.rows()
        assert frame["billed_amount"].to_list() == sorted(frame["billed_amount"].to_list(), reverse=True)
    assert header == names
    assert len(body) == expected > 50  # more than one batch


def duckdb_cursor() -> Any:
    from warehouse.db import reader

    return reader().cursor()


def _facility(cur: Any) -> str:
    return cur.sql("select facility_id from encounters order by facility_id limit 1").fetchall()[0][0]


@pytest.mark.parametrize("name", list(explorer.TABLES))
def test_the_query_shape_the_pages_rely_on(name: str) -> None:
    from warehouse.db import reader

    t = explorer.TABLES[name]
    p = explorer._parts(explorer.Request(name))
    cur = reader().cursor()
    facts = cur.sql(f"{p.with_clause}\nselect * from facts limit 0", params=p.params).columns
    rows = cur.sql(f"{p.with_clause}\nselect * from rows limit 0", params=p.params).columns
    declared = [c.name for c in explorer.columns(name)]
    assert rows == [*declared, "patient_key"]
    own = [c for c in declared if c not in t.looked_up]
    assert [c for c in facts if c in declared] == own  # facts: every column not looked up, in order
    assert set(t.key) <= set(own)


@pytest.mark.parametrize("name", list(explorer.TABLES))
def test_pages_cut_before_the_lookups_equal_the_sorted_rows_and_counts_agree(name: str) -> None:
    from warehouse.db import reader

    t = explorer.TABLES[name]
    cur = reader().cursor()
    fac = _facility(cur)
    own = next(c.name for c in explorer.columns(name) if c.name not in t.looked_up and c.name not in t.key)
    requests = []
    for filters in (ALL, Filters(date_from="2025-01-01", date_to="2025-06-30"), Filters(facility=(fac,))):
        for sort in ((), (explorer.Sort(own, True),), (explorer.Sort(t.looked_up[-1]),)):
            requests.append(explorer.Request(name, filters, (), sort))
        requests.append(explorer.Request(name, filters, (explorer.Condition(own, "notBlank"),)))
        requests.append(explorer.Request(name, filters, (explorer.Condition(t.looked_up[-1], "notBlank"),)))
    assert any(explorer._parts(r).late for r in requests) or t.encounter_filters is None
    for request in requests:
        sql, params = explorer.compose(request)
        every = cur.sql(sql, params=params).pl()
        assert explorer.count(request) == every.height
        assert explorer.count(request, con=cur) == every.height
        for offset in (0, 37):
            page = explorer.page(request, offset, 25)
            assert page.equals(every.slice(offset, 25)), (request, offset)
            assert page.schema == every.schema


_BOUNDED_SORTS: dict[str, list[tuple[explorer.Sort, ...]]] = {
    "claims": [
        (),
        (explorer.Sort("submitted_date", True),),
        (explorer.Sort("status"), explorer.Sort("billed_amount", True)),  # ties on the first column
        (explorer.Sort("denial_date", True),),  # nulls: the bound can be null
        (explorer.Sort("paid_amount"),),
        (explorer.Sort("claim_id", True),),
    ],
    "encounters": [
        (),
        (explorer.Sort("discharge_date", True),),
        (explorer.Sort("ms_drg"),),  # nulls
        (explorer.Sort("los_days", True),),  # computed: paged without a bound
    ],
    "coding_activity": [(), (explorer.Sort("started_at", True),), (explorer.Sort("activity"),)],
    "coding_audits": [(), (explorer.Sort("audit_date", True),), (explorer.Sort("codes_changed", True),)],
}


@pytest.mark.parametrize("name", list(_BOUNDED_SORTS))
def test_pages_read_within_a_bound_equal_the_plain_sorted_rows(name: str) -> None:
    """page() (bound on the first order column, then the page) returns what one plain statement does."""
    from warehouse.db import reader

    cur = reader().cursor()
    payer = cur.sql("select payer from claims group by payer order by count(*) desc limit 1").fetchall()[0][0]
    filter_sets = [
        (ALL, ()),
        (Filters(date_from="2025-01-01", date_to="2025-06-30"), ()),
        (Filters(payer=(payer,)), ())
        if name == "claims"
        else (ALL, (explorer.Condition("encounter_id", "notBlank"),)),
        (ALL, (explorer.Condition(explorer.TABLES[name].key[0], "startsWith", "x"),)),  # no rows
    ]
    bounded = 0
    bounds: list[object] = []
    for filters, where in filter_sets:
        for sort in _BOUNDED_SORTS[name]:
            request = explorer.Request(name, filters, where, sort)
            p = explorer._parts(request)
            assert p.late
            bounded += p.bounded
            sql, params = explorer.compose(request, order="total")
            every = cur.sql(sql, params=params).pl()
            n = every.height
            leading = sort[0].column if sort else explorer.TABLES[name].key[0]
            non_null = every[leading].drop_nulls().len()
            for offset, limit in {
                (0, 100),
                (0, 1),
                (37, 25),
                (max(non_null - 10, 0), 30),
                (n - 5, 100),
                (n + 3, 10),
            }:
                if offset < 0:
                    continue
                if p.bounded:
                    last = {**p.params, "page_last": offset + limit - 1}
                    found = cur.sql(explorer._bound_sql(p), params=last).fetchall()
                    bounds.append(found[0][0] if found else None)
                got = explorer.page(request, offset, limit, con=cur)
                want = cur.sql(f"{sql} limit {limit} offset {offset}", params=params).pl()
                assert got.equals(want), (request, offset, limit)
                assert got.schema == every.schema
    assert bounded  # the bounded path was taken, with and without a bound found
    assert any(b is not None for b in bounds)
    assert None in bounds


def test_a_count_runs_once_per_generation_and_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = explorer._count

    def counting(request: explorer.Request, con: object) -> int:
        calls.append(request)
        return real(request, con)

    monkeypatch.setattr(explorer, "_count", counting)
    request = explorer.Request("claims", Filters(date_from="2024-02-01", date_to="2024-02-29"))
    first = explorer.count(request)
    assert explorer.count(request) == first
    assert explorer.count(explorer.Request("claims", request.filters)) == first
    assert len(calls) == 1
    assert explorer.count(request, con=duckdb_cursor()) == first  # a given connection: not cached
    assert len(calls) == 2


def test_exports_sort_only_when_the_user_sorted() -> None:
    unsorted = explorer.Request("diagnoses", Filters(date_from="2025-01-01", date_to="2025-03-31"))
    assert " order by " not in explorer.compose(unsorted, order="user")[0]
    assert " order by " in explorer.compose(unsorted)[0]
    content = b"".join(explorer.export(unsorted, "csv", batch_rows=100).chunks).decode()
    body = sorted(tuple(r) for r in list(csv.reader(io.StringIO(content)))[1:])
    sql, params = explorer.compose(unsorted)
    every = duckdb_cursor().sql(sql, params=params).pl()
    expected = sorted(tuple("" if v is None else str(v) for v in row) for row in every.iter_rows())
    assert body == expected
    by_code = explorer.Request("diagnoses", unsorted.filters, (), (explorer.Sort("code", True),))
    tie_broken = ' order by "code" desc nulls last, "encounter_id", "seq"'
    assert tie_broken in explorer.compose(by_code, order="user")[0]


def test_formula_like_text_is_neutralised_in_csv_and_xlsx(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(schema_sql())
    payloads = ['=HYPERLINK("http://x")', "+cmd|'/C calc'!A0", "-2+3", "@SUM(A1)", "plain"]
    for i, text in enumerate(payloads):
        con.execute(
            "insert into encounters (encounter_id, patient_key, facility_id, patient_type, admit_date, "
            "discharge_date, age_years, age_90_plus, primary_payer, financial_class, service_line, "
            "total_charges, "
            "load_id) values (?, 'k', 'F', 'inpatient', date '2025-01-01', date '2025-01-02', 40, false, "
            "'P', 'other', ?, 10, 1)",
            [f"E{i}", text],
        )
    request = explorer.Request("encounters", sort=(explorer.Sort("encounter_id"),))
    out = b"".join(explorer.export(request, "csv", con=con).chunks).decode()
    rows = list(csv.reader(io.StringIO(out)))
    lines = [r[rows[0].index("service_line")] for r in rows[1:]]
    assert lines == ["'" + p for p in payloads[:4]] + ["plain"]
    sheet = xlsx_rows(b"".join(explorer.export(request, "xlsx", con=con).chunks))
    col = sheet[0].index("service_line")
    assert [r[col] for r in sheet[1:]] == ["'" + p for p in payloads[:4]] + ["plain"]
    parquet = pl.read_parquet(io.BytesIO(b"".join(explorer.export(request, "parquet", con=con).chunks)))
    assert parquet["service_line"].to_list() == payloads  # typed data is kept as it is
    assert explorer.count(request, con=con) == 5


def test_the_export_route_streams_the_grid_view_de_identified(store, secured_app) -> None:
    grid = {
        "filterModel": {"status": {"filterType": "text", "type": "equals", "filter": "denied"}},
        "sortModel": [{"colId": "claim_id", "sort": "asc"}],
    }
    href = export_href("csv", store["resolved"] + "&table=claims", grid)
    assert secured_app.server.test_client().get(href).status_code in (302, 401)  # no session, no rows
    client = logged_in_client(secured_app, roles=("analyst",))
    with client.get(href) as response:  # the raw export link is sent on to the de-identified export
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/export/deidentified/claims.csv?")
    with client.get(href, follow_redirects=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith('attachment; filename="')
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    request, _, _ = explorer.from_grid("claims", Filters(), grid)
    header, body = rows[0], rows[1:]
    assert len(body) == explorer.count(request) > 0
    assert {r[header.index("status")] for r in body} == {"denied"}
    names = [c.name for c in explorer.columns("claims")]
    assert "claim_id" in names
    assert "claim_id" not in header
    assert "claim_ref" in header
    assert "patient_key" not in header
    assert not [h for h in header if h.endswith("_date")], "dates are reduced to years"
    bad = "/export/explorer.csv?" + urlencode(
        {"table": "claims", "grid": json.dumps({"sortModel": [{"colId": "patient_key", "sort": "asc"}]})}
    )
    with client.get(bad, follow_redirects=True) as response:
        assert response.status_code == 400
        assert b"patient_key" in response.data
    with client.get("/export/explorer.exe?table=claims", follow_redirects=True) as response:
        assert response.status_code in (400, 404)


# -- the grid's filters and sort in the URL --------------------------------------------------------

URL_SEARCH_KEY = "explorer-url-search.data"


def url_body(models: Any, store: dict[str, str]) -> dict[str, Any]:
    """The body the browser posts when the grid's models changed (see dashboard/pages/explorer.py)."""
    return {
        "output": URL_SEARCH_KEY,
        "outputs": {"id": "explorer-url-search", "property": "data"},
        "inputs": [{"id": "explorer-grid-models", "property": "data", "value": models}],
        "state": [{"id": "shell-filters", "property": "data", "value": store}],
        "changedPropIds": ["explorer-grid-models.data"],
    }


def test_the_grid_filters_and_sort_are_written_into_the_url_through_the_app(secured_app, context) -> None:
    from dashboard import shell, state

    assert URL_SEARCH_KEY in secured_app.callback_map
    store = shell.store_of(state.parse("?from=2025-01-01&table=claims&col.status=denied"), context.defaults)
    models = {
        "filterModel": {
            "payer": {"filterType": "text", "type": "contains", "filter": "Medic"},
            "billed_amount": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 1000},
            "denial_date": {"filterType": "date", "type": "blank"},
        },
        "sortModel": [{"colId": "billed_amount", "sort": "desc"}, {"colId": "claim_id", "sort": "asc"}],
    }
    analyst = logged_in_client(secured_app, roles=("analyst",))
    response = analyst.post("/_dash-update-component", json=url_body(models, store))
    assert response.status_code == 200
    search = response.get_json()["response"]["explorer-url-search"]["data"]
    assert search == (
        "?from=2025-01-01&table=claims&col.payer=~Medic&col.billed_amount=1000..&col.denial_date=%21%2A"
        "&sort=-billed_amount&sort=claim_id"
    )  # the URL condition the grid no longer shows (status) went with the grid's filters
    view = state.parse(search)
    assert view.notices == ()
    assert state.with_grid(view, models) == view

    # Models the URL already states, and models it cannot state, change nothing.
    def unchanged(models: Any, store: dict[str, str]) -> bool:
        answer = analyst.post("/_dash-update-component", json=url_body(models, store))
        return answer.status_code == 204 or not (answer.get_json() or {}).get("response")

    assert unchanged(state.grid_models(view), shell.store_of(view, context.defaults))
    orred = {"filterModel": {"payer": {"filterType": "text", "operator": "OR", "conditions": []}}}
    assert unchanged(orred, store)
    assert not unchanged(models, store)
    # The Explorer's role rule, as for its other callbacks.
    leader = logged_in_client(secured_app, roles=("leadership",))
    assert leader.post("/_dash-update-component", json=url_body(models, store)).status_code == 403


def test_a_url_opened_shows_the_rows_the_grid_showed_and_exports_them(context) -> None:
    from dashboard import exports, shell, state
    from dashboard.pages import explorer as page

    search = (
        "?from=2025-01-01&to=2025-12-31&table=claims&col.payer=~medic&col.billed_amount=1000.."
        "&col.billed_amount=%3C50000&sort=-billed_amount"
    )
    store = shell.store_of(state.parse(search), context.defaults)
    view = state.parse(store["resolved"])
    models = state.grid_models(view)
    assert page.initial_state(view) == {
        "filter": {"filterModel": models["filterModel"]},
        "sort": {"sortModel": models["sortModel"]},
    }
    # Before its first block (None) and at it, the grid asks for the same request: the shown
    # conditions once (from the grid), the fixed one (a badge) once (from the URL).
    context = {page.GRID_CONTEXT: page.grid_id(store)["view"]}  # the grid's, sent with every block
    assert page.grid(view, store).dashGridOptions["context"] == context
    grid_request = {"startRow": 0, "endRow": 100, "context": context, **json.loads(json.dumps(models))}
    request, _, _ = page.request_of(None, store)
    assert page.request_of(grid_request, store)[0] == request
    assert sorted(c.op for c in request.where) == ["contains", "greaterThanOrEqual", "lessThan"]
    assert request.sort == (explorer.Sort("billed_amount", True),)
    assert [b.to_plotly_json()["props"]["data-column"] for b in page.conditions(view)] == ["billed_amount"]
    # A typed condition equal to a URL condition is one condition, never two.
    typed = {
        **grid_request,
        "filterModel": {"payer": {"filterType": "text", "type": "contains", "filter": "medic"}},
    }
    assert len(page.request_of(typed, store)[0].where) == 2  # the grid's payer and the fixed one
    cleared = {**grid_request, "filterModel": {}}  # the user cleared the grid's filters
    assert len(page.request_of(cleared, store)[0].where) == 1  # the URL's shown ones went with them
    # A request made elsewhere (no grid context) gets every URL condition, as before.
    elsewhere = {"startRow": 0, "endRow": 100, "filterModel": {}}
    assert sorted(page.request_of(elsewhere, store)[0].where, key=repr) == sorted(request.where, key=repr)
    # The export links carry the same request (whatever the grid last asked for).
    for grid in (None, grid_request):
        args = dict(zip(("search", "models"), page.export_args(store["resolved"], grid), strict=True))
        href = exports.export_href("csv", args["search"], args["models"])
        query = MultiDict(parse_qsl(href.split("?", 1)[1]))
        assert exports.request_of(query) == request


def test_the_grid_on_screen_is_kept_when_the_url_follows_it(context) -> None:
    from dashboard import shell, state
    from dashboard.pages import explorer as page

    before = shell.store_of(state.parse("?table=claims&col.status=denied"), context.defaults)
    shown = page.grid_id(before)
    typed = {
        "startRow": 0,
        "endRow": 100,
        "filterModel": {"payer": {"filterType": "text", "type": "contains", "filter": "medic"}},
        "sortModel": [{"colId": "claim_id", "sort": "desc"}],
    }
    after = shell.store_of(state.with_grid(state.parse(before["search"]), typed), context.defaults)
    grid, _, _ = page.refresh(after, "claims", [shown], [typed])
    assert grid is dash.no_update  # the URL followed the grid: same grid, scroll and state kept
    grid, _, _ = page.refresh(after, "claims", [shown], [None])  # no block yet: made from `before`
    assert grid.id == page.grid_id(after)
    reset = shell.store_of(state.parse("?table=claims"), context.defaults)  # e.g. the reset button
    grid, _, _ = page.refresh(reset, "claims", [shown], [typed])
    assert grid.id == page.grid_id(reset)
    assert "initialState" not in grid.dashGridOptions
    dates = shell.store_of(state.parse(after["search"] + "&from=2025-01-01"), context.defaults)
    grid, _, _ = page.refresh(dates, "claims", [shown], [typed])  # new filters: a new grid, same models
    assert page.initial_state(state.parse(dates["resolved"]))["sort"] == {
        "sortModel": [{"colId": "claim_id", "sort": "desc"}]
    }
    assert grid.dashGridOptions["initialState"]["filter"]["filterModel"]["payer"]["filter"] == "medic"
    # The filter bar keeps the Explorer's conditions and sort.
    controls = shell.controls_of(state.parse(after["search"]), context.defaults)
    kept, _ = shell.view_of_controls(
        replace(controls, date_from="2025-02-01"), state.parse(after["search"]), context.defaults
    )
    assert (kept.columns, kept.sort) == (state.parse(after["search"]).columns, (("claim_id", True),))


def test_every_grammar_operator_is_offered_by_its_column_filter() -> None:
    from dashboard.pages import explorer as page

    kinds = set()
    for table in explorer.TABLES:
        for col in page.column_defs(table):
            kind = explorer.column_kind(
                next(c.type for c in explorer.columns(table) if c.name == col["field"])
            )
            kinds.add(kind)
            assert set(col["filterParams"]["filterOptions"]) == explorer.KIND_OPERATORS[kind], col["field"]
    assert kinds == {"text", "number", "date", "timestamp"}


@pytest.mark.parametrize("name", ["diagnoses", "procedures"])
def test_pages_read_within_an_encounter_range_equal_the_plain_sorted_rows(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Diagnoses and procedures sorted by encounter are read within the range of the first filtered
    encounters, and again without it when the page does not fill up there: page() returns what one
    plain statement does, at every offset, both directions, with conditions that keep few or no rows."""
    from warehouse.db import reader

    cur = reader().cursor()
    fac = _facility(cur)
    common = cur.sql(
        f"select left(code, 1) from {name} group by all order by count(*) desc limit 1"
    ).fetchall()
    ranged_tries: list[int] = []
    real_page_sql = explorer._page_sql

    def page_sql(p: Any, bound: bool = False, encounter_range: bool = False) -> str:
        if encounter_range:
            ranged_tries.append(1)
        return real_page_sql(p, bound, encounter_range)

    monkeypatch.setattr(explorer, "_page_sql", page_sql)
    full_from_range = 0
    sorts = [
        (),
        (explorer.Sort("encounter_id", True),),
        (explorer.Sort("encounter_id"), explorer.Sort("seq", True)),
    ]
    conditions = [
        (),
        (explorer.Condition("code", "startsWith", common[0][0]),),
        (explorer.Condition("code", "startsWith", "#"),),
        (explorer.Condition("discharge_date", "greaterThan", "2025-03-15"),),  # an encounter column
    ]
    for filters in (ALL, Filters(date_from="2025-01-01", date_to="2025-06-30"), Filters(facility=(fac,))):
        for sort in sorts:
            for where in conditions:
                request = explorer.Request(name, filters, where, sort)
                assert explorer._parts(request).encounter_ranged
                sql, params = explorer.compose(request, order="total")
                every = cur.sql(sql, params=params).pl()
                n = every.height
                for offset, limit in {
                    (0, 100),
                    (0, 1),
                    (37, 25),
                    (max(n // 2, 0), 50),
                    (max(n - 5, 0), 100),
                    (n + 3, 10),
                }:
                    before = len(ranged_tries)
                    got = explorer.page(request, offset, limit, con=cur)
                    want = every.slice(offset, limit)
                    assert got.equals(want), (request, offset, limit)
                    assert got.schema == every.schema
                    full_from_range += len(ranged_tries) > before and got.height == limit
    # sorted on another column first: no range
    assert not explorer._parts(explorer.Request(name, ALL, (), (explorer.Sort("code"),))).encounter_ranged
    assert ranged_tries  # the range was tried …
    assert full_from_range  # … and answered full pages


@pytest.mark.parametrize("name", ["diagnoses", "procedures"])
def test_diagnoses_and_procedures_are_counted_per_encounter_and_agree_with_their_rows(
    name: str, tmp_path: Path
) -> None:
    """Without a column condition their count sums the per-encounter counts int_encounters keeps; it
    equals the rows of the plain statement under every filter. On a generation built before those
    counts existed, the rows are counted as before."""
    from warehouse.db import reader

    cur = reader().cursor()
    fac = _facility(cur)
    payer = cur.sql("select primary_payer from encounters group by all order by count(*) limit 1").fetchall()[
        0
    ][0]
    filter_sets = [
        ALL,
        Filters(date_from="2025-01-01", date_to="2025-06-30"),
        Filters(date_from="2025-03-01", date_to="2025-03-01"),
        Filters(facility=(fac,)),
        Filters(payer=(payer,), patient_type=("inpatient",)),
        Filters(date_from="1990-01-01", date_to="1990-12-31"),  # no encounter: 0
    ]
    for filters in filter_sets:
        request = explorer.Request(name, filters)
        sql, params = explorer.compose(request)
        rows = cur.sql(f"select count(*) from ({sql})", params=params).fetchall()[0][0]
        assert explorer._count_per_encounter(request, cur) == rows, filters
        assert explorer.count(request, con=cur) == rows
    with_condition = explorer.Request(name, ALL, (explorer.Condition("seq", "equals", 1),))
    assert explorer._count_per_encounter(with_condition, cur) is None  # a condition: its rows are counted

    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    copies = {
        "encounters": "select * from encounters",
        name: f"select * from {name}",
        "int_encounters": "select * exclude (diagnosis_rows, procedure_rows) from int_encounters",
    }
    for table_name, select in copies.items():
        old.register("copied", cur.sql(select).arrow())
        old.execute(f"create table {table_name} as select * from copied")
        old.unregister("copied")
    request = explorer.Request(name, Filters(date_from="2025-01-01", date_to="2025-06-30"))
    assert explorer._count_per_encounter(request, old) is None
    sql, params = explorer.compose(request)
    assert (
        explorer.count(request, con=old)
        == cur.sql(f"select count(*) from ({sql})", params=params).fetchall()[0][0]
    )
