"""The one filter bar: period, scorecard month, as-of date and the five multi-valued filters.

Its values are written by the shell's sync callback from the URL and read back when a person changes
them; which of the three date controls a page shows is declared by the page (``controls=``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids, theme
from dashboard.state import Defaults
from warehouse.contract import ENUMS

#: (URL key, control id, label) of the multi-valued filters, in the filter bar's order.
LIST_CONTROLS: tuple[tuple[str, str, str], ...] = (
    ("facility", ids.F_FACILITY, "Facility"),
    ("patient_type", ids.F_PATIENT_TYPE, "Patient type"),
    ("financial_class", ids.F_FINANCIAL_CLASS, "Financial class"),
    ("payer", ids.F_PAYER, "Payer"),
    ("service_line", ids.F_SERVICE_LINE, "Service line"),
)
BAR_CLASS = "filter-bar card card-body py-2 mb-3"


def label_of(value: str) -> str:
    """Return a code value as words: ``managed_care`` → ``Managed care``."""
    return value.replace("_", " ").capitalize()


def months(defaults: Defaults) -> list[dt.date]:
    """Return the months the scorecard can show, newest first (from the data's first month)."""
    if defaults.date_from is None or defaults.month is None:
        return []
    out, month = [], defaults.month
    first = defaults.date_from.replace(day=1)
    while month >= first and len(out) < 240:
        out.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return out


def _group(
    label: str,
    control: Any,
    control_id: str,
    group_id: str | None = None,
    width: int | bool = True,
    hidden: bool = False,
) -> dbc.Col:
    return dbc.Col(
        [html.Label(label, htmlFor=control_id, className="form-label small mb-1"), control],
        id=group_id or f"{control_id}-group",
        xs=12,
        sm=6,
        md=4,
        lg=width,
        className="filter-group d-none" if hidden else "filter-group",
    )


def filter_bar(defaults: Defaults, options: dict[str, Sequence[str]]) -> html.Section:
    """Return the filter bar (values are set by the shell's sync callback).

    Args:
        defaults: the data's dates (limits of the pickers, months offered).
        options: the values offered per data-driven dimension (facility, payer, service_line).
    """
    low = defaults.date_from.isoformat() if defaults.date_from else None
    high = defaults.date_to.isoformat() if defaults.date_to else None
    date_range = dcc.DatePickerRange(
        id=ids.F_RANGE,
        start_date_id=f"{ids.F_RANGE}-start",
        end_date_id=f"{ids.F_RANGE}-end",
        min_date_allowed=low,
        max_date_allowed=high,
        display_format="YYYY-MM-DD",
        start_date_placeholder_text="first date",
        end_date_placeholder_text="last date",
        clearable=True,
        first_day_of_week=1,
        updatemode="bothdates",
    )
    month = dcc.Dropdown(
        id=ids.F_MONTH,
        options=[{"label": theme.month_label(m), "value": m.strftime("%Y-%m")} for m in months(defaults)],
        clearable=False,
    )
    as_of = dcc.DatePickerSingle(
        id=ids.F_AS_OF,
        min_date_allowed=low,
        max_date_allowed=high,
        display_format="YYYY-MM-DD",
        first_day_of_week=1,
    )
    groups = [
        _group("Period", date_range, f"{ids.F_RANGE}-start", ids.F_RANGE_GROUP, width=3, hidden=True),
        _group("Scorecard month", month, ids.F_MONTH, ids.F_MONTH_GROUP, width=2, hidden=True),
        _group("As of", as_of, ids.F_AS_OF, ids.F_AS_OF_GROUP, width=2, hidden=True),
    ]
    for key, control_id, label in LIST_CONTROLS:
        values = tuple(ENUMS[key]) if key in ENUMS else tuple(options.get(key, ()))
        groups.append(
            _group(
                label,
                dcc.Dropdown(
                    id=control_id,
                    options=[{"label": label_of(v) if key in ENUMS else v, "value": v} for v in values],
                    multi=True,
                    placeholder="All",
                    clearable=True,
                ),
                control_id,
            )
        )
    groups.append(
        dbc.Col(
            html.Button(
                "Reset filters", id=ids.F_RESET, type="button", className="btn btn-outline-secondary btn-sm"
            ),
            xs=12,
            sm=6,
            md=4,
            lg="auto",
            className="filter-group d-flex align-items-end",
        )
    )
    return html.Section(
        dbc.Row(groups, className="g-2 align-items-end"),
        id=ids.FILTER_BAR,
        className=BAR_CLASS,
        **{"aria-label": "Filters"},
    )
