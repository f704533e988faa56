"""A hand-made warehouse file for the report tests: the real schema, a little reference data, rows
added one by one, so that the answer of every test is known in advance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from warehouse.load import schema_sql

MSDRG_ROWS = [
    (2025, "193", "SIMPLE PNEUMONIA AND PLEURISY WITH MCC", "04", "medical", "1.2000", "4.0"),
    (2025, "470", "MAJOR HIP AND KNEE JOINT REPLACEMENT WITHOUT MCC", "08", "surgical", "2.0000", "2.0"),
]
AGE_BANDS = [("0-17", 0, 17, 1), ("18-44", 18, 44, 2), ("45-64", 45, 64, 3), ("65-74", 65, 74, 4),
             ("75-89", 75, 89, 5), ("90+", 90, 150, 6)]  # fmt: skip
CARC_ROWS = [("4", "coding"), ("16", "documentation"), ("50", "medical_necessity"), ("197", "authorization")]


class Tiny:
    """A tiny warehouse under construction (a plain DuckDB file, read with a cursor)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = duckdb.connect(str(path))
        self.con.execute(schema_sql())
        self.con.executemany(
            "insert into ref_msdrg (fiscal_year, drg, title, mdc, drg_type, weight, gmlos, amlos, source) "
            "values (?, ?, ?, ?, ?, ?, ?, null, 'test')",
            MSDRG_ROWS,
        )
        self.con.executemany("insert into ref_age_band values (?, ?, ?, ?)", AGE_BANDS)
        self.con.executemany("insert into ref_carc values (?, ?)", CARC_ROWS)
        self._n = 0
        self._encounters: list[tuple] = []
        self._claims: list[tuple] = []

    def enc(
        self,
        *,
        discharge: str,
        facility: str = "F1",
        ptype: str = "inpatient",
        payer: str = "Medicare",
        fc: str = "medicare",
        service_line: str | None = "Medicine",
        drg: str | None = "193",
        charges: str = "1000.00",
        coded: str | None = None,
        billed: str | None = None,
    ) -> str:
        """Insert one encounter discharged on ``discharge`` (admitted 2 days before); return its id."""
        self._n += 1
        eid = f"E{self._n:05d}"
        out = dt.date.fromisoformat(discharge)
        self._encounters.append(
            (
                eid,
                "p",
                facility,
                ptype,
                out - dt.timedelta(days=2),
                out,
                50,
                False,
                "F",
                "White",
                "Not Hispanic or Latino",
                "100",
                payer,
                fc,
                None,
                service_line,
                None,
                drg,
                Decimal(charges),
                dt.date.fromisoformat(coded or discharge),
                dt.date.fromisoformat(billed or discharge),
                1,
            )
        )
        return eid

    def claim(
        self,
        eid: str,
        *,
        submitted: str,
        payer: str = "Medicare",
        status: str = "paid",
        carc: str | None = None,
        denied: str | None = None,
        billed: str = "1000.00",
    ) -> None:
        """Insert one claim of an encounter."""
        self._n += 1
        is_denied = status in ("denied", "partial")
        day = dt.date.fromisoformat(submitted)
        self._claims.append(
            (
                f"C{self._n:05d}",
                eid,
                payer,
                day,
                Decimal(billed),
                status,
                None,
                day if is_denied else None,
                "CO" if carc else None,
                carc,
                None,
                Decimal(denied or billed) if is_denied else None,
                None,
                None,
                None,
                1,
            )
        )

    def flush(self) -> None:
        """Insert the rows added so far (in one statement per table)."""
        for table, rows in (("encounters", self._encounters), ("claims", self._claims)):
            if rows:
                columns = [r[0] for r in self.con.execute(f"describe {table}").fetchall()]
                frame = pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
                self.con.register("new_rows", frame.to_arrow())
                self.con.execute(f"insert into {table} select * from new_rows")
                self.con.unregister("new_rows")
                rows.clear()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the catalog, after inserting the rows added (tests only read through it)."""
        self.flush()
        return self.con.cursor()
