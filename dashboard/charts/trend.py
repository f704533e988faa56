"""Trend lines: a measure per period, one line per category or per measure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import base


def _line(  # each point's customdata starts with the line's name (what a click drills on)
    fig: go.Figure,
    frame: pl.DataFrame,
    *,
    x: str,
    y: base.Measure,
    name: str,
    color: str,
    hover: Sequence[base.Measure],
    x_title: str,
    series_label: str | None,
    dash: str | None = None,
) -> None:
    frame = frame.sort(x)
    customdata, lines = base.custom(frame, hover, offset=1)
    rows = [[name, *(c or [])] for c in (customdata or [[]] * frame.height)]
    xs, ys = base.values(frame, x), base.values(frame, y.column)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            name=name,
            mode="lines+markers",
            marker={"size": 5},
            line={"color": color, "width": 2, **({"dash": dash} if dash else {})},
            customdata=rows,
            hovertemplate=base.hover(
                [
                    *([(series_label, name)] if series_label else []),
                    (x_title, "%{x|%b %Y}"),
                    (y.label, f"%{{y:{theme.D3_FORMATS[y.kind]}}}"),
                ],
                lines,
            ),
        )
    )
    gaps = base.suppressed_points(
        xs,
        ys,
        horizontal=False,
        kind=y.kind,
        hover_lines=[
            *([(series_label, name)] if series_label else []),
            (x_title, "%{x|%b %Y}"),
            (y.label, "%{text}"),
        ],
        customdata=rows,
        extra=lines,
        color=color,
        group=name,
    )
    if gaps is not None:
        fig.add_trace(gaps)


def _axes(fig: go.Figure, x_title: str, y_title: str, kind: theme.ValueKind, legend: bool) -> go.Figure:
    fig.update_layout(
        xaxis={"title": {"text": x_title}},
        yaxis={"title": {"text": base.axis_title(y_title, kind)}, **base.axis_format(kind)},
        showlegend=legend,
        hovermode="closest",
    )
    return base.place_legend(fig) if legend else fig


def trend(
    frame: pl.DataFrame,
    *,
    x: str,
    y: base.Measure,
    title: str,
    series: str | None = None,
    hover: Sequence[base.Measure] = (),
    x_title: str = "Month",
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Return a line chart of ``y`` over ``x``.

    Args:
        frame: one row per period (per period and series when ``series`` is given).
        x: the period column (dates).
        y: the measure drawn.
        title: what and for when.
        series: a category column; one line per value, in that dimension's fixed colour.
        hover: extra measures shown on hover (the numerator and denominator of a rate).
        x_title: the x axis title.
        colors: colours the shell assigned to the series' values (payers, facilities).
    """
    if base.is_empty(frame, y.column):
        return base.empty_for(title, frame)
    fig = base.figure(title)
    if series is None:
        _line(
            fig,
            frame,
            x=x,
            y=y,
            name=y.label,
            color=theme.OKABE_ITO[0],
            hover=hover,
            x_title=x_title,
            series_label=None,
        )
        return _axes(fig, x_title, y.label, y.kind, legend=False)
    groups = sorted(frame.partition_by(series, maintain_order=True), key=lambda g: str(g[series][0]))
    palette = theme.series_colors(series, [str(g[series][0]) for g in groups], colors)
    for group in groups:
        name = str(group[series][0])
        _line(
            fig,
            group,
            x=x,
            y=y,
            name=name,
            color=palette[name],
            hover=hover,
            x_title=x_title,
            series_label=series.replace("_", " ").capitalize(),
        )
    return _axes(fig, x_title, y.label, y.kind, legend=True)


def lines(
    frames: Mapping[str, pl.DataFrame],
    *,
    x: str,
    y: base.Measure,
    title: str,
    dimension: str,
    hover: Sequence[base.Measure] = (),
    x_title: str = "Month",
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Return one line per frame (e.g. the same trend query run once per facility).

    Args:
        frames: category value → its frame (one row per period).
        x: the period column.
        y: the measure drawn.
        title: what and for when.
        dimension: what the keys are (``facility``, ``payer``): names the hover line, picks colours.
        hover: extra measures shown on hover.
        x_title: the x axis title.
        colors: colours the shell assigned to the dimension's values.
    """
    drawn = {name: f for name, f in frames.items() if not base.is_empty(f, y.column)}
    if not drawn:
        return base.empty_for(title, *frames.values())
    fig = base.figure(title)
    for name, frame in drawn.items():
        _line(
            fig,
            frame,
            x=x,
            y=y,
            name=name,
            color=theme.color_for(dimension, name, colors),
            hover=hover,
            x_title=x_title,
            series_label=dimension.replace("_", " ").capitalize(),
        )
    return _axes(fig, x_title, y.label, y.kind, legend=True)


def measures(
    frame: pl.DataFrame,
    *,
    x: str,
    ys: Sequence[base.Measure],
    title: str,
    y_title: str,
    hover: Sequence[base.Measure] = (),
    x_title: str = "Month",
) -> go.Figure:
    """Return one line per measure of the same kind (denied and recovered dollars …)."""
    if not ys or all(base.is_empty(frame, m.column) for m in ys):
        return base.empty_for(title, frame)
    fig = base.figure(title)
    for i, m in enumerate(ys):
        _line(
            fig,
            frame,
            x=x,
            y=m,
            name=m.label,
            color=theme.OKABE_ITO[i % len(theme.OKABE_ITO)],
            hover=hover,
            x_title=x_title,
            series_label=None,
            dash=None if i == 0 else "dot",
        )
    return _axes(fig, x_title, y_title, ys[0].kind, legend=True)
