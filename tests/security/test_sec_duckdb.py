"""S5: the serving connections cannot read files, write files, attach, install or unlock anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "copy (select 1 as x) to '{tmp}/out.csv'",
        "attach '{tmp}/other.duckdb' as other",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "create table stolen as select 1 as x",
        "insert into load_log (load_id) values (1)",
    ],
)
def test_the_serving_connection_is_locked_down(sec_paths: Any, tmp_path: Path, statement: str) -> None:
    from warehouse.db import reader

    cursor = reader(sec_paths).cursor()
    with pytest.raises(duckdb.Error):
        cursor.execute(statement.format(tmp=tmp_path)).fetchall()
    assert not list(tmp_path.iterdir())
    assert cursor.execute("select current_setting('enable_external_access')").fetchall() == [(False,)]


def test_the_serving_connection_has_a_memory_limit_and_its_own_spill_directory(
    sec_paths: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from warehouse.db import WarehouseUnavailable, reader, serving_config

    cursor, gen = reader(sec_paths).cursor_and_generation()
    limit, temp = cursor.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchall()[0]
    assert limit.endswith(("MiB", "GiB"))
    assert float(limit.split()[0]) < 1024
    spill = Path(temp)
    # in the directory of the warehouse holding the generation, one per process and generation
    warehouse = gen.parent.name.removesuffix(".generations")
    assert spill == gen.parent.parent / f"{warehouse}.spill-{os.getpid()}-{gen.name}"
    with pytest.raises(duckdb.Error):
        cursor.execute("set memory_limit = '64GB'")
    with pytest.raises(duckdb.Error):
        cursor.execute(f"set temp_directory = '{spill.parent}'")
    monkeypatch.setenv("HIM_SERVE_MEMORY", "lots")
    with pytest.raises(WarehouseUnavailable, match="HIM_SERVE_MEMORY"):
        serving_config(gen)
    monkeypatch.setenv("HIM_SERVE_MEMORY", "256MB")
    assert serving_config(gen)["memory_limit"] == "256MB"
