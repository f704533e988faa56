"""Pareto chart: categories as bars, largest first, with the cumulative share as a line."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import base
from dashboard.charts.bars import NULL_LABEL


def pareto(
    frame: pl.DataFrame,
    *,
    category: str,
    value: base.Measure,
    title: str,
    category_title: str,
    hover: Sequence[base.Measure] = (),
    label: str | None = None,
    limit: int = 20,
) -> go.Figure:
    """Return a Pareto chart of ``value`` by ``category`` (top ``limit`` categories).

    The cumulative line is each bar's running share of the whole frame's total (all categories, not
    only those drawn), so 80 % on the line means 80 % of all of it.
    """
    if base.is_empty(frame, value.column):
        return base.empty_for(title, frame)
    ordered = frame.sort(value.column, descending=True, nulls_last=True)
    total = ordered[value.column].cast(pl.Float64).sum() or 0.0
    ordered = ordered.with_columns(
        (pl.col(value.column).cast(pl.Float64).cum_sum() / (total or 1.0)).alias("_cumulative_share")
    ).head(limit)
    names = [NULL_LABEL if v is None else str(v) for v in ordered[category].to_list()]
    shown = [NULL_LABEL if v is None else str(v) for v in ordered[label].to_list()] if label else names
    customdata, lines = base.custom(ordered, hover, offset=1)
    rows = [[n, *(c or [])] for n, c in zip(names, customdata or [[]] * len(names), strict=True)]
    fmt = theme.D3_FORMATS[value.kind]
    fig = base.figure(title)
    fig.add_trace(
        go.Bar(
            x=shown,
            y=base.values(ordered, value.column),
            name=value.label,
            marker={"color": theme.OKABE_ITO[0]},
            customdata=rows,
            hovertemplate=base.hover([(category_title, "%{x}"), (value.label, f"%{{y:{fmt}}}")], lines),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=shown,
            y=ordered["_cumulative_share"].to_list(),
            name="Cumulative share",
            yaxis="y2",
            mode="lines+markers",
            line={"color": theme.OKABE_ITO[3], "width": 2},
            hovertemplate=base.hover([(category_title, "%{x}"), ("Cumulative share", "%{y:.1%}")]),
        )
    )
    fig.update_layout(
        xaxis={"title": {"text": category_title}, "type": "category"},
        yaxis={"title": {"text": base.axis_title(value.label, value.kind)}, **base.axis_format(value.kind)},
        yaxis2={
            "title": {"text": "Cumulative share (%)"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tickformat": ".0%",
            "tick0": 0,
            "dtick": 0.2,
            "showgrid": False,
        },
        showlegend=True,
    )
    return fig
