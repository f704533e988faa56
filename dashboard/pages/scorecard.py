"""Scorecard (landing page, for leadership): the month's KPIs against prior month, last year and target.

Numbers come from :func:`warehouse.scorecard.scorecard_with_context`, the same function ``him kpi``
uses; the sparklines from ``scorecard.trend_rollup`` (13 months). Each card links to the page behind
its number, filtered to the month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard import data, ids, report_download, state, theme
from dashboard.charts.sparkline import sparkline
from dashboard.components import page
from dashboard.components.kpi_card import kpi_card
from warehouse import scorecard as warehouse_scorecard
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError
from warehouse.filters import Filters, month_end

PATH = "/"
NAME = "Scorecard"
CSV: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Behind:
    """Where a KPI card leads, and which way is good news when no target says so."""

    path: str
    lower_is_better: bool | None
    patient_type: str | None = None


BEHIND: Mapping[str, Behind] = {
    "discharges": Behind("/demographics", None),
    "inpatient_discharges": Behind("/demographics", None, "inpatient"),
    "alos_days": Behind("/demographics", True, "inpatient"),
    "cmi": Behind("/drg", None),
    "initial_denial_rate": Behind("/denials", True),
    "denied_amount": Behind("/denials", True),
    "denial_overturn_rate": Behind("/denials", False),
    "charts_coded": Behind("/coding", None),
    "coding_hours": Behind("/coding", None),
    "charts_per_hour": Behind("/coding", False),
    "avg_discharge_to_code_days": Behind("/coding", True),
    "coding_backlog": Behind("/operations", True),
    "dnfb_count": Behind("/operations", True),
    "dnfb_amount": Behind("/operations", True),
    "coding_accuracy": Behind("/coding", False),
    "dnfb_days": Behind("/operations", True),
    "drg_accuracy": Behind("/coding", False),
    "inpatient_charts_per_hour": Behind("/coding", False, "inpatient"),
}
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Volume and case mix", ("discharges", "inpatient_discharges", "alos_days", "cmi")),
    ("Denials", ("initial_denial_rate", "denied_amount", "denial_overturn_rate")),
    (
        "Coding",
        (
            "charts_coded",
            "coding_hours",
            "charts_per_hour",
            "inpatient_charts_per_hour",
            "avg_discharge_to_code_days",
            "coding_accuracy",
            "drg_accuracy",
        ),
    ),
    ("Backlog and DNFB at month end", ("coding_backlog", "dnfb_count", "dnfb_amount", "dnfb_days")),
)
NOTES: Mapping[str, str] = {
    "charts_per_hour": "All chart types together: inpatient and outpatient norms differ 3–5×.",
}


def card_href(key: str, month: dt.date, view: state.ViewState) -> str:
    """Return the link behind a card: its page, filtered to the month (and as of its last day)."""
    behind = BEHIND[key]
    f = view.filters
    changes: dict[str, Any] = {"date_from": month, "date_to": month_end(month), "month": month}
    if behind.path == "/operations":
        changes["as_of"] = month_end(month)
    if behind.patient_type and not f.patient_type:
        changes["patient_type"] = (behind.patient_type,)
    return state.href(behind.path, replace(view, filters=replace(f, **changes), table=None, columns=()))


def describe(filters: Filters) -> str:
    """Return the subtitle: the month and the filters in force."""
    chosen = [
        f"{name.replace('_', ' ')}: {', '.join(values)}"
        for name in ("facility", "patient_type", "financial_class", "payer", "service_line")
        if (values := getattr(filters, name))
    ]
    return f"{theme.month_label(filters.month)} · " + (
        "; ".join(chosen) if chosen else "all facilities and payers"
    )


def cards(filters: Filters, view: state.ViewState) -> list[Any]:
    """Return the scorecard's sections of KPI cards for the filters' month."""
    if filters.month is None:
        return [page.message("No month to show: the warehouse holds no discharges yet.")]
    lines = warehouse_scorecard.scorecard_with_context(filters.month, filters)
    trend = data.run("scorecard.trend_rollup", filters.for_month(filters.month))
    by_key = {line.key: line for line in lines}
    prior = (filters.month - dt.timedelta(days=1)).replace(day=1)
    sections: list[Any] = []
    for title, keys in SECTIONS:
        cols = []
        for key in keys:
            line = by_key.get(key)
            if line is None:
                continue
            behind = BEHIND[key]
            card = kpi_card(
                line.value,
                line.prior_month,
                line.same_month_last_year,
                line.target,
                lower_is_better=behind.lower_is_better,
                key=key,
                label=line.label,
                kind=theme.UNIT_KINDS[line.unit],
                href=card_href(key, filters.month, view),
                sparkline=sparkline(trend, key) if key in trend.columns else None,
                prior_label=f"vs {theme.month_label(prior)}",
                yoy_label=f"vs {theme.month_label(filters.month.replace(year=filters.month.year - 1))}",
                note=NOTES.get(key),
            )
            cols.append(dbc.Col(card, xs=12, sm=6, lg=4, xl=3, className="mb-3"))
        sections.append(
            html.Section(
                [html.H2(title, className="h5 mt-2"), dbc.Row(cols, className="g-3")],
                **{"aria-label": title},
            )
        )
    return sections


def update(store: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """Callback: the stored filters → (subtitle, cards)."""
    filters = data.filters(store)
    view = state.parse((store or {}).get("search"))
    try:
        return describe(filters), cards(filters, view)
    except (WarehouseUnavailable, HimError) as exc:
        return "", [page.message(f"Cannot show the scorecard: {exc}")]


def report_links(store: Mapping[str, Any] | None) -> tuple[str, str]:
    """Callback: the stored filters → the monthly report's PDF and Excel download links."""
    filters = data.filters(store)
    return report_download.report_href("pdf", filters), report_download.report_href("xlsx", filters)


def update_all(store: Mapping[str, Any] | None) -> tuple[str, list[Any], str, str]:
    """Callback: the stored filters → (subtitle, cards, PDF link, Excel link)."""
    return (*update(store), *report_links(store))


def download_bar() -> html.Div:
    """Return the "Download monthly report" links (their targets follow the month and filters)."""
    link = "btn btn-outline-primary btn-sm"
    return html.Div(
        [
            html.Span("Download monthly report:", className="me-2 small", id="scorecard-report-label"),
            html.A(
                "PDF",
                id=ids.SCORECARD_REPORT_PDF,
                href="/report/monthly.pdf",
                className=link,
                download="",
                **{"aria-label": "Download the monthly report as PDF"},
            ),
            html.A(
                "Excel",
                id=ids.SCORECARD_REPORT_XLSX,
                href="/report/monthly.xlsx",
                className=link + " ms-1",
                download="",
                **{"aria-label": "Download the monthly report as an Excel pack"},
            ),
        ],
        className="d-flex align-items-center mb-3",
        title="The month's scorecard, what moved, and one page per KPI family (takes a few seconds).",
    )


def layout(**_query: Any) -> html.Div:
    """Return the page (its content comes from the filter store)."""
    return html.Div(
        [
            page.header(
                "Monthly scorecard",
                "The month's KPIs beside the prior month, the same month last year and their targets. "
                "Click a card to open the details behind it.",
                ids.SCORECARD_TITLE,
            ),
            download_bar(),
            dcc.Loading(
                html.Div(id=ids.SCORECARD_CARDS, className="scorecard"), type="circle", delay_show=200
            ),
        ]
    )


def register(app: dash.Dash) -> None:
    """Register the page and its callback."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Scorecard · HIM analytics",
        order=0,
        layout=layout,
        controls=("month",),
    )
    app.callback(  # one request per page load: the cards and the report's links
        Output(ids.SCORECARD_TITLE, "children"),
        Output(ids.SCORECARD_CARDS, "children"),
        Output(ids.SCORECARD_REPORT_PDF, "href"),
        Output(ids.SCORECARD_REPORT_XLSX, "href"),
        Input(ids.FILTERS, "data"),
    )(update_all)
