"""The layers built at the end of every load: the intermediate tables and the rollup views.

The loader calls :func:`build` with its read-write connection once the files are loaded. The SQL lives
in ``warehouse/sql/rollups.sql`` (one ``-- name: <object>`` block per table or view, run in file order):

* ``int_encounters``, ``int_claims``, ``int_coding_activity``, ``int_coding_audits``: the intermediate
  layer, one row per fact with its derived, filter-independent columns (fiscal year, LOS, the MS-DRG
  table applied and its weight, the CC/MCC family, the denial category, the encounter's filter columns,
  ...), ordered by date. ``int_month_flows`` and ``int_month_ends``: additive monthly
  components of the scorecard by the filter columns. Their definitions are the ``int_<x>_view`` views of
  ``warehouse/schema.sql``; in a file made from the schema alone ``int_<x>`` is a view over that
  definition, and :func:`build` replaces it with a table. The KPI queries (``queries/*.sql``) read them.
* ``rollup_*``: views of the month tables under the names ``scorecard.trend_rollup`` reads, made only
  here (so that query fails clearly on a file that no load has built).
"""

from __future__ import annotations

import contextlib

import duckdb

from warehouse.sqlfiles import named_statements, statement

SQL_FILE = "rollups.sql"
LAYERS_FILE = "layers.sql"

#: Rollup tables of earlier versions, dropped when a load rebuilds a generation copied from one.
RETIRED = (
    "rollup_coded",
    "rollup_claims",
    "rollup_coding",
    "rollup_audits",
    "rollup_snapshots",
    "rollup_charges_90d",
)


def statements() -> tuple[tuple[str, str], ...]:
    """Return ``(object, create statement)`` pairs of ``rollups.sql``, in build order."""
    return tuple(named_statements(SQL_FILE).items())


def existing_objects(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every user table and view of the database, by name: ``table`` or ``view``."""
    return dict(con.execute(statement(LAYERS_FILE, "existing_objects")).fetchall())


def tables() -> tuple[str, ...]:
    """Names of the tables and views :func:`build` makes."""
    return tuple(name for name, _ in statements())


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build the intermediate tables and the rollup views from the warehouse tables.

    All of it is one transaction (one commit, so one sync to disk instead of one per table), or part of
    the caller's when one is open.

    Args:
        con: a read-write connection to the generation being built, on which ``warehouse/schema.sql``
            has been run.

    Returns:
        Row count of each table and view built, by name.
    """
    try:
        con.execute("begin transaction")
        own = True
    except duckdb.TransactionException:  # the caller's transaction is open: build inside it
        own = False
    try:
        kinds = existing_objects(con)
        for name in RETIRED:
            if kinds.get(name) == "table":
                con.execute(f"drop table {name}")
        counts: dict[str, int] = {}
        for name, sql in statements():
            if name in kinds:  # e.g. the schema's stand-in view, a table from now on
                con.execute(f"drop {kinds[name]} {name}")
            con.execute(sql)
            rows = con.execute(f"select count(*) from {name}").fetchall()  # noqa: S608 - name from rollups.sql
            counts[name] = int(rows[0][0])
        if own:
            con.execute("commit")
    except BaseException:
        if own:
            with contextlib.suppress(duckdb.Error):
                con.execute("rollback")
        raise
    return counts
