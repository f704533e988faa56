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
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOOR_SCRIPT = """
import sys, time, duckdb, json
con = duckdb.connect(sys.argv[1])
out = {}
for path in sys.argv[2:]:
    name = path.rsplit('/', 1)[-1].split('.')[0]
    t = time.perf_counter()
    con.execute("create or replace table t as select * from read_csv($p, header=true, all_varchar=false)", {"p": path})
    n = con.execute("select count(*) from t").fetchone()[0]
    out[name] = {"rows": n, "seconds": time.perf_counter() - t}
print(json.dumps(out))
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return wall seconds, the child's peak RSS (MiB) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) // 1024, proc.stdout


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
    status = json.loads(
        subprocess.run(
            [*him, "status", "--format", "json", "--warehouse", str(wh)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    floor_s, floor_rss, floor_out = _run(
        [sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), *map(str, files)], env
    )
    floor = json.loads(floor_out)

    per_file = {}
    for row in status["last_loads"]:
        fam = row["family"]
        if fam in per_file or row["outcome"] == "interrupted":
            continue
        per_file[fam] = row
    rows = []
    print(f"\nLoader benchmark: {args.encounters:,} demo encounters, {os.cpu_count()} cores")
    if gen_s is not None:
        print(f"demo-data generation: {gen_s:.1f} s (peak RSS {gen_rss} MiB)")
    print(f"{'family':<16}{'rows':>12}{'him load s':>12}{'rows/s':>12}{'read_csv s':>12}{'ratio':>8}")
    for fam, f in sorted(floor.items()):
        log = per_file.get(fam, {})
        # load_log has no per-file duration column in status; use the run total split by rows as fallback
        loader_rows = log.get("rows_read", f["rows"])
        rows.append({"family": fam, "rows": loader_rows, "floor_seconds": f["seconds"]})
    total_rows = sum(r["rows"] for r in rows)
    total_floor = sum(r["floor_seconds"] for r in rows)
    for r in rows:
        print(f"{r['family']:<16}{r['rows']:>12,}{'':>12}{'':>12}{r['floor_seconds']:>12.2f}{'':>8}")
    print(
        f"{'ALL':<16}{total_rows:>12,}{load_s:>12.1f}{total_rows / load_s:>12,.0f}{total_floor:>12.2f}"
        f"{load_s / total_floor:>8.1f}x"
    )
    print(
        f"peak RSS: him load {load_rss} MiB; DuckDB read_csv {floor_rss} MiB  (target: loader within 3x of read_csv)"
    )
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
