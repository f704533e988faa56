"""Small aggregate tables (coders, ZIP3s, DRGs, loads): dash-ag-grid, sortable, all rows client-side.

Only tables of at most a few hundred aggregate rows use this; row-level tables use the Explorer's
server-side (infinite) row model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import polars as pl
from dash import html

from dashboard import theme

#: d3-format strings per kind, run by dash-ag-grid's ``d3.format`` in the value formatters.
_D3 = theme.D3_FORMATS


def formatter(kind: theme.ValueKind) -> dict[str, str]:
    """Return the AG Grid value formatter of a kind of value, for the logged-in viewer.

    An absent value reads blank, except for a viewer who sees small cells suppressed (leadership): a
    null count there is a suppressed one and reads ``<11``, a null rate, mean or amount ``suppressed``
    (:func:`dashboard.theme.missing_text`), as in charts and cards.
    """
    missing = theme.missing_text(kind) if theme.viewer_suppressed() else ""
    return {"function": f"params.value == null ? '{missing}' : d3.format('{_D3[kind]}')(params.value)"}


@dataclass(frozen=True)
class Col:
    """A table column: frame column, header, kind of value (None = text) and width hint."""

    field: str
    header: str
    kind: theme.ValueKind | None = None
    flex: int = 1


def column_defs(cols: Sequence[Col]) -> list[dict[str, Any]]:
    """Return AG Grid column definitions."""
    out = []
    for c in cols:
        d: dict[str, Any] = {"field": c.field, "headerName": c.header, "flex": c.flex, "minWidth": 90}
        if c.kind:
            d["valueFormatter"] = formatter(c.kind)
            d["type"] = "rightAligned"
            d["filter"] = "agNumberColumnFilter"
        out.append(d)
    return out


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows for the grid (Decimal as float, dates as ISO text)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Decimal):
            exprs.append(pl.col(name).cast(pl.Float64))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d %H:%M"))
    return (frame.with_columns(exprs) if exprs else frame).to_dicts()


def table(table_id: str, cols: Sequence[Col], *, height: int = 360, label: str = "") -> html.Div:
    """Return an empty sortable grid (a callback fills ``rowData``) in a labelled region."""
    grid = dag.AgGrid(
        id=table_id,
        columnDefs=column_defs(cols),
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={
            "animateRows": False,
            "localeText": {"noRowsToShow": "No rows: the filters match nothing in this period."},
            "ensureDomOrder": True,
            "enableCellTextSelection": True,
        },
        style={"height": f"{height}px", "width": "100%"},
    )
    return html.Div(grid, role="region", **{"aria-label": label or table_id})
