-- Built at the end of every load by warehouse.rollups.build, block by block in this order, on the
-- read-write connection of the new generation.
--
-- 1. The intermediate layer: each int_<x> table is its definition int_<x>_view (warehouse/schema.sql)
--    materialized once per load, ordered by date (then facility) so that DuckDB skips the row groups
--    outside the period a query asks for (zone maps; every period query has one, a facility filter
--    does not always). The KPI queries in queries/ read these.
--    int_month_flows and int_month_ends are additive monthly components (counts, sums; never a ratio)
--    by month and the filter columns, so that summing rows under any filter gives exactly the base
--    queries' numbers (scorecard.* vs the family queries: tests/sql/test_layers.py). Rows of claims,
--    activities and audits whose encounter is missing carry null filter columns, as the base queries'
--    left joins do. Coding time is kept in whole microseconds so that sums are exact.
-- 2. The rollup views: the month tables under the names of scorecard.trend_rollup (the dashboard's
--    sparklines), made only here.

-- name: int_encounters
create or replace table int_encounters as
select * from int_encounters_view
order by discharge_date nulls last, facility_id

-- name: int_claims
create or replace table int_claims as
select * from int_claims_view
order by submitted_date, facility_id nulls last

-- name: int_coding_activity
create or replace table int_coding_activity as
select * from int_coding_activity_view
order by completed_date, facility_id nulls last

-- name: int_coding_audits
create or replace table int_coding_audits as
select * from int_coding_audits_view
order by audit_date, facility_id nulls last

-- name: int_month_flows
create or replace table int_month_flows as
select * from int_month_flows_view
order by month, facility_id nulls last

-- name: int_month_ends
create or replace table int_month_ends as
select * from int_month_ends_view
order by month, facility_id nulls last

-- name: rollup_month_flows
-- The month tables under the names scorecard.trend_rollup reads, as views made only by a load: a
-- file made from the schema alone has none, and the query says so in one clear error.
create or replace view rollup_month_flows as select * from int_month_flows

-- name: rollup_month_ends
create or replace view rollup_month_ends as select * from int_month_ends

-- name: rollup_discharges
-- Discharges, inpatient LOS and the CMI components by discharge month and the filter columns.
create or replace view rollup_discharges as
select
    month,
    facility_id, patient_type, financial_class, payer as primary_payer, service_line,
    discharges, inpatient_discharges, inpatient_los_days,
    coalesce(weighted_discharges, 0) as weighted_discharges,
    weight_sum
from int_month_flows
where discharges is not null
