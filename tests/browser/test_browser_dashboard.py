"""The dashboard in real headless Chromium: pages draw with data and no console errors, filters change
the numbers, the scorecard equals ``him kpi``, URLs restore views, two people stay independent,
drill-downs land on filtered views, exports match the filtered table, empty and invalid states show."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from browser_helpers import RECORD_CALLBACKS_JS, ROOT, Page
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import theme
from warehouse import catalog, deid, explorer, scorecard
from warehouse.db import reader
from warehouse.filters import Filters
from warehouse.paths import WarehousePaths

pytestmark = pytest.mark.browser
PAGES = ["/", "/demographics", "/drg", "/denials", "/coding", "/operations", "/explorer", "/data-quality"]


def run(paths: WarehousePaths, name: str, f: Filters) -> dict[str, Any]:
    return catalog.run(name, f, con=reader(paths).cursor()).row(0, named=True)


def him_kpi(paths: WarehousePaths, month: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "HIM_WAREHOUSE": str(paths.pointer), "PYTHONPATH": str(ROOT)}
    env.pop("HIM_TARGETS", None)
    out = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "kpi", "--month", month, *args, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def shown_as(values: dict[str, Any]) -> dict[str, str]:
    return {
        key: theme.format_value(values[key], theme.UNIT_KINDS[unit])
        for key, (_, unit) in scorecard.KPIS.items()
    }


@pytest.mark.parametrize("path", PAGES)
def test_every_page_draws_its_charts_with_data_and_logs_no_error(page: Page, path: str) -> None:
    page.open(path)
    graphs = page.graphs()
    assert all(g["traces"] > 0 and not g["empty"] for g in graphs), graphs
    if path == "/":
        assert len(page.kpis()) == len(scorecard.KPIS)
    elif path == "/explorer":
        assert page.driver.find_elements(By.CSS_SELECTOR, ".ag-row")
        assert page.driver.find_element(By.CSS_SELECTOR, "[data-row-count]").text
    else:
        assert graphs, "the page has no chart"
    assert page.errors() == []


#: Data requests a fresh load of each page sends (at most), besides the router and the shell's two: per
#: security rule of the page's outputs, at most two parts a request; the Explorer's grid asks for
#: rows, and its count and export links callbacks run when it appears and for its first block; the
#: work list's export links (no data) are rebuilt when the filter store arrives after the page was drawn.
PAGE_REQUESTS = {
    "/": 1,
    "/demographics": 2,
    "/drg": 4,
    "/denials": 4,
    "/coding": 4,
    "/operations": 5,
    "/explorer": 6,
    "/data-quality": 2,
}
SHELL_OUTPUTS = ("_pages_content", "shell-url.search", '"shell-nav-link"')


def test_a_page_load_sends_few_callback_requests(new_browser, app_url: str) -> None:
    driver = new_browser()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CALLBACKS_JS})
    fresh = Page(driver, app_url)
    for path, expected in PAGE_REQUESTS.items():
        fresh.open(path, fresh=True)
        sent = driver.execute_script("return window.__callbacks")
        shell = [o for o in sent if any(s in o for s in SHELL_OUTPUTS)]
        data = [o for o in sent if o not in shell]
        assert len(shell) == 3, (path, shell)
        assert len(data) <= expected, (path, data)
        assert not [o for o in data if "shell-nav-" in o], (path, data)  # no drill-down before a click
        repeated = [
            o for o in set(data) if data.count(o) > 1 and "explorer-count" not in o and "limited" not in o
        ]
        assert repeated == [], path
    assert fresh.errors() == []


def test_scorecard_values_equal_him_kpi_and_follow_the_month_picker(
    page: Page, demo_warehouse: WarehousePaths
) -> None:
    page.open("/?month=2026-03&facility=FAC01")
    assert page.kpis() == shown_as(him_kpi(demo_warehouse, "2026-03", "--facility", "FAC01"))
    page.choose("shell-filter-month", "Dec 2025")
    assert "month=2025-12" in page.search()
    assert "facility=FAC01" in page.search()
    assert page.kpis() == shown_as(him_kpi(demo_warehouse, "2025-12", "--facility", "FAC01"))
    assert page.errors() == []


def test_changing_a_filter_changes_the_numbers(page: Page, demo_warehouse: WarehousePaths) -> None:
    page.open("/denials?from=2025-01-01&to=2025-12-31")
    everyone = page.stat("claims_submitted")
    page.choose("shell-filter-payer", "Medicare")
    assert page.search() == "?from=2025-01-01&to=2025-12-31&payer=Medicare"
    medicare = run(
        demo_warehouse,
        "denials.summary",
        Filters(date_from="2025-01-01", date_to="2025-12-31", payer=("Medicare",)),
    )
    assert (
        page.stat("claims_submitted") == theme.format_value(medicare["claims_submitted"], "count") != everyone
    )
    assert page.stat("initial_denial_rate") == theme.format_value(medicare["initial_denial_rate"], "rate")
    page.driver.back()
    page.settled()
    assert page.search() == "?from=2025-01-01&to=2025-12-31"
    assert page.stat("claims_submitted") == everyone
    assert page.errors() == []


def test_a_copied_url_restores_the_filters_on_a_fresh_load(
    new_browser,
    app_url: str,
    demo_warehouse: WarehousePaths,
) -> None:
    fresh = Page(new_browser(), app_url)
    fresh.open("/operations?as_of=2025-06-30&facility=FAC02&patient_type=inpatient", fresh=True)
    assert fresh.driver.find_element(By.ID, "shell-filter-facility").text == "FAC02"
    assert "Inpatient" in fresh.driver.find_element(By.ID, "shell-filter-patient-type").text
    assert (
        fresh.driver.find_element(By.CSS_SELECTOR, "#shell-filter-as-of-group input").get_attribute("value")
        == "2025-06-30"
    )
    f = Filters(as_of="2025-06-30", facility=("FAC02",), patient_type=("inpatient",))
    assert fresh.stat("dnfb_count") == theme.format_value(
        run(demo_warehouse, "operations.dnfb", f)["dnfb_count"], "count"
    )
    link = fresh.driver.find_element(By.LINK_TEXT, "Denials").get_attribute("href")
    assert link.endswith("/denials?as_of=2025-06-30&facility=FAC02&patient_type=inpatient")
    assert fresh.errors() == []


def test_two_browsers_keep_independent_filters(new_browser, app_url: str) -> None:
    alice, bob = Page(new_browser(), app_url), Page(new_browser(), app_url)
    alice.open("/demographics")
    bob.open("/demographics")
    alice.choose("shell-filter-payer", "Medicare")
    bob.choose("shell-filter-facility", "FAC03")
    alice_numbers, bob_numbers = alice.stat("discharges"), bob.stat("discharges")
    assert alice.search() == "?payer=Medicare"
    assert bob.search() == "?facility=FAC03"
    assert alice_numbers != bob_numbers
    alice.driver.refresh()
    alice.settled()
    assert alice.search() == "?payer=Medicare"
    assert alice.stat("discharges") == alice_numbers
    assert bob.driver.find_element(By.ID, "shell-filter-payer").text == "All"
    assert alice.errors() == []
    assert bob.errors() == []


def test_a_drill_down_click_lands_on_the_filtered_view(page: Page, demo_warehouse: WarehousePaths) -> None:
    page.open("/denials?from=2025-01-01&to=2025-12-31")
    first_payer = page.driver.execute_script(
        "return document.querySelector('#denials-rate-by-payer .js-plotly-plot').data[0].customdata[0][0]"
    )
    page.click_point("denials-rate-by-payer")
    assert page.driver.current_url.endswith(
        f"/denials?from=2025-01-01&to=2025-12-31&payer={first_payer.replace(' ', '+')}"
    )
    f = Filters(date_from="2025-01-01", date_to="2025-12-31", payer=(first_payer,))
    assert page.stat("claims_submitted") == theme.format_value(
        run(demo_warehouse, "denials.summary", f)["claims_submitted"], "count"
    )
    assert page.driver.find_element(By.ID, "shell-filter-payer").text == first_payer
    code = page.driver.execute_script(
        "return document.querySelector('#denials-carc-pareto .js-plotly-plot').data[0].customdata[0][0]"
    )
    page.click_point("denials-carc-pareto")
    assert "/explorer?" in page.driver.current_url
    assert f"col.carc_code={code}" in page.driver.current_url
    expected = explorer.count(
        explorer.Request("claims", f, (explorer.Condition("carc_code", "equals", code),)),
        con=reader(demo_warehouse).cursor(),
    )
    assert page.driver.find_element(By.CSS_SELECTOR, "[data-row-count]").get_attribute(
        "data-row-count"
    ) == str(expected)
    assert page.errors() == []


def _downloaded(folder: Path, suffix: str, before: set[Path], timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [p for p in folder.glob(f"*{suffix}") if p not in before]
        if new and not list(folder.glob("*.crdownload")):
            return new[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file was downloaded into {folder}")


def _rows_and_columns(path: Path, names: list[str]) -> tuple[int, list[str]]:
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text())))
        return len(rows) - 1, rows[0]
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return frame.height, frame.columns
    with zipfile.ZipFile(path) as z:  # xlsxwriter's constant-memory mode writes inline strings
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    header = sheet[: sheet.index("</row>")]
    return sheet.count("<row ") - 1, [n for n in names if f"<t>{n}</t>" in header]


def test_each_explorer_export_downloads_the_filtered_table(
    page: Page, downloads: Path, demo_warehouse: WarehousePaths
) -> None:
    page.open("/explorer?from=2025-01-01&to=2025-12-31&payer=Medicare&table=claims&col.status=denied")
    shown = int(page.driver.find_element(By.CSS_SELECTOR, "[data-row-count]").get_attribute("data-row-count"))
    request = explorer.Request(
        "claims",
        Filters(date_from="2025-01-01", date_to="2025-12-31", payer=("Medicare",)),
        (explorer.Condition("status", "equals", "denied"),),
    )
    assert shown == explorer.count(request, con=reader(demo_warehouse).cursor()) > 0
    # The Explorer's links are sent on to the de-identified export (docs/security.md, "Exports").
    sample = deid.export(request, "deidentified", "csv", con=reader(demo_warehouse).cursor())
    columns = next(csv.reader(io.StringIO(b"".join(sample.chunks).decode())))
    assert "claim_ref" in columns
    assert "claim_id" not in columns
    for link_id, suffix in (
        ("explorer-export-csv", ".csv"),
        ("explorer-export-xlsx", ".xlsx"),
        ("explorer-export-parquet", ".parquet"),
    ):
        before = set(downloads.iterdir())
        page.driver.find_element(By.ID, link_id).click()
        file = _downloaded(downloads, suffix, before)
        rows, header = _rows_and_columns(file, columns)
        assert (rows, header) == (shown, columns), file.name
    assert page.errors() == []


def test_the_explorer_table_picker_opens_the_table_and_back_returns(page: Page) -> None:
    page.open("/explorer?from=2025-01-01&to=2025-12-31", fresh=True)
    assert "encounters" in page.driver.find_element(By.ID, "explorer-count").text
    page.choose("explorer-table", "Claims")
    assert page.search() == "?from=2025-01-01&to=2025-12-31&table=claims"
    assert "claims" in page.driver.find_element(By.ID, "explorer-count").text
    assert page.driver.find_element(By.ID, "explorer-table").text == "Claims"
    page.driver.back()
    page.settled()
    assert page.search() == "?from=2025-01-01&to=2025-12-31"
    assert "encounters" in page.driver.find_element(By.ID, "explorer-count").text
    assert page.driver.find_element(By.ID, "explorer-table").text == "Encounters"
    assert page.errors() == []


def test_an_empty_filter_result_shows_the_empty_state(page: Page) -> None:
    page.open("/denials?from=2020-01-01&to=2020-06-30")
    assert page.search() == "?from=2020-01-01&to=2020-06-30"
    graphs = page.graphs()
    assert graphs
    assert all(g["empty"] for g in graphs)
    assert all("match nothing" in g["message"] for g in graphs)
    assert page.stat("claims_submitted") == "—"
    page.open("/explorer?from=2020-01-01&to=2020-06-30&table=claims")
    assert "No rows" in page.driver.find_element(By.ID, "explorer-count").text
    assert page.errors() == []


def test_an_invalid_url_value_shows_the_notice_and_the_defaults_apply(page: Page) -> None:
    page.open("/?month=2025-13&patient_type=alien&payer=No+Such+Payer", fresh=True)
    notice = page.driver.find_element(By.ID, "shell-notice")
    assert notice.is_displayed()
    assert "2025-13" in notice.text
    assert "alien" in notice.text
    assert "No Such Payer" in notice.text
    assert page.search() == ""  # the value the data does not hold is dropped from the URL too
    assert len(page.kpis()) == len(scorecard.KPIS)  # the default month is shown
    page.open("/demographics?from=2025-01-01")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#shell-notice.show")
    assert page.errors() == []


def test_tablet_width_and_keyboard_reach_the_controls(new_browser, app_url: str) -> None:
    tablet = Page(new_browser(820, 1180), app_url)
    for path in ("/", "/denials", "/explorer"):
        tablet.open(path)
        overflow = tablet.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at tablet width"
    body = tablet.driver.find_element(By.TAG_NAME, "body")
    reached = set()
    for _ in range(25):
        body.send_keys(Keys.TAB)
        active = tablet.driver.switch_to.active_element
        reached.add(active.get_attribute("id") or active.get_attribute("class"))
        body = active
    assert any("shell-filter" in r for r in reached if r), reached
    assert tablet.errors() == []


def test_the_scorecard_downloads_the_monthly_report_for_its_month_and_filters(
    page: Page, downloads: Path, demo_warehouse: WarehousePaths
) -> None:
    import openpyxl

    page.open("/?month=2026-03&facility=FAC01")
    pdf = page.driver.find_element(By.ID, "scorecard-report-pdf").get_attribute("href")
    assert pdf.endswith("/report/monthly.pdf?month=2026-03&facility=FAC01")
    before = set(downloads.iterdir())
    page.driver.find_element(By.ID, "scorecard-report-xlsx").click()
    file = _downloaded(downloads, ".xlsx", before)
    assert file.name == "him-report-2026-03-FAC01.xlsx"
    sheet = openpyxl.load_workbook(file)["Scorecard"]
    cells = list(sheet[sheet.tables["scorecard"].ref])
    headers = [c.value for c in cells[0]]
    values = {row[0].value: row[headers.index("value")].value for row in cells[1:]}
    expected = him_kpi(demo_warehouse, "2026-03", "--facility", "FAC01")
    for key in ("discharges", "inpatient_discharges", "charts_coded", "coding_backlog", "dnfb_count"):
        assert values[key] == expected[key], key
    assert page.errors() == []


def _grid_row_count(page: Page) -> int:
    return int(page.driver.find_element(By.CSS_SELECTOR, "[data-row-count]").get_attribute("data-row-count"))


def _first_row(page: Page, column: str) -> str:
    cell = f'.ag-center-cols-container .ag-row[row-index="0"] .ag-cell[col-id="{column}"]'
    return page.driver.find_element(By.CSS_SELECTOR, cell).text


def test_the_explorer_grid_filter_and_sort_go_into_a_link_that_reproduces_the_view(
    page: Page, demo_warehouse: WarehousePaths
) -> None:
    page.open("/explorer?from=2025-01-01&to=2025-12-31&table=claims", fresh=True)
    history = page.driver.execute_script("return window.history.length")
    everything = _grid_row_count(page)
    header = '.ag-header-cell[col-id="billed_amount"]'
    page.driver.find_element(By.CSS_SELECTOR, f"{header} .ag-header-cell-label").click()
    page.settled()
    page.driver.find_element(By.CSS_SELECTOR, f"{header} .ag-header-cell-label").click()  # descending
    page.settled()
    assert page.search() == "?from=2025-01-01&to=2025-12-31&table=claims&sort=-billed_amount"
    grid = page.driver.find_element(By.CSS_SELECTOR, ".ag-root-wrapper")
    payer = '.ag-header-cell[col-id="payer"]'
    ActionChains(page.driver).move_to_element(page.driver.find_element(By.CSS_SELECTOR, payer)).perform()
    page.driver.find_element(By.CSS_SELECTOR, f"{payer} .ag-header-cell-filter-button").click()
    box = page.driver.find_element(By.CSS_SELECTOR, ".ag-filter-body input")
    box.send_keys("medic")
    page.driver.find_element(
        By.CSS_SELECTOR, ".ag-filter-apply-panel button[data-ref=applyFilterButton]"
    ).click()
    page.settled()
    search = page.search()
    assert search == "?from=2025-01-01&to=2025-12-31&table=claims&col.payer=~medic&sort=-billed_amount"
    assert page.driver.execute_script("return window.history.length") == history  # replaced, not pushed
    assert grid.is_displayed()  # the same grid (a new one would have made this element stale)
    shown = _grid_row_count(page)
    first = _first_row(page, "claim_id")
    request = explorer.Request(
        "claims",
        Filters(date_from="2025-01-01", date_to="2025-12-31"),
        (explorer.Condition("payer", "contains", "medic"),),
        (explorer.Sort("billed_amount", descending=True),),
    )
    assert shown == explorer.count(request, con=reader(demo_warehouse).cursor()) < everything
    assert first == explorer.page(request, 0, 1, con=reader(demo_warehouse).cursor())["claim_id"][0]
    page.open("/explorer" + search, fresh=True)  # the copied link, in a new page load
    assert page.search() == search
    assert (_grid_row_count(page), _first_row(page, "claim_id")) == (shown, first)
    assert page.driver.find_elements(By.CSS_SELECTOR, f"{payer}.ag-header-cell-filtered")  # in its filter
    assert not page.driver.find_elements(By.CSS_SELECTOR, ".explorer-condition")  # not twice
    assert page.driver.find_element(By.CSS_SELECTOR, header).get_attribute("aria-sort") == "descending"
    # Clearing the URL's condition in the grid clears it from the rows and the URL (applied once).
    ActionChains(page.driver).move_to_element(page.driver.find_element(By.CSS_SELECTOR, payer)).perform()
    page.driver.find_element(By.CSS_SELECTOR, f"{payer} .ag-header-cell-filter-button").click()
    page.driver.find_element(
        By.CSS_SELECTOR, ".ag-filter-apply-panel button[data-ref=resetFilterButton]"
    ).click()
    page.settled()
    assert page.search() == "?from=2025-01-01&to=2025-12-31&table=claims&sort=-billed_amount"
    assert _grid_row_count(page) == everything
    # An open date range shows in its column filter; a second condition on a column is a badge.
    page.open(
        "/explorer?table=claims&col.submitted_date=2025-07-01..&col.billed_amount=1000..&col.billed_amount=<5000"
    )
    both = explorer.Request(
        "claims",
        Filters(),
        (
            explorer.Condition("submitted_date", "greaterThanOrEqual", "2025-07-01"),
            explorer.Condition("billed_amount", "greaterThanOrEqual", 1000),
            explorer.Condition("billed_amount", "lessThan", 5000),
        ),
    )
    assert _grid_row_count(page) == explorer.count(both, con=reader(demo_warehouse).cursor()) > 0
    filtered = page.driver.find_elements(By.CSS_SELECTOR, ".ag-header-cell-filtered")
    assert {f.get_attribute("col-id") for f in filtered} == {"submitted_date", "billed_amount"}
    badges = page.driver.find_elements(By.CSS_SELECTOR, ".explorer-condition")
    assert [b.get_attribute("data-column") for b in badges] == ["billed_amount"]
    assert page.errors() == []
