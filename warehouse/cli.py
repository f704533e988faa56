"""The ``him`` command line: one Typer app, commands registered from small modules.

Errors reach the user as one clear line and an exit status (0 ok, 1 a file or check failed, 2 usage
or a refused run); a traceback only with ``--debug``.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from warehouse.errors import HimError

app = typer.Typer(
    name="him",
    help="HIM analytics: load extracts into the warehouse, query KPIs, serve the dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")


def _register_commands() -> None:
    # Each module adds its commands to `app`; the order is the order of `him --help`.
    from warehouse import cli_bench, cli_load, cli_query, cli_reference, cli_report, cli_serve, cli_users  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``him`` console script."""
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    try:
        # With standalone_mode=False click returns a command's `typer.Exit(code)` instead of raising it.
        code = app(args=args, standalone_mode=False)
    except HimError as exc:
        if "--debug" in args:
            raise
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        code = getattr(exc, "code", 0) if code is None else code
        return int(code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:  # the last line of defence: one line, no traceback
        if "--debug" in args:
            raise
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's (Typer's) own errors
            kind = "usage error" if exc.exit_code == 2 else "error"
            typer.echo(f"{kind}: {exc.format_message()}", err=True)
            return int(exc.exit_code)
        typer.echo(f"error: unexpected {type(exc).__name__}; rerun with --debug for details", err=True)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # `python -m warehouse.cli`: use the importable module, not __main__
    from warehouse.cli import main as _main

    sys.exit(_main())
