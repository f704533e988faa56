"""The dashboard's only door to the data: the query catalog, plus what the shell stores about it.

Callbacks call :func:`run` (``catalog.run`` on the process's read-only reader) with the Filters that
:func:`filters` reads from the shell's store. Nothing here computes a number: the shell's context
(defaults, filter options, category colours) comes from ``queries/dashboard_extras.sql``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dashboard import result_cache, state, theme
from dashboard.security.scope import current_scope, scope_view, scoped_filters, suppress_for_viewer
from warehouse import catalog
from warehouse.db import WarehouseUnavailable, published_generation, reader
from warehouse.errors import HimError
from warehouse.filters import Filters

#: Dimensions whose values the filter bar offers from the data (the others from the contract).
OPTION_DIMENSIONS: tuple[str, ...] = ("facility", "payer", "service_line")
#: At most this many lines in a chart of one line per facility or payer.
MAX_LINES = 10


def run(name: str, filters: Filters | Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Run a catalog query on the served warehouse, as the logged-in user may see it.

    Filters are limited to the user's facilities (:func:`scoped_filters`) and the frame is suppressed
    for leadership-only viewers (:func:`suppress_for_viewer`); outside a request both are no-ops.
    Results are cached per process by query, parameters, viewer and generation
    (:mod:`dashboard.result_cache`); callers must not modify the frame in place.
    """
    if filters is None or isinstance(filters, Filters):
        filters = scoped_filters(filters or Filters())
    params = catalog.get(name).bind(filters)
    scope = current_scope()
    key = (name, result_cache.params_key(params), scope.cache_key() if scope else None)
    return result_cache.cached(
        result_cache.CACHE,
        key,
        _served_generation,
        lambda: suppress_for_viewer(name, catalog.run(name, params)),
    )


def _served_generation() -> tuple[str, int, int] | None:
    """The identity of the generation a query would read now (part of every cache key)."""
    return result_cache.generation_identity(published_generation(reader().paths))


@dataclass(frozen=True)
class Context:
    """What the shell learns about the warehouse once per page load (never data rows).

    Attributes:
        defaults: the dates an unset filter means.
        options: the values offered per filter dimension, most frequent first.
        colors: a fixed colour per payer and facility (by overall volume, so the same on every page).
        problem: why the warehouse cannot be read, when it cannot.
    """

    defaults: state.Defaults = field(default_factory=state.Defaults)
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    colors: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the context for a dcc.Store."""
        return {
            "defaults": self.defaults.to_json(),
            "options": {k: list(v) for k, v in self.options.items()},
            "colors": {k: dict(v) for k, v in self.colors.items()},
            "problem": self.problem,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Context:
        """Read what :meth:`to_json` wrote."""
        data = data or {}
        return cls(
            defaults=state.Defaults.from_json(data.get("defaults")),
            options={k: tuple(v) for k, v in (data.get("options") or {}).items()},
            colors={k: dict(v) for k, v in (data.get("colors") or {}).items()},
            problem=data.get("problem"),
        )


def context() -> Context:
    """Read the defaults, filter options and category colours from the warehouse."""
    try:
        bounds = run("dashboard_extras.data_bounds").row(0, named=True)
        options = run("dashboard_extras.filter_options")
    except (WarehouseUnavailable, HimError) as exc:
        return Context(problem=str(exc))
    by_dim = {
        dim: tuple(options.filter(pl.col("dimension") == dim)["value"].to_list()) for dim in OPTION_DIMENSIONS
    }
    defaults = state.Defaults(
        date_from=bounds["first_discharge_date"],
        date_to=bounds["data_through_date"],
        month=bounds["default_month"],
        as_of=bounds["data_through_date"],
    )
    colors = {dim: theme.assign_colors(by_dim[dim]) for dim in ("payer", "facility")}
    return Context(defaults=defaults, options=by_dim, colors=colors)


def view(store: Mapping[str, Any] | None) -> state.ViewState:
    """Return the resolved view (unset dates filled with their defaults) the shell stored.

    Its filters are limited to the logged-in user's facilities (:func:`scope_view`).
    """
    return scope_view(state.parse((store or {}).get("resolved")))


def filters(store: Mapping[str, Any] | None) -> Filters:
    """Return the resolved Filters the shell stored (what every page callback queries with)."""
    return view(store).filters


def lines(
    frame: pl.DataFrame, dimension: str, filters: Filters, values: tuple[str, ...]
) -> dict[str, pl.DataFrame]:
    """Return a by-value query's frame as one frame per value of ``dimension`` (a line per facility or payer).

    The values are those chosen in the filters, else ``values`` (the filter bar's, most frequent first);
    at most :data:`MAX_LINES`, in that order. A value without rows gets an empty frame (no line).
    Nothing is computed: the frame's rows are only handed out by value.
    """
    chosen = getattr(filters, dimension) or values
    return {v: frame.filter(pl.col(dimension) == v) for v in chosen[:MAX_LINES]}


def csv_of(name: str) -> Callable[[Filters, Context], pl.DataFrame]:
    """Return the CSV data function of a chart drawn from one query: that query on the filters."""

    def frame(filters: Filters, _context: Context) -> pl.DataFrame:
        return run(name, filters)

    return frame
