"""Shipped reference data, the CMS Table 5 import and loading the ref_* tables into DuckDB."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import reference
from warehouse.errors import HimError
from warehouse.load import schema_sql
from warehouse.reference import (
    CARC_CATEGORIES,
    MSDRG_COLUMNS,
    OMB_RACE_CATEGORIES,
    age_bands,
    carc_categories,
    discharge_statuses,
    fiscal_year,
    icd10cm_codes,
    import_drg_table,
    load_reference,
    msdrg_fiscal_years,
    msdrg_table,
    omb_race_map,
    restricted_zip3,
)

# MS-DRG 470 (major hip and knee joint replacement without MCC) relative weight, per shipped fiscal year,
# typed in by hand from the published CMS table — NOT read from the package data.
# FY2026: CMS FY 2026 IPPS final rule, Table 5, column "Weights - 10% Cap Applied" = 1.9289 (the
#   "Before Cap" column is also 1.9289 for DRG 470). Cross-checked against an independent CMS-derived
#   project that asserts "CMS relative weight: 1.9289" for DRG 470 on a 2026-04-01 discharge.
# A fiscal year added to the shipped data must be added here, with its published value.
PUBLISHED_DRG_470_WEIGHT = {
    2026: Decimal("1.9289"),
}

# CMS-like Table 5 as a site saves it from Excel: two title lines, the FY2024+ header with both weight
# columns, leading zeros stripped from DRG and MDC, a quoted title with a comma, DRGs 998/999 without
# weights and a blank line at the end. Weights here are test values, not CMS's.
CMS_LIKE_CSV = """\
"TABLE 5.-LIST OF MEDICARE SEVERITY DIAGNOSIS-RELATED GROUPS (MS-DRGS), RELATIVE WEIGHTING FACTORS, AND \
GEOMETRIC AND ARITHMETIC MEAN LENGTH OF STAY-FY 2025 Final Rule",,,,,,,,,
MS-DRG ,FY 2025 Final Post-Acute DRG,FY 2025 Final Special Pay DRG,MDC,TYPE,MS-DRG Title,\
Weights - Before Cap,Weights - 10% Cap Applied ,Geometric mean LOS,Arithmetic mean LOS
1,No,No,PRE,SURG,HEART TRANSPLANT OR IMPLANT OF HEART ASSIST SYSTEM WITH MCC,26.1000,26.2000,28.1,36.0
65,Yes,No,1,MED,"INTRACRANIAL HEMORRHAGE OR CEREBRAL INFARCTION WITH CC, TPA IN 24 HRS",0.9000,1.0000,3.1,3.9
470,Yes,No,8,SURG,MAJOR HIP AND KNEE JOINT REPLACEMENT WITHOUT MCC,1.8000,1.9000,1.9,2.2
981,Yes,Yes, ,SURG,EXTENSIVE O.R. PROCEDURES UNRELATED TO PRINCIPAL DIAGNOSIS WITH MCC,4.3000,4.3000,10.0,12.9
998,No,No, ,**,PRINCIPAL DIAGNOSIS INVALID AS DISCHARGE DIAGNOSIS,.,.,.,
999,No,No, ,**,UNGROUPABLE,.,.,.,
,,,,,,,,,
"""


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _ref_db(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "gen.duckdb"))
    con.execute(schema_sql())
    return con


# ---------------------------------------------------------------------------------------------------
# MS-DRG
# ---------------------------------------------------------------------------------------------------


def test_shipped_fiscal_years_are_exactly_those_with_published_values():
    assert msdrg_fiscal_years() == sorted(PUBLISHED_DRG_470_WEIGHT)


@pytest.mark.parametrize(("year", "weight"), sorted(PUBLISHED_DRG_470_WEIGHT.items()))
def test_drg_470_weight_equals_published_cms_value(year, weight):
    table = msdrg_table()
    row = table.filter((pl.col("fiscal_year") == year) & (pl.col("drg") == "470"))
    assert row.height == 1
    assert Decimal(str(row["weight"][0])).quantize(Decimal("0.0001")) == weight
    assert row["mdc"][0] == "08"
    assert row["drg_type"][0] == "surgical"
    assert "10% cap applied" in row["source"][0]


def test_shipped_msdrg_table_shape():
    table = msdrg_table()
    assert tuple(table.columns) == MSDRG_COLUMNS
    assert table.filter(pl.col("fiscal_year") == 2026).height > 700
    assert table["drg"].str.contains(r"^\d{3}$").all()
    assert (table["weight"] > 0).all()
    assert set(table["drg_type"].drop_nulls().unique()) <= {"medical", "surgical"}
    assert table.filter(pl.col("drg") == "001")["mdc"][0] == "PRE"
    assert table.filter(pl.col("drg") == "065")["mdc"][0] == "01"
    assert table.select("fiscal_year", "drg").is_duplicated().sum() == 0
    assert not table["drg"].is_in(["998", "999"]).any()  # CMS publishes no weight for them


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 30), 2025),
        (date(2025, 10, 1), 2026),
        (date(2025, 12, 31), 2026),
        (date(2026, 1, 1), 2026),
        (date(2026, 9, 30), 2026),
        (date(2026, 10, 1), 2027),
        (datetime(2025, 10, 1, 0, 0, 1), 2026),
    ],
)
def test_fiscal_year_boundaries(day, expected):
    assert fiscal_year(day) == expected


def test_import_drg_table_round_trip(tmp_path):
    src = _write(tmp_path, "table5_fy2025.csv", CMS_LIKE_CSV)
    site = tmp_path / "site"

    assert import_drg_table(src, 2025, site) == 4  # 998 and 999 have no weight and are left out

    written = site / "msdrg_fy2025.csv"
    assert written.read_text(encoding="utf-8").splitlines()[0] == ",".join(MSDRG_COLUMNS)
    table = msdrg_table(site)
    assert msdrg_fiscal_years(site) == sorted({2025, *PUBLISHED_DRG_470_WEIGHT})
    fy25 = table.filter(pl.col("fiscal_year") == 2025)
    assert fy25["drg"].to_list() == ["001", "065", "470", "981"]
    row = fy25.filter(pl.col("drg") == "470").row(0, named=True)
    assert row["weight"] == pytest.approx(1.9)  # the 10% cap column, not "Before Cap" (1.8)
    assert (row["mdc"], row["drg_type"], row["gmlos"], row["amlos"]) == ("08", "surgical", 1.9, 2.2)
    assert row["source"] == "site import: table5_fy2025.csv"
    row_065 = fy25.filter(pl.col("drg") == "065").row(0, named=True)
    assert row_065["title"] == "INTRACRANIAL HEMORRHAGE OR CEREBRAL INFARCTION WITH CC, TPA IN 24 HRS"
    assert (row_065["mdc"], row_065["drg_type"]) == ("01", "medical")
    assert fy25.filter(pl.col("drg") == "981")["mdc"][0] is None
    # shipped years are untouched
    assert table.filter(pl.col("fiscal_year") == 2026).height == msdrg_table().height


def test_import_tab_delimited_cp1252_single_weight_column(tmp_path):
    text = (
        "TABLE 5.\u2014LIST OF MS-DRGS\u2014FY 2023 Final Rule\t\t\t\t\t\t\t\t\n"
        "MS-DRG\tFY 2023 Final Post-Acute DRG\tFY 2023 Final Special Pay DRG\tMDC\tTYPE\tMS-DRG Title\t"
        "Weights\tGeometric mean LOS\tArithmetic mean LOS\n"
        "470\tYes\tNo\t08\tSURG\tMAJOR HIP AND KNEE JOINT REPLACEMENT WITHOUT MCC\t1.7500\t2.0\t2.3\n"
        "871\tYes\tNo\t18\tMED\tSEPTICEMIA OR SEVERE SEPSIS WITHOUT MV >96 HOURS WITH MCC\t1.9000\t4.4\t5.9\n"
    )
    src = _write(tmp_path, "table5.txt", text, encoding="cp1252")
    assert import_drg_table(src, 2023, tmp_path / "site") == 2
    fy23 = msdrg_table(tmp_path / "site").filter(pl.col("fiscal_year") == 2023)
    assert fy23["weight"].to_list() == [1.75, 1.9]


def test_site_import_replaces_shipped_year(tmp_path):
    text = CMS_LIKE_CSV.replace("FY 2025", "FY 2026")
    src = _write(tmp_path, "table5_fy2026_correction.csv", text)
    site = tmp_path / "site"
    import_drg_table(src, 2026, site)
    fy26 = msdrg_table(site).filter(pl.col("fiscal_year") == 2026)
    assert fy26.height == 4
    assert set(fy26["source"]) == {"site import: table5_fy2026_correction.csv"}
    assert msdrg_fiscal_years(site) == [2026]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("1.9000,1.9,2.2", "abc,1.9,2.2"), "MS-DRG 470"),  # weight not a number
        (("1.9000,1.9,2.2", "0,1.9,2.2"), "not a positive number"),
        (("1.9000,1.9,2.2", "nan,1.9,2.2"), "not a number"),
        (("470,Yes", "47A,Yes"), "not a 3-digit number"),
        (("470,Yes", "4700,Yes"), "more than 3 digits"),
        (("470,Yes", "065,Yes"), "appears twice"),
        (("MS-DRG Title", "Name"), "no header row"),
        (("FY 2025", "FY 2024"), "--fiscal-year 2025"),  # every FY in title and headers
        (("Weights - 10% Cap Applied", "Weights - other"), "cannot tell which weight column"),
    ],
)
def test_import_bad_file_gives_one_line_him_error(tmp_path, change, message):
    old, new = change
    assert old in CMS_LIKE_CSV
    src = _write(tmp_path, "bad.csv", CMS_LIKE_CSV.replace(old, new))
    site = tmp_path / "site"
    with pytest.raises(HimError, match=message) as err:
        import_drg_table(src, 2025, site)
    assert "\n" not in str(err.value)
    assert not (site / "msdrg_fy2025.csv").exists()


def test_import_refuses_excel_missing_file_and_bad_year(tmp_path):
    xlsx = tmp_path / "table5.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(HimError, match="Excel workbook"):
        import_drg_table(xlsx, 2025, tmp_path)
    with pytest.raises(HimError, match="does not exist"):
        import_drg_table(tmp_path / "nope.csv", 2025, tmp_path)
    src = _write(tmp_path, "t.csv", CMS_LIKE_CSV)
    with pytest.raises(HimError, match="out of range"):
        import_drg_table(src, 25, tmp_path)


def test_corrupt_site_file_gives_him_error(tmp_path):
    (tmp_path / "msdrg_fy2024.csv").write_text(
        ",".join(MSDRG_COLUMNS) + "\n2023,470,X,08,surgical,1.9,1.9,2.2,s\n"
    )
    with pytest.raises(HimError, match="another fiscal year"):
        msdrg_table(tmp_path)


# ---------------------------------------------------------------------------------------------------
# Loading the ref_* tables
# ---------------------------------------------------------------------------------------------------


def test_load_reference_fills_the_tables(tmp_path):
    site = tmp_path / "site"
    import_drg_table(_write(tmp_path, "t5.csv", CMS_LIKE_CSV), 2025, site)
    con = _ref_db(tmp_path)
    try:
        load_reference(con, site)
        load_reference(con, site)  # delete-then-insert: running twice does not duplicate
        shipped = msdrg_table().height
        assert con.execute("select count(*) from ref_msdrg").fetchone() == (shipped + 4,)
        for year, weight in PUBLISHED_DRG_470_WEIGHT.items():
            got = con.execute(
                "select weight from ref_msdrg where fiscal_year = ? and drg = '470'", [year]
            ).fetchone()
            assert got == (weight,)
        assert con.execute(
            "select weight, gmlos, source from ref_msdrg where fiscal_year = 2025 and drg = '470'"
        ).fetchone() == (Decimal("1.9000"), Decimal("1.9"), "site import: t5.csv")
        assert con.execute("select count(*) from ref_carc").fetchone() == (carc_categories().height,)
        assert con.execute("select count(*) from ref_age_band").fetchone() == (6,)
        assert con.execute("select count(*) from ref_discharge_status").fetchone() == (40,)
        zips = {r[0] for r in con.execute("select zip3 from ref_restricted_zip3").fetchall()}
        assert zips == restricted_zip3()
        assert con.execute(
            "select age_band from ref_age_band where 95 between min_age and max_age"
        ).fetchall() == [("90+",)]
        # no registered frame is left behind on the connection
        names = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() union all "
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        assert not any(name.endswith("_frame") for name in names)
    finally:
        con.close()


def test_load_reference_without_site_dir(tmp_path):
    con = _ref_db(tmp_path)
    try:
        load_reference(con)
        assert con.execute("select distinct fiscal_year from ref_msdrg order by 1").fetchall() == [
            (y,) for y in sorted(PUBLISHED_DRG_470_WEIGHT)
        ]
    finally:
        con.close()


def test_reference_sql_has_a_delete_and_insert_per_table():
    statements = reference._reference_sql()
    for table in reference.REF_TABLES:
        assert statements[f"delete_{table}"].startswith("delete from")
        assert statements[f"insert_{table}"].startswith(f"insert into {table}")


# ---------------------------------------------------------------------------------------------------
# Other lists
# ---------------------------------------------------------------------------------------------------


def test_icd10cm_codes():
    codes = icd10cm_codes()
    assert "E119" in codes
    assert "I10" in codes
    assert "E11" in codes  # non-billable category codes are included
    assert "E11.9" not in codes
    assert len(codes) > 90_000
    assert all(c == c.upper() and "." not in c for c in codes)
    assert icd10cm_codes() is codes  # cached


def test_restricted_zip3_exact():
    assert restricted_zip3() == frozenset(
        {
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
        }
    )


def test_carc_categories():
    carc = carc_categories()
    assert carc.columns == ["carc_code", "category"]
    assert set(carc["category"]) <= set(CARC_CATEGORIES)
    assert carc["carc_code"].is_unique().all()
    lookup = dict(carc.iter_rows())
    assert lookup["50"] == "medical_necessity"
    assert lookup["29"] == "timely_filing"
    assert lookup["18"] == "duplicate"
    assert lookup["197"] == "authorization"
    assert lookup["27"] == "eligibility_registration"
    assert lookup["16"] == "documentation"
    assert lookup["45"] == "contractual"
    assert lookup["1"] == "patient_responsibility"
    assert lookup["4"] == "coding"


def test_age_bands_cover_every_age_once():
    bands = age_bands()
    assert bands["age_band"].to_list() == ["0-17", "18-44", "45-64", "65-74", "75-89", "90+"]
    for age in range(121):
        assert bands.filter((pl.col("min_age") <= age) & (pl.col("max_age") >= age)).height == 1


def test_discharge_statuses():
    codes = discharge_statuses()["code"].to_list()
    expected = [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "09",
        "20",
        "21",
        "30",
        "40",
        "41",
        "42",
        "43",
        "50",
        "51",
        "61",
        "62",
        "63",
        "64",
        "65",
        "66",
        "69",
        "70",
        *[str(c) for c in range(81, 96)],
    ]
    assert codes == expected
    assert discharge_statuses()["description"].str.len_chars().min() > 3


def test_omb_race_map():
    races = omb_race_map()
    assert all(k == k.lower() for k in races)
    assert set(races.values()) <= set(OMB_RACE_CATEGORIES)
    assert races["black"] == "Black or African American"
    assert races["african american"] == "Black or African American"
    assert races["caucasian"] == "White"
    assert races["w"] == "White"
    assert races["b"] == "Black or African American"
    assert races["a"] == "Asian"
    assert races["american indian or alaska native"] == "American Indian or Alaska Native"
    assert races["native hawaiian or other pacific islander"] == "Native Hawaiian or Other Pacific Islander"
    assert races["declined"] == "Unknown"
    races["x"] = "mutated"
    assert "x" not in omb_race_map()  # callers get a copy


def test_data_files_have_source_notes():
    data = Path(reference.__file__).parent / "data"
    for note in ("msdrg", "carc_categories", "icd10cm", "misc"):
        assert (data / f"{note}.SOURCE.md").stat().st_size > 200
    assert "10% Cap Applied" in (data / "msdrg.SOURCE.md").read_text(encoding="utf-8")
