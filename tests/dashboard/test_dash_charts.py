"""Chart builders: pure functions of a frame; titles say what and when, axes carry units, rates show
their numerator and denominator on hover, colours are fixed per category, an empty frame is the
empty state."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboard import theme
from dashboard.charts import bars, base, heatmap, pareto, sparkline, treemap, trend

M = base.Measure
RATE = M("rate", "Denial rate", "rate")
NUM_DEN = (M("denied", "Denied claims (numerator)"), M("submitted", "Submitted claims (denominator)"))
ROOT = Path(__file__).resolve().parents[2]


def months(n: int) -> list[dt.date]:
    return [dt.date(2025, m, 1) for m in range(1, n + 1)]


@pytest.fixture
def by_payer() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "payer": ["Medicare", "Aetna", "Cigna"],
            "denied": [10, 30, 5],
            "submitted": [100, 120, 50],
            "rate": [0.10, 0.25, 0.10],
            "amount": [Decimal("10.50"), Decimal("99.00"), Decimal("1.00")],
        }
    )


def hovers(fig: go.Figure) -> str:
    return " ".join(t.hovertemplate or "" for t in fig.data)


def assert_titled(fig: go.Figure, what: str, when: str) -> None:
    assert fig.layout.title.text == what
    assert fig.layout.title.subtitle.text == when


def test_trend_has_title_units_and_numerator_denominator_on_hover() -> None:
    frame = pl.DataFrame(
        {"period": months(3), "rate": [0.1, 0.2, 0.15], "denied": [1, 2, 3], "submitted": [10, 10, 20]}
    )
    fig = trend.trend(
        frame, x="period", y=RATE, title="Denial rate per month\n1 Jan 2025 – 31 Mar 2025", hover=NUM_DEN
    )
    assert_titled(fig, "Denial rate per month", "1 Jan 2025 – 31 Mar 2025")
    assert fig.layout.yaxis.title.text == "Denial rate (%)"
    assert fig.layout.xaxis.title.text == "Month"
    assert "numerator" in hovers(fig)
    assert "denominator" in hovers(fig)
    assert list(fig.data[0].y) == [0.1, 0.2, 0.15]
    assert list(fig.data[0].customdata[0][1:]) == [
        "1",
        "10",
    ]  # formatted for the hover (a suppressed count reads <11)


def test_series_colours_are_fixed_per_category_whatever_the_order() -> None:
    frame = pl.DataFrame(
        {"period": months(2) * 2, "patient_type": ["outpatient"] * 2 + ["inpatient"] * 2, "n": [1, 2, 3, 4]}
    )
    fig = trend.trend(frame, x="period", y=M("n", "Charts"), series="patient_type", title="t")
    colours = {t.name: t.line.color for t in fig.data}
    assert colours == {
        "inpatient": theme.PATIENT_TYPE_COLORS["inpatient"],
        "outpatient": theme.PATIENT_TYPE_COLORS["outpatient"],
    }
    assigned = theme.assign_colors(["Medicare", "Aetna"])
    assert theme.color_for("payer", "Aetna", assigned) == assigned["Aetna"] != assigned["Medicare"]
    assert theme.color_for("payer", "Unknown Payer") == theme.color_for("payer", "Unknown Payer")


def test_lines_draw_one_line_per_frame_and_put_a_long_legend_under_the_chart() -> None:
    frame = pl.DataFrame({"period": months(2), "rate": [0.1, 0.2], "denied": [1, 2], "submitted": [10, 10]})
    frames = {f"Payer {i}": frame for i in range(6)}
    fig = trend.lines(frames, x="period", y=RATE, dimension="payer", title="t\nw", hover=NUM_DEN)
    assert [t.name for t in fig.data] == list(frames)
    assert fig.data[0].customdata[0][0] == "Payer 0"  # what a click drills on
    assert fig.layout.legend.y < 0
    assert trend.lines({"A": frame.clear()}, x="period", y=RATE, dimension="payer", title="t").layout.meta


def test_bars_sort_limit_label_and_drill_value(by_payer: pl.DataFrame) -> None:
    fig = bars.bars(
        by_payer,
        category="payer",
        value=M("denied", "Denied claims"),
        title="Denied\n2025",
        category_title="Payer",
        hover=[M("amount", "Denied amount", "money")],
        limit=2,
        color_dim="payer",
        colors={"Aetna": "#111111"},
    )
    bar = fig.data[0]
    assert list(bar.y) == ["Aetna", "Medicare"]
    assert [row[0] for row in bar.customdata] == ["Aetna", "Medicare"]
    assert bar.customdata[0][1] == "$99"  # formatted for the hover (Decimal → text, JSON-safe)
    assert bar.marker.color[0] == "#111111"
    assert fig.layout.xaxis.title.text == "Denied claims"
    assert "Denied amount: %{customdata[1]}" in bar.hovertemplate


def test_stacked_grouped_and_faceted_bars() -> None:
    frame = pl.DataFrame({"bucket": ["0-3", "4-7", "0-3"], "status": ["a", "a", "b"], "n": [1, 2, 3]})
    fig = bars.stacked(
        frame,
        x="bucket",
        series="status",
        value=M("n", "Encounters"),
        title="t",
        x_title="Days",
        x_order=["0-3", "4-7"],
    )
    assert fig.layout.barmode == "stack"
    assert len(fig.data) == 2
    assert list(fig.layout.xaxis.categoryarray) == ["0-3", "4-7"]
    grouped = bars.grouped(
        pl.DataFrame({"drg": ["470"], "alos": [3.0], "gmlos": [2.5]}),
        category="drg",
        values=[M("alos", "ALOS", "days"), M("gmlos", "GMLOS", "days")],
        title="t",
        category_title="MS-DRG",
        value_title="Length of stay",
    )
    assert grouped.layout.barmode == "group"
    assert grouped.layout.yaxis.title.text == "Length of stay (days)"
    coders = pl.DataFrame(
        {
            "coder": ["C1", "C2", "C1"],
            "chart_type": ["inpatient", "inpatient", "outpatient"],
            "cph": [1.5, 1.2, 7.0],
        }
    )
    faceted = bars.faceted(
        coders,
        category="coder",
        facet="chart_type",
        value=M("cph", "Charts/h", "per_hour"),
        title="t",
        category_title="Coder",
    )
    assert [t.name for t in faceted.data] == ["inpatient", "outpatient"]
    assert faceted.data[0].xaxis != faceted.data[1].xaxis  # one scale per chart type, never shared


def test_pareto_cumulative_share_is_of_the_whole_total(by_payer: pl.DataFrame) -> None:
    fig = pareto.pareto(
        by_payer,
        category="payer",
        value=M("denied", "Denied claims"),
        title="t",
        category_title="Payer",
        limit=2,
    )
    line = fig.data[1]
    assert list(fig.data[0].x) == ["Aetna", "Medicare"]
    assert list(line.y) == pytest.approx([30 / 45, 40 / 45])
    assert fig.layout.yaxis2.tickformat == ".0%"


def test_heatmap_cells_and_hover(by_payer: pl.DataFrame) -> None:
    frame = by_payer.with_columns(pl.lit("coding").alias("category"))
    fig = heatmap.heatmap(
        frame,
        x="category",
        y="payer",
        z=M("denied", "Denied claims"),
        title="t",
        x_title="Category",
        y_title="Payer",
        hover=[M("amount", "Denied amount", "money")],
        x_text=str.upper,
    )
    cell = fig.data[0]
    assert list(cell.x) == ["coding"]
    assert list(cell.y) == ["Aetna", "Cigna", "Medicare"]
    assert [row[0] for row in cell.z] == [30, 5, 10]
    assert list(fig.layout.xaxis.ticktext) == ["CODING"]
    assert "Denied amount" in cell.hovertemplate


def test_treemap_parents_are_sized_by_their_children() -> None:
    frame = pl.DataFrame({"mdc": ["05", "05", "08"], "drg": ["291", "292", "470"], "n": [3, 2, 4]})
    fig = treemap.treemap(
        frame, parent="mdc", child="drg", value=M("n", "Discharges"), title="t", parent_prefix="MDC "
    )
    tm = fig.data[0]
    assert list(tm.parents[:2]) == ["", ""]
    assert tm.branchvalues == "remainder"
    assert list(tm.values[:2]) == [0, 0]


def test_sparkline_is_an_inline_svg_of_the_present_values() -> None:
    uri = sparkline.sparkline(pl.DataFrame({"v": [1.0, None, 3.0, 2.0]}), "v")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert uri.startswith("data:image/svg+xml;base64,")
    assert svg.count(",") == 3  # three points drawn, the missing month left out
    assert sparkline.points([None, None], 100, 30) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda f: trend.trend(f, x="period", y=RATE, title="Rate\nJan 2025"),
        lambda f: bars.bars(f, category="payer", value=RATE, title="Rate\nJan 2025", category_title="Payer"),
        lambda f: pareto.pareto(f, category="payer", value=RATE, title="Rate\nJan 2025", category_title="P"),
        lambda f: heatmap.heatmap(
            f, x="payer", y="payer", z=RATE, title="Rate\nJan 2025", x_title="a", y_title="b"
        ),
        lambda f: treemap.treemap(f, parent="payer", child="payer", value=RATE, title="Rate\nJan 2025"),
    ],
)
def test_an_empty_frame_gives_the_empty_state_with_the_title(build) -> None:
    empty = pl.DataFrame(schema={"period": pl.Date, "payer": pl.String, "rate": pl.Float64})
    fig = build(empty)
    assert fig.layout.meta["empty"] is True
    assert fig.layout.annotations[0].text == base.EMPTY_MESSAGE
    assert_titled(fig, "Rate", "Jan 2025")
    assert not fig.data


def test_number_formats() -> None:
    assert theme.format_value(0.12345, "rate") == "12.3%"
    assert theme.format_value(Decimal("1234567.891"), "money") == "$1,234,568"
    assert theme.format_value(1.23456, "index") == "1.2346"
    assert theme.format_value(None, "count") == "—"
    assert theme.format_value(float("nan"), "days") == "—"
    assert theme.format_change(-0.012, "rate") == "−1.2 pts"
    assert theme.format_change(3, "count") == "+3"


def test_the_dashboard_never_uses_plotly_express_nor_imports_duckdb() -> None:
    for path in (ROOT / "dashboard").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"plotly\.express|import plotly_express", text), path
        assert not re.search(r"^\s*(import duckdb|from duckdb)", text, re.MULTILINE), path


def test_a_suppressed_count_reads_less_than_11_in_hover_for_leadership() -> None:
    import flask

    from dashboard.security.scope import Scope, set_scope

    frame = pl.DataFrame(
        {
            "payer": ["Aetna", "Aetna", "Medicare"],
            "category": ["coding", "authorization", "coding"],
            "claims_denied": [None, 240, 57],
            "denial_share": [None, 0.8, 0.2],
        }
    )
    z = base.Measure("denial_share", "Share of denials", "rate")
    counts = base.Measure("claims_denied", "Denied claims", "count")
    ctx = flask.Flask(__name__).test_request_context("/")
    ctx.push()
    try:
        set_scope(Scope("lee", frozenset({"leadership"}), ()))
        fig = heatmap.heatmap(
            frame,
            x="category",
            y="payer",
            z=z,
            title="t",
            x_title="Category",
            y_title="Payer",
            hover=[counts],
        )
        trace = fig.data[0]
        cells = {
            (y, x): (t, tuple(c))
            for y, row_t, row_c in zip(trace.y, trace.text, trace.customdata, strict=True)
            for x, t, c in zip(trace.x, row_t, row_c, strict=True)
        }
        assert cells[("Aetna", "coding")] == ("suppressed", ("<11",))
        assert cells[("Aetna", "authorization")] == ("80.0%", ("240",))
        assert trace.hoverongaps
        set_scope(Scope("ana", frozenset({"analyst"}), ()))
        assert theme.format_value(None, "count") == "—"
    finally:
        ctx.pop()
    assert theme.format_value(None, "count") == "—"  # outside a request: no viewer, nothing suppressed
