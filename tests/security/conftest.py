"""Fixtures of the security tests (S1-S17, X11): the real app, secured, on the session's demo warehouse.

The demo warehouse is shared and read-only, so the secured app gets its own warehouse pointer (a link
to the same published generation) in a temporary directory: its auth store and audit log are written
there, beside that pointer, never beside the shared one.
"""

from __future__ import annotations

from typing import Any

import pytest
from sec_helpers import add_users, make_app

from warehouse.paths import WarehousePaths

SECRET = "a-test-site-secret-that-is-long-enough"


@pytest.fixture(scope="session")
def sec_paths(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: WarehousePaths) -> WarehousePaths:
    from warehouse.db import published_generation

    root = tmp_path_factory.mktemp("security")
    gen = published_generation(demo_warehouse)
    assert gen is not None
    pointer = root / "him.duckdb"
    pointer.symlink_to(gen)
    return WarehousePaths(pointer)


@pytest.fixture(autouse=True)
def _serve(monkeypatch: pytest.MonkeyPatch, sec_paths: WarehousePaths) -> None:
    monkeypatch.setenv("HIM_WAREHOUSE", str(sec_paths.pointer))
    monkeypatch.setenv("HIM_SECRET_KEY", SECRET)
    monkeypatch.setenv("HIM_AUDIT_FSYNC", "0")
    monkeypatch.delenv("HIM_TARGETS", raising=False)


@pytest.fixture(scope="session")
def app(sec_paths: WarehousePaths) -> Any:
    """The secured app with the fixture users; its first request has set up Dash's pages router."""
    application = make_app(sec_paths)
    add_users(application)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(sec_paths.pointer))
        assert application.server.test_client().get("/login").status_code == 200
    return application


@pytest.fixture(scope="session")
def sec(app: Any) -> Any:
    from dashboard.security import installed

    return installed(app)


@pytest.fixture(scope="session")
def context(app: Any, sec_paths: WarehousePaths) -> Any:
    from dashboard import data

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(sec_paths.pointer))
        return data.context()


@pytest.fixture(scope="session")
def store_value(context: Any) -> dict[str, str]:
    """The shell's filter store of a fresh load with no filters."""
    from dashboard import shell, state

    return shell.store_of(state.parse(""), context.defaults)


@pytest.fixture(scope="session")
def values(store_value: dict[str, str], context: Any) -> dict[str, Any]:
    """Input values for callback bodies: the filter store, the context, a click, a grid block."""
    return {
        "shell-filters.data": store_value,
        "shell-context.data": context.to_json(),
        "n_clicks": 1,
        "getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}},
        "pathname": "/",
        "search": "",
    }
