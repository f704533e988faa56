"""Coder productivity & quality: charts per hour by coder and chart type, volumes, turnaround, accuracy.

Charts per hour is always shown per chart type (inpatient and outpatient norms differ 3–5×); the one
all-types figure says so beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import plotly.graph_objects as go
from dash import html

from dashboard import callbacks, data, drill, ids, state, theme
from dashboard.charts import bars, trend
from dashboard.charts.base import Measure
from dashboard.components import page, table
from dashboard.components.chart_card import chart_card
from warehouse.filters import Filters

PATH = "/coding"
NAV = "coding"
NAME = "Coding"
CPH = Measure("charts_per_hour", "Charts per hour", "per_hour")
CPH_HOVER = (
    Measure("charts_coded", "Charts coded (numerator)"),
    Measure("coding_hours", "Coding hours (denominator)", "hours"),
)
PRODUCTIVITY_COLUMNS = (
    table.Col("coder_id", "Coder"),
    table.Col("chart_type", "Chart type"),
    table.Col("activities", "Activities", "count"),
    table.Col("charts_coded", "Charts coded", "count"),
    table.Col("coding_hours", "Hours", "hours"),
    table.Col("charts_per_hour", "Charts / hour", "per_hour"),
)
ACCURACY_COLUMNS = (
    table.Col("coder_id", "Coder"),
    table.Col("audits", "Audits", "count"),
    table.Col("codes_reviewed", "Codes reviewed", "count"),
    table.Col("codes_changed", "Codes changed", "count"),
    table.Col("code_accuracy_rate", "Code accuracy", "rate"),
    table.Col("drg_audits", "DRG audits", "count"),
    table.Col("drg_mismatches", "DRG changed", "count"),
    table.Col("drg_accuracy_rate", "DRG accuracy", "rate"),
)


def period(filters: Filters) -> str:
    """Return the period in titles."""
    return theme.period_label(filters.date_from, filters.date_to)


def summary(filters: Filters, _context: data.Context) -> Any:
    """Return the headline figures."""
    prod = data.run("coding.productivity_summary", filters).row(0, named=True)
    tat = data.run("coding.turnaround", filters).row(0, named=True)
    acc = data.run("coding.accuracy", filters).row(0, named=True)
    fmt = theme.format_value
    mixed = (prod["chart_types"] or 0) > 1
    return page.stats(
        [
            page.stat("Charts coded", prod["charts_coded"], "count", period(filters), key="charts_coded"),
            page.stat("Coding hours", prod["coding_hours"], "hours", "all activities", key="coding_hours"),
            page.stat(
                "Charts per hour",
                prod["charts_per_hour"],
                "per_hour",
                f"all {prod['chart_types']} chart types mixed; see per type below" if mixed else None,
                key="charts_per_hour",
            ),
            page.stat(
                "Discharge to code",
                tat["avg_discharge_to_code_days"],
                "days",
                f"mean days; median {fmt(tat['median_discharge_to_code_days'], 'days')}",
                key="avg_discharge_to_code_days",
            ),
            page.stat(
                "Code accuracy",
                acc["code_accuracy_rate"],
                "rate",
                f"{fmt(acc['codes_changed'], 'count')} changed of "
                f"{fmt(acc['codes_reviewed'], 'count')} reviewed",
                key="coding_accuracy",
            ),
            page.stat(
                "DRG accuracy",
                acc["drg_accuracy_rate"],
                "rate",
                f"{fmt(acc['drg_mismatches'], 'count')} changed of {fmt(acc['drg_audits'], 'count')} audits",
                key="drg_accuracy",
            ),
        ]
    )


def per_coder(filters: Filters, _context: data.Context) -> go.Figure:
    """Charts per hour per coder, one panel per chart type (never on one scale)."""
    frame = data.run("coding.productivity", filters)
    return bars.faceted(
        frame,
        category="coder_id",
        facet="chart_type",
        value=CPH,
        category_title="Coder",
        hover=[*CPH_HOVER, Measure("activities", "Activities")],
        title=f"Charts per hour by coder, a panel per chart type\n{period(filters)} · own scale per panel",
    )


def by_chart_type(filters: Filters, _context: data.Context) -> go.Figure:
    """Charts per hour per chart type (all coders)."""
    frame = data.run("coding.productivity_by_chart_type", filters)
    return bars.bars(
        frame,
        category="chart_type",
        value=CPH,
        color_dim="chart_type",
        title=f"Charts per hour by chart type\n{period(filters)}",
        category_title="Chart type",
        hover=[*CPH_HOVER, Measure("coders", "Coders")],
    )


def volume(filters: Filters, _context: data.Context) -> go.Figure:
    """Charts coded per month by chart type."""
    frame = data.run("coding.productivity_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=Measure("charts_coded", "Charts coded"),
        series="chart_type",
        hover=[Measure("coding_hours", "Coding hours", "hours"), CPH],
        title=f"Charts coded per month by chart type\n{period(filters)}",
    )


def turnaround(filters: Filters, _context: data.Context) -> go.Figure:
    """Mean discharge-to-code days per month."""
    frame = data.run("coding.turnaround_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=Measure("avg_discharge_to_code_days", "Mean discharge to code", "days"),
        hover=[
            Measure("median_discharge_to_code_days", "Median (days)", "days"),
            Measure("discharge_to_code_days", "Σ days (numerator)"),
            Measure("encounters_coded", "Encounters coded (denominator)"),
        ],
        title=f"Discharge-to-code days per month (by coded date)\n{period(filters)}",
    )


def accuracy(filters: Filters, _context: data.Context) -> go.Figure:
    """Code-level and DRG accuracy per month."""
    frame = data.run("coding.accuracy_trend", filters)
    return trend.measures(
        frame,
        x="period",
        ys=[
            Measure("code_accuracy_rate", "Code accuracy", "rate"),
            Measure("drg_accuracy_rate", "DRG accuracy", "rate"),
        ],
        hover=[
            Measure("codes_changed", "Codes changed"),
            Measure("codes_reviewed", "Codes reviewed"),
            Measure("drg_mismatches", "DRGs changed"),
            Measure("drg_audits", "DRG audits"),
        ],
        title=f"Coding accuracy from audits per month\n{period(filters)}",
        y_title="Accuracy",
    )


def tables(filters: Filters, _context: data.Context) -> list[Any]:
    """Rows of the coder tables."""
    return [
        table.rows(data.run("coding.productivity", filters)),
        table.rows(data.run("coding.accuracy_by_coder", filters)),
    ]


def drill_cell(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked coder's bar opens that coder's activities of that chart type."""
    custom = pt.get("customdata")
    if not isinstance(custom, list) or len(custom) < 2:
        return None
    coder, chart_type = custom[0], custom[1]
    return drill.explorer(
        view, "coding_activity", [("coder_id", str(coder)), ("chart_type", str(chart_type))]
    )


def drill_chart_type(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked chart type opens its coding activities."""
    value = callbacks.category(pt)
    return drill.explorer(view, "coding_activity", [("chart_type", str(value))]) if value else None


def drill_month(table_name: str) -> callbacks.DrillFn:
    """Return the drill of a monthly trend: the month's rows of ``table_name``."""

    def go_to(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
        return drill.explorer(view, table_name, **drill.month_of(pt["x"])) if pt.get("x") else None

    return go_to


CSV = {
    ids.COD_CPH: data.csv_of("coding.productivity"),
    ids.COD_CHART_TYPE: data.csv_of("coding.productivity_by_chart_type"),
    ids.COD_VOLUME: data.csv_of("coding.productivity_trend"),
    ids.COD_TURNAROUND: data.csv_of("coding.turnaround_trend"),
    ids.COD_ACCURACY: data.csv_of("coding.accuracy_trend"),
}


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    return html.Div(
        [
            callbacks.nav(NAV),
            page.header(
                "Coder productivity & quality",
                "Throughput per coder and chart type, coding turnaround and accuracy from audits. "
                "Charts per hour is compared within a chart type only: inpatient norms are 3–5× lower.",
            ),
            page.strip(ids.COD_SUMMARY),
            page.grid(
                [
                    chart_card(
                        ids.COD_CPH,
                        title="Charts per hour by coder and chart type",
                        height=560,
                        clickable="Click a bar for the coder's activities",
                    ),
                    chart_card(
                        ids.COD_CHART_TYPE,
                        title="Charts per hour by chart type",
                        clickable="Click a chart type for its activities",
                    ),
                    chart_card(
                        ids.COD_VOLUME,
                        title="Charts coded per month",
                        clickable="Click a month for its activities",
                    ),
                    chart_card(
                        ids.COD_TURNAROUND,
                        title="Discharge-to-code days",
                        clickable="Click a month for its encounters",
                    ),
                    chart_card(
                        ids.COD_ACCURACY, title="Coding accuracy", clickable="Click a month for its audits"
                    ),
                ]
            ),
            page.grid(
                [
                    html.Div(
                        [
                            html.H2("Productivity by coder and chart type", className="h6"),
                            table.table(ids.COD_TABLE, PRODUCTIVITY_COLUMNS, label="Productivity by coder"),
                        ],
                        className="card card-body",
                    ),
                    html.Div(
                        [
                            html.H2("Accuracy by coder (audits)", className="h6"),
                            table.table(ids.COD_ACCURACY_TABLE, ACCURACY_COLUMNS, label="Accuracy by coder"),
                        ],
                        className="card card-body",
                    ),
                ]
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``):
#: the per-coder chart and tables (workforce only) are a rule of their own. The other parts are in
#: this order so that their requests pair them by CPU at 10M encounters: the summary (~50 ms) with
#: the accuracy trend (~7 ms), charts by chart type (~61 ms) with the volume trend (~55 ms), and the
#: turnaround trend (~73 ms) alone.
PARTS: list[callbacks.Part] = [
    callbacks.children(ids.COD_SUMMARY, summary),
    callbacks.figure(ids.COD_ACCURACY, accuracy),
    callbacks.figure(ids.COD_CPH, per_coder),
    callbacks.figure(ids.COD_CHART_TYPE, by_chart_type),
    callbacks.figure(ids.COD_VOLUME, volume),
    callbacks.figure(ids.COD_TURNAROUND, turnaround),
    callbacks.outputs(
        [(ids.COD_TABLE, "rowData"), (ids.COD_ACCURACY_TABLE, "rowData")], tables, lambda m: [[], []]
    ),
]
#: Clicks that navigate: (graph id, drill function), one callback for the page.
DRILLS: list[tuple[str, callbacks.DrillFn]] = [
    (ids.COD_CPH, drill_cell),
    (ids.COD_CHART_TYPE, drill_chart_type),
    (ids.COD_VOLUME, drill_month("coding_activity")),
    (ids.COD_TURNAROUND, drill_month("encounters")),
    (ids.COD_ACCURACY, drill_month("coding_audits")),
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Coding · HIM analytics",
        order=4,
        layout=layout,
        controls=("range",),
    )
    callbacks.page(app, PARTS)
    callbacks.drills(app, NAV, DRILLS)
