"""Small-cell suppression (CMS cell-size policy) with complementary suppression.

CMS's policy: no cell with a count from 1 to 10 is shown; it is displayed as ``<11``, and a rate or
other value computed from such a cell is not shown either. Hiding the small cells is not enough when
totals are published (on a KPI card, in a total row, on another chart): a lone hidden cell in a row is
the row total minus the visible cells. So more cells are hidden (*complementary* suppression) until
every hidden small cell can take other values consistent with everything published.

The method is the *hypercube* method used by statistical agencies (Repsilber; τ-ARGUS's HYPERCUBE):
for each primary cell ``p`` in a table with dimensions ``d1 … dk``, choose one other value per
dimension; the ``2**k`` cells at the corners of that box are hidden. Adding ``+δ`` to the corners with
an even number of changed coordinates and ``-δ`` to the others leaves every row, column and
lower-dimensional total unchanged, so an attacker who knows all totals and all visible cells still
cannot tell ``p`` from ``p + δ``. A box is only accepted when some ``δ ≠ 0`` keeps every corner within
what the attacker knows about it: a primary cell is in 1…10 (the ``<11`` marker says so) and a
complementary cell is at least 11 (zeros are never hidden and never used as complements). Boxes
already hidden are reused first; otherwise the box hiding the smallest total is chosen.

A cell that no box can protect (e.g. the only non-zero cell of its line) is reported in
:attr:`Suppressed.unprotected`; whoever shows a total over that line must hide the total too.

Everything here is a pure function of a Polars frame: the dashboard (leadership views), the report
and aggregate exports all call :func:`suppress`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

#: Counts below this (and above zero) are primary-suppressed.
THRESHOLD = 11
#: How a primary-suppressed count is shown.
PRIMARY_MARK = "<11"
#: How a complementary-suppressed count is shown (it is 11 or more; its value is withheld).
COMPLEMENT_MARK = "*"
#: Above this many candidate boxes per cell the search looks at the first ones only.
MAX_BOXES = 20_000

Cell = tuple[Any, ...]


@dataclass(frozen=True)
class Suppressed:
    """The result of :func:`suppress`.

    Attributes:
        frame: the input with every suppressed count, and every rate built on one, set to null.
        primary: per count column, True where the count is 1 … 10.
        complementary: per count column, True where a larger count is hidden to protect a small one.
        unprotected: (count column, cell) pairs that no box could protect inside this frame: a total
            over their line must not be shown either.
        counts: the count columns.
        rates: the rate columns.
    """

    frame: pl.DataFrame
    primary: pl.DataFrame
    complementary: pl.DataFrame
    unprotected: tuple[tuple[str, Cell], ...]
    counts: tuple[str, ...]
    rates: tuple[str, ...]

    @property
    def hidden(self) -> pl.DataFrame:
        """Per count column, True where the count is hidden (primary or complementary)."""
        return pl.DataFrame({c: self.primary[c] | self.complementary[c] for c in self.counts})

    def text(self, original: pl.DataFrame | None = None) -> pl.DataFrame:
        """Return the frame for display: counts as text (``<11``, ``*`` or the number), rates null.

        Args:
            original: the unsuppressed frame (to format the visible counts); default: :attr:`frame`.
        """
        base = self.frame if original is None else original
        columns = []
        for c in self.counts:
            numbers = base[c].cast(pl.Int64, strict=False).cast(pl.String).to_list()
            shown = [
                PRIMARY_MARK if p else COMPLEMENT_MARK if q else n
                for p, q, n in zip(self.primary[c], self.complementary[c], numbers, strict=True)
            ]
            columns.append(pl.Series(c, shown, dtype=pl.String))
        return self.frame.with_columns(columns)


def _interval(value: int, sign: int, primary: bool, threshold: int) -> tuple[float, float]:
    """The δ range keeping ``value + sign·δ`` within what an attacker knows about the cell."""
    low, high = (1.0, float(threshold - 1)) if primary else (float(threshold), float("inf"))
    a, b = (low - value) / sign, (high - value) / sign
    return (min(a, b), max(a, b))


def _box_ok(
    corners: Sequence[tuple[Cell, int]], values: Mapping[Cell, int], primary: set[Cell], threshold: int
) -> tuple[bool, float]:
    lo, hi = -float("inf"), float("inf")
    for cell, sign in corners:
        v = values.get(cell)
        if v is None or v <= 0:
            return False, 0.0  # an absent or zero cell is a visible 0: it cannot move
        a, b = _interval(v, sign, cell in primary, threshold)
        lo, hi = max(lo, a), min(hi, b)
        if lo > -1 and hi < 1:
            return False, 0.0
    return (lo <= -1 or hi >= 1), min(hi, 1e9) - max(lo, -1e9)


def _corners(p: Cell, alt: Sequence[Any], axes: Sequence[int]) -> list[tuple[Cell, int]]:
    out = []
    for bits in itertools.product((0, 1), repeat=len(axes)):
        cell = list(p)
        for bit, axis, value in zip(bits, axes, alt, strict=True):
            if bit:
                cell[axis] = value
        out.append((tuple(cell), -1 if sum(bits) % 2 else 1))
    return out


def _protect_column(
    values: dict[Cell, int], dims: int, threshold: int
) -> tuple[set[Cell], set[Cell], list[Cell]]:
    """Return (primary, complementary, unprotected) cells of one count column."""
    primary = {c for c, v in values.items() if 0 < v < threshold}
    hidden = set(primary)
    unprotected: list[Cell] = []
    if dims == 0:
        return primary, set(), []
    levels = [sorted({c[k] for c in values}, key=lambda x: (x is None, str(x))) for k in range(dims)]
    axes = list(range(dims))
    for p in sorted(primary, key=lambda c: (values[c], str(c))):
        alternatives = [[v for v in levels[k] if v != p[k]] for k in axes]
        if any(not alts for alts in alternatives):
            unprotected.append(p)
            continue
        boxes = itertools.product(*alternatives)
        n_boxes = 1
        for alts in alternatives:
            n_boxes *= len(alts)
        if n_boxes > MAX_BOXES:  # huge tables: look at the first MAX_BOXES boxes only
            boxes = itertools.islice(boxes, MAX_BOXES)
        best: tuple[float, int, float, list[tuple[Cell, int]]] | None = None
        for alt in boxes:
            corners = _corners(p, alt, axes)
            ok, width = _box_ok(corners, values, primary, threshold)
            if not ok:
                continue
            new = [c for c, _ in corners if c not in hidden]
            cost = float(sum(values[c] for c in new))
            key = (cost, len(new), -width)
            if best is None or key < best[:3]:
                best = (cost, len(new), -width, corners)
                if cost == 0:
                    break  # protected by cells already hidden
        if best is None:
            unprotected.append(p)
            continue
        hidden.update(c for c, _ in best[3])
    return primary, hidden - primary, unprotected


def suppress(
    frame: pl.DataFrame,
    counts: Sequence[str],
    *,
    dimensions: Sequence[str] = (),
    by: Sequence[str] = (),
    rates: Sequence[str] | Mapping[str, Sequence[str]] = (),
    threshold: int = THRESHOLD,
) -> Suppressed:
    """Suppress small counts, and enough other counts that none can be worked out.

    Args:
        frame: one row per cell of a table (the dimension values identify the cell).
        counts: columns holding counts of people or encounters.
        dimensions: the columns that identify a cell (e.g. ``month``, ``payer``). Without dimensions
            each row stands alone and only primary suppression applies.
        by: columns that split the frame into separate tables (e.g. ``dimension`` in a long frame of
            "discharges by sex", "… by race" …); each is protected on its own ``dimensions``.
        rates: columns computed from the counts (rates, shares, means, amounts). A sequence: hidden
            when any count of the row is hidden; a mapping rate → its source counts: hidden when one of
            those is hidden.
        threshold: counts from 1 to ``threshold - 1`` are small (CMS: 11).

    Raises:
        ValueError: a column is missing, or two rows have the same dimension values.
    """
    counts = tuple(counts)
    dims = tuple(dimensions)
    by = tuple(by)
    rate_sources = (
        {r: tuple(counts) for r in rates}
        if not isinstance(rates, Mapping)
        else {r: tuple(s) for r, s in rates.items()}
    )
    missing = [c for c in (*counts, *dims, *by, *rate_sources) if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the frame: {', '.join(missing)}")
    if dims and frame.select([*by, *dims]).is_duplicated().any():
        raise ValueError(f"the dimensions {', '.join((*by, *dims))} do not identify one row each")
    keys: list[Cell] = (
        [tuple(r) for r in frame.select(dims).iter_rows()] if dims else [(i,) for i in range(frame.height)]
    )
    groups: list[Cell] = [tuple(r) for r in frame.select(by).iter_rows()] if by else [()] * frame.height
    primary_cols: dict[str, list[bool]] = {}
    complement_cols: dict[str, list[bool]] = {}
    unprotected: list[tuple[str, Cell]] = []
    for c in counts:
        prim: set[Cell] = set()
        comp: set[Cell] = set()
        column = frame[c].to_list()
        for group in dict.fromkeys(groups):
            values = {
                k: int(v)
                for k, g, v in zip(keys, groups, column, strict=True)
                if g == group and v is not None
            }
            p, q, unprot = _protect_column(values, len(dims), threshold)
            prim.update(group + k for k in p)
            comp.update(group + k for k in q)
            unprotected.extend((c, group + k) for k in unprot)
        primary_cols[c] = [g + k in prim for g, k in zip(groups, keys, strict=True)]
        complement_cols[c] = [g + k in comp for g, k in zip(groups, keys, strict=True)]
    primary = pl.DataFrame(primary_cols, schema={c: pl.Boolean for c in counts})
    complementary = pl.DataFrame(complement_cols, schema={c: pl.Boolean for c in counts})
    hidden = {
        c: pl.Series(
            [a or b for a, b in zip(primary_cols[c], complement_cols[c], strict=True)], dtype=pl.Boolean
        )
        for c in counts
    }
    updates = [pl.when(hidden[c]).then(None).otherwise(pl.col(c)).alias(c) for c in counts]
    for r, sources in rate_sources.items():
        any_hidden = pl.Series([False] * frame.height, dtype=pl.Boolean)
        for s in sources:
            any_hidden = any_hidden | hidden[s]
        updates.append(pl.when(any_hidden).then(None).otherwise(pl.col(r)).alias(r))
    out = frame.with_columns(updates) if updates else frame
    return Suppressed(out, primary, complementary, tuple(unprotected), counts, tuple(rate_sources))


def suppress_text(
    frame: pl.DataFrame,
    counts: Sequence[str],
    *,
    dimensions: Sequence[str] = (),
    by: Sequence[str] = (),
    rates: Sequence[str] | Mapping[str, Sequence[str]] = (),
    threshold: int = THRESHOLD,
) -> pl.DataFrame:
    """:func:`suppress`, returned ready to display: counts as text (``<11``, ``*``), rates null."""
    result = suppress(frame, counts, dimensions=dimensions, by=by, rates=rates, threshold=threshold)
    return result.text(frame)


def small_counts(frame: pl.DataFrame, counts: Sequence[str], threshold: int = THRESHOLD) -> int:
    """How many visible counts in 1 … ``threshold - 1`` a frame holds (0 after :func:`suppress`)."""
    total = 0
    for c in counts:
        col = frame[c]
        if col.dtype.is_numeric():
            total += int(((col > 0) & (col < threshold)).sum())
    return total
