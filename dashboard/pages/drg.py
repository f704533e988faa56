"""DRG mix & CMI: top MS-DRGs, CMI trends by facility and by medical / surgical, MDCs, LOS, CC/MCC capture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboard import callbacks, data, drill, ids, state, theme
from dashboard.charts import bars, treemap, trend
from dashboard.charts.base import Measure
from dashboard.components import page, table
from dashboard.components.chart_card import chart_card
from warehouse.filters import Filters

PATH = "/drg"
NAV = "drg"
NAME = "DRG mix & CMI"
TOP_N = 20
CMI = Measure("cmi", "CMI", "index")
CMI_HOVER = (
    Measure("weight_sum", "Σ relative weight (numerator)", "ratio"),
    Measure("weighted_discharges", "Weighted discharges (denominator)"),
)
DRG_COLUMNS = (
    table.Col("ms_drg", "MS-DRG"),
    table.Col("title", "Title", flex=4),
    table.Col("mdc", "MDC"),
    table.Col("drg_type", "Type"),
    table.Col("discharges", "Discharges", "count"),
    table.Col("share", "Share", "rate"),
    table.Col("avg_weight", "Mean weight", "index"),
)


def period(filters: Filters) -> str:
    """Return the period in titles."""
    return theme.period_label(filters.date_from, filters.date_to)


def with_label(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the DRG frame with a ``label`` column: ``470 · MAJOR HIP AND KNEE…`` (display only)."""
    title = pl.col("title").fill_null("not in the DRG table")
    short = pl.when(title.str.len_chars() > 32).then(title.str.slice(0, 31) + "…").otherwise(title)
    return frame.with_columns(
        pl.when(pl.col("ms_drg").is_null())
        .then(pl.lit("Ungrouped"))
        .otherwise(pl.col("ms_drg") + pl.lit(" · ") + short)
        .alias("label")
    )


def summary(filters: Filters, _context: data.Context) -> Any:
    """Return the headline figures and the nearest-fiscal-year note."""
    cmi = data.run("drg.cmi", filters).row(0, named=True)
    capture = data.run("drg.cc_mcc_capture", filters).row(0, named=True)
    row = page.stats(
        [
            page.stat(
                "CMI",
                cmi["cmi"],
                "index",
                f"{theme.format_value(cmi['weight_sum'], 'ratio')} ÷ "
                f"{theme.format_value(cmi['weighted_discharges'], 'count')} weighted discharges",
                key="cmi",
            ),
            page.stat(
                "Inpatient discharges",
                cmi["inpatient_discharges"],
                "count",
                period(filters),
                key="inpatient_discharges",
            ),
            page.stat(
                "Ungrouped", cmi["ungrouped_count"], "count", "no MS-DRG: left out of CMI", key="ungrouped"
            ),
            page.stat(
                "DRG not in table",
                cmi["drg_not_in_table_count"],
                "count",
                "left out of CMI",
                key="drg_not_in_table",
            ),
            page.stat(
                "CC/MCC capture",
                capture["cc_mcc_capture_rate"],
                "rate",
                f"{theme.format_value(capture['cc_mcc_discharges'], 'count')} of "
                f"{theme.format_value(capture['eligible_discharges'], 'count')} eligible",
                key="cc_mcc",
            ),
        ]
    )
    return [row, nearest_note(cmi["nearest_fy_count"], cmi["weighted_discharges"])]


def nearest_note(nearest: int | None, weighted: int | None) -> Any:
    """Return the visible note when some discharges were weighted with the nearest fiscal year's table."""
    if not nearest:
        return None
    return dbc.Alert(
        [
            html.Strong("Nearest fiscal year's weights: "),
            f"{theme.format_value(nearest, 'count')} of {theme.format_value(weighted, 'count')} "
            "weighted discharges "
            "fall in a fiscal year without an MS-DRG table here, so the nearest fiscal year's weights were "
            "applied. Import that year's CMS Table 5 (`him reference import-drg-table`) for exact CMI.",
        ],
        color="info",
        id=ids.DRG_NOTE,
        className="py-2 small",
    )


def top_drgs(filters: Filters, _context: data.Context) -> go.Figure:
    """Top MS-DRGs by inpatient discharges."""
    frame = with_label(data.run("drg.mix", filters))
    return bars.bars(
        frame,
        category="ms_drg",
        value=Measure("discharges", "Discharges"),
        label="label",
        title=f"Top {TOP_N} MS-DRGs by inpatient discharges\n{period(filters)}",
        category_title="MS-DRG",
        hover=[
            Measure("share", "Share of inpatient discharges", "rate"),
            Measure("inpatient_discharges", "All inpatient discharges"),
            Measure("avg_weight", "Mean relative weight", "index"),
        ],
        limit=TOP_N,
    )


def cmi_by_facility(filters: Filters, context: data.Context) -> go.Figure:
    """CMI per month, one line per facility (the chosen facilities, else the 10 most frequent)."""
    frame = data.run("drg.cmi_trend_by_facility", filters)
    return trend.lines(
        data.lines(frame, "facility", filters, context.options.get("facility", ())),
        x="period",
        y=CMI,
        dimension="facility",
        hover=CMI_HOVER,
        title=f"Case mix index per month by facility\n{period(filters)}",
        colors=context.colors.get("facility"),
    )


def cmi_by_type(filters: Filters, _context: data.Context) -> go.Figure:
    """CMI per month, medical vs surgical MS-DRGs."""
    frame = data.run("drg.cmi_by_type_trend", filters)
    return trend.trend(
        frame,
        x="period",
        y=CMI,
        series="drg_type",
        hover=CMI_HOVER,
        title=f"Case mix index per month, medical vs surgical\n{period(filters)}",
    )


def mdc(filters: Filters, _context: data.Context) -> go.Figure:
    """MDC → MS-DRG treemap of inpatient discharges."""
    frame = with_label(data.run("drg.mix", filters))
    return treemap.treemap(
        frame,
        parent="mdc",
        child="ms_drg",
        child_label="label",
        value=Measure("discharges", "Discharges"),
        parent_prefix="MDC ",
        title=f"Inpatient discharges by MDC and MS-DRG\n{period(filters)}",
    )


def los(filters: Filters, _context: data.Context) -> go.Figure:
    """ALOS against GMLOS for the DRGs with most discharges."""
    frame = data.run("drg.alos_vs_gmlos", filters).sort("discharges", descending=True).head(15)
    return bars.grouped(
        frame,
        category="ms_drg",
        values=[Measure("alos_days", "ALOS", "days"), Measure("gmlos_days", "GMLOS", "days")],
        title=f"ALOS vs geometric mean LOS, 15 most frequent MS-DRGs\n{period(filters)}",
        category_title="MS-DRG",
        value_title="Length of stay",
        hover=[
            Measure("discharges", "Discharges"),
            Measure("los_days", "Σ LOS (days)"),
            Measure("los_index", "LOS index (ALOS ÷ GMLOS)", "ratio"),
        ],
    )


def cc_mcc(filters: Filters, _context: data.Context) -> go.Figure:
    """CC/MCC capture rate by service line."""
    frame = data.run("drg.cc_mcc_capture_by_service_line", filters)
    return bars.bars(
        frame,
        category="service_line",
        value=Measure("cc_mcc_capture_rate", "CC/MCC capture", "rate"),
        title=f"CC/MCC capture by service line\n{period(filters)}",
        category_title="Service line",
        hover=[
            Measure("cc_mcc_discharges", "With CC/MCC (numerator)"),
            Measure("eligible_discharges", "Eligible discharges (denominator)"),
        ],
    )


def drg_table(filters: Filters, _context: data.Context) -> list[Any]:
    """Rows of the DRG table."""
    return [table.rows(data.run("drg.mix", filters).sort("discharges", descending=True))]


def drill_drg(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked MS-DRG opens its encounters."""
    value = callbacks.category(pt)
    return drill.explorer(view, "encounters", [("ms_drg", str(value))]) if value else None


def drill_treemap(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked DRG box opens its encounters (an MDC box only zooms)."""
    custom = pt.get("customdata")
    value = custom[0] if isinstance(custom, list) and custom else None
    if not pt.get("parent") or not value:
        return None
    return drill.explorer(view, "encounters", [("ms_drg", str(value))])


def drill_service_line(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked service line becomes the filter."""
    value = callbacks.category(pt)
    return drill.apply(PATH, view, service_line=(str(value),)) if value else None


CSV = {
    ids.DRG_TOP: data.csv_of("drg.mix"),
    ids.DRG_CMI_TREND: data.csv_of("drg.cmi_trend_by_facility"),
    ids.DRG_CMI_TYPE: data.csv_of("drg.cmi_by_type_trend"),
    ids.DRG_MDC: data.csv_of("drg.mix"),
    ids.DRG_LOS: data.csv_of("drg.alos_vs_gmlos"),
    ids.DRG_CC_MCC: data.csv_of("drg.cc_mcc_capture_by_service_line"),
}


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    return html.Div(
        [
            callbacks.nav(NAV),
            page.header(
                "DRG mix & case mix index",
                "Which MS-DRGs the inpatients were grouped to, what they weigh, and how long they stayed.",
            ),
            page.strip(ids.DRG_SUMMARY),
            page.grid(
                [
                    chart_card(
                        ids.DRG_TOP,
                        title="Top MS-DRGs",
                        height=560,
                        clickable="Click a DRG for its encounters",
                    ),
                    chart_card(
                        ids.DRG_MDC,
                        title="MDC breakdown",
                        height=560,
                        clickable="Click a DRG for its encounters",
                    ),
                    chart_card(ids.DRG_CMI_TREND, title="CMI by facility"),
                    chart_card(ids.DRG_CMI_TYPE, title="CMI medical vs surgical"),
                    chart_card(ids.DRG_LOS, title="ALOS vs GMLOS"),
                    chart_card(
                        ids.DRG_CC_MCC, title="CC/MCC capture by service line", clickable="Click to filter"
                    ),
                ]
            ),
            html.Div(
                [
                    html.H2("DRG mix", className="h6"),
                    table.table(ids.DRG_TABLE, DRG_COLUMNS, height=420, label="DRG mix table"),
                ],
                className="card card-body",
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``).
PARTS: list[callbacks.Part] = [
    callbacks.children(ids.DRG_SUMMARY, summary),
    callbacks.figure(ids.DRG_TOP, top_drgs),
    callbacks.figure(ids.DRG_CMI_TREND, cmi_by_facility),
    callbacks.figure(ids.DRG_CMI_TYPE, cmi_by_type),
    callbacks.figure(ids.DRG_MDC, mdc),
    callbacks.figure(ids.DRG_LOS, los),
    callbacks.figure(ids.DRG_CC_MCC, cc_mcc),
    callbacks.outputs([(ids.DRG_TABLE, "rowData")], drg_table, lambda m: [[]]),
]
#: Clicks that navigate: (graph id, drill function), one callback for the page.
DRILLS: list[tuple[str, callbacks.DrillFn]] = [
    (ids.DRG_TOP, drill_drg),
    (ids.DRG_LOS, drill_drg),
    (ids.DRG_MDC, drill_treemap),
    (ids.DRG_CC_MCC, drill_service_line),
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="DRG mix & CMI · HIM analytics",
        order=2,
        layout=layout,
        controls=("range",),
    )
    callbacks.page(app, PARTS)
    callbacks.drills(app, NAV, DRILLS)
