-- Denials (him-primer.md, "Denials"), read from int_claims (warehouse/schema.sql): one row per claim
-- with is_denied (status denied or partial), appeal_pending, denial_category (CARC) and its encounter's
-- filter columns. A claim belongs to a period by its submitted_date; the payer filter is the claim's
-- payer, the other filters the encounter's. Appeal overturn rate counts decided appeals only
-- (overturned ÷ overturned + upheld; pending apart). One-row queries give null (never 0) when no
-- claim matches.

-- fragment: denials_claim_measures
-- the measures of the submitted claims (a CTE with is_denied, billed_amount, denied_amount,
-- appeal_outcome, appeal_pending, recovered_amount), in a select list after the group's key
cast(count(*) as bigint) as claims_submitted,
cast(count(*) filter (where is_denied) as bigint) as claims_denied,
cast(cast(count(*) filter (where is_denied) as double) / nullif(count(*), 0) as double)
    as initial_denial_rate,
cast(sum(billed_amount) as decimal(18, 2)) as billed_amount,
cast(coalesce(sum(denied_amount), 0) as decimal(18, 2)) as all_denied_amount,
cast(cast(coalesce(sum(denied_amount), 0) as double) / nullif(cast(sum(billed_amount) as double), 0)
    as double) as denial_dollar_rate,
cast(coalesce(sum(denied_amount) filter (where is_denied), 0) as decimal(18, 2)) as denied_amount,
cast(count(*) filter (where appeal_outcome = 'overturned') as bigint) as appeals_overturned,
cast(count(*) filter (where appeal_outcome = 'upheld') as bigint) as appeals_upheld,
cast(count(*) filter (where appeal_pending) as bigint) as appeals_pending,
cast(
    cast(count(*) filter (where appeal_outcome = 'overturned') as double)
    / nullif(count(*) filter (where appeal_outcome in ('overturned', 'upheld')), 0)
    as double
) as denial_overturn_rate,
cast(coalesce(sum(recovered_amount), 0) as decimal(18, 2)) as recovered_amount

-- name: denials.summary
-- Initial denial rate (by count and by dollars), denied amount, appeal outcomes and dollars recovered.
-- Grain: one row for the whole period.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   claims_submitted      BIGINT          -- claims submitted in the period
--   claims_denied         BIGINT          -- of which status denied or partial (numerator)
--   initial_denial_rate   DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   billed_amount         DECIMAL(18,2)   -- dollars: Σ billed_amount of the submitted claims
--   all_denied_amount     DECIMAL(18,2)   -- dollars: Σ denied_amount of the submitted claims
--   denial_dollar_rate    DOUBLE          -- fraction: all_denied_amount ÷ billed_amount
--   denied_amount         DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   appeals_overturned    BIGINT          -- claims with appeal_outcome overturned (numerator)
--   appeals_upheld        BIGINT          -- claims with appeal_outcome upheld
--   appeals_pending       BIGINT          -- appealed, no outcome yet (outside the overturn rate)
--   denial_overturn_rate  DOUBLE          -- fraction: overturned ÷ (overturned + upheld)
--   recovered_amount      DECIMAL(18,2)   -- dollars: Σ recovered_amount (recovered by appeals)
with submitted as (
    select
        c.is_denied, c.billed_amount, c.denied_amount, c.appeal_outcome, c.appeal_pending, c.recovered_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      -- include: filters_c
),
final as (
    select
        cast(nullif(count(*), 0) as bigint) as claims_submitted,
        cast(case when count(*) > 0 then count(*) filter (where is_denied) end as bigint) as claims_denied,
        cast(cast(count(*) filter (where is_denied) as double) / nullif(count(*), 0) as double)
            as initial_denial_rate,
        cast(sum(billed_amount) as decimal(18, 2)) as billed_amount,
        cast(case when count(*) > 0 then coalesce(sum(denied_amount), 0) end as decimal(18, 2)) as all_denied_amount,
        cast(cast(coalesce(sum(denied_amount), 0) as double) / nullif(cast(sum(billed_amount) as double), 0)
            as double) as denial_dollar_rate,
        cast(case when count(*) > 0 then coalesce(sum(denied_amount) filter (where is_denied), 0) end
            as decimal(18, 2)) as denied_amount,
        cast(case when count(*) > 0 then count(*) filter (where appeal_outcome = 'overturned') end as bigint)
            as appeals_overturned,
        cast(case when count(*) > 0 then count(*) filter (where appeal_outcome = 'upheld') end as bigint)
            as appeals_upheld,
        cast(case when count(*) > 0 then count(*) filter (where appeal_pending) end as bigint) as appeals_pending,
        cast(
            cast(count(*) filter (where appeal_outcome = 'overturned') as double)
            / nullif(count(*) filter (where appeal_outcome in ('overturned', 'upheld')), 0)
            as double
        ) as denial_overturn_rate,
        cast(case when count(*) > 0 then coalesce(sum(recovered_amount), 0) end as decimal(18, 2))
            as recovered_amount
    from submitted
)
select * from final

-- name: denials.trend
-- The denials summary per period of the chosen grain. Grain: one row per period with submitted claims.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period                DATE            -- first day of the period
--   claims_submitted      BIGINT          -- claims submitted in the period
--   claims_denied         BIGINT          -- of which status denied or partial (numerator)
--   initial_denial_rate   DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   billed_amount         DECIMAL(18,2)   -- dollars: Σ billed_amount of the submitted claims
--   all_denied_amount     DECIMAL(18,2)   -- dollars: Σ denied_amount of the submitted claims
--   denial_dollar_rate    DOUBLE          -- fraction: all_denied_amount ÷ billed_amount
--   denied_amount         DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   appeals_overturned    BIGINT          -- claims with appeal_outcome overturned (numerator)
--   appeals_upheld        BIGINT          -- claims with appeal_outcome upheld
--   appeals_pending       BIGINT          -- appealed, no outcome yet (outside the overturn rate)
--   denial_overturn_rate  DOUBLE          -- fraction: overturned ÷ (overturned + upheld)
--   recovered_amount      DECIMAL(18,2)   -- dollars: Σ recovered_amount (recovered by appeals)
with submitted as (
    select
        cast(date_trunc($grain, c.submitted_date) as date) as period,
        c.is_denied, c.billed_amount, c.denied_amount, c.appeal_outcome, c.appeal_pending, c.recovered_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      -- include: filters_c
),
final as (
    select
        cast(period as date) as period,
        -- include: denials_claim_measures
    from submitted
    group by period
)
select * from final
order by period

-- name: denials.rate_trend_by_payer
-- Initial denial rate per period of the chosen grain and payer (the claim's payer): what
-- denials.trend gives with the payer filter set to each payer in turn, in one query.
-- Grain: one row per (period, payer) with submitted claims.
-- params:
--   date_from        DATE
--   date_to          DATE
--   grain            VARCHAR     -- day | week | month | quarter | year
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   period               DATE      -- first day of the period
--   payer                VARCHAR   -- the claim's payer
--   claims_submitted     BIGINT    -- claims submitted in the period (denominator)
--   claims_denied        BIGINT    -- of which status denied or partial (numerator)
--   initial_denial_rate  DOUBLE    -- fraction: claims_denied ÷ claims_submitted
with submitted as (
    select cast(date_trunc($grain, c.submitted_date) as date) as period, c.payer, c.is_denied
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      -- include: filters_c
),
final as (
    select
        cast(period as date) as period,
        cast(payer as varchar) as payer,
        cast(count(*) as bigint) as claims_submitted,
        cast(count(*) filter (where is_denied) as bigint) as claims_denied,
        cast(cast(count(*) filter (where is_denied) as double) / nullif(count(*), 0) as double)
            as initial_denial_rate
    from submitted
    group by period, payer
)
select * from final
order by period, payer

-- name: denials.by_payer
-- The denials summary per payer (the claim's payer). Grain: one row per payer with submitted claims.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   payer                 VARCHAR         -- the claim's payer
--   claims_submitted      BIGINT          -- claims submitted in the period
--   claims_denied         BIGINT          -- of which status denied or partial (numerator)
--   initial_denial_rate   DOUBLE          -- fraction: claims_denied ÷ claims_submitted
--   billed_amount         DECIMAL(18,2)   -- dollars: Σ billed_amount of the submitted claims
--   all_denied_amount     DECIMAL(18,2)   -- dollars: Σ denied_amount of the submitted claims
--   denial_dollar_rate    DOUBLE          -- fraction: all_denied_amount ÷ billed_amount
--   denied_amount         DECIMAL(18,2)   -- dollars: Σ denied_amount of denied/partial claims
--   appeals_overturned    BIGINT          -- claims with appeal_outcome overturned (numerator)
--   appeals_upheld        BIGINT          -- claims with appeal_outcome upheld
--   appeals_pending       BIGINT          -- appealed, no outcome yet (outside the overturn rate)
--   denial_overturn_rate  DOUBLE          -- fraction: overturned ÷ (overturned + upheld)
--   recovered_amount      DECIMAL(18,2)   -- dollars: Σ recovered_amount (recovered by appeals)
with submitted as (
    select
        c.payer,
        c.is_denied, c.billed_amount, c.denied_amount, c.appeal_outcome, c.appeal_pending, c.recovered_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      -- include: filters_c
),
final as (
    select
        cast(payer as varchar) as payer,
        -- include: denials_claim_measures
    from submitted
    group by payer
)
select * from final
order by payer

-- name: denials.by_reason
-- Denied claims by CARC code and its category (ref_carc; a code not in it = other, a denial without
-- a CARC = unspecified with carc_code null). Grain: one row per (carc_code, category).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   carc_code            VARCHAR         -- claim adjustment reason code; null = none given
--   category             VARCHAR         -- coding | medical_necessity | authorization | … | other | unspecified
--   claims_denied        BIGINT          -- denied/partial claims with this reason
--   denied_amount        DECIMAL(18,2)   -- dollars: Σ denied_amount
--   total_claims_denied  BIGINT          -- all denied/partial claims of the period (denominator of share)
--   share                DOUBLE          -- fraction: claims_denied ÷ total_claims_denied
with submitted as (
    select c.payer, c.carc_code, c.denial_category, c.denied_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      and c.is_denied
      -- include: filters_c
),
total as (
    select count(*) as total_claims_denied from submitted
),
final as (
    select
        cast(d.carc_code as varchar) as carc_code,
        cast(d.denial_category as varchar) as category,
        cast(count(*) as bigint) as claims_denied,
        cast(coalesce(sum(d.denied_amount), 0) as decimal(18, 2)) as denied_amount,
        cast(t.total_claims_denied as bigint) as total_claims_denied,
        cast(cast(count(*) as double) / t.total_claims_denied as double) as share
    from submitted as d
    cross join total as t
    group by d.carc_code, d.denial_category, t.total_claims_denied
)
select * from final
order by claims_denied desc, carc_code nulls last

-- name: denials.by_category
-- Denied claims by CARC category (as denials.by_reason). Grain: one row per category.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   category             VARCHAR         -- denial category
--   claims_denied        BIGINT          -- denied/partial claims in the category
--   denied_amount        DECIMAL(18,2)   -- dollars: Σ denied_amount
--   total_claims_denied  BIGINT          -- all denied/partial claims of the period
--   share                DOUBLE          -- fraction: claims_denied ÷ total_claims_denied
with submitted as (
    select c.payer, c.carc_code, c.denial_category, c.denied_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      and c.is_denied
      -- include: filters_c
),
total as (
    select count(*) as total_claims_denied from submitted
),
final as (
    select
        cast(d.denial_category as varchar) as category,
        cast(count(*) as bigint) as claims_denied,
        cast(coalesce(sum(d.denied_amount), 0) as decimal(18, 2)) as denied_amount,
        cast(t.total_claims_denied as bigint) as total_claims_denied,
        cast(cast(count(*) as double) / t.total_claims_denied as double) as share
    from submitted as d
    cross join total as t
    group by d.denial_category, t.total_claims_denied
)
select * from final
order by claims_denied desc, category

-- name: denials.by_payer_category
-- Denied claims by payer × CARC category (as denials.by_reason). Grain: one row per (payer, category).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   payer          VARCHAR         -- the claim's payer
--   category       VARCHAR         -- denial category
--   claims_denied  BIGINT          -- denied/partial claims
--   denied_amount  DECIMAL(18,2)   -- dollars: Σ denied_amount
with submitted as (
    select c.payer, c.carc_code, c.denial_category, c.denied_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      and c.is_denied
      -- include: filters_c
),
final as (
    select
        cast(payer as varchar) as payer,
        cast(denial_category as varchar) as category,
        cast(count(*) as bigint) as claims_denied,
        cast(coalesce(sum(denied_amount), 0) as decimal(18, 2)) as denied_amount
    from submitted
    group by payer, denial_category
)
select * from final
order by payer, claims_denied desc, category

-- name: denials.net_write_off
-- Net denial write-off at the as-of date: Σ(denied_amount − recovered_amount) of denied/partial claims
-- submitted in the period whose appeal was upheld or never made and whose denial is more than 90
-- days old at the as-of date (aged from denial_date, or submitted_date when no denial date is given).
-- Grain: one row (null when no claim of the period matches the filters).
-- params:
--   date_from        DATE
--   date_to          DATE
--   as_of            DATE        -- the write-off age is taken at this date
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   write_off_claims      BIGINT          -- claims in the write-off
--   denied_amount         DECIMAL(18,2)   -- dollars: Σ denied_amount of those
--   recovered_amount      DECIMAL(18,2)   -- dollars: Σ recovered_amount of those
--   net_write_off_amount  DECIMAL(18,2)   -- dollars: denied_amount − recovered_amount
with submitted as (
    select c.is_denied, c.appeal_outcome, c.appeal_pending, c.denied_on, c.denied_amount, c.recovered_amount
    from int_claims as c
    where c.submitted_date between $date_from and $date_to
      -- include: filters_c
),
written_off as (
    select
        coalesce(s.denied_amount, 0) as denied_amount,
        coalesce(s.recovered_amount, 0) as recovered_amount,
        s.is_denied
            and (s.appeal_outcome = 'upheld' or (s.appeal_outcome is null and not s.appeal_pending))
            and date_diff('day', s.denied_on, $as_of) > 90 as is_write_off
    from submitted as s
),
final as (
    select
        cast(case when count(*) > 0 then count(*) filter (where is_write_off) end as bigint) as write_off_claims,
        cast(case when count(*) > 0 then coalesce(sum(denied_amount) filter (where is_write_off), 0) end
            as decimal(18, 2)) as denied_amount,
        cast(case when count(*) > 0 then coalesce(sum(recovered_amount) filter (where is_write_off), 0) end
            as decimal(18, 2)) as recovered_amount,
        cast(case when count(*) > 0
            then coalesce(sum(denied_amount - recovered_amount) filter (where is_write_off), 0) end
            as decimal(18, 2)) as net_write_off_amount
    from written_off
)
select * from final
