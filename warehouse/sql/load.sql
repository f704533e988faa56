-- The loader's statements. {table}, {key_columns} and {key_join} are filled from the contract's family
-- definitions only (warehouse/sqlfiles.py); every value is a bound $parameter.

-- name: create_stage
-- Staging copy of a family table for one file: the stored columns, the line and the record key.
create or replace temp table _stage as
select * exclude (load_id), 0::bigint as __line, ''::varchar as __record_key from {table} limit 0;

-- name: family_has_rows
-- 0 when the family table is empty: the file is then loaded directly into it (see create_stage_keys).
select count(*) from (select 1 from {table} limit 1);

-- name: create_stage_keys
-- Direct loading, into an empty family table: the rows go straight into the table (insert_direct), and
-- the stage keeps only what the checks and the flags need: the natural key (and encounter_id), the line
-- and the record key. {columns} is filled from the contract's family definition.
create or replace temp table _stage as
select {columns}, 0::bigint as __line, ''::varchar as __record_key from {table} limit 0;

-- name: insert_direct
insert into {table} by name select * exclude (__record_key, __line), $load_id::bigint as load_id from _batch;

-- name: reject_orphans_direct
-- As reject_orphans, the row's values read back from the family table (what the stage would have held).
insert into rejects by name
select $load_id as load_id, $family as family, $file_name as file_name, s.__line as line,
       s.__record_key as record_key, 'encounter_id' as column_name, 'unknown_encounter' as rule,
       $message as message, []::varchar[] as other_rules,
       json_merge_patch(to_json(t), '{{"load_id": null}}')::varchar as raw_values
from {table} t join _stage s on {key_join}
where t.load_id = $load_id and not exists (select 1 from encounters e where e.encounter_id = s.encounter_id);

-- name: delete_orphans_direct
delete from {table} t
where t.load_id = $load_id and not exists (select 1 from encounters e where e.encounter_id = t.encounter_id);

-- name: undo_direct
-- A direct load that found repeated keys is undone (inside the file's transaction) and staged instead.
delete from {table} where load_id = $load_id;

-- name: undo_direct_rejects
delete from rejects where load_id = $load_id;

-- name: create_stage_flags
create or replace temp table _stage_flags (record_key varchar, kind varchar, column_name varchar, value varchar);

-- name: insert_stage
insert into _stage by name select * from _batch;

-- name: insert_stage_flags
insert into _stage_flags by name select * from _batch_flags;

-- name: insert_rejects
insert into rejects by name
select $load_id as load_id, $family as family, $file_name as file_name, * from _batch_rejects;

-- name: count_repeated_keys
-- More than 0 when a natural key appears in the stage more than once (usually not: then the duplicate
-- steps are skipped). Cheaper than grouping and keeping the repeated keys.
select count(*) - count(distinct __record_key) from _stage;

-- name: conflicting_keys
-- Natural keys that appear in the stage more than once with different values.
create or replace temp table _conflicts as
with repeated as (
    select __record_key from _stage group by __record_key having count(*) > 1
)
select __record_key as record_key
from (
    select distinct * exclude (__line) from _stage
    where __record_key in (select __record_key from repeated)
)
group by __record_key
having count(*) > 1;

-- name: reject_conflicting
insert into rejects by name
select $load_id as load_id, $family as family, $file_name as file_name, s.__line as line,
       s.__record_key as record_key, $key_column as column_name, 'duplicate_key' as rule,
       $message as message, []::varchar[] as other_rules, json_merge_patch(to_json(s), '{"__line": null, "__record_key": null}')::varchar as raw_values
from _stage s
where s.__record_key in (select record_key from _conflicts);

-- name: delete_conflicting
delete from _stage where __record_key in (select record_key from _conflicts);

-- name: drop_identical_duplicates
-- Identical copies of a row within a file: keep the first line, count the others as unchanged.
delete from _stage s
where exists (select 1 from _stage o where o.__record_key = s.__record_key and o.__line < s.__line);

-- name: reject_orphans
insert into rejects by name
select $load_id as load_id, $family as family, $file_name as file_name, s.__line as line,
       s.__record_key as record_key, 'encounter_id' as column_name, 'unknown_encounter' as rule,
       $message as message, []::varchar[] as other_rules, json_merge_patch(to_json(s), '{"__line": null, "__record_key": null}')::varchar as raw_values
from _stage s
where not exists (select 1 from encounters e where e.encounter_id = s.encounter_id);

-- name: delete_orphans
delete from _stage s where not exists (select 1 from encounters e where e.encounter_id = s.encounter_id);

-- name: changed_rows
-- Rows new or different from what the warehouse holds for their key.
create or replace temp table _changed as
select * exclude (__line) from _stage
except
select t.* exclude (load_id), s.__record_key
from {table} t join _stage s on {key_join};

-- name: count_conflicting
select count(*) from _stage where __record_key in (select record_key from _conflicts);

-- name: count_overlap
-- Staged rows whose natural key the warehouse already holds (0 when every key of the file is new).
select count(*) from _stage s where exists (select 1 from {table} t where {key_join});

-- name: insert_staged
-- Every staged row is new: insert them all (no change detection needed).
insert into {table} by name select * exclude (__record_key, __line), $load_id::bigint as load_id from _stage;

-- name: count_orphans
select count(*) from _stage s where not exists (select 1 from encounters e where e.encounter_id = s.encounter_id);

-- name: count_changed
select count(*) from _changed;

-- name: drop_stage
drop table if exists _stage;
drop table if exists _stage_flags;
drop table if exists _changed;
drop table if exists _conflicts;

-- name: count_stage
select count(*) from _stage;

-- name: count_updates
select count(*) from _changed s where exists (select 1 from {table} t where {key_join});

-- name: delete_updated
delete from {table} t using _changed s where {key_join};

-- name: insert_changed
insert into {table} by name select * exclude (__record_key), $load_id::bigint as load_id from _changed;

-- name: resolve_flags
-- Open flags of records loaded again in this file that this load no longer raises.
update flags f set resolved_load_id = $load_id
where f.family = $family and f.resolved_load_id is null
  and f.record_key in (select __record_key from _stage)
  and not exists (
      select 1 from _stage_flags n where n.record_key = f.record_key and n.kind = f.kind
  );

-- name: refresh_flags
update flags f set last_load_id = $load_id
where f.family = $family and f.resolved_load_id is null
  and exists (select 1 from _stage_flags n where n.record_key = f.record_key and n.kind = f.kind);

-- name: insert_flags
insert into flags
select distinct $family, n.record_key, n.kind, n.column_name, n.value, $load_id, $load_id, null
from _stage_flags n
where n.record_key in (select __record_key from _stage)
  and not exists (
      select 1 from flags f
      where f.family = $family and f.resolved_load_id is null and f.record_key = n.record_key and f.kind = n.kind
  );

-- name: count_flagged
select count(distinct record_key) from _stage_flags where record_key in (select __record_key from _stage);

-- name: next_load_id
select nextval('load_id_seq');

-- name: insert_load_log
insert into load_log (load_id, run_id, file_name, file_path, file_sha256, family, rows_read, accepted, rejected,
                      inserted, updated, unchanged, flagged, started_at, finished_at, outcome, message, warnings)
values ($load_id, $run_id, $file_name, $file_path, $file_sha256, $family, $rows_read, $accepted, $rejected,
        $inserted, $updated, $unchanged, $flagged, $started_at, $finished_at, $outcome, $message, $warnings);

-- name: table_counts
select 'encounters' as t, count(*) from encounters union all
select 'diagnoses', count(*) from diagnoses union all
select 'procedures', count(*) from procedures union all
select 'claims', count(*) from claims union all
select 'coding_activity', count(*) from coding_activity union all
select 'coding_audits', count(*) from coding_audits union all
select 'load_log', count(*) from load_log union all
select 'rejects', count(*) from rejects union all
select 'flags', count(*) from flags;

-- name: set_info
insert or replace into warehouse_info values ($key, $value);
