"""The family pages' 13-month trend figures, drawn with the dashboard's chart builders.

Frames in, ``plotly.graph_objects.Figure`` out (no I/O): :func:`dashboard.charts.trend.measures` for
scorecard columns and :func:`dashboard.charts.trend.trend` for a query with a series column, in the
dashboard's template and colours, with the KPI's target as a dashed line. Suppressed values are null
in the frames, so they are gaps in the lines, never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import base
from dashboard.charts.trend import measures, trend
from warehouse.report.families import Chart
from warehouse.scorecard import KPIS
from warehouse.targets import Target

#: Size of one chart on a page, in CSS pixels (two per row on a Letter page).
WIDTH, HEIGHT = 350, 235


def _label(column: str) -> str:
    return KPIS[column][0] if column in KPIS else column.replace("_", " ").capitalize()


#: What a chart says when every point of it is hidden by small-cell suppression.
SUPPRESSED_MESSAGE = "Not shown: fewer than 11 records in each month (small cells)."
EMPTY_MESSAGE = "No data for these filters in the 13 months."


def _has_values(frame: pl.DataFrame | None, columns: tuple[str, ...]) -> bool:
    return frame is not None and any(
        c in frame.columns and frame[c].null_count() < frame.height for c in columns
    )


def _empty(title: str, message: str) -> go.Figure:
    fig = base.empty(title, message)
    fig.update_annotations(font={"size": 10}, width=WIDTH - 40)
    return fig


def figure(
    chart: Chart,
    trend_frame: pl.DataFrame,
    frames: Mapping[str, pl.DataFrame],
    targets: Mapping[str, Target],
    raw: Mapping[str, pl.DataFrame] | None = None,
) -> go.Figure:
    """Return one chart of a family page.

    Args:
        chart: what to draw.
        trend_frame: ``scorecard.trend`` (after suppression).
        frames: query name -> 13-month frame, for charts drawn from another query (after suppression).
        targets: targets by KPI.
        raw: the same frames before suppression (``scorecard.trend`` under that name), to tell a chart
            hidden by small-cell suppression from one without data.
    """
    kind = theme.UNIT_KINDS[chart.unit]
    source = chart.query or "scorecard.trend"
    shown = frames.get(chart.query) if chart.query else trend_frame
    if not _has_values(shown, chart.columns):
        hidden = raw is not None and _has_values(raw.get(source), chart.columns)
        fig = _empty(chart.title, SUPPRESSED_MESSAGE if hidden else EMPTY_MESSAGE)
    elif chart.query:
        column = chart.columns[0]
        fig = trend(
            shown,
            x="period",
            y=base.Measure(column, _label(column), kind),
            title=chart.title,
            series=chart.series,
        )
    else:
        ys = [base.Measure(c, _label(c), kind) for c in chart.columns]
        fig = measures(
            trend_frame,
            x="month",
            ys=ys,
            title=chart.title,
            y_title=ys[0].label if len(ys) == 1 else chart.title,
        )
    target = targets.get(chart.target) if chart.target else None
    if target is not None and not (fig.layout.meta and fig.layout.meta.get("empty")):
        fig.add_hline(
            y=target.target,
            line={"dash": "dash", "color": theme.NEUTRAL, "width": 1},
            annotation={"text": "target", "font": {"size": 10, "color": theme.NEUTRAL}},
            annotation_position="top left",
        )
    if kind == "index":
        fig.update_yaxes(tickformat=",.2f")
    fig.update_layout(
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 56, "r": 12, "t": 40, "b": 36},
        title={"font": {"size": 13}},
        font={"size": 10},
        legend={"font": {"size": 9}, "y": 1.02},
        xaxis={"title": {"text": ""}, "tickformat": "%b %y"},
        yaxis={"title": {"text": ""}},
    )
    return fig
