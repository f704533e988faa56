"""demographics.* on a hand-made fixture; expected values computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture
def demo(wh):
    wh.enc("E1", admit="2025-03-01", discharge="2025-03-03")  # LOS 2, age 50
    wh.enc("E2", admit="2025-03-10", discharge="2025-03-10", age=95, sex="M", zip3="036")  # same day: LOS 1
    wh.enc("E3", ptype="outpatient", admit="2025-03-31", discharge="2025-03-31", age=17, sex=None, zip3=None)
    wh.enc("E4", admit="2025-03-25", discharge="2025-04-01")  # April, LOS 7
    wh.enc("E5", admit="2025-03-30", discharge=None)  # in house
    wh.enc("E6", facility="F2", admit="2025-03-05", discharge="2025-03-15", payer="Aetna", fc="commercial")
    return wh


def test_volume_march(demo):
    row = demo.one("demographics.volume", **MARCH)
    # E1, E2, E3 (discharged on the month's last day), E6; inpatient E1, E2, E6: LOS 2 + 1 + 10
    assert row == {
        "discharges": 4,
        "inpatient_discharges": 3,
        "inpatient_los_days": 13,
        "alos_days": pytest.approx(13 / 3),
    }


def test_volume_filters(demo):
    assert demo.one("demographics.volume", facility=["F2"], **MARCH) == {
        "discharges": 1,
        "inpatient_discharges": 1,
        "inpatient_los_days": 10,
        "alos_days": 10.0,
    }
    # discharges exist but none inpatient: a real 0 beside null LOS / ALOS
    assert demo.one("demographics.volume", patient_type=["outpatient"], **MARCH) == {
        "discharges": 1,
        "inpatient_discharges": 0,
        "inpatient_los_days": None,
        "alos_days": None,
    }
    assert demo.one("demographics.volume", payer=["Aetna"], **MARCH)["discharges"] == 1
    assert demo.one("demographics.volume", financial_class=["medicare"], **MARCH)["discharges"] == 3


def test_volume_no_match_is_null_not_zero(demo):
    row = demo.one("demographics.volume", facility=["F9"], **MARCH)
    assert row == dict.fromkeys(row)
    assert demo.run("demographics.volume_trend", facility=["F9"], **MARCH).is_empty()


def test_volume_trend(demo):
    frame = demo.run("demographics.volume_trend", date_from="2025-03-01", date_to="2025-04-30", grain="month")
    assert frame.rows() == [
        (dt.date(2025, 3, 1), 4, 3, 13, pytest.approx(13 / 3)),
        (dt.date(2025, 4, 1), 1, 1, 7, 7.0),
    ]
    weekly = demo.run("demographics.volume_trend", grain="week", **MARCH)
    # weeks start on Monday: 03-03 (E1), 03-10 (E2), 03-10..16 also E6 (03-15), 03-31 (E3)
    assert weekly.select("period", "discharges").rows() == [
        (dt.date(2025, 3, 3), 1),
        (dt.date(2025, 3, 10), 2),
        (dt.date(2025, 3, 31), 1),
    ]


def test_in_house_census(demo):
    # at the end of 03-31: E4 (discharged 04-01) and E5 (no discharge); E3 left on 03-31
    assert demo.run("demographics.in_house_census", as_of="2025-03-31").rows() == [("inpatient", 2)]
    assert demo.run("demographics.in_house_census", as_of="2025-03-02").rows() == [("inpatient", 1)]
    assert demo.run("demographics.in_house_census", as_of="2024-12-31").is_empty()  # before any data


def test_mix(demo):
    frame = demo.run("demographics.mix", **MARCH)
    got = {(r["dimension"], r["value"]): (r["discharges"], r["share"]) for r in frame.iter_rows(named=True)}
    assert set(frame["total_discharges"]) == {4}
    assert got[("age_band", "45-64")] == (2, 0.5)
    assert got[("age_band", "90+")] == (1, 0.25)  # 95 stored as 90 (top-coded)
    assert got[("age_band", "0-17")] == (1, 0.25)
    assert got[("sex", "F")] == (2, 0.5)
    assert got[("sex", "M")] == (1, 0.25)
    assert got[("sex", "Unknown")] == (1, 0.25)
    assert got[("zip3", "000")] == (1, 0.25)  # 036 is Safe Harbor restricted
    assert got[("zip3", "100")] == (2, 0.5)
    assert got[("zip3", "Unknown")] == (1, 0.25)
    assert ("zip3", "036") not in got
    assert got[("financial_class", "medicare")] == (3, 0.75)
    assert got[("financial_class", "commercial")] == (1, 0.25)
    for dim in ("age_band", "sex", "race", "ethnicity", "financial_class", "zip3"):
        assert frame.filter(frame["dimension"] == dim)["discharges"].sum() == 4
