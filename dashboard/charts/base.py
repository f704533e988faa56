"""What every figure shares: the template, titles, axis formats, hover lines and the empty state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl

from dashboard import theme

EMPTY_MESSAGE = "No data: the filters match nothing in this period."
#: The empty state of a leadership chart whose every value is suppressed (there are rows, all hidden).
SUPPRESSED_MESSAGE = "Every value here is suppressed: counts under 11, and figures built on them, are hidden."
#: How a suppressed value is marked on a leadership chart: an open marker on the zero line, with hover.
SUPPRESSED_SYMBOL = "x-thin-open"


@dataclass(frozen=True)
class Measure:
    """A column drawn or shown in hover: its name, label and kind of value."""

    column: str
    label: str
    kind: theme.ValueKind = "count"


DEFAULT_HEIGHT = 380


#: With more series than this, the legend goes under the chart (above it, it would crowd the title).
LEGEND_ON_TOP_MAX = 4


def place_legend(fig: go.Figure) -> go.Figure:
    """Move a long legend under the plot, with the room it needs (a short one stays on top)."""
    entries = sum(trace.showlegend is not False for trace in fig.data)  # not the suppressed markers
    if entries <= LEGEND_ON_TOP_MAX:
        return fig
    rows = (entries + 2) // 3  # about three entries a row
    top, bottom = 64, 80 + 20 * rows
    height = (fig.layout.height or DEFAULT_HEIGHT) + 20 * rows
    below_axis_title = -72 / (height - top - bottom)  # paper units: under the ticks and the axis title
    return fig.update_layout(
        legend={"yanchor": "top", "y": below_axis_title, "orientation": "h"},
        margin={"t": top, "b": bottom},
        height=height,
    )


def title_layout(title: str) -> dict[str, object]:
    """Return Plotly's title settings: the first line says what, a second line (after a newline) when."""
    what, _, when = title.partition("\n")
    out: dict[str, object] = {"text": what}
    if when:
        out["subtitle"] = {"text": when, "font": {"size": 12, "color": theme.NEUTRAL}}
    return out


def figure(title: str, *, height: int | None = None) -> go.Figure:
    """Return an empty figure with the shared template, a title and a height.

    Args:
        title: what the chart shows, then a newline and for when (the period): the second line is
            drawn as the subtitle.
        height: pixels (default 380).
    """
    return go.Figure(
        layout={"template": theme.TEMPLATE, "title": title_layout(title), "height": height or DEFAULT_HEIGHT}
    )


def empty(title: str, message: str = EMPTY_MESSAGE) -> go.Figure:
    """Return the empty state: the title and a sentence saying the filter matched nothing."""
    fig = figure(title)
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 14, "color": theme.NEUTRAL},
            }
        ],
        meta={"empty": True, "message": message},
    )
    return fig


def empty_for(title: str, *frames: pl.DataFrame | None) -> go.Figure:
    """Return the empty state of a chart with nothing to draw, saying why.

    For a viewer who sees small cells suppressed, rows whose values are all null were suppressed, not
    missing: the message says so instead of "the filters match nothing".
    """
    has_rows = any(f is not None and f.height > 0 for f in frames)
    return empty(title, SUPPRESSED_MESSAGE if has_rows and theme.viewer_suppressed() else EMPTY_MESSAGE)


def suppressed_points(
    categories: Sequence[object],
    numbers: Sequence[object],
    *,
    horizontal: bool,
    kind: theme.ValueKind,
    hover_lines: Sequence[tuple[str, str]],
    customdata: Sequence[object] | None = None,
    extra: Sequence[str] = (),
    color: str = theme.NEUTRAL,
    group: str | None = None,
) -> go.Scatter | None:
    """Return markers for the values suppressed for the viewer (None when nothing is), with hover.

    A suppressed value is null, so a bar or a line point would be a silent gap; for a leadership viewer
    each gets an open marker on the zero line whose hover reads ``<11`` (a count) or ``suppressed`` (a
    figure built on one), beside the point's other hover lines. ``hover_lines`` may use ``%{text}`` for
    that word and ``%{customdata[i]}`` for the point's ``customdata`` row.
    """
    if not theme.viewer_suppressed():
        return None
    gaps = [i for i, v in enumerate(numbers) if v is None]
    if not gaps:
        return None
    at = [categories[i] for i in gaps]
    zeros = [0] * len(gaps)
    return go.Scatter(
        x=zeros if horizontal else at,
        y=at if horizontal else zeros,
        mode="markers",
        name="suppressed",
        legendgroup=group,
        showlegend=False,
        marker={
            "symbol": SUPPRESSED_SYMBOL,
            "size": 9,
            "color": color,
            "line": {"width": 1.5, "color": color},
        },
        text=[theme.missing_text(kind)] * len(gaps),
        customdata=[customdata[i] for i in gaps] if customdata is not None else None,
        hovertemplate=hover(hover_lines, extra),
        cliponaxis=False,
    )


def is_empty(frame: pl.DataFrame | None, column: str | None = None) -> bool:
    """True when there is nothing to draw (no rows, or only nulls in ``column``)."""
    if frame is None or frame.height == 0:
        return True
    return column is not None and frame[column].null_count() == frame.height


def values(frame: pl.DataFrame, column: str) -> list[object]:
    """Return a column as a list of plain Python values (Decimal as float, for JSON)."""
    series = frame[column]
    if isinstance(series.dtype, pl.Decimal):
        series = series.cast(pl.Float64)
    return series.to_list()


def axis_title(label: str, kind: theme.ValueKind) -> str:
    """Return an axis title with its unit: ``Denial rate (%)``."""
    return label + theme.UNITS[kind]


def axis_format(kind: theme.ValueKind) -> dict[str, object]:
    """Return the axis tick settings for a kind of value."""
    fmt = theme.D3_FORMATS[kind]
    out: dict[str, object] = {"tickformat": fmt.replace(".1%", ".0%"), "rangemode": "tozero"}
    if kind == "money":
        out["tickprefix"] = ""
        out["tickformat"] = "$~s"
    return out


def hover(lines: Sequence[tuple[str, str]], extra: Sequence[str] = ()) -> str:
    """Return a hovertemplate from ``(label, plotly expression)`` lines and ready-made extra lines."""
    return "<br>".join([*(f"{label}: {expr}" for label, expr in lines), *extra]) + "<extra></extra>"


def custom(
    frame: pl.DataFrame, measures: Sequence[Measure], offset: int = 0
) -> tuple[list[list[object]] | None, list[str]]:
    """Return ``customdata`` rows and the hover lines that show them (numerators, denominators …).

    Values are formatted here (:func:`theme.format_value`), so a count suppressed for the viewer reads
    ``<11`` in the hover rather than a blank.

    ``offset`` is where the measures start in each customdata row (a builder may put its own first).
    """
    if not measures:
        return None, []
    columns = [[theme.format_value(v, m.kind) for v in values(frame, m.column)] for m in measures]
    rows = [list(r) for r in zip(*columns, strict=True)]
    lines = [f"{m.label}: %{{customdata[{offset + i}]}}" for i, m in enumerate(measures)]
    return rows, lines


def plain(value: object) -> object:
    """Return a value JSON can hold (Decimal as float)."""
    return float(value) if isinstance(value, Decimal) else value
