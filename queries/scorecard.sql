-- The monthly scorecard (him-primer.md, "The monthly scorecard"): for a month M, period KPIs over M
-- and as-of KPIs at M's last day, each as defined in its family file (demographics, drg, denials,
-- coding, operations); tests check that both agree. Null (never 0) where the month has no data:
-- a count is null when nothing of its kind happened in the month (as-of counts: when no encounter
-- was discharged by its last day), a rate when its denominator is 0 or null. The payer filter is the
-- claim's payer for the denial KPIs and the primary payer for the others.
-- scorecard.monthly and scorecard.trend share one body (only the months CTE differs); the trend's
-- calendar uses DuckDB's generate_series (Spark: explode(sequence(...))).
-- scorecard.trend_rollup gives the trend's numbers from the monthly rollup tables (warehouse/rollups.py).

-- name: scorecard.monthly
-- The monthly scorecard: one row for month M with every scorecard KPI and the numerators and
-- denominators behind them. Grain: one row.
-- params:
--   month            DATE        -- the scorecard month (any day of it; its first day is used)
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer (the claim's payer for denials); empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   month                       DATE            -- first day of the month
--   discharges                  BIGINT          -- encounters discharged in the month
--   inpatient_discharges        BIGINT          -- of which inpatient
--   alos_days                   DOUBLE          -- days: inpatient_los_days ÷ inpatient_discharges
--   cmi                         DOUBLE          -- weight_sum ÷ weighted_discharges
--   initial_denial_rate         DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   denied_amount               DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   denial_overturn_rate        DOUBLE          -- fraction: appeals_overturned ÷ appeals_decided
--   charts_coded                BIGINT          -- code activities completed in the month
--   coding_hours                DOUBLE          -- hours: Σ(completed_at − started_at), all activities
--   charts_per_hour             DOUBLE          -- charts_coded ÷ coding_hours (all chart types)
--   avg_discharge_to_code_days  DOUBLE          -- days: discharge_to_code_days ÷ encounters_coded
--   coding_backlog              BIGINT          -- encounters uncoded at the month's last day
--   dnfb_count                  BIGINT          -- encounters in DNFB at the month's last day
--   dnfb_amount                 DECIMAL(18,2)   -- dollars: Σ total_charges of the DNFB
--   coding_accuracy             DOUBLE          -- fraction: 1 − codes_changed ÷ codes_reviewed
--   dnfb_days                   DOUBLE          -- days: dnfb_amount ÷ (gross_charges_90d_amount ÷ 90)
--   drg_accuracy                DOUBLE          -- fraction: 1 − drg_mismatches ÷ drg_audits
--   inpatient_charts_per_hour   DOUBLE          -- inpatient_charts_coded ÷ inpatient_coding_hours
--   inpatient_los_days          BIGINT          -- days: Σ LOS of inpatient discharges (same-day = 1)
--   weighted_discharges         BIGINT          -- inpatient discharges with a DRG in the applied table
--   weight_sum                  DECIMAL(18,4)   -- Σ relative weight of those
--   claims_submitted            BIGINT          -- claims submitted in the month
--   claims_denied               BIGINT          -- of which denied or partial
--   appeals_overturned          BIGINT          -- claims with appeal outcome overturned
--   appeals_decided             BIGINT          -- claims with appeal outcome overturned or upheld
--   coding_activities           BIGINT          -- activities completed in the month
--   inpatient_charts_coded      BIGINT          -- code activities on inpatient charts
--   inpatient_coding_hours      DOUBLE          -- hours on inpatient charts
--   encounters_coded            BIGINT          -- discharged encounters with coded_date in the month
--   discharge_to_code_days      BIGINT          -- days: Σ(coded_date − discharge_date) of those
--   discharged_to_date          BIGINT          -- encounters discharged by the month's last day (as-of population)
--   gross_charges_90d_amount    DECIMAL(18,2)   -- dollars: Σ total_charges discharged in the 90 days to month end
--   codes_reviewed              BIGINT          -- Σ codes_reviewed of audits in the month
--   codes_changed               BIGINT          -- Σ codes_changed of those
--   drg_audits                  BIGINT          -- audits carrying both DRGs
--   drg_mismatches              BIGINT          -- of which original_drg ≠ audited_drg
with months as (
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
discharge_kpis as (
    select
        m.month_start,
        count(*) as discharges,
        count(*) filter (where e.patient_type = 'inpatient') as inpatient_discharges,
        sum(greatest(date_diff('day', e.admit_date, e.discharge_date), 1))
            filter (where e.patient_type = 'inpatient') as inpatient_los_days
    from months as m
    join enc as e on e.discharge_date between m.month_start and m.month_end
    group by m.month_start
),
inpatient as (
    select
        m.month_start,
        e.ms_drg,
        year(e.discharge_date) + case when month(e.discharge_date) >= 10 then 1 else 0 end as fiscal_year
    from months as m
    join enc as e on e.discharge_date between m.month_start and m.month_end
    where e.patient_type = 'inpatient'
),
applied_year as (
    -- the discharge's fiscal-year MS-DRG table, or the nearest year's when none is loaded (tie: newer)
    select ranked.fiscal_year, ranked.table_year
    from (
        select
            d.fiscal_year,
            t.fiscal_year as table_year,
            row_number() over (
                partition by d.fiscal_year
                order by abs(t.fiscal_year - d.fiscal_year), t.fiscal_year desc
            ) as rn
        from (select distinct fiscal_year from inpatient) as d
        cross join (select distinct fiscal_year from ref_msdrg) as t
    ) as ranked
    where ranked.rn = 1
),
cmi_kpis as (
    select
        i.month_start,
        count(r.drg) as weighted_discharges,
        sum(r.weight) as weight_sum
    from inpatient as i
    left join applied_year as a on a.fiscal_year = i.fiscal_year
    left join ref_msdrg as r on r.fiscal_year = a.table_year and r.drg = i.ms_drg
    group by i.month_start
),
claim_kpis as (
    select
        m.month_start,
        count(*) as claims_submitted,
        count(*) filter (where c.status in ('denied', 'partial')) as claims_denied,
        coalesce(sum(c.denied_amount) filter (where c.status in ('denied', 'partial')), 0) as denied_amount,
        count(*) filter (where c.appeal_outcome = 'overturned') as appeals_overturned,
        count(*) filter (where c.appeal_outcome in ('overturned', 'upheld')) as appeals_decided
    from months as m
    join claims as c on c.submitted_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = c.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, c.payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
coding_kpis as (
    select
        m.month_start,
        count(*) as coding_activities,
        count(*) filter (where a.activity = 'code') as charts_coded,
        sum(date_diff('microsecond', a.started_at, a.completed_at)) as coding_microseconds,
        count(*) filter (where a.activity = 'code' and a.chart_type = 'inpatient') as inpatient_charts_coded,
        sum(date_diff('microsecond', a.started_at, a.completed_at)) filter (where a.chart_type = 'inpatient')
            as inpatient_coding_microseconds
    from months as m
    join coding_activity as a on cast(a.completed_at as date) between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
turnaround_kpis as (
    select
        m.month_start,
        count(*) as encounters_coded,
        sum(date_diff('day', e.discharge_date, e.coded_date)) as discharge_to_code_days
    from months as m
    join enc as e on e.coded_date between m.month_start and m.month_end
    where e.discharge_date is not null
    group by m.month_start
),
audit_kpis as (
    select
        m.month_start,
        sum(a.codes_reviewed) as codes_reviewed,
        sum(a.codes_changed) as codes_changed,
        count(*) filter (where a.original_drg is not null and a.audited_drg is not null) as drg_audits,
        count(*) filter (where a.original_drg <> a.audited_drg) as drg_mismatches
    from months as m
    join coding_audits as a on a.audit_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
snapshot_kpis as (
    -- as-of figures at the month's last day D
    select
        m.month_start,
        count(*) as discharged_to_date,
        count(*) filter (where e.coded_date is null or e.coded_date > m.month_end) as coding_backlog,
        count(*) filter (
            where (e.final_billed_date is null or e.final_billed_date > m.month_end)
              and date_diff('day', e.discharge_date, m.month_end) > $bill_hold_days
        ) as dnfb_count,
        coalesce(sum(e.total_charges) filter (
            where (e.final_billed_date is null or e.final_billed_date > m.month_end)
              and date_diff('day', e.discharge_date, m.month_end) > $bill_hold_days
        ), 0) as dnfb_amount,
        coalesce(sum(e.total_charges) filter (where date_diff('day', e.discharge_date, m.month_end) < 90), 0)
            as gross_charges_90d_amount
    from months as m
    join enc as e on e.discharge_date <= m.month_end
    group by m.month_start
),
final as (
    select
        cast(m.month_start as date) as month,
        cast(d.discharges as bigint) as discharges,
        cast(d.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(d.inpatient_los_days as double) / nullif(d.inpatient_discharges, 0) as double) as alos_days,
        cast(cast(w.weight_sum as double) / nullif(w.weighted_discharges, 0) as double) as cmi,
        cast(cast(c.claims_denied as double) / nullif(c.claims_submitted, 0) as double) as initial_denial_rate,
        cast(c.denied_amount as decimal(18, 2)) as denied_amount,
        cast(cast(c.appeals_overturned as double) / nullif(c.appeals_decided, 0) as double)
            as denial_overturn_rate,
        cast(k.charts_coded as bigint) as charts_coded,
        cast(k.coding_microseconds / 3600000000.0 as double) as coding_hours,
        cast(k.charts_coded / nullif(k.coding_microseconds / 3600000000.0, 0) as double) as charts_per_hour,
        cast(cast(t.discharge_to_code_days as double) / nullif(t.encounters_coded, 0) as double)
            as avg_discharge_to_code_days,
        cast(s.coding_backlog as bigint) as coding_backlog,
        cast(s.dnfb_count as bigint) as dnfb_count,
        cast(s.dnfb_amount as decimal(18, 2)) as dnfb_amount,
        cast(1 - cast(q.codes_changed as double) / nullif(q.codes_reviewed, 0) as double) as coding_accuracy,
        cast(
            cast(s.dnfb_amount as double) / nullif(cast(s.gross_charges_90d_amount as double) / 90, 0) as double
        ) as dnfb_days,
        cast(1 - cast(q.drg_mismatches as double) / nullif(q.drg_audits, 0) as double) as drg_accuracy,
        cast(
            k.inpatient_charts_coded / nullif(k.inpatient_coding_microseconds / 3600000000.0, 0) as double
        ) as inpatient_charts_per_hour,
        cast(d.inpatient_los_days as bigint) as inpatient_los_days,
        cast(w.weighted_discharges as bigint) as weighted_discharges,
        cast(w.weight_sum as decimal(18, 4)) as weight_sum,
        cast(c.claims_submitted as bigint) as claims_submitted,
        cast(c.claims_denied as bigint) as claims_denied,
        cast(c.appeals_overturned as bigint) as appeals_overturned,
        cast(c.appeals_decided as bigint) as appeals_decided,
        cast(k.coding_activities as bigint) as coding_activities,
        cast(k.inpatient_charts_coded as bigint) as inpatient_charts_coded,
        cast(k.inpatient_coding_microseconds / 3600000000.0 as double) as inpatient_coding_hours,
        cast(t.encounters_coded as bigint) as encounters_coded,
        cast(t.discharge_to_code_days as bigint) as discharge_to_code_days,
        cast(s.discharged_to_date as bigint) as discharged_to_date,
        cast(s.gross_charges_90d_amount as decimal(18, 2)) as gross_charges_90d_amount,
        cast(q.codes_reviewed as bigint) as codes_reviewed,
        cast(q.codes_changed as bigint) as codes_changed,
        cast(q.drg_audits as bigint) as drg_audits,
        cast(q.drg_mismatches as bigint) as drg_mismatches
    from months as m
    left join discharge_kpis as d on d.month_start = m.month_start
    left join cmi_kpis as w on w.month_start = m.month_start
    left join claim_kpis as c on c.month_start = m.month_start
    left join coding_kpis as k on k.month_start = m.month_start
    left join turnaround_kpis as t on t.month_start = m.month_start
    left join audit_kpis as q on q.month_start = m.month_start
    left join snapshot_kpis as s on s.month_start = m.month_start
)
select * from final
order by month

-- name: scorecard.trend
-- The monthly scorecard for the 13 months M−12 … M (sparklines, prior month, same month last year).
-- Grain: one row per month, oldest first.
-- params:
--   month            DATE        -- the scorecard month (any day of it; its first day is used)
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer (the claim's payer for denials); empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   month                       DATE            -- first day of the month
--   discharges                  BIGINT          -- encounters discharged in the month
--   inpatient_discharges        BIGINT          -- of which inpatient
--   alos_days                   DOUBLE          -- days: inpatient_los_days ÷ inpatient_discharges
--   cmi                         DOUBLE          -- weight_sum ÷ weighted_discharges
--   initial_denial_rate         DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   denied_amount               DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   denial_overturn_rate        DOUBLE          -- fraction: appeals_overturned ÷ appeals_decided
--   charts_coded                BIGINT          -- code activities completed in the month
--   coding_hours                DOUBLE          -- hours: Σ(completed_at − started_at), all activities
--   charts_per_hour             DOUBLE          -- charts_coded ÷ coding_hours (all chart types)
--   avg_discharge_to_code_days  DOUBLE          -- days: discharge_to_code_days ÷ encounters_coded
--   coding_backlog              BIGINT          -- encounters uncoded at the month's last day
--   dnfb_count                  BIGINT          -- encounters in DNFB at the month's last day
--   dnfb_amount                 DECIMAL(18,2)   -- dollars: Σ total_charges of the DNFB
--   coding_accuracy             DOUBLE          -- fraction: 1 − codes_changed ÷ codes_reviewed
--   dnfb_days                   DOUBLE          -- days: dnfb_amount ÷ (gross_charges_90d_amount ÷ 90)
--   drg_accuracy                DOUBLE          -- fraction: 1 − drg_mismatches ÷ drg_audits
--   inpatient_charts_per_hour   DOUBLE          -- inpatient_charts_coded ÷ inpatient_coding_hours
--   inpatient_los_days          BIGINT          -- days: Σ LOS of inpatient discharges (same-day = 1)
--   weighted_discharges         BIGINT          -- inpatient discharges with a DRG in the applied table
--   weight_sum                  DECIMAL(18,4)   -- Σ relative weight of those
--   claims_submitted            BIGINT          -- claims submitted in the month
--   claims_denied               BIGINT          -- of which denied or partial
--   appeals_overturned          BIGINT          -- claims with appeal outcome overturned
--   appeals_decided             BIGINT          -- claims with appeal outcome overturned or upheld
--   coding_activities           BIGINT          -- activities completed in the month
--   inpatient_charts_coded      BIGINT          -- code activities on inpatient charts
--   inpatient_coding_hours      DOUBLE          -- hours on inpatient charts
--   encounters_coded            BIGINT          -- discharged encounters with coded_date in the month
--   discharge_to_code_days      BIGINT          -- days: Σ(coded_date − discharge_date) of those
--   discharged_to_date          BIGINT          -- encounters discharged by the month's last day (as-of population)
--   gross_charges_90d_amount    DECIMAL(18,2)   -- dollars: Σ total_charges discharged in the 90 days to month end
--   codes_reviewed              BIGINT          -- Σ codes_reviewed of audits in the month
--   codes_changed               BIGINT          -- Σ codes_changed of those
--   drg_audits                  BIGINT          -- audits carrying both DRGs
--   drg_mismatches              BIGINT          -- of which original_drg ≠ audited_drg
with months as (
    select
        cast(t.m as date) as month_start,
        cast(t.m + interval 1 month - interval 1 day as date) as month_end
    from generate_series(
        cast(date_trunc('month', $month) - interval 12 month as date),
        cast(date_trunc('month', $month) as date),
        interval 1 month
    ) as t(m)
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
discharge_kpis as (
    select
        m.month_start,
        count(*) as discharges,
        count(*) filter (where e.patient_type = 'inpatient') as inpatient_discharges,
        sum(greatest(date_diff('day', e.admit_date, e.discharge_date), 1))
            filter (where e.patient_type = 'inpatient') as inpatient_los_days
    from months as m
    join enc as e on e.discharge_date between m.month_start and m.month_end
    group by m.month_start
),
inpatient as (
    select
        m.month_start,
        e.ms_drg,
        year(e.discharge_date) + case when month(e.discharge_date) >= 10 then 1 else 0 end as fiscal_year
    from months as m
    join enc as e on e.discharge_date between m.month_start and m.month_end
    where e.patient_type = 'inpatient'
),
applied_year as (
    -- the discharge's fiscal-year MS-DRG table, or the nearest year's when none is loaded (tie: newer)
    select ranked.fiscal_year, ranked.table_year
    from (
        select
            d.fiscal_year,
            t.fiscal_year as table_year,
            row_number() over (
                partition by d.fiscal_year
                order by abs(t.fiscal_year - d.fiscal_year), t.fiscal_year desc
            ) as rn
        from (select distinct fiscal_year from inpatient) as d
        cross join (select distinct fiscal_year from ref_msdrg) as t
    ) as ranked
    where ranked.rn = 1
),
cmi_kpis as (
    select
        i.month_start,
        count(r.drg) as weighted_discharges,
        sum(r.weight) as weight_sum
    from inpatient as i
    left join applied_year as a on a.fiscal_year = i.fiscal_year
    left join ref_msdrg as r on r.fiscal_year = a.table_year and r.drg = i.ms_drg
    group by i.month_start
),
claim_kpis as (
    select
        m.month_start,
        count(*) as claims_submitted,
        count(*) filter (where c.status in ('denied', 'partial')) as claims_denied,
        coalesce(sum(c.denied_amount) filter (where c.status in ('denied', 'partial')), 0) as denied_amount,
        count(*) filter (where c.appeal_outcome = 'overturned') as appeals_overturned,
        count(*) filter (where c.appeal_outcome in ('overturned', 'upheld')) as appeals_decided
    from months as m
    join claims as c on c.submitted_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = c.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, c.payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
coding_kpis as (
    select
        m.month_start,
        count(*) as coding_activities,
        count(*) filter (where a.activity = 'code') as charts_coded,
        sum(date_diff('microsecond', a.started_at, a.completed_at)) as coding_microseconds,
        count(*) filter (where a.activity = 'code' and a.chart_type = 'inpatient') as inpatient_charts_coded,
        sum(date_diff('microsecond', a.started_at, a.completed_at)) filter (where a.chart_type = 'inpatient')
            as inpatient_coding_microseconds
    from months as m
    join coding_activity as a on cast(a.completed_at as date) between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
turnaround_kpis as (
    select
        m.month_start,
        count(*) as encounters_coded,
        sum(date_diff('day', e.discharge_date, e.coded_date)) as discharge_to_code_days
    from months as m
    join enc as e on e.coded_date between m.month_start and m.month_end
    where e.discharge_date is not null
    group by m.month_start
),
audit_kpis as (
    select
        m.month_start,
        sum(a.codes_reviewed) as codes_reviewed,
        sum(a.codes_changed) as codes_changed,
        count(*) filter (where a.original_drg is not null and a.audited_drg is not null) as drg_audits,
        count(*) filter (where a.original_drg <> a.audited_drg) as drg_mismatches
    from months as m
    join coding_audits as a on a.audit_date between m.month_start and m.month_end
    left join encounters as e on e.encounter_id = a.encounter_id
    where true
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
    group by m.month_start
),
snapshot_kpis as (
    -- as-of figures at the month's last day D
    select
        m.month_start,
        count(*) as discharged_to_date,
        count(*) filter (where e.coded_date is null or e.coded_date > m.month_end) as coding_backlog,
        count(*) filter (
            where (e.final_billed_date is null or e.final_billed_date > m.month_end)
              and date_diff('day', e.discharge_date, m.month_end) > $bill_hold_days
        ) as dnfb_count,
        coalesce(sum(e.total_charges) filter (
            where (e.final_billed_date is null or e.final_billed_date > m.month_end)
              and date_diff('day', e.discharge_date, m.month_end) > $bill_hold_days
        ), 0) as dnfb_amount,
        coalesce(sum(e.total_charges) filter (where date_diff('day', e.discharge_date, m.month_end) < 90), 0)
            as gross_charges_90d_amount
    from months as m
    join enc as e on e.discharge_date <= m.month_end
    group by m.month_start
),
final as (
    select
        cast(m.month_start as date) as month,
        cast(d.discharges as bigint) as discharges,
        cast(d.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(d.inpatient_los_days as double) / nullif(d.inpatient_discharges, 0) as double) as alos_days,
        cast(cast(w.weight_sum as double) / nullif(w.weighted_discharges, 0) as double) as cmi,
        cast(cast(c.claims_denied as double) / nullif(c.claims_submitted, 0) as double) as initial_denial_rate,
        cast(c.denied_amount as decimal(18, 2)) as denied_amount,
        cast(cast(c.appeals_overturned as double) / nullif(c.appeals_decided, 0) as double)
            as denial_overturn_rate,
        cast(k.charts_coded as bigint) as charts_coded,
        cast(k.coding_microseconds / 3600000000.0 as double) as coding_hours,
        cast(k.charts_coded / nullif(k.coding_microseconds / 3600000000.0, 0) as double) as charts_per_hour,
        cast(cast(t.discharge_to_code_days as double) / nullif(t.encounters_coded, 0) as double)
            as avg_discharge_to_code_days,
        cast(s.coding_backlog as bigint) as coding_backlog,
        cast(s.dnfb_count as bigint) as dnfb_count,
        cast(s.dnfb_amount as decimal(18, 2)) as dnfb_amount,
        cast(1 - cast(q.codes_changed as double) / nullif(q.codes_reviewed, 0) as double) as coding_accuracy,
        cast(
            cast(s.dnfb_amount as double) / nullif(cast(s.gross_charges_90d_amount as double) / 90, 0) as double
        ) as dnfb_days,
        cast(1 - cast(q.drg_mismatches as double) / nullif(q.drg_audits, 0) as double) as drg_accuracy,
        cast(
            k.inpatient_charts_coded / nullif(k.inpatient_coding_microseconds / 3600000000.0, 0) as double
        ) as inpatient_charts_per_hour,
        cast(d.inpatient_los_days as bigint) as inpatient_los_days,
        cast(w.weighted_discharges as bigint) as weighted_discharges,
        cast(w.weight_sum as decimal(18, 4)) as weight_sum,
        cast(c.claims_submitted as bigint) as claims_submitted,
        cast(c.claims_denied as bigint) as claims_denied,
        cast(c.appeals_overturned as bigint) as appeals_overturned,
        cast(c.appeals_decided as bigint) as appeals_decided,
        cast(k.coding_activities as bigint) as coding_activities,
        cast(k.inpatient_charts_coded as bigint) as inpatient_charts_coded,
        cast(k.inpatient_coding_microseconds / 3600000000.0 as double) as inpatient_coding_hours,
        cast(t.encounters_coded as bigint) as encounters_coded,
        cast(t.discharge_to_code_days as bigint) as discharge_to_code_days,
        cast(s.discharged_to_date as bigint) as discharged_to_date,
        cast(s.gross_charges_90d_amount as decimal(18, 2)) as gross_charges_90d_amount,
        cast(q.codes_reviewed as bigint) as codes_reviewed,
        cast(q.codes_changed as bigint) as codes_changed,
        cast(q.drg_audits as bigint) as drg_audits,
        cast(q.drg_mismatches as bigint) as drg_mismatches
    from months as m
    left join discharge_kpis as d on d.month_start = m.month_start
    left join cmi_kpis as w on w.month_start = m.month_start
    left join claim_kpis as c on c.month_start = m.month_start
    left join coding_kpis as k on k.month_start = m.month_start
    left join turnaround_kpis as t on t.month_start = m.month_start
    left join audit_kpis as q on q.month_start = m.month_start
    left join snapshot_kpis as s on s.month_start = m.month_start
)
select * from final
order by month

-- name: scorecard.trend_rollup
-- scorecard.trend computed from the monthly rollup tables built at the end of each load (fast for
-- sparklines; exactly the same numbers for months up to the month of the build — the as-of figures
-- of later months are not in the rollups). Grain: one row per month, oldest first.
-- params:
--   month            DATE        -- the scorecard month (any day of it; its first day is used)
--   bill_hold_days   INTEGER     -- DNFB counts encounters discharged more than this many days before D
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer (the claim's payer for denials); empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   month                       DATE            -- first day of the month
--   discharges                  BIGINT          -- encounters discharged in the month
--   inpatient_discharges        BIGINT          -- of which inpatient
--   alos_days                   DOUBLE          -- days: inpatient_los_days ÷ inpatient_discharges
--   cmi                         DOUBLE          -- weight_sum ÷ weighted_discharges
--   initial_denial_rate         DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   denied_amount               DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   denial_overturn_rate        DOUBLE          -- fraction: appeals_overturned ÷ appeals_decided
--   charts_coded                BIGINT          -- code activities completed in the month
--   coding_hours                DOUBLE          -- hours: Σ(completed_at − started_at), all activities
--   charts_per_hour             DOUBLE          -- charts_coded ÷ coding_hours (all chart types)
--   avg_discharge_to_code_days  DOUBLE          -- days: discharge_to_code_days ÷ encounters_coded
--   coding_backlog              BIGINT          -- encounters uncoded at the month's last day
--   dnfb_count                  BIGINT          -- encounters in DNFB at the month's last day
--   dnfb_amount                 DECIMAL(18,2)   -- dollars: Σ total_charges of the DNFB
--   coding_accuracy             DOUBLE          -- fraction: 1 − codes_changed ÷ codes_reviewed
--   dnfb_days                   DOUBLE          -- days: dnfb_amount ÷ (gross_charges_90d_amount ÷ 90)
--   drg_accuracy                DOUBLE          -- fraction: 1 − drg_mismatches ÷ drg_audits
--   inpatient_charts_per_hour   DOUBLE          -- inpatient_charts_coded ÷ inpatient_coding_hours
--   inpatient_los_days          BIGINT          -- days: Σ LOS of inpatient discharges (same-day = 1)
--   weighted_discharges         BIGINT          -- inpatient discharges with a DRG in the applied table
--   weight_sum                  DECIMAL(18,4)   -- Σ relative weight of those
--   claims_submitted            BIGINT          -- claims submitted in the month
--   claims_denied               BIGINT          -- of which denied or partial
--   appeals_overturned          BIGINT          -- claims with appeal outcome overturned
--   appeals_decided             BIGINT          -- claims with appeal outcome overturned or upheld
--   coding_activities           BIGINT          -- activities completed in the month
--   inpatient_charts_coded      BIGINT          -- code activities on inpatient charts
--   inpatient_coding_hours      DOUBLE          -- hours on inpatient charts
--   encounters_coded            BIGINT          -- discharged encounters with coded_date in the month
--   discharge_to_code_days      BIGINT          -- days: Σ(coded_date − discharge_date) of those
--   discharged_to_date          BIGINT          -- encounters discharged by the month's last day (as-of population)
--   gross_charges_90d_amount    DECIMAL(18,2)   -- dollars: Σ total_charges discharged in the 90 days to month end
--   codes_reviewed              BIGINT          -- Σ codes_reviewed of audits in the month
--   codes_changed               BIGINT          -- Σ codes_changed of those
--   drg_audits                  BIGINT          -- audits carrying both DRGs
--   drg_mismatches              BIGINT          -- of which original_drg ≠ audited_drg
with months as (
    select
        cast(t.m as date) as month_start,
        cast(t.m + interval 1 month - interval 1 day as date) as month_end
    from generate_series(
        cast(date_trunc('month', $month) - interval 12 month as date),
        cast(date_trunc('month', $month) as date),
        interval 1 month
    ) as t(m)
),
discharge_kpis as (
    select
        m.month_start,
        sum(r.discharges) as discharges,
        sum(r.inpatient_discharges) as inpatient_discharges,
        sum(r.inpatient_los_days) as inpatient_los_days
    from months as m
    join rollup_discharges as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
cmi_kpis as (
    select
        m.month_start,
        sum(r.weighted_discharges) as weighted_discharges,
        sum(r.weight_sum) as weight_sum
    from months as m
    join rollup_discharges as r on r.month = m.month_start
    where r.inpatient_discharges > 0
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
claim_kpis as (
    select
        m.month_start,
        sum(r.claims_submitted) as claims_submitted,
        sum(r.claims_denied) as claims_denied,
        sum(r.denied_amount) as denied_amount,
        sum(r.appeals_overturned) as appeals_overturned,
        sum(r.appeals_overturned + r.appeals_upheld) as appeals_decided
    from months as m
    join rollup_claims as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
coding_kpis as (
    select
        m.month_start,
        sum(r.activities) as coding_activities,
        sum(r.charts_coded) as charts_coded,
        sum(r.coding_microseconds) as coding_microseconds,
        coalesce(sum(r.charts_coded) filter (where r.chart_type = 'inpatient'), 0) as inpatient_charts_coded,
        sum(r.coding_microseconds) filter (where r.chart_type = 'inpatient') as inpatient_coding_microseconds
    from months as m
    join rollup_coding as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
turnaround_kpis as (
    select
        m.month_start,
        sum(r.encounters_coded) as encounters_coded,
        sum(r.discharge_to_code_days) as discharge_to_code_days
    from months as m
    join rollup_coded as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
audit_kpis as (
    select
        m.month_start,
        sum(r.codes_reviewed) as codes_reviewed,
        sum(r.codes_changed) as codes_changed,
        sum(r.drg_audits) as drg_audits,
        sum(r.drg_mismatches) as drg_mismatches
    from months as m
    join rollup_audits as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
population as (
    -- as-of population: encounters discharged by the month's last day
    select m.month_start, sum(r.discharges) as discharged_to_date
    from months as m
    join rollup_discharges as r on r.month <= m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
snapshot_rows as (
    select
        m.month_start,
        sum(r.uncoded_count) as coding_backlog,
        sum(r.unbilled_count) filter (where r.age_days > $bill_hold_days) as dnfb_count,
        sum(r.unbilled_amount) filter (where r.age_days > $bill_hold_days) as dnfb_amount
    from months as m
    join rollup_snapshots as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
charges_90d as (
    select m.month_start, sum(r.gross_charges_90d_amount) as gross_charges_90d_amount
    from months as m
    join rollup_charges_90d as r on r.month = m.month_start
    where true
      and (array_length($facility) = 0 or list_contains($facility, r.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, r.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, r.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, r.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, r.service_line))
    group by m.month_start
),
snapshot_kpis as (
    select
        p.month_start,
        p.discharged_to_date,
        coalesce(s.coding_backlog, 0) as coding_backlog,
        coalesce(s.dnfb_count, 0) as dnfb_count,
        coalesce(s.dnfb_amount, 0) as dnfb_amount,
        coalesce(g.gross_charges_90d_amount, 0) as gross_charges_90d_amount
    from population as p
    left join snapshot_rows as s on s.month_start = p.month_start
    left join charges_90d as g on g.month_start = p.month_start
),
final as (
    select
        cast(m.month_start as date) as month,
        cast(d.discharges as bigint) as discharges,
        cast(d.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(d.inpatient_los_days as double) / nullif(d.inpatient_discharges, 0) as double) as alos_days,
        cast(cast(w.weight_sum as double) / nullif(w.weighted_discharges, 0) as double) as cmi,
        cast(cast(c.claims_denied as double) / nullif(c.claims_submitted, 0) as double) as initial_denial_rate,
        cast(c.denied_amount as decimal(18, 2)) as denied_amount,
        cast(cast(c.appeals_overturned as double) / nullif(c.appeals_decided, 0) as double)
            as denial_overturn_rate,
        cast(k.charts_coded as bigint) as charts_coded,
        cast(k.coding_microseconds / 3600000000.0 as double) as coding_hours,
        cast(k.charts_coded / nullif(k.coding_microseconds / 3600000000.0, 0) as double) as charts_per_hour,
        cast(cast(t.discharge_to_code_days as double) / nullif(t.encounters_coded, 0) as double)
            as avg_discharge_to_code_days,
        cast(s.coding_backlog as bigint) as coding_backlog,
        cast(s.dnfb_count as bigint) as dnfb_count,
        cast(s.dnfb_amount as decimal(18, 2)) as dnfb_amount,
        cast(1 - cast(q.codes_changed as double) / nullif(q.codes_reviewed, 0) as double) as coding_accuracy,
        cast(
            cast(s.dnfb_amount as double) / nullif(cast(s.gross_charges_90d_amount as double) / 90, 0) as double
        ) as dnfb_days,
        cast(1 - cast(q.drg_mismatches as double) / nullif(q.drg_audits, 0) as double) as drg_accuracy,
        cast(
            k.inpatient_charts_coded / nullif(k.inpatient_coding_microseconds / 3600000000.0, 0) as double
        ) as inpatient_charts_per_hour,
        cast(d.inpatient_los_days as bigint) as inpatient_los_days,
        cast(w.weighted_discharges as bigint) as weighted_discharges,
        cast(w.weight_sum as decimal(18, 4)) as weight_sum,
        cast(c.claims_submitted as bigint) as claims_submitted,
        cast(c.claims_denied as bigint) as claims_denied,
        cast(c.appeals_overturned as bigint) as appeals_overturned,
        cast(c.appeals_decided as bigint) as appeals_decided,
        cast(k.coding_activities as bigint) as coding_activities,
        cast(k.inpatient_charts_coded as bigint) as inpatient_charts_coded,
        cast(k.inpatient_coding_microseconds / 3600000000.0 as double) as inpatient_coding_hours,
        cast(t.encounters_coded as bigint) as encounters_coded,
        cast(t.discharge_to_code_days as bigint) as discharge_to_code_days,
        cast(s.discharged_to_date as bigint) as discharged_to_date,
        cast(s.gross_charges_90d_amount as decimal(18, 2)) as gross_charges_90d_amount,
        cast(q.codes_reviewed as bigint) as codes_reviewed,
        cast(q.codes_changed as bigint) as codes_changed,
        cast(q.drg_audits as bigint) as drg_audits,
        cast(q.drg_mismatches as bigint) as drg_mismatches
    from months as m
    left join discharge_kpis as d on d.month_start = m.month_start
    left join cmi_kpis as w on w.month_start = m.month_start
    left join claim_kpis as c on c.month_start = m.month_start
    left join coding_kpis as k on k.month_start = m.month_start
    left join turnaround_kpis as t on t.month_start = m.month_start
    left join audit_kpis as q on q.month_start = m.month_start
    left join snapshot_kpis as s on s.month_start = m.month_start
)
select * from final
order by month
