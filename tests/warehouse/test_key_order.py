"""KeyOrder: a file in strictly ascending natural-key order proves that no record key repeats, so the
loader may skip its distinct count. It must never claim that for a file with a repeat."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.key_order import KeyOrder

KEY = ["encounter_id", "seq"]


def _batch(rows: list[tuple[str | None, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"encounter_id": pl.Utf8, "seq": pl.Int64}, orient="row")


def _order(*batches: list[tuple[str | None, int | None]]) -> bool:
    order = KeyOrder(KEY)
    for rows in batches:
        order.add(_batch(rows))
    return order.proves_unique


def test_ascending_across_batches_compares_numbers_as_numbers() -> None:
    assert _order([("E1", 1), ("E1", 2), ("E1", 10)], [], [("E2", 1)], [("E2", 3), ("E3", 1)])


def test_a_repeat_inside_a_batch_or_across_a_boundary_is_not_proven() -> None:
    assert not _order([("E1", 1), ("E1", 1)])
    assert not _order([("E1", 1), ("E1", 2)], [("E1", 2), ("E2", 1)])


def test_descending_or_unsorted_files_take_the_count() -> None:
    assert not _order([("E2", 1), ("E1", 1)])
    assert not _order([("E1", 1), ("E3", 1)], [("E2", 1)])


def test_a_null_key_is_not_proven() -> None:
    assert not _order([("E1", 1), (None, 2)])
    assert not _order([(None, 1)])


def test_the_separator_inside_a_text_key_is_not_proven() -> None:
    # ("A|1", 2) and ("A", "1|2")-like collisions: the record key is text joined by "|"
    assert not _order([("A", 1), ("A|1", 2)])
    single = KeyOrder(["claim_id"])
    single.add(pl.DataFrame({"claim_id": ["A|1", "B|2"]}))
    assert single.proves_unique  # one column: the record key is the value itself


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(["E1", "E2", "E10", "E|", "E"]), st.integers(0, 3)), max_size=6),
        max_size=4,
    )
)
def test_proven_unique_means_no_record_key_repeats(batches: list[list[tuple[str, int]]]) -> None:
    keys = [f"{e}|{s}" for rows in batches for e, s in rows]
    if _order(*batches):
        assert len(keys) == len(set(keys))
    flat = sorted({row for rows in batches for row in rows if "|" not in row[0]})
    assert _order(flat)  # sorted distinct keys are always proven


def test_a_file_by_encounter_then_time_proves_a_key_that_starts_elsewhere() -> None:
    key = ["coder_id", "encounter_id", "activity", "started_at"]
    rows = [
        ("C2", "E1", "code", "2024-01-01T08:00"),
        ("C1", "E1", "review", "2024-01-02T08:00"),
        ("C1", "E2", "code", "2024-01-01T07:00"),
    ]
    frame = pl.DataFrame(rows, schema=key, orient="row")
    order = KeyOrder(key)
    order.add(frame)
    assert order.proves_unique
    order.add(frame.tail(1))  # the same activity again: in no order strictly ascending
    assert not order.proves_unique
