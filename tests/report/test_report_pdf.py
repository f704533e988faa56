"""The PDF: it opens, has the expected pages, names facility and filters on every page, and every
scorecard number in it equals `him kpi --month` for the same month and filters."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_him
from report_pdfcheck import check_scorecard_page, pdf_pages

from warehouse.filters import Filters
from warehouse.report import NoDataForMonth, build_report
from warehouse.report.families import FAMILIES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdfs(
    demo_wh: Any,
    demo_con: Any,
    report_month: dt.date,
    biggest_facility: str,
    chromium: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, bytes]:
    """The leadership PDF for all facilities (build_report) and for one facility (`him report`)."""
    out = tmp_path_factory.mktemp("pdf") / "facility.pdf"
    code = __import__("warehouse.cli", fromlist=["main"]).main(
        [
            "report",
            "--month",
            report_month.strftime("%Y-%m"),
            "--facility",
            biggest_facility,
            "--out",
            str(out),
            "--warehouse",
            str(demo_wh.pointer),
        ]
    )
    assert code == 0
    return {
        "all": build_report(report_month, Filters(), "pdf", con=demo_con),
        "facility": out.read_bytes(),
    }


@pytest.mark.parametrize("which", ["all", "facility"])
def test_pdf_opens_with_one_scorecard_page_and_one_page_per_family(
    pdfs: dict[str, bytes], which: str
) -> None:
    pdf = pdfs[which]
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf)
    assert len(pages) == 1 + len(FAMILIES) == 6
    assert "Scorecard" in pages[0]
    assert "What moved" in pages[0]
    for family, text in zip(FAMILIES, pages[1:], strict=True):
        assert family.title in text
        for chart in family.charts:
            assert chart.title in text, (family.key, chart.title)
        # the month ticks of the 13-month axes ("Jan 26") exist only once Plotly has drawn the charts;
        # a chart whose every point is a small cell says so instead of drawing nothing
        ticks = re.findall(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d\b", text)
        flat = " ".join(text.split())
        assert len(ticks) >= 2 or "Not shown: fewer than 11 records" in flat, (family.key, text)
        assert "No data for these filters" not in flat
        if which == "all":
            assert len(ticks) >= 2 * len(family.charts) - 2, (family.key, ticks)
        for table in family.tables:
            if table.pdf:
                assert table.title in text


@pytest.mark.parametrize("which", ["all", "facility"])
def test_every_page_names_facility_filters_and_data_dates(
    pdfs: dict[str, bytes],
    which: str,
    biggest_facility: str,
    demo_bounds: dict[str, Any],
    report_month: dt.date,
) -> None:
    facility = biggest_facility if which == "facility" else "All facilities"
    pages = pdf_pages(pdfs[which])
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert f"Facility: {facility}" in flat
        assert "Filters:" in flat
        if which == "facility":
            assert f"facility {biggest_facility}" in flat
        assert f"Data as of {demo_bounds['data_through_date'].isoformat()}" in flat
        assert re.search(r"loaded \d{4}-\d{2}-\d{2} \d{2}:\d{2}", flat)
        assert f"page {number} of {len(pages)}" in flat
        assert report_month.strftime("%B %Y") in flat


@pytest.mark.parametrize("which", ["all", "facility"])
def test_every_scorecard_number_equals_him_kpi(
    pdfs: dict[str, bytes],
    which: str,
    demo_wh: Any,
    report_month: dt.date,
    biggest_facility: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    filters = ("--facility", biggest_facility) if which == "facility" else ()
    checked = check_scorecard_page(pdf_pages(pdfs[which])[0], capsys, demo_wh.pointer, report_month, *filters)
    assert checked >= 12  # most cells are real numbers, not suppressed


def test_a_month_without_data_is_a_clear_message(
    demo_wh: Any, demo_con: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(NoDataForMonth, match=r"no report for 2031-01: the month is outside the data"):
        build_report("2031-01", fmt="pdf", con=demo_con)
    out = tmp_path / "r.pdf"
    code, _, err = run_him(
        capsys, "report", "--month", "2031-01", "--out", str(out), "--warehouse", str(demo_wh.pointer)
    )
    assert code == 1
    assert err.startswith("error: no report for 2031-01")
    assert "Traceback" not in err
    assert not out.exists()


def test_filters_that_match_nothing_are_a_clear_message(demo_con: Any, report_month: dt.date) -> None:
    with pytest.raises(NoDataForMonth, match=r"for facility NOWHERE: no discharges, claims, coding"):
        build_report(report_month, Filters(facility=("NOWHERE",)), "xlsx", con=demo_con)


def test_him_report_is_recorded_in_the_audit_log(pdfs: dict[str, bytes], demo_wh: Any) -> None:
    from warehouse import audit

    entries = [e for e in audit.AuditLog(audit.log_path(demo_wh)).entries() if e["action"] == "export"]
    assert any(
        e["target"] == "report:facility.pdf" and e["detail"]["kind"] == "monthly_report" for e in entries
    )


def test_html_is_self_contained_and_escapes_the_data(tiny: Any) -> None:
    evil = "<script>alert(1)</script> Plan"
    for month in ("2025-02", "2025-03"):
        for i in range(15):
            eid = tiny.enc(discharge=f"{month}-1{i % 9}", payer=evil, service_line=evil)
            tiny.claim(
                eid,
                submitted=f"{month}-2{i % 9}",
                payer=evil,
                status="denied" if i < 12 else "paid",
                carc="197",
            )
    page = build_report("2025-03", None, "html", audience="manager", con=tiny.cursor()).decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Plan" in page
    assert page.count("<script") == 3  # plotly.js, the figures' JSON, the drawing code
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)  # nothing fetched from a network
    assert "default-src 'none'" in markup
