"""S4: SQL-injection strings in every text parameter are plain values: the same result as a filter that
matches nothing, no error that leaks SQL, and the tables intact."""

from __future__ import annotations

from importlib.resources import files

import pytest
from polars.testing import assert_frame_equal

from warehouse import catalog
from warehouse.catalog import BadParameter
from warehouse.filters import Filters

PAYLOADS = [
    "' OR 1=1--",
    "1; DROP TABLE encounters",
    ") UNION SELECT encounter_id FROM encounters --",
    "read_csv('/etc/passwd')",
    "\x00",
    "F1' OR 'x'='x",
    "$facility",
]
NO_MATCH = "__matches_nothing__"
BASE = {"date_from": "2024-01-01", "date_to": "2025-12-31", "as_of": "2025-06-30", "month": "2025-06"}


def _list_params(q):
    return [p.name for p in q.params if p.type == "VARCHAR[]"]


QUERIES = [n for n in sorted(catalog.queries()) if _list_params(catalog.get(n))]


def _digest(con):
    tables = [r[0] for r in con.sql("select table_name from information_schema.tables order by 1").fetchall()]
    return {t: con.sql(f'select count(*), sum(hash(x)) from "{t}" as x').fetchall()[0] for t in tables}


def _params(q, overrides):
    return {
        k: v
        for k, v in {**Filters(**{k: v for k, v in BASE.items()}).params(), **overrides}.items()
        if k in q.param_names
    }


@pytest.mark.parametrize("name", QUERIES)
def test_payloads_in_every_list_param_are_plain_values(gen_con, name):
    q = catalog.get(name)
    before = _digest(gen_con)
    for param in _list_params(q):
        nothing = catalog.run(name, _params(q, {param: [NO_MATCH]}), con=gen_con)
        # every payload in one list, and a payload passed as a bare string
        assert_frame_equal(catalog.run(name, _params(q, {param: PAYLOADS}), con=gen_con), nothing)
        assert_frame_equal(catalog.run(name, _params(q, {param: PAYLOADS[0]}), con=gen_con), nothing)
    # each payload alone, in every list parameter at once
    nothing = catalog.run(name, _params(q, {p: [NO_MATCH] for p in _list_params(q)}), con=gen_con)
    for payload in PAYLOADS:
        got = catalog.run(name, _params(q, {p: [payload] for p in _list_params(q)}), con=gen_con)
        assert_frame_equal(got, nothing)
    assert _digest(gen_con) == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_through_filters(gen_con, payload):
    for field in ("facility", "payer", "service_line"):
        got = catalog.run("scorecard.monthly", Filters(month="2025-06", **{field: (payload,)}), con=gen_con)
        want = catalog.run("scorecard.monthly", Filters(month="2025-06", **{field: (NO_MATCH,)}), con=gen_con)
        assert_frame_equal(got, want)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_scalar_params_are_refused_cleanly(gen_con, payload):
    with pytest.raises(BadParameter) as err:
        catalog.run("denials.trend", {"grain": payload}, con=gen_con)
    message = str(err.value)
    assert message.startswith("grain: ")
    assert "use one of day, week, month, quarter, year" in message
    with pytest.raises(BadParameter):
        catalog.run("operations.dnfb", {"as_of": payload}, con=gen_con)
    with pytest.raises(BadParameter):
        catalog.run("operations.dnfb", {"bill_hold_days": payload}, con=gen_con)


def test_sql_files_are_not_templates():
    for entry in files("queries").iterdir():
        if entry.name.endswith(".sql"):
            text = entry.read_text(encoding="utf-8")
            assert "{" not in text, entry.name
            assert "%s" not in text, entry.name
