"""Faults during a load (reliability-tests.md §4b): X1 kill mid-file, X2 exception mid-file, X3 disk full,
X5 two loads at once, X9 kill around the pointer switch.

Each runs the real ``him load`` in a subprocess (``faultkit``) with a ``HIM_FAULT`` hook, then checks the
five conventions that apply: exit code, one-line error, load-log row, ``read == accepted + rejected`` and
the warehouse digest (the pre-load digest when nothing may change).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import faultkit as fk
import pytest

from warehouse import generations
from warehouse.cli import main as him_main
from warehouse.db import WarehouseReader
from warehouse.generations import interrupted_runs, verify_published
from warehouse.load import run_load

pytestmark = pytest.mark.timeout(180)

BASE_COUNTS = {
    "encounters": 40,
    "diagnoses": 80,
    "procedures": 40,
    "claims": 40,
    "coding_activity": 40,
    "coding_audits": 10,
}
BOTH_COUNTS = {t: 2 * n for t, n in BASE_COUNTS.items()}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse of 40 encounters (built once per session)."""
    return fk.base_warehouse(tmp_path_factory.getbasetemp())


@pytest.fixture
def wh(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base warehouse; returns its pointer."""
    return fk.clone_warehouse(base, tmp_path / "wh")


@pytest.fixture(scope="module")
def new_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 more encounters (E001000...) with every child family."""
    return fk.write_extract(tmp_path_factory.mktemp("new"), encounters=40, start=1000)


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment for loads run inside the test process."""
    for name in ("HIM_FAULT", "HIM_BATCH_ROWS", "HIM_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HIM_SECRET_KEY", fk.SECRET)


def _journal(pointer: Path) -> list[dict[str, object]]:
    path = fk.paths_of(pointer).journal
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _served_count(pointer: Path) -> int:
    reader = WarehouseReader(fk.paths_of(pointer))
    try:
        return reader.cursor().execute("select count(*) from encounters").fetchone()[0]  # type: ignore[index]
    finally:
        reader.close()


def _assert_rows_add_up(rows: list[dict[str, object]]) -> None:
    for row in rows:
        assert row["rows_read"] == row["accepted"] + row["rejected"], row  # type: ignore[operator]


# ---------------------------------------------------------------- X1


def test_x1_sigkill_mid_file_then_rerun_records_it(wh: Path, new_extract: Path) -> None:
    before, gen_before, files_before = fk.digest(wh), fk.published(wh), fk.generation_files(wh)

    # 10 rows a batch: killed inside encounters.csv after 3 batches were staged.
    killed = fk.load(wh, new_extract, fault="batch:3:kill", batch_rows=10)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # Served generation untouched, nothing published, only an unpublished .building leftover.
    assert fk.published(wh) == gen_before
    assert fk.digest(wh) == before
    extra = set(fk.generation_files(wh)) - set(files_before)
    assert extra, "the killed build left nothing behind?"
    assert all(".building." in name for name in extra), extra
    assert _served_count(wh) == 40
    run = _journal(wh)[-1]  # the killed run's start, never followed by an end
    assert run["event"] == "start"
    assert [r["run_id"] for r in interrupted_runs(fk.paths_of(wh))] == [run["run_id"]]

    # The rerun completes, removes the leftover, and its load log shows the interrupted run.
    rerun = fk.load_ok(wh, new_extract)
    assert "Traceback" not in rerun.stderr
    assert fk.counts(wh) == BOTH_COUNTS
    assert not any(".building." in name for name in fk.generation_files(wh))
    log = fk.load_log(wh)
    [interrupted] = [r for r in log if r["outcome"] == "interrupted"]
    assert interrupted["run_id"] == run["run_id"]
    assert f"pid {run['pid']}" in str(interrupted["message"])
    assert "encounters.csv" in str(interrupted["message"])
    new_rows = [r for r in log if r["load_id"] > 6 and r["outcome"] != "interrupted"]  # base: 6 rows
    assert {r["file_name"] for r in new_rows} == {f"{t}.csv" for t in BASE_COUNTS}
    assert all(r["outcome"] == "loaded" for r in new_rows)
    _assert_rows_add_up(log)
    assert interrupted_runs(fk.paths_of(wh)) == []  # recorded once, not again by the next load


# ---------------------------------------------------------------- X2


def test_x2_exception_mid_file_rolls_back_that_file_only(base: Path, tmp_path: Path) -> None:
    extract = fk.write_extract(tmp_path / "extract", encounters=40)  # the base's content
    pointer = tmp_path / "wh" / "him.duckdb"

    # 30 rows a batch: encounters.csv is batches 1-2, diagnoses.csv 3-5; raise after 2 of its batches.
    proc = fk.load(pointer, extract, fault="batch:4:raise", batch_rows=30)

    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [failed_line] = [ln for ln in proc.stderr.splitlines() if "FAILED" in ln]
    assert "diagnoses.csv" in failed_line
    assert "rolled back" in failed_line
    log = {r["file_name"]: r for r in fk.load_log(pointer)}
    diag = log.pop("diagnoses.csv")
    assert diag["outcome"] == "failed"
    assert (diag["rows_read"], diag["accepted"], diag["rejected"], diag["inserted"]) == (0, 0, 0, 0)
    assert "rolled back" in str(diag["message"])
    assert {r["outcome"] for r in log.values()} == {"loaded"}, log
    _assert_rows_add_up(list(log.values()))
    # Digest: every other family exactly as a clean load of the same files; no diagnosis row at all.
    expected = {**fk.data_digest(base), "diagnoses": (0, 0)}
    assert fk.data_digest(pointer) == expected


# ---------------------------------------------------------------- X3


def _enospc(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("io", ["_copy_verified", "_write_manifest"])
def test_x3_disk_full_in_loader_io(
    wh: Path,
    new_extract: Path,
    io: str,
    in_process: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ENOSPC from the loader's own writes: copying the served generation, writing the manifest."""
    before, gen_before, files_before = fk.digest(wh), fk.published(wh), fk.generation_files(wh)
    monkeypatch.setattr(generations, io, _enospc)

    code = him_main(["load", str(new_extract), "--warehouse", str(wh)])

    assert code == 1
    err = fk.one_line_error(capsys.readouterr().err)
    assert err.startswith("error: disk full"), err
    assert "nothing was published" in err
    assert fk.published(wh) == gen_before
    assert fk.generation_files(wh) == files_before  # the new generation (even renamed) is discarded
    assert fk.digest(wh) == before
    assert verify_published(fk.paths_of(wh))[0]


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 20 MB tmpfs; skipped where mounting is not permitted."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs Linux and root")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True, timeout=20, check=False).returncode:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=20, check=False)


@pytest.mark.parametrize("stage", ["copy", "build"])
def test_x3_real_disk_full_on_tmpfs(base: Path, small_tmpfs: Path, tmp_path: Path, stage: str) -> None:
    """The disk fills while copying the served generation (copy) or while DuckDB writes the new one."""
    wh = fk.clone_warehouse(base, small_tmpfs / "wh")
    big = fk.write_extract(tmp_path / "big", encounters=20_000, start=5000)
    gen = fk.published(wh)
    assert gen is not None
    before, files_before = fk.digest(wh), fk.generation_files(wh)
    st = os.statvfs(small_tmpfs)
    free = st.f_bavail * st.f_frsize
    leave = gen.stat().st_size // 2 if stage == "copy" else gen.stat().st_size + 300_000
    ballast = small_tmpfs / "ballast"
    ballast.write_bytes(b"\0" * max(free - leave, 0))

    proc = fk.load(wh, big)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = fk.one_line_error(proc.stderr)
    assert err.startswith("error: disk full"), err
    assert fk.published(wh) == gen
    assert fk.generation_files(wh) == files_before
    ballast.unlink()
    assert fk.digest(wh) == before
    assert verify_published(fk.paths_of(wh))[0]
    assert _served_count(wh) == 40


# ---------------------------------------------------------------- X5


def test_x5_second_load_is_refused_first_unaffected(wh: Path, new_extract: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    reached = Path(str(release) + ".reached")
    first = fk.start_him(
        "load",
        new_extract,
        "--warehouse",
        wh,
        fault="batch:1:pause",
        env={"HIM_FAULT_RELEASE": str(release), "HIM_FAULT_PAUSE_MAX": "60"},
    )
    with fk.killing(first):
        fk.wait_for(lambda: reached.exists() or first.poll() is not None, timeout=60, what="first load")
        assert first.poll() is None, first.communicate()
        files_during = fk.generation_files(wh)

        second = fk.load(wh, new_extract, timeout=60)

        assert second.returncode == 2
        err = fk.one_line_error(second.stderr)
        assert f"another load is running (pid {first.pid})" in err
        assert fk.generation_files(wh) == files_during  # the refused run wrote nothing
        release.touch()
        _out, err_first = first.communicate(timeout=60)
    assert first.returncode == 0, err_first
    assert fk.counts(wh) == BOTH_COUNTS
    log = fk.load_log(wh)
    assert all(r["outcome"] == "loaded" for r in log), log
    _assert_rows_add_up(log)
    starts = [e for e in _journal(wh) if e["event"] == "start"]
    assert len(starts) == 2  # the base load and the first; the refused one never started


# ---------------------------------------------------------------- X9


@pytest.mark.parametrize("point", ["after_checkpoint", "before_pointer_switch", "during_pointer_write"])
def test_x9_kill_around_the_pointer_switch(wh: Path, new_extract: Path, point: str, in_process: None) -> None:
    paths = fk.paths_of(wh)
    before, gen_before, files_before = fk.digest(wh), fk.published(wh), fk.generation_files(wh)

    killed = fk.load(wh, new_extract, fault=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The pointer is still a link to the old, complete generation.
    assert wh.is_symlink()
    assert fk.published(wh) == gen_before
    assert fk.digest(wh) == before
    assert verify_published(paths)[0]
    assert _served_count(wh) == 40
    extra = set(fk.generation_files(wh)) - set(files_before)
    if point == "after_checkpoint":
        assert extra, "the killed build left nothing behind?"
        assert all(".building." in n for n in extra), extra
    else:  # built, verified and renamed, never published: an orphan
        assert {"gen-000002.duckdb", "gen-000002.duckdb.manifest"} <= extra, extra
    run = _journal(wh)[-1]  # the killed run's start, never followed by an end
    assert run["event"] == "start"
    aside = sorted(p.name for p in wh.parent.glob(f".{wh.name}.*.tmp"))
    assert aside == ([f".{wh.name}.{run['pid']}.tmp"] if point == "during_pointer_write" else [])

    # The next load collects the orphan and publishes.
    report = run_load(paths, [new_extract])

    assert report.exit_code == 0
    # Numbers only grow: an orphan gen-000002 is removed and the new one is gen-000003.
    new = "gen-000002.duckdb" if point == "after_checkpoint" else "gen-000003.duckdb"
    assert fk.published(wh) == paths.generations_dir / new
    assert fk.generation_files(wh) == sorted([*files_before, new, f"{new}.manifest"])
    assert list(wh.parent.glob(f".{wh.name}.*.tmp")) == []
    assert fk.counts(wh) == BOTH_COUNTS
    assert verify_published(paths)[0]
    [interrupted] = [r for r in fk.load_log(wh) if r["outcome"] == "interrupted"]
    assert interrupted["run_id"] == run["run_id"]
    assert f"pid {run['pid']}" in str(interrupted["message"])
