"""The logged-in user's scope: who, with which roles, limited to which facilities.

:func:`current_scope` returns ``(user, roles, facilities)`` for the request being served. Every query
the dashboard runs must go through :func:`scoped_filters` (or :func:`scope_store` /
:func:`scope_view`), which intersects the facilities asked for with the facilities allowed: a user
limited to ``FAC01`` asking for "all facilities" gets ``FAC01``; asking for ``FAC02`` only is refused
(:class:`OutOfScope`), never widened to "all".

:func:`suppress_for_viewer` applies small-cell suppression to a catalog query's frame when the viewer
sees aggregates only (``leadership`` without ``manager`` or ``analyst``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import flask
import polars as pl

from warehouse.errors import HimError
from warehouse.filters import Filters

_G_KEY = "him_scope"


class OutOfScope(HimError):
    """The request names only facilities the user may not see."""

    exit_code = 2


class Scope(NamedTuple):
    """The user behind a request.

    Attributes:
        user: the login name.
        roles: the user's roles.
        facilities: facility ids the user is limited to; empty = every facility.
    """

    user: str
    roles: frozenset[str]
    facilities: tuple[str, ...]

    @property
    def all_facilities(self) -> bool:
        """True when the user is not limited to some facilities."""
        return not self.facilities

    @property
    def suppressed(self) -> bool:
        """True when the user sees aggregates with small cells suppressed (leadership only)."""
        data = self.roles & {"leadership", "manager", "analyst"}
        return data == {"leadership"}

    def cache_key(self) -> tuple[str, tuple[str, ...], tuple[str, ...], bool]:
        """What a cache key must include so that two users never share an entry (S13)."""
        return (self.user, tuple(sorted(self.roles)), self.facilities, self.suppressed)


def current_scope() -> Scope | None:
    """Return the scope of the request being served (None outside a request or before login)."""
    if not flask.has_request_context():
        return None
    return flask.g.get(_G_KEY)


def set_scope(scope: Scope | None) -> None:
    """Record the request's scope (the security layer does this after checking the session)."""
    setattr(flask.g, _G_KEY, scope)


def intersect_facilities(requested: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """Return the facilities a query may cover.

    Args:
        requested: facilities the filters ask for (empty = all).
        allowed: facilities the user may see (empty = all).

    Raises:
        OutOfScope: every requested facility is outside the allowed ones.
    """
    if not allowed:
        return tuple(requested)
    if not requested:
        return tuple(allowed)
    inside = tuple(f for f in requested if f in allowed)
    if not inside:
        raise OutOfScope("the facilities asked for are outside your access")
    return inside


def scoped_filters(filters: Filters, scope: Scope | None = None) -> Filters:
    """Return ``filters`` limited to the user's facilities (unchanged for an unrestricted user).

    Args:
        filters: the filters a page, callback, cache or export is about to use.
        scope: the user (default: :func:`current_scope`). Outside a request (CLI, report job) there is
            no user and the filters are returned unchanged.

    Raises:
        OutOfScope: the filters name only facilities outside the user's.
    """
    scope = scope or current_scope()
    if scope is None or scope.all_facilities:
        return filters
    facilities = intersect_facilities(filters.facility, scope.facilities)
    return filters if facilities == filters.facility else replace(filters, facility=facilities)


def scope_view(view: Any, scope: Scope | None = None) -> Any:
    """Return a :class:`dashboard.state.ViewState` with its filters scoped."""
    filters = scoped_filters(view.filters, scope)
    return view if filters is view.filters else replace(view, filters=filters)


def scope_search(search: str | None, scope: Scope | None = None) -> str:
    """Return a dashboard query string (``?from=…&facility=…``) with its facilities scoped."""
    from dashboard import state

    view = state.parse(search or "")
    scoped = scope_view(view, scope)
    return search or "" if scoped is view else state.to_search(scoped)


def scope_store(store: Any, scope: Scope | None = None) -> Any:
    """Return the shell's filter store (``{"search": …, "resolved": …}``) with its facilities scoped.

    Anything that is not such a store is returned unchanged.
    """
    if not isinstance(store, Mapping) or not ({"search", "resolved"} & set(store)):
        return store
    out = dict(store)
    for key in ("search", "resolved"):
        if key in out:
            out[key] = scope_search(out.get(key) if isinstance(out.get(key), str) else "", scope)
    return out


# -- small-cell suppression for leadership ---------------------------------------------------------

_NOT_COUNTS = ("age_years", "seq", "line")
_NOT_COUNT_SUFFIXES = ("_id", "_days", "_order", "_year")


def column_roles(query_name: str) -> tuple[list[str], list[str], list[str]]:
    """Classify a catalog query's declared columns as (counts, derived values, dimensions).

    Counts: integer columns that count people, encounters, claims … (not ids, days, orders, ages).
    Derived: rates, shares, means and amounts (DOUBLE and DECIMAL). Dimensions: text and dates, reduced
    to the columns that identify a row (attributes such as a DRG's title are left out).
    """
    from warehouse import catalog

    counts, derived, dims = [], [], []
    for col in catalog.get(query_name).returns:
        t = col.type
        if t in ("BIGINT", "INTEGER", "SMALLINT"):
            if col.name in _NOT_COUNTS or col.name.endswith(_NOT_COUNT_SUFFIXES):
                dims.append(col.name)
            else:
                counts.append(col.name)
        elif t == "DOUBLE" or t.startswith("DECIMAL"):
            derived.append(col.name)
        elif not t.endswith("[]"):
            dims.append(col.name)
    return counts, derived, dims


def _key_dimensions(frame: pl.DataFrame, dims: Sequence[str]) -> list[str]:
    """Drop dimensions that depend on the others (a DRG's title on the DRG)."""
    keep = [d for d in dims if d in frame.columns]
    if not keep or frame.height == 0:
        return keep
    for d in list(reversed(keep)):
        rest = [k for k in keep if k != d]
        if rest and frame.select(rest).n_unique() == frame.select(keep).n_unique():
            keep = rest
    return keep


def suppress_for_viewer(query_name: str, frame: pl.DataFrame, scope: Scope | None = None) -> pl.DataFrame:
    """Return the frame as the viewer may see it: suppressed for leadership-only users, else unchanged.

    Counts 1–10 and the counts that would let them be worked out become null, as do rates, means and
    amounts in those rows (:func:`warehouse.suppression.suppress`).
    """
    scope = scope or current_scope()
    if scope is None or not scope.suppressed or frame.height == 0:
        return frame
    from warehouse.suppression import suppress

    counts, derived, dims = column_roles(query_name)
    counts = [c for c in counts if c in frame.columns]
    if not counts:
        return frame
    key = _key_dimensions(frame, dims)
    if key and frame.select(key).is_duplicated().any():
        key = []
    by: list[str] = []
    if len(key) == 2:  # a long frame of several tables ("by sex", "by race" …) rather than a cross table
        levels = [frame[k].n_unique() for k in key]
        if frame.height < 0.5 * levels[0] * levels[1]:
            outer = 0 if levels[0] <= levels[1] else 1
            by, key = [key[outer]], [key[1 - outer]]
    rates = [d for d in derived if d in frame.columns]
    return suppress(frame, counts, dimensions=key, by=by, rates=rates).frame
