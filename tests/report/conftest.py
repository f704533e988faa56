"""Fixtures of the report tests: a real demo warehouse (3,000 encounters, built once per session),
the report month, rendered PDFs shared by the tests that read them, and the `him` CLI in-process."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_tiny import Tiny

from warehouse import catalog
from warehouse.cli import main as him
from warehouse.db import reader
from warehouse.paths import WarehousePaths

SECRET = "report-tests-site-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIM_SECRET_KEY", SECRET)
    monkeypatch.setenv("HIM_SECRET_KEY_FILE", str(tmp_path / "site-config" / "secret.key"))
    for name in (
        "HIM_WAREHOUSE",
        "HIM_TARGETS",
        "HIM_SMTP_HOST",
        "HIM_SMTP_PORT",
        "HIM_SMTP_USER",
        "HIM_SMTP_PASSWORD",
        "HIM_SMTP_FROM",
        "HIM_SMTP_STARTTLS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_wh(tmp_path_factory: pytest.TempPathFactory) -> WarehousePaths:
    """A published demo warehouse: `demo.generate(dir, encounters=3000, seed=11)` + `run_load`."""
    from warehouse import demo
    from warehouse.load import run_load

    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_SECRET_KEY", SECRET)
        mp.setenv("HIM_SECRET_KEY_FILE", str(root / "site-config" / "secret.key"))
        demo.generate(root / "extract", encounters=3000, seed=11)
        paths = WarehousePaths(root / "wh" / "him.duckdb")
        report = run_load(paths, [root / "extract"])
    assert report.exit_code == 0
    return paths


@pytest.fixture(scope="session")
def demo_con(demo_wh: WarehousePaths) -> Any:
    """A read-only cursor on the demo warehouse."""
    return reader(demo_wh).cursor()


@pytest.fixture(scope="session")
def demo_bounds(demo_con: Any) -> dict[str, Any]:
    """data_bounds of the demo warehouse."""
    return catalog.run("dashboard_extras.data_bounds", con=demo_con).row(0, named=True)


@pytest.fixture(scope="session")
def report_month(demo_bounds: dict[str, Any]) -> dt.date:
    """The month the report tests use: the demo's latest complete month."""
    return demo_bounds["default_month"]


@pytest.fixture(scope="session")
def biggest_facility(demo_con: Any) -> str:
    """The facility with the most encounters."""
    options = catalog.run("dashboard_extras.filter_options", con=demo_con)
    return options.filter(options["dimension"] == "facility")["value"][0]


@pytest.fixture
def own_pointer(demo_wh: WarehousePaths, tmp_path: Path) -> WarehousePaths:
    """A pointer of this test's own to the demo's published generation (schedules live beside it)."""
    pointer = tmp_path / "wh" / "him.duckdb"
    pointer.parent.mkdir(parents=True)
    pointer.symlink_to(demo_wh.pointer.resolve())
    return WarehousePaths(pointer)


def run_him(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `him ARGS` in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = him(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def kpi_json(
    capsys: pytest.CaptureFixture[str], warehouse: Path, month: str, *filters: str
) -> dict[str, Any]:
    """What `him kpi --month M --format json` prints."""
    code, out, err = run_him(
        capsys, "kpi", "--month", month, "--format", "json", "--warehouse", str(warehouse), *filters
    )
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Tiny]:
    """An empty hand-made warehouse file."""
    t = Tiny(tmp_path / "tiny.duckdb")
    yield t
    t.con.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary (the PDF tests need it, as CI installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed for the PDF tests (apt-get install chromium)"
    return found
