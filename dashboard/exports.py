"""Explorer exports as plain HTTP downloads that stream (a Dash callback would hold the file in memory).

``GET /export/explorer.<csv|xlsx|parquet>?<the view's query string>&grid=<JSON>`` where ``grid`` holds
the grid's ``sortModel`` and ``filterModel``. The query string is parsed by :mod:`dashboard.state`
and the grid's models are checked by :func:`warehouse.explorer.from_grid` against the whitelist, so
an export holds exactly the rows the grid shows, in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import flask

from dashboard import state
from dashboard.security.scope import scoped_filters
from warehouse import explorer
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError

ROUTE = "/export/explorer.<fmt>"
GRID_KEY = "grid"


def export_href(fmt: str, resolved_search: str, grid: Mapping[str, Any] | None) -> str:
    """Return the link that downloads the Explorer's current rows in ``fmt``."""
    models = {
        k: (grid or {}).get(k) or ({} if k == "filterModel" else []) for k in ("sortModel", "filterModel")
    }
    pairs = [(GRID_KEY, json.dumps(models, separators=(",", ":"), sort_keys=True))]
    joiner = "&" if resolved_search else "?"
    return f"/export/explorer.{fmt}{resolved_search}{joiner}{urlencode(pairs)}"


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
