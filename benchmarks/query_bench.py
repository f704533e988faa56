"""Benchmark: every named KPI query at p50 / p95 beside its target and beside DuckDB's bare-scan floor.

Generates (or reuses) a demo extract of N encounters with ``python -m warehouse.cli demo-data``, loads
it with ``python -m warehouse.cli load`` (timed), then runs every query of the catalog through
``catalog.run`` on a serving (read-only) connection with representative parameters: one month and a
13-month range (``grain = month``; trends also a 13-month range ending on the month's 15th, which takes
their path for a last period that ends inside a month), an as-of date at the month's last day, each
without and with a facility filter. Each case runs ``k`` times after one warm-up run.

The floor of a case is DuckDB's bare scan of the columns its plan reads: for every table scan in
``EXPLAIN`` (the projected columns and the columns of the filters pushed into the scan),
``select count(*), sum(hash(columns)) from table`` without any filter, summed over the scans; it is
measured in the same run. A query may beat its floor when zone maps let it skip row groups.

Targets (issue 7, at 10M encounters on 2 cores): every query p95 <= 100 ms, the monthly scorecard
<= 50 ms. Usage::

    python benchmarks/query_bench.py --quick                      # 1M encounters, k = 10
    python benchmarks/query_bench.py --encounters 10000000 --workdir /data/him-bench --json out.json
    python benchmarks/query_bench.py --quick --only scorecard.,operations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse import catalog  # noqa: E402
from warehouse.db import connect_read_only, published_generation  # noqa: E402
from warehouse.filters import month_end  # noqa: E402
from warehouse.paths import WarehousePaths  # noqa: E402

TARGET_MS = 100.0
SCORECARD_TARGET_MS = 50.0
#: Row-level listings (every matching row, for exports and the Explorer's counts): timed here for the
#: record, but the interactive target applies to the Explorer's first page (dashboard_bench), not to
#: fetching a whole 13-month table.
ROW_LEVEL_PREFIXES = ("explorer.",)
#: Explorer queries that aggregate (held to the query target like the KPIs).
EXPLORER_AGGREGATES = frozenset({"explorer.fact_counts"})
#: Timed runs of a row-level listing (each fetches up to millions of rows).
ROW_LEVEL_RUNS = 3
#: Queries held to the scorecard target ("the scorecard for one month").
SCORECARD_QUERIES = ("scorecard.monthly",)


def _him(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "warehouse.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def prepare(work: Path, encounters: int, *, reload: bool) -> tuple[Path, float | None]:
    """Generate and load the demo when absent (or when ``reload``); return (generation, load seconds)."""
    secret = os.environ.get("HIM_SECRET_KEY", "benchmark-secret-0123456789abcdef")
    env = {**os.environ, "HIM_SECRET_KEY": secret}
    extract = work / f"extract-{encounters}"
    paths = WarehousePaths(work / f"wh-{encounters}" / "him.duckdb")
    if not (extract / "encounters.csv").exists():
        print(f"generating {encounters:,} encounters into {extract} ...", flush=True)
        _him(["demo-data", "--out", str(extract), "--encounters", str(encounters)], env)
    load_seconds = None
    if reload or published_generation(paths) is None:
        paths.pointer.parent.mkdir(parents=True, exist_ok=True)
        print(f"loading {extract} into {paths.pointer} ...", flush=True)
        load_seconds = _him(["load", str(extract), "--warehouse", str(paths.pointer)], env)
    gen = published_generation(paths)
    assert gen is not None
    return gen, load_seconds


def representative(con: Any) -> dict[str, Any]:
    """The month (the last complete month with discharges), its as-of date and the largest facility."""
    last, facility = con.sql(
        "select max(discharge_date), "
        "(select facility_id from encounters group by 1 order by count(*) desc, 1 limit 1) from encounters"
    ).fetchall()[0]
    month = last.replace(day=1)
    if month_end(month) != last:  # the data ends inside that month: take the month before
        month = (month - dt.timedelta(days=1)).replace(day=1)
    year_ago = (month.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    return {"month": month, "month_end": month_end(month), "from_13": year_ago, "facility": facility}


def cases(query: catalog.Query, rep: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, params) of the cases a query is measured in, from the parameters it declares."""
    names = set(query.param_names)
    base: dict[str, Any] = {}
    if "grain" in names:
        base["grain"] = "month"
    if "bill_hold_days" in names:
        base["bill_hold_days"] = 3
    if "as_of" in names:
        base["as_of"] = rep["month_end"]
    if "month" in names:
        base["month"] = rep["month"]
    periods: list[tuple[str, dict[str, Any]]] = [("", {})]
    if "date_from" in names:
        periods = [
            ("1m", {"date_from": rep["month"], "date_to": rep["month_end"]}),
            ("13m", {"date_from": rep["from_13"], "date_to": rep["month_end"]}),
        ]
        if "grain" in names:  # a trend whose last period ends inside a month (its own path in the SQL)
            mid = rep["month"].replace(day=15)
            periods.append(("13m-mid", {"date_from": rep["from_13"], "date_to": mid}))
    elif "as_of" in names:
        periods = [("asof", {})]
    elif "month" in names:
        periods = [("month", {})]
    filters = [("", {})]
    if "facility" in names:
        filters.append(("+fac", {"facility": [rep["facility"]]}))
    for plabel, pparams in periods:
        for flabel, fparams in filters:
            label = (plabel + flabel) or "-"
            yield label, {**base, **pparams, **fparams}


def scans(con: Any, sql: str, params: dict[str, Any]) -> set[tuple[str, tuple[str, ...]]]:
    """(table, columns) of every table scan in the query's physical plan."""
    plan = json.loads(con.sql("explain (format json) " + sql, params=params).fetchall()[0][1])
    found: set[tuple[str, tuple[str, ...]]] = set()

    def walk(node: dict[str, Any]) -> None:
        info = node.get("extra_info") or {}
        if isinstance(info, dict) and "Table" in info:
            table = str(info["Table"]).rsplit(".", 1)[-1].strip('"')
            cols = info.get("Projections") or []
            cols = [cols] if isinstance(cols, str) else list(cols)
            filters = info.get("Filters") or ""
            filters = " ".join(filters) if isinstance(filters, list) else str(filters)
            known = [
                r[0]
                for r in con.sql(
                    "select column_name from duckdb_columns() where table_name = $t", params={"t": table}
                ).fetchall()
            ]
            cols += [c for c in known if c in filters.replace('"', " ").replace("(", " ").split()]
            cols = sorted({c for c in cols if c in known}) or known[:1]
            found.add((table, tuple(cols)))
        for child in node.get("children", []):
            walk(child)

    for root in plan:
        walk(root)
    return found


def timed(fn: Any, k: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds of ``k`` calls after one warm-up call (their CPU milliseconds into ``cpu``)."""
    fn()
    out = []
    for _ in range(k):
        c = time.process_time()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c) * 1000)
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered) + 0.5) - 1)]


def run(
    encounters: int, workdir: Path, *, k: int = 20, reload: bool = False, only: str = "", quiet: bool = False
) -> dict[str, Any]:
    """Measure every named query (or those whose names start with one of ``only``'s prefixes).

    Generates and loads the demo under ``workdir`` when absent. Prints the table unless ``quiet``.
    """
    work = workdir
    work.mkdir(parents=True, exist_ok=True)

    def say(*parts: Any, **kw: Any) -> None:
        if not quiet:
            print(*parts, **kw)

    gen, load_seconds = prepare(work, encounters, reload=reload)
    con = connect_read_only(gen).cursor()  # the serving settings; a cursor per call below
    rep = representative(con)
    prefixes = tuple(p for p in only.split(",") if p)
    names = [n for n in sorted(catalog.queries()) if not prefixes or n.startswith(prefixes)]
    load_before = os.getloadavg()
    threads = con.sql("select current_setting('threads')").fetchall()[0][0]
    say(
        f"warehouse {gen} ({gen.stat().st_size / 1e6:,.0f} MB), {encounters:,} encounters, "
        f"duckdb threads {threads}, k = {k}"
    )
    if load_seconds is not None:
        say(f"load: {load_seconds:.1f} s")
    say(
        f"month {rep['month']:%Y-%m}, 13 months from {rep['from_13']}, as_of {rep['month_end']}, "
        f"facility filter {rep['facility']}; load average {load_before[0]:.2f} {load_before[1]:.2f}"
    )
    say()
    header = (
        f"{'query':<44} {'case':<9} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'floor':>7} {'p95/floor':>9}"
        f" {'cpu ms':>7}"
    )
    say(header)
    say("-" * len(header))
    floors: dict[tuple[str, tuple[str, ...]], float] = {}
    rows = []
    for name in names:
        query = catalog.get(name)
        target: float | None = SCORECARD_TARGET_MS if name in SCORECARD_QUERIES else TARGET_MS
        if name.startswith(ROW_LEVEL_PREFIXES) and name not in EXPLORER_AGGREGATES:
            target = None
        for label, params in cases(query, rep):
            bound = query.bind(params)
            cpu: list[float] = []
            runs = k if target is not None else min(k, ROW_LEVEL_RUNS)
            times = timed(lambda: catalog.run(name, params, con=con.cursor()), runs, cpu)  # noqa: B023
            floor = 0.0
            for scan in scans(con, query.sql, bound):
                if scan not in floors:
                    table, cols = scan
                    sql = f'select count(*), sum(hash({", ".join(cols)})) from "{table}"'  # noqa: S608
                    floors[scan] = statistics.median(timed(lambda s=sql: con.cursor().sql(s).fetchall(), 5))
                floor += floors[scan]
            row = {
                "query": name,
                "case": label,
                "p50_ms": statistics.median(times),
                "p95_ms": p95(times),
                "target_ms": target,
                "floor_ms": floor,
                "cpu_ms": statistics.median(cpu),
            }
            rows.append(row)
            mark = "  (row-level)" if target is None else "" if row["p95_ms"] <= target else "  MISS"
            ratio = row["p95_ms"] / floor if floor else float("nan")
            shown_target = f"{target:7.0f}" if target is not None else f"{'-':>7}"
            say(
                f"{name:<44} {label:<9} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {shown_target} "
                f"{floor:7.1f} {ratio:9.1f} {row['cpu_ms']:7.1f}{mark}",
                flush=True,
            )
    load_after = os.getloadavg()
    misses = [r for r in rows if r["target_ms"] is not None and r["p95_ms"] > r["target_ms"]]
    worst = max(rows, key=lambda r: r["p95_ms"])
    say()
    say(
        f"{len(rows)} cases of {len(names)} queries; {len(misses)} over target; worst p95 "
        f"{worst['p95_ms']:.1f} ms ({worst['query']} {worst['case']}); "
        f"load average {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    result = {
        "encounters": encounters,
        "k": k,
        "load_seconds": load_seconds,
        "loadavg": [load_before, load_after],
        "params": {key: str(v) for key, v in rep.items()},
        "rows": rows,
    }
    return result


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="1M encounters, k = 10")
    ap.add_argument("-k", type=int, default=20, help="timed runs per case")
    ap.add_argument("--workdir", type=Path, default=None, help="reuse the extract and warehouse kept here")
    ap.add_argument("--reload", action="store_true", help="load again even when the warehouse exists")
    ap.add_argument("--only", default="", help="comma-separated query-name prefixes")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.encounters, args.k = 1_000_000, 10
    work = args.workdir or Path(tempfile.mkdtemp(prefix="him-query-bench-"))
    result = run(args.encounters, work, k=args.k, reload=args.reload, only=args.only)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
