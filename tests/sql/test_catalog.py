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
