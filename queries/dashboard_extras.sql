-- What the dashboard needs beside the KPIs: the values its filter bar offers, the dates its defaults
-- come from, and the data-quality views by load date. Nothing here is a KPI of the primer.

-- name: dashboard_extras.filter_options
-- The values the filter bar offers for facility, payer (primary payers and claim payers) and service
-- line, most frequent first. Grain: one row per (dimension, value).
-- params:
-- returns:
--   dimension  VARCHAR   -- facility | payer | service_line
--   value      VARCHAR   -- the value as stored
--   row_count  BIGINT    -- encounters (claims for claim-only payers) carrying it
with facilities as (
    select 'facility' as dimension, facility_id as value, count(*) as row_count
    from encounters
    group by all
),
payers as (
    select 'payer' as dimension, value, sum(row_count) as row_count
    from (
        select primary_payer as value, count(*) as row_count from encounters group by all
        union all
        select payer as value, count(*) as row_count from claims group by all
    ) as both_sources
    group by all
),
service_lines as (
    select 'service_line' as dimension, service_line as value, count(*) as row_count
    from encounters
    where service_line is not null
    group by all
),
final as (
    select cast(dimension as varchar) as dimension, cast(value as varchar) as value,
           cast(row_count as bigint) as row_count
    from (select * from facilities union all select * from payers union all select * from service_lines)
)
select * from final
order by dimension, row_count desc, value

-- name: dashboard_extras.data_bounds
-- The dates the dashboard's defaults come from. Grain: one row (nulls on an empty warehouse).
-- params:
-- returns:
--   first_discharge_date  DATE   -- earliest discharge date
--   last_discharge_date   DATE   -- latest discharge date
--   data_through_date     DATE   -- latest date of any discharge, coding or final bill (default as-of)
--   default_month         DATE   -- the latest complete month of discharges (the scorecard's default)
with bounds as (
    select
        min(discharge_date) as first_discharge_date,
        max(discharge_date) as last_discharge_date,
        greatest(max(discharge_date), max(coded_date), max(final_billed_date)) as data_through_date
    from encounters
),
final as (
    select
        cast(first_discharge_date as date) as first_discharge_date,
        cast(last_discharge_date as date) as last_discharge_date,
        cast(data_through_date as date) as data_through_date,
        cast(date_trunc('month', last_discharge_date + interval 1 day) - interval 1 month as date)
            as default_month
    from bounds
)
select * from final

-- name: dashboard_extras.quality_over_time
-- Rejected records per rule and flags raised / resolved per kind, by the day of the load that
-- rejected, raised or resolved them. Grain: one row per (load_date, measure, rule).
-- params:
-- returns:
--   load_date  DATE      -- day the load started
--   measure    VARCHAR   -- rejects | flags_raised | flags_resolved
--   rule       VARCHAR   -- reject rule or flag kind
--   row_count  BIGINT    -- records
with loads as (
    select load_id, cast(started_at as date) as load_date from load_log
),
rejected as (
    select l.load_date, 'rejects' as measure, r.rule, count(*) as row_count
    from rejects as r
    join loads as l on l.load_id = r.load_id
    group by all
),
raised as (
    select l.load_date, 'flags_raised' as measure, f.kind as rule, count(*) as row_count
    from flags as f
    join loads as l on l.load_id = f.first_load_id
    group by all
),
resolved as (
    select l.load_date, 'flags_resolved' as measure, f.kind as rule, count(*) as row_count
    from flags as f
    join loads as l on l.load_id = f.resolved_load_id
    group by all
),
final as (
    select cast(load_date as date) as load_date, cast(measure as varchar) as measure,
           cast(rule as varchar) as rule, cast(row_count as bigint) as row_count
    from (select * from rejected union all select * from raised union all select * from resolved)
)
select * from final
order by load_date, measure, rule

-- name: dashboard_extras.recent_rejects
-- The most recent rejected records with their reason (no record values: they may hold PHI).
-- Grain: one row per rejected record, newest load first, at most top_n.
-- params:
--   top_n  INTEGER = 200  -- rows returned
-- returns:
--   load_id      BIGINT    -- load (one file)
--   family       VARCHAR   -- extract family
--   file_name    VARCHAR   -- file loaded
--   line         BIGINT    -- physical line of the record (header = 1)
--   record_key   VARCHAR   -- the record's natural key as given, when readable
--   column_name  VARCHAR   -- the column that broke the rule
--   rule         VARCHAR   -- reject rule
--   message      VARCHAR   -- what was wrong
with final as (
    select
        cast(load_id as bigint) as load_id,
        cast(family as varchar) as family,
        cast(file_name as varchar) as file_name,
        cast(line as bigint) as line,
        cast(record_key as varchar) as record_key,
        cast(column_name as varchar) as column_name,
        cast(rule as varchar) as rule,
        cast(message as varchar) as message
    from rejects
)
select * from final
order by load_id desc, line
limit $top_n
