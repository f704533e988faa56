"""Invariants as "select the violating rows" SQL over query results on the generated warehouse.

Each case runs one catalog query, registers its frame as ``result`` and runs SQL that selects the rows
breaking the invariant (the warehouse tables are in scope too); the test passes when none come back.
"""

from __future__ import annotations

import pytest

from warehouse import catalog
from warehouse.filters import Filters

YEAR = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
AS_OF = {"as_of": "2025-06-30"}


def _rate_cases():
    for name in sorted(catalog.queries()):
        q = catalog.get(name)
        rates = [c.name for c in q.returns if c.name.endswith(("_rate", "share", "accuracy"))]
        if rates and q.family != "explorer":
            cond = " or ".join(f"not ({r} between 0 and 1)" for r in rates)
            yield pytest.param(name, {}, f"select * from result where {cond}", id=f"rate_in_0_1:{name}")


CASES = [
    *_rate_cases(),
    pytest.param(
        "denials.by_payer",
        {},
        "select * from result where claims_denied > claims_submitted "
        "or denied_amount > billed_amount or appeals_overturned + appeals_upheld > claims_denied",
        id="denied_not_more_than_submitted",
    ),
    pytest.param(
        "denials.trend",
        {"grain": "month"},
        "select * from result where claims_denied > claims_submitted or denied_amount > billed_amount",
        id="denied_not_more_than_submitted_per_month",
    ),
    pytest.param(
        "coding.productivity",
        {},
        """select r.chart_type, sum(r.charts_coded) as in_rows
           from result as r group by r.chart_type
           having sum(r.charts_coded) <> (
               select count(*) from coding_activity as a
               where a.chart_type = r.chart_type and a.activity = 'code'
                 and cast(a.completed_at as date) between date '2025-01-01' and date '2025-12-31')""",
        id="productivity_rows_hold_one_chart_type",
    ),
    pytest.param(
        "coding.productivity",
        {},
        "select coder_id, chart_type, count(*) from result "
        "group by coder_id, chart_type having count(*) > 1 or chart_type is null",
        id="one_row_per_coder_and_chart_type",
    ),
    pytest.param(
        "demographics.mix",
        {},
        "select dimension, sum(share) from result group by dimension having abs(sum(share) - 1) > 1e-9",
        id="mix_shares_sum_to_one",
    ),
    pytest.param(
        "drg.cmi",
        {},
        "select * from result where weighted_discharges + ungrouped_count "
        "+ drg_not_in_table_count <> inpatient_discharges or nearest_fy_count > weighted_discharges",
        id="cmi_counts_add_up",
    ),
    pytest.param(
        "drg.mix",
        {},
        "select * from result where weighted_discharges > discharges",
        id="drg_mix_weighted_within_discharges",
    ),
    pytest.param(
        "coding.accuracy_by_coder",
        {},
        "select * from result where codes_changed > codes_reviewed or drg_mismatches > drg_audits",
        id="changes_within_reviews",
    ),
    pytest.param(
        "operations.coding_backlog",
        AS_OF,
        "select * from result where backlog_count > discharged_count",
        id="backlog_within_population",
    ),
    pytest.param(
        "operations.dnfb",
        AS_OF,
        "select * from result where dnfb_count > discharged_count or dnfb_amount < 0 or dnfb_days < 0",
        id="dnfb_within_population",
    ),
    pytest.param(
        "operations.dnfb_split",
        AS_OF,
        "select * from result where aging_bucket = '0-3' and bucket_order <> 1 "
        "union all select * from result where dnfb_count <= 0",
        id="dnfb_split_buckets",
    ),
    pytest.param(
        "operations.oldest_unbilled",
        AS_OF,
        "select * from result where days_since_discharge <= 3",
        id="oldest_unbilled_past_hold",
    ),
    pytest.param(
        "scorecard.trend",
        {"month": "2025-06"},
        "select * from result where coding_backlog > discharged_to_date or dnfb_count > discharged_to_date "
        "or charts_coded > coding_activities or inpatient_discharges > discharges",
        id="scorecard_counts_nest",
    ),
]


@pytest.mark.parametrize(("name", "extra", "violations_sql"), CASES)
def test_no_violating_rows(gen_con, name, extra, violations_sql):
    frame = catalog.run(name, Filters(**{**YEAR, **AS_OF, "month": "2025-06", **extra}), con=gen_con)
    assert frame.height > 0, "the invariant would pass vacuously"
    gen_con.register("result", frame)
    try:
        violating = gen_con.sql(violations_sql).fetchall()
    finally:
        gen_con.unregister("result")
    assert violating == []
