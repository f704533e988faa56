"""A generation built by an earlier version (without this version's derived tables) is upgraded once by
``him serve`` / ``him up``: a new generation with every layer, the same base rows, the KPIs answering."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
from conftest import digest, open_published

from warehouse import catalog, rollups
from warehouse.db import published_generation
from warehouse.filters import Filters
from warehouse.generations import _write_manifest as write_manifest
from warehouse.paths import WarehousePaths
from warehouse.upgrade import missing_layers, upgrade_if_needed


def _as_if_built_by_an_older_version(paths: WarehousePaths) -> None:
    """Drop the derived layers from the published generation, as an earlier version left it."""
    gen = published_generation(paths)
    assert gen is not None
    con = duckdb.connect(str(gen))
    for name in reversed(rollups.tables()):
        kind = con.execute(
            "select 'view' from duckdb_views() where view_name = $n "
            "union all select 'table' from duckdb_tables() where table_name = $n",
            {"n": name},
        ).fetchone()
        if kind:
            con.execute(f"drop {kind[0]} {name}")
    con.execute("checkpoint")
    con.close()
    write_manifest(gen)


def _trend(paths: WarehousePaths) -> tuple[Filters, pl.DataFrame]:
    con = open_published(paths)
    try:
        month = con.execute("select max(discharge_date) from encounters").fetchone()[0]  # type: ignore[index]
        filters = Filters(month=month).for_month(month)
        return filters, catalog.run("scorecard.trend_rollup", filters, con=con.cursor())
    finally:
        con.close()


def test_an_old_generation_is_upgraded_once(loaded: WarehousePaths) -> None:
    before = digest(loaded)
    _, trend = _trend(loaded)
    assert trend.height
    _as_if_built_by_an_older_version(loaded)
    old = published_generation(loaded)
    assert set(missing_layers(loaded)) == set(rollups.tables())
    assert upgrade_if_needed(loaded)
    assert published_generation(loaded) != old
    assert missing_layers(loaded) == []
    assert digest(loaded) == before  # the base tables are untouched
    assert _trend(loaded)[1].equals(trend)
    upgraded = published_generation(loaded)
    assert upgrade_if_needed(loaded) == []  # nothing more to do
    assert published_generation(loaded) == upgraded


def test_no_warehouse_needs_nothing(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "wh" / "him.duckdb")
    assert missing_layers(paths) == []
    shutil.rmtree(tmp_path / "wh", ignore_errors=True)
