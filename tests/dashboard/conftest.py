"""Dashboard unit tests read the session's demo warehouse through the real catalog and reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.paths import WarehousePaths


@pytest.fixture(autouse=True)
def _serve_demo(monkeypatch: pytest.MonkeyPatch, demo_warehouse: WarehousePaths) -> Iterator[None]:
    monkeypatch.setenv("HIM_WAREHOUSE", str(demo_warehouse.pointer))
    monkeypatch.delenv("HIM_TARGETS", raising=False)
    return


def _secured_app(folder: Path, demo_warehouse: WarehousePaths):
    """A new app from ``create_app()`` whose auth store and audit log live in ``folder``.

    Its warehouse pointer links to the demo warehouse's published generation, so nothing is written
    beside the shared demo warehouse.
    """
    from dashboard.app import create_app
    from dashboard.security import installed
    from warehouse.db import published_generation

    generation = published_generation(demo_warehouse)
    assert generation is not None
    pointer = folder / "him.duckdb"
    pointer.symlink_to(generation)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(pointer))
        mp.setenv("HIM_CREATE_FIRST_ADMIN", "0")
        mp.setenv("HIM_AUDIT_FSYNC", "0")
        application = create_app()
    assert installed(application) is not None
    return application


@pytest.fixture(scope="session")
def secured_app(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: WarehousePaths):
    """The app as served (security layer installed); reach it with ``security.testing.logged_in_client``."""
    return _secured_app(tmp_path_factory.mktemp("dashboard-app"), demo_warehouse)


@pytest.fixture
def new_secured_app(tmp_path: Path, demo_warehouse: WarehousePaths):
    """Return a factory of fresh secured apps (no request served yet)."""
    return lambda: _secured_app(tmp_path, demo_warehouse)


@pytest.fixture(scope="session")
def context(demo_warehouse: WarehousePaths):  # the shell's context of the demo warehouse
    from dashboard import data

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(demo_warehouse.pointer))
        return data.context()


@pytest.fixture(scope="session")
def store(context):  # the filter store of a fresh load with no filters
    from dashboard import shell, state

    return shell.store_of(state.parse(""), context.defaults)
