"""data_quality.* on a hand-made load history."""

from __future__ import annotations

import datetime as dt

import pytest

from warehouse import catalog


@pytest.fixture
def dq(wh):
    t = dt.datetime(2025, 4, 1, 8, 0)
    wh.con.executemany(
        "insert into load_log (load_id, run_id, file_name, file_path, family, rows_read, accepted, rejected, "
        "flagged, started_at, finished_at, outcome) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, "r1", "enc.csv", "/x/enc.csv", "encounters", 10, 8, 2, 2, t, t, "loaded_with_rejects"),
            (2, "r1", "claims.csv", "/x/claims.csv", "claims", 5, 5, 0, 1, t, t, "loaded"),
            (3, "r2", "enc2.csv", "/x/enc2.csv", "encounters", 10, 10, 0, 2, t, None, "loaded"),
        ],
    )
    wh.con.executemany(
        "insert into rejects (load_id, family, file_name, line, rule, message) values (?, ?, ?, ?, ?, ?)",
        [
            (1, "encounters", "enc.csv", 3, "invalid_date", "m"),
            (1, "encounters", "enc.csv", 7, "required_missing", "m"),
            (1, "encounters", "enc.csv", 9, "invalid_date", "m"),
        ],
    )
    wh.con.executemany(
        "insert into flags values (?, ?, ?, null, null, ?, ?, ?)",
        [
            ("encounters", "E1", "drg_not_in_table", 1, 1, 3),  # resolved by the latest load
            ("encounters", "E2", "drg_not_in_table", 1, 3, None),  # still open
            ("encounters", "E3", "drg_not_in_table", 3, 3, None),  # new in the latest load
            ("claims", "K1", "unknown_carc", 2, 2, None),  # the family's only load: new
        ],
    )
    return wh


def run(dq, name):
    return catalog.run(name, {}, con=dq.con)


def test_load_log(dq):
    frame = run(dq, "data_quality.load_log")
    assert frame["load_id"].to_list() == [3, 2, 1]
    assert frame["reject_rate"].to_list() == [0.0, 0.0, 0.2]
    assert frame["finished_at"].to_list()[0] is None


def test_rejects_by_rule(dq):
    assert run(dq, "data_quality.rejects_by_rule").rows() == [
        (1, "encounters", "enc.csv", "invalid_date", 2),
        (1, "encounters", "enc.csv", "required_missing", 1),
    ]


def test_flags(dq):
    assert run(dq, "data_quality.flags_by_kind").rows() == [
        ("claims", "unknown_carc", 1, 0),
        ("encounters", "drg_not_in_table", 2, 1),
    ]
    assert run(dq, "data_quality.flags_since_previous_load").rows() == [
        ("claims", "unknown_carc", 2, None, 1, 0, 0),
        ("encounters", "drg_not_in_table", 3, 1, 1, 1, 1),
    ]


def test_empty_history(wh):
    for name in ("data_quality.load_log", "data_quality.rejects_by_rule", "data_quality.flags_by_kind"):
        assert catalog.run(name, {}, con=wh.con).is_empty()
