"""Row-level tables for the Explorer: whitelisted columns, filters, sorting, paging and streaming export.

Each table is a catalog query of ``queries/explorer.sql`` (``explorer.<table>``): its ``returns:`` list
is the whitelist of visible columns (no ``patient_key``), and it applies the dashboard's
:class:`~warehouse.filters.Filters`. This module reuses that query's ``with`` clause (its shape is
described at the top of the file) and adds column conditions, an ``order by`` and
``limit``/``offset``. Identifiers come only from the whitelist (checked, then quoted); every value is a
bound ``$parameter``; offset and limit are clamped.

A table showing its encounter's columns (claims, coding activity and audits, diagnoses, procedures) is
paged late: its own rows (``facts``) are filtered, sorted and cut to the page first and only the page's
rows are joined to their encounters, unless a condition or the sort names an encounter column. Such a
page is read in two statements on one cursor: first the value its last row has in the first order
column (that one column of facts sorted: cheap, DuckDB skips row groups by their zone maps), then the
page of the facts within that bound (a condition DuckDB applies while scanning, so the top-N no longer
reads every candidate row's columns). Counts read ``facts`` alone (with a semi-join to the kept
encounters when a filter needs it) and are kept per warehouse generation and request, since the grid
asks for the same count twice per new view.

Exports stream: rows leave DuckDB in Arrow batches and are written as CSV chunks, an XLSX workbook in
xlsxwriter's constant-memory mode, or Parquet row groups, sorted only when the user sorted (otherwise
in the order DuckDB reads them). Text cells that a spreadsheet could read as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'`` in CSV and XLSX.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
import threading
from collections import OrderedDict
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
    """One Explorer table: its label, catalog query and the key that makes any order total.

    Its query has the shape described at the top of ``queries/explorer.sql``. ``looked_up`` are the
    declared columns ``rows`` adds to ``facts`` by a lookup (the encounter's columns, the CARC
    category, the restricted ZIP3). A fact needs its encounter to pass the filters always
    (``encounter_filters`` None: diagnoses and procedures, whose period is the encounter's), when one
    of ``encounter_filters`` is set, or never (``()``: the filters are the table's own).
    """

    name: str
    label: str
    key: tuple[str, ...]
    looked_up: tuple[str, ...] = ()
    encounter_filters: tuple[str, ...] | None = ()
    #: the column of ``explorer.fact_counts`` that counts this table's rows without a condition
    counted_per_encounter: str | None = None

    @property
    def query(self) -> str:
        """The catalog query giving the table's rows."""
        return f"explorer.{self.name}"


_SHOWN = ("facility_id", "patient_type")
_ENCOUNTER_FILTERS = ("facility", "patient_type", "financial_class", "payer", "service_line")
TABLES: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            Table("encounters", "Encounters", ("encounter_id",), ("zip3",)),
            Table(
                "diagnoses",
                "Diagnoses",
                ("encounter_id", "seq"),
                (*_SHOWN, "discharge_date"),
                None,
                counted_per_encounter="diagnoses",
            ),
            Table(
                "procedures",
                "Procedures",
                ("encounter_id", "seq"),
                (*_SHOWN, "discharge_date"),
                None,
                counted_per_encounter="procedures",
            ),
            Table(
                "claims",
                "Claims",
                ("claim_id",),
                ("denial_category", *_SHOWN),
                tuple(f for f in _ENCOUNTER_FILTERS if f != "payer"),  # the payer is the claim's
            ),
            Table(
                "coding_activity",
                "Coding activity",
                # by encounter, then time: the order extracts write the log in, so a page in it is read
                # within a bound on encounter_id that skips row groups (10M: 148 -> ~20 ms)
                ("encounter_id", "started_at", "coder_id", "activity"),
                _SHOWN,
                _ENCOUNTER_FILTERS,
            ),
            Table("coding_audits", "Coding audits", ("audit_id",), _SHOWN, _ENCOUNTER_FILTERS),
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


_FINAL = re.compile(r"\bselect\s+\*\s+exclude\s*\(\s*patient_key\s*\)\s+from\s+rows\s*;?\s*$", re.IGNORECASE)
_HOOK = re.compile(r"\bpage\s+as\s*\(\s*select\s+\*\s+from\s+facts\s*\)", re.IGNORECASE)
_CTE = re.compile(r"\b(encounter|facts|rows)\s+as\s*\(", re.IGNORECASE)
_FACTS = re.compile(r"\bfacts\s+as\s*\(", re.IGNORECASE)
_ALIAS = re.compile(r"\bas\s+([a-z_][a-z0-9_]*)\s*(?:,|$)", re.IGNORECASE | re.MULTILINE)


def _with_clause(query: catalog.Query, t: Table) -> str:
    """The query's ``with`` clause: its SQL without the final ``select * exclude (patient_key) from rows``.

    Raises:
        catalog.CatalogError: the query does not have the shape ``queries/explorer.sql`` describes.
    """
    match = _FINAL.search(query.sql)
    ctes = {m.lower() for m in _CTE.findall(query.sql)}
    needed = {"facts", "rows"} | (set() if t.encounter_filters == () else {"encounter"})
    if match is None or not needed <= ctes or len(_HOOK.findall(query.sql)) != 1:
        shape = "with facts, page as (select * from facts), rows ... select * exclude (patient_key) from rows"
        raise catalog.CatalogError(f"{query.name} must have the shape `{shape}` (see queries/explorer.sql)")
    return query.sql[: match.start()].rstrip()


def _computed(with_clause: str) -> frozenset[str]:
    """The columns ``facts`` computes or renames (``<expression> as <name>``), as opposed to reading."""
    start = _FACTS.search(with_clause)
    end = _HOOK.search(with_clause)
    if start is None or end is None:
        return frozenset()
    return frozenset(m.lower() for m in _ALIAS.findall(with_clause[start.end() : end.start()]))


@dataclass(frozen=True)
class _Parts:
    """A validated request taken apart: what every statement of it is built from."""

    table: Table
    with_clause: str
    params: dict[str, Any]
    filter_params: dict[str, Any]  # the filters' alone (``params`` adds the conditions' values)
    conditions: tuple[str, ...]
    columns: tuple[str, ...]  # the declared columns, quoted
    user_order: tuple[str, ...]  # the user's sort keys
    key_order: tuple[str, ...]  # the table's key columns the user did not sort on
    condition_columns: frozenset[str]
    sort_columns: frozenset[str]
    leading: tuple[str, bool]  # the first column of the order (quoted) and whether it is descending
    leading_stored: bool  # facts reads that column as stored (its row groups have zone maps)

    @property
    def order(self) -> str:
        return ", ".join((*self.user_order, *self.key_order))

    def where(self, *extra: str) -> str:
        parts = (*extra, *self.conditions)
        return f" where {' and '.join(parts)}" if parts else ""

    @property
    def membership(self) -> tuple[str, ...]:
        """The condition that a fact's encounter passes the filters, when it has to be checked."""
        t = self.table
        if t.encounter_filters is not None and not any(self.params.get(f) for f in t.encounter_filters):
            return ()
        return ('t."encounter_id" in (select e.encounter_id from encounter as e)',)

    @property
    def count_on_facts(self) -> bool:
        """True when the count can read facts (and the kept encounters) without the lookups."""
        return not self.condition_columns & set(self.table.looked_up)

    @property
    def late(self) -> bool:
        """True when a page can be sorted and cut on facts before the lookups.

        That is when neither a condition nor the sort names a looked-up column and no filter needs the
        encounter (that would take the join the lookup makes; measured slower done twice).
        """
        looked_up = set(self.table.looked_up)
        return self.count_on_facts and not self.sort_columns & looked_up and not self.membership

    @property
    def bounded(self) -> bool:
        """True when a page is read within a bound on its first order column (see :func:`_bound_sql`).

        That is a late page whose first order column facts reads as stored: a computed one would be
        computed for every row twice with no row group skipped (measured slower).
        """
        return self.late and self.leading_stored

    @property
    def encounter_ranged(self) -> bool:
        """True when a page is first read within a range of encounter ids (:func:`_encounter_range_sql`).

        That is a table whose facts always need their encounter (diagnoses, procedures: their period
        is the encounter's, so no page of theirs is late), sorted first on the ``encounter_id`` it
        stores: the rows of the page and of those before it then belong to the first encounters, in
        that order, of the ones that pass the filters.
        """
        return (
            self.table.encounter_filters is None
            and not self.late
            and self.leading[0] == '"encounter_id"'
            and self.leading_stored
        )


def _parts(request: Request) -> _Parts:
    t = table(request.table)
    query = catalog.get(t.query)
    filter_params = query.bind(request.filters)
    params = dict(filter_params)
    kinds = _kinds(t.name)
    conditions: list[str] = []
    for n, cond in enumerate(request.where):
        sql, values = _condition_sql(cond, kinds, n)
        conditions.append(sql)
        params.update(values)
    user_order = tuple(
        f"{_ident(s.column, kinds)} {'desc' if s.descending else 'asc'} nulls last" for s in request.sort
    )
    sorted_cols = frozenset(s.column for s in request.sort)
    leading = (request.sort[0].column, request.sort[0].descending) if request.sort else (t.key[0], False)
    with_clause = _with_clause(query, t)
    return _Parts(
        table=t,
        with_clause=with_clause,
        params=params,
        filter_params=filter_params,
        conditions=tuple(conditions),
        columns=tuple(_ident(c, kinds) for c in kinds),
        user_order=user_order,
        key_order=tuple(_ident(k, kinds) for k in t.key if k not in sorted_cols),
        condition_columns=frozenset(c.column for c in request.where),
        sort_columns=sorted_cols,
        leading=(_ident(leading[0], kinds), leading[1]),
        leading_stored=leading[0] not in _computed(with_clause),
    )


def compose(
    request: Request, *, order: Literal["total", "user"] = "total", patient_key: bool = False
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and bound parameters of a request (all rows, no paging).

    Args:
        request: the table, filters, conditions and sort.
        order: ``total``: the user's sort, then the table's key (the grid's order); ``user``: only
            when the user sorted (then with the key as tie-breaker), else the order rows are read in
            (exports: no sort of the whole result unless asked for).
        patient_key: put ``patient_key`` first (exports read it to give each patient a surrogate;
            it is never written).

    Raises:
        ExplorerError: an unknown table, column or operator, or a value of the wrong type.
        catalog.BadParameter: a filter value the table's query does not accept.
    """
    p = _parts(request)
    cols = ", ".join(("t.patient_key", *p.columns) if patient_key else p.columns)
    ordered = order == "total" or bool(p.user_order)
    order_by = f" order by {p.order}" if ordered else ""
    # Identifiers are whitelisted column names and every value is a bound parameter.
    return f"{p.with_clause}\nselect {cols} from rows as t{p.where()}{order_by}", p.params


def export_order(request: Request) -> str:
    """Return the ``order by`` list of an export: the user's sort then the table's key, or ``""``.

    Empty when the user did not sort (rows then leave in the order DuckDB reads them). Quoted,
    unqualified column names of the table, for a statement wrapping :func:`compose`'s rows.

    Raises:
        ExplorerError: an unknown table, column or operator, or a value of the wrong type.
    """
    p = _parts(request)
    return p.order if p.user_order else ""


def _page_sql(p: _Parts, bound: bool = False, encounter_range: bool = False) -> str:
    """One page: sorted and cut on facts before the lookups when it can be (:attr:`_Parts.late`).

    ``bound``: keep only the facts whose first order column is not after ``$page_bound`` (the value
    that :func:`_bound_sql` finds at the page's last row), a condition DuckDB applies while scanning
    and prunes row groups with. Only for a :attr:`_Parts.bounded` page.
    ``encounter_range``: keep only the rows whose encounter id is between ``$page_low`` and
    ``$page_high`` (:func:`_encounter_range_sql`); DuckDB prunes the facts' row groups by it. Only for
    an :attr:`_Parts.encounter_ranged` page.
    """
    cols = ", ".join(p.columns)
    cut = f" order by {p.order} limit $page_limit offset $page_offset"
    if not p.late:
        ranged = ('t."encounter_id" between $page_low and $page_high',) if encounter_range else ()
        return f"{p.with_clause}\nselect {cols} from rows as t{p.where(*ranged)}{cut}"
    column, descending = p.leading
    extra = (f"t.{column} {'>=' if descending else '<='} $page_bound",) if bound else ()
    # Identifiers are whitelisted column names and every value is a bound parameter.
    page_cte = f"page as (select * from facts as t{p.where(*extra)}{cut})"  # noqa: S608
    with_clause = _HOOK.sub(lambda _: page_cte, p.with_clause, count=1)
    return f"{with_clause}\nselect {cols} from rows as t order by {p.order}"


def _bound_sql(p: _Parts) -> str:
    """The first order column's value at a late page's last row (``$page_last``: offset + limit − 1).

    Every row of the page, and of the pages before it, has that column at or before this value (nulls
    come last, so a null value bounds nothing), and so does any row tied with the last one. Sorting one
    column of facts is cheap (DuckDB skips the row groups that cannot be in its top-N by their zone
    maps); the page query then reads only the rows within the bound instead of every candidate row's
    columns. The value is bound back as read, exact for the warehouse's column types (DATE, TIMESTAMP
    in microseconds, DECIMAL, integers, VARCHAR).
    """
    column, descending = p.leading
    order = f"{column} {'desc' if descending else 'asc'} nulls last"
    # Identifiers are whitelisted column names and every value is a bound parameter.
    cut = f" order by {order} limit 1 offset $page_last"
    return f"{p.with_clause}\nselect t.{column} from facts as t{p.where()}{cut}"


def _encounter_range_sql(p: _Parts) -> str:
    """The lowest and highest encounter id of the first ``$page_last`` + 1 filtered encounters in page order.

    Every row of an :attr:`_Parts.encounter_ranged` page, and of the pages before it, belongs to an
    encounter in that range whenever each of those encounters has at least one row: the page read
    within the range is then the page. :func:`page` checks that by its length (a full page) and
    otherwise reads the page without the range. A top-N, which DuckDB answers by skipping row groups,
    not a ``min()`` over every filtered encounter (at 10M: 5 ms against 96 ms).
    """
    return p.with_clause + "\n" + _ENCOUNTER_RANGE[p.leading[1]]


#: :func:`_encounter_range_sql`'s select; ``{order}`` is ``asc`` or ``desc``, never a value.
_ENCOUNTER_RANGE_SELECT = (
    "select min(x.encounter_id), max(x.encounter_id) from (select e.encounter_id from encounter as e "
    "order by e.encounter_id {order} limit $page_last + 1) as x"
)
#: The select, ascending (False) and descending (True).
_ENCOUNTER_RANGE: Mapping[bool, str] = MappingProxyType(
    {d: _ENCOUNTER_RANGE_SELECT.format(order="desc" if d else "asc") for d in (False, True)}
)


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


#: Counts diagnoses and procedures per encounter (``int_encounters``, built at load).
FACT_COUNTS = "explorer.fact_counts"


def _count_per_encounter(request: Request, con: Any) -> int | None:
    """The count of a table counted per encounter (no column condition), or None to count its rows.

    None as well on a generation built before ``int_encounters`` kept the counts (the query then fails
    on the missing column, and the rows are counted as before).
    """
    column = table(request.table).counted_per_encounter
    if column is None or request.where:
        return None
    try:
        frame = catalog.run(FACT_COUNTS, request.filters, con=_cursor(con))
    except catalog.QueryFailed:
        return None
    value = frame.get_column(column)[0]
    return int(value) if value is not None else 0  # null: no encounter in the period


def _count(request: Request, con: Any) -> int:
    counted = _count_per_encounter(request, con)
    if counted is not None:
        return counted
    p = _parts(request)
    if p.count_on_facts:  # the table's own rows (semi-joined to the kept encounters when a filter needs it)
        sql = f"{p.with_clause}\nselect count(*) from facts as t{p.where(*p.membership)}"
    else:
        sql = f"{p.with_clause}\nselect count(*) from rows as t{p.where()}"
    rows = _relation(con, sql, p.params, lambda r: r.fetchall())
    return int(rows[0][0]) if rows else 0


#: Counts of the serving reader's requests by (generation, request): the grid asks for the same count
#: twice per new view (the row block at offset 0 and the count / export-links callback, together).
COUNT_CACHE_ENTRIES = 512
_counts: OrderedDict[tuple[Any, Request], int] = OrderedDict()
_counting: dict[tuple[Any, Request], threading.Event] = {}
_counts_lock = threading.Lock()


def count(request: Request, *, con: Any = None) -> int:
    """Return how many rows the request matches.

    Without ``con`` (the serving reader) counts are kept per warehouse generation and request, and a
    count already running for the same request is waited for rather than run twice.
    """
    if con is not None:
        return _count(request, con)
    from warehouse.db import reader

    cur, generation = reader().cursor_and_generation()
    key = (generation, request)
    try:
        hash(key)
    except TypeError:  # a condition value that cannot be a key: count without the cache
        return _count(request, cur)
    while True:
        with _counts_lock:
            if key in _counts:
                _counts.move_to_end(key)
                return _counts[key]
            running = _counting.get(key)
            if running is None:
                running = _counting[key] = threading.Event()
                break
        running.wait(60)
    try:
        n = _count(request, cur)
        with _counts_lock:
            _counts[key] = n
            while len(_counts) > COUNT_CACHE_ENTRIES:
                _counts.popitem(last=False)
        return n
    finally:
        with _counts_lock:
            _counting.pop(key, None)
        running.set()


def clamp_page(offset: object, limit: object) -> tuple[int, int]:
    """Return (offset, limit) as whole numbers in range: 0 ≤ offset ≤ 2⁴⁰, 1 ≤ limit ≤ 1,000."""

    def whole(value: object, default: int) -> int:
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return default

    return min(max(whole(offset, 0), 0), MAX_OFFSET), min(max(whole(limit, 100), 1), MAX_PAGE_ROWS)


def page(request: Request, offset: object = 0, limit: object = 100, *, con: Any = None) -> pl.DataFrame:
    """Return one page of rows (offset and limit clamped by :func:`clamp_page`).

    A table showing its encounter's columns is sorted and cut on its own rows when neither a condition
    nor the sort names an encounter column; only the page's rows are then joined to their encounters.
    Such a late page is read in two statements on one cursor (one snapshot of the read-only
    warehouse): the first order column's value at the page's last row (:func:`_bound_sql`), then the
    page of the rows within it; the rows and their order are the same as in one statement.
    Diagnoses and procedures sorted by encounter are first read within the range of the first
    filtered encounters (:func:`_encounter_range_sql`): at 10M encounters 420 → 95 ms for a 13-month
    first page of diagnoses; a page that does not fill up there is read without the range.
    """
    off, lim = clamp_page(offset, limit)
    p = _parts(request)
    cur = _cursor(con)
    params = {**p.params, "page_limit": lim, "page_offset": off}
    bound = None
    if p.encounter_ranged:
        last = {**p.filter_params, "page_last": off + lim - 1}
        low, high = _relation(cur, _encounter_range_sql(p), last, lambda r: r.fetchall())[0]
        if low is not None:
            ranged = {**params, "page_low": low, "page_high": high}
            rows = _relation(cur, _page_sql(p, encounter_range=True), ranged, lambda r: r.pl())
            if rows.height == lim:  # a full page within the range: the range held every row before it
                return rows
    if p.bounded:
        last = {**p.params, "page_last": off + lim - 1}
        found = _relation(cur, _bound_sql(p), last, lambda r: r.fetchall())
        bound = found[0][0] if found else None
    if bound is not None:
        params["page_bound"] = bound
    return _relation(cur, _page_sql(p, bound=bound is not None), params, lambda r: r.pl())


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


# -- AG Grid's infinite row model and the URL's conditions -----------------------------------------

#: Operators of each column kind, in the order the grid's column filters offer them (what the grid's
#: filters offer and the URL can say).
_ORDERED_OPERATORS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "text": (
            "contains",
            "notContains",
            "equals",
            "notEqual",
            "startsWith",
            "endsWith",
            "blank",
            "notBlank",
        ),
        "number": (
            "equals",
            "notEqual",
            "lessThan",
            "lessThanOrEqual",
            "greaterThan",
            "greaterThanOrEqual",
            "inRange",
            "blank",
            "notBlank",
        ),
    }
)
FILTER_OPTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {**_ORDERED_OPERATORS, "date": _ORDERED_OPERATORS["number"], "timestamp": _ORDERED_OPERATORS["number"]}
)
KIND_OPERATORS: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(ops) for kind, ops in FILTER_OPTIONS.items()}
)
_GRID_DATE_TYPES = KIND_OPERATORS["date"]
#: The URL grammar of a condition value (``col.<column>=<value>``): an operator prefix, then the
#: operand taken literally. Without a prefix a value is equality, or for numbers and dates a range
#: ``low..high`` (inclusive), ``low..`` (≥) or ``..high`` (≤). ``*`` alone is "not blank", ``!*``
#: alone "blank". Longest prefix first.
URL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("!=", "notEqual"),
    ("!~", "notContains"),
    ("!", "notEqual"),
    ("~", "contains"),
    ("^", "startsWith"),
    ("$", "endsWith"),
    (">=", "greaterThanOrEqual"),
    ("<=", "lessThanOrEqual"),
    (">", "greaterThan"),
    ("<", "lessThan"),
    ("=", "equals"),
)
URL_BLANK = "!*"
URL_NOT_BLANK = "*"
RANGE = ".."
_URL_WRITE: Mapping[str, str] = MappingProxyType(
    {
        "notContains": "!~",
        "contains": "~",
        "startsWith": "^",
        "endsWith": "$",
        "greaterThan": ">",
        "lessThan": "<",
    }
)
_OPERATOR_START = frozenset("!~^$<>=*")


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
    """Return the condition a URL value states (the grammar of :data:`URL_PREFIXES`), not yet typed.

    ``E11`` is equality, ``~E11`` contains, ``!~E11`` does not contain, ``^E1`` starts with, ``$.9``
    ends with, ``!E11`` (or ``!=E11``) is not equal, ``=~E11`` equality with a value that starts with
    an operator character; ``>5``, ``<5``; ``5..9``, ``5..`` and ``..9`` (numbers and dates only: a
    text value holding ``..`` is equality); ``*`` not blank and ``!*`` blank.

    Raises:
        ExplorerError: the operator does not apply to the column's kind (``~`` on a number).
    """
    if value in (URL_BLANK, URL_NOT_BLANK):
        cond = Condition(column, "blank" if value == URL_BLANK else "notBlank")
    else:
        prefix, op = next(((p, o) for p, o in URL_PREFIXES if value.startswith(p)), ("", "equals"))
        operand = value[len(prefix) :]
        if not prefix and kind != "text" and RANGE in value:
            low, high = (part or None for part in value.split(RANGE, 1))
            if low is not None and high is not None:
                cond = Condition(column, "inRange", low, high)
            elif low is not None or high is not None:
                cond = Condition(
                    column, "greaterThanOrEqual" if high is None else "lessThanOrEqual", low or high
                )
            else:
                raise ExplorerError(f"{column}: {value!r} has neither end of a range")
        else:
            cond = Condition(column, op, operand)
    if cond.op not in KIND_OPERATORS[kind]:
        raise ExplorerError(f"{column}: {cond.op} does not apply to a {kind} column")
    return cond


def typed_condition(cond: Condition, kind: ColumnKind) -> Condition:
    """Return the condition with its values of the column's type (numbers, dates, text), checked.

    Two conditions that select the same rows are then equal (``"1000"``, ``1000`` and ``1000.0``;
    ``"2025-01-01"`` and the grid's ``"2025-01-01 00:00:00"``).

    Raises:
        ExplorerError: an operator that does not apply to the kind, a missing value, a value of the
            wrong type (or a number that is not finite).
    """
    if cond.op not in KIND_OPERATORS[kind]:
        if cond.op not in OPERATORS:
            raise ExplorerError(
                f"operator {cond.op!r} is not accepted; use one of {', '.join(sorted(OPERATORS))}"
            )
        raise ExplorerError(f"{cond.column}: {cond.op} does not apply to a {kind} column")
    if cond.op in _NULL_OPS:
        return Condition(cond.column, cond.op)
    if cond.value is None or (cond.op == "inRange" and cond.value_to is None):
        raise ExplorerError(
            f"{cond.column}: {cond.op} needs {'two values' if cond.op == 'inRange' else 'a value'}"
        )
    values = [_value(kind, v, cond.column) for v in (cond.value, cond.value_to) if v is not None]
    if kind == "number" and not all(math.isfinite(v) for v in values):
        raise ExplorerError(f"{cond.column}: {cond.value!r} is not a number value")
    return Condition(cond.column, cond.op, values[0], values[1] if cond.op == "inRange" else None)


def _operand_text(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def url_value(cond: Condition, kind: ColumnKind) -> str:
    """Return the URL value of a condition (the inverse of :func:`fixed_condition`, canonical).

    Raises:
        ExplorerError: as :func:`typed_condition`.
    """
    c = typed_condition(cond, kind)
    if c.op in _NULL_OPS:
        return URL_BLANK if c.op == "blank" else URL_NOT_BLANK
    text = _operand_text(c.value)
    if c.op == "inRange":
        return f"{text}{RANGE}{_operand_text(c.value_to)}"
    if c.op == "greaterThanOrEqual":
        return f"{text}{RANGE}"
    if c.op == "lessThanOrEqual":
        return f"{RANGE}{text}"
    if c.op in _URL_WRITE:
        return _URL_WRITE[c.op] + text
    plain = not text[:1] or text[0] not in _OPERATOR_START
    if c.op == "notEqual":
        return ("!" if plain else "!=") + text
    return text if plain and (kind == "text" or RANGE not in text) else "=" + text


def grid_filter(cond: Condition, kind: ColumnKind) -> dict[str, Any]:
    """Return AG Grid's filter model entry of a condition (the inverse of the grid's translation).

    Raises:
        ExplorerError: as :func:`typed_condition`.
    """
    c = typed_condition(cond, kind)
    if kind in ("date", "timestamp"):
        model: dict[str, Any] = {"filterType": "date", "type": c.op}
        if c.op not in _NULL_OPS:
            model["dateFrom"] = f"{c.value.isoformat()} 00:00:00"
            model["dateTo"] = f"{c.value_to.isoformat()} 00:00:00" if c.value_to is not None else None
        return model
    model = {"filterType": kind, "type": c.op}
    if c.op not in _NULL_OPS:
        model["filter"] = c.value
        if c.value_to is not None:
            model["filterTo"] = c.value_to
    return model


def grid_where(name: str, filter_model: Mapping[str, Any] | None) -> list[Condition]:
    """Return the typed conditions of AG Grid's filter model on a table, in the table's column order.

    The order is the table's, not the model's, so the same filters always make the same request.

    Raises:
        ExplorerError: an unknown column or operator, OR between conditions, or a bad value.
    """
    kinds = _kinds(name)
    where: list[Condition] = []
    for column, model in (filter_model or {}).items():
        if column not in kinds:
            raise ExplorerError(f"{column!r} is not a column of {name}")
        if not isinstance(model, Mapping):
            raise ExplorerError(f"{column}: the filter is not a model")
        where.extend(typed_condition(c, kinds[column]) for c in _grid_conditions(column, model))
    order = list(kinds)
    return sorted(where, key=lambda c: order.index(c.column))


def grid_sort(name: str, sort_model: Sequence[Any] | None) -> list[Sort]:
    """Return the sort keys of AG Grid's sort model on a table, in order.

    Raises:
        ExplorerError: a column that is not one of the table's.
    """
    allowed = filterable_columns(name)
    sort = []
    for item in sort_model or []:
        column = item.get("colId") if isinstance(item, Mapping) else None
        if column not in allowed:
            raise ExplorerError(f"cannot sort on {column!r}")
        sort.append(Sort(column, item.get("sort") == "desc"))
    return sort


def from_grid(
    name: str,
    filters: Filters,
    grid_request: Mapping[str, Any] | None,
    fixed: Sequence[tuple[str, str]] = (),
) -> tuple[Request, int, int]:
    """Translate an AG Grid ``getRowsRequest`` into a validated request, offset and limit.

    Conditions carry values of their column's type (:func:`typed_condition`), so the same rows asked
    for by the grid or by a URL make the same request.

    Args:
        name: the Explorer table.
        filters: the dashboard's filters.
        grid_request: ``{startRow, endRow, sortModel, filterModel}`` as the grid sends it.
        fixed: conditions from the URL that the grid does not show (``col.<column>=<value>`` in the
            grammar of :func:`fixed_condition`).

    Raises:
        ExplorerError: an unknown column or operator, or a value of the wrong type.
    """
    req = dict(grid_request or {})
    kinds = _kinds(name)
    where = []
    for column, value in fixed:
        if column not in kinds:
            raise ExplorerError(f"{column!r} is not a column of {name}")
        where.append(typed_condition(fixed_condition(column, value, kinds[column]), kinds[column]))
    where.extend(grid_where(name, req.get("filterModel")))
    sort = grid_sort(name, req.get("sortModel"))
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


Transform = Callable[[pl.DataFrame], pl.DataFrame]


def arrow_batches(con: Any, sql: str, params: dict[str, Any], batch_rows: int) -> Any:
    """Start a composed statement and return its rows as an Arrow batch reader (errors: QueryFailed)."""
    return _relation(con, sql, params, lambda r: r.to_arrow_reader(batch_rows))


def file_chunks(
    fmt: str, batches: Any, sheet_name: str, transform: Transform | None = None
) -> Iterator[bytes]:
    """Return the bytes of an export file written from an Arrow batch reader, as they are produced.

    Each batch goes through ``transform`` (default: none) and, for CSV and XLSX, :func:`neutralise`.
    CSV is written batch by batch; XLSX (xlsxwriter's constant-memory mode) and Parquet (one row group
    per batch) into a spooled temporary file. Cells are typed by the columns' types after the
    transformation; XLSX stops at its row limit and says so on a second sheet.
    """
    shape: Transform = transform or (lambda frame: frame)
    empty = shape(pl.from_arrow(batches.schema.empty_table()))  # type: ignore[arg-type]
    frames = (shape(pl.from_arrow(b)) for b in batches)  # type: ignore[arg-type]
    if fmt == "csv":
        return _csv_chunks(empty, frames)
    if fmt == "xlsx":
        return _xlsx_chunks(empty, frames, sheet_name)
    if transform is None:  # the batches as DuckDB gave them
        return _parquet_chunks(batches.schema, (b for b in batches))
    target = empty.to_arrow()
    return _parquet_chunks(target.schema, (f.to_arrow().cast(target.schema) for f in frames if f.height))


def _csv_chunks(empty: pl.DataFrame, frames: Iterator[pl.DataFrame]) -> Iterator[bytes]:
    yield empty.write_csv(include_header=True).encode()
    for frame in frames:
        if frame.height:
            yield neutralise(frame).write_csv(include_header=False).encode()


def _spool(write: Callable[[Any], None]) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as tmp:
        write(tmp)
        tmp.seek(0)
        while chunk := tmp.read(1 << 20):
            yield chunk


def _xlsx_kind(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "text"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    return "number"


def _xlsx_chunks(empty: pl.DataFrame, frames: Iterator[pl.DataFrame], sheet_name: str) -> Iterator[bytes]:
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
        sheet = book.add_worksheet(sheet_name[:31])
        bold = book.add_format({"bold": True})
        date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
        time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for j, name in enumerate(empty.columns):
            sheet.write_string(0, j, name, bold)
        kinds = [_xlsx_kind(t) for t in empty.dtypes]
        row = 0
        truncated = False
        for frame in frames:
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


def _parquet_chunks(schema: Any, tables: Iterator[Any]) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    def write(tmp: io.BufferedRandom) -> None:
        with pq.ParquetWriter(tmp, schema) as writer:
            for table in tables:
                writer.write(table)

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
    sql, params = compose(request, order="user")
    batches = arrow_batches(_cursor(con), sql, params, batch_rows)
    stamp = dt.date.today().strftime("%Y%m%d")
    return Export(
        f"{request.table}-{stamp}.{fmt}", EXPORT_FORMATS[fmt], file_chunks(fmt, batches, request.table)
    )
