"""``him audit rotate``: move the audit log's entries into a compressed, read-only archived segment.

Only the command line does this (the web process never imports this module: it can append and read,
nothing else). The chain is not restarted: the next entry continues the sequence and carries the hash
of the last archived one, so ``him audit verify`` checks every segment and the current file as one
chain. Each segment's SHA-256 is recorded in the index (``<log>.segments.json``) when it is written.

Steps, under the log's append lock: (1) the archive ``<log>.<first>-<last>.gz`` is written and synced,
(2) the index names it (the commit point), (3) the current file is replaced by an empty one. A crash
between (2) and (3) leaves the archived entries also in the current file; ``verify`` then says so and
running ``him audit rotate`` again finishes the job. Nothing is ever deleted: retention (HIPAA asks for
six years of audit documentation) is the operator's, on the archived files.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from warehouse.audit import (
    AuditUnavailable,
    _chain_start,
    _lock_path,
    line_hash,
    segments,
    segments_path,
)
from warehouse.generations import fsync_path


@dataclass(frozen=True)
class Rotation:
    """What one rotation archived (None from :func:`rotate` when there was nothing to archive)."""

    file: str
    first_seq: int
    last_seq: int
    entries: int


def rotate(log: Path, *, min_bytes: int = 0) -> Rotation | None:
    """Archive the current entries of ``log`` when it holds at least ``min_bytes``.

    Raises:
        AuditUnavailable: the log cannot be read or the archive cannot be written.
    """
    try:
        lock_fd = os.open(_lock_path(log), os.O_RDWR | os.O_CREAT, 0o640)
    except OSError as exc:
        raise AuditUnavailable(f"cannot lock the audit log ({type(exc).__name__})") from exc
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            data = log.read_bytes()
        except FileNotFoundError:
            return None
        stored = [ln for ln in data.split(b"\n") if ln.strip()]
        archived_seq, _ = _chain_start(log)
        # Finish an interrupted rotation: entries already archived stay out of the new segment.
        lines = [ln for ln in stored if int(json.loads(ln)["seq"]) > archived_seq]
        if not lines:
            if stored:  # everything here is archived already: only the emptying was left to do
                _empty(log)
            return None
        if len(data) < min_bytes and len(lines) == len(stored):
            return None
        first, last = json.loads(lines[0]), json.loads(lines[-1])
        name = f"{log.name}.{int(first['seq']):09d}-{int(last['seq']):09d}.gz"
        archive = log.parent / name
        tmp = archive.with_name(name + ".tmp")
        body = b"\n".join(lines) + b"\n"
        with tmp.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(body)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        tmp.chmod(0o440)
        tmp.replace(archive)
        entry = {
            "file": name,
            "first_seq": int(first["seq"]),
            "last_seq": int(last["seq"]),
            "first_prev": first["prev_hash"],
            "last_hash": line_hash(lines[-1]),
            "entries": len(lines),
            "sha256": digest,
            "rotated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        index = [*segments(log), entry]
        itmp = segments_path(log).with_name(segments_path(log).name + ".tmp")
        itmp.write_text(json.dumps({"segments": index}, indent=1) + "\n", encoding="utf-8")
        itmp.replace(segments_path(log))
        fsync_path(log.parent)
        _empty(log)
        return Rotation(name, int(first["seq"]), int(last["seq"]), len(lines))
    except OSError as exc:
        raise AuditUnavailable(f"cannot rotate the audit log ({type(exc).__name__})") from exc
    finally:
        os.close(lock_fd)


def _empty(log: Path) -> None:
    """Replace the current file by an empty one atomically (same mode)."""
    tmp = log.with_name(log.name + ".rotating")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    os.fsync(fd)
    os.close(fd)
    tmp.replace(log)
    fsync_path(log.parent)
