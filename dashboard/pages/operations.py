"""HIM operations: coding backlog and DNFB at an as-of date, their aging, trends, the oldest unbilled.

Managers also get the work list as an operational export (encounter ids kept, no patient key) once
they state a purpose; the control is rendered only for users who may make that export.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dashboard import callbacks, data, drill, exports, ids, state, theme
from dashboard.charts import bars, trend
from dashboard.charts.base import Measure
from dashboard.components import export_links, page, table
from dashboard.components.chart_card import chart_card
from dashboard.components.filter_bar import label_of
from dashboard.security import policy
from dashboard.security.scope import current_scope
from warehouse.filters import Filters

PATH = "/operations"
NAV = "operations"
NAME = "Operations"
BUCKETS = ("0-3", "4-7", "8-14", "15-30", "31+")
OLDEST_COLUMNS = (
    table.Col("encounter_id", "Encounter"),
    table.Col("facility_id", "Facility"),
    table.Col("patient_type", "Patient type"),
    table.Col("primary_payer", "Payer", flex=2),
    table.Col("discharge_date", "Discharged"),
    table.Col("days_since_discharge", "Days", "count"),
    table.Col("dnfb_status", "Status", flex=2),
    table.Col("total_charges", "Charges", "money"),
)
OPERATIONAL_FORMATS = (
    ("csv", ids.OPS_OP_CSV, "CSV"),
    ("xlsx", ids.OPS_OP_XLSX, "Excel"),
    ("parquet", ids.OPS_OP_PARQUET, "Parquet"),
)
LINK_CLASS = "btn btn-sm btn-outline-primary"
PURPOSE_HINT = "State the purpose (10-200 characters) to enable these links."


def as_of(filters: Filters) -> str:
    """Return the snapshot date in titles."""
    return f"as of {filters.as_of.day} {filters.as_of:%b %Y}" if filters.as_of else "as of today"


def summary(filters: Filters, _context: data.Context) -> Any:
    """Return the headline figures at the as-of date."""
    backlog = data.run("operations.coding_backlog", filters).row(0, named=True)
    dnfb = data.run("operations.dnfb", filters).row(0, named=True)
    fmt = theme.format_value
    return page.stats(
        [
            page.stat(
                "Coding backlog",
                backlog["backlog_count"],
                "count",
                f"uncoded\n{as_of(filters)}",
                key="coding_backlog",
            ),
            page.stat(
                "Backlog charges",
                backlog["backlog_charges"],
                "money",
                f"oldest {fmt(backlog['oldest_backlog_days'], 'count')} days",
                key="backlog_charges",
            ),
            page.stat(
                "DNFB",
                dnfb["dnfb_count"],
                "count",
                f"discharged > {filters.bill_hold_days} days, not final billed",
                key="dnfb_count",
            ),
            page.stat("DNFB charges", dnfb["dnfb_amount"], "money", key="dnfb_amount"),
            page.stat(
                "DNFB days",
                dnfb["dnfb_days"],
                "days",
                f"÷ {fmt(dnfb['avg_daily_charges_amount'], 'money')} average daily charges (90 days)",
                key="dnfb_days",
            ),
        ]
    )


def backlog_aging(filters: Filters, _context: data.Context) -> go.Figure:
    """Coding backlog by days since discharge."""
    frame = data.run("operations.coding_backlog_aging", filters).sort("bucket_order")
    return bars.bars(
        frame,
        category="aging_bucket",
        value=Measure("backlog_count", "Uncoded encounters"),
        title=f"Coding backlog by days since discharge\n{as_of(filters)}",
        category_title="Days since discharge",
        hover=[Measure("backlog_charges", "Charges", "money")],
        horizontal=False,
        sort=False,
    )


def dnfb_split(filters: Filters, _context: data.Context) -> go.Figure:
    """DNFB split into awaiting coding / coded awaiting billing, by aging bucket."""
    frame = data.run("operations.dnfb_split", filters).sort("bucket_order")
    labelled = frame.with_columns(
        frame["dnfb_status"].map_elements(label_of, return_dtype=frame["dnfb_status"].dtype)
    )
    return bars.stacked(
        labelled,
        x="aging_bucket",
        series="dnfb_status",
        value=Measure("dnfb_amount", "DNFB charges", "money"),
        title=f"DNFB charges by status and days since discharge\n{as_of(filters)}",
        x_title="Days since discharge",
        x_order=BUCKETS,
    )


def dnfb_days_trend(filters: Filters, _context: data.Context) -> go.Figure:
    """DNFB days at each month end of the period."""
    frame = data.run("operations.dnfb_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=Measure("dnfb_days", "DNFB days", "days"),
        hover=[
            Measure("dnfb_amount", "DNFB charges (numerator)", "money"),
            Measure("gross_charges_90d_amount", "Charges of the last 90 days (÷ 90 = denominator)", "money"),
            Measure("dnfb_count", "DNFB encounters"),
        ],
        title=f"DNFB days at each month end\n{theme.period_label(filters.date_from, filters.date_to)}",
    )


def backlog_trend(filters: Filters, _context: data.Context) -> go.Figure:
    """Coding backlog at each month end."""
    frame = data.run("operations.backlog_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=Measure("backlog_count", "Uncoded encounters"),
        hover=[Measure("discharged_count", "Discharged by then")],
        title=f"Coding backlog at each month end\n{theme.period_label(filters.date_from, filters.date_to)}",
    )


def oldest(filters: Filters, _context: data.Context) -> list[Any]:
    """Rows of the oldest unbilled encounters."""
    return [table.rows(data.run("operations.oldest_unbilled", filters))]


def may_export_operational() -> bool:
    """True when the logged-in user may make the operational export (managers)."""
    scope = current_scope()
    return scope is not None and bool(scope.roles & policy.EXPORT_ROLES["operational"])


def operational_links(purpose: str | None, store: Mapping[str, Any] | None) -> list[Any]:
    """Callback: the work list's operational export links (enabled only with a purpose) and their hint."""
    filters = data.filters(store)
    hrefs = [exports.operational_href(fmt, filters, purpose) for fmt, _, _ in OPERATIONAL_FORMATS]
    enabled, classes = export_links.link_classes(hrefs, LINK_CLASS)
    if not enabled:
        return [*hrefs, *classes, PURPOSE_HINT]
    view = exports.work_list_view(filters)
    hint = (
        f"Every encounter discharged by {view.filters.date_to:%d %b %Y} (more than "
        f"{filters.bill_hold_days} days before the as-of date) and not final billed, oldest first; "
        "the export and its purpose are recorded in the audit log."
    )
    return [*hrefs, *classes, hint]


def operational_control() -> html.Div:
    """The work list's operational export: the purpose input and a (disabled) link per format."""
    links = export_links.disabled_links(
        OPERATIONAL_FORMATS, LINK_CLASS, "Export the unbilled encounters work list"
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Label(
                        "Export the work list: purpose", htmlFor=ids.OPS_OP_PURPOSE, className="small mb-0"
                    ),
                    dcc.Input(
                        id=ids.OPS_OP_PURPOSE,
                        type="text",
                        minLength=10,
                        maxLength=200,
                        placeholder="e.g. DNFB follow-up with the billing office",
                        autoComplete="off",
                        className="form-control form-control-sm",
                        style={"maxWidth": "24rem"},
                    ),
                    *links,
                ],
                className="d-flex flex-wrap gap-2 align-items-center",
            ),
            html.Small(PURPOSE_HINT, id=ids.OPS_OP_HINT, className="text-body-secondary"),
        ],
        id=ids.OPS_OP_EXPORT,
        className="mb-2",
    )


def drill_as_of(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked month end becomes the as-of date of this page."""
    x = pt.get("x")
    if not x:
        return None
    return drill.apply(PATH, view, as_of=drill.month_of(x)["date_to"])


CSV = {
    ids.OPS_BACKLOG_AGING: data.csv_of("operations.coding_backlog_aging"),
    ids.OPS_DNFB_SPLIT: data.csv_of("operations.dnfb_split"),
    ids.OPS_DNFB_TREND: data.csv_of("operations.dnfb_trend"),
    ids.OPS_BACKLOG_TREND: data.csv_of("operations.backlog_trend"),
}


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    return html.Div(
        [
            callbacks.nav(NAV),
            page.header(
                "HIM operations",
                "What is waiting: the coding backlog and discharged-not-final-billed (DNFB) at the as-of "
                "date, how old it is, and how it moved month by month.",
            ),
            page.strip(ids.OPS_SUMMARY),
            page.grid(
                [
                    chart_card(ids.OPS_BACKLOG_AGING, title="Coding backlog aging"),
                    chart_card(ids.OPS_DNFB_SPLIT, title="DNFB by status and aging"),
                    chart_card(
                        ids.OPS_DNFB_TREND,
                        title="DNFB days trend",
                        clickable="Click a month end to see that date",
                    ),
                    chart_card(
                        ids.OPS_BACKLOG_TREND,
                        title="Coding backlog trend",
                        clickable="Click a month end to see that date",
                    ),
                ]
            ),
            html.Div(
                [
                    html.H2("Oldest unbilled encounters (DNFB)", className="h6"),
                    *([operational_control()] if may_export_operational() else []),
                    table.table(
                        ids.OPS_OLDEST, OLDEST_COLUMNS, height=420, label="Oldest unbilled encounters"
                    ),
                ],
                className="card card-body",
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``):
#: the work list (managers only, row level) gets a callback of its own. The other parts are in this
#: order so that the summary (two as-of queries, the heaviest part) shares its request with
#: the lightest one, the backlog trend (month ends from the month tables).
PARTS: list[callbacks.Part] = [
    callbacks.children(ids.OPS_SUMMARY, summary),
    callbacks.figure(ids.OPS_BACKLOG_TREND, backlog_trend),
    callbacks.figure(ids.OPS_BACKLOG_AGING, backlog_aging),
    callbacks.figure(ids.OPS_DNFB_SPLIT, dnfb_split),
    callbacks.figure(ids.OPS_DNFB_TREND, dnfb_days_trend),
    callbacks.outputs([(ids.OPS_OLDEST, "rowData")], oldest, lambda m: [[]]),
]
#: Clicks that navigate: (graph id, drill function), one callback for the page.
DRILLS: list[tuple[str, callbacks.DrillFn]] = [
    (ids.OPS_DNFB_TREND, drill_as_of),
    (ids.OPS_BACKLOG_TREND, drill_as_of),
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Operations · HIM analytics",
        order=5,
        layout=layout,
        controls=("as_of", "range"),
    )
    callbacks.page(app, PARTS)
    app.callback(  # the layout's links are disabled until a purpose is typed: nothing to send on load
        *[Output(link_id, "href") for _, link_id, _ in OPERATIONAL_FORMATS],
        *[Output(link_id, "className") for _, link_id, _ in OPERATIONAL_FORMATS],
        Output(ids.OPS_OP_HINT, "children"),
        Input(ids.OPS_OP_PURPOSE, "value"),
        Input(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(operational_links)
    callbacks.drills(app, NAV, DRILLS)
