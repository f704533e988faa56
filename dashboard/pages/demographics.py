"""Demographics: discharges over time and their mix by age band, sex, race, ethnicity, payer class, ZIP3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboard import callbacks, data, drill, ids, state, theme
from dashboard.charts import bars, trend
from dashboard.charts.base import Measure, empty
from dashboard.components import page, table
from dashboard.components.chart_card import chart_card
from warehouse.filters import Filters

PATH = "/demographics"
NAV = "demographics"
NAME = "Demographics"
DISCHARGES = Measure("discharges", "Discharges")
#: (chart id, mix dimension, axis title)
MIX: tuple[tuple[str, str, str], ...] = (
    (ids.DEMO_AGE, "age_band", "Age band at admission"),
    (ids.DEMO_SEX, "sex", "Sex"),
    (ids.DEMO_RACE, "race", "Race"),
    (ids.DEMO_ETHNICITY, "ethnicity", "Ethnicity"),
    (ids.DEMO_FINANCIAL_CLASS, "financial_class", "Financial class"),
)
ZIP3_COLUMNS = (
    table.Col("value", "3-digit ZIP"),
    table.Col("discharges", "Discharges", "count"),
    table.Col("share", "Share", "rate"),
)


def period(filters: Filters) -> str:
    """Return the period in titles."""
    return theme.period_label(filters.date_from, filters.date_to)


def summary(filters: Filters, _context: data.Context) -> Any:
    """Return the headline figures: discharges, inpatient discharges, ALOS, census at the as-of date."""
    volume = data.run("demographics.volume", filters).row(0, named=True)
    census = data.run("demographics.in_house_census", filters)
    in_house = census["in_house_count"].sum() if census.height else None
    return page.stats(
        [
            page.stat("Discharges", volume["discharges"], "count", period(filters), key="discharges"),
            page.stat(
                "Inpatient discharges", volume["inpatient_discharges"], "count", key="inpatient_discharges"
            ),
            page.stat(
                "ALOS (inpatient)",
                volume["alos_days"],
                "days",
                f"{theme.format_value(volume['inpatient_los_days'], 'count')} days ÷ "
                f"{theme.format_value(volume['inpatient_discharges'], 'count')} stays",
                key="alos_days",
            ),
            page.stat(
                "In house",
                in_house,
                "count",
                f"at the end of {filters.as_of}" if filters.as_of else None,
                key="in_house",
            ),
        ]
    )


def volume_trend(filters: Filters, _context: data.Context) -> go.Figure:
    """Discharges per month."""
    frame = data.run("demographics.volume_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=DISCHARGES,
        title=f"Discharges per month\n{period(filters)}",
        hover=[
            Measure("inpatient_discharges", "Inpatient discharges"),
            Measure("alos_days", "ALOS (days)", "days"),
        ],
    )


def alos_trend(filters: Filters, _context: data.Context) -> go.Figure:
    """Inpatient ALOS per month with its numerator and denominator."""
    frame = data.run("demographics.volume_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=Measure("alos_days", "ALOS", "days"),
        title=f"Average length of stay (inpatient) per month\n{period(filters)}",
        hover=[
            Measure("inpatient_los_days", "Inpatient days (numerator)"),
            Measure("inpatient_discharges", "Inpatient discharges (denominator)"),
        ],
    )


def mix_figure(frame: pl.DataFrame, dimension: str, axis: str, filters: Filters) -> go.Figure:
    """Return one dimension's bar chart from the mix frame."""
    part = frame.filter(pl.col("dimension") == dimension)
    title = f"Discharges by {axis.lower()}\n{period(filters)}"
    hover = [Measure("share", "Share of discharges", "rate"), Measure("total_discharges", "All discharges")]
    return bars.bars(
        part,
        category="value",
        value=DISCHARGES,
        title=title,
        category_title=axis,
        hover=hover,
        horizontal=dimension != "age_band",
        sort=dimension != "age_band",
        color_dim="financial_class" if dimension == "financial_class" else None,
    )


def mix(filters: Filters, _context: data.Context) -> list[Any]:
    """Return the five mix charts and the ZIP3 table's rows (one query for all of them)."""
    frame = data.run("demographics.mix", filters)
    figures = [mix_figure(frame, dim, axis, filters) for _, dim, axis in MIX]
    zip3 = frame.filter(pl.col("dimension") == "zip3").sort("discharges", descending=True)
    return [*figures, table.rows(zip3)]


def mix_fallback(message: str) -> list[Any]:
    """What the mix callback shows when the warehouse cannot answer."""
    return [empty("Cannot show this chart", message) for _ in MIX] + [[]]


def drill_mix(dimension: str) -> callbacks.DrillFn:
    """Return the drill of one mix chart: the filter for financial class, else the Explorer's rows."""

    def go_to(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
        value = callbacks.category(pt)
        if value is None:
            return None
        if dimension == "financial_class":
            return drill.apply(PATH, view, financial_class=(str(value),))
        if dimension == "age_band":
            span = drill.age_range(value)
            return drill.explorer(view, "encounters", [("age_years", span)]) if span else None
        return drill.explorer(view, "encounters", [(dimension, str(value))])

    return go_to


def drill_month(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked month opens the encounters discharged in it."""
    return drill.explorer(view, "encounters", **drill.month_of(pt.get("x")))


CSV = {
    ids.DEMO_TREND: data.csv_of("demographics.volume_trend"),
    ids.DEMO_ALOS: data.csv_of("demographics.volume_trend"),
    **{chart_id: data.csv_of("demographics.mix") for chart_id, _, _ in MIX},
}


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    mix_cards = [
        chart_card(
            chart_id,
            title=f"Discharges by {axis.lower()}",
            clickable="Click a bar for its encounters" if dim != "financial_class" else "Click to filter",
        )
        for chart_id, dim, axis in MIX
    ]
    return html.Div(
        [
            callbacks.nav(NAV),
            page.header("Demographics", "Who was discharged: volumes over time and the patient mix."),
            page.strip(ids.DEMO_SUMMARY),
            page.grid(
                [
                    chart_card(
                        ids.DEMO_TREND,
                        title="Discharges per month",
                        clickable="Click a month for its encounters",
                    ),
                    chart_card(
                        ids.DEMO_ALOS, title="ALOS per month", clickable="Click a month for its encounters"
                    ),
                    *mix_cards,
                    html.Div(
                        [
                            html.H2("Discharges by 3-digit ZIP", className="h6"),
                            table.table(
                                ids.DEMO_ZIP3, ZIP3_COLUMNS, height=380, label="Discharges by 3-digit ZIP"
                            ),
                            html.Small(
                                "Restricted ZIP3s (20,000 people or fewer) are shown as 000.",
                                className="text-body-secondary",
                            ),
                        ],
                        className="card card-body h-100",
                    ),
                ]
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``).
PARTS: list[callbacks.Part] = [
    callbacks.children(ids.DEMO_SUMMARY, summary),
    callbacks.figure(ids.DEMO_TREND, volume_trend),
    callbacks.figure(ids.DEMO_ALOS, alos_trend),
    callbacks.outputs([*[(c, "figure") for c, _, _ in MIX], (ids.DEMO_ZIP3, "rowData")], mix, mix_fallback),
]
#: Clicks that navigate: (graph id, drill function), one callback for the page.
DRILLS: list[tuple[str, callbacks.DrillFn]] = [
    (ids.DEMO_TREND, drill_month),
    (ids.DEMO_ALOS, drill_month),
    *[(chart_id, drill_mix(dim)) for chart_id, dim, _ in MIX],
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Demographics · HIM analytics",
        order=1,
        layout=layout,
        controls=("range",),
    )
    callbacks.page(app, PARTS)
    callbacks.drills(app, NAV, DRILLS)
