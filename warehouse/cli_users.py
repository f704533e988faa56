"""``him users …`` and ``him audit …``: accounts of the dashboard, and its audit log.

Every change made here is written to the audit log as ``user_change`` by ``cli:<login name>``. A
generated one-time password is printed once and must be changed at first login.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from warehouse import audit, users
from warehouse.cli import app
from warehouse.paths import WarehousePaths, resolve_warehouse

users_app = typer.Typer(help="Dashboard accounts: add, list, disable, reset passwords.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: verify its hash chain, export it.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse pointer path (default $HIM_WAREHOUSE or data/him.duckdb)."),
]
NameArg = Annotated[str, typer.Argument(help="The login name (lower case).")]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input "
        "instead of generating a one-time password.",
    ),
]


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _record(paths: WarehousePaths, target: str, detail: dict[str, object]) -> None:
    audit.AuditLog(audit.log_path(paths)).append(
        user=_operator(), action="user_change", target=target, detail=detail
    )


def _stdin_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise users.AuthError("no password on standard input")
    return password


def announce_accounts(paths: WarehousePaths, *, demo: bool = False) -> None:
    """For ``him serve`` / ``him up``: create the first admin (or the demo accounts) and print them once.

    Args:
        paths: the warehouse being served.
        demo: create the documented demo accounts (``him up`` on demo data only).
    """
    store = users.open_store(paths)
    if demo:
        accounts = store.ensure_demo_accounts()
        typer.echo("demo accounts (public passwords: demo data only):")
        for name, roles, password in accounts:
            typer.echo(f"  {name:<10} {','.join(roles):<12} password: {password}")
        return
    password = store.ensure_first_admin()
    if password:
        _record(paths, users.FIRST_ADMIN, {"change": "first_admin"})
        typer.echo(f"no users yet: created '{users.FIRST_ADMIN}' with the one-time password {password}")
        typer.echo("(shown once; it must be changed at first login; `him users add` adds others)")


@users_app.command("add")
def add_command(
    name: NameArg,
    role: Annotated[
        list[str], typer.Option("--role", help=f"A role: {', '.join(users.ROLES)} (repeat for several).")
    ],
    facility: Annotated[
        list[str] | None,
        typer.Option("--facility", help="Limit the user to this facility id (repeat; none = all)."),
    ] = None,
    password_stdin: StdinOpt = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Add a user. Without --password-stdin a one-time password is printed, to be changed at first login."""
    paths = resolve_warehouse(warehouse)
    store = users.open_store(paths)
    password = _stdin_password() if password_stdin else None
    user, generated = store.add(name, role, facility or (), password=password)
    _record(
        paths, user.name, {"change": "add", "roles": list(user.roles), "facilities": list(user.facilities)}
    )
    scope = ", ".join(user.facilities) if user.facilities else "all facilities"
    typer.echo(f"added {user.name}: {', '.join(user.roles)}; {scope}")
    if generated:
        typer.echo(f"one-time password (shown once; must be changed at first login): {generated}")


@users_app.command("list")
def list_command(warehouse: WarehouseOpt = None) -> None:
    """List the users: roles, facilities, state and last login."""
    store = users.open_store(resolve_warehouse(warehouse))
    rows = store.users()
    if not rows:
        typer.echo("no users yet (the dashboard's first start creates 'admin' with a one-time password)")
        return
    typer.echo(f"{'name':<20} {'roles':<28} {'facilities':<20} {'state':<14} last login")
    for u in rows:
        state = "disabled" if u.disabled else "must change" if u.must_change else "active"
        facilities = ",".join(u.facilities) or "all"
        roles = ",".join(u.roles)
        typer.echo(f"{u.name:<20} {roles:<28} {facilities:<20} {state:<14} {u.last_login_at or '-'}")


@users_app.command("disable")
def disable_command(name: NameArg, warehouse: WarehouseOpt = None) -> None:
    """Disable a user: no more logins, and their live sessions end at once."""
    paths = resolve_warehouse(warehouse)
    users.open_store(paths).disable(name)
    _record(paths, name, {"change": "disable"})
    typer.echo(f"disabled {name}; their sessions have ended")


@users_app.command("enable")
def enable_command(name: NameArg, warehouse: WarehouseOpt = None) -> None:
    """Enable a disabled user again."""
    paths = resolve_warehouse(warehouse)
    users.open_store(paths).disable(name, disabled=False)
    _record(paths, name, {"change": "enable"})
    typer.echo(f"enabled {name}")


@users_app.command("reset-password")
def reset_password_command(
    name: NameArg, password_stdin: StdinOpt = False, warehouse: WarehouseOpt = None
) -> None:
    """Reset a password (a printed one-time password by default); unlocks the account, ends sessions."""
    paths = resolve_warehouse(warehouse)
    store = users.open_store(paths)
    generated = store.reset_password(name, _stdin_password() if password_stdin else None)
    _record(paths, name, {"change": "reset_password"})
    if generated:
        typer.echo(f"one-time password for {name} (shown once; must be changed at first login): {generated}")
    else:
        typer.echo(f"password of {name} changed")


@users_app.command("demo")
def demo_command(warehouse: WarehouseOpt = None) -> None:
    """Create the documented demo accounts (one per role; public passwords: demo data only)."""
    paths = resolve_warehouse(warehouse)
    created = users.open_store(paths).ensure_demo_accounts()
    for name, roles, password in created:
        typer.echo(f"  {name:<10} {','.join(roles):<12} password: {password}")
    _record(paths, "demo accounts", {"change": "demo", "users": [n for n, _, _ in created]})


@audit_app.command("verify")
def verify_command(warehouse: WarehouseOpt = None) -> None:
    """Check the audit log's hash chain; exit 1 if an entry was edited, deleted or reordered."""
    path = audit.log_path(resolve_warehouse(warehouse))
    result = audit.verify(path)
    if not result.ok:
        where = f" (line {result.line})" if result.line else ""
        typer.echo(f"audit log BROKEN after {result.entries} good entries{where}: {result.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {result.entries} entries; head {result.head}")
    if result.warning:
        typer.echo(f"note: {result.warning}")


@audit_app.command("rotate")
def rotate_command(
    min_mb: Annotated[
        float, typer.Option("--min-mb", help="Only when the current file holds at least this many MB (cron).")
    ] = 0.0,
    warehouse: WarehouseOpt = None,
) -> None:
    """Move the current entries into a compressed, read-only segment; the hash chain continues."""
    from warehouse.audit_rotate import rotate

    path = audit.log_path(resolve_warehouse(warehouse))
    done = rotate(path, min_bytes=int(min_mb * 1024 * 1024))
    if done is None:
        typer.echo("nothing to rotate")
        return
    typer.echo(f"archived entries {done.first_seq}-{done.last_seq} ({done.entries}) into {done.file}")
    result = audit.verify(path)
    if not result.ok:
        typer.echo(f"audit log BROKEN after rotation: {result.problem}", err=True)
        raise typer.Exit(1)


@audit_app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv or json (JSON lines).")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file, not stdout.")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Export the audit log (CSV with nested fields as JSON, or JSON lines)."""
    if fmt not in ("csv", "json"):
        raise users.AuthError("--format must be csv or json")
    log = audit.AuditLog(audit.log_path(resolve_warehouse(warehouse)))
    chunks = audit.export(log.entries(), fmt)
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    with output.open("w", encoding="utf-8", newline="") as fh:
        for chunk in chunks:
            fh.write(chunk)
    typer.echo(f"wrote {output}")
