"""Screenshot every dashboard page on demo data into docs/screenshots/ (headless Chromium).

    python benchmarks/screenshots.py [--warehouse PATH] [--encounters N] [--out docs/screenshots]

Without ``--warehouse`` a demo extract of ``--encounters`` encounters (seed 42) is generated and loaded
into a temporary warehouse. The app is served with ``him serve`` (gunicorn) on a free port; each page
is captured at 1280 px wide over its full height once every chart is drawn, the scorecard also at
tablet width (820 px). It prints each file and how long the page took to draw.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = Path(tempfile.gettempdir()) / "him-screenshots-server.log"
PAGES = {
    "scorecard": "/",
    "demographics": "/demographics",
    "drg": "/drg",
    "denials": "/denials",
    "coding": "/coding",
    "operations": "/operations",
    "explorer": "/explorer?table=claims",
    "data-quality": "/data-quality",
}
SETTLED_JS = """
const content = document.getElementById('_pages_content');
const graphs = Array.from(document.querySelectorAll('.dash-graph .js-plotly-plot'));
const drawn = graphs.every(
  p => (p.data && p.data.length) || (p.layout && p.layout.meta && p.layout.meta.empty));
return document.readyState === 'complete' && content && content.children.length > 0 && drawn
  && !document.querySelector('[data-dash-is-loading="true"]')
  && !document.querySelector('.stat-strip:empty, #scorecard-cards:empty, #explorer-grid-holder:empty');
"""


def demo_warehouse(encounters: int, workdir: Path) -> Path:
    """Generate and load a demo extract; return the warehouse pointer."""
    sys.path.insert(0, str(ROOT))
    from warehouse import demo
    from warehouse.load import run_load
    from warehouse.paths import resolve_warehouse

    os.environ.setdefault("HIM_SECRET_KEY", "screenshots-demo-site-secret-value")
    demo.generate(workdir / "extract", encounters=encounters, seed=42, dirty=True)
    paths = resolve_warehouse(workdir / "him.duckdb")
    run_load(paths, [workdir / "extract"], load_date=demo.END)
    return paths.pointer


def serve(pointer: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``him serve`` on a free port; return the process and its URL once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HIM_WAREHOUSE": str(pointer), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "warehouse.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=LOG.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(url + "/_dash-layout", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the dashboard did not start")


def browser(width: int):
    """Return a headless Chromium."""
    from dashboard import headless

    return headless.driver(headless.options(["--hide-scrollbars"], width=width, height=900))


def capture(driver, url: str, out: Path, width: int) -> float:
    """Load a page, wait until drawn, save a full-height screenshot; return the seconds to draw."""
    driver.set_window_size(width, 900)
    start = time.perf_counter()
    driver.get(url)
    quiet = 0
    while quiet < 3 and time.perf_counter() - start < 60:
        quiet = quiet + 1 if driver.execute_script(SETTLED_JS) else 0
        time.sleep(0.2)
    drawn = time.perf_counter() - start
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 20, 8000))
    time.sleep(0.8)  # plotly relayouts on resize
    driver.save_screenshot(str(out))
    return drawn


def main() -> None:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse pointer (default: a new demo)")
    parser.add_argument("--encounters", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pointer = args.warehouse or demo_warehouse(args.encounters, Path(tmp))
        proc, url = serve(pointer)
        try:
            for width, suffix, pages in ((1280, "", PAGES), (820, "-tablet", {"scorecard": "/"})):
                driver = browser(width)
                try:
                    for name, path in pages.items():
                        out = args.out / f"{name}{suffix}.png"
                        seconds = capture(driver, url + path, out, width)
                        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
                        print(f"{shown}  drawn in {seconds:.1f} s")
                finally:
                    driver.quit()
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
