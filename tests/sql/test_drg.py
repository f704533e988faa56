"""drg.* on a hand-made fixture. The MS-DRG table has FY2025 and FY2026 only (tests/sql/conftest.py):
193 WITH MCC 1.2 / 1.3, 194 WITH CC 0.8 / 0.9, 195 WITHOUT CC/MCC 0.6 / 0.7, 470 (no split) 2.0 / 2.1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture
def drg(wh):
    wh.enc("D1", admit="2025-03-01", discharge="2025-03-03", drg="193")  # LOS 2
    wh.enc("D2", admit="2025-03-10", discharge="2025-03-10", drg="194")  # same day: LOS 1
    wh.enc("D3", admit="2025-03-14", discharge="2025-03-15", drg="999")  # DRG not in the table
    wh.enc("D4", admit="2025-03-18", discharge="2025-03-20", drg=None)  # ungrouped
    wh.enc("D5", admit="2025-03-28", discharge="2025-03-31", drg="470", service_line="Ortho")  # last day
    wh.enc("D10", admit="2025-03-10", discharge="2025-03-12", drg="195", service_line="Pulmonary")
    wh.enc("OP", ptype="outpatient", admit="2025-03-05", discharge="2025-03-05", drg="193")  # not grouped
    wh.enc("D6", admit="2023-03-10", discharge="2023-03-15", drg="195")  # FY2023: nearest table FY2025
    wh.enc("D7", admit="2027-10-30", discharge="2027-11-01", drg="195")  # FY2028: nearest table FY2026
    wh.enc("D8", admit="2025-09-29", discharge="2025-10-01", drg="193")  # FY2026
    wh.enc("D9", admit="2025-09-29", discharge="2025-09-30", drg="193")  # FY2025
    wh.act("C1", "D1", start="2025-03-04 09:00:00")
    wh.act("C2", "D2", start="2025-03-11 09:00:00")
    wh.act("C3", "D2", start="2025-03-12 09:00:00")  # the latest code activity: D2's coder is C3
    wh.act("C1", "D10", activity="review", start="2025-03-13 09:00:00")  # no code activity for D10
    return wh


def test_cmi_march(drg):
    row = drg.one("drg.cmi", **MARCH)
    # weighted: D1 1.2 + D2 0.8 + D5 2.0 + D10 0.6 = 4.6 over 4; D3 not in table, D4 ungrouped
    assert row == {
        "inpatient_discharges": 6,
        "weighted_discharges": 4,
        "weight_sum": Decimal("4.6000"),
        "cmi": pytest.approx(1.15),
        "ungrouped_count": 1,
        "drg_not_in_table_count": 1,
        "nearest_fy_count": 0,
    }


def test_cmi_fiscal_year_without_table_uses_nearest(drg):
    old = drg.one("drg.cmi", date_from="2023-03-01", date_to="2023-03-31")
    assert (old["weighted_discharges"], old["cmi"], old["nearest_fy_count"]) == (1, pytest.approx(0.6), 1)
    new = drg.one("drg.cmi", date_from="2027-11-01", date_to="2027-11-30")
    assert (new["weighted_discharges"], new["cmi"], new["nearest_fy_count"]) == (1, pytest.approx(0.7), 1)


def test_cmi_fiscal_year_boundary(drg):
    # 2025-09-30 is FY2025 (1.2), 2025-10-01 is FY2026 (1.3)
    row = drg.one("drg.cmi", date_from="2025-09-30", date_to="2025-10-01")
    assert row["weight_sum"] == Decimal("2.5000")
    assert row["cmi"] == pytest.approx(1.25)


def test_cmi_no_match_is_null(drg):
    row = drg.one("drg.cmi", facility=["nowhere"], **MARCH)
    assert row == dict.fromkeys(row)
    assert drg.one("drg.cmi", patient_type=["outpatient"], **MARCH)["cmi"] is None


def test_cmi_trends(drg):
    trend = drg.run("drg.cmi_trend", grain="month", **MARCH)
    assert trend.rows() == [(dt.date(2025, 3, 1), 6, 4, Decimal("4.6000"), pytest.approx(1.15), 1, 1)]
    by_type = drg.run("drg.cmi_by_type_trend", grain="month", **MARCH)
    assert by_type.rows() == [
        (dt.date(2025, 3, 1), "medical", 3, Decimal("2.6000"), pytest.approx(2.6 / 3)),
        (dt.date(2025, 3, 1), "surgical", 1, Decimal("2.0000"), pytest.approx(2.0)),
    ]


def test_cmi_trend_by_facility(drg):
    drg.enc("G1", facility="F2", admit="2025-03-02", discharge="2025-03-04", drg="470")
    drg.enc("G2", facility="F2", admit="2025-04-01", discharge="2025-04-02", drg="999")  # only unweighted
    trend = drg.run("drg.cmi_trend_by_facility", grain="month", date_from="2025-03-01", date_to="2025-04-30")
    assert trend.rows() == [
        (dt.date(2025, 3, 1), "F1", 6, 4, Decimal("4.6000"), pytest.approx(1.15)),  # as drg.cmi of March
        (dt.date(2025, 3, 1), "F2", 1, 1, Decimal("2.0000"), pytest.approx(2.0)),
        (dt.date(2025, 4, 1), "F2", 1, 0, None, None),  # a discharge but no weight: no CMI
    ]
    # each discharge weighted by its own fiscal year's table: 2025-09-30 FY2025 1.2, 2025-10-01 FY2026 1.3
    fy = drg.run("drg.cmi_trend_by_facility", grain="year", date_from="2025-09-30", date_to="2025-10-01")
    assert fy.rows() == [(dt.date(2025, 1, 1), "F1", 2, 2, Decimal("2.5000"), pytest.approx(1.25))]
    assert drg.run("drg.cmi_trend_by_facility", grain="month", facility=["nowhere"], **MARCH).is_empty()


def test_mix(drg):
    frame = drg.run("drg.mix", **MARCH)
    rows = {r["ms_drg"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == {"193", "194", "195", "470", "999", None}
    assert set(frame["inpatient_discharges"]) == {6}
    assert frame["share"].sum() == pytest.approx(1.0)
    assert rows["193"]["title"] == "SIMPLE PNEUMONIA AND PLEURISY WITH MCC"
    assert (rows["470"]["drg_type"], rows["470"]["mdc"], rows["470"]["avg_weight"]) == ("surgical", "08", 2.0)
    assert (rows["999"]["title"], rows["999"]["weighted_discharges"], rows["999"]["avg_weight"]) == (
        None,
        0,
        None,
    )
    assert rows[None]["drg_type"] == "unknown"
    assert rows["193"]["share"] == pytest.approx(1 / 6)


def test_mix_by_mdc(drg):
    assert drg.run("drg.mix_by_mdc", **MARCH).rows() == [
        # 193 1.2 + 194 0.8 + 195 0.6 (D1, D2, D10)
        ("04", 3, 3, 6, 0.5, Decimal("2.6000"), pytest.approx(2.6 / 3)),
        (None, 2, 0, 6, pytest.approx(1 / 3), None, None),  # D3 not in the table, D4 ungrouped
        ("08", 1, 1, 6, pytest.approx(1 / 6), Decimal("2.0000"), 2.0),  # D5
    ]
    fy = drg.run("drg.mix_by_mdc", date_from="2025-09-30", date_to="2025-10-01")  # D9 FY2025, D8 FY2026
    assert fy.rows() == [("04", 2, 2, 2, 1.0, Decimal("2.5000"), pytest.approx(1.25))]
    assert drg.run("drg.mix_by_mdc", service_line=["nowhere"], **MARCH).is_empty()


def test_alos_vs_gmlos(drg):
    frame = drg.run("drg.alos_vs_gmlos", **MARCH)
    got = {r[0]: r[3:] for r in frame.rows()}
    assert got == {
        "193": (1, 2, 2.0, 4.0, -2.0, 0.5),
        "194": (1, 1, 1.0, 3.0, -2.0, pytest.approx(1 / 3)),
        "195": (1, 2, 2.0, 2.5, -0.5, 0.8),
        "470": (1, 3, 3.0, 2.0, 1.0, 1.5),
    }


def test_cc_mcc_capture(drg):
    # eligible: the pneumonia family (193/194/195) has splits; 470's family has no CC/MCC DRG
    assert drg.one("drg.cc_mcc_capture", **MARCH) == {
        "eligible_discharges": 3,
        "cc_mcc_discharges": 2,
        "cc_mcc_capture_rate": pytest.approx(2 / 3),
    }
    only_hip = drg.one("drg.cc_mcc_capture", service_line=["Ortho"], **MARCH)
    assert only_hip == dict.fromkeys(only_hip)


def test_cc_mcc_capture_by_service_line_and_coder(drg):
    assert drg.run("drg.cc_mcc_capture_by_service_line", **MARCH).rows() == [
        ("Medicine", 2, 2, 1.0),
        ("Pulmonary", 1, 0, 0.0),
    ]
    assert drg.run("drg.cc_mcc_capture_by_coder", **MARCH).rows() == [
        ("C1", 1, 1, 1.0),
        ("C3", 1, 1, 1.0),
        (None, 1, 0, 0.0),
    ]


def test_nearest_fiscal_year_tie_takes_the_newer_table(wh):
    # tables for FY2025 and FY2027 only (FY2026 removed): a FY2026 discharge is 1 year from both
    wh.con.execute("update ref_msdrg set fiscal_year = 2027 where fiscal_year = 2026")
    wh.enc("T", admit="2025-12-01", discharge="2025-12-02", drg="193")
    row = wh.one("drg.cmi", date_from="2025-12-01", date_to="2025-12-31")
    assert (row["cmi"], row["nearest_fy_count"]) == (pytest.approx(1.3), 1)
