"""URL query string ⇄ view state: round trips, invalid values fall back with a notice, drill-downs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import drill, state
from warehouse import explorer
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


# -- the Explorer's conditions and sort (col.<column>=…, sort=…) -----------------------------------

#: One URL value per operator and column kind: (table, column, value, operator, operands).
OPERATOR_VALUES = [
    ("encounters", "patient_type", "inpatient", "equals", ("inpatient",)),
    ("encounters", "patient_type", "!inpatient", "notEqual", ("inpatient",)),
    ("encounters", "ms_drg", "~47", "contains", ("47",)),
    ("encounters", "ms_drg", "!~47", "notContains", ("47",)),
    ("encounters", "ms_drg", "^4", "startsWith", ("4",)),
    ("encounters", "ms_drg", "$0", "endsWith", ("0",)),
    ("encounters", "zip3", "!*", "blank", ()),
    ("encounters", "zip3", "*", "notBlank", ()),
    ("encounters", "total_charges", "1000", "equals", (1000.0,)),
    ("encounters", "total_charges", "!1000", "notEqual", (1000.0,)),
    ("encounters", "total_charges", "<1000", "lessThan", (1000.0,)),
    ("encounters", "total_charges", "..1000", "lessThanOrEqual", (1000.0,)),
    ("encounters", "total_charges", ">1000.5", "greaterThan", (1000.5,)),
    ("encounters", "total_charges", "1000..", "greaterThanOrEqual", (1000.0,)),
    ("encounters", "total_charges", "-5..2500", "inRange", (-5.0, 2500.0)),
    ("encounters", "total_charges", "!*", "blank", ()),
    ("encounters", "total_charges", "*", "notBlank", ()),
    ("encounters", "discharge_date", "2025-03-01", "equals", (dt.date(2025, 3, 1),)),
    ("encounters", "discharge_date", "!2025-03-01", "notEqual", (dt.date(2025, 3, 1),)),
    ("encounters", "discharge_date", "<2025-03-01", "lessThan", (dt.date(2025, 3, 1),)),
    ("encounters", "discharge_date", "..2025-03-01", "lessThanOrEqual", (dt.date(2025, 3, 1),)),
    ("encounters", "discharge_date", ">2025-03-01", "greaterThan", (dt.date(2025, 3, 1),)),
    ("encounters", "discharge_date", "2025-03-01..", "greaterThanOrEqual", (dt.date(2025, 3, 1),)),
    (
        "encounters",
        "discharge_date",
        "2025-01-01..2025-03-31",
        "inRange",
        (dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
    ),
    ("encounters", "final_billed_date", "!*", "blank", ()),
    ("encounters", "final_billed_date", "*", "notBlank", ()),
    ("coding_activity", "started_at", "2025-03-01..", "greaterThanOrEqual", (dt.date(2025, 3, 1),)),
]


@pytest.mark.parametrize(("table", "column", "value", "op", "operands"), OPERATOR_VALUES)
def test_every_operator_survives_a_round_trip_through_the_url_and_the_grid(
    table: str, column: str, value: str, op: str, operands: tuple[object, ...]
) -> None:
    search = state.to_search(state.ViewState(table=table, columns=((column, value),)))
    view = state.parse(search)
    assert view.notices == ()
    assert view.columns == ((column, value),)  # each value above is canonical
    assert state.to_search(view) == search
    kind = explorer.column_kind(next(c.type for c in explorer.columns(table) if c.name == column))
    cond = explorer.typed_condition(explorer.fixed_condition(column, value, kind), kind)
    assert (cond.op, *(v for v in (cond.value, cond.value_to) if v is not None)) == (op, *operands)
    models = state.grid_models(view)  # what the grid starts with, and sends back
    assert models["filterModel"][column]["type"] == op
    assert state.with_grid(replace(view, columns=()), models) == view
    request, _, _ = explorer.from_grid(table, Filters(), models)
    assert request.where == (cond,)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["equals", "notEqual", "contains", "notContains", "startsWith", "endsWith"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
)
def test_any_text_operand_survives_a_round_trip(op: str, operand: str) -> None:
    cond = explorer.Condition("service_line", op, operand)
    value = explorer.url_value(cond, "text")
    view = state.parse(
        state.to_search(state.ViewState(table="encounters", columns=(("service_line", value),)))
    )
    assert view.columns == (("service_line", value),)
    assert explorer.fixed_condition("service_line", view.columns[0][1], "text") == cond


def test_existing_urls_keep_their_meaning_and_aliases_are_written_canonically() -> None:
    view = state.parse("?table=encounters&col.age_years=18..44&col.ms_drg=470&col.service_line=a..b")
    assert view.columns == (("age_years", "18..44"), ("ms_drg", "470"), ("service_line", "a..b"))
    kinds = {"age_years": "number", "ms_drg": "text", "service_line": "text"}
    ops = [explorer.fixed_condition(c, v, kinds[c]).op for c, v in view.columns]
    assert ops == ["inRange", "equals", "equals"]  # text holding ".." is equality, as before
    aliases = state.parse("?col.total_charges=%3E%3D1000&col.age_years=%3C%3D44.0&col.sex==~x")
    assert aliases.columns == (("total_charges", "1000.."), ("age_years", "..44"), ("sex", "=~x"))
    assert aliases.notices == ()


def test_the_sort_is_ordered_repeatable_and_checked_against_the_whitelist() -> None:
    view = state.parse("?table=claims&sort=-billed_amount&sort=claim_id&sort=-claim_id&sort=patient_key")
    assert view.sort == (("billed_amount", True), ("claim_id", False))
    assert len(view.notices) == 2
    assert "claim_id" in view.notices[0]
    assert "patient_key" in view.notices[1]
    assert state.to_search(view) == "?table=claims&sort=-billed_amount&sort=claim_id"
    assert state.grid_models(view)["sortModel"] == [
        {"colId": "billed_amount", "sort": "desc"},
        {"colId": "claim_id", "sort": "asc"},
    ]


@pytest.mark.parametrize(
    "pair",
    [
        "col.total_charges=~5",  # a text operator on a number
        "col.total_charges=lots",
        "col.total_charges=nan",
        "col.total_charges=..",
        "col.discharge_date=2025-13-01..",
        "col.patient_type=>5",  # a comparison on text
        "col.patient_key=x",  # not in the whitelist
        "col.service_line=" + "x" * 101,
        "sort=-patient_key",
    ],
)
def test_an_unusable_condition_or_sort_is_dropped_with_a_notice(pair: str) -> None:
    view = state.parse("?payer=Medicare&" + pair)
    assert (view.columns, view.sort) == ((), ())
    assert view.filters.payer == ("Medicare",)
    assert len(view.notices) == 1
    assert pair.split("=")[0] in view.notices[0]


def test_the_grid_shows_one_condition_per_column_and_the_rest_are_fixed() -> None:
    view = state.parse("?table=claims&col.billed_amount=1000..&col.status=denied&col.billed_amount=!5000")
    shown, fixed = state.grid_split(view)
    assert shown == (("billed_amount", "1000.."), ("status", "denied"))
    assert fixed == (("billed_amount", "!5000"),)
    assert set(state.grid_models(view)["filterModel"]) == {"billed_amount", "status"}
    typed = {"filterModel": {"payer": {"filterType": "text", "type": "contains", "filter": "medic"}}}
    changed = state.with_grid(view, typed)  # the grid's filters replace the shown ones; fixed kept
    assert changed.columns == (("payer", "~medic"), ("billed_amount", "!5000"))
    assert changed.sort == ()
    orred = {"filterModel": {"payer": {"filterType": "text", "operator": "OR", "conditions": []}}}
    with pytest.raises(explorer.ExplorerError):
        state.with_grid(view, orred)
    with pytest.raises(explorer.ExplorerError):
        state.with_grid(view, {"sortModel": [{"colId": "patient_key", "sort": "asc"}]})
