"""Scheduled delivery: month-end reports mailed to a list of addresses, each sent once.

Schedules live beside the warehouse pointer in ``<pointer>.schedules.json``; every sending is
recorded in ``<pointer>.schedules.sent.jsonl`` (append-only: one ``sending`` line before the SMTP
conversation, then ``sent`` or ``failed``). :func:`run_due` (``him schedule run-due``, run by cron
or a systemd timer) sends each schedule's report of the last complete month once the warehouse's
data reach that month's last day, and never sends a (schedule, month) twice: a ``sent`` line skips
it, and so does a ``sending`` line without an outcome (a run killed mid-send: the mail may have gone;
``--retry-interrupted`` sends it again). Runs are serialised by a lock file. Mailed reports are
always built for the leadership audience (aggregate figures, small cells suppressed), whatever
the schedule says, and each sending is written to the audit log as an export (:func:`audit_event`);
nothing is sent while the audit log cannot be written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import getpass
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from warehouse.errors import HimError, UsageProblem
from warehouse.filters import LIST_FIELDS, Filters, month_end
from warehouse.paths import WarehousePaths

log = logging.getLogger(__name__)

CADENCES: tuple[str, ...] = ("month-end",)
VERSION = 1


class ScheduleProblem(UsageProblem):
    """A schedule cannot be added, found or read."""


class ScheduleBusy(HimError):
    """Another ``run-due`` holds the schedule lock (exit status 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Schedule:
    """One scheduled report.

    Attributes:
        id: short random id (``s`` + 8 hex digits).
        cadence: ``month-end``: the report of each month, once its data are loaded.
        format: pdf | html | xlsx.
        to: recipients.
        filters: list filters by name (facility, patient_type, financial_class, payer, service_line).
        created_at: ISO time (UTC) the schedule was added.
        name: an optional label.
    """

    id: str
    cadence: str
    format: str
    to: tuple[str, ...]
    filters: dict[str, list[str]] = field(default_factory=dict)
    created_at: str = ""
    name: str = ""

    def report_filters(self) -> Filters:
        """The filters of the report."""
        return Filters(**{k: tuple(v) for k, v in self.filters.items() if k in LIST_FIELDS})

    def to_json(self) -> dict[str, Any]:
        """Return the schedule as stored."""
        out = asdict(self)
        out["to"] = list(self.to)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schedule:
        """Read a stored schedule."""
        return cls(
            id=str(data["id"]),
            cadence=str(data["cadence"]),
            format=str(data["format"]),
            to=tuple(data["to"]),
            filters={k: list(v) for k, v in (data.get("filters") or {}).items()},
            created_at=str(data.get("created_at", "")),
            name=str(data.get("name", "")),
        )


def schedules_file(paths: WarehousePaths) -> Path:
    """``<pointer>.schedules.json``."""
    return paths.pointer.with_name(paths.pointer.name + ".schedules.json")


def sent_log_file(paths: WarehousePaths) -> Path:
    """``<pointer>.schedules.sent.jsonl``."""
    return paths.pointer.with_name(paths.pointer.name + ".schedules.sent.jsonl")


def lock_file(paths: WarehousePaths) -> Path:
    """``<pointer>.schedules.lock``."""
    return paths.pointer.with_name(paths.pointer.name + ".schedules.lock")


@contextlib.contextmanager
def schedule_lock(paths: WarehousePaths) -> Iterator[None]:
    """Hold the schedules' lock (an flock released by the kernel when the holder dies).

    Raises:
        ScheduleBusy: another process holds it.
    """
    path = lock_file(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise ScheduleBusy(f"another `him schedule` run holds {path}; try again later") from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def load_schedules(paths: WarehousePaths) -> list[Schedule]:
    """Return the stored schedules (none when the file does not exist).

    Raises:
        ScheduleProblem: the file is not a schedules file.
    """
    path = schedules_file(paths)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Schedule.from_json(s) for s in data["schedules"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScheduleProblem(f"{path} cannot be read ({type(exc).__name__}: {exc})") from None


def _save(paths: WarehousePaths, schedules: list[Schedule]) -> None:
    path = schedules_file(paths)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps({"version": VERSION, "schedules": [s.to_json() for s in schedules]}, indent=2)
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def add_schedule(
    paths: WarehousePaths,
    *,
    to: list[str],
    fmt: str = "pdf",
    cadence: str = "month-end",
    filters: Filters | None = None,
    name: str = "",
    now: dt.datetime | None = None,
) -> Schedule:
    """Add a schedule and return it.

    Raises:
        UsageProblem: no or a bad recipient, an unknown format or cadence.
    """
    from warehouse.report import FORMATS
    from warehouse.report.mail import check_address

    if cadence not in CADENCES:
        raise ScheduleProblem(f"cadence {cadence!r} is not accepted; use {', '.join(CADENCES)}")
    if fmt not in FORMATS:
        raise ScheduleProblem(f"format {fmt!r} is not accepted; use one of {', '.join(FORMATS)}")
    if not to:
        raise ScheduleProblem("name at least one recipient with --to ADDR")
    recipients = tuple(dict.fromkeys(check_address(a) for a in to))
    f = filters or Filters()
    chosen = {n: list(getattr(f, n)) for n in LIST_FIELDS if getattr(f, n)}
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    with schedule_lock(paths):
        existing = load_schedules(paths)
        schedule = Schedule(f"s{secrets.token_hex(4)}", cadence, fmt, recipients, chosen, created, name)
        _save(paths, [*existing, schedule])
    return schedule


def remove_schedule(paths: WarehousePaths, schedule_id: str) -> Schedule:
    """Remove a schedule (its sent log stays).

    Raises:
        ScheduleProblem: no schedule has that id.
    """
    with schedule_lock(paths):
        existing = load_schedules(paths)
        found = [s for s in existing if s.id == schedule_id]
        if not found:
            raise ScheduleProblem(f"no schedule {schedule_id!r}; `him schedule list` shows them")
        _save(paths, [s for s in existing if s.id != schedule_id])
    return found[0]


def read_sent_log(paths: WarehousePaths) -> list[dict[str, Any]]:
    """Return every line of the sent log (a torn last line, from a crash, is skipped)."""
    path = sent_log_file(paths)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _append_sent(paths: WarehousePaths, entry: dict[str, Any]) -> None:
    path = sent_log_file(paths)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def delivery_state(paths: WarehousePaths) -> dict[tuple[str, str], str]:
    """(schedule id, month) -> its last state in the sent log: sending | sent | failed."""
    state: dict[tuple[str, str], str] = {}
    for entry in read_sent_log(paths):
        key = (str(entry.get("schedule")), str(entry.get("month")))
        event = str(entry.get("event"))
        if state.get(key) == "sent" and event != "sent":
            continue  # once sent, stays sent
        state[key] = event
    return state


def due_month(now: dt.datetime | dt.date) -> dt.date:
    """The month a month-end schedule reports at ``now``: the last complete month."""
    day = now.date() if isinstance(now, dt.datetime) else now
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def operator() -> str:
    """Who runs the command, as the audit log names a command-line user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def audit_event(
    paths: WarehousePaths, *, target: str, filters: dict[str, Any], detail: dict[str, Any]
) -> None:
    """Record a report that left the warehouse (sent by mail or written by ``him report``) as an export.

    Raises:
        AuditUnavailable: the audit log cannot be written.
    """
    from warehouse import audit

    audit.AuditLog(audit.log_path(paths)).append(
        user=operator(), action="export", target=target, filters=filters, detail=detail
    )


def audit_writable(paths: WarehousePaths) -> bool:
    """True when the audit log can be appended to (checked before anything is sent: fail closed)."""
    from warehouse import audit

    return audit.AuditLog(audit.log_path(paths)).writable()


@dataclass(frozen=True)
class Outcome:
    """What ``run-due`` did with one schedule."""

    schedule: str
    month: str
    status: str  # sent | skipped | waiting | interrupted | failed | would-send
    message: str


def _body(view: Any, attachment_name: str, schedule: Schedule) -> str:
    lines = [
        view.title,
        f"Facility: {view.facility} · Filters: {view.filters}",
        view.footer,
        "",
        "What moved",
    ]
    lines += [f"- {m.sentence}" for m in view.movers] or ["- No scorecard KPI moved by 5% or more."]
    lines += [
        "",
        f"The full report is attached ({attachment_name}).",
        "This message and its attachment hold aggregate figures only; small cells are suppressed.",
        view.suppression_note,
        "",
        f"Sent by `him schedule run-due` for schedule {schedule.id}; "
        f"`him schedule remove {schedule.id}` stops it.",
    ]
    return "\n".join(line for line in lines if line is not None)


def run_due(
    paths: WarehousePaths,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    retry_interrupted: bool = False,
    send: Callable[[Any], None] | None = None,
) -> list[Outcome]:
    """Send every schedule's report that is due and not yet sent.

    Args:
        paths: the warehouse (schedules and sent log live beside its pointer).
        now: the time to judge "due" by (default now, UTC).
        dry_run: only say what would be sent.
        retry_interrupted: send again a (schedule, month) whose earlier sending was cut off.
        send: the function that sends a message (default SMTP from ``HIM_SMTP_*``).

    Raises:
        ScheduleBusy: another run holds the lock.
        MailProblem: SMTP is not configured (checked before anything is built).
    """
    from warehouse import catalog
    from warehouse.db import reader
    from warehouse.report import MIME_TYPES, filename, render
    from warehouse.report.content import build
    from warehouse.report.data import collect
    from warehouse.report.mail import SmtpConfig, message
    from warehouse.report.mail import send as smtp_send

    moment = now or dt.datetime.now(dt.UTC)
    schedules = load_schedules(paths)
    if not schedules:
        return []
    config = None
    if not dry_run:
        config = SmtpConfig.from_env()
    outcomes: list[Outcome] = []
    with schedule_lock(paths):
        state = delivery_state(paths)
        con = reader(paths).cursor()
        bounds = catalog.run("dashboard_extras.data_bounds", con=con).row(0, named=True)
        through = bounds["data_through_date"]
        for schedule in schedules:
            month = due_month(moment)
            label = month.strftime("%Y-%m")
            previous = state.get((schedule.id, label))
            if previous == "sent":
                outcomes.append(Outcome(schedule.id, label, "skipped", "already sent"))
                continue
            if previous == "sending" and not retry_interrupted:
                outcomes.append(
                    Outcome(
                        schedule.id,
                        label,
                        "interrupted",
                        "an earlier sending was cut off and may have gone out; check, then run with "
                        "--retry-interrupted to send again",
                    )
                )
                continue
            if through is None or through < month_end(month):
                outcomes.append(
                    Outcome(
                        schedule.id,
                        label,
                        "waiting",
                        f"the data run through {through or 'nothing yet'}, not yet to {month_end(month)}",
                    )
                )
                continue
            if dry_run:
                outcomes.append(Outcome(schedule.id, label, "would-send", f"to {', '.join(schedule.to)}"))
                continue
            assert config is not None
            if not audit_writable(paths):
                outcomes.append(
                    Outcome(schedule.id, label, "failed", "the audit log cannot be written; not sent")
                )
                continue
            try:
                data = collect(month, schedule.report_filters(), audience="leadership", con=con)
                view = build(data, pages=schedule.format != "xlsx")
                payload = render(data, schedule.format, view)
                name = filename(month, schedule.format, schedule.report_filters())
                msg = message(
                    config.sender,
                    list(schedule.to),
                    f"{view.title} · {view.facility}",
                    _body(view, name, schedule),
                    payload,
                    name,
                    MIME_TYPES[schedule.format],
                )
            except HimError as exc:
                outcomes.append(Outcome(schedule.id, label, "failed", str(exc)))
                continue
            entry = {
                "schedule": schedule.id,
                "month": label,
                "format": schedule.format,
                "to": list(schedule.to),
                "bytes": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "message_id": msg["Message-ID"],
                "audience": "leadership",
            }
            _append_sent(paths, {**entry, "event": "sending", "at": _stamp()})
            try:
                (send or (lambda m: smtp_send(config, m)))(msg)
            except HimError as exc:
                _append_sent(paths, {**entry, "event": "failed", "at": _stamp(), "error": str(exc)})
                outcomes.append(Outcome(schedule.id, label, "failed", str(exc)))
                continue
            _append_sent(paths, {**entry, "event": "sent", "at": _stamp()})
            try:
                audit_event(
                    paths,
                    target=f"report:{name}",
                    filters=schedule.filters,
                    detail={"kind": "scheduled_report", **entry},
                )
            except HimError as exc:  # the mail has gone: say so, loudly, but do not send it again
                log.error("report %s was sent but could not be written to the audit log: %s", name, exc)
                outcomes.append(
                    Outcome(schedule.id, label, "sent", f"{name} sent, NOT in the audit log: {exc}")
                )
                continue
            outcomes.append(
                Outcome(
                    schedule.id,
                    label,
                    "sent",
                    f"{name} ({len(payload) // 1024} kB) to {', '.join(schedule.to)}",
                )
            )
    return outcomes


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
