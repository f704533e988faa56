"""``him reference …``: the reference data the product ships, and site imports of other years."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from warehouse.cli import app
from warehouse.paths import resolve_warehouse

reference_app = typer.Typer(
    help="Reference data: MS-DRG tables, CARC categories, ICD-10-CM.", no_args_is_help=True
)
app.add_typer(reference_app, name="reference")

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer path (default $HIM_WAREHOUSE or data/him.duckdb)."),
]


@reference_app.command("import-drg-table")
def import_drg_table_command(
    file: Annotated[
        Path, typer.Argument(help="CMS IPPS final rule Table 5, saved as CSV or tab-delimited text.")
    ],
    fiscal_year: Annotated[
        int, typer.Option("--fiscal-year", min=2008, max=2100, help="Federal fiscal year, e.g. 2025.")
    ],
    warehouse: WarehouseOpt = None,
) -> None:
    """Import CMS's MS-DRG table for a fiscal year; the next `him load` puts it in the warehouse."""
    from warehouse.reference import import_drg_table

    paths = resolve_warehouse(warehouse)
    rows = import_drg_table(file, fiscal_year, paths.site_reference_dir)
    typer.echo(
        f"imported {rows} MS-DRGs for FY{fiscal_year} into {paths.site_reference_dir}; "
        "they reach the warehouse with the next `him load`"
    )


@reference_app.command("list")
def list_command(warehouse: WarehouseOpt = None) -> None:
    """List the MS-DRG fiscal years available (shipped and site-imported)."""
    from warehouse.reference import msdrg_fiscal_years

    paths = resolve_warehouse(warehouse)
    years = msdrg_fiscal_years(paths.site_reference_dir)
    typer.echo("MS-DRG tables for fiscal years: " + ", ".join(f"FY{y}" for y in years))
