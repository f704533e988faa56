"""Benchmark: demo-data generation and the validating loader, beside DuckDB's bare ``read_csv``.

Prints, per family: rows, the loader's seconds and rows/s (from the load log), DuckDB's ``read_csv`` of
the same file into a plain table (the floor for a loader that checks nothing), and the ratio; plus the
loader's peak RSS, and the CPU seconds (user + system) of the whole load and of the floor, which vary
less than wall time on a shared machine. ``--repeat N`` runs the load and the floor N times each
(alternating) and keeps each one's fastest run. Usage::

    python benchmarks/load_bench.py --encounters 1000000 [--workdir /tmp/him-bench] [--repeat 3] \
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

FLOOR_SCRIPT = """
import sys, time, duckdb, json
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
out = {}
for path in sys.argv[2:]:
    name = path.rsplit('/', 1)[-1].split('.')[0]
    t = time.perf_counter()
    con.execute("create or replace table t as select * from read_csv($p, header=true)", {"p": path})
    n = con.execute("select count(*) from t").fetchone()[0]
    out[name] = {"rows": n, "seconds": time.perf_counter() - t}
print(json.dumps(out))
"""


LOG_SCRIPT = """
import sys, json, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
rows = con.execute(
    "select family, rows_read, epoch(finished_at - started_at) from load_log"
    " where run_id = (select value from warehouse_info where key = 'last_run_id') and outcome <> 'failed'"
).fetchall()
print(json.dumps({f: {"rows": n, "seconds": s} for f, n, s in rows}))
"""


RSS_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "sys.stderr.write(f'\\n__peak_rss_kib={u.ru_maxrss} __cpu_s={u.ru_utime + u.ru_stime}\\n'); "
    "sys.exit(rc)"
)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str, float]:
    """Run a command in its own wrapper process; return wall seconds, peak RSS (MiB), stdout, CPU seconds."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *cmd], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    tail = proc.stderr.rsplit("__peak_rss_kib=", 1)[1].split()
    return wall, int(tail[0]) // 1024, proc.stdout, float(tail[1].split("=", 1)[1])


def run(encounters: int, workdir: Path, *, repeat: int = 1, quiet: bool = False) -> dict[str, Any]:
    """Generate (if absent) and load ``encounters`` demo encounters under ``workdir``, beside the floor.

    Leaves the loaded warehouse at ``workdir/wh-<encounters>/him.duckdb`` (reused by the other
    benchmarks). Prints the table unless ``quiet``; returns the figures.
    """
    work = workdir
    work.mkdir(parents=True, exist_ok=True)
    extract = work / f"extract-{encounters}"
    wh = work / f"wh-{encounters}" / "him.duckdb"
    env = {**os.environ, "HIM_SECRET_KEY": os.environ.get("HIM_SECRET_KEY", "benchmark-secret-0123456789")}
    him = [sys.executable, "-m", "warehouse.cli"]

    def say(*parts: Any) -> None:
        if not quiet:
            print(*parts, flush=True)

    gen_s = gen_rss = None
    if not (extract / "encounters.csv").exists():
        gen_s, gen_rss, _, _ = _run(
            [*him, "demo-data", "--out", str(extract), "--encounters", str(encounters)], env
        )
    files = sorted(p for p in extract.iterdir() if p.suffix == ".csv")
    floor_db = work / "floor.duckdb"
    load_s = load_cpu = floor_cpu = float("inf")
    load_rss = floor_rss = 0
    per_file: dict[str, dict[str, float]] = {}
    floor: dict[str, dict[str, float]] = {}
    loadavg = []
    for _ in range(max(1, repeat)):
        loadavg.append(os.getloadavg()[0])
        if wh.parent.exists():
            subprocess.run(["rm", "-rf", str(wh.parent)], check=True)
        wall, rss, _, cpu = _run([*him, "load", str(extract), "--warehouse", str(wh)], env)
        load_s, load_cpu, load_rss = min(load_s, wall), min(load_cpu, cpu), max(load_rss, rss)
        log_cmd = [sys.executable, "-c", LOG_SCRIPT, str(wh)]
        logged_out = subprocess.run(log_cmd, env=env, capture_output=True, text=True, check=True).stdout
        logged = json.loads(logged_out)
        for fam, got in logged.items():
            if fam not in per_file or got["seconds"] < per_file[fam]["seconds"]:
                per_file[fam] = got
        floor_db.unlink(missing_ok=True)
        _, rss, floor_out, cpu = _run(
            [sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), *map(str, files)], env
        )
        floor_db.unlink(missing_ok=True)
        floor_cpu, floor_rss = min(floor_cpu, cpu), max(floor_rss, rss)
        for fam, got in json.loads(floor_out).items():
            if fam not in floor or got["seconds"] < floor[fam]["seconds"]:
                floor[fam] = got
    loadavg.append(os.getloadavg()[0])
    rows = []
    say(f"\nLoader benchmark: {encounters:,} demo encounters, {os.cpu_count()} cores")
    say(
        f"runs: {max(1, repeat)} (fastest kept); 1-minute load average before each run and after: "
        + ", ".join(f"{a:.1f}" for a in loadavg)
    )
    if gen_s is not None:
        say(f"demo-data generation: {gen_s:.1f} s (peak RSS {gen_rss} MiB)")
    say(f"{'family':<16}{'rows':>12}{'him load s':>12}{'rows/s':>12}{'read_csv s':>12}{'ratio':>8}")
    for fam, f in sorted(floor.items()):
        log = per_file.get(fam, {"rows": 0, "seconds": float("nan")})
        rows.append(
            {
                "family": fam,
                "rows": log["rows"],
                "load_seconds": log["seconds"],
                "floor_seconds": f["seconds"],
            }
        )
    for r in rows:
        say(
            f"{r['family']:<16}{r['rows']:>12,}{r['load_seconds']:>12.2f}"
            f"{r['rows'] / r['load_seconds']:>12,.0f}"
            f"{r['floor_seconds']:>12.2f}{r['load_seconds'] / r['floor_seconds']:>7.1f}x"
        )
    total_rows = sum(r["rows"] for r in rows)
    total_floor = sum(r["floor_seconds"] for r in rows)
    say(
        f"{'ALL (wall)':<16}{total_rows:>12,}{load_s:>12.1f}{total_rows / load_s:>12,.0f}{total_floor:>12.2f}"
        f"{load_s / total_floor:>7.1f}x"
    )
    in_files = sum(r["load_seconds"] for r in rows)
    say(
        f"of the load's wall time: {in_files:.1f} s loading the files (sum of the rows above), "
        f"{load_s - in_files:.1f} s the rest of the run (start-up, reference data, rollups, checkpoint, "
        "verification, manifest)"
    )
    say(
        "(a file's seconds run from its first batch to its commit; files are read and validated ahead in "
        "a thread, so part of a file's reading overlaps the previous file's writes: compare the ALL row)"
    )
    say(
        f"CPU (user + system): him load {load_cpu:.1f} s; DuckDB read_csv {floor_cpu:.1f} s "
        f"({load_cpu / floor_cpu:.1f}x)"
    )
    say(f"peak RSS: him load {load_rss} MiB; DuckDB read_csv {floor_rss} MiB")
    say("target: validating loader within 3x of DuckDB's bare read_csv (issue 3), >= 1M rows/s (issue 7)")
    encounter_row = next((r for r in rows if r["family"] == "encounters"), None)
    return {
        "encounters": encounters,
        "warehouse": str(wh),
        "generation_seconds": gen_s,
        "load_seconds": load_s,
        "load_rows": total_rows,
        "load_rows_per_second": total_rows / load_s,
        "encounter_rows_per_second": (
            encounter_row["rows"] / encounter_row["load_seconds"] if encounter_row else None
        ),
        "load_peak_rss_mib": load_rss,
        "load_cpu_seconds": load_cpu,
        "floor_cpu_seconds": floor_cpu,
        "runs": max(1, repeat),
        "load_average": loadavg,
        "load_files_seconds": in_files,
        "floor_seconds": total_floor,
        "floor_peak_rss_mib": floor_rss,
        "ratio_to_floor": load_s / total_floor,
        "families": rows,
    }


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1, help="runs of the load and of the floor; fastest kept")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="him-bench-"))
    result = run(args.encounters, work, repeat=args.repeat)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
