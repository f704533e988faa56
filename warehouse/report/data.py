"""Everything one report shows, read from the query catalog on one cursor (one warehouse generation).

No SQL here: the scorecard comes from :mod:`warehouse.scorecard`, the rest from named catalog queries
(``scorecard.trend``, ``report.breakdown`` and the families' tables, see :mod:`.families`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

import duckdb
import polars as pl

from warehouse import catalog
from warehouse.errors import HimError
from warehouse.filters import LIST_FIELDS, Filters, month_end, parse_month
from warehouse.report.families import FAMILIES, Table
from warehouse.scorecard import KpiLine, scorecard, scorecard_with_context
from warehouse.targets import Target

Audience = Literal["leadership", "manager"]
AUDIENCES: tuple[str, ...] = ("leadership", "manager")

#: Scorecard columns that say whether anything happened in the month (period figures only: the as-of
#: figures exist for any month after the first discharge).
ACTIVITY_COLUMNS: tuple[str, ...] = (
    "discharges",
    "claims_submitted",
    "coding_activities",
    "encounters_coded",
    "codes_reviewed",
)


class NoDataForMonth(HimError):
    """The warehouse holds nothing for the month and filters asked for (exit status 1)."""


@dataclass(frozen=True)
class ReportData:
    """The raw numbers of one report (before suppression and formatting).

    Attributes:
        month: first day of the report month.
        filters: the filters (without dates: the report sets them per query).
        audience: ``leadership`` (small cells suppressed) or ``manager`` (all counts).
        lines: the scorecard KPIs with prior month, last year, target and status.
        row: the scorecard row of the month with its numerators and denominators.
        trend: ``scorecard.trend`` (13 months, oldest first).
        breakdown: ``report.breakdown`` (the month and the one before, split by dimension).
        tables: table key -> its frame.
        chart_frames: query name -> its 13-month frame (charts drawn from another query).
        data_through: the latest date of any discharge, coding or final bill in the warehouse.
        first_discharge: the earliest discharge date in the warehouse.
        loaded_at: when the latest load finished.
        generated_at: when the report was built (UTC).
        targets: the targets in force.
    """

    month: dt.date
    filters: Filters
    audience: Audience
    lines: list[KpiLine]
    row: dict[str, Any]
    trend: pl.DataFrame
    breakdown: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    chart_frames: dict[str, pl.DataFrame]
    data_through: dt.date | None
    first_discharge: dt.date | None
    loaded_at: dt.datetime | None
    generated_at: dt.datetime
    targets: dict[str, Target] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """True when small cells are suppressed (the leadership audience)."""
        return self.audience == "leadership"

    @property
    def incomplete(self) -> bool:
        """True when the warehouse's data stop before the month's last day."""
        return self.data_through is not None and self.data_through < month_end(self.month)


def describe_filters(filters: Filters) -> str:
    """Return the filters in words: ``facility FAC01; payer Medicare`` or ``all facilities, all payers``."""
    chosen = [
        f"{name.replace('_', ' ')} {', '.join(values)}"
        for name in LIST_FIELDS
        if (values := getattr(filters, name))
    ]
    return "; ".join(chosen) if chosen else "all facilities, all payers, all service lines"


def facility_text(filters: Filters) -> str:
    """Return the facilities the report covers: ``FAC01, FAC02`` or ``All facilities``."""
    return ", ".join(filters.facility) if filters.facility else "All facilities"


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def table_filters(table: Table, month: dt.date, filters: Filters) -> Filters:
    """Return the filters a family table is run with (the month, or its 13 months)."""
    if table.period == "trend":
        return _trend_filters(month, filters)
    return filters.for_month(month)


def _trend_filters(month: dt.date, filters: Filters) -> Filters:
    f = filters.for_month(month)
    return replace(f, date_from=_shift(month, -12), grain="month")


def _as_float(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _loaded_at(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    log = catalog.run("data_quality.load_log", con=con)
    done = [v for v in log["finished_at"].to_list() if v is not None] if log.height else []
    return max(done) if done else None


def collect(
    month: dt.date | str,
    filters: Filters | None = None,
    *,
    audience: Audience = "leadership",
    con: duckdb.DuckDBPyConnection | None = None,
    targets: dict[str, Target] | None = None,
    now: dt.datetime | None = None,
) -> ReportData:
    """Read every number of the report for one month.

    Args:
        month: ``YYYY-MM`` or any date in it.
        filters: facility, patient type, financial class, payer, service line, bill hold days.
        audience: ``leadership`` (small cells suppressed) or ``manager``.
        con: a cursor on the warehouse; default the process's read-only reader (one cursor is
            used for every query, so every number comes from the same generation).
        targets: targets by KPI; default :func:`warehouse.targets.load_targets`.
        now: the report's creation time (default: now, UTC).

    Raises:
        NoDataForMonth: the month has no discharges, claims, coding or audits under the filters.
        UsageProblem: a bad month, filter or audience.
    """
    from warehouse.errors import UsageProblem
    from warehouse.scorecard import KPIS
    from warehouse.targets import load_targets

    if audience not in AUDIENCES:
        raise UsageProblem(f"audience {audience!r} is not accepted; use one of {', '.join(AUDIENCES)}")
    first = parse_month(month)
    base = filters or Filters()
    base = replace(base, date_from=None, date_to=None, as_of=None, month=None)
    if con is None:
        from warehouse.db import reader

        con = reader().cursor()
    bounds = catalog.run("dashboard_extras.data_bounds", con=con).row(0, named=True)
    row = scorecard(first, base, con=con)
    if all(row.get(c) is None for c in ACTIVITY_COLUMNS):
        raise NoDataForMonth(_no_data_message(first, base, bounds))
    chosen_targets = load_targets(known=set(KPIS)) if targets is None else targets
    lines = scorecard_with_context(first, base, con=con, targets=chosen_targets)
    trend = catalog.run("scorecard.trend", base.for_month(first), con=con)
    breakdown = catalog.run("report.breakdown", base.for_month(first), con=con)
    tables: dict[str, pl.DataFrame] = {}
    for family in FAMILIES:
        for table in family.tables:
            tables[table.key] = catalog.run(table.query, table_filters(table, first, base), con=con)
    chart_frames: dict[str, pl.DataFrame] = {}
    for family in FAMILIES:
        for chart in family.charts:
            if chart.query and chart.query not in chart_frames:
                chart_frames[chart.query] = catalog.run(chart.query, _trend_filters(first, base), con=con)
    return ReportData(
        month=first,
        filters=base,
        audience=audience,
        lines=lines,
        row={k: _as_float(v) for k, v in row.items()},
        trend=trend,
        breakdown=breakdown,
        tables=tables,
        chart_frames=chart_frames,
        data_through=bounds["data_through_date"],
        first_discharge=bounds["first_discharge_date"],
        loaded_at=_loaded_at(con),
        generated_at=now or dt.datetime.now(dt.UTC).replace(microsecond=0),
        targets=chosen_targets,
    )


def _no_data_message(month: dt.date, filters: Filters, bounds: dict[str, Any]) -> str:
    label = month.strftime("%Y-%m")
    scope = "" if not any(getattr(filters, n) for n in LIST_FIELDS) else f" for {describe_filters(filters)}"
    first, through = bounds.get("first_discharge_date"), bounds.get("data_through_date")
    if first is None:
        return f"no report for {label}: the warehouse holds no data yet; run `him load PATH` first"
    held = f"the warehouse holds data from {first:%Y-%m} to {through:%Y-%m} (through {through})"
    if month > through or month_end(month) < first:
        return f"no report for {label}: the month is outside the data; {held}"
    return (
        f"no report for {label}{scope}: no discharges, claims, coding or audits in that month with these "
        f"filters; {held}"
    )
