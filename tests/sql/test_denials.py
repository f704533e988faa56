"""denials.* on a hand-made fixture; expected values computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture
def den(wh):
    wh.enc("A")
    wh.enc("B", facility="F2", payer="Aetna", fc="commercial")
    wh.claim("K1", "A", submitted="2025-03-05", billed="1000.00", status="paid")
    wh.claim(
        "K2",
        "A",
        submitted="2025-03-10",
        billed="2000.00",
        status="denied",
        denied="2000.00",
        carc="50",
        denial_date="2025-03-20",
        appeal_date="2025-04-01",
        outcome="overturned",
        recovered="1500.00",
    )
    wh.claim(
        "K3",
        "A",
        submitted="2025-03-31",
        billed="500.00",
        status="partial",
        denied="200.00",
        carc=None,
        denial_date="2025-04-05",
    )  # denial without CARC, never appealed, submitted on the last day
    wh.claim(
        "K4",
        "B",
        payer="Aetna",
        submitted="2025-03-15",
        billed="3000.00",
        status="denied",
        denied="3000.00",
        carc="197",
        denial_date="2025-03-25",
        appeal_date="2025-04-10",
        outcome="pending",
    )
    wh.claim(
        "K5",
        "B",
        payer="Aetna",
        submitted="2025-03-20",
        billed="1000.00",
        status="denied",
        denied="1000.00",
        carc="999",
        denial_date="2025-03-28",
        appeal_date="2025-04-05",
        outcome="upheld",
    )
    wh.claim("K6", "A", submitted="2025-04-01", billed="700.00", status="paid")
    wh.claim("K7", "B", payer="Aetna", submitted="2025-03-22", billed="800.00", status="pending")
    return wh


def test_summary(den):
    assert den.one("denials.summary", **MARCH) == {
        "claims_submitted": 6,
        "claims_denied": 4,  # K2, K3 (partial), K4, K5
        "initial_denial_rate": pytest.approx(4 / 6),
        "billed_amount": D("8300.00"),
        "all_denied_amount": D("6200.00"),
        "denial_dollar_rate": pytest.approx(6200 / 8300),
        "denied_amount": D("6200.00"),
        "appeals_overturned": 1,
        "appeals_upheld": 1,
        "appeals_pending": 1,  # K4: outside the overturn rate
        "denial_overturn_rate": 0.5,
        "recovered_amount": D("1500.00"),
    }


def test_summary_no_match_is_null(den):
    row = den.one("denials.summary", payer=["Nobody"], **MARCH)
    assert row == dict.fromkeys(row)


def test_summary_filters_use_claim_payer_and_encounter(den):
    assert den.one("denials.summary", payer=["Aetna"], **MARCH)["claims_submitted"] == 3
    assert den.one("denials.summary", facility=["F1"], **MARCH)["claims_submitted"] == 3
    row = den.one("denials.summary", date_from="2025-04-01", date_to="2025-04-30")
    # one paid claim: real zeros for denials, no overturn rate (no decided appeal)
    assert (row["claims_submitted"], row["claims_denied"], row["initial_denial_rate"]) == (1, 0, 0.0)
    assert (row["denied_amount"], row["denial_overturn_rate"]) == (D("0.00"), None)


def test_trend_and_by_payer(den):
    trend = den.run("denials.trend", date_from="2025-03-01", date_to="2025-04-30", grain="month")
    assert trend["period"].to_list() == [dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
    assert trend["claims_submitted"].to_list() == [6, 1]
    assert trend["denial_overturn_rate"].to_list() == [0.5, None]
    by_payer = {r["payer"]: r for r in den.run("denials.by_payer", **MARCH).iter_rows(named=True)}
    assert (by_payer["Aetna"]["claims_denied"], by_payer["Aetna"]["denied_amount"]) == (2, D("4000.00"))
    assert by_payer["Aetna"]["denial_overturn_rate"] == 0.0
    assert by_payer["Aetna"]["recovered_amount"] == D("0.00")
    assert (by_payer["Medicare"]["claims_submitted"], by_payer["Medicare"]["denial_overturn_rate"]) == (
        3,
        1.0,
    )


def test_rate_trend_by_payer(den):
    # weeks start on Monday: 03-03, 03-10, 03-17, 03-31 (K6 on Tuesday 04-01 joins K3 of Monday 03-31)
    weekly = den.run(
        "denials.rate_trend_by_payer", date_from="2025-03-01", date_to="2025-04-30", grain="week"
    )
    assert weekly.rows() == [
        (dt.date(2025, 3, 3), "Medicare", 1, 0, 0.0),  # K1 paid
        (dt.date(2025, 3, 10), "Aetna", 1, 1, 1.0),  # K4 denied
        (dt.date(2025, 3, 10), "Medicare", 1, 1, 1.0),  # K2 denied
        (dt.date(2025, 3, 17), "Aetna", 2, 1, 0.5),  # K5 denied, K7 pending (submitted, not denied)
        (dt.date(2025, 3, 31), "Medicare", 2, 1, 0.5),  # K3 partial counts as denied, K6 paid
    ]
    monthly = den.run("denials.rate_trend_by_payer", grain="month", facility=["F2"], **MARCH)
    assert monthly.rows() == [(dt.date(2025, 3, 1), "Aetna", 3, 2, pytest.approx(2 / 3))]
    assert den.run("denials.rate_trend_by_payer", grain="month", payer=["Nobody"], **MARCH).is_empty()


def test_by_reason(den):
    assert den.run("denials.by_reason", **MARCH).rows() == [
        ("197", "authorization", 1, D("3000.00"), 4, 0.25),
        ("50", "medical_necessity", 1, D("2000.00"), 4, 0.25),
        ("999", "other", 1, D("1000.00"), 4, 0.25),  # a code not in ref_carc
        (None, "unspecified", 1, D("200.00"), 4, 0.25),  # a denial without CARC
    ]


def test_by_category_and_payer_category(den):
    assert den.run("denials.by_category", **MARCH).rows() == [
        ("authorization", 1, D("3000.00"), 4, 0.25),
        ("medical_necessity", 1, D("2000.00"), 4, 0.25),
        ("other", 1, D("1000.00"), 4, 0.25),
        ("unspecified", 1, D("200.00"), 4, 0.25),
    ]
    assert den.run("denials.by_payer_category", **MARCH).rows() == [
        ("Aetna", "authorization", 1, D("3000.00")),
        ("Aetna", "other", 1, D("1000.00")),
        ("Medicare", "medical_necessity", 1, D("2000.00")),
        ("Medicare", "unspecified", 1, D("200.00")),
    ]
    assert den.run("denials.by_reason", payer=["Nobody"], **MARCH).is_empty()


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # K5 (upheld, denied 03-28) is 90 days old on 06-26: not yet "more than 90"
        ("2025-06-26", (0, D("0.00"), D("0.00"), D("0.00"))),
        ("2025-06-30", (1, D("1000.00"), D("0.00"), D("1000.00"))),  # K5 at 94 days; K3 at 86
        ("2025-07-05", (2, D("1200.00"), D("0.00"), D("1200.00"))),  # + K3 (never appealed) at 91
    ],
)
def test_net_write_off(den, as_of, expected):
    # K2 was overturned and K4's appeal is pending: never in the write-off
    row = den.one("denials.net_write_off", as_of=as_of, **MARCH)
    assert tuple(row.values()) == expected


def test_net_write_off_subtracts_recovered(wh):
    wh.enc("A")
    wh.claim(
        "K",
        "A",
        submitted="2025-01-02",
        status="denied",
        denied="900.00",
        denial_date="2025-01-05",
        appeal_date="2025-02-01",
        outcome="upheld",
        recovered="100.00",
    )
    row = wh.one("denials.net_write_off", as_of="2025-06-30", date_from="2025-01-01", date_to="2025-01-31")
    assert row["net_write_off_amount"] == D("800.00")
