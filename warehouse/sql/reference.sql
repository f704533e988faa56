-- Reference tables of a warehouse generation, reloaded from the package (and the site's imported
-- CMS tables) on every build: warehouse.reference.load_reference runs these blocks in order.
-- Each block is one statement, named by its `-- name:` line. The *_frame relations are Polars frames
-- registered on the connection by load_reference; no value is ever formatted into this SQL.

-- name: delete_ref_msdrg
delete from ref_msdrg;

-- name: insert_ref_msdrg
insert into ref_msdrg (fiscal_year, drg, title, mdc, drg_type, weight, gmlos, amlos, source)
select
    cast(fiscal_year as integer),
    drg,
    title,
    mdc,
    drg_type,
    cast(weight as decimal(10, 4)),
    cast(gmlos as decimal(6, 1)),
    cast(amlos as decimal(6, 1)),
    source
from ref_msdrg_frame
order by fiscal_year, drg;

-- name: delete_ref_carc
delete from ref_carc;

-- name: insert_ref_carc
insert into ref_carc (carc_code, category)
select carc_code, category
from ref_carc_frame
order by carc_code;

-- name: delete_ref_age_band
delete from ref_age_band;

-- name: insert_ref_age_band
insert into ref_age_band (age_band, min_age, max_age, sort_key)
select age_band, cast(min_age as integer), cast(max_age as integer), cast(sort_key as integer)
from ref_age_band_frame
order by sort_key;

-- name: delete_ref_discharge_status
delete from ref_discharge_status;

-- name: insert_ref_discharge_status
insert into ref_discharge_status (code, description)
select code, description
from ref_discharge_status_frame
order by code;

-- name: delete_ref_restricted_zip3
delete from ref_restricted_zip3;

-- name: insert_ref_restricted_zip3
insert into ref_restricted_zip3 (zip3)
select zip3
from ref_restricted_zip3_frame
order by zip3;
