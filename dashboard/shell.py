"""The shell around every page: navbar, the one filter bar, the URL and the store of filters.

How the URL, the filter bar and the pages stay in step:

* ``ids.URL`` (a ``dcc.Location`` that never reloads) mirrors the address bar. A filter change writes
  its ``search``: the browser's address and history change, the page is not rendered again.
* ``ids.FILTERS`` (a ``dcc.Store``) holds the canonical query string and the same with unset dates
  resolved to the data's defaults. Every page callback takes it as Input. It holds filters only.
* :func:`sync` is the one callback between them: URL → filter bar + store (fresh load, back button,
  drill-down), or filter bar → URL + store. Its decisions are a plain function for unit tests.
* Drill-downs write the href of a ``dcc.Location`` with callback navigation that each page holds
  (``dashboard.callbacks.nav``): a new page, or the same page with new filters, rendered by Dash
  pages' router. It lives in the page, not here, so that Dash does not fire the drill callbacks on
  every page load (a callback whose Input is in a new page and whose Output is outside it always is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html

from dashboard import data, ids, state
from dashboard.components.filter_bar import BAR_CLASS, LIST_CONTROLS, filter_bar, months
from warehouse.filters import Filters, InvalidFilter

#: The date controls a page may show; pages declare theirs with ``register_page(..., controls=…)``.
DATE_CONTROLS: tuple[str, ...] = ("range", "month", "as_of")
GROUP_CLASS = "filter-group"


@dataclass(frozen=True)
class Controls:
    """The filter bar's values as the browser holds them (ISO text, lists)."""

    date_from: str | None = None
    date_to: str | None = None
    month: str | None = None
    as_of: str | None = None
    lists: tuple[tuple[str, ...], ...] = ((),) * len(LIST_CONTROLS)

    def outputs(self) -> list[Any]:
        """Return the values in the order of :func:`control_outputs`."""
        return [self.date_from, self.date_to, self.month, self.as_of, *[list(v) for v in self.lists]]


@dataclass(frozen=True)
class Sync:
    """What :func:`sync` decided: None for "leave it as it is"."""

    search: str | None
    store: dict[str, str] | None
    notices: tuple[str, ...] | None
    controls: Controls | None


def controls_of(view: state.ViewState, defaults: state.Defaults) -> Controls:
    """Return the filter bar's values for a view (unset dates shown as their defaults)."""
    f = state.resolve(view, defaults).filters
    return Controls(
        date_from=f.date_from.isoformat() if f.date_from else None,
        date_to=f.date_to.isoformat() if f.date_to else None,
        month=f.month.strftime("%Y-%m") if f.month else None,
        as_of=f.as_of.isoformat() if f.as_of else None,
        lists=tuple(tuple(getattr(view.filters, key)) for key, _, _ in LIST_CONTROLS),
    )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def view_of_controls(
    controls: Controls, current: state.ViewState, defaults: state.Defaults
) -> tuple[state.ViewState, tuple[str, ...]]:
    """Return the view the filter bar describes (keeping the Explorer's keys of the current view).

    Dates equal to their defaults are left unset, so the URL carries only what a person chose.
    """
    notices: list[str] = []
    date_from, date_to = _date(controls.date_from), _date(controls.date_to)
    if date_from and date_to and date_from > date_to:
        notices.append("The period's start was after its end; the two were swapped")
        date_from, date_to = date_to, date_from
    values: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "month": controls.month,
        "as_of": _date(controls.as_of),
    }
    for (key, _, _), chosen in zip(LIST_CONTROLS, controls.lists, strict=True):
        values[key] = tuple(chosen or ())
    try:
        filters = Filters(**values)
    except InvalidFilter as exc:
        notices.append(f"{exc}; the previous filters were kept")
        filters = current.filters
    view = state.ViewState(filters, current.table, current.columns, sort=current.sort)
    return state.without_defaults(view, defaults), tuple(notices)


def store_of(view: state.ViewState, defaults: state.Defaults) -> dict[str, str]:
    """Return the filter store: the canonical query string and the resolved one the pages use."""
    return {"search": state.to_search(view), "resolved": state.to_search(state.resolve(view, defaults))}


def sync(
    trigger: str | None,
    search: str | None,
    controls: Controls,
    defaults: state.Defaults,
    stored: Mapping[str, str] | None,
    options: Mapping[str, Sequence[str]] | None = None,
) -> Sync:
    """Decide what the URL, the store, the notice and the filter bar become.

    Args:
        trigger: the id of what changed: ``ids.URL`` (or None on first load), ``ids.F_RESET`` or a
            filter control.
        search: the URL's query string.
        controls: the filter bar's values.
        defaults: the data's default dates.
        stored: the filter store's current value.
        options: the values the filter bar offers; a URL value outside them is dropped with a notice
            (and the URL rewritten), never silently by the dropdown.
    """
    current = state.parse(search)
    if trigger in (None, ids.URL):
        known, dropped = state.restrict(current, options or {}, months(defaults))
        store = store_of(known, defaults)
        if stored == store:  # the URL echoing a change this callback already made
            return Sync(None, None, None, None)
        rewrite = state.to_search(known) if dropped else None
        return Sync(rewrite, store, (*current.notices, *dropped), controls_of(known, defaults))
    if trigger == ids.F_RESET:
        view = state.ViewState(table=current.table)
        return Sync(state.to_search(view), store_of(view, defaults), (), controls_of(view, defaults))
    view, notices = view_of_controls(controls, current, defaults)
    new_search = state.to_search(view)
    if stored is not None and stored.get("search") == new_search:
        return Sync(None, None, notices or None, None)
    return Sync(new_search, store_of(view, defaults), notices, None)


def control_outputs() -> list[Output]:
    """Return the Outputs of the filter bar's values (order of :meth:`Controls.outputs`)."""
    return [
        Output(ids.F_RANGE, "start_date"),
        Output(ids.F_RANGE, "end_date"),
        Output(ids.F_MONTH, "value"),
        Output(ids.F_AS_OF, "date"),
        *[Output(control_id, "value") for _, control_id, _ in LIST_CONTROLS],
    ]


def control_inputs() -> list[Input]:
    """Return the Inputs of the filter bar's values (order of :meth:`Controls.outputs`)."""
    return [Input(o.component_id, o.component_property) for o in control_outputs()]


def notice_children(notices: Sequence[str]) -> list[Any]:
    """Return the notice's content: what was ignored in the URL, one line each."""
    return [
        html.Strong("Some of the link's filters could not be used; the defaults apply instead."),
        html.Ul([html.Li(n) for n in notices], className="mb-0"),
    ]


def _sync_callback(search: str | None, *args: Any) -> list[Any]:
    n_controls = len(control_outputs())
    values, (_reset, context_data, stored) = args[:n_controls], args[n_controls:]
    controls = Controls(values[0], values[1], values[2], values[3], tuple(tuple(v or ()) for v in values[4:]))
    context = data.Context.from_json(context_data)
    decision = sync(ctx.triggered_id, search, controls, context.defaults, stored, context.options)
    no = dash.no_update
    notice: list[Any] = [no, no]
    if decision.notices is not None:
        notice = [notice_children(decision.notices) if decision.notices else [], bool(decision.notices)]
    return [
        no if decision.search is None else decision.search,
        no if decision.store is None else decision.store,
        *notice,
        *(decision.controls.outputs() if decision.controls else [no] * n_controls),
    ]


def nav_state(
    link_ids: Sequence[Mapping[str, str]], search: str, pathname: str | None
) -> tuple[list[str], list[bool], str, str, str, str]:
    """Return each navbar link's href and active flag, and the classes of the date groups and the bar.

    A page shows only the date controls it declared (``controls=``); a page registered with
    ``filter_bar=False`` (data quality: its figures describe files, not patients) hides the bar.
    """
    pages = {p["module"]: p for p in dash.page_registry.values()}
    hrefs, active = [], []
    current = None
    for link in link_ids:
        page = pages[link["page"]]
        hrefs.append(page["relative_path"] + search)
        is_here = (pathname or "/") == page["relative_path"]
        active.append(is_here)
        if is_here:
            current = page
    shown = set(current.get("controls", ())) if current else set()
    range_, month, as_of = (
        GROUP_CLASS if name in shown else f"{GROUP_CLASS} d-none" for name in DATE_CONTROLS
    )
    bar = f"{BAR_CLASS} d-none" if current and current.get("filter_bar") is False else BAR_CLASS
    return hrefs, active, range_, month, as_of, bar


def _nav_callback(
    store: Mapping[str, str] | None, pathname: str | None, link_ids: list[dict[str, str]]
) -> Any:
    hrefs, active, *hidden = nav_state(link_ids, (store or {}).get("search", ""), pathname)
    return hrefs, active, *hidden


def navbar() -> dbc.Navbar:
    """Return the navbar, one link per registered page in page order."""
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], id=ids.nav_link(page["module"])))
        for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("HIM analytics", href="/", class_name="fw-semibold"),
                dbc.NavbarToggler(id="shell-navbar-toggler"),
                dbc.Collapse(
                    dbc.Nav(links, navbar=True, class_name="flex-wrap"),
                    id="shell-navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        id=ids.NAVBAR,
        color="dark",
        dark=True,
        expand="lg",
        class_name="mb-3",
        role="navigation",
    )


def layout() -> html.Div:
    """Return the shell (computed on each full page load, so options follow the newest load)."""
    context = data.context()
    problem = (
        dbc.Alert(["The warehouse cannot be read: ", context.problem], color="danger", id=ids.UNAVAILABLE)
        if context.problem
        else None
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.FILTERS, storage_type="memory"),
            dcc.Store(id=ids.CONTEXT, data=context.to_json(), storage_type="memory"),
            html.A("Skip to the page", href="#main", className="visually-hidden-focusable"),
            navbar(),
            html.Main(
                [
                    problem,
                    filter_bar(context.defaults, dict(context.options)),
                    dbc.Alert(
                        id=ids.NOTICE,
                        is_open=False,
                        color="warning",
                        dismissable=True,
                        className="shell-notice",
                    ),
                    dash.page_container,
                ],
                id="main",
                className="container-fluid pb-4",
                tabIndex="-1",
            ),
        ]
    )


def register(app: dash.Dash) -> None:
    """Wire the shell's callbacks."""
    app.callback(
        Output(ids.URL, "search"),
        Output(ids.FILTERS, "data"),
        Output(ids.NOTICE, "children"),
        Output(ids.NOTICE, "is_open"),
        *control_outputs(),
        Input(ids.URL, "search"),
        *control_inputs(),
        Input(ids.F_RESET, "n_clicks"),
        State(ids.CONTEXT, "data"),
        State(ids.FILTERS, "data"),
    )(_sync_callback)
    app.callback(
        Output(ids.nav_link(ALL), "href"),
        Output(ids.nav_link(ALL), "active"),
        Output(ids.F_RANGE_GROUP, "className"),
        Output(ids.F_MONTH_GROUP, "className"),
        Output(ids.F_AS_OF_GROUP, "className"),
        Output(ids.FILTER_BAR, "className"),
        Input(ids.FILTERS, "data"),
        Input(ids.URL, "pathname"),
        State(ids.nav_link(ALL), "id"),
    )(_nav_callback)
    app.callback(
        Output("shell-navbar-collapse", "is_open"),
        Input("shell-navbar-toggler", "n_clicks"),
        State("shell-navbar-collapse", "is_open"),
        prevent_initial_call=True,
    )(toggle)


def toggle(n_clicks: int | None, is_open: bool) -> bool:
    """Open or close the navbar's menu (narrow screens)."""
    return not is_open
