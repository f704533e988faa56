"""The intermediate layer and the formulations built on it, on the generated warehouse.

- each ``int_*`` table built at load equals its definition (the ``int_*_view`` of warehouse/schema.sql);
- the snapshot trends (running totals of dated changes) equal the one-date queries at every snapshot;
- every month of ``scorecard.trend`` equals ``scorecard.monthly`` of that month;
- on the demo warehouse, the by-value queries the pages draw one line per payer / facility from equal
  the query they replaced run once per value (the pages' former emulation), and ``drg.mix_by_mdc``
  equals ``drg.mix`` summed per MDC (the treemap's MDC boxes).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from warehouse import catalog, rollups
from warehouse.filters import Filters

INTERMEDIATE = [t for t in rollups.tables() if t.startswith("int_")]


@pytest.mark.parametrize("table", INTERMEDIATE)
def test_intermediate_tables_equal_their_definitions(gen_con, table):
    kinds = dict(gen_con.sql("select table_name, 'table' from duckdb_tables()").fetchall())
    assert kinds.get(table) == "table", "rollups.build makes a table of it"
    rows = gen_con.sql(f"select count(*) from {table}").fetchall()[0][0]
    assert rows > 0
    for a, b in ((table, f"{table}_view"), (f"{table}_view", table)):
        missing = gen_con.sql(f"select count(*) from (select * from {a} except all select * from {b})")
        assert missing.fetchall()[0][0] == 0, f"rows of {a} not in {b}"


def test_schema_only_files_answer_through_the_views(tmp_path, create_wh):
    con = create_wh(tmp_path / "w.duckdb")

    def kinds():
        return dict(
            con.sql(
                "select view_name, 'view' from duckdb_views() where not internal "
                "union all select table_name, 'table' from duckdb_tables()"
            ).fetchall()
        )

    before = kinds()
    assert {before.get(t) for t in INTERMEDIATE} == {"view"}
    assert not any(t in before for t in rollups.tables() if t.startswith("rollup_"))
    rollups.build(con)
    after = kinds()
    assert {after[t] for t in INTERMEDIATE} == {"table"}
    assert {after[t] for t in rollups.tables() if t.startswith("rollup_")} == {"view"}
    con.close()


TREND_CASES = [
    ({"date_from": "2024-01-01", "date_to": "2026-01-31", "grain": "month"}, {}),
    ({"date_from": "2025-02-10", "date_to": "2025-05-20", "grain": "week"}, {"facility": ("F1",)}),
    ({"date_from": "2025-03-01", "date_to": "2025-04-15", "grain": "day"}, {"patient_type": ("inpatient",)}),
    ({"date_from": "2023-06-01", "date_to": "2026-06-30", "grain": "quarter"}, {"payer": ("Aetna", "Cigna")}),
    ({"date_from": "2024-01-01", "date_to": "2026-12-31", "grain": "year"}, {"service_line": ("Ortho",)}),
    # month grain, the last period ending inside a month on date_to (month ends read from int_month_ends)
    ({"date_from": "2025-01-01", "date_to": "2025-08-15", "grain": "month"}, {"facility": ("F2",)}),
    # month ends after int_month_ends' last month (nothing changes any more)
    ({"date_from": "2025-10-01", "date_to": "2026-11-30", "grain": "month"}, {}),
    # a range past today and the data: clamped to today, a last snapshot that is not date_to
    ({"date_from": "2025-06-01", "date_to": "2027-06-30", "grain": "month"}, {"facility": ("F1",)}),
]


@pytest.mark.parametrize(("period", "filters"), TREND_CASES)
@pytest.mark.parametrize("hold", [0, 3, 30])
def test_snapshot_trends_equal_the_one_date_queries(gen_con, period, filters, hold):
    f = Filters(**period, **filters, bill_hold_days=hold)
    backlog = catalog.run("operations.backlog_trend", f, con=gen_con)
    dnfb = catalog.run("operations.dnfb_trend", f, con=gen_con)
    assert backlog.height > 0
    assert backlog["as_of"].to_list() == dnfb["as_of"].to_list()
    for b, d in zip(backlog.iter_rows(named=True), dnfb.iter_rows(named=True), strict=True):
        at = Filters(**filters, as_of=b["as_of"], bill_hold_days=hold)
        one = catalog.run("operations.coding_backlog", at, con=gen_con).row(0, named=True)
        assert (b["discharged_count"], b["backlog_count"]) == (one["discharged_count"], one["backlog_count"])
        one = catalog.run("operations.dnfb", at, con=gen_con).row(0, named=True)
        got = {k: d[k] for k in ("dnfb_count", "dnfb_amount", "gross_charges_90d_amount", "dnfb_days")}
        assert got == {k: one[k] for k in got}


@pytest.mark.parametrize(
    ("month", "filters"),
    [
        ("2025-06", {}),
        ("2024-11", {"facility": ("F2",), "bill_hold_days": 0}),
        ("2026-01", {"payer": ("Self",)}),
    ],
)
def test_every_trend_month_equals_the_monthly_scorecard(gen_con, month, filters):
    trend = catalog.run("scorecard.trend", Filters(month=month, **filters), con=gen_con)
    for row in trend.iter_rows():
        monthly = catalog.run("scorecard.monthly", Filters(month=row[0], **filters), con=gen_con)
        assert_frame_equal(monthly, trend.filter(trend["month"] == row[0]))


# (scorecard column, family query, its column); None = the sum of two columns, see below
SAME = [
    ("discharges", "demographics.volume", "discharges"),
    ("inpatient_discharges", "demographics.volume", "inpatient_discharges"),
    ("inpatient_los_days", "demographics.volume", "inpatient_los_days"),
    ("weighted_discharges", "drg.cmi", "weighted_discharges"),
    ("weight_sum", "drg.cmi", "weight_sum"),
    ("claims_submitted", "denials.summary", "claims_submitted"),
    ("claims_denied", "denials.summary", "claims_denied"),
    ("denied_amount", "denials.summary", "denied_amount"),
    ("appeals_overturned", "denials.summary", "appeals_overturned"),
    ("coding_activities", "coding.productivity_summary", "activities"),
    ("charts_coded", "coding.productivity_summary", "charts_coded"),
    ("encounters_coded", "coding.turnaround", "encounters_coded"),
    ("discharge_to_code_days", "coding.turnaround", "discharge_to_code_days"),
    ("codes_reviewed", "coding.accuracy", "codes_reviewed"),
    ("codes_changed", "coding.accuracy", "codes_changed"),
    ("drg_audits", "coding.accuracy", "drg_audits"),
    ("drg_mismatches", "coding.accuracy", "drg_mismatches"),
    ("discharged_to_date", "operations.coding_backlog", "discharged_count"),
    ("coding_backlog", "operations.coding_backlog", "backlog_count"),
    ("dnfb_count", "operations.dnfb", "dnfb_count"),
    ("dnfb_amount", "operations.dnfb", "dnfb_amount"),
    ("gross_charges_90d_amount", "operations.dnfb", "gross_charges_90d_amount"),
]


@pytest.mark.parametrize(
    ("month", "filters"),
    [
        ("2025-03", {}),
        ("2024-10", {"facility": ("F1",), "bill_hold_days": 0}),
        ("2025-12", {"patient_type": ("inpatient",), "payer": ("Medicare",)}),
        (
            "2026-01",
            {"financial_class": ("commercial",), "service_line": ("Ortho", "Medicine"), "bill_hold_days": 30},
        ),
        ("2026-03", {}),  # after the last discharge: as-of figures only
        ("2031-07", {"facility": ("F2",)}),  # long after the data: the state no longer changes
        ("2023-11", {}),  # before the first discharge
        ("2025-06", {"facility": ("nowhere",)}),
    ],
)
def test_the_scorecard_month_tables_equal_the_family_queries(gen_con, month, filters):
    f = Filters(**filters).for_month(month)
    got = catalog.run("scorecard.monthly", f, con=gen_con).row(0, named=True)
    rows = {name: catalog.run(name, f, con=gen_con).row(0, named=True) for name in {q for _, q, _ in SAME}}
    assert {k: got[k] for k, _, _ in SAME} == {k: rows[q][c] for k, q, c in SAME}
    summary = rows["denials.summary"]
    decided = (
        None
        if summary["claims_submitted"] is None
        else summary["appeals_overturned"] + summary["appeals_upheld"]
    )
    assert got["appeals_decided"] == decided
    assert got["coding_hours"] == pytest.approx(rows["coding.productivity_summary"]["coding_hours"])


# ---- one query per chart: the by-value queries equal the per-value runs they replaced (demo warehouse) ----

# (by-value query, the query the page ran once per value, the dimension, the columns the line is drawn from)
BY_VALUE = [
    (
        "denials.rate_trend_by_payer",
        "denials.trend",
        "payer",
        ["period", "claims_submitted", "claims_denied", "initial_denial_rate"],
    ),
    (
        "drg.cmi_trend_by_facility",
        "drg.cmi_trend",
        "facility",
        ["period", "inpatient_discharges", "weighted_discharges", "weight_sum", "cmi"],
    ),
]
DEMO_CASES = [
    {"date_from": "2023-10-01", "date_to": "2026-09-30", "grain": "month"},
    {"date_from": "2025-02-10", "date_to": "2025-05-20", "grain": "week", "facility": ("FAC02",)},
    {"date_from": "2024-03-01", "date_to": "2024-04-15", "grain": "day", "patient_type": ("inpatient",)},
    {
        "date_from": "2023-10-01",
        "date_to": "2026-09-30",
        "grain": "quarter",
        "payer": ("Medicare", "Self Pay"),
    },
    {
        "date_from": "2024-01-01",
        "date_to": "2026-06-30",
        "grain": "year",
        "financial_class": ("commercial", "managed_care"),
        "service_line": ("Surgery", "General Medicine"),
    },
    {"date_from": "2023-10-01", "date_to": "2026-09-30", "grain": "month", "facility": ("nowhere",)},
]


@pytest.fixture(scope="module")
def demo_con(demo_warehouse):
    """A cursor of the session's demo warehouse (tests/conftest.py), as the dashboard reads it."""
    from warehouse.db import reader

    return reader(demo_warehouse).cursor()


def per_value(con, name: str, f: Filters, dimension: str, values: list[str]) -> dict[str, pl.DataFrame]:
    """The pages' former emulation (without its cap of 10 lines): ``name`` run once per value chosen in the
    filter, else per value offered, the filter set to that value alone."""
    chosen = getattr(f, dimension) or values
    return {v: catalog.run(name, replace(f, **{dimension: (v,)}), con=con) for v in chosen}


@pytest.mark.parametrize(("name", "old", "dimension", "columns"), BY_VALUE, ids=[b[0] for b in BY_VALUE])
@pytest.mark.parametrize("case", DEMO_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_by_value_queries_equal_the_query_run_per_value(demo_con, name, old, dimension, columns, case):
    f = Filters(**case)
    options = catalog.run("dashboard_extras.filter_options", {}, con=demo_con)
    values = [*options.filter(pl.col("dimension") == dimension)["value"], "no such value"]
    assert len(values) > 2
    got = catalog.run(name, f, con=demo_con)
    want = per_value(demo_con, old, f, dimension, values)
    assert set(got[dimension]) <= set(values)
    assert got.height == sum(w.height for w in want.values())
    assert (got.height > 0) == (case.get("facility") != ("nowhere",))
    for value, frame in want.items():
        line = got.filter(pl.col(dimension) == value).drop(dimension)
        assert_frame_equal(line, frame.select(columns))


@pytest.mark.parametrize("case", DEMO_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_mix_by_mdc_equals_the_drg_mix_summed_per_mdc(demo_con, case):
    f = Filters(**case)
    got = catalog.run("drg.mix_by_mdc", f, con=demo_con)
    mix = catalog.run("drg.mix", f, con=demo_con)
    want = (
        mix.group_by("mdc")
        .agg(
            pl.col("discharges").sum(),
            pl.col("weighted_discharges").sum(),
            pl.col("inpatient_discharges").first(),
            pl.col("share").sum(),
            (pl.col("avg_weight") * pl.col("weighted_discharges")).sum().alias("weight_sum"),
        )
        .with_columns(cmi=pl.col("weight_sum") / pl.col("weighted_discharges"))
    )
    assert got.height == want.height
    assert (got.height > 0) == (case.get("facility") != ("nowhere",))
    rows = {r["mdc"]: r for r in want.iter_rows(named=True)}
    for row in got.iter_rows(named=True):
        mdc = rows[row["mdc"]]
        counts = ("discharges", "weighted_discharges", "inpatient_discharges")
        assert {k: row[k] for k in counts} == {k: mdc[k] for k in counts}
        assert row["share"] == pytest.approx(mdc["share"], rel=1e-12)
        if mdc["weighted_discharges"]:
            assert float(row["weight_sum"]) == pytest.approx(mdc["weight_sum"], rel=1e-9)
            assert row["cmi"] == pytest.approx(mdc["cmi"], rel=1e-9)
        else:
            assert (row["weight_sum"], row["cmi"]) == (None, None)


# drg.cmi_trend_by_facility as it read every discharge of the range from int_encounters, before it read
# the whole months from int_month_flows (issue 7): the new formulation must give the same frame.
OLD_CMI_TREND_BY_FACILITY = """
with discharged as (
    select
        cast(date_trunc($grain, e.discharge_date) as date) as period,
        e.facility_id, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.discharge_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
final as (
    select
        cast(period as date) as period,
        cast(facility_id as varchar) as facility,
        cast(count(*) as bigint) as inpatient_discharges,
        cast(count(*) filter (where drg_in_table) as bigint) as weighted_discharges,
        cast(sum(drg_weight) filter (where drg_in_table) as decimal(18, 4)) as weight_sum,
        cast(
            cast(sum(drg_weight) filter (where drg_in_table) as double)
            / nullif(count(*) filter (where drg_in_table), 0) as double
        ) as cmi
    from discharged
    group by period, facility_id
)
select * from final
order by period, facility
"""

MONTH_TABLE_CASES = [
    # whole months (the month table only), with and without filters
    {"date_from": "2023-12-01", "date_to": "2026-01-31", "grain": "month"},
    {"date_from": "2024-01-01", "date_to": "2025-12-31", "grain": "quarter", "facility": ("F1", "F3")},
    {"date_from": "2023-10-01", "date_to": "2026-09-30", "grain": "year", "payer": ("Medicare", "Aetna")},
    # both edges partial
    {"date_from": "2024-02-10", "date_to": "2025-03-20", "grain": "month"},
    {
        "date_from": "2024-02-29",
        "date_to": "2025-02-01",
        "grain": "month",
        "service_line": ("Ortho", "Surgery"),
    },
    {
        "date_from": "2024-05-15",
        "date_to": "2025-08-14",
        "grain": "quarter",
        "financial_class": ("medicare",),
    },
    {"date_from": "2024-11-02", "date_to": "2025-11-30", "grain": "year", "facility": ("F2",)},
    {"date_from": "2024-03-01", "date_to": "2024-07-30", "grain": "month", "patient_type": ("inpatient",)},
    {"date_from": "2024-03-01", "date_to": "2024-07-30", "grain": "month", "patient_type": ("outpatient",)},
    # inside one month: both edges partial, one edge partial, the whole month
    {"date_from": "2024-06-05", "date_to": "2024-06-25", "grain": "month"},
    {"date_from": "2024-06-01", "date_to": "2024-06-25", "grain": "quarter", "facility": ("F1",)},
    {"date_from": "2024-06-05", "date_to": "2024-06-30", "grain": "month"},
    {"date_from": "2024-06-01", "date_to": "2024-06-30", "grain": "month"},
    {"date_from": "2024-06-30", "date_to": "2024-06-30", "grain": "month"},
    # two adjacent partial months
    {"date_from": "2024-06-20", "date_to": "2024-07-10", "grain": "month"},
    # before and after the data (2023-12 .. 2026-01)
    {"date_from": "2020-01-01", "date_to": "2021-06-30", "grain": "month"},
    {"date_from": "2021-03-15", "date_to": "2024-01-20", "grain": "month", "facility": ("F3",)},
    {"date_from": "2025-12-20", "date_to": "2027-02-10", "grain": "quarter"},
    {"date_from": "2027-01-01", "date_to": "2027-12-31", "grain": "month"},
    # day and week trends (int_encounters only)
    {"date_from": "2024-02-10", "date_to": "2024-05-20", "grain": "week", "payer": ("Self",)},
    {"date_from": "2024-02-10", "date_to": "2024-03-31", "grain": "day"},
    # a value nowhere
    {"date_from": "2023-12-01", "date_to": "2026-01-31", "grain": "month", "facility": ("nowhere",)},
]


@pytest.mark.parametrize("case", MONTH_TABLE_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_cmi_trend_by_facility_equals_the_encounter_scan(gen_con, case):
    query = catalog.get("drg.cmi_trend_by_facility")
    params = query.bind(Filters(**case))
    got = catalog.run("drg.cmi_trend_by_facility", Filters(**case), con=gen_con)
    want = gen_con.sql(OLD_CMI_TREND_BY_FACILITY, params=params).pl()
    assert got.schema == want.schema
    assert_frame_equal(got.drop("cmi"), want.drop("cmi"), check_exact=True)
    assert_frame_equal(got.select("cmi"), want.select("cmi"), check_exact=False, rel_tol=1e-12, abs_tol=0)
    if case["date_from"] == "2023-12-01" and "facility" not in case:
        assert got.height > 0
        assert got["weight_sum"].null_count() < got.height
