"""Explorer (analysts): one row-level table, filtered, sorted and paged on the server, and its exports.

The grid uses AG Grid's infinite row model: it asks for blocks of rows as it scrolls
(``getRowsRequest``) and this page answers each block from :mod:`warehouse.explorer`, so the browser
never holds the table. A new grid (a new id) is made whenever the filters change, which empties its
cache. Exports are plain links to the streaming route of :mod:`dashboard.exports`: de-identified
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
_TEXT_OPTIONS = [
    "contains",
    "notContains",
    "equals",
    "notEqual",
    "startsWith",
    "endsWith",
    "blank",
    "notBlank",
]
_NUMBER_OPTIONS = [
    "equals",
    "notEqual",
    "lessThan",
    "lessThanOrEqual",
    "greaterThan",
    "greaterThanOrEqual",
    "inRange",
    "blank",
    "notBlank",
]
_DATE_OPTIONS = ["equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank"]


def grid_id(store: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the grid's id for a filter state (a new state, a new grid with an empty cache)."""
    key = hashlib.sha256(str((store or {}).get("resolved", "")).encode()).hexdigest()[:12]
    return {"type": ids.EXP_GRID, "view": key}


def column_defs(table: str) -> list[dict[str, Any]]:
    """Return the grid's columns: the table's whitelist, each with the filter of its kind."""
    out = []
    for col in explorer.columns(table):
        kind = explorer.column_kind(col.type)
        options = {"text": _TEXT_OPTIONS, "number": _NUMBER_OPTIONS}.get(kind, _DATE_OPTIONS)
        d: dict[str, Any] = {
            "field": col.name,
            "headerName": col.name.replace("_", " "),
            "headerTooltip": col.note or col.name,
            "filter": _FILTERS[kind],
            "filterParams": {
                "filterOptions": options,
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


def grid(view: state.ViewState, store: Mapping[str, Any] | None) -> dag.AgGrid:
    """Return a fresh grid for the view's table."""
    table = table_of(view)
    return dag.AgGrid(
        id=grid_id(store),
        columnDefs=column_defs(table),
        rowModelType="infinite",
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "floatingFilter": False},
        dashGridOptions={
            "cacheBlockSize": BLOCK_ROWS,
            "maxBlocksInCache": 20,
            "infiniteInitialRowCount": 1,
            "rowBuffer": 0,
            "ensureDomOrder": True,
            "enableCellTextSelection": True,
            "tooltipShowDelay": 300,
        },
        style={"height": "560px", "width": "100%"},
    )


def conditions(view: state.ViewState) -> list[Any]:
    """Return the URL's column conditions as badges, each with a link that removes it."""
    out: list[Any] = []
    for column, value in view.columns:
        rest = tuple(c for c in view.columns if c != (column, value))
        shown = value.replace("..", " to ") if ".." in value else value
        out.append(
            html.Span(
                [
                    f"{column.replace('_', ' ')}: {shown} ",
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


def refresh(store: Mapping[str, Any] | None, shown: str | None = None) -> tuple[Any, Any, list[Any]]:
    """Callback: new filters → a new grid, the table picker's value, the URL's column conditions.

    ``shown`` is the picker's value: the layout already shows the URL's table, so it is written only
    when it differs (writing it would fire :func:`choose_table` for nothing).
    """
    view = data.view(store)
    table = table_of(view)
    return grid(view, store), dash.no_update if shown == table else table, conditions(view)


def request_of(
    grid_request: Mapping[str, Any] | None, store: Mapping[str, Any] | None
) -> tuple[Any, int, int]:
    """Return the validated explorer request, offset and limit of a grid's block request."""
    view = data.view(store)
    return explorer.from_grid(table_of(view), view.filters, grid_request, view.columns)


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
    resolved = (store or {}).get("resolved", "")
    hrefs = [exports.export_href(fmt, resolved, grid_request) for fmt, _, _ in FORMATS]
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
    resolved = (store or {}).get("resolved", "")
    hrefs = [exports.limited_href(fmt, resolved, grid_request, dua) for fmt, _, _ in LIMITED_FORMATS]
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
    """Callback: a table picked → the Explorer on that table (column conditions belong to the old one)."""
    view = state.parse((store or {}).get("search"))
    if not value or value == table_of(view) or value not in explorer.TABLES:
        return dash.no_update
    return state.href(PATH, replace(view, table=value, columns=()))


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
    app.callback(  # the page's own Location: nothing is sent until a table is picked
        Output(callbacks.nav_id(NAV), "href"),
        Input(ids.EXP_TABLE, "value"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )(choose_table)
