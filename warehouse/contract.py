"""The extract contract as data: families, columns, types, keys, enumerations and synonyms.

This module is the single source of truth for what an extract file may contain. The loader, the
demo-data generator, the documentation test and the reject store all read it. See
``docs/extract-contract.md`` for the same contract in prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["str", "date", "timestamp", "int", "money", "enum", "code"]


@dataclass(frozen=True)
class Column:
    """One contract column of an extract family."""

    name: str
    type: ColumnType
    required: bool = False
    enum: str | None = None  # key into ENUMS for type "enum"
    phi: bool = False  # stored only in protected form
    note: str = ""


@dataclass(frozen=True)
class Family:
    """An extract family: its columns, natural key and warehouse table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    parent: str | None = None  # family whose key every row must reference (encounter_id)
    optional: bool = False
    load_order: int = 0
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        """Contract column names in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns a file must carry and a row must fill."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# Canonical value -> accepted synonyms (matched case-insensitively after trimming).
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "patient_type": {
        "inpatient": ("ip", "i", "inpatient"),
        "outpatient": ("op", "o", "outpatient"),
        "emergency": ("ed", "er", "e", "emergency"),
        "observation": ("obs", "observation"),
    },
    "sex": {"F": ("f", "female"), "M": ("m", "male"), "X": ("x",), "U": ("u", "unknown")},
    "financial_class": {
        "medicare": ("medicare", "mcr"),
        "medicaid": ("medicaid", "mcd"),
        "commercial": ("commercial", "comm"),
        "managed_care": ("managed_care", "managed care", "hmo", "ppo"),
        "self_pay": ("self_pay", "self pay", "self-pay", "sp"),
        "other": ("other",),
    },
    "poa": {"Y": ("y",), "N": ("n",), "U": ("u",), "W": ("w",), "1": ("1",)},
    "code_system": {"ICD10PCS": ("icd10pcs", "icd-10-pcs", "pcs"), "CPT": ("cpt",), "HCPCS": ("hcpcs",)},
    "claim_status": {
        "paid": ("paid",),
        "denied": ("denied",),
        "partial": ("partial", "partially denied", "partial denial"),
        "pending": ("pending",),
    },
    "appeal_outcome": {"overturned": ("overturned",), "upheld": ("upheld",), "pending": ("pending",)},
    "chart_type": {
        "inpatient": ("inpatient", "ip"),
        "outpatient": ("outpatient", "op"),
        "emergency": ("emergency", "ed", "er"),
        "observation": ("observation", "obs"),
        "profee": ("profee", "pro fee", "professional"),
    },
    "activity": {"code": ("code",), "recode": ("recode",), "review": ("review",), "query": ("query",)},
}

#: Values read as "empty" in any column (compared case-insensitively after trimming).
NULL_TOKENS: tuple[str, ...] = ("", "null", "n/a", "na", "-", "none")


def _c(name: str, type_: ColumnType, req: bool = False, **kw: object) -> Column:
    return Column(name, type_, req, **kw)  # type: ignore[arg-type]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "encounters",
            (
                _c("encounter_id", "str", True),
                _c("patient_id", "str", True, phi=True, note="stored as HMAC-SHA-256 patient_key"),
                _c("facility_id", "str", True),
                _c("patient_type", "enum", True, enum="patient_type"),
                _c("admit_date", "date", True),
                _c("discharge_date", "date"),
                _c("birth_date", "date", True, phi=True, note="stored only as age at admission"),
                _c("sex", "enum", enum="sex"),
                _c("race", "str"),
                _c("ethnicity", "str"),
                _c("zip_code", "str", phi=True, note="stored only as zip3"),
                _c("primary_payer", "str", True),
                _c("financial_class", "enum", True, enum="financial_class"),
                _c("discharge_disposition", "str"),
                _c("service_line", "str"),
                _c("attending_provider_id", "str"),
                _c("ms_drg", "code"),
                _c("total_charges", "money", True),
                _c("coded_date", "date"),
                _c("final_billed_date", "date"),
            ),
            key=("encounter_id",),
            load_order=0,
            description="one row per hospital encounter (the abstract)",
        ),
        Family(
            "diagnoses",
            (
                _c("encounter_id", "str", True),
                _c("seq", "int", True),
                _c("code", "code", True),
                _c("poa", "enum", enum="poa"),
            ),
            key=("encounter_id", "seq"),
            parent="encounters",
            load_order=1,
            description="coded ICD-10-CM diagnoses",
        ),
        Family(
            "procedures",
            (
                _c("encounter_id", "str", True),
                _c("seq", "int", True),
                _c("code", "code", True),
                _c("code_system", "enum", True, enum="code_system"),
                _c("procedure_date", "date"),
            ),
            key=("encounter_id", "seq"),
            parent="encounters",
            load_order=2,
            description="coded procedures (ICD-10-PCS, CPT, HCPCS)",
        ),
        Family(
            "claims",
            (
                _c("claim_id", "str", True),
                _c("encounter_id", "str", True),
                _c("payer", "str", True),
                _c("submitted_date", "date", True),
                _c("billed_amount", "money", True),
                _c("status", "enum", True, enum="claim_status"),
                _c("paid_amount", "money"),
                _c("denial_date", "date"),
                _c("carc_code", "code"),
                _c("rarc_code", "str"),
                _c("denied_amount", "money"),
                _c("appeal_date", "date"),
                _c("appeal_outcome", "enum", enum="appeal_outcome"),
                _c("recovered_amount", "money"),
            ),
            key=("claim_id",),
            parent="encounters",
            load_order=3,
            description="one row per claim submission and its outcome (835 remittance)",
        ),
        Family(
            "coding_activity",
            (
                _c("coder_id", "str", True),
                _c("encounter_id", "str", True),
                _c("chart_type", "enum", True, enum="chart_type"),
                _c("activity", "enum", True, enum="activity"),
                _c("started_at", "timestamp", True),
                _c("completed_at", "timestamp", True),
            ),
            key=("coder_id", "encounter_id", "activity", "started_at"),
            parent="encounters",
            load_order=4,
            description="the coders' work log (encoder / CAC work queue)",
        ),
        Family(
            "coding_audits",
            (
                _c("audit_id", "str", True),
                _c("encounter_id", "str", True),
                _c("coder_id", "str", True),
                _c("audit_date", "date", True),
                _c("codes_reviewed", "int", True),
                _c("codes_changed", "int", True),
                _c("original_drg", "code"),
                _c("audited_drg", "code"),
            ),
            key=("audit_id",),
            parent="encounters",
            optional=True,
            load_order=5,
            description="coding quality reviews (optional family)",
        ),
    )
}

#: Rule names written to the reject store (row level) and flags table (kept rows).
REJECT_RULES: dict[str, str] = {
    "required_missing": "a required value is empty or a null token",
    "invalid_date": "not a real date in YYYY-MM-DD or MM/DD/YYYY",
    "invalid_timestamp": "not an ISO 8601 timestamp",
    "date_order": (
        "a date is before the date it must follow (discharge before admit, completed before started)"
    ),
    "future_date": "a date after the day of the load",
    "money_format": "not a money amount (1234.50, $1,234.50)",
    "precision": "a money amount with more than 2 decimal places",
    "out_of_range": "a number outside its allowed range (negative money, amount too large, int bounds)",
    "invalid_int": "not a whole number",
    "unknown_value": "not one of the column's accepted values or synonyms",
    "malformed_code": "a code of the wrong shape (ICD-10-CM, PCS, CPT, HCPCS, MS-DRG, CARC)",
    "invalid_zip": "ZIP code is not 5 or 9 digits (4 digits are left-padded)",
    "age_out_of_range": "age at admission outside 0-124 (birth date after admission or too old)",
    "count_order": "codes_changed is greater than codes_reviewed",
    "duplicate_key": "two rows in one file share a natural key with different values",
    "unknown_encounter": "encounter_id not found in encounters (load the parent first, then reload)",
    "control_characters": "a text value holds NUL, control or bidirectional-override characters",
    "missing_columns": "the record has fewer fields than the header (truncated row)",
    "extra_fields": "the record has more fields than the header",
    "unbalanced_quote": "a quoted field is never closed; the record was skipped and parsing resumed",
    "line_too_long": "the record is longer than the maximum line size",
}

FLAG_KINDS: dict[str, str] = {
    "drg_not_in_table": "MS-DRG not in the MS-DRG table of the discharge's fiscal year",
    "unknown_icd10": "ICD-10-CM code of the right shape but not in the shipped code set",
    "unknown_carc": "CARC code of the right shape but not in the shipped CARC list",
    "implausible_session": "coding activity longer than 8 hours",
}

BILL_HOLD_DAYS_DEFAULT = 3
IMPLAUSIBLE_SESSION_HOURS = 8
MAX_AGE_YEARS = 124
AGE_TOP_CODE = 90  # ages over 89 are shown and stored as "90+"


def families_in_load_order() -> list[Family]:
    """Families sorted so that parents load before children."""
    return sorted(FAMILIES.values(), key=lambda f: f.load_order)
