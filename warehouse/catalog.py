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

SQL shared by several queries is kept once as a fragment (``-- fragment: <name>`` blocks, those of
more than one family in ``queries/_fragments.sql``) and pulled into a query by a line
``-- include: <name>``. :func:`queries` expands the includes once, when it reads the files, so
``Query.sql`` (what runs, what ``python -m warehouse.catalog NAME`` prints) is the whole SQL, and the
parameter check runs on it. A fragment is plain text: it takes no arguments (values stay bound
``$params``).
"""

from __future__ import annotations

import difflib
import re
import sys
import textwrap
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
_BLOCK_LINE = re.compile(r"^--\s*(name|fragment):\s*(\S+)\s*$", re.MULTILINE)
_INCLUDE_LINE = re.compile(r"^([ \t]*)--\s*include:(.*)$", re.MULTILINE)
_INCLUDE_ANYWHERE = re.compile(r"--\s*include:")
_FRAGMENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
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


def parse_fragments(file: str, text: str) -> dict[str, str]:
    """Return the fragments of one ``.sql`` file: ``{name: SQL text}``, includes not yet expanded.

    A fragment is the text after its ``-- fragment: <name>`` line up to the next ``-- name:`` or
    ``-- fragment:`` line; its first comment lines describe it and are not part of it.

    Raises:
        CatalogError: a bad or repeated name, or a fragment with no description or no SQL.
    """
    found: dict[str, str] = {}
    for kind, name, block in _blocks(text):
        if kind != "fragment":
            continue
        where = f"{file}: fragment {name}"
        if not _FRAGMENT_NAME.match(name):
            raise CatalogError(f"{where}: a fragment name must be snake_case")
        if name in found:
            raise CatalogError(f"{where}: defined twice")
        lines = block.splitlines()
        described = False
        while lines and lines[0].startswith("--") and not _INCLUDE_LINE.match(lines[0]):
            lines.pop(0)
            described = True
        body = textwrap.dedent("\n".join(lines)).strip("\n").rstrip()
        if not described or not body:
            raise CatalogError(f"{where}: needs a description (comment lines) and SQL")
        if body.rstrip().endswith(";"):
            raise CatalogError(f"{where}: a fragment must not end with ';'")
        found[name] = body
    return found


def expand(sql: str, fragments: Mapping[str, str], where: str, _stack: tuple[str, ...] = ()) -> str:
    """Return ``sql`` with every ``-- include: <name>`` line replaced by that fragment, recursively.

    The fragment's lines take the include line's indentation. ``where`` names the query (or fragment)
    in errors.

    Raises:
        CatalogError: an unknown fragment, an include cycle, or an include line that names no fragment.
    """

    def include(match: re.Match[str]) -> str:
        indent, name = match.group(1), match.group(2).strip()
        if not _FRAGMENT_NAME.match(name):
            raise CatalogError(f"{where}: cannot read include line {match.group(0).strip()!r}")
        if name in _stack:
            chain = " -> ".join((*_stack, name))
            raise CatalogError(f"{where}: fragment {name!r} includes itself: {chain}")
        if name not in fragments:
            close = difflib.get_close_matches(name, list(fragments), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise CatalogError(f"{where}: includes unknown fragment {name!r}{hint}")
        body = expand(fragments[name], fragments, where, (*_stack, name))
        return "\n".join(indent + line if line.strip() else "" for line in body.splitlines())

    expanded = _INCLUDE_LINE.sub(include, sql)
    if not _stack and _INCLUDE_ANYWHERE.search(expanded):
        raise CatalogError(f"{where}: an include must be a line of its own: `-- include: <fragment>`")
    return expanded


def parse_block(name: str, block: str, file: str, fragments: Mapping[str, str] | None = None) -> Query:
    """Parse one query block (the text after its ``-- name:`` line) into a :class:`Query`.

    ``-- include:`` lines of its SQL are expanded from ``fragments`` before the checks.

    Raises:
        CatalogError: the header breaks the grammar, an include names an unknown fragment or makes a
            cycle, or declared params differ from the ``$params`` used (fragments included).
    """
    where = f"{file}: {name}"
    if not _QUERY_NAME.match(name) or name.split(".")[0] != file.removesuffix(".sql"):
        raise CatalogError(f"{where}: a name must be <family>.<snake_case> with the family = the file's stem")
    lines = block.splitlines()
    header: list[str] = []
    while lines and lines[0].startswith("--") and not _INCLUDE_LINE.match(lines[0]):
        header.append(lines.pop(0).rstrip())
    sql = expand("\n".join(lines).strip().rstrip(";").strip(), fragments or {}, where)
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


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """Split a file into ``(kind, name, text after the marker line)``, kind ``name`` or ``fragment``."""
    parts = _BLOCK_LINE.split(text)
    return [(parts[i], parts[i + 1], parts[i + 2].lstrip("\n")) for i in range(1, len(parts), 3)]


def parse_file(file: str, text: str, fragments: Mapping[str, str] | None = None) -> list[Query]:
    """Parse every query of one ``.sql`` file.

    Its includes are expanded from ``fragments`` (default: none) and the file's own fragments.

    Raises:
        CatalogError: as :func:`parse_block`; or a fragment of the file differs from one of that name
            in ``fragments``.
    """
    known = dict(fragments or {})
    for name, body in parse_fragments(file, text).items():
        if known.setdefault(name, body) != body:
            raise CatalogError(f"{file}: fragment {name} is defined in another file too")
    return [parse_block(name, block, file, known) for kind, name, block in _blocks(text) if kind == "name"]


@lru_cache(maxsize=1)
def queries() -> dict[str, Query]:
    """Return every query of the ``queries`` package, by name (parsed once per process).

    Every file's fragments can be included by every query; each include is expanded here, once.

    Raises:
        CatalogError: a file breaks the grammar, two queries or two fragments share a name, or an
            include names an unknown fragment or makes a cycle.
    """
    texts = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(files("queries").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    }
    fragments: dict[str, str] = {}
    defined_in: dict[str, str] = {}
    for file, text in texts.items():
        for name, body in parse_fragments(file, text).items():
            if name in fragments:
                raise CatalogError(f"{file}: fragment {name} is also defined in {defined_in[name]}")
            fragments[name], defined_in[name] = body, file
    for name, body in fragments.items():  # an unused fragment must expand too
        expand(body, fragments, f"{defined_in[name]}: fragment {name}", (name,))
    found: dict[str, Query] = {}
    for file, text in texts.items():
        for q in parse_file(file, text, fragments):
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


def main(argv: list[str]) -> int:
    """``python -m warehouse.catalog NAME…``: print each query's SQL as it runs (includes expanded)."""
    if not argv:
        sys.stdout.write("usage: python -m warehouse.catalog NAME...  (`him query --list` shows the names)\n")
        return 2
    try:
        for name in argv:
            sys.stdout.write(f"-- name: {name}\n{get(name).sql}\n")
    except HimError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
