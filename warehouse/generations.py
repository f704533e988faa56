"""Warehouse generations: build a new file beside the served one, verify it, switch a pointer atomically.

DuckDB allows one read-write process or many read-only ones per file, and the dashboard's workers must
keep answering during a load. So a load never writes the served file:

1. take the load lock (a second ``him load`` is refused with the holder's pid);
2. copy the published generation to ``gen-NNNNNN.building.duckdb`` and open it read-write;
3. load the files (one transaction per file), ``CHECKPOINT`` and close;
4. verify: reopen read-only, check table row counts against what the load committed;
5. ``fsync`` the file, rename it to ``gen-NNNNNN.duckdb``, write its manifest (size, SHA-256);
6. point the pointer (a symlink) at it with ``os.replace`` — atomic: readers see old or new, never half;
7. collect garbage: keep the newest few generations, remove older ones after a grace period.

A crash at any step leaves the pointer on the previous complete generation; leftovers of an unfinished
build are removed by the next load (they were never published).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import faults
from warehouse.db import published_generation
from warehouse.errors import HimError, LoadRefused
from warehouse.paths import WarehousePaths

GEN_RE = re.compile(r"^gen-(\d{6})\.duckdb$")
KEEP_GENERATIONS = 3
GRACE_SECONDS = 600
LOADER_CONFIG: dict[str, str | bool] = {"memory_limit": "3GB", "preserve_insertion_order": False}


class DiskFull(HimError):
    """The disk filled up while building a generation; the served generation is untouched."""


@dataclass(frozen=True)
class BuiltGeneration:
    """A published generation."""

    path: Path
    number: int
    counts: dict[str, int]


@contextlib.contextmanager
def load_lock(paths: WarehousePaths) -> Iterator[None]:
    """Hold the warehouse's load lock, or refuse at once naming the pid that holds it."""
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


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _is_disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (isinstance(exc, OSError) and exc.errno == 28) or "no space left" in text or "disk full" in text


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
        DiskFull: the disk filled; nothing was published.
        HimError: verification failed; nothing was published.
    """
    paths.generations_dir.mkdir(parents=True, exist_ok=True)
    remove_unpublished(paths)
    current = published_generation(paths)
    existing = [generation_number(p) or 0 for p in list_generations(paths)]
    number = max(existing, default=0) + 1
    building = paths.generations_dir / f"gen-{number:06d}.building.duckdb"
    final = paths.generations_dir / f"gen-{number:06d}.duckdb"
    try:
        if current is not None and current.exists():
            shutil.copyfile(current, building)
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
        _fsync_path(building)
        os.replace(building, final)
        _write_manifest(final)
        _fsync_path(paths.generations_dir)
        faults.maybe("before_pointer_switch")
        switch_pointer(paths, final)
    except BaseException as exc:
        for leftover in (building, building.with_name(building.name + ".wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if isinstance(exc, Exception) and _is_disk_full(exc):
            raise DiskFull(
                "disk full while building the new warehouse generation; nothing was published and the "
                "served data is unchanged. Free space, then run the load again."
            ) from exc
        raise
    collect_garbage(paths)
    return BuiltGeneration(final, number, expected)


def _verify(path: Path, expected: dict[str, int], counts_sql: str) -> None:
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
    manifest = gen.with_name(gen.name + ".manifest")
    tmp = manifest.with_name(manifest.name + ".tmp")
    tmp.write_text(f"{gen.stat().st_size} {sha256_file(gen)}\n")
    os.replace(tmp, manifest)


def switch_pointer(paths: WarehousePaths, target: Path) -> None:
    """Point the warehouse at ``target`` atomically (symlink written aside, then ``os.replace``)."""
    tmp = paths.pointer.with_name(f".{paths.pointer.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(target, paths.pointer.parent), tmp)
    faults.maybe("during_pointer_write")
    os.replace(tmp, paths.pointer)
    _fsync_path(paths.pointer.parent)


def remove_unpublished(paths: WarehousePaths) -> list[Path]:
    """Delete leftovers of builds that never published (caller holds the load lock)."""
    removed = []
    if paths.generations_dir.exists():
        for p in paths.generations_dir.iterdir():
            if ".building." in p.name:
                p.unlink()
                removed.append(p)
    for p in paths.pointer.parent.glob(f".{paths.pointer.name}.*.tmp"):
        p.unlink()
        removed.append(p)
    return removed


def collect_garbage(
    paths: WarehousePaths, *, keep: int = KEEP_GENERATIONS, grace_seconds: float = GRACE_SECONDS
) -> list[Path]:
    """Remove old generations: keep the newest ``keep``, and any superseded less than the grace ago.

    A generation's superseded time is the publish time (manifest mtime) of the next one. On POSIX a
    reader that still has a removed file open keeps reading it until it closes.
    """
    gens = list_generations(paths)
    current = published_generation(paths)
    removed: list[Path] = []
    now = time.time()
    for older, newer in zip(gens[:-keep], gens[1:], strict=False):
        if older == current:
            continue
        newer_manifest = newer.with_name(newer.name + ".manifest")
        superseded_at = newer_manifest.stat().st_mtime if newer_manifest.exists() else now
        if now - superseded_at < grace_seconds:
            continue
        for p in (older, older.with_name(older.name + ".manifest")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        removed.append(older)
    return removed


def verify_published(paths: WarehousePaths) -> tuple[bool, str]:
    """Deep check of the published generation: size and SHA-256 against its manifest, and it opens."""
    gen = published_generation(paths)
    if gen is None:
        return False, f"no generation published at {paths.pointer}"
    manifest = gen.with_name(gen.name + ".manifest")
    if not gen.exists():
        return False, f"{gen.name} is missing"
    if manifest.exists():
        size, digest = manifest.read_text().split()
        if gen.stat().st_size != int(size) or sha256_file(gen) != digest:
            return False, f"{gen.name} does not match its manifest (size or SHA-256): it is corrupt"
    from warehouse.db import WarehouseUnavailable, connect_read_only

    try:
        connect_read_only(gen).close()
    except WarehouseUnavailable as exc:
        return False, str(exc)
    return True, f"{gen.name} verified"


# ---------------------------------------------------------------- run journal


def journal_event(paths: WarehousePaths, event: str, run_id: str, **fields: object) -> None:
    """Append one event to the run journal (survives a killed load, unlike the generation being built)."""
    paths.journal.parent.mkdir(parents=True, exist_ok=True)
    record = {"event": event, "run_id": run_id, "pid": os.getpid(), "at": dt.datetime.now().isoformat(), **fields}
    with paths.journal.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def interrupted_runs(paths: WarehousePaths) -> list[dict[str, object]]:
    """Runs that started and never finished nor were already recorded as interrupted."""
    if not paths.journal.exists():
        return []
    started: dict[str, dict[str, object]] = {}
    for line in paths.journal.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("event") == "start":
            started[rec["run_id"]] = rec
        else:
            started.pop(rec.get("run_id"), None)
    return list(started.values())
