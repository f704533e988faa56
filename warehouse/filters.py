"""Filters: the one frozen description of "which rows" that every KPI query accepts.

The dashboard's URL state, ``him query`` / ``him kpi`` and the report build a :class:`Filters`; the
catalog turns it into bound parameters with :meth:`Filters.params` and hands each query only the
parameters it declares. Values are never formatted into SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from warehouse.contract import BILL_HOLD_DAYS_DEFAULT, ENUMS
from warehouse.errors import UsageProblem

#: Trend grains accepted by ``date_trunc`` in the queries.
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: Inclusive bounds of ``bill_hold_days``; the monthly rollups store DNFB ages up to ``MAX + 1`` days.
BILL_HOLD_DAYS_RANGE: tuple[int, int] = (0, 30)
#: Used for ``date_from`` / ``date_to`` when a filter leaves them open.
OPEN_FROM = dt.date(1900, 1, 1)
OPEN_TO = dt.date(2999, 12, 31)
#: Multi-valued filters, in the order of the filter bar.
LIST_FIELDS: tuple[str, ...] = ("facility", "patient_type", "financial_class", "payer", "service_line")
#: List filters whose values come from the extract contract's enumerations.
ENUM_FIELDS: dict[str, str] = {"patient_type": "patient_type", "financial_class": "financial_class"}


class InvalidFilter(UsageProblem):
    """A filter value is not acceptable; the message says what is accepted."""


def parse_date(value: object, name: str) -> dt.date:
    """Return ``value`` as a date: a ``date`` or an ISO ``YYYY-MM-DD`` string.

    Raises:
        InvalidFilter: the value is not a real date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidFilter(f"{name}: {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-03-31")


def parse_month(value: object, name: str = "month") -> dt.date:
    """Return the first day of the month named by ``value`` (``YYYY-MM``, ``YYYY-MM-DD`` or a date).

    Raises:
        InvalidFilter: the value names no month.
    """
    if isinstance(value, str) and len(value.strip()) == 7:
        try:
            return dt.date.fromisoformat(value.strip() + "-01")
        except ValueError:
            pass
        raise InvalidFilter(f"{name}: {value!r} is not a month; use YYYY-MM, e.g. 2025-03")
    try:
        return parse_date(value, name).replace(day=1)
    except InvalidFilter:
        raise InvalidFilter(f"{name}: {value!r} is not a month; use YYYY-MM, e.g. 2025-03") from None


def month_end(month: dt.date) -> dt.date:
    """Return the last day of the month that ``month`` falls in."""
    first_next = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def _as_tuple(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidFilter(f"{name}: expected a list of text values, got {type(value).__name__}")
    out: list[str] = []
    for v in value:
        if not isinstance(v, str):
            raise InvalidFilter(f"{name}: expected text values, got {v!r}")
        if v not in out:
            out.append(v)
    return tuple(out)


@dataclass(frozen=True)
class Filters:
    """Which rows a KPI covers. Every field is optional; an empty tuple means "all".

    Attributes:
        date_from: first day of the period (inclusive); None = open.
        date_to: last day of the period (inclusive); None = open.
        facility: facility ids.
        patient_type: inpatient | outpatient | emergency | observation.
        financial_class: medicare | medicaid | commercial | managed_care | self_pay | other.
        payer: payer names (the claim's payer for denial KPIs, the primary payer otherwise).
        service_line: service lines.
        as_of: snapshot date of the as-of KPIs (backlog, DNFB, census); None = today.
        month: first day of the scorecard month.
        bill_hold_days: days after discharge before an unbilled encounter counts in DNFB.
        grain: period of trend queries: day | week | month | quarter | year.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    facility: tuple[str, ...] = ()
    patient_type: tuple[str, ...] = ()
    financial_class: tuple[str, ...] = ()
    payer: tuple[str, ...] = ()
    service_line: tuple[str, ...] = ()
    as_of: dt.date | None = None
    month: dt.date | None = None
    bill_hold_days: int = BILL_HOLD_DAYS_DEFAULT
    grain: str = "month"

    def __post_init__(self) -> None:
        """Normalise and validate every field (strings to dates, lists to tuples)."""
        set_ = object.__setattr__
        for name in ("date_from", "date_to", "as_of"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, parse_date(value, name))
        if self.month is not None:
            set_(self, "month", parse_month(self.month))
        for name in LIST_FIELDS:
            set_(self, name, _as_tuple(getattr(self, name), name))
        for name, enum in ENUM_FIELDS.items():
            accepted = tuple(ENUMS[enum])
            bad = [v for v in getattr(self, name) if v not in accepted]
            if bad:
                raise InvalidFilter(f"{name}: {bad[0]!r} is not accepted; use one of {', '.join(accepted)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidFilter(f"date_from {self.date_from} is after date_to {self.date_to}")
        low, high = BILL_HOLD_DAYS_RANGE
        hold = self.bill_hold_days
        if isinstance(hold, str) and hold.strip().isdigit():
            hold = int(hold)
            set_(self, "bill_hold_days", hold)
        if isinstance(hold, bool) or not isinstance(hold, int) or not low <= hold <= high:
            raise InvalidFilter(f"bill_hold_days: {hold!r} is not accepted; use a whole number {low}-{high}")
        if self.grain not in GRAINS:
            raise InvalidFilter(f"grain: {self.grain!r} is not accepted; use one of {', '.join(GRAINS)}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Filters:
        """Build Filters from a mapping of field names (unknown names are an error).

        Raises:
            InvalidFilter: an unknown field name or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidFilter(f"unknown filter {unknown[0]!r}; accepted: {', '.join(sorted(known))}")
        return cls(**dict(values))

    def params(self, *, today: dt.date | None = None) -> dict[str, Any]:
        """Return every filter as a bound-parameter value, keyed by the ``$param`` names of the queries.

        Open dates become :data:`OPEN_FROM` / :data:`OPEN_TO`; ``as_of`` defaults to ``today``;
        ``month`` is left out while unset (a query that needs it then reports it missing).
        """
        out: dict[str, Any] = {
            "date_from": self.date_from or OPEN_FROM,
            "date_to": self.date_to or OPEN_TO,
            "as_of": self.as_of or today or dt.date.today(),
            "bill_hold_days": self.bill_hold_days,
            "grain": self.grain,
        }
        for name in LIST_FIELDS:
            out[name] = list(getattr(self, name))
        if self.month is not None:
            out["month"] = self.month
        return out

    def for_month(self, month: dt.date | str) -> Filters:
        """Return a copy covering one calendar month, with as-of figures at its last day."""
        first = parse_month(month)
        return Filters(
            **{
                **{f.name: getattr(self, f.name) for f in fields(self)},
                "month": first,
                "date_from": first,
                "date_to": month_end(first),
                "as_of": month_end(first),
            }
        )
