"""The monthly rollups give exactly the base queries' numbers (scorecard.trend_rollup = scorecard.trend)."""

from __future__ import annotations

import duckdb
import pytest
from polars.testing import assert_frame_equal

from warehouse import catalog, rollups
from warehouse.filters import Filters

CASES = [
    ("2025-03", {}),
    ("2024-12", {"facility": ("F1",)}),
    ("2025-09", {"patient_type": ("inpatient",)}),
    ("2025-10", {"payer": ("Aetna",), "bill_hold_days": 0}),
    ("2026-01", {"financial_class": ("commercial", "medicare"), "service_line": ("Ortho",)}),
    ("2025-06", {"bill_hold_days": 30, "patient_type": ("outpatient", "observation")}),
    ("2025-05", {"facility": ("nowhere",)}),
    ("2024-06", {}),  # the trend reaches back before the first discharge
]


@pytest.mark.parametrize(("month", "filters"), CASES)
def test_rollup_trend_equals_base_trend(gen_con, month, filters):
    f = Filters(month=month, **filters)
    base = catalog.run("scorecard.trend", f, con=gen_con)
    fast = catalog.run("scorecard.trend_rollup", f, con=gen_con)
    assert base.height == 13
    assert_frame_equal(fast, base)


def test_build_is_repeatable(tmp_path, create_wh):
    con = create_wh(tmp_path / "w.duckdb")
    con.execute(
        "insert into encounters (encounter_id, patient_key, facility_id, patient_type, admit_date, "
        "discharge_date, age_years, age_90_plus, primary_payer, financial_class, total_charges, load_id) "
        "values ('E1', 'p', 'F1', 'inpatient', '2025-03-01', '2025-03-02', 40, false, 'A', 'other', 10, 1)"
    )
    first = rollups.build(con)
    assert set(first) == set(rollups.tables())
    assert first["rollup_discharges"] == 1
    assert rollups.build(con) == first
    con.close()


def test_rollup_tables_are_read_only_for_serving(generated):
    con = duckdb.connect(str(generated[0]), read_only=True)
    for table in rollups.tables():
        assert con.execute(f"select count(*) from {table}").fetchall()[0][0] >= 0
    con.close()
