"""`him query` and `him kpi` through warehouse.cli.main (exit codes, formats, one-line errors)."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from warehouse import catalog
from warehouse.cli import main
from warehouse.db import reader
from warehouse.filters import Filters
from warehouse.paths import resolve_warehouse
from warehouse.scorecard import SCORECARD_KEYS, scorecard


@pytest.fixture(scope="module")
def wpath(generated, tmp_path_factory):
    # a copy: the CLI's reader keeps its own read-only connection (other settings) open in-process
    copy = tmp_path_factory.mktemp("cli") / "him.duckdb"
    shutil.copyfile(generated[0], copy)
    return str(copy)


@pytest.fixture
def cli_con(wpath):
    return reader(resolve_warehouse(wpath)).cursor()


def test_query_list(capsys):
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    for text in ("denials.summary", "params: date_from DATE", "returns: claims_submitted BIGINT"):
        assert text in out


def test_query_sql_prints_the_whole_sql_without_a_warehouse(tmp_path, capsys):
    """--sql shows what runs: the includes expanded, nothing executed (no warehouse needed)."""
    assert main(["query", "denials.summary", "--sql", "--warehouse", str(tmp_path / "none.duckdb")]) == 0
    out = capsys.readouterr().out
    assert out.strip() == catalog.get("denials.summary").sql.strip()
    assert "-- include:" not in out
    assert "$date_from" in out


def test_query_json_equals_catalog(wpath, cli_con, capsys):
    args = [
        "query",
        "demographics.volume",
        "--param",
        "date_from=2025-01-01",
        "--param",
        "date_to=2025-01-31",
        "--param",
        "facility=F1,F2",
        "--format",
        "json",
        "--warehouse",
        wpath,
    ]
    assert main(args) == 0
    got = json.loads(capsys.readouterr().out)
    want = catalog.run(
        "demographics.volume",
        Filters(date_from="2025-01-01", date_to="2025-01-31", facility=("F1", "F2")),
        con=cli_con,
    )
    assert got == want.to_dicts()


def test_query_formats(wpath, tmp_path, capsys):
    base = [
        "query",
        "denials.by_payer",
        "--param",
        "date_from=2025-01-01",
        "--param",
        "date_to=2025-03-31",
        "--warehouse",
        wpath,
    ]
    assert main([*base, "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("payer,claims_submitted,claims_denied")
    assert main([*base]) == 0
    assert "initial_denial_rate" in capsys.readouterr().out  # rich table
    out = tmp_path / "x.parquet"
    assert main([*base, "--format", "parquet", "--out", str(out)]) == 0
    assert pl.read_parquet(out).columns == list(catalog.get("denials.by_payer").column_names)
    repeated = [*base, "--param", "payer=Aetna", "--param", "payer=Cigna", "--format", "json"]
    assert main(repeated) == 0
    assert sorted(r["payer"] for r in json.loads(capsys.readouterr().out)) == ["Aetna", "Cigna"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["query", "denials.sumary"],
            2,
            "error: no query named 'denials.sumary'; did you mean denials.summary",
        ),
        (
            ["query", "denials.summary", "--param", "date_from=2025-02-30"],
            2,
            "date_from: '2025-02-30' is not a DATE",
        ),
        (
            ["query", "denials.summary", "--param", "colour=red"],
            2,
            "has no parameter 'colour'; accepted: date_from",
        ),
        (["query", "denials.summary", "--param", "oops"], 2, "use KEY=VALUE"),
        (["query", "denials.summary", "--format", "xml"], 2, "--format 'xml' is not accepted"),
        (["query", "denials.summary", "--format", "parquet"], 2, "needs --out"),
        (["query"], 2, "name a query"),
        (["kpi", "--month", "2025-13"], 2, "month: '2025-13' is not a month; use YYYY-MM"),
        (["kpi", "--month", "2025-03", "--patient-type", "IP"], 2, "patient_type: 'IP' is not accepted"),
        (["kpi", "--month", "2025-03", "--format", "csv"], 2, "use one of table, json"),
    ],
)
def test_errors_are_one_line(wpath, capsys, args, code, message):
    assert main([*args, "--warehouse", wpath]) == code
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_missing_warehouse(tmp_path, capsys):
    assert main(["query", "denials.summary", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "no warehouse at" in capsys.readouterr().err


def test_kpi_json(wpath, cli_con, capsys):
    assert (
        main(
            [
                "kpi",
                "--month",
                "2025-03",
                "--facility",
                "F1",
                "--facility",
                "F2",
                "--payer",
                "Aetna",
                "--format",
                "json",
                "--warehouse",
                wpath,
            ]
        )
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert tuple(got)[: len(SCORECARD_KEYS)] == SCORECARD_KEYS
    assert got == scorecard("2025-03", Filters(facility=("F1", "F2"), payer=("Aetna",)), con=cli_con)


def test_kpi_table_and_targets(wpath, tmp_path, capsys):
    assert main(["kpi", "--month", "2025-03", "--warehouse", wpath]) == 0
    out = capsys.readouterr().out
    for text in ("Initial denial rate", "prior month", "same month last year", "≥ 95.0%", "≤ 5.0%"):
        assert text in out
    site = tmp_path / "t.toml"
    site.write_text('[discharges]\ntarget = 1\namber = 0\ndirection = "higher"\nsource = "test"\n')
    assert main(["kpi", "--month", "2025-03", "--targets", str(site), "--warehouse", wpath]) == 0
    assert "green" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('[nope]\ntarget = 1\ndirection = "higher"\n')
    assert main(["kpi", "--month", "2025-03", "--targets", str(bad), "--warehouse", wpath]) == 2
    assert "no KPI named 'nope'" in capsys.readouterr().err
