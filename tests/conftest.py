"""Fixtures shared by several test packages.

``demo_warehouse``: a small demo warehouse (3,000 encounters, seed 7, with the generator's ~1 % of
broken rows so that rejects and flags exist), generated and loaded once per session with the real
generator and loader into a temporary directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.paths import WarehousePaths

DEMO_ENCOUNTERS = 3_000
DEMO_SEED = 7
TEST_SECRET = "a-test-site-secret-that-is-long-enough"


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> WarehousePaths:
    """Return the paths of a loaded demo warehouse (read it only: it is shared by the session)."""
    from warehouse import demo
    from warehouse.load import run_load
    from warehouse.paths import resolve_warehouse

    root = tmp_path_factory.mktemp("demo-warehouse")
    extract = root / "extract"
    paths = resolve_warehouse(root / "him.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_SECRET_KEY", TEST_SECRET)
        mp.setenv("HIM_SECRET_KEY_FILE", str(root / "secret.key"))
        demo.generate(extract, encounters=DEMO_ENCOUNTERS, seed=DEMO_SEED, dirty=True)
        report = run_load(paths, [extract], load_date=demo.END)
    assert any(r.accepted for r in report.results), "the demo extract loaded nothing"
    assert Path(paths.pointer).exists()
    return paths
