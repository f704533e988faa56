"""``him bench`` wiring: the summary compares each figure with its target; bad options are usage errors.

The benchmark itself is not run here (it measures, it does not assert: docs/performance.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _runner():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_run"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_query_summary_separates_row_level_listings_and_marks_misses() -> None:
    run = _runner()
    rows = [
        {"query": "scorecard.monthly", "case": "month", "p95_ms": 40.0, "target_ms": 50.0, "floor_ms": 10.0},
        {"query": "drg.mix", "case": "13m", "p95_ms": 120.0, "target_ms": 100.0, "floor_ms": 30.0},
        {"query": "explorer.claims", "case": "13m", "p95_ms": 900.0, "target_ms": None, "floor_ms": 50.0},
    ]
    figures = {f.name: f for f in run.query_figures({"rows": rows})}
    worst = figures["queries: worst p95 of every named query"]
    assert (worst.value, worst.met) == (120.0, False)
    assert "1 of 2 cases over target" in worst.baseline
    assert figures["queries: scorecard for one month, p95"].met is True
    listing = figures["queries: slowest whole row-level listing (export)"]
    assert (listing.value, listing.met) == (900.0, None)


def test_load_summary_against_the_floor() -> None:
    run = _runner()
    result = {
        "encounter_rows_per_second": 250_000.0,
        "load_rows_per_second": 500_000.0,
        "load_rows": 9_000_000,
        "floor_seconds": 4.0,
        "ratio_to_floor": 4.5,
        "load_seconds": 18.0,
        "load_peak_rss_mib": 1300,
        "load_files_seconds": 11.0,
        "load_cpu_seconds": 30.0,
        "floor_cpu_seconds": 7.5,
    }
    figures = {f.name: f for f in run.load_figures(result)}
    assert figures["load: of which the files alone / read_csv"].value == 2.75
    assert figures["load: of which the files alone / read_csv"].met is None
    assert figures["load: CPU / DuckDB bare read_csv CPU"].value == 4.0
    assert figures["load: encounter rows/s (validating loader)"].met is False
    assert figures["load: wall time / DuckDB bare read_csv"].met is False
    assert figures["load: peak RSS"].met is True
    assert "2,250,000 rows/s" in figures["load: all rows/s (9 rows per encounter, wall)"].baseline


def test_unknown_part_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "bench", "--parts", "everything"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "unknown part 'everything'" in proc.stderr
    assert "Traceback" not in proc.stderr
