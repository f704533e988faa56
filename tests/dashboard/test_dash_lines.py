"""The Denials and DRG pages on the demo warehouse: one callback = one query, and the charts of one line
per payer / facility draw from one by-value query exactly the lines that the query they replaced drew
when it was run once per payer / facility (``data.run_each``, now gone)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import polars as pl
import pytest

from dashboard import data, ids, shell, state
from dashboard.charts import trend
from dashboard.pages import denials, drg
from warehouse import catalog
from warehouse.filters import Filters

# (page callback, the query it runs, the query it ran once per value, dimension, the line's measure, hover)
LINES = [
    (
        denials.rate_by_payer_trend,
        "denials.rate_trend_by_payer",
        "denials.trend",
        "payer",
        denials.RATE,
        denials.RATE_HOVER,
    ),
    (drg.cmi_by_facility, "drg.cmi_trend_by_facility", "drg.cmi_trend", "facility", drg.CMI, drg.CMI_HOVER),
]
SEARCHES = [
    "",
    "?payer=Medicare&payer=Self+Pay",
    "?facility=FAC02&facility=FAC03",
    "?from=2025-01-01&to=2025-06-30&patient_type=inpatient",
]
ONE_QUERY: list[tuple[Callable[..., Any], str]] = [
    (denials.rate_by_payer_trend, "denials.rate_trend_by_payer"),
    (denials.dollars, "denials.trend"),
    (denials.reasons, "denials.by_reason"),
    (denials.categories, "denials.by_category"),
    (denials.overturn, "denials.by_payer"),
    (denials.by_payer, "denials.by_payer"),
    (denials.payer_category, "denials.by_payer_category"),
    (drg.top_drgs, "drg.mix"),
    (drg.cmi_by_facility, "drg.cmi_trend_by_facility"),
    (drg.cmi_by_type, "drg.cmi_by_type_trend"),
    (drg.mdc, "drg.mix"),
    (drg.los, "drg.alos_vs_gmlos"),
    (drg.cc_mcc, "drg.cc_mcc_capture_by_service_line"),
    (drg.drg_table, "drg.mix"),
]


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the queries the pages run through ``data.run``, in order."""
    names: list[str] = []
    real = data.run

    def run(name: str, filters: Any = None) -> Any:
        names.append(name)
        return real(name, filters)

    monkeypatch.setattr(data, "run", run)
    return names


@pytest.mark.parametrize(("fn", "name"), ONE_QUERY, ids=[n for _, n in ONE_QUERY])
def test_each_chart_callback_runs_one_query(fn, name, ran, store, context) -> None:
    fn(data.filters(store), context)
    assert ran == [name]


@pytest.mark.parametrize(("fn", "name", "old", "dimension", "y", "hover"), LINES, ids=[x[1] for x in LINES])
@pytest.mark.parametrize("search", SEARCHES)
def test_the_lines_equal_those_of_the_query_run_per_value(
    fn, name, old, dimension, y, hover, search, context
) -> None:
    f = data.filters(shell.store_of(state.parse(search), context.defaults))
    fig = fn(f, context)
    chosen = getattr(f, dimension) or context.options[dimension]
    before = trend.lines(  # the former callback: the query run once per value, at most 10 values
        {v: data.run(old, replace(f, **{dimension: (v,)})) for v in chosen[:10]},
        x="period",
        y=y,
        dimension=dimension,
        hover=hover,
        title="t",
        colors=context.colors.get(dimension),
    )
    assert fig.data, search
    assert [t.to_plotly_json() for t in fig.data] == [t.to_plotly_json() for t in before.data]


@pytest.mark.parametrize(
    ("page", "chart_id", "name"),
    [
        (denials, ids.DEN_TREND, "denials.rate_trend_by_payer"),
        (drg, ids.DRG_CMI_TREND, "drg.cmi_trend_by_facility"),
    ],
)
def test_the_csv_of_a_lines_chart_is_its_query(page, chart_id, name, store, context) -> None:
    f = data.filters(store)
    assert page.CSV[chart_id](f, context).equals(catalog.run(name, f))


def test_at_most_ten_lines_in_the_order_offered() -> None:
    frame = pl.DataFrame({"payer": [f"P{i}" for i in range(12)], "n": range(12)})
    offered = tuple(f"P{i}" for i in reversed(range(12)))
    split = data.lines(frame, "payer", Filters(), offered)
    assert list(split) == list(offered[:10])
    assert split["P11"]["n"].to_list() == [11]
    chosen = data.lines(frame, "payer", Filters(payer=("P3", "none")), offered)
    assert {k: v.height for k, v in chosen.items()} == {"P3": 1, "none": 0}
