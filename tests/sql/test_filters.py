"""warehouse.filters.Filters: normalisation, validation, params()."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from warehouse.errors import UsageProblem
from warehouse.filters import OPEN_FROM, OPEN_TO, Filters, InvalidFilter, month_end


def test_defaults_and_params():
    f = Filters()
    p = f.params(today=dt.date(2025, 5, 6))
    assert p == {
        "date_from": OPEN_FROM,
        "date_to": OPEN_TO,
        "as_of": dt.date(2025, 5, 6),
        "bill_hold_days": 3,
        "grain": "month",
        "facility": [],
        "patient_type": [],
        "financial_class": [],
        "payer": [],
        "service_line": [],
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.grain = "day"  # type: ignore[misc]


def test_normalisation():
    f = Filters(
        date_from="2025-01-01", facility="F1", payer=["A", "B", "A"], month="2025-02", bill_hold_days="5"
    )
    assert f.date_from == dt.date(2025, 1, 1)
    assert (f.facility, f.payer) == (("F1",), ("A", "B"))
    assert f.month == dt.date(2025, 2, 1)
    assert f.bill_hold_days == 5
    assert Filters(month="2024-02-17").month == dt.date(2024, 2, 1)
    assert Filters(payer=["A"]) == Filters(payer=("A",))  # hashable, comparable


def test_for_month():
    f = Filters(facility=("F1",)).for_month("2024-02")
    assert (f.date_from, f.date_to, f.as_of, f.month) == (
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
        dt.date(2024, 2, 29),
        dt.date(2024, 2, 1),
    )
    assert f.facility == ("F1",)
    assert month_end(dt.date(2025, 12, 5)) == dt.date(2025, 12, 31)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_from": "2025-13-01"}, "date_from: '2025-13-01' is not a date; use YYYY-MM-DD"),
        ({"as_of": "soon"}, "as_of: 'soon' is not a date"),
        ({"month": "2025-13"}, "month: '2025-13' is not a month; use YYYY-MM"),
        ({"date_from": "2025-02-01", "date_to": "2025-01-01"}, "is after date_to"),
        (
            {"grain": "fortnight"},
            "grain: 'fortnight' is not accepted; use one of day, week, month, quarter, year",
        ),
        ({"bill_hold_days": -1}, "bill_hold_days: -1 is not accepted; use a whole number 0-30"),
        ({"bill_hold_days": 31}, "0-30"),
        ({"bill_hold_days": True}, "0-30"),
        ({"patient_type": ["IP"]}, "patient_type: 'IP' is not accepted; use one of inpatient, outpatient"),
        ({"financial_class": ["' OR 1=1--"]}, "financial_class: .* is not accepted; use one of medicare"),
        ({"facility": [3]}, "facility: expected text values"),
    ],
)
def test_invalid(kwargs, message):
    with pytest.raises(InvalidFilter, match=message):
        Filters(**kwargs)
    assert issubclass(InvalidFilter, UsageProblem)


def test_from_mapping():
    assert Filters.from_mapping({"payer": ["A"]}).payer == ("A",)
    with pytest.raises(InvalidFilter, match="unknown filter 'payor'; accepted: as_of, bill_hold_days"):
        Filters.from_mapping({"payor": ["A"]})
