"""Independent oracle: every scorecard KPI recomputed in Polars from the primer's text (him-primer.md),
not from the SQL, on a generated dataset, for several months with and without filters."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from warehouse.filters import Filters, month_end
from warehouse.scorecard import SCORECARD_KEYS, scorecard

MONTHS = ["2024-01", "2024-09", "2024-10", "2025-02", "2025-07", "2025-12", "2026-02", "2023-06"]
FILTERS = [
    {},
    {"facility": ("F1",)},
    {"patient_type": ("inpatient",)},
    {"payer": ("Aetna", "Cigna")},
    {"financial_class": ("medicare",), "service_line": ("Medicine", "Cardiology")},
    {"facility": ("F2",), "patient_type": ("outpatient", "emergency")},
    {"bill_hold_days": 0},
    {"bill_hold_days": 7, "facility": ("F3",)},
    {"facility": ("nowhere",)},
]


def _keep(frame: pl.DataFrame, f: Filters, payer_col: str = "primary_payer") -> pl.DataFrame:
    """Rows whose encounter attributes pass the filters (an empty filter passes everything)."""
    for col, values in (
        ("facility_id", f.facility),
        ("patient_type", f.patient_type),
        ("financial_class", f.financial_class),
        (payer_col, f.payer),
        ("service_line", f.service_line),
    ):
        if values:
            frame = frame.filter(pl.col(col).is_in(list(values)))
    return frame


def oracle(frames: dict[str, pl.DataFrame], msdrg: list[tuple], month: str, f: Filters) -> dict:
    first = dt.date.fromisoformat(month + "-01")
    last = month_end(first)
    enc = _keep(frames["encounters"], f)
    out: dict = {"month": month}

    # Volume: discharges by discharge_date; LOS = discharge - admit, same day counts as 1
    dis = enc.filter(pl.col("discharge_date").is_between(first, last))
    ip = dis.filter(pl.col("patient_type") == "inpatient")
    los = [max((d - a).days, 1) for a, d in zip(ip["admit_date"], ip["discharge_date"], strict=True)]
    out["discharges"] = dis.height or None
    out["inpatient_discharges"] = ip.height if dis.height else None
    out["alos_days"] = sum(los) / len(los) if los else None

    # CMI: weight of the discharge's federal FY table, or the nearest FY's table (tie: newer)
    tables = {(fy, drg): float(w) for fy, drg, _t, _m, _ty, w, _g in msdrg}
    years = sorted({fy for fy, *_ in msdrg})
    weights = []
    for d, drg in zip(ip["discharge_date"], ip["ms_drg"], strict=True):
        fy = d.year + (1 if d.month >= 10 else 0)
        table = min(years, key=lambda y: (abs(y - fy), -y))
        if drg is not None and (table, drg) in tables:
            weights.append(tables[(table, drg)])
    out["cmi"] = sum(weights) / len(weights) if weights else None

    # Denials: claims by submitted_date; payer filter = the claim's payer, others the encounter's
    claims = frames["claims"].join(frames["encounters"].drop("primary_payer"), on="encounter_id", how="left")
    claims = _keep(claims, f, payer_col="payer").filter(pl.col("submitted_date").is_between(first, last))
    denied = claims.filter(pl.col("status").is_in(["denied", "partial"]))
    out["initial_denial_rate"] = denied.height / claims.height if claims.height else None
    out["denied_amount"] = (
        float(sum(v for v in denied["denied_amount"] if v is not None)) if claims.height else None
    )
    overturned = claims.filter(pl.col("appeal_outcome") == "overturned").height
    decided = claims.filter(pl.col("appeal_outcome").is_in(["overturned", "upheld"])).height
    out["denial_overturn_rate"] = overturned / decided if decided else None

    # Productivity: activities by completed_at; hours over all activities
    acts = frames["coding_activity"].join(frames["encounters"], on="encounter_id", how="left")
    acts = _keep(acts, f).filter(pl.col("completed_at").dt.date().is_between(first, last))
    seconds = sum(
        (c - s).total_seconds() for s, c in zip(acts["started_at"], acts["completed_at"], strict=True)
    )
    coded_charts = acts.filter(pl.col("activity") == "code").height
    out["charts_coded"] = coded_charts if acts.height else None
    out["coding_hours"] = seconds / 3600 if acts.height else None
    out["charts_per_hour"] = coded_charts / (seconds / 3600) if seconds else None

    # Discharge-to-code days over encounters coded in the month
    coded = enc.filter(pl.col("coded_date").is_between(first, last) & pl.col("discharge_date").is_not_null())
    days = [(c - d).days for d, c in zip(coded["discharge_date"], coded["coded_date"], strict=True)]
    out["avg_discharge_to_code_days"] = sum(days) / len(days) if days else None

    # As-of at the month's last day D
    done = enc.filter(pl.col("discharge_date") <= last)
    uncoded = done.filter(pl.col("coded_date").is_null() | (pl.col("coded_date") > last))
    unbilled = done.filter(pl.col("final_billed_date").is_null() | (pl.col("final_billed_date") > last))
    dnfb = unbilled.filter(pl.col("discharge_date") < last - dt.timedelta(days=f.bill_hold_days))
    out["coding_backlog"] = uncoded.height if done.height else None
    out["dnfb_count"] = dnfb.height if done.height else None
    out["dnfb_amount"] = float(sum(dnfb["total_charges"])) if done.height else None

    # Code-level accuracy over audits in the month
    audits = frames["coding_audits"].join(frames["encounters"], on="encounter_id", how="left")
    audits = _keep(audits, f).filter(pl.col("audit_date").is_between(first, last))
    reviewed = audits["codes_reviewed"].sum()
    out["coding_accuracy"] = (
        1 - audits["codes_changed"].sum() / reviewed if audits.height and reviewed else None
    )
    return out


@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize(
    "filters", FILTERS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "all"
)
def test_scorecard_equals_oracle(generated, gen_con, msdrg_rows, month, filters):
    f = Filters(**filters)
    got = scorecard(month, f, con=gen_con)
    want = oracle(generated[1], msdrg_rows, month, f)
    assert list(want) == list(SCORECARD_KEYS)
    for key in SCORECARD_KEYS:
        if isinstance(want[key], float):
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=0.005 if "amount" in key else 1e-12), (
                key
            )
        else:
            assert got[key] == want[key], key


def test_oracle_dataset_exercises_the_edge_cases(generated, msdrg_rows):
    enc = generated[1]["encounters"]
    assert enc.filter(pl.col("admit_date") == pl.col("discharge_date")).height > 0  # same-day stays
    assert enc.filter(pl.col("ms_drg") == "999").height > 0  # DRG not in the table
    assert enc.filter(pl.col("discharge_date") < dt.date(2024, 10, 1)).height > 0  # FY2024: no table
    claims = generated[1]["claims"]
    assert claims.filter(pl.col("status").is_in(["denied"]) & pl.col("carc_code").is_null()).height > 0
    assert claims.filter(pl.col("appeal_outcome") == "pending").height > 0


# ---- the same oracle on the demo extract, loaded by the real loader (warehouse.demo + warehouse.load) ----

DEMO_MONTHS = ["2023-10", "2024-09", "2025-03", "2025-10", "2026-09", "2026-12"]
DEMO_FILTERS = [
    {},
    {"facility": ("FAC02",)},
    {"patient_type": ("inpatient",)},
    {"payer": ("Medicare", "State Medicaid")},
    {"financial_class": ("commercial", "managed_care"), "service_line": ("Surgery", "General Medicine")},
]


def _canonical(column: str, enum: str) -> pl.Expr:
    from warehouse.contract import ENUMS

    synonyms = {s.lower(): canon for canon, values in ENUMS[enum].items() for s in (*values, canon)}
    return pl.col(column).str.strip_chars().str.to_lowercase().replace_strict(synonyms, default=None)


def read_demo_extract(folder) -> dict[str, pl.DataFrame]:
    """The demo CSV files read with Polars alone, canonical values per the extract contract."""

    def read(name):
        return pl.read_csv(folder / f"{name}.csv", infer_schema=False)

    def date(c):
        return pl.col(c).str.to_date("%Y-%m-%d")

    def money(c):
        return pl.col(c).cast(pl.Decimal(18, 2))

    enc = read("encounters").with_columns(
        _canonical("patient_type", "patient_type"),
        _canonical("financial_class", "financial_class"),
        date("admit_date"),
        date("discharge_date"),
        date("coded_date"),
        date("final_billed_date"),
        money("total_charges"),
        pl.col("ms_drg").str.zfill(3),
    )
    claims = read("claims").with_columns(
        _canonical("status", "claim_status"),
        _canonical("appeal_outcome", "appeal_outcome"),
        date("submitted_date"),
        money("denied_amount"),
    )
    acts = read("coding_activity").with_columns(
        _canonical("activity", "activity"),
        pl.col("started_at").str.to_datetime("%Y-%m-%dT%H:%M:%S"),
        pl.col("completed_at").str.to_datetime("%Y-%m-%dT%H:%M:%S"),
    )
    audits = read("coding_audits").with_columns(
        date("audit_date"), pl.col("codes_reviewed").cast(pl.Int64), pl.col("codes_changed").cast(pl.Int64)
    )
    return {"encounters": enc, "claims": claims, "coding_activity": acts, "coding_audits": audits}


def shipped_msdrg() -> list[tuple]:
    from importlib.resources import files

    path = files("warehouse.reference") / "data" / "msdrg.csv"
    table = pl.read_csv(path.read_bytes(), infer_schema=False)
    return [
        (int(r["fiscal_year"]), r["drg"], r["title"], r["mdc"], r["drg_type"], r["weight"], r["gmlos"])
        for r in table.iter_rows(named=True)
    ]


@pytest.fixture(scope="module")
def demo_wh(tmp_path_factory):
    demo = pytest.importorskip("warehouse.demo")
    load = pytest.importorskip("warehouse.load")
    from warehouse.db import reader
    from warehouse.paths import resolve_warehouse

    folder = tmp_path_factory.mktemp("demo")
    demo.generate(folder, encounters=3000, seed=11)
    paths = resolve_warehouse(tmp_path_factory.mktemp("demo_wh") / "him.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_SECRET_KEY", "oracle-test-secret-0123456789")
        report = load.run_load(paths, [folder])
    assert report.exit_code == 0
    assert all(r.rejected == 0 for r in report.results)
    return reader(paths).cursor(), read_demo_extract(folder), shipped_msdrg()


@pytest.mark.parametrize("month", DEMO_MONTHS)
@pytest.mark.parametrize(
    "filters", DEMO_FILTERS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "all"
)
def test_scorecard_on_demo_equals_oracle(demo_wh, month, filters):
    con, frames, msdrg = demo_wh
    f = Filters(**filters)
    got = scorecard(month, f, con=con)
    want = oracle(frames, msdrg, month, f)
    for key in SCORECARD_KEYS:
        if isinstance(want[key], float):
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=0.005 if "amount" in key else 1e-12), (
                key
            )
        else:
            assert got[key] == want[key], key


def test_demo_rollups_equal_base(demo_wh):
    from polars.testing import assert_frame_equal

    from warehouse import catalog

    con = demo_wh[0]
    for month in ("2024-06", "2025-12"):
        f = Filters(month=month)
        assert_frame_equal(
            catalog.run("scorecard.trend_rollup", f, con=con), catalog.run("scorecard.trend", f, con=con)
        )
