"""R1-R11: bad rows. Each file mixes rows that must load with rows that must be rejected (or flagged);
``check`` (conftest) asserts the conventions' five things, the rule of every rejected line, and a
digest equal to loading only the rows that must load."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.fixtures import bad
from tests.warehouse.conftest import (
    Expect,
    check,
    copy_warehouse,
    digest,
    last_run_log,
    query,
    rejects_of,
    write_cases,
)
from warehouse.load import run_load

E = bad.new_encounter


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "extract"
    d.mkdir()
    return d


def test_r1_bad_dates_are_rejected_and_both_formats_accepted(capsys, loaded, src, clean_copy):
    cases = [
        (E(1, admit_date="2024-02-30"), "invalid_date"),
        (E(2, admit_date="13/45/2024"), "invalid_date"),
        (E(3, admit_date="00000000"), "invalid_date"),
        (E(4, admit_date="45123"), "invalid_date"),  # an Excel serial
        (E(5, admit_date="3/4/24"), "invalid_date"),  # two-digit year
        (E(6, admit_date="2026-3-5"), "invalid_date"),
        (E(7, birth_date="02/30/1980"), "invalid_date"),
        (E(8, coded_date="2026/04/12"), "invalid_date"),
        (E(9, admit_date="2026-03-05", discharge_date="2026-03-01"), "date_order"),
        (E(10, admit_date="2026-03-05", discharge_date="2099-01-01"), "future_date"),
        (E(11, admit_date="2099-01-01", discharge_date=""), "future_date"),
        (E(12, final_billed_date="2099-12-31"), "future_date"),
        (E(13, admit_date="03/05/2026", discharge_date="2026-03-07"), None),
        (E(14, admit_date="3/5/2026", discharge_date="03/07/2026", birth_date="7/4/1985"), None),
        (E(15, admit_date=" 2026-03-05 ", discharge_date=""), None),
    ]
    path, canonical, rules = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=15, inserted=3, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    got = query(
        loaded,
        "select encounter_id, admit_date::varchar as a, discharge_date::varchar as d "
        "from encounters where encounter_id in ('E2013', 'E2014', 'E2015') order by 1",
    )
    assert got == [
        {"encounter_id": "E2013", "a": "2026-03-05", "d": "2026-03-07"},
        {"encounter_id": "E2014", "a": "2026-03-05", "d": "2026-03-07"},
        {"encounter_id": "E2015", "a": "2026-03-05", "d": None},
    ]


def _r2_rows() -> list[dict[str, str]]:
    rows = bad.good_rows("diagnoses")  # already in the warehouse: unchanged
    rows += [
        bad.row("diagnoses", 0, encounter_id="E1003", seq="2", code="I10"),
        bad.row("diagnoses", 0, encounter_id="E1003", seq="2", code="I10"),  # identical copy: kept once
        bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="I10"),
        bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="E11.65"),  # conflicting: both rejected
        bad.row("diagnoses", 0, encounter_id="E1002", seq="1", code="I10", poa="Y"),  # conflicts with line 4
    ]
    return rows


def test_r2_duplicate_keys_identical_kept_once_conflicting_all_rejected(capsys, loaded, src, clean_copy):
    rows = _r2_rows()
    path = bad.write_csv(src, "diagnoses.csv", rows)
    canonical = bad.write_csv(src / "canonical", "diagnoses.csv", [rows[5]])  # the only new row
    checked = check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=10,
                accepted=6,
                rejected=4,
                inserted=1,
                unchanged=5,
                rules={4: "duplicate_key", 9: "duplicate_key", 10: "duplicate_key", 11: "duplicate_key"},
            )
        },
        expected_digest=clean_copy([canonical]),
    )
    keys = {r["line"]: r["record_key"] for r in checked.rejects[path.name]}
    assert keys == {4: "E1002|1", 11: "E1002|1", 9: "E1004|2", 10: "E1004|2"}
    # the warehouse keeps its old E1002/1 and has no E1004/2
    assert query(loaded, "select code from diagnoses where encounter_id = 'E1002' and seq = 1") == [
        {"code": "I10"}
    ]
    assert query(loaded, "select count(*) as n from diagnoses where encounter_id = 'E1004' and seq = 2") == [
        {"n": 0}
    ]


def test_r2_duplicates_give_the_same_result_whatever_the_row_order(loaded, src, clean_copy, tmp_path):
    """Five shuffles of the same rows: same warehouse, same rejects (never an arbitrary winner)."""

    rows = _r2_rows()
    results = set()
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        path = bad.write_csv(src / f"shuffle{seed}", "diagnoses.csv", shuffled)
        paths = copy_warehouse(loaded.pointer.parent, tmp_path / f"wh{seed}")
        run_load(paths, [path])
        log = last_run_log(paths)["diagnoses.csv"]
        rejected = frozenset((r["record_key"], r["rule"]) for r in rejects_of(paths, log["load_id"]))
        counts = tuple(
            log[k] for k in ("rows_read", "accepted", "rejected", "inserted", "updated", "unchanged")
        )
        results.add((tuple(sorted(digest(paths).items())), rejected, counts))
    assert len(results) == 1, results


def test_r3_codes_normalised_unknown_flagged_malformed_rejected(capsys, loaded, src, clean_copy):
    dx = [
        (bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="e11.9"), None),  # lower case, dot
        (bad.row("diagnoses", 0, encounter_id="E1004", seq="3", code="N179"), None),  # no dot
        (
            bad.row("diagnoses", 0, encounter_id="E1004", seq="4", code="Z99.99"),
            "unknown_icd10",
        ),  # right shape
        (bad.row("diagnoses", 0, encounter_id="E1004", seq="5", code="11.9"), "malformed_code"),
        (bad.row("diagnoses", 0, encounter_id="E1004", seq="6", code="E1"), "malformed_code"),
        (bad.row("diagnoses", 0, encounter_id="E1004", seq="7", code="E11.9ABCD"), "malformed_code"),
    ]
    enc = [
        (E(1, ms_drg="65", patient_type="inpatient"), None),  # zero-padded to 065
        (E(2, ms_drg="000", patient_type="inpatient"), "drg_not_in_table"),
        (E(3, ms_drg="1234"), "malformed_code"),
        (E(4, ms_drg="DRG1"), "malformed_code"),
    ]
    claims = [
        (bad.row("claims", 1, claim_id="C8001", carc_code="CO-999"), "unknown_carc"),
        (bad.row("claims", 1, claim_id="C8002", carc_code="PR 1"), None),
        (bad.row("claims", 1, claim_id="C8003", carc_code="co50"), None),
        (bad.row("claims", 1, claim_id="C8004", carc_code="XX-50"), "malformed_code"),
    ]
    files, canon = {}, []
    for family, cases, n_flag in (("diagnoses", dx, 1), ("encounters", enc, 1), ("claims", claims, 1)):
        path, canonical, rules = write_cases(src, family, cases)
        files[path] = Expect(
            "loaded_with_rejects", read=len(cases), rejected=len(rules), flagged=n_flag, rules=rules
        )
        canon.append(canonical)
    check(capsys, loaded, files, expected_digest=clean_copy(canon))
    flags = query(
        loaded, "select family, record_key, kind, value from flags where resolved_load_id is null order by 1"
    )
    assert flags == [
        {"family": "claims", "record_key": "C8001", "kind": "unknown_carc", "value": "999"},
        {"family": "diagnoses", "record_key": "E1004|4", "kind": "unknown_icd10", "value": "Z9999"},
        {"family": "encounters", "record_key": "E2002", "kind": "drg_not_in_table", "value": "000"},
    ]
    assert query(
        loaded, "select code from diagnoses where encounter_id = 'E1004' and seq in (2, 3) order by seq"
    ) == [
        {"code": "E119"},
        {"code": "N179"},
    ]
    assert query(loaded, "select ms_drg from encounters where encounter_id = 'E2001'") == [{"ms_drg": "065"}]
    assert query(
        loaded,
        "select carc_group, carc_code from claims where claim_id in ('C8002', 'C8003') order by claim_id",
    ) == [
        {"carc_group": "PR", "carc_code": "1"},
        {"carc_group": "CO", "carc_code": "50"},
    ]


def test_r4_null_likes_in_required_fields_are_rejected(capsys, loaded, src, clean_copy):
    from warehouse.contract import NULL_TOKENS

    tokens = ["", " ", "NULL", "N/A", "-", "null", "None", "na"]
    assert {t.strip().lower() for t in tokens} == set(NULL_TOKENS)  # the explicit list, all of it
    enc = [(E(i, facility_id=t), "required_missing") for i, t in enumerate(tokens)]
    enc.append((E(20, sex="N/A", race="-", service_line="NULL"), None))  # optional columns: empty
    claims = [
        (bad.row("claims", 0, claim_id=f"C81{i:02d}", payer=t), "required_missing")
        for i, t in enumerate(tokens)
    ]
    files, canon = {}, []
    for family, cases in (("encounters", enc), ("claims", claims)):
        path, canonical, rules = write_cases(src, family, cases)
        files[path] = Expect("loaded_with_rejects", read=len(cases), rejected=len(tokens), rules=rules)
        canon.append(canonical)
    checked = check(capsys, loaded, files, expected_digest=clean_copy(canon))
    assert {r["column_name"] for r in checked.rejects["encounters.csv"]} == {"facility_id"}
    assert query(loaded, "select sex, service_line from encounters where encounter_id = 'E2020'") == [
        {"sex": None, "service_line": None}
    ]


def test_r5_numerics_out_of_range_or_too_precise_and_money_never_rounded(capsys, loaded, src, clean_copy):
    amounts = [
        ("-100.00", "out_of_range"),
        ("1e309", "money_format"),
        ("9999999999999", "out_of_range"),
        ("12.345", "precision"),
        ("0.005", "precision"),
        ("99999999999.99", None),
        ("12345678901.07", None),
        ("0.07", None),
        ("1234", None),
    ]
    cases = [(E(i, total_charges=v), rule) for i, (v, rule) in enumerate(amounts)]
    path, canonical, rules = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=9, inserted=4, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    got = query(
        loaded,
        "select total_charges::varchar as v from encounters where encounter_id like 'E200%' "
        "order by encounter_id",
    )
    assert [g["v"] for g in got] == ["99999999999.99", "12345678901.07", "0.07", "1234.00"]
    assert query(
        loaded, "select column_type from (describe encounters) where column_name = 'total_charges'"
    ) == [{"column_type": "DECIMAL(18,2)"}]


def test_r6_orphan_children_are_rejected_unknown_encounter(capsys, loaded, src):
    orphans = {
        "diagnoses": bad.row("diagnoses", 0, encounter_id="E9999"),
        "procedures": bad.row("procedures", 0, encounter_id="E9999"),
        "claims": bad.row("claims", 0, claim_id="C9999", encounter_id="E9999"),
        "coding_activity": bad.row("coding_activity", 0, encounter_id="E9999"),
    }
    files = {}
    for family, orphan in orphans.items():
        path = bad.write_csv(src, f"{family}.csv", [*bad.good_rows(family), orphan])
        n = len(bad.good_rows(family))
        files[path] = Expect(
            "loaded_with_rejects", read=n + 1, unchanged=n, rules={n + 2: "unknown_encounter"}
        )
    checked = check(capsys, loaded, files, expected_digest="unchanged")
    for name, rejects in checked.rejects.items():
        assert [r["column_name"] for r in rejects] == ["encounter_id"], name


def test_r7_enum_synonyms_and_case_map_unknown_values_rejected(capsys, loaded, src, clean_copy):
    cases = [
        (E(1, financial_class="Medicare"), None),
        (E(2, financial_class="MEDICARE"), None),
        (E(3, financial_class="MCR"), None),
        (E(4, financial_class="medicare "), None),
        (E(5, financial_class="Medicare Advantage"), "unknown_value"),
        (E(6, financial_class="BCBS"), "unknown_value"),
        (E(7, patient_type="I/P"), "unknown_value"),
    ]
    path, canonical, rules = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=7, inserted=4, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    got = query(loaded, "select distinct financial_class from encounters where encounter_id like 'E200%'")
    assert got == [{"financial_class": "medicare"}]


def test_r7_a_mapping_file_maps_site_values(capsys, loaded, src, tmp_path, clean_copy):
    mapping = tmp_path / "site.yaml"
    mapping.write_text(
        "values:\n"
        "  financial_class:\n    Medicare Advantage: medicare\n    BCBS: Commercial\n"
        "  patient_type:\n    I/P: inpatient\n"
    )
    rows = [
        E(5, financial_class="Medicare Advantage"),
        E(6, financial_class="bcbs"),
        E(7, patient_type="I/P"),
    ]
    path = bad.write_csv(src, "encounters.csv", rows)
    canonical = bad.write_csv(
        src / "canonical",
        "encounters.csv",
        [
            E(5, financial_class="medicare"),
            E(6, financial_class="commercial"),
            E(7, patient_type="inpatient"),
        ],
    )
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=3, inserted=3)},
        expected_digest=clean_copy([canonical]),
        mapping=mapping,
    )


def test_r8_ages_top_coded_impossible_rejected_no_birth_date_stored(capsys, loaded, src, clean_copy):
    admit = {"admit_date": "2026-03-01", "discharge_date": "2026-03-02"}
    cases = [
        (E(1, birth_date="1936-03-02", **admit), None),  # 89.99
        (E(2, birth_date="1936-03-01", **admit), None),  # 90 today
        (E(3, birth_date="1906-03-01", **admit), None),  # 120
        (E(4, birth_date="1901-03-02", **admit), None),  # 124, the oldest accepted
        (E(5, birth_date="1901-03-01", **admit), "age_out_of_range"),  # 125
        (E(6, birth_date="2026-03-02", **admit), "age_out_of_range"),  # born after admission
        (E(7, birth_date="1800-01-01", **admit), "age_out_of_range"),
        (E(8, birth_date="2026-03-01", **admit), None),  # newborn: 0
    ]
    path, canonical, rules = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=8, inserted=5, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    got = query(
        loaded,
        "select encounter_id, age_years, age_90_plus from encounters where encounter_id like 'E200%' "
        "order by 1",
    )
    assert [(g["encounter_id"], g["age_years"], g["age_90_plus"]) for g in got] == [
        ("E2001", 89, False),
        ("E2002", 90, True),
        ("E2003", 90, True),
        ("E2004", 90, True),
        ("E2008", 0, False),
    ]
    columns = query(loaded, "select table_name, column_name from information_schema.columns")
    assert not [c for c in columns if any(w in c["column_name"].lower() for w in ("birth", "dob"))]
    assert query(loaded, "select max(age_years) as m from encounters") == [{"m": 90}]


def test_r9_zip_codes_reduced_to_zip3_four_digits_padded_invalid_rejected(capsys, loaded, src, clean_copy):
    cases = [
        (E(1, zip_code="60614-4307"), None),
        (E(2, zip_code="606144307"), None),
        (E(3, zip_code="2134"), None),  # leading zero lost by a spreadsheet: 02134
        (E(4, zip_code="03601"), None),  # restricted ZIP3 036: stored, suppressed in de-identified outputs
        (E(5, zip_code="123"), "invalid_zip"),
        (E(6, zip_code="ABCDE"), "invalid_zip"),
        (E(7, zip_code="123456"), "invalid_zip"),
        (E(8, zip_code="\u0661\u0662\u0663\u0664\u0665"), "invalid_zip"),  # Arabic-Indic digits
    ]
    path, canonical, rules = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=8, inserted=4, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    got = query(loaded, "select zip3 from encounters where encounter_id like 'E200%' order by encounter_id")
    assert [g["zip3"] for g in got] == ["606", "606", "021", "036"]
    assert query(loaded, "select count(*) as n from ref_restricted_zip3 where zip3 = '036'") == [{"n": 1}]
    columns = query(
        loaded, "select column_name from information_schema.columns where table_name = 'encounters'"
    )
    assert "zip_code" not in {c["column_name"] for c in columns}


PAYLOADS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|'/C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "<script>alert(1)</script>",
    "'; DROP TABLE encounters;--",
    "Robert'); DROP TABLE claims;--",
]


def test_r10_formula_and_script_payloads_are_stored_as_inert_text(capsys, loaded, src, clean_copy):
    cases = [(E(i, service_line=p, attending_provider_id=p), None) for i, p in enumerate(PAYLOADS)]
    path, canonical, _ = write_cases(src, "encounters", cases)
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=len(PAYLOADS), inserted=len(PAYLOADS))},
        expected_digest=clean_copy([canonical]),
    )
    got = query(
        loaded,
        "select service_line, attending_provider_id from encounters where encounter_id like 'E200%' "
        "order by encounter_id",
    )
    assert [g["service_line"] for g in got] == PAYLOADS
    assert [g["attending_provider_id"] for g in got] == PAYLOADS
    assert query(loaded, "select count(*) as n from claims") == [{"n": 4}]  # nothing was executed


def test_r11_control_characters_nul_and_rtl_override_are_rejected(capsys, loaded, src, clean_copy):
    cases = [
        (E(1, service_line="Card\x00iology"), "control_characters"),
        (E(2, service_line="Card\u202eiology"), "control_characters"),
        (E(3, facility_id="FAC\u20661"), "control_characters"),
        (E(4, service_line="Card\x07iology"), "control_characters"),
        (E(5, service_line="Card\x1biology"), "control_characters"),
        (E(6, service_line="Card\x7fiology"), "control_characters"),
        (E(7, patient_id="MRN-0000-2007\u202e"), "control_characters"),
        (E(8, service_line="Cardiology\tnorth"), None),  # a tab is whitespace, kept
        (E(9, service_line="Cardiología — Ünit"), None),  # non-ASCII text is fine
    ]
    path, canonical, rules = write_cases(src, "encounters", cases)
    checked = check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=9, inserted=2, rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    by_line = {r["line"]: r for r in checked.rejects[path.name]}
    assert by_line[8]["column_name"] == "patient_id"
    assert "MRN-0000-2007" not in by_line[8]["raw_values"]  # PHI only in protected form, even when rejected
