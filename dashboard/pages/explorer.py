"""Explorer (analysts): one row-level table, filtered, sorted and paged on the server, and its exports.

The grid uses AG Grid's infinite row model: it asks for blocks of rows as it scrolls
(``getRowsRequest``) and this page answers each block from :mod:`warehouse.explorer`, so the browser
never holds the table. A new grid (a new id) is made whenever the filters change, which empties its
cache.

The grid's filters and sort live in the URL (``col.<column>=…``, ``sort=…``: :mod:`dashboard.state`),
so a copied link reproduces the view. A new grid starts with the URL's (AG Grid's ``initialState``:
they show in its column filters and its first block asks for them); when the user changes them, the
grid's next first block goes (:func:`url_of`) into the query string, which replaces the address (no
new history entry, no page render) and the shell's store; the grid on screen already shows that
state, so it is kept (:func:`refresh`). Rows are always those of the grid's own models plus the URL's
fixed conditions (a second condition on a column: a badge), never the URL's shown conditions twice.
Exports are plain links to the streaming route of :mod:`dashboard.exports`: de-identified
(Safe Harbor) always, and a limited data set (dates and ZIP3 kept) once a data use agreement reference
is typed in (the server checks it again and records it in the audit log).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html

from dashboard import callbacks, data, exports, ids, state, theme
from dashboard.components import export_links, page
from warehouse import explorer
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError

PATH = "/explorer"
NAME = "Explorer"
NAV = "explorer"
CSV: Mapping[str, Any] = {}
BLOCK_ROWS = 100
FORMATS = (
    ("csv", ids.EXP_CSV, "CSV"),
    ("xlsx", ids.EXP_XLSX, "Excel"),
    ("parquet", ids.EXP_PARQUET, "Parquet"),
)
LIMITED_FORMATS = (
    ("csv", ids.EXP_LDS_CSV, "CSV"),
    ("xlsx", ids.EXP_LDS_XLSX, "Excel"),
    ("parquet", ids.EXP_LDS_PARQUET, "Parquet"),
)
LINK_CLASS = "btn btn-sm btn-outline-secondary"
DUA_HINT = "Type the data use agreement's reference (3-80 characters) to enable these links."
_FILTERS = {
    "text": "agTextColumnFilter",
    "number": "agNumberColumnFilter",
    "date": "agDateColumnFilter",
    "timestamp": "agDateColumnFilter",
}
#: Page-local stores (ids under the "explorer-" policy): the grid and models of its last first block
#: (a browser-side memo), the models after the user changed them, the query string stating them.
GRID_SEEN = "explorer-grid-seen"
GRID_MODELS = "explorer-grid-models"
URL_SEARCH = "explorer-url-search"
#: The key of AG Grid's ``context`` (sent back with every block request) that marks this page's grid.
GRID_CONTEXT = "grid"
#: Browser side, no request: a grid's first block with new models → GRID_MODELS (a new grid's first
#: block is the URL's own models: only remembered). Later blocks change nothing.
_MODELS_CHANGED_JS = """
function(requests, gridIds, seen) {
    const no = window.dash_clientside.no_update;
    const request = (requests || [])[0];
    const grid = (gridIds || [])[0];
    if (!request || !grid || request.startRow) { return [no, no]; }
    const models = {filterModel: request.filterModel || {}, sortModel: request.sortModel || []};
    const memo = {view: grid.view, models: models};
    if (!seen || seen.view !== grid.view) { return [memo, no]; }
    if (JSON.stringify(seen.models) === JSON.stringify(models)) { return [no, no]; }
    return [memo, models];
}
"""
#: Browser side: the new query string replaces the address (no history entry, no page render) and
#: becomes the shell's URL search, which updates the filter store.
_REPLACE_URL_JS = """
function(search) {
    const no = window.dash_clientside.no_update;
    if (typeof search !== "string" || search === window.location.search) { return no; }
    const url = window.location.pathname + search + window.location.hash;
    window.history.replaceState(window.history.state, "", url);
    return search;
}
"""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _grid_key(view: state.ViewState) -> tuple[str, str]:
    """Digests of the view without its grid part, and of the grid part.

    The first covers filters, table and fixed conditions; the second the shown conditions (in any
    order) and the sort.
    """
    shown, fixed = state.grid_split(view)
    base = state.to_search(replace(view, columns=fixed, sort=(), notices=()))
    part = state.to_search(state.ViewState(columns=tuple(sorted(shown)), sort=view.sort))
    return _digest(base), _digest(part)


def grid_id(store: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the grid's id for a filter state (a new state, a new grid with an empty cache)."""
    base, part = _grid_key(state.parse((store or {}).get("resolved")))
    return {"type": ids.EXP_GRID, "view": f"{base}-{part}"}


def column_defs(table: str) -> list[dict[str, Any]]:
    """Return the grid's columns: the table's whitelist, each with the filter of its kind."""
    out = []
    for col in explorer.columns(table):
        kind = explorer.column_kind(col.type)
        options = explorer.FILTER_OPTIONS[kind]
        d: dict[str, Any] = {
            "field": col.name,
            "headerName": col.name.replace("_", " "),
            "headerTooltip": col.note or col.name,
            "filter": _FILTERS[kind],
            "filterParams": {
                "filterOptions": list(options),
                "maxNumConditions": 1,
                "buttons": ["apply", "reset"],
                "closeOnApply": True,
            },
            "minWidth": 110,
        }
        if kind == "number":
            d["type"] = "rightAligned"
        if col.type.startswith("DECIMAL"):
            d["valueFormatter"] = {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"}
        out.append(d)
    return out


def table_of(view: state.ViewState) -> str:
    """Return the view's table (the default one when the view names none)."""
    return view.table or explorer.DEFAULT_TABLE


def initial_state(view: state.ViewState) -> dict[str, Any]:
    """Return AG Grid's ``initialState`` for the view: the URL's shown conditions and sort."""
    models = state.grid_models(view)
    out: dict[str, Any] = {}
    if models["filterModel"]:
        out["filter"] = {"filterModel": models["filterModel"]}
    if models["sortModel"]:
        out["sort"] = {"sortModel": models["sortModel"]}
    return out


def grid(view: state.ViewState, store: Mapping[str, Any] | None) -> dag.AgGrid:
    """Return a fresh grid for the view's table, its column filters and sort those of the URL."""
    table = table_of(view)
    options: dict[str, Any] = {
        "cacheBlockSize": BLOCK_ROWS,
        "maxBlocksInCache": 20,
        "infiniteInitialRowCount": 1,
        "rowBuffer": 0,
        "ensureDomOrder": True,
        "enableCellTextSelection": True,
        "tooltipShowDelay": 300,
    }
    initial = initial_state(view)
    if initial:
        options["initialState"] = initial
    key = grid_id(store)
    options["context"] = {GRID_CONTEXT: key["view"]}
    return dag.AgGrid(
        id=key,
        columnDefs=column_defs(table),
        rowModelType="infinite",
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "floatingFilter": False},
        dashGridOptions=options,
        style={"height": "560px", "width": "100%"},
    )


_WORDS = {
    "equals": "",
    "notEqual": "not ",
    "contains": "contains ",
    "notContains": "does not contain ",
    "startsWith": "starts with ",
    "endsWith": "ends with ",
    "lessThan": "< ",
    "lessThanOrEqual": "≤ ",
    "greaterThan": "> ",
    "greaterThanOrEqual": "≥ ",
}


def describe(view: state.ViewState, column: str, value: str) -> str:
    """Return a URL condition in words (``age years: 18 to 44``, ``code: contains E11``)."""
    kind = explorer.column_kind(next(c.type for c in explorer.columns(table_of(view)) if c.name == column))
    cond = explorer.fixed_condition(column, value, kind)
    if cond.op in ("blank", "notBlank"):
        words = "blank" if cond.op == "blank" else "not blank"
    elif cond.op == "inRange":
        words = f"{cond.value} to {cond.value_to}"
    else:
        words = f"{_WORDS[cond.op]}{cond.value}"
    return f"{column.replace('_', ' ')}: {words}"


def conditions(view: state.ViewState) -> list[Any]:
    """Return the URL's fixed conditions (not shown in a column filter) as badges, each removable."""
    out: list[Any] = []
    for column, value in state.grid_split(view)[1]:
        rest = tuple(c for c in view.columns if c != (column, value))
        out.append(
            html.Span(
                [
                    f"{describe(view, column, value)} ",
                    dcc.Link(
                        "×",
                        href=state.href(PATH, replace(view, columns=rest)),
                        className="text-white text-decoration-none ms-1",
                        title=f"Remove the condition on {column}",
                    ),
                ],
                className="badge text-bg-secondary me-1 explorer-condition",
                **{"data-column": column},
            )
        )
    return out


def _grid_shows(
    view: state.ViewState,
    store: Mapping[str, Any] | None,
    grid_ids: Sequence[Any] | None,
    grid_requests: Sequence[Any] | None,
) -> bool:
    """True when the grid on screen already shows the view (the URL changed after the grid did)."""
    current = next(iter(grid_ids or []), None)
    if not isinstance(current, Mapping):
        return False
    base, _, part = str(current.get("view", "")).partition("-")
    wanted_base, _, wanted_part = grid_id(store)["view"].partition("-")
    if base != wanted_base:
        return False
    request = next((r for r in grid_requests or [] if isinstance(r, Mapping)), None)
    if request is None:  # no block asked for yet: the grid holds what it was made with
        return part == wanted_part
    try:
        return _grid_key(state.with_grid(view, request)) == _grid_key(view)
    except HimError:
        return False


def refresh(
    store: Mapping[str, Any] | None,
    shown: str | None = None,
    grid_ids: Sequence[Any] | None = None,
    grid_requests: Sequence[Any] | None = None,
) -> tuple[Any, Any, list[Any]]:
    """Callback: new filters → a new grid, the table picker's value, the URL's fixed conditions.

    ``shown`` is the picker's value: the layout already shows the URL's table, so it is written only
    when it differs (writing it would fire :func:`choose_table` for nothing). The grid on screen
    (``grid_ids``, its last block request in ``grid_requests``) is kept when it already shows the
    view: the URL followed the grid's own filters or sort.
    """
    view = data.view(store)
    table = table_of(view)
    keep = _grid_shows(view, store, grid_ids, grid_requests)
    return (
        dash.no_update if keep else grid(view, store),
        dash.no_update if shown == table else table,
        conditions(view),
    )


def request_of(
    grid_request: Mapping[str, Any] | None, store: Mapping[str, Any] | None
) -> tuple[Any, int, int]:
    """Return the validated explorer request, offset and limit of a grid's block request.

    The models and URL conditions of :func:`grid_args`: each condition applies once.
    """
    view = data.view(store)
    models, fixed = grid_args(grid_request, view)
    return explorer.from_grid(table_of(view), view.filters, models, fixed)


def grid_args(
    grid_request: Mapping[str, Any] | None, view: state.ViewState
) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """Return the grid models a block request stands for and the URL conditions to apply beside them.

    * A request of this page's grid (its ``context`` names the grid): the grid's own models, which
      it started from the URL's and the user may have changed since, plus the URL's fixed conditions.
    * No request yet (a new grid, before its first block): the URL's models and fixed conditions.
    * A request made elsewhere (no such context): every URL condition, and its models (the URL's
      sort when it names none), as before the grid's models went into the URL.
    """
    url = state.grid_models(view)
    if grid_request is None:
        return url, state.grid_split(view)[1]
    context = grid_request.get("context")
    if isinstance(context, Mapping) and GRID_CONTEXT in context:
        return dict(grid_request), state.grid_split(view)[1]
    return {"sortModel": url["sortModel"], **grid_request}, view.columns


def export_args(
    resolved: str | None, grid_request: Mapping[str, Any] | None
) -> tuple[str, Mapping[str, Any]]:
    """Return the export links' query string and grid models: what the grid shows, as it shows it.

    The query string keeps the view's filters and table and the URL conditions of :func:`grid_args`;
    the grid's filters and sort go in the grid models, so nothing applies twice.
    """
    view = state.parse(resolved)
    models, fixed = grid_args(grid_request, view)
    return state.to_search(replace(view, columns=fixed, sort=())), models


def url_of(models: Mapping[str, Any] | None, store: Mapping[str, Any] | None) -> Any:
    """Callback: the grid's filters or sort changed → the query string stating them (else no_update).

    Only what the user typed goes into it (columns, operators, operands), checked like any URL value.
    """
    if not isinstance(models, Mapping):
        return dash.no_update
    search = (store or {}).get("search") or ""
    try:
        new = state.to_search(state.with_grid(state.parse(search), models))
    except HimError:
        return dash.no_update
    return dash.no_update if new == search else new


def rows(grid_request: Mapping[str, Any] | None, store: Mapping[str, Any] | None) -> dict[str, Any]:
    """Callback: one block of rows for the grid (and the row count, which sets the scrollbar)."""
    try:
        request, offset, limit = request_of(grid_request, store)
        frame = explorer.page(request, offset, limit)
        count = explorer.count(request) if offset == 0 or frame.height < limit else None
    except (WarehouseUnavailable, HimError):
        return {"rowData": [], "rowCount": 0}
    response: dict[str, Any] = {"rowData": explorer.json_rows(frame)}
    if count is not None:
        response["rowCount"] = count
    return response


def status(grid_requests: Sequence[Mapping[str, Any] | None], store: Mapping[str, Any] | None) -> list[Any]:
    """Callback: the row count, the export links and any error, for the grid's current filters and sort."""
    grid_request = next((r for r in grid_requests if r), None)
    if grid_request and grid_request.get("startRow"):  # later blocks: nothing changed
        return [dash.no_update] * (len(FORMATS) + 2)
    # A new grid fires this before it asks for its first block (grid_request None): the count it
    # computes then, while the browser sets the grid up, is the one its first block asks for (kept
    # per request by warehouse.explorer), so it is not skipped.
    search, models = export_args((store or {}).get("resolved"), grid_request)
    hrefs = [exports.export_href(fmt, search, models) for fmt, _, _ in FORMATS]
    try:
        request, _, _ = request_of(grid_request, store)
        count = explorer.count(request)
    except (WarehouseUnavailable, HimError) as exc:
        return [None, *hrefs, dbc.Alert(str(exc), color="danger", className="py-2")]
    if count == 0:
        text: Any = html.Span("No rows: the filters match nothing in this table.", className="explorer-empty")
    else:
        table = explorer.table(request.table).label.lower()
        text = [
            html.Strong(theme.format_value(count, "count"), **{"data-row-count": str(count)}),
            f" rows of {table} match the filters",
        ]
    return [text, *hrefs, None]


def limited_links(
    dua: str | None, grid_requests: Sequence[Mapping[str, Any] | None], store: Mapping[str, Any] | None
) -> list[Any]:
    """Callback: the limited data set links (enabled only with a valid DUA reference) and their hint.

    The links carry the same view and grid models as the de-identified ones, plus the reference.
    """
    grid_request = next((r for r in grid_requests or [] if r), None)
    if grid_request and grid_request.get("startRow") and dash.ctx.triggered_id != ids.EXP_LDS_DUA:
        return [dash.no_update] * (2 * len(LIMITED_FORMATS) + 1)  # later blocks: nothing changed
    search, models = export_args((store or {}).get("resolved"), grid_request)
    hrefs = [exports.limited_href(fmt, search, models, dua) for fmt, _, _ in LIMITED_FORMATS]
    enabled, classes = export_links.link_classes(hrefs, LINK_CLASS)
    hint = "" if enabled else DUA_HINT
    return [*hrefs, *classes, hint]


def limited_control() -> html.Div:
    """The limited data set export: the DUA reference input and a (disabled) link per format."""
    links = export_links.disabled_links(
        LIMITED_FORMATS, LINK_CLASS, "Export the filtered rows as a limited data set"
    )
    return html.Div(
        [
            html.Label(
                "Limited data set (dates and ZIP3 kept): data use agreement",
                htmlFor=ids.EXP_LDS_DUA,
                className="small me-1 mb-0",
            ),
            dcc.Input(
                id=ids.EXP_LDS_DUA,
                type="text",
                minLength=3,
                maxLength=80,
                placeholder="DUA reference",
                autoComplete="off",
                className="form-control form-control-sm",
                style={"maxWidth": "14rem"},
            ),
            *links,
            html.Small(DUA_HINT, id=ids.EXP_LDS_HINT, className="text-body-secondary"),
        ],
        id=ids.EXP_LDS,
        className="d-flex flex-wrap gap-2 align-items-center justify-content-md-end mb-2",
    )


def choose_table(value: str | None, store: Mapping[str, Any] | None) -> Any:
    """Callback: a table picked → the Explorer on that table (conditions and sort belong to the old one)."""
    view = state.parse((store or {}).get("search"))
    if not value or value == table_of(view) or value not in explorer.TABLES:
        return dash.no_update
    return state.href(PATH, replace(view, table=value, columns=(), sort=()))


def layout(**query: Any) -> html.Div:
    """Return the page (the table picker shows the URL's table)."""
    table = query.get("table")
    table = table if isinstance(table, str) and table in explorer.TABLES else explorer.DEFAULT_TABLE
    export_links = [
        html.A(
            label,
            id=link_id,
            href="#",
            download="",
            className="btn btn-sm btn-outline-primary",
            role="button",
            **{"aria-label": f"Export the filtered rows as {label}"},
        )
        for _, link_id, label in FORMATS
    ]
    return html.Div(
        [
            callbacks.nav(NAV),
            dcc.Store(id=GRID_SEEN, storage_type="memory"),
            dcc.Store(id=GRID_MODELS, storage_type="memory"),
            dcc.Store(id=URL_SEARCH, storage_type="memory"),
            page.header(
                "Explorer",
                "The rows behind every number: pick a table, filter and sort it in the column "
                "headers, and export exactly what you see. Period membership as in the KPIs.",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label("Table", htmlFor=ids.EXP_TABLE, className="form-label small mb-1"),
                            dcc.Dropdown(
                                id=ids.EXP_TABLE,
                                value=table,
                                clearable=False,
                                searchable=False,
                                options=[
                                    {"label": t.label, "value": t.name} for t in explorer.TABLES.values()
                                ],
                            ),
                        ],
                        xs=12,
                        md=3,
                    ),
                    dbc.Col(html.Div(id=ids.EXP_CONDITIONS, className="pt-md-4"), xs=12, md=4),
                    dbc.Col(
                        html.Div(
                            [html.Span("Export: ", className="small me-1"), *export_links],
                            className="d-flex gap-2 align-items-center justify-content-md-end pt-md-4",
                        ),
                        xs=12,
                        md=5,
                    ),
                ],
                className="g-2 mb-2 align-items-start",
            ),
            limited_control(),
            html.Div(id=ids.EXP_COUNT, className="small mb-2", **{"aria-live": "polite"}),
            html.Div(id=ids.EXP_ERROR),
            html.Div(id=ids.EXP_GRID_HOLDER, className="explorer-grid"),
            html.Small(
                "Column filters and sorting apply on the server to the whole table; exports follow them. "
                "Text filters ignore case. Patient keys are never shown.",
                className="text-body-secondary",
            ),
        ]
    )


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(
        __name__,
        path=PATH,
        name=NAME,
        title="Explorer · HIM analytics",
        order=6,
        layout=layout,
        controls=("range",),
    )
    app.callback(
        Output(ids.EXP_GRID_HOLDER, "children"),
        Output(ids.EXP_TABLE, "value"),
        Output(ids.EXP_CONDITIONS, "children"),
        Input(ids.FILTERS, "data"),
        State(ids.EXP_TABLE, "value"),
        State({"type": ids.EXP_GRID, "view": ALL}, "id"),
        State({"type": ids.EXP_GRID, "view": ALL}, "getRowsRequest"),
    )(refresh)
    app.callback(
        Output({"type": ids.EXP_GRID, "view": MATCH}, "getRowsResponse"),
        Input({"type": ids.EXP_GRID, "view": MATCH}, "getRowsRequest"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(rows)
    app.callback(
        Output(ids.EXP_COUNT, "children"),
        *[Output(link_id, "href") for _, link_id, _ in FORMATS],
        Output(ids.EXP_ERROR, "children"),
        Input({"type": ids.EXP_GRID, "view": ALL}, "getRowsRequest"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(status)
    app.callback(  # the layout's links are disabled until a reference is typed: nothing to send on load
        *[Output(link_id, "href") for _, link_id, _ in LIMITED_FORMATS],
        *[Output(link_id, "className") for _, link_id, _ in LIMITED_FORMATS],
        Output(ids.EXP_LDS_HINT, "children"),
        Input(ids.EXP_LDS_DUA, "value"),
        Input({"type": ids.EXP_GRID, "view": ALL}, "getRowsRequest"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(limited_links)
    # The grid's filters and sort → the URL: two browser-side steps around one request per change.
    app.clientside_callback(
        _MODELS_CHANGED_JS,
        Output(GRID_SEEN, "data"),
        Output(GRID_MODELS, "data"),
        Input({"type": ids.EXP_GRID, "view": ALL}, "getRowsRequest"),
        State({"type": ids.EXP_GRID, "view": ALL}, "id"),
        State(GRID_SEEN, "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(URL_SEARCH, "data"),
        Input(GRID_MODELS, "data"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(url_of)
    app.clientside_callback(
        _REPLACE_URL_JS,
        Output(ids.URL, "search", allow_duplicate=True),
        Input(URL_SEARCH, "data"),
        prevent_initial_call=True,
    )
    app.callback(  # the page's own Location: nothing is sent until a table is picked
        Output(callbacks.nav_id(NAV), "href"),
        Input(ids.EXP_TABLE, "value"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(choose_table)
