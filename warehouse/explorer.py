"""Row-level tables for the Explorer: whitelisted columns, filters, sorting, paging and streaming export.

Each table is a catalog query of ``queries/explorer.sql`` (``explorer.<table>``): its ``returns:`` list
is the whitelist of visible columns (no ``patient_key``), and it applies the dashboard's
:class:`~warehouse.filters.Filters`. This module wraps that query, unchanged, as a subquery and adds
column conditions, an ``order by`` and ``limit``/``offset``. Identifiers come only from the whitelist
(checked, then quoted); every value is a bound ``$parameter``; offset and limit are clamped.

Exports stream: rows leave DuckDB in Arrow batches and are written as CSV chunks, an XLSX workbook in
xlsxwriter's constant-memory mode, or Parquet row groups. Text cells that a spreadsheet could read as
a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``
in CSV and XLSX.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import duckdb
import polars as pl

from warehouse import catalog
from warehouse.errors import UsageProblem
from warehouse.filters import Filters


@dataclass(frozen=True)
class Table:
    """One Explorer table: its label, catalog query and the key that makes any order total."""

    name: str
    label: str
    key: tuple[str, ...]

    @property
    def query(self) -> str:
        """The catalog query giving the table's rows."""
        return f"explorer.{self.name}"


TABLES: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            Table("encounters", "Encounters", ("encounter_id",)),
            Table("diagnoses", "Diagnoses", ("encounter_id", "seq")),
            Table("procedures", "Procedures", ("encounter_id", "seq")),
            Table("claims", "Claims", ("claim_id",)),
            Table(
                "coding_activity", "Coding activity", ("coder_id", "encounter_id", "activity", "started_at")
            ),
            Table("coding_audits", "Coding audits", ("audit_id",)),
        )
    }
)
DEFAULT_TABLE = "encounters"
MAX_PAGE_ROWS = 1_000
MAX_OFFSET = 2**40
#: Data rows an XLSX sheet can hold (1,048,576 minus the header row).
XLSX_MAX_ROWS = 1_048_575
EXPORT_BATCH_ROWS = 50_000
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")
ExportFormat = Literal["csv", "xlsx", "parquet"]
EXPORT_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "parquet": "application/vnd.apache.parquet",
    }
)

ColumnKind = Literal["text", "number", "date", "timestamp"]
_TEXT_OPS = frozenset({"equals", "notEqual", "contains", "notContains", "startsWith", "endsWith"})
_COMPARE_OPS: Mapping[str, str] = MappingProxyType(
    {
        "equals": "=",
        "notEqual": "<>",
        "lessThan": "<",
        "lessThanOrEqual": "<=",
        "greaterThan": ">",
        "greaterThanOrEqual": ">=",
    }
)
_NULL_OPS = frozenset({"blank", "notBlank"})
OPERATORS = frozenset(_TEXT_OPS | set(_COMPARE_OPS) | _NULL_OPS | {"inRange"})


class ExplorerError(UsageProblem):
    """A table, column, operator or value the Explorer does not accept."""


@dataclass(frozen=True)
class Condition:
    """A column condition: ``column op value`` (``inRange``: value ≤ column ≤ value_to)."""

    column: str
    op: str = "equals"
    value: Any = None
    value_to: Any = None


@dataclass(frozen=True)
class Sort:
    """One sort key."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class Request:
    """Which rows of which table, in which order."""

    table: str = DEFAULT_TABLE
    filters: Filters = field(default_factory=Filters)
    where: tuple[Condition, ...] = ()
    sort: tuple[Sort, ...] = ()


def table(name: str | None) -> Table:
    """Return the Explorer table called ``name``.

    Raises:
        ExplorerError: not an Explorer table.
    """
    if name not in TABLES:
        raise ExplorerError(f"no Explorer table {name!r}; use one of {', '.join(TABLES)}")
    return TABLES[name]


def columns(name: str) -> tuple[catalog.Column, ...]:
    """Return the visible columns of a table (the whitelist), in display order."""
    return catalog.get(table(name).query).returns


def filterable_columns(name: str) -> frozenset[str]:
    """Return the names of the columns that may be filtered and sorted on."""
    return frozenset(c.name for c in columns(name))


def column_kind(sql_type: str) -> ColumnKind:
    """Return how a column of this declared SQL type is filtered and shown."""
    if sql_type == "DATE":
        return "date"
    if sql_type == "TIMESTAMP":
        return "timestamp"
    if sql_type == "VARCHAR":
        return "text"
    return "number"


def _kinds(name: str) -> dict[str, ColumnKind]:
    return {c.name: column_kind(c.type) for c in columns(name)}


def _ident(column: str, allowed: Mapping[str, object]) -> str:
    if column not in allowed:
        raise ExplorerError(f"{column!r} is not a column of this table; use one of {', '.join(allowed)}")
    return '"' + column + '"'  # whitelisted names are [a-z_]+, so quoting is only belt and braces


def _value(kind: ColumnKind, value: Any, column: str) -> Any:
    try:
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind in ("date", "timestamp"):
            if isinstance(value, dt.date):
                return value if not isinstance(value, dt.datetime) else value.date()
            return dt.date.fromisoformat(str(value).strip()[:10])
        return str(value)
    except (TypeError, ValueError):
        raise ExplorerError(f"{column}: {str(value)[:40]!r} is not a {kind} value") from None


def _condition_sql(cond: Condition, kinds: Mapping[str, ColumnKind], n: int) -> tuple[str, dict[str, Any]]:
    col = _ident(cond.column, kinds)
    kind = kinds[cond.column]
    op = cond.op
    if op not in OPERATORS:
        raise ExplorerError(f"operator {op!r} is not accepted; use one of {', '.join(sorted(OPERATORS))}")
    if op in _NULL_OPS:
        blank = f"({col} is null)" if kind != "text" else f"({col} is null or trim({col}) = '')"
        return (blank if op == "blank" else f"(not {blank})"), {}
    if cond.value is None:
        raise ExplorerError(f"{cond.column}: {op} needs a value")
    p, p2 = f"x{n}", f"x{n}_to"
    target = f"cast({col} as date)" if kind == "timestamp" else col
    if kind == "text":
        value = _value(kind, cond.value, cond.column).lower()
        lowered = f"lower({col})"
        text_sql = {
            "equals": f"{lowered} = ${p}",
            "notEqual": f"({col} is null or {lowered} <> ${p})",
            "contains": f"contains({lowered}, ${p})",
            "notContains": f"({col} is null or not contains({lowered}, ${p}))",
            "startsWith": f"starts_with({lowered}, ${p})",
            "endsWith": f"ends_with({lowered}, ${p})",
        }
        if op not in text_sql:
            raise ExplorerError(f"{cond.column}: {op} does not apply to text")
        return text_sql[op], {p: value}
    if op in _TEXT_OPS - set(_COMPARE_OPS):
        raise ExplorerError(f"{cond.column}: {op} applies to text only")
    value = _value(kind, cond.value, cond.column)
    if op == "inRange":
        if cond.value_to is None:
            raise ExplorerError(f"{cond.column}: inRange needs two values")
        return f"{target} between ${p} and ${p2}", {p: value, p2: _value(kind, cond.value_to, cond.column)}
    return f"{target} {_COMPARE_OPS[op]} ${p}", {p: value}


def compose(request: Request) -> tuple[str, dict[str, Any]]:
    """Return the SQL and bound parameters of a request (all rows, ordered, no paging).

    Raises:
        ExplorerError: an unknown table, column or operator, or a value of the wrong type.
        catalog.BadParameter: a filter value the table's query does not accept.
    """
    t = table(request.table)
    query = catalog.get(t.query)
    params = query.bind(request.filters)
    kinds = _kinds(t.name)
    conditions: list[str] = []
    for n, cond in enumerate(request.where):
        sql, values = _condition_sql(cond, kinds, n)
        conditions.append(sql)
        params.update(values)
    order = [
        f"{_ident(s.column, kinds)} {'desc' if s.descending else 'asc'} nulls last" for s in request.sort
    ]
    sorted_cols = {s.column for s in request.sort}
    order += [_ident(k, kinds) for k in t.key if k not in sorted_cols]
    where = f" where {' and '.join(conditions)}" if conditions else ""
    # Identifiers are whitelisted column names and every value is a bound parameter.
    sql = f"select * from ({query.sql}) as t{where} order by {', '.join(order)}"  # noqa: S608
    return sql, params


def _cursor(con: Any) -> Any:
    if con is not None:
        return con
    from warehouse.db import reader

    return reader().cursor()


def _relation(con: Any, sql: str, params: dict[str, Any], fetch: Callable[[Any], T] = lambda rel: rel) -> T:
    """Run a composed statement and ``fetch`` its result; a database error becomes QueryFailed."""
    try:
        return fetch(_cursor(con).sql(sql, params=params))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise catalog.QueryFailed(f"explorer query failed: {first}") from exc


def count(request: Request, *, con: Any = None) -> int:
    """Return how many rows the request matches."""
    sql, params = compose(request)
    rows = _relation(con, f"select count(*) from ({sql}) as counted", params, lambda r: r.fetchall())  # noqa: S608
    return int(rows[0][0]) if rows else 0


def clamp_page(offset: object, limit: object) -> tuple[int, int]:
    """Return (offset, limit) as whole numbers in range: 0 ≤ offset ≤ 2⁴⁰, 1 ≤ limit ≤ 1,000."""

    def whole(value: object, default: int) -> int:
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return default

    return min(max(whole(offset, 0), 0), MAX_OFFSET), min(max(whole(limit, 100), 1), MAX_PAGE_ROWS)


def page(request: Request, offset: object = 0, limit: object = 100, *, con: Any = None) -> pl.DataFrame:
    """Return one page of rows (offset and limit clamped by :func:`clamp_page`)."""
    off, lim = clamp_page(offset, limit)
    sql, params = compose(request)
    params.update({"page_limit": lim, "page_offset": off})
    return _relation(con, f"{sql} limit $page_limit offset $page_offset", params, lambda r: r.pl())


def json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return rows ready for JSON: dates as ISO text, timestamps to the minute, money as numbers."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Decimal):
            exprs.append(pl.col(name).cast(pl.Float64))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d %H:%M"))
    return (frame.with_columns(exprs) if exprs else frame).to_dicts()


# -- AG Grid's infinite row model ------------------------------------------------------------------

_GRID_DATE_TYPES = {"equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank"}


def _grid_conditions(column: str, model: Mapping[str, Any]) -> list[Condition]:
    if "conditions" in model:  # combined model: only AND is expressible as a flat list
        if str(model.get("operator", "AND")).upper() != "AND":
            raise ExplorerError(f"{column}: only AND between conditions is supported")
        return [c for sub in model["conditions"] for c in _grid_conditions(column, sub)]
    op = str(model.get("type", "equals"))
    if model.get("filterType") == "date":
        if op not in _GRID_DATE_TYPES:
            raise ExplorerError(f"{column}: {op} does not apply to dates")
        return [Condition(column, op, model.get("dateFrom"), model.get("dateTo"))]
    return [Condition(column, op, model.get("filter"), model.get("filterTo"))]


def fixed_condition(column: str, value: str, kind: ColumnKind) -> Condition:
    """Return a URL condition: ``value`` is equality, ``low..high`` an inclusive range (not for text)."""
    if kind != "text" and ".." in value:
        low, high = value.split("..", 1)
        return Condition(column, "inRange", low or None, high or None)
    return Condition(column, "equals", value)


def from_grid(
    name: str,
    filters: Filters,
    grid_request: Mapping[str, Any] | None,
    fixed: Sequence[tuple[str, str]] = (),
) -> tuple[Request, int, int]:
    """Translate an AG Grid ``getRowsRequest`` into a validated request, offset and limit.

    Args:
        name: the Explorer table.
        filters: the dashboard's filters.
        grid_request: ``{startRow, endRow, sortModel, filterModel}`` as the grid sends it.
        fixed: conditions from the URL (``col.<column>=<value>`` or ``=<low>..<high>``).

    Raises:
        ExplorerError: an unknown column or operator, or a value of the wrong type.
    """
    req = dict(grid_request or {})
    allowed = filterable_columns(name)
    kinds = _kinds(name)
    where = [fixed_condition(c, v, kinds.get(c, "text")) for c, v in fixed]
    for column, model in (req.get("filterModel") or {}).items():
        if column not in allowed:
            raise ExplorerError(f"{column!r} is not a column of {name}")
        where.extend(_grid_conditions(column, model))
    sort = []
    for item in req.get("sortModel") or []:
        column = item.get("colId")
        if column not in allowed:
            raise ExplorerError(f"cannot sort on {column!r}")
        sort.append(Sort(column, item.get("sort") == "desc"))
    start, end = req.get("startRow"), req.get("endRow")
    offset = clamp_page(start, 1)[0]
    limit = clamp_page(0, int(end) - offset if isinstance(end, int | float) else 100)[1]
    request = Request(name, filters, tuple(where), tuple(sort))
    compose(request)  # validates every value now, not when the rows are read
    return request, offset, limit


# -- exports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A streaming export: its file name, MIME type and the byte chunks of the file."""

    filename: str
    mimetype: str
    chunks: Iterator[bytes]


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` …)."""
    pattern = "^[" + "".join("\\" + p if p in "-+" else p for p in FORMULA_PREFIXES) + "]"
    exprs = [
        pl.when(pl.col(n).str.contains(pattern)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n, t in frame.schema.items()
        if t == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def _batches(request: Request, con: Any, batch_rows: int) -> Iterator[pl.DataFrame]:
    sql, params = compose(request)
    for batch in _relation(con, sql, params, lambda r: r.to_arrow_reader(batch_rows)):
        yield pl.from_arrow(batch)  # type: ignore[misc]


def _csv_chunks(request: Request, con: Any, batch_rows: int) -> Iterator[bytes]:
    header = ",".join(_csv_field(c.name) for c in columns(request.table)) + "\n"
    yield header.encode()
    for frame in _batches(request, con, batch_rows):
        if frame.height:
            yield neutralise(frame).write_csv(include_header=False).encode()


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\n') else text


def _spool(write: Any) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as tmp:
        write(tmp)
        tmp.seek(0)
        while chunk := tmp.read(1 << 20):
            yield chunk


def _xlsx_chunks(request: Request, con: Any, batch_rows: int) -> Iterator[bytes]:
    import xlsxwriter

    def write(tmp: io.BufferedRandom) -> None:
        book = xlsxwriter.Workbook(
            tmp,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = book.add_worksheet(request.table[:31])
        bold = book.add_format({"bold": True})
        date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
        time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        cols = columns(request.table)
        for j, c in enumerate(cols):
            sheet.write_string(0, j, c.name, bold)
        kinds = [column_kind(c.type) for c in cols]
        row = 0
        truncated = False
        for frame in _batches(request, con, batch_rows):
            for values in neutralise(frame).iter_rows():
                if row >= XLSX_MAX_ROWS:
                    truncated = True
                    break
                row += 1
                for j, value in enumerate(values):
                    if value is None:
                        continue
                    if kinds[j] == "text":
                        sheet.write_string(row, j, value)
                    elif kinds[j] == "number":
                        sheet.write_number(row, j, float(value))
                    else:
                        sheet.write_datetime(row, j, value, time_fmt if kinds[j] == "timestamp" else date_fmt)
            if truncated:
                break
        if truncated:
            note = book.add_worksheet("note")
            note.write_string(
                0, 0, f"Truncated at {XLSX_MAX_ROWS:,} rows (the XLSX limit); use CSV or Parquet."
            )
        book.close()

    return _spool(write)


def _parquet_chunks(request: Request, con: Any, batch_rows: int) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    def write(tmp: io.BufferedRandom) -> None:
        sql, params = compose(request)
        reader = _relation(con, sql, params, lambda r: r.to_arrow_reader(batch_rows))
        with pq.ParquetWriter(tmp, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)

    return _spool(write)


def export(request: Request, fmt: str, *, con: Any = None, batch_rows: int = EXPORT_BATCH_ROWS) -> Export:
    """Return a streaming export of every row of a request.

    Args:
        request: the table, filters, conditions and order.
        fmt: ``csv``, ``xlsx`` or ``parquet``.
        con: a DuckDB connection or cursor (default: a cursor of the read-only reader). It must stay
            open until the chunks are consumed.
        batch_rows: rows per Arrow batch read from DuckDB.

    Raises:
        ExplorerError: an unknown format, or an invalid request (checked before any byte is produced).
    """
    if fmt not in EXPORT_FORMATS:
        raise ExplorerError(f"export format {fmt!r} is not accepted; use one of {', '.join(EXPORT_FORMATS)}")
    compose(request)
    cur = _cursor(con)
    writer = {"csv": _csv_chunks, "xlsx": _xlsx_chunks, "parquet": _parquet_chunks}[fmt]
    stamp = dt.date.today().strftime("%Y%m%d")
    return Export(f"{request.table}-{stamp}.{fmt}", EXPORT_FORMATS[fmt], writer(request, cur, batch_rows))
