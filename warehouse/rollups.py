"""Monthly rollup tables: additive aggregates built at the end of every load for fast trend queries.

The loader calls :func:`build` with its read-write connection once the files are loaded. The SQL lives
in ``warehouse/sql/rollups.sql`` (one ``-- name: <table>`` block per table, run in file order). Each
table holds only counts and sums by month and the filter dimensions, so a query that sums its rows
under any filter gives exactly the base queries' numbers (``scorecard.trend_rollup`` vs
``scorecard.trend``, proven in ``tests/sql/test_rollups.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

import duckdb

_NAME = re.compile(r"^--\s*name:\s*(\S+)\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def statements() -> tuple[tuple[str, str], ...]:
    """Return ``(table, create statement)`` pairs of ``rollups.sql``, in build order."""
    text = (files("warehouse") / "sql" / "rollups.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    return tuple((parts[i], parts[i + 1].strip().rstrip(";")) for i in range(1, len(parts), 2))


def tables() -> tuple[str, ...]:
    """Names of the rollup tables."""
    return tuple(name for name, _ in statements())


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build every rollup table from the warehouse tables on a read-write connection.

    Args:
        con: a read-write connection to the generation being built (the caller owns the transaction).

    Returns:
        Row count of each rollup table, by name.
    """
    counts: dict[str, int] = {}
    for name, sql in statements():
        con.execute(sql)
        rows = con.execute(f"select count(*) from {name}").fetchall()  # noqa: S608 - name from rollups.sql
        counts[name] = int(rows[0][0])
    return counts
