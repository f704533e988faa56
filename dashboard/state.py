"""URL query string ⇄ view state: the only parser of the query string.

A view is fully described by its query string, so a copied link reproduces it::

    ?from=2025-01-01&to=2025-06-30&payer=Aetna&payer=Cigna&month=2025-06&as_of=2025-06-30
    &table=claims&col.carc_code=45&col.billed_amount=1000..&sort=-billed_amount

Keys: ``month``, ``from``, ``to``, ``as_of``, ``facility``, ``patient_type``, ``financial_class``,
``payer``, ``service_line`` (the multi-valued ones as repeated keys) and, for the Explorer, ``table``,
``col.<column>`` (a condition on one of the table's columns, in the grammar of
:func:`warehouse.explorer.fixed_condition`: ``197`` equality, ``~E11`` contains, ``1000..`` at least,
``5..9`` a range, ``!*`` blank …) and ``sort`` (``sort=discharge_date``, ``sort=-total_charges``,
repeated in order). A value that cannot be used is dropped, the default applies, and
:attr:`ViewState.notices` says so on screen.

The Explorer's grid shows the first condition on each column in that column's filter (and sends it
back with every block it asks for); any further condition on the same column is a fixed condition,
applied beside the grid's filters and shown as a badge (:func:`grid_split`). :func:`grid_models` and
:func:`with_grid` translate between the view and the grid's filter and sort models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from warehouse import explorer
from warehouse.contract import ENUMS
from warehouse.filters import ENUM_FIELDS, LIST_FIELDS, Filters, InvalidFilter, parse_date, parse_month

#: URL key → Filters field, in the order keys are written.
SCALAR_KEYS: dict[str, str] = {"month": "month", "from": "date_from", "to": "date_to", "as_of": "as_of"}
LIST_KEYS: tuple[str, ...] = LIST_FIELDS
TABLE_KEY = "table"
COLUMN_PREFIX = "col."
SORT_KEY = "sort"
URL_KEYS: tuple[str, ...] = (*SCALAR_KEYS, *LIST_KEYS, TABLE_KEY, SORT_KEY)
#: Limits that keep a pasted URL from turning into a huge query.
MAX_VALUES = 50
MAX_VALUE_LENGTH = 100


@dataclass(frozen=True)
class ViewState:
    """Everything the query string says: the filters, the Explorer's table and column filters.

    Attributes:
        filters: the KPI filters.
        table: the Explorer's table (None = not chosen; the Explorer then uses its default).
        columns: the Explorer's conditions as (column, value) pairs in URL order, each value in the
            canonical form of :func:`warehouse.explorer.url_value`.
        notices: one sentence per value that was ignored (shown on screen).
        sort: the Explorer's sort keys as (column, descending) pairs, in order.
    """

    filters: Filters = field(default_factory=Filters)
    table: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    notices: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()


def _scalar(key: str, value: str) -> dt.date:
    return parse_month(value) if key == "month" else parse_date(value, key)


def _list_value_problem(key: str, value: str) -> str | None:
    if not value.strip() or len(value) > MAX_VALUE_LENGTH:
        return f"{key}: a value of {len(value)} characters was ignored"
    if key in ENUM_FIELDS and value not in ENUMS[ENUM_FIELDS[key]]:
        accepted = ", ".join(ENUMS[ENUM_FIELDS[key]])
        return f"{key}: {value[:40]!r} is not known and was ignored (use {accepted})"
    return None


def parse(search: str | None) -> ViewState:
    """Parse a query string (with or without its leading ``?``) into a :class:`ViewState`.

    Never raises: every unusable value is dropped with a notice, and its default applies.
    """
    notices: list[str] = []
    scalars: dict[str, dt.date] = {}
    lists: dict[str, list[str]] = {k: [] for k in LIST_KEYS}
    table: str | None = None
    raw_columns: list[tuple[str, str]] = []
    raw_sort: list[str] = []
    for key, value in parse_qsl((search or "").lstrip("?"), keep_blank_values=True):
        if key in SCALAR_KEYS:
            if key in scalars:
                notices.append(f"{key}: more than one value given; the first was used")
                continue
            try:
                scalars[key] = _scalar(key, value)
            except InvalidFilter as exc:
                notices.append(f"{exc}; the default was used")
        elif key in lists:
            problem = _list_value_problem(key, value)
            if problem:
                notices.append(problem)
            elif value not in lists[key]:
                if len(lists[key]) >= MAX_VALUES:
                    notices.append(f"{key}: more than {MAX_VALUES} values; the rest were ignored")
                else:
                    lists[key].append(value)
        elif key == TABLE_KEY:
            if value in explorer.TABLES and table is None:
                table = value
            else:
                notices.append(f"table: {value[:40]!r} is not an Explorer table and was ignored")
        elif key.startswith(COLUMN_PREFIX):
            raw_columns.append((key.removeprefix(COLUMN_PREFIX), value))
        elif key == SORT_KEY:
            raw_sort.append(value)
        else:
            notices.append(f"{key[:40]!r} is not a filter of this dashboard and was ignored")
    columns = _valid_columns(table, raw_columns, notices)
    sort = _valid_sort(table, raw_sort, notices)
    values: dict[str, Any] = {SCALAR_KEYS[k]: v for k, v in scalars.items()}
    values.update({k: tuple(v) for k, v in lists.items()})
    try:
        filters = Filters(**values)
    except InvalidFilter as exc:  # only the date order can fail once every value parsed alone
        notices.append(f"{exc}; the whole date range was ignored")
        values.pop("date_from", None)
        values.pop("date_to", None)
        filters = Filters(**values)
    return ViewState(filters, table, columns, tuple(notices), sort)


def _valid_columns(
    table: str | None, pairs: list[tuple[str, str]], notices: list[str]
) -> tuple[tuple[str, str], ...]:
    kinds = _kinds(table)
    out: list[tuple[str, str]] = []
    for column, value in pairs:
        if column not in kinds:
            notices.append(f"col.{column[:40]}: not a column of the Explorer's table; ignored")
        elif len(value) > MAX_VALUE_LENGTH:
            notices.append(f"col.{column}: a value of {len(value)} characters was ignored")
        elif len(out) >= MAX_VALUES:
            notices.append(f"col.: more than {MAX_VALUES} conditions; the rest were ignored")
            break
        else:
            try:
                kind = kinds[column]
                canonical = explorer.url_value(explorer.fixed_condition(column, value, kind), kind)
            except explorer.ExplorerError as exc:
                notices.append(f"col.{column}: {value[:40]!r} cannot be used ({exc}); ignored")
                continue
            if (column, canonical) not in out:
                out.append((column, canonical))
    return tuple(out)


def _valid_sort(table: str | None, values: list[str], notices: list[str]) -> tuple[tuple[str, bool], ...]:
    allowed = explorer.filterable_columns(table or explorer.DEFAULT_TABLE)
    out: list[tuple[str, bool]] = []
    for value in values:
        column, descending = value.removeprefix("-"), value.startswith("-")
        if column not in allowed:
            notices.append(f"sort: {value[:40]!r} is not a column of the Explorer's table; ignored")
        elif column in {c for c, _ in out}:
            notices.append(f"sort: {column} is given more than once; the first was used")
        elif len(out) < MAX_VALUES:
            out.append((column, descending))
    return tuple(out)


def _kinds(table: str | None) -> dict[str, explorer.ColumnKind]:
    """The Explorer table's columns and their kinds (the default table when none is named)."""
    return {c.name: explorer.column_kind(c.type) for c in explorer.columns(table or explorer.DEFAULT_TABLE)}


def to_search(view: ViewState | Filters) -> str:
    """Write the canonical query string (``""`` when nothing is set) of a view or of filters alone."""
    if isinstance(view, Filters):
        view = ViewState(view)
    f = view.filters
    pairs: list[tuple[str, str]] = []
    for key, name in SCALAR_KEYS.items():
        value = getattr(f, name)
        if value is not None:
            pairs.append((key, value.strftime("%Y-%m") if key == "month" else value.isoformat()))
    for key in LIST_KEYS:
        pairs.extend((key, v) for v in getattr(f, key))
    if view.table:
        pairs.append((TABLE_KEY, view.table))
    pairs.extend((COLUMN_PREFIX + c, v) for c, v in view.columns)
    pairs.extend((SORT_KEY, ("-" if descending else "") + c) for c, descending in view.sort)
    return "?" + urlencode(pairs) if pairs else ""


def href(path: str, view: ViewState | Filters) -> str:
    """Return ``path`` with the view's canonical query string."""
    return path + to_search(view)


def grid_split(view: ViewState) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Split the view's conditions into those the grid shows and the fixed rest.

    The grid's column filters hold one condition each: the first condition on a column is shown in
    that column's filter; any later one on the same column is fixed (a badge, applied beside the
    grid's filters). Both keep URL order.
    """
    shown: list[tuple[str, str]] = []
    fixed: list[tuple[str, str]] = []
    for column, value in view.columns:
        (fixed if any(c == column for c, _ in shown) else shown).append((column, value))
    return tuple(shown), tuple(fixed)


def grid_models(view: ViewState) -> dict[str, Any]:
    """Return AG Grid's ``filterModel`` and ``sortModel`` of the view (what a new grid starts with).

    Raises:
        warehouse.explorer.ExplorerError: a condition of a view not made by :func:`parse`.
    """
    kinds = _kinds(view.table)
    shown, _ = grid_split(view)
    filter_model = {
        column: explorer.grid_filter(explorer.fixed_condition(column, value, kinds[column]), kinds[column])
        for column, value in shown
    }
    sort_model = [{"colId": column, "sort": "desc" if desc else "asc"} for column, desc in view.sort]
    return {"filterModel": filter_model, "sortModel": sort_model}


def with_grid(view: ViewState, models: Mapping[str, Any] | None) -> ViewState:
    """Return the view whose shown conditions and sort are the grid's models (fixed conditions kept).

    Only what the user typed goes into the view: the column, the operator and its operands. The
    shown conditions come first, in the table's column order, then the fixed ones.

    Raises:
        warehouse.explorer.ExplorerError: a model the URL cannot state (an unknown column or
            operator, OR between conditions, more than one condition on a column, a bad value).
    """
    table = view.table or explorer.DEFAULT_TABLE
    kinds = _kinds(table)
    models = models or {}
    shown = tuple(
        (c.column, explorer.url_value(c, kinds[c.column]))
        for c in explorer.grid_where(table, models.get("filterModel"))  # in the table's column order
    )
    if len({column for column, _ in shown}) != len(shown):
        raise explorer.ExplorerError("a column filter of the grid holds one condition")
    sort = tuple((s.column, s.descending) for s in explorer.grid_sort(table, models.get("sortModel")))
    return replace(view, columns=(*shown, *grid_split(view)[1]), sort=sort, notices=())


def filters_of(search: str | None) -> Filters:
    """Return only the filters of a query string (what page callbacks need)."""
    return parse(search).filters


def with_filters(view: ViewState, **changes: Any) -> ViewState:
    """Return the view with some Filters fields replaced (``payer=("Aetna",)``, ``month=None`` …).

    Raises:
        InvalidFilter: a replacement value is not acceptable.
    """
    known = {f.name for f in fields(Filters)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidFilter(f"unknown filter {unknown[0]!r}")
    return replace(view, filters=replace(view.filters, **changes), notices=())


@dataclass(frozen=True)
class Defaults:
    """What an unset date means, from the data: the dashboard opens on data, not on an empty today.

    Attributes:
        date_from: the first discharge date (start of the default range).
        date_to: the last date of any activity in the data (end of the default range).
        month: the latest complete month (the scorecard's default).
        as_of: the last date of any activity (the snapshot date of backlog and DNFB).
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    month: dt.date | None = None
    as_of: dt.date | None = None

    def to_json(self) -> dict[str, str | None]:
        """Return the defaults as ISO strings (for the shell's store)."""
        return {k: (v.isoformat() if v else None) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Defaults:
        """Read what :meth:`to_json` wrote (anything unreadable is None)."""
        out: dict[str, dt.date | None] = {}
        for name in ("date_from", "date_to", "month", "as_of"):
            value = (data or {}).get(name)
            try:
                out[name] = dt.date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                out[name] = None
        return cls(**out)


def resolve(view: ViewState, defaults: Defaults) -> ViewState:
    """Return the view with unset dates filled from the defaults (what the pages query with)."""
    f = view.filters
    date_from = f.date_from or defaults.date_from
    date_to = f.date_to or defaults.date_to
    if date_from and date_to and date_from > date_to:  # one end chosen beyond the data's other end
        date_from, date_to = f.date_from or date_to, f.date_to or date_from
    return replace(
        view,
        filters=replace(
            f,
            date_from=date_from,
            date_to=date_to,
            month=f.month or defaults.month,
            as_of=f.as_of or defaults.as_of,
        ),
    )


def without_defaults(view: ViewState, defaults: Defaults) -> ViewState:
    """Return the view with every date equal to its default unset (so URLs carry only choices)."""
    f = view.filters
    return replace(
        view,
        filters=replace(
            f,
            date_from=None if f.date_from == defaults.date_from else f.date_from,
            date_to=None if f.date_to == defaults.date_to else f.date_to,
            month=None if f.month == defaults.month else f.month,
            as_of=None if f.as_of == defaults.as_of else f.as_of,
        ),
    )


def restrict(
    view: ViewState, options: Mapping[str, Sequence[str]], months: Sequence[dt.date] = ()
) -> tuple[ViewState, tuple[str, ...]]:
    """Drop list values the data does not hold, and a month it does not cover, each with a notice.

    Args:
        view: the parsed view.
        options: the values offered per data-driven dimension (facility, payer, service_line); a
            dimension without options is left alone.
        months: the months the scorecard offers (none = any month).
    """
    notices: list[str] = []
    changes: dict[str, Any] = {}
    for key, offered in options.items():
        chosen = getattr(view.filters, key, ())
        if not offered or not chosen:
            continue
        kept = tuple(v for v in chosen if v in offered)
        notices += [
            f"{key}: {v[:40]!r} is not in the data and was ignored" for v in chosen if v not in offered
        ]
        if kept != chosen:
            changes[key] = kept
    month = view.filters.month
    if month is not None and months and month not in months:
        notices.append(f"month: {month:%Y-%m} has no data; the latest complete month was used")
        changes["month"] = None
    if not changes:
        return view, ()
    return replace(view, filters=replace(view.filters, **changes)), tuple(notices)
