"""HTML to PDF with the machine's headless Chromium (Debian's ``chromium`` package).

Chromium opens the self-contained page from a private temporary directory (its own profile there,
so concurrent runs never share one), runs the page's scripts (Plotly draws the charts) within a
virtual time budget, and prints it with the page's CSS page size and no browser header or footer.
Set ``HIM_CHROMIUM`` to use another Chromium or Chrome binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from warehouse.errors import HimError

ENV_VAR = "HIM_CHROMIUM"
CANDIDATES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Milliseconds of virtual time the page gets to draw its charts before printing.
VIRTUAL_TIME_BUDGET_MS = 15_000
TIMEOUT_SECONDS = 180


class RenderFailed(HimError):
    """Chromium is missing or could not print the report."""


def find_chromium() -> str:
    """Return the Chromium binary: ``$HIM_CHROMIUM``, else the first of :data:`CANDIDATES` on PATH.

    Raises:
        RenderFailed: none is installed.
    """
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        if Path(chosen).is_file() or shutil.which(chosen):
            return chosen
        raise RenderFailed(f"{ENV_VAR}={chosen} is not an executable Chromium")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RenderFailed(
        "PDF reports need Chromium: install Debian's `chromium` package (apt-get install chromium) "
        f"or set {ENV_VAR}; --format html works without it"
    )


def chromium_command(binary: str, source: Path, out: Path, profile: Path) -> list[str]:
    """Return the command line that prints ``source`` to ``out``."""
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--mute-audio",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        f"--print-to-pdf={out}",
        source.as_uri(),
    ]


def _environment(work: Path) -> dict[str, str]:
    """A minimal environment for Chromium: no secrets of ours, its profile and caches in ``work``."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "TMPDIR": str(work),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_CACHE_HOME": str(work / "cache"),
    }
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    return env


def html_to_pdf(html: str, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Print an HTML document to PDF with headless Chromium and return the PDF's bytes.

    Raises:
        RenderFailed: Chromium is missing, failed, timed out or wrote no PDF.
    """
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="him-report-") as tmp:
        work = Path(tmp)
        source, out, profile = work / "report.html", work / "report.pdf", work / "profile"
        source.write_text(html, encoding="utf-8")
        cmd = chromium_command(binary, source, out, profile)
        try:
            done = subprocess.run(  # a fixed argument list, no shell
                cmd,
                capture_output=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                env=_environment(work),
            )
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"Chromium did not print the report within {timeout:.0f} s") from None
        except OSError as exc:
            raise RenderFailed(f"Chromium could not start: {exc}") from None
        pdf = out.read_bytes() if out.exists() else b""
        if not pdf.startswith(b"%PDF-"):
            last = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise RenderFailed(f"Chromium wrote no PDF (exit status {done.returncode}): {last[0]}")
        return pdf
