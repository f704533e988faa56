"""Number formats of the report: the scorecard exactly as ``him kpi`` prints it, tables by column kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from warehouse import catalog

#: Kinds of table columns (from the query's ``returns:`` declaration).
Kind = Literal["count", "fraction", "dollars", "days", "hours", "index", "number", "date", "text"]
NONE = "—"


def _number(value: object) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return None


def kpi_value(value: object, unit: str) -> str:
    """Format a scorecard value as ``him kpi`` does (fraction 12.3%, dollars $1,234.56, count 1,234)."""
    number = _number(value)
    if number is None:
        return NONE
    if unit == "fraction":
        return f"{number * 100:.1f}%"
    if unit == "dollars":
        return f"${number:,.2f}"
    if unit == "count":
        return f"{int(number):,}"
    return f"{number:,.2f}"


def kpi_change(delta: object, unit: str) -> str:
    """Format a change with its sign: rates in points, money in dollars, counts whole."""
    number = _number(delta)
    if number is None:
        return NONE
    size = abs(number)
    if unit == "fraction":
        text, shown = f"{size * 100:.1f} pts", round(size * 100, 1)
    elif unit == "dollars":
        text, shown = f"${size:,.2f}", round(size, 2)
    elif unit == "count":
        text, shown = f"{round(size):,}", round(size)
    else:
        text, shown = f"{size:,.2f}", round(size, 2)
    sign = "±" if shown == 0 else ("+" if number > 0 else "−")
    return sign + text


def target_text(target: float, direction: str, unit: str) -> str:
    """Format a target as ``him kpi`` does: ``≤ 5.0%`` or ``≥ 2.00``."""
    return ("≥ " if direction == "higher" else "≤ ") + kpi_value(target, unit)


def column_kind(query: str, column: str) -> Kind:
    """Return how a column of a catalog query is formatted, from its ``returns:`` type and note."""
    declared = {c.name: c for c in catalog.get(query).returns}
    col = declared.get(column)
    if col is None:
        return "text"
    note = col.note.lower()
    for prefix, kind in (
        ("fraction", "fraction"),
        ("dollars", "dollars"),
        ("days", "days"),
        ("hours", "hours"),
    ):
        if note.startswith(prefix):
            return kind  # type: ignore[return-value]
    if col.type in ("BIGINT", "INTEGER", "SMALLINT"):
        return "count"
    if col.type.startswith("DECIMAL(18,2"):
        return "dollars"
    if col.type.startswith("DECIMAL"):
        return "index"
    if col.type == "DATE":
        return "date"
    if col.type == "DOUBLE":
        return "number"
    return "text"


def cell(value: object, kind: Kind) -> str:
    """Format one table cell."""
    if value is None:
        return NONE
    if kind == "text":
        return str(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    number = _number(value)
    if number is None:
        return str(value)
    if kind == "count":
        return f"{int(number):,}"
    if kind == "fraction":
        return f"{number * 100:.1f}%"
    if kind == "dollars":
        return f"${number:,.2f}"
    if kind in ("days", "hours"):
        return f"{number:,.1f}"
    if kind == "index":
        return f"{number:,.4f}"
    return f"{number:,.2f}"


def month_label(month: dt.date) -> str:
    """``March 2025``."""
    return month.strftime("%B %Y")


def short_month(month: dt.date) -> str:
    """``Mar 2025``."""
    return month.strftime("%b %Y")
