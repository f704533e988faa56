"""The XLSX pack: the scorecard and one sheet per KPI family, with numerators and denominators.

Each family sheet holds its tables side by side on one header row (so one frozen header serves them
all): the 13-month trend of its scorecard columns, then the month's tables of its queries, each an
Excel table with its own autofilter. Numbers are written as numbers with percent, currency, count
and day formats; text is always written as text, and text that a spreadsheet could take for a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'``.
For leadership small cells are written as the text ``<11`` (counts) or ``*`` (values built on them).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from warehouse.report import fmt
from warehouse.report.content import (
    PRODUCT,
    clock,
    footer_text,
    hidden_by_month,
    report_movers,
    suppressed_trend,
)
from warehouse.report.data import ReportData, describe_filters, facility_text
from warehouse.report.families import FAMILIES
from warehouse.report.movers import SPECS
from warehouse.report.privacy import FOOTNOTE, Suppressed, suppress
from warehouse.scorecard import KPIS

#: Excel number formats per column kind (scorecard units map onto them).
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "fraction": "0.0%",
    "dollars": "$#,##0.00",
    "days": "#,##0.00",
    "hours": "#,##0.00",
    "index": "0.0000",
    "number": "#,##0.00",
    "per_hour": "#,##0.00",
    "date": "yyyy-mm-dd",
}
UNIT_KINDS: dict[str, str] = {"per_hour": "number"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_ROW = 2
_NAME = re.compile(r"[^A-Za-z0-9_]")


def neutralise(text: str) -> str:
    """Return text a spreadsheet will never evaluate: a leading ``= + - @`` (tab, CR) gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass
class _Formats:
    book: xlsxwriter.Workbook

    def __post_init__(self) -> None:
        self.title = self.book.add_format({"bold": True, "font_size": 13})
        self.scope = self.book.add_format({"italic": True, "font_color": "#495057"})
        self.table_title = self.book.add_format({"bold": True, "font_color": "#0b3d62"})
        self.header = self.book.add_format({"bold": True, "bg_color": "#f1f3f5", "bottom": 1})
        self.text = self.book.add_format({})
        self.suppressed = self.book.add_format({"align": "right", "font_color": "#6c757d"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self._numbers: dict[str, Format] = {}

    def number(self, kind: str) -> Format:
        kind = UNIT_KINDS.get(kind, kind)
        if kind not in self._numbers:
            self._numbers[kind] = self.book.add_format({"num_format": NUMBER_FORMATS.get(kind, "General")})
        return self._numbers[kind]


def _write(ws: Worksheet, row: int, col: int, value: Any, kind: str, f: _Formats) -> None:
    """Write one value: numbers as numbers, dates as dates, everything else as neutralised text."""
    if value is None:
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_string(row, col, "true" if value else "false", f.text)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            ws.write_number(row, col, number, f.number(kind))
        else:
            ws.write_blank(row, col, None)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, f.number("date"))
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), f.number("date"))
    else:
        ws.write_string(row, col, neutralise(str(value)), f.text)


@dataclass(frozen=True)
class _Block:
    key: str
    title: str
    query: str
    shown: Suppressed
    kinds: Sequence[str]


def _table(ws: Worksheet, block: _Block, first_col: int, sheet_key: str, f: _Formats) -> int:
    """Write one table at ``first_col`` on the shared header row; return the next free column."""
    frame = block.shown.frame
    columns = frame.columns
    ws.write_string(HEADER_ROW - 1, first_col, neutralise(block.title), f.table_title)
    for i in range(frame.height):
        for j, name in enumerate(columns):
            if block.shown.is_suppressed(i, name):
                ws.write_string(HEADER_ROW + 1 + i, first_col + j, block.shown.mark(name, i), f.suppressed)
            else:
                _write(ws, HEADER_ROW + 1 + i, first_col + j, frame[name][i], block.kinds[j], f)
    last_row = HEADER_ROW + max(frame.height, 1)
    ws.add_table(
        HEADER_ROW,
        first_col,
        last_row,
        first_col + len(columns) - 1,
        {
            "name": _NAME.sub("_", f"{sheet_key}_{block.key}")[:250],
            "style": "Table Style Light 1",
            "autofilter": True,
            "columns": [{"header": name, "header_format": f.header} for name in columns],
        },
    )
    for j, name in enumerate(columns):
        width = max(len(name), 10) + 2
        if block.kinds[j] == "text" and frame.height:
            longest = max((len(str(v)) for v in frame[name].to_list() if v is not None), default=0)
            width = max(width, min(longest + 2, 48))
        ws.set_column(first_col + j, first_col + j, width)
    return first_col + len(columns) + 1


def _heading(ws: Worksheet, data: ReportData, title: str, f: _Formats) -> None:
    ws.write_string(0, 0, neutralise(f"{PRODUCT}: {title}, {fmt.month_label(data.month)}"), f.title)
    scope = (
        f"Facility: {facility_text(data.filters)} · Filters: {describe_filters(data.filters)} · "
        f"{footer_text(data)}"
    )
    ws.write_string(0, 6, neutralise(scope), f.scope)


def _scorecard_sheet(book: xlsxwriter.Workbook, data: ReportData, trend: Suppressed, f: _Formats) -> None:
    ws = book.add_worksheet("Scorecard")
    _heading(ws, data, "scorecard", f)
    hidden = hidden_by_month(data, trend)
    prior_month = (data.month - dt.timedelta(days=1)).replace(day=1)
    last_year = data.month.replace(year=data.month.year - 1)
    headers = [
        "kpi",
        "label",
        "unit",
        "value",
        "prior_month",
        "same_month_last_year",
        "target",
        "direction",
        "status",
        "numerator",
        "numerator_value",
        "denominator",
        "denominator_value",
    ]
    ws.write_string(
        HEADER_ROW - 1, 0, "Every scorecard KPI with its context, numerator and denominator", f.table_title
    )
    rows = data.lines
    for i, line in enumerate(rows):
        r = HEADER_ROW + 1 + i
        kind = line.unit if line.unit != "per_hour" else "number"
        spec = SPECS.get(line.key)
        values: list[tuple[Any, str, bool]] = [
            (line.key, "text", False),
            (line.label, "text", False),
            (line.unit, "text", False),
            (line.value, kind, line.key in hidden.get(data.month, set())),
            (line.prior_month, kind, line.key in hidden.get(prior_month, set())),
            (line.same_month_last_year, kind, line.key in hidden.get(last_year, set())),
            (line.target.target if line.target else None, kind, False),
            (line.target.direction if line.target else None, "text", False),
            (line.status if line.key not in hidden.get(data.month, set()) else None, "text", False),
        ]
        for measure in (spec.numerator if spec else None, spec.denominator if spec else None):
            if measure is None or measure == line.key:
                values += [(None, "text", False), (None, "number", False)]
                continue
            measure_kind = _measure_kind(measure)
            masked = measure in hidden.get(data.month, set())
            values += [(measure, "text", False), (data.row.get(measure), measure_kind, masked)]
        for j, (value, k, masked) in enumerate(values):
            if masked and value is not None:
                mark = "<11" if k == "count" else "*"
                ws.write_string(r, j, mark, f.suppressed)
            else:
                _write(ws, r, j, value, k, f)
    ws.add_table(
        HEADER_ROW,
        0,
        HEADER_ROW + len(rows),
        len(headers) - 1,
        {
            "name": "scorecard",
            "style": "Table Style Light 1",
            "autofilter": True,
            "columns": [{"header": h, "header_format": f.header} for h in headers],
        },
    )
    for j, width in enumerate((26, 34, 9, 14, 14, 20, 10, 10, 8, 24, 16, 24, 18)):
        ws.set_column(j, j, width)
    ws.freeze_panes(HEADER_ROW + 1, 2)
    moved = report_movers(data, hidden)
    r = HEADER_ROW + len(rows) + 3
    ws.write_string(r, 0, "What moved", f.table_title)
    for i, mover in enumerate(moved or []):
        ws.write_string(r + 1 + i, 0, neutralise(mover.sentence))
    if not moved:
        ws.write_string(r + 1, 0, "No scorecard KPI moved by 5% or more, and none is off its target.")


def _measure_kind(measure: str) -> str:
    hints = (("amount", "dollars"), ("hours", "hours"), ("days", "days"), ("weight_sum", "index"))
    for unit_hint, kind in hints:
        if unit_hint in measure:
            return kind
    return "count"


def _trend_kinds(frame: pl.DataFrame) -> list[str]:
    return [
        "date"
        if c == "month"
        else (
            "number"
            if KPIS.get(c, ("", ""))[1] == "per_hour"
            else KPIS[c][1]
            if c in KPIS
            else fmt.column_kind("scorecard.trend", c)
        )
        for c in frame.columns
    ]


def _family_sheet(
    book: xlsxwriter.Workbook, data: ReportData, trend: Suppressed, family_index: int, f: _Formats
) -> None:
    family = FAMILIES[family_index]
    ws = book.add_worksheet(family.sheet[:31])
    _heading(ws, data, family.title, f)
    key = f"f{family_index + 1}"
    columns = ["month", *family.trend_columns]
    trend_frame = trend.frame.select(columns)
    mask = {c: rows for c, rows in trend.mask.items() if c in columns}
    blocks = [
        _Block(
            "trend",
            "13-month trend (scorecard.trend)",
            "scorecard.trend",
            Suppressed(trend_frame, mask, trend.counts),
            _trend_kinds(trend_frame),
        )
    ]
    for table in family.tables:
        frame = data.tables[table.key]
        if table.sort and frame.height:
            frame = frame.sort(table.sort, descending=True, nulls_last=True, maintain_order=True)
        shown = suppress(frame, enabled=data.suppressed, dimensions=table.dimensions)
        kinds = [fmt.column_kind(table.query, c) for c in frame.columns]
        blocks.append(_Block(table.key, f"{table.title} ({table.query})", table.query, shown, kinds))
    col = 0
    for block in blocks:
        col = _table(ws, block, col, key, f)
    ws.freeze_panes(HEADER_ROW + 1, 0)


def _about_sheet(book: xlsxwriter.Workbook, data: ReportData, f: _Formats) -> None:
    ws = book.add_worksheet("About")
    lines = [
        ("Report", f"{PRODUCT} monthly report, {fmt.month_label(data.month)}"),
        ("Month", data.month.strftime("%Y-%m")),
        ("Facility", facility_text(data.filters)),
        ("Filters", describe_filters(data.filters)),
        ("Audience", data.audience),
        ("Data as of", data.data_through.isoformat() if data.data_through else "—"),
        ("Loaded", clock(data.loaded_at)),
        ("Generated", clock(data.generated_at)),
        ("Small cells", FOOTNOTE if data.suppressed else "Not suppressed (manager audience)."),
        ("Sources", "Every table names its catalog query (queries/*.sql); definitions in docs/kpis.md."),
    ]
    for i, (label, text) in enumerate(lines):
        ws.write_string(i, 0, label, f.header)
        ws.write_string(i, 1, neutralise(text), f.wrap)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 100)


def workbook(data: ReportData) -> bytes:
    """Return the XLSX pack of an assembled report."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    book.set_properties({"title": f"{PRODUCT} monthly report {data.month:%Y-%m}", "author": PRODUCT})
    f = _Formats(book)
    trend = suppressed_trend(data)  # once: every sheet shows the same suppressed months
    _scorecard_sheet(book, data, trend, f)
    for i in range(len(FAMILIES)):
        _family_sheet(book, data, trend, i, f)
    _about_sheet(book, data, f)
    book.close()
    return out.getvalue()
