"""Real headless Chromium against the real app (``him serve``: gunicorn, 2 workers) on the demo warehouse.

One server and one warehouse per session; one browser shared by most tests, fresh ones where a test
needs its own (copied URL, two people). The app is behind its login (docs/security.md): a test user with
the analyst and manager roles (every page) is added to the demo warehouse's auth store before the
server starts, and every new browser logs in through ``/login`` as a person does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import ROOT, Page

from dashboard import headless
from warehouse.paths import WarehousePaths

#: The browsers' user: every page is open to it (analyst: the Explorer; manager: data quality).
USER = "browser-tester"
PASSWORD = "Browser-Only-Passphrase-0451"
ROLES = ("analyst", "manager")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(demo_warehouse: WarehousePaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``him serve`` on the demo warehouse; yield its base URL."""
    if not headless.available():
        pytest.skip("the browser tests need Debian's chromium and chromium-driver (.ci/run installs them)")
    from warehouse import users

    store = users.open_store(demo_warehouse)
    if store.get(USER) is None:
        store.add(USER, ROLES, (), password=PASSWORD)
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    env = {
        **os.environ,
        "HIM_WAREHOUSE": str(demo_warehouse.pointer),
        "PYTHONPATH": str(ROOT),
        "HIM_AUDIT_FSYNC": "0",
    }
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
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
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
    made: list[Any] = []

    def make(width: int = 1280, height: int = 800) -> Any:
        options = headless.options(width=width, height=height)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "safebrowsing.enabled": False,
            },
        )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = headless.driver(options)
        driver.set_window_size(width, height)
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        made.append(driver)
        log_in(driver, app_url)
        return driver

    yield make
    for driver in made:
        driver.quit()


def log_in(driver: Any, base: str, user: str = USER, password: str = PASSWORD, timeout: float = 30) -> None:
    """Log a browser in through the login form (the CSRF token travels in the form itself)."""
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    deadline = time.monotonic() + timeout
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise AssertionError(f"the browser could not log in as {user}: {driver.current_url}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def browser(new_browser: Callable[..., Any]) -> Any:
    """The session's shared browser."""
    return new_browser()


@pytest.fixture
def page(browser: Any, app_url: str) -> Page:
    """The shared browser, wrapped."""
    return Page(browser, app_url)
