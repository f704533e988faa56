-- Monthly rollup tables, rebuilt at the end of every load by warehouse.rollups.build (in this order).
-- Each holds additive components (counts, sums; never a ratio) by month and the filter dimensions
-- (facility_id, patient_type, financial_class, primary_payer, service_line;
-- for claims the claim's payer), so that summing rows under any filter gives exactly the base
-- queries' numbers (scorecard.trend_rollup vs scorecard.trend; tests/sql/test_rollups.py).
-- Rows of claims, activities and audits whose encounter is missing carry null dimensions, as the base
-- queries' left joins do. Coding time is kept in whole microseconds so that sums are exact.

-- name: rollup_discharges
-- Discharges by discharge month: volume, inpatient LOS and the CMI components (the discharge's
-- fiscal-year MS-DRG table, or the nearest year's).
create or replace table rollup_discharges as
with discharged as (
    select
        cast(date_trunc('month', e.discharge_date) as date) as month,
        e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
        e.ms_drg,
        greatest(date_diff('day', e.admit_date, e.discharge_date), 1) as los_days,
        year(e.discharge_date) + case when month(e.discharge_date) >= 10 then 1 else 0 end as fiscal_year
    from encounters as e
    where e.discharge_date is not null
),
applied_year as (
    select ranked.fiscal_year, ranked.table_year
    from (
        select
            d.fiscal_year,
            t.fiscal_year as table_year,
            row_number() over (
                partition by d.fiscal_year
                order by abs(t.fiscal_year - d.fiscal_year), t.fiscal_year desc
            ) as rn
        from (select distinct fiscal_year from discharged) as d
        cross join (select distinct fiscal_year from ref_msdrg) as t
    ) as ranked
    where ranked.rn = 1
),
grouped as (
    select
        d.month,
        d.facility_id,
        d.patient_type,
        d.financial_class,
        d.primary_payer,
        d.service_line,
        d.los_days,
        r.drg is not null and d.patient_type = 'inpatient' as weighted,
        r.weight
    from discharged as d
    left join applied_year as a on a.fiscal_year = d.fiscal_year
    left join ref_msdrg as r on r.fiscal_year = a.table_year and r.drg = d.ms_drg
)
select
    month,
    facility_id, patient_type, financial_class, primary_payer, service_line,
    cast(count(*) as bigint) as discharges,
    cast(count(*) filter (where patient_type = 'inpatient') as bigint) as inpatient_discharges,
    cast(sum(los_days) filter (where patient_type = 'inpatient') as bigint) as inpatient_los_days,
    cast(count(*) filter (where weighted) as bigint) as weighted_discharges,
    cast(sum(weight) filter (where weighted) as decimal(18, 4)) as weight_sum
from grouped
group by month, facility_id, patient_type, financial_class, primary_payer, service_line

-- name: rollup_coded
-- Discharged encounters by coded month, with the discharge-to-code days.
create or replace table rollup_coded as
select
    cast(date_trunc('month', e.coded_date) as date) as month,
    e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
    cast(count(*) as bigint) as encounters_coded,
    cast(sum(date_diff('day', e.discharge_date, e.coded_date)) as bigint) as discharge_to_code_days
from encounters as e
where e.coded_date is not null and e.discharge_date is not null
group by 1, e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line

-- name: rollup_claims
-- Claims by submitted month and the claim's payer, with the encounter's other dimensions.
create or replace table rollup_claims as
select
    cast(date_trunc('month', c.submitted_date) as date) as month,
    e.facility_id,
    e.patient_type,
    e.financial_class,
    c.payer,
    e.service_line,
    cast(count(*) as bigint) as claims_submitted,
    cast(count(*) filter (where c.status in ('denied', 'partial')) as bigint) as claims_denied,
    cast(sum(c.billed_amount) as decimal(18, 2)) as billed_amount,
    cast(coalesce(sum(c.denied_amount) filter (where c.status in ('denied', 'partial')), 0) as decimal(18, 2))
        as denied_amount,
    cast(count(*) filter (where c.appeal_outcome = 'overturned') as bigint) as appeals_overturned,
    cast(count(*) filter (where c.appeal_outcome = 'upheld') as bigint) as appeals_upheld,
    cast(coalesce(sum(c.recovered_amount), 0) as decimal(18, 2)) as recovered_amount
from claims as c
left join encounters as e on e.encounter_id = c.encounter_id
group by 1, e.facility_id, e.patient_type, e.financial_class, c.payer, e.service_line

-- name: rollup_coding
-- Coding activities by completed month and chart type (coding time in microseconds).
create or replace table rollup_coding as
select
    cast(date_trunc('month', a.completed_at) as date) as month,
    e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
    a.chart_type,
    cast(count(*) as bigint) as activities,
    cast(count(*) filter (where a.activity = 'code') as bigint) as charts_coded,
    cast(sum(date_diff('microsecond', a.started_at, a.completed_at)) as bigint) as coding_microseconds
from coding_activity as a
left join encounters as e on e.encounter_id = a.encounter_id
group by 1, e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line, a.chart_type

-- name: rollup_audits
-- Coding audits by audit month.
create or replace table rollup_audits as
select
    cast(date_trunc('month', a.audit_date) as date) as month,
    e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
    cast(count(*) as bigint) as audits,
    cast(sum(a.codes_reviewed) as bigint) as codes_reviewed,
    cast(sum(a.codes_changed) as bigint) as codes_changed,
    cast(count(*) filter (where a.original_drg is not null and a.audited_drg is not null) as bigint) as drg_audits,
    cast(count(*) filter (where a.original_drg <> a.audited_drg) as bigint) as drg_mismatches
from coding_audits as a
left join encounters as e on e.encounter_id = a.encounter_id
group by 1, e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line

-- name: rollup_snapshots
-- Encounters uncoded or unbilled at each month's last day D, by days since discharge at D (capped at
-- 31, enough for every allowed bill_hold_days 0-30 and the 31+ aging bucket).
create or replace table rollup_snapshots as
with span as (
    -- first discharge month .. the month of the latest date in the data or today, whichever is later
    select
        cast(date_trunc('month', min(discharge_date)) as date) as first_month,
        cast(date_trunc('month', greatest(max(discharge_date), max(coded_date), max(final_billed_date),
            current_date)) as date) as last_month
    from encounters
),
months as (
    select cast(t.m as date) as month, cast(t.m + interval 1 month - interval 1 day as date) as month_end
    from span as s, generate_series(s.first_month, s.last_month, interval 1 month) as t(m)
),
state as (
    select
        m.month,
        e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
        least(date_diff('day', e.discharge_date, m.month_end), 31) as age_days,
        e.coded_date is null or e.coded_date > m.month_end as uncoded,
        e.final_billed_date is null or e.final_billed_date > m.month_end as unbilled,
        e.total_charges
    from months as m
    join encounters as e on e.discharge_date <= m.month_end
    where e.coded_date is null or e.coded_date > m.month_end
       or e.final_billed_date is null or e.final_billed_date > m.month_end
)
select
    month,
    facility_id, patient_type, financial_class, primary_payer, service_line,
    cast(age_days as integer) as age_days,
    cast(count(*) filter (where uncoded) as bigint) as uncoded_count,
    cast(count(*) filter (where unbilled) as bigint) as unbilled_count,
    cast(coalesce(sum(total_charges) filter (where unbilled), 0) as decimal(18, 2)) as unbilled_amount
from state
group by month, facility_id, patient_type, financial_class, primary_payer, service_line, age_days

-- name: rollup_charges_90d
-- Gross charges of encounters discharged in the 90 days D−89 … D up to each month's last day D.
create or replace table rollup_charges_90d as
with span as (
    -- first discharge month .. the month of the latest date in the data or today, whichever is later
    select
        cast(date_trunc('month', min(discharge_date)) as date) as first_month,
        cast(date_trunc('month', greatest(max(discharge_date), max(coded_date), max(final_billed_date),
            current_date)) as date) as last_month
    from encounters
),
months as (
    select cast(t.m as date) as month, cast(t.m + interval 1 month - interval 1 day as date) as month_end
    from span as s, generate_series(s.first_month, s.last_month, interval 1 month) as t(m)
)
select
    m.month,
    e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
    cast(sum(e.total_charges) as decimal(18, 2)) as gross_charges_90d_amount
from months as m
join encounters as e on e.discharge_date between m.month_end - interval 89 day and m.month_end
group by m.month, e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line
