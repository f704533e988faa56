"""coding.* on a hand-made fixture; expected values computed by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from warehouse import catalog
from warehouse.filters import Filters

MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
APRIL = {"date_from": "2025-04-01", "date_to": "2025-04-30"}


@pytest.fixture
def cod(wh):
    wh.enc("I1", discharge="2025-03-03", coded="2025-03-05")  # 2 days
    wh.enc("I2", admit="2025-03-08", discharge="2025-03-10", coded="2025-03-20")  # 10 days
    wh.enc("O1", ptype="outpatient", admit="2025-03-31", discharge="2025-03-31", coded="2025-04-02")
    wh.enc("I3", admit="2025-02-20", discharge="2025-02-25", coded="2025-03-01")  # 4 days, coded in March
    wh.enc("I4", admit="2025-03-20", discharge="2025-03-25")  # not coded
    wh.act("C1", "I1", start="2025-03-05 09:00:00", minutes=60)
    wh.act("C1", "I2", start="2025-03-20 09:00:00", minutes=30)
    wh.act("C1", "I1", activity="review", start="2025-03-06 09:00:00", minutes=30)
    wh.act("C1", "O1", chart_type="outpatient", start="2025-03-31 10:00:00", minutes=10)
    wh.act("C2", "I2", activity="query", start="2025-03-12 09:00:00", minutes=45)  # no coded chart
    wh.act("C3", "I3", start="2025-03-31 23:50:00", minutes=20)  # completed 04-01: April
    wh.audit("A1", "I1", coder="C1", date="2025-03-20", reviewed=10, changed=1, original="193", audited="193")
    wh.audit("A2", "I2", coder="C1", date="2025-03-31", reviewed=20, changed=3, original="194", audited="193")
    wh.audit("A3", "O1", coder="C2", date="2025-03-25", reviewed=5, changed=0)  # no DRGs
    wh.audit("A4", "I3", coder="C3", date="2025-04-01", reviewed=8, changed=8, original="193", audited="195")
    return wh


def test_productivity_per_coder_and_chart_type(cod):
    assert cod.run("coding.productivity", **MARCH).rows() == [
        ("C1", "inpatient", 3, 2, 2.0, 1.0),  # 60 + 30 + 30 minutes; the review counts in hours
        ("C1", "outpatient", 1, 1, pytest.approx(1 / 6), pytest.approx(6.0)),
        ("C2", "inpatient", 1, 0, 0.75, 0.0),  # activity but no coded chart: a real 0
    ]


def test_productivity_by_chart_type_and_summary(cod):
    assert cod.run("coding.productivity_by_chart_type", **MARCH).rows() == [
        ("inpatient", 2, 4, 2, 2.75, pytest.approx(2 / 2.75)),
        ("outpatient", 1, 1, 1, pytest.approx(1 / 6), pytest.approx(6.0)),
    ]
    hours = 2.75 + 1 / 6
    assert cod.one("coding.productivity_summary", **MARCH) == {
        "chart_types": 2,
        "activities": 5,
        "charts_coded": 3,
        "coding_hours": pytest.approx(hours),
        "charts_per_hour": pytest.approx(3 / hours),
    }
    # an activity that ends after midnight belongs to the day it was completed
    assert cod.one("coding.productivity_summary", **APRIL)["charts_coded"] == 1


def test_productivity_filters(cod):
    assert cod.run("coding.productivity", patient_type=["outpatient"], **MARCH)["chart_type"].to_list() == [
        "outpatient"
    ]
    row = cod.one("coding.productivity_summary", facility=["F9"], **MARCH)
    assert row == dict.fromkeys(row)
    assert cod.run("coding.productivity", facility=["F9"], **MARCH).is_empty()


def test_productivity_trend(cod):
    frame = cod.run("coding.productivity_trend", date_from="2025-03-01", date_to="2025-04-30", grain="month")
    assert frame.select("period", "chart_type", "charts_coded").rows() == [
        (dt.date(2025, 3, 1), "inpatient", 2),
        (dt.date(2025, 3, 1), "outpatient", 1),
        (dt.date(2025, 4, 1), "inpatient", 1),
    ]


def test_turnaround(cod):
    # coded in March: I1 (2 days), I2 (10), I3 (4, discharged in February)
    assert cod.one("coding.turnaround", **MARCH) == {
        "encounters_coded": 3,
        "discharge_to_code_days": 16,
        "avg_discharge_to_code_days": pytest.approx(16 / 3),
        "median_discharge_to_code_days": 4.0,
    }
    row = cod.one("coding.turnaround", date_from="2025-05-01", date_to="2025-05-31")
    assert row == dict.fromkeys(row)
    trend = cod.run("coding.turnaround_trend", date_from="2025-03-01", date_to="2025-04-30", grain="month")
    assert trend.rows() == [
        (dt.date(2025, 3, 1), 3, 16, pytest.approx(16 / 3), 4.0),
        (dt.date(2025, 4, 1), 1, 2, 2.0, 2.0),
    ]


def test_accuracy(cod):
    assert cod.one("coding.accuracy", **MARCH) == {
        "audits": 3,
        "codes_reviewed": 35,
        "codes_changed": 4,
        "code_accuracy_rate": pytest.approx(1 - 4 / 35),
        "drg_audits": 2,  # A3 carries no DRG
        "drg_mismatches": 1,
        "drg_accuracy_rate": 0.5,
    }
    row = cod.one("coding.accuracy", payer=["Nobody"], **MARCH)
    assert row == dict.fromkeys(row)


def test_accuracy_by_coder_and_trend(cod):
    assert cod.run("coding.accuracy_by_coder", **MARCH).rows() == [
        ("C1", 2, 30, 4, pytest.approx(1 - 4 / 30), 2, 1, 0.5),
        ("C2", 1, 5, 0, 1.0, 0, 0, None),
    ]
    trend = cod.run("coding.accuracy_trend", date_from="2025-03-01", date_to="2025-04-30", grain="month")
    assert trend.select("period", "audits", "code_accuracy_rate", "drg_accuracy_rate").rows() == [
        (dt.date(2025, 3, 1), 3, pytest.approx(1 - 4 / 35), 0.5),
        (dt.date(2025, 4, 1), 1, 0.0, 0.0),
    ]


@pytest.mark.parametrize(
    ("date_from", "date_to", "facility"),
    [
        ("2024-01-01", "2026-12-31", ()),
        ("2025-01-01", "2025-12-31", ("F1",)),
        ("2025-03-01", "2025-03-31", ("F2", "F3")),
        ("2024-06-01", "2024-06-30", ("nowhere",)),
    ],
)
def test_turnaround_median_equals_polars(generated, gen_con, date_from, date_to, facility):
    """The turnaround median is computed from day counts, not by median(): it must equal Polars' median
    of the encounters themselves (even and odd counts, per month and over the period)."""
    first, last = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    enc = generated[1]["encounters"].filter(
        pl.col("coded_date").is_between(first, last) & pl.col("discharge_date").is_not_null()
    )
    if facility:
        enc = enc.filter(pl.col("facility_id").is_in(list(facility)))
    days = enc.with_columns(
        (pl.col("coded_date") - pl.col("discharge_date")).dt.total_days().alias("days"),
        pl.col("coded_date").dt.truncate("1mo").alias("period"),
    )
    f = Filters(date_from=first, date_to=last, facility=facility)
    whole = catalog.run("coding.turnaround", f, con=gen_con).row(0, named=True)
    if days.is_empty():
        assert whole == dict.fromkeys(whole)
    else:
        assert whole["encounters_coded"] == days.height
        assert whole["discharge_to_code_days"] == days["days"].sum()
        assert whole["median_discharge_to_code_days"] == pytest.approx(days["days"].median())
    want = (
        days.group_by("period")
        .agg(pl.len().alias("n"), pl.col("days").sum().alias("sum"), pl.col("days").median().alias("median"))
        .sort("period")
    )
    got = catalog.run("coding.turnaround_trend", f, con=gen_con)
    assert got["period"].to_list() == want["period"].to_list()
    assert got["encounters_coded"].to_list() == want["n"].to_list()
    assert got["discharge_to_code_days"].to_list() == want["sum"].to_list()
    assert got["median_discharge_to_code_days"].to_list() == pytest.approx(want["median"].to_list())
    assert any(n % 2 == 0 for n in want["n"]) or want.is_empty() or days.height < 4
