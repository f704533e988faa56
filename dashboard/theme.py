"""Colours, the one Plotly template and number formats shared by every page.

The palette is Okabe-Ito (safe for the common colour-vision deficiencies). A payer, patient type,
financial class or chart type gets the same colour on every page: known values from fixed tables,
other values from a stable hash of their name (never from their position in one chart).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

import plotly.graph_objects as go

#: Okabe-Ito, in its published order (black left out: it is the text colour).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#999999",  # grey
)
#: Extra colours for categorical series beyond eight (Paul Tol's muted scheme, also CVD-safe).
TOL_MUTED: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)
SERIES: tuple[str, ...] = OKABE_ITO + TOL_MUTED
NEUTRAL = "#6c757d"
TEXT = "#212529"

PATIENT_TYPE_COLORS = MappingProxyType(
    {
        "inpatient": "#0072B2",
        "outpatient": "#E69F00",
        "emergency": "#D55E00",
        "observation": "#009E73",
        "profee": "#CC79A7",
    }
)
FINANCIAL_CLASS_COLORS = MappingProxyType(
    {
        "medicare": "#0072B2",
        "medicaid": "#009E73",
        "commercial": "#E69F00",
        "managed_care": "#56B4E9",
        "self_pay": "#D55E00",
        "other": "#999999",
    }
)
DRG_TYPE_COLORS = MappingProxyType({"medical": "#0072B2", "surgical": "#E69F00", "unknown": "#999999"})
#: Red / amber / green that stay distinguishable for deuteranopes (and always come with a word).
STATUS_COLORS = MappingProxyType({"green": "#009E73", "amber": "#E69F00", "red": "#D55E00"})

#: Dimensions whose values carry a fixed colour table; others (payer, facility …) are hashed.
_FIXED = MappingProxyType(
    {
        "patient_type": PATIENT_TYPE_COLORS,
        "chart_type": PATIENT_TYPE_COLORS,
        "financial_class": FINANCIAL_CLASS_COLORS,
        "drg_type": DRG_TYPE_COLORS,
    }
)


def color_for(dimension: str, value: object, assigned: Mapping[str, str] | None = None) -> str:
    """Return the colour of one category value, the same on every page and in every session.

    Args:
        dimension: what the value is (``payer``, ``patient_type``, ``facility`` …).
        value: the category; ``None`` is drawn grey.
        assigned: colours the shell assigned to this dimension's values (payers, facilities).

    Returns:
        A ``#rrggbb`` colour: the contract's fixed table, else the assigned one, else a stable hash.
    """
    if value is None:
        return OKABE_ITO[-1]
    if assigned and str(value) in assigned:
        return assigned[str(value)]
    fixed = _FIXED.get(dimension)
    if fixed is not None and str(value) in fixed:
        return fixed[str(value)]
    return SERIES[zlib.crc32(f"{dimension}:{value}".encode()) % len(SERIES)]


def assign_colors(values: Sequence[str]) -> dict[str, str]:
    """Return a colour per value in the given order (most frequent first): distinct for the first 17.

    The shell assigns payer and facility colours once per page load from the whole warehouse's
    values, so a payer keeps its colour whatever the filters; beyond 17 values colours repeat.
    """
    return {str(v): SERIES[i % len(SERIES)] for i, v in enumerate(values)}


def series_colors(
    dimension: str, values: Sequence[object], assigned: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return a colour per value of one chart's series.

    Fixed or assigned colours where the dimension has them, otherwise distinct palette colours in the
    order of the sorted values (no two series of one chart alike).
    """
    names = sorted({str(v) for v in values})
    if assigned or dimension in _FIXED:
        return {n: color_for(dimension, n, assigned) for n in names}
    return assign_colors(names)


def _template() -> go.layout.Template:
    layout = go.Layout(
        font={
            "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "size": 13,
            "color": TEXT,
        },
        title={
            "font": {"size": 15},
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "pad": {"l": 8},
            "y": 0.985,
            "yanchor": "top",
            "yref": "container",
        },
        colorway=list(SERIES),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 64, "r": 24, "t": 84, "b": 56},
        hoverlabel={"bgcolor": "white", "font": {"size": 12}},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.01,
            "xanchor": "left",
            "x": 0.0,
            "title": {"text": ""},
            "font": {"size": 11},
        },
        xaxis={"showgrid": False, "linecolor": "#adb5bd", "ticks": "outside", "automargin": True},
        yaxis={"gridcolor": "#e9ecef", "zerolinecolor": "#adb5bd", "automargin": True},
        separators=".,",
    )
    return go.layout.Template(layout=layout)


#: The one Plotly template (immutable by convention: builders pass it, never change it).
TEMPLATE: go.layout.Template = _template()

ValueKind = Literal["count", "money", "rate", "days", "hours", "ratio", "index", "per_hour"]
#: The scorecard's units (warehouse.scorecard.KPIS) → how their values are shown (cards, report charts).
UNIT_KINDS: Mapping[str, ValueKind] = {
    "count": "count",
    "days": "days",
    "index": "index",
    "fraction": "rate",
    "dollars": "money",
    "hours": "hours",
    "per_hour": "per_hour",
}

#: d3-format strings for axes and hover, per kind of value.
D3_FORMATS = MappingProxyType(
    {
        "count": ",.0f",
        "money": "$,.0f",
        "rate": ".1%",
        "days": ",.1f",
        "hours": ",.1f",
        "ratio": ",.2f",
        "index": ",.4f",
        "per_hour": ",.2f",
    }
)
#: Axis titles' unit suffix per kind.
UNITS = MappingProxyType(
    {
        "count": "",
        "money": " ($)",
        "rate": " (%)",
        "days": " (days)",
        "hours": " (hours)",
        "ratio": "",
        "index": "",
        "per_hour": " (charts / hour)",
    }
)


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    return None


#: What a count hidden by small-cell suppression shows (CMS cell-size policy), and a figure built on one.
SUPPRESSED_COUNT = "<11"
SUPPRESSED_FIGURE = "suppressed"


def viewer_suppressed() -> bool:
    """True when the logged-in viewer sees small cells suppressed (leadership only)."""
    from dashboard.security.scope import current_scope

    scope = current_scope()
    return scope is not None and scope.suppressed


def missing_text(kind: ValueKind) -> str:
    """What an absent value shows: ``—``, or ``<11`` / ``suppressed`` for a suppressed viewer.

    For a viewer who sees small cells suppressed (leadership), a null count is a suppressed cell (the
    data path nulls exactly those: :func:`dashboard.security.scope.suppress_for_viewer`) and shows
    ``<11``; a figure derived from counts shows ``suppressed``.
    """
    if viewer_suppressed():
        return SUPPRESSED_COUNT if kind == "count" else SUPPRESSED_FIGURE
    return "—"


def format_value(value: object, kind: ValueKind) -> str:
    """Format one number for display (``—`` when there is none).

    Args:
        value: an int, float or Decimal (None or NaN = no data).
        kind: count 1,234 · money $1,234,567 · rate 12.3% · days 4.2 · hours 1,234.5 ·
            ratio 1.23 · index 1.2345 (CMI) · per_hour 2.35.

    Returns:
        The text shown on screen.
    """
    number = _number(value)
    if number is None:
        return missing_text(kind)
    if kind == "count":
        return f"{number:,.0f}"
    if kind == "money":
        return f"-${-number:,.0f}" if number < 0 else f"${number:,.0f}"
    if kind == "rate":
        return f"{number * 100:.1f}%"
    if kind in ("days", "hours"):
        return f"{number:,.1f}"
    if kind == "index":
        return f"{number:,.4f}"
    return f"{number:,.2f}"


def format_change(value: object, kind: ValueKind) -> str:
    """Format a difference with its sign (rates as percentage points)."""
    number = _number(value)
    if number is None:
        return "—"
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    magnitude = abs(number)
    if kind == "rate":
        return f"{sign}{magnitude * 100:.1f} pts"
    return sign + format_value(magnitude, kind)


def month_label(month: dt.date | None) -> str:
    """Return ``Mar 2025`` for a month (``all time`` for None)."""
    return month.strftime("%b %Y") if month else "all time"


def period_label(date_from: dt.date | None, date_to: dt.date | None) -> str:
    """Return the period a chart covers, for its title: ``1 Jan 2025 – 31 Dec 2025``."""
    if date_from is None and date_to is None:
        return "all dates"
    left = f"{date_from.day} {date_from:%b %Y}" if date_from else "start"
    right = f"{date_to.day} {date_to:%b %Y}" if date_to else "latest"
    return f"{left} – {right}"
