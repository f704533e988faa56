"""The audit log: an append-only, hash-chained record of who looked at what, and when.

One JSON object per line in ``<warehouse>.audit.jsonl`` beside the warehouse pointer (not inside a
generation: a load never touches it). Each entry carries ``prev_hash``, the SHA-256 of the previous
line's bytes (64 zeros for the first), and a sequence number, so editing, deleting or reordering a
stored entry breaks the chain, and :func:`verify` (``him audit verify``) says where. A small head file
(``<log>.head``) records the last sequence number and hash, so cutting entries off the end is caught
too; write the head hash that ``him audit verify`` prints somewhere else now and then (a ticket, a
mail) to anchor the chain outside this machine.

This module has no function that changes or removes an entry: the dashboard can only append and read
(ONC §170.315(d)(2), 45 CFR §164.312(b)). A write that fails raises :class:`AuditUnavailable`, and
the dashboard then refuses the request it was recording (fail closed, X11).

Entries never hold PHI values: ``filters`` are the dashboard's filters (dates, facilities, payers …)
and the names of grid columns filtered on, never values typed into a grid or read from a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from warehouse.errors import HimError
from warehouse.paths import WarehousePaths

#: What an entry may record.
ACTIONS: tuple[str, ...] = (
    "login",
    "logout",
    "failed_login",
    "page_view",
    "query",
    "export",
    "user_change",
    "refused",
)
#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64
#: The fields of an entry, in the order of CSV exports.
FIELDS: tuple[str, ...] = (
    "seq",
    "time",
    "user",
    "action",
    "target",
    "filters",
    "rows",
    "detail",
    "ip",
    "prev_hash",
)
_TAIL_BYTES = 1 << 16
_log = logging.getLogger(__name__)


class AuditUnavailable(HimError):
    """The audit log cannot be written; whatever was to be recorded must not happen."""


def log_path(paths: WarehousePaths) -> Path:
    """The audit log of a warehouse: ``<pointer>.audit.jsonl`` beside the pointer."""
    return paths.pointer.with_name(paths.pointer.name + ".audit.jsonl")


def head_path(log: Path) -> Path:
    """The head file of a log (last sequence number and hash)."""
    return log.with_name(log.name + ".head")


def _lock_path(log: Path) -> Path:
    return log.with_name(log.name + ".lock")


def segments_path(log: Path) -> Path:
    """The index of a log's archived segments (``him audit rotate``), oldest first."""
    return log.with_name(log.name + ".segments.json")


def segments(log: Path) -> list[dict[str, Any]]:
    """The archived segments of a log: file, first_seq, last_seq, first_prev, last_hash, sha256."""
    try:
        data = json.loads(segments_path(log).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return list(data["segments"])


def _segment_lines(log: Path, segment: Mapping[str, Any]) -> Iterator[bytes]:
    import gzip

    with gzip.open(log.parent / segment["file"], "rb") as fh:
        for raw in fh:
            if raw.strip():
                yield raw.rstrip(b"\n")


def _chain_start(log: Path) -> tuple[int, str]:
    """Sequence number and hash the current file continues from (after the archived segments)."""
    archived = segments(log)
    if not archived:
        return 0, GENESIS
    return int(archived[-1]["last_seq"]), str(archived[-1]["last_hash"])


def line_hash(line: bytes) -> str:
    """SHA-256 (hex) of one stored line, without its newline: the next entry's ``prev_hash``."""
    return hashlib.sha256(line).hexdigest()


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found.

    Attributes:
        ok: the chain is intact and matches the head file.
        entries: entries read.
        head: the last entry's hash (what to write down to anchor the chain elsewhere).
        problem: what is wrong, when something is.
        line: the line number (1-based) where the problem was found.
        warning: a harmless oddity (an append interrupted before the head file was updated).
    """

    ok: bool
    entries: int
    head: str
    problem: str | None = None
    line: int | None = None
    warning: str | None = None


class AuditLog:
    """Append to and read one audit log file.

    Args:
        path: the ``.jsonl`` file (created on first append, mode 0640).
        fsync: flush each entry to disk before returning (default; set ``HIM_AUDIT_FSYNC=0`` to skip
            it on a throw-away test machine only).
    """

    def __init__(self, path: Path, *, fsync: bool | None = None) -> None:
        self.path = Path(path)
        if fsync is None:
            fsync = os.environ.get("HIM_AUDIT_FSYNC", "1").strip() not in ("0", "false", "no")
        self.fsync = fsync

    # -- writing -----------------------------------------------------------------------------------

    def append(
        self,
        *,
        user: str | None,
        action: str,
        target: str = "",
        filters: Mapping[str, Any] | None = None,
        rows: int | None = None,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        """Append one entry and return it.

        Raises:
            ValueError: an unknown action.
            AuditUnavailable: the entry could not be written (disk full, permissions, a directory
                where the file should be, …). Nothing that depended on it may go ahead.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; use one of {', '.join(ACTIONS)}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(_lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o640)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                seq, prev = self._last()
                entry = {
                    "seq": seq + 1,
                    "time": _now(),
                    "user": user or "-",
                    "action": action,
                    "target": str(target)[:300],
                    "filters": dict(filters or {}),
                    "rows": rows,
                    "detail": dict(detail or {}),
                    "ip": ip,
                    "prev_hash": prev,
                }
                line = _canonical(entry)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    written = os.write(fd, line + b"\n")
                    if written != len(line) + 1:
                        raise OSError(f"short write ({written} of {len(line) + 1} bytes)")
                    if self.fsync:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                self._write_head(entry["seq"], line_hash(line))
            finally:
                os.close(lock_fd)
        except OSError as exc:
            _log.error(
                "audit log %s cannot be written (%s); refusing the request", self.path, type(exc).__name__
            )
            raise AuditUnavailable(f"the audit log cannot be written ({type(exc).__name__})") from exc
        return entry

    def writable(self) -> bool:
        """Cheap check before expensive work: the log (or its directory) can be opened for append."""
        try:
            if self.path.exists():
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
                os.close(fd)
                return True
            return os.access(self.path.parent if self.path.parent.exists() else Path.cwd(), os.W_OK)
        except OSError:
            return False

    def _last(self) -> tuple[int, str]:
        """Sequence number and hash of the last stored line (0 and GENESIS for an empty log)."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                if size == 0:
                    return _chain_start(self.path)
                start = max(0, size - _TAIL_BYTES)
                fh.seek(start)
                tail = fh.read()
                while True:
                    lines = tail.rstrip(b"\n").split(b"\n")
                    if len(lines) > 1 or start == 0:
                        break
                    start = max(0, start - _TAIL_BYTES)
                    fh.seek(start)
                    tail = fh.read()
        except FileNotFoundError:
            return _chain_start(self.path)
        last = lines[-1]
        try:
            seq = int(json.loads(last)["seq"])
        except (ValueError, KeyError, TypeError) as exc:
            raise OSError("the last audit entry is damaged; run `him audit verify`") from exc
        return seq, line_hash(last)

    def _write_head(self, seq: int, digest: str) -> None:
        head = head_path(self.path)
        tmp = head.with_name(head.name + ".tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n", encoding="ascii")
        tmp.replace(head)

    # -- reading -----------------------------------------------------------------------------------

    def entries(self) -> Iterator[dict[str, Any]]:
        """Yield every entry, oldest first, archived segments included (a damaged line raises ValueError)."""
        for segment in segments(self.path):
            for line in _segment_lines(self.path, segment):
                yield json.loads(line)
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            for raw in fh:
                if raw.strip():
                    yield json.loads(raw)

    def verify(self) -> Verification:
        """Check the whole chain and the head file."""
        return verify(self.path)


def _check_lines(
    lines: Iterable[bytes], prev: str, seq: int, n: int
) -> tuple[Verification | None, str, int, int]:
    """Check stored lines continuing a chain at (prev, seq) after n lines; return a problem or None."""
    for line in lines:
        n += 1
        try:
            entry = json.loads(line)
            entry_seq = int(entry["seq"])
            entry_prev = entry["prev_hash"]
        except (ValueError, KeyError, TypeError):
            return Verification(False, n - 1, prev, "the line is not a readable audit entry", n), prev, seq, n
        if line != _canonical(entry):
            return Verification(False, n - 1, prev, "the entry is not in its stored form", n), prev, seq, n
        if entry_seq != seq + 1:
            problem = f"entry {entry_seq} follows entry {seq}: entries were deleted or reordered"
            if entry_seq <= seq:
                problem += " (or a rotation was interrupted: run `him audit rotate` to finish it)"
            return Verification(False, n - 1, prev, problem, n), prev, seq, n
        if entry_prev != prev:
            problem = (
                f"entry {entry_seq} does not carry the hash of the entry before it: an entry was edited, "
                "deleted or reordered"
            )
            return Verification(False, n - 1, prev, problem, n), prev, seq, n
        prev, seq = line_hash(line), entry_seq
    return None, prev, seq, n


def verify(path: Path) -> Verification:
    """Check an audit log (its archived segments first) and its head file.

    Every line must parse, sequence numbers run 1, 2, 3 …, each ``prev_hash`` is the hash of the line
    before, and the last entry is the one the head file names. An archived segment must also have the
    SHA-256 its index recorded when it was archived, and start where the one before it ended.

    Editing a line changes its hash (the next entry's ``prev_hash`` no longer matches); deleting or
    reordering lines breaks the sequence and the chain; cutting lines off the end leaves the head
    file pointing past the last entry.
    """
    prev, seq, n = GENESIS, 0, 0
    for segment in segments(path):
        try:
            digest = hashlib.sha256((path.parent / segment["file"]).read_bytes()).hexdigest()
        except OSError:
            return Verification(False, n, prev, f"the archived segment {segment['file']} is missing", None)
        if digest != segment["sha256"]:
            return Verification(False, n, prev, f"the archived segment {segment['file']} was changed", None)
        found, prev, seq, n = _check_lines(_segment_lines(path, segment), prev, seq, n)
        if found is not None:
            return replace(found, problem=f"{segment['file']}: {found.problem}")
        if seq != int(segment["last_seq"]) or prev != segment["last_hash"]:
            return Verification(
                False,
                n,
                prev,
                f"the archived segment {segment['file']} does not end where its index says",
                None,
            )
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        fh = None
    if fh is not None:
        with fh:
            found, prev, seq, n = _check_lines((raw.rstrip(b"\n") for raw in fh), prev, seq, n)
        if found is not None:
            return found
    warning = None
    head = head_path(path)
    try:
        recorded = json.loads(head.read_text(encoding="ascii"))
        head_seq, head_hash = int(recorded["seq"]), str(recorded["hash"])
    except FileNotFoundError:
        if seq:
            return Verification(
                False, seq, prev, "the head file is missing: the end of the log cannot be checked", None
            )
        return Verification(True, 0, prev)
    except (ValueError, KeyError, TypeError, OSError):
        return Verification(False, seq, prev, "the head file is damaged", None)
    if head_seq > seq:
        return Verification(
            False,
            seq,
            prev,
            f"the head file names entry {head_seq} but the log ends at "
            f"entry {seq}: entries were removed from the end",
            None,
        )
    if head_seq == seq and head_hash != prev:
        return Verification(
            False,
            seq,
            prev,
            f"the last entry ({seq}) is not the one the head file names: it was edited or replaced",
            None,
        )
    if head_seq < seq:
        warning = f"the head file names entry {head_seq}; the log has {seq} (an append was interrupted)"
    return Verification(True, seq, prev, None, None, warning)


def matches(
    entry: Mapping[str, Any],
    *,
    user: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> bool:
    """True when an entry passes the admin page's filters (user, action, date range)."""
    if user and entry.get("user") != user:
        return False
    if action and entry.get("action") != action:
        return False
    day = str(entry.get("time", ""))[:10]
    if since and day < since.isoformat():
        return False
    return not (until and day > until.isoformat())


def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for f in FIELDS:
        value = entry.get(f)
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            value = "'" + value  # a spreadsheet must not read a cell as a formula
        out[f] = value
    return out


def export(entries: Iterable[Mapping[str, Any]], fmt: str = "csv") -> Iterator[str]:
    """Yield the entries as CSV (one header row, nested fields as JSON) or JSON lines."""
    if fmt == "json":
        for e in entries:
            yield json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n"
        return
    if fmt != "csv":
        raise ValueError(f"export format {fmt!r} is not accepted; use csv or json")
    yield ",".join(FIELDS) + "\n"
    for e in entries:
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=list(FIELDS), lineterminator="\n").writerow(_flat(e))
        yield buf.getvalue()
