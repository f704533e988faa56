"""Heatmap of a measure over two categories (payer × denial category …)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import base
from dashboard.charts.bars import NULL_LABEL

#: Sequential, colour-blind-safe scale (light to dark blue, Okabe-Ito blue at the top).
SCALE = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#0b3d91"]]


def heatmap(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    z: base.Measure,
    title: str,
    x_title: str,
    y_title: str,
    hover: Sequence[base.Measure] = (),
    x_text: Callable[[str], str] | None = None,
) -> go.Figure:
    """Return a heatmap of ``z`` with one cell per (x, y) row of the frame (absent pairs are blank).

    Args:
        frame: one row per (x, y).
        x: the column category.
        y: the row category.
        z: the measure coloured.
        title: what and for when.
        x_title: the x axis title.
        y_title: the y axis title.
        hover: more measures shown on hover (numerator and denominator of a rate).
        x_text: how an x value is written under the axis (the value itself stays what a click gives).
    """
    if base.is_empty(frame, z.column):
        return base.empty_for(title, frame)
    labelled = frame.with_columns(
        pl.col(x).cast(pl.String).fill_null(NULL_LABEL).alias("_x"),
        pl.col(y).cast(pl.String).fill_null(NULL_LABEL).alias("_y"),
    )
    xs = sorted(set(labelled["_x"].to_list()))
    ys = sorted(set(labelled["_y"].to_list()))
    cells = {(r["_x"], r["_y"]): r for r in labelled.iter_rows(named=True)}

    def cell(cx: str, cy: str, column: str) -> object:
        return base.plain(cells[(cx, cy)][column]) if (cx, cy) in cells else None

    z_grid = [[cell(cx, cy, z.column) for cx in xs] for cy in ys]
    # Every value is formatted here, so a cell suppressed for the viewer reads "<11" on hover.
    z_text = [[theme.format_value(v, z.kind) for v in row] for row in z_grid]
    custom = (
        [[[theme.format_value(cell(cx, cy, m.column), m.kind) for m in hover] for cx in xs] for cy in ys]
        if hover
        else None
    )
    fmt = theme.D3_FORMATS[z.kind]
    extra = [f"{m.label}: %{{customdata[{i}]}}" for i, m in enumerate(hover)]
    fig = base.figure(title)
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=z_grid,
            colorscale=SCALE,
            colorbar={"title": {"text": base.axis_title(z.label, z.kind)}, "tickformat": fmt},
            customdata=custom,
            text=z_text,
            hoverongaps=True,
            xgap=1,
            ygap=1,
            hovertemplate=base.hover([(x_title, "%{x}"), (y_title, "%{y}"), (z.label, "%{text}")], extra),
        )
    )
    fig.update_layout(
        xaxis={
            "title": {"text": x_title},
            "type": "category",
            **({"tickvals": xs, "ticktext": [x_text(v) for v in xs]} if x_text else {}),
        },
        yaxis={"title": {"text": y_title}, "type": "category", "autorange": "reversed"},
        height=max(base.DEFAULT_HEIGHT, 150 + 28 * len(ys)),
    )
    return fig
