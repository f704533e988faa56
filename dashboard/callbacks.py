"""Wiring of the pages' plain functions into Dash callbacks (the functions stay testable alone).

A page writes ``def trend(filters, context) -> go.Figure`` and ``def drill_x(point, view) -> str``;
these helpers connect them to the shell's stores, turn a warehouse problem into the empty state, and
turn a click into a new URL for the navigation Location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, html

from dashboard import data, ids, state
from dashboard.charts import base
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError
from warehouse.filters import Filters

FigureFn = Callable[[Filters, data.Context], go.Figure]
DrillFn = Callable[[Mapping[str, Any], state.ViewState], str | None]


def run_figure(fn: FigureFn, store: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> go.Figure:
    """Call a page's figure function on the stored filters; a warehouse problem becomes a message."""
    try:
        return fn(data.filters(store), data.Context.from_json(context))
    except (WarehouseUnavailable, HimError) as exc:
        return base.empty("Cannot show this chart", str(exc))


def figure(app: dash.Dash, chart_id: str, fn: FigureFn) -> None:
    """Wire ``fn(filters, context) -> Figure`` to a graph, re-run whenever the filters change."""

    def update(store: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> go.Figure:
        return run_figure(fn, store, context)

    app.callback(Output(chart_id, "figure"), Input(ids.FILTERS, "data"), State(ids.CONTEXT, "data"))(update)


def children(app: dash.Dash, target: str, fn: Callable[[Filters, data.Context], Any]) -> None:
    """Wire ``fn(filters, context)`` returning components to a container's children."""

    def update(store: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> Any:
        try:
            return fn(data.filters(store), data.Context.from_json(context))
        except (WarehouseUnavailable, HimError) as exc:
            return html.Div(f"Cannot read the warehouse: {exc}", className="text-body-secondary fst-italic")

    app.callback(Output(target, "children"), Input(ids.FILTERS, "data"), State(ids.CONTEXT, "data"))(update)


def outputs(
    app: dash.Dash,
    targets: Sequence[tuple[str, str]],
    fn: Callable[[Filters, data.Context], Sequence[Any]],
    fallback: Callable[[str], Sequence[Any]],
) -> None:
    """Wire ``fn(filters, context)`` returning several values to several (id, property) outputs."""

    def update(store: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> Sequence[Any]:
        try:
            return fn(data.filters(store), data.Context.from_json(context))
        except (WarehouseUnavailable, HimError) as exc:
            return fallback(str(exc))

    app.callback([Output(i, p) for i, p in targets], Input(ids.FILTERS, "data"), State(ids.CONTEXT, "data"))(
        update
    )


def point(click: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the first clicked point of a graph's clickData (empty when there is none)."""
    points = (click or {}).get("points") or []
    return dict(points[0]) if points else {}


def drill(app: dash.Dash, chart_id: str, fn: DrillFn) -> None:
    """Wire a click on a graph to navigation: ``fn(point, view)`` returns the new href (or None)."""

    def navigate(click: Mapping[str, Any] | None, store: Mapping[str, Any] | None) -> Any:
        pt = point(click)
        if not pt:
            return dash.no_update
        href = fn(pt, state.parse((store or {}).get("search")))
        return href or dash.no_update

    app.callback(
        Output(ids.NAV, "href", allow_duplicate=True),
        Input(chart_id, "clickData"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(navigate)


def category(pt: Mapping[str, Any]) -> Any:
    """Return the category of a clicked bar (builders put it first in customdata)."""
    custom = pt.get("customdata")
    if isinstance(custom, list) and custom:
        return custom[0]
    return pt.get("y") if isinstance(pt.get("x"), int | float) else pt.get("x")
