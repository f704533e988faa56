"""A per-process cache of catalog results, keyed so that it can never serve a wrong answer.

Key: the query name, its bound parameters, the viewer's scope (user, roles, facilities, suppression:
:meth:`Scope.cache_key`, so one user's results never reach another) and the identity of the warehouse
generation the result was read from (path, size, modification time: a load publishes a new generation,
so every entry made before it stops matching). Bounded by bytes (``$HIM_RESULT_CACHE_MB``, default 256
per worker process; 0 turns it off), least recently used first out. Frames larger than a twentieth of
the budget are not kept (row-level listings are not what it is for).

Hits and misses are counted for the benchmark and the tests (:func:`stats`).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

DEFAULT_MB = 256


@dataclass
class Stats:
    """Counters of one cache."""

    hits: int = 0
    misses: int = 0
    entries: int = 0
    bytes: int = 0


class ResultCache:
    """A byte-bounded LRU map of result frames."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[pl.DataFrame, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = Stats()

    def get(self, key: Hashable) -> pl.DataFrame | None:
        """Return the cached frame for ``key`` (and mark it recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.stats.misses += 1
                return None
            self._items.move_to_end(key)
            self.stats.hits += 1
            return found[0]

    def put(self, key: Hashable, frame: pl.DataFrame) -> None:
        """Keep ``frame`` under ``key`` unless it is too large; evict the least recently used."""
        size = int(frame.estimated_size())
        if self.max_bytes <= 0 or size > self.max_bytes // 20:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.stats.bytes -= old[1]
            self._items[key] = (frame, size)
            self.stats.bytes += size
            while self.stats.bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self.stats.bytes -= dropped
            self.stats.entries = len(self._items)

    def clear(self) -> None:
        """Forget every entry (counters kept)."""
        with self._lock:
            self._items.clear()
            self.stats.bytes = self.stats.entries = 0


def generation_identity(gen: Path | None) -> tuple[str, int, int] | None:
    """The identity of a generation file: path, size and modification time (None if absent)."""
    if gen is None:
        return None
    try:
        st = gen.stat()
    except OSError:
        return None
    return (str(gen), st.st_size, st.st_mtime_ns)


def params_key(params: dict[str, object]) -> str:
    """A canonical, hashable text of bound parameters (lists, dates and numbers included)."""
    return json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))


def cached(
    cache: ResultCache,
    key: Hashable,
    generation: Callable[[], tuple[str, int, int] | None],
    compute: Callable[[], pl.DataFrame],
) -> pl.DataFrame:
    """Return the cached result of ``compute`` under ``key`` and the current generation.

    ``generation`` is read before and after ``compute``: a result computed while a load switched the
    generation is returned but not kept (it may belong to either).
    """
    before = generation()
    if before is None:
        return compute()
    full = (key, before)
    hit = cache.get(full)
    if hit is not None:
        return hit
    frame = compute()
    if generation() == before:
        cache.put(full, frame)
    return frame


def _budget() -> int:
    raw = os.environ.get("HIM_RESULT_CACHE_MB", "")
    mb = int(raw) if raw.strip().isdigit() else DEFAULT_MB
    return mb * 1024 * 1024


#: The process's cache (each gunicorn worker has its own).
CACHE = ResultCache(_budget())


def stats() -> Stats:
    """The process cache's counters."""
    return CACHE.stats
