-- Coder productivity and quality (him-primer.md, "Coder productivity and quality").
-- Activities (int_coding_activity) belong to a period by completed_at, audits (int_coding_audits) by
-- audit_date, coded encounters (int_encounters) by coded_date; each row carries its encounter's filter
-- columns (payer = its primary payer). Inpatient and outpatient productivity norms differ 3-5x: the
-- per-coder queries keep chart types in separate rows; the summary mixes them and says how many chart
-- types it holds (chart_types).

-- fragment: coding_accuracy_measures
-- the accuracy measures of the audits (a CTE with codes_reviewed, codes_changed, has_both_drgs,
-- drg_mismatch), in a select list after the group's key
cast(count(*) as bigint) as audits,
cast(sum(codes_reviewed) as bigint) as codes_reviewed,
cast(sum(codes_changed) as bigint) as codes_changed,
cast(1 - cast(sum(codes_changed) as double) / nullif(sum(codes_reviewed), 0) as double) as code_accuracy_rate,
cast(count(*) filter (where has_both_drgs) as bigint) as drg_audits,
cast(count(*) filter (where drg_mismatch) as bigint) as drg_mismatches,
cast(
    1 - cast(count(*) filter (where drg_mismatch) as double) / nullif(count(*) filter (where has_both_drgs), 0)
    as double
) as drg_accuracy_rate

-- fragment: turnaround_measures
-- the turnaround measures from counts per number of days (a CTE with days, n, reached = the running
-- count in day order, total = all), in a select list after encounters_coded; the median is the mean
-- of the two middle values (one value when the count is odd), as median() gives
cast(sum(days * n) as bigint) as discharge_to_code_days,
cast(cast(sum(days * n) as double) / sum(n) as double) as avg_discharge_to_code_days,
cast(
    (min(days) filter (where reached > (total - 1) // 2) + min(days) filter (where reached > total // 2)) / 2
    as double
) as median_discharge_to_code_days

-- fragment: coding_productivity_measures
-- the productivity measures of activity (is_code, coding_microseconds), in a select list after
-- the group's key
cast(count(*) as bigint) as activities,
cast(count(*) filter (where is_code) as bigint) as charts_coded,
cast(sum(coding_microseconds) / 3600000000.0 as double) as coding_hours,
cast(count(*) filter (where is_code) / nullif(sum(coding_microseconds) / 3600000000.0, 0) as double)
    as charts_per_hour

-- name: coding.productivity
-- Charts coded, coding hours and charts per hour per coder and chart type.
-- Grain: one row per (coder_id, chart_type) with activity in the period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   coder_id         VARCHAR  -- coder
--   chart_type       VARCHAR  -- inpatient | outpatient | emergency | observation | profee
--   activities       BIGINT   -- activities (code, recode, review, query) completed in the period
--   charts_coded     BIGINT   -- of which activity = code (numerator)
--   coding_hours     DOUBLE   -- hours: Σ(completed_at − started_at) over all activities (denominator)
--   charts_per_hour  DOUBLE   -- charts_coded ÷ coding_hours
with activity as (
    select a.coder_id, a.chart_type, a.is_code, a.coding_microseconds
    from int_coding_activity as a
    where a.completed_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(coder_id as varchar) as coder_id,
        cast(chart_type as varchar) as chart_type,
        -- include: coding_productivity_measures
    from activity
    group by coder_id, chart_type
)
select * from final
order by coder_id, chart_type

-- name: coding.productivity_by_chart_type
-- Charts coded, coding hours and charts per hour per chart type (all coders).
-- Grain: one row per chart type with activity in the period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   chart_type       VARCHAR  -- inpatient | outpatient | emergency | observation | profee
--   coders           BIGINT   -- distinct coders with activity
--   activities       BIGINT   -- activities (code, recode, review, query) completed in the period
--   charts_coded     BIGINT   -- of which activity = code (numerator)
--   coding_hours     DOUBLE   -- hours: Σ(completed_at − started_at) over all activities (denominator)
--   charts_per_hour  DOUBLE   -- charts_coded ÷ coding_hours
with activity as (
    select a.coder_id, a.chart_type, a.is_code, a.coding_microseconds
    from int_coding_activity as a
    where a.completed_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(chart_type as varchar) as chart_type,
        cast(count(distinct coder_id) as bigint) as coders,
        -- include: coding_productivity_measures
    from activity
    group by chart_type
)
select * from final
order by chart_type

-- name: coding.productivity_summary
-- Charts coded, coding hours and charts per hour of the period over all chart types (the scorecard's
-- figure; chart_types > 1 means inpatient and outpatient norms are mixed in it).
-- Grain: one row (null when no activity).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   chart_types      BIGINT   -- distinct chart types in the figures
--   activities       BIGINT   -- activities (code, recode, review, query) completed in the period
--   charts_coded     BIGINT   -- of which activity = code (numerator)
--   coding_hours     DOUBLE   -- hours: Σ(completed_at − started_at) over all activities (denominator)
--   charts_per_hour  DOUBLE   -- charts_coded ÷ coding_hours
with activity as (
    select a.chart_type, a.is_code, a.coding_microseconds
    from int_coding_activity as a
    where a.completed_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(nullif(count(distinct chart_type), 0) as bigint) as chart_types,
        cast(nullif(count(*), 0) as bigint) as activities,
        cast(case when count(*) > 0 then count(*) filter (where is_code) end as bigint) as charts_coded,
        cast(sum(coding_microseconds) / 3600000000.0 as double) as coding_hours,
        cast(count(*) filter (where is_code) / nullif(sum(coding_microseconds) / 3600000000.0, 0) as double)
            as charts_per_hour
    from activity
)
select * from final

-- name: coding.productivity_trend
-- Charts coded, coding hours and charts per hour per period and chart type.
-- Grain: one row per (period, chart_type) with activity.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period           DATE     -- first day of the period (of completed_at)
--   chart_type       VARCHAR  -- chart type
--   activities       BIGINT   -- activities (code, recode, review, query) completed in the period
--   charts_coded     BIGINT   -- of which activity = code (numerator)
--   coding_hours     DOUBLE   -- hours: Σ(completed_at − started_at) over all activities (denominator)
--   charts_per_hour  DOUBLE   -- charts_coded ÷ coding_hours
with activity as (
    select
        cast(date_trunc($grain, a.completed_date) as date) as period, a.chart_type, a.is_code, a.coding_microseconds
    from int_coding_activity as a
    where a.completed_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(period as date) as period,
        cast(chart_type as varchar) as chart_type,
        -- include: coding_productivity_measures
    from activity
    group by period, chart_type
)
select * from final
order by period, chart_type

-- name: coding.turnaround
-- Discharge-to-code days (coded_date − discharge_date), mean and median, over encounters coded in the
-- period. Grain: one row (null when none was coded).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   encounters_coded                BIGINT   -- discharged encounters with coded_date in the period
--   discharge_to_code_days          BIGINT   -- days: Σ(coded_date − discharge_date) (numerator of the mean)
--   avg_discharge_to_code_days      DOUBLE   -- days: mean
--   median_discharge_to_code_days   DOUBLE   -- days: median
with coded as (
    select e.discharge_to_code_days as days
    from int_encounters as e
    where e.coded_date between $date_from and $date_to
      and e.discharge_date is not null
      -- include: filters_e
),
days_counted as (
    -- one row per distinct number of days, not per encounter: the sums and the median follow from the
    -- counts (the median without sorting millions of values: 46 -> 13 ms over 13 months at 10M)
    select days, count(*) as n from coded group by days
),
reached as (
    select days, n, sum(n) over (order by days) as reached, sum(n) over () as total from days_counted
),
final as (
    select
        cast(nullif(sum(n), 0) as bigint) as encounters_coded,
        -- include: turnaround_measures
    from reached
)
select * from final

-- name: coding.turnaround_trend
-- Discharge-to-code days per period of coded_date. Grain: one row per period with coded encounters.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                          DATE     -- first day of the period (of coded_date)
--   encounters_coded                BIGINT   -- discharged encounters with coded_date in the period
--   discharge_to_code_days          BIGINT   -- days: Σ(coded_date − discharge_date) (numerator of the mean)
--   avg_discharge_to_code_days      DOUBLE   -- days: mean
--   median_discharge_to_code_days   DOUBLE   -- days: median
with coded as (
    select cast(date_trunc($grain, e.coded_date) as date) as period, e.discharge_to_code_days as days
    from int_encounters as e
    where e.coded_date between $date_from and $date_to
      and e.discharge_date is not null
      -- include: filters_e
),
days_counted as (
    -- one row per period and distinct number of days (see coding.turnaround)
    select period, days, count(*) as n from coded group by period, days
),
reached as (
    select
        period, days, n,
        sum(n) over (partition by period order by days) as reached,
        sum(n) over (partition by period) as total
    from days_counted
),
final as (
    select
        cast(period as date) as period,
        cast(sum(n) as bigint) as encounters_coded,
        -- include: turnaround_measures
    from reached
    group by period
)
select * from final
order by period

-- name: coding.accuracy
-- Code-level accuracy (1 − Σ codes_changed ÷ Σ codes_reviewed) and DRG accuracy (1 − mismatches ÷
-- audits carrying both DRGs) over audits in the period. Grain: one row (null when no audit).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   audits              BIGINT   -- audits with audit_date in the period
--   codes_reviewed      BIGINT   -- Σ codes_reviewed (denominator)
--   codes_changed       BIGINT   -- Σ codes_changed (numerator of the error share)
--   code_accuracy_rate  DOUBLE   -- fraction: 1 − codes_changed ÷ codes_reviewed
--   drg_audits          BIGINT   -- audits that carry both DRGs (denominator)
--   drg_mismatches      BIGINT   -- of which original_drg ≠ audited_drg
--   drg_accuracy_rate   DOUBLE   -- fraction: 1 − drg_mismatches ÷ drg_audits
with audited as (
    select a.codes_reviewed, a.codes_changed, a.has_both_drgs, a.drg_mismatch
    from int_coding_audits as a
    where a.audit_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as audits,
        cast(sum(codes_reviewed) as bigint) as codes_reviewed,
        cast(sum(codes_changed) as bigint) as codes_changed,
        cast(1 - cast(sum(codes_changed) as double) / nullif(sum(codes_reviewed), 0) as double) as code_accuracy_rate,
        cast(case when count(*) > 0 then count(*) filter (where has_both_drgs) end as bigint) as drg_audits,
        cast(case when count(*) > 0 then count(*) filter (where drg_mismatch) end as bigint) as drg_mismatches,
        cast(
            1 - cast(count(*) filter (where drg_mismatch) as double) / nullif(count(*) filter (where has_both_drgs), 0)
            as double
        ) as drg_accuracy_rate
    from audited
)
select * from final

-- name: coding.accuracy_by_coder
-- Code-level and DRG accuracy per audited coder. Grain: one row per coder with audits in the period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   coder_id            VARCHAR  -- the audited coder
--   audits              BIGINT   -- audits with audit_date in the period
--   codes_reviewed      BIGINT   -- Σ codes_reviewed (denominator)
--   codes_changed       BIGINT   -- Σ codes_changed (numerator of the error share)
--   code_accuracy_rate  DOUBLE   -- fraction: 1 − codes_changed ÷ codes_reviewed
--   drg_audits          BIGINT   -- audits that carry both DRGs (denominator)
--   drg_mismatches      BIGINT   -- of which original_drg ≠ audited_drg
--   drg_accuracy_rate   DOUBLE   -- fraction: 1 − drg_mismatches ÷ drg_audits
with audited as (
    select a.coder_id, a.codes_reviewed, a.codes_changed, a.has_both_drgs, a.drg_mismatch
    from int_coding_audits as a
    where a.audit_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(coder_id as varchar) as coder_id,
        -- include: coding_accuracy_measures
    from audited
    group by coder_id
)
select * from final
order by coder_id

-- name: coding.accuracy_trend
-- Code-level and DRG accuracy per period of audit_date. Grain: one row per period with audits.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period              DATE     -- first day of the period (of audit_date)
--   audits              BIGINT   -- audits with audit_date in the period
--   codes_reviewed      BIGINT   -- Σ codes_reviewed (denominator)
--   codes_changed       BIGINT   -- Σ codes_changed (numerator of the error share)
--   code_accuracy_rate  DOUBLE   -- fraction: 1 − codes_changed ÷ codes_reviewed
--   drg_audits          BIGINT   -- audits that carry both DRGs (denominator)
--   drg_mismatches      BIGINT   -- of which original_drg ≠ audited_drg
--   drg_accuracy_rate   DOUBLE   -- fraction: 1 − drg_mismatches ÷ drg_audits
with audited as (
    select
        cast(date_trunc($grain, a.audit_date) as date) as period,
        a.codes_reviewed, a.codes_changed, a.has_both_drgs, a.drg_mismatch
    from int_coding_audits as a
    where a.audit_date between $date_from and $date_to
      -- include: filters_a
),
final as (
    select
        cast(period as date) as period,
        -- include: coding_accuracy_measures
    from audited
    group by period
)
select * from final
order by period
