"""Wiring of the pages' plain functions into Dash callbacks (the functions stay testable alone).

A page writes ``def trend(filters, context) -> go.Figure`` and ``def drill_x(point, view) -> str``;
these helpers connect them to the shell's stores, turn a warehouse problem into each chart's empty
state, and turn a click into a new URL.

A page load should cost few HTTP requests: the browser has a handful of connections and the server two
workers, so one request per chart queues. :func:`page` therefore wires all of a page's parts
(:func:`figure`, :func:`children`, :func:`outputs`) into one callback per security rule (a callback is
allowed by the rule of every output, so outputs of different rules stay in different callbacks, as
``dashboard.security.policy`` decides them one by one), and at most :data:`PARTS_PER_CALLBACK` parts
per callback so that no request carries a whole page. Each part still runs alone: a warehouse
problem in one shows "Cannot show this chart" in that chart and the others are drawn.

Drill-downs (:func:`drills`) are one callback per page writing the href of a ``dcc.Location`` that
lives in the page (:func:`nav`). Dash fires a callback whose Input is in a newly rendered page and
whose Output is outside it on every page load, whatever ``prevent_initial_call`` says; with the Output
in the page too, nothing is sent until a click.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html

from dashboard import data, ids, state
from dashboard.charts import base
from dashboard.security import policy
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError
from warehouse.filters import Filters

FigureFn = Callable[[Filters, data.Context], go.Figure]
DrillFn = Callable[[Mapping[str, Any], state.ViewState], str | None]
CHART_PROBLEM = "Cannot show this chart"


def run_figure(fn: FigureFn, store: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> go.Figure:
    """Call a page's figure function on the stored filters; a warehouse problem becomes a message."""
    return figure("", fn).run(data.filters(store), data.Context.from_json(context))[0]


@dataclass(frozen=True)
class Part:
    """One piece of a page: its (id, property) outputs, what computes them, and what replaces them.

    Attributes:
        targets: the outputs, in the order ``fn`` returns them.
        fn: ``fn(filters, context)``: a sequence of one value per target (the value itself when
            ``single``).
        fallback: ``fallback(message)``: one value per target when the warehouse cannot answer.
        single: ``fn`` returns the one target's value, not a sequence.
    """

    targets: tuple[tuple[str, str], ...]
    fn: Callable[[Filters, data.Context], Any]
    fallback: Callable[[str], Sequence[Any]]
    single: bool = False

    def run(self, filters: Filters, context: data.Context) -> list[Any]:
        """Return the part's values (one per target); a warehouse problem gives the fallback's."""
        try:
            value = self.fn(filters, context)
        except (WarehouseUnavailable, HimError) as exc:
            return list(self.fallback(str(exc)))
        return [value] if self.single else list(value)


def figure(chart_id: str, fn: FigureFn) -> Part:
    """A graph's figure from ``fn(filters, context) -> Figure``; its empty state says what went wrong."""
    return Part(((chart_id, "figure"),), fn, lambda message: [base.empty(CHART_PROBLEM, message)], True)


def children(target: str, fn: Callable[[Filters, data.Context], Any]) -> Part:
    """A container's children from ``fn(filters, context)`` returning components."""
    return Part(
        ((target, "children"),),
        fn,
        lambda message: [
            html.Div(f"Cannot read the warehouse: {message}", className="text-body-secondary fst-italic")
        ],
        True,
    )


def outputs(
    targets: Sequence[tuple[str, str]],
    fn: Callable[[Filters, data.Context], Sequence[Any]],
    fallback: Callable[[str], Sequence[Any]],
) -> Part:
    """Several (id, property) outputs from ``fn(filters, context)`` returning one value per output."""
    return Part(tuple(targets), fn, fallback)


def _rule_of(part: Part) -> tuple[Any, ...]:
    """What the security policy decides for a part's outputs: roles, audit, row level, all facilities.

    That of a callback holding only this part (:func:`dashboard.security.policy.combine`); parts with
    the same decision may share a callback without changing who may run it or how it is audited.
    """
    rule = policy.combine(policy.rule_for(str(target)) for target, _ in part.targets)
    if rule is None:
        raise ValueError(f"an output of {part.targets} has no declared policy (dashboard/security/policy.py)")
    return (rule.roles, rule.audit, rule.row_level, rule.all_facilities)


#: Most parts one callback computes. A page's parts run one after the other inside a callback, so at
#: 10M encounters a whole page in one request took up to 294 ms (p95), three parts a request up to
#: 153 ms; in requests of at most two parts the two workers compute them side by side.
PARTS_PER_CALLBACK = 2


def groups(parts: Sequence[Part], most: int = PARTS_PER_CALLBACK) -> list[list[Part]]:
    """The parts grouped by their outputs' security rule, in page order (one callback per group).

    Each rule's parts are split evenly into groups of at most ``most`` parts.
    """
    by_rule: dict[tuple[Any, ...], list[Part]] = {}
    for part in parts:
        by_rule.setdefault(_rule_of(part), []).append(part)
    out: list[list[Part]] = []
    for same_rule in by_rule.values():
        n = -(-len(same_rule) // most)  # requests needed
        size, extra = divmod(len(same_rule), n)
        start = 0
        for i in range(n):
            end = start + size + (1 if i < extra else 0)
            out.append(same_rule[start:end])
            start = end
    return out


def run_parts(
    parts: Sequence[Part], store: Mapping[str, Any] | None, context: Mapping[str, Any] | None
) -> list[Any]:
    """Run each part on the stored filters; return every output's value in order."""
    filters, shared = data.filters(store), data.Context.from_json(context)
    return [value for part in parts for value in part.run(filters, shared)]


def page(app: dash.Dash, parts: Sequence[Part]) -> None:
    """Wire a page's parts: one callback per group of :func:`groups`, re-run whenever the filters change."""
    for group in groups(parts):

        def update(
            store: Mapping[str, Any] | None, context: Mapping[str, Any] | None, _group: list[Part] = group
        ) -> list[Any]:
            return run_parts(_group, store, context)

        app.callback(
            [Output(i, p) for part in group for i, p in part.targets],
            Input(ids.FILTERS, "data"),
            State(ids.CONTEXT, "data"),
        )(update)


def point(click: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the first clicked point of a graph's clickData (empty when there is none)."""
    points = (click or {}).get("points") or []
    return dict(points[0]) if points else {}


def nav_id(page_name: str) -> str:
    """The id of a page's own navigation ``dcc.Location`` (the shell's rule: it carries no data)."""
    return f"{ids.NAV}-{page_name}"


def nav(page_name: str) -> dcc.Location:
    """The page's navigation: drill-downs write its href, the page (or another) is rendered anew."""
    return dcc.Location(id=nav_id(page_name), refresh="callback-nav")


def navigate(
    trigger: str | None,
    clicks: Sequence[Mapping[str, Any] | None],
    charts: Sequence[tuple[str, DrillFn]],
    store: Mapping[str, Any] | None,
) -> Any:
    """The new href for a click on one of ``charts`` (``trigger`` is the clicked graph's id)."""
    for (chart_id, fn), click in zip(charts, clicks, strict=True):
        if chart_id == trigger:
            pt = point(click)
            href = fn(pt, state.parse((store or {}).get("search"))) if pt else None
            return href or dash.no_update
    return dash.no_update


def drills(app: dash.Dash, page_name: str, charts: Sequence[tuple[str, DrillFn]]) -> None:
    """Wire clicks on a page's graphs to navigation: ``fn(point, view)`` returns the new href (or None).

    One callback for the page, writing the page's own Location (:func:`nav`, which the layout must
    hold); nothing runs before a click.
    """
    charts = list(charts)

    def on_click(*args: Any) -> Any:
        *clicks, store = args
        return navigate(ctx.triggered_id, clicks, charts, store)

    app.callback(
        Output(nav_id(page_name), "href"),
        [Input(chart_id, "clickData") for chart_id, _ in charts],
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(on_click)


def category(pt: Mapping[str, Any]) -> Any:
    """Return the category of a clicked bar (builders put it first in customdata)."""
    custom = pt.get("customdata")
    if isinstance(custom, list) and custom:
        return custom[0]
    return pt.get("y") if isinstance(pt.get("x"), int | float) else pt.get("x")
