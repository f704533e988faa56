"""S11 for the loader: canary PHI (MRN, name, birth date in both formats, 5-digit ZIP) loaded in good
rows, rejected rows, structural rejects and failed files never appears in the bytes of any file of the
warehouse directory (generations, journal, manifests, tmp), in any string the warehouse holds, in the
logs (DEBUG) or in what the CLI prints."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import pytest

from tests.fixtures import bad
from tests.fixtures.bad import CANARIES, CANARY_DOB, CANARY_DOB_US, CANARY_MRN, CANARY_NAME, CANARY_ZIP
from tests.warehouse.conftest import Expect, check, open_published, query, run_cli, warehouse_at

#: a hex run this long is a hash, a run id or a SHA-256: a 5-digit ZIP inside one is chance, not a leak
HEX_RUN = re.compile(rb"[0-9a-f]{12,}")


def _hits(data: bytes, canary: str) -> list[int]:
    """Offsets of ``canary`` in ``data``; for the all-digit ZIP, not those inside a long hex run."""
    needle = canary.encode()
    found = [m.start() for m in re.finditer(re.escape(needle), data)]
    if canary.isdigit():
        runs = [(m.start(), m.end()) for m in HEX_RUN.finditer(data)]
        found = [i for i in found if not any(a <= i and i + len(needle) <= b for a, b in runs)]
    return found


def test_the_search_finds_canaries_and_ignores_zips_inside_hashes():
    assert _hits(b'{"zip":"02139"}', CANARY_ZIP) == [8]
    assert _hits(b"run 9f3e02139ab4c7d2 done", CANARY_ZIP) == []
    assert _hits(CANARY_DOB_US.encode(), CANARY_DOB_US) == [0]


def _canary_files(src: Path) -> dict[Path, Expect]:
    """Files carrying the canaries in every place a loader could leak them from."""
    header, enc_rows = bad.with_canary_name(bad.good_rows("encounters"))  # E1001 holds the canaries
    canary = {"patient_id": CANARY_MRN, "birth_date": CANARY_DOB, "zip_code": CANARY_ZIP}
    rejected = [
        bad.new_encounter(11, admit_date="2026-13-01", **canary),  # invalid_date, the rest given raw
        bad.new_encounter(
            12, **{**canary, "birth_date": CANARY_DOB_US, "facility_id": ""}
        ),  # required_missing
        bad.new_encounter(13, **{**canary, "birth_date": CANARY_DOB + "x"}),  # invalid_date in birth_date
        bad.new_encounter(14, **{**canary, "zip_code": CANARY_ZIP + "-12"}),  # invalid_zip
        bad.new_encounter(
            15, **{**canary, "patient_id": CANARY_MRN + "\u202e"}
        ),  # control_characters in the MRN
        bad.new_encounter(
            16, **{**canary, "admit_date": "1950-01-01", "discharge_date": "1950-01-02"}
        ),  # age
    ]
    dup = {**bad.new_encounter(17), **canary}  # conflicting duplicates: stage values go to the rejects
    rows = [
        *enc_rows,
        *({**r, "patient_name": CANARY_NAME} for r in rejected),
        {**dup, "patient_name": CANARY_NAME},
        {**dup, "total_charges": "1.00", "patient_name": CANARY_NAME},
    ]
    text = bad.csv_text(header, rows)
    # structural rejects: a truncated record and an unbalanced quote, both holding the canaries
    text += f"E2018,{CANARY_MRN},FAC1,inpatient,2026-03-02,2026-03-06,{CANARY_DOB_US},F,,,{CANARY_ZIP}\n"
    text += f'E2019,"{CANARY_MRN},FAC1,inpatient,2026-03-02,,{CANARY_DOB},F,,,{CANARY_ZIP},{CANARY_NAME}\n'
    encounters = src / "encounters.csv"
    encounters.write_text(text)
    n = len(rows) + 2
    # a file that fails as a whole, with the canaries around the bad byte
    failing = src / "encounters_cp1252.csv"
    failing.write_bytes(
        (bad.csv_text(header, enc_rows[:1]).replace("Cardiology", "Cardi\u201cology")).encode("cp1252")
    )
    # an export without its header line: the first data row (with the canaries) would be the header
    headerless = src / "encounters_noheader.csv"
    headerless.write_text(bad.csv_text(header, enc_rows).split("\n", 1)[1])
    return {
        encounters: Expect("loaded_with_rejects", read=n, rejected=10, unchanged=4),
        failing: Expect("failed", message="invalid encoding at line 2"),
        headerless: Expect("failed", message="is the header row missing?"),
    }


@pytest.fixture
def canary_run(capsys, caplog, tmp_path, monkeypatch, warehouse):
    """A warehouse loaded with every canary file through the CLI, with DEBUG logs captured."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("COLUMNS", "200")
    good = bad.write_good(tmp_path / "first", ["encounters"])
    first = run_cli(capsys, "load", good["encounters"], "--warehouse", warehouse.pointer)
    assert first.code == 0, first.text
    src = tmp_path / "extract"
    src.mkdir()
    files = _canary_files(src)
    checked = check(capsys, warehouse, files, expected_digest="unchanged", exit_code=1)
    outputs = [first.text, checked.run.text]
    for args in (
        ["status", "--format", "json"],
        ["status"],
        ["rejects", "--format", "csv"],
        ["rejects", "--format", "json"],
        ["rejects"],
    ):
        res = run_cli(capsys, *args, "--warehouse", warehouse.pointer)
        assert res.code == 0, res.text
        outputs.append(res.text)
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    return warehouse, checked, outputs, logs


def test_s11_no_canary_in_the_bytes_of_any_warehouse_file(canary_run):
    paths, *_ = canary_run
    root = paths.pointer.parent
    scanned = 0
    for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        data = file.read_bytes()
        scanned += len(data)
        for canary in CANARIES:
            assert not _hits(data, canary), f"{canary!r} found in {file.relative_to(root)}"
    assert scanned > 1_000_000  # the generations were read, not only the small files
    gen = paths.pointer.resolve().read_bytes()
    # a positive control: stored (non-PHI) text is visible to this search
    assert b"Cardiology" in gen
    assert b"E1001" in gen
    names = {p.name for p in root.rglob("*")}
    assert any(n.endswith(".duckdb") for n in names)
    assert any(n.endswith(".manifest") for n in names)
    assert any(n.endswith(".runs.jsonl") for n in names)


def test_s11_no_canary_in_any_string_the_warehouse_holds(canary_run):
    """The same search through SQL, which sees values however DuckDB compresses them on disk."""
    paths, *_ = canary_run
    con = open_published(paths)
    try:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where data_type like 'VARCHAR%' or data_type like '%[]'"
        ).fetchall()
        assert len(columns) > 30
        for table, column in columns:
            values = [
                v for (v,) in con.execute(f'select distinct "{column}"::varchar from {table}').fetchall() if v
            ]
            blob = "\n".join(values).encode()
            for canary in CANARIES:
                assert not _hits(blob, canary), f"{canary!r} in {table}.{column}"
    finally:
        con.close()


def test_s11_no_canary_in_logs_errors_or_cli_output(canary_run):
    _, checked, outputs, logs = canary_run
    text = "\n".join(outputs) + "\n" + logs
    for canary in CANARIES:
        assert not _hits(text.encode(), canary), canary
    assert "invalid encoding at line 2" in checked.run.err  # the error is there, without the values


def test_s11_rejects_keep_the_file_line_and_protected_values(canary_run):
    _, checked, *_ = canary_run
    rejects = checked.rejects["encounters.csv"]
    assert {r["rule"] for r in rejects} >= {
        "invalid_date",
        "required_missing",
        "invalid_zip",
        "control_characters",
        "age_out_of_range",
        "duplicate_key",
        "missing_columns",
        "unbalanced_quote",
    }
    by_line = {r["line"]: r for r in rejects}
    assert '"patient_id":"hmac:' in by_line[7]["raw_values"].replace(" ", "")  # the MRN, hashed
    assert "zip3:021" in by_line[7]["raw_values"]  # the ZIP, as ZIP3
    assert all(r["file_name"] == "encounters.csv" and r["line"] > 1 for r in rejects)


def test_s11_no_phi_columns_only_protected_forms(canary_run):
    paths, *_ = canary_run
    columns = query(paths, "select table_name, column_name from information_schema.columns")
    names = {c["column_name"].lower() for c in columns}
    assert not names & {
        "patient_id",
        "mrn",
        "birth_date",
        "dob",
        "date_of_birth",
        "zip_code",
        "zip",
        "patient_name",
    }
    got = query(
        paths,
        "select patient_key, age_years, age_90_plus, zip3 from encounters "
        "where encounter_id in ('E1001', 'E1003') order by encounter_id",
    )
    assert [(g["age_years"], g["age_90_plus"], g["zip3"]) for g in got] == [
        (64, False, "021"),
        (90, True, "100"),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", g["patient_key"]) for g in got)


def test_s11_secret_key_file_is_created_outside_the_warehouse_mode_0600(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("HIM_SECRET_KEY")
    key_file = tmp_path / "site-config" / "secret.key"
    assert os.environ["HIM_SECRET_KEY_FILE"] == str(key_file)
    paths = warehouse_at(tmp_path / "wh")
    files = bad.write_good(tmp_path / "extract", ["encounters"])
    assert run_cli(capsys, "load", files["encounters"], "--warehouse", paths.pointer).code == 0
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert paths.pointer.parent not in key_file.parents
    secret = key_file.read_text().strip()
    for file in (p for p in paths.pointer.parent.rglob("*") if p.is_file() and not p.is_symlink()):
        data = file.read_bytes()
        assert secret.encode() not in data, file
        assert CANARY_MRN.encode() not in data, file
    # a second load keeps the key: the same MRN hashes to the same patient_key
    before = query(paths, "select patient_key from encounters order by encounter_id")
    assert run_cli(capsys, "load", files["encounters"], "--warehouse", paths.pointer).code == 0
    assert query(paths, "select patient_key from encounters order by encounter_id") == before
