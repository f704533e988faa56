"""Data quality: the load log, rejects by rule, flags by kind, their history, and what changed last load.

These views describe the loads, not the patients, so the dashboard's filters do not apply to them.
Rejected records are listed with their rule and message, never with their values (they may hold PHI).
"""

from __future__ import annotations

from typing import Any

import dash
import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboard import callbacks, data, ids
from dashboard.charts import bars
from dashboard.charts.base import Measure
from dashboard.components import page, table
from dashboard.components.chart_card import chart_card
from warehouse.filters import Filters

PATH = "/data-quality"
NAME = "Data quality"
LOAD_COLUMNS = (
    table.Col("load_id", "Load"),
    table.Col("family", "Family"),
    table.Col("file_name", "File", flex=2),
    table.Col("started_at", "Started", flex=2),
    table.Col("rows_read", "Read", "count"),
    table.Col("accepted", "Accepted", "count"),
    table.Col("rejected", "Rejected", "count"),
    table.Col("reject_rate", "Reject rate", "rate"),
    table.Col("flagged", "Flagged", "count"),
    table.Col("outcome", "Outcome", flex=2),
)
CHANGE_COLUMNS = (
    table.Col("family", "Family"),
    table.Col("kind", "Flag kind", flex=2),
    table.Col("latest_load_id", "Latest load"),
    table.Col("new_count", "New", "count"),
    table.Col("still_open_count", "Still open", "count"),
    table.Col("resolved_count", "Resolved", "count"),
)
REJECT_COLUMNS = (
    table.Col("load_id", "Load"),
    table.Col("file_name", "File", flex=2),
    table.Col("line", "Line"),
    table.Col("record_key", "Record"),
    table.Col("column_name", "Column"),
    table.Col("rule", "Rule", flex=2),
    table.Col("message", "Message", flex=4),
)


def rejects_by_rule(_filters: Filters, _context: data.Context) -> go.Figure:
    """Rejected records per rule, stacked by family (all loads)."""
    frame = data.run("data_quality.rejects_by_rule")
    return bars.stacked(
        frame,
        x="rule",
        series="family",
        value=Measure("reject_count", "Rejected records"),
        title="Rejected records by rule and family\nall loads",
        x_title="Rule",
        horizontal=True,
    )


def flags_by_kind(_filters: Filters, _context: data.Context) -> go.Figure:
    """Flags per kind: still open and resolved."""
    frame = data.run("data_quality.flags_by_kind")
    labelled = frame.with_columns((pl.col("family") + " · " + pl.col("kind")).alias("label"))
    return bars.grouped(
        labelled,
        category="label",
        values=[Measure("open_count", "Open"), Measure("resolved_count", "Resolved")],
        title="Flagged records by family and kind\nnow",
        category_title="Family · flag kind",
        value_title="Flagged records",
    )


def over_time(_filters: Filters, _context: data.Context) -> list[go.Figure]:
    """Rejects per rule and flags raised per kind, by load date (one query for both charts)."""
    frame = data.run("dashboard_extras.quality_over_time")
    value = Measure("row_count", "Records")
    return [
        bars.stacked(
            frame.filter(pl.col("measure") == "rejects"),
            x="load_date",
            series="rule",
            value=value,
            title="Rejected records per rule\nby load date",
            x_title="Load date",
        ),
        bars.stacked(
            frame.filter(pl.col("measure") == "flags_raised"),
            x="load_date",
            series="rule",
            value=value,
            title="Flags raised per kind\nby load date",
            x_title="Load date",
        ),
    ]


def tables(_filters: Filters, _context: data.Context) -> list[Any]:
    """Rows of the load log, the changes since the previous load and the recent rejects."""
    return [
        table.rows(data.run("data_quality.load_log")),
        table.rows(data.run("data_quality.flags_since_previous_load")),
        table.rows(data.run("dashboard_extras.recent_rejects")),
    ]


CSV = {
    ids.DQ_REJECT_RULES: lambda f, c: data.run("data_quality.rejects_by_rule"),
    ids.DQ_FLAGS: lambda f, c: data.run("data_quality.flags_by_kind"),
    ids.DQ_OVER_TIME: lambda f, c: data.run("dashboard_extras.quality_over_time"),
    ids.DQ_FLAGS_OVER_TIME: lambda f, c: data.run("dashboard_extras.quality_over_time"),
}


def _section(title: str, child: Any) -> html.Div:
    return html.Div([html.H2(title, className="h6"), child], className="card card-body mb-3")


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    return html.Div(
        [
            page.header(
                "Data quality",
                "What each load read, accepted, rejected and flagged, and what changed since the previous "
                "load. The dashboard's filters do not apply here: these figures describe the files.",
            ),
            _section("Load log", table.table(ids.DQ_LOADS, LOAD_COLUMNS, height=300, label="Load log")),
            page.grid(
                [
                    chart_card(ids.DQ_REJECT_RULES, title="Rejects by rule"),
                    chart_card(ids.DQ_FLAGS, title="Flags by kind"),
                    chart_card(ids.DQ_OVER_TIME, title="Rejects over time"),
                    chart_card(ids.DQ_FLAGS_OVER_TIME, title="Flags over time"),
                ]
            ),
            _section(
                "Flags: new, still open and resolved by each family's latest load",
                table.table(ids.DQ_CHANGES, CHANGE_COLUMNS, height=260, label="Flag changes"),
            ),
            _section(
                "Most recent rejected records (values withheld: they may hold PHI)",
                table.table(ids.DQ_REJECTS, REJECT_COLUMNS, height=360, label="Rejected records"),
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``):
#: the loads, changes and rejects tables (managers only) get a callback of their own.
PARTS: list[callbacks.Part] = [
    callbacks.figure(ids.DQ_REJECT_RULES, rejects_by_rule),
    callbacks.figure(ids.DQ_FLAGS, flags_by_kind),
    callbacks.outputs(
        [(ids.DQ_OVER_TIME, "figure"), (ids.DQ_FLAGS_OVER_TIME, "figure")],
        over_time,
        lambda m: [callbacks.base.empty(callbacks.CHART_PROBLEM, m)] * 2,
    ),
    callbacks.outputs(
        [(ids.DQ_LOADS, "rowData"), (ids.DQ_CHANGES, "rowData"), (ids.DQ_REJECTS, "rowData")],
        tables,
        lambda m: [[], [], []],
    ),
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Data quality · HIM analytics",
        order=7,
        layout=layout,
        controls=(),
        filter_bar=False,
    )
    callbacks.page(app, PARTS)
