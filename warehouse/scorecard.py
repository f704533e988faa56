"""The monthly scorecard: one dict of KPIs for a month, and each KPI beside its context and target.

Both functions run the catalog's ``scorecard.*`` queries, so ``him kpi``, the dashboard and the report
show the same numbers. Rates are fractions, money is dollars (float, 2 decimals), and a KPI with no
data in the month is None (JSON ``null``), never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from warehouse import catalog
from warehouse.filters import Filters, parse_month
from warehouse.targets import Status, Target, load_targets

#: The JSON keys of ``him kpi``, in order (more keys follow them).
SCORECARD_KEYS: tuple[str, ...] = (
    "month",
    "discharges",
    "inpatient_discharges",
    "alos_days",
    "cmi",
    "initial_denial_rate",
    "denied_amount",
    "denial_overturn_rate",
    "charts_coded",
    "coding_hours",
    "charts_per_hour",
    "avg_discharge_to_code_days",
    "coding_backlog",
    "dnfb_count",
    "dnfb_amount",
    "coding_accuracy",
)

#: Every KPI shown on the scorecard: key -> (label, unit). Units: count, days, index, fraction,
#: dollars, hours, per_hour.
KPIS: dict[str, tuple[str, str]] = {
    "discharges": ("Discharges", "count"),
    "inpatient_discharges": ("Inpatient discharges", "count"),
    "alos_days": ("ALOS (inpatient)", "days"),
    "cmi": ("Case mix index", "index"),
    "initial_denial_rate": ("Initial denial rate", "fraction"),
    "denied_amount": ("Denied amount", "dollars"),
    "denial_overturn_rate": ("Appeal overturn rate", "fraction"),
    "charts_coded": ("Charts coded", "count"),
    "coding_hours": ("Coding hours", "hours"),
    "charts_per_hour": ("Charts per hour (all chart types)", "per_hour"),
    "avg_discharge_to_code_days": ("Discharge to code (mean)", "days"),
    "coding_backlog": ("Coding backlog at month end", "count"),
    "dnfb_count": ("DNFB at month end", "count"),
    "dnfb_amount": ("DNFB charges at month end", "dollars"),
    "coding_accuracy": ("Code-level accuracy", "fraction"),
    "dnfb_days": ("DNFB days", "days"),
    "drg_accuracy": ("DRG accuracy", "fraction"),
    "inpatient_charts_per_hour": ("Inpatient charts per hour", "per_hour"),
}


@dataclass(frozen=True)
class KpiLine:
    """One scorecard KPI with its context."""

    key: str
    label: str
    unit: str
    value: float | int | None
    prior_month: float | int | None
    same_month_last_year: float | int | None
    target: Target | None
    status: Status | None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):  # money (2 decimals) and weight sums (4): exact in a float's repr
        return float(value)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return value


def _row_dict(row: dict[str, Any]) -> dict[str, Any]:
    ordered = {k: _plain(row[k]) for k in SCORECARD_KEYS}
    ordered.update({k: _plain(v) for k, v in row.items() if k not in ordered})
    return ordered


def scorecard(
    month: dt.date | str,
    filters: Filters | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """Return the scorecard of one month as a JSON-ready dict.

    Args:
        month: ``YYYY-MM`` or any date in the month.
        filters: facility, patient type, financial class, payer, service line, bill_hold_days (the
            date range and as-of date are replaced by the month and its last day).
        con: a DuckDB connection or cursor; default the process's read-only reader.

    Returns:
        The keys of :data:`SCORECARD_KEYS` in order (``month`` as ``YYYY-MM``), then the extra KPIs and
        the numerators and denominators behind them.
    """
    f = (filters or Filters()).for_month(month)
    frame = catalog.run("scorecard.monthly", f, con=con)
    return _row_dict(frame.row(0, named=True))


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def scorecard_with_context(
    month: dt.date | str,
    filters: Filters | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    targets: dict[str, Target] | None = None,
) -> list[KpiLine]:
    """Return each scorecard KPI with the prior month, the same month a year earlier, target and status.

    Args:
        month: ``YYYY-MM`` or any date in the month.
        filters: as for :func:`scorecard`.
        con: a DuckDB connection or cursor; default the process's read-only reader.
        targets: targets by KPI key; default :func:`warehouse.targets.load_targets`.
    """
    first = parse_month(month)
    f = (filters or Filters()).for_month(first)
    frame = catalog.run("scorecard.trend", f, con=con)
    rows = {r["month"]: _row_dict(r) for r in frame.iter_rows(named=True)}
    current, prior, last_year = (rows.get(_shift(first, n), {}) for n in (0, -1, -12))
    chosen = load_targets(known=set(KPIS)) if targets is None else targets
    lines: list[KpiLine] = []
    for key, (label, unit) in KPIS.items():
        target = chosen.get(key)
        value = current.get(key)
        lines.append(
            KpiLine(
                key=key,
                label=label,
                unit=unit,
                value=value,
                prior_month=prior.get(key),
                same_month_last_year=last_year.get(key),
                target=target,
                status=target.status(value) if target is not None else None,
            )
        )
    return lines
