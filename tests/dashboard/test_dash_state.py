"""URL query string ⇄ view state: round trips, invalid values fall back with a notice, drill-downs."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import drill, state
from warehouse.contract import ENUMS
from warehouse.filters import Filters

DEFAULTS = state.Defaults(
    dt.date(2023, 10, 1), dt.date(2026, 9, 30), dt.date(2026, 9, 1), dt.date(2026, 9, 30)
)
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
dates = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


@st.composite
def filters(draw: st.DrawFn) -> Filters:
    start, end = sorted([draw(dates), draw(dates)])
    return Filters(
        date_from=draw(st.none() | st.just(start)),
        date_to=draw(st.none() | st.just(end)),
        month=draw(st.none() | dates.map(lambda d: d.replace(day=1))),
        as_of=draw(st.none() | dates),
        facility=tuple(draw(st.lists(names.filter(str.strip), max_size=3, unique=True))),
        patient_type=tuple(
            draw(st.lists(st.sampled_from(list(ENUMS["patient_type"])), max_size=2, unique=True))
        ),
        financial_class=tuple(
            draw(st.lists(st.sampled_from(list(ENUMS["financial_class"])), max_size=2, unique=True))
        ),
        payer=tuple(draw(st.lists(names.filter(str.strip), max_size=3, unique=True))),
        service_line=tuple(draw(st.lists(names.filter(str.strip), max_size=2, unique=True))),
    )


@settings(max_examples=150, deadline=None)
@given(filters())
def test_every_filter_survives_a_round_trip_through_the_url(f: Filters) -> None:
    view = state.parse(state.to_search(f))
    assert view.filters == f
    assert view.notices == ()


def test_repeated_keys_are_multi_values_and_the_canonical_order_is_stable() -> None:
    view = state.parse("?payer=Medicare&facility=FAC02&payer=Aetna&from=2025-01-01&month=2025-03")
    assert view.filters.payer == ("Medicare", "Aetna")
    assert view.filters.facility == ("FAC02",)
    assert view.filters.date_from == dt.date(2025, 1, 1)
    assert view.filters.month == dt.date(2025, 3, 1)
    assert state.to_search(view) == "?month=2025-03&from=2025-01-01&facility=FAC02&payer=Medicare&payer=Aetna"
    assert state.parse(state.to_search(view)) == view


def test_an_empty_query_string_is_the_default_view() -> None:
    assert state.parse("") == state.ViewState()
    assert state.parse(None) == state.ViewState()
    assert state.to_search(state.ViewState()) == ""


@pytest.mark.parametrize(
    ("search", "key"),
    [
        ("?month=2025-13", "month"),
        ("?from=2025-02-30", "from"),
        ("?to=yesterday", "to"),
        ("?as_of=31/12/2025", "as_of"),
        ("?patient_type=alien", "patient_type"),
        ("?financial_class=MEDICARE", "financial_class"),
        ("?colour=blue", "colour"),
        ("?table=patients", "table"),
        ("?table=claims&col.patient_key=abc", "col.patient_key"),
        ("?payer=" + "x" * 500, "payer"),
    ],
)
def test_an_invalid_value_falls_back_to_the_default_with_a_notice(search: str, key: str) -> None:
    view = state.parse(search)
    assert view.filters == Filters()
    assert view.table in (None, "claims")
    assert view.columns == ()
    assert len(view.notices) == 1
    assert key.split(".")[0] in view.notices[0]


def test_valid_values_beside_an_invalid_one_are_kept() -> None:
    view = state.parse("?payer=Medicare&patient_type=inpatient&patient_type=nonsense&month=2025-02")
    assert view.filters.payer == ("Medicare",)
    assert view.filters.patient_type == ("inpatient",)
    assert view.filters.month == dt.date(2025, 2, 1)
    assert len(view.notices) == 1


def test_a_reversed_date_range_is_dropped_whole_with_a_notice() -> None:
    view = state.parse("?from=2025-06-01&to=2025-01-01&payer=Medicare")
    assert (view.filters.date_from, view.filters.date_to) == (None, None)
    assert view.filters.payer == ("Medicare",)
    assert "after" in view.notices[0]


def test_sql_looking_values_are_plain_text_filters() -> None:
    payload = "x' or 1=1; drop table encounters; --"
    view = state.parse(state.to_search(Filters(payer=(payload,))))
    assert view.filters.payer == (payload,)


def test_explorer_keys_are_validated_against_the_tables_whitelist() -> None:
    view = state.parse("?table=claims&col.carc_code=197&col.age_years=1")
    assert view.table == "claims"
    assert view.columns == (("carc_code", "197"),)
    assert "age_years" in view.notices[0]
    assert dict(parse_qsl(state.to_search(view).lstrip("?"))) == {"table": "claims", "col.carc_code": "197"}


def test_defaults_fill_unset_dates_and_urls_carry_only_choices() -> None:
    view = state.parse("?payer=Medicare&to=2026-06-30")
    resolved = state.resolve(view, DEFAULTS).filters
    assert resolved.date_from == DEFAULTS.date_from
    assert resolved.date_to == dt.date(2026, 6, 30)
    assert resolved.month == DEFAULTS.month
    assert resolved.as_of == DEFAULTS.as_of
    assert state.without_defaults(state.resolve(view, DEFAULTS), DEFAULTS) == view
    assert state.Defaults.from_json(DEFAULTS.to_json()) == DEFAULTS
    assert state.Defaults.from_json({"month": "garbage"}) == state.Defaults()


def test_drill_targets() -> None:
    view = state.parse("?payer=Medicare&from=2025-01-01")
    assert drill.apply("/denials", view, payer=("Aetna",)) == "/denials?from=2025-01-01&payer=Aetna"
    href = drill.explorer(view, "claims", [("carc_code", "197")])
    assert href == "/explorer?from=2025-01-01&payer=Medicare&table=claims&col.carc_code=197"
    month = drill.explorer(view, "encounters", **drill.month_of("2025-03-01"))
    assert "from=2025-03-01&to=2025-03-31" in month
    assert drill.age_range("18-44") == "18..44"
    assert drill.age_range("90+") == "90..200"
    assert drill.age_range("unknown") is None
