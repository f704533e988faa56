""" "What moved": on warehouses built by hand so that the answer is known, the sentences name the
right KPI and driver; on the demo warehouse the decomposition adds up exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from report_tiny import Tiny

from warehouse import catalog
from warehouse.filters import Filters
from warehouse.report.data import collect
from warehouse.report.movers import SPECS, Mover, _dimensions, change_parts, what_moved
from warehouse.scorecard import KPIS

MARCH, FEBRUARY = dt.date(2025, 3, 1), dt.date(2025, 2, 1)
PAYERS = ("Acme PPO", "United", "State Medicaid", "Medicare", "Blue Plan HMO")


def _movers(tiny: Tiny, audience: str = "manager", filters: Filters | None = None) -> dict[str, Mover]:
    data = collect("2025-03", filters, audience=audience, con=tiny.cursor())  # type: ignore[arg-type]
    movers = what_moved(
        data.lines,
        data.trend,
        data.breakdown,
        month=data.month,
        filters=data.filters,
        small_cells=audience == "leadership",
    )
    return {m.key: m for m in movers}


def _denials(tiny: Tiny, *, auth_at_blue: int, coding_at_acme: int) -> None:
    """40 claims per payer per month; 2 medical-necessity denials each; in March extra denials."""
    for month, day in (("2025-02", "10"), ("2025-03", "12")):
        for payer in PAYERS:
            extra = []
            if month == "2025-03" and payer == "Blue Plan HMO":
                extra = ["197"] * auth_at_blue
            if month == "2025-03" and payer == "Acme PPO":
                extra = ["4"] * coding_at_acme
            carcs = ["50", "50", *extra]
            for i in range(40):
                eid = tiny.enc(discharge=f"{month}-05", payer=payer)
                denied = i < len(carcs)
                status = "denied" if denied else "paid"
                tiny.claim(
                    eid,
                    submitted=f"{month}-{day}",
                    payer=payer,
                    status=status,
                    carc=carcs[i] if denied else None,
                )


def test_denial_rate_rise_is_put_on_authorization_at_blue_plan(tiny: Tiny) -> None:
    _denials(tiny, auth_at_blue=16, coding_at_acme=4)
    movers = _movers(tiny, "leadership")
    rate = movers["initial_denial_rate"]
    assert rate.kind == "prior"
    assert rate.sentence == (
        "Initial denial rate rose 10.0 points to 15.0% (from 5.0%); CARC category authorization at "
        "Blue Plan HMO accounts for 80% of the rise. It is red against its ≤ 5.0% target."
    )
    assert rate.driver is not None
    assert (rate.driver.dimension, rate.driver.member, rate.driver.detail) == (
        "payer_category",
        "Blue Plan HMO",
        "authorization",
    )
    assert rate.driver.share == pytest.approx(0.8)
    assert movers["denied_amount"].sentence == (
        "Denied amount rose $20,000.00 to $30,000.00 (from $10,000.00); CARC category authorization at "
        "Blue Plan HMO accounts for 80% of the rise."
    )


def test_a_small_driver_is_named_for_managers_but_never_for_leadership(tiny: Tiny) -> None:
    _denials(tiny, auth_at_blue=8, coding_at_acme=2)  # 8 authorization denials: a small cell
    manager = _movers(tiny, "manager")["initial_denial_rate"]
    assert manager.driver is not None
    assert manager.driver.member == "Blue Plan HMO"
    leadership = _movers(tiny, "leadership")["initial_denial_rate"]
    assert leadership.driver is None
    assert "Blue Plan" not in leadership.sentence
    assert "too small to name" in leadership.sentence


def test_discharge_rise_is_put_on_the_service_line_that_grew(tiny: Tiny) -> None:
    for month, cardiology in (("2025-02", 30), ("2025-03", 60)):
        for i in range(cardiology):
            tiny.enc(discharge=f"{month}-07", service_line="Cardiology", facility="F1" if i % 2 else "F2")
        for i in range(30):
            facility = "F1" if i % 2 else "F2"
            tiny.enc(discharge=f"{month}-08", service_line="General Medicine", facility=facility)
    movers = _movers(tiny, "leadership")
    assert movers["discharges"].sentence == (
        "Discharges rose 30 to 90 (from 60); service line Cardiology accounts for 100% of the rise."
    )
    assert movers["discharges"].driver is not None
    assert movers["discharges"].driver.dimension == "service_line"


def test_a_kpi_off_target_is_put_on_the_facility_behind_the_gap(tiny: Tiny) -> None:
    for month in ("2025-02", "2025-03"):
        for facility, days in (("F1", 3), ("F2", 9)):
            for _ in range(30):
                out = dt.date.fromisoformat(f"{month}-02")
                tiny.enc(
                    discharge=out.isoformat(),
                    facility=facility,
                    coded=(out + dt.timedelta(days=days)).isoformat(),
                )
    movers = _movers(tiny, "leadership")
    d2c = movers["avg_discharge_to_code_days"]
    assert d2c.kind == "target"
    assert d2c.sentence == (
        "Discharge to code (mean) is 6.00, 3.00 days above its ≤ 3.00 target (red); facility F2 accounts "
        "for 100% of the gap."
    )


def test_a_dimension_pinned_by_the_filters_is_not_a_driver(tiny: Tiny) -> None:
    _denials(tiny, auth_at_blue=16, coding_at_acme=4)
    rate = _movers(tiny, "manager", Filters(payer=("Blue Plan HMO",)))["initial_denial_rate"]
    assert rate.driver is not None
    assert rate.driver.dimension == "carc_category"  # not "payer Blue Plan HMO": every claim is theirs
    assert rate.driver.member == "authorization"


# ---- the decomposition on the demo warehouse ----


@pytest.fixture(scope="module")
def demo_data(demo_con: Any, report_month: dt.date) -> Any:
    return collect(report_month, None, audience="manager", con=demo_con)


def test_breakdown_adds_up_to_the_scorecard(demo_data: Any) -> None:
    frame: pl.DataFrame = demo_data.breakdown
    rows = {r["month"]: r for r in demo_data.trend.iter_rows(named=True)}
    sums = frame.group_by("month", "dimension", "measure").agg(pl.col("amount").sum())
    checked = 0
    for r in sums.iter_rows(named=True):
        if r["dimension"] in ("carc_category", "payer_category") and r["measure"] not in (
            "claims_denied",
            "denied_amount",
            "appeals_overturned",
            "appeals_decided",
        ):
            continue
        if r["dimension"] == "ms_drg" and r["measure"] == "discharges":
            continue
        expected = rows[r["month"]][r["measure"]]
        assert r["amount"] == pytest.approx(float(expected), rel=1e-9, abs=1e-6), r
        checked += 1
    assert checked > 150


def test_parts_add_up_to_each_change(demo_data: Any) -> None:
    month = demo_data.month
    prior = (month - dt.timedelta(days=1)).replace(day=1)
    rows = {r["month"]: r for r in demo_data.trend.iter_rows(named=True)}
    checked = 0
    for key, spec in SPECS.items():
        now, before = rows[month][key], rows[prior][key]
        if now is None or before is None:
            continue
        totals = tuple(
            (float(r[spec.numerator] or 0), float(r[spec.denominator] or 0) if spec.denominator else None)
            for r in (rows[prior], rows[month])
        )
        for dim in _dimensions(key, Filters()):
            parts = change_parts(demo_data.breakdown, key, month, prior, totals, dim)  # type: ignore[arg-type]
            if not parts:
                continue
            assert sum(p[2] for p in parts) == pytest.approx(float(now) - float(before), abs=1e-9), (key, dim)
            checked += 1
    assert checked > 60


def test_every_scorecard_kpi_can_be_decomposed() -> None:
    assert set(SPECS) == set(KPIS)
    declared = {c.name for c in catalog.get("scorecard.trend").returns}
    for spec in SPECS.values():
        assert {spec.numerator, spec.denominator or spec.numerator, spec.gate or spec.numerator} <= declared
