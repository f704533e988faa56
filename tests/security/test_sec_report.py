"""The Scorecard's "Download monthly report" route: role-checked, facility-scoped, audit-logged, and the
downloaded numbers are the catalog's (issue 8)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sec_helpers import audit_seq, last_entries, login

from dashboard import report_download
from dashboard.security import policy
from warehouse import scorecard
from warehouse.filters import Filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def month(context: Any) -> str:
    return f"{context.defaults.month:%Y-%m}"


def scorecard_numbers(book: openpyxl.Workbook) -> dict[str, Any]:
    """The Scorecard sheet's table (named ``scorecard``): KPI key → value."""
    sheet = book["Scorecard"]
    cells = list(sheet[sheet.tables["scorecard"].ref])
    headers = [c.value for c in cells[0]]
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in cells[1:]]
    return {row[headers[0]]: row["value"] for row in rows}


def test_links_follow_the_month_and_filters() -> None:
    f = Filters(month=None, facility=("FAC01",), payer=("Medicare",))
    href = report_download.report_href("pdf", f)
    assert href == "/report/monthly.pdf?facility=FAC01&payer=Medicare"
    assert report_download.audience_of(frozenset({policy.LEADERSHIP})) == "leadership"
    assert report_download.audience_of(frozenset({policy.LEADERSHIP, policy.MANAGER})) == "manager"


def test_leader_downloads_the_pdf_and_it_is_logged(app: Any, sec: Any, month: str) -> None:
    leader = login(app, "t-leader")
    since = audit_seq(sec)
    resp = leader.get(f"/report/monthly.pdf?month={month}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    assert f"him-report-{month}.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["Cache-Control"] == "no-store"
    entry = next(e for e in last_entries(sec, since) if e["action"] == "export")
    assert entry["user"] == "t-leader"
    assert entry["target"] == f"report:{month}.pdf"
    assert entry["detail"]["audience"] == "leadership"


def test_manager_excel_numbers_equal_the_catalog(app: Any, sec: Any, month: str) -> None:
    manager = login(app, "t-manager")
    since = audit_seq(sec)
    resp = manager.get(f"/report/monthly.xlsx?month={month}&facility=FAC01")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == XLSX
    assert f"him-report-{month}-FAC01.xlsx" in resp.headers["Content-Disposition"]
    entry = next(e for e in last_entries(sec, since) if e["action"] == "export")
    assert entry["detail"] == {
        "kind": "report",
        "format": "xlsx",
        "audience": "manager",
        "bytes": len(resp.data),
    }
    assert entry["filters"]["facility"] == ["FAC01"]
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert len(book.sheetnames) >= 2
    expected = {
        line.key: line.value
        for line in scorecard.scorecard_with_context(month, Filters(facility=("FAC01",)))
        if line.value is not None
    }
    found = scorecard_numbers(book)
    assert set(expected) <= set(found)
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-9), key


def test_admin_and_anonymous_are_refused(app: Any, month: str) -> None:
    assert login(app, "t-admin").get(f"/report/monthly.pdf?month={month}").status_code == 403
    anonymous = app.server.test_client().get(f"/report/monthly.pdf?month={month}")
    assert anonymous.status_code in (302, 303, 401)


def test_restricted_user_gets_only_their_facility(app: Any, sec: Any, month: str) -> None:
    restricted = login(app, "t-analyst-fac01")
    assert restricted.get(f"/report/monthly.xlsx?month={month}&facility=FAC02").status_code == 403
    since = audit_seq(sec)
    resp = restricted.get(f"/report/monthly.xlsx?month={month}")
    assert resp.status_code == 200
    assert "FAC01" in resp.headers["Content-Disposition"]
    entry = next(e for e in last_entries(sec, since) if e["action"] == "export")
    assert entry["filters"]["facility"] == ["FAC01"]


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("month=1999-01", 404, "1999"),
        ("month=2024-13", 400, "month"),
        ("month=2025-01&payer=Nobody+Pays", 404, ""),
    ],
)
def test_bad_requests_get_a_clear_message(app: Any, query: str, status: int, says: str) -> None:
    resp = login(app, "t-manager").get(f"/report/monthly.xlsx?{query}")
    assert resp.status_code == status, resp.get_data(as_text=True)
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text
    assert says in text


def test_unknown_format_is_not_found(app: Any, month: str) -> None:
    assert login(app, "t-manager").get(f"/report/monthly.docx?month={month}").status_code == 404
