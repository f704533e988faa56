"""Normalise and validate one batch of an extract family against the contract, in Polars.

Input: a frame of text columns named as the contract (plus ``__line``). Output
(:class:`ValidatedBatch`): the accepted rows typed as the warehouse stores them, the rejected rows
with the first rule each broke (and the others), and flags for kept-but-suspect rows. Every input row
lands in exactly one of ``accepted`` or ``rejects``.

PHI never leaves this module raw: ``patient_id`` becomes its keyed hash, ``birth_date`` the age at
admission (top-coded at 90), ``zip_code`` its 3-digit prefix, in the accepted rows and in the reject
store's copy of the values alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb
import polars as pl

from warehouse.contract import (
    AGE_TOP_CODE,
    ENUMS,
    FLAG_KINDS,
    IMPLAUSIBLE_SESSION_HOURS,
    MAX_AGE_YEARS,
    NULL_TOKENS,
    REJECT_RULES,
    Family,
)
from warehouse.readers import CONTROL_CHARS, CONTROL_HINT, LINE_COLUMN
from warehouse.sqlfiles import statement

log = logging.getLogger(__name__)

RECORD_KEY = "__record_key"
#: Between the natural key's values in a record key (``E1|2``)
RECORD_KEY_SEP = "|"
VIOLATIONS = "__violations"
SEP = "\x1f"
MAX_MONEY_INT_DIGITS = 11  # $99,999,999,999.99: larger amounts are data errors

#: The contract's null tokens (case-insensitive) as one anchored regex: one scan per value, no lower-cased
#: copy of the column. Letters become ``[xX]`` classes (the tokens are ASCII, and no other character
#: lower-cases to one of their letters), so it matches exactly what ``lower(value) in NULL_TOKENS`` does.
NULL_RE = (
    "^(?:"
    + "|".join(
        "".join(f"[{ch}{ch.upper()}]" if ch.isalpha() else re.escape(ch) for ch in token)
        for token in sorted({t.lower() for t in NULL_TOKENS}, key=len, reverse=True)
    )
    + ")$"
)
#: The common shapes, parsed without the general (regex-extracting) path; anything else goes that way.
#: Digits are ASCII ``[0-9]`` everywhere: Polars' ``\d`` also matches other scripts' digits (Arabic-Indic,
#: full-width), which no extract means as a number and which would pass a shape check, then not parse.
TIMESTAMP_FAST = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}$"
MONEY_FAST = r"^[0-9]{1,11}(?:\.[0-9]{1,2})?$"

ICD10CM_SHAPE = r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$"
PROCEDURE_SHAPES = {
    "ICD10PCS": r"^[0-9A-HJ-NP-Z]{7}$",
    "CPT": r"^[0-9]{4}[0-9A-Z]$",
    "HCPCS": r"^[A-V][0-9]{4}$",
}
DRG_SHAPE = r"^[0-9]{1,3}$"
CARC_SHAPE = r"^(?:(CO|PR|OA|PI|CR)\s*-?\s*)?([A-Z]?[0-9]{1,3})$"

ETHNICITY_MAP = {
    "hispanic or latino": "Hispanic or Latino",
    "hispanic": "Hispanic or Latino",
    "latino": "Hispanic or Latino",
    "h": "Hispanic or Latino",
    "y": "Hispanic or Latino",
    "not hispanic or latino": "Not Hispanic or Latino",
    "non-hispanic": "Not Hispanic or Latino",
    "not hispanic": "Not Hispanic or Latino",
    "nh": "Not Hispanic or Latino",
    "n": "Not Hispanic or Latino",
}


@dataclass(frozen=True)
class ReferenceSets:
    """Reference data the validation needs (built once per load)."""

    icd10cm: frozenset[str]
    carc: frozenset[str]
    drg_by_fy: Mapping[int, frozenset[str]]
    race_map: Mapping[str, str]
    discharge_status: frozenset[str]

    def nearest_fy(self, fy: int) -> int | None:
        """The fiscal year whose DRG table applies to ``fy`` (itself, else the nearest shipped one)."""
        if not self.drg_by_fy:
            return None
        if fy in self.drg_by_fy:
            return fy
        return min(self.drg_by_fy, key=lambda y: (abs(y - fy), -y))


@dataclass(frozen=True)
class ValidationContext:
    """Everything a batch's validation depends on besides its rows."""

    family: Family
    secret: bytes
    reference: ReferenceSets
    load_date: dt.date
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class ValidatedBatch:
    """The result of validating one batch."""

    accepted: pl.DataFrame
    rejects: pl.DataFrame
    flags: pl.DataFrame


def patient_key(secret: bytes, mrn: str) -> str:
    """HMAC-SHA-256 of an MRN with the site secret, hex encoded (the only stored form of an MRN)."""
    return hmac.digest(secret, mrn.encode("utf-8"), hashlib.sha256).hex()


def patient_keys(secret: bytes, mrns: pl.Series) -> pl.Series:
    """:func:`patient_key` of a column of MRNs, vectorised (null stays null, row order is kept).

    In the polars-hash plugin (Rust, SHA-NI where the CPU has it): 0.21 s of CPU per 1M MRNs. Where the
    plugin cannot be used (not installed, built for another Polars, a secret that is not UTF-8 text), in
    DuckDB instead: 0.88 s per 1M. Both equal :func:`patient_key` (checked once per process and secret).
    """
    if _plugin_hmac_works(secret):
        try:
            return mrns.alias("mrn").to_frame().select(_plugin_hmac(secret)).to_series()
        except (Exception, pl.exceptions.PanicException):  # a Rust panic is a BaseException
            log.warning("the polars-hash plugin failed on a batch; hashing it in DuckDB instead")
    return _patient_keys_duckdb(secret, mrns)


def _plugin_hmac(secret: bytes) -> pl.Expr:
    return pl.col("mrn").chash.hmac_sha256(key=secret.decode("utf-8"))  # type: ignore[attr-defined]


@lru_cache(maxsize=4)
def _plugin_hmac_works(secret: bytes) -> bool:
    """Whether the polars-hash plugin gives :func:`patient_key` for this secret (on a few samples)."""
    samples = ["", "MRN0001", "  x  ", "\u00c4-\u202e-\U0001f600", "9" * 300]
    try:
        import polars_hash  # noqa: F401  (registers the ``chash`` namespace)

        got = pl.Series("mrn", samples).to_frame().select(_plugin_hmac(secret)).to_series().to_list()
    except (Exception, pl.exceptions.PanicException):  # any failure of an accelerator: do not use it
        return False
    return got == [patient_key(secret, m) for m in samples]


def _patient_keys_duckdb(secret: bytes, mrns: pl.Series) -> pl.Series:
    """:func:`patient_keys` in DuckDB (HMAC built from two SHA-256s); the fallback of the plugin."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    pads = {"ipad": bytes(b ^ 0x36 for b in key), "opad": bytes(b ^ 0x5C for b in key)}
    con = _hash_connection()
    con.register("_mrns", mrns.alias("mrn").to_frame())
    try:
        return con.sql(statement("validate.sql", "hmac_sha256"), params=pads).pl().to_series()
    finally:
        con.unregister("_mrns")


_local = threading.local()


def _hash_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection for this thread, opened once.

    Opening one costs ~0.1 s of CPU, as much as hashing 100,000 MRNs. It holds nothing between calls:
    the MRNs are unregistered when hashed.
    """
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect()
    return con


# ---------------------------------------------------------------- expression helpers


def _date(s: pl.Expr) -> pl.Expr:
    iso = s.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    us = s.str.strptime(pl.Date, "%m/%d/%Y", strict=False)
    shape_iso = s.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    shape_us = s.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$")
    return pl.when(shape_iso).then(iso).when(shape_us).then(us).otherwise(None)


_TS_RE = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _timestamp(s: pl.Expr) -> pl.Expr:
    day = s.str.extract(_TS_RE, 1)
    clock = s.str.extract(_TS_RE, 2)
    clock = (
        pl.when(clock.str.len_chars() == 5).then(clock + ":00").otherwise(clock).str.slice(0, 15)
    )  # HH:MM:SS.ffffff at most
    text = day + " " + clock
    with_frac = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
    plain = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    return pl.coalesce(plain, with_frac)


def _timestamp_fast(s: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD[T ]HH:MM:SS`` parsed directly; null for any other shape (then :func:`_timestamp`)."""
    return (
        pl.when(s.str.contains(TIMESTAMP_FAST))
        .then(s.str.replace(" ", "T", literal=True))
        .str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
    )


def _money_fast(s: pl.Expr) -> pl.Expr:
    """A plain amount (digits, at most 2 decimals, below $100 billion) as a decimal; null otherwise.

    Such a value breaks none of the money rules, so only the other values need the full checks.
    """
    return pl.when(s.str.contains(MONEY_FAST)).then(s).cast(pl.Decimal(18, 2), strict=False)


def _collect(lazy: pl.LazyFrame) -> pl.DataFrame:
    """Collect with the in-memory engine (older Polars has only that one).

    On one batch that fits in memory it costs 10-15% less CPU than the streaming engine that Polars 2
    picks by default.
    """
    try:
        return lazy.collect(engine="in-memory")
    except (TypeError, ValueError):
        return lazy.collect()


@lru_cache(maxsize=16)
def _reference_series(values: frozenset[str]) -> pl.Series:
    """A reference code set as a Polars series, built once per set rather than once per batch."""
    return pl.Series("codes", sorted(values), dtype=pl.Utf8)


def _money_text(s: pl.Expr) -> pl.Expr:
    cleaned = s.str.replace_all(r"[\$,\s]", "")
    return (
        pl.when(cleaned.str.contains(r"^\(.*\)$"))
        .then(pl.lit("-") + cleaned.str.strip_chars("()"))
        .otherwise(cleaned)
    )


def _enum_map(ctx: ValidationContext, column: str, enum: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for canonical, synonyms in ENUMS[enum].items():
        mapping[canonical.lower()] = canonical
        for syn in synonyms:
            mapping[syn.lower()] = canonical
    for site_value, canonical in ctx.value_maps.get(column, {}).items():
        target = mapping.get(str(canonical).strip().lower(), str(canonical))
        mapping[str(site_value).strip().lower()] = target
    return mapping


# ---------------------------------------------------------------- the validation


def validate_batch(raw: pl.DataFrame, ctx: ValidationContext) -> ValidatedBatch:
    """Validate one batch of text rows; see the module docstring."""
    fam = ctx.family
    cols = list(fam.column_names)
    # CSV batches say which records hold a control character anywhere (one scan of the line): only
    # those get the per-column check. Other sources (Parquet) are checked value by value.
    hinted = CONTROL_HINT in raw.columns
    frame = raw.select(
        [
            pl.col(c).cast(pl.Utf8).str.strip_chars().alias(c)
            if c in raw.columns
            else pl.lit(None, dtype=pl.Utf8).alias(c)
            for c in cols
        ]
        + [pl.col(LINE_COLUMN)]
        + ([pl.col(CONTROL_HINT)] if hinted else [])
    ).with_columns(
        [pl.when(pl.col(c).str.contains(NULL_RE)).then(None).otherwise(pl.col(c)).alias(c) for c in cols]
    )

    parsed: dict[str, pl.Expr] = {}
    # Columns computed before ``parsed``, in this order: a fast parse of the common shape (``__f_``),
    # the values it did not parse (``__r_``, null elsewhere, so the general path only touches those),
    # then other helpers.
    fast: dict[str, pl.Expr] = {}
    residual: dict[str, pl.Expr] = {}
    helpers: dict[str, pl.Expr] = {}
    checks: list[tuple[pl.Expr, str, str]] = []  # (condition of a violation, column, rule)

    def P(c: str) -> pl.Expr:  # the parsed value of a column, once computed
        return pl.col(f"__p_{c}")

    for column in fam.columns:
        c = column.name
        s = pl.col(c)
        if column.required:
            checks.append((s.is_null(), c, "required_missing"))
        checks.append((s.str.contains(CONTROL_CHARS), c, "control_characters"))
        if column.type == "date":
            parsed[c] = _date(s)
            checks.append((s.is_not_null() & P(c).is_null(), c, "invalid_date"))
            if c != "birth_date":
                checks.append((P(c) > pl.lit(ctx.load_date), c, "future_date"))
        elif column.type == "timestamp":
            fast[f"__f_{c}"] = _timestamp_fast(s)
            residual[f"__r_{c}"] = pl.when(pl.col(f"__f_{c}").is_null()).then(s)
            parsed[c] = pl.coalesce(pl.col(f"__f_{c}"), _timestamp(pl.col(f"__r_{c}")))
            checks.append((s.is_not_null() & P(c).is_null(), c, "invalid_timestamp"))
            checks.append((P(c).dt.date() > pl.lit(ctx.load_date), c, "future_date"))
        elif column.type == "money":
            # Plain amounts are parsed at once and break no rule; the rest take the full path.
            fast[f"__f_{c}"] = _money_fast(s)
            residual[f"__r_{c}"] = pl.when(pl.col(f"__f_{c}").is_null()).then(s)
            rest = pl.col(f"__r_{c}")
            helpers[f"__t_{c}"] = _money_text(rest)
            text = pl.col(f"__t_{c}")
            shape_ok = text.str.contains(r"^-?[0-9]+(\.[0-9]+)?$")
            decimals = text.str.extract(r"\.([0-9]+)$", 1).str.len_chars().fill_null(0)
            int_digits = text.str.extract(r"^-?0*([0-9]*)", 1).str.len_chars()
            checks.append((rest.is_not_null() & ~shape_ok, c, "money_format"))
            checks.append((rest.is_not_null() & shape_ok & (decimals > 2), c, "precision"))
            checks.append(
                (
                    rest.is_not_null()
                    & shape_ok
                    & (text.str.starts_with("-") | (int_digits > MAX_MONEY_INT_DIGITS)),
                    c,
                    "out_of_range",
                )
            )
            parsed[c] = pl.coalesce(pl.col(f"__f_{c}"), text.cast(pl.Decimal(18, 2), strict=False))
        elif column.type == "int":
            shape_ok = s.str.contains(r"^-?[0-9]{1,9}$")
            lower = 1 if c == "seq" else 0
            parsed[c] = pl.when(shape_ok).then(s).cast(pl.Int64, strict=False)
            checks.append((s.is_not_null() & P(c).is_null(), c, "invalid_int"))
            checks.append(((P(c) < lower) | (P(c) > 100_000), c, "out_of_range"))
        elif column.type == "enum":
            assert column.enum is not None
            mapping = _enum_map(ctx, c, column.enum)
            parsed[c] = s.str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.Utf8)
            checks.append((s.is_not_null() & P(c).is_null(), c, "unknown_value"))
        else:  # str and code: codes are handled below
            parsed[c] = s

    # -- codes and special columns
    if fam.name == "encounters":
        drg = pl.col("ms_drg")
        checks.append((drg.is_not_null() & ~drg.str.contains(DRG_SHAPE), "ms_drg", "malformed_code"))
        parsed["ms_drg"] = pl.when(drg.str.contains(DRG_SHAPE)).then(drg.str.zfill(3))
        zip_digits = pl.col("zip_code").str.replace_all(r"[\s-]", "")
        zip_ok = zip_digits.str.contains(r"^([0-9]{4}|[0-9]{5}|[0-9]{8}|[0-9]{9})$")
        checks.append((pl.col("zip_code").is_not_null() & ~zip_ok, "zip_code", "invalid_zip"))
        padded = (
            pl.when(zip_digits.str.len_chars().is_in([4, 8])).then("0" + zip_digits).otherwise(zip_digits)
        )
        parsed["zip3"] = pl.when(zip_ok).then(padded.str.slice(0, 3))
        dispo = pl.col("discharge_disposition")
        parsed["discharge_disposition"] = (
            pl.when(dispo.str.contains(r"^[0-9]{1,2}$")).then(dispo.str.zfill(2)).otherwise(dispo)
        )
        checks.append(
            (
                dispo.is_not_null()
                & ~P("discharge_disposition").is_in(sorted(ctx.reference.discharge_status)),
                "discharge_disposition",
                "unknown_value",
            )
        )
        race_map = {k.lower(): v for k, v in ctx.reference.race_map.items()}
        parsed["race"] = (
            pl.col("race")
            .str.to_lowercase()
            .replace_strict(race_map, default="Unknown", return_dtype=pl.Utf8)
        )
        parsed["ethnicity"] = (
            pl.col("ethnicity")
            .str.to_lowercase()
            .replace_strict(ETHNICITY_MAP, default="Unknown", return_dtype=pl.Utf8)
        )
    elif fam.name == "diagnoses":
        parsed["code"] = pl.col("code").str.replace_all(".", "", literal=True).str.to_uppercase()
        checks.append(
            (pl.col("code").is_not_null() & ~P("code").str.contains(ICD10CM_SHAPE), "code", "malformed_code")
        )
    elif fam.name == "procedures":
        parsed["code"] = pl.col("code").str.replace_all(".", "", literal=True).str.to_uppercase()
        system = P("code_system")
        shape_ok = pl.lit(False)
        for name, regex in PROCEDURE_SHAPES.items():
            shape_ok = shape_ok | ((system == name) & P("code").str.contains(regex))
        checks.append(
            (pl.col("code").is_not_null() & system.is_not_null() & ~shape_ok, "code", "malformed_code")
        )
    elif fam.name == "claims":
        carc = pl.col("carc_code").str.to_uppercase()
        checks.append((carc.is_not_null() & ~carc.str.contains(CARC_SHAPE), "carc_code", "malformed_code"))
        parsed["carc_group"] = carc.str.extract(CARC_SHAPE, 1)
        parsed["carc_code"] = carc.str.extract(CARC_SHAPE, 2)
    elif fam.name == "coding_audits":
        for c in ("original_drg", "audited_drg"):
            drg = pl.col(c)
            checks.append((drg.is_not_null() & ~drg.str.contains(DRG_SHAPE), c, "malformed_code"))
            parsed[c] = pl.when(drg.str.contains(DRG_SHAPE)).then(drg.str.zfill(3))

    lazy = frame.lazy()
    for stage in (fast, residual):
        if stage:
            lazy = lazy.with_columns([e.alias(n) for n, e in stage.items()])
    if helpers:
        lazy = lazy.with_columns([e.alias(n) for n, e in helpers.items()])
    lazy = lazy.with_columns([e.alias(f"__p_{c}") for c, e in parsed.items()])

    # -- rules across columns
    if fam.name == "encounters":
        checks.append((P("discharge_date") < P("admit_date"), "discharge_date", "date_order"))
        admit, birth = P("admit_date"), P("birth_date")
        age = (admit.dt.year() - birth.dt.year()) - (
            (admit.dt.month().cast(pl.Int32) * 100 + admit.dt.day())
            < (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day())
        ).cast(pl.Int32)
        lazy = lazy.with_columns(age.alias("__age"))
        checks.append(
            ((pl.col("__age") < 0) | (pl.col("__age") > MAX_AGE_YEARS), "birth_date", "age_out_of_range")
        )
    elif fam.name == "claims":
        checks.append(
            (
                P("status").is_in(["denied", "partial"]) & P("denial_date").is_null(),
                "denial_date",
                "required_missing",
            )
        )
        checks.append((P("denial_date") < P("submitted_date"), "denial_date", "date_order"))
    elif fam.name == "coding_activity":
        checks.append((P("completed_at") < P("started_at"), "completed_at", "date_order"))
    elif fam.name == "coding_audits":
        checks.append((P("codes_changed") > P("codes_reviewed"), "codes_changed", "count_order"))

    # Cheap test first (one boolean per row); the list of violations only for the few bad rows.
    cheap = [
        cond.fill_null(False) for cond, _, rule in checks if not (hinted and rule == "control_characters")
    ]
    if hinted:
        cheap.append(pl.col(CONTROL_HINT).fill_null(True))
    frame = _collect(lazy.with_columns(pl.any_horizontal(cheap).alias("__bad")))
    bad = pl.col("__bad")
    violations = pl.concat_list(
        [pl.when(cond.fill_null(False)).then(pl.lit(f"{c}{SEP}{rule}")) for cond, c, rule in checks]
    ).list.drop_nulls()

    # -- protected forms of PHI (accepted rows and reject store alike)
    if fam.name == "encounters":
        frame = frame.with_columns(
            patient_keys(ctx.secret, frame.get_column("patient_id")).alias("__patient_key")
        )

    good = frame.filter(~bad)
    rejected = frame.filter(bad).with_columns(violations.alias(VIOLATIONS))
    if hinted:  # a control character only in an ignored column, or only in trimmed whitespace
        clean = rejected.get_column(VIOLATIONS).list.len() == 0
        if clean.any():
            good = pl.concat([good, rejected.filter(clean).drop(VIOLATIONS)])
            rejected = rejected.filter(~clean)
    p = {c: pl.col(f"__p_{c}") for c in parsed}
    accepted = _stored_columns(good, fam, p)
    return ValidatedBatch(
        accepted=accepted,
        rejects=_reject_rows(rejected, fam),
        flags=_flags(accepted, fam, ctx),
    )


def _stored_columns(good: pl.DataFrame, fam: Family, p: dict[str, pl.Expr]) -> pl.DataFrame:
    if fam.name == "encounters":
        out = good.select(
            p["encounter_id"].alias("encounter_id"),
            pl.col("__patient_key").alias("patient_key"),
            p["facility_id"].alias("facility_id"),
            p["patient_type"].alias("patient_type"),
            p["admit_date"].alias("admit_date"),
            p["discharge_date"].alias("discharge_date"),
            pl.min_horizontal(pl.col("__age"), pl.lit(AGE_TOP_CODE)).cast(pl.Int16).alias("age_years"),
            (pl.col("__age") >= AGE_TOP_CODE).alias("age_90_plus"),
            p["sex"].alias("sex"),
            p["race"].alias("race"),
            p["ethnicity"].alias("ethnicity"),
            p["zip3"].alias("zip3"),
            *[
                p[c].alias(c)
                for c in (
                    "primary_payer",
                    "financial_class",
                    "discharge_disposition",
                    "service_line",
                    "attending_provider_id",
                    "ms_drg",
                    "total_charges",
                    "coded_date",
                    "final_billed_date",
                )
            ],
            pl.col(LINE_COLUMN),
        )
    elif fam.name == "claims":
        names = [c for c in fam.column_names if c != "carc_code"]
        out = good.select(
            *[p[c].alias(c) for c in names[:8]],
            p["carc_group"].alias("carc_group"),
            p["carc_code"].alias("carc_code"),
            *[p[c].alias(c) for c in names[8:]],
            pl.col(LINE_COLUMN),
        )
    else:
        out = good.select(*[p[c].alias(c) for c in fam.column_names], pl.col(LINE_COLUMN))
    return out.with_columns(_key_expr(fam).alias(RECORD_KEY))


def _key_expr(fam: Family) -> pl.Expr:
    return pl.concat_str(
        [pl.col(k).cast(pl.Utf8) for k in fam.key], separator=RECORD_KEY_SEP, ignore_nulls=False
    )


_RULE_TEXT = {rule: text for rule, text in REJECT_RULES.items()}


def _reject_rows(rejected: pl.DataFrame, fam: Family) -> pl.DataFrame:
    if rejected.is_empty():
        return empty_rejects()
    shown = []
    for c in fam.column_names:
        if c == "patient_id":
            shown.append(
                pl.when(pl.col("__patient_key").is_not_null())
                .then(pl.lit("hmac:") + pl.col("__patient_key"))
                .alias(c)
            )
        elif c == "birth_date":
            shown.append(
                pl.when(pl.col("__age") >= AGE_TOP_CODE)
                .then(pl.lit("age:90+"))
                .when(pl.col("__age").is_not_null())
                .then(pl.lit("age:") + pl.col("__age").cast(pl.Utf8))
                .when(pl.col(c).is_not_null())
                .then(pl.lit("(unreadable date, not stored)"))
                .alias(c)
            )
        elif c == "zip_code":
            shown.append(
                pl.when(pl.col("__p_zip3").is_not_null())
                .then(pl.lit("zip3:") + pl.col("__p_zip3"))
                .when(pl.col(c).is_not_null())
                .then(pl.lit("(invalid, not stored)"))
                .alias(c)
            )
        else:
            shown.append(pl.col(c))
    first = pl.col(VIOLATIONS).list.first()
    return rejected.select(
        pl.col(LINE_COLUMN).alias("line"),
        pl.concat_str([pl.col(k) for k in fam.key], separator=RECORD_KEY_SEP).alias("record_key"),
        first.str.split(SEP).list.first().alias("column_name"),
        first.str.split(SEP).list.last().alias("rule"),
        pl.col(VIOLATIONS)
        .list.slice(1)
        .list.eval(pl.element().str.replace(SEP, ":", literal=True))
        .alias("other_rules"),
        pl.struct(shown).struct.json_encode().alias("raw_values"),
    ).with_columns(
        (
            pl.col("column_name")
            + pl.lit(": ")
            + pl.col("rule").replace_strict(_RULE_TEXT, default="rule broken", return_dtype=pl.Utf8)
        ).alias("message")
    )


def empty_rejects() -> pl.DataFrame:
    """An empty reject frame with the columns :func:`validate_batch` produces."""
    return pl.DataFrame(
        schema={
            "line": pl.Int64,
            "record_key": pl.Utf8,
            "column_name": pl.Utf8,
            "rule": pl.Utf8,
            "other_rules": pl.List(pl.Utf8),
            "raw_values": pl.Utf8,
            "message": pl.Utf8,
        }
    )


def empty_flags() -> pl.DataFrame:
    """An empty flag frame."""
    return pl.DataFrame(
        schema={"record_key": pl.Utf8, "kind": pl.Utf8, "column_name": pl.Utf8, "value": pl.Utf8}
    )


def _flag(frame: pl.DataFrame, cond: pl.Expr, kind: str, column: str, value: pl.Expr) -> pl.DataFrame:
    assert kind in FLAG_KINDS
    return frame.filter(cond).select(
        pl.col(RECORD_KEY).alias("record_key"),
        pl.lit(kind).alias("kind"),
        pl.lit(column).alias("column_name"),
        value.cast(pl.Utf8).alias("value"),
    )


def _flags(accepted: pl.DataFrame, fam: Family, ctx: ValidationContext) -> pl.DataFrame:
    parts = [empty_flags()]
    ref = ctx.reference
    if fam.name == "encounters" and ref.drg_by_fy and not accepted.is_empty():
        day = pl.coalesce(pl.col("discharge_date"), pl.col("admit_date"))
        fy = day.dt.year() + (day.dt.month() >= 10).cast(pl.Int32)
        fys = accepted.select(fy.unique()).to_series().drop_nulls().to_list()
        pairs = [(y, d) for y in fys if (near := ref.nearest_fy(y)) is not None for d in ref.drg_by_fy[near]]
        known = pl.DataFrame(pairs, schema={"__fy": pl.Int32, "ms_drg": pl.Utf8}, orient="row").with_columns(
            pl.lit(True).alias("__known")
        )
        joined = accepted.with_columns(fy.cast(pl.Int32).alias("__fy")).join(
            known, on=["__fy", "ms_drg"], how="left"
        )
        parts.append(
            _flag(
                joined,
                pl.col("ms_drg").is_not_null() & pl.col("__known").is_null(),
                "drg_not_in_table",
                "ms_drg",
                pl.col("ms_drg"),
            )
        )
    elif fam.name == "diagnoses" and ref.icd10cm:
        parts.append(
            _flag(
                accepted,
                ~pl.col("code").is_in(_reference_series(ref.icd10cm).implode()),
                "unknown_icd10",
                "code",
                pl.col("code"),
            )
        )
    elif fam.name == "claims" and ref.carc:
        parts.append(
            _flag(
                accepted,
                pl.col("carc_code").is_not_null()
                & ~pl.col("carc_code").is_in(_reference_series(ref.carc).implode()),
                "unknown_carc",
                "carc_code",
                pl.col("carc_code"),
            )
        )
    elif fam.name == "coding_activity":
        hours = (pl.col("completed_at") - pl.col("started_at")).dt.total_seconds() / 3600
        parts.append(
            _flag(
                accepted,
                hours > IMPLAUSIBLE_SESSION_HOURS,
                "implausible_session",
                "completed_at",
                hours.round(2),
            )
        )
    return pl.concat(parts)
