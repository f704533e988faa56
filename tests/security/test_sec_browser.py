"""Browser subset of the security checks, in real headless Chromium: each demo role logs in and sees the
navigation of its role; the CSP raises no violation on pages with charts and the grid; an analyst types a
data use agreement reference and downloads a limited data set; an idle session sends the browser back
to the login page by itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sec_helpers import USERS, add_users, make_app

from dashboard import headless
from dashboard.security import policy

pytestmark = pytest.mark.browser


def _serve(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(app: Any) -> Iterator[str]:
    yield from _serve(app)


@pytest.fixture(scope="module")
def short_url(sec_paths: Any) -> Iterator[str]:
    short = make_app(sec_paths, idle_seconds=12, absolute_seconds=600)
    add_users(short)
    yield from _serve(short)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if not headless.available():
        pytest.skip("the browser tests need Debian's chromium and chromium-driver")
    options = headless.options(width=1280, height=900)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = headless.driver(options)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def log_in(d: Any, base: str, user: str, path: str = "/") -> None:
    from selenium.webdriver.common.by import By

    d.delete_all_cookies()
    d.get(base + path)
    wait_for(lambda: "/login" in d.current_url)
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(USERS[user][2])
    d.find_element(By.ID, "login-submit").click()
    wait_for(lambda: "/login" not in d.current_url)


def nav_labels(d: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    def labels() -> list[str]:
        return [a.text for a in d.find_elements(By.CSS_SELECTOR, "#shell-navbar a.nav-link") if a.text]

    return wait_for(labels)


def csp_errors(d: Any) -> list[str]:
    return [
        e["message"]
        for e in d.get_log("browser")
        if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
    ]


def expected_nav(user: str) -> list[str]:
    import dash

    roles, facilities, _ = USERS[user]
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return [p["name"] for p in pages if policy.decide(policy.page_rule(p["module"]), roles, facilities)]


@pytest.mark.parametrize("user", ["t-leader", "t-manager", "t-analyst", "t-analyst-fac01"])
def test_each_role_sees_its_navigation(driver: Any, base_url: str, user: str) -> None:
    log_in(driver, base_url, user)
    shown = nav_labels(driver)
    assert shown == expected_nav(user)
    if user == "t-leader":
        assert "Explorer" not in shown
        assert "Data quality" not in shown
    if user == "t-analyst":
        assert "Explorer" in shown
    from selenium.webdriver.common.by import By

    menu = driver.find_element(By.ID, "security-user-menu").text
    assert user in menu
    assert "Log out" in menu
    assert csp_errors(driver) == []


def test_admin_lands_on_the_user_administration(driver: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    log_in(driver, base_url, "t-admin")
    assert driver.current_url.endswith("/admin/users")
    assert driver.find_elements(By.ID, "users-table")
    assert not driver.find_elements(By.ID, "shell-navbar")
    driver.get(base_url + "/denials")
    assert driver.current_url.endswith("/admin/users")


def test_charts_and_grid_run_under_the_csp(driver: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    log_in(driver, base_url, "t-analyst", "/denials")
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 3)
    driver.get(base_url + "/explorer")
    wait_for(lambda: "rows of" in " ".join(e.text for e in driver.find_elements(By.ID, "explorer-count")))
    assert csp_errors(driver) == []
    driver.get(base_url + "/logout")
    wait_for(lambda: "/login" in driver.current_url)
    stored = driver.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert stored == "{}{}"


def test_an_analyst_types_a_dua_and_downloads_a_limited_data_set(
    driver: Any, base_url: str, tmp_path: Path
) -> None:
    import csv

    from selenium.webdriver.common.by import By

    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    log_in(driver, base_url, "t-analyst", "/explorer?facility=FAC01&col.patient_type=inpatient")
    rows = int(
        wait_for(
            lambda: driver.execute_script(
                "const e = document.querySelector('#explorer-count [data-row-count]');"
                "return e && e.getAttribute('data-row-count');"
            )
        )
    )
    link = driver.find_element(By.ID, "explorer-limited-csv")
    assert "disabled" in link.get_attribute("class").split()
    assert not link.get_attribute("href")
    driver.find_element(By.ID, "explorer-limited-dua").send_keys("DUA-2026-014")

    def enabled() -> str | None:
        return driver.execute_script(
            "const a = document.getElementById('explorer-limited-csv');"
            "return a.classList.contains('disabled') ? null : a.getAttribute('href');"
        )

    href = wait_for(enabled)
    assert "/export/limited/encounters.csv?" in href
    assert "dua=DUA-2026-014" in href
    assert "facility=FAC01" in href
    driver.find_element(By.ID, "explorer-limited-csv").click()

    def downloaded() -> list[Path]:
        done = [p for p in tmp_path.glob("*.csv") if p.stat().st_size]
        return done if done and not list(tmp_path.glob("*.crdownload")) else []

    (path,) = wait_for(downloaded)
    assert "limited" in path.name
    with path.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == rows > 0
    assert {r["facility_id"] for r in got} == {"FAC01"}
    assert {r["patient_type"] for r in got} == {"inpatient"}
    assert "discharge_date" in got[0]
    assert "encounter_id" not in got[0]
    assert csp_errors(driver) == []


def test_an_idle_session_returns_to_the_login_page_by_itself(driver: Any, short_url: str) -> None:
    from selenium.webdriver.common.by import By

    log_in(driver, short_url, "t-manager", "/denials")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"))
    wait_for(lambda: "/login?expired=1" in driver.current_url, timeout=60)
    assert "session ended" in driver.find_element(By.ID, "security-message").text
    assert not driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
