"""Every page's callbacks, called as plain functions on the demo warehouse: charts drawn with data,
numbers equal to the catalog's, the empty state for a filter that matches nothing, drill-down links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import pytest
from dash_helpers import attr, find

from dashboard import callbacks, data, shell, state, theme
from dashboard.components import chart_card
from dashboard.pages import (
    PAGES,
    coding,
    data_quality,
    demographics,
    denials,
    drg,
    explorer,
    operations,
    scorecard,
)
from warehouse import catalog
from warehouse import scorecard as warehouse_scorecard
from warehouse.filters import Filters

FIGURES: list[tuple[str, Callable[..., Any]]] = [
    ("demographics.volume_trend", demographics.volume_trend),
    ("demographics.alos_trend", demographics.alos_trend),
    ("drg.top_drgs", drg.top_drgs),
    ("drg.cmi_by_facility", drg.cmi_by_facility),
    ("drg.cmi_by_type", drg.cmi_by_type),
    ("drg.mdc", drg.mdc),
    ("drg.los", drg.los),
    ("drg.cc_mcc", drg.cc_mcc),
    ("denials.rate_by_payer_trend", denials.rate_by_payer_trend),
    ("denials.dollars", denials.dollars),
    ("denials.reasons", denials.reasons),
    ("denials.categories", denials.categories),
    ("denials.overturn", denials.overturn),
    ("denials.by_payer", denials.by_payer),
    ("denials.payer_category", denials.payer_category),
    ("coding.per_coder", coding.per_coder),
    ("coding.by_chart_type", coding.by_chart_type),
    ("coding.volume", coding.volume),
    ("coding.turnaround", coding.turnaround),
    ("coding.accuracy", coding.accuracy),
    ("operations.backlog_aging", operations.backlog_aging),
    ("operations.dnfb_split", operations.dnfb_split),
    ("operations.dnfb_days_trend", operations.dnfb_days_trend),
    ("operations.backlog_trend", operations.backlog_trend),
    ("data_quality.rejects_by_rule", data_quality.rejects_by_rule),
    ("data_quality.flags_by_kind", data_quality.flags_by_kind),
]
NOTHING = "?payer=No+Such+Payer"


def filters_of(store: dict[str, str]) -> Filters:
    return data.filters(store)


def drawn(fig: go.Figure) -> bool:
    return bool(fig.data) and not (fig.layout.meta or {}).get("empty")


@pytest.mark.parametrize(("name", "fn"), FIGURES, ids=[n for n, _ in FIGURES])
def test_each_chart_is_drawn_with_data_and_a_two_line_title(name: str, fn, store, context) -> None:
    fig = fn(filters_of(store), context)
    assert drawn(fig), name
    assert fig.layout.title.text
    assert fig.layout.title.subtitle.text
    fig.to_json()  # serialisable as Dash sends it


@pytest.mark.parametrize(
    ("name", "fn"),
    [f for f in FIGURES if not f[0].startswith("data_quality")],
    ids=[n for n, _ in FIGURES if not n.startswith("data_quality")],
)
def test_a_filter_that_matches_nothing_gives_the_empty_state(name: str, fn, context) -> None:
    store = shell.store_of(state.parse(NOTHING), context.defaults)
    fig = fn(filters_of(store), context)
    assert not drawn(fig), name
    assert (
        "matched nothing" in fig.layout.annotations[0].text
        or "match nothing" in fig.layout.annotations[0].text
    )


def test_headline_figures_equal_the_catalog(store, context) -> None:
    f = filters_of(store)
    strip = str(denials.summary(f, context))
    s = catalog.run("denials.summary", f).row(0, named=True)
    assert theme.format_value(s["claims_submitted"], "count") in strip
    assert theme.format_value(s["initial_denial_rate"], "rate") in strip
    for summary in (demographics.summary, drg.summary, coding.summary, operations.summary):
        assert "—" not in str(summary(f, context))[:200] or summary is operations.summary


def test_scorecard_cards_show_the_scorecard_of_the_month(context) -> None:
    view = state.parse("?month=2026-03&facility=FAC01")
    store = shell.store_of(view, context.defaults)
    title, sections = scorecard.update(store)
    assert "Mar 2026" in title
    assert "FAC01" in title
    expected = warehouse_scorecard.scorecard("2026-03", Filters(facility=("FAC01",)))
    shown = {attr(c, "data-kpi"): c.children for c in find(sections, lambda c: attr(c, "data-kpi"))}
    assert set(warehouse_scorecard.SCORECARD_KEYS) - {"month"} <= set(shown)
    for key, text in shown.items():
        kind = theme.UNIT_KINDS[warehouse_scorecard.KPIS[key][1]]
        assert text == theme.format_value(expected[key], kind), key


def test_scorecard_cards_link_to_the_page_behind_filtered_to_the_month() -> None:
    view = state.parse("?payer=Medicare")
    href = scorecard.card_href("dnfb_count", dt.date(2026, 3, 1), view)
    assert href.startswith("/operations?")
    assert "as_of=2026-03-31" in href
    assert "from=2026-03-01" in href
    assert "payer=Medicare" in href
    assert "patient_type=inpatient" in scorecard.card_href("alos_days", dt.date(2026, 3, 1), view)


def test_mix_tables_and_the_fallback(store, context) -> None:
    figures_and_rows = demographics.mix(filters_of(store), context)
    assert all(drawn(f) for f in figures_and_rows[:-1])
    assert figures_and_rows[-1]
    assert {"value", "discharges", "share"} <= set(figures_and_rows[-1][0])
    assert len(demographics.mix_fallback("x")) == len(figures_and_rows)
    for rows in (
        *drg.drg_table(filters_of(store), context),
        *coding.tables(filters_of(store), context),
        *operations.oldest(filters_of(store), context),
        *data_quality.tables(filters_of(store), context),
    ):
        assert rows


def test_the_nearest_fiscal_year_note_is_shown_when_it_applies() -> None:
    assert drg.nearest_note(0, 100) is None
    assert "nearest fiscal year" in str(drg.nearest_note(12, 100))


def test_drill_downs_return_filtered_links() -> None:
    view = state.parse("?from=2025-01-01")
    bar = {"customdata": ["Medicare", 1, 2], "x": 0.1, "y": "Medicare"}
    assert denials.drill_payer(bar, view) == "/denials?from=2025-01-01&payer=Medicare"
    assert denials.drill_reason({"customdata": ["197"], "x": "197 · x"}, view).endswith(
        "table=claims&col.carc_code=197"
    )
    cell = {"x": "coding", "y": "Aetna", "z": 4}
    assert (
        denials.drill_cell(cell, view)
        == "/explorer?from=2025-01-01&payer=Aetna&table=claims&col.denial_category=coding"
    )
    point = {"customdata": ["Medicare"], "x": "2025-03-01", "y": 0.1}
    assert "from=2025-03-01&to=2025-03-31&payer=Medicare&table=claims" in denials.drill_trend(point, view)
    assert drg.drill_drg({"customdata": ["470"]}, view).endswith("table=encounters&col.ms_drg=470")
    assert drg.drill_treemap({"customdata": ["05"], "parent": ""}, view) is None
    age = demographics.drill_mix("age_band")({"customdata": ["18-44"]}, view)
    assert age.endswith("col.age_years=18..44")
    assert demographics.drill_mix("financial_class")({"customdata": ["medicare"]}, view).startswith(
        "/demographics?"
    )
    assert coding.drill_cell({"customdata": ["C001", "inpatient"]}, view).endswith(
        "table=coding_activity&col.coder_id=C001&col.chart_type=inpatient"
    )
    assert operations.drill_as_of({"x": "2025-02-01"}, view) == "/operations?from=2025-01-01&as_of=2025-02-28"
    assert callbacks.point({"points": [bar]}) == bar
    assert callbacks.point(None) == {}


def test_a_drilled_explorer_view_counts_the_rows_behind_the_number(context) -> None:
    f = Filters(date_from="2024-01-01", date_to="2024-12-31")
    reasons = catalog.run("denials.by_reason", f).sort("claims_denied", descending=True)
    top = reasons.row(0, named=True)
    href = denials.drill_reason({"customdata": [top["carc_code"]]}, state.ViewState(f))
    store = shell.store_of(state.parse(href.split("?", 1)[1]), context.defaults)
    status = explorer.status([{"startRow": 0, "endRow": 100}], store)
    assert status[0][0].children == theme.format_value(top["claims_denied"], "count")


def test_csv_downloads_give_each_charts_frame(store, context) -> None:
    for page in PAGES:
        for chart_id, frame_of in page.CSV.items():
            out = chart_card.csv_download(1, store, context.to_json(), chart_id, frame_of)
            assert out["filename"] == f"{chart_id}.csv"
            assert out["content"].count("\n") >= 1, chart_id
    assert chart_card.csv_download(None, store, None, "x", lambda f, c: None) is not None


def test_a_warehouse_problem_becomes_a_message_not_a_failed_callback(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("HIM_WAREHOUSE", str(tmp_path / "none.duckdb"))
    fig = callbacks.run_figure(denials.by_payer, None, None)
    assert "no warehouse" in fig.layout.annotations[0].text
    assert data.context().problem
    assert "No month to show" in str(scorecard.update(None)[1])
    _, cards = scorecard.update(shell.store_of(state.parse("?month=2025-01"), state.Defaults()))
    assert "Cannot show the scorecard" in str(cards)


def test_explorer_grid_rows_and_status(store) -> None:
    grid, table, conditions = explorer.refresh(store)
    assert table == "encounters"
    assert conditions == []
    assert grid.rowModelType == "infinite"
    assert "patient_key" not in {c["field"] for c in grid.columnDefs}
    request = {
        "startRow": 0,
        "endRow": 50,
        "sortModel": [{"colId": "total_charges", "sort": "desc"}],
        "filterModel": {"patient_type": {"filterType": "text", "type": "equals", "filter": "inpatient"}},
    }
    response = explorer.rows(request, store)
    assert len(response["rowData"]) == 50
    charges = [r["total_charges"] for r in response["rowData"]]
    assert charges == sorted(charges, reverse=True)
    assert {r["patient_type"] for r in response["rowData"]} == {"inpatient"}
    count_text, csv_href, xlsx_href, parquet_href, error = explorer.status([request], store)
    assert error is None
    assert int(attr(count_text[0], "data-row-count")) == response["rowCount"]
    assert csv_href.startswith("/export/explorer.csv?")
    assert "grid=" in csv_href
    assert xlsx_href.startswith("/export/explorer.xlsx?")
    assert parquet_href.startswith("/export/explorer.parquet?")
    bad = explorer.rows({"startRow": 0, "endRow": 50, "sortModel": [{"colId": "patient_key"}]}, store)
    assert bad == {"rowData": [], "rowCount": 0}
    assert explorer.choose_table("claims", store) == "/explorer?table=claims"
    assert explorer.choose_table("nonsense", store) is not None  # no_update
