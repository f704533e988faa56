-- Explorer (the analysts' row-level tables). One query per table: its rows under the dashboard's
-- filters, with the columns an analyst may see (never patient_key, never load_id; restricted ZIP3s
-- shown as 000 as everywhere else). The returned columns are the Explorer's whitelist:
-- warehouse/explorer.py wraps these queries to add column filters, sorting and paging with bound
-- values only. Period membership as in the primer: encounters, diagnoses and procedures by the
-- encounter's discharge_date (in-house encounters have none and are left out), claims by
-- submitted_date, coding activity by completed_at, audits by audit_date. The payer filter is the
-- claim's payer for claims and the primary payer otherwise; the other filters are the encounter's.

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
with rows as (
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
        case when r.zip3 is not null then '000' else e.zip3 end as zip3,
        e.primary_payer,
        e.financial_class,
        e.discharge_disposition,
        e.service_line,
        e.attending_provider_id,
        e.ms_drg,
        e.total_charges,
        e.coded_date,
        e.final_billed_date
    from encounters as e
    left join ref_restricted_zip3 as r on r.zip3 = e.zip3
    where e.discharge_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows

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
with rows as (
    select
        d.encounter_id,
        d.seq,
        d.code,
        d.poa,
        e.facility_id,
        e.patient_type,
        e.discharge_date
    from diagnoses as d
    join encounters as e on e.encounter_id = d.encounter_id
    where e.discharge_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows

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
with rows as (
    select
        p.encounter_id,
        p.seq,
        p.code,
        p.code_system,
        p.procedure_date,
        e.facility_id,
        e.patient_type,
        e.discharge_date
    from procedures as p
    join encounters as e on e.encounter_id = p.encounter_id
    where e.discharge_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows

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
with rows as (
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
        case
            when c.status not in ('denied', 'partial') then null
            when c.carc_code is null then 'unspecified'
            else coalesce(r.category, 'other')
        end as denial_category,
        c.rarc_code,
        c.denied_amount,
        c.appeal_date,
        c.appeal_outcome,
        c.recovered_amount,
        e.facility_id,
        e.patient_type
    from claims as c
    left join encounters as e on e.encounter_id = c.encounter_id
    left join ref_carc as r on r.carc_code = c.carc_code
    where c.submitted_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, c.payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows

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
with rows as (
    select
        a.coder_id,
        a.encounter_id,
        a.chart_type,
        a.activity,
        a.started_at,
        a.completed_at,
        cast(epoch(a.completed_at - a.started_at) / 60.0 as double) as minutes,
        e.facility_id,
        e.patient_type
    from coding_activity as a
    left join encounters as e on e.encounter_id = a.encounter_id
    where cast(a.completed_at as date) between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows

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
with rows as (
    select
        a.audit_id,
        a.encounter_id,
        a.coder_id,
        a.audit_date,
        a.codes_reviewed,
        a.codes_changed,
        a.original_drg,
        a.audited_drg,
        e.facility_id,
        e.patient_type
    from coding_audits as a
    left join encounters as e on e.encounter_id = a.encounter_id
    where a.audit_date between $date_from and $date_to
      and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
      and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
      and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
      and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
      and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))
)
select * from rows
