-- The leadership monthly report (warehouse/report/, docs/report.md). Its scorecard, trends and most
-- tables come from the other families' queries; these queries give what only the report needs:
-- the scorecard's numerators and denominators split by one dimension for the month M and the month
-- before (what the "what moved" section decomposes a change by), and the service-line table of the
-- volume page. Definitions and filters are exactly those of scorecard.sql (the payer filter is the
-- claim's payer for claims and the primary payer otherwise); tests check that every split adds up to
-- the scorecard's totals. Like the scorecard they read the intermediate tables (warehouse/schema.sql,
-- docs/kpis.md "Layers"): the splits by the five filter columns come from the month tables
-- int_month_flows and int_month_ends, the splits by MS-DRG, CARC category and chart type from the rows
-- of M−1 and M in int_encounters, int_claims and int_coding_activity (ordered by date, so a query
-- reads only those months' row groups). Standard SQL; `group by 1, 2, …` is positional.

-- name: report.breakdown
-- The scorecard's additive parts (numerators and denominators) for the months M−1 and M, split by one
-- dimension at a time: facility, service_line, payer, patient_type, financial_class (every measure),
-- chart_type (coding activity), ms_drg (discharge and CMI measures), carc_category and payer_category
-- (payer × CARC category, the category in detail), which split denied claims only. A null member means
-- not given (e.g. no service line). Summed over the members of one dimension, each measure equals the
-- scorecard's figure of the month (for carc_category and payer_category: the denial measures).
-- Grain: one row per (month, dimension, member, detail, measure) with a non-zero amount.
-- params:
--   month            DATE        -- the report month M (any day of it; its first day is used)
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer (the claim's payer for denials); empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   month      DATE      -- first day of M−1 or M
--   dimension  VARCHAR   -- facility | service_line | payer | patient_type | financial_class | chart_type | ms_drg | carc_category | payer_category
--   member     VARCHAR   -- the dimension's value (payer_category: the payer); null = not given
--   detail     VARCHAR   -- payer_category: the CARC category; null otherwise
--   measure    VARCHAR   -- a scorecard column: discharges, inpatient_los_days, weight_sum, claims_denied, …
--   amount     DOUBLE    -- the measure's value for the member (count, days, dollars, hours or weight)
with encounter_dims as (
    select 'facility' as dimension
    union all select 'service_line'
    union all select 'payer'
    union all select 'patient_type'
    union all select 'financial_class'
),
flows_by as (
    -- the scorecard's period measures by the five filter columns, from the month table (payer: the
    -- claim's payer for the claim measures, the primary payer for the others)
    select
        f.month as month_start,
        k.dimension,
        case k.dimension
            when 'facility' then f.facility_id
            when 'service_line' then f.service_line
            when 'payer' then f.payer
            when 'patient_type' then f.patient_type
            when 'financial_class' then f.financial_class
        end as member,
        sum(f.discharges) as discharges,
        sum(f.inpatient_discharges) as inpatient_discharges,
        sum(f.inpatient_los_days) as inpatient_los_days,
        sum(f.weighted_discharges) as weighted_discharges,
        sum(f.weight_sum) as weight_sum,
        sum(f.claims_submitted) as claims_submitted,
        sum(f.claims_denied) as claims_denied,
        sum(f.denied_amount) as denied_amount,
        sum(f.appeals_overturned) as appeals_overturned,
        sum(f.appeals_decided) as appeals_decided,
        sum(f.charts_coded) as charts_coded,
        sum(f.coding_microseconds) / 3600000000.0 as coding_hours,
        sum(f.inpatient_charts_coded) as inpatient_charts_coded,
        sum(f.inpatient_coding_microseconds) / 3600000000.0 as inpatient_coding_hours,
        sum(f.encounters_coded) as encounters_coded,
        sum(f.discharge_to_code_days) as discharge_to_code_days,
        sum(f.codes_reviewed) as codes_reviewed,
        sum(f.codes_changed) as codes_changed,
        sum(f.drg_audits) as drg_audits,
        sum(f.drg_mismatches) as drg_mismatches
    from int_month_flows as f
    cross join encounter_dims as k
    where f.month between cast(date_trunc('month', $month) - interval 1 month as date)
                      and cast(date_trunc('month', $month) as date)
      -- include: filters_f
    group by 1, 2, 3
),
drg_by as (
    -- the discharge measures of inpatient stays by MS-DRG (weight: the applied MS-DRG table's)
    select
        cast(date_trunc('month', e.discharge_date) as date) as month_start,
        'ms_drg' as dimension,
        e.ms_drg as member,
        count(*) as inpatient_discharges,
        sum(e.los_days) as inpatient_los_days,
        count(e.drg_weight) as weighted_discharges,
        sum(e.drg_weight) as weight_sum
    from int_encounters as e
    where e.discharge_date between cast(date_trunc('month', $month) - interval 1 month as date)
                               and cast(date_trunc('month', $month) + interval 1 month - interval 1 day as date)
      and e.patient_type = 'inpatient'
      -- include: filters_e
    group by 1, 2, 3
),
denial_by as (
    -- denied claims by CARC category, and by payer × CARC category
    select
        cast(date_trunc('month', c.submitted_date) as date) as month_start,
        k.dimension,
        case when k.dimension = 'carc_category' then c.denial_category else c.payer end as member,
        case when k.dimension = 'payer_category' then c.denial_category end as detail,
        count(*) as claims_denied,
        sum(c.denied_amount) as denied_amount,
        count(*) filter (where c.appeal_outcome = 'overturned') as appeals_overturned,
        count(*) filter (where c.appeal_outcome in ('overturned', 'upheld')) as appeals_decided
    from int_claims as c
    cross join (select 'carc_category' as dimension union all select 'payer_category') as k
    where c.submitted_date between cast(date_trunc('month', $month) - interval 1 month as date)
                               and cast(date_trunc('month', $month) + interval 1 month - interval 1 day as date)
      and c.is_denied
      -- include: filters_c
    group by 1, 2, 3, 4
),
chart_type_by as (
    -- coding activities by chart type
    select
        cast(date_trunc('month', a.completed_date) as date) as month_start,
        'chart_type' as dimension,
        a.chart_type as member,
        count(*) filter (where a.is_code) as charts_coded,
        sum(a.coding_microseconds) / 3600000000.0 as coding_hours,
        count(*) filter (where a.is_code and a.chart_type = 'inpatient') as inpatient_charts_coded,
        sum(a.coding_microseconds) filter (where a.chart_type = 'inpatient') / 3600000000.0
            as inpatient_coding_hours
    from int_coding_activity as a
    where a.completed_date between cast(date_trunc('month', $month) - interval 1 month as date)
                               and cast(date_trunc('month', $month) + interval 1 month - interval 1 day as date)
      -- include: filters_a
    group by 1, 2, 3
),
snapshot_by as (
    -- the as-of figures at each month's last day, from the month-end table (after its last month
    -- nothing changes: that month's state)
    select
        m.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then s.facility_id
            when 'service_line' then s.service_line
            when 'payer' then s.primary_payer
            when 'patient_type' then s.patient_type
            when 'financial_class' then s.financial_class
        end as member,
        sum(s.uncoded_count) as coding_backlog,
        sum(s.unbilled_count) filter (where s.age_days > $bill_hold_days) as dnfb_count,
        sum(s.unbilled_amount) filter (where s.age_days > $bill_hold_days) as dnfb_amount,
        sum(s.gross_charges_90d_amount) as gross_charges_90d_amount
    from (
        select month_start, least(month_start, (select max(month) from int_month_ends)) as state_month
        from (
            select cast(date_trunc('month', $month) - interval 1 month as date) as month_start
            union all
            select cast(date_trunc('month', $month) as date)
        ) as months
    ) as m
    join int_month_ends as s on s.month = m.state_month
    cross join encounter_dims as k
    where true
      -- include: filters_s
    group by 1, 2, 3
),
parts as (
    select month_start, dimension, member, null as detail, 'discharges' as measure,
        cast(discharges as double) as amount from flows_by
    union all select month_start, dimension, member, null, 'inpatient_discharges',
        cast(inpatient_discharges as double) from flows_by
    union all select month_start, dimension, member, null, 'inpatient_los_days',
        cast(inpatient_los_days as double) from flows_by
    union all select month_start, dimension, member, null, 'weighted_discharges',
        cast(weighted_discharges as double) from flows_by
    union all select month_start, dimension, member, null, 'weight_sum',
        cast(weight_sum as double) from flows_by
    union all select month_start, dimension, member, null, 'inpatient_discharges',
        cast(inpatient_discharges as double) from drg_by
    union all select month_start, dimension, member, null, 'inpatient_los_days',
        cast(inpatient_los_days as double) from drg_by
    union all select month_start, dimension, member, null, 'weighted_discharges',
        cast(weighted_discharges as double) from drg_by
    union all select month_start, dimension, member, null, 'weight_sum',
        cast(weight_sum as double) from drg_by
    union all select month_start, dimension, member, null, 'claims_submitted',
        cast(claims_submitted as double) from flows_by
    union all select month_start, dimension, member, null, 'claims_denied',
        cast(claims_denied as double) from flows_by
    union all select month_start, dimension, member, null, 'denied_amount',
        cast(denied_amount as double) from flows_by
    union all select month_start, dimension, member, null, 'appeals_overturned',
        cast(appeals_overturned as double) from flows_by
    union all select month_start, dimension, member, null, 'appeals_decided',
        cast(appeals_decided as double) from flows_by
    union all select month_start, dimension, member, detail, 'claims_denied',
        cast(claims_denied as double) from denial_by
    union all select month_start, dimension, member, detail, 'denied_amount',
        cast(denied_amount as double) from denial_by
    union all select month_start, dimension, member, detail, 'appeals_overturned',
        cast(appeals_overturned as double) from denial_by
    union all select month_start, dimension, member, detail, 'appeals_decided',
        cast(appeals_decided as double) from denial_by
    union all select month_start, dimension, member, null, 'charts_coded',
        cast(charts_coded as double) from flows_by
    union all select month_start, dimension, member, null, 'coding_hours',
        cast(coding_hours as double) from flows_by
    union all select month_start, dimension, member, null, 'inpatient_charts_coded',
        cast(inpatient_charts_coded as double) from flows_by
    union all select month_start, dimension, member, null, 'inpatient_coding_hours',
        cast(inpatient_coding_hours as double) from flows_by
    union all select month_start, dimension, member, null, 'charts_coded',
        cast(charts_coded as double) from chart_type_by
    union all select month_start, dimension, member, null, 'coding_hours',
        cast(coding_hours as double) from chart_type_by
    union all select month_start, dimension, member, null, 'inpatient_charts_coded',
        cast(inpatient_charts_coded as double) from chart_type_by
    union all select month_start, dimension, member, null, 'inpatient_coding_hours',
        cast(inpatient_coding_hours as double) from chart_type_by
    union all select month_start, dimension, member, null, 'encounters_coded',
        cast(encounters_coded as double) from flows_by
    union all select month_start, dimension, member, null, 'discharge_to_code_days',
        cast(discharge_to_code_days as double) from flows_by
    union all select month_start, dimension, member, null, 'codes_reviewed',
        cast(codes_reviewed as double) from flows_by
    union all select month_start, dimension, member, null, 'codes_changed',
        cast(codes_changed as double) from flows_by
    union all select month_start, dimension, member, null, 'drg_audits',
        cast(drg_audits as double) from flows_by
    union all select month_start, dimension, member, null, 'drg_mismatches',
        cast(drg_mismatches as double) from flows_by
    union all select month_start, dimension, member, null, 'coding_backlog',
        cast(coding_backlog as double) from snapshot_by
    union all select month_start, dimension, member, null, 'dnfb_count',
        cast(dnfb_count as double) from snapshot_by
    union all select month_start, dimension, member, null, 'dnfb_amount',
        cast(dnfb_amount as double) from snapshot_by
    union all select month_start, dimension, member, null, 'gross_charges_90d_amount',
        cast(gross_charges_90d_amount as double) from snapshot_by
),
final as (
    select
        cast(month_start as date) as month,
        cast(dimension as varchar) as dimension,
        cast(member as varchar) as member,
        cast(detail as varchar) as detail,
        cast(measure as varchar) as measure,
        cast(amount as double) as amount
    from parts
    where amount is not null and amount <> 0
)
select * from final
order by month, dimension, measure, member, detail

-- name: report.service_lines
-- Discharges per service line in the month M beside the month before, with inpatient discharges and
-- ALOS (as demographics.volume). Grain: one row per service line with discharges in M or M−1 (null
-- service line = not given), most discharges in M first.
-- params:
--   month            DATE        -- the report month M (any day of it; its first day is used)
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   service_line          VARCHAR  -- null when the encounter has none
--   discharges            BIGINT   -- encounters discharged in M (0 when none)
--   prior_discharges      BIGINT   -- encounters discharged in M−1 (0 when none)
--   inpatient_discharges  BIGINT   -- of the discharges in M, inpatient (denominator of ALOS)
--   inpatient_los_days    BIGINT   -- days: Σ LOS of those (same-day stay = 1; numerator of ALOS)
--   alos_days             DOUBLE   -- days: inpatient_los_days ÷ inpatient_discharges (null when none)
with facts as (
    -- discharges by month and service line (int_month_flows: rows with discharges)
    select
        f.service_line,
        case when f.month = cast(date_trunc('month', $month) as date) then f.discharges else 0 end
            as current_month,
        f.discharges,
        case when f.month = cast(date_trunc('month', $month) as date) then f.inpatient_discharges else 0 end
            as inpatient,
        case when f.month = cast(date_trunc('month', $month) as date) then f.inpatient_los_days end
            as los_days
    from int_month_flows as f
    where f.month between cast(date_trunc('month', $month) - interval 1 month as date)
                      and cast(date_trunc('month', $month) as date)
      and f.discharges is not null
      -- include: filters_f
),
final as (
    select
        cast(service_line as varchar) as service_line,
        cast(sum(current_month) as bigint) as discharges,
        cast(sum(discharges) - sum(current_month) as bigint) as prior_discharges,
        cast(sum(inpatient) as bigint) as inpatient_discharges,
        cast(coalesce(sum(los_days), 0) as bigint) as inpatient_los_days,
        cast(cast(sum(los_days) as double) / nullif(sum(inpatient), 0) as double) as alos_days
    from facts
    group by service_line
)
select * from final
order by discharges desc, prior_discharges desc, service_line
