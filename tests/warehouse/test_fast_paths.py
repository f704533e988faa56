"""The loader's fast paths give what the slow ones give.

* Quote-free blocks of a CSV file are parsed by Polars' CSV reader (``readers._plain_block_frame``) when
  that is exactly what splitting line by line gives; anything else falls back to the line-by-line
  splitter. Both must yield the same frames, line numbers and structural rejects, and load the same
  warehouse with the same reject store.
* Files are read and validated in a read-ahead thread (``warehouse.pipeline``): its errors reach the
  right file, and stopping it early never hangs.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from tests.warehouse.conftest import digest, last_run_log, query, warehouse_at
from warehouse import demo, load, readers
from warehouse.load import run_load
from warehouse.pipeline import Prefetch

HEADER = "encounter_id,seq,code,poa"


def _read(path: Path, batch_rows: int = 7) -> tuple[pl.DataFrame, list[readers.StructuralReject]]:
    opened = readers.open_extract(path, batch_rows=batch_rows)
    frames, rejects = [], []
    for batch in opened.batches:
        frames.append(batch.frame)
        rejects.extend(batch.rejects)
    return pl.concat(frames), rejects


def _both_ways(
    path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int = 7
) -> tuple[tuple[pl.DataFrame, list], tuple[pl.DataFrame, list], int]:
    """Read a file with the fast path, then with it switched off; also how many blocks took it."""
    real = readers._plain_block_frame
    taken = 0

    def counting(*args: object) -> pl.DataFrame | None:
        nonlocal taken
        frame = real(*args)  # type: ignore[arg-type]
        taken += frame is not None
        return frame

    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)  # many small blocks, cut anywhere
    monkeypatch.setattr(readers, "_plain_block_frame", counting)
    fast = _read(path, batch_rows)
    monkeypatch.setattr(readers, "_plain_block_frame", lambda *a: None)
    slow = _read(path, batch_rows)
    return fast, slow, taken


CASES = {
    "clean": "E1,1,A01,Y\nE1,2,B02,N\nE2,1,C03,\n" * 20,
    "crlf": "E1,1,A01,Y\r\nE1,2,B02,N\r\n" * 20,
    "blank_lines": "E1,1,A01,Y\n\n  \nE1,2,B02,N\n" * 10,
    "short_and_long_rows": "E1,1,A01,Y\nE1,2,B02\nE1,3,C03,Y,extra\n" * 10,
    "control_characters": "E1,1,A\x0001,Y\nE1,2,B02,N\x07\nE1,3,C\u202e03,Y\n" * 10,
    "lone_carriage_return": "E1,1,A01,Y\nE1,2,B\r02,N\nE1,3,C03,Y\r\r\n" * 10,
    "quotes_here_and_there": 'E1,1,A01,Y\nE1,2,"B,02",N\nE1,3,"C03\nstill C03",Y\n' * 10,
    "non_ascii_and_bom": "E1,1,Ä01,Y\nE1,2,\ufeffB02,N\n\ufeffE1,3,C03,Y\n" * 10,
    "whitespace_kept": "E1 , 1,A01 ,Y\n E1,2,B02,  N\n" * 10,
    "no_final_newline": "E1,1,A01,Y\nE1,2,B02,N",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_and_slow_reading_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    path = tmp_path / "diagnoses.csv"
    path.write_text(HEADER + "\n" + CASES[case], encoding="utf-8", newline="")
    (fast_frame, fast_rejects), (slow_frame, slow_rejects), taken = _both_ways(path, monkeypatch)
    assert fast_frame.schema == slow_frame.schema
    assert fast_frame.sort(readers.LINE_COLUMN).equals(slow_frame.sort(readers.LINE_COLUMN)), case
    assert fast_rejects == slow_rejects, case
    if case in ("clean", "crlf", "whitespace_kept", "no_final_newline"):
        assert taken, "the fast path was never taken"


def test_fast_path_handles_tabs_gzip_and_long_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"E{i}\t{i % 9 + 1}\tA{i:02d}\tY\n" for i in range(300))
    path = tmp_path / "diagnoses.csv.gz"
    path.write_bytes(gzip.compress((HEADER.replace(",", "\t") + "\n" + rows).encode()))
    (fast_frame, fast_rejects), (slow_frame, slow_rejects), taken = _both_ways(path, monkeypatch, 50)
    assert taken
    assert fast_frame.equals(slow_frame)
    assert fast_rejects == slow_rejects == []
    assert fast_frame.get_column(readers.LINE_COLUMN).to_list() == list(range(2, 302))

    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 40)
    long_path = tmp_path / "long.csv"
    long_path.write_text(HEADER + "\n" + "E1,1,A01,Y\n" * 5 + "E1,2," + "B" * 60 + ",N\n" + "E1,3,C,Y\n" * 5)
    (fast_frame, fast_rejects), (slow_frame, slow_rejects), _ = _both_ways(long_path, monkeypatch)
    assert fast_frame.equals(slow_frame)
    assert fast_rejects == slow_rejects
    assert [r.rule for r in fast_rejects] == ["line_too_long"]


def _rejects(paths_dir: Path) -> list[tuple]:
    rows = query(
        warehouse_at(paths_dir),
        "select file_name, line, record_key, column_name, rule, other_rules, raw_values, message "
        "from rejects order by file_name, line, rule",
    )
    return [tuple(r.values()) for r in rows]


def test_dirty_demo_loads_the_same_with_and_without_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extract = tmp_path / "extract"
    files = demo.generate(extract, encounters=400, seed=11, dirty=True)
    manifest = files.pop("dirty_manifest")
    monkeypatch.setenv("HIM_BATCH_ROWS", "250")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    real = readers._plain_block_frame
    taken = []
    monkeypatch.setattr(readers, "_plain_block_frame", lambda *a: taken.append(1) or real(*a))
    fast = run_load(warehouse_at(tmp_path / "fast"), [extract])
    monkeypatch.setattr(readers, "_plain_block_frame", lambda *a: None)
    slow = run_load(warehouse_at(tmp_path / "slow"), [extract])
    assert taken
    assert fast.exit_code == slow.exit_code == 0
    for a, b in zip(fast.results, slow.results, strict=True):
        assert (a.file_name, a.rows_read, a.accepted, a.rejected, a.inserted, a.flagged) == (
            b.file_name,
            b.rows_read,
            b.accepted,
            b.rejected,
            b.inserted,
            b.flagged,
        )
        assert a.rows_read == a.accepted + a.rejected
    assert digest(warehouse_at(tmp_path / "fast")) == digest(warehouse_at(tmp_path / "slow"))
    fast_rejects = _rejects(tmp_path / "fast")
    assert fast_rejects == _rejects(tmp_path / "slow")
    assert fast_rejects
    assert manifest.exists()
    # Loading the same extract again changes nothing.
    again = run_load(warehouse_at(tmp_path / "fast"), [extract])
    log = last_run_log(warehouse_at(tmp_path / "fast"))
    assert again.exit_code == 0
    assert all(r["inserted"] == r["updated"] == 0 for r in log.values())


def test_direct_and_staged_loads_of_an_empty_warehouse_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into empty family tables rows go straight to the table (staging only keys); a file whose keys
    repeat is undone and staged instead. Same warehouse, same rejects, same counts as staging all."""
    extract = tmp_path / "extract"
    demo.generate(extract, encounters=400, seed=12, dirty=True)
    monkeypatch.setenv("HIM_BATCH_ROWS", "300")
    again = []
    real_again = load._ReadAhead._again
    monkeypatch.setattr(load._ReadAhead, "_again", lambda self, i: again.append(i) or real_again(self, i))
    direct = run_load(warehouse_at(tmp_path / "direct"), [extract])
    monkeypatch.setattr(load, "DIRECT_LOAD", False)
    staged = run_load(warehouse_at(tmp_path / "staged"), [extract])
    assert direct.exit_code == staged.exit_code == 0
    assert again, "no file fell back to staging (the dirty claims repeat a claim_id)"
    for a, b in zip(direct.results, staged.results, strict=True):
        fields = (
            "file_name",
            "rows_read",
            "accepted",
            "rejected",
            "inserted",
            "updated",
            "unchanged",
            "flagged",
        )
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert (a.outcome, a.warnings) == (b.outcome, b.warnings)
    assert any(r.rejected for r in direct.results)
    assert digest(warehouse_at(tmp_path / "direct")) == digest(warehouse_at(tmp_path / "staged"))
    assert _rejects(tmp_path / "direct") == _rejects(tmp_path / "staged")
    kinds = {r[4] for r in _rejects(tmp_path / "direct")}
    assert {"unknown_encounter", "duplicate_key"} <= kinds


def test_an_error_part_way_fails_that_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Invalid UTF-8 found by the read-ahead thread after batches were staged: the file is rolled back
    with the reader's message, and the next file (read ahead meanwhile) still loads."""
    monkeypatch.setenv("HIM_BATCH_ROWS", "5")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 256)
    extract = tmp_path / "extract"
    extract.mkdir()
    rows = "".join(f"E{i},1,A{i:02d},Y\n" for i in range(200))
    (extract / "diagnoses.csv").write_bytes((HEADER + "\n" + rows).encode() + b"E9,1,\xff,Y\n")
    enc = demo.generate(tmp_path / "demo", encounters=50, seed=3)["encounters"]
    (extract / "encounters.csv").write_bytes(enc.read_bytes())
    report = run_load(warehouse_at(tmp_path / "wh"), [extract])
    by_name = {r.file_name: r for r in report.results}
    assert by_name["encounters.csv"].outcome == "loaded"
    bad = by_name["diagnoses.csv"]
    assert bad.outcome == "failed"
    assert "invalid encoding at line 202" in (bad.message or "")
    assert (bad.rows_read, bad.accepted, bad.rejected) == (0, 0, 0)
    assert report.exit_code == 1


def test_splitting_ahead_loads_the_same_and_leaves_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches split in their own thread ahead of the validation: the same warehouse, counts and rejects
    as splitting in the validating thread; a file that fails part-way stops its splitting thread."""
    extract = tmp_path / "extract"
    demo.generate(extract, encounters=400, seed=13, dirty=True)
    (extract / "procedures_bad.csv").write_bytes(
        b"encounter_id,seq,code,code_system,procedure_date\n"
        + b"E1,1,0DTJ4ZZ,ICD10PCS,2024-01-02\n" * 40
        + b"\xff\n"
    )
    monkeypatch.setenv("HIM_BATCH_ROWS", "150")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 2048)
    ahead = run_load(warehouse_at(tmp_path / "ahead"), [extract])
    assert not [t for t in threading.enumerate() if t.name == "him-parse"]
    monkeypatch.setattr(load, "PARSE_AHEAD_BATCHES", 0)
    inline = run_load(warehouse_at(tmp_path / "inline"), [extract])
    fields = ("file_name", "outcome", "message", "rows_read", "accepted", "rejected", "inserted", "flagged")
    assert [[getattr(r, f) for f in fields] for r in ahead.results] == [
        [getattr(r, f) for f in fields] for r in inline.results
    ]
    assert {r.file_name: r.outcome for r in ahead.results}["procedures_bad.csv"] == "failed"
    assert digest(warehouse_at(tmp_path / "ahead")) == digest(warehouse_at(tmp_path / "inline"))
    assert _rejects(tmp_path / "ahead") == _rejects(tmp_path / "inline")


def test_prefetch_hands_over_items_and_errors_in_order() -> None:
    def items():
        yield 1
        yield 2
        raise ValueError("boom")

    with Prefetch(items, depth=1) as ahead:
        got = [next(ahead), next(ahead)]
        with pytest.raises(ValueError, match="boom"):
            next(ahead)
    assert got == [1, 2]
    assert list(Prefetch(lambda: iter(range(5)), depth=2)) == [0, 1, 2, 3, 4]


def test_prefetch_close_stops_a_blocked_producer_and_closes_it() -> None:
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    ahead = Prefetch(endless, depth=2)
    assert next(ahead) == 0
    time.sleep(0.2)  # the producer is now blocked on the full queue
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 5
    assert closed.wait(5)
    assert list(ahead) == []


def test_a_stream_that_stops_early_fails_the_file_and_never_hangs(tmp_path: Path) -> None:
    path = tmp_path / "diagnoses.csv"
    path.write_text(HEADER + "\nE1,1,A01,Y\n", encoding="utf-8")
    ahead = load._ReadAhead([(path, "diagnoses", None)], load.load_mapping(None), b"k" * 32, None, None)  # type: ignore[arg-type]
    ahead.close()
    items = ahead.file(0)
    with pytest.raises(load._StreamEnded):
        items.prepared()
    items.finish()  # returns at once


def test_files_in_key_order_skip_the_distinct_count_and_load_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose accepted rows come in strictly ascending key order skips ``count_repeated_keys``;
    loading with the proof turned off (every file counted) gives the same warehouse, counts and rejects.
    A file in key order but for one repeated key (its last line twice, and a changed copy of a line) is
    not proven, so its copies are still found."""
    extract = tmp_path / "extract"
    demo.generate(extract, encounters=400, seed=13)  # the demo writes every file but one in key order
    claims = extract / "claims.csv"
    lines = claims.read_text().splitlines()
    changed = lines[5].replace(",", ",x", 1)  # the same claim_id, another encounter: a conflicting copy
    claims.write_text("\n".join([*lines, lines[-1], changed]) + "\n")
    monkeypatch.setenv("HIM_BATCH_ROWS", "150")
    counted: list[str] = []
    real_count = load._count

    def count(con: object, sql: str) -> int:
        if "distinct __record_key" in sql:
            counted.append(sql)
        return real_count(con, sql)

    monkeypatch.setattr(load, "_count", count)
    proven = run_load(warehouse_at(tmp_path / "proven"), [extract])
    counts_with_proof = len(counted)
    monkeypatch.setattr(load.KeyOrder, "proves_unique", property(lambda self: False))
    counted.clear()
    counted_all = run_load(warehouse_at(tmp_path / "counted"), [extract])
    assert counts_with_proof < len(counted) - 2, "files in key order were counted all the same"
    assert proven.exit_code == counted_all.exit_code == 0
    for a, b in zip(proven.results, counted_all.results, strict=True):
        assert (a.file_name, a.accepted, a.rejected, a.inserted, a.unchanged) == (
            b.file_name,
            b.accepted,
            b.rejected,
            b.inserted,
            b.unchanged,
        )
    claims_result = next(r for r in proven.results if r.file_name == "claims.csv")
    assert claims_result.rejected == 2  # the conflicting copies, both
    assert claims_result.unchanged == 1  # the identical copy of the last line
    assert digest(warehouse_at(tmp_path / "proven")) == digest(warehouse_at(tmp_path / "counted"))
    assert _rejects(tmp_path / "proven") == _rejects(tmp_path / "counted")


def test_unique_ids_are_written_with_zstd_and_older_duckdb_gets_the_plain_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ids that differ in almost every row are ZSTD (half DICT_FSST's write CPU, same size) on
    DuckDB 2; before 2.0 the clause is left out (1.1 refuses it) and the schema is otherwise the same."""
    import duckdb

    extract = tmp_path / "extract"
    demo.generate(extract, encounters=300, seed=15)
    paths = warehouse_at(tmp_path / "wh")
    assert run_load(paths, [extract]).exit_code == 0
    zstd_columns = {
        ("encounters", "encounter_id"),
        ("encounters", "patient_key"),
        ("claims", "claim_id"),
        ("claims", "encounter_id"),
        ("coding_activity", "encounter_id"),
    }
    if load._duckdb_major() >= 2:
        for table, column in zstd_columns:
            found = query(
                paths,
                "select distinct compression from pragma_storage_info(?) "
                "where column_name = ? and segment_type = 'VARCHAR'",
                [table, column],
            )
            assert {r["compression"].upper() for r in found} == {"ZSTD"}, (table, column)
    monkeypatch.setattr(load, "_duckdb_major", lambda: 1)
    plain = load.schema_sql()
    assert load.ZSTD_CLAUSE not in plain
    duckdb.connect(str(tmp_path / "plain.duckdb")).execute(plain)  # still a valid schema
