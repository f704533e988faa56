-- Statements of `him status` and `him rejects` (read-only).

-- name: table_counts
select 'encounters' as t, count(*) as n from encounters union all
select 'diagnoses', count(*) from diagnoses union all
select 'procedures', count(*) from procedures union all
select 'claims', count(*) from claims union all
select 'coding_activity', count(*) from coding_activity union all
select 'coding_audits', count(*) from coding_audits union all
select 'rejects', count(*) from rejects union all
select 'open flags', count(*) from flags where resolved_load_id is null;

-- name: last_loads
select load_id, run_id, file_name, family, rows_read, accepted, rejected, inserted, updated, unchanged,
       flagged, outcome, message, finished_at
from load_log order by load_id desc limit 20;

-- name: rejects_by_rule
select rule, count(*) as n from rejects group by rule order by n desc, rule;

-- name: rejects
select load_id, family, file_name, line, record_key, column_name, rule, message,
       array_to_string(other_rules, '; ') as other_rules, raw_values
from rejects
where $load_id is null or load_id = $load_id
order by load_id, file_name, line;
