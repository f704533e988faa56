-- Explorer (the analysts' row-level tables). One query per table: its rows under the dashboard's
-- filters, with the columns an analyst may see (never patient_key, never load_id; restricted ZIP3s
-- shown as 000 as everywhere else). The returned columns are the Explorer's whitelist:
-- warehouse/explorer.py adds column filters, sorting and paging with bound values only. Period
-- membership as in the primer: encounters, diagnoses and procedures by the encounter's discharge_date
-- (in-house encounters have none and are left out), claims by submitted_date, coding activity by
-- completed_at, audits by audit_date. The payer filter is the claim's payer for claims and the primary
-- payer otherwise; the other filters are the encounter's.
--
-- Shape (warehouse/explorer.py relies on it and checks it; tests/dashboard/test_dash_explorer.py too):
--   facts      the table's own rows in the period and under the filters that are its own, with the
--              declared columns that need no lookup (plus any stored value a lookup needs);
--   encounter  (tables showing their encounter's columns) the encounters the filters keep (for
--              diagnoses and procedures also the period): encounter_id, the shown columns, patient_key;
--   page       exactly `page as (select * from facts)`: the Explorer replaces it by the sorted page
--              of facts when neither a column condition nor the sort needs a looked-up column;
--   rows       page with its lookups (encounter, CARC category, restricted ZIP3): the declared
--              columns in order, then patient_key (read only by the exports, to give each patient one
--              random surrogate; never shown). Claims, coding activity and audits keep a row whose
--              encounter is missing unless an encounter filter is set; diagnoses and procedures are
--              inner-joined, their period being their encounter's.
-- and the query ends `select * exclude (patient_key) from rows`. So a page is sorted and cut on the
-- table's own rows and only its rows are looked up, and a count reads facts alone (with a semi-join to
-- the kept encounters when a filter needs them): docs/performance.md, "Dashboard".

-- fragment: explorer_filtered_encounter
-- the start of the with clause of a table whose rows carry an encounter_id: the CTE encounter (the
-- encounters the five filters keep, with the shown columns and patient_key), ending in a comma
with encounter as (
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.patient_key
    from encounters as e
    where true
      -- include: filters_e
),

-- fragment: explorer_rows_with_encounter
-- from and where of rows for those tables: the page (f) with its encounter (e); a row whose encounter
-- is missing stays unless a filter is set
from page as f
left join encounter as e on e.encounter_id = f.encounter_id
where e.encounter_id is not null  -- the encounter passes the filters
   or (array_length($facility) = 0
       and array_length($patient_type) = 0
       and array_length($financial_class) = 0
       and array_length($payer) = 0
       and array_length($service_line) = 0)

-- name: explorer.encounters
-- Encounters discharged in the period. Grain: one row per encounter.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   encounter_id           VARCHAR         -- encounter
--   facility_id            VARCHAR         -- facility
--   patient_type           VARCHAR         -- inpatient | outpatient | emergency | observation
--   admit_date             DATE            -- admission date
--   discharge_date         DATE            -- discharge date
--   los_days               INTEGER         -- days: discharge − admission, a same-day stay counts as 1
--   age_years              SMALLINT        -- age at admission in years (90 = 90 or older)
--   sex                    VARCHAR         -- F | M | X | U
--   race                   VARCHAR         -- OMB category
--   ethnicity              VARCHAR         -- OMB ethnicity
--   zip3                   VARCHAR         -- 3-digit ZIP (restricted ZIP3s as 000)
--   primary_payer          VARCHAR         -- primary payer
--   financial_class        VARCHAR         -- financial class
--   discharge_disposition  VARCHAR         -- UB-04 discharge status
--   service_line           VARCHAR         -- service line
--   attending_provider_id  VARCHAR         -- attending provider
--   ms_drg                 VARCHAR         -- MS-DRG (null = ungrouped)
--   total_charges          DECIMAL(18,2)   -- dollars
--   coded_date             DATE            -- date coded
--   final_billed_date      DATE            -- date final billed
with facts as (
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.admit_date,
        e.discharge_date,
        cast(greatest(e.discharge_date - e.admit_date, 1) as integer) as los_days,
        e.age_years,
        e.sex,
        e.race,
        e.ethnicity,
        e.zip3 as stored_zip3,
        e.primary_payer,
        e.financial_class,
        e.discharge_disposition,
        e.service_line,
        e.attending_provider_id,
        e.ms_drg,
        e.total_charges,
        e.coded_date,
        e.final_billed_date,
        e.patient_key
    from encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.encounter_id,
        f.facility_id,
        f.patient_type,
        f.admit_date,
        f.discharge_date,
        f.los_days,
        f.age_years,
        f.sex,
        f.race,
        f.ethnicity,
        case when r.zip3 is not null then '000' else f.stored_zip3 end as zip3,
        f.primary_payer,
        f.financial_class,
        f.discharge_disposition,
        f.service_line,
        f.attending_provider_id,
        f.ms_drg,
        f.total_charges,
        f.coded_date,
        f.final_billed_date,
        f.patient_key
    from page as f
    left join ref_restricted_zip3 as r on r.zip3 = f.stored_zip3
)
select * exclude (patient_key) from rows

-- name: explorer.diagnoses
-- ICD-10-CM diagnoses of the encounters discharged in the period. Grain: one row per (encounter, seq).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   encounter_id    VARCHAR   -- encounter
--   seq             INTEGER   -- 1 = principal diagnosis
--   code            VARCHAR   -- ICD-10-CM, no dot
--   poa             VARCHAR   -- present on admission: Y | N | U | W | 1
--   facility_id     VARCHAR   -- the encounter's facility
--   patient_type    VARCHAR   -- the encounter's patient type
--   discharge_date  DATE      -- the encounter's discharge date
with encounter as (
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.discharge_date,
        e.patient_key
    from encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
facts as (
    select d.encounter_id, d.seq, d.code, d.poa
    from diagnoses as d
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.encounter_id,
        f.seq,
        f.code,
        f.poa,
        e.facility_id,
        e.patient_type,
        e.discharge_date,
        e.patient_key
    from page as f
    join encounter as e on e.encounter_id = f.encounter_id
)
select * exclude (patient_key) from rows

-- name: explorer.procedures
-- Procedures (ICD-10-PCS, CPT, HCPCS) of the encounters discharged in the period.
-- Grain: one row per (encounter, seq).
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   encounter_id    VARCHAR   -- encounter
--   seq             INTEGER   -- order on the abstract
--   code            VARCHAR   -- procedure code
--   code_system     VARCHAR   -- ICD10PCS | CPT | HCPCS
--   procedure_date  DATE      -- date performed
--   facility_id     VARCHAR   -- the encounter's facility
--   patient_type    VARCHAR   -- the encounter's patient type
--   discharge_date  DATE      -- the encounter's discharge date
with encounter as (
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.discharge_date,
        e.patient_key
    from encounters as e
    where e.discharge_date between $date_from and $date_to
      -- include: filters_e
),
facts as (
    select p.encounter_id, p.seq, p.code, p.code_system, p.procedure_date
    from procedures as p
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.encounter_id,
        f.seq,
        f.code,
        f.code_system,
        f.procedure_date,
        e.facility_id,
        e.patient_type,
        e.discharge_date,
        e.patient_key
    from page as f
    join encounter as e on e.encounter_id = f.encounter_id
)
select * exclude (patient_key) from rows

-- name: explorer.claims
-- Claims submitted in the period, with the CARC category of their denial.
-- Grain: one row per claim.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- the claim's payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   claim_id          VARCHAR         -- claim
--   encounter_id      VARCHAR         -- encounter
--   payer             VARCHAR         -- the claim's payer
--   submitted_date    DATE            -- date submitted
--   status            VARCHAR         -- paid | denied | partial | pending
--   billed_amount     DECIMAL(18,2)   -- dollars
--   paid_amount       DECIMAL(18,2)   -- dollars
--   denial_date       DATE            -- date denied
--   carc_group        VARCHAR         -- CO | PR | OA | PI | CR
--   carc_code         VARCHAR         -- claim adjustment reason code
--   denial_category   VARCHAR         -- the CARC's category (other when unknown; null when not denied)
--   rarc_code         VARCHAR         -- remittance advice remark code
--   denied_amount     DECIMAL(18,2)   -- dollars
--   appeal_date       DATE            -- date appealed
--   appeal_outcome    VARCHAR         -- overturned | upheld | pending
--   recovered_amount  DECIMAL(18,2)   -- dollars recovered by the appeal
--   facility_id       VARCHAR         -- the encounter's facility
--   patient_type      VARCHAR         -- the encounter's patient type
with encounter as (
    select
        e.encounter_id,
        e.facility_id,
        e.patient_type,
        e.patient_key
    from encounters as e
    where (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
),
facts as (
    select
        c.claim_id,
        c.encounter_id,
        c.payer,
        c.submitted_date,
        c.status,
        c.billed_amount,
        c.paid_amount,
        c.denial_date,
        c.carc_group,
        c.carc_code,
        c.rarc_code,
        c.denied_amount,
        c.appeal_date,
        c.appeal_outcome,
        c.recovered_amount
    from claims as c
    where c.submitted_date between $date_from and $date_to
      and (array_length($payer) = 0 or list_contains($payer, c.payer))
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.claim_id,
        f.encounter_id,
        f.payer,
        f.submitted_date,
        f.status,
        f.billed_amount,
        f.paid_amount,
        f.denial_date,
        f.carc_group,
        f.carc_code,
        case
            when f.status not in ('denied', 'partial') then null
            when f.carc_code is null then 'unspecified'
            else coalesce(r.category, 'other')
        end as denial_category,
        f.rarc_code,
        f.denied_amount,
        f.appeal_date,
        f.appeal_outcome,
        f.recovered_amount,
        e.facility_id,
        e.patient_type,
        e.patient_key
    from page as f
    left join encounter as e on e.encounter_id = f.encounter_id
    left join ref_carc as r on r.carc_code = f.carc_code
    where e.encounter_id is not null  -- the encounter passes the filters
       or (array_length($facility) = 0
           and array_length($patient_type) = 0
           and array_length($financial_class) = 0
           and array_length($service_line) = 0)
)
select * exclude (patient_key) from rows

-- name: explorer.coding_activity
-- Coders' work log: activities completed in the period. Grain: one row per activity.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   coder_id      VARCHAR     -- coder
--   encounter_id  VARCHAR     -- encounter
--   chart_type    VARCHAR     -- inpatient | outpatient | emergency | observation | profee
--   activity      VARCHAR     -- code | recode | review | query
--   started_at    TIMESTAMP   -- start
--   completed_at  TIMESTAMP   -- end
--   minutes       DOUBLE      -- minutes: completed_at − started_at
--   facility_id   VARCHAR     -- the encounter's facility
--   patient_type  VARCHAR     -- the encounter's patient type
-- include: explorer_filtered_encounter
facts as (
    select
        a.coder_id,
        a.encounter_id,
        a.chart_type,
        a.activity,
        a.started_at,
        a.completed_at,
        cast(epoch(a.completed_at - a.started_at) / 60.0 as double) as minutes
    from coding_activity as a
    where cast(a.completed_at as date) between $date_from and $date_to
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.coder_id,
        f.encounter_id,
        f.chart_type,
        f.activity,
        f.started_at,
        f.completed_at,
        f.minutes,
        e.facility_id,
        e.patient_type,
        e.patient_key
    -- include: explorer_rows_with_encounter
)
select * exclude (patient_key) from rows

-- name: explorer.coding_audits
-- Coding audits dated in the period. Grain: one row per audit.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- the encounter's patient type; empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   audit_id        VARCHAR   -- audit
--   encounter_id    VARCHAR   -- encounter
--   coder_id        VARCHAR   -- the audited coder
--   audit_date      DATE      -- date audited
--   codes_reviewed  INTEGER   -- codes reviewed
--   codes_changed   INTEGER   -- of which changed by the auditor
--   original_drg    VARCHAR   -- MS-DRG as coded
--   audited_drg     VARCHAR   -- MS-DRG after audit
--   facility_id     VARCHAR   -- the encounter's facility
--   patient_type    VARCHAR   -- the encounter's patient type
-- include: explorer_filtered_encounter
facts as (
    select
        a.audit_id,
        a.encounter_id,
        a.coder_id,
        a.audit_date,
        a.codes_reviewed,
        a.codes_changed,
        a.original_drg,
        a.audited_drg
    from coding_audits as a
    where a.audit_date between $date_from and $date_to
),
page as (select * from facts),  -- the Explorer's sorted page goes here
rows as (
    select
        f.audit_id,
        f.encounter_id,
        f.coder_id,
        f.audit_date,
        f.codes_reviewed,
        f.codes_changed,
        f.original_drg,
        f.audited_drg,
        e.facility_id,
        e.patient_type,
        e.patient_key
    -- include: explorer_rows_with_encounter
)
select * exclude (patient_key) from rows

-- name: explorer.fact_counts
-- How many rows explorer.diagnoses and explorer.procedures hold under the filters (without a column
-- condition): the encounters discharged in the period, summed over the per-encounter counts that
-- int_encounters keeps, instead of joining every diagnosis to its encounter (at 10M encounters, 13
-- months of diagnoses: ~10 ms instead of ~540 ms). Grain: one row.
-- params:
--   date_from        DATE
--   date_to          DATE
--   facility         VARCHAR[]   -- empty list = all
--   patient_type     VARCHAR[]   -- empty list = all
--   financial_class  VARCHAR[]   -- empty list = all
--   payer            VARCHAR[]   -- primary payer; empty list = all
--   service_line     VARCHAR[]   -- empty list = all
-- returns:
--   diagnoses   BIGINT   -- rows of explorer.diagnoses (null: no encounter in the period)
--   procedures  BIGINT   -- rows of explorer.procedures (null: no encounter in the period)
select
    cast(sum(e.diagnosis_rows) as bigint) as diagnoses,
    cast(sum(e.procedure_rows) as bigint) as procedures
from int_encounters as e
where e.discharge_date between $date_from and $date_to
  -- include: filters_e
