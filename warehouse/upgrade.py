"""Bring a warehouse built by an earlier version up to this version's derived layers.

The KPI queries read the intermediate tables and rollups (``warehouse/sql/rollups.sql``) that every
load builds. A generation published by an earlier version lacks some of them; rather than fail on every
page, ``him serve`` / ``him up`` rebuild them once, as a new generation made by a load of no files (the
published one stays served until the new one is complete; the usual load lock, journal and
verification apply).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse import rollups
from warehouse.db import published_generation
from warehouse.paths import WarehousePaths


def missing_layers(paths: WarehousePaths) -> list[str]:
    """Return the derived tables and views the published generation lacks (empty: up to date or none)."""
    gen = published_generation(paths)
    if gen is None:
        return []
    con = duckdb.connect(str(gen), read_only=True)
    try:
        present = rollups.existing_objects(con)
    finally:
        con.close()
    return [name for name in rollups.tables() if name not in present]


def upgrade_if_needed(
    paths: WarehousePaths, announce: Callable[[list[str]], None] | None = None
) -> list[str]:
    """Rebuild the derived layers when some are missing; return what was missing (empty: nothing done).

    ``announce`` is called with the missing names before the rebuild starts (it takes a while).

    Raises:
        LoadRefused: a load is running (try again when it has finished).
    """
    missing = missing_layers(paths)
    if missing:
        from warehouse.load import run_load

        if announce is not None:
            announce(missing)
        run_load(paths, [])
    return missing
