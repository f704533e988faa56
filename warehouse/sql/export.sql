-- Statements of the de-identified and limited-data-set exports (warehouse/deid.py).
--
-- Each id column of an export (patient_key, encounter_id, claim_id, audit_id: deid.SURROGATE_COLUMNS)
-- is replaced by a random surrogate drawn here, in DuckDB, so that the memory an export needs for them
-- is DuckDB's (bounded by the serving connection's memory_limit, spilling to its temp_directory) and
-- not a Python dictionary growing with the export. A surrogate is a random draw per distinct value of
-- the export, never a function of the value: md5 of a per-export random salt (drawn by Python's
-- `secrets`, bound as $surrogate_salt, forgotten with the export) and a random UUID, cut to 20 hex
-- digits (80 bits). The same value gets the same surrogate within one export (each distinct value is
-- drawn once, in one CTE read once), and nothing links two exports.
--
-- Placeholders (in braces) are identifiers only, filled by warehouse/deid.py from deid.SURROGATE_COLUMNS
-- and the Explorer's whitelisted columns (never from input), except source: the Explorer's SQL of the
-- request (warehouse.explorer.compose, patient_key first, no `order by`), which binds its own values.
-- No brace may appear in a block's comments (str.format would fill it).

-- name: surrogate_export
-- The export's rows with every id column replaced by its surrogate. Placeholders: id_columns (the id
-- columns, quoted), draws (one surrogate_draw per id column), columns (the select list), joins (one
-- surrogate_join per id column), order_by (empty, or ` order by ...` when the user sorted).
with export_rows as not materialized (
{source}
),
export_ids as materialized (select distinct {id_columns} from export_rows),
{draws}
select {columns}
from export_rows as s
{joins}{order_by}

-- name: surrogate_draw
-- One random surrogate per distinct non-null value of one id column of the export.
{draw} as (
    select v as surrogate_of, substr(md5($surrogate_salt || cast(gen_random_uuid() as varchar)), 1, 20) as surrogate
    from (select distinct {column} as v from export_ids where {column} is not null)
)

-- name: surrogate_join
left join {draw} on {draw}.surrogate_of = s.{column}
