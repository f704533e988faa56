"""Benchmark: demo-data generation and the validating loader, beside DuckDB's bare ``read_csv``.

Prints, per family: rows, the loader's seconds and rows/s (from the load log), DuckDB's ``read_csv`` of
the same file into a plain table (the floor for a loader that checks nothing), and the ratio; plus the
loader's peak RSS. Usage::

    python benchmarks/load_bench.py --encounters 1000000 [--workdir /tmp/him-bench] [--json out.json]
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
    "sys.stderr.write(f'\\n__peak_rss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(rc)"
)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command in its own wrapper process; return wall seconds, its peak RSS (MiB) and stdout."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *cmd], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    peak = int(proc.stderr.rsplit("__peak_rss_kib=", 1)[1].split()[0])
    return wall, peak // 1024, proc.stdout


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="him-bench-"))
    extract = work / f"extract-{args.encounters}"
    wh = work / f"wh-{args.encounters}" / "him.duckdb"
    env = {**os.environ, "HIM_SECRET_KEY": os.environ.get("HIM_SECRET_KEY", "benchmark-secret-0123456789")}
    him = [sys.executable, "-m", "warehouse.cli"]

    gen_s = None
    if not (extract / "encounters.csv").exists():
        gen_s, gen_rss, _ = _run(
            [*him, "demo-data", "--out", str(extract), "--encounters", str(args.encounters)], env
        )
    files = sorted(p for p in extract.iterdir() if p.suffix == ".csv")
    if wh.parent.exists():
        subprocess.run(["rm", "-rf", str(wh.parent)], check=True)
    load_s, load_rss, _ = _run([*him, "load", str(extract), "--warehouse", str(wh)], env)
    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    _, floor_rss, floor_out = _run([sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), *map(str, files)], env)
    floor = json.loads(floor_out)
    per_file = json.loads(
        subprocess.run(
            [sys.executable, "-c", LOG_SCRIPT, str(wh)], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    rows = []
    print(f"\nLoader benchmark: {args.encounters:,} demo encounters, {os.cpu_count()} cores")
    if gen_s is not None:
        print(f"demo-data generation: {gen_s:.1f} s (peak RSS {gen_rss} MiB)")
    print(f"{'family':<16}{'rows':>12}{'him load s':>12}{'rows/s':>12}{'read_csv s':>12}{'ratio':>8}")
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
        print(
            f"{r['family']:<16}{r['rows']:>12,}{r['load_seconds']:>12.2f}"
            f"{r['rows'] / r['load_seconds']:>12,.0f}"
            f"{r['floor_seconds']:>12.2f}{r['load_seconds'] / r['floor_seconds']:>7.1f}x"
        )
    total_rows = sum(r["rows"] for r in rows)
    total_floor = sum(r["floor_seconds"] for r in rows)
    print(
        f"{'ALL (wall)':<16}{total_rows:>12,}{load_s:>12.1f}{total_rows / load_s:>12,.0f}{total_floor:>12.2f}"
        f"{load_s / total_floor:>7.1f}x"
    )
    print(f"peak RSS: him load {load_rss} MiB; DuckDB read_csv {floor_rss} MiB")
    print("target: validating loader within 3x of DuckDB's bare read_csv (issue 3), >= 1M rows/s (issue 7)")
    result = {
        "encounters": args.encounters,
        "generation_seconds": gen_s,
        "load_seconds": load_s,
        "load_rows": total_rows,
        "load_rows_per_second": total_rows / load_s,
        "load_peak_rss_mib": load_rss,
        "floor_seconds": total_floor,
        "floor_peak_rss_mib": floor_rss,
        "ratio_to_floor": load_s / total_floor,
        "families": rows,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
