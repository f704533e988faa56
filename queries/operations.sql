-- HIM operations (him-primer.md, "HIM operations"): snapshots at an as-of date D computed from the
-- dates in the extract (int_encounters). Uncoded at D: discharge_date <= D and (coded_date empty or > D).
-- Unbilled at D: discharge_date <= D and (final_billed_date empty or > D). DNFB at D: unbilled at D and
-- discharged more than bill_hold_days before D (D − discharge_date > bill_hold_days). Aging buckets
-- (int_aging_buckets) by D − discharge_date: 0-3, 4-7, 8-14, 15-30, 31+ days. Counts are null (not 0)
-- when no encounter matching the filters was discharged by D; a 0 then means a real empty backlog.
-- The trends never join every snapshot date to every encounter. Month, quarter and year trends read
-- the state at each month's end from int_month_ends (built at load) and compute only a last snapshot
-- that ends inside a month from the encounters. Day and week trends keep the state as dated changes
-- (+1 when discharged, -1 when coded or billed, ...), counted per day by grouping on the stored dates,
-- then summed as a running total over the days and read at each period's snapshot date. Each path is
-- guarded by `$grain in (...)`, so DuckDB reads nothing for the others. They use DuckDB's
-- generate_series for the calendar (Spark: explode(sequence(...))); `date + integer` adds days (Spark:
-- date_add); last_day (Spark: last_day).

-- fragment: operations_trend_calendar
-- the trends' calendar: CTEs bounds, days, snapshots (one as-of date per period) and
-- month_end_snapshots; the start of the query's with clause, ending in a comma
with bounds as (
    -- snapshot days: the requested range, clamped to the data (first discharge .. today or last discharge)
    select
        greatest($date_from, min(discharge_date)) as first_day,
        least($date_to, greatest(current_date, max(discharge_date))) as last_day
    from int_encounters
),
days as (
    select cast(t.day as date) as day
    from bounds as b, generate_series(b.first_day, b.last_day, interval 1 day) as t(day)
),
snapshots as (
    -- one as-of date per period: its last day inside the range
    select cast(date_trunc($grain, day) as date) as period, max(day) as as_of
    from days
    group by cast(date_trunc($grain, day) as date)
),
month_end_snapshots as (
    -- month / quarter / year trends, snapshots at a month's last day, with the month of int_month_ends
    -- that holds their state (after the table's last month nothing changes any more: that month's)
    select s.period, s.as_of, least(cast(date_trunc('month', s.as_of) as date), t.last_month) as month
    from snapshots as s
    cross join (select max(month) as last_month from int_month_ends) as t
    where $grain in ('month', 'quarter', 'year')
      and s.as_of = last_day(s.as_of)
),

-- fragment: operations_discharged_by_as_of
-- from and where of the snapshot at D: the encounters (e) discharged by D under the filters
from int_encounters as e
where e.discharge_date <= $as_of
  -- include: filters_e

-- fragment: operations_at_date_to_rows
-- from and where of at_date_to: the encounters (e) discharged by $date_to under the filters, for the
-- month, quarter and year trends whose last period ends inside a month
from int_encounters as e
where $grain in ('month', 'quarter', 'year')
  and $date_to <> last_day($date_to)
  and e.discharge_date <= $date_to
  -- include: filters_e

-- fragment: operations_at_other_dates_rows
-- from, where and group by of at_other_dates: the range's last day when it ends inside a month
-- and is not $date_to (s), crossed with the encounters (e) under the filters
from (
    -- only the range's last day can end inside a month: one row or none (rare)
    select s.period, s.as_of
    from snapshots as s
    join bounds as b on b.last_day = s.as_of
    where $grain in ('month', 'quarter', 'year')
      and s.as_of <> last_day(s.as_of)
      and s.as_of <> $date_to
) as s
cross join int_encounters as e
where e.discharge_date <= $date_to
  -- include: filters_e
group by s.period, s.as_of

-- fragment: operations_kept_rows
-- from and where of kept: the discharged encounters (e) under the filters, for the day and week trends
from int_encounters as e
where $grain in ('day', 'week')
  and e.discharge_date is not null
  -- include: filters_e

-- name: operations.coding_backlog
-- Coding backlog at D: discharged encounters uncoded at D. Grain: one row.
-- params:
--   as_of            DATE        -- the snapshot date D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   discharged_count     BIGINT          -- encounters discharged on or before D (the population)
--   backlog_count        BIGINT          -- of which uncoded at D
--   backlog_charges      DECIMAL(18,2)   -- dollars: Σ total_charges of the backlog
--   oldest_backlog_days  INTEGER         -- days: largest D − discharge_date in the backlog
with discharged as (
    -- encounters discharged by D, with their state at D
    select
        e.total_charges,
        date_diff('day', e.discharge_date, $as_of) as age_days,
        e.coded_date is null or e.coded_date > $as_of as uncoded
    -- include: operations_discharged_by_as_of
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as discharged_count,
        cast(case when count(*) > 0 then count(*) filter (where uncoded) end as bigint) as backlog_count,
        cast(case when count(*) > 0 then coalesce(sum(total_charges) filter (where uncoded), 0) end
            as decimal(18, 2)) as backlog_charges,
        cast(max(age_days) filter (where uncoded) as integer) as oldest_backlog_days
    from discharged
)
select * from final

-- name: operations.coding_backlog_aging
-- Coding backlog at D by aging bucket. Grain: one row per bucket that holds encounters.
-- params:
--   as_of            DATE        -- the snapshot date D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   aging_bucket     VARCHAR         -- 0-3 | 4-7 | 8-14 | 15-30 | 31+ (days since discharge at D)
--   bucket_order     INTEGER         -- 1..5 for sorting
--   backlog_count    BIGINT          -- encounters uncoded at D in the bucket
--   backlog_charges  DECIMAL(18,2)   -- dollars: Σ total_charges
with discharged as (
    -- encounters discharged by D, with their state at D
    select
        e.total_charges,
        date_diff('day', e.discharge_date, $as_of) as age_days,
        e.coded_date is null or e.coded_date > $as_of as uncoded
    -- include: operations_discharged_by_as_of
),
final as (
    select
        cast(b.aging_bucket as varchar) as aging_bucket,
        cast(b.bucket_order as integer) as bucket_order,
        cast(count(*) as bigint) as backlog_count,
        cast(sum(d.total_charges) as decimal(18, 2)) as backlog_charges
    from discharged as d
    join int_aging_buckets as b on b.age_days = least(d.age_days, 31)
    where d.uncoded
    group by b.aging_bucket, b.bucket_order
)
select * from final
order by bucket_order

-- name: operations.dnfb
-- Discharged not final billed at D: count and Σ total_charges, and DNFB days = DNFB charges ÷ average
-- daily gross charges (Σ total_charges of encounters discharged in the 90 days D−89 … D, ÷ 90).
-- Grain: one row.
-- params:
--   as_of            DATE        -- the snapshot date D
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   discharged_count          BIGINT          -- encounters discharged on or before D (the population)
--   dnfb_count                BIGINT          -- encounters in DNFB at D
--   dnfb_amount               DECIMAL(18,2)   -- dollars: Σ total_charges of the DNFB (numerator)
--   gross_charges_90d_amount  DECIMAL(18,2)   -- dollars: Σ total_charges discharged D−89 … D
--   avg_daily_charges_amount  DOUBLE          -- dollars per day: gross_charges_90d_amount ÷ 90 (denominator)
--   dnfb_days                 DOUBLE          -- days: dnfb_amount ÷ avg_daily_charges_amount
with discharged as (
    -- encounters discharged by D, with their state at D
    select
        e.total_charges,
        date_diff('day', e.discharge_date, $as_of) as age_days,
        (e.final_billed_date is null or e.final_billed_date > $as_of)
            and date_diff('day', e.discharge_date, $as_of) > $bill_hold_days as in_dnfb
    -- include: operations_discharged_by_as_of
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as discharged_count,
        cast(case when count(*) > 0 then count(*) filter (where in_dnfb) end as bigint) as dnfb_count,
        cast(case when count(*) > 0 then coalesce(sum(total_charges) filter (where in_dnfb), 0) end
            as decimal(18, 2)) as dnfb_amount,
        cast(case when count(*) > 0 then coalesce(sum(total_charges) filter (where age_days < 90), 0) end
            as decimal(18, 2)) as gross_charges_90d_amount,
        cast(cast(sum(total_charges) filter (where age_days < 90) as double) / 90 as double)
            as avg_daily_charges_amount,
        cast(
            cast(coalesce(sum(total_charges) filter (where in_dnfb), 0) as double)
            / nullif(cast(sum(total_charges) filter (where age_days < 90) as double) / 90, 0)
            as double
        ) as dnfb_days
    from discharged
)
select * from final

-- name: operations.dnfb_split
-- DNFB at D split into awaiting coding (uncoded at D) and coded, awaiting billing, each by aging
-- bucket. Grain: one row per (dnfb_status, aging_bucket) that holds encounters.
-- params:
--   as_of            DATE        -- the snapshot date D
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   dnfb_status   VARCHAR         -- awaiting_coding | coded_awaiting_billing
--   aging_bucket  VARCHAR         -- 0-3 | 4-7 | 8-14 | 15-30 | 31+ (days since discharge at D)
--   bucket_order  INTEGER         -- 1..5 for sorting
--   dnfb_count    BIGINT          -- encounters
--   dnfb_amount   DECIMAL(18,2)   -- dollars: Σ total_charges
with discharged as (
    -- encounters discharged by D, with their state at D
    select
        e.total_charges,
        date_diff('day', e.discharge_date, $as_of) as age_days,
        e.coded_date is null or e.coded_date > $as_of as uncoded,
        (e.final_billed_date is null or e.final_billed_date > $as_of)
            and date_diff('day', e.discharge_date, $as_of) > $bill_hold_days as in_dnfb
    -- include: operations_discharged_by_as_of
),
final as (
    select
        cast(case when d.uncoded then 'awaiting_coding' else 'coded_awaiting_billing' end as varchar)
            as dnfb_status,
        cast(b.aging_bucket as varchar) as aging_bucket,
        cast(b.bucket_order as integer) as bucket_order,
        cast(count(*) as bigint) as dnfb_count,
        cast(sum(d.total_charges) as decimal(18, 2)) as dnfb_amount
    from discharged as d
    join int_aging_buckets as b on b.age_days = least(d.age_days, 31)
    where d.in_dnfb
    group by 1, b.aging_bucket, b.bucket_order
)
select * from final
order by dnfb_status, bucket_order

-- name: operations.oldest_unbilled
-- The oldest DNFB encounters at D (worklist), oldest first. Grain: one row per encounter, at most top_n.
-- params:
--   as_of            DATE        -- the snapshot date D
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
--   top_n            INTEGER = 100  -- rows returned
-- returns:
--   encounter_id          VARCHAR         -- encounter
--   facility_id           VARCHAR         -- facility
--   patient_type          VARCHAR         -- patient type
--   financial_class       VARCHAR         -- financial class
--   primary_payer         VARCHAR         -- primary payer
--   service_line          VARCHAR         -- service line
--   discharge_date        DATE            -- discharge date
--   days_since_discharge  INTEGER         -- days: D − discharge_date
--   dnfb_status           VARCHAR         -- awaiting_coding | coded_awaiting_billing
--   coded_date            DATE            -- coded date when coded by D, else null
--   total_charges         DECIMAL(18,2)   -- dollars
with discharged as (
    -- encounters discharged by D, with their state at D
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.financial_class,
        e.primary_payer,
        e.service_line,
        e.discharge_date,
        e.coded_date,
        e.total_charges,
        date_diff('day', e.discharge_date, $as_of) as age_days,
        e.coded_date is null or e.coded_date > $as_of as uncoded,
        (e.final_billed_date is null or e.final_billed_date > $as_of)
            and date_diff('day', e.discharge_date, $as_of) > $bill_hold_days as in_dnfb
    -- include: operations_discharged_by_as_of
),
final as (
    select
        cast(encounter_id as varchar) as encounter_id,
        cast(facility_id as varchar) as facility_id,
        cast(patient_type as varchar) as patient_type,
        cast(financial_class as varchar) as financial_class,
        cast(primary_payer as varchar) as primary_payer,
        cast(service_line as varchar) as service_line,
        cast(discharge_date as date) as discharge_date,
        cast(age_days as integer) as days_since_discharge,
        cast(case when uncoded then 'awaiting_coding' else 'coded_awaiting_billing' end as varchar)
            as dnfb_status,
        cast(case when uncoded then null else coded_date end as date) as coded_date,
        cast(total_charges as decimal(18, 2)) as total_charges
    from discharged
    where in_dnfb
)
select * from final
order by days_since_discharge desc, total_charges desc, encounter_id
limit $top_n

-- name: operations.backlog_trend
-- Coding backlog at the last day of each period (inside the range). Grain: one row per period
-- whose snapshot date has discharged encounters.
-- params:
--   date_from        DATE        -- first snapshot period
--   date_to          DATE        -- last snapshot date
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period            DATE     -- first day of the period
--   as_of             DATE     -- the snapshot date: the period's last day inside the range
--   discharged_count  BIGINT   -- encounters discharged on or before as_of
--   backlog_count     BIGINT   -- of which uncoded at as_of
-- include: operations_trend_calendar
at_month_ends as (
    -- their state: that month's rows of int_month_ends
    select
        s.period,
        s.as_of,
        sum(m.discharged_to_date) as discharged_count,
        coalesce(sum(m.uncoded_count), 0) as backlog_count
    from month_end_snapshots as s
    join int_month_ends as m on m.month = s.month
    where true
      -- include: filters_m
    group by s.period, s.as_of
),
at_date_to as (
    -- their last period when it ends inside a month on $date_to (the usual case): that one date, a
    -- constant, so that DuckDB skips the row groups discharged after it
    select
        count(*) as discharged_count,
        count(*) filter (where e.coded_date is null or e.coded_date > $date_to) as backlog_count
    -- include: operations_at_date_to_rows
),
at_other_dates as (
    -- or on the day the range is clamped to (it runs past today and the data): that one date
    select
        s.period,
        s.as_of,
        count(*) filter (where e.discharge_date <= s.as_of) as discharged_count,
        count(*) filter (where e.discharge_date <= s.as_of and (e.coded_date is null or e.coded_date > s.as_of))
            as backlog_count
    -- include: operations_at_other_dates_rows
),
kept as (
    -- day and week trends: every snapshot from dated changes
    select e.discharge_date, e.coded_date
    -- include: operations_kept_rows
),
changes as (
    -- per day: +1 discharged, and +1 uncoded unless coded by the discharge day; -1 uncoded on the day
    -- coded (later than discharged). Grouped by stored dates: a few hundred rows each.
    select
        discharge_date as day,
        count(*) as discharged,
        count(*) filter (where coded_date is null or coded_date > discharge_date) as uncoded
    from kept
    group by discharge_date
    union all
    select coded_date, 0, -count(*) from kept where coded_date > discharge_date group by coded_date
),
daily as (
    -- net changes per day of the range; what changed before its first day counts on the first day
    select greatest(c.day, b.first_day) as day, sum(c.discharged) as discharged, sum(c.uncoded) as uncoded
    from changes as c
    cross join bounds as b
    where c.day <= b.last_day
    group by greatest(c.day, b.first_day)
),
running as (
    -- the state at the end of each day: the running sum of the changes
    select
        d.day,
        sum(coalesce(x.discharged, 0)) over (order by d.day) as discharged_count,
        sum(coalesce(x.uncoded, 0)) over (order by d.day) as backlog_count
    from days as d
    left join daily as x on x.day = d.day
),
at_each_day as (
    select s.period, s.as_of, r.discharged_count, r.backlog_count
    from snapshots as s
    join running as r on r.day = s.as_of
    where $grain in ('day', 'week')
),
final as (
    select
        cast(period as date) as period,
        cast(as_of as date) as as_of,
        cast(discharged_count as bigint) as discharged_count,
        cast(backlog_count as bigint) as backlog_count
    from (
        select * from at_month_ends
        union all
        select s.period, s.as_of, d.* from snapshots as s join at_date_to as d on s.as_of = $date_to
        union all
        select * from at_other_dates
        union all
        select * from at_each_day
    )
    where discharged_count > 0
)
select * from final
order by period

-- name: operations.dnfb_trend
-- DNFB count, amount and days at the last day of each period (inside the range).
-- Grain: one row per period whose snapshot date has discharged encounters.
-- params:
--   date_from        DATE        -- first snapshot period
--   date_to          DATE        -- last snapshot date
--   grain            VARCHAR     -- day | week | month | quarter | year
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                    DATE            -- first day of the period
--   as_of                     DATE            -- the snapshot date
--   dnfb_count                BIGINT          -- encounters in DNFB at as_of
--   dnfb_amount               DECIMAL(18,2)   -- dollars: Σ total_charges of the DNFB
--   gross_charges_90d_amount  DECIMAL(18,2)   -- dollars: Σ total_charges discharged in the 90 days to as_of
--   dnfb_days                 DOUBLE          -- days: dnfb_amount ÷ (gross_charges_90d_amount ÷ 90)
-- include: operations_trend_calendar
at_month_ends as (
    -- their state: that month's rows of int_month_ends, whose open encounters carry their age at the
    -- month's end (capped at 31, beyond every bill hold)
    select
        s.period,
        s.as_of,
        sum(m.discharged_to_date) as discharged_count,
        coalesce(sum(m.unbilled_count) filter (where m.age_days > $bill_hold_days), 0) as dnfb_count,
        coalesce(sum(m.unbilled_amount) filter (where m.age_days > $bill_hold_days), 0) as dnfb_amount,
        coalesce(sum(m.gross_charges_90d_amount), 0) as gross_charges_90d_amount
    from month_end_snapshots as s
    join int_month_ends as m on m.month = s.month
    where true
      -- include: filters_m
    group by s.period, s.as_of
),
at_date_to as (
    -- their last period when it ends inside a month on $date_to (the usual case): that one date, a
    -- constant, so that DuckDB skips the row groups discharged after it
    select
        count(*) as discharged_count,
        count(*) filter (
            where (e.final_billed_date is null or e.final_billed_date > $date_to)
              and date_diff('day', e.discharge_date, $date_to) > $bill_hold_days
        ) as dnfb_count,
        coalesce(sum(e.total_charges) filter (
            where (e.final_billed_date is null or e.final_billed_date > $date_to)
              and date_diff('day', e.discharge_date, $date_to) > $bill_hold_days
        ), 0) as dnfb_amount,
        coalesce(sum(e.total_charges) filter (where date_diff('day', e.discharge_date, $date_to) < 90), 0)
            as gross_charges_90d_amount
    -- include: operations_at_date_to_rows
),
at_other_dates as (
    -- or on the day the range is clamped to (it runs past today and the data): that one date
    select
        s.period,
        s.as_of,
        count(*) filter (where e.discharge_date <= s.as_of) as discharged_count,
        count(*) filter (
            where e.discharge_date <= s.as_of
              and (e.final_billed_date is null or e.final_billed_date > s.as_of)
              and date_diff('day', e.discharge_date, s.as_of) > $bill_hold_days
        ) as dnfb_count,
        coalesce(sum(e.total_charges) filter (
            where e.discharge_date <= s.as_of
              and (e.final_billed_date is null or e.final_billed_date > s.as_of)
              and date_diff('day', e.discharge_date, s.as_of) > $bill_hold_days
        ), 0) as dnfb_amount,
        coalesce(sum(e.total_charges) filter (
            where e.discharge_date <= s.as_of and date_diff('day', e.discharge_date, s.as_of) < 90
        ), 0) as gross_charges_90d_amount
    -- include: operations_at_other_dates_rows
),
kept as (
    -- day and week trends: every snapshot from dated changes
    select e.discharge_date, e.final_billed_date, e.total_charges
    -- include: operations_kept_rows
),
discharged as (
    -- per discharge day: encounters, their charges, and those that enter the DNFB bill_hold_days + 1
    -- days later: not billed within bill_hold_days of discharge (or never billed)
    select
        discharge_date as day,
        count(*) as discharged,
        sum(total_charges) as charges,
        count(*) filter (where final_billed_date is null or final_billed_date > discharge_date + $bill_hold_days)
            as dnfb,
        sum(total_charges) filter (
            where final_billed_date is null or final_billed_date > discharge_date + $bill_hold_days
        ) as dnfb_amount
    from kept
    group by discharge_date
),
changes as (
    -- the charges enter the 90-day window on the discharge day and leave it 90 days later; the DNFB
    -- entrants enter bill_hold_days + 1 days after discharge and leave on the day they are billed
    select day, discharged, 0 as dnfb, cast(0 as decimal(18, 2)) as dnfb_amount, charges as charges_90d
    from discharged
    union all
    select day + 90, 0, 0, 0, -charges from discharged
    union all
    select day + ($bill_hold_days + 1), 0, dnfb, dnfb_amount, 0 from discharged
    union all
    select final_billed_date, 0, -count(*), -sum(total_charges), 0
    from kept
    where final_billed_date > discharge_date + $bill_hold_days
    group by final_billed_date
),
daily as (
    -- net changes per day of the range; what changed before its first day counts on the first day
    select
        greatest(c.day, b.first_day) as day,
        sum(c.discharged) as discharged,
        sum(c.dnfb) as dnfb,
        sum(c.dnfb_amount) as dnfb_amount,
        sum(c.charges_90d) as charges_90d
    from changes as c
    cross join bounds as b
    where c.day <= b.last_day
    group by greatest(c.day, b.first_day)
),
running as (
    -- the state at the end of each day: the running sum of the changes
    select
        d.day,
        sum(coalesce(x.discharged, 0)) over (order by d.day) as discharged_count,
        sum(coalesce(x.dnfb, 0)) over (order by d.day) as dnfb_count,
        sum(coalesce(x.dnfb_amount, 0)) over (order by d.day) as dnfb_amount,
        sum(coalesce(x.charges_90d, 0)) over (order by d.day) as gross_charges_90d_amount
    from days as d
    left join daily as x on x.day = d.day
),
at_each_day as (
    select s.period, s.as_of, r.discharged_count, r.dnfb_count, r.dnfb_amount, r.gross_charges_90d_amount
    from snapshots as s
    join running as r on r.day = s.as_of
    where $grain in ('day', 'week')
),
final as (
    select
        cast(period as date) as period,
        cast(as_of as date) as as_of,
        cast(dnfb_count as bigint) as dnfb_count,
        cast(dnfb_amount as decimal(18, 2)) as dnfb_amount,
        cast(gross_charges_90d_amount as decimal(18, 2)) as gross_charges_90d_amount,
        cast(
            cast(dnfb_amount as double) / nullif(cast(gross_charges_90d_amount as double) / 90, 0)
            as double
        ) as dnfb_days
    from (
        select * from at_month_ends
        union all by name
        select s.period, s.as_of, d.* from snapshots as s join at_date_to as d on s.as_of = $date_to
        union all by name
        select * from at_other_dates
        union all by name
        select * from at_each_day
    )
    where discharged_count > 0
)
select * from final
order by period
