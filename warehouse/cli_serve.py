"""``him serve`` (the dashboard under gunicorn) and ``him up`` (demo data on first run, then serve)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from warehouse.cli import app
from warehouse.db import published_generation
from warehouse.paths import WarehousePaths, resolve_warehouse

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer path (default $HIM_WAREHOUSE or data/him.duckdb)."),
]
HostOpt = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", help="TCP port.")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="gunicorn worker processes.")]

DEMO_ENCOUNTERS = 30_000


def _upgrade(paths: WarehousePaths) -> None:
    from warehouse.upgrade import upgrade_if_needed

    def announce(_missing: list[str]) -> None:
        typer.echo("the warehouse was built by an earlier version: rebuilding its derived tables once …")

    if upgrade_if_needed(paths, announce):
        typer.echo("done.")


def _serve(warehouse: Path | None, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from warehouse.cli_users import announce_accounts

    paths = resolve_warehouse(warehouse)
    os.environ["HIM_WAREHOUSE"] = str(paths.pointer)
    _upgrade(paths)
    announce_accounts(paths)  # on a store with no users: the first admin's one-time password, once

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", None)

        def load(self):  # type: ignore[no-untyped-def]
            from dashboard.app import server

            return server

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(f"HIM dashboard: http://{shown_host}:{port}/  (Ctrl+C to stop)")
    _App().run()


@app.command("serve")
def serve_command(
    warehouse: WarehouseOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8050,
    workers: WorkersOpt = 2,
) -> None:
    """Serve the dashboard on the published warehouse generation."""
    _serve(warehouse, host, port, workers)


@app.command("up")
def up_command(
    warehouse: WarehouseOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8050,
    workers: WorkersOpt = 2,
    encounters: Annotated[
        int, typer.Option("--encounters", help="Demo size on first run.")
    ] = DEMO_ENCOUNTERS,
) -> None:
    """First run: generate and load the demo data set. Then serve the dashboard and print its URL."""
    paths = resolve_warehouse(warehouse)
    if published_generation(paths) is None:
        from warehouse import demo
        from warehouse.load import run_load

        extract_dir = paths.pointer.parent / "demo-extract"
        typer.echo(f"first run: generating {encounters:,} demo encounters into {extract_dir} …")
        demo.generate(extract_dir, encounters=encounters, seed=42)
        typer.echo("loading them into the warehouse …")
        report = run_load(paths, [extract_dir])
        for r in report.results:
            typer.echo(f"  {r.file_name}: {r.accepted:,} rows loaded ({r.outcome})")
        from warehouse.cli_users import announce_accounts

        announce_accounts(paths, demo=True)  # the documented demo accounts (demo data only)
    _serve(warehouse, host, port, workers)
