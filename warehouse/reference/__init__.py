"""Reference data the product ships: MS-DRG tables, CARC categories, ICD-10-CM codes and small lists.

The data files live in ``warehouse/reference/data/`` (written by ``python -m warehouse.reference.build``,
see ``docs/reference-data.md``) and are read here with :mod:`importlib.resources`, so they work from an
installed wheel. A site can add the CMS MS-DRG table of a fiscal year the product does not ship with
:func:`import_drg_table`; :func:`msdrg_table` then prefers the site's table for that year.

Only the standard library, Polars and DuckDB are used at runtime.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb
import polars as pl

from warehouse.errors import HimError
from warehouse.sqlfiles import named_statements

__all__ = [
    "AGE_BAND_COLUMNS",
    "CARC_CATEGORIES",
    "MSDRG_COLUMNS",
    "OMB_RACE_CATEGORIES",
    "age_bands",
    "carc_categories",
    "discharge_statuses",
    "fiscal_year",
    "icd10cm_codes",
    "import_drg_table",
    "load_reference",
    "msdrg_fiscal_years",
    "msdrg_table",
    "omb_race_map",
    "restricted_zip3",
]

#: Columns of ``msdrg.csv`` and of every site-imported ``msdrg_fy{YYYY}.csv``, in ``ref_msdrg`` order.
MSDRG_COLUMNS: tuple[str, ...] = (
    "fiscal_year",
    "drg",
    "title",
    "mdc",
    "drg_type",
    "weight",
    "gmlos",
    "amlos",
    "source",
)

_MSDRG_SCHEMA: dict[str, pl.DataType] = {
    "fiscal_year": pl.Int32(),
    "drg": pl.String(),
    "title": pl.String(),
    "mdc": pl.String(),
    "drg_type": pl.String(),
    "weight": pl.Float64(),
    "gmlos": pl.Float64(),
    "amlos": pl.Float64(),
    "source": pl.String(),
}

#: Denial categories a CARC code can map to (``ref_carc.category``).
CARC_CATEGORIES: tuple[str, ...] = (
    "coding",
    "medical_necessity",
    "authorization",
    "eligibility_registration",
    "timely_filing",
    "duplicate",
    "documentation",
    "contractual",
    "patient_responsibility",
    "other",
)

#: Columns of ``age_bands.csv`` (``ref_age_band``).
AGE_BAND_COLUMNS: tuple[str, ...] = ("age_band", "min_age", "max_age", "sort_key")

#: The values :func:`omb_race_map` maps to: the five OMB (1997) race categories, Other and Unknown.
OMB_RACE_CATEGORIES: tuple[str, ...] = (
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "White",
    "Other",
    "Unknown",
)

#: MS-DRGs began in FY2008; a fiscal year outside this range is a typo.
_MIN_FISCAL_YEAR = 2008
_MAX_FISCAL_YEAR = 2100

_SITE_FILE = re.compile(r"^msdrg_fy(\d{4})\.csv$")


# --------------------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------------------


def _data(name: str) -> Traversable:
    return files("warehouse.reference") / "data" / name


def _read_shipped_csv(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    resource = _data(name)
    try:
        content = resource.read_bytes()
    except FileNotFoundError as exc:
        raise HimError(
            f"reference file {name} is missing from the installed package; reinstall him-dashboard "
            "(maintainers: run `python -m warehouse.reference.build`)"
        ) from exc
    return pl.read_csv(io.BytesIO(content), schema=schema)


@lru_cache(maxsize=1)
def _shipped_msdrg() -> pl.DataFrame:
    return _read_shipped_csv("msdrg.csv", _MSDRG_SCHEMA)


def _read_site_msdrg(path: Path, year: int) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, schema=_MSDRG_SCHEMA)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise HimError(
            f"site MS-DRG table {path} is unreadable ({type(exc).__name__}); delete it and import the "
            f"CMS table again with `him reference import-drg-table FILE --fiscal-year {year}`"
        ) from exc
    other_years = frame.filter(pl.col("fiscal_year") != year)
    if frame.is_empty() or not other_years.is_empty():
        raise HimError(
            f"site MS-DRG table {path} is empty or holds rows of another fiscal year than {year}; delete it "
            f"and import the CMS table again with `him reference import-drg-table FILE --fiscal-year {year}`"
        )
    return frame


def msdrg_table(site_dir: Path | None = None) -> pl.DataFrame:
    """Return the MS-DRG table of every fiscal year available: shipped plus site-imported.

    Args:
        site_dir: The warehouse's site reference directory (``WarehousePaths.site_reference_dir``).
            Files ``msdrg_fy{YYYY}.csv`` in it, written by :func:`import_drg_table`, are added; a
            site-imported fiscal year replaces the shipped table of that year. ``None`` or a missing
            directory means shipped tables only.

    Returns:
        One row per DRG per fiscal year with the columns of :data:`MSDRG_COLUMNS` (``weight``,
        ``gmlos`` and ``amlos`` as floats), sorted by fiscal year and DRG.

    Raises:
        HimError: A site-imported file is unreadable or inconsistent with its file name.
    """
    frames = [_shipped_msdrg()]
    if site_dir is not None and Path(site_dir).is_dir():
        site_frames: dict[int, pl.DataFrame] = {}
        for path in sorted(Path(site_dir).iterdir()):
            match = _SITE_FILE.match(path.name)
            if match and path.is_file():
                year = int(match.group(1))
                site_frames[year] = _read_site_msdrg(path, year)
        if site_frames:
            frames = [
                frames[0].filter(~pl.col("fiscal_year").is_in(list(site_frames))),
                *site_frames.values(),
            ]
    return pl.concat(frames, how="vertical").sort("fiscal_year", "drg")


def msdrg_fiscal_years(site_dir: Path | None = None) -> list[int]:
    """Return the fiscal years that have an MS-DRG table (shipped or site-imported), ascending.

    Args:
        site_dir: The warehouse's site reference directory, as for :func:`msdrg_table`.

    Returns:
        Sorted distinct fiscal years.
    """
    return sorted(msdrg_table(site_dir)["fiscal_year"].unique().to_list())


@lru_cache(maxsize=1)
def _carc() -> pl.DataFrame:
    return _read_shipped_csv("carc_categories.csv", {"carc_code": pl.String(), "category": pl.String()})


def carc_categories() -> pl.DataFrame:
    """Return the denial category of each CARC code the product knows.

    Codes not listed count as ``other``. No X12 description text is shipped (X12 licence).

    Returns:
        Columns ``carc_code`` (without group prefix, e.g. ``"50"``, ``"B13"``) and ``category``
        (one of :data:`CARC_CATEGORIES`), sorted by code.
    """
    return _carc().clone()


@lru_cache(maxsize=1)
def icd10cm_codes() -> frozenset[str]:
    """Return every ICD-10-CM code: categories, subcategories and billable codes.

    Codes are upper case without the dot (``"E119"``, ``"I10"``, ``"E11"``).

    Returns:
        The set of valid code strings.
    """
    content = gzip.decompress(_data("icd10cm_codes.txt.gz").read_bytes()).decode("ascii")
    return frozenset(line for line in content.split("\n") if line)


@lru_cache(maxsize=1)
def _age_bands() -> pl.DataFrame:
    schema = {"age_band": pl.String(), "min_age": pl.Int32(), "max_age": pl.Int32(), "sort_key": pl.Int32()}
    return _read_shipped_csv("age_bands.csv", schema)


def age_bands() -> pl.DataFrame:
    """Return the age bands of the demographic KPIs (0-17, 18-44, 45-64, 65-74, 75-89, 90+).

    ``max_age`` is inclusive; the open-ended 90+ band has ``max_age`` 150.

    Returns:
        Columns ``age_band``, ``min_age``, ``max_age``, ``sort_key``, sorted by ``sort_key``.
    """
    return _age_bands().clone()


@lru_cache(maxsize=1)
def _discharge_statuses() -> pl.DataFrame:
    return _read_shipped_csv("discharge_status.csv", {"code": pl.String(), "description": pl.String()})


def discharge_statuses() -> pl.DataFrame:
    """Return the UB-04 patient discharge status codes with short descriptions.

    Returns:
        Columns ``code`` (two digits, e.g. ``"01"``) and ``description``, sorted by code.
    """
    return _discharge_statuses().clone()


@lru_cache(maxsize=1)
def _omb_race() -> dict[str, str]:
    frame = _read_shipped_csv("omb_race.csv", {"value": pl.String(), "category": pl.String()})
    return {value.strip().lower(): category for value, category in frame.iter_rows()}


def omb_race_map() -> dict[str, str]:
    """Return the map from free-text / site race values to OMB race categories.

    Look a value up by ``value.strip().lower()``; a value that is not found is not recognised (the
    loader decides what to do with it).

    Returns:
        Lower-cased site value -> one of :data:`OMB_RACE_CATEGORIES`.
    """
    return dict(_omb_race())


@lru_cache(maxsize=1)
def restricted_zip3() -> frozenset[str]:
    """Return the HIPAA Safe Harbor restricted 3-digit ZIP areas (shown as ``000`` when de-identified).

    Returns:
        Three-digit strings such as ``"036"``.
    """
    frame = _read_shipped_csv("restricted_zip3.csv", {"zip3": pl.String()})
    return frozenset(frame["zip3"].to_list())


def fiscal_year(d: date) -> int:
    """Return the federal fiscal year of a date (Oct 1 - Sep 30, named by the year it ends in).

    Args:
        d: A date (a ``datetime`` works too).

    Returns:
        The fiscal year, e.g. 2026 for 2025-10-01 through 2026-09-30.
    """
    return d.year + 1 if d.month >= 10 else d.year


# --------------------------------------------------------------------------------------------------
# CMS Table 5 import
# --------------------------------------------------------------------------------------------------

_REIMPORT_HINT = "re-download CMS Table 5 and save it as CSV or tab-delimited text"
_NO_WEIGHT_DRGS = frozenset({"998", "999"})  # "invalid principal diagnosis" / "ungroupable": no weight
_NOT_CAPPED = ("before", "without", "no cap", "uncapped", "pre-cap", "prior")
_FY_IN_TEXT = re.compile(r"\bfy\s*(\d{4})\b", re.IGNORECASE)


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).lower()


def _header_roles(cells: Sequence[str]) -> tuple[dict[str, int], list[int]]:
    """Map column roles to indexes for one candidate header row; also return the weight columns."""
    roles: dict[str, int] = {}
    weights: list[int] = []
    for i, raw in enumerate(cells):
        cell = _norm(raw)
        if not cell:
            continue
        if "weight" in cell:
            weights.append(i)
        elif "title" in cell or "desc" in cell:
            roles.setdefault("title", i)
        elif "geometric" in cell or cell == "gmlos":
            roles.setdefault("gmlos", i)
        elif "arithmetic" in cell or cell == "amlos":
            roles.setdefault("amlos", i)
        elif cell.startswith("mdc"):
            roles.setdefault("mdc", i)
        elif "drg" in cell and not any(word in cell for word in ("post", "special", "type")):
            roles.setdefault("drg", i)
        elif cell == "type" or "type" in cell.split() or cell in ("med/surg", "med surg"):
            roles.setdefault("drg_type", i)
    return roles, weights


def _pick_weight(name: str, cells: Sequence[str], weights: list[int]) -> int:
    if len(weights) == 1:
        return weights[0]
    capped = [
        i for i in weights if "cap" in _norm(cells[i]) and not any(w in _norm(cells[i]) for w in _NOT_CAPPED)
    ]
    if len(capped) == 1:
        return capped[0]
    shown = ", ".join(repr(cells[i].strip()) for i in weights)
    raise HimError(
        f"{name}: cannot tell which weight column to use among {shown}; keep only the CMS "
        "'Weights - 10% Cap Applied' column (or the single 'Weights' column) and import again"
    )


def _decode(src: Path) -> str:
    try:
        content = src.read_bytes()
    except OSError as exc:
        raise HimError(f"cannot read {src}: {exc.strerror or exc}; check the path and try again") from exc
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise HimError(
            f"{src.name} is an Excel workbook; open it and save the Table 5 sheet as CSV or tab-delimited "
            "text, then import that file"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _find_header(text: str) -> tuple[list[list[str]], int, str] | None:
    """Return (rows, header index, delimiter) for the first delimiter whose rows show a Table 5 header."""
    for delimiter in ("\t", ",", ";"):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        for index, cells in enumerate(rows[:30]):
            roles, weights = _header_roles(cells)
            if {"drg", "title"} <= roles.keys() and weights:
                return rows, index, delimiter
    return None


def _number(raw: str) -> float | None:
    value = raw.strip().replace(",", "")
    if value in ("", "."):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _normalise_mdc(raw: str) -> str | None:
    value = raw.strip().upper()
    if not value or value in ("*", "**"):
        return None
    if value.isdigit():
        return value.zfill(2)
    return value


def _normalise_type(raw: str) -> str | None:
    value = raw.strip().lower()
    if value in ("surg", "surgical", "s", "p"):
        return "surgical"
    if value in ("med", "medical", "m"):
        return "medical"
    return None


def _parse_table5(src: Path) -> tuple[list[dict[str, object]], set[int]]:
    """Parse a CMS Table 5 file (CSV or tab-delimited text, title lines allowed above the header).

    Returns:
        The DRG rows (keys of :data:`MSDRG_COLUMNS` except ``fiscal_year`` and ``source``) and the
        fiscal years named in the title / header lines (``FY 2026 ...``), possibly none.

    Raises:
        HimError: The file is not a usable Table 5: no header found, a bad DRG, weight or LOS.
    """
    name = src.name
    text = _decode(src)
    found = _find_header(text)
    if found is None:
        raise HimError(
            f"{name}: no header row with MS-DRG, title and weight columns in the first 30 lines; "
            f"{_REIMPORT_HINT}"
        )
    rows, header_index, _ = found
    header = rows[header_index]
    roles, weights = _header_roles(header)
    roles["weight"] = _pick_weight(name, header, weights)
    years = {int(y) for cells in rows[: header_index + 1] for c in cells for y in _FY_IN_TEXT.findall(c)}

    # Physical line numbers: csv rows may span lines (quoted titles), so count from the reader.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=found[2])
    line_numbers = []
    for _ in reader:
        line_numbers.append(reader.line_num)

    parsed: list[dict[str, object]] = []
    seen: set[str] = set()
    width = len(header)
    for index in range(header_index + 1, len(rows)):
        cells = [c.strip() for c in rows[index]] + [""] * max(0, width - len(rows[index]))
        line = line_numbers[index]

        def cell(role: str, cells: list[str] = cells) -> str:
            return cells[roles[role]] if role in roles else ""

        drg, weight_raw = cell("drg"), cell("weight")
        if not any(cells):
            continue
        if not drg.isdigit():
            if not weight_raw:  # a footnote or a blank-coded row: no data to import
                continue
            raise HimError(f"{name} line {line}: MS-DRG {drg!r} is not a 3-digit number; {_REIMPORT_HINT}")
        if len(drg) > 3:
            raise HimError(f"{name} line {line}: MS-DRG {drg!r} has more than 3 digits; {_REIMPORT_HINT}")
        drg = drg.zfill(3)
        if drg in seen:
            raise HimError(f"{name} line {line}: MS-DRG {drg} appears twice; keep one row per DRG")
        seen.add(drg)
        try:
            weight = _number(weight_raw)
            gmlos = _number(cell("gmlos"))
            amlos = _number(cell("amlos"))
        except ValueError:
            raise HimError(
                f"{name} line {line}: MS-DRG {drg} has a weight or mean LOS that is not a number; "
                f"{_REIMPORT_HINT}"
            ) from None
        if drg in _NO_WEIGHT_DRGS and not weight:
            continue  # CMS publishes no weight for these two
        if weight is None or weight <= 0:
            raise HimError(
                f"{name} line {line}: MS-DRG {drg} has weight {weight_raw!r}, not a positive number; "
                f"{_REIMPORT_HINT}"
            )
        if (gmlos is not None and gmlos < 0) or (amlos is not None and amlos < 0):
            raise HimError(f"{name} line {line}: MS-DRG {drg} has a negative mean LOS; {_REIMPORT_HINT}")
        title = cell("title").strip('"').strip()
        if not title:
            raise HimError(f"{name} line {line}: MS-DRG {drg} has no title; {_REIMPORT_HINT}")
        parsed.append(
            {
                "drg": drg,
                "title": title,
                "mdc": _normalise_mdc(cell("mdc")),
                "drg_type": _normalise_type(cell("drg_type")),
                "weight": weight,
                "gmlos": gmlos,
                "amlos": amlos,
            }
        )
    if not parsed:
        raise HimError(f"{name}: the header was found but no DRG rows follow it; {_REIMPORT_HINT}")
    return parsed, years


def _fmt(value: object, digits: int) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _write_msdrg_csv(rows: Iterable[dict[str, object]], dest: Path) -> int:
    """Write rows in the ``msdrg.csv`` format atomically (temp file + rename); return the row count."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(MSDRG_COLUMNS)
            for row in rows:
                writer.writerow(
                    [
                        row["fiscal_year"],
                        row["drg"],
                        row["title"],
                        row["mdc"] or "",
                        row["drg_type"] or "",
                        _fmt(row["weight"], 4),
                        _fmt(row["gmlos"], 1),
                        _fmt(row["amlos"], 1),
                        row["source"],
                    ]
                )
                count += 1
        Path(tmp_name).chmod(0o644)  # mkstemp creates 0600; the file is not secret
        Path(tmp_name).replace(dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return count


def import_drg_table(src: Path, fiscal_year: int, site_dir: Path) -> int:
    """Import a CMS MS-DRG table (IPPS final rule Table 5) for one fiscal year into the site directory.

    The file is read as a site downloads it from CMS, saved as CSV or tab-delimited text: title lines
    above the header are skipped; headers are matched case-insensitively by keyword ("MS-DRG", "MDC",
    "TYPE", "MS-DRG Title", "Weights", "Geometric mean LOS", "Arithmetic mean LOS"). When the table has
    two weight columns (FY2024 on: before and after the 10% cap), the "10% Cap Applied" one is used.
    DRGs 998 and 999, which CMS lists without a weight, are left out.

    Args:
        src: The CMS file.
        fiscal_year: The federal fiscal year the table applies to (e.g. 2025).
        site_dir: The warehouse's site reference directory; ``msdrg_fy{YYYY}.csv`` is written there
            (replacing an earlier import of the same year) with source ``site import: <file name>``.

    Returns:
        The number of DRG rows imported.

    Raises:
        HimError: The file is missing, an Excel workbook, has no recognisable header, a DRG that is not
            3 digits, a weight that is not a positive number, or names another fiscal year than
            ``fiscal_year`` in its title or headers.
    """
    src = Path(src)
    if not _MIN_FISCAL_YEAR <= fiscal_year <= _MAX_FISCAL_YEAR:
        raise HimError(
            f"fiscal year {fiscal_year} is out of range; give the 4-digit federal fiscal year of the table "
            "(MS-DRGs exist from FY2008)"
        )
    if not src.is_file():
        raise HimError(f"{src} does not exist or is not a file; give the path of the downloaded CMS Table 5")
    rows, years = _parse_table5(src)
    if years and fiscal_year not in years:
        named = ", ".join(str(y) for y in sorted(years))
        raise HimError(
            f"{src.name} is the table of FY {named} but --fiscal-year {fiscal_year} was given; "
            "import it with the fiscal year its title names"
        )
    source = f"site import: {src.name}"
    return _write_msdrg_csv(
        ({"fiscal_year": fiscal_year, **row, "source": source} for row in rows),
        Path(site_dir) / f"msdrg_fy{fiscal_year}.csv",
    )


# --------------------------------------------------------------------------------------------------
# Loading into a warehouse generation
# --------------------------------------------------------------------------------------------------

#: The reference tables, in load order; each has ``delete_<table>`` and ``insert_<table>`` in reference.sql.
REF_TABLES: tuple[str, ...] = (
    "ref_msdrg",
    "ref_carc",
    "ref_age_band",
    "ref_discharge_status",
    "ref_restricted_zip3",
)


def _reference_sql() -> dict[str, str]:
    return named_statements("reference.sql")


def load_reference(con: duckdb.DuckDBPyConnection, site_dir: Path | None = None) -> None:
    """Replace the contents of every ``ref_*`` table of a warehouse generation.

    All data is read and checked before any table is touched. The caller owns the transaction: run
    this inside the generation build (nothing is committed or rolled back here).

    Args:
        con: An open read-write connection on which ``warehouse/schema.sql`` has been run.
        site_dir: The warehouse's site reference directory, for site-imported MS-DRG tables.

    Raises:
        HimError: A reference file (shipped or site-imported) is missing or unreadable.
    """
    statements = _reference_sql()
    frames = {
        "ref_msdrg": msdrg_table(site_dir).select(MSDRG_COLUMNS),
        "ref_carc": carc_categories(),
        "ref_age_band": age_bands().select(AGE_BAND_COLUMNS),
        "ref_discharge_status": discharge_statuses(),
        "ref_restricted_zip3": pl.DataFrame(
            {"zip3": sorted(restricted_zip3())}, schema={"zip3": pl.String()}
        ),
    }
    registered: list[str] = []
    try:
        for table in REF_TABLES:
            view = f"{table}_frame"
            con.register(view, frames[table])
            registered.append(view)
        for table in REF_TABLES:
            con.execute(statements[f"delete_{table}"])
            con.execute(statements[f"insert_{table}"])
    finally:
        for view in registered:
            con.unregister(view)
