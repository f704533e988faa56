"""Scheduled delivery: `him schedule add/list/run-due` mails the month's PDF to a real SMTP server
(aiosmtpd on 127.0.0.1), aggregate-only with small cells suppressed, audit-logged, and `run-due`
never sends a (schedule, month) twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import pypdf
import pytest
from aiosmtpd.controller import Controller
from conftest import run_him
from report_pdfcheck import check_scorecard_page

from warehouse import audit
from warehouse.paths import WarehousePaths
from warehouse.report.schedule import (
    ScheduleBusy,
    delivery_state,
    due_month,
    load_schedules,
    read_sent_log,
    schedule_lock,
)


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("HIM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HIM_SMTP_PORT", str(port))
    monkeypatch.setenv("HIM_SMTP_FROM", "him-reports@example.org")
    monkeypatch.setenv("HIM_SMTP_STARTTLS", "false")  # a local test server without TLS


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    _smtp_env(monkeypatch, port)
    try:
        yield inbox
    finally:
        controller.stop()


def _after(month: dt.date) -> str:
    """An ISO time early in the month after ``month`` (when its month-end report is due)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=2)
    return f"{nxt.isoformat()}T06:00:00"


def _run_due(capsys: pytest.CaptureFixture[str], wh: str, month: dt.date, *extra: str) -> tuple[int, str]:
    code, out, _ = run_him(capsys, "schedule", "run-due", "--now", _after(month), "--warehouse", wh, *extra)
    return code, out


@pytest.mark.slow
def test_month_end_report_reaches_the_smtp_server_once(
    smtp: Inbox,
    own_pointer: WarehousePaths,
    report_month: dt.date,
    biggest_facility: str,
    capsys: pytest.CaptureFixture[str],
    chromium: str,
) -> None:
    wh = str(own_pointer.pointer)
    code, out, err = run_him(
        capsys,
        "schedule",
        "add",
        "--month-end",
        "--format",
        "pdf",
        "--to",
        "cfo@example.org",
        "--to",
        "him.director@example.org",
        "--facility",
        biggest_facility,
        "--warehouse",
        wh,
    )
    assert code == 0, err
    assert out.startswith("added schedule s")
    [schedule] = load_schedules(own_pointer)
    code, out, _ = run_him(capsys, "schedule", "list", "--warehouse", wh)
    assert schedule.id in out
    assert "last sent: never" in out

    code, out = _run_due(capsys, wh, report_month)
    assert code == 0
    assert out.startswith("sent"), out
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert sorted(envelope.rcpt_tos) == ["cfo@example.org", "him.director@example.org"]
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert report_month.strftime("%B %Y") in msg["Subject"]
    assert biggest_facility in msg["Subject"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "aggregate figures only" in body
    assert "What moved" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"him-report-{report_month:%Y-%m}-{biggest_facility}.pdf"
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages]
    assert len(pages) == 6
    assert all(f"Facility: {biggest_facility}" in " ".join(p.split()) for p in pages)
    assert "LEADERSHIP (SMALL CELLS SUPPRESSED)" in pages[0]
    check_scorecard_page(pages[0], capsys, own_pointer.pointer, report_month, "--facility", biggest_facility)

    for _ in range(2):  # cron runs it again: nothing is sent twice
        code, out = _run_due(capsys, wh, report_month)
        assert code == 0
        assert out.startswith("skipped")
        assert "already sent" in out
    assert len(smtp.messages) == 1
    assert [e["event"] for e in read_sent_log(own_pointer)] == ["sending", "sent"]
    assert delivery_state(own_pointer) == {(schedule.id, report_month.strftime("%Y-%m")): "sent"}
    code, out, _ = run_him(capsys, "schedule", "list", "--warehouse", wh)
    assert f"last sent: {report_month:%Y-%m}" in out
    log = audit.AuditLog(audit.log_path(own_pointer))
    [entry] = [e for e in log.entries() if e["action"] == "export"]
    assert entry["target"] == f"report:him-report-{report_month:%Y-%m}-{biggest_facility}.pdf"
    assert entry["filters"] == {"facility": [biggest_facility]}
    assert entry["detail"]["kind"] == "scheduled_report"
    assert entry["detail"]["to"] == ["cfo@example.org", "him.director@example.org"]
    assert log.verify().ok


def test_a_month_whose_data_are_not_loaded_waits(
    smtp: Inbox, own_pointer: WarehousePaths, demo_bounds: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    wh = str(own_pointer.pointer)
    run_him(capsys, "schedule", "add", "--month-end", "--to", "a@example.org", "--warehouse", wh)
    not_loaded = (demo_bounds["data_through_date"].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    code, out = _run_due(capsys, wh, not_loaded)
    assert code == 0
    assert out.startswith("waiting"), out
    assert smtp.messages == []
    assert read_sent_log(own_pointer) == []


def test_a_failed_sending_is_retried_and_then_sent_once(
    own_pointer: WarehousePaths,
    report_month: dt.date,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wh = str(own_pointer.pointer)
    run_him(
        capsys,
        "schedule",
        "add",
        "--month-end",
        "--format",
        "xlsx",
        "--to",
        "a@example.org",
        "--warehouse",
        wh,
    )
    _smtp_env(monkeypatch, _free_port())  # nobody listens there
    code, out = _run_due(capsys, wh, report_month)
    assert code == 1
    assert out.startswith("failed")
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _smtp_env(monkeypatch, port)
        for _ in range(2):
            code, _ = _run_due(capsys, wh, report_month)
            assert code == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert [e["event"] for e in read_sent_log(own_pointer)] == ["sending", "failed", "sending", "sent"]


def test_an_interrupted_sending_is_not_repeated_unless_asked(
    smtp: Inbox, own_pointer: WarehousePaths, report_month: dt.date, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = str(own_pointer.pointer)
    run_him(
        capsys,
        "schedule",
        "add",
        "--month-end",
        "--format",
        "xlsx",
        "--to",
        "a@example.org",
        "--warehouse",
        wh,
    )
    [schedule] = load_schedules(own_pointer)
    sent_log = own_pointer.pointer.with_name("him.duckdb.schedules.sent.jsonl")
    cut_off = {"event": "sending", "schedule": schedule.id, "month": f"{report_month:%Y-%m}"}
    sent_log.write_text(json.dumps(cut_off) + "\n")
    code, out = _run_due(capsys, wh, report_month)
    assert code == 0
    assert out.startswith("interrupted")
    assert smtp.messages == []
    code, out = _run_due(capsys, wh, report_month, "--retry-interrupted")
    assert code == 0
    assert out.startswith("sent")
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf", "--to", "a@example.org"), "--month-end"),
        (("--month-end", "--to", "not an address"), "not an e-mail address"),
        (("--month-end", "--to", "a@example.org\nBcc: x@example.org"), "not an e-mail address"),
        (("--month-end", "--format", "docx", "--to", "a@example.org"), "docx"),
        (("--month-end", "--to", "a@example.org", "--patient-type", "ward"), "ward"),
    ],
)
def test_schedule_add_checks_its_input(
    own_pointer: WarehousePaths, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run_him(capsys, "schedule", "add", *args, "--warehouse", str(own_pointer.pointer))
    assert code == 2
    assert message in err
    assert load_schedules(own_pointer) == []


def test_run_due_without_smtp_says_so_and_remove_stops_a_schedule(
    own_pointer: WarehousePaths, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = str(own_pointer.pointer)
    code, out, _ = run_him(capsys, "schedule", "run-due", "--warehouse", wh)
    assert code == 0
    assert "no schedules" in out
    run_him(capsys, "schedule", "add", "--month-end", "--to", "a@example.org", "--warehouse", wh)
    [schedule] = load_schedules(own_pointer)
    code, _, err = run_him(capsys, "schedule", "run-due", "--now", "2026-01-02", "--warehouse", wh)
    assert code == 1
    assert "HIM_SMTP_HOST" in err  # said before anything is built
    code, _, _ = run_him(capsys, "schedule", "remove", schedule.id, "--warehouse", wh)
    assert code == 0
    assert load_schedules(own_pointer) == []


def test_two_runs_never_overlap(own_pointer: WarehousePaths) -> None:
    with schedule_lock(own_pointer), pytest.raises(ScheduleBusy), schedule_lock(own_pointer):
        pass


def test_due_month_is_the_last_complete_month() -> None:
    assert due_month(dt.datetime(2025, 4, 1, 0, 5)) == dt.date(2025, 3, 1)
    assert due_month(dt.date(2025, 1, 31)) == dt.date(2024, 12, 1)
