"""Reading a report PDF back: its pages' text, and page 1's scorecard checked against `him kpi`."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import kpi_json

from warehouse.report.privacy import is_small, suppress_row
from warehouse.scorecard import KPIS


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def pdf_pages(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def _him_kpi_text(value: Any, unit: str) -> str:
    """`him kpi`'s table format of one value."""
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "dollars":
        return f"${value:,.2f}"
    if unit == "count":
        return f"{value:,}"
    return f"{value:,.2f}"


def _score_tokens(page: str) -> dict[str, list[str]]:
    """KPI label -> the cells printed after it on page 1 (value, prior, change, last year, target, status)."""
    labels = sorted((label for label, _ in KPIS.values()), key=len, reverse=True)
    rows: dict[str, list[str]] = {}
    for line in page.splitlines():
        for label in labels:
            if line.startswith(label + " ") and label not in rows:
                rows[label] = line[len(label) :].split()
                break
    return rows


def check_scorecard_page(
    page: str, capsys: pytest.CaptureFixture[str], warehouse: Path, month: dt.date, *filters: str
) -> int:
    """Assert that every number of page 1's scorecard equals `him kpi --month` (M, M−1, M−12) for the
    same filters, that small counts never show and suppressed cells are marked; return the numbers
    compared."""
    months = {n: _shift(month, n).strftime("%Y-%m") for n in (0, -1, -12)}
    expected = {n: kpi_json(capsys, warehouse, m, *filters) for n, m in months.items()}
    hidden = {n: suppress_row(row) for n, row in expected.items()}
    rows = _score_tokens(page)
    assert len(rows) == len(KPIS)
    checked = 0
    for key, (label, unit) in KPIS.items():
        tokens = [t for t in rows[label] if t != "pts"]  # a rate's change is "+1.2 pts"
        value, prior, _change, last_year = tokens[:4]
        for token, n in ((value, 0), (prior, -1), (last_year, -12)):
            raw = expected[n][key]
            if unit == "count" and is_small(raw):
                assert token == "<11", (key, n, raw)  # a small count never leaks
            elif key in hidden[n] and raw is not None:
                assert token in ("<11", "*"), (key, n, raw)
            else:
                assert token == _him_kpi_text(raw, unit), (key, n, token, raw)
                checked += raw is not None
    return checked
