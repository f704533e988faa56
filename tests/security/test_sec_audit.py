"""S15 (the audit trail is tamper-evident and append-only) and X11 (fail closed when it cannot be written)."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from sec_helpers import callback_body, key_with, login, post_callback

from warehouse import audit
from warehouse.cli import main as him
from warehouse.paths import WarehousePaths

ROOT = Path(__file__).resolve().parents[2]


def _log(tmp_path: Path, n: int = 5) -> audit.AuditLog:
    log = audit.AuditLog(tmp_path / "him.duckdb.audit.jsonl", fsync=False)
    for i in range(n):
        log.append(
            user=f"u{i}",
            action="query",
            target="denials-trend.figure",
            filters={"facility": ["FAC01"]},
            rows=i,
            ip="10.0.0.1",
        )
    return log


def _rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def test_a_fresh_chain_verifies(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = log.verify()
    assert result.ok
    assert result.entries == 5
    assert result.problem is None
    entries = list(log.entries())
    assert entries[0]["prev_hash"] == audit.GENESIS
    assert all(
        e["prev_hash"] == audit.line_hash(a)
        for e, a in zip(entries[1:], log.path.read_bytes().splitlines(), strict=False)
    )
    assert set(entries[0]) == set(audit.FIELDS)


@pytest.mark.parametrize(
    "tamper", ["edit", "edit_consistently", "delete", "reorder", "truncate", "drop_head"]
)
def test_tampering_is_detected(tmp_path: Path, tamper: str) -> None:
    log = _log(tmp_path)
    lines = log.path.read_bytes().splitlines(keepends=True)
    if tamper == "edit":
        lines[2] = lines[2].replace(b'"u2"', b'"zz"')
    elif tamper == "edit_consistently":  # re-serialised cleanly, but its hash no longer chains
        entry = json.loads(lines[2])
        entry["rows"] = 999
        lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    elif tamper == "delete":
        del lines[1]
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif tamper == "truncate":
        lines = lines[:-1]
    if tamper == "drop_head":
        audit.head_path(log.path).unlink()
    else:
        _rewrite(log.path, lines)
    result = log.verify()
    assert not result.ok
    assert result.problem


def test_him_audit_verify_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = WarehousePaths(tmp_path / "him.duckdb")
    log = _log(tmp_path)
    assert log.path == audit.log_path(paths)
    assert him(["audit", "verify", "--warehouse", str(paths.pointer)]) == 0
    assert "intact: 5 entries" in capsys.readouterr().out
    assert him(["audit", "export", "--format", "csv", "--warehouse", str(paths.pointer)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ",".join(audit.FIELDS)
    assert len(out) == 6
    assert him(["audit", "export", "--format", "json", "--warehouse", str(paths.pointer)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    lines = log.path.read_bytes().splitlines(keepends=True)
    _rewrite(log.path, [lines[0], lines[2], lines[3], lines[4]])
    assert him(["audit", "verify", "--warehouse", str(paths.pointer)]) == 1
    assert "BROKEN" in capsys.readouterr().err


def test_export_neutralises_formulas(tmp_path: Path) -> None:
    log = audit.AuditLog(tmp_path / "a.jsonl", fsync=False)
    log.append(user='=HYPERLINK("http://x")', action="failed_login", target="@SUM(1)")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO("".join(audit.export(log.entries(), "csv")))))
    assert rows[0]["user"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["target"] == "'@SUM(1)"


def test_no_code_path_changes_or_removes_entries() -> None:
    source = (ROOT / "warehouse" / "audit.py").read_text(encoding="utf-8")
    public = set(re.findall(r"^    def ([a-z]\w*)\(", source, re.MULTILINE))
    assert public == {"append", "writable", "entries", "verify"}
    opens = re.findall(r"os\.open\(self\.path, ([^)]*)\)", source)
    assert opens
    assert all("O_APPEND" in o for o in opens)
    assert not re.search(r"self\.path\.(write_text|write_bytes|unlink|rename|replace)|truncate\(", source)
    for path in (ROOT / "dashboard" / "security").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"audit\.(path|log_path)[^\n]*(unlink|write|open\()", text), path.name
        assert "UPDATE" not in text
        assert "DELETE FROM audit" not in text


def test_an_unreadable_last_entry_refuses_further_appends(tmp_path: Path) -> None:
    log = _log(tmp_path, 2)
    with log.path.open("ab") as fh:
        fh.write(b"not json\n")
    with pytest.raises(audit.AuditUnavailable):
        log.append(user="u", action="query")


# -- X11 -----------------------------------------------------------------------------------------------


def test_fail_closed_when_the_audit_log_cannot_be_written(
    app: Any, sec: Any, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login(app, "t-analyst")
    rows_key = next(k for k in app.callback_map if "getRowsResponse" in k)
    body = callback_body(app, rows_key, values)
    assert post_callback(client, body).status_code == 200
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        if b'"prev_hash"' in data:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(audit.os, "write", disk_full)
    refused = post_callback(client, body)
    assert refused.status_code == 503
    assert b"rowData" not in refused.data
    assert b"encounter" not in refused.data
    assert client.get("/export/deidentified/encounters.csv").status_code == 503
    page = callback_body(
        app, next(k for k in app.callback_map if "_pages_content" in k), {**values, "pathname": "/explorer"}
    )
    assert post_callback(client, page).status_code == 503
    fresh = app.server.test_client()
    from sec_helpers import USERS, csrf_of

    token = csrf_of(fresh.get("/login").get_data(as_text=True))
    resp = fresh.post(
        "/login", data={"username": "t-analyst", "password": USERS["t-analyst"][2], "csrf_token": token}
    )
    assert resp.status_code == 503
    assert "him_session=" not in str(resp.headers.getlist("Set-Cookie"))
    monkeypatch.undo()
    assert post_callback(client, body).status_code == 200
    assert sec.audit.verify().ok


def test_fail_closed_when_the_log_path_is_not_writable(app: Any, sec: Any, values: dict[str, Any]) -> None:
    client = login(app, "t-analyst")
    key = key_with(app, "denials-summary.")
    body = callback_body(app, key, values)
    path = sec.audit.path
    moved = path.with_name(path.name + ".moved")
    path.rename(moved)
    path.mkdir()  # a directory where the file should be: no append can succeed, even as root
    try:
        assert post_callback(client, body).status_code == 503
    finally:
        path.rmdir()
        moved.rename(path)
    assert post_callback(client, body).status_code == 200
    assert sec.audit.verify().ok


def test_rotation_archives_entries_and_the_chain_continues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    paths = WarehousePaths(tmp_path / "him.duckdb")
    log = _log(tmp_path, 5)
    head_before = audit.verify(log.path).head
    assert him(["audit", "rotate", "--warehouse", str(paths.pointer)]) == 0
    assert "archived entries 1-5 (5)" in capsys.readouterr().out
    (segment,) = audit.segments(log.path)
    archive = tmp_path / segment["file"]
    assert archive.stat().st_mode & 0o777 == 0o440
    assert len(gzip.decompress(archive.read_bytes()).splitlines()) == 5
    assert log.path.read_bytes() == b""
    assert audit.verify(log.path).ok
    assert audit.verify(log.path).head == head_before
    # The next entry continues the sequence and the hash chain across the segment.
    entry = log.append(user="u9", action="login")
    assert (entry["seq"], entry["prev_hash"]) == (6, head_before)
    _log(tmp_path, 2)
    result = audit.verify(log.path)
    assert (result.ok, result.entries) == (True, 8)
    assert [e["seq"] for e in log.entries()] == list(range(1, 9))  # the admin page and exports see all
    assert him(["audit", "rotate", "--min-mb", "1", "--warehouse", str(paths.pointer)]) == 0
    assert "nothing to rotate" in capsys.readouterr().out  # under the size asked for
    assert him(["audit", "rotate", "--warehouse", str(paths.pointer)]) == 0
    assert len(audit.segments(log.path)) == 2
    assert audit.verify(log.path).ok


def test_a_changed_archive_and_an_interrupted_rotation_are_caught(tmp_path: Path) -> None:
    from warehouse.audit_rotate import rotate

    log = _log(tmp_path, 4)
    original = log.path.read_bytes()
    rotate(log.path)
    # A rotation cut off after the index was written: the archived entries are still in the file.
    log.path.write_bytes(original)
    found = audit.verify(log.path)
    assert not found.ok
    assert "rotation was interrupted" in (found.problem or "")
    assert rotate(log.path) is None  # finishes the job: nothing new to archive, the file is emptied
    assert log.path.read_bytes() == b""
    assert audit.verify(log.path).ok
    (segment,) = audit.segments(log.path)
    archive = tmp_path / segment["file"]
    archive.chmod(0o640)
    archive.write_bytes(archive.read_bytes() + b"\0")
    changed = audit.verify(log.path)
    assert not changed.ok
    assert "was changed" in (changed.problem or "")


def test_the_web_process_cannot_rotate() -> None:
    for path in (ROOT / "dashboard").rglob("*.py"):
        assert "audit_rotate" not in path.read_text(encoding="utf-8"), path
