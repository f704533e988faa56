"""``him load``, ``him status``, ``him rejects`` and ``him demo-data``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from warehouse.cli import app
from warehouse.errors import UsageProblem
from warehouse.paths import resolve_warehouse

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer path (default $HIM_WAREHOUSE or data/him.duckdb)."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table | csv | json")]

_out = Console(width=None if sys.stdout.isatty() else 160)
_err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


@app.command("load")
def load_command(
    paths_in: Annotated[list[Path], typer.Argument(help="Extract files or directories of them.")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML/TOML column and value mapping.")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Validate extract files and load them into a new warehouse generation."""
    from warehouse.load import FileResult, run_load

    missing = [str(p) for p in paths_in if not p.exists()]
    if missing:
        raise UsageProblem(f"no such file or directory: {', '.join(missing)}")
    paths = resolve_warehouse(warehouse)

    def show(res: FileResult) -> None:
        if res.failed:
            # File names and messages are data, not markup: "claims_[final].csv" must print as it is.
            _err.print(
                f"[red]FAILED[/red] {escape(res.file_name)}: {escape(res.message or '')}",
                highlight=False,
                soft_wrap=True,
            )
        else:
            _err.print(
                f"{escape(res.file_name)} ({res.family}): read {res.rows_read:,}, accepted {res.accepted:,}, "
                f"rejected {res.rejected:,}, inserted {res.inserted:,}, updated {res.updated:,}, "
                f"unchanged {res.unchanged:,}, flagged {res.flagged:,}",
                highlight=False,
                soft_wrap=True,
            )
            for w in res.warnings:
                _err.print(f"  [yellow]warning[/yellow]: {escape(w)}", highlight=False, soft_wrap=True)

    _err.print(f"loading into {paths.pointer} …", highlight=False)
    report = run_load(
        paths,
        paths_in,
        mapping_file=mapping,
        on_file=show,
        on_step=lambda step: _err.print(step, highlight=False, style="dim"),
    )
    table = Table(title=f"load run {report.run_id} → {report.generation.name if report.generation else '-'}")
    for col in (
        "file",
        "family",
        "read",
        "accepted",
        "rejected",
        "inserted",
        "updated",
        "unchanged",
        "flagged",
        "outcome",
    ):
        table.add_column(col, justify="right" if col not in ("file", "family", "outcome") else "left")
    for r in report.results:
        table.add_row(
            escape(r.file_name),
            r.family or "?",
            *(
                f"{getattr(r, k):,}"
                for k in ("rows_read", "accepted", "rejected", "inserted", "updated", "unchanged", "flagged")
            ),
            r.outcome,
        )
    _out.print(table)
    if report.exit_code:
        failed = sum(r.failed for r in report.results)
        _err.print(
            f"[red]{failed} file(s) failed as a whole[/red]; the others loaded. See messages above.",
            soft_wrap=True,
        )
    raise typer.Exit(report.exit_code)


@app.command("status")
def status_command(
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the generation's SHA-256 against its manifest.")
    ] = False,
) -> None:
    """Show the published generation, row counts per table, the last loads and reject counts."""
    from warehouse.status import warehouse_status

    status = warehouse_status(resolve_warehouse(warehouse), verify=verify)
    if fmt == "json":
        typer.echo(json.dumps(status, default=str, indent=2))
    elif fmt == "table":
        _out.print(f"warehouse: {status['warehouse']}", highlight=False)
        _out.print(f"generation: {status['generation']}", highlight=False)
        if verify:
            _out.print(f"verify: {status['verify']}", highlight=False)
        t = Table(title="rows per table")
        t.add_column("table")
        t.add_column("rows", justify="right")
        for name, n in status["tables"].items():
            t.add_row(name, f"{n:,}")
        _out.print(t)
        loads = Table(title="last loads")
        for col in (
            "load_id",
            "file_name",
            "family",
            "rows_read",
            "accepted",
            "rejected",
            "outcome",
            "finished_at",
        ):
            loads.add_column(col)
        for row in status["last_loads"]:
            loads.add_row(
                *(
                    str(row[c])
                    for c in (
                        "load_id",
                        "file_name",
                        "family",
                        "rows_read",
                        "accepted",
                        "rejected",
                        "outcome",
                        "finished_at",
                    )
                )
            )
        _out.print(loads)
    else:
        raise UsageProblem(f"--format {fmt!r} is not one of table, json")
    if verify and not status["verify_ok"]:
        raise typer.Exit(1)


@app.command("rejects")
def rejects_command(
    load: Annotated[int | None, typer.Option("--load", help="Only this load id (default: all).")] = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows (table format).")] = 200,
) -> None:
    """List rejected rows: file, line, column, rule and values (PHI only in protected form)."""
    from warehouse.status import rejected_rows

    frame = rejected_rows(resolve_warehouse(warehouse), load)
    if fmt == "csv":
        typer.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(frame.write_json())
    elif fmt == "table":
        t = Table(title=f"rejected rows ({frame.height:,})")
        for col in ("load_id", "file_name", "line", "column_name", "rule", "message"):
            t.add_column(col)
        for row in frame.head(limit).iter_rows(named=True):
            t.add_row(
                *(str(row[c]) for c in ("load_id", "file_name", "line", "column_name", "rule", "message"))
            )
        _out.print(t)
    else:
        raise UsageProblem(f"--format {fmt!r} is not one of table, csv, json")


@app.command("demo-data")
def demo_data_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the extract files into.")],
    encounters: Annotated[int, typer.Option("--encounters", min=1)] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    dirty: Annotated[bool, typer.Option("--dirty", help="Add rows the contract rejects or flags.")] = False,
) -> None:
    """Write a realistic synthetic extract (every family) for demos, tests and benchmarks."""
    from rich.progress import Progress

    from warehouse import demo

    out.mkdir(parents=True, exist_ok=True)
    with Progress(console=_err) as progress:
        task = progress.add_task("generating", total=encounters)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        written = demo.generate(out, encounters=encounters, seed=seed, dirty=dirty, progress=tick)
    for fam, path in written.items():
        typer.echo(f"{fam}: {path}")
