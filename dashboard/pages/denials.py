"""Denials: initial denial rate by payer, denied and recovered dollars, reasons (Pareto), appeals, heatmap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import plotly.graph_objects as go
from dash import html

from dashboard import callbacks, data, drill, ids, state, theme
from dashboard.charts import bars, heatmap, pareto, trend
from dashboard.charts.base import Measure
from dashboard.components import page
from dashboard.components.chart_card import chart_card
from dashboard.components.filter_bar import label_of
from warehouse.filters import Filters

PATH = "/denials"
NAME = "Denials"
NAV = "denials"
RATE = Measure("initial_denial_rate", "Initial denial rate", "rate")
RATE_HOVER = (
    Measure("claims_denied", "Denied claims (numerator)"),
    Measure("claims_submitted", "Submitted claims (denominator)"),
)


def period(filters: Filters) -> str:
    """Return the period in titles (claims by submitted date)."""
    return theme.period_label(filters.date_from, filters.date_to)


def summary(filters: Filters, _context: data.Context) -> Any:
    """Return the headline figures of the period."""
    s = data.run("denials.summary", filters).row(0, named=True)
    w = data.run("denials.net_write_off", filters).row(0, named=True)
    fmt = theme.format_value
    return page.stats(
        [
            page.stat(
                "Claims submitted", s["claims_submitted"], "count", period(filters), key="claims_submitted"
            ),
            page.stat(
                "Initial denial rate",
                s["initial_denial_rate"],
                "rate",
                f"{fmt(s['claims_denied'], 'count')} of {fmt(s['claims_submitted'], 'count')} claims",
                key="initial_denial_rate",
            ),
            page.stat(
                "Denied amount",
                s["denied_amount"],
                "money",
                f"{fmt(s['denial_dollar_rate'], 'rate')} of billed dollars",
                key="denied_amount",
            ),
            page.stat("Recovered by appeal", s["recovered_amount"], "money", key="recovered_amount"),
            page.stat(
                "Appeal overturn rate",
                s["denial_overturn_rate"],
                "rate",
                f"{fmt(s['appeals_overturned'], 'count')} overturned of "
                f"{fmt((s['appeals_overturned'] or 0) + (s['appeals_upheld'] or 0), 'count')} decided; "
                f"{fmt(s['appeals_pending'], 'count')} pending",
                key="denial_overturn_rate",
            ),
            page.stat(
                "Net write-off",
                w["net_write_off_amount"],
                "money",
                f"denials over 90 days old at {filters.as_of}, not recovered",
                key="net_write_off",
            ),
        ]
    )


def rate_by_payer_trend(filters: Filters, context: data.Context) -> go.Figure:
    """Initial denial rate per month, one line per payer (the chosen payers, else the 10 most frequent)."""
    frame = data.run("denials.rate_trend_by_payer", filters)
    return trend.lines(
        data.lines(frame, "payer", filters, context.options.get("payer", ())),
        x="period",
        y=RATE,
        dimension="payer",
        hover=RATE_HOVER,
        title=f"Initial denial rate per month by payer\n{period(filters)}",
        colors=context.colors.get("payer"),
    )


def dollars(filters: Filters, _context: data.Context) -> go.Figure:
    """Denied and recovered dollars per month."""
    frame = data.run("denials.trend", filters)
    return trend.measures(
        frame,
        x="period",
        ys=[
            Measure("denied_amount", "Denied", "money"),
            Measure("recovered_amount", "Recovered by appeal", "money"),
        ],
        title=f"Denied and recovered dollars per month\n{period(filters)}",
        y_title="Dollars",
        hover=[Measure("claims_denied", "Denied claims"), Measure("billed_amount", "Billed", "money")],
    )


def reasons(filters: Filters, _context: data.Context) -> go.Figure:
    """Pareto of denied claims by CARC code."""
    frame = data.run("denials.by_reason", filters)
    labelled = frame.with_columns(
        (frame["carc_code"].fill_null("none") + " · " + frame["category"].str.replace_all("_", " ")).alias(
            "label"
        )
    )
    return pareto.pareto(
        labelled,
        category="carc_code",
        value=Measure("claims_denied", "Denied claims"),
        label="label",
        title=f"Denied claims by reason code (CARC), Pareto\n{period(filters)}",
        category_title="CARC · category",
        hover=[
            Measure("denied_amount", "Denied amount", "money"),
            Measure("share", "Share of denials", "rate"),
        ],
    )


def categories(filters: Filters, _context: data.Context) -> go.Figure:
    """Denied claims by denial category."""
    frame = data.run("denials.by_category", filters)
    labelled = frame.with_columns(
        frame["category"].map_elements(label_of, return_dtype=frame["category"].dtype).alias("label")
    )
    return bars.bars(
        labelled,
        category="category",
        label="label",
        value=Measure("claims_denied", "Denied claims"),
        title=f"Denied claims by category\n{period(filters)}",
        category_title="Category",
        hover=[
            Measure("share", "Share of denied claims", "rate"),
            Measure("total_claims_denied", "All denied claims"),
            Measure("denied_amount", "Denied amount", "money"),
        ],
    )


def overturn(filters: Filters, context: data.Context) -> go.Figure:
    """Appeal overturn rate by payer."""
    frame = data.run("denials.by_payer", filters)
    return bars.bars(
        frame,
        category="payer",
        value=Measure("denial_overturn_rate", "Appeal overturn rate", "rate"),
        title=f"Appeal overturn rate by payer\n{period(filters)}",
        category_title="Payer",
        hover=[
            Measure("appeals_overturned", "Overturned (numerator)"),
            Measure("appeals_upheld", "Upheld"),
            Measure("appeals_pending", "Pending (not counted)"),
            Measure("recovered_amount", "Recovered", "money"),
        ],
        color_dim="payer",
        colors=context.colors.get("payer"),
    )


def by_payer(filters: Filters, context: data.Context) -> go.Figure:
    """Initial denial rate by payer for the whole period."""
    frame = data.run("denials.by_payer", filters)
    return bars.bars(
        frame,
        category="payer",
        value=RATE,
        title=f"Initial denial rate by payer\n{period(filters)}",
        category_title="Payer",
        hover=[*RATE_HOVER, Measure("denied_amount", "Denied amount", "money")],
        color_dim="payer",
        colors=context.colors.get("payer"),
    )


def payer_category(filters: Filters, _context: data.Context) -> go.Figure:
    """Heatmap of denied claims by payer and category."""
    frame = data.run("denials.by_payer_category", filters)
    return heatmap.heatmap(
        frame,
        x="category",
        y="payer",
        z=Measure("claims_denied", "Denied claims"),
        hover=[Measure("denied_amount", "Denied amount", "money")],
        title=f"Denied claims by payer and category\n{period(filters)}",
        x_title="Category",
        y_title="Payer",
        x_text=label_of,
    )


def drill_payer(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked payer becomes the filter of this page."""
    value = callbacks.category(pt)
    return drill.apply(PATH, view, payer=(str(value),)) if value else None


def drill_trend(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked month on a payer's line opens that payer's claims submitted in the month."""
    payer = callbacks.category(pt)
    if not payer or not pt.get("x"):
        return None
    return drill.explorer(view, "claims", payer=(str(payer),), **drill.month_of(pt.get("x")))


def drill_reason(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked CARC opens the claims denied with it."""
    value = callbacks.category(pt)
    if not value or value == "(none)":
        return None
    return drill.explorer(view, "claims", [("carc_code", str(value))])


def drill_category(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked category opens its denied claims."""
    value = callbacks.category(pt)
    return drill.explorer(view, "claims", [("denial_category", str(value))]) if value else None


def drill_cell(pt: Mapping[str, Any], view: state.ViewState) -> str | None:
    """A clicked heatmap cell opens that payer's denied claims of that category."""
    payer, category = pt.get("y"), pt.get("x")
    if not payer or not category or pt.get("z") is None:
        return None
    return drill.explorer(view, "claims", [("denial_category", str(category))], payer=(str(payer),))


CSV = {
    ids.DEN_TREND: data.csv_of("denials.rate_trend_by_payer"),
    ids.DEN_DOLLARS: data.csv_of("denials.trend"),
    ids.DEN_PARETO: data.csv_of("denials.by_reason"),
    ids.DEN_CATEGORY: data.csv_of("denials.by_category"),
    ids.DEN_OVERTURN: data.csv_of("denials.by_payer"),
    ids.DEN_BY_PAYER: data.csv_of("denials.by_payer"),
    ids.DEN_HEATMAP: data.csv_of("denials.by_payer_category"),
}


def layout(**_query: Any) -> html.Div:
    """Return the page."""
    return html.Div(
        [
            callbacks.nav(NAV),
            page.header(
                "Denials",
                "Which claims payers deny, why, and what appeals win back. Claims belong to "
                "the period by their submitted date; the payer filter is the claim's payer.",
            ),
            page.strip(ids.DEN_SUMMARY),
            page.grid(
                [
                    chart_card(
                        ids.DEN_TREND,
                        title="Initial denial rate by payer",
                        clickable="Click a point for that payer's claims of the month",
                    ),
                    chart_card(
                        ids.DEN_BY_PAYER,
                        title="Initial denial rate by payer",
                        clickable="Click a payer to filter",
                    ),
                    chart_card(
                        ids.DEN_PARETO,
                        title="Denial reasons (Pareto)",
                        clickable="Click a code for its claims",
                    ),
                    chart_card(
                        ids.DEN_CATEGORY,
                        title="Denial categories",
                        clickable="Click a category for its claims",
                    ),
                    chart_card(ids.DEN_DOLLARS, title="Denied and recovered dollars"),
                    chart_card(
                        ids.DEN_OVERTURN,
                        title="Appeal overturn rate by payer",
                        clickable="Click a payer to filter",
                    ),
                ]
            ),
            page.grid(
                [
                    chart_card(
                        ids.DEN_HEATMAP, title="Payer × category", clickable="Click a cell for its claims"
                    )
                ],
                lg=12,
            ),
        ]
    )


#: What the page shows, each part computed alone (its own empty state on a warehouse problem);
#: on each filter change, requests of at most two parts of one security rule (``callbacks.page``).
PARTS: list[callbacks.Part] = [
    callbacks.children(ids.DEN_SUMMARY, summary),
    callbacks.figure(ids.DEN_TREND, rate_by_payer_trend),
    callbacks.figure(ids.DEN_DOLLARS, dollars),
    callbacks.figure(ids.DEN_PARETO, reasons),
    callbacks.figure(ids.DEN_CATEGORY, categories),
    callbacks.figure(ids.DEN_OVERTURN, overturn),
    callbacks.figure(ids.DEN_BY_PAYER, by_payer),
    callbacks.figure(ids.DEN_HEATMAP, payer_category),
]
#: Clicks that navigate: (graph id, drill function), one callback for the page.
DRILLS: list[tuple[str, callbacks.DrillFn]] = [
    (ids.DEN_TREND, drill_trend),
    (ids.DEN_BY_PAYER, drill_payer),
    (ids.DEN_OVERTURN, drill_payer),
    (ids.DEN_PARETO, drill_reason),
    (ids.DEN_CATEGORY, drill_category),
    (ids.DEN_HEATMAP, drill_cell),
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Denials · HIM analytics",
        order=3,
        layout=layout,
        controls=("range",),
    )
    callbacks.page(app, PARTS)
    callbacks.drills(app, NAV, DRILLS)
