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

Text cells of every CSV/XLSX export that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'`` (:func:`neutralise_formulas`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from warehouse import catalog, explorer
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
DIRECT_IDENTIFIERS: frozenset[str] = frozenset({
    "patient_id", "mrn", "medical_record_number", "patient_name", "name", "first_name", "last_name",
    "middle_name", "birth_date", "dob", "date_of_birth", "address", "street", "street_address", "city",
    "phone", "telephone", "fax", "email", "ssn", "social_security_number", "account_number",
    "member_id", "subscriber_id", "health_plan_id", "beneficiary_id", "license_number", "device_id",
    "vehicle_id", "url", "ip_address", "photo", "biometric_id",
})
#: Full ZIP codes: reduced to ZIP3 (with the restricted list applied) in de-identified exports.
ZIP_COLUMNS: frozenset[str] = frozenset({"zip", "zip_code", "zip5", "postal_code"})
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 200
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
        raise ExportRefused("a limited data set needs the data use agreement's reference (3-80 characters: "
                            "letters, digits, space and . _ / # : -)")
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


@dataclass
class Surrogates:
    """Random surrogate keys for one export: the same value gets the same key within the export only.

    Keys are drawn with :mod:`secrets` and forgotten with the object: nothing about the original value
    can be computed from them, and two exports cannot be linked through them. Each new value costs one
    dictionary insert and one set lookup (no work grows with the values already seen); the object holds
    one entry per distinct value of the export (about 200 bytes each: ~0.4 GB for 1M encounters and
    their patients) until the export ends.
    """

    _maps: dict[str, dict[Any, str]] = field(default_factory=dict)
    _issued: set[str] = field(default_factory=set)

    def replace(self, column: str, values: pl.Series) -> pl.Series:
        """Return a surrogate per value (nulls stay null)."""
        mapping = self._maps.setdefault(column, {})
        distinct = values.drop_nulls().unique()
        keys = distinct.to_list()
        refs = [mapping.get(v) for v in keys]
        new = [i for i, ref in enumerate(refs) if ref is None]
        if new:
            drawn = secrets.token_bytes(8 * len(new)).hex()
            issued = self._issued
            for n, i in enumerate(new):
                ref = drawn[16 * n : 16 * n + 16]
                while ref in issued:  # pragma: no cover - 64-bit collisions
                    ref = secrets.token_hex(8)
                mapping[keys[i]] = refs[i] = ref
                issued.add(ref)
        lookup = pl.DataFrame({"value": distinct, "ref": pl.Series(refs, dtype=pl.String)})
        joined = values.rename("value").to_frame().join(lookup, on="value", how="left", maintain_order="left")
        return joined["ref"].rename(values.name)


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
    return pl.when(z3.is_null() | (z3.str.len_chars() < 3)).then(None).when(
        z3.is_in(sorted(restricted))).then(pl.lit("000")).otherwise(z3)


def _drop_identifiers(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop([c for c in frame.columns if c.lower() in DIRECT_IDENTIFIERS])


def _surrogates(frame: pl.DataFrame, surrogates: Surrogates) -> pl.DataFrame:
    out = frame
    for column, ref in SURROGATE_COLUMNS.items():
        if column in out.columns:
            out = out.with_columns(surrogates.replace(column, out[column]).alias(column))
            out = out.rename({column: ref})
    return out


def safe_harbor(
    frame: pl.DataFrame, surrogates: Surrogates, *, restricted_zip3: frozenset[str] | None = None
) -> pl.DataFrame:
    """Return the frame de-identified by HIPAA Safe Harbor (see the module docstring)."""
    restricted = _restricted() if restricted_zip3 is None else restricted_zip3
    full_zips = [c for c in frame.columns if c in ZIP_COLUMNS and "zip3" in frame.columns]
    out = _drop_identifiers(frame.drop(full_zips))
    out = _surrogates(out, surrogates)
    exprs: list[pl.Expr] = []
    for name, dtype in out.schema.items():
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.year().cast(pl.Int16).alias(name))
        elif name in ("age_years", "age") and dtype.is_numeric():
            exprs.append(pl.when(pl.col(name) > 89).then(pl.lit("90+"))
                         .otherwise(pl.col(name).cast(pl.Int64).cast(pl.String)).alias(name))
        elif name == "zip3" or name in ZIP_COLUMNS:
            exprs.append(_zip3(pl.col(name), restricted).alias(name))
    out = out.with_columns(exprs) if exprs else out
    renames = {n: year_name(n) for n, t in frame.schema.items()
               if (t == pl.Date or isinstance(t, pl.Datetime)) and n in out.columns}
    renames.update({z: "zip3" for z in ZIP_COLUMNS if z in out.columns and "zip3" not in out.columns})
    return out.rename(renames)


def limited_data_set(frame: pl.DataFrame, surrogates: Surrogates) -> pl.DataFrame:
    """Return the frame as a limited data set: dates and ZIP3 kept, identifiers replaced or removed."""
    out = _drop_identifiers(frame.drop([c for c in frame.columns if c in ZIP_COLUMNS]))
    return _surrogates(out, surrogates)


def operational(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the frame for an operational work list: encounter and claim ids kept, no patient key."""
    return _drop_identifiers(frame.drop([c for c in ("patient_key", *ZIP_COLUMNS) if c in frame.columns]))


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` …)."""
    pattern = "^[" + "".join(re.escape(p) for p in FORMULA_PREFIXES) + "]"
    exprs = [
        pl.when(pl.col(n).str.contains(pattern)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n, t in frame.schema.items()
        if t == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def transformer(
    kind: str, *, restricted_zip3: frozenset[str] | None = None
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Return the per-batch transformation of one export (one set of surrogates for all batches).

    Raises:
        ExportRefused: an unknown kind.
    """
    if kind not in KINDS:
        raise ExportRefused(f"export kind {kind!r} is not one of {', '.join(KINDS)}")
    surrogates = Surrogates()
    restricted = _restricted() if restricted_zip3 is None and kind == "deidentified" else restricted_zip3
    if kind == "deidentified":
        return lambda f: safe_harbor(f, surrogates, restricted_zip3=restricted)
    if kind == "limited":
        return lambda f: limited_data_set(f, surrogates)
    return operational


# -- streaming exports of Explorer tables ------------------------------------------------------------


def _source_sql(request: explorer.Request, kind: str) -> tuple[str, dict[str, Any]]:
    """The Explorer's SQL for the request, with the patient key read in when surrogates need it.

    Sorted only when the user sorted; otherwise rows stream in the order DuckDB reads them.
    """
    # The patient key is read only to give each patient one random surrogate; it is never written.
    return explorer.compose(request, order="user", patient_key=kind != "operational")


def _cursor(con: Any) -> Any:
    if con is not None:
        return con
    from warehouse.db import reader

    return reader().cursor()


def _batches(
    request: explorer.Request, kind: str, con: Any, batch_rows: int
) -> tuple[Any, Iterator[pl.DataFrame]]:
    sql, params = _source_sql(request, kind)
    try:
        reader = con.sql(sql, params=params).to_arrow_reader(batch_rows)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise catalog.QueryFailed(f"export query failed: {first}") from exc

    def frames() -> Iterator[pl.DataFrame]:
        for batch in reader:
            yield pl.from_arrow(batch)  # type: ignore[misc]

    return reader.schema, frames()


def _csv(schema: Any, frames: Iterator[pl.DataFrame], transform: Callable[[pl.DataFrame], pl.DataFrame]
         ) -> Iterator[bytes]:
    empty = transform(pl.from_arrow(schema.empty_table()))  # type: ignore[arg-type]
    yield empty.write_csv(include_header=True).encode()
    for frame in frames:
        if frame.height:
            yield neutralise_formulas(transform(frame)).write_csv(include_header=False).encode()


def _spool(write: Callable[[io.BufferedRandom], None]) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as tmp:
        write(tmp)  # type: ignore[arg-type]
        tmp.seek(0)
        while chunk := tmp.read(1 << 20):
            yield chunk


def _xlsx(schema: Any, frames: Iterator[pl.DataFrame], transform: Callable[[pl.DataFrame], pl.DataFrame],
          sheet_name: str) -> Iterator[bytes]:
    import xlsxwriter

    def write(tmp: io.BufferedRandom) -> None:
        book = xlsxwriter.Workbook(tmp, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
        sheet = book.add_worksheet(sheet_name[:31])
        bold = book.add_format({"bold": True})
        date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
        header = transform(pl.from_arrow(schema.empty_table())).columns  # type: ignore[arg-type]
        for j, name in enumerate(header):
            sheet.write_string(0, j, name, bold)
        row = 0
        for frame in frames:
            for values in neutralise_formulas(transform(frame)).iter_rows():
                if row >= explorer.XLSX_MAX_ROWS:
                    break
                row += 1
                for j, value in enumerate(values):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(row, j, value)
                    elif isinstance(value, dt.date):
                        sheet.write_datetime(row, j, value, date_fmt)
                    else:
                        sheet.write_number(row, j, float(value))
        book.close()

    return _spool(write)


def _parquet(schema: Any, frames: Iterator[pl.DataFrame], transform: Callable[[pl.DataFrame], pl.DataFrame]
             ) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    def write(tmp: io.BufferedRandom) -> None:
        empty = transform(pl.from_arrow(schema.empty_table())).to_arrow()  # type: ignore[union-attr]
        with pq.ParquetWriter(tmp, empty.schema) as writer:
            for frame in frames:
                if frame.height:
                    writer.write_table(transform(frame).to_arrow().cast(empty.schema))

    return _spool(write)


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
        raise explorer.ExplorerError(f"export format {fmt!r} is not accepted; use one of "
                                     f"{', '.join(explorer.EXPORT_FORMATS)}")
    explorer.compose(request)
    cur = _cursor(con)
    schema, frames = _batches(request, kind, cur, batch_rows)
    if fmt == "csv":
        chunks = _csv(schema, frames, transform)
    elif fmt == "xlsx":
        chunks = _xlsx(schema, frames, transform, request.table)
    else:
        chunks = _parquet(schema, frames, transform)
    stamp = dt.date.today().strftime("%Y%m%d")
    return explorer.Export(f"{request.table}-{kind}-{stamp}.{fmt}", explorer.EXPORT_FORMATS[fmt], chunks)
