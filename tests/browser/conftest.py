"""Real headless Chromium against the real app (``him serve``: gunicorn, 2 workers) on the demo warehouse.

One server and one warehouse per session; one browser shared by most tests, fresh ones where a test
needs its own (copied URL, two people).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from warehouse.paths import WarehousePaths

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1280,800",
)
#: Reports every graph: its id, how many traces it draws, whether it is the empty state.
GRAPHS_JS = """
return Array.from(document.querySelectorAll('.dash-graph')).map(g => {
  const p = g.querySelector('.js-plotly-plot');
  const meta = p && p.layout && p.layout.meta;
  return {id: g.id, traces: p && p.data ? p.data.length : -1, empty: !!(meta && meta.empty),
          message: meta && meta.message ? meta.message : null};
});
"""
#: Counts what is not ready: callbacks in flight, an empty page, containers a callback has not filled yet.
BUSY_JS = """
const content = document.getElementById('_pages_content');
return document.querySelectorAll('[data-dash-is-loading="true"]').length
  + (content && content.children.length ? 0 : 1)
  + document.querySelectorAll(
      '.stat-strip:empty, #scorecard-cards:empty, #explorer-grid-holder:empty').length;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(demo_warehouse: WarehousePaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``him serve`` on the demo warehouse; yield its base URL."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("the browser tests need Debian's chromium and chromium-driver (.ci/run installs them)")
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    env = {**os.environ, "HIM_WAREHOUSE": str(demo_warehouse.pointer), "PYTHONPATH": str(ROOT)}
    env.pop("HIM_TARGETS", None)
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "warehouse.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_dash-layout", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browsers' download directory."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def new_browser(app_url: str, downloads: Path) -> Iterator[Callable[..., Any]]:
    """Return a factory of headless Chromium drivers (all quit at the end of the session)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    made: list[Any] = []

    def make(width: int = 1280, height: int = 800) -> Any:
        options = Options()
        options.binary_location = CHROMIUM
        for arg in CHROME_ARGS:
            options.add_argument(arg)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "safebrowsing.enabled": False,
            },
        )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_window_size(width, height)
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.quit()


@pytest.fixture(scope="session")
def browser(new_browser: Callable[..., Any]) -> Any:
    """The session's shared browser."""
    return new_browser()


class Page:
    """What the tests do with a page: open it, wait until drawn, read graphs, numbers and errors."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, path: str, *, fresh: bool = False) -> Page:
        """Go to ``path``: within the app as a navbar link does, or as a fresh load of a pasted link."""
        self.errors()  # drop what an earlier page logged
        if fresh or not self.driver.current_url.startswith(self.base):
            self.driver.get(self.base + path)
        else:
            self.driver.execute_script(
                "window.history.pushState({}, '', arguments[0]);"
                "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));",
                path,
            )
            time.sleep(0.3)
        return self.settled()

    def settled(self, timeout: float = 30) -> Page:
        """Wait until no callback is in flight and every graph has its figure."""
        deadline = time.monotonic() + timeout
        time.sleep(0.3)
        quiet = 0
        while time.monotonic() < deadline:
            ready = self.driver.execute_script("return document.readyState") == "complete"
            drawn = all(g["traces"] > 0 or g["empty"] for g in self.graphs())
            quiet = quiet + 1 if ready and drawn and not self.driver.execute_script(BUSY_JS) else 0
            if quiet >= 3:  # three quiet looks in a row, 0.15 s apart
                return self
            time.sleep(0.15)
        raise AssertionError(f"{self.driver.current_url} did not settle: {self.graphs()}")

    def graphs(self) -> list[dict[str, Any]]:
        return self.driver.execute_script(GRAPHS_JS)

    def stat(self, key: str) -> str:
        return self.driver.find_element("css selector", f'[data-stat="{key}"]').text

    def kpis(self) -> dict[str, str]:
        cells = self.driver.find_elements("css selector", "[data-kpi]")
        return {c.get_attribute("data-kpi"): c.text for c in cells}

    def errors(self) -> list[dict[str, Any]]:
        """Return (and clear) the console's errors (level SEVERE)."""
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def search(self) -> str:
        return self.driver.execute_script("return window.location.search")

    def choose(self, control_id: str, value: str) -> Page:
        """Pick one option of a filter-bar dropdown, as a person does (click, click, Escape)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.driver.find_element(By.ID, control_id).click()
        time.sleep(0.2)
        search = self.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search")
        if search:  # long lists are virtualised: narrow them first, as a person would
            search[0].send_keys(value)
            time.sleep(0.3)
        option = self.driver.find_element(
            By.XPATH,
            f"//*[@role='listbox']//*[@role='option'][.//*[normalize-space(text())={json.dumps(value)}]]",
        )
        option.click()
        time.sleep(0.2)
        if self.driver.find_elements(By.CSS_SELECTOR, "[role=listbox]"):
            self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        return self.settled()

    def click_point(self, graph_id: str, index: int = 0, selector: str = ".bars .point path") -> Page:
        """Click one bar (or point) of a graph."""
        from selenium.webdriver.common.action_chains import ActionChains

        element = self.driver.find_elements("css selector", f"#{graph_id} {selector}")[index]
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        time.sleep(0.2)
        ActionChains(self.driver).move_to_element(element).click().perform()
        time.sleep(0.5)
        return self.settled()


@pytest.fixture
def page(browser: Any, app_url: str) -> Page:
    """The shared browser, wrapped."""
    return Page(browser, app_url)
