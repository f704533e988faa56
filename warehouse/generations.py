"""Warehouse generations: build a new file beside the served one, verify it, switch a pointer atomically.

DuckDB allows one read-write process or many read-only ones per file, and the dashboard's workers must
keep answering during a load. So a load never writes the served file:

1. take the load lock (a second ``him load`` is refused with the holder's pid) and journal the run;
2. check the published generation (no WAL, size and SHA-256 against its manifest) while copying it to
   ``gen-NNNNNN.building.duckdb``; a corrupt one is refused, never copied forward;
3. open the copy read-write, load the files (one transaction per file), ``CHECKPOINT`` and close;
4. verify: no WAL left, reopen read-only, check table row counts against what the load committed;
5. ``fsync`` the file, rename it to ``gen-NNNNNN.duckdb``, write its manifest (size, SHA-256);
6. point the pointer (a symlink) at it with ``os.replace`` — atomic: readers see old or new, never half;
7. collect garbage: keep the newest few generations, remove older ones after a grace period.

A crash at any step leaves the pointer on the previous complete generation. An error removes what
the run wrote; after a kill, the leftovers of the unfinished build (``.building`` files, a pointer
symlink written aside, a generation newer than the published one) are removed by the next load: they
were never published. See docs/warehouse.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import faults
from warehouse.db import (
    CORRUPT_HELP,
    WarehouseUnavailable,
    check_generation_file,
    connect_read_only,
    manifest_path,
    published_generation,
    read_manifest,
    sha256_file,
    wal_path,
)
from warehouse.errors import HimError, LoadRefused, UsageProblem
from warehouse.paths import WarehousePaths

__all__ = [
    "BuiltGeneration",
    "CorruptGeneration",
    "DiskFull",
    "build_generation",
    "collect_garbage",
    "interrupted_runs",
    "journal_event",
    "list_generations",
    "load_lock",
    "remove_unpublished",
    "sha256_file",
    "switch_pointer",
    "verify_published",
]

log = logging.getLogger(__name__)

GEN_RE = re.compile(r"^gen-(\d{6})\.duckdb$")
GEN_FILE_RE = re.compile(r"^gen-(\d{6})\.duckdb(\.manifest|\.wal|\.manifest\.tmp)?$")
KEEP_GENERATIONS = 3
GRACE_SECONDS = 600
COPY_CHUNK = 4 << 20
LOADER_CONFIG: dict[str, str | bool] = {"memory_limit": "3GB", "preserve_insertion_order": False}


class DiskFull(HimError):
    """The disk filled up while building a generation; the served generation is untouched."""


class CorruptGeneration(HimError):
    """The published generation failed its checks, so a load refused to build on it."""


@dataclass(frozen=True)
class BuiltGeneration:
    """A published generation."""

    path: Path
    number: int
    counts: dict[str, int]


@contextlib.contextmanager
def load_lock(paths: WarehousePaths) -> Iterator[None]:
    """Hold the warehouse's load lock, or refuse at once naming the pid that holds it.

    The lock is an ``flock`` on ``<pointer>.lock``: the kernel releases it when the holder exits, even
    by SIGKILL, so a killed load never blocks the next one.
    """
    paths.lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LoadRefused(
                f"another load is running (pid {holder}) on {paths.pointer}; wait for it to finish"
            ) from None
        with contextlib.suppress(OSError):  # the pid is informative; a full disk must not stop here
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock


def generation_number(path: Path) -> int | None:
    """The number of a published generation file name, else None."""
    m = GEN_RE.match(path.name)
    return int(m.group(1)) if m else None


def list_generations(paths: WarehousePaths) -> list[Path]:
    """Published generation files, oldest first."""
    if not paths.generations_dir.exists():
        return []
    gens = [p for p in paths.generations_dir.iterdir() if generation_number(p) is not None]
    return sorted(gens, key=lambda p: generation_number(p) or 0)


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's entry to disk (a rename is durable once its directory is)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` or an exception it was raised from is ENOSPC / "No space left on device"."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        text = str(seen).lower()
        if (isinstance(seen, OSError) and seen.errno == 28) or "no space left" in text or "disk full" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def gc_grace_seconds() -> float:
    """How long a superseded generation is kept: ``$HIM_GC_GRACE_SECONDS``, else 600."""
    raw = os.environ.get("HIM_GC_GRACE_SECONDS", "").strip()
    if not raw:
        return GRACE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageProblem(f"HIM_GC_GRACE_SECONDS={raw!r} is not a number of seconds (0 or more)")
    return value


def build_generation(
    paths: WarehousePaths,
    work: Callable[[duckdb.DuckDBPyConnection], dict[str, int]],
    *,
    schema_sql: str,
    counts_sql: str,
) -> BuiltGeneration:
    """Build, verify and publish a new generation; the caller must hold :func:`load_lock`.

    Args:
        paths: the warehouse.
        work: loads data through the read-write connection; returns the expected row count per table.
        schema_sql: DDL applied (idempotently) before ``work``.
        counts_sql: returns (table, row count) pairs, run again on the closed file to verify it.

    Raises:
        CorruptGeneration: the published generation failed its checks; nothing was built.
        DiskFull: the disk filled; nothing was published.
        HimError: verification failed; nothing was published.
    """
    paths.generations_dir.mkdir(parents=True, exist_ok=True)
    current = published_generation(paths)
    if current is not None:
        try:
            check_generation_file(current)
        except WarehouseUnavailable as exc:
            raise CorruptGeneration(f"load refused, nothing was changed: {exc}") from exc
    # Numbers only grow (also past unpublished leftovers), so a path never names two different files.
    existing = [generation_number(p) or 0 for p in list_generations(paths)]
    number = max(existing, default=0) + 1
    removed = remove_unpublished(paths, current)
    if removed:
        log.warning("removed leftovers of unpublished builds: %s", ", ".join(p.name for p in removed))
        journal_event(paths, "removed_unpublished", "-", files=[p.name for p in removed])
    building = paths.generations_dir / f"gen-{number:06d}.building.duckdb"
    final = paths.generations_dir / f"gen-{number:06d}.duckdb"
    try:
        if current is not None:
            _copy_verified(current, building)
        paths.tmp_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(building), config={**LOADER_CONFIG, "temp_directory": str(paths.tmp_dir)})
        try:
            con.execute(schema_sql)
            expected = work(con)
            con.execute("checkpoint")
        finally:
            con.close()
        faults.maybe("after_checkpoint")
        _verify(building, expected, counts_sql)
        fsync_path(building)
        building.replace(final)  # os.replace: atomic within the directory
        _write_manifest(final)
        fsync_path(paths.generations_dir)
        faults.maybe("before_pointer_switch")
        switch_pointer(paths, final)
    except BaseException as exc:
        _discard_unpublished(paths, building, final)
        if isinstance(exc, Exception) and not isinstance(exc, DiskFull) and _is_disk_full(exc):
            raise DiskFull(
                "disk full while building the new warehouse generation; nothing was published and the "
                "served data is unchanged. Free space, then run the load again."
            ) from exc
        raise
    try:
        collect_garbage(paths)
    except (OSError, HimError) as exc:  # the load is published; old files are removed next time
        log.warning("garbage collection of old generations failed: %s", exc)
    return BuiltGeneration(final, number, expected)


def _copy_verified(src: Path, dst: Path) -> None:
    """Copy the published generation, checking its SHA-256 against the manifest on the way."""
    try:
        recorded = read_manifest(src)
    except WarehouseUnavailable as exc:
        raise CorruptGeneration(f"load refused, nothing was changed: {exc}") from exc
    h = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(COPY_CHUNK):
            h.update(chunk)
            fout.write(chunk)
            size += len(chunk)
    if recorded is not None and (size, h.hexdigest()) != recorded:
        raise CorruptGeneration(
            f"load refused, nothing was changed: the published generation {src.name} does not match the "
            f"size and SHA-256 recorded when it was published, so it is corrupt; {CORRUPT_HELP}"
        )


def _discard_unpublished(paths: WarehousePaths, building: Path, final: Path) -> None:
    """Remove what a failed build wrote, unless the pointer already names it (then it is published)."""
    try:
        if published_generation(paths) == final.resolve():
            return
    except HimError:
        pass
    leftovers = [building, wal_path(building), final, manifest_path(final), wal_path(final)]
    leftovers.append(manifest_path(final).with_name(manifest_path(final).name + ".tmp"))
    leftovers.append(paths.pointer.with_name(f".{paths.pointer.name}.{os.getpid()}.tmp"))
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            leftover.unlink()


def _verify(path: Path, expected: dict[str, int], counts_sql: str) -> None:
    wal = wal_path(path)
    if wal.exists():
        raise HimError(
            f"verification of the new generation failed: {wal.name} is still there after the checkpoint; "
            "nothing was published"
        )
    con = duckdb.connect(str(path), read_only=True)
    try:
        got = {t: n for t, n in con.execute(counts_sql).fetchall()}
    finally:
        con.close()
    for table, count in expected.items():
        if got.get(table) != count:
            raise HimError(
                f"verification of the new generation failed: {table} has {got.get(table)} rows, "
                f"expected {count}; nothing was published"
            )


def _write_manifest(gen: Path) -> None:
    manifest = manifest_path(gen)
    tmp = manifest.with_name(manifest.name + ".tmp")
    with tmp.open("w", encoding="ascii") as fh:
        fh.write(f"{gen.stat().st_size} {sha256_file(gen)}\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(manifest)


def switch_pointer(paths: WarehousePaths, target: Path) -> None:
    """Point the warehouse at ``target`` atomically (symlink written aside, then ``os.replace``)."""
    tmp = paths.pointer.with_name(f".{paths.pointer.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, paths.pointer.parent))
    faults.maybe("during_pointer_write")
    tmp.replace(paths.pointer)  # os.replace(2): readers see the old link or the new one, never neither
    fsync_path(paths.pointer.parent)


def remove_unpublished(paths: WarehousePaths, current: Path | None = None) -> list[Path]:
    """Delete leftovers of builds that never published (the caller holds the load lock).

    Leftovers: ``.building`` files and their WAL, temporary manifests, pointer symlinks written aside,
    and generations numbered above the published ``current`` (built, then killed before the pointer
    switch). Generations at or below the published one are left to :func:`collect_garbage`.
    """
    removed: list[Path] = []
    cur_no = None
    if current is not None and current.parent == paths.generations_dir.resolve():
        cur_no = generation_number(current)
    if paths.generations_dir.exists():
        for p in sorted(paths.generations_dir.iterdir()):
            m = GEN_FILE_RE.match(p.name)
            orphan = m is not None and cur_no is not None and int(m.group(1)) > cur_no
            if ".building." in p.name or p.name.endswith(".manifest.tmp") or orphan:
                p.unlink()
                removed.append(p)
    for p in paths.pointer.parent.glob(f".{paths.pointer.name}.*.tmp"):
        p.unlink()
        removed.append(p)
    return removed


def collect_garbage(
    paths: WarehousePaths, *, keep: int = KEEP_GENERATIONS, grace_seconds: float | None = None
) -> list[Path]:
    """Remove old generations: keep the newest ``keep``, and any superseded less than the grace ago.

    A generation's superseded time is the publish time (manifest mtime) of the next one; the grace
    (default ``$HIM_GC_GRACE_SECONDS`` or 600 s) lets a reader that resolved the pointer just before a
    switch still open the old file. On POSIX a reader that has a removed file open keeps reading it
    until it closes it. The published generation, and one with a WAL beside it (kept for the operator,
    see X8), are never removed.
    """
    grace = gc_grace_seconds() if grace_seconds is None else grace_seconds
    gens = list_generations(paths)
    current = published_generation(paths)
    removed: list[Path] = []
    now = time.time()
    for older, newer in zip(gens[:-keep] if keep else gens, gens[1:], strict=False):
        if older == current or wal_path(older).exists():
            continue
        newer_manifest = manifest_path(newer)
        superseded_at = newer_manifest.stat().st_mtime if newer_manifest.exists() else now
        if now - superseded_at < grace:
            continue
        for p in (older, manifest_path(older)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        removed.append(older)
    return removed


def verify_published(paths: WarehousePaths) -> tuple[bool, str]:
    """Deep check of the published generation: no WAL, size and SHA-256 against its manifest, opens."""
    try:
        gen = published_generation(paths)
        if gen is None:
            return False, f"no generation published at {paths.pointer}"
        connect_read_only(gen, deep=True).close()
    except WarehouseUnavailable as exc:
        return False, str(exc)
    return True, f"{gen.name} verified (size and SHA-256 match its manifest, it opens)"


# ---------------------------------------------------------------- run journal


def journal_event(paths: WarehousePaths, event: str, run_id: str, **fields: object) -> None:
    """Append one event to the run journal (survives a killed load, unlike the generation being built).

    Only the ``start`` event must be written (a run that cannot journal does not start); a later event
    that cannot be written (disk full) is logged and skipped, so it never hides the run's own error.
    """
    now = dt.datetime.now().isoformat()
    record = {"event": event, "run_id": run_id, "pid": os.getpid(), "at": now, **fields}
    line = (json.dumps(record) + "\n").encode("utf-8")
    try:
        paths.journal.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(paths.journal, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a torn last line (killed mid-write) must not swallow this one
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if event != "start":
            log.warning("could not write the %r event of run %s to the run journal: %s", event, run_id, exc)
            return
        if _is_disk_full(exc):
            raise DiskFull(
                f"disk full: cannot write the run journal {paths.journal.name}; nothing was loaded. "
                "Free space, then run the load again."
            ) from exc
        raise


def interrupted_runs(paths: WarehousePaths) -> list[dict[str, object]]:
    """Runs that started and never published, not yet recorded as interrupted in a load log.

    That is runs killed mid-way (no event after ``start``) and runs aborted by an error (an ``aborted``
    event, whose ``error`` is copied into the returned record).
    """
    if not paths.journal.exists():
        return []
    started: dict[str, dict[str, object]] = {}
    for line in paths.journal.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict):
            continue
        run_id = rec.get("run_id")
        if rec.get("event") == "start":
            started[str(run_id)] = rec
        elif rec.get("event") == "aborted" and run_id in started:
            started[str(run_id)] = {**started[str(run_id)], "error": rec.get("error")}
        elif rec.get("event") in ("end", "interrupted_recorded"):
            started.pop(str(run_id), None)
    return list(started.values())
