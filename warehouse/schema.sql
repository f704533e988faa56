-- Warehouse DDL. Every generation file carries these tables. Applied with `create ... if not exists`
-- (and `create or replace view` for the intermediate layer's definitions at the end), so running it on
-- an existing generation changes nothing but those definitions.
-- PHI is never stored as given: patient_id -> patient_key (HMAC-SHA-256), birth_date -> age_years
-- (top-coded at 90, age_90_plus), zip_code -> zip3.
-- `using compression zstd` on the columns that hold a different value in (almost) every row: DuckDB's
-- default (DICT_FSST) costs twice the CPU to write them for the same size (docs/performance.md,
-- "Loader"). warehouse.load.schema_sql() drops the clause on DuckDB before 2.0 (1.1 refuses it).

create sequence if not exists load_id_seq start 1;

create table if not exists encounters (
    encounter_id          varchar not null using compression zstd,
    patient_key           varchar not null using compression zstd,  -- hex HMAC-SHA-256 of the MRN, site secret
    facility_id           varchar not null,
    patient_type          varchar not null,      -- inpatient | outpatient | emergency | observation
    admit_date            date not null,
    discharge_date        date,                  -- null = in house
    age_years             smallint not null,     -- age at admission, 90 means 90 or older
    age_90_plus           boolean not null,
    sex                   varchar,               -- F | M | X | U
    race                  varchar,               -- OMB category or Unknown
    ethnicity             varchar,               -- Hispanic or Latino | Not Hispanic or Latino | Unknown
    zip3                  varchar,
    primary_payer         varchar not null,
    financial_class       varchar not null,
    discharge_disposition varchar,
    service_line          varchar,
    attending_provider_id varchar,
    ms_drg                varchar,               -- 3 digits, zero padded
    total_charges         decimal(18, 2) not null,
    coded_date            date,
    final_billed_date     date,
    load_id               bigint not null
);

create table if not exists diagnoses (
    encounter_id varchar not null,
    seq          integer not null,
    code         varchar not null,               -- ICD-10-CM without dot, upper case
    poa          varchar,
    load_id      bigint not null
);

create table if not exists procedures (
    encounter_id   varchar not null,
    seq            integer not null,
    code           varchar not null,
    code_system    varchar not null,             -- ICD10PCS | CPT | HCPCS
    procedure_date date,
    load_id        bigint not null
);

create table if not exists claims (
    claim_id         varchar not null using compression zstd,
    encounter_id     varchar not null using compression zstd,
    payer            varchar not null,
    submitted_date   date not null,
    billed_amount    decimal(18, 2) not null,
    status           varchar not null,           -- paid | denied | partial | pending
    paid_amount      decimal(18, 2),
    denial_date      date,
    carc_group       varchar,                    -- CO | PR | OA | PI | CR when given
    carc_code        varchar,                    -- without group prefix
    rarc_code        varchar,
    denied_amount    decimal(18, 2),
    appeal_date      date,
    appeal_outcome   varchar,                    -- overturned | upheld | pending | null
    recovered_amount decimal(18, 2),
    load_id          bigint not null
);

create table if not exists coding_activity (
    coder_id     varchar not null,
    encounter_id varchar not null using compression zstd,
    chart_type   varchar not null,
    activity     varchar not null,               -- code | recode | review | query
    started_at   timestamp not null,
    completed_at timestamp not null,
    load_id      bigint not null
);

create table if not exists coding_audits (
    audit_id       varchar not null,
    encounter_id   varchar not null,
    coder_id       varchar not null,
    audit_date     date not null,
    codes_reviewed integer not null,
    codes_changed  integer not null,
    original_drg   varchar,
    audited_drg    varchar,
    load_id        bigint not null
);

-- One row per file per load.
create table if not exists load_log (
    load_id      bigint primary key,
    run_id       varchar not null,
    file_name    varchar not null,
    file_path    varchar not null,
    file_sha256  varchar,
    family       varchar,
    rows_read    bigint not null default 0,
    accepted     bigint not null default 0,
    rejected     bigint not null default 0,
    inserted     bigint not null default 0,
    updated      bigint not null default 0,
    unchanged    bigint not null default 0,
    flagged      bigint not null default 0,
    started_at   timestamp not null,
    finished_at  timestamp,
    outcome      varchar not null,               -- loaded | loaded_with_rejects | failed | interrupted
    message      varchar,
    warnings     varchar[]
);

-- Rejected input rows: one row per rejected record. PHI columns only in protected form.
create table if not exists rejects (
    load_id      bigint not null,
    family       varchar,
    file_name    varchar not null,
    line         bigint not null,                -- physical line of the record (header = 1); parquet: row + 1
    record_key   varchar,                        -- natural key as given, when readable
    column_name  varchar,
    rule         varchar not null,
    message      varchar not null,
    other_rules  varchar[],
    raw_values   varchar                         -- JSON object of the record's values (PHI protected)
);

-- Kept-but-suspect rows. A flag stays open until a later load of the same record no longer raises it.
create table if not exists flags (
    family           varchar not null,
    record_key       varchar not null,
    kind             varchar not null,
    column_name      varchar,
    value            varchar,
    first_load_id    bigint not null,
    last_load_id     bigint not null,
    resolved_load_id bigint
);

-- Reference data (reloaded from the package on every build of a generation).
create table if not exists ref_msdrg (
    fiscal_year integer not null,
    drg         varchar not null,
    title       varchar not null,
    mdc         varchar,
    drg_type    varchar,                         -- medical | surgical
    weight      decimal(10, 4) not null,
    gmlos       decimal(6, 1),
    amlos       decimal(6, 1),
    source      varchar not null
);

create table if not exists ref_carc (
    carc_code varchar not null,
    category  varchar not null
);

create table if not exists ref_age_band (
    age_band  varchar not null,
    min_age   integer not null,
    max_age   integer not null,
    sort_key  integer not null
);

create table if not exists ref_discharge_status (
    code        varchar not null,
    description varchar not null
);

create table if not exists ref_restricted_zip3 (
    zip3 varchar not null
);

create table if not exists warehouse_info (
    key   varchar primary key,
    value varchar not null
);

-- ---------------------------------------------------------------------------------------------------
-- The intermediate layer (dbt / Tuva style: base tables -> int_* -> the KPI queries in queries/).
-- Derived, filter-independent facts, defined ONCE here: one row per encounter, claim, coding activity
-- and audit, each with the five filter columns (facility, patient type, financial class, payer,
-- service line) of its encounter, so that every KPI query reads one relation and filters it once.
--
-- Each `int_<x>_view` holds the definition. `int_<x>` is what the queries read: here a view over the
-- definition, so that any file made from this schema answers correctly; at the end of every load
-- warehouse.rollups.build replaces it by a table ordered by date (DuckDB then skips the row groups
-- outside the queried period). The definitions are re-created on every load, the tables rebuilt from
-- them (warehouse/sql/rollups.sql). docs/performance.md ("KPI queries") has the why. Standard SQL and
-- functions SQLGlot transpiles to Spark (date_diff, regexp_matches, min_by), except where a view says
-- DuckDB-only (a Spark port reads the built tables from the Parquet export and needs no view).

-- MS-DRG table rows with their CC/MCC family: a family is the title without its CC/MCC clause, within
-- one MDC and table year; it "has splits" when it holds both a WITH CC / WITH MCC / WITH CC/MCC DRG
-- and one without.
create or replace view int_msdrg as
select
    f.fiscal_year,
    f.drg,
    f.title,
    f.mdc,
    f.drg_type,
    f.weight,
    f.gmlos,
    f.with_cc_mcc,
    max(case when f.with_cc_mcc then 1 else 0 end) over w = 1
        and min(case when f.with_cc_mcc then 1 else 0 end) over w = 0 as in_split_family
from (
    select
        r.*,
        regexp_matches(r.title, ' (WITH|W) (CC/MCC|MCC|CC)\b') as with_cc_mcc,
        regexp_replace(r.title, ' (WITH|WITHOUT|W|W/O) (CC/MCC|MCC|CC)\b.*$', '') as family_title
    from ref_msdrg as r
) as f
window w as (partition by f.fiscal_year, f.mdc, f.family_title);

-- One row per encounter (discharged or in house).
create or replace view int_encounters_view as
with dated as not materialized (  -- read twice below; inlined, not written out (a spill at 10M)
    select
        e.*,
        -- federal fiscal year of the discharge (Oct 1 - Sep 30)
        year(e.discharge_date) + case when month(e.discharge_date) >= 10 then 1 else 0 end as fiscal_year
    from encounters as e
),
applied_year as (
    -- the MS-DRG table applied to a fiscal year: its own, or the nearest year's when the warehouse has
    -- none for it (a tie: the newer)
    select ranked.fiscal_year, ranked.table_year
    from (
        select
            d.fiscal_year,
            t.fiscal_year as table_year,
            row_number() over (
                partition by d.fiscal_year
                order by abs(t.fiscal_year - d.fiscal_year), t.fiscal_year desc
            ) as rn
        from (select distinct fiscal_year from dated where fiscal_year is not null) as d
        cross join (select distinct fiscal_year from ref_msdrg) as t
    ) as ranked
    where ranked.rn = 1
),
age_band_of as (
    select a.age_years, min_by(b.age_band, b.sort_key) as age_band
    from (select distinct age_years from encounters) as a
    join ref_age_band as b on a.age_years between b.min_age and b.max_age
    group by a.age_years
),
coder_of as (
    -- the coder of an encounter: who completed its latest `code` activity
    select ranked.encounter_id, ranked.coder_id
    from (
        select
            a.encounter_id,
            a.coder_id,
            row_number() over (partition by a.encounter_id order by a.completed_at desc, a.coder_id) as rn
        from coding_activity as a
        where a.activity = 'code'
    ) as ranked
    where ranked.rn = 1
),
diagnoses_of as (
    -- how many diagnoses each encounter has (the Explorer counts them from here)
    select d.encounter_id, count(*) as n from diagnoses as d group by d.encounter_id
),
procedures_of as (
    select p.encounter_id, count(*) as n from procedures as p group by p.encounter_id
)
select
    e.encounter_id,
    -- the filter columns
    e.facility_id,
    e.patient_type,
    e.financial_class,
    e.primary_payer,
    e.service_line,
    -- dates and money
    e.admit_date,
    e.discharge_date,                  -- null = in house
    e.coded_date,
    e.final_billed_date,
    e.total_charges,
    greatest(date_diff('day', e.admit_date, e.discharge_date), 1) as los_days,  -- same-day stay = 1
    date_diff('day', e.discharge_date, e.coded_date) as discharge_to_code_days,
    -- MS-DRG of the discharge, looked up in the table applied to its fiscal year
    e.ms_drg,
    e.fiscal_year,
    a.table_year as drg_table_year,
    m.drg is not null as drg_in_table,
    coalesce(m.drg_type, 'unknown') as drg_type,
    m.weight as drg_weight,
    m.gmlos as drg_gmlos,
    coalesce(m.in_split_family, false) as drg_in_split_family,  -- in a DRG family with CC/MCC splits
    coalesce(m.with_cc_mcc, false) as drg_with_cc_mcc,          -- a WITH MCC / CC / CC/MCC DRG
    c.coder_id,                        -- who completed the latest code activity; null = none on file
    -- the demographic mix's categories: missing = Unknown, Safe Harbor restricted ZIP3 = 000
    coalesce(b.age_band, 'Unknown') as mix_age_band,
    coalesce(e.sex, 'Unknown') as mix_sex,
    coalesce(e.race, 'Unknown') as mix_race,
    coalesce(e.ethnicity, 'Unknown') as mix_ethnicity,
    case
        when e.zip3 is null then 'Unknown'
        when e.zip3 in (select r.zip3 from ref_restricted_zip3 as r) then '000'
        else e.zip3
    end as mix_zip3,
    -- rows of the encounter in diagnoses and procedures (0 = none): the Explorer's counts
    cast(coalesce(dx.n, 0) as bigint) as diagnosis_rows,
    cast(coalesce(px.n, 0) as bigint) as procedure_rows
from dated as e
left join applied_year as a on a.fiscal_year = e.fiscal_year
left join int_msdrg as m on m.fiscal_year = a.table_year and m.drg = e.ms_drg
left join age_band_of as b on b.age_years = e.age_years
left join coder_of as c on c.encounter_id = e.encounter_id
left join diagnoses_of as dx on dx.encounter_id = e.encounter_id
left join procedures_of as px on px.encounter_id = e.encounter_id;

-- One row per claim, with its denial category and its encounter's filter columns (the payer filter
-- is the claim's payer). Rows whose encounter is missing carry null filter columns. Like the two
-- views below it keeps no row ids: the KPIs aggregate, the explorer lists the base tables.
create or replace view int_claims_view as
select
    e.facility_id,
    e.patient_type,
    e.financial_class,
    c.payer,
    e.service_line,
    c.submitted_date,
    c.status in ('denied', 'partial') as is_denied,
    c.billed_amount,
    c.denied_amount,
    c.recovered_amount,
    c.appeal_outcome,
    case
        when c.appeal_outcome = 'pending' then true
        when c.appeal_outcome is null and c.appeal_date is not null then true
        else false
    end as appeal_pending,
    c.carc_code,
    -- ref_carc's category; a code not in it = other, no code = unspecified
    case when c.carc_code is null then 'unspecified' else coalesce(r.category, 'other') end as denial_category,
    coalesce(c.denial_date, c.submitted_date) as denied_on  -- the write-off age runs from here
from claims as c
left join encounters as e on e.encounter_id = c.encounter_id
left join (select carc_code, min(category) as category from ref_carc group by carc_code) as r
    on r.carc_code = c.carc_code;

-- One row per coding activity (code, recode, review, query), with its encounter's filter columns.
create or replace view int_coding_activity_view as
select
    e.facility_id,
    e.patient_type,
    e.financial_class,
    e.primary_payer,
    e.service_line,
    a.coder_id,
    a.chart_type,
    a.activity = 'code' as is_code,
    cast(a.completed_at as date) as completed_date,  -- the activity's period
    date_diff('microsecond', a.started_at, a.completed_at) as coding_microseconds
from coding_activity as a
left join encounters as e on e.encounter_id = a.encounter_id;

-- One row per coding audit, with its encounter's filter columns.
create or replace view int_coding_audits_view as
select
    e.facility_id,
    e.patient_type,
    e.financial_class,
    e.primary_payer,
    e.service_line,
    a.coder_id,
    a.audit_date,
    a.codes_reviewed,
    a.codes_changed,
    a.original_drg is not null and a.audited_drg is not null as has_both_drgs,
    a.original_drg is not null and a.audited_drg is not null and a.original_drg <> a.audited_drg
        as drg_mismatch
from coding_audits as a
left join encounters as e on e.encounter_id = a.encounter_id;

-- The aging buckets of the coding backlog and the DNFB (him-primer.md) by days since discharge at D,
-- one row per day 0..31 (31 stands for 31 and more): join on least(age, 31). DuckDB-only:
-- generate_series (Spark: explode(sequence(0, 31))).
create or replace view int_aging_buckets as
select
    cast(t.age_days as integer) as age_days,
    case
        when t.age_days <= 3 then '0-3'
        when t.age_days <= 7 then '4-7'
        when t.age_days <= 14 then '8-14'
        when t.age_days <= 30 then '15-30'
        else '31+'
    end as aging_bucket,
    case when t.age_days <= 3 then 1 when t.age_days <= 7 then 2 when t.age_days <= 14 then 3
        when t.age_days <= 30 then 4 else 5 end as bucket_order
from generate_series(0, 31) as t(age_days);

-- What the queries read until the first warehouse.rollups.build makes them tables (a no-op then).
-- The month-level definitions below read these.
create view if not exists int_encounters as select * from int_encounters_view;
create view if not exists int_claims as select * from int_claims_view;
create view if not exists int_coding_activity as select * from int_coding_activity_view;
create view if not exists int_coding_audits as select * from int_coding_audits_view;

-- Additive monthly components of the scorecard's period KPIs by month and the filter columns: one row
-- per (month, facility, patient type, financial class, payer, service line) with discharges (by
-- discharge month), coded encounters (by coded month), claims (by submitted month; payer = the claim's
-- payer, for the other facts the primary payer), coding activities (by completed month) and audits (by
-- audit month). A component is null in a row where nothing of its kind happened, so a sum under any
-- filter is null exactly when the base query's count would be. DuckDB-only: `union all by name`,
-- `group by all`.
create or replace view int_month_flows_view as
with facts as (
    select
        cast(date_trunc('month', discharge_date) as date) as month,
        facility_id, patient_type, financial_class, primary_payer as payer, service_line,
        count(*) as discharges,
        count(*) filter (where patient_type = 'inpatient') as inpatient_discharges,
        sum(los_days) filter (where patient_type = 'inpatient') as inpatient_los_days,
        case when count(*) filter (where patient_type = 'inpatient') > 0
            then count(*) filter (where patient_type = 'inpatient' and drg_in_table) end as weighted_discharges,
        sum(drg_weight) filter (where patient_type = 'inpatient' and drg_in_table) as weight_sum
    from int_encounters
    where discharge_date is not null
    group by all
    union all by name
    select
        cast(date_trunc('month', coded_date) as date) as month,
        facility_id, patient_type, financial_class, primary_payer as payer, service_line,
        count(*) as encounters_coded,
        sum(discharge_to_code_days) as discharge_to_code_days
    from int_encounters
    where coded_date is not null and discharge_date is not null
    group by all
    union all by name
    select
        cast(date_trunc('month', submitted_date) as date) as month,
        facility_id, patient_type, financial_class, payer, service_line,
        count(*) as claims_submitted,
        count(*) filter (where is_denied) as claims_denied,
        coalesce(sum(denied_amount) filter (where is_denied), 0) as denied_amount,
        count(*) filter (where appeal_outcome = 'overturned') as appeals_overturned,
        count(*) filter (where appeal_outcome in ('overturned', 'upheld')) as appeals_decided
    from int_claims
    group by all
    union all by name
    select
        cast(date_trunc('month', completed_date) as date) as month,
        facility_id, patient_type, financial_class, primary_payer as payer, service_line,
        count(*) as coding_activities,
        count(*) filter (where is_code) as charts_coded,
        sum(coding_microseconds) as coding_microseconds,
        count(*) filter (where is_code and chart_type = 'inpatient') as inpatient_charts_coded,
        sum(coding_microseconds) filter (where chart_type = 'inpatient') as inpatient_coding_microseconds
    from int_coding_activity
    group by all
    union all by name
    select
        cast(date_trunc('month', audit_date) as date) as month,
        facility_id, patient_type, financial_class, primary_payer as payer, service_line,
        sum(codes_reviewed) as codes_reviewed,
        sum(codes_changed) as codes_changed,
        count(*) filter (where has_both_drgs) as drg_audits,
        count(*) filter (where drg_mismatch) as drg_mismatches
    from int_coding_audits
    group by all
)
select
    month, facility_id, patient_type, financial_class, payer, service_line,
    sum(discharges) as discharges,
    sum(inpatient_discharges) as inpatient_discharges,
    sum(inpatient_los_days) as inpatient_los_days,
    sum(weighted_discharges) as weighted_discharges,
    sum(weight_sum) as weight_sum,
    sum(encounters_coded) as encounters_coded,
    sum(discharge_to_code_days) as discharge_to_code_days,
    sum(claims_submitted) as claims_submitted,
    sum(claims_denied) as claims_denied,
    sum(denied_amount) as denied_amount,
    sum(appeals_overturned) as appeals_overturned,
    sum(appeals_decided) as appeals_decided,
    sum(coding_activities) as coding_activities,
    sum(charts_coded) as charts_coded,
    sum(coding_microseconds) as coding_microseconds,
    sum(inpatient_charts_coded) as inpatient_charts_coded,
    sum(inpatient_coding_microseconds) as inpatient_coding_microseconds,
    sum(codes_reviewed) as codes_reviewed,
    sum(codes_changed) as codes_changed,
    sum(drg_audits) as drg_audits,
    sum(drg_mismatches) as drg_mismatches
from facts
group by month, facility_id, patient_type, financial_class, payer, service_line;

-- The state at each month's last day D by month and the filter columns (payer = the primary payer):
-- rows with age_days (D − discharge_date, capped at 31: enough for every bill_hold_days 0-30) count
-- the encounters open at D (uncoded or unbilled); rows without it hold the discharged_to_date
-- population and the charges discharged in the 90 days D−89 … D. The months run from the first
-- discharge to the month when nothing changes any more (the latest coded or billed date, or 90 days
-- after the latest discharge): a later month's state is that month's. Each encounter meets only the
-- months it is open (a calendar join restricted by its dates), never every month. DuckDB-only:
-- `union all by name`, `group by all`, generate_series, `date + integer`.
create or replace view int_month_ends_view as
with span as (
    select
        cast(date_trunc('month', min(discharge_date)) as date) as first_month,
        cast(date_trunc('month', greatest(max(discharge_date) + 90, max(coded_date), max(final_billed_date)))
            as date) as last_month
    from int_encounters
),
months as (
    select cast(t.m as date) as month, cast(t.m + interval 1 month - interval 1 day as date) as month_end
    from span as s, generate_series(s.first_month, s.last_month, interval 1 month) as t(m)
),
discharged as (
    select
        cast(date_trunc('month', discharge_date) as date) as month,
        facility_id, patient_type, financial_class, primary_payer, service_line,
        count(*) as discharges
    from int_encounters
    where discharge_date is not null
    group by all
),
discharged_daily as (
    -- charges by discharge day, so that the 90-day windows below join days, not encounters
    select
        discharge_date,
        facility_id, patient_type, financial_class, primary_payer, service_line,
        sum(total_charges) as total_charges
    from int_encounters
    where discharge_date is not null
    group by all
),
state as (
    select
        m.month,
        e.facility_id, e.patient_type, e.financial_class, e.primary_payer, e.service_line,
        cast(least(date_diff('day', e.discharge_date, m.month_end), 31) as integer) as age_days,
        count(*) filter (where e.coded_date is null or e.coded_date > m.month_end) as uncoded_count,
        count(*) filter (where e.final_billed_date is null or e.final_billed_date > m.month_end)
            as unbilled_count,
        sum(e.total_charges) filter (where e.final_billed_date is null or e.final_billed_date > m.month_end)
            as unbilled_amount
    from months as m
    join int_encounters as e
        on e.discharge_date <= m.month_end
       and m.month_end < case
               when e.coded_date is null or e.final_billed_date is null then date '9999-12-31'
               else greatest(e.coded_date, e.final_billed_date)
           end
    group by all
    union all by name
    select
        m.month,
        d.facility_id, d.patient_type, d.financial_class, d.primary_payer, d.service_line,
        sum(d.discharges) as discharged_to_date
    from months as m
    join discharged as d on d.month <= m.month
    group by all
    union all by name
    select
        m.month,
        d.facility_id, d.patient_type, d.financial_class, d.primary_payer, d.service_line,
        sum(d.total_charges) as gross_charges_90d_amount
    from months as m
    join discharged_daily as d on d.discharge_date between m.month_end - 89 and m.month_end
    group by all
)
select
    month, facility_id, patient_type, financial_class, primary_payer, service_line, age_days,
    sum(uncoded_count) as uncoded_count,
    sum(unbilled_count) as unbilled_count,
    sum(unbilled_amount) as unbilled_amount,
    sum(discharged_to_date) as discharged_to_date,
    sum(gross_charges_90d_amount) as gross_charges_90d_amount
from state
group by month, facility_id, patient_type, financial_class, primary_payer, service_line, age_days;

-- What the scorecard reads until the first warehouse.rollups.build makes them tables.
create view if not exists int_month_flows as select * from int_month_flows_view;
create view if not exists int_month_ends as select * from int_month_ends_view;
