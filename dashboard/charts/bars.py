"""Bar charts: one measure per category, and stacked bars of a measure by two categories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.charts import base

NULL_LABEL = "(none)"


def _labels(frame: pl.DataFrame, column: str) -> list[str]:
    return [NULL_LABEL if v is None else str(v) for v in frame[column].to_list()]


def bars(
    frame: pl.DataFrame,
    *,
    category: str,
    value: base.Measure,
    title: str,
    category_title: str,
    hover: Sequence[base.Measure] = (),
    color_dim: str | None = None,
    horizontal: bool = True,
    sort: bool = True,
    limit: int | None = None,
    label: str | None = None,
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Return a bar per category.

    Args:
        frame: one row per category.
        category: the category column (its value is what a click drills on).
        value: the measure drawn.
        title: what and for when.
        category_title: the category axis title.
        hover: extra measures shown on hover (numerator and denominator of a rate).
        color_dim: colour bars by this dimension's fixed colours (payer, patient_type …); else one colour.
        horizontal: bars along x (long category names read better).
        sort: largest first (else the frame's order).
        limit: draw only the first ``limit`` categories (the title should say "top N").
        label: a column whose text is shown as the bar's category label instead of the value.
        colors: colours the shell assigned to ``color_dim``'s values (payers, facilities).
    """
    if base.is_empty(frame, value.column):
        return base.empty_for(title, frame)
    if sort:
        frame = frame.sort(value.column, descending=True, nulls_last=True)
    if limit:
        frame = frame.head(limit)
    names = _labels(frame, category)
    shown = _labels(frame, label) if label else names
    numbers = base.values(frame, value.column)
    marker_colors = (
        [theme.color_for(color_dim, n, colors) for n in names] if color_dim else theme.OKABE_ITO[0]
    )
    customdata, lines = base.custom(frame, hover, offset=1)
    fmt = theme.D3_FORMATS[value.kind]
    rows = [[n, *(c or [])] for n, c in zip(names, customdata or [[]] * len(names), strict=True)]
    bar = go.Bar(
        x=numbers if horizontal else shown,
        y=shown if horizontal else numbers,
        orientation="h" if horizontal else "v",
        marker={"color": marker_colors},
        customdata=rows,
        text=[theme.format_value(v, value.kind) for v in numbers],
        textposition="auto",
        cliponaxis=False,
        hovertemplate=base.hover(
            [(category_title, "%{customdata[0]}"), (value.label, f"%{{{'x' if horizontal else 'y'}:{fmt}}}")],
            lines,
        ),
    )
    fig = base.figure(title)
    fig.add_trace(bar)
    gaps = base.suppressed_points(
        shown,
        numbers,
        horizontal=horizontal,
        kind=value.kind,
        hover_lines=[(category_title, "%{customdata[0]}"), (value.label, "%{text}")],
        customdata=rows,
        extra=lines,
    )
    if gaps is not None:
        fig.add_trace(gaps)
    value_axis = {"title": {"text": base.axis_title(value.label, value.kind)}, **base.axis_format(value.kind)}
    category_axis = {"title": {"text": category_title}, "type": "category"}
    if horizontal:
        category_axis["autorange"] = "reversed"
        fig.update_layout(xaxis=value_axis, yaxis=category_axis, height=max(320, 60 + 26 * len(names)))
    else:
        fig.update_layout(xaxis=category_axis, yaxis=value_axis)
    fig.update_layout(showlegend=False)
    return fig


def stacked(
    frame: pl.DataFrame,
    *,
    x: str,
    series: str,
    value: base.Measure,
    title: str,
    x_title: str,
    series_dim: str | None = None,
    x_order: Sequence[str] | None = None,
    horizontal: bool = False,
    colors: Mapping[str, str] | None = None,
    barmode: str = "stack",
) -> go.Figure:
    """Return bars of ``value`` by ``x``, stacked (or side by side) by ``series``, one colour each.

    Args:
        frame: one row per (x, series).
        x: the category on the axis.
        series: the stacking category.
        value: the measure.
        title: what and for when.
        x_title: the category axis title.
        series_dim: the dimension whose fixed colours the series take (default: ``series``).
        x_order: the category order (default: as in the frame).
        horizontal: bars along x.
        colors: colours the shell assigned to the series' values (payers, facilities).
        barmode: ``stack`` or ``group`` (side by side: for values that must not be added up).
    """
    if base.is_empty(frame, value.column):
        return base.empty_for(title, frame)
    fig = base.figure(title)
    fmt = theme.D3_FORMATS[value.kind]
    palette = theme.series_colors(series_dim or series, frame[series].fill_null(NULL_LABEL).to_list(), colors)
    for group in frame.partition_by(series, maintain_order=True):
        name = NULL_LABEL if group[series][0] is None else str(group[series][0])
        cats = _labels(group, x)
        numbers = base.values(group, value.column)
        fig.add_trace(
            go.Bar(
                x=numbers if horizontal else cats,
                y=cats if horizontal else numbers,
                orientation="h" if horizontal else "v",
                name=name,
                marker={"color": palette[name]},
                customdata=[[c, name] for c in cats],
                hovertemplate=base.hover(
                    [
                        (x_title, "%{customdata[0]}"),
                        (series.replace("_", " ").capitalize(), "%{customdata[1]}"),
                        (value.label, f"%{{{'x' if horizontal else 'y'}:{fmt}}}"),
                    ]
                ),
            )
        )
    order = {"categoryorder": "array", "categoryarray": list(x_order)} if x_order else {}
    value_axis = {"title": {"text": base.axis_title(value.label, value.kind)}, **base.axis_format(value.kind)}
    category_axis = {"title": {"text": x_title}, "type": "category", **order}
    if horizontal:
        fig.update_layout(xaxis=value_axis, yaxis={**category_axis, "autorange": "reversed"})
    else:
        fig.update_layout(xaxis=category_axis, yaxis=value_axis)
    fig.update_layout(barmode=barmode, showlegend=True)
    if horizontal:
        fig.update_layout(height=max(340, 80 + 22 * frame[x].n_unique() * (2 if barmode == "group" else 1)))
    return base.place_legend(fig)


def grouped(
    frame: pl.DataFrame,
    *,
    category: str,
    values: Sequence[base.Measure],
    title: str,
    category_title: str,
    value_title: str,
    label: str | None = None,
    hover: Sequence[base.Measure] = (),
) -> go.Figure:
    """Return side-by-side bars of several measures of one kind per category (ALOS vs GMLOS …)."""
    if not values or base.is_empty(frame, values[0].column):
        return base.empty_for(title, frame)
    names = _labels(frame, category)
    shown = _labels(frame, label) if label else names
    customdata, lines = base.custom(frame, hover, offset=1)
    rows = [[n, *(c or [])] for n, c in zip(names, customdata or [[]] * len(names), strict=True)]
    fig = base.figure(title)
    for i, m in enumerate(values):
        fig.add_trace(
            go.Bar(
                x=shown,
                y=base.values(frame, m.column),
                name=m.label,
                marker={"color": theme.OKABE_ITO[i % len(theme.OKABE_ITO)]},
                customdata=rows,
                hovertemplate=base.hover(
                    [(category_title, "%{x}"), (m.label, f"%{{y:{theme.D3_FORMATS[m.kind]}}}")], lines
                ),
            )
        )
    fig.update_layout(
        barmode="group",
        xaxis={"title": {"text": category_title}, "type": "category"},
        yaxis={
            "title": {"text": base.axis_title(value_title, values[0].kind)},
            **base.axis_format(values[0].kind),
        },
        showlegend=True,
    )
    return fig


def faceted(
    frame: pl.DataFrame,
    *,
    category: str,
    facet: str,
    value: base.Measure,
    title: str,
    category_title: str,
    hover: Sequence[base.Measure] = (),
    facet_dim: str | None = None,
) -> go.Figure:
    """Return one bar panel per facet value, each with its own value axis (values never compared across).

    Used for charts per hour per coder with one panel per chart type: inpatient and outpatient norms
    differ 3–5×, so each panel has its own scale and the panels sit side by side.
    """
    if base.is_empty(frame, value.column):
        return base.empty_for(title, frame)
    facets = sorted(str(v) for v in frame[facet].drop_nulls().unique().to_list())
    cats = sorted(str(v) for v in frame[category].drop_nulls().unique().to_list())
    fig = make_subplots(
        rows=1, cols=len(facets), shared_yaxes=True, subplot_titles=facets, horizontal_spacing=0.03
    )
    fig.update_layout(
        template=theme.TEMPLATE,
        title=base.title_layout(title),
        height=max(360, 130 + 20 * len(cats)),
        showlegend=False,
    )
    fmt = theme.D3_FORMATS[value.kind]
    for i, name in enumerate(facets, start=1):
        part = frame.filter(pl.col(facet) == name)
        customdata, lines = base.custom(part, hover, offset=2)
        rows = [
            [c, name, *(d or [])]
            for c, d in zip(_labels(part, category), customdata or [[]] * part.height, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=base.values(part, value.column),
                y=_labels(part, category),
                orientation="h",
                name=name,
                marker={"color": theme.color_for(facet_dim or facet, name)},
                customdata=rows,
                hovertemplate=base.hover(
                    [
                        (category_title, "%{customdata[0]}"),
                        (facet.replace("_", " ").capitalize(), "%{customdata[1]}"),
                        (value.label, f"%{{x:{fmt}}}"),
                    ],
                    lines,
                ),
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(
            title={"text": theme.UNITS[value.kind].strip(" ()") or value.label},
            rangemode="tozero",
            tickformat=fmt,
            nticks=4,
            row=1,
            col=i,
        )
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=cats[::-1], title={"text": ""})
    fig.update_yaxes(title={"text": category_title}, row=1, col=1)
    return fig
