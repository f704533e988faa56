"""S12: the random surrogates of de-identified and limited exports, drawn in DuckDB (warehouse/deid.py).

A surrogate is the same for one value throughout one export (across every batch), different for two
values, different in every export, never the value itself or a function of it, and Python keeps
nothing per value while an export streams.
"""

from __future__ import annotations

import csv
import gc
import inspect
import io
import re
import tracemalloc
from typing import Any

import polars as pl
import pytest

from warehouse import deid, explorer
from warehouse.filters import Filters

REF = re.compile(r"^[0-9a-f]{20}$")
SMALL_BATCH = 97  # many batches per export, and batch edges that fall inside an encounter's rows


def _cursor() -> Any:
    from warehouse.db import reader

    return reader().cursor()


def _csv(exp: explorer.Export) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(exp.chunks).decode())))


def _export(request: explorer.Request, kind: str = "deidentified", fmt: str = "csv", **kw: Any) -> Any:
    return deid.export(request, kind, fmt, con=_cursor(), batch_rows=kw.pop("batch_rows", SMALL_BATCH), **kw)


def _patients() -> dict[str, str]:
    rows = _cursor().sql("select encounter_id, patient_key from encounters").fetchall()
    return dict(rows)


SORTED = explorer.Request("diagnoses", Filters(), sort=(explorer.Sort("code", True),))


def test_one_value_one_surrogate_throughout_an_export_and_two_values_two() -> None:
    # Sorted by code, then by the key: the operational export gives the same rows in the same order,
    # with the real ids, so each surrogate can be checked against the value it stands for.
    shown = _csv(_export(SORTED))
    real = _csv(_export(SORTED, "operational"))
    assert len(shown) == len(real) == explorer.count(SORTED, con=_cursor()) > 10 * SMALL_BATCH
    assert [r["code"] for r in shown] == [r["code"] for r in real]
    assert [r["code"] for r in shown] == sorted((r["code"] for r in shown), reverse=True)
    patient_of = _patients()
    encounters: dict[str, str] = {}
    patients: dict[str, str] = {}
    for s, r in zip(shown, real, strict=True):
        assert REF.match(s["encounter_ref"])
        assert REF.match(s["patient_ref"])
        assert encounters.setdefault(r["encounter_id"], s["encounter_ref"]) == s["encounter_ref"]
        assert patients.setdefault(patient_of[r["encounter_id"]], s["patient_ref"]) == s["patient_ref"]
    assert len(set(encounters.values())) == len(encounters) > 100  # two encounters, two surrogates
    assert len(set(patients.values())) == len(patients) > 100
    assert not set(encounters.values()) & set(patients.values())


def test_every_export_draws_new_surrogates() -> None:
    request = explorer.Request("encounters", Filters())
    first, second = _csv(_export(request)), _csv(_export(request))
    assert len(first) == len(second) > 0
    for column in ("patient_ref", "encounter_ref"):
        one, two = {r[column] for r in first}, {r[column] for r in second}
        assert one, column
        assert not one & two, column


def test_no_real_id_leaves_in_any_format_or_kind() -> None:
    cur = _cursor()
    real = {
        v
        for (v,) in cur.sql(
            "select encounter_id from encounters union all select patient_key from encounters "
            "union all select claim_id from claims union all select audit_id from coding_audits"
        ).fetchall()
        if v is not None
    }
    for table in ("encounters", "claims", "coding_audits", "coding_activity", "diagnoses"):
        request = explorer.Request(table, Filters())
        for kind in ("deidentified", "limited"):
            rows = _csv(_export(request, kind))
            assert rows, (table, kind)
            assert not set(rows[0]) & set(deid.SURROGATE_COLUMNS), (table, kind)
            cells = {v for r in rows for v in r.values()}
            assert not cells & real, (table, kind)
            refs = [c for c in rows[0] if c.endswith("_ref")]
            assert refs, (table, kind)
            assert all(REF.match(r[c]) for r in rows for c in refs if r[c]), (table, kind)
        frame = pl.read_parquet(io.BytesIO(b"".join(_export(request, fmt="parquet").chunks)))
        assert not set(frame.columns) & set(deid.SURROGATE_COLUMNS)
        assert not {v for c in frame.columns if frame[c].dtype == pl.String for v in frame[c]} & real


def test_xlsx_and_parquet_carry_the_surrogates_and_years() -> None:
    import openpyxl

    request = explorer.Request("claims", Filters())
    book = openpyxl.load_workbook(io.BytesIO(b"".join(_export(request, fmt="xlsx").chunks)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    header = list(rows[0])
    assert {"claim_ref", "patient_ref"} <= set(header)
    assert "claim_id" not in header
    assert all(REF.match(r[header.index("claim_ref")]) for r in rows[1:])
    frame = pl.read_parquet(io.BytesIO(b"".join(_export(request, fmt="parquet").chunks)))
    assert frame.height == len(rows) - 1 == explorer.count(request, con=_cursor())
    assert frame["claim_ref"].n_unique() == frame.height  # one claim per row, one surrogate per claim
    assert "submitted_year" in frame.columns
    assert "submitted_date" not in frame.columns
    limited = pl.read_parquet(io.BytesIO(b"".join(_export(request, "limited", "parquet").chunks)))
    assert limited.schema["submitted_date"] == pl.Date
    assert "claim_ref" in limited.columns
    assert "claim_id" not in limited.columns


def test_the_surrogates_are_drawn_in_sql_with_a_bound_salt() -> None:
    sql, params = deid.surrogate_sql(SORTED)
    salt = params["surrogate_salt"]
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    assert salt not in sql
    assert deid.surrogate_sql(SORTED)[1]["surrogate_salt"] != salt  # a new salt per export
    assert "gen_random_uuid()" in sql  # a random draw per value, not a function of it
    for column in ("patient_key", "encounter_id"):
        assert f'select distinct "{column}" as v from export_ids' in sql
    assert sql.rstrip().endswith('order by "code" desc nulls last, "encounter_id", "seq"')
    unsorted, _ = deid.surrogate_sql(explorer.Request("diagnoses", Filters()))
    assert "order by" not in unsorted.split("export_ids")[-1]


def test_python_keeps_nothing_per_value_while_an_export_streams() -> None:
    assert not hasattr(deid, "Surrogates")
    for kind in ("deidentified", "limited"):
        transform = deid.transformer(kind, restricted_zip3=frozenset({"036"}))
        held = list(inspect.getclosurevars(transform).nonlocals.values())
        assert all(isinstance(v, frozenset) for v in held), held  # the restricted ZIP3s, no map of values
    # Python allocations while draining: after the first batches they hardly grow (measured ~0.14 MB on
    # the demo's diagnoses; the old Python surrogate map grew ~0.96 MB, ~250 bytes per distinct id).
    request = explorer.Request("diagnoses", Filters())
    gc.collect()
    tracemalloc.start()
    try:
        chunks = _export(request, batch_rows=500).chunks
        for _ in range(3):
            next(chunks)
        early = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        n = sum(1 for _ in chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n > 20
    assert peak - early < 400_000, (early, peak)


@pytest.mark.parametrize("kind", ["deidentified", "limited"])
def test_an_empty_export_has_the_header_only(kind: str) -> None:
    nothing = (explorer.Condition("claim_id", "equals", "no-such-claim"),)
    text = b"".join(_export(explorer.Request("claims", Filters(), nothing), kind).chunks).decode()
    assert text.count("\n") == 1
    assert "claim_ref" in text
    assert "claim_id" not in text


def test_a_raw_id_that_reaches_the_transform_is_dropped_never_written() -> None:
    frame = pl.DataFrame({"patient_key": ["P1"], "encounter_ref": ["0" * 20], "claim_id": ["C1"], "n": [1]})
    for out in (deid.safe_harbor(frame, restricted_zip3=frozenset()), deid.limited_data_set(frame)):
        assert out.columns == ["encounter_ref", "n"]
