"""operations.* (as-of snapshots) on a hand-made fixture; D = 2025-03-31 unless said otherwise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

AT = {"as_of": "2025-03-31"}


@pytest.fixture
def ops(wh):
    wh.enc("N1", admit="2025-03-30", discharge="2025-03-31", charges="100.00")  # age 0, uncoded
    wh.enc("N2", admit="2025-03-27", discharge="2025-03-28", charges="200.00")  # age 3: the hold boundary
    wh.enc("N3", admit="2025-03-26", discharge="2025-03-27", coded="2025-03-29", charges="400.00")  # age 4
    wh.enc("N4", admit="2025-03-10", discharge="2025-03-15", charges="800.00")  # age 16, uncoded
    wh.enc(
        "N5",
        admit="2025-01-30",
        discharge="2025-02-01",
        coded="2025-02-05",
        billed="2025-04-10",
        charges="1600.00",
    )  # billed after D: unbilled at D, age 58
    wh.enc(
        "N6",
        admit="2025-03-08",
        discharge="2025-03-10",
        coded="2025-03-12",
        billed="2025-03-20",
        charges="3200.00",
    )  # coded and billed by D
    wh.enc("N7", admit="2025-03-18", discharge="2025-03-20", coded="2025-04-05", charges="6400.00")  # age 11
    wh.enc("N8", admit="2025-03-29", discharge=None, charges="9999.00")  # in house: never counted
    wh.enc("N9", admit="2024-11-28", discharge="2024-12-01", coded="2024-12-05", billed="2024-12-05")
    return wh


def test_coding_backlog(ops):
    assert ops.one("operations.coding_backlog", **AT) == {
        "discharged_count": 8,
        "backlog_count": 4,  # N1, N2, N4, N7 (coded after D)
        "backlog_charges": D("7500.00"),
        "oldest_backlog_days": 16,
    }
    assert ops.run("operations.coding_backlog_aging", **AT).rows() == [
        ("0-3", 1, 2, D("300.00")),
        ("8-14", 3, 1, D("6400.00")),
        ("15-30", 4, 1, D("800.00")),
    ]


def test_as_of_before_any_data(ops):
    row = ops.one("operations.coding_backlog", as_of="2024-01-01")
    assert row == dict.fromkeys(row)
    row = ops.one("operations.dnfb", as_of="2024-01-01")
    assert row == dict.fromkeys(row)
    assert ops.run("operations.coding_backlog_aging", as_of="2024-01-01").is_empty()
    assert ops.run("operations.dnfb_split", as_of="2024-01-01").is_empty()
    assert ops.run("operations.oldest_unbilled", as_of="2024-01-01").is_empty()


def test_dnfb_at_the_bill_hold_boundary(ops):
    row = ops.one("operations.dnfb", **AT)
    # N3 (4 days), N4 (16), N5 (58), N7 (11); N2 at exactly 3 days is still in the bill hold
    assert row == {
        "discharged_count": 8,
        "dnfb_count": 4,
        "dnfb_amount": D("9200.00"),
        "gross_charges_90d_amount": D("12700.00"),  # N1..N7, discharged 01-01 .. 03-31; N9 is older
        "avg_daily_charges_amount": pytest.approx(12700 / 90),
        "dnfb_days": pytest.approx(9200 / (12700 / 90)),
    }
    two = ops.one("operations.dnfb", bill_hold_days=2, **AT)
    assert (two["dnfb_count"], two["dnfb_amount"]) == (5, D("9400.00"))  # + N2


def test_dnfb_split_and_oldest(ops):
    assert ops.run("operations.dnfb_split", **AT).rows() == [
        ("awaiting_coding", "8-14", 3, 1, D("6400.00")),
        ("awaiting_coding", "15-30", 4, 1, D("800.00")),
        ("coded_awaiting_billing", "4-7", 2, 1, D("400.00")),
        ("coded_awaiting_billing", "31+", 5, 1, D("1600.00")),
    ]
    oldest = ops.run("operations.oldest_unbilled", **AT)
    assert oldest.select("encounter_id", "days_since_discharge", "dnfb_status").rows() == [
        ("N5", 58, "coded_awaiting_billing"),
        ("N4", 16, "awaiting_coding"),
        ("N7", 11, "awaiting_coding"),  # coded on 04-05, after D: not coded at D
        ("N3", 4, "coded_awaiting_billing"),
    ]
    assert oldest["coded_date"].to_list() == [dt.date(2025, 2, 5), None, None, dt.date(2025, 3, 29)]
    from warehouse import catalog

    top2 = catalog.run(
        "operations.oldest_unbilled",
        {
            "as_of": "2025-03-31",
            "bill_hold_days": 3,
            "facility": [],
            "patient_type": [],
            "financial_class": [],
            "payer": [],
            "service_line": [],
            "top_n": 2,
        },
        con=ops.con,
    )
    assert top2["encounter_id"].to_list() == ["N5", "N4"]


def test_no_match_filter(ops):
    row = ops.one("operations.dnfb", facility=["F9"], **AT)
    assert row == dict.fromkeys(row)


def test_trends(ops):
    rng = {"date_from": "2024-11-01", "date_to": "2025-03-31", "grain": "month"}
    backlog = ops.run("operations.backlog_trend", **rng)
    # November 2024 has no discharge yet: no row; in February nothing is uncoded: a real 0
    assert backlog.rows() == [
        (dt.date(2024, 12, 1), dt.date(2024, 12, 31), 1, 0),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 31), 1, 0),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 28), 2, 0),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 31), 8, 4),
    ]
    dnfb = ops.run("operations.dnfb_trend", **rng)
    feb = dnfb.filter(dnfb["period"] == dt.date(2025, 2, 1)).row(0, named=True)
    # at 02-28: N5 (unbilled, 27 days); 90 days back to 2024-12-01 holds N9 (1000) and N5 (1600)
    assert (feb["dnfb_count"], feb["dnfb_amount"], feb["gross_charges_90d_amount"]) == (
        1,
        D("1600.00"),
        D("2600.00"),
    )
    assert feb["dnfb_days"] == pytest.approx(1600 / (2600 / 90))
    mar = dnfb.filter(dnfb["period"] == dt.date(2025, 3, 1)).row(0, named=True)
    assert (mar["dnfb_count"], mar["dnfb_amount"]) == (4, D("9200.00"))
    # a range ending mid-month snapshots at its last day
    mid = ops.run("operations.backlog_trend", date_from="2025-03-01", date_to="2025-03-20", grain="month")
    # discharged by 03-20: N4, N5, N6, N7, N9; uncoded then: N4 and N7 (N6 was coded on 03-12)
    assert mid.rows() == [(dt.date(2025, 3, 1), dt.date(2025, 3, 20), 5, 2)]
