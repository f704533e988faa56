"""Drill-down targets: from a clicked value to a filtered page, or to the Explorer's rows behind it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dashboard import state
from warehouse.filters import month_end, parse_month

EXPLORER = "/explorer"
_BAND = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|\+)\s*$")


def month_of(value: object) -> dict[str, dt.date]:
    """Return the date range of the month a clicked point falls in (``2025-03-01`` → March 2025)."""
    first = parse_month(str(value)[:10])
    return {"date_from": first, "date_to": month_end(first)}


def apply(path: str, view: state.ViewState, **changes: Any) -> str:
    """Return ``path`` with the view's filters changed (a payer, a facility …), Explorer keys dropped."""
    narrowed = state.with_filters(replace(view, table=None, columns=()), **changes)
    return state.href(path, narrowed)


def explorer(
    view: state.ViewState, table: str, columns: Sequence[tuple[str, str]] = (), **changes: Any
) -> str:
    """Return the Explorer's link to the rows behind a value: a table, column filters, filter changes."""
    narrowed = replace(view, table=table, columns=tuple(columns), notices=())
    if changes:
        narrowed = state.with_filters(narrowed, **changes)
    return state.href(EXPLORER, narrowed)


def age_range(band: object) -> str | None:
    """Return an age band as the Explorer's inclusive range ``low..high`` (``90+`` → ``90..200``)."""
    match = _BAND.match(str(band))
    if not match:
        return None
    return f"{match.group(1)}..{match.group(2) or 200}"
