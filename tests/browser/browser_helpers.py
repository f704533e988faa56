"""What the browser tests do with a page (kept out of conftest.py: several test folders have one, so
``from conftest import …`` would pick whichever was imported last)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
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

#: Installed before a page's scripts (``Page.addScriptToEvaluateOnNewDocument``): records the output key
#: of every callback request in ``window.__callbacks``.
RECORD_CALLBACKS_JS = """
window.__callbacks = [];
const fetchBefore = window.fetch;
window.fetch = function(url, options) {
  if (String(url).includes('_dash-update-component') && options && options.body) {
    try { window.__callbacks.push(JSON.parse(options.body).output); } catch (e) {}
  }
  return fetchBefore.apply(this, arguments);
};
"""


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
