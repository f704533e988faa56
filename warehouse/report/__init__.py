"""The leadership monthly report: PDF, HTML and an XLSX pack, built from the query catalog.

:func:`build_report` is the one entry point (``him report``, scheduled delivery and the dashboard's
"Download monthly report" button call it). See docs/report.md.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import duckdb

from warehouse.errors import UsageProblem
from warehouse.filters import Filters
from warehouse.report.data import AUDIENCES, Audience, NoDataForMonth, ReportData, collect
from warehouse.targets import Target

if TYPE_CHECKING:
    from warehouse.report.content import ReportView

Format = Literal["pdf", "html", "xlsx"]
FORMATS: tuple[str, ...] = ("pdf", "html", "xlsx")
MIME_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

__all__ = [
    "AUDIENCES",
    "FORMATS",
    "MIME_TYPES",
    "Audience",
    "Format",
    "NoDataForMonth",
    "ReportData",
    "build_report",
    "collect",
    "filename",
    "render",
]


def render(data: ReportData, fmt: str, view: ReportView | None = None) -> bytes:
    """Return the bytes of an assembled report in ``fmt`` (pdf | html | xlsx).

    Args:
        data: the report's numbers (:func:`collect`).
        fmt: pdf | html | xlsx.
        view: the report as read (:func:`warehouse.report.content.build` of ``data``), when the
            caller has it already.

    Raises:
        UsageProblem: an unknown format.
        RenderFailed: Chromium could not print the PDF.
    """
    if fmt not in FORMATS:
        raise UsageProblem(f"format {fmt!r} is not accepted; use one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        from warehouse.report.xlsx import workbook

        return workbook(data)
    from warehouse.report.content import build
    from warehouse.report.html import render as render_html

    page = render_html(view if view is not None else build(data))
    if fmt == "html":
        return page.encode("utf-8")
    from warehouse.report.pdf import html_to_pdf

    return html_to_pdf(page)


def build_report(
    month: dt.date | str,
    filters: Filters | None = None,
    fmt: str = "pdf",
    *,
    audience: Audience = "leadership",
    con: duckdb.DuckDBPyConnection | None = None,
    targets: dict[str, Target] | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """Build the monthly report of one month and return its bytes.

    Args:
        month: ``YYYY-MM`` or any date in the month.
        filters: facility, patient type, financial class, payer, service line (and bill hold days).
        fmt: ``pdf`` (default), ``html`` or ``xlsx``.
        audience: ``leadership`` (default: small cells suppressed) or ``manager`` (all counts).
        con: a cursor on the warehouse; default the process's read-only reader.
        targets: targets by KPI; default the targets in force (``$HIM_TARGETS`` or shipped).
        now: the creation time printed in the footer (default now, UTC).

    Raises:
        NoDataForMonth: nothing in the month for these filters (never an empty report).
        UsageProblem: a bad month, filter, format or audience.
        RenderFailed: the PDF could not be printed.
    """
    if fmt not in FORMATS:
        raise UsageProblem(f"format {fmt!r} is not accepted; use one of {', '.join(FORMATS)}")
    data = collect(month, filters, audience=audience, con=con, targets=targets, now=now)
    return render(data, fmt)


def filename(month: dt.date | str, fmt: str, filters: Filters | None = None) -> str:
    """Return the report's file name: ``him-report-2025-03[-FAC01].pdf``."""
    from warehouse.filters import parse_month

    first = parse_month(month)
    scope = ""
    if filters is not None and filters.facility:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in "+".join(filters.facility))
        scope = f"-{safe[:40]}"
    return f"him-report-{first:%Y-%m}{scope}.{fmt}"
