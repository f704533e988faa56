"""The XLSX pack opens with openpyxl, its numbers equal the catalog's, it is formatted (percent,
currency, frozen header, autofilter), small cells are suppressed for leadership, and no cell holds a
formula, even when the data's text looks like one."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from report_tiny import Tiny

from warehouse import catalog
from warehouse.filters import Filters
from warehouse.report import build_report
from warehouse.report.data import table_filters
from warehouse.report.families import FAMILIES
from warehouse.report.privacy import COUNT_COLUMNS, is_small
from warehouse.report.xlsx import neutralise
from warehouse.scorecard import scorecard_with_context


@pytest.fixture(scope="module")
def manager_book(demo_con: Any, report_month: dt.date) -> openpyxl.Workbook:
    return openpyxl.load_workbook(
        io.BytesIO(build_report(report_month, None, "xlsx", audience="manager", con=demo_con))
    )


@pytest.fixture(scope="module")
def leadership_book(demo_con: Any, report_month: dt.date) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_report(report_month, None, "xlsx", con=demo_con)))


def _table_rows(ws: Worksheet, name: str) -> tuple[list[str], list[list[Any]], Any]:
    table = ws.tables[name]
    cells = list(ws[table.ref])
    headers = [c.value for c in cells[0]]
    return headers, [[c.value for c in row] for row in cells[1:]], cells


def _same(cell: Any, expected: Any) -> bool:
    if isinstance(expected, Decimal):
        expected = float(expected)
    if isinstance(expected, dt.date) and not isinstance(expected, dt.datetime):
        return isinstance(cell, dt.datetime) and cell.date() == expected
    if isinstance(expected, float):
        return isinstance(cell, int | float) and cell == pytest.approx(expected, rel=1e-12, abs=1e-9)
    return cell == expected


def test_one_sheet_per_family_frozen_header_and_autofilter(manager_book: openpyxl.Workbook) -> None:
    assert manager_book.sheetnames == ["Scorecard", *(f.sheet for f in FAMILIES), "About"]
    for family in FAMILIES:
        ws = manager_book[family.sheet]
        assert ws.freeze_panes == "A4"  # title, table titles and the shared header row stay in view
        assert len(ws.tables) == 1 + len(family.tables)
        for table in ws.tables.values():
            assert table.autoFilter is not None
            assert table.ref.split(":")[0].endswith("3")  # every table's header is on the frozen row
    assert manager_book["Scorecard"].freeze_panes == "C4"


def test_family_tables_equal_the_catalog(
    manager_book: openpyxl.Workbook, demo_con: Any, report_month: dt.date
) -> None:
    compared = 0
    for index, family in enumerate(FAMILIES, start=1):
        ws = manager_book[family.sheet]
        for table in family.tables:
            frame = catalog.run(table.query, table_filters(table, report_month, Filters()), con=demo_con)
            if table.sort:
                frame = frame.sort(table.sort, descending=True, nulls_last=True, maintain_order=True)
            headers, rows, _ = _table_rows(ws, f"f{index}_{table.key}")
            assert headers == frame.columns
            if frame.height == 0:
                continue
            assert len(rows) == frame.height
            for got, want in zip(rows, frame.iter_rows(), strict=True):
                for g, w, col in zip(got, want, headers, strict=True):
                    assert _same(g, w) or (w is None and g is None), (table.key, col, g, w)
                    compared += 1
    assert compared > 100


def test_trend_tables_and_scorecard_equal_the_catalog(
    manager_book: openpyxl.Workbook, demo_con: Any, report_month: dt.date
) -> None:
    trend = catalog.run("scorecard.trend", Filters().for_month(report_month), con=demo_con)
    for index, family in enumerate(FAMILIES, start=1):
        headers, rows, _ = _table_rows(manager_book[family.sheet], f"f{index}_trend")
        assert headers == ["month", *family.trend_columns]
        for got, want in zip(rows, trend.select(headers).iter_rows(), strict=True):
            for g, w in zip(got, want, strict=True):
                assert _same(g, w) or (w is None and g is None), (family.key, g, w)
    headers, rows, _ = _table_rows(manager_book["Scorecard"], "scorecard")
    lines = scorecard_with_context(report_month, Filters(), con=demo_con)
    by_key = {r[0]: dict(zip(headers, r, strict=True)) for r in rows}
    assert list(by_key) == [line.key for line in lines]
    for line in lines:
        row = by_key[line.key]
        for column, value in (
            ("value", line.value),
            ("prior_month", line.prior_month),
            ("same_month_last_year", line.same_month_last_year),
        ):
            assert _same(row[column], value) or (value is None and row[column] is None), (line.key, column)
        assert row["status"] == line.status


def test_number_formats(manager_book: openpyxl.Workbook) -> None:
    _, _, cells = _table_rows(manager_book["Denials"], "f3_denials_by_payer")
    headers = [c.value for c in cells[0]]
    first = dict(zip(headers, cells[1], strict=True))
    assert first["initial_denial_rate"].number_format == "0.0%"
    assert first["denied_amount"].number_format == "$#,##0.00"
    assert first["claims_submitted"].number_format == "#,##0"
    _, _, cells = _table_rows(manager_book["Volume"], "f1_trend")
    assert cells[1][0].number_format == "yyyy-mm-dd"


def test_leadership_pack_never_shows_a_small_count(leadership_book: openpyxl.Workbook) -> None:
    marks = 0
    for ws in leadership_book.worksheets:
        for table in ws.tables.values():
            cells = list(ws[table.ref])
            headers = [c.value for c in cells[0]]
            for row in cells[1:]:
                for header, cell in zip(headers, row, strict=True):
                    if header in COUNT_COLUMNS:
                        assert not is_small(cell.value), (ws.title, table.name, header, cell.value)
                    marks += cell.value in ("<11", "*")
    assert marks > 0  # the demo month has small cells, and they are marked


def test_no_cell_is_a_formula_even_when_the_data_looks_like_one(tiny: Tiny) -> None:
    evil = '=HYPERLINK("http://example.invalid","x")'
    for day in (3, 4):
        for i in range(12):
            eid = tiny.enc(discharge=f"2025-0{day}-1{i % 9}", payer="Medicare")
            tiny.claim(
                eid,
                submitted=f"2025-0{day}-2{i % 9}",
                payer=evil if i % 2 else "+SUM(A1)",
                status="denied" if i < 3 else "paid",
                carc="197",
            )
    book = openpyxl.load_workbook(
        io.BytesIO(build_report("2025-04", None, "xlsx", audience="manager", con=tiny.cursor()))
    )
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert "'" + evil in texts
    assert "'+SUM(A1)" in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Blue Plan HMO", "Blue Plan HMO"),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe
