-- Volume and demographics (him-primer.md, "Volume and demographics").
-- An encounter belongs to a period by its discharge_date. LOS = discharge_date - admit_date, a
-- same-day stay counts as 1 day. Counts are null (never 0) when no encounter is in the period.

-- name: demographics.volume
-- Discharges, inpatient discharges and ALOS of the period. Grain: one row for the whole period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   discharges            BIGINT   -- encounters discharged in the period (null when none)
--   inpatient_discharges  BIGINT   -- of which patient_type = inpatient
--   inpatient_los_days    BIGINT   -- days: Σ LOS of inpatient discharges (numerator of ALOS)
--   alos_days             DOUBLE   -- days: inpatient_los_days ÷ inpatient_discharges
with discharged as (
    select e.patient_type, e.los_days
    from int_encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as discharges,
        cast(case when count(*) > 0 then count(*) filter (where patient_type = 'inpatient') end as bigint)
            as inpatient_discharges,
        cast(sum(los_days) filter (where patient_type = 'inpatient') as bigint) as inpatient_los_days,
        cast(
            cast(sum(los_days) filter (where patient_type = 'inpatient') as double)
            / nullif(count(*) filter (where patient_type = 'inpatient'), 0)
            as double
        ) as alos_days
    from discharged
)
select * from final

-- name: demographics.volume_trend
-- Discharges, inpatient discharges and ALOS per period of the chosen grain.
-- Grain: one row per period that has discharges (periods without any are absent, not zero).
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                DATE     -- first day of the period
--   discharges            BIGINT   -- encounters discharged in the period
--   inpatient_discharges  BIGINT   -- of which inpatient
--   inpatient_los_days    BIGINT   -- days: Σ LOS of inpatient discharges
--   alos_days             DOUBLE   -- days: inpatient_los_days ÷ inpatient_discharges
with discharged as (
    select cast(date_trunc($grain, e.discharge_date) as date) as period, e.patient_type, e.los_days
    from int_encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
final as (
    select
        cast(period as date) as period,
        cast(count(*) as bigint) as discharges,
        cast(count(*) filter (where patient_type = 'inpatient') as bigint) as inpatient_discharges,
        cast(sum(los_days) filter (where patient_type = 'inpatient') as bigint) as inpatient_los_days,
        cast(
            cast(sum(los_days) filter (where patient_type = 'inpatient') as double)
            / nullif(count(*) filter (where patient_type = 'inpatient'), 0)
            as double
        ) as alos_days
    from discharged
    group by period
)
select * from final
order by period

-- name: demographics.in_house_census
-- In-house census at the as-of date: admit_date <= D and (no discharge_date or discharge_date > D).
-- Grain: one row per patient type with patients in house (none in house = no rows).
-- params:
--   as_of            DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   patient_type     VARCHAR   -- inpatient | outpatient | emergency | observation
--   in_house_count   BIGINT    -- encounters in house at the end of the as-of date
with in_house as (
    select e.patient_type
    from int_encounters as e
    where e.admit_date <= $as_of
      and (e.discharge_date is null or e.discharge_date > $as_of)
      -- include: filters_e
),
final as (
    select
        cast(patient_type as varchar) as patient_type,
        cast(count(*) as bigint) as in_house_count
    from in_house
    group by patient_type
)
select * from final
order by patient_type

-- name: demographics.mix
-- Demographic mix of the period's discharges: counts and shares by age band (at admission), sex,
-- race, ethnicity, financial class and 3-digit ZIP (Safe Harbor restricted ZIP3s shown as 000;
-- missing values as Unknown). Grain: one row per (dimension, value) with discharges.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   dimension         VARCHAR   -- age_band | sex | race | ethnicity | financial_class | zip3
--   value             VARCHAR   -- the category (age bands 0-17 … 90+ sort as text)
--   discharges        BIGINT    -- discharges in the category
--   total_discharges  BIGINT    -- discharges in the period (denominator of share)
--   share             DOUBLE    -- fraction: discharges ÷ total_discharges
with discharged as (
    select e.mix_age_band, e.mix_sex, e.mix_race, e.mix_ethnicity, e.financial_class, e.mix_zip3
    from int_encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
counted as (
    -- one scan, one count per (dimension, value); exactly one column is not null in each grouping set
    select
        case
            when grouping(mix_age_band) = 0 then 'age_band'
            when grouping(mix_sex) = 0 then 'sex'
            when grouping(mix_race) = 0 then 'race'
            when grouping(mix_ethnicity) = 0 then 'ethnicity'
            when grouping(financial_class) = 0 then 'financial_class'
            else 'zip3'
        end as dimension,
        coalesce(mix_age_band, mix_sex, mix_race, mix_ethnicity, financial_class, mix_zip3) as value,
        count(*) as discharges
    from discharged
    group by grouping sets ((mix_age_band), (mix_sex), (mix_race), (mix_ethnicity), (financial_class), (mix_zip3))
),
total as (
    select count(*) as total_discharges from discharged
),
final as (
    select
        cast(c.dimension as varchar) as dimension,
        cast(c.value as varchar) as value,
        cast(c.discharges as bigint) as discharges,
        cast(t.total_discharges as bigint) as total_discharges,
        cast(cast(c.discharges as double) / t.total_discharges as double) as share
    from counted as c
    cross join total as t
)
select * from final
order by dimension, value
