-- Statements about the derived layers (warehouse/rollups.py, warehouse/upgrade.py).

-- name: existing_objects
-- Every user table and view of the database, with its kind: what a rebuild must drop first, and what
-- an upgrade finds missing.
select view_name as name, 'view' as kind from duckdb_views() where not internal
union all
select table_name as name, 'table' as kind from duckdb_tables();
