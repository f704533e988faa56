-- Data quality of the loads: the load log, rejected rows by rule and kept-but-flagged rows by kind.
-- A "load" is one file of one family (load_log.load_id). For a family, the latest load is its highest
-- load_id in load_log and the previous load the one before it.

-- name: data_quality.load_log
-- Every load, newest first: what was read, accepted, rejected and flagged, and its outcome.
-- Grain: one row per load (file).
-- params:
-- returns:
--   load_id      BIGINT      -- load (one file)
--   run_id       VARCHAR     -- the `him load` run it belongs to
--   family       VARCHAR     -- extract family (encounters, claims, …)
--   file_name    VARCHAR     -- file loaded
--   rows_read    BIGINT      -- records read
--   accepted     BIGINT      -- records accepted
--   rejected     BIGINT      -- records rejected
--   reject_rate  DOUBLE      -- fraction: rejected ÷ rows_read
--   inserted     BIGINT      -- rows inserted
--   updated      BIGINT      -- rows updated
--   unchanged    BIGINT      -- rows unchanged
--   flagged      BIGINT      -- rows kept with a flag
--   started_at   TIMESTAMP   -- load start
--   finished_at  TIMESTAMP   -- load end (null when it did not finish)
--   outcome      VARCHAR     -- loaded | loaded_with_rejects | failed | interrupted
--   message      VARCHAR     -- outcome message
with final as (
    select
        cast(l.load_id as bigint) as load_id,
        cast(l.run_id as varchar) as run_id,
        cast(l.family as varchar) as family,
        cast(l.file_name as varchar) as file_name,
        cast(l.rows_read as bigint) as rows_read,
        cast(l.accepted as bigint) as accepted,
        cast(l.rejected as bigint) as rejected,
        cast(cast(l.rejected as double) / nullif(l.rows_read, 0) as double) as reject_rate,
        cast(l.inserted as bigint) as inserted,
        cast(l.updated as bigint) as updated,
        cast(l.unchanged as bigint) as unchanged,
        cast(l.flagged as bigint) as flagged,
        cast(l.started_at as timestamp) as started_at,
        cast(l.finished_at as timestamp) as finished_at,
        cast(l.outcome as varchar) as outcome,
        cast(l.message as varchar) as message
    from load_log as l
)
select * from final
order by load_id desc

-- name: data_quality.rejects_by_rule
-- Rejected records per load, family and rule (a record is counted once, under its first rule).
-- Grain: one row per (load_id, family, rule).
-- params:
-- returns:
--   load_id       BIGINT    -- load (one file)
--   family        VARCHAR   -- extract family
--   file_name     VARCHAR   -- file loaded
--   rule          VARCHAR   -- reject rule (see docs/extract-contract.md)
--   reject_count  BIGINT    -- rejected records
with final as (
    select
        cast(r.load_id as bigint) as load_id,
        cast(r.family as varchar) as family,
        cast(r.file_name as varchar) as file_name,
        cast(r.rule as varchar) as rule,
        cast(count(*) as bigint) as reject_count
    from rejects as r
    group by r.load_id, r.family, r.file_name, r.rule
)
select * from final
order by load_id desc, family, reject_count desc, rule

-- name: data_quality.flags_by_kind
-- Kept-but-suspect rows per family and flag kind: open now and resolved by a later load.
-- Grain: one row per (family, kind).
-- params:
-- returns:
--   family          VARCHAR   -- extract family
--   kind            VARCHAR   -- flag kind (drg_not_in_table, unknown_icd10, unknown_carc, …)
--   open_count      BIGINT    -- flags still open
--   resolved_count  BIGINT    -- flags resolved by a later load
with final as (
    select
        cast(f.family as varchar) as family,
        cast(f.kind as varchar) as kind,
        cast(count(*) filter (where f.resolved_load_id is null) as bigint) as open_count,
        cast(count(*) filter (where f.resolved_load_id is not null) as bigint) as resolved_count
    from flags as f
    group by f.family, f.kind
)
select * from final
order by family, kind

-- name: data_quality.flags_since_previous_load
-- What the latest load of each family changed: flags new in it, still open from before it, and
-- resolved by it. Grain: one row per (family, kind) with flags.
-- params:
-- returns:
--   family            VARCHAR   -- extract family
--   kind              VARCHAR   -- flag kind
--   latest_load_id    BIGINT    -- the family's latest load (null when load_log has none)
--   previous_load_id  BIGINT    -- the load before it (null for a first load)
--   new_count         BIGINT    -- open flags first raised by the latest load
--   still_open_count  BIGINT    -- open flags raised before the latest load
--   resolved_count    BIGINT    -- flags resolved by the latest load
with loads as (
    select
        l.family,
        l.load_id,
        row_number() over (partition by l.family order by l.load_id desc) as recency
    from load_log as l
    where l.family is not null
),
latest as (
    select
        family,
        max(load_id) filter (where recency = 1) as latest_load_id,
        max(load_id) filter (where recency = 2) as previous_load_id
    from loads
    group by family
),
final as (
    select
        cast(f.family as varchar) as family,
        cast(f.kind as varchar) as kind,
        cast(max(l.latest_load_id) as bigint) as latest_load_id,
        cast(max(l.previous_load_id) as bigint) as previous_load_id,
        cast(count(*) filter (where f.resolved_load_id is null and f.first_load_id >= l.latest_load_id)
            as bigint) as new_count,
        cast(count(*) filter (
            where f.resolved_load_id is null and (l.latest_load_id is null or f.first_load_id < l.latest_load_id)
        ) as bigint) as still_open_count,
        cast(count(*) filter (where f.resolved_load_id >= l.latest_load_id) as bigint) as resolved_count
    from flags as f
    left join latest as l on l.family = f.family
    group by f.family, f.kind
)
select * from final
order by family, kind
