-- The monthly scorecard (him-primer.md, "The monthly scorecard"): for a month M, period KPIs over M
-- and as-of KPIs at M's last day, each as defined in its family file (demographics, drg, denials,
-- coding, operations); tests check that both agree (tests/sql/test_scorecard.py, test_layers.py, and
-- an independent Polars oracle, test_oracle.py). Null (never 0) where the month has no data: a count
-- is null when nothing of its kind happened in the month (as-of counts: when no encounter was
-- discharged by its last day), a rate when its denominator is 0 or null. The payer filter is the
-- claim's payer for the denial KPIs and the primary payer for the others.
-- scorecard.monthly and scorecard.trend read the month-level intermediate tables int_month_flows and
-- int_month_ends (warehouse/schema.sql), so their cost does not grow with the number of encounters;
-- they share one body (only the months differ). The trend's calendar uses DuckDB's generate_series
-- (Spark: explode(sequence(...))).
-- scorecard.trend_rollup is scorecard.trend read through the rollup views a load makes
-- (warehouse/sql/rollups.sql); on a file no load has built it fails with one clear error.

-- fragment: scorecard_trend_months
-- the CTE months of the trends: M−12 … M, then a comma
with months as (
    select cast(t.m as date) as month
    from generate_series(
        cast(date_trunc('month', $month) - interval 12 month as date),
        cast(date_trunc('month', $month) as date),
        interval 1 month
    ) as t(m)
),

-- fragment: scorecard_flow_sums
-- the select list of flows: the month (m) and the sum of every month-flows measure (f)
m.month,
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
sum(f.coding_activities) as coding_activities,
sum(f.charts_coded) as charts_coded,
sum(f.coding_microseconds) as coding_microseconds,
sum(f.inpatient_charts_coded) as inpatient_charts_coded,
sum(f.inpatient_coding_microseconds) as inpatient_coding_microseconds,
sum(f.encounters_coded) as encounters_coded,
sum(f.discharge_to_code_days) as discharge_to_code_days,
sum(f.codes_reviewed) as codes_reviewed,
sum(f.codes_changed) as codes_changed,
sum(f.drg_audits) as drg_audits,
sum(f.drg_mismatches) as drg_mismatches

-- fragment: scorecard_month_end_sums
-- the select list of month_ends: the month (m) and the as-of figures of the month-end states (s)
m.month,
sum(s.discharged_to_date) as discharged_to_date,
sum(s.uncoded_count) as coding_backlog,
sum(s.unbilled_count) filter (where s.age_days > $bill_hold_days) as dnfb_count,
sum(s.unbilled_amount) filter (where s.age_days > $bill_hold_days) as dnfb_amount,
sum(s.gross_charges_90d_amount) as gross_charges_90d_amount

-- fragment: scorecard_final
-- snapshot_kpis, final and the final select, after the CTEs months, flows and month_ends
snapshot_kpis as (
    -- null when nothing was discharged by the month's last day; a real 0 otherwise
    select
        month,
        discharged_to_date,
        coalesce(coding_backlog, 0) as coding_backlog,
        coalesce(dnfb_count, 0) as dnfb_count,
        coalesce(dnfb_amount, 0) as dnfb_amount,
        coalesce(gross_charges_90d_amount, 0) as gross_charges_90d_amount
    from month_ends
    where discharged_to_date > 0
),
final as (
    select
        cast(m.month as date) as month,
        cast(f.discharges as bigint) as discharges,
        cast(f.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(f.inpatient_los_days as double) / nullif(f.inpatient_discharges, 0) as double) as alos_days,
        cast(cast(f.weight_sum as double) / nullif(f.weighted_discharges, 0) as double) as cmi,
        cast(cast(f.claims_denied as double) / nullif(f.claims_submitted, 0) as double) as initial_denial_rate,
        cast(f.denied_amount as decimal(18, 2)) as denied_amount,
        cast(cast(f.appeals_overturned as double) / nullif(f.appeals_decided, 0) as double)
            as denial_overturn_rate,
        cast(f.charts_coded as bigint) as charts_coded,
        cast(f.coding_microseconds / 3600000000.0 as double) as coding_hours,
        cast(f.charts_coded / nullif(f.coding_microseconds / 3600000000.0, 0) as double) as charts_per_hour,
        cast(cast(f.discharge_to_code_days as double) / nullif(f.encounters_coded, 0) as double)
            as avg_discharge_to_code_days,
        cast(s.coding_backlog as bigint) as coding_backlog,
        cast(s.dnfb_count as bigint) as dnfb_count,
        cast(s.dnfb_amount as decimal(18, 2)) as dnfb_amount,
        cast(1 - cast(f.codes_changed as double) / nullif(f.codes_reviewed, 0) as double) as coding_accuracy,
        cast(
            cast(s.dnfb_amount as double) / nullif(cast(s.gross_charges_90d_amount as double) / 90, 0) as double
        ) as dnfb_days,
        cast(1 - cast(f.drg_mismatches as double) / nullif(f.drg_audits, 0) as double) as drg_accuracy,
        cast(
            f.inpatient_charts_coded / nullif(f.inpatient_coding_microseconds / 3600000000.0, 0) as double
        ) as inpatient_charts_per_hour,
        cast(f.inpatient_los_days as bigint) as inpatient_los_days,
        cast(f.weighted_discharges as bigint) as weighted_discharges,
        cast(f.weight_sum as decimal(18, 4)) as weight_sum,
        cast(f.claims_submitted as bigint) as claims_submitted,
        cast(f.claims_denied as bigint) as claims_denied,
        cast(f.appeals_overturned as bigint) as appeals_overturned,
        cast(f.appeals_decided as bigint) as appeals_decided,
        cast(f.coding_activities as bigint) as coding_activities,
        cast(f.inpatient_charts_coded as bigint) as inpatient_charts_coded,
        cast(f.inpatient_coding_microseconds / 3600000000.0 as double) as inpatient_coding_hours,
        cast(f.encounters_coded as bigint) as encounters_coded,
        cast(f.discharge_to_code_days as bigint) as discharge_to_code_days,
        cast(s.discharged_to_date as bigint) as discharged_to_date,
        cast(s.gross_charges_90d_amount as decimal(18, 2)) as gross_charges_90d_amount,
        cast(f.codes_reviewed as bigint) as codes_reviewed,
        cast(f.codes_changed as bigint) as codes_changed,
        cast(f.drg_audits as bigint) as drg_audits,
        cast(f.drg_mismatches as bigint) as drg_mismatches
    from months as m
    left join flows as f on f.month = m.month
    left join snapshot_kpis as s on s.month = m.month
)
select * from final
order by month

-- fragment: scorecard_from_month_tables
-- flows, month_ends and the rest, read from int_month_flows and int_month_ends, after the CTE months
flows as (
    -- the period KPIs' components in the month (int_month_flows: payer = the claim's payer for claims)
    select
        -- include: scorecard_flow_sums
    from months as m
    join int_month_flows as f on f.month = m.month
    where true
      -- include: filters_f
    group by m.month
),
month_ends as (
    -- the as-of figures at the month's last day (int_month_ends; after its last month nothing changes)
    select
        -- include: scorecard_month_end_sums
    from (select month, least(month, (select max(month) from int_month_ends)) as state_month from months) as m
    join int_month_ends as s on s.month = m.state_month
    where true
      -- include: filters_s
    group by m.month
),
-- include: scorecard_final

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
    select cast(date_trunc('month', $month) as date) as month
),
-- include: scorecard_from_month_tables

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
-- include: scorecard_trend_months
-- include: scorecard_from_month_tables

-- name: scorecard.trend_rollup
-- scorecard.trend read through the rollup views that only a load makes (rollup_month_flows and
-- rollup_month_ends over the same month tables: exactly the same numbers; the dashboard's sparklines).
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
-- include: scorecard_trend_months
flows as (
    -- the period KPIs' components in the month (rollup_month_flows: payer = the claim's payer for claims)
    select
        -- include: scorecard_flow_sums
    from months as m
    join rollup_month_flows as f on f.month = m.month
    where true
      -- include: filters_f
    group by m.month
),
month_ends as (
    -- the as-of figures at the month's last day (rollup_month_ends; after its last month nothing changes)
    select
        -- include: scorecard_month_end_sums
    from (select month, least(month, (select max(month) from rollup_month_ends)) as state_month from months) as m
    join rollup_month_ends as s on s.month = m.state_month
    where true
      -- include: filters_s
    group by m.month
),
-- include: scorecard_final
