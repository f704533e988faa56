"""``him bench``: every performance figure of issue 7 in one run, each beside its target and baseline.

Generates (or reuses) a demo extract of N encounters under the work directory, loads it with the
validating loader (beside DuckDB's bare ``read_csv``), then measures on that warehouse:

* every named query at p50 / p95 beside the bare-scan floor (``query_bench``);
* the KPI suite beside pandas + SQLite with indexes, in-memory pandas and the floor (``kpi_baselines``);
* every dashboard callback from an HTTP client logged in as each role, navigation to charts drawn in
  headless Chromium, the Explorer's first page and a streamed 1M-row CSV export, server RSS
  (``dashboard_bench``).

It prints each part's own table as it goes, then one summary table (figure, measured, target, baseline,
met?), and writes everything as JSON. Usage::

    python benchmarks/run.py --quick                       # 1M encounters, fewer repetitions (~3 min)
    python benchmarks/run.py --encounters 10000000 --workdir /data/him-bench --json bench-10m.json
    him bench --quick                                      # the same, from a source checkout

Parts can be chosen with ``--parts load,queries,kpis,dashboard``; the warehouse of an earlier run in
the same work directory is reused when ``load`` is not among them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

PARTS = ("load", "queries", "kpis", "dashboard")
DEFAULT_WORKDIR = ROOT / "data" / "bench"


@dataclass(frozen=True)
class Figure:
    """One line of the summary: what, how much, against which target and baseline."""

    name: str
    value: float | None
    unit: str
    target: str
    met: bool | None
    baseline: str = ""

    def line(self) -> str:
        """The figure as one printed row."""
        shown = "n/a" if self.value is None else f"{self.value:,.1f} {self.unit}".strip()
        mark = {True: "yes", False: "MISS", None: "-"}[self.met]
        return f"{self.name:<52} {shown:>18} {self.target:>14} {mark:>5}  {self.baseline}"


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def load_figures(r: dict[str, Any]) -> list[Figure]:
    """Summary lines of the loader part."""
    return [*_load_target_figures(r), *_load_breakdown_figures(r)]


def _load_breakdown_figures(r: dict[str, Any]) -> list[Figure]:
    """Where the loader's ratio comes from: the files alone, and CPU (no target of their own)."""
    out = []
    if r.get("load_files_seconds"):
        out.append(
            Figure(
                "load: of which the files alone / read_csv",
                r["load_files_seconds"] / r["floor_seconds"],
                "x",
                "",
                None,
                f"{r['load_files_seconds']:.1f} s; then the intermediate tables, checkpoint, checks",
            )
        )
    if r.get("load_cpu_seconds") and r.get("floor_cpu_seconds"):
        out.append(
            Figure(
                "load: CPU / DuckDB bare read_csv CPU",
                r["load_cpu_seconds"] / r["floor_cpu_seconds"],
                "x",
                "",
                None,
                f"{r['load_cpu_seconds']:.0f} s vs {r['floor_cpu_seconds']:.0f} s on {os.cpu_count()} cores",
            )
        )
    return out


def _load_target_figures(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "load: encounter rows/s (validating loader)",
            r.get("encounter_rows_per_second"),
            "rows/s",
            ">= 1,000,000",
            _at_least(r.get("encounter_rows_per_second"), 1_000_000),
        ),
        Figure(
            "load: all rows/s (9 rows per encounter, wall)",
            r["load_rows_per_second"],
            "rows/s",
            "",
            None,
            f"read_csv floor {r['load_rows'] / r['floor_seconds']:,.0f} rows/s",
        ),
        Figure(
            "load: wall time / DuckDB bare read_csv",
            r["ratio_to_floor"],
            "x",
            "<= 3x",
            _at_most(r["ratio_to_floor"], 3),
            f"{r['load_seconds']:.1f} s vs {r['floor_seconds']:.1f} s",
        ),
        Figure(
            "load: peak RSS",
            r["load_peak_rss_mib"],
            "MiB",
            "<= 4096 MiB",
            _at_most(r["load_peak_rss_mib"], 4096),
        ),
    ]


def query_figures(r: dict[str, Any]) -> list[Figure]:
    """Summary lines of the named-query part."""
    listing = [x for x in r["rows"] if x["target_ms"] is None]
    rows = [x for x in r["rows"] if x["target_ms"] is not None]
    worst = max(rows, key=lambda x: x["p95_ms"])
    worst_listing = max(listing, key=lambda x: x["p95_ms"], default=None)
    scorecard = [x for x in rows if x["query"] == "scorecard.monthly"]
    score_p95 = max((x["p95_ms"] for x in scorecard), default=None)
    over = [x for x in rows if x["p95_ms"] > x["target_ms"]]
    ratios = [x["p95_ms"] / x["floor_ms"] for x in rows if x.get("floor_ms")]
    return [
        Figure(
            "queries: worst p95 of every named query",
            worst["p95_ms"],
            "ms",
            "<= 100 ms",
            _at_most(worst["p95_ms"], 100),
            f"{worst['query']} {worst['case']}; {len(over)} of {len(rows)} cases over target",
        ),
        Figure("queries: scorecard for one month, p95", score_p95, "ms", "<= 50 ms", _at_most(score_p95, 50)),
        Figure(
            "queries: slowest whole row-level listing (export)",
            worst_listing["p95_ms"] if worst_listing else None,
            "ms",
            "",
            None,
            f"{worst_listing['query']} {worst_listing['case']}" if worst_listing else "",
        ),
        Figure(
            "queries: median p95 / bare-scan floor",
            sorted(ratios)[len(ratios) // 2] if ratios else None,
            "x",
            "",
            None,
            f"worst {max(ratios):.1f}x" if ratios else "",
        ),
    ]


def kpi_figures(r: dict[str, Any]) -> list[Figure]:
    """Summary lines of the KPI-suite part (product against pandas + SQLite, pandas and the floor)."""
    s = r.get("summary", {})
    return [
        Figure(
            "KPI suite: speed-up vs pandas + SQLite (total)",
            s.get("speedup_vs_sqlite"),
            "x",
            ">= 20x",
            _at_least(s.get("speedup_vs_sqlite"), 20),
            f"slowest KPI {s.get('min_speedup_vs_sqlite', float('nan')):.1f}x",
        ),
        Figure(
            "KPI suite: speed-up vs in-memory pandas (total)",
            s.get("speedup_vs_pandas"),
            "x",
            "> 1x",
            None if s.get("speedup_vs_pandas") is None else s["speedup_vs_pandas"] > 1,
        ),
        Figure(
            "KPI suite: time / bare-scan floor (total)",
            s.get("ratio_to_floor"),
            "x",
            "<= 3x",
            _at_most(s.get("ratio_to_floor"), 3),
            f"worst KPI {s.get('max_ratio_to_floor', float('nan')):.1f}x",
        ),
    ]


def dashboard_figures(r: dict[str, Any]) -> list[Figure]:
    """Summary lines of the dashboard part."""
    s = r.get("summary", {})
    return [
        Figure(
            "dashboard: worst callback p95 (any role)",
            s.get("callback_p95_ms"),
            "ms",
            "<= 150 ms",
            _at_most(s.get("callback_p95_ms"), 150),
            s.get("callback_worst", ""),
        ),
        Figure(
            "dashboard: slowest page, navigation to charts drawn",
            s.get("page_drawn_s"),
            "s",
            "<= 1.5 s",
            _at_most(s.get("page_drawn_s"), 1.5),
            s.get("page_worst", ""),
        ),
        Figure(
            "Explorer: first page, filtered and sorted",
            s.get("explorer_first_page_ms"),
            "ms",
            "<= 300 ms",
            _at_most(s.get("explorer_first_page_ms"), 300),
        ),
        Figure(
            "Explorer: CSV export, worker peak RSS while streaming",
            s.get("export_peak_rss_mib"),
            "MiB",
            "bounded",
            None,
            s.get("export_note", ""),
        ),
        Figure(
            "dashboard: server RSS per worker",
            s.get("worker_rss_mib"),
            "MiB",
            "<= 1536 MiB",
            _at_most(s.get("worker_rss_mib"), 1536),
        ),
    ]


def _part(name: str, fn: Callable[[], dict[str, Any]], results: dict[str, Any]) -> None:
    print(f"\n==== {name} " + "=" * (70 - len(name)), flush=True)
    started = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as exc:  # one part failing must not lose the others' figures
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"{name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
    results.setdefault("seconds", {})[name] = time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts and print the summary."""
    ap = argparse.ArgumentParser(prog="him bench", description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="1M encounters, fewer repetitions (~3 minutes)")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"default {DEFAULT_WORKDIR}")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    ap.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = ap.parse_args(argv)
    parts = [p for p in args.parts.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown part {unknown[0]!r}; use {', '.join(PARTS)}")
    if args.quick:
        args.encounters = 1_000_000
    k = 5 if args.quick else 20
    os.environ.setdefault("HIM_SECRET_KEY", "benchmark-secret-0123456789abcdef")
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "encounters": args.encounters,
        "quick": args.quick,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": os.getloadavg(),
        },
    }
    if "load" in parts:
        import load_bench

        _part("load", lambda: load_bench.run(args.encounters, work), results)
    if "queries" in parts:
        import query_bench

        _part("queries", lambda: query_bench.run(args.encounters, work, k=k), results)
    if "kpis" in parts:
        import kpi_baselines

        _part("kpis", lambda: kpi_baselines.run(args.encounters, work, k=3 if args.quick else 10), results)
    if "dashboard" in parts:
        import dashboard_bench

        _part("dashboard", lambda: dashboard_bench.run(args.encounters, work, k=k, quick=args.quick), results)
    results["machine"]["load_average_after"] = os.getloadavg()
    results["total_seconds"] = time.perf_counter() - started

    figures: list[Figure] = []
    for name, make in (
        ("load", load_figures),
        ("queries", query_figures),
        ("kpis", kpi_figures),
        ("dashboard", dashboard_figures),
    ):
        got = results.get(name)
        if got and "error" not in got:
            try:
                figures.extend(make(got))
            except (KeyError, TypeError, ValueError) as exc:
                print(f"{name}: cannot summarise: {exc}")
    print(f"\n==== summary: {args.encounters:,} encounters, {os.cpu_count()} cores " + "=" * 30)
    print(f"{'figure':<52} {'measured':>18} {'target':>14} {'met':>5}  baseline / note")
    for fig in figures:
        print(fig.line())
    failed = [n for n in PARTS if isinstance(results.get(n), dict) and "error" in results[n]]
    la = results["machine"]
    print(
        f"\ntotal {results['total_seconds']:.0f} s; load average before {la['load_average_before'][0]:.2f}, "
        f"after {la['load_average_after'][0]:.2f}"
        + (f"; FAILED parts: {', '.join(failed)}" if failed else "")
    )
    results["summary"] = [fig.__dict__ for fig in figures]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
        print(f"figures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
