-- Warehouse DDL. Every generation file carries these tables. Applied with `create ... if not exists`,
-- so running it on an existing generation is a no-op.
-- PHI is never stored as given: patient_id -> patient_key (HMAC-SHA-256), birth_date -> age_years
-- (top-coded at 90, age_90_plus), zip_code -> zip3.

create sequence if not exists load_id_seq start 1;

create table if not exists encounters (
    encounter_id          varchar not null,
    patient_key           varchar not null,      -- hex HMAC-SHA-256 of the MRN with the site secret
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
    claim_id         varchar not null,
    encounter_id     varchar not null,
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
    encounter_id varchar not null,
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
