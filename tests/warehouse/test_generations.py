"""Generations, pointer, integrity checks and garbage collection (reliability-tests.md §4b):
X6 (readers never write), X7 (corrupt published generation), X8 (WAL beside a generation),
X10 (GC while a reader holds an old generation), plus the pieces they rest on.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import faultkit as fk
import pytest

from warehouse import faults
from warehouse.cli import main as him_main
from warehouse.db import WarehouseReader, WarehouseUnavailable, published_generation
from warehouse.errors import UsageProblem
from warehouse.generations import (
    build_generation,
    collect_garbage,
    gc_grace_seconds,
    interrupted_runs,
    journal_event,
    list_generations,
    load_lock,
    remove_unpublished,
    switch_pointer,
    verify_published,
)
from warehouse.load import schema_sql
from warehouse.sqlfiles import statement

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse of 40 encounters (built once per session)."""
    return fk.base_warehouse(tmp_path_factory.getbasetemp())


@pytest.fixture
def wh(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base warehouse; returns its pointer."""
    return fk.clone_warehouse(base, tmp_path / "wh")


def publish(pointer: Path, marker: str) -> Path:
    """Publish a new generation quickly: the current one plus a ``warehouse_info`` row."""
    paths = fk.paths_of(pointer)
    counts_sql = statement("load.sql", "table_counts")

    def work(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("insert or replace into warehouse_info values ('test_marker', ?)", [marker])
        return {t: n for t, n in con.execute(counts_sql).fetchall()}

    with load_lock(paths):
        return build_generation(paths, work, schema_sql=schema_sql(), counts_sql=counts_sql).path


def _tiny_extract(pointer: Path) -> Path:
    return fk.write_extract(pointer.parent / "tiny-extract", encounters=3, families=["encounters"])


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = him_main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- pointer and publishing


def test_publish_switches_the_pointer_atomically_and_writes_a_manifest(wh: Path) -> None:
    paths = fk.paths_of(wh)
    old = fk.published(wh)
    new = publish(wh, "one")
    assert wh.is_symlink()
    assert not wh.readlink().is_absolute()  # relative: the directory can be moved whole
    assert fk.published(wh) == new != old
    assert new.name == "gen-000002.duckdb"
    assert verify_published(paths)[0]
    assert not list(new.parent.glob("*.wal"))
    assert fk.digest(new, tables=fk.DATA_TABLES) == fk.digest(old, tables=fk.DATA_TABLES)  # type: ignore[arg-type]


def test_switch_pointer_leaves_nothing_aside(wh: Path) -> None:
    paths = fk.paths_of(wh)
    gen = fk.published(wh)
    assert gen is not None
    switch_pointer(paths, gen)
    assert fk.published(wh) == gen
    assert list(wh.parent.glob(f".{wh.name}.*")) == []


def test_remove_unpublished_keeps_published_and_older_generations(wh: Path) -> None:
    paths = fk.paths_of(wh)
    publish(wh, "two")  # gen 2 published
    gdir = paths.generations_dir
    leftovers = [
        gdir / "gen-000003.building.duckdb",
        gdir / "gen-000003.building.duckdb.wal",
        gdir / "gen-000004.duckdb",  # built, renamed, killed before the pointer switch
        gdir / "gen-000004.duckdb.manifest",
        gdir / "gen-000004.duckdb.manifest.tmp",
        wh.parent / f".{wh.name}.12345.tmp",
    ]
    for p in leftovers:
        p.write_bytes(b"x")
    removed = remove_unpublished(paths, published_generation(paths))
    assert sorted(removed) == sorted(leftovers)
    assert fk.generation_files(wh) == [
        "gen-000001.duckdb",
        "gen-000001.duckdb.manifest",
        "gen-000002.duckdb",
        "gen-000002.duckdb.manifest",
    ]


def test_generation_numbers_never_repeat(wh: Path) -> None:
    gdir = fk.paths_of(wh).generations_dir
    (gdir / "gen-000002.duckdb").write_bytes(b"orphan")  # never published
    assert publish(wh, "x").name == "gen-000003.duckdb"
    assert not (gdir / "gen-000002.duckdb").exists()


# ---------------------------------------------------------------- X6-lite: readers never write


def test_x6_readers_never_create_a_wal_or_change_the_file(wh: Path) -> None:
    paths = fk.paths_of(wh)
    gen = fk.published(wh)
    assert gen is not None
    listing = sorted(p.name for p in wh.parent.rglob("*"))
    stat = (gen.stat().st_size, gen.stat().st_mtime_ns)
    digest = fk.digest(gen)

    reader = WarehouseReader(paths)
    for table in fk.DATA_TABLES:
        cur = reader.cursor()
        assert cur.execute(f"select count(*) from {table}").fetchone()[0] > 0  # type: ignore[index]
        assert not list(gen.parent.glob("*.wal"))
    with pytest.raises(duckdb.Error):
        reader.cursor().execute("create table intruder (i integer)")
    with pytest.raises(duckdb.Error):
        reader.cursor().execute("set access_mode = 'READ_WRITE'")
    reader.close()

    assert sorted(p.name for p in wh.parent.rglob("*")) == listing  # no .wal, no temp files
    assert (gen.stat().st_size, gen.stat().st_mtime_ns) == stat
    assert fk.digest(gen) == digest
    assert verify_published(paths)[0]


# ---------------------------------------------------------------- X7: corrupt published generation


@pytest.mark.parametrize("damage", ["flip_bytes", "truncate_half"])
def test_x7_corrupt_generation_is_refused_never_served(
    wh: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = fk.paths_of(wh)
    gen = fk.published(wh)
    assert gen is not None
    files = fk.generation_files(wh)
    getattr(fk, damage)(gen)
    damaged = gen.read_bytes()

    with pytest.raises(WarehouseUnavailable, match="corrupt") as info:
        WarehouseReader(paths).cursor()
    assert "docs/warehouse.md" in str(info.value)
    ok, message = verify_published(paths)
    assert not ok
    assert "corrupt" in message

    proc = fk.him("status", "--verify", "--warehouse", wh, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "corrupt" in proc.stdout
    assert "Traceback" not in proc.stderr

    # A load refuses to build on it (one line, exit 1) and changes nothing; the file is kept as is.
    code, _out, err = _cli(capsys, "load", str(_tiny_extract(wh)), "--warehouse", str(wh))
    assert code == 1
    line = fk.one_line_error(err)
    assert "load refused" in line
    assert "corrupt" in line
    assert fk.generation_files(wh) == files
    assert fk.published(wh) == gen
    assert gen.read_bytes() == damaged


def test_x7_reader_refuses_a_generation_published_corrupt_while_serving(wh: Path) -> None:
    """A reader serving gen 1 is refused gen 2 when gen 2 is corrupt: no silent mix, a clear error."""
    paths = fk.paths_of(wh)
    reader = WarehouseReader(paths)
    held = reader.cursor()
    new = publish(wh, "corrupt-me")
    fk.flip_bytes(new)
    with pytest.raises(WarehouseUnavailable, match="corrupt"):
        reader.cursor()
    with pytest.raises(WarehouseUnavailable, match="corrupt"):  # refused again, without rehashing
        reader.cursor()
    assert held.execute("select count(*) from encounters").fetchone() == (40,)  # an open cursor finishes
    reader.close()


def test_x7_truncation_is_caught_even_by_the_cheap_check(wh: Path) -> None:
    gen = fk.published(wh)
    assert gen is not None
    fk.truncate_half(gen)
    with pytest.raises(WarehouseUnavailable, match="bytes but was published"):
        WarehouseReader(fk.paths_of(wh), verify="size").cursor()


def test_x7_dangling_pointer_is_refused_not_rebuilt_from_empty(
    wh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = fk.published(wh)
    assert gen is not None
    gen.rename(gen.with_name("moved-away.duckdb"))
    with pytest.raises(WarehouseUnavailable, match="missing"):
        WarehouseReader(fk.paths_of(wh)).cursor()
    code, _out, err = _cli(capsys, "load", str(_tiny_extract(wh)), "--warehouse", str(wh))
    assert code == 1
    assert "missing" in fk.one_line_error(err)
    assert list_generations(fk.paths_of(wh)) == []  # nothing built from an empty start


def test_x7_damaged_manifest_is_refused(wh: Path) -> None:
    gen = fk.published(wh)
    assert gen is not None
    gen.with_name(gen.name + ".manifest").write_text("garbage\n")
    with pytest.raises(WarehouseUnavailable, match="manifest"):
        WarehouseReader(fk.paths_of(wh)).cursor()


# ---------------------------------------------------------------- X8: WAL beside a generation


def test_x8_wal_beside_generation_is_corruption_and_is_kept(
    wh: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = fk.paths_of(wh)
    gen = fk.published(wh)
    assert gen is not None
    wal = gen.with_name(gen.name + ".wal")
    junk = os.urandom(4096)
    wal.write_bytes(junk)

    with pytest.raises(WarehouseUnavailable, match="write-ahead log"):
        WarehouseReader(paths).cursor()
    ok, message = verify_published(paths)
    assert not ok
    assert "write-ahead log" in message
    code, _out, err = _cli(capsys, "load", str(_tiny_extract(wh)), "--warehouse", str(wh))
    assert code == 1
    assert "write-ahead log" in fk.one_line_error(err)
    code, out, _err = _cli(capsys, "status", "--verify", "--warehouse", str(wh))
    assert code == 1
    assert "write-ahead log" in out

    # Garbage collection keeps an old generation that has a WAL beside it, for the operator.
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "3600")
    wal.unlink()
    for i in range(4):
        publish(wh, f"gc-{i}")
    wal.write_bytes(junk)
    assert [p.name for p in collect_garbage(paths, grace_seconds=0)] == ["gen-000002.duckdb"]
    assert gen.exists()
    assert wal.read_bytes() == junk  # never deleted


# ---------------------------------------------------------------- X10 and garbage collection


def test_x10_gc_while_a_reader_holds_the_old_generation(wh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "0")
    paths = fk.paths_of(wh)
    reader = WarehouseReader(paths)
    held = reader.cursor()
    old = reader.generation
    assert old is not None
    query = "select count(*), sum(total_charges), count(distinct patient_key) from encounters"
    expected = held.execute(query).fetchone()

    newest = [publish(wh, f"gen-{i}") for i in range(3)]  # gens 2, 3, 4: gen 1 falls out of the newest 3

    assert not old.exists()  # collected while the reader still has it open
    assert [p.name for p in list_generations(paths)] == [p.name for p in newest]
    assert held.execute(query).fetchone() == expected  # the reader's query still works
    assert held.execute("select count(*) from diagnoses").fetchone() == (80,)
    fresh = reader.cursor()
    assert reader.generation == newest[-1]
    assert fresh.execute(query).fetchone() == expected
    reader.close()


def test_gc_keeps_the_newest_three_and_respects_the_grace_period(
    wh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = fk.paths_of(wh)
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "3600")
    for i in range(4):
        publish(wh, f"g{i}")
    gens = list_generations(paths)
    assert len(gens) == 5  # all within the grace period

    # gen 1 was superseded (gen 2 published) 200 s ago, gen 2 50 s ago; grace 100 s: only gen 1 goes.
    now = time.time()
    os.utime(gens[1].with_name(gens[1].name + ".manifest"), (now - 200, now - 200))
    os.utime(gens[2].with_name(gens[2].name + ".manifest"), (now - 50, now - 50))
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "100")
    assert collect_garbage(paths) == [gens[0]]
    assert list_generations(paths) == gens[1:]

    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "0")
    assert collect_garbage(paths) == [gens[1]]
    assert list_generations(paths) == gens[2:]  # the newest 3 stay, however old
    assert collect_garbage(paths) == []
    assert not gens[1].with_name(gens[1].name + ".manifest").exists()


def test_gc_never_removes_the_published_generation(wh: Path) -> None:
    paths = fk.paths_of(wh)
    first = fk.published(wh)
    for i in range(4):
        publish(wh, f"r{i}")
    switch_pointer(paths, first)  # an operator rolled the pointer back
    collect_garbage(paths, grace_seconds=0)
    assert first.exists()  # type: ignore[union-attr]


def test_gc_grace_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIM_GC_GRACE_SECONDS", raising=False)
    assert gc_grace_seconds() == 600
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "2.5")
    assert gc_grace_seconds() == 2.5
    monkeypatch.setenv("HIM_GC_GRACE_SECONDS", "soon")
    with pytest.raises(UsageProblem, match="HIM_GC_GRACE_SECONDS"):
        gc_grace_seconds()


# ---------------------------------------------------------------- journal and fault hooks


def test_journal_tracks_unfinished_runs(tmp_path: Path) -> None:
    paths = fk.paths_of(tmp_path / "him.duckdb")
    journal_event(paths, "start", "killed", files=["a.csv"])
    journal_event(paths, "start", "ok")
    journal_event(paths, "end", "ok")
    journal_event(paths, "start", "failed")
    journal_event(paths, "aborted", "failed", error="DiskFull")
    with paths.journal.open("a") as fh:
        fh.write('{"event": "start", "run_id": "torn"')  # a torn last line is skipped
    runs = {r["run_id"]: r for r in interrupted_runs(paths)}
    assert set(runs) == {"killed", "failed"}
    assert runs["failed"]["error"] == "DiskFull"
    journal_event(paths, "interrupted_recorded", "killed")
    assert [r["run_id"] for r in interrupted_runs(paths)] == ["failed"]


def test_journal_write_failure_never_hides_the_runs_own_error(tmp_path: Path) -> None:
    paths = fk.paths_of(tmp_path / "him.duckdb")
    paths.journal.mkdir(parents=True)  # unwritable as a file
    journal_event(paths, "aborted", "r1", error="X")  # logged, not raised
    with pytest.raises(OSError, match="directory"):
        journal_event(paths, "start", "r2")  # a run that cannot journal does not start


def test_fault_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    faults.reset()
    monkeypatch.setenv("HIM_FAULT", "batch:2:raise")
    faults.maybe("after_checkpoint")
    faults.maybe("batch")
    with pytest.raises(faults.InjectedFault, match="batch #2"):
        faults.maybe("batch")
    faults.maybe("batch")  # only the n-th time

    faults.reset()
    release = tmp_path / "go"
    release.touch()
    monkeypatch.setenv("HIM_FAULT", "batch::pause")
    monkeypatch.setenv("HIM_FAULT_RELEASE", str(release))
    faults.maybe("batch")
    assert Path(str(release) + ".reached").read_text() == str(os.getpid())

    faults.reset()
    monkeypatch.setenv("HIM_FAULT", "batch:1:explode")
    with pytest.raises(ValueError, match="explode"):
        faults.maybe("batch")
    faults.reset()
