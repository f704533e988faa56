"""The result cache: a repeated view is served from memory, but never across users, scopes or loads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import flask
import polars as pl
import pytest

from dashboard import data, result_cache
from dashboard.security.scope import Scope, set_scope
from warehouse import catalog
from warehouse.filters import Filters

QUERY = "denials.by_payer"
FILTERS = Filters(date_from="2025-01-01", date_to="2025-12-31")


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(result_cache, "CACHE", result_cache.ResultCache(64 << 20))


def _as(user: str, roles: set[str], facilities: tuple[str, ...] = ()) -> flask.ctx.RequestContext:
    ctx = flask.Flask(__name__).test_request_context("/")
    ctx.push()
    set_scope(Scope(user, frozenset(roles), facilities))
    return ctx


def test_a_repeated_query_is_a_hit_with_the_same_rows() -> None:
    first = data.run(QUERY, FILTERS)
    second = data.run(QUERY, FILTERS)
    assert (result_cache.stats().misses, result_cache.stats().hits) == (1, 1)
    assert second.equals(first)
    assert first.equals(catalog.run(QUERY, FILTERS))
    data.run(QUERY, Filters(date_from="2025-01-01", date_to="2025-06-30"))
    assert result_cache.stats().misses == 2  # other parameters: another entry


def test_users_and_scopes_never_share_an_entry() -> None:
    seen = []
    for user, roles, facilities in (
        ("ana", {"analyst"}, ()),
        ("bob", {"analyst"}, ()),  # same roles, another user: still another entry
        ("lee", {"leadership"}, ()),  # suppressed
        ("fay", {"analyst"}, ("FAC01",)),  # facility-limited
    ):
        ctx = _as(user, roles, facilities)
        try:
            seen.append(data.run(QUERY, FILTERS))
        finally:
            ctx.pop()
    assert result_cache.stats().hits == 0
    assert result_cache.stats().misses == 4
    assert seen[0].equals(seen[1])
    assert not seen[2].equals(seen[0])  # leadership sees small cells suppressed
    assert seen[3]["claims_submitted"].sum() < seen[0]["claims_submitted"].sum()  # FAC01 only


def test_a_new_generation_is_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    data.run(QUERY, FILTERS)
    identity = data._served_generation()
    assert identity is not None
    monkeypatch.setattr(data, "_served_generation", lambda: (identity[0] + ".next", identity[1], identity[2]))
    data.run(QUERY, FILTERS)
    assert (result_cache.stats().misses, result_cache.stats().hits) == (2, 0)


def test_generation_identity_changes_when_the_file_is_replaced(tmp_path: Path) -> None:
    gen = tmp_path / "gen-000001.duckdb"
    gen.write_bytes(b"x" * 10)
    before = result_cache.generation_identity(gen)
    time.sleep(0.01)
    gen.write_bytes(b"y" * 12)
    os.utime(gen, ns=(time.time_ns(), time.time_ns()))
    assert result_cache.generation_identity(gen) != before
    assert result_cache.generation_identity(tmp_path / "missing.duckdb") is None


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    frame = pl.DataFrame({"x": list(range(1000))})  # 8 kB
    size = frame.estimated_size()
    cache = result_cache.ResultCache(size * 3)
    for key in "abc":
        cache.put(key, frame)
    assert cache.stats.entries == 0  # each is over a twentieth of the budget: not kept
    cache = result_cache.ResultCache(size * 60)
    for key in range(70):
        cache.put(key, frame)
        cache.get(0)  # keep 0 in use
    assert cache.stats.bytes <= cache.max_bytes
    assert cache.get(0) is not None
    assert cache.get(1) is None
    assert cache.get(69) is not None


def test_turned_off_with_zero_budget() -> None:
    cache = result_cache.ResultCache(0)
    cache.put("a", pl.DataFrame({"x": [1]}))
    assert cache.get("a") is None
