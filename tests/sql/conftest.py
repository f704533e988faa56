"""Tiny hand-made warehouses for the KPI query tests.

``wh`` is a real DuckDB file in tmp_path created with ``warehouse/schema.sql``, with a hand-written
MS-DRG table (FY2025 and FY2026 only), the age bands, a few CARC codes and the restricted ZIP3 list.
Tests add rows with ``wh.enc(...)``, ``wh.claim(...)``, ``wh.act(...)``, ``wh.audit(...)`` and run
queries through the real catalog with ``wh.run(name, **filters)``, which first rebuilds the
intermediate tables and rollups (``warehouse.rollups.build``, as a load does) when rows were added.
A query run on ``wh.con`` directly reads the tables of the last build, or before any build the schema's
``int_*`` views (which are always current).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from warehouse import catalog, rollups
from warehouse.filters import Filters
from warehouse.load import schema_sql

# fiscal_year, drg, title, mdc, drg_type, weight, gmlos
MSDRG_ROWS = [
    (2025, "193", "SIMPLE PNEUMONIA AND PLEURISY WITH MCC", "04", "medical", "1.2000", "4.0"),
    (2025, "194", "SIMPLE PNEUMONIA AND PLEURISY WITH CC", "04", "medical", "0.8000", "3.0"),
    (2025, "195", "SIMPLE PNEUMONIA AND PLEURISY WITHOUT CC/MCC", "04", "medical", "0.6000", "2.5"),
    (2025, "470", "MAJOR HIP AND KNEE JOINT REPLACEMENT WITHOUT MCC", "08", "surgical", "2.0000", "2.0"),
    (2026, "193", "SIMPLE PNEUMONIA AND PLEURISY WITH MCC", "04", "medical", "1.3000", "4.0"),
    (2026, "194", "SIMPLE PNEUMONIA AND PLEURISY WITH CC", "04", "medical", "0.9000", "3.0"),
    (2026, "195", "SIMPLE PNEUMONIA AND PLEURISY WITHOUT CC/MCC", "04", "medical", "0.7000", "2.5"),
    (2026, "470", "MAJOR HIP AND KNEE JOINT REPLACEMENT WITHOUT MCC", "08", "surgical", "2.1000", "2.0"),
]
AGE_BANDS = [
    ("0-17", 0, 17, 1),
    ("18-44", 18, 44, 2),
    ("45-64", 45, 64, 3),
    ("65-74", 65, 74, 4),
    ("75-89", 75, 89, 5),
    ("90+", 90, 150, 6),
]
CARC_ROWS = [("4", "coding"), ("16", "documentation"), ("50", "medical_necessity"), ("197", "authorization")]
RESTRICTED_ZIP3 = ["036", "059", "102"]


def create_warehouse(path: Path, *, msdrg: bool = True) -> duckdb.DuckDBPyConnection:
    """Create an empty warehouse file with reference data; return a read-write connection."""
    con = duckdb.connect(str(path))
    con.execute(schema_sql())
    if msdrg:
        con.executemany(
            "insert into ref_msdrg (fiscal_year, drg, title, mdc, drg_type, weight, gmlos, amlos, source) "
            "values (?, ?, ?, ?, ?, ?, ?, null, 'test')",
            MSDRG_ROWS,
        )
    con.executemany("insert into ref_age_band values (?, ?, ?, ?)", AGE_BANDS)
    con.executemany("insert into ref_carc values (?, ?)", CARC_ROWS)
    con.executemany("insert into ref_restricted_zip3 values (?)", [(z,) for z in RESTRICTED_ZIP3])
    return con


class Wh:
    """A tiny warehouse under construction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = create_warehouse(path)
        self.stale = False  # rows were added since the last rollups.build

    def enc(
        self,
        eid: str,
        *,
        facility: str = "F1",
        ptype: str = "inpatient",
        admit: str = "2025-03-01",
        discharge: str | None = "2025-03-03",
        age: int = 50,
        sex: str | None = "F",
        race: str | None = "White",
        ethnicity: str | None = "Not Hispanic or Latino",
        zip3: str | None = "100",
        payer: str = "Medicare",
        fc: str = "medicare",
        service_line: str | None = "Medicine",
        drg: str | None = None,
        charges: str = "1000.00",
        coded: str | None = None,
        billed: str | None = None,
        patient: str = "p",
    ) -> None:
        """Insert one encounter."""
        self.stale = True
        self.con.execute(
            "insert into encounters values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, 1)",
            [
                eid,
                patient,
                facility,
                ptype,
                admit,
                discharge,
                min(age, 90),
                age >= 90,
                sex,
                race,
                ethnicity,
                zip3,
                payer,
                fc,
                None,
                service_line,
                drg,
                Decimal(charges),
                coded,
                billed,
            ],
        )

    def claim(
        self,
        cid: str,
        eid: str,
        *,
        payer: str = "Medicare",
        submitted: str = "2025-03-10",
        billed: str = "1000.00",
        status: str = "paid",
        denied: str | None = None,
        carc: str | None = None,
        denial_date: str | None = None,
        appeal_date: str | None = None,
        outcome: str | None = None,
        recovered: str | None = None,
    ) -> None:
        """Insert one claim."""
        self.stale = True
        self.con.execute(
            "insert into claims values (?, ?, ?, ?, ?, ?, null, ?, ?, ?, null, ?, ?, ?, ?, 1)",
            [
                cid,
                eid,
                payer,
                submitted,
                Decimal(billed),
                status,
                denial_date,
                "CO" if carc else None,
                carc,
                Decimal(denied) if denied else None,
                appeal_date,
                outcome,
                Decimal(recovered) if recovered else None,
            ],
        )

    def act(
        self,
        coder: str,
        eid: str,
        *,
        chart_type: str = "inpatient",
        activity: str = "code",
        start: str = "2025-03-05 09:00:00",
        minutes: float = 30,
    ) -> None:
        """Insert one coding activity of ``minutes`` starting at ``start``."""
        self.stale = True
        started = dt.datetime.fromisoformat(start)
        completed = started + dt.timedelta(minutes=minutes)
        self.con.execute(
            "insert into coding_activity values (?, ?, ?, ?, ?, ?, 1)",
            [coder, eid, chart_type, activity, started, completed],
        )

    def audit(
        self,
        aid: str,
        eid: str,
        *,
        coder: str = "C1",
        date: str = "2025-03-20",
        reviewed: int = 10,
        changed: int = 1,
        original: str | None = None,
        audited: str | None = None,
    ) -> None:
        """Insert one coding audit."""
        self.stale = True
        self.con.execute(
            "insert into coding_audits values (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [aid, eid, coder, date, reviewed, changed, original, audited],
        )

    def build(self) -> None:
        """Rebuild the intermediate tables and rollups if rows were added since the last build."""
        if self.stale:
            rollups.build(self.con)
            self.stale = False

    def run(self, name: str, **filters: Any) -> pl.DataFrame:
        """Run a catalog query with Filters built from keyword arguments (after :meth:`build`)."""
        self.build()
        return catalog.run(name, Filters(**filters), con=self.con)

    def one(self, name: str, **filters: Any) -> dict[str, Any]:
        """Run a one-row query and return its row as a dict."""
        frame = self.run(name, **filters)
        assert frame.height == 1, frame
        return frame.row(0, named=True)


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Wh]:
    """An empty tiny warehouse (reference data only)."""
    w = Wh(tmp_path / "wh.duckdb")
    yield w
    w.con.close()


@pytest.fixture(scope="session")
def create_wh():
    """The factory of empty warehouse files: ``create_wh(path, msdrg=True) -> connection``."""
    return create_warehouse


# ---- a generated dataset (a few thousand encounters), built in Polars and inserted directly ----

FACILITIES = ["F1", "F2", "F3"]
PATIENT_TYPES = ["inpatient", "outpatient", "emergency", "observation"]
PAYERS = {
    "Medicare": "medicare",
    "Medicaid": "medicaid",
    "Aetna": "commercial",
    "Cigna": "commercial",
    "Humana": "managed_care",
    "Self": "self_pay",
}
SERVICE_LINES = ["Medicine", "Surgery", "Cardiology", "Ortho", None]
DRGS = ["193", "194", "195", "470", "999", None]
CARCS = ["4", "16", "50", "197", "999", None]


def generate_frames(n: int = 3000, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Random but plausible rows for every fact table (dates 2023-12 .. 2026-01)."""
    import random

    rnd = random.Random(seed)
    day0 = dt.date(2023, 12, 1)
    enc, claims, acts, audits = [], [], [], []
    for i in range(n):
        eid = f"E{i:05d}"
        ptype = rnd.choices(PATIENT_TYPES, weights=[4, 4, 2, 1])[0]
        admit = day0 + dt.timedelta(days=rnd.randrange(0, 760))
        los = rnd.choice([0, 0, 1, 2, 3, 4, 5, 7, 12]) if ptype == "inpatient" else rnd.choice([0, 0, 0, 1])
        discharge = None if rnd.random() < 0.04 else admit + dt.timedelta(days=los)
        coded = billed = None
        if discharge is not None and rnd.random() < 0.9:
            coded = discharge + dt.timedelta(days=rnd.randrange(0, 25))
            if rnd.random() < 0.9:
                billed = coded + dt.timedelta(days=rnd.randrange(0, 12))
        payer = rnd.choice(list(PAYERS))
        age = rnd.randrange(0, 101)
        enc.append(
            {
                "encounter_id": eid,
                "patient_key": f"p{rnd.randrange(n)}",
                "facility_id": rnd.choice(FACILITIES),
                "patient_type": ptype,
                "admit_date": admit,
                "discharge_date": discharge,
                "age_years": min(age, 90),
                "age_90_plus": age >= 90,
                "sex": rnd.choice(["F", "M", "U", None]),
                "race": rnd.choice(["White", "Black or African American", "Asian", "Unknown", None]),
                "ethnicity": rnd.choice(["Hispanic or Latino", "Not Hispanic or Latino", "Unknown"]),
                "zip3": rnd.choice(["100", "036", "606", None]),
                "primary_payer": payer,
                "financial_class": PAYERS[payer],
                "service_line": rnd.choice(SERVICE_LINES),
                "ms_drg": rnd.choice(DRGS) if ptype == "inpatient" else None,
                "total_charges": Decimal(rnd.randrange(10_000, 5_000_000)) / 100,
                "coded_date": coded,
                "final_billed_date": billed,
            }
        )
        if billed is not None:
            for k in range(rnd.choice([0, 1, 1, 1, 2])):
                status = rnd.choices(["paid", "denied", "partial", "pending"], weights=[6, 2, 1, 1])[0]
                amount = Decimal(rnd.randrange(10_000, 2_000_000)) / 100
                denied = outcome = appeal = denial_date = recovered = carc = None
                if status in ("denied", "partial"):
                    denied = amount if status == "denied" else (amount / 3).quantize(Decimal("0.01"))
                    denial_date = billed + dt.timedelta(days=rnd.randrange(5, 40))
                    carc = rnd.choice(CARCS)
                    if rnd.random() < 0.6:
                        appeal = denial_date + dt.timedelta(days=rnd.randrange(1, 30))
                        outcome = rnd.choice(["overturned", "upheld", "pending", None])
                        if outcome == "overturned":
                            recovered = (denied * Decimal("0.8")).quantize(Decimal("0.01"))
                claims.append(
                    {
                        "claim_id": f"{eid}-{k}",
                        "encounter_id": eid,
                        "payer": payer if rnd.random() < 0.9 else rnd.choice(list(PAYERS)),
                        "submitted_date": billed + dt.timedelta(days=rnd.randrange(0, 3)),
                        "billed_amount": amount,
                        "status": status,
                        "denial_date": denial_date,
                        "carc_code": carc,
                        "denied_amount": denied,
                        "appeal_date": appeal,
                        "appeal_outcome": outcome,
                        "recovered_amount": recovered,
                    }
                )
        if coded is not None:
            coder = f"C{rnd.randrange(1, 6)}"
            kinds = ["code", *rnd.choice([[], [], ["review"], ["query"], ["recode", "review"]])]
            for kind in kinds:
                started = dt.datetime.combine(coded, dt.time(rnd.randrange(0, 24), rnd.randrange(60)))
                started -= dt.timedelta(days=rnd.choice([0, 0, 1]))
                duration = dt.timedelta(seconds=rnd.randrange(120, 5400), microseconds=rnd.randrange(10**6))
                acts.append(
                    {
                        "coder_id": coder if kind != "query" else "C9",
                        "encounter_id": eid,
                        "chart_type": ptype,
                        "activity": kind,
                        "started_at": started,
                        "completed_at": started + duration,
                    }
                )
            if rnd.random() < 0.2:
                reviewed = rnd.randrange(1, 25)
                drg = enc[-1]["ms_drg"]
                audits.append(
                    {
                        "audit_id": f"A{i}",
                        "encounter_id": eid,
                        "coder_id": coder,
                        "audit_date": coded + dt.timedelta(days=rnd.randrange(0, 20)),
                        "codes_reviewed": reviewed,
                        "codes_changed": rnd.randrange(0, reviewed // 3 + 1),
                        "original_drg": drg,
                        "audited_drg": drg if rnd.random() < 0.8 else rnd.choice(DRGS),
                    }
                )
    return {
        "encounters": pl.DataFrame(enc, infer_schema_length=None),
        "claims": pl.DataFrame(claims, infer_schema_length=None),
        "coding_activity": pl.DataFrame(acts, infer_schema_length=None),
        "coding_audits": pl.DataFrame(audits, infer_schema_length=None),
    }


def insert_frames(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> None:
    """Insert generated frames into the warehouse tables (load_id 1)."""
    for table, frame in frames.items():
        cols = ", ".join(frame.columns)
        con.register("incoming", frame)
        con.execute(f"insert into {table} ({cols}, load_id) select {cols}, 1 from incoming")
        con.unregister("incoming")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> tuple[Path, dict[str, pl.DataFrame]]:
    """A generated warehouse file (with rollups) and the Polars frames it was built from."""
    from warehouse import rollups

    frames = generate_frames()
    path = tmp_path_factory.mktemp("generated") / "wh.duckdb"
    con = create_warehouse(path)
    insert_frames(con, frames)
    con.execute(
        "insert into load_log (load_id, run_id, file_name, file_path, started_at, outcome) "
        "values (1, 'r', 'gen', 'gen', now(), 'loaded')"
    )
    rollups.build(con)
    con.close()
    return path, frames


@pytest.fixture
def gen_con(generated):
    """A read-only connection to the generated warehouse."""
    con = duckdb.connect(str(generated[0]), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def msdrg_rows() -> list[tuple]:
    """The hand-written MS-DRG table rows: (fiscal_year, drg, title, mdc, drg_type, weight, gmlos)."""
    return MSDRG_ROWS
