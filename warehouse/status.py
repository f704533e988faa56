"""What ``him status`` and ``him rejects`` report, read from the published generation."""

from __future__ import annotations

from typing import Any

import polars as pl

from warehouse.db import WarehouseReader, published_generation
from warehouse.generations import list_generations, verify_published
from warehouse.paths import WarehousePaths
from warehouse.sqlfiles import statement


def warehouse_status(paths: WarehousePaths, *, verify: bool = False) -> dict[str, Any]:
    """Generation, row counts per table, the last loads and rejects per rule."""
    gen = published_generation(paths)
    out: dict[str, Any] = {
        "warehouse": str(paths.pointer),
        "generation": gen.name if gen else None,
        "generations_kept": [p.name for p in list_generations(paths)],
    }
    if verify:
        ok, message = verify_published(paths)
        out["verify_ok"], out["verify"] = ok, message
        if not ok:
            out.update(tables={}, last_loads=[], rejects_by_rule={})
            return out
    cur = WarehouseReader(paths).cursor()
    out["tables"] = {t: n for t, n in cur.execute(statement("status.sql", "table_counts")).fetchall()}
    out["last_loads"] = cur.sql(statement("status.sql", "last_loads")).pl().to_dicts()
    out["rejects_by_rule"] = {
        r: n for r, n in cur.execute(statement("status.sql", "rejects_by_rule")).fetchall()
    }
    return out


def rejected_rows(paths: WarehousePaths, load_id: int | None = None) -> pl.DataFrame:
    """Rejected rows, optionally of one load."""
    cur = WarehouseReader(paths).cursor()
    return cur.sql(statement("status.sql", "rejects"), params={"load_id": load_id}).pl()
