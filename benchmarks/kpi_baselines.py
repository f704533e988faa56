"""Benchmark: the KPI suite through the product, beside pandas + SQLite, in-memory pandas and the floor.

The suite is ten KPIs of the primer as a dashboard shows them (13 months to the last complete month,
as-of figures at its last day). Each is computed four ways in the same run, on the same warehouse:

* **product**: ``catalog.run`` on a serving read-only connection (what the dashboard and ``him kpi``
  call), result as a Polars frame;
* **pandas + SQLite**: what an analyst builds instead: the base tables copied into an SQLite file with
  the indexes one would make (dates, keys), each KPI a SQL query read with ``pandas.read_sql`` plus
  pandas post-processing;
* **pandas**: the same KPIs on DataFrames already in memory (loading them is reported, not counted);
* **floor**: DuckDB's bare scan of the columns the product's query reads (``query_bench.scans``).

Every baseline's answer is checked against the product's (a mismatch is printed loudly and recorded),
so the comparison is between equal answers. Usage::

    pip install -e ".[bench]"        # pandas
    python benchmarks/kpi_baselines.py --workdir /tmp/lb --encounters 1000000 [-k 5] [--json out.json]
    python benchmarks/kpi_baselines.py --workdir /tmp/lb --quick          # 1M, k = 3

``--cap SECONDS`` (default 20) bounds the timed runs of one KPI in one way: a way whose first run is
slow runs fewer times (at least once); the table's ``runs`` column gives how many SQLite runs counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from query_bench import p95, prepare, representative, scans  # noqa: E402

from warehouse import catalog  # noqa: E402
from warehouse.db import connect_read_only  # noqa: E402

#: Base-table columns the suite reads (what the analyst copies into SQLite and pandas).
TABLES: dict[str, tuple[str, ...]] = {
    "encounters": (
        "encounter_id",
        "patient_type",
        "admit_date",
        "discharge_date",
        "ms_drg",
        "total_charges",
        "coded_date",
        "final_billed_date",
    ),
    "claims": ("claim_id", "payer", "submitted_date", "status", "billed_amount", "denied_amount"),
    "coding_activity": ("coder_id", "encounter_id", "activity", "started_at", "completed_at"),
    "coding_audits": ("audit_id", "audit_date", "codes_reviewed", "codes_changed"),
    "ref_msdrg": ("fiscal_year", "drg", "weight"),
}
INDEXES = (
    "create index ix_enc_discharge on encounters(discharge_date)",
    "create index ix_enc_coded on encounters(coded_date)",
    "create index ix_claims_submitted on claims(submitted_date)",
    "create index ix_activity_completed on coding_activity(completed_at)",
    "create index ix_audits_date on coding_audits(audit_date)",
    "create index ix_msdrg on ref_msdrg(fiscal_year, drg)",
)
BILL_HOLD_DAYS = 3


@dataclass(frozen=True)
class Kpi:
    """One KPI of the suite: the product's query and how to read its answer, and the two baselines."""

    name: str
    query: str
    params: Callable[[dict[str, Any]], dict[str, Any]]
    product: Callable[[Any], Any]  # Polars frame -> answer
    sqlite: Callable[[sqlite3.Connection, dict[str, Any]], Any]
    pandas: Callable[[dict[str, Any], dict[str, Any]], Any]


def _period(rep: dict[str, Any]) -> dict[str, Any]:
    return {"date_from": rep["from_13"], "date_to": rep["month_end"]}


def _month(rep: dict[str, Any]) -> dict[str, Any]:
    return {"date_from": rep["month"], "date_to": rep["month_end"]}


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _nearest_year(fiscal_years: list[int], available: list[int]) -> dict[int, int]:
    """The MS-DRG table year applied to each fiscal year: its own, else the nearest (a tie: newer)."""
    return {fy: min(available, key=lambda t: (abs(t - fy), -t)) for fy in fiscal_years}


# ---------------------------------------------------------------- SQLite (pandas.read_sql) versions


def _sql(con: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    import pandas as pd

    return pd.read_sql(sql, con, params=params)


def sqlite_volume(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    df = _sql(
        con,
        "select patient_type, admit_date, discharge_date from encounters "
        "where discharge_date between ? and ?",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    )
    import pandas as pd

    inp = df[df.patient_type == "inpatient"]
    los = (pd.to_datetime(inp.discharge_date) - pd.to_datetime(inp.admit_date)).dt.days.clip(lower=1)
    return (len(df), len(inp), float(los.mean()) if len(inp) else None)


def sqlite_cmi(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    import pandas as pd

    df = _sql(
        con,
        "select discharge_date, ms_drg from encounters "
        "where discharge_date between ? and ? and patient_type = 'inpatient'",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    )
    ref = _sql(con, "select fiscal_year, drg, weight from ref_msdrg", ())
    d = pd.to_datetime(df.discharge_date)
    df = df.assign(fy=d.dt.year + (d.dt.month >= 10).astype(int))
    years = _nearest_year(sorted(df.fy.unique().tolist()), sorted(ref.fiscal_year.unique().tolist()))
    df = df.assign(table_year=df.fy.map(years))
    m = df.merge(ref, left_on=["table_year", "ms_drg"], right_on=["fiscal_year", "drg"], how="inner")
    return float(m.weight.astype(float).mean()) if len(m) else None


def sqlite_denials(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    row = _sql(
        con,
        "select count(*) as n, sum(status in ('denied','partial')) as denied, "
        "sum(case when status in ('denied','partial') then denied_amount end) as amount "
        "from claims where submitted_date between ? and ?",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    ).iloc[0]
    return (int(row.n), int(row.denied), int(row.denied) / int(row.n), float(row.amount))


def sqlite_denials_by_payer(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    df = _sql(
        con,
        "select payer, status from claims where submitted_date between ? and ?",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    )
    g = df.assign(denied=df.status.isin(["denied", "partial"])).groupby("payer").denied.agg(["sum", "count"])
    return {p: (int(c), int(s) / int(c)) for p, s, c in zip(g.index, g["sum"], g["count"], strict=True)}


def sqlite_productivity(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    import pandas as pd

    df = _sql(
        con,
        "select activity, started_at, completed_at from coding_activity "
        "where completed_at >= ? and completed_at < ?",
        (_iso(r["month"]), _iso(r["month_end"] + dt.timedelta(days=1))),
    )
    hours = (pd.to_datetime(df.completed_at) - pd.to_datetime(df.started_at)).dt.total_seconds().sum() / 3600
    coded = int((df.activity == "code").sum())
    return (coded, float(hours), coded / hours if hours else None)


def sqlite_turnaround(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    import pandas as pd

    df = _sql(
        con,
        "select discharge_date, coded_date from encounters where coded_date between ? and ?",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    )
    days = (pd.to_datetime(df.coded_date) - pd.to_datetime(df.discharge_date)).dt.days
    return (len(df), float(days.mean()))


def sqlite_backlog(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    d = _iso(r["month_end"])
    row = _sql(
        con,
        "select count(*) as n from encounters "
        "where discharge_date <= ? and (coded_date is null or coded_date > ?)",
        (d, d),
    ).iloc[0]
    return int(row.n)


def sqlite_dnfb(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    d = r["month_end"]
    row = _sql(
        con,
        "select count(*) as n, sum(total_charges) as amount from encounters where discharge_date <= ? "
        "and discharge_date < ? and (final_billed_date is null or final_billed_date > ?)",
        (_iso(d), _iso(d - dt.timedelta(days=BILL_HOLD_DAYS)), _iso(d)),
    ).iloc[0]
    gross = _sql(
        con,
        "select sum(total_charges) as g from encounters where discharge_date between ? and ?",
        (_iso(d - dt.timedelta(days=89)), _iso(d)),
    ).iloc[0]
    amount = float(row.amount or 0)
    return (int(row.n), amount, amount / (float(gross.g) / 90) if gross.g else None)


def sqlite_accuracy(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    row = _sql(
        con,
        "select sum(codes_reviewed) as rv, sum(codes_changed) as ch from coding_audits "
        "where audit_date between ? and ?",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    ).iloc[0]
    return 1 - int(row.ch) / int(row.rv)


def sqlite_drg_mix(con: sqlite3.Connection, r: dict[str, Any]) -> Any:
    df = _sql(
        con,
        "select ms_drg, count(*) as n from encounters where discharge_date between ? and ? "
        "and patient_type = 'inpatient' and ms_drg is not null "
        "group by ms_drg order by n desc, ms_drg limit 10",
        (_iso(r["from_13"]), _iso(r["month_end"])),
    )
    return dict(zip(df.ms_drg, df.n.astype(int), strict=True))


# ---------------------------------------------------------------- in-memory pandas versions


def _between(s: Any, a: dt.date, b: dt.date) -> Any:
    import pandas as pd

    return (s >= pd.Timestamp(a)) & (s <= pd.Timestamp(b))


def pandas_volume(t: dict[str, Any], r: dict[str, Any]) -> Any:
    e = t["encounters"]
    df = e[_between(e.discharge_date, r["from_13"], r["month_end"])]
    inp = df[df.patient_type == "inpatient"]
    los = (inp.discharge_date - inp.admit_date).dt.days.clip(lower=1)
    return (len(df), len(inp), float(los.mean()) if len(inp) else None)


def pandas_cmi(t: dict[str, Any], r: dict[str, Any]) -> Any:
    e, ref = t["encounters"], t["ref_msdrg"]
    df = e[_between(e.discharge_date, r["from_13"], r["month_end"]) & (e.patient_type == "inpatient")]
    fy = df.discharge_date.dt.year + (df.discharge_date.dt.month >= 10).astype(int)
    years = _nearest_year(sorted(fy.unique().tolist()), sorted(ref.fiscal_year.unique().tolist()))
    df = df[["ms_drg"]].assign(table_year=fy.map(years))
    m = df.merge(ref, left_on=["table_year", "ms_drg"], right_on=["fiscal_year", "drg"], how="inner")
    return float(m.weight.mean()) if len(m) else None


def pandas_denials(t: dict[str, Any], r: dict[str, Any]) -> Any:
    c = t["claims"]
    df = c[_between(c.submitted_date, r["from_13"], r["month_end"])]
    denied = df.status.isin(["denied", "partial"])
    return (len(df), int(denied.sum()), int(denied.sum()) / len(df), float(df.denied_amount[denied].sum()))


def pandas_denials_by_payer(t: dict[str, Any], r: dict[str, Any]) -> Any:
    c = t["claims"]
    df = c[_between(c.submitted_date, r["from_13"], r["month_end"])]
    g = df.assign(denied=df.status.isin(["denied", "partial"])).groupby("payer").denied.agg(["sum", "count"])
    return {p: (int(n), int(s) / int(n)) for p, s, n in zip(g.index, g["sum"], g["count"], strict=True)}


def pandas_productivity(t: dict[str, Any], r: dict[str, Any]) -> Any:
    import pandas as pd

    a = t["coding_activity"]
    lo, hi = pd.Timestamp(r["month"]), pd.Timestamp(r["month_end"] + dt.timedelta(days=1))
    df = a[(a.completed_at >= lo) & (a.completed_at < hi)]
    hours = (df.completed_at - df.started_at).dt.total_seconds().sum() / 3600
    coded = int((df.activity == "code").sum())
    return (coded, float(hours), coded / hours if hours else None)


def pandas_turnaround(t: dict[str, Any], r: dict[str, Any]) -> Any:
    e = t["encounters"]
    df = e[_between(e.coded_date, r["from_13"], r["month_end"])]
    return (len(df), float((df.coded_date - df.discharge_date).dt.days.mean()))


def pandas_backlog(t: dict[str, Any], r: dict[str, Any]) -> Any:
    import pandas as pd

    e, d = t["encounters"], pd.Timestamp(r["month_end"])
    return int(((e.discharge_date <= d) & (e.coded_date.isna() | (e.coded_date > d))).sum())


def pandas_dnfb(t: dict[str, Any], r: dict[str, Any]) -> Any:
    import pandas as pd

    e, d = t["encounters"], pd.Timestamp(r["month_end"])
    held = d - pd.Timedelta(days=BILL_HOLD_DAYS)
    mask = (e.discharge_date < held) & (e.final_billed_date.isna() | (e.final_billed_date > d))
    amount = float(e.total_charges[mask].sum())
    gross = float(
        e.total_charges[_between(e.discharge_date, r["month_end"] - dt.timedelta(days=89), d)].sum()
    )
    return (int(mask.sum()), amount, amount / (gross / 90) if gross else None)


def pandas_accuracy(t: dict[str, Any], r: dict[str, Any]) -> Any:
    a = t["coding_audits"]
    df = a[_between(a.audit_date, r["from_13"], r["month_end"])]
    return 1 - int(df.codes_changed.sum()) / int(df.codes_reviewed.sum())


def pandas_drg_mix(t: dict[str, Any], r: dict[str, Any]) -> Any:
    e = t["encounters"]
    df = e[
        _between(e.discharge_date, r["from_13"], r["month_end"])
        & (e.patient_type == "inpatient")
        & e.ms_drg.notna()
    ]
    counts = (
        df.groupby("ms_drg")
        .size()
        .reset_index(name="n")
        .sort_values(["n", "ms_drg"], ascending=[False, True])
    )
    return dict(zip(counts.ms_drg.head(10), counts.n.head(10).astype(int), strict=True))


# ---------------------------------------------------------------- the product's answers


def _row(frame: Any) -> dict[str, Any]:
    return frame.row(0, named=True) if frame.height else {}


def product_drg_mix(frame: Any) -> Any:
    top = frame.filter(frame["ms_drg"].is_not_null()).sort(["discharges", "ms_drg"], descending=[True, False])
    return dict(zip(top["ms_drg"].head(10).to_list(), top["discharges"].head(10).to_list(), strict=True))


SUITE: tuple[Kpi, ...] = (
    Kpi(
        "discharges, inpatient, ALOS (13 months)",
        "demographics.volume",
        _period,
        lambda f: tuple(_row(f).get(k) for k in ("discharges", "inpatient_discharges", "alos_days")),
        sqlite_volume,
        pandas_volume,
    ),
    Kpi("CMI (13 months)", "drg.cmi", _period, lambda f: _row(f).get("cmi"), sqlite_cmi, pandas_cmi),
    Kpi(
        "initial denial rate, denied $ (13 months)",
        "denials.summary",
        _period,
        lambda f: (
            _row(f)["claims_submitted"],
            _row(f)["claims_denied"],
            _row(f)["initial_denial_rate"],
            float(_row(f)["denied_amount"]),
        ),
        sqlite_denials,
        pandas_denials,
    ),
    Kpi(
        "denial rate by payer (13 months)",
        "denials.by_payer",
        _period,
        lambda f: {
            r["payer"]: (r["claims_submitted"], r["initial_denial_rate"]) for r in f.iter_rows(named=True)
        },
        sqlite_denials_by_payer,
        pandas_denials_by_payer,
    ),
    Kpi(
        "charts coded, hours, charts/hour (month)",
        "coding.productivity_summary",
        _month,
        lambda f: tuple(_row(f).get(k) for k in ("charts_coded", "coding_hours", "charts_per_hour")),
        sqlite_productivity,
        pandas_productivity,
    ),
    Kpi(
        "discharge-to-code days (13 months)",
        "coding.turnaround",
        _period,
        lambda f: (_row(f).get("encounters_coded"), _row(f).get("avg_discharge_to_code_days")),
        sqlite_turnaround,
        pandas_turnaround,
    ),
    Kpi(
        "coding backlog at month end",
        "operations.coding_backlog",
        lambda r: {"as_of": r["month_end"]},
        lambda f: _row(f).get("backlog_count"),
        sqlite_backlog,
        pandas_backlog,
    ),
    Kpi(
        "DNFB count, $, days at month end",
        "operations.dnfb",
        lambda r: {"as_of": r["month_end"], "bill_hold_days": BILL_HOLD_DAYS},
        lambda f: (_row(f)["dnfb_count"], float(_row(f)["dnfb_amount"] or 0), _row(f)["dnfb_days"]),
        sqlite_dnfb,
        pandas_dnfb,
    ),
    Kpi(
        "code-level accuracy (13 months)",
        "coding.accuracy",
        _period,
        lambda f: _row(f).get("code_accuracy_rate"),
        sqlite_accuracy,
        pandas_accuracy,
    ),
    Kpi("DRG mix, top 10 (13 months)", "drg.mix", _period, product_drg_mix, sqlite_drg_mix, pandas_drg_mix),
)


def same(a: Any, b: Any) -> bool:
    """Equal answers: numbers to 1e-9 relative, containers element by element."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _timed(fn: Callable[[], Any], k: int, cap_s: float) -> tuple[list[float], Any]:
    """Milliseconds of up to k runs after a first (warm-up) run; fewer when the runs are slow."""
    t = time.perf_counter()
    answer = fn()
    first = time.perf_counter() - t
    runs = max(1, min(k, int(cap_s / max(first, 1e-6))))
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out, answer


def _sqlite_select(duck: Any, table: str) -> str:
    """The table's suite columns as SQLite stores them: dates and times as ISO text, money as REAL."""
    types = dict(duck.cursor().sql(f"select column_name, column_type from (describe {table})").fetchall())  # noqa: S608
    parts = []
    for col in TABLES[table]:
        kind = types[col].upper()
        if kind.startswith(("DATE", "TIMESTAMP")):
            parts.append(f"cast({col} as varchar) as {col}")
        elif kind.startswith("DECIMAL"):
            parts.append(f"cast({col} as double) as {col}")
        else:
            parts.append(col)
    return f"select {', '.join(parts)} from {table}"  # noqa: S608 (names from TABLES)


def build_sqlite(duck: Any, path: Path) -> float:
    """Copy the suite's columns of the base tables into an indexed SQLite file; return seconds."""
    t = time.perf_counter()
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    for table, cols in TABLES.items():
        con.execute(f"create table {table} ({', '.join(cols)})")
        reader = duck.cursor().sql(_sqlite_select(duck, table)).to_arrow_reader(500_000)
        for batch in reader:
            df = batch.to_pandas()
            df.to_sql(table, con, if_exists="append", index=False, chunksize=100_000)
    for stmt in INDEXES:
        con.execute(stmt)
    con.commit()
    con.execute("analyze")
    con.close()
    return time.perf_counter() - t


def load_pandas(duck: Any) -> tuple[dict[str, Any], float]:
    """The suite's tables as pandas DataFrames (dates as datetime64, money as float); seconds."""
    import pandas as pd

    t = time.perf_counter()
    frames: dict[str, Any] = {}
    for table, cols in TABLES.items():
        df = duck.cursor().sql(f"select {', '.join(cols)} from {table}").to_arrow_table().to_pandas()  # noqa: S608
        for c in df.columns:
            if c.endswith(("_date",)) or c in ("started_at", "completed_at"):
                df[c] = pd.to_datetime(df[c])
            elif c in ("total_charges", "billed_amount", "denied_amount", "weight"):
                df[c] = df[c].astype(float)
        frames[table] = df
    return frames, time.perf_counter() - t


def run(
    encounters: int, workdir: Path, *, k: int = 10, cap_s: float = 20.0, quiet: bool = False
) -> dict[str, Any]:
    """Measure the suite four ways on the demo warehouse of ``encounters`` under ``workdir``."""
    import pandas as pd  # noqa: F401  (fail early with a clear message when the extra is missing)

    def say(*parts: Any) -> None:
        if not quiet:
            print(*parts, flush=True)

    gen, _ = prepare(workdir, encounters, reload=False)
    duck = connect_read_only(gen).cursor()
    rep = representative(duck)
    load_before = os.getloadavg()
    sqlite_path = workdir / f"sqlite-{encounters}.db"
    say(f"building the analyst's SQLite copy at {sqlite_path} ...")
    sqlite_s = build_sqlite(duck, sqlite_path)
    frames, pandas_load_s = load_pandas(duck)
    lite = sqlite3.connect(sqlite_path)
    say(
        f"KPI suite at {encounters:,} encounters; 13 months from {rep['from_13']} to {rep['month_end']}; "
        f"SQLite build {sqlite_s:.1f} s (indexed), pandas load {pandas_load_s:.1f} s"
    )
    header = (
        f"{'KPI':<44} {'product p50/p95 ms':>19} {'floor':>7} {'x floor':>8} {'pandas ms':>10} "
        f"{'SQLite ms':>10} {'runs':>5} {'vs pandas':>10} {'vs SQLite':>10}  same?"
    )
    say(header)
    say("-" * len(header))
    rows = []
    for kpi in SUITE:
        params = kpi.params(rep)
        query = catalog.get(kpi.query)
        prod_ms, frame = _timed(lambda q=kpi.query, p=params: catalog.run(q, p, con=duck.cursor()), k, cap_s)
        floor = 0.0
        for table, cols in scans(duck, query.sql, query.bind(params)):
            sql = f'select count(*), sum(hash({", ".join(cols)})) from "{table}"'  # noqa: S608
            floor += statistics.median(_timed(lambda s=sql: duck.cursor().sql(s).fetchall(), 5, cap_s)[0])
        pandas_ms, pandas_answer = _timed(lambda f=kpi.pandas: f(frames, rep), k, cap_s)
        sqlite_ms, sqlite_answer = _timed(lambda f=kpi.sqlite: f(lite, rep), k, cap_s)
        answer = kpi.product(frame)
        ok = same(answer, pandas_answer) and same(answer, sqlite_answer)
        row = {
            "kpi": kpi.name,
            "query": kpi.query,
            "product_p50_ms": statistics.median(prod_ms),
            "product_p95_ms": p95(prod_ms),
            "floor_ms": floor,
            "pandas_ms": statistics.median(pandas_ms),
            "sqlite_ms": statistics.median(sqlite_ms),
            "product_runs": len(prod_ms),
            "pandas_runs": len(pandas_ms),
            "sqlite_runs": len(sqlite_ms),
            "same_answer": ok,
        }
        if not ok:
            row["answers"] = {
                "product": repr(answer),
                "pandas": repr(pandas_answer),
                "sqlite": repr(sqlite_answer),
            }
        rows.append(row)
        p50 = row["product_p50_ms"]
        say(
            f"{kpi.name:<44} {p50:9.1f}/{row['product_p95_ms']:<9.1f} {floor:7.1f} {p50 / floor:7.1f}x "
            f"{row['pandas_ms']:10.1f} {row['sqlite_ms']:10.1f} {len(sqlite_ms):5d} "
            f"{row['pandas_ms'] / p50:9.1f}x "
            f"{row['sqlite_ms'] / p50:9.1f}x  {'yes' if ok else 'NO: ' + repr(row.get('answers'))}"
        )
    lite.close()
    total = {
        key: sum(r[key] for r in rows) for key in ("product_p50_ms", "floor_ms", "pandas_ms", "sqlite_ms")
    }
    summary = {
        "speedup_vs_sqlite": total["sqlite_ms"] / total["product_p50_ms"],
        "min_speedup_vs_sqlite": min(r["sqlite_ms"] / r["product_p50_ms"] for r in rows),
        "speedup_vs_pandas": total["pandas_ms"] / total["product_p50_ms"],
        "min_speedup_vs_pandas": min(r["pandas_ms"] / r["product_p50_ms"] for r in rows),
        "ratio_to_floor": total["product_p50_ms"] / total["floor_ms"],
        "max_ratio_to_floor": max(r["product_p50_ms"] / r["floor_ms"] for r in rows if r["floor_ms"]),
        "all_same": all(r["same_answer"] for r in rows),
    }
    say(
        f"{'suite total':<44} {total['product_p50_ms']:9.1f}{'':10} {total['floor_ms']:7.1f} "
        f"{summary['ratio_to_floor']:7.1f}x {total['pandas_ms']:10.1f} {total['sqlite_ms']:10.1f} {'':5} "
        f"{summary['speedup_vs_pandas']:9.1f}x {summary['speedup_vs_sqlite']:9.1f}x  "
        f"{'all equal' if summary['all_same'] else 'MISMATCH'}"
    )
    load_after = os.getloadavg()
    say("targets: >= 20x faster than pandas + SQLite, faster than pandas, within 3x of the floor")
    say(
        f"k = {k}, cap {cap_s:g} s per KPI and way; 1-minute load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after ({os.cpu_count()} cores)"
    )
    return {
        "encounters": encounters,
        "k": k,
        "cap_seconds": cap_s,
        "loadavg": [load_before, load_after],
        "params": {key: str(v) for key, v in rep.items()},
        "sqlite_build_seconds": sqlite_s,
        "pandas_load_seconds": pandas_load_s,
        "rows": rows,
        "totals_ms": total,
        "summary": summary,
    }


def main() -> None:
    """Run the suite and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/him-bench"))
    ap.add_argument("-k", type=int, default=10, help="timed runs per KPI and way (fewer when slow)")
    ap.add_argument("--quick", action="store_true", help="1M encounters, k = 3")
    ap.add_argument(
        "--cap",
        type=float,
        default=20.0,
        help="seconds of timed runs per KPI and way (a slow way runs fewer)",
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.encounters, args.k = 1_000_000, 3
    result = run(args.encounters, args.workdir, k=args.k, cap_s=args.cap)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
