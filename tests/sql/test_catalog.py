"""The catalog contract: every header parses, params match, each query on an empty warehouse returns
exactly its declared columns; and the catalog's errors."""

from __future__ import annotations

import re
from importlib.resources import files

import polars as pl
import pytest

from warehouse import catalog, rollups
from warehouse.catalog import BadParameter, CatalogError, QueryFailed, UnknownQuery
from warehouse.errors import HimError, UsageProblem
from warehouse.filters import Filters

ALL = sorted(catalog.queries())
FAMILIES = {"demographics", "drg", "denials", "coding", "operations", "data_quality", "scorecard"}


@pytest.fixture(scope="module")
def empty(tmp_path_factory, create_wh):
    con = create_wh(tmp_path_factory.mktemp("empty") / "wh.duckdb", msdrg=False)
    rollups.build(con)
    yield con
    con.close()


def test_every_family_has_queries():
    assert FAMILIES <= {catalog.get(n).family for n in ALL}


@pytest.mark.parametrize("name", ALL)
def test_header_contract(name):
    q = catalog.get(name)
    assert "Grain:" in q.description, "the description must state the grain"
    assert all(c.note for c in q.returns), "every returned column says what it is (and its unit)"
    used = set(re.findall(r"\$([a-z_]+)", q.sql))
    assert used == set(q.param_names)
    assert re.search(r"\blen\(", q.sql) is None, "use array_length: len() transpiles to Spark's string LENGTH"
    assert "qualify" not in q.sql.lower()


@pytest.mark.parametrize("name", ALL)
def test_empty_warehouse_returns_declared_columns(empty, name):
    q = catalog.get(name)
    frame = catalog.run(name, Filters(month="2025-03", as_of="2025-03-31"), con=empty)
    assert tuple(frame.columns) == q.column_names
    assert [frame.schema[c.name] for c in q.returns] == [catalog.polars_type(c.type) for c in q.returns]
    # nothing happened: every value is null, never a zero that looks real
    for row in frame.iter_rows(named=True):
        assert all(v is None for k, v in row.items() if k != "month"), row


def test_queries_read_as_package_data():
    names = sorted(e.name for e in files("queries").iterdir() if e.name.endswith(".sql"))
    assert {f"{f}.sql" for f in FAMILIES} <= set(names)


def test_parse_errors():
    good = (
        "-- name: x.a\n-- Something. Grain: one row.\n-- params:\n--   d  DATE\n"
        "-- returns:\n--   n  BIGINT  -- n\nselect 1 as n where $d is not null\n"
    )
    assert catalog.parse_file("x.sql", good)[0].params[0].name == "d"
    with pytest.raises(CatalogError, match="differ from"):
        catalog.parse_file("x.sql", good.replace("--   d  DATE\n", ""))
    with pytest.raises(CatalogError, match="cannot read"):
        catalog.parse_file("x.sql", good.replace("d  DATE", "d  DATETIMEZ"))
    with pytest.raises(CatalogError, match="family"):
        catalog.parse_file("y.sql", good)
    with pytest.raises(CatalogError, match="returns"):
        catalog.parse_file("x.sql", "-- name: x.a\n-- Grain: one.\n-- params:\nselect 1\n")
    # a $name inside a string literal or a comment is not a parameter
    lit = good.replace("select 1 as n", "select 1 as n -- $nothing\n, '$lit' as s")
    assert catalog.parse_file("x.sql", lit)[0].param_names == ("d",)


def test_unknown_query_suggests():
    with pytest.raises(UnknownQuery, match=r"did you mean denials\.summary"):
        catalog.get("denials.sumary")
    assert issubclass(UnknownQuery, UsageProblem)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_fro": "2025-01-01"}, "no parameter 'date_fro'; accepted: date_from, date_to"),
        ({"date_from": "2025-02-30"}, "date_from: '2025-02-30' is not a DATE"),
        ({"date_from": "yesterday"}, "not a DATE, e.g. 2025-03-31"),
        ({"facility": [1, 2]}, "facility: .* is not a VARCHAR"),
    ],
)
def test_bad_parameters(empty, params, message):
    base = {"date_from": "2025-01-01", "date_to": "2025-01-31"}
    with pytest.raises(BadParameter, match=message):
        catalog.run("demographics.volume", {**base, **params}, con=empty)


def test_value_rules(empty):
    with pytest.raises(BadParameter, match="grain: 'fortnight' is not accepted; use one of day, week"):
        catalog.run("denials.trend", {"grain": "fortnight"}, con=empty)
    with pytest.raises(BadParameter, match="bill_hold_days: 31 is not accepted; use a whole number 0-30"):
        catalog.run("operations.dnfb", {"as_of": "2025-01-01", "bill_hold_days": 31}, con=empty)
    with pytest.raises(BadParameter, match="needs month"):
        catalog.run("scorecard.monthly", Filters(), con=empty)


def test_defaults_and_partial_params(empty):
    # what a mapping leaves out takes the value of an empty Filters(): open dates, all facilities
    bound = catalog.get("demographics.volume").bind({"date_from": "2025-01-01"})
    assert (bound["date_to"], bound["facility"]) == (Filters().params()["date_to"], [])
    q = catalog.get("operations.oldest_unbilled")
    assert q.bind(Filters(as_of="2025-01-01"))["top_n"] == 100


def test_filters_pick_only_declared(empty):
    q = catalog.get("data_quality.load_log")
    assert q.bind(Filters(facility=("F1",), month="2025-01")) == {}


def test_default_connection_is_the_read_only_reader(tmp_path, monkeypatch, create_wh):
    path = tmp_path / "him.duckdb"
    create_wh(path).close()
    monkeypatch.setenv("HIM_WAREHOUSE", str(path))
    frame = catalog.run("demographics.volume", Filters())
    assert frame.row(0) == (None, None, None, None)


def test_query_failure_is_one_clear_error(tmp_path, create_wh):
    con = create_wh(tmp_path / "old.duckdb")  # no rollup tables built
    with pytest.raises(QueryFailed, match=r"scorecard\.trend_rollup failed: Catalog Error"):
        catalog.run("scorecard.trend_rollup", Filters(month="2025-01"), con=con)
    assert issubclass(QueryFailed, HimError)


def test_output_contract_is_checked(empty):
    q = catalog.get("demographics.volume")
    wrong = catalog.Query(q.name, q.description, q.params, q.returns[:-1], q.sql, q.file)
    frame = pl.DataFrame({c: [] for c in q.column_names})
    with pytest.raises(CatalogError, match="declared"):
        catalog.check_frame(wrong, frame)


# Fragments: `-- fragment: <name>` blocks, pulled into a query's SQL by a line `-- include: <name>`.
FRAGMENTS = (
    "-- fragment: kept\n-- rows of t under the filter\nfrom t\nwhere true\n  -- include: cond\n\n"
    "-- fragment: cond\n-- the filter on t.d\nand t.d >= $d\n\n"
)
QUERY = (
    "-- name: x.a\n-- Something. Grain: one row.\n-- params:\n--   d  DATE\n"
    "-- returns:\n--   n  BIGINT  -- n\n"
    "with r as (\n    select 1 as n\n    -- include: kept\n)\nselect * from r\n"
)


def test_include_expands_in_place_with_the_line_indentation():
    (q,) = catalog.parse_file("x.sql", FRAGMENTS + QUERY)
    assert q.sql == (
        "with r as (\n    select 1 as n\n    from t\n    where true\n      and t.d >= $d\n)\nselect * from r"
    )
    # $d is used only inside a (nested) fragment: it is declared, and the check ran on the whole SQL
    assert q.param_names == ("d",)
    # a fragment given by another file (the catalog passes every file's) works the same
    shared = catalog.parse_fragments("_fragments.sql", FRAGMENTS)
    assert catalog.parse_file("x.sql", QUERY, shared)[0].sql == q.sql


def test_include_at_the_start_of_the_sql_is_not_header():
    # a query whose SQL starts with an include; a fragment whose body starts with one
    starts = "-- fragment: s\n-- with clause\n-- include: r\n\n"
    starts += "-- fragment: r\n-- r\nwith r as (select 1 as n)\n\n"
    body = "with r as (\n    select 1 as n\n    -- include: kept\n)\n"
    query = QUERY.replace(body, "-- include: s\n").replace("--   d  DATE\n", "")
    (q,) = catalog.parse_file("x.sql", FRAGMENTS + starts + query)
    assert q.sql == "with r as (select 1 as n)\nselect * from r"
    assert q.description == "Something. Grain: one row."


def test_include_of_unknown_fragment_names_query_and_fragment():
    with pytest.raises(
        CatalogError, match=r"x\.sql: x\.a: includes unknown fragment 'kep' \(did you mean kept\?\)"
    ):
        catalog.parse_file("x.sql", FRAGMENTS + QUERY.replace("include: kept", "include: kep"))


def test_include_cycle_fails_naming_query_and_chain():
    looped = FRAGMENTS.replace("and t.d >= $d", "and t.d >= $d\n-- include: kept")
    with pytest.raises(CatalogError, match=r"x\.a: fragment 'kept' includes itself: kept -> cond -> kept"):
        catalog.parse_file("x.sql", looped + QUERY)
    with pytest.raises(CatalogError, match=r"x\.a: fragment .cond. includes itself: kept -> cond -> cond"):
        catalog.parse_file("x.sql", FRAGMENTS.replace("and t.d >= $d", "-- include: cond") + QUERY)


def test_params_of_fragments_must_be_declared_by_the_query():
    undeclared = QUERY.replace("--   d  DATE\n", "")
    with pytest.raises(CatalogError, match=r"declared params \[\] differ from \$params used \['d'\]"):
        catalog.parse_file("x.sql", FRAGMENTS + undeclared)


def test_include_lines_and_fragment_blocks_are_checked():
    with pytest.raises(CatalogError, match="an include must be a line of its own"):
        catalog.parse_file(
            "x.sql", FRAGMENTS + QUERY.replace("select 1 as n\n    -- include", "select 1 as n -- include")
        )
    with pytest.raises(CatalogError, match="cannot read include line"):
        catalog.parse_file("x.sql", FRAGMENTS + QUERY.replace("include: kept", "include: kept here"))
    with pytest.raises(CatalogError, match="fragment kept: defined twice"):
        catalog.parse_file("x.sql", FRAGMENTS + FRAGMENTS + QUERY)
    with pytest.raises(CatalogError, match="fragment cond: needs a description"):
        catalog.parse_file("x.sql", FRAGMENTS.replace("-- the filter on t.d\n", "") + QUERY)
    with pytest.raises(CatalogError, match="fragment cond is defined in another file too"):
        catalog.parse_file("x.sql", FRAGMENTS + QUERY, {"cond": "and true"})


def test_catalog_sql_is_expanded_and_shown(capsys):
    fragment_files = [e.name for e in files("queries").iterdir() if e.name == "_fragments.sql"]
    assert fragment_files, "the shared fragments are package data"
    for q in catalog.queries().values():
        assert "include:" not in q.sql, q.name
    q = catalog.get("operations.backlog_trend")
    assert q.sql.startswith("with bounds as (")
    assert "list_contains($facility, m.facility_id)" in q.sql
    assert catalog.main(["operations.backlog_trend"]) == 0
    assert capsys.readouterr().out == f"-- name: operations.backlog_trend\n{q.sql}\n"
    assert catalog.main(["operations.nope"]) == 1
