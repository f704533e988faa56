"""How pages are wired: a page load costs few data requests per security rule, drill-downs send nothing
before a click, each chart still gets its own empty state, and every output gets a value of its kind."""

from __future__ import annotations

from typing import Any

import dash
import plotly.graph_objects as go
import pytest
from dash_helpers import find

from dashboard import callbacks, data, ids, shell, state
from dashboard.charts import base
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
from dashboard.security import policy
from dashboard.security.testing import logged_in_client
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError

#: Server callbacks a page's load fires (besides the router and the shell's two): per security rule of
#: the page's outputs (coding: the per-coder chart and tables are for the workforce only; operations:
#: the work list for managers; data quality: its tables for managers), its parts split evenly into
#: requests of at most callbacks.PARTS_PER_CALLBACK (2).
DATA_REQUESTS = {
    scorecard: 1,
    demographics: 2,  # 4 parts
    drg: 4,  # 8 parts
    denials: 4,  # 8 parts
    coding: 4,  # 5 + 2 parts
    operations: 4,  # 5 + 1 parts
    explorer: 1,  # the grid; its first block then asks for rows, count and export links
    data_quality: 2,
}
WITH_PARTS = (demographics, drg, denials, coding, operations, data_quality)


@pytest.fixture(scope="module")
def dependencies(secured_app) -> list[dict[str, Any]]:
    deps = logged_in_client(secured_app).get("/_dash-dependencies").get_json()
    return [d for d in deps if not d.get("clientside_function")]


def page_ids(module: Any) -> set[str]:
    return {c.id for c in find(module.layout(), lambda c: isinstance(getattr(c, "id", None), str))}


def output_ids(dep: dict[str, Any]) -> list[Any]:
    return [o.id for o in policy.parse_output_key(dep["output"])]


@pytest.mark.parametrize("module", PAGES, ids=[p.__name__.rsplit(".", 1)[-1] for p in PAGES])
def test_a_page_load_fires_few_data_callbacks_per_security_rule(module: Any, dependencies) -> None:
    mine = page_ids(module)
    # Dash runs, when a page is rendered: callbacks with an Output in it (unless prevent_initial_call),
    # and callbacks with an Input in it and an Output outside it (always: that is why drill-downs write
    # a Location inside the page, not the shell's).
    initial = [
        d
        for d in dependencies
        if not d.get("prevent_initial_call") and any(i in mine for i in output_ids(d) if isinstance(i, str))
    ]
    leaking = [
        d["output"]
        for d in dependencies
        if any(s["id"] in mine for s in d["inputs"] if isinstance(s["id"], str))
        and not all(i in mine for i in output_ids(d))
    ]
    assert leaking == []
    assert len(initial) == DATA_REQUESTS[module], [d["output"] for d in initial]
    assert all(s["id"] == ids.FILTERS for d in initial for s in d["inputs"])


@pytest.mark.parametrize("module", WITH_PARTS, ids=[p.__name__.rsplit(".", 1)[-1] for p in WITH_PARTS])
def test_every_output_of_a_page_gets_a_value_of_its_kind(module: Any, store, context) -> None:
    targets = [t for part in module.PARTS for t in part.targets]
    values = callbacks.run_parts(module.PARTS, store, context.to_json())
    assert len(values) == len(targets)
    for (target, prop), value in zip(targets, values, strict=True):
        if prop == "figure":
            assert isinstance(value, go.Figure), target
            assert value.data, (target, value.layout.annotations)
        elif prop == "rowData":
            assert isinstance(value, list), target
            assert all(isinstance(r, dict) for r in value), target
        else:
            assert value is not None, target
    assert {t for t, _ in targets} <= page_ids(module)


def test_a_warehouse_problem_shows_in_each_chart_and_the_others_are_drawn(
    monkeypatch: pytest.MonkeyPatch, store, context
) -> None:
    def broken(name: str, *_args: Any, **_kwargs: Any) -> Any:
        raise WarehouseUnavailable("no warehouse at /nowhere")

    monkeypatch.setattr(data, "run", broken)
    values = callbacks.run_parts(denials.PARTS, store, context.to_json())
    strip, figures = values[0], values[1:]
    assert "Cannot read the warehouse: no warehouse at /nowhere" in str(strip)
    assert len(figures) == 7
    for fig in figures:
        assert fig.layout.meta["empty"]
        assert fig.layout.title.text.startswith("Cannot show this chart")
        assert fig.layout.annotations[0].text == "no warehouse at /nowhere"

    def one_fails(filters: Any, _context: Any) -> go.Figure:
        raise HimError("denials.by_payer failed: out of memory")

    parts = [
        callbacks.figure("denials-a", one_fails),
        callbacks.figure("denials-b", lambda f, c: base.figure("B")),
    ]
    failed, drawn = callbacks.run_parts(parts, store, context.to_json())
    assert "out of memory" in failed.layout.annotations[0].text
    assert drawn.layout.title.text.startswith("B")


def test_parts_of_different_security_rules_get_different_callbacks() -> None:
    chart = callbacks.figure(ids.COD_VOLUME, coding.volume)
    per_coder = callbacks.figure(ids.COD_CPH, coding.per_coder)
    summary = callbacks.children(ids.COD_SUMMARY, coding.summary)
    assert callbacks.groups([chart, per_coder, summary]) == [[chart, summary], [per_coder]]
    assert [len(g) for g in callbacks.groups(denials.PARTS)] == [2, 2, 2, 2]
    assert [len(g) for g in callbacks.groups(denials.PARTS, most=3)] == [3, 3, 2]  # evenly
    assert [len(g) for g in callbacks.groups(denials.PARTS, most=8)] == [8]
    with pytest.raises(ValueError, match="no declared policy"):
        callbacks.groups([callbacks.figure("nobody-knows", coding.volume)])


def test_a_click_navigates_with_the_clicked_charts_drill() -> None:
    store = {"search": "?from=2025-01-01"}
    bar = {"points": [{"customdata": ["Medicare"], "x": 0.1, "y": "Medicare"}]}
    charts = denials.DRILLS
    clicks: list[Any] = [None] * len(charts)
    at = [c for c, _ in charts].index(ids.DEN_BY_PAYER)
    clicks[at] = bar
    assert (
        callbacks.navigate(ids.DEN_BY_PAYER, clicks, charts, store)
        == "/denials?from=2025-01-01&payer=Medicare"
    )
    assert callbacks.navigate(None, clicks, charts, store) is dash.no_update
    assert callbacks.navigate(ids.DEN_TREND, [None] * len(charts), charts, store) is dash.no_update


def test_drill_downs_write_the_pages_own_location_and_wait_for_a_click(dependencies) -> None:
    drills = [d for d in dependencies if any(str(i).startswith(ids.NAV + "-") for i in output_ids(d))]
    assert len(drills) == 6  # one per page with clickable charts (the Explorer's table picker too)
    for module in (demographics, drg, denials, coding, operations, explorer):
        mine = page_ids(module)
        assert callbacks.nav_id(module.NAV) in mine
        (dep,) = [d for d in drills if output_ids(d) == [callbacks.nav_id(module.NAV)]]
        assert dep["prevent_initial_call"]
        assert {s["id"] for s in dep["inputs"]} <= mine


def test_the_explorer_sends_nothing_it_already_shows(store, context) -> None:
    picker = find(explorer.layout(table="claims"), lambda c: getattr(c, "id", None) == ids.EXP_TABLE)[0]
    assert picker.value == "claims"
    picker = find(explorer.layout(table="nonsense"), lambda c: getattr(c, "id", None) == ids.EXP_TABLE)[0]
    assert picker.value == "encounters"
    _, table, _ = explorer.refresh(store, "encounters")
    assert table is dash.no_update  # the picker already shows it: choose_table is not fired
    claims = shell.store_of(state.parse("?table=claims"), context.defaults)
    assert explorer.refresh(claims, "encounters")[1] == "claims"  # back button: the picker follows
    # A grid just made counts before it asks for rows (its first block then finds the count kept).
    first = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    assert explorer.request_of(None, store)[0] == explorer.request_of(first, store)[0]
    assert str(explorer.status([None], store)[0]) == str(explorer.status([first], store)[0])
    assert all(v is dash.no_update for v in explorer.status([{"startRow": 100, "endRow": 200}], store))


def test_the_scorecard_is_one_request(store) -> None:
    title, cards, pdf, xlsx = scorecard.update_all(store)
    assert title == scorecard.update(store)[0]
    assert cards
    assert pdf.startswith("/report/monthly.pdf")
    assert xlsx.startswith("/report/monthly.xlsx")
