"""Named SQL statements kept in ``warehouse/sql/*.sql`` (the loader's own SQL, not KPI queries).

A file holds blocks that start with ``-- name: <name>``. Some loader statements are the same for every
extract family but the table: those carry ``{table}``, ``{key_columns}`` and ``{key_join}`` placeholders,
filled only from the contract's fixed family definitions (never from input), through
:func:`for_family`. Values are always bound parameters.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from warehouse.contract import FAMILIES

_NAME = re.compile(r"^--\s*name:\s*(\S+)\s*$", re.MULTILINE)


@cache
def named_statements(filename: str) -> dict[str, str]:
    """Return ``{name: sql}`` for every ``-- name:`` block of ``warehouse/sql/<filename>``."""
    return parse_named_sql((files("warehouse") / "sql" / filename).read_text(encoding="utf-8"))


def parse_named_sql(text: str) -> dict[str, str]:
    """Split SQL text into its ``-- name:`` blocks; a name used twice or an empty block is an error."""
    parts = _NAME.split(text)
    out: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        name, body = parts[i], parts[i + 1].strip()
        if name in out:
            raise ValueError(f"SQL block {name!r} is defined twice")
        if not body:
            raise ValueError(f"SQL block {name!r} is empty")
        out[name] = body
    return out


def statement(filename: str, name: str) -> str:
    """Return one named statement."""
    return named_statements(filename)[name]


def for_family(filename: str, name: str, family: str) -> str:
    """Return a statement with its identifier placeholders filled for a contract family."""
    fam = FAMILIES[family]  # KeyError for anything that is not a contract family
    return statement(filename, name).format(
        table=fam.name,
        key_columns=", ".join(fam.key),
        key_join=" and ".join(f"t.{k} = s.{k}" for k in fam.key),
    )
