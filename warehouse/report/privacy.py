"""Small-cell suppression for what leadership reads and what is mailed (CMS cell-size policy).

Counts of patients' encounters, claims, charts or audits from 1 to 10 are shown as ``<11``; counts
hidden so that those cannot be worked out from totals (complementary suppression) and every value
built on a hidden count (a rate, a mean, a dollar sum) are shown as ``*``. The rules themselves are
the access layer's :mod:`warehouse.suppression` (hypercube complementary suppression); this module
only says, for the report's frames, which columns are counts, which values are built on which counts
and which columns identify a cell, and turns the result into what the renderers print. Everything
in the report goes through :func:`suppress`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

#: Counts from 1 to this value are small cells.
SMALL_CELL_MAX = 10
#: What a small count shows.
SUPPRESSED_COUNT = "<11"
#: What a value built on a hidden count, or a count hidden to protect a small one, shows.
SUPPRESSED_VALUE = "*"
#: The footnote that explains both marks.
FOOTNOTE = (
    f"Small cells: counts of 1–{SMALL_CELL_MAX} are shown as {SUPPRESSED_COUNT}; values built on them "
    f"(rates, means, dollars) and counts hidden so that they cannot be worked out from totals as "
    f"{SUPPRESSED_VALUE} (CMS cell-size suppression policy)."
)

#: Columns that count patients' encounters, claims, charts or audits (by name, in every query used).
COUNT_COLUMNS: frozenset[str] = frozenset(
    {
        "discharges",
        "inpatient_discharges",
        "prior_discharges",
        "weighted_discharges",
        "claims_submitted",
        "claims_denied",
        "appeals_overturned",
        "appeals_decided",
        "appeals_upheld",
        "appeals_pending",
        "charts_coded",
        "coding_activities",
        "activities",
        "inpatient_charts_coded",
        "encounters_coded",
        "coding_backlog",
        "backlog_count",
        "dnfb_count",
        "drg_audits",
        "drg_mismatches",
        "discharged_to_date",
        "codes_reviewed",
        "audits",
        "eligible_discharges",
        "cc_mcc_discharges",
        "ungrouped_count",
        "drg_not_in_table_count",
        "nearest_fy_count",
        "total_claims_denied",
        "total_discharges",
    }
)

#: Values built on counts: column -> the count columns of the same row it is suppressed with.
DERIVED: Mapping[str, tuple[str, ...]] = {
    "alos_days": ("inpatient_discharges",),
    "inpatient_los_days": ("inpatient_discharges",),
    "cmi": ("weighted_discharges",),
    "weight_sum": ("weighted_discharges",),
    "avg_weight": ("weighted_discharges",),
    "initial_denial_rate": ("claims_submitted", "claims_denied"),
    "denied_amount": ("claims_denied",),
    "all_denied_amount": ("claims_denied",),
    "denial_dollar_rate": ("claims_denied",),
    "billed_amount": ("claims_submitted",),
    "denial_overturn_rate": ("appeals_overturned", "appeals_decided", "appeals_upheld"),
    "recovered_amount": ("appeals_overturned",),
    "charts_per_hour": ("charts_coded",),
    "inpatient_charts_per_hour": ("inpatient_charts_coded",),
    "avg_discharge_to_code_days": ("encounters_coded",),
    "discharge_to_code_days": ("encounters_coded",),
    "median_discharge_to_code_days": ("encounters_coded",),
    "dnfb_amount": ("dnfb_count",),
    "dnfb_days": ("dnfb_count",),
    "backlog_charges": ("backlog_count",),
    "coding_accuracy": ("codes_reviewed",),
    "codes_changed": ("codes_reviewed",),
    "code_accuracy_rate": ("codes_reviewed", "audits"),
    "drg_accuracy": ("drg_audits", "drg_mismatches"),
    "drg_accuracy_rate": ("drg_audits", "drg_mismatches"),
    "cc_mcc_capture_rate": ("eligible_discharges", "cc_mcc_discharges"),
    "share": ("discharges", "claims_denied"),
}


def is_small(value: object) -> bool:
    """True for a count from 1 to :data:`SMALL_CELL_MAX` (0 and None are not small cells)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= SMALL_CELL_MAX


@dataclass(frozen=True)
class Suppressed:
    """A frame after suppression: suppressed cells are null and listed in ``mask``.

    Attributes:
        frame: the values to show (suppressed cells set to null).
        mask: column -> the row indexes suppressed in it.
        counts: the count columns of the frame.
        primary: count column -> the rows whose count is 1–10 (shown ``<11``; other hidden cells ``*``).
    """

    frame: pl.DataFrame
    mask: Mapping[str, frozenset[int]] = field(default_factory=dict)
    counts: frozenset[str] = frozenset()
    primary: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def is_suppressed(self, row: int, column: str) -> bool:
        """True when the cell was suppressed."""
        return row in self.mask.get(column, frozenset())

    def mark(self, column: str, row: int | None = None) -> str:
        """The text a suppressed cell shows: ``<11`` for a small count, ``*`` for anything else hidden."""
        if column not in self.counts:
            return SUPPRESSED_VALUE
        if row is None or row in self.primary.get(column, frozenset()):
            return SUPPRESSED_COUNT
        return SUPPRESSED_VALUE

    @property
    def any(self) -> bool:
        """True when at least one cell was suppressed."""
        return any(self.mask.values())


def suppress(
    frame: pl.DataFrame,
    *,
    enabled: bool = True,
    dimensions: Sequence[str] = (),
    counts: Iterable[str] | None = None,
    derived: Mapping[str, tuple[str, ...]] | None = None,
) -> Suppressed:
    """Suppress the small cells of a frame (the report's one call into the suppression rules).

    Args:
        frame: a table as a query returned it.
        enabled: False for audiences that see every count (managers); the frame is returned as is.
        dimensions: the columns that identify a row when the rows split a total published elsewhere
            (payers of the month, DNFB status × age): complementary suppression then protects the small
            cells against subtraction. Empty: each row stands alone (a month of a trend).
        counts: the count columns (default: the frame's columns in :data:`COUNT_COLUMNS`).
        derived: value column -> its count columns (default :data:`DERIVED`, for the columns present).

    Returns:
        The frame with suppressed cells null, and which cells they were.
    """
    from warehouse import suppression

    chosen = set(counts if counts is not None else COUNT_COLUMNS)
    count_cols = tuple(c for c in frame.columns if c in chosen)
    if not enabled or frame.height == 0:
        return Suppressed(frame, {}, frozenset(count_cols))
    rules = {
        col: tuple(g for g in gates if g in count_cols)
        for col, gates in (derived if derived is not None else DERIVED).items()
        if col in frame.columns and col not in count_cols
    }
    rules = {col: gates for col, gates in rules.items() if gates}
    dims = tuple(dimensions)
    if dims and frame.select(dims).is_duplicated().any():
        dims = ()
    result = suppression.suppress(frame, count_cols, dimensions=dims, rates=rules)
    mask: dict[str, frozenset[int]] = {}
    hidden = result.hidden if count_cols else pl.DataFrame()
    for col in count_cols:
        rows = frozenset(i for i, h in enumerate(hidden[col].to_list()) if h)
        if rows:
            mask[col] = rows
    for col, gates in rules.items():
        rows = frozenset().union(*(mask.get(g, frozenset()) for g in gates))
        if rows:
            mask[col] = rows
    primary = {
        col: frozenset(i for i, p in enumerate(result.primary[col].to_list()) if p) for col in count_cols
    }
    return Suppressed(result.frame, mask, frozenset(count_cols), primary)


def suppress_row(row: Mapping[str, object], *, enabled: bool = True) -> set[str]:
    """Return the keys of a one-row mapping (a scorecard month) that are suppressed."""
    if not enabled:
        return set()
    plain = {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}
    frame = pl.DataFrame([plain], infer_schema_length=None)
    return set(suppress(frame).mask)
