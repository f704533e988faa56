"""The chart card: a graph with a loading indicator, PNG download (the mode bar) and a CSV download."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, State, dcc, html

from dashboard import data, ids
from dashboard.charts import base
from warehouse.filters import Filters


def graph_config(chart_id: str) -> dict[str, Any]:
    """Return the dcc.Graph config: PNG download named after the chart, no Plotly logo."""
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": chart_id, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    }


def placeholder(title: str) -> go.Figure:
    """Return the figure shown until the callback answers (the title, no axes)."""
    fig = base.figure(title)
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def chart_card(
    chart_id: str,
    *,
    title: str,
    height: int = 360,
    note: Any = None,
    csv: bool = True,
    clickable: str | None = None,
) -> html.Div:
    """Return a card holding one chart.

    Args:
        chart_id: the dcc.Graph id (also the PNG and CSV file names).
        title: a short name for screen readers and the CSV button's label.
        height: the graph's minimum height in pixels.
        note: a component shown under the chart (a caveat, a definition).
        csv: offer "Download CSV" of the chart's data.
        clickable: a hint shown under the chart saying what a click does.
    """
    footer: list[Any] = []
    if clickable:
        footer.append(html.Small(clickable, className="text-body-secondary me-auto"))
    if csv:
        footer += [
            html.Button(
                "Download CSV",
                id=ids.csv_button(chart_id),
                className="btn btn-sm btn-outline-secondary ms-auto",
                type="button",
                **{"aria-label": f"Download the data of “{title}” as CSV"},
            ),
            dcc.Download(id=ids.csv_download(chart_id)),
        ]
    body = [
        dcc.Loading(
            dcc.Graph(
                id=chart_id,
                figure=placeholder(title),
                config=graph_config(chart_id),
                style={"minHeight": f"{height}px"},
                className="chart",
            ),
            type="circle",
            delay_show=200,
            overlay_style={"visibility": "visible", "opacity": 0.5},
        ),
    ]
    if note is not None:
        body.append(note)
    card = dbc.Card(
        [
            dbc.CardBody(body, className="p-2"),
            dbc.CardFooter(footer, className="d-flex align-items-center gap-2 py-1") if footer else None,
        ],
        className="chart-card h-100",
    )
    return html.Div(card, role="figure", className="h-100", **{"aria-label": title})


def csv_file(frame: pl.DataFrame, chart_id: str) -> dict[str, Any]:
    """Return what dcc.Download needs to save a frame as ``<chart_id>.csv``."""
    return dcc.send_string(frame.write_csv(), f"{chart_id}.csv", type="text/csv")


CsvFn = Callable[[Filters, "data.Context"], pl.DataFrame]


def csv_download(
    n_clicks: int | None,
    store: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    chart_id: str,
    frame_of: CsvFn,
) -> Any:
    """Callback body: the chart's frame as a CSV download (nothing before the first click)."""
    if not n_clicks:
        return dash.no_update
    return csv_file(frame_of(data.filters(store), data.Context.from_json(context)), chart_id)


def register_csv(app: dash.Dash, charts: Mapping[str, CsvFn]) -> None:
    """Wire each chart's "Download CSV" button to the function returning that chart's data.

    Args:
        app: the Dash app.
        charts: chart id → ``fn(filters, context)`` returning the chart's frame.
    """
    for chart_id, frame_of in charts.items():
        app.callback(
            Output(ids.csv_download(chart_id), "data"),
            Input(ids.csv_button(chart_id), "n_clicks"),
            State(ids.FILTERS, "data"),
            State(ids.CONTEXT, "data"),
            prevent_initial_call=True,
        )(partial(csv_download, chart_id=chart_id, frame_of=frame_of))
