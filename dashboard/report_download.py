"""The Scorecard page's "Download monthly report" button: ``GET /report/monthly.<pdf|xlsx|html>?…``.

The query string is the dashboard's own (``month`` and the list filters; dates other than the month are
ignored: the report covers one month and its 13-month trends). The route is role-checked by the
security layer (any data role; the audience follows the user: leadership-only users get the leadership
report with small cells suppressed, managers and analysts the manager report), limited to the user's
facilities, and every download is written to the audit log before a byte is sent (fail closed).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import flask

from dashboard import state
from dashboard.security import policy
from dashboard.security.scope import OutOfScope, current_scope, scoped_filters
from warehouse.db import WarehouseUnavailable
from warehouse.errors import HimError, UsageProblem
from warehouse.filters import Filters

if TYPE_CHECKING:
    from dashboard.security.core import Security

ROUTE = "/report/monthly.<fmt>"
PATH = "/report/monthly"
FORMATS = ("pdf", "xlsx", "html")
#: The filters a report honours (what ``him report`` accepts).
REPORT_FILTERS = ("facility", "patient_type", "financial_class", "payer", "service_line")


def report_filters(filters: Filters) -> Filters:
    """Return only what a monthly report is filtered by: the month and the list filters."""
    return Filters(month=filters.month, **{name: getattr(filters, name) for name in REPORT_FILTERS})


def report_href(fmt: str, filters: Filters) -> str:
    """Return the download link of the month's report in ``fmt`` under the filters in force."""
    return state.href(f"{PATH}.{fmt}", report_filters(filters))


def audience_of(roles: frozenset[str]) -> str:
    """Return the report audience for a user's roles (leadership rules unless a workforce role)."""
    return "manager" if roles & policy.WORKFORCE else "leadership"


def _text(message: str, status: int) -> flask.Response:
    resp = flask.Response(message + "\n", status=status, mimetype="text/plain")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register(sec: Security) -> None:
    """Add the report route to the app's server, with its policy (any data role)."""

    @sec.route(ROUTE, policy.DATA)
    def monthly_report(fmt: str) -> Any:
        from warehouse.report import MIME_TYPES, NoDataForMonth, build_report, filename
        from warehouse.report.pdf import RenderFailed

        if fmt not in FORMATS:
            return _text(f"Unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.", 404)
        scope = current_scope()
        roles = scope.roles if scope else frozenset()
        view = state.parse(flask.request.query_string.decode("latin-1"))
        if view.notices:
            return _text("Cannot build the report: " + " ".join(view.notices), 400)
        try:
            filters = scoped_filters(report_filters(view.filters))
            if filters.month is None:
                from dashboard import data

                filters = replace(filters, month=data.context().defaults.month)
            if filters.month is None:
                return _text("No month to report: the warehouse holds no discharges yet.", 404)
            audience = audience_of(roles)
            body = build_report(filters.month, filters, fmt, audience=audience)  # type: ignore[arg-type]
        except OutOfScope:
            return sec.refuse(403, "facility outside the user's access", target="report")
        except NoDataForMonth as exc:
            return _text(str(exc), 404)
        except RenderFailed as exc:
            return _text(f"The PDF could not be printed ({exc}). The Excel pack needs no browser.", 503)
        except (WarehouseUnavailable, UsageProblem, HimError) as exc:
            return _text(f"Cannot build the report: {exc}", 400 if isinstance(exc, UsageProblem) else 503)
        sec.record(
            "export",
            target=f"report:{filters.month:%Y-%m}.{fmt}",
            filters={name: list(getattr(filters, name)) for name in REPORT_FILTERS if getattr(filters, name)}
            | {"month": f"{filters.month:%Y-%m}"},
            detail={"kind": "report", "format": fmt, "audience": audience, "bytes": len(body)},
        )
        resp = flask.Response(body, mimetype=MIME_TYPES[fmt])
        resp.headers["Content-Disposition"] = (
            f'attachment; filename="{filename(filters.month, fmt, filters)}"'
        )
        resp.headers["Cache-Control"] = "no-store"
        return resp
