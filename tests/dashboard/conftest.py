"""Dashboard unit tests read the session's demo warehouse through the real catalog and reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warehouse.paths import WarehousePaths


@pytest.fixture(autouse=True)
def _serve_demo(monkeypatch: pytest.MonkeyPatch, demo_warehouse: WarehousePaths) -> Iterator[None]:
    monkeypatch.setenv("HIM_WAREHOUSE", str(demo_warehouse.pointer))
    monkeypatch.delenv("HIM_TARGETS", raising=False)
    return


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
