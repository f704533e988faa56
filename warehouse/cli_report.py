"""``him report`` (the monthly report as PDF, HTML or XLSX) and ``him schedule`` (scheduled delivery)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from warehouse.cli import app
from warehouse.errors import UsageProblem
from warehouse.filters import LIST_FIELDS, Filters

schedule_app = typer.Typer(
    name="schedule",
    help="Scheduled delivery of the monthly report by e-mail (run `him schedule run-due` from cron).",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer file (default $HIM_WAREHOUSE or data/him.duckdb)."),
]
FacilityOpt = Annotated[list[str] | None, typer.Option("--facility", help="Repeatable.")]
PatientTypeOpt = Annotated[list[str] | None, typer.Option("--patient-type", help="Repeatable.")]
FinancialClassOpt = Annotated[list[str] | None, typer.Option("--financial-class", help="Repeatable.")]
PayerOpt = Annotated[list[str] | None, typer.Option("--payer", help="Repeatable.")]
ServiceLineOpt = Annotated[list[str] | None, typer.Option("--service-line", help="Repeatable.")]


def _filters(**lists: list[str] | None) -> Filters:
    return Filters(**{k: tuple(v or ()) for k, v in lists.items()})


def _paths(warehouse: Path | None) -> Any:
    from warehouse.paths import resolve_warehouse

    return resolve_warehouse(warehouse)


@app.command("report")
def report_command(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    facility: FacilityOpt = None,
    patient_type: PatientTypeOpt = None,
    financial_class: FinancialClassOpt = None,
    payer: PayerOpt = None,
    service_line: ServiceLineOpt = None,
    bill_hold_days: Annotated[int, typer.Option("--bill-hold-days", help="DNFB bill hold (days).")] = 3,
    fmt: Annotated[str, typer.Option("--format", help="pdf | html | xlsx")] = "pdf",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default him-report-YYYY-MM.<format> here).")
    ] = None,
    audience: Annotated[
        str, typer.Option("--audience", help="leadership (small cells suppressed) | manager (all counts).")
    ] = "leadership",
    targets: Annotated[
        Path | None, typer.Option("--targets", help="Targets file (default $HIM_TARGETS, else shipped).")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """The monthly report: scorecard, what moved and one page per KPI family (PDF, HTML or XLSX)."""
    from warehouse.db import reader
    from warehouse.report import AUDIENCES, FORMATS, build_report, filename
    from warehouse.report.schedule import audit_event
    from warehouse.scorecard import KPIS
    from warehouse.targets import load_targets

    if fmt not in FORMATS:
        raise UsageProblem(f"--format {fmt!r} is not accepted; use one of {', '.join(FORMATS)}")
    if audience not in AUDIENCES:
        raise UsageProblem(f"--audience {audience!r} is not accepted; use one of {', '.join(AUDIENCES)}")
    filters = _filters(
        facility=facility,
        patient_type=patient_type,
        financial_class=financial_class,
        payer=payer,
        service_line=service_line,
    )
    filters = replace(filters, bill_hold_days=bill_hold_days)
    chosen = load_targets(targets, known=set(KPIS))
    paths = _paths(warehouse)
    con = reader(paths).cursor()
    payload = build_report(month, filters, fmt, audience=audience, con=con, targets=chosen)  # type: ignore[arg-type]
    target = out or Path(filename(month, fmt, filters))
    audit_event(
        paths,
        target=f"report:{target.name}",
        filters={k: list(v) for k in LIST_FIELDS if (v := getattr(filters, k))},
        detail={
            "kind": "monthly_report",
            "month": month,
            "format": fmt,
            "audience": audience,
            "bytes": len(payload),
        },
    )
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(target)
    typer.echo(f"wrote {target} ({len(payload) // 1024} kB, {fmt}, {audience})")


@schedule_app.command("add")
def schedule_add(
    to: Annotated[list[str], typer.Option("--to", help="Recipient address (repeatable).")],
    month_end: Annotated[
        bool, typer.Option("--month-end", help="Send each month's report once its data are loaded.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="pdf | html | xlsx")] = "pdf",
    facility: FacilityOpt = None,
    patient_type: PatientTypeOpt = None,
    financial_class: FinancialClassOpt = None,
    payer: PayerOpt = None,
    service_line: ServiceLineOpt = None,
    name: Annotated[str, typer.Option("--name", help="A label for the schedule.")] = "",
    warehouse: WarehouseOpt = None,
) -> None:
    """Add a scheduled report (mailed reports are always aggregate-only, small cells suppressed)."""
    from warehouse.report.schedule import add_schedule

    if not month_end:
        raise UsageProblem("say when to send: --month-end (the only cadence so far)")
    filters = _filters(
        facility=facility,
        patient_type=patient_type,
        financial_class=financial_class,
        payer=payer,
        service_line=service_line,
    )
    paths = _paths(warehouse)
    schedule = add_schedule(paths, to=to, fmt=fmt, cadence="month-end", filters=filters, name=name)
    typer.echo(f"added schedule {schedule.id}: {schedule.format} at month end to {', '.join(schedule.to)}")


@schedule_app.command("list")
def schedule_list(warehouse: WarehouseOpt = None) -> None:
    """List the schedules and the last month each one sent."""
    from warehouse.report.schedule import delivery_state, load_schedules

    paths = _paths(warehouse)
    schedules = load_schedules(paths)
    if not schedules:
        typer.echo("no schedules; add one with `him schedule add --month-end --to ADDR`")
        return
    state = delivery_state(paths)
    for s in schedules:
        sent = sorted(m for (sid, m), event in state.items() if sid == s.id and event == "sent")
        scope = "; ".join(f"{k.replace('_', ' ')} {', '.join(v)}" for k, v in s.filters.items()) or "all"
        label = f" ({s.name})" if s.name else ""
        typer.echo(
            f"{s.id}{label}  {s.cadence}  {s.format}  to {', '.join(s.to)}  filters: {scope}  "
            f"last sent: {sent[-1] if sent else 'never'}"
        )


@schedule_app.command("remove")
def schedule_remove(
    schedule_id: Annotated[str, typer.Argument(help="The schedule's id (see `him schedule list`).")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Remove a schedule (what it sent stays in the sent log)."""
    from warehouse.report.schedule import remove_schedule

    removed = remove_schedule(_paths(warehouse), schedule_id)
    typer.echo(f"removed schedule {removed.id}")


@schedule_app.command("run-due")
def schedule_run_due(
    now: Annotated[
        str | None, typer.Option("--now", help="Judge what is due at this ISO time (default now).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be sent.")] = False,
    retry_interrupted: Annotated[
        bool,
        typer.Option("--retry-interrupted", help="Send again what an interrupted run may not have sent."),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Send each schedule's report that is due and not sent yet (safe to run as often as you like)."""
    from warehouse.report.schedule import run_due

    moment = None
    if now:
        try:
            moment = dt.datetime.fromisoformat(now)
        except ValueError:
            raise UsageProblem(f"--now {now!r} is not an ISO date or time, e.g. 2025-04-01T06:00") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    outcomes = run_due(_paths(warehouse), now=moment, dry_run=dry_run, retry_interrupted=retry_interrupted)
    if not outcomes:
        typer.echo("no schedules")
    for o in outcomes:
        typer.echo(f"{o.status:<11} {o.schedule} {o.month}: {o.message}")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)
