"""Whether a file's accepted rows come in strictly ascending natural-key order.

Then no natural key repeats within the file, and the loader skips the distinct count over its record
keys (0.5 s of CPU per 3.9M diagnoses at 1M encounters). Extracts are usually written in key order, or
by encounter then time, by the database that exports them; a file that is not simply takes the count,
so the answer never depends on the order, only the cost does.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from warehouse.validate import RECORD_KEY_SEP


class KeyOrder:
    """Watches a file's batches of accepted rows, in file order, for a strictly ascending key."""

    def __init__(self, key: Sequence[str]) -> None:
        self._key = list(key)
        self._orders = _candidate_orders(self._key)  # the column orders still ascending so far
        self._last: pl.DataFrame | None = None  # the previous batch's last key

    def add(self, accepted: pl.DataFrame) -> None:
        """Take the next batch of accepted rows (the natural-key columns are enough)."""
        if not self._orders or accepted.is_empty():
            return
        keys = accepted.select(self._key)
        if not _separator_free(keys):
            self._orders = []
            return
        seen = keys if self._last is None else pl.concat([self._last, keys], rechunk=False)
        self._orders = [order for order in self._orders if _strictly_ascending(seen, order)]
        self._last = keys.tail(1)

    @property
    def proves_unique(self) -> bool:
        """True when every batch so far was strictly ascending in one column order: no key repeats.

        The orders are the key's own and, for a key holding ``encounter_id``, encounter then time.
        """
        return bool(self._orders)


def _candidate_orders(key: list[str]) -> list[list[str]]:
    """The column orders an extract is usually written in.

    The key's own, and for a key that holds ``encounter_id`` elsewhere than first, by encounter, then
    time (``*_at``, ``*_date``), then the rest. Ascending in any order of all the key's columns means
    that no two rows share a key.
    """
    orders = [key]
    if "encounter_id" in key and key[0] != "encounter_id":
        rest = [c for c in key if c != "encounter_id"]
        timed = [c for c in rest if c.endswith(("_at", "_date"))]
        orders.append(["encounter_id", *timed, *[c for c in rest if c not in timed]])
    return orders


def _strictly_ascending(frame: pl.DataFrame, key: list[str]) -> bool:
    """Each row's key is greater than the row before's, compared column by column (nulls: not proven)."""
    if frame.height < 2:
        return frame.select(pl.all_horizontal(pl.col(key).is_not_null()).all()).item()
    later: pl.Expr | None = None
    for column in reversed(key):
        col, prev = pl.col(column), pl.col(column).shift(1)
        greater = col > prev
        later = greater if later is None else greater | ((col == prev) & later)
    assert later is not None
    return frame.select(later.slice(1).fill_null(False).all()).item()


def _separator_free(keys: pl.DataFrame) -> bool:
    """Distinct key tuples give distinct record keys: one column, or no text value holds the separator."""
    text = [c for c, t in keys.schema.items() if t == pl.Utf8]
    if keys.width < 2 or not text:
        return True
    holds = pl.any_horizontal(pl.col(text).str.contains(RECORD_KEY_SEP, literal=True))
    return not keys.select(holds.any()).item()
