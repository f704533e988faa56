"""The report as it is read: suppressed, formatted and worded (shared by the HTML/PDF and the mail).

:func:`build` turns :class:`~warehouse.report.data.ReportData` into a :class:`ReportView`: page 1 (the
scorecard with prior month, same month last year, target and status, and "what moved"), then one page
per KPI family (its KPIs, 13-month trend charts and top-10 table). For leadership every table, chart
series and sentence has had its small cells suppressed first (:mod:`.privacy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.sparkline import sparkline
from warehouse.report import charts, fmt
from warehouse.report.data import ReportData, describe_filters, facility_text
from warehouse.report.families import FAMILIES, Family, Table
from warehouse.report.movers import Mover, what_moved
from warehouse.report.privacy import FOOTNOTE, SUPPRESSED_COUNT, SUPPRESSED_VALUE, Suppressed, suppress

PRODUCT = "HIM analytics"


@dataclass(frozen=True)
class ScoreRow:
    """One scorecard line as printed."""

    key: str
    label: str
    value: str
    prior: str
    change: str
    last_year: str
    target: str
    status: str
    sparkline: str | None = None


@dataclass(frozen=True)
class TableView:
    """A table as printed: headers, right-aligned columns and rows of text."""

    title: str
    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True)
class PageView:
    """One KPI family page."""

    key: str
    title: str
    kpis: list[ScoreRow]
    figures: list[go.Figure]
    tables: list[TableView]


@dataclass(frozen=True)
class ReportView:
    """Everything the HTML template prints."""

    title: str
    month: dt.date
    month_label: str
    facility: str
    filters: str
    audience: str
    scorecard: list[ScoreRow]
    movers: list[Mover]
    pages: list[PageView]
    footer: str
    notes: list[str] = field(default_factory=list)
    suppression_note: str = ""

    @property
    def last_year_label(self) -> str:
        """The header of the same-month-last-year column: ``Sep 2025``."""
        return fmt.short_month(self.month.replace(year=self.month.year - 1))

    @property
    def prior_label(self) -> str:
        """The header of the prior-month column: ``Aug 2026``."""
        return fmt.short_month((self.month - dt.timedelta(days=1)).replace(day=1))

    @property
    def page_count(self) -> int:
        """Pages of the PDF: the scorecard page and one per family."""
        return 1 + len(self.pages)


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def suppressed_trend(data: ReportData) -> Suppressed:
    """``scorecard.trend`` with small cells suppressed (per month) when the audience needs it."""
    return suppress(data.trend, enabled=data.suppressed)


def hidden_by_month(data: ReportData, trend: Suppressed) -> dict[dt.date, set[str]]:
    """Month -> the scorecard KPIs suppressed in it."""
    months = data.trend["month"].to_list()
    out: dict[dt.date, set[str]] = {m: set() for m in months}
    for column, rows in trend.mask.items():
        for i in rows:
            out[months[i]].add(column)
    return out


def _text(value: object, unit: str, hidden: bool) -> str:
    if hidden:
        return SUPPRESSED_COUNT if unit == "count" else SUPPRESSED_VALUE
    return fmt.kpi_value(value, unit)


def score_rows(data: ReportData, trend: Suppressed, keys: list[str] | None = None) -> list[ScoreRow]:
    """The scorecard lines as printed (suppressed values as ``<11`` or ``*``)."""
    hidden = hidden_by_month(data, trend)
    now, prior, last_year = (hidden.get(_shift(data.month, n), set()) for n in (0, -1, -12))
    rows = []
    for line in data.lines:
        if keys is not None and line.key not in keys:
            continue
        hide_now, hide_prior = line.key in now, line.key in prior
        change = None
        if line.value is not None and line.prior_month is not None and not (hide_now or hide_prior):
            change = float(line.value) - float(line.prior_month)
        spark = None
        if line.key in trend.frame.columns:
            spark = sparkline(trend.frame, line.key, width=72, height=20)
        rows.append(
            ScoreRow(
                key=line.key,
                label=line.label,
                value=_text(line.value, line.unit, hide_now),
                prior=_text(line.prior_month, line.unit, hide_prior),
                change=fmt.kpi_change(change, line.unit) if change is not None else fmt.NONE,
                last_year=_text(line.same_month_last_year, line.unit, line.key in last_year),
                target=(
                    fmt.target_text(line.target.target, line.target.direction, line.unit)
                    if line.target is not None
                    else fmt.NONE
                ),
                status=(line.status or fmt.NONE) if not hide_now else fmt.NONE,
                sparkline=spark,
            )
        )
    return rows


def table_view(table: Table, frame: pl.DataFrame, data: ReportData, *, limit: int | None = None) -> TableView:
    """A family table, sorted, cut to its top rows and suppressed for the audience."""
    if table.sort and frame.height:
        frame = frame.sort(table.sort, descending=True, nulls_last=True, maintain_order=True)
    shown = suppress(frame, enabled=data.suppressed, dimensions=table.dimensions)
    if limit is not None:
        cut = shown.frame.head(limit)
    else:
        cut = shown.frame
    kinds = [fmt.column_kind(table.query, c.name) for c in table.columns]
    rows = []
    for i in range(cut.height):
        cells = []
        for col, kind in zip(table.columns, kinds, strict=True):
            if shown.is_suppressed(i, col.name):
                cells.append(shown.mark(col.name, i))
            else:
                value = cut[col.name][i]
                cells.append("(not given)" if value is None and kind == "text" else fmt.cell(value, kind))
        rows.append(cells)
    note = ""
    if frame.height > cut.height:
        note = f"Top {cut.height} of {frame.height}."
    if not rows:
        note = "No rows for this month and filters."
    return TableView(
        title=table.title,
        headers=[c.label for c in table.columns],
        numeric=[k not in ("text", "date") for k in kinds],
        rows=rows,
        note=note,
    )


def _page(family: Family, data: ReportData, trend: Suppressed) -> PageView:
    frames = {
        name: suppress(frame, enabled=data.suppressed).frame for name, frame in data.chart_frames.items()
    }
    raw = {"scorecard.trend": data.trend, **data.chart_frames}
    figures = [charts.figure(c, trend.frame, frames, data.targets, raw) for c in family.charts]
    tables = [table_view(t, data.tables[t.key], data, limit=t.limit) for t in family.tables if t.pdf]
    return PageView(family.key, family.title, score_rows(data, trend, list(family.kpis)), figures, tables)


def footer_text(data: ReportData) -> str:
    """The footer of every page: the data's as-of date, the load time and the creation time."""
    through = data.data_through.isoformat() if data.data_through else "—"
    return f"Data as of {through} · loaded {clock(data.loaded_at)} · generated {clock(data.generated_at)}"


def clock(moment: dt.datetime | None) -> str:
    """A time as ``2025-04-02 06:10 UTC`` (a naive time is the server's local time, as the load log's)."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def report_movers(data: ReportData, hidden: Mapping[dt.date, set[str]]) -> list[Mover]:
    """The report's "what moved" sentences, with the KPIs hidden by suppression in each month left out."""
    return what_moved(
        data.lines,
        data.trend,
        data.breakdown,
        month=data.month,
        filters=data.filters,
        hidden=hidden.get(data.month, set()),
        hidden_prior=hidden.get(_shift(data.month, -1), set()),
        small_cells=data.suppressed,
    )


def build(data: ReportData, *, pages: bool = True) -> ReportView:
    """Return the report as it is read (``pages=False``: page 1 only, e.g. for a mail's body)."""
    trend = suppressed_trend(data)
    hidden = hidden_by_month(data, trend)
    movers = report_movers(data, hidden)
    notes = []
    if data.incomplete and data.data_through is not None:
        notes.append(
            f"The data stop on {data.data_through.isoformat()}, before the month's end: "
            f"the month is incomplete."
        )
    audience = "Leadership (small cells suppressed)" if data.suppressed else "Manager (all counts)"
    return ReportView(
        title=f"{PRODUCT}: monthly report, {fmt.month_label(data.month)}",
        month=data.month,
        month_label=fmt.month_label(data.month),
        facility=facility_text(data.filters),
        filters=describe_filters(data.filters),
        audience=audience,
        scorecard=score_rows(data, trend),
        movers=movers,
        pages=[_page(f, data, trend) for f in FAMILIES] if pages else [],
        footer=footer_text(data),
        notes=notes,
        suppression_note=FOOTNOTE if data.suppressed else "",
    )
