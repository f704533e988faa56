"""``him query`` (any named query of the catalog) and ``him kpi`` (the monthly scorecard)."""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from warehouse import catalog
from warehouse.cli import app
from warehouse.errors import UsageProblem
from warehouse.filters import Filters

FORMATS = ("table", "csv", "json", "parquet")
KPI_FORMATS = ("table", "json")

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer file (default $HIM_WAREHOUSE or data/him.duckdb)."),
]


def _cursor(warehouse: Path | None) -> Any:
    """Return a read-only cursor on the warehouse named by ``--warehouse``."""
    from warehouse.db import reader
    from warehouse.paths import resolve_warehouse

    return reader(resolve_warehouse(warehouse)).cursor()


def _parse_params(query: catalog.Query, pairs: list[str]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` options into the query's parameters (list params: repeat or comma-separate)."""
    types = {p.name: p.type for p in query.params}
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageProblem(f"--param {pair!r}: use KEY=VALUE, e.g. --param date_from=2025-01-01")
        if key not in types:
            accepted = ", ".join(types) or "none"
            raise UsageProblem(f"{query.name} has no parameter {key!r}; accepted: {accepted}")
        if types[key].endswith("[]"):
            values.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())
        else:
            values[key] = value
    return values


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _frame_json(frame: pl.DataFrame) -> str:
    return json.dumps(frame.to_dicts(), default=_json_default, indent=2)


def _rich_table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for h in headers:
        table.add_column(h)
    for r in rows:
        table.add_row(*r)
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text, encoding="utf-8")


def _list_queries() -> str:
    lines: list[str] = []
    for q in catalog.queries().values():
        lines.append(f"{q.name}\n    {q.description}")
        params = ", ".join(f"{p.name} {p.type}" + (f" = {p.default}" if p.default else "") for p in q.params)
        lines.append(f"    params: {params or 'none'}")
        lines.append("    returns: " + ", ".join(f"{c.name} {c.type}" for c in q.returns))
    return "\n".join(lines)


@app.command("query")
def query_command(
    name: Annotated[str | None, typer.Argument(help="Query name, e.g. denials.summary.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE; list params: repeat or A,B.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json | parquet")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (needed for parquet).")
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List every query with its params and returns.")
    ] = False,
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the query's whole SQL (fragments included); run nothing.")
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Run a named KPI query of the catalog, or list them all with --list."""
    if list_:
        _emit(_list_queries(), out)
        return
    if not name:
        raise UsageProblem("name a query (e.g. `him query denials.summary`) or use `him query --list`")
    if sql:
        _emit(catalog.get(name).sql, out)
        return
    if fmt not in FORMATS:
        raise UsageProblem(f"--format {fmt!r} is not accepted; use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise UsageProblem("--format parquet needs --out FILE")
    query = catalog.get(name)
    frame = catalog.run(name, _parse_params(query, param or []), con=_cursor(warehouse))
    if fmt == "parquet":
        assert out is not None
        frame.write_parquet(out)
    elif fmt == "csv":
        _emit(frame.write_csv(), out)
    elif fmt == "json":
        _emit(_frame_json(frame), out)
    else:
        rows = [[_cell(v) for v in row] for row in frame.iter_rows()]
        _emit(_rich_table(f"{name} ({frame.height} rows)", frame.columns, rows), out)


def _format_value(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "dollars":
        return f"${value:,.2f}"
    if unit == "count":
        return f"{value:,}"
    return f"{value:,.2f}"


@app.command("kpi")
def kpi_command(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    facility: Annotated[list[str] | None, typer.Option("--facility", help="Repeatable.")] = None,
    patient_type: Annotated[list[str] | None, typer.Option("--patient-type", help="Repeatable.")] = None,
    financial_class: Annotated[
        list[str] | None, typer.Option("--financial-class", help="Repeatable.")
    ] = None,
    payer: Annotated[list[str] | None, typer.Option("--payer", help="Repeatable.")] = None,
    service_line: Annotated[list[str] | None, typer.Option("--service-line", help="Repeatable.")] = None,
    bill_hold_days: Annotated[int, typer.Option("--bill-hold-days", help="DNFB bill hold (days).")] = 3,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    targets: Annotated[
        Path | None, typer.Option("--targets", help="Targets file (default $HIM_TARGETS, else shipped).")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """The monthly scorecard: every KPI with prior month, same month last year, target and status."""
    from warehouse.scorecard import KPIS, scorecard, scorecard_with_context
    from warehouse.targets import load_targets

    if fmt not in KPI_FORMATS:
        raise UsageProblem(f"--format {fmt!r} is not accepted; use one of {', '.join(KPI_FORMATS)}")
    filters = Filters(
        facility=tuple(facility or ()),
        patient_type=tuple(patient_type or ()),
        financial_class=tuple(financial_class or ()),
        payer=tuple(payer or ()),
        service_line=tuple(service_line or ()),
        bill_hold_days=bill_hold_days,
        month=month,
    )
    chosen = load_targets(targets, known=set(KPIS))
    con = _cursor(warehouse)
    if fmt == "json":
        _emit(json.dumps(scorecard(month, filters, con=con), indent=2), None)
        return
    lines = scorecard_with_context(month, filters, con=con, targets=chosen)
    rows = [
        [
            line.label,
            _format_value(line.value, line.unit),
            _format_value(line.prior_month, line.unit),
            _format_value(line.same_month_last_year, line.unit),
            "—"
            if line.target is None
            else ("≥ " if line.target.direction == "higher" else "≤ ")
            + _format_value(line.target.target, line.unit),
            line.status or "—",
        ]
        for line in lines
    ]
    shown = filters.month.strftime("%Y-%m") if filters.month else month
    headers = ["KPI", shown, "prior month", "same month last year", "target", "status"]
    _emit(_rich_table("Monthly scorecard", headers, rows), None)
