"""Headless Chromium for the browser tests, the dashboard benchmark and the screenshots.

One place for where Debian puts Chromium and its driver (``apt install chromium chromium-driver``, as
``.ci/run`` does) and for the flags a headless run on a small server needs. Selenium is imported only
when a driver is made (it is a test / bench dependency, not the dashboard's).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Flags of every headless run: no sandbox (root in CI), no GPU, /tmp instead of a small /dev/shm, and
#: none of the browser's own background traffic (the machine reaches no network).
CHROME_ARGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
)


def available() -> bool:
    """True when Chromium and its driver are installed."""
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def options(extra: Iterable[str] = (), *, width: int = 1280, height: int = 800) -> Any:
    """Return Selenium ``Options`` for a headless Chromium window of ``width`` × ``height``."""
    from selenium.webdriver.chrome.options import Options

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (*CHROME_ARGS, f"--window-size={width},{height}", *extra):
        opts.add_argument(arg)
    return opts


def driver(opts: Any = None) -> Any:
    """Start a Chromium driver with ``opts`` (default: :func:`options`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts if opts is not None else options())
