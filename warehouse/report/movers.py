"""The "what moved" section: the scorecard's largest movers, each with the segment that drives it.

A mover is a KPI that changed most against the prior month, or that stands furthest from its target.
Its driver is found by splitting the KPI into additive parts along one dimension at a time (facility,
service line, payer, patient type, financial class, chart type, MS-DRG, CARC category, payer × CARC
category; rows of ``report.breakdown``):

* a sum (discharges, denied amount, backlog …) changes by ``Σ_i (X1_i − X0_i)``;
* a ratio ``v = a + b·N/D`` (a rate, a mean, CMI, accuracy = 1 − changed/reviewed, DNFB days =
  90·DNFB/gross 90-day charges) changes by ``Σ_i b·(N1_i/D1 − N0_i/D0)``, with ``D`` the month's
  total: a segment's part is the change of its numerator per unit of the whole denominator. A
  segment that did not change contributes 0, the parts add up to the change exactly, and the
  numerator alone may be split (CARC categories split denied claims, not submitted ones);
* the gap to a target ``t`` is ``Σ_i (b·N_i + (a − t)·D_i) / D`` (segments with their own denominator).

The driver is the segment with the largest part in the direction of the change: among segments that
account for at least half of it the most specific one (payer × CARC category), otherwise the largest,
and none when no segment accounts for a fifth. Dimensions the filters pin to one value, or with a
single segment, are skipped; for leadership a segment with 1–10 patients' records in either month is
never named.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from warehouse.filters import Filters
from warehouse.report import fmt
from warehouse.report.privacy import is_small
from warehouse.scorecard import KpiLine

ENCOUNTER_DIMS: tuple[str, ...] = ("facility", "service_line", "payer", "patient_type", "financial_class")
#: Dimensions that split only the numerator (denied claims have a CARC category, submitted ones not).
NUMERATOR_ONLY: frozenset[str] = frozenset({"carc_category", "payer_category"})
#: More specific dimensions win among segments that each account for at least half of a change.
SPECIFICITY: Mapping[str, int] = {"payer_category": 2}
#: The filter field that pins a dimension.
FILTER_OF: Mapping[str, str] = {
    "facility": "facility",
    "service_line": "service_line",
    "payer": "payer",
    "patient_type": "patient_type",
    "financial_class": "financial_class",
}
MAX_PRIOR_MOVERS = 3
MAX_TARGET_MOVERS = 2
#: A change smaller than this share of the prior value is not a mover.
MIN_RELATIVE_CHANGE = 0.05
#: A rate must also move by at least this much (0.5 percentage points).
MIN_RATE_CHANGE = 0.005
MAJORITY = 0.5
MIN_DRIVER_SHARE = 0.2


@dataclass(frozen=True)
class Spec:
    """How a KPI is built from additive measures: ``offset + scale · numerator / denominator``.

    ``gate`` is the count measure that says whether a segment is a small cell.
    """

    numerator: str
    denominator: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    gate: str | None = None
    extra_dims: tuple[str, ...] = ()


SPECS: Mapping[str, Spec] = {
    "discharges": Spec("discharges", gate="discharges"),
    "inpatient_discharges": Spec("inpatient_discharges", gate="inpatient_discharges", extra_dims=("ms_drg",)),
    "alos_days": Spec(
        "inpatient_los_days", "inpatient_discharges", gate="inpatient_discharges", extra_dims=("ms_drg",)
    ),
    "cmi": Spec("weight_sum", "weighted_discharges", gate="weighted_discharges", extra_dims=("ms_drg",)),
    "initial_denial_rate": Spec(
        "claims_denied",
        "claims_submitted",
        gate="claims_denied",
        extra_dims=("carc_category", "payer_category"),
    ),
    "denied_amount": Spec(
        "denied_amount", gate="claims_denied", extra_dims=("carc_category", "payer_category")
    ),
    "denial_overturn_rate": Spec(
        "appeals_overturned",
        "appeals_decided",
        gate="appeals_decided",
        extra_dims=("carc_category", "payer_category"),
    ),
    "charts_coded": Spec("charts_coded", gate="charts_coded", extra_dims=("chart_type",)),
    "coding_hours": Spec("coding_hours", gate="charts_coded", extra_dims=("chart_type",)),
    "charts_per_hour": Spec("charts_coded", "coding_hours", gate="charts_coded", extra_dims=("chart_type",)),
    "avg_discharge_to_code_days": Spec("discharge_to_code_days", "encounters_coded", gate="encounters_coded"),
    "coding_backlog": Spec("coding_backlog", gate="coding_backlog"),
    "dnfb_count": Spec("dnfb_count", gate="dnfb_count"),
    "dnfb_amount": Spec("dnfb_amount", gate="dnfb_count"),
    "coding_accuracy": Spec("codes_changed", "codes_reviewed", scale=-1.0, offset=1.0, gate="codes_reviewed"),
    "dnfb_days": Spec("dnfb_amount", "gross_charges_90d_amount", scale=90.0, gate="dnfb_count"),
    "drg_accuracy": Spec("drg_mismatches", "drg_audits", scale=-1.0, offset=1.0, gate="drg_audits"),
    "inpatient_charts_per_hour": Spec(
        "inpatient_charts_coded", "inpatient_coding_hours", gate="inpatient_charts_coded"
    ),
}

Kind = Literal["prior", "target"]


@dataclass(frozen=True)
class Driver:
    """The segment behind a change: ``member`` of ``dimension`` (``detail``: the CARC category)."""

    dimension: str
    member: str | None
    detail: str | None
    part: float
    share: float

    @property
    def phrase(self) -> str:
        """The segment in words: ``CARC category authorization at Blue Plan HMO``."""
        return segment_phrase(self.dimension, self.member, self.detail)

    @property
    def verb(self) -> str:
        """``accounts`` or ``account`` (``inpatient encounters account for …``)."""
        plural = self.member is None or self.dimension in ("patient_type", "chart_type")
        return "account" if plural else "accounts"


@dataclass(frozen=True)
class Mover:
    """One sentence of "what moved"."""

    kind: Kind
    key: str
    label: str
    unit: str
    value: float
    reference: float
    change: float
    driver: Driver | None
    sentence: str


def _words(value: str) -> str:
    return value.replace("_", " ")


def segment_phrase(dimension: str, member: str | None, detail: str | None = None) -> str:
    """Return a segment in words (``payer Blue Plan HMO``, ``inpatient charts``, ``MS-DRG 470``)."""
    if member is None:
        return {
            "service_line": "encounters without a service line",
            "ms_drg": "ungrouped discharges (no MS-DRG)",
            "payer_category": "claims without a payer",
        }.get(dimension, f"records without a {_words(dimension)}")
    if dimension == "payer_category":
        return f"CARC category {_words(detail or 'unspecified')} at {member}"
    if dimension == "patient_type":
        return f"{_words(member)} encounters"
    if dimension == "chart_type":
        return f"{_words(member)} charts"
    if dimension == "ms_drg":
        return f"MS-DRG {member}"
    if dimension == "carc_category":
        return f"CARC category {_words(member)}"
    return f"{_words(dimension)} {member}"


def _dimensions(key: str, filters: Filters) -> list[str]:
    spec = SPECS[key]
    dims = [*ENCOUNTER_DIMS, *spec.extra_dims]
    pinned = {d for d, f in FILTER_OF.items() if len(getattr(filters, f)) == 1}
    if "payer" in pinned:
        pinned.add("payer_category")
    return [d for d in dims if d not in pinned]


def _totals(row: Mapping[str, object], spec: Spec) -> tuple[float | None, float | None]:
    def num(name: str | None) -> float | None:
        if name is None:
            return None
        v = row.get(name)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    return num(spec.numerator), num(spec.denominator)


def _segments(breakdown: pl.DataFrame, dimension: str, measures: Sequence[str]) -> dict[tuple, dict]:
    """(member, detail) -> {(month, measure): amount} for one dimension."""
    rows = breakdown.filter((pl.col("dimension") == dimension) & pl.col("measure").is_in(list(measures)))
    out: dict[tuple, dict] = {}
    for r in rows.iter_rows(named=True):
        out.setdefault((r["member"], r["detail"]), {})[(r["month"], r["measure"])] = r["amount"]
    return out


def change_parts(
    breakdown: pl.DataFrame,
    key: str,
    month: dt.date,
    prior: dt.date,
    totals: tuple[tuple[float | None, float | None], tuple[float | None, float | None]],
    dimension: str,
) -> list[tuple[str | None, str | None, float, dict]]:
    """Return each segment's part of the change of ``key`` from ``prior`` to ``month`` along a dimension.

    Args:
        breakdown: rows of ``report.breakdown``.
        key: the scorecard KPI.
        month: first day of the month.
        prior: first day of the month before.
        totals: ((N, D) of the prior month, (N, D) of the month) from the scorecard.
        dimension: the dimension to split by.

    Returns:
        (member, detail, part, amounts) per segment; the parts add up to the KPI's change.
    """
    spec = SPECS[key]
    measures = [m for m in (spec.numerator, spec.denominator, spec.gate) if m]
    (_, d0), (_, d1) = totals
    parts = []
    for (member, detail), amounts in _segments(breakdown, dimension, measures).items():
        n0 = amounts.get((prior, spec.numerator), 0.0)
        n1 = amounts.get((month, spec.numerator), 0.0)
        if spec.denominator is None:
            part = spec.scale * (n1 - n0)
        else:
            if not d0 or not d1:
                return []
            part = spec.scale * (n1 / d1 - n0 / d0)
        parts.append((member, detail, part, amounts))
    return parts


def gap_parts(
    breakdown: pl.DataFrame,
    key: str,
    month: dt.date,
    target: float,
    total_d: float | None,
    dimension: str,
) -> list[tuple[str | None, str | None, float, dict]]:
    """Return each segment's part of the gap ``value − target`` of the month along a dimension."""
    spec = SPECS[key]
    if spec.denominator is None or dimension in NUMERATOR_ONLY or not total_d:
        return []
    measures = [m for m in (spec.numerator, spec.denominator, spec.gate) if m]
    parts = []
    for (member, detail), amounts in _segments(breakdown, dimension, measures).items():
        n = amounts.get((month, spec.numerator), 0.0)
        d = amounts.get((month, spec.denominator), 0.0)
        parts.append((member, detail, (spec.scale * n + (spec.offset - target) * d) / total_d, amounts))
    return parts


def pick_driver(
    candidates: Sequence[tuple[str, str | None, str | None, float]], total: float
) -> Driver | None:
    """Return the main driver of a change (or gap) ``total`` among (dimension, member, detail, part)."""
    if not total or not math.isfinite(total):
        return None
    drivers = [
        Driver(dim, member, detail, part, part / total)
        for dim, member, detail, part in candidates
        if part * total > 0
    ]
    if not drivers:
        return None
    majority = [d for d in drivers if d.share >= MAJORITY - 1e-9]
    if majority:
        return max(majority, key=lambda d: (SPECIFICITY.get(d.dimension, 1), d.share))
    best = max(drivers, key=lambda d: d.share)
    return best if best.share >= MIN_DRIVER_SHARE - 1e-9 else None


def _candidates(
    key: str,
    dims: Sequence[str],
    split: Callable[[str], list[tuple[str | None, str | None, float, dict]]],
    months: Sequence[dt.date],
    small_cells: bool,
) -> list[tuple[str, str | None, str | None, float]]:
    spec = SPECS[key]
    out = []
    for dim in dims:
        parts = split(dim)
        if len({(m, d) for m, d, _, _ in parts}) < 2:
            continue  # one segment explains nothing
        for member, detail, part, amounts in parts:
            if small_cells and spec.gate and any(is_small(amounts.get((m, spec.gate))) for m in months):
                continue
            out.append((dim, member, detail, part))
    return out


def _size(change: float, unit: str) -> str:
    text = fmt.kpi_change(change, unit).lstrip("+−±")
    if unit == "fraction":
        return text.replace(" pts", " points")
    if unit == "days":
        return f"{text} days"
    return text


def _driver_clause(driver: Driver | None, noun: str, hidden_driver: bool = False) -> str:
    if driver is None:
        if hidden_driver:
            return f"; the segment behind the {noun} is too small to name (fewer than 11 records)"
        return f"; no single segment accounts for a fifth of the {noun}"
    share = round(driver.share * 100)
    if driver.share > 1.0:
        others = "others moved the other way" if noun != "gap" else "others are on the good side of it"
        return f"; {driver.phrase} {driver.verb} for more than the whole {noun} ({share}%), {others}"
    return f"; {driver.phrase} {driver.verb} for {share}% of the {noun}"


def _find_driver(
    key: str,
    dims: Sequence[str],
    split: Callable[[str], list[tuple[str | None, str | None, float, dict]]],
    months: Sequence[dt.date],
    total: float,
    small_cells: bool,
) -> tuple[Driver | None, bool]:
    """Return the driver, and whether a driver exists that small-cell rules keep from being named."""
    driver = pick_driver(_candidates(key, dims, split, months, small_cells), total)
    hidden = False
    if driver is None and small_cells:
        hidden = pick_driver(_candidates(key, dims, split, months, False), total) is not None
    return driver, hidden


def what_moved(
    lines: Sequence[KpiLine],
    trend: pl.DataFrame,
    breakdown: pl.DataFrame,
    *,
    month: dt.date,
    filters: Filters,
    hidden: frozenset[str] | set[str] = frozenset(),
    hidden_prior: frozenset[str] | set[str] = frozenset(),
    small_cells: bool = True,
) -> list[Mover]:
    """Return the month's largest movers against the prior month and against target, with drivers.

    Args:
        lines: the scorecard with context (:func:`warehouse.scorecard.scorecard_with_context`).
        trend: ``scorecard.trend`` rows (for the numerators and denominators of M and M−1).
        breakdown: ``report.breakdown`` rows of the same month and filters.
        month: first day of the month.
        filters: the report's filters (dimensions they pin to one value are not split).
        hidden: KPIs suppressed in the month (never a mover).
        hidden_prior: KPIs suppressed in the prior month (no change against it is stated).
        small_cells: never name a segment with 1–10 records in either month.
    """
    prior = (month - dt.timedelta(days=1)).replace(day=1)
    rows = {r["month"]: r for r in trend.iter_rows(named=True)}
    now_row, prior_row = rows.get(month, {}), rows.get(prior, {})
    movers: list[Mover] = []
    ranked: list[tuple[float, KpiLine, float]] = []
    for line in lines:
        if line.key not in SPECS or line.key in hidden or line.key in hidden_prior:
            continue
        if line.value is None or line.prior_month is None:
            continue
        change = float(line.value) - float(line.prior_month)
        if abs(change) < 1e-12:
            continue
        base = abs(float(line.prior_month))
        relative = abs(change) / base if base else math.inf
        if relative < MIN_RELATIVE_CHANGE or (line.unit == "fraction" and abs(change) < MIN_RATE_CHANGE):
            continue
        ranked.append((relative, line, change))
    ranked.sort(key=lambda t: (-t[0], t[1].key))
    for _, line, change in ranked[:MAX_PRIOR_MOVERS]:
        spec = SPECS[line.key]
        totals = (_totals(prior_row, spec), _totals(now_row, spec))
        driver, hidden_driver = _find_driver(
            line.key,
            _dimensions(line.key, filters),
            lambda dim, k=line.key, t=totals: change_parts(breakdown, k, month, prior, t, dim),
            (prior, month),
            change,
            small_cells,
        )
        noun = "rise" if change > 0 else "fall"
        sentence = (
            f"{line.label} {'rose' if change > 0 else 'fell'} {_size(change, line.unit)} to "
            f"{fmt.kpi_value(line.value, line.unit)} (from {fmt.kpi_value(line.prior_month, line.unit)})"
            f"{_driver_clause(driver, noun, hidden_driver)}."
        )
        if line.target is not None and line.status in ("amber", "red"):
            sentence += (
                f" It is {line.status} against its "
                f"{fmt.target_text(line.target.target, line.target.direction, line.unit)} target."
            )
        movers.append(
            Mover(
                "prior",
                line.key,
                line.label,
                line.unit,
                float(line.value),
                float(line.prior_month),
                change,
                driver,
                sentence,
            )
        )
    named = {m.key for m in movers}
    off_target: list[tuple[float, KpiLine, float]] = []
    for line in lines:
        if line.key in named or line.key in hidden or line.target is None or line.value is None:
            continue
        if line.status not in ("amber", "red"):
            continue
        gap = float(line.value) - line.target.target
        scale = abs(line.target.target) or 1.0
        off_target.append((abs(gap) / scale, line, gap))
    off_target.sort(key=lambda t: (t[1].status != "red", -t[0], t[1].key))
    for _, line, gap in off_target[:MAX_TARGET_MOVERS]:
        spec = SPECS.get(line.key)
        driver, hidden_driver = None, False
        if spec is not None and line.target is not None:
            _, total_d = _totals(now_row, spec)
            driver, hidden_driver = _find_driver(
                line.key,
                _dimensions(line.key, filters),
                lambda dim, k=line.key, t=line.target.target, d=total_d: gap_parts(
                    breakdown, k, month, t, d, dim
                ),
                (month,),
                gap,
                small_cells,
            )
        assert line.target is not None
        side = "above" if gap > 0 else "below"
        sentence = (
            f"{line.label} is {fmt.kpi_value(line.value, line.unit)}, {_size(gap, line.unit)} {side} its "
            f"{fmt.target_text(line.target.target, line.target.direction, line.unit)} target "
            f"({line.status}){_driver_clause(driver, 'gap', hidden_driver)}."
        )
        movers.append(
            Mover(
                "target",
                line.key,
                line.label,
                line.unit,
                float(line.value),
                line.target.target,
                gap,
                driver,
                sentence,
            )
        )
    return movers
