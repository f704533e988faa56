"""``him bench``: the performance benchmark of docs/performance.md (``benchmarks/run.py``).

The benchmark scripts are not installed with the package (they generate gigabytes of demo data and
need a source checkout); this command runs them from the checkout the package was installed from.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from warehouse.cli import app
from warehouse.errors import UsageProblem

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def bench_command(
    ctx: typer.Context,
    encounters: Annotated[
        int, typer.Option("--encounters", help="Demo encounters to generate and load.")
    ] = 1_000_000,
    quick: Annotated[
        bool, typer.Option("--quick", help="1M encounters, fewer repetitions (~3 minutes).")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every figure to this JSON file.")
    ] = None,
) -> None:
    """Measure load, queries, KPIs against pandas + SQLite, the dashboard; each beside its target.

    Extra options go to benchmarks/run.py: --workdir DIR, --parts load,queries,kpis,dashboard.
    """
    if not RUNNER.exists():
        raise UsageProblem(
            "him bench needs a source checkout (benchmarks/ is not installed with the package): "
            "pip install -e . from a clone, then run it there"
        )
    args = [sys.executable, str(RUNNER), "--encounters", str(encounters)]
    if quick:
        args.append("--quick")
    if json_out is not None:
        args += ["--json", str(json_out)]
    args += list(ctx.args)  # --workdir, --parts
    raise typer.Exit(subprocess.run(args, check=False).returncode)
