-- DRG mix and case mix index (him-primer.md, "DRG mix and case mix index").
-- Inpatient discharges of the period (by discharge_date), read from int_encounters (warehouse/schema.sql),
-- where each discharge is already looked up in the MS-DRG table of its federal fiscal year (Oct 1 -
-- Sep 30), or the nearest fiscal year's table when the warehouse has none for that year
-- (drg_table_year <> fiscal_year: counted in nearest_fy_count, which the screen notes), with its
-- weight, GMLOS and CC/MCC family (titles are read from ref_msdrg after aggregating). Discharges with
-- no DRG ("ungrouped") or a DRG missing from the applied table (not drg_in_table) are counted apart
-- and excluded from CMI.

-- fragment: drg_inpatient_discharged
-- the start of the with clause of drg.mix and drg.mix_by_mdc: discharged (the inpatient discharges
-- of the period under the filters) and total (their count), ending in a comma
with discharged as (
    select e.ms_drg, e.drg_table_year, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
total as (
    select count(*) as inpatient_discharges from discharged
),

-- fragment: drg_cc_mcc_eligible_rows
-- from and where of eligible (inpatient discharges of the period whose DRG is in a CC/MCC split
-- family, under the filters)
from int_encounters as e
where e.patient_type = 'inpatient'
  and e.drg_in_split_family
  and e.discharge_date between $date_from and $date_to
  -- include: filters_e

-- fragment: drg_cc_mcc_measures
-- the CC/MCC capture measures of eligible, in a select list after the group's key
cast(count(*) as bigint) as eligible_discharges,
cast(count(*) filter (where drg_with_cc_mcc) as bigint) as cc_mcc_discharges,
cast(cast(count(*) filter (where drg_with_cc_mcc) as double) / count(*) as double) as cc_mcc_capture_rate

-- name: drg.cmi
-- Case mix index of the period: mean relative weight over inpatient discharges found in the table.
-- Grain: one row for the whole period (null when there is no inpatient discharge).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   inpatient_discharges    BIGINT          -- inpatient discharges in the period
--   weighted_discharges     BIGINT          -- of which with a DRG found in the applied table (denominator)
--   weight_sum              DECIMAL(18,4)   -- Σ relative weight of those (numerator)
--   cmi                     DOUBLE          -- weight_sum ÷ weighted_discharges
--   ungrouped_count         BIGINT          -- inpatient discharges with no MS-DRG
--   drg_not_in_table_count  BIGINT          -- with an MS-DRG missing from the applied table
--   nearest_fy_count        BIGINT          -- weighted with another fiscal year's table (none for theirs)
with discharged as (
    select e.ms_drg, e.fiscal_year, e.drg_table_year, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as inpatient_discharges,
        cast(case when count(*) > 0 then count(*) filter (where drg_in_table) end as bigint) as weighted_discharges,
        cast(sum(drg_weight) filter (where drg_in_table) as decimal(18, 4)) as weight_sum,
        cast(
            cast(sum(drg_weight) filter (where drg_in_table) as double)
            / nullif(count(*) filter (where drg_in_table), 0) as double
        ) as cmi,
        cast(case when count(*) > 0 then count(*) filter (where ms_drg is null) end as bigint) as ungrouped_count,
        cast(case when count(*) > 0 then count(*) filter (where ms_drg is not null and not drg_in_table) end
            as bigint) as drg_not_in_table_count,
        cast(case when count(*) > 0 then count(*) filter (where drg_in_table and drg_table_year <> fiscal_year) end
            as bigint) as nearest_fy_count
    from discharged
)
select * from final

-- name: drg.cmi_trend
-- CMI per period of the chosen grain, with its numerator, denominator and the excluded counts.
-- Grain: one row per period with inpatient discharges.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                  DATE            -- first day of the period
--   inpatient_discharges    BIGINT          -- inpatient discharges in the period
--   weighted_discharges     BIGINT          -- of which with a DRG found in the applied table
--   weight_sum              DECIMAL(18,4)   -- Σ relative weight of those
--   cmi                     DOUBLE          -- weight_sum ÷ weighted_discharges
--   ungrouped_count         BIGINT          -- with no MS-DRG
--   drg_not_in_table_count  BIGINT          -- with an MS-DRG missing from the applied table
with discharged as (
    select cast(date_trunc($grain, e.discharge_date) as date) as period, e.ms_drg, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
final as (
    select
        cast(period as date) as period,
        cast(count(*) as bigint) as inpatient_discharges,
        cast(count(*) filter (where drg_in_table) as bigint) as weighted_discharges,
        cast(sum(drg_weight) filter (where drg_in_table) as decimal(18, 4)) as weight_sum,
        cast(
            cast(sum(drg_weight) filter (where drg_in_table) as double)
            / nullif(count(*) filter (where drg_in_table), 0) as double
        ) as cmi,
        cast(count(*) filter (where ms_drg is null) as bigint) as ungrouped_count,
        cast(count(*) filter (where ms_drg is not null and not drg_in_table) as bigint) as drg_not_in_table_count
    from discharged
    group by period
)
select * from final
order by period

-- name: drg.cmi_by_type_trend
-- CMI per period and MS-DRG type (medical / surgical; unknown when the table gives none).
-- Grain: one row per (period, drg_type) with weighted discharges.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period               DATE            -- first day of the period
--   drg_type             VARCHAR         -- medical | surgical | unknown
--   weighted_discharges  BIGINT          -- discharges with a DRG found in the applied table
--   weight_sum           DECIMAL(18,4)   -- Σ relative weight
--   cmi                  DOUBLE          -- weight_sum ÷ weighted_discharges
with discharged as (
    select cast(date_trunc($grain, e.discharge_date) as date) as period, e.drg_type, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
final as (
    select
        cast(period as date) as period,
        cast(drg_type as varchar) as drg_type,
        cast(count(*) as bigint) as weighted_discharges,
        cast(sum(drg_weight) as decimal(18, 4)) as weight_sum,
        cast(cast(sum(drg_weight) as double) / count(*) as double) as cmi
    from discharged
    where drg_in_table
    group by period, drg_type
)
select * from final
order by period, drg_type

-- name: drg.cmi_trend_by_facility
-- CMI per period of the chosen grain and facility: what drg.cmi_trend gives with the facility filter
-- set to each facility in turn, in one query. A period with inpatient discharges but none weighted
-- has a row with cmi null. Grain: one row per (period, facility) with inpatient discharges.
-- Month / quarter / year trends read the calendar months wholly inside the range from int_month_flows
-- (its CMI components) and only the partial months at the range's edges from int_encounters, between
-- constant dates (DuckDB skips the other row groups; an edge path whose guard on the parameters is false
-- is not scanned at all); day / week trends read int_encounters.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                DATE            -- first day of the period
--   facility              VARCHAR         -- the encounter's facility_id
--   inpatient_discharges  BIGINT          -- inpatient discharges in the period
--   weighted_discharges   BIGINT          -- of which with a DRG found in the applied table (denominator)
--   weight_sum            DECIMAL(18,4)   -- Σ relative weight of those (numerator)
--   cmi                   DOUBLE          -- weight_sum ÷ weighted_discharges
with edge_discharges as (
    -- day / week trends: the whole range; month / quarter / year: the partial first month (the range
    -- starts after the 1st) and the partial last month (it ends before the month's last day)
    select
        cast(date_trunc($grain, e.discharge_date) as date) as period,
        e.facility_id, e.drg_in_table, e.drg_weight
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and (
          (
              $grain not in ('month', 'quarter', 'year')
              and e.discharge_date between $date_from and $date_to
          )
          or (
              $grain in ('month', 'quarter', 'year')
              and $date_from <> date_trunc('month', $date_from)
              and e.discharge_date between $date_from and least($date_to, last_day($date_from))
          )
          or (
              $grain in ('month', 'quarter', 'year')
              and $date_to <> last_day($date_to)
              and ($date_from = date_trunc('month', $date_from) or date_trunc('month', $date_to) > $date_from)
              and e.discharge_date between greatest($date_from, cast(date_trunc('month', $date_to) as date)) and $date_to
          )
      )
      -- include: filters_e
),
parts as (
    select
        period,
        facility_id,
        count(*) as inpatient_discharges,
        count(*) filter (where drg_in_table) as weighted_discharges,
        sum(drg_weight) filter (where drg_in_table) as weight_sum
    from edge_discharges
    group by period, facility_id
    union all
    -- month / quarter / year trends: the whole months inside the range, from the month table
    select
        cast(date_trunc($grain, f.month) as date) as period,
        f.facility_id,
        sum(f.inpatient_discharges) as inpatient_discharges,
        sum(coalesce(f.weighted_discharges, 0)) as weighted_discharges,
        sum(f.weight_sum) as weight_sum
    from int_month_flows as f
    where $grain in ('month', 'quarter', 'year')
      and f.patient_type = 'inpatient'
      and f.inpatient_discharges > 0
      and f.month >= $date_from
      and last_day(f.month) <= $date_to
      -- include: filters_f
    group by 1, 2
),
final as (
    select
        cast(period as date) as period,
        cast(facility_id as varchar) as facility,
        cast(sum(inpatient_discharges) as bigint) as inpatient_discharges,
        cast(sum(weighted_discharges) as bigint) as weighted_discharges,
        cast(sum(weight_sum) as decimal(18, 4)) as weight_sum,
        cast(cast(sum(weight_sum) as double) / nullif(sum(weighted_discharges), 0) as double) as cmi
    from parts
    group by period, facility_id
)
select * from final
order by period, facility

-- name: drg.mix
-- DRG mix: inpatient discharges per MS-DRG with share of all inpatient discharges, title, MDC, type
-- and mean relative weight (title etc. from the newest table applied). Ungrouped discharges form one
-- row with ms_drg null. Grain: one row per MS-DRG with discharges in the period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   ms_drg                VARCHAR   -- 3-digit MS-DRG; null = ungrouped
--   title                 VARCHAR   -- null when the DRG is in no applied table
--   mdc                   VARCHAR   -- major diagnostic category
--   drg_type              VARCHAR   -- medical | surgical | unknown
--   discharges            BIGINT    -- inpatient discharges with this DRG
--   weighted_discharges   BIGINT    -- of which found in the applied table
--   inpatient_discharges  BIGINT    -- all inpatient discharges of the period (denominator of share)
--   share                 DOUBLE    -- fraction: discharges ÷ inpatient_discharges
--   avg_weight            DOUBLE    -- mean relative weight of the weighted discharges
-- include: drg_inpatient_discharged
per_drg as (
    select
        ms_drg,
        max(drg_table_year) filter (where drg_in_table) as table_year,  -- the newest table applied
        count(*) as discharges,
        count(*) filter (where drg_in_table) as weighted_discharges,
        avg(drg_weight) filter (where drg_in_table) as avg_weight
    from discharged
    group by ms_drg
),
final as (
    select
        cast(d.ms_drg as varchar) as ms_drg,
        cast(r.title as varchar) as title,
        cast(r.mdc as varchar) as mdc,
        cast(coalesce(r.drg_type, 'unknown') as varchar) as drg_type,
        cast(d.discharges as bigint) as discharges,
        cast(d.weighted_discharges as bigint) as weighted_discharges,
        cast(t.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(d.discharges as double) / t.inpatient_discharges as double) as share,
        cast(d.avg_weight as double) as avg_weight
    from per_drg as d
    cross join total as t
    left join ref_msdrg as r on r.fiscal_year = d.table_year and r.drg = d.ms_drg
)
select * from final
order by discharges desc, ms_drg nulls last

-- name: drg.mix_by_mdc
-- DRG mix per major diagnostic category: inpatient discharges per MDC with share of all inpatient
-- discharges and CMI. A DRG's MDC is the one drg.mix shows (the newest table applied), so each row is
-- the sum of drg.mix's rows of that MDC; mdc null = ungrouped or a DRG in no applied table (cmi null
-- when none of them is weighted). Grain: one row per MDC with discharges in the period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   mdc                   VARCHAR         -- major diagnostic category; null = ungrouped / not in the table
--   discharges            BIGINT          -- inpatient discharges with a DRG of this MDC
--   weighted_discharges   BIGINT          -- of which found in the applied table (denominator of cmi)
--   inpatient_discharges  BIGINT          -- all inpatient discharges of the period (denominator of share)
--   share                 DOUBLE          -- fraction: discharges ÷ inpatient_discharges
--   weight_sum            DECIMAL(18,4)   -- Σ relative weight of the weighted discharges (numerator)
--   cmi                   DOUBLE          -- weight_sum ÷ weighted_discharges
-- include: drg_inpatient_discharged
per_drg as (
    select
        ms_drg,
        max(drg_table_year) filter (where drg_in_table) as table_year,  -- the newest table applied
        count(*) as discharges,
        count(*) filter (where drg_in_table) as weighted_discharges,
        sum(drg_weight) filter (where drg_in_table) as weight_sum
    from discharged
    group by ms_drg
),
per_mdc as (
    select
        r.mdc,
        sum(d.discharges) as discharges,
        sum(d.weighted_discharges) as weighted_discharges,
        sum(d.weight_sum) as weight_sum
    from per_drg as d
    left join ref_msdrg as r on r.fiscal_year = d.table_year and r.drg = d.ms_drg
    group by r.mdc
),
final as (
    select
        cast(m.mdc as varchar) as mdc,
        cast(m.discharges as bigint) as discharges,
        cast(m.weighted_discharges as bigint) as weighted_discharges,
        cast(t.inpatient_discharges as bigint) as inpatient_discharges,
        cast(cast(m.discharges as double) / t.inpatient_discharges as double) as share,
        cast(m.weight_sum as decimal(18, 4)) as weight_sum,
        cast(cast(m.weight_sum as double) / nullif(m.weighted_discharges, 0) as double) as cmi
    from per_mdc as m
    cross join total as t
)
select * from final
order by discharges desc, mdc nulls last

-- name: drg.alos_vs_gmlos
-- ALOS per MS-DRG against the table's geometric mean LOS (LOS variance and index), over inpatient
-- discharges whose DRG is found in the applied table. Grain: one row per MS-DRG.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   ms_drg             VARCHAR   -- 3-digit MS-DRG
--   title              VARCHAR   -- from the newest table applied
--   drg_type           VARCHAR   -- medical | surgical | unknown
--   discharges         BIGINT    -- weighted inpatient discharges with this DRG
--   los_days           BIGINT    -- days: Σ LOS (same-day stay = 1)
--   alos_days          DOUBLE    -- days: los_days ÷ discharges
--   gmlos_days         DOUBLE    -- days: mean GMLOS of the applied tables (null when the table has none)
--   los_variance_days  DOUBLE    -- days: alos_days − gmlos_days
--   los_index          DOUBLE    -- ratio: alos_days ÷ gmlos_days
with discharged as (
    select e.ms_drg, e.drg_table_year, e.drg_gmlos, e.los_days
    from int_encounters as e
    where e.patient_type = 'inpatient'
      and e.drg_in_table
      and e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
per_drg as (
    select
        ms_drg,
        max(drg_table_year) as table_year,  -- the newest table applied: its title and type
        count(*) as discharges,
        sum(los_days) as los_days,
        avg(los_days) as alos_days,
        avg(drg_gmlos) as gmlos_days
    from discharged
    group by ms_drg
),
final as (
    select
        cast(d.ms_drg as varchar) as ms_drg,
        cast(r.title as varchar) as title,
        cast(coalesce(r.drg_type, 'unknown') as varchar) as drg_type,
        cast(d.discharges as bigint) as discharges,
        cast(d.los_days as bigint) as los_days,
        cast(d.alos_days as double) as alos_days,
        cast(d.gmlos_days as double) as gmlos_days,
        cast(d.alos_days - d.gmlos_days as double) as los_variance_days,
        cast(d.alos_days / nullif(d.gmlos_days, 0) as double) as los_index
    from per_drg as d
    left join ref_msdrg as r on r.fiscal_year = d.table_year and r.drg = d.ms_drg
)
select * from final
order by discharges desc, ms_drg

-- name: drg.cc_mcc_capture
-- CC/MCC capture: share of discharges in WITH MCC / WITH CC DRGs among discharges in DRG families
-- that have such splits. Grain: one row for the period (null when no discharge is eligible).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   eligible_discharges  BIGINT   -- discharges in DRG families that have CC/MCC splits (denominator)
--   cc_mcc_discharges    BIGINT   -- of which in a WITH MCC / WITH CC / WITH CC/MCC DRG (numerator)
--   cc_mcc_capture_rate  DOUBLE   -- fraction: cc_mcc_discharges ÷ eligible_discharges
with eligible as (
    -- discharges whose DRG (in the applied table) belongs to a family with CC/MCC splits
    select e.drg_with_cc_mcc
    -- include: drg_cc_mcc_eligible_rows
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as eligible_discharges,
        cast(case when count(*) > 0 then count(*) filter (where drg_with_cc_mcc) end as bigint)
            as cc_mcc_discharges,
        cast(cast(count(*) filter (where drg_with_cc_mcc) as double) / nullif(count(*), 0) as double)
            as cc_mcc_capture_rate
    from eligible
)
select * from final

-- name: drg.cc_mcc_capture_by_service_line
-- CC/MCC capture per service line (definition as drg.cc_mcc_capture).
-- Grain: one row per service line with eligible discharges (null service line = not given).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   service_line         VARCHAR  -- null when the encounter has none
--   eligible_discharges  BIGINT   -- discharges in DRG families that have CC/MCC splits (denominator)
--   cc_mcc_discharges    BIGINT   -- of which in a WITH MCC / WITH CC / WITH CC/MCC DRG (numerator)
--   cc_mcc_capture_rate  DOUBLE   -- fraction: cc_mcc_discharges ÷ eligible_discharges
with eligible as (
    -- discharges whose DRG (in the applied table) belongs to a family with CC/MCC splits
    select e.service_line, e.drg_with_cc_mcc
    -- include: drg_cc_mcc_eligible_rows
),
final as (
    select
        cast(service_line as varchar) as service_line,
        -- include: drg_cc_mcc_measures
    from eligible
    group by service_line
)
select * from final
order by service_line nulls last

-- name: drg.cc_mcc_capture_by_coder
-- CC/MCC capture per coder: the coder who completed the encounter's latest `code` activity (null
-- when no code activity is on file). Grain: one row per coder with eligible discharges.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all (only inpatient encounters are grouped)
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   coder_id             VARCHAR  -- null when no code activity is on file
--   eligible_discharges  BIGINT   -- discharges in DRG families that have CC/MCC splits (denominator)
--   cc_mcc_discharges    BIGINT   -- of which in a WITH MCC / WITH CC / WITH CC/MCC DRG (numerator)
--   cc_mcc_capture_rate  DOUBLE   -- fraction: cc_mcc_discharges ÷ eligible_discharges
with eligible as (
    -- discharges whose DRG (in the applied table) belongs to a family with CC/MCC splits
    select e.coder_id, e.drg_with_cc_mcc
    -- include: drg_cc_mcc_eligible_rows
),
final as (
    select
        cast(coder_id as varchar) as coder_id,
        -- include: drg_cc_mcc_measures
    from eligible
    group by coder_id
)
select * from final
order by coder_id nulls last
