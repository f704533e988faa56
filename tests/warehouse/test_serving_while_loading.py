"""X4 (reliability-tests.md §4b): a reader process keeps answering while ``him load`` runs in another.

A separate process (``faultkit.start_hammer``) runs threads that query the warehouse through one
:class:`warehouse.db.WarehouseReader`, as a dashboard worker does, while the real ``him load`` runs as
another process. The load is held mid-file (``HIM_FAULT=batch:1:pause``) so that the readers are
known to overlap an open read-write build. Every answer must be wholly the old generation or wholly
the new one, there must be no error at all, and the same reader process must see the new rows soon
after the publish, without a restart. (A gunicorn-based variant belongs to the dashboard's tests.)
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import faultkit as fk
import pytest

pytestmark = pytest.mark.timeout(150)

VISIBLE_WITHIN_S = 10.0


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse of 40 encounters (built once per session)."""
    return fk.base_warehouse(tmp_path_factory.getbasetemp())


def _answer(pointer: Path) -> list[int]:
    gen = fk.published(pointer)
    assert gen is not None
    con = duckdb.connect(str(gen), read_only=True, config=dict(fk.SERVING_CONFIG))
    try:
        return list(con.execute(fk.HAMMER_SQL).fetchone())  # type: ignore[arg-type]
    finally:
        con.close()


def test_x4_reader_process_keeps_answering_while_a_load_runs(base: Path, tmp_path: Path) -> None:
    wh = fk.clone_warehouse(base, tmp_path / "wh")
    new_extract = fk.write_extract(tmp_path / "new", encounters=40, start=1000)
    old = _answer(wh)
    out, stop = tmp_path / "answers.jsonl", tmp_path / "stop"
    release = tmp_path / "release"
    reached = Path(str(release) + ".reached")

    hammer = fk.start_hammer(wh, out, stop)
    with fk.killing(hammer):
        fk.wait_for(lambda: len(fk.read_hammer(out)) >= 20 or hammer.poll() is not None, what="first answers")
        assert hammer.poll() is None, hammer.communicate()
        load = fk.start_him(
            "load",
            new_extract,
            "--warehouse",
            wh,
            fault="batch:1:pause",
            batch_rows=10,
            env={"HIM_FAULT_RELEASE": str(release), "HIM_FAULT_PAUSE_MAX": "60"},
        )
        with fk.killing(load):
            fk.wait_for(lambda: reached.exists() or load.poll() is not None, timeout=60, what="load mid-file")
            assert load.poll() is None, load.communicate()
            # The build is open read-write beside the served file: readers keep answering from it.
            seen = len(fk.read_hammer(out))
            fk.wait_for(lambda: len(fk.read_hammer(out)) >= seen + 20, what="answers during the load")
            released_at = time.time()
            release.touch()
            _o, err = load.communicate(timeout=60)
            published_at = time.time()
        assert load.returncode == 0, err
        new = _answer(wh)
        assert new != old
        fk.wait_for(
            lambda: any(a[2] == new for a in fk.read_hammer(out)),
            timeout=VISIBLE_WITHIN_S,
            what="the reader process to see the new generation",
        )
        count = len(fk.read_hammer(out))
        fk.wait_for(lambda: len(fk.read_hammer(out)) >= count + 20, what="more answers")
        stop.touch()
        _o, err = hammer.communicate(timeout=30)
    assert hammer.returncode == 0, err

    answers = fk.read_hammer(out)
    errors = [a for a in answers if a[0] != "ok"]
    assert errors == [], errors[:5]
    assert {tuple(a[2]) for a in answers} <= {tuple(old), tuple(new)}  # type: ignore[arg-type]
    before_publish = [a[2] for a in answers if a[1] < released_at]  # the load was held mid-file
    assert len(before_publish) >= 40
    assert all(v == old for v in before_publish)
    first_new = min(a[1] for a in answers if a[2] == new)
    assert first_new - published_at < VISIBLE_WITHIN_S
    for worker in {a[3] for a in answers}:
        mine = [a[2] for a in answers if a[3] == worker]
        switched = mine.index(new) if new in mine else len(mine)
        assert all(v == old for v in mine[:switched]), f"thread {worker} went back to the old data"
        assert all(v == new for v in mine[switched:]), f"thread {worker} went back to the old data"
        assert mine[-1] == new  # the same process serves the new rows without a restart
