"""Idempotence: the same files twice change nothing and the log says unchanged; the same content under
another name too; a changed row updates; a child loaded before its parent is rejected unknown_encounter
and loads once the parent is there."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import bad
from tests.warehouse.conftest import Expect, check, digest, last_run_log, query, run_cli

FAMILY_ROWS = {f: len(bad.good_rows(f)) for f in bad.FAMILY_ORDER}


def _all_tables(paths) -> dict[str, list[tuple]]:
    """Every row of every data table and of flags, sorted (a stricter check than the digest)."""
    out = {}
    for table in (*bad.FAMILY_ORDER, "flags"):
        rows = query(paths, f"select * from {table}")
        out[table] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_loading_the_same_files_twice_changes_nothing_and_says_unchanged(capsys, warehouse, good_extract):
    files = list(good_extract.values())
    first = run_cli(capsys, "load", *files, "--warehouse", warehouse.pointer)
    assert first.code == 0, first.text
    # after the files' lines, what the run is doing until the summary (the tables at the end take ~30 s
    # at 10M encounters)
    last_file = max(first.err.index(f"{f}.csv (") for f in FAMILY_ROWS)
    building = first.err.index("building the intermediate and month tables")
    assert last_file < building < first.err.index("writing, checking and publishing the new generation")
    log1 = last_run_log(warehouse)
    assert {n: r["inserted"] for n, r in log1.items()} == {f"{f}.csv": n for f, n in FAMILY_ROWS.items()}
    tables, before = _all_tables(warehouse), digest(warehouse)

    again = {
        path: Expect(
            "loaded", read=FAMILY_ROWS[path.stem], unchanged=FAMILY_ROWS[path.stem], inserted=0, updated=0
        )
        for path in files
    }
    checked = check(capsys, warehouse, again, expected_digest="unchanged")
    for name, row in checked.log.items():
        if name in log1:
            assert row["file_sha256"] == log1[name]["file_sha256"]
    # apart from the companion's one row, every table is row for row what it was
    after = _all_tables(warehouse)
    assert {t: v for t, v in after.items() if t != "coding_audits"} == {
        t: v for t, v in tables.items() if t != "coding_audits"
    }
    assert digest(warehouse)["encounters"] == before["encounters"]


def test_a_file_with_rejects_and_flags_loaded_twice_is_stable(capsys, loaded, tmp_path):
    rows = [
        bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="Z99.99"),  # flagged unknown_icd10
        bad.row("diagnoses", 0, encounter_id="E1004", seq="3", code="1.1"),  # rejected malformed_code
        bad.row("diagnoses", 0, encounter_id="E1004", seq="4", code="I10"),
    ]
    path = bad.write_csv(tmp_path / "extract", "diagnoses.csv", rows)
    first = check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects", read=3, rejected=1, inserted=2, flagged=1, rules={3: "malformed_code"}
            )
        },
        expected_digest=_after_load(loaded, tmp_path, path),
    )
    second = check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=3,
                rejected=1,
                inserted=0,
                unchanged=2,
                flagged=1,
                rules={3: "malformed_code"},
            )
        },
        expected_digest=first.after,
    )
    assert second.after["flags"] == first.after["flags"]  # the flag is refreshed, not duplicated
    assert query(loaded, "select count(*) as n from flags where record_key = 'E1004|2'") == [{"n": 1}]


def _after_load(paths, tmp_path, path):
    """The digest a copy of ``paths`` has after loading ``path`` (run_load, no CLI)."""
    from tests.warehouse.conftest import copy_warehouse
    from warehouse.load import run_load

    copy = copy_warehouse(paths.pointer.parent, tmp_path / f"expected-{path.stem}")
    assert run_load(copy, [path]).exit_code == 0
    return digest(copy)


def test_same_content_under_another_name_is_unchanged(capsys, loaded, tmp_path):
    src = tmp_path / "extract"
    src.mkdir()
    renamed = src / "encounters_2026-03_resend.csv"
    renamed.write_bytes(bad.good_bytes("encounters"))
    checked = check(
        capsys, loaded, {renamed: Expect("loaded", read=4, unchanged=4)}, expected_digest="unchanged"
    )
    assert checked.log[renamed.name]["family"] == "encounters"


def test_a_changed_row_updates_in_place(capsys, loaded, tmp_path, clean_copy):
    rows = bad.good_rows("encounters")
    rows[1]["total_charges"] = "1300.00"
    rows[1]["final_billed_date"] = "2026-04-20"
    path = bad.write_csv(tmp_path / "extract", "encounters.csv", rows)
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=4, inserted=0, updated=1, unchanged=3)},
        expected_digest=clean_copy([path]),
    )
    got = query(
        loaded,
        "select total_charges::varchar as t, final_billed_date::varchar as f, load_id "
        "from encounters where encounter_id = 'E1002'",
    )
    assert (got[0]["t"], got[0]["f"]) == ("1300.00", "2026-04-20")
    log = last_run_log(loaded)["encounters.csv"]
    assert got[0]["load_id"] == log["load_id"]  # the row says which load wrote it
    assert query(loaded, "select count(*) as n from encounters where encounter_id = 'E1002'") == [{"n": 1}]


def test_the_same_warehouse_whatever_the_path_of_updates(capsys, warehouse, tmp_path, clean_copy):
    """Loading v1 then v2 of a file gives the same data tables as loading v2 alone."""
    v1 = bad.write_good(tmp_path / "v1", ["encounters"])["encounters"]
    rows = bad.good_rows("encounters")
    rows[0]["service_line"] = "Cardiac surgery"
    rows[3]["discharge_date"] = "2026-05-09"
    v2 = bad.write_csv(tmp_path / "v2", "encounters.csv", rows)
    assert run_cli(capsys, "load", v1, "--warehouse", warehouse.pointer).code == 0
    check(
        capsys,
        warehouse,
        {v2: Expect("loaded", read=4, updated=2, unchanged=2)},
        expected_digest=clean_copy([v2], empty=True),
    )


def test_a_child_before_its_parent_is_rejected_then_loads_after_the_parent(capsys, loaded, tmp_path):
    src = tmp_path / "extract"
    child = bad.write_csv(
        src / "early",
        "diagnoses.csv",
        [
            bad.row("diagnoses", 0, encounter_id="E2001", seq="1"),
            bad.row("diagnoses", 0, encounter_id="E2001", seq="2", code="I10"),
        ],
    )
    claim = bad.write_csv(
        src / "early", "claims.csv", [bad.row("claims", 0, claim_id="C2001", encounter_id="E2001")]
    )
    parent = bad.write_csv(src / "late", "encounters.csv", [bad.new_encounter(1)])

    # 1. children alone: every row rejected unknown_encounter, nothing else changes
    check(
        capsys,
        loaded,
        {
            child: Expect(
                "loaded_with_rejects",
                read=2,
                rejected=2,
                rules={2: "unknown_encounter", 3: "unknown_encounter"},
            ),
            claim: Expect("loaded_with_rejects", read=1, rejected=1, rules={2: "unknown_encounter"}),
        },
        expected_digest="unchanged",
    )
    # 2. the parent arrives
    check(
        capsys,
        loaded,
        {parent: Expect("loaded", read=1, inserted=1)},
        expected_digest=_after_load(loaded, tmp_path, parent),
    )
    # 3. the same child files again: now accepted
    check(
        capsys,
        loaded,
        {child: Expect("loaded", read=2, inserted=2), claim: Expect("loaded", read=1, inserted=1)},
        expected_digest=_after_load_many(loaded, tmp_path, [child, claim]),
    )
    assert query(loaded, "select count(*) as n from diagnoses where encounter_id = 'E2001'") == [{"n": 2}]


def _after_load_many(paths, tmp_path, files):
    from tests.warehouse.conftest import copy_warehouse
    from warehouse.load import run_load

    copy = copy_warehouse(paths.pointer.parent, tmp_path / "expected-many")
    assert run_load(copy, files).exit_code == 0
    return digest(copy)


def test_parent_and_child_in_one_run_load_parents_first(capsys, loaded, tmp_path, clean_copy):
    src = tmp_path / "extract"
    child = bad.write_csv(src, "diagnoses.csv", [bad.row("diagnoses", 0, encounter_id="E2001")])
    parent = bad.write_csv(src, "encounters.csv", [bad.new_encounter(1)])
    checked = check(
        capsys,
        loaded,
        {child: Expect("loaded", read=1, inserted=1), parent: Expect("loaded", read=1, inserted=1)},
        expected_digest=clean_copy([parent, child]),
    )
    assert checked.log["encounters.csv"]["load_id"] < checked.log["diagnoses.csv"]["load_id"]


def test_reloading_a_corrected_row_resolves_its_flag(capsys, loaded, tmp_path):
    src = tmp_path / "extract"
    flagged = bad.write_csv(
        src / "v1", "diagnoses.csv", [bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="Z99.99")]
    )
    fixed = bad.write_csv(
        src / "v2", "diagnoses.csv", [bad.row("diagnoses", 0, encounter_id="E1004", seq="2", code="Z99.89")]
    )
    run = run_cli(capsys, "load", flagged, "--warehouse", loaded.pointer)
    assert run.code == 0, run.text
    assert last_run_log(loaded)["diagnoses.csv"]["flagged"] == 1
    before = digest(loaded)
    checked = check(
        capsys,
        loaded,
        {fixed: Expect("loaded", read=1, updated=1, flagged=0)},
        expected_digest=_after_load(loaded, tmp_path, fixed),
    )
    assert checked.after["diagnoses"][0] == before["diagnoses"][0]
    got = query(loaded, "select resolved_load_id from flags where record_key = 'E1004|2'")
    assert got == [{"resolved_load_id": checked.log["diagnoses.csv"]["load_id"]}]


def test_load_log_rows_accumulate_per_run(capsys, loaded, tmp_path):
    path: Path = bad.write_good(tmp_path / "extract", ["procedures"])["procedures"]
    for _ in range(2):
        assert run_cli(capsys, "load", path, "--warehouse", loaded.pointer).code == 0
    rows = query(
        loaded,
        "select run_id, outcome, unchanged from load_log where file_name = 'procedures.csv' order by load_id",
    )
    assert len(rows) == len({r["run_id"] for r in rows}) == 3
    assert [r["unchanged"] for r in rows[1:]] == [3, 3]
