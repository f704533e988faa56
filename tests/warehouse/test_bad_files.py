"""F1-F20: bad files. Each test asserts the conventions' five things through ``check`` (conftest):
exit code; one-line error naming file (and line) without traceback; load-log row with outcome and
counts; read = accepted + rejected; warehouse digest as expected; and the run's other file loaded."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fixtures import bad
from tests.warehouse.conftest import ROOT, Expect, check, digest, last_run_log, query
from warehouse import readers


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "extract"
    d.mkdir()
    return d


# ---------------------------------------------------------------- F1-F4: whole-file failures


def test_f1_empty_files_fail_and_the_other_files_load(capsys, loaded, src):
    empty = bad.empty_file(src, "encounters.csv")
    empty_gz = src / "diagnoses.csv.gz"
    empty_gz.write_bytes(bad.gzip_bytes(b""))
    check(
        capsys,
        loaded,
        {empty: Expect("failed", message="empty file"), empty_gz: Expect("failed", message="empty file")},
        expected_digest="unchanged",
    )


def test_f2_header_only_loads_zero_rows(capsys, loaded, src):
    path = bad.header_only(src, "diagnoses")
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=0, accepted=0, rejected=0, inserted=0, updated=0, unchanged=0)},
        expected_digest="unchanged",
    )


def test_f3_unknown_family_fails_naming_the_closest_family(capsys, loaded, src):
    path = bad.unknown_family(src)
    checked = check(
        capsys, loaded, {path: Expect("failed", message="unknown family")}, expected_digest="unchanged"
    )
    assert "closest family is" in checked.log[path.name]["message"]
    assert checked.log[path.name]["family"] is None


def test_f3_a_name_that_says_nothing_is_read_by_its_headers(capsys, loaded, src):
    path = bad.write_csv(src, "export.csv", bad.good_rows("diagnoses"), family="diagnoses")
    checked = check(
        capsys, loaded, {path: Expect("loaded", read=5, unchanged=5)}, expected_digest="unchanged"
    )
    assert checked.log[path.name]["family"] == "diagnoses"


def test_f4_required_column_missing_fails_naming_the_column(capsys, loaded, src):
    cases = {
        "encounters": "patient_id",
        "diagnoses": "code",
        "claims": "status",
        "coding_activity": "started_at",
    }
    files = {
        bad.missing_column(src, family, column): Expect(
            "failed", message=f"required column '{column}' is missing"
        )
        for family, column in cases.items()
    }
    check(capsys, loaded, files, expected_digest="unchanged")


def test_f4_a_missing_optional_column_loads_as_empty(capsys, loaded, src, clean_copy):
    header = [h for h in bad.good_header("encounters") if h != "coded_date"]
    path = bad.write_csv(src, "encounters.csv", [bad.new_encounter(1)], header=header)
    canonical = bad.write_csv(src / "canonical", "encounters.csv", [bad.new_encounter(1, coded_date="")])
    check(
        capsys, loaded, {path: Expect("loaded", read=1, inserted=1)}, expected_digest=clean_copy([canonical])
    )


def test_file_names_are_printed_as_given_not_as_markup(capsys, loaded, src):
    """``claims_[final].csv`` is named as it is in the one-line error and the summary."""
    failing = bad.empty_file(src, "encounters_[final].csv")
    loading = bad.write_csv(src, "diagnoses_[v2].csv", bad.good_rows("diagnoses"), family="diagnoses")
    check(
        capsys,
        loaded,
        {failing: Expect("failed", message="empty file"), loading: Expect("loaded", read=5, unchanged=5)},
        expected_digest="unchanged",
    )


# ---------------------------------------------------------------- F5-F7: schema and type drift


def test_f5_extra_column_loads_with_a_drift_warning(capsys, loaded, src):
    path = bad.extra_column(src, column="coder_note")
    checked = check(
        capsys,
        loaded,
        {path: Expect("loaded", read=5, unchanged=5, warning="coder_note")},
        expected_digest="unchanged",
    )
    assert "warning" in checked.run.err  # shown, not only logged
    assert "coder_note" in checked.run.err
    assert "note 1" not in checked.run.text  # the column's values are not echoed


def test_f6_reordered_columns_and_header_synonyms_load_like_the_canonical_file(
    capsys, warehouse, src, clean_copy
):
    path = bad.reordered_synonyms(src)
    canonical = bad.write_good(src / "canonical", ["encounters"])["encounters"]
    check(
        capsys,
        warehouse,
        {path: Expect("loaded", read=4, inserted=4)},
        expected_digest=clean_copy([canonical], empty=True),
    )


def test_f6_site_headers_renamed_by_a_mapping_file(capsys, loaded, src, tmp_path):
    header = ["Enc No", "Line", "ICD10", "Present On Admission"]
    rows = [[r["encounter_id"], r["seq"], r["code"], r["poa"]] for r in bad.good_rows("diagnoses")]
    path = bad.write_csv(src, "dx_export_202603.csv", rows, header=header)
    mapping = tmp_path / "site.yaml"
    mapping.write_text(
        "files:\n  'dx_export*': diagnoses\n"
        "columns:\n  diagnoses:\n    Line: seq\n    ICD10: code\n    Present On Admission: poa\n"
        "  '*':\n    Enc No: encounter_id\n"
    )
    checked = check(
        capsys,
        loaded,
        {path: Expect("loaded", read=5, unchanged=5)},
        expected_digest="unchanged",
        mapping=mapping,
    )
    assert checked.log[path.name]["family"] == "diagnoses"


def test_f6_reordered_synonyms_onto_the_same_rows_change_nothing(capsys, loaded, src):
    path = bad.reordered_synonyms(src)
    check(capsys, loaded, {path: Expect("loaded", read=4, unchanged=4)}, expected_digest="unchanged")


#: F7: money as sites export it -> stored value, or the rule that rejects it (never a silent NULL).
MONEY = [
    ("$1,234.00", "1234.00"),
    (" $ 1,234.50 ", "1234.50"),
    ("1234.5", "1234.50"),
    ("0.10", "0.10"),
    ("(12.50)", "out_of_range"),
    ("N/A", "required_missing"),
    ("12,34.5x", "money_format"),
    ("USD 12", "money_format"),
    ("1e309", "money_format"),
    ("1.2.3", "money_format"),
    ("12.345", "precision"),
    ("\u0661\u0662\u0663", "money_format"),  # Arabic-Indic digits: once a NULL that failed the file
    ("\uff11\uff12.\uff15\uff10", "money_format"),  # full-width digits
]


def test_f7_money_type_drift_is_parsed_or_rejected_never_nulled(capsys, loaded, src, clean_copy):
    path = bad.claims_with_money(src, [v for v, _ in MONEY])
    good = [i for i, (_, out) in enumerate(MONEY) if out[0].isdigit()]
    rules = {i + 2: out for i, (_, out) in enumerate(MONEY) if not out[0].isdigit()}
    canonical = bad.claims_with_money(
        src / "canonical", [v if i in good else "1" for i, (v, _) in enumerate(MONEY)]
    )
    clean = canonical.read_text().split("\n")
    canonical.write_text("\n".join([clean[0], *(clean[i + 1] for i in good), ""]))
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=len(MONEY), inserted=len(good), rules=rules)},
        expected_digest=clean_copy([canonical]),
    )
    stored = query(
        loaded,
        "select claim_id, billed_amount::varchar as v from claims where claim_id like 'C7%' order by 1",
    )
    assert stored == [{"claim_id": f"C{7000 + i}", "v": MONEY[i][1]} for i in good]
    assert query(loaded, "select column_type from (describe claims) where column_name = 'billed_amount'") == [
        {"column_type": "DECIMAL(18,2)"}
    ]


# ---------------------------------------------------------------- F8-F10: encodings and non-CSV


def test_f8_non_utf8_bytes_fail_naming_the_line(capsys, loaded, src):
    cp1252 = bad.non_utf8(src, b"\x93", line=3, name="encounters_cp1252.csv")  # Windows-1252 left quote
    latin1 = bad.non_utf8(src, b"\xe9", line=2, name="encounters_latin1.csv")  # Latin-1 e acute
    check(
        capsys,
        loaded,
        {
            cp1252: Expect("failed", message="invalid encoding", line=3),
            latin1: Expect("failed", message="invalid encoding", line=2),
        },
        expected_digest="unchanged",
    )


def test_f8_the_line_is_right_deep_in_the_file(capsys, loaded, src, monkeypatch):
    """The bad byte far past the first read chunk (chunks shrunk to 1000 bytes): its line, exactly."""
    monkeypatch.setattr(readers, "CHUNK_BYTES", 1000)
    rows = [bad.new_encounter(i) for i in range(300)]
    rows[249]["service_line"] = "Ortho\u00e9dics"
    path = src / "encounters.csv"
    path.write_bytes(bad.csv_text(bad.good_header("encounters"), rows).encode("latin-1"))
    check(
        capsys,
        loaded,
        {path: Expect("failed", message="invalid encoding", line=251)},
        expected_digest="unchanged",
    )


def test_f8_a_declared_encoding_decodes_without_replacement(capsys, loaded, src, tmp_path, clean_copy):
    path = bad.non_utf8(src, b"\x93", line=3)
    mapping = tmp_path / "site.yaml"
    mapping.write_text("encoding: cp1252\n")
    canonical = src / "canonical" / "encounters.csv"
    canonical.parent.mkdir()
    canonical.write_text(path.read_bytes().decode("cp1252"), encoding="utf-8")
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=4, updated=1, unchanged=3)},
        expected_digest=clean_copy([canonical]),
        mapping=mapping,
    )
    got = query(loaded, "select service_line from encounters where encounter_id = 'E1002'")
    assert got == [{"service_line": "Ortho\u201cpedics"}]
    assert query(loaded, "select count(*) as n from encounters where service_line like '%\ufffd%'") == [
        {"n": 0}
    ]


def test_f9_utf8_bom_is_stripped_from_the_first_header(capsys, loaded, src):
    path = bad.with_bom(src, "diagnoses")
    assert readers.open_extract(path).header[0] == "encounter_id"
    check(capsys, loaded, {path: Expect("loaded", read=5, unchanged=5)}, expected_digest="unchanged")


def test_f9_utf16le_with_bom_is_decoded(capsys, loaded, src):
    path = bad.utf16(src, "diagnoses")
    assert readers.open_extract(path).header == bad.good_header("diagnoses")
    check(capsys, loaded, {path: Expect("loaded", read=5, unchanged=5)}, expected_digest="unchanged")


def test_f9_utf16_without_bom_fails_clearly_or_loads_as_declared(capsys, loaded, src, tmp_path):
    path = bad.utf16(src, "diagnoses", bom=False)
    check(capsys, loaded, {path: Expect("failed", message="UTF-16")}, expected_digest="unchanged")
    mapping = tmp_path / "site.toml"
    mapping.write_text('encoding = "utf-16-le"\n')  # the site's encoding, for every file of the run
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=5, unchanged=5)},
        expected_digest="unchanged",
        mapping=mapping,
        companion_encoding="utf-16-le",
    )


def test_f10_binary_files_named_csv_fail_as_not_a_csv(capsys, loaded, src):
    files = {
        bad.binary_as_csv(src, kind, name=f"encounters_{kind}.csv"): Expect("failed", message="not a CSV")
        for kind in ("png", "xlsx", "random")
    }
    csv_as_parquet = src / "diagnoses.parquet"
    csv_as_parquet.write_bytes(bad.good_bytes("diagnoses"))
    files[csv_as_parquet] = Expect("failed", message="not a Parquet file")
    check(capsys, loaded, files, expected_digest="unchanged")


# ---------------------------------------------------------------- F11-F13: gzip


def test_f11_truncated_gzip_fails_and_loads_nothing(capsys, loaded, src):
    path = bad.truncated_gzip(src)
    check(capsys, loaded, {path: Expect("failed", message="truncated gzip")}, expected_digest="unchanged")


def test_f11_rows_read_before_the_cut_are_rolled_back(capsys, loaded, src, monkeypatch):
    """Small batches and read chunks: several batches are staged before the cut is found."""
    monkeypatch.setenv("HIM_BATCH_ROWS", "7")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 256)
    path = bad.truncated_gzip(src)
    check(capsys, loaded, {path: Expect("failed", message="truncated gzip")}, expected_digest="unchanged")
    assert query(loaded, "select count(*) as n from encounters where encounter_id like 'E2%'") == [{"n": 0}]


def test_f12_multi_member_gzip_reads_every_member(capsys, loaded, src, clean_copy):
    path, rows = bad.multi_member_gzip(src)
    with gzip.open(path, "rt") as fh:  # the `zcat | wc -l` equivalent
        assert sum(1 for _ in fh) - 1 == rows == 40
    plain = src / "plain" / "encounters.csv"
    plain.parent.mkdir()
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    check(
        capsys,
        loaded,
        {path: Expect("loaded", read=40, accepted=40, inserted=40)},
        expected_digest=clean_copy([plain]),
    )


def test_f13_gzip_with_trailing_garbage_fails_never_partly(capsys, loaded, src):
    path = bad.gzip_trailing_garbage(src)
    check(capsys, loaded, {path: Expect("failed", message="gzip")}, expected_digest="unchanged")


# ---------------------------------------------------------------- F14-F17: CSV structure


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_f14_truncated_last_row_is_rejected_missing_columns(capsys, loaded, src, seed):
    path, line = bad.truncated_mid_row(src, seed=seed)
    check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=5,
                accepted=4,
                rejected=1,
                unchanged=4,
                rules={line: "missing_columns"},
            )
        },
        expected_digest="unchanged",
    )


def test_f15_other_delimiters_and_mixed_line_ends_parse_into_columns(capsys, loaded, src):
    files = {}
    for name, delimiter in (("semicolon", ";"), ("tab", "\t"), ("pipe", "|")):
        path = bad.delimited(src, delimiter).rename(src / f"diagnoses_{name}.csv")
        assert readers.open_extract(path).header == bad.good_header("diagnoses")  # never one giant column
        files[path] = Expect("loaded", read=5, unchanged=5)
    check(capsys, loaded, files, expected_digest="unchanged")


def test_f16_unbalanced_quote_rejects_that_record_and_reads_the_rest(capsys, loaded, src):
    path, line, rows_after = bad.unbalanced_quote(src)
    check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=4,
                rejected=1,
                unchanged=rows_after,
                rules={line: "unbalanced_quote"},
            )
        },
        expected_digest="unchanged",
    )


def test_f16_two_stray_quotes_do_not_swallow_the_lines_between(capsys, loaded, src):
    text = bad.good_bytes("encounters").decode().split("\n")
    text[2] = text[2].replace("Orthopedics", 'Ortho"pedics')  # line 3
    text[4] = text[4].replace("Surgery", 'Sur"gery')  # line 5
    path = src / "encounters.csv"
    path.write_text("\n".join(text))
    check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=4,
                rejected=2,
                unchanged=2,
                rules={3: "unbalanced_quote", 5: "unbalanced_quote"},
            )
        },
        expected_digest="unchanged",
    )


@pytest.mark.parametrize("chunk", [16, 97])
def test_f16_quoted_newlines_and_stray_quotes_across_read_chunks(
    capsys, loaded, src, monkeypatch, clean_copy, chunk
):
    """Record splitting does not depend on where the read chunks fall (1 MiB, shrunk here)."""
    rows = bad.good_rows("encounters")
    rows[1]["service_line"] = "Ortho,\nsports medicine"
    canonical = bad.write_csv(src / "canonical", "encounters.csv", rows)
    text = canonical.read_text().split("\n")
    text[4] = text[4].replace("Emergency", 'Emer"gency')  # a stray quote on line 5 (record E1003)
    path = src / "encounters.csv"
    path.write_text("\n".join(text))
    monkeypatch.setattr(readers, "CHUNK_BYTES", chunk)
    check(
        capsys,
        loaded,
        {
            path: Expect(
                "loaded_with_rejects",
                read=4,
                rejected=1,
                updated=1,
                unchanged=2,
                rules={5: "unbalanced_quote"},
            )
        },
        expected_digest=clean_copy([canonical]),
    )
    got = query(loaded, "select service_line from encounters where encounter_id = 'E1002'")
    assert got == [{"service_line": "Ortho,\nsports medicine"}]


def test_f17_a_line_over_the_maximum_is_rejected(capsys, loaded, src):
    path, line = bad.long_line(src)
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=4, rejected=1, unchanged=3, rules={line: "line_too_long"})},
        expected_digest="unchanged",
    )


def test_f17_a_giant_last_line_without_line_end_is_rejected(capsys, loaded, src, monkeypatch):
    """6 MiB with no line end after a 4 KiB limit: rejected, and not held whole while reading."""
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 4096)
    path = src / "encounters.csv"
    path.write_bytes(bad.good_bytes("encounters") + b"E9," + b"Z" * (6 << 20))
    seen: list[int] = []

    def chunks():
        yield "x\n"
        for _ in range(96):
            seen.append(len(splitter._partial))  # what is held of the giant line between chunks
            yield "Z" * 65536

    splitter = readers._RecordSplitter(chunks())
    assert [(line, rule) for line, _, rule in splitter.items()] == [(1, None), (2, "line_too_long")]
    assert max(seen) <= 4097
    check(
        capsys,
        loaded,
        {path: Expect("loaded_with_rejects", read=5, rejected=1, unchanged=4, rules={6: "line_too_long"})},
        expected_digest="unchanged",
    )


# ---------------------------------------------------------------- F18-F19


def test_f18_same_file_twice_and_under_another_name_is_unchanged(capsys, loaded, src):
    first = bad.write_good(src, ["claims"])["claims"]
    second = src / "claims_copy_2026-11.csv"
    second.write_bytes(first.read_bytes())
    same = Expect("loaded", read=4, unchanged=4, inserted=0, updated=0)
    checked = check(capsys, loaded, {first: same, second: same}, expected_digest="unchanged")
    sha = checked.log[first.name]["file_sha256"]
    assert sha == checked.log[second.name]["file_sha256"]
    assert len(sha) == 64


def test_f19_parquet_with_a_truncated_footer_fails(capsys, loaded, src):
    path = bad.parquet_truncated_footer(src, "diagnoses")
    check(
        capsys,
        loaded,
        {path: Expect("failed", message="not a readable Parquet file")},
        expected_digest="unchanged",
    )


def test_f19_parquet_with_the_wrong_schema_fails_naming_the_column(capsys, loaded, src):
    partial = bad.parquet_wrong_schema(src)
    foreign = bad.parquet_wrong_schema(src, foreign=True)
    check(
        capsys,
        loaded,
        {
            partial: Expect("failed", message="required column 'code' is missing"),
            foreign: Expect("failed", message="the header names no column of family diagnoses"),
        },
        expected_digest="unchanged",
    )


def test_f19_parquet_loads_like_csv_with_typed_columns_read_per_contract(capsys, loaded, src, clean_copy):
    import datetime as dt

    import polars as pl

    text = bad.parquet(src, "diagnoses")
    typed = src / "claims.parquet"
    pl.DataFrame(
        {
            "claim_id": ["C7100"],
            "encounter_id": ["E1001"],
            "payer": ["Medicare"],
            "submitted_date": [dt.date(2026, 3, 13)],
            "billed_amount": [1234.5],
            "status": ["paid"],
        }
    ).write_parquet(typed)
    canonical = bad.write_csv(
        src / "canonical",
        "claims.csv",
        [
            {
                "claim_id": "C7100",
                "encounter_id": "E1001",
                "payer": "Medicare",
                "submitted_date": "2026-03-13",
                "billed_amount": "1234.50",
                "status": "paid",
            }
        ],
    )
    check(
        capsys,
        loaded,
        {text: Expect("loaded", read=5, unchanged=5), typed: Expect("loaded", read=1, inserted=1)},
        expected_digest=clean_copy([canonical]),
    )


# ---------------------------------------------------------------- F20: larger than memory

F20_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from warehouse.cli import main
    limit = int(sys.argv[3])
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    code = main(["load", sys.argv[1], "--warehouse", sys.argv[2]])
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    print("F20RESULT " + json.dumps({
        "code": code,
        "vm_peak": int(status["VmPeak"].split()[0]) << 10,
        "max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10,
    }))
    sys.exit(code)
    """
)


def _f20_child(path: Path, pointer: Path, limit: int) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
        # Virtual address space, not memory, is what RLIMIT_AS counts: keep the libraries' reservations
        # (Arrow's jemalloc pool, glibc arenas, one thread pool per core) from eating the limit.
        "ARROW_DEFAULT_MEMORY_POOL": "system",
        "MALLOC_ARENA_MAX": "2",
        "POLARS_MAX_THREADS": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-c", F20_CHILD, str(path), str(pointer), str(limit)],
        capture_output=True,
        text=True,
        env=env,
        timeout=150,
        cwd=ROOT,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("F20RESULT ")]
    assert lines, (proc.returncode, proc.stderr[-3000:])  # no result line: killed or aborted
    return proc, json.loads(lines[-1].split(" ", 1)[1])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmPeak from /proc (Linux)")
def test_f20_a_file_larger_than_memory_loads_in_bounded_memory(tmp_path, loaded):
    """Calibrate on a tiny file, then cap the address space at that peak + 512 MiB and load ~1.6 GB of CSV
    (more than the whole cap): the loader must stream it, neither being killed nor failing."""
    tiny = tmp_path / "tiny" / "encounters_tiny.csv.gz"
    tiny.parent.mkdir()
    bad.large_encounters(tiny, 1 << 20)
    _, calibration = _f20_child(tiny, tmp_path / "calibration" / "him.duckdb", 0)
    limit = calibration["vm_peak"] + (512 << 20)

    path = tmp_path / "big" / "encounters_big.csv.gz"
    path.parent.mkdir()
    target = max(1600 << 20, limit + (256 << 20))
    rows = bad.large_encounters(path, target)
    before = digest(loaded)
    proc, result = _f20_child(path, loaded.pointer, limit)
    assert proc.returncode == result["code"] == 0, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
    log = last_run_log(loaded)[path.name]
    assert (log["outcome"], log["rows_read"], log["accepted"], log["inserted"]) == (
        "loaded",
        rows,
        rows,
        rows,
    )
    assert any("note" in w for w in log["warnings"])
    after = digest(loaded)
    assert after["encounters"][0] == before["encounters"][0] + rows
    # The data streamed through is larger than the whole address-space cap, and larger than the memory
    # the loader actually held (the cap is the real bound; RSS varies with the machine's load).
    assert target > limit
    assert result["max_rss"] < target, result
