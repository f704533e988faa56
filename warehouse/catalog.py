"""The query catalog: named KPI queries read from ``queries/*.sql``, checked, bound and run.

Each ``.sql`` file holds one KPI family; each query in it starts with a header (grammar in
``queries/README.md``)::

    -- name: denials.summary
    -- What it answers. Grain: one row for the period.
    -- params:
    --   date_from  DATE
    --   top_n      INTEGER = 100      -- a default makes the parameter optional
    -- returns:
    --   claims_submitted  BIGINT       -- claims submitted in the period

:func:`run` picks the parameters a query declares (from :class:`~warehouse.filters.Filters` or a
mapping), validates them, executes the SQL unchanged with bound ``$params`` on a read-only cursor and
checks the frame's columns and types against ``returns:``. This module is the only place that turns a
DuckDB result into a Polars frame (the DuckDB 2.x API: ``con.sql(sql, params=...).pl()``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import duckdb
import polars as pl

from warehouse.errors import HimError, UsageProblem
from warehouse.filters import BILL_HOLD_DAYS_RANGE, GRAINS, Filters, parse_date, parse_month

SCALAR_TYPES: dict[str, pl.DataType] = {
    "DATE": pl.Date(),
    "VARCHAR": pl.String(),
    "BOOLEAN": pl.Boolean(),
    "SMALLINT": pl.Int16(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "TIMESTAMP": pl.Datetime("us"),
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_NAME_LINE = re.compile(r"^--\s*name:\s*(\S+)\s*$", re.MULTILINE)
_ENTRY = re.compile(
    r"^--\s+([a-z_][a-z0-9_]*)\s+"  # name
    r"([A-Z]+(?:\(\d+,\s*\d+\))?(?:\[\])?)"  # TYPE, DECIMAL(p,s), TYPE[]
    r"(?:\s*=\s*(\S+))?"  # = default (params only)
    r"\s*(?:--\s*(.*))?$"  # -- note
)
_QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*")

#: Value rules of well-known parameter names: (check, what is accepted).
PARAM_RULES: dict[str, tuple[Any, str]] = {
    "grain": (lambda v: v in GRAINS, f"one of {', '.join(GRAINS)}"),
    "bill_hold_days": (
        lambda v: BILL_HOLD_DAYS_RANGE[0] <= v <= BILL_HOLD_DAYS_RANGE[1],
        f"a whole number {BILL_HOLD_DAYS_RANGE[0]}-{BILL_HOLD_DAYS_RANGE[1]}",
    ),
    "top_n": (lambda v: 1 <= v <= 100_000, "a whole number 1-100000"),
}


class CatalogError(HimError):
    """A query file breaks the header grammar or its own declaration (a bug in queries/)."""


class UnknownQuery(UsageProblem):
    """No query has that name."""


class BadParameter(UsageProblem):
    """A parameter is unknown, missing, or has a value the query does not accept."""


class QueryFailed(HimError):
    """The database could not run the query (e.g. a table missing from an old warehouse)."""


@dataclass(frozen=True)
class Param:
    """A declared parameter: ``name TYPE [= default] [-- note]``."""

    name: str
    type: str
    default: str | None = None
    note: str = ""

    @property
    def required(self) -> bool:
        """True when the caller must give a value."""
        return self.default is None


@dataclass(frozen=True)
class Column:
    """A declared output column: ``name TYPE [-- meaning and unit]``."""

    name: str
    type: str
    note: str = ""


@dataclass(frozen=True)
class Query:
    """One named query of ``queries/<family>.sql``."""

    name: str
    description: str
    params: tuple[Param, ...]
    returns: tuple[Column, ...]
    sql: str
    file: str

    @property
    def family(self) -> str:
        """The KPI family: the part of the name before the dot (also the file's stem)."""
        return self.name.split(".", 1)[0]

    @property
    def param_names(self) -> tuple[str, ...]:
        """Declared parameter names, in header order."""
        return tuple(p.name for p in self.params)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Declared output column names, in order."""
        return tuple(c.name for c in self.returns)

    def bind(self, values: Filters | Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the bound-parameter dict for this query.

        From :class:`Filters` only the declared parameters are taken; a mapping may name only declared
        parameters, and those it leaves out take the values of an empty ``Filters()`` (open dates, all
        facilities, …) or their header default.

        Raises:
            BadParameter: an unknown or missing parameter, or a value that is not accepted.
        """
        if isinstance(values, Filters):
            given = {k: v for k, v in values.params().items() if k in self.param_names}
        else:
            unknown = sorted(set(values or {}) - set(self.param_names))
            if unknown:
                accepted = ", ".join(self.param_names) or "none"
                raise BadParameter(f"{self.name} has no parameter {unknown[0]!r}; accepted: {accepted}")
            defaults = {k: v for k, v in Filters().params().items() if k in self.param_names}
            given = {**defaults, **(values or {})}
        bound: dict[str, Any] = {}
        for p in self.params:
            if p.name in given and given[p.name] is not None:
                raw = given[p.name]
            elif p.default is not None:
                raw = p.default
            else:
                raise BadParameter(f"{self.name} needs {p.name} ({p.type}{_example(p.type)})")
            bound[p.name] = coerce(p, raw)
        return bound


def _example(type_: str) -> str:
    return {"DATE": ", e.g. 2025-03-31", "VARCHAR[]": ", a list; empty = all"}.get(type_, "")


def coerce(param: Param, value: Any) -> Any:
    """Return ``value`` converted to the Python type DuckDB binds for ``param.type``.

    Raises:
        BadParameter: the value cannot be read as that type or breaks the parameter's rule.
    """
    t = param.type
    try:
        if t == "DATE":
            out: Any = parse_month(value) if param.name == "month" else parse_date(value, param.name)
        elif t == "VARCHAR[]":
            items = [value] if isinstance(value, str) else list(value)
            if not all(isinstance(v, str) for v in items):
                raise TypeError
            out = items
        elif t == "VARCHAR":
            if not isinstance(value, str):
                raise TypeError
            out = value
        elif t in ("INTEGER", "BIGINT", "SMALLINT"):
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError
            out = int(value)
        elif t == "DOUBLE":
            if isinstance(value, bool):
                raise TypeError
            out = float(value)
        elif t == "BOOLEAN":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise TypeError
            out = value
        else:
            raise TypeError
    except (TypeError, ValueError, UsageProblem):
        raise BadParameter(f"{param.name}: {value!r} is not a {t}{_example(t)}") from None
    rule = PARAM_RULES.get(param.name)
    if rule is not None and not rule[0](out):
        raise BadParameter(f"{param.name}: {value!r} is not accepted; use {rule[1]}")
    return out


def polars_type(sql_type: str) -> pl.DataType:
    """Return the Polars dtype a declared SQL type arrives as."""
    if sql_type.endswith("[]"):
        return pl.List(polars_type(sql_type[:-2]))
    m = _DECIMAL.match(sql_type)
    if m:
        return pl.Decimal(int(m.group(1)), int(m.group(2)))
    return SCALAR_TYPES[sql_type]


def _valid_type(sql_type: str) -> bool:
    base = sql_type.removesuffix("[]")
    return base in SCALAR_TYPES or bool(_DECIMAL.match(base))


def parse_block(name: str, block: str, file: str) -> Query:
    """Parse one query block (the text after its ``-- name:`` line) into a :class:`Query`.

    Raises:
        CatalogError: the header breaks the grammar, or declared params differ from ``$params`` used.
    """
    where = f"{file}: {name}"
    if not _QUERY_NAME.match(name) or name.split(".")[0] != file.removesuffix(".sql"):
        raise CatalogError(f"{where}: a name must be <family>.<snake_case> with the family = the file's stem")
    lines = block.splitlines()
    header: list[str] = []
    while lines and lines[0].startswith("--"):
        header.append(lines.pop(0).rstrip())
    sql = "\n".join(lines).strip().rstrip(";").strip()
    section, description = "description", []
    params: list[Param] = []
    returns: list[Column] = []
    for line in header:
        label = line.removeprefix("--").strip()
        if label in ("params:", "returns:"):
            section = label[:-1]
            continue
        if section == "description":
            description.append(label)
            continue
        m = _ENTRY.match(line)
        if not m or not _valid_type(m.group(2)):
            raise CatalogError(f"{where}: cannot read {section} line {line!r}")
        pname, ptype, default, note = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        if section == "params":
            params.append(Param(pname, ptype, default, note.strip()))
        elif default is not None:
            raise CatalogError(f"{where}: a returned column has no default: {line!r}")
        else:
            returns.append(Column(pname, ptype, note.strip()))
    if not description or not returns or not sql:
        raise CatalogError(f"{where}: needs a description, a returns: section and SQL")
    used = set(_PARAM_USE.findall(_STRINGS_AND_COMMENTS.sub("", sql)))
    declared = {p.name for p in params}
    if used != declared:
        raise CatalogError(
            f"{where}: declared params {sorted(declared)} differ from $params used {sorted(used)}"
        )
    for group in (params, returns):
        names = [x.name for x in group]
        if len(names) != len(set(names)):
            raise CatalogError(f"{where}: a name is declared twice in {names}")
    return Query(name, " ".join(description), tuple(params), tuple(returns), sql, file)


def parse_file(file: str, text: str) -> list[Query]:
    """Parse every query of one ``.sql`` file."""
    parts = _NAME_LINE.split(text)
    return [parse_block(parts[i], parts[i + 1].lstrip("\n"), file) for i in range(1, len(parts), 2)]


@lru_cache(maxsize=1)
def queries() -> dict[str, Query]:
    """Return every query of the ``queries`` package, by name (parsed once per process).

    Raises:
        CatalogError: a file breaks the grammar, or two queries share a name.
    """
    found: dict[str, Query] = {}
    for entry in sorted(files("queries").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        for q in parse_file(entry.name, entry.read_text(encoding="utf-8")):
            if q.name in found:
                raise CatalogError(f"{q.file}: query {q.name} is also defined in {found[q.name].file}")
            found[q.name] = q
    return found


def get(name: str) -> Query:
    """Return the query called ``name``.

    Raises:
        UnknownQuery: no such query; the message suggests close names.
    """
    all_queries = queries()
    if name in all_queries:
        return all_queries[name]
    close = difflib.get_close_matches(name, list(all_queries), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UnknownQuery(f"no query named {name!r}; {hint}`him query --list` shows all {len(all_queries)}")


def run(
    name: str,
    filters_or_params: Filters | Mapping[str, Any] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Run a named query and return its rows as a Polars frame.

    Args:
        name: a query name, e.g. ``denials.summary``.
        filters_or_params: :class:`Filters` (only the declared params are taken) or a mapping of
            declared params (None = defaults only).
        con: a DuckDB connection or cursor; default: a cursor of the process's read-only reader.

    Raises:
        UnknownQuery: no such query.
        BadParameter: a parameter is unknown, missing or not accepted.
        QueryFailed: the database could not run it.
        CatalogError: the result's columns differ from the query's ``returns:`` (a bug).
    """
    query = get(name)
    params = query.bind(filters_or_params)
    if con is None:
        from warehouse.db import reader

        con = reader().cursor()
    try:
        frame = con.sql(query.sql, params=params).pl()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QueryFailed(f"{name} failed: {first}") from exc
    check_frame(query, frame)
    return frame


def check_frame(query: Query, frame: pl.DataFrame) -> None:
    """Check a result against the query's ``returns:`` (names, order and types).

    Raises:
        CatalogError: a column is missing, extra, out of order or of another type.
    """
    if tuple(frame.columns) != query.column_names:
        raise CatalogError(f"{query.name} returned {frame.columns}, declared {list(query.column_names)}")
    for col in query.returns:
        if frame.schema[col.name] != polars_type(col.type):
            raise CatalogError(
                f"{query.name}.{col.name} returned {frame.schema[col.name]}, declared {col.type}"
            )
