"""Export transformations: de-identified (Safe Harbor), limited data set, operational.

Three kinds of row-level export, each its own permission in the dashboard and each written to the
audit log with its kind, table, filters and row count:

``deidentified`` — HIPAA Safe Harbor, 45 CFR §164.514(b)(2)
    every date reduced to its year (``admit_date`` → ``admit_year``), ages over 89 as ``90+``, ZIP3s of
    20,000 people or fewer (:func:`warehouse.reference.restricted_zip3`) as ``000``, no encounter,
    claim or audit numbers, no direct identifiers, and a **random** surrogate key per patient (and per
    encounter, claim, audit) drawn afresh for each export. A keyed hash of the MRN would be a code
    derived from the identifier (§164.514(c)) and could link exports: it is never used.

``limited`` — limited data set, §164.514(e)
    dates and ZIP3 kept; direct identifiers removed (the warehouse holds none as given; account-like
    numbers — encounter, claim, audit ids — are replaced by random surrogates as above). Requires a
    data use agreement reference, which the audit log records.

``operational`` — work lists for managers
    encounter and claim ids kept (that is the point: someone will open those charts), patient key and
    direct identifiers removed, with a stated purpose recorded in the audit log.

Surrogates are drawn in DuckDB, in the export's own SQL (:func:`surrogate_sql`,
``warehouse/sql/export.sql``): per id column, the export's distinct values each get one random draw
(md5 of a per-export salt from :mod:`secrets` and a random UUID, cut to 80 bits), joined back to the
rows. Python keeps nothing per value: the export's memory is DuckDB's (``memory_limit``, spilling to
its ``temp_directory``) plus one batch. Two values share a surrogate with probability about
n²/2⁸¹ for n distinct values of one column (4·10⁻¹³ at 1M, 7·10⁻¹⁰ at 40M).

Text cells of every CSV/XLSX export that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'`` (:func:`neutralise_formulas`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import polars as pl

from warehouse import explorer, sqlfiles
from warehouse.errors import UsageProblem

KINDS: tuple[str, ...] = ("deidentified", "limited", "operational")
#: Columns replaced by a random per-export surrogate in de-identified and limited exports.
SURROGATE_COLUMNS: dict[str, str] = {
    "patient_key": "patient_ref",
    "encounter_id": "encounter_ref",
    "claim_id": "claim_ref",
    "audit_id": "audit_ref",
}
#: Columns that never leave in any export (direct identifiers, should a table ever carry them).
DIRECT_IDENTIFIERS: frozenset[str] = frozenset(
    {
        "patient_id",
        "mrn",
        "medical_record_number",
        "patient_name",
        "name",
        "first_name",
        "last_name",
        "middle_name",
        "birth_date",
        "dob",
        "date_of_birth",
        "address",
        "street",
        "street_address",
        "city",
        "phone",
        "telephone",
        "fax",
        "email",
        "ssn",
        "social_security_number",
        "account_number",
        "member_id",
        "subscriber_id",
        "health_plan_id",
        "beneficiary_id",
        "license_number",
        "device_id",
        "vehicle_id",
        "url",
        "ip_address",
        "photo",
        "biometric_id",
    }
)
#: Full ZIP codes: reduced to ZIP3 (with the restricted list applied) in de-identified exports.
ZIP_COLUMNS: frozenset[str] = frozenset({"zip", "zip_code", "zip5", "postal_code"})
FORMULA_PREFIXES: tuple[str, ...] = explorer.FORMULA_PREFIXES
MAX_TEXT = 200
EXPORT_SQL = "export.sql"
_DUA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/#:-]{2,79}$")


class ExportRefused(UsageProblem):
    """An export that may not be made as asked (unknown kind, no DUA reference, no purpose)."""


def check_dua(reference: str | None) -> str:
    """Return a data use agreement reference (3–80 plain characters).

    Raises:
        ExportRefused: missing or not a plausible reference.
    """
    ref = (reference or "").strip()
    if not _DUA.match(ref):
        raise ExportRefused(
            "a limited data set needs the data use agreement's reference (3-80 characters: "
            "letters, digits, space and . _ / # : -)"
        )
    return ref


def check_purpose(purpose: str | None) -> str:
    """Return a stated purpose (10–200 characters).

    Raises:
        ExportRefused: missing or too short to say anything.
    """
    text = " ".join((purpose or "").split())
    if len(text) < 10 or len(text) > MAX_TEXT:
        raise ExportRefused("an operational export needs a stated purpose (10-200 characters)")
    return text


def year_name(column: str) -> str:
    """Name of a date column reduced to its year: ``admit_date`` → ``admit_year``."""
    for suffix in ("_date", "_at", "_time", "_datetime"):
        if column.endswith(suffix):
            return column[: -len(suffix)] + "_year"
    return column + "_year"


def _restricted() -> frozenset[str]:
    from warehouse.reference import restricted_zip3

    return restricted_zip3()


def _zip3(expr: pl.Expr, restricted: frozenset[str]) -> pl.Expr:
    z3 = expr.cast(pl.String).str.strip_chars().str.slice(0, 3)
    return (
        pl.when(z3.is_null() | (z3.str.len_chars() < 3))
        .then(None)
        .when(z3.is_in(sorted(restricted)))
        .then(pl.lit("000"))
        .otherwise(z3)
    )


def _drop_identifiers(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop([c for c in frame.columns if c.lower() in DIRECT_IDENTIFIERS])


def _raw_ids(frame: pl.DataFrame) -> list[str]:
    """Id columns still holding real values (the export's SQL replaces them; a stray one is dropped)."""
    return [c for c in frame.columns if c in SURROGATE_COLUMNS]


def safe_harbor(frame: pl.DataFrame, *, restricted_zip3: frozenset[str] | None = None) -> pl.DataFrame:
    """Return the frame de-identified by HIPAA Safe Harbor (see the module docstring).

    Id columns arrive already replaced by their surrogates (:func:`surrogate_sql`); one that did not is
    dropped, never written.
    """
    restricted = _restricted() if restricted_zip3 is None else restricted_zip3
    full_zips = [c for c in frame.columns if c in ZIP_COLUMNS and "zip3" in frame.columns]
    out = _drop_identifiers(frame.drop([*full_zips, *_raw_ids(frame)]))
    exprs: list[pl.Expr] = []
    for name, dtype in out.schema.items():
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.year().cast(pl.Int16).alias(name))
        elif name in ("age_years", "age") and dtype.is_numeric():
            exprs.append(
                pl.when(pl.col(name) > 89)
                .then(pl.lit("90+"))
                .otherwise(pl.col(name).cast(pl.Int64).cast(pl.String))
                .alias(name)
            )
        elif name == "zip3" or name in ZIP_COLUMNS:
            exprs.append(_zip3(pl.col(name), restricted).alias(name))
    out = out.with_columns(exprs) if exprs else out
    renames = {
        n: year_name(n)
        for n, t in frame.schema.items()
        if (t == pl.Date or isinstance(t, pl.Datetime)) and n in out.columns
    }
    renames.update({z: "zip3" for z in ZIP_COLUMNS if z in out.columns and "zip3" not in out.columns})
    return out.rename(renames)


def limited_data_set(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the frame as a limited data set: dates and ZIP3 kept, identifiers removed.

    Id columns arrive already replaced by their surrogates (:func:`surrogate_sql`); one that did not is
    dropped, never written.
    """
    return _drop_identifiers(frame.drop([c for c in frame.columns if c in ZIP_COLUMNS] + _raw_ids(frame)))


def operational(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the frame for an operational work list: encounter and claim ids kept, no patient key."""
    return _drop_identifiers(frame.drop([c for c in ("patient_key", *ZIP_COLUMNS) if c in frame.columns]))


#: Formula neutralisation of CSV and XLSX cells: the Explorer's, applied by its file writers.
neutralise_formulas = explorer.neutralise


def transformer(
    kind: str, *, restricted_zip3: frozenset[str] | None = None
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Return the per-batch transformation of one export (stateless: surrogates are drawn in SQL).

    Raises:
        ExportRefused: an unknown kind.
    """
    if kind not in KINDS:
        raise ExportRefused(f"export kind {kind!r} is not one of {', '.join(KINDS)}")
    restricted = _restricted() if restricted_zip3 is None and kind == "deidentified" else restricted_zip3
    if kind == "deidentified":
        return lambda f: safe_harbor(f, restricted_zip3=restricted)
    if kind == "limited":
        return limited_data_set
    return operational


# -- streaming exports of Explorer tables ------------------------------------------------------------


def _quoted(column: str) -> str:
    return '"' + column + '"'  # whitelisted names are [a-z_]+, so quoting is only belt and braces


def surrogate_sql(request: explorer.Request) -> tuple[str, dict[str, Any]]:
    """The export's SQL with every id column replaced by a random surrogate drawn in DuckDB.

    ``warehouse/sql/export.sql`` (``surrogate_export``) wraps the Explorer's rows (read with the
    patient key) with, per id column of :data:`SURROGATE_COLUMNS`, the distinct values of the export
    each given one random draw (md5 of a per-export salt from :mod:`secrets` and a random UUID, 80
    bits), joined back to the rows. The surrogate is not a function of the value, the same value gets
    the same surrogate throughout the export, and the salt is a bound parameter forgotten with the
    export. The distinct values and their surrogates live in DuckDB (bounded by the connection's
    ``memory_limit``, spilling to its ``temp_directory``), not in Python. Sorted only when the user
    sorted, after the surrogates are joined.

    Raises:
        explorer.ExplorerError: an unknown table, column or operator, or a value of the wrong type.
    """
    source, params = explorer.compose(replace(request, sort=()), order="user", patient_key=True)
    names = ["patient_key", *(c.name for c in explorer.columns(request.table))]
    ids = [c for c in names if c in SURROGATE_COLUMNS]
    draws, joins, select = [], [], []
    for name in names:
        if name in SURROGATE_COLUMNS:
            select.append(f"surrogate_{name}.surrogate as {_quoted(SURROGATE_COLUMNS[name])}")
        else:
            select.append(f"s.{_quoted(name)}")
    for name in ids:
        fill = {"draw": f"surrogate_{name}", "column": _quoted(name)}
        draws.append(sqlfiles.statement(EXPORT_SQL, "surrogate_draw").format(**fill))
        joins.append(sqlfiles.statement(EXPORT_SQL, "surrogate_join").format(**fill))
    order = explorer.export_order(request)
    sql = sqlfiles.statement(EXPORT_SQL, "surrogate_export").format(
        source=source,
        id_columns=", ".join(_quoted(c) for c in ids),
        draws=",\n".join(draws),
        columns=", ".join(select),
        joins="\n".join(joins),
        order_by=f"\norder by {order}" if order else "",
    )
    return sql, {**params, "surrogate_salt": secrets.token_hex(16)}


def _source_sql(request: explorer.Request, kind: str) -> tuple[str, dict[str, Any]]:
    """The export's SQL: the Explorer's rows, with random surrogates for the ids unless operational.

    Sorted only when the user sorted; otherwise rows stream in the order DuckDB reads them.
    """
    if kind == "operational":
        return explorer.compose(request, order="user")
    return surrogate_sql(request)


def export(
    request: explorer.Request,
    kind: str,
    fmt: str,
    *,
    con: Any = None,
    batch_rows: int = explorer.EXPORT_BATCH_ROWS,
    restricted_zip3: frozenset[str] | None = None,
) -> explorer.Export:
    """Return a streaming export of an Explorer request, transformed for ``kind``.

    The caller checks the permission, the DUA reference or purpose, and writes the audit entry before
    handing the chunks out.

    Raises:
        ExportRefused: an unknown kind.
        explorer.ExplorerError: an unknown format or an invalid request (checked before any byte).
    """
    transform = transformer(kind, restricted_zip3=restricted_zip3)
    if fmt not in explorer.EXPORT_FORMATS:
        raise explorer.ExplorerError(
            f"export format {fmt!r} is not accepted; use one of {', '.join(explorer.EXPORT_FORMATS)}"
        )
    explorer.compose(request)
    if con is None:
        from warehouse.db import reader

        con = reader().cursor()
    sql, params = _source_sql(request, kind)
    batches = explorer.arrow_batches(con, sql, params, batch_rows)
    chunks = explorer.file_chunks(fmt, batches, request.table, transform)
    stamp = dt.date.today().strftime("%Y%m%d")
    return explorer.Export(f"{request.table}-{kind}-{stamp}.{fmt}", explorer.EXPORT_FORMATS[fmt], chunks)
