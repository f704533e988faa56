"""scorecard.* queries and warehouse.scorecard on a hand-made March 2025 fixture."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from warehouse import catalog
from warehouse.filters import Filters
from warehouse.scorecard import SCORECARD_KEYS, scorecard, scorecard_with_context
from warehouse.targets import default_targets


@pytest.fixture
def sc(wh):
    wh.enc(
        "S1", admit="2025-03-01", discharge="2025-03-03", drg="193", coded="2025-03-04", billed="2025-03-06"
    )
    wh.enc("S2", admit="2025-03-10", discharge="2025-03-10", drg="999", coded="2025-03-20", charges="2000.00")
    wh.enc("S3", ptype="outpatient", admit="2025-03-31", discharge="2025-03-31", charges="500.00")
    wh.enc(
        "S4",
        admit="2025-02-18",
        discharge="2025-02-20",
        drg="194",
        coded="2025-03-02",
        billed="2025-03-05",
        charges="4000.00",
    )
    wh.claim("K1", "S1", submitted="2025-03-07", billed="1000.00")
    wh.claim(
        "K2",
        "S4",
        submitted="2025-03-06",
        billed="4000.00",
        status="denied",
        denied="4000.00",
        carc="50",
        denial_date="2025-03-10",
        appeal_date="2025-03-15",
        outcome="overturned",
    )
    wh.claim(
        "K3",
        "S4",
        submitted="2025-03-20",
        billed="100.00",
        status="partial",
        denied="50.00",
        denial_date="2025-03-25",
        appeal_date="2025-03-26",
        outcome="upheld",
    )
    wh.act("C1", "S1", start="2025-03-04 09:00:00", minutes=60)
    wh.act("C1", "S2", start="2025-03-20 09:00:00", minutes=30)
    wh.act("C2", "S3", chart_type="outpatient", start="2025-03-31 09:00:00", minutes=15)
    wh.audit("A1", "S1", date="2025-03-15", reviewed=10, changed=1, original="193", audited="193")
    wh.audit("A2", "S2", date="2025-03-16", reviewed=10, changed=0)
    return wh


MARCH_EXPECTED = {
    "month": "2025-03",
    "discharges": 3,  # S1, S2, S3 (S3 on the month's last day)
    "inpatient_discharges": 2,
    "alos_days": 1.5,  # LOS 2 + 1 (same-day stay)
    "cmi": 1.2,  # S1 only: S2's DRG 999 is not in the table
    "initial_denial_rate": pytest.approx(2 / 3),
    "denied_amount": 4050.0,
    "denial_overturn_rate": 0.5,
    "charts_coded": 3,
    "coding_hours": 1.75,
    "charts_per_hour": pytest.approx(3 / 1.75),
    "avg_discharge_to_code_days": 7.0,  # S1 1 day, S2 10, S4 10 (discharged in February)
    "coding_backlog": 1,  # S3
    "dnfb_count": 1,  # S2 (21 days, unbilled); S3 is inside the bill hold
    "dnfb_amount": 2000.0,
    "coding_accuracy": 0.95,  # 1 - 1/20
    "dnfb_days": pytest.approx(24.0),  # 2000 / (7500 / 90)
    "drg_accuracy": 1.0,
    "inpatient_charts_per_hour": pytest.approx(2 / 1.5),
}


def test_scorecard_dict(sc):
    got = scorecard("2025-03", con=sc.con)
    assert tuple(got)[: len(SCORECARD_KEYS)] == SCORECARD_KEYS
    assert {k: got[k] for k in MARCH_EXPECTED} == MARCH_EXPECTED
    assert isinstance(got["denied_amount"], float)
    json.dumps(got)  # JSON-ready


def test_scorecard_month_without_data_is_null(sc):
    got = scorecard("2024-03", con=sc.con)
    assert got["month"] == "2024-03"
    assert all(got[k] is None for k in SCORECARD_KEYS[1:])
    filtered = scorecard("2025-03", Filters(facility=("F9",)), con=sc.con)
    assert all(filtered[k] is None for k in SCORECARD_KEYS[1:])


def test_scorecard_filters(sc):
    got = scorecard("2025-03", Filters(patient_type=("outpatient",)), con=sc.con)
    assert (got["discharges"], got["inpatient_discharges"], got["alos_days"], got["cmi"]) == (
        1,
        0,
        None,
        None,
    )
    assert (got["charts_coded"], got["coding_backlog"], got["dnfb_count"]) == (1, 1, 0)  # real zeros


def test_trend_matches_monthly(sc):
    trend = catalog.run("scorecard.trend", Filters(month="2025-03"), con=sc.con)
    assert trend.height == 13
    assert trend["month"].to_list()[0] == dt.date(2024, 3, 1)
    monthly = catalog.run("scorecard.monthly", Filters(month="2025-03"), con=sc.con)
    assert trend.tail(1).rows() == monthly.rows()


def test_scorecard_equals_family_queries(sc):
    got = scorecard("2025-03", con=sc.con)
    f = Filters().for_month("2025-03")

    def one(name):
        return catalog.run(name, f, con=sc.con).row(0, named=True)

    assert got["discharges"] == one("demographics.volume")["discharges"]
    assert got["alos_days"] == one("demographics.volume")["alos_days"]
    assert got["cmi"] == one("drg.cmi")["cmi"]
    assert got["initial_denial_rate"] == one("denials.summary")["initial_denial_rate"]
    assert got["denial_overturn_rate"] == one("denials.summary")["denial_overturn_rate"]
    assert got["charts_per_hour"] == one("coding.productivity_summary")["charts_per_hour"]
    assert got["avg_discharge_to_code_days"] == one("coding.turnaround")["avg_discharge_to_code_days"]
    assert got["coding_backlog"] == one("operations.coding_backlog")["backlog_count"]
    assert got["dnfb_days"] == one("operations.dnfb")["dnfb_days"]
    assert got["coding_accuracy"] == one("coding.accuracy")["code_accuracy_rate"]


def test_with_context(sc):
    lines = {
        line.key: line for line in scorecard_with_context("2025-03", con=sc.con, targets=default_targets())
    }
    d = lines["discharges"]
    assert (d.value, d.prior_month, d.same_month_last_year, d.target, d.status) == (3, 1, None, None, None)
    assert (lines["cmi"].value, lines["cmi"].prior_month) == (1.2, 0.8)
    assert lines["coding_backlog"].prior_month == 1  # S4 uncoded at 02-28
    assert lines["dnfb_amount"].prior_month == 4000.0
    assert lines["initial_denial_rate"].prior_month is None
    assert lines["coding_accuracy"].status == "green"  # 95% meets the 95% target
    assert lines["initial_denial_rate"].status == "red"
    assert lines["denial_overturn_rate"].status == "green"
    assert lines["inpatient_charts_per_hour"].status == "red"  # 1.33 < 2.0 - 0.5
    assert lines["avg_discharge_to_code_days"].status == "red"  # 7 > 3 + 2
