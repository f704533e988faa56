"""URL query string ⇄ view state: the only parser of the query string.

A view is fully described by its query string, so a copied link reproduces it::

    ?from=2025-01-01&to=2025-06-30&payer=Aetna&payer=Cigna&month=2025-06&as_of=2025-06-30
    &table=claims&col.carc_code=45

Keys: ``month``, ``from``, ``to``, ``as_of``, ``facility``, ``patient_type``, ``financial_class``,
``payer``, ``service_line`` (the multi-valued ones as repeated keys) and, for the Explorer, ``table``
and ``col.<column>`` (an equality filter on one of the table's columns). A value that cannot be used
is dropped, the default applies, and :attr:`ViewState.notices` says so on screen.
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
URL_KEYS: tuple[str, ...] = (*SCALAR_KEYS, *LIST_KEYS, TABLE_KEY)
#: Limits that keep a pasted URL from turning into a huge query.
MAX_VALUES = 50
MAX_VALUE_LENGTH = 100


@dataclass(frozen=True)
class ViewState:
    """Everything the query string says: the filters, the Explorer's table and column filters.

    Attributes:
        filters: the KPI filters.
        table: the Explorer's table (None = not chosen; the Explorer then uses its default).
        columns: the Explorer's equality filters as (column, value) pairs, in URL order.
        notices: one sentence per value that was ignored (shown on screen).
    """

    filters: Filters = field(default_factory=Filters)
    table: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    notices: tuple[str, ...] = ()


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
        else:
            notices.append(f"{key[:40]!r} is not a filter of this dashboard and was ignored")
    columns = _valid_columns(table, raw_columns, notices)
    values: dict[str, Any] = {SCALAR_KEYS[k]: v for k, v in scalars.items()}
    values.update({k: tuple(v) for k, v in lists.items()})
    try:
        filters = Filters(**values)
    except InvalidFilter as exc:  # only the date order can fail once every value parsed alone
        notices.append(f"{exc}; the whole date range was ignored")
        values.pop("date_from", None)
        values.pop("date_to", None)
        filters = Filters(**values)
    return ViewState(filters, table, columns, tuple(notices))


def _valid_columns(
    table: str | None, pairs: list[tuple[str, str]], notices: list[str]
) -> tuple[tuple[str, str], ...]:
    allowed = explorer.filterable_columns(table or explorer.DEFAULT_TABLE)
    out: list[tuple[str, str]] = []
    for column, value in pairs:
        if column not in allowed:
            notices.append(f"col.{column[:40]}: not a column of the Explorer's table; ignored")
        elif len(value) > MAX_VALUE_LENGTH:
            notices.append(f"col.{column}: a value of {len(value)} characters was ignored")
        elif len(out) < MAX_VALUES:
            out.append((column, value))
    return tuple(out)


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
    return "?" + urlencode(pairs) if pairs else ""


def href(path: str, view: ViewState | Filters) -> str:
    """Return ``path`` with the view's canonical query string."""
    return path + to_search(view)


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
