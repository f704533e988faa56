"""Every rule of the contract: one bad-input fixture per rule in REJECT_RULES and FLAG_KINDS, rejected
(or flagged) with exactly that rule and no other; every enumeration synonym accepted; both date formats
and ``$1,234.50`` money accepted. One run loads a file per family holding all the cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import bad
from tests.warehouse.conftest import Expect, check, query
from warehouse import readers
from warehouse.contract import ENUMS, FAMILIES, FLAG_KINDS, REJECT_RULES

E = bad.new_encounter
ROW = bad.row

#: rule -> (family, rows as dicts, or raw CSV lines for structural rules). Each case breaks one rule only.
CASES: dict[str, tuple[str, list[dict[str, str] | str]]] = {
    "required_missing": ("encounters", [E(1, primary_payer="")]),
    "invalid_date": ("encounters", [E(2, admit_date="2026-02-29")]),
    "invalid_timestamp": (
        "coding_activity",
        [ROW("coding_activity", 0, coder_id="R01", started_at="2026-03-07 25:00")],
    ),
    "date_order": (
        "coding_activity",
        [ROW("coding_activity", 0, coder_id="R02", completed_at="2026-03-07T08:59:59")],
    ),
    "future_date": ("claims", [ROW("claims", 0, claim_id="R03", submitted_date="2099-06-01")]),
    "money_format": ("claims", [ROW("claims", 0, claim_id="R04", billed_amount="12 USD")]),
    "precision": ("claims", [ROW("claims", 0, claim_id="R05", paid_amount="10.001")]),
    "out_of_range": ("diagnoses", [ROW("diagnoses", 0, encounter_id="E1002", seq="0")]),
    "invalid_int": ("diagnoses", [ROW("diagnoses", 0, encounter_id="E1002", seq="2.5")]),
    "unknown_value": ("procedures", [ROW("procedures", 1, seq="2", code_system="LOINC")]),
    "malformed_code": ("procedures", [ROW("procedures", 1, seq="3", code="9921")]),
    "invalid_zip": ("encounters", [E(3, zip_code="1234567")]),
    "age_out_of_range": ("encounters", [E(4, birth_date="2026-04-11")]),
    "count_order": (
        "coding_audits",
        [ROW("coding_audits", 0, audit_id="R06", codes_reviewed="2", codes_changed="3")],
    ),
    "duplicate_key": (
        "coding_audits",
        [ROW("coding_audits", 1, audit_id="R07"), ROW("coding_audits", 1, audit_id="R07", codes_changed="1")],
    ),
    "unknown_encounter": ("claims", [ROW("claims", 0, claim_id="R08", encounter_id="E0404")]),
    "control_characters": ("encounters", [E(5, attending_provider_id="DR\x00500")]),
    "missing_columns": ("diagnoses", ["E1002,4"]),
    "extra_fields": ("diagnoses", ["E1002,5,I10,Y,unexpected"]),
    "unbalanced_quote": ("diagnoses", ['E1002,6,"I10,Y']),
    "line_too_long": ("diagnoses", ["E1002,7,I10," + "Y" * (readers.MAX_LINE_CHARS + 1)]),
    # flags: the row loads, flagged
    "drg_not_in_table": ("encounters", [E(6, ms_drg="999")]),
    "unknown_icd10": ("diagnoses", [ROW("diagnoses", 0, encounter_id="E1002", seq="8", code="Z99.99")]),
    "unknown_carc": ("claims", [ROW("claims", 1, claim_id="R09", carc_code="CO-999")]),
    "implausible_session": (
        "coding_activity",
        [ROW("coding_activity", 0, coder_id="R03", completed_at="2026-03-07T17:00:01")],
    ),
}
#: a row that loads, written first in every file, so that the broken ones are not alone
GOOD = {
    "encounters": E(0),
    "diagnoses": ROW("diagnoses", 0, encounter_id="E1002", seq="9"),
    "procedures": ROW("procedures", 1, seq="9"),
    "claims": ROW("claims", 0, claim_id="R00"),
    "coding_activity": ROW("coding_activity", 0, coder_id="R00"),
    "coding_audits": ROW("coding_audits", 0, audit_id="R00"),
}


def test_there_is_a_case_for_every_rule_and_flag():
    assert set(CASES) == set(REJECT_RULES) | set(FLAG_KINDS)


def _write(
    src: Path, family: str, cases: list[tuple[str, dict[str, str] | str]]
) -> tuple[Path, Path, dict[int, str]]:
    """The family's file (a good row, then one line per case) and its canonical twin (the rows that load)."""
    header = bad.good_header(family)
    lines = bad.csv_text(header, [GOOD[family]]).rstrip("\n").split("\n")  # header and the good row
    keep = [GOOD[family]]
    expected: dict[int, str] = {}
    for rule, row in cases:
        text = row if isinstance(row, str) else bad.csv_text(header, [row]).split("\n", 1)[1].rstrip("\n")
        lines.append(text)
        expected[len(lines)] = rule
        if rule in FLAG_KINDS:
            assert isinstance(row, dict)
            keep.append(row)
    path = src / f"{family}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad.write_csv(src / "canonical", f"{family}.csv", keep), expected


def test_every_rule_rejects_or_flags_its_fixture_by_name(capsys, loaded, tmp_path, clean_copy):
    src = tmp_path / "extract"
    src.mkdir()
    by_family: dict[str, list[tuple[str, dict[str, str] | str]]] = {}
    for rule, (family, rows) in CASES.items():
        by_family.setdefault(family, []).extend((rule, r) for r in rows)
    files: dict[Path, Expect] = {}
    canonical = []
    for family, cases in by_family.items():
        path, clean, lines = _write(src, family, cases)
        canonical.append(clean)
        rejects = {ln: rule for ln, rule in lines.items() if rule in REJECT_RULES}
        flags = sum(1 for rule in lines.values() if rule in FLAG_KINDS)
        files[path] = Expect(
            "loaded_with_rejects", read=len(lines) + 1, rejected=len(rejects), flagged=flags, rules=rejects
        )
    checked = check(capsys, loaded, files, expected_digest=clean_copy(canonical))
    for name, rejects in checked.rejects.items():
        for r in rejects:
            assert r["rule"] in REJECT_RULES
            assert not r["other_rules"], (name, r["line"], r["rule"], r["other_rules"])  # that rule only
            assert r["message"]
    flags = query(loaded, "select family, record_key, kind from flags where resolved_load_id is null")
    assert {(f["family"], f["record_key"], f["kind"]) for f in flags} == {
        ("encounters", "E2006", "drg_not_in_table"),
        ("diagnoses", "E1002|8", "unknown_icd10"),
        ("claims", "R09", "unknown_carc"),
        ("coding_activity", "R03|E1001|code|2026-03-07 09:00:00.000000", "implausible_session"),
    }


def _synonym_rows() -> dict[str, list[dict[str, str]]]:
    """For every enumeration synonym, a row carrying it (upper-cased and padded on alternate rows)."""
    rows: dict[str, list[dict[str, str]]] = {
        f: [] for f in ("encounters", "diagnoses", "procedures", "claims", "coding_activity")
    }
    columns = {
        "patient_type": ("encounters", "patient_type"),
        "sex": ("encounters", "sex"),
        "financial_class": ("encounters", "financial_class"),
        "poa": ("diagnoses", "poa"),
        "code_system": ("procedures", "code_system"),
        "claim_status": ("claims", "status"),
        "appeal_outcome": ("claims", "appeal_outcome"),
        "chart_type": ("coding_activity", "chart_type"),
        "activity": ("coding_activity", "activity"),
    }
    assert set(columns) == set(ENUMS)
    n = 0
    for enum, (family, column) in columns.items():
        for canonical, synonyms in ENUMS[enum].items():
            for syn in (canonical, *synonyms):
                n += 1
                value = f"  {syn.upper()} " if n % 2 else syn
                if family == "encounters":
                    row = E(100 + n, **{column: value})
                elif family == "diagnoses":
                    row = ROW("diagnoses", 0, encounter_id="E1003", seq=str(10 + n), poa=value)
                elif family == "procedures":
                    code = {"ICD10PCS": "0SRD0JZ", "CPT": "99213", "HCPCS": "J1100"}[canonical]
                    row = ROW("procedures", 0, seq=str(10 + n), code=code, code_system=value)
                elif family == "claims":
                    row = ROW("claims", 1, claim_id=f"S{n:03d}", **{column: value})
                else:
                    row = ROW("coding_activity", 0, coder_id=f"S{n:03d}", **{column: value})
                row["__expect"] = canonical
                row["__column"] = column
                rows[family].append(row)
    return rows


def test_every_enumeration_synonym_is_accepted_case_and_space_insensitive(
    capsys, loaded, tmp_path, clean_copy
):
    src = tmp_path / "extract"
    src.mkdir()
    rows = _synonym_rows()
    files = {}
    for family, family_rows in rows.items():
        path = bad.write_csv(src, f"{family}.csv", family_rows, family=family)
        files[path] = Expect("loaded", read=len(family_rows), inserted=len(family_rows))
    canonical = [
        bad.write_csv(
            src / "canonical", f"{family}.csv", [{**r, r["__column"]: r["__expect"]} for r in family_rows]
        )
        for family, family_rows in rows.items()
    ]
    check(capsys, loaded, files, expected_digest=clean_copy(canonical))
    for family, family_rows in rows.items():
        key = ["coder_id"] if family == "coding_activity" else FAMILIES[family].key  # unique here
        for row in family_rows:
            where = " and ".join(f"{k}::varchar = ?" for k in key)
            got = query(
                loaded, f"select {row['__column']} as v from {family} where {where}", [row[k] for k in key]
            )
            assert got == [{"v": row["__expect"]}], (family, row[row["__column"]])


def test_both_date_formats_and_money_strings_are_accepted(capsys, loaded, tmp_path, clean_copy):
    src = tmp_path / "extract"
    us = E(
        1,
        admit_date="03/02/2026",
        discharge_date="3/6/2026",
        birth_date="07/04/1970",
        coded_date="03/09/2026",
        final_billed_date="3/12/2026",
        total_charges="$1,234.50",
    )
    iso = E(
        1,
        admit_date="2026-03-02",
        discharge_date="2026-03-06",
        birth_date="1970-07-04",
        coded_date="2026-03-09",
        final_billed_date="2026-03-12",
        total_charges="1234.50",
    )
    claim_us = ROW(
        "claims",
        1,
        claim_id="M001",
        submitted_date="04/15/2026",
        billed_amount="$1,234.50",
        paid_amount="$0.00",
        denial_date="5/1/2026",
        denied_amount="$1,234.50",
        appeal_date="05/10/2026",
        recovered_amount="$1,234.50",
    )
    claim_iso = ROW(
        "claims",
        1,
        claim_id="M001",
        submitted_date="2026-04-15",
        billed_amount="1234.50",
        paid_amount="0",
        denial_date="2026-05-01",
        denied_amount="1234.5",
        appeal_date="2026-05-10",
        recovered_amount="1234.50",
    )
    files = {
        bad.write_csv(src, "encounters.csv", [us]): Expect("loaded", read=1, inserted=1),
        bad.write_csv(src, "claims.csv", [claim_us]): Expect("loaded", read=1, inserted=1),
    }
    canonical = [
        bad.write_csv(src / "canonical", "encounters.csv", [iso]),
        bad.write_csv(src / "canonical", "claims.csv", [claim_iso]),
    ]
    check(capsys, loaded, files, expected_digest=clean_copy(canonical))
    got = query(
        loaded,
        "select admit_date::varchar as a, total_charges::varchar as t from encounters "
        "where encounter_id = 'E2001'",
    )
    assert got == [{"a": "2026-03-02", "t": "1234.50"}]


@pytest.mark.parametrize("rule", sorted(REJECT_RULES))
def test_every_reject_rule_has_a_message(rule):
    assert REJECT_RULES[rule]
    assert "\n" not in REJECT_RULES[rule]
