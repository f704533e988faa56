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
