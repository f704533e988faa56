"""Explorer exports as plain HTTP downloads that stream (a Dash callback would hold the file in memory).

``GET /export/explorer.<csv|xlsx|parquet>?<the view's query string>&grid=<JSON>`` where ``grid`` holds
the grid's ``sortModel`` and ``filterModel``. The query string is parsed by :mod:`dashboard.state`
and the grid's models are checked by :func:`warehouse.explorer.from_grid` against the whitelist, so
an export holds exactly the rows the grid shows, in the same order.

The links of the other export kinds are built here too (the security layer serves
``/export/<kind>/<table>.<fmt>``, docs/security.md "Exports"): :func:`limited_href` (the Explorer's
limited data set, with a data use agreement reference) and :func:`operational_href` (the Operations
work list, with a stated purpose). Each returns None until its reference or purpose is acceptable, so
a link is never offered that the server would refuse.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import flask

from dashboard import state
from dashboard.security.scope import scoped_filters
from warehouse import deid, explorer
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError
from warehouse.filters import Filters

ROUTE = "/export/explorer.<fmt>"
GRID_KEY = "grid"
DUA_KEY = "dua"
PURPOSE_KEY = "purpose"
#: The table and grid models of the Operations work list's operational export: encounters not final
#: billed, oldest discharge first (the list itself is ``operations.oldest_unbilled``).
WORK_LIST_TABLE = "encounters"
WORK_LIST_GRID: Mapping[str, Any] = {
    "sortModel": [{"colId": "discharge_date", "sort": "asc"}],
    "filterModel": {"final_billed_date": {"filterType": "date", "type": "blank"}},
}


def _grid_pair(grid: Mapping[str, Any] | None) -> tuple[str, str]:
    """The ``grid`` argument: the grid's sort and filter models only (never its paging)."""
    models = {
        k: (grid or {}).get(k) or ({} if k == "filterModel" else []) for k in ("sortModel", "filterModel")
    }
    return GRID_KEY, json.dumps(models, separators=(",", ":"), sort_keys=True)


def export_href(fmt: str, resolved_search: str, grid: Mapping[str, Any] | None) -> str:
    """Return the link that downloads the Explorer's current rows in ``fmt``."""
    joiner = "&" if resolved_search else "?"
    return f"/export/explorer.{fmt}{resolved_search}{joiner}{urlencode([_grid_pair(grid)])}"


def _kind_href(kind: str, fmt: str, view: state.ViewState, pairs: list[tuple[str, str]]) -> str:
    """``/export/<kind>/<table>.<fmt>?<the view's query string>&<pairs>``: every part checked or encoded."""
    if fmt not in explorer.EXPORT_FORMATS:
        raise ValueError(f"export format {fmt!r} is not accepted")
    table = explorer.table(view.table or explorer.DEFAULT_TABLE).name  # a whitelisted table name
    search = state.to_search(view)
    joiner = "&" if search else "?"
    return f"/export/{kind}/{table}.{fmt}{search}{joiner}{urlencode(pairs)}"


def limited_href(
    fmt: str, resolved_search: str, grid: Mapping[str, Any] | None, dua: str | None
) -> str | None:
    """Return the link to the Explorer's current rows as a limited data set, or None without a valid DUA.

    Args:
        fmt: ``csv``, ``xlsx`` or ``parquet``.
        resolved_search: the Explorer's view (the shell's resolved query string: filters, table,
            ``col.`` conditions).
        grid: the grid's current request (its ``sortModel`` and ``filterModel`` are kept).
        dua: the data use agreement reference typed in (3-80 characters, :func:`warehouse.deid.check_dua`).
    """
    try:
        ref = deid.check_dua(dua)
    except deid.ExportRefused:
        return None
    view = state.parse(resolved_search)
    return _kind_href("limited", fmt, view, [_grid_pair(grid), (DUA_KEY, ref)])


def work_list_view(filters: Filters, today: dt.date | None = None) -> state.ViewState:
    """Return the Explorer view of the Operations work list: the DNFB encounters at the as-of date.

    Encounters of the page's facility, patient type, financial class, payer and service line filters,
    discharged more than ``bill_hold_days`` days before the as-of date (the date range does not apply:
    the list covers every earlier discharge). With :data:`WORK_LIST_GRID` (not final billed, oldest
    first) these are the rows of ``operations.oldest_unbilled`` without its ``top_n`` cut, as long as
    nothing was final billed after the as-of date (the Explorer sees the billing state of today).
    """
    as_of = filters.as_of or today or dt.date.today()
    last_discharge = as_of - dt.timedelta(days=filters.bill_hold_days + 1)
    lists = {name: getattr(filters, name) for name in state.LIST_KEYS}
    return state.ViewState(Filters(date_to=last_discharge, as_of=as_of, **lists), WORK_LIST_TABLE)


def operational_href(fmt: str, filters: Filters, purpose: str | None) -> str | None:
    """Return the link to the Operations work list as an operational export, or None without a purpose.

    Args:
        fmt: ``csv``, ``xlsx`` or ``parquet``.
        filters: the Operations page's resolved filters (as-of date, hold days, list filters).
        purpose: the stated purpose typed in (10-200 characters, :func:`warehouse.deid.check_purpose`).
    """
    try:
        text = deid.check_purpose(purpose)
    except deid.ExportRefused:
        return None
    return _kind_href(
        "operational", fmt, work_list_view(filters), [_grid_pair(WORK_LIST_GRID), (PURPOSE_KEY, text)]
    )


def request_of(args: Any) -> explorer.Request:
    """Return the explorer request an export URL's arguments describe.

    Raises:
        explorer.ExplorerError: an unknown column or operator, or a bad value.
        ValueError: the ``grid`` argument is not JSON.
    """
    pairs = [(k, v) for k, v in args.items(multi=True) if k != GRID_KEY]
    view = state.parse(urlencode(pairs))
    grid = json.loads(args.get(GRID_KEY) or "{}")
    if not isinstance(grid, dict):
        raise ValueError("grid must be a JSON object")
    request, _, _ = explorer.from_grid(view.table or explorer.DEFAULT_TABLE, view.filters, grid, view.columns)
    return replace(request, filters=scoped_filters(request.filters))


def _export(fmt: str) -> flask.Response:
    try:
        exp = explorer.export(request_of(flask.request.args), fmt)
    except (ValueError, HimError) as exc:
        return flask.Response(f"cannot export: {exc}\n", status=400, mimetype="text/plain")
    except WarehouseUnavailable as exc:
        return flask.Response(f"cannot export: {exc}\n", status=503, mimetype="text/plain")
    return flask.Response(
        flask.stream_with_context(exp.chunks),
        mimetype=exp.mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{exp.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def register(server: flask.Flask) -> None:
    """Add the export route to the Flask server."""
    server.add_url_rule(ROUTE, "explorer_export", _export, methods=["GET"])
