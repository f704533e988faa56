-- The leadership monthly report (warehouse/report/, docs/report.md). Its scorecard, trends and most
-- tables come from the other families' queries; these queries give what only the report needs:
-- the scorecard's numerators and denominators split by one dimension for the month M and the month
-- before (what the "what moved" section decomposes a change by), and the service-line table of the
-- volume page. Definitions and filters are exactly those of scorecard.sql (the payer filter is the
-- claim's payer for claims and the primary payer otherwise); tests check that every split adds up to
-- the scorecard's totals. Standard SQL; `group by 1, 2, …` is positional.

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
with months as (
    select
        cast(date_trunc('month', $month) - interval 1 month as date) as month_start,
        cast(date_trunc('month', $month) - interval 1 day as date) as month_end
    union all
    select
        cast(date_trunc('month', $month) as date) as month_start,
        cast(date_trunc('month', $month) + interval 1 month - interval 1 day as date) as month_end
),
enc as (
    select e.*
    from encounters as e
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
encounter_dims as (
    select 'facility' as dimension
    union all select 'service_line'
    union all select 'payer'
    union all select 'patient_type'
    union all select 'financial_class'
),
discharged as (
    select
        m.month_start,
        e.facility_id,
        e.service_line,
        e.primary_payer,
        e.patient_type,
        e.financial_class,
        e.ms_drg,
        case when e.patient_type = 'inpatient' then 1 else 0 end as inpatient,
        case
            when e.patient_type = 'inpatient' then greatest(date_diff('day', e.admit_date, e.discharge_date), 1)
        end as los_days,
        year(e.discharge_date) + case when month(e.discharge_date) >= 10 then 1 else 0 end as fiscal_year
    from months as m
    join enc as e on e.discharge_date between m.month_start and m.month_end
),
applied_year as (
    -- as scorecard.sql: the discharge's fiscal-year MS-DRG table, or the nearest year's (tie: newer)
    select ranked.fiscal_year, ranked.table_year
    from (
        select
            d.fiscal_year,
            t.fiscal_year as table_year,
            row_number() over (
                partition by d.fiscal_year
                order by abs(t.fiscal_year - d.fiscal_year), t.fiscal_year desc
            ) as rn
        from (select distinct fiscal_year from discharged where inpatient = 1) as d
        cross join (select distinct fiscal_year from ref_msdrg) as t
    ) as ranked
    where ranked.rn = 1
),
discharge_facts as (
    select
        d.*,
        case when d.inpatient = 1 then r.weight end as weight
    from discharged as d
    left join applied_year as a on d.inpatient = 1 and a.fiscal_year = d.fiscal_year
    left join ref_msdrg as r on r.fiscal_year = a.table_year and r.drg = d.ms_drg
),
discharge_by as (
    select
        f.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then f.facility_id
            when 'service_line' then f.service_line
            when 'payer' then f.primary_payer
            when 'patient_type' then f.patient_type
            when 'financial_class' then f.financial_class
            when 'ms_drg' then f.ms_drg
        end as member,
        count(*) as discharges,
        sum(f.inpatient) as inpatient_discharges,
        sum(f.los_days) as inpatient_los_days,
        count(f.weight) as weighted_discharges,
        sum(f.weight) as weight_sum
    from discharge_facts as f
    cross join (select dimension from encounter_dims union all select 'ms_drg') as k
    group by 1, 2, 3
),
claim_facts as (
    select
        m.month_start,
        e.facility_id,
        e.service_line,
        c.payer,
        e.patient_type,
        e.financial_class,
        c.status in ('denied', 'partial') as is_denied,
        case
            when c.status not in ('denied', 'partial') then null
            when c.carc_code is null then 'unspecified'
            else coalesce(r.category, 'other')
        end as category,
        case when c.status in ('denied', 'partial') then c.denied_amount end as denied_amount,
        case when c.appeal_outcome = 'overturned' then 1 else 0 end as overturned,
        case when c.appeal_outcome in ('overturned', 'upheld') then 1 else 0 end as decided
    from months as m
    join claims as c on c.submitted_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = c.encounter_id
    left join ref_carc as r on r.carc_code = c.carc_code
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, c.payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
claim_by as (
    select
        f.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then f.facility_id
            when 'service_line' then f.service_line
            when 'payer' then f.payer
            when 'patient_type' then f.patient_type
            when 'financial_class' then f.financial_class
            when 'carc_category' then f.category
            when 'payer_category' then f.payer
        end as member,
        case when k.dimension = 'payer_category' then f.category end as detail,
        count(*) as claims_submitted,
        count(*) filter (where f.is_denied) as claims_denied,
        sum(f.denied_amount) as denied_amount,
        sum(f.overturned) as appeals_overturned,
        sum(f.decided) as appeals_decided
    from claim_facts as f
    cross join (
        select dimension from encounter_dims
        union all select 'carc_category'
        union all select 'payer_category'
    ) as k
    where f.is_denied or k.dimension not in ('carc_category', 'payer_category')
    group by 1, 2, 3, 4
),
coding_facts as (
    select
        m.month_start,
        e.facility_id,
        e.service_line,
        e.primary_payer,
        e.patient_type,
        e.financial_class,
        a.chart_type,
        case when a.activity = 'code' then 1 else 0 end as coded,
        date_diff('microsecond', a.started_at, a.completed_at) as microseconds
    from months as m
    join coding_activity as a on cast(a.completed_at as date) between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
coding_by as (
    select
        f.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then f.facility_id
            when 'service_line' then f.service_line
            when 'payer' then f.primary_payer
            when 'patient_type' then f.patient_type
            when 'financial_class' then f.financial_class
            when 'chart_type' then f.chart_type
        end as member,
        sum(f.coded) as charts_coded,
        sum(f.microseconds) / 3600000000.0 as coding_hours,
        sum(f.coded) filter (where f.chart_type = 'inpatient') as inpatient_charts_coded,
        sum(f.microseconds) filter (where f.chart_type = 'inpatient') / 3600000000.0 as inpatient_coding_hours
    from coding_facts as f
    cross join (select dimension from encounter_dims union all select 'chart_type') as k
    group by 1, 2, 3
),
turnaround_by as (
    select
        m.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then e.facility_id
            when 'service_line' then e.service_line
            when 'payer' then e.primary_payer
            when 'patient_type' then e.patient_type
            when 'financial_class' then e.financial_class
        end as member,
        count(*) as encounters_coded,
        sum(date_diff('day', e.discharge_date, e.coded_date)) as discharge_to_code_days
    from months as m
    join enc as e on e.coded_date between m.month_start and m.month_end
    cross join encounter_dims as k
    where e.discharge_date is not null
    group by 1, 2, 3
),
audit_by as (
    select
        m.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then e.facility_id
            when 'service_line' then e.service_line
            when 'payer' then e.primary_payer
            when 'patient_type' then e.patient_type
            when 'financial_class' then e.financial_class
        end as member,
        sum(a.codes_reviewed) as codes_reviewed,
        sum(a.codes_changed) as codes_changed,
        count(*) filter (where a.original_drg is not null and a.audited_drg is not null) as drg_audits,
        count(*) filter (where a.original_drg <> a.audited_drg) as drg_mismatches
    from months as m
    join coding_audits as a on a.audit_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    cross join encounter_dims as k
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by 1, 2, 3
),
snapshot_facts as (
    -- as-of figures at the month's last day D; only the encounters that count in one of them
    select
        m.month_start,
        e.facility_id,
        e.service_line,
        e.primary_payer,
        e.patient_type,
        e.financial_class,
        case when e.coded_date is null or e.coded_date > m.month_end then 1 else 0 end as uncoded,
        case
            when (e.final_billed_date is null or e.final_billed_date > m.month_end)
              and date_diff('day', e.discharge_date, m.month_end) > $bill_hold_days then 1
            else 0
        end as in_dnfb,
        e.total_charges,
        case when date_diff('day', e.discharge_date, m.month_end) < 90 then 1 else 0 end as recent
    from months as m
    join enc as e on e.discharge_date <= m.month_end
    where e.coded_date is null
       or e.coded_date > m.month_end
       or e.final_billed_date is null
       or e.final_billed_date > m.month_end
       or date_diff('day', e.discharge_date, m.month_end) < 90
),
snapshot_by as (
    select
        f.month_start,
        k.dimension,
        case k.dimension
            when 'facility' then f.facility_id
            when 'service_line' then f.service_line
            when 'payer' then f.primary_payer
            when 'patient_type' then f.patient_type
            when 'financial_class' then f.financial_class
        end as member,
        sum(f.uncoded) as coding_backlog,
        sum(f.in_dnfb) as dnfb_count,
        sum(f.total_charges) filter (where f.in_dnfb = 1) as dnfb_amount,
        sum(f.total_charges) filter (where f.recent = 1) as gross_charges_90d_amount
    from snapshot_facts as f
    cross join encounter_dims as k
    group by 1, 2, 3
),
parts as (
    select month_start, dimension, member, null as detail, 'discharges' as measure,
        cast(discharges as double) as amount from discharge_by where dimension <> 'ms_drg'
    union all select month_start, dimension, member, null, 'inpatient_discharges',
        cast(inpatient_discharges as double) from discharge_by
    union all select month_start, dimension, member, null, 'inpatient_los_days',
        cast(inpatient_los_days as double) from discharge_by
    union all select month_start, dimension, member, null, 'weighted_discharges',
        cast(weighted_discharges as double) from discharge_by
    union all select month_start, dimension, member, null, 'weight_sum',
        cast(weight_sum as double) from discharge_by
    union all select month_start, dimension, member, detail, 'claims_submitted',
        cast(claims_submitted as double) from claim_by where dimension not in ('carc_category', 'payer_category')
    union all select month_start, dimension, member, detail, 'claims_denied',
        cast(claims_denied as double) from claim_by
    union all select month_start, dimension, member, detail, 'denied_amount',
        cast(denied_amount as double) from claim_by
    union all select month_start, dimension, member, detail, 'appeals_overturned',
        cast(appeals_overturned as double) from claim_by
    union all select month_start, dimension, member, detail, 'appeals_decided',
        cast(appeals_decided as double) from claim_by
    union all select month_start, dimension, member, null, 'charts_coded',
        cast(charts_coded as double) from coding_by
    union all select month_start, dimension, member, null, 'coding_hours',
        cast(coding_hours as double) from coding_by
    union all select month_start, dimension, member, null, 'inpatient_charts_coded',
        cast(inpatient_charts_coded as double) from coding_by
    union all select month_start, dimension, member, null, 'inpatient_coding_hours',
        cast(inpatient_coding_hours as double) from coding_by
    union all select month_start, dimension, member, null, 'encounters_coded',
        cast(encounters_coded as double) from turnaround_by
    union all select month_start, dimension, member, null, 'discharge_to_code_days',
        cast(discharge_to_code_days as double) from turnaround_by
    union all select month_start, dimension, member, null, 'codes_reviewed',
        cast(codes_reviewed as double) from audit_by
    union all select month_start, dimension, member, null, 'codes_changed',
        cast(codes_changed as double) from audit_by
    union all select month_start, dimension, member, null, 'drg_audits',
        cast(drg_audits as double) from audit_by
    union all select month_start, dimension, member, null, 'drg_mismatches',
        cast(drg_mismatches as double) from audit_by
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
with bounds as (
    select
        cast(date_trunc('month', $month) as date) as month_start,
        cast(date_trunc('month', $month) + interval 1 month - interval 1 day as date) as month_end,
        cast(date_trunc('month', $month) - interval 1 month as date) as prior_start
),
enc as (
    select e.*
    from encounters as e
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
facts as (
    select
        e.service_line,
        case when e.discharge_date >= b.month_start then 1 else 0 end as current_month,
        case when e.discharge_date >= b.month_start and e.patient_type = 'inpatient' then 1 else 0 end
            as inpatient,
        case
            when e.discharge_date >= b.month_start and e.patient_type = 'inpatient'
                then greatest(date_diff('day', e.admit_date, e.discharge_date), 1)
        end as los_days
    from bounds as b
    join enc as e on e.discharge_date between b.prior_start and b.month_end
),
final as (
    select
        cast(service_line as varchar) as service_line,
        cast(sum(current_month) as bigint) as discharges,
        cast(count(*) - sum(current_month) as bigint) as prior_discharges,
        cast(sum(inpatient) as bigint) as inpatient_discharges,
        cast(coalesce(sum(los_days), 0) as bigint) as inpatient_los_days,
        cast(cast(sum(los_days) as double) / nullif(sum(inpatient), 0) as double) as alos_days
    from facts
    group by service_line
)
select * from final
order by discharges desc, prior_discharges desc, service_line
