"""The synthetic demo extract: determinism, contract shape, clinical and financial consistency, dirty rows."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from warehouse import demo
from warehouse.contract import ENUMS, FAMILIES, FLAG_KINDS, REJECT_RULES

N = 2000
SEED = 42
FAMILY_NAMES = ("encounters", "diagnoses", "procedures", "claims", "coding_activity", "coding_audits")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
MONEY = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_clean")
    demo.generate(out, encounters=N, seed=SEED)
    return out


@pytest.fixture(scope="module")
def dirty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_dirty")
    demo.generate(out, encounters=N, seed=SEED, dirty=True)
    return out


@pytest.fixture(scope="module")
def frames(clean_dir: Path) -> dict[str, pl.DataFrame]:
    return {f: pl.read_csv(clean_dir / f"{f}.csv", infer_schema=False) for f in FAMILY_NAMES}


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    ref = pytest.importorskip("warehouse.reference")
    for name in ("icd10cm_codes", "msdrg_table", "carc_categories", "fiscal_year"):
        if not hasattr(ref, name):
            pytest.skip(f"warehouse.reference.{name} is not available yet")
    return ref


def _date(col: str) -> pl.Expr:
    return pl.col(col).str.to_date("%Y-%m-%d")


# ------------------------------------------------------------------------------------------------
# Determinism and shape
# ------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path, clean_dir: Path) -> None:
    again = demo.generate(tmp_path / "again", encounters=N, seed=SEED)
    for family, path in again.items():
        assert path.read_bytes() == (clean_dir / f"{family}.csv").read_bytes(), family
    other = demo.generate(tmp_path / "other", encounters=N, seed=SEED + 1)
    assert other["encounters"].read_bytes() != again["encounters"].read_bytes()
    assert other["diagnoses"].read_bytes() != again["diagnoses"].read_bytes()


def test_returns_one_path_per_family_with_contract_header(tmp_path: Path) -> None:
    paths = demo.generate(tmp_path, encounters=50, seed=1)
    assert set(paths) == set(FAMILY_NAMES)
    for family, path in paths.items():
        assert path == tmp_path / f"{family}.csv"
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(FAMILIES[family].column_names)
    assert not (tmp_path / "dirty_manifest.json").exists()


def test_chunked_generation_reports_progress_and_keeps_ids_consecutive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "CHUNK_SIZE", 700)
    calls: list[tuple[int, int]] = []
    paths = demo.generate(
        tmp_path, encounters=N, seed=3, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(700, N), (1400, N), (2000, N)]
    text = paths["encounters"].read_text(encoding="utf-8")
    assert text.count("encounter_id,") == 1  # one header, chunks appended
    enc = pl.read_csv(paths["encounters"], infer_schema=False)
    assert enc["encounter_id"].to_list() == [f"E{i:09d}" for i in range(1, N + 1)]
    admit = enc.select(_date("admit_date")).to_series()
    assert admit.is_sorted()  # encounter numbers follow registration
    assert pl.read_csv(paths["claims"], infer_schema=False)["claim_id"].is_unique().all()


def test_dirty_manifest_lines_stay_right_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "CHUNK_SIZE", 600)
    paths = demo.generate(tmp_path, encounters=N, seed=5, dirty=True)
    manifest = json.loads(paths["dirty_manifest"].read_text(encoding="utf-8"))
    records = {f"{f}.csv": _records(paths[f]) for f in FAMILY_NAMES}
    for entry in manifest["rows"]:
        header, record = records[entry["file"]][0], records[entry["file"]][entry["line"] - 1]
        assert record[header.index(entry["column"])] == (entry["value"] or ""), entry
    assert {e["file"] for e in manifest["rows"]} == set(records)
    assert sum(manifest["counts"].values()) == len(manifest["rows"])
    # Chunks after the first add about 1 % of their rows too.
    half = len(records["diagnoses.csv"]) // 2
    assert any(e["file"] == "diagnoses.csv" and e["line"] > half for e in manifest["rows"])


@pytest.mark.parametrize(("encounters", "seed"), [(0, 1), (1, -1), (demo.MAX_ENCOUNTERS + 1, 1)])
def test_rejects_bad_arguments(tmp_path: Path, encounters: int, seed: int) -> None:
    with pytest.raises(ValueError, match=r"encounters|seed"):
        demo.generate(tmp_path, encounters=encounters, seed=seed)


def test_row_counts_are_plausible(frames: dict[str, pl.DataFrame]) -> None:
    enc = frames["encounters"]
    assert enc.height == N
    coded = enc.filter(pl.col("coded_date").is_not_null()).height
    assert 0.95 * N < coded < N
    assert 2.5 * coded < frames["diagnoses"].height < 7 * coded
    assert 1.0 * coded < frames["procedures"].height < 3.5 * coded
    assert 0.9 * N < frames["claims"].height < 1.1 * N
    assert coded <= frames["coding_activity"].height < 1.3 * coded
    assert 0.03 * coded < frames["coding_audits"].height < 0.08 * coded
    # Patients come back: about 1.6 encounters each.
    assert 1.35 < N / enc["patient_id"].n_unique() < 1.9
    assert enc["encounter_id"].is_unique().all()


def test_every_enum_value_is_canonical_or_an_accepted_synonym(frames: dict[str, pl.DataFrame]) -> None:
    for family, df in frames.items():
        for col in FAMILIES[family].columns:
            if col.type != "enum":
                continue
            accepted = {v.lower() for canon, syn in ENUMS[col.enum].items() for v in (canon, *syn)}
            values = set(df[col.name].drop_nulls().str.strip_chars().str.to_lowercase().unique())
            assert values, (family, col.name)
            assert values <= accepted, (family, col.name, values - accepted)


def test_required_columns_are_filled_and_formats_hold(frames: dict[str, pl.DataFrame]) -> None:
    for family, df in frames.items():
        for col in FAMILIES[family].columns:
            series = df[col.name]
            if col.required:
                assert series.null_count() == 0, (family, col.name)
            values = series.drop_nulls()
            if col.type == "date":
                assert values.str.contains(ISO_DATE.pattern).all(), (family, col.name)
            elif col.type == "timestamp":
                assert values.str.contains(ISO_TS.pattern).all(), (family, col.name)
            elif col.type == "money":
                assert values.str.contains(MONEY.pattern).all(), (family, col.name)
            elif col.type == "int":
                assert values.str.contains(r"^\d+$").all(), (family, col.name)
    zips = frames["encounters"]["zip_code"]
    assert zips.str.contains(r"^\d{5}$").all()
    restricted = (zips.str.slice(0, 3) == "036").mean()  # a Safe Harbor restricted ZIP3, few patients
    assert 0 < restricted < 0.02
    assert frames["encounters"]["patient_id"].str.contains(r"^M\d{8}$").all()


# ------------------------------------------------------------------------------------------------
# Dates, stays and the backlog
# ------------------------------------------------------------------------------------------------


def test_dates_are_ordered_and_inside_the_extract_window(frames: dict[str, pl.DataFrame]) -> None:
    enc = frames["encounters"].with_columns(
        *(
            _date(c).alias(c)
            for c in ("admit_date", "discharge_date", "birth_date", "coded_date", "final_billed_date")
        )
    )
    discharged = enc.filter(pl.col("discharge_date").is_not_null())
    assert (discharged["discharge_date"] >= discharged["admit_date"]).all()
    assert discharged["discharge_date"].min() >= demo.START
    assert discharged["discharge_date"].max() <= demo.END
    assert (enc["admit_date"] <= demo.END).all()
    assert (enc["birth_date"] <= enc["admit_date"]).all()
    coded = enc.filter(pl.col("coded_date").is_not_null())
    assert (coded["coded_date"] >= coded["discharge_date"]).all()
    assert coded["coded_date"].max() <= demo.END
    billed = enc.filter(pl.col("final_billed_date").is_not_null())
    assert (billed["final_billed_date"] >= billed["coded_date"]).all()
    assert billed["final_billed_date"].max() <= demo.END
    # Still in house at the end: a few, admitted in the last days, never coded.
    in_house = enc.filter(pl.col("discharge_date").is_null())
    assert 0 < in_house.height < 0.01 * N
    assert (in_house["admit_date"] >= date(2026, 7, 1)).all()  # stays are at most 90 days
    assert in_house["coded_date"].null_count() == in_house.height
    # A coding backlog and a DNFB as of the extract day.
    recent = discharged.filter(pl.col("discharge_date") >= date(2026, 9, 21))
    older = discharged.filter(pl.col("discharge_date").is_between(date(2026, 6, 1), date(2026, 8, 31)))
    recent_share = recent["final_billed_date"].null_count() / recent.height
    assert recent_share > 0.15
    assert recent_share > 5 * older["final_billed_date"].null_count() / older.height


def test_patient_types_stays_and_ages_look_like_a_hospital(frames: dict[str, pl.DataFrame]) -> None:
    enc = frames["encounters"].with_columns(
        ptype=pl.col("patient_type").str.to_lowercase().replace({"ip": "inpatient", "op": "outpatient",
                                                                 "ed": "emergency", "obs": "observation"}),
        los=(_date("discharge_date") - _date("admit_date")).dt.total_days(),
        age=(_date("admit_date") - _date("birth_date")).dt.total_days() / 365.25,
    )  # fmt: skip
    share = enc["ptype"].value_counts(normalize=True).to_dict(as_series=False)
    share = dict(zip(share["ptype"], share["proportion"], strict=True))
    assert 0.15 < share["inpatient"] < 0.26
    assert 0.38 < share["outpatient"] < 0.52
    assert 0.24 < share["emergency"] < 0.36
    assert 0.02 < share["observation"] < 0.08
    ip = enc.filter((pl.col("ptype") == "inpatient") & pl.col("los").is_not_null())
    assert 3.0 < ip["los"].mean() < 6.5
    assert (ip["los"] == 0).any()  # same-day stays happen
    short = enc.filter((pl.col("ptype") != "inpatient") & pl.col("los").is_not_null())
    assert short["los"].max() <= 2
    ages = enc["age"]
    assert ages.min() >= 0
    assert ages.max() < 110
    assert 0.05 < (ages < 18).mean() < 0.12
    assert 0.3 < (ages >= 65).mean() < 0.55
    assert 0 < (ages >= 90).mean() < 0.06
    fac = enc["facility_id"].value_counts(normalize=True).sort("facility_id")["proportion"].to_list()
    assert fac == pytest.approx([0.50, 0.35, 0.15], abs=0.06)
    assert (enc.filter(pl.col("service_line") == "Newborn")["age"] == 0).all()


# ------------------------------------------------------------------------------------------------
# Codes and DRGs against the shipped reference data
# ------------------------------------------------------------------------------------------------


def test_diagnosis_codes_are_valid_icd10cm(frames: dict[str, pl.DataFrame], reference: ModuleType) -> None:
    codes = reference.icd10cm_codes()
    written = set(frames["diagnoses"]["code"].unique())
    assert all("." in c or len(c) == 3 for c in written)  # written with the dot, as sites often do
    unknown = {c for c in written if c.replace(".", "").upper() not in codes}
    assert not unknown


def test_race_values_map_to_omb_categories(frames: dict[str, pl.DataFrame], reference: ModuleType) -> None:
    if not hasattr(reference, "omb_race_map"):
        pytest.skip("warehouse.reference.omb_race_map is not available yet")
    known = reference.omb_race_map()
    races = set(frames["encounters"]["race"].drop_nulls().str.strip_chars().str.to_lowercase())
    assert races <= set(known), races - set(known)
    assert {known[r] for r in races} == set(reference.OMB_RACE_CATEGORIES)


def test_procedure_codes_have_the_shape_of_their_code_system(frames: dict[str, pl.DataFrame]) -> None:
    px = frames["procedures"]
    shapes = {"ICD10PCS": r"^[0-9A-HJ-NP-Z]{7}$", "CPT": r"^\d{5}$", "HCPCS": r"^[A-Z]\d{4}$"}
    for system, shape in shapes.items():
        codes = px.filter(pl.col("code_system") == system)["code"]
        assert codes.len() > 0, system
        assert codes.str.contains(shape).all(), system


def test_drgs_only_on_coded_inpatients_and_in_the_fiscal_year_table(
    frames: dict[str, pl.DataFrame], reference: ModuleType
) -> None:
    enc = frames["encounters"]
    with_drg = enc.filter(pl.col("ms_drg").is_not_null())
    assert with_drg.height > 0
    assert set(with_drg["patient_type"].str.to_lowercase()) <= {"inpatient", "ip", "i"}
    assert with_drg["coded_date"].null_count() == 0
    coded_ip = enc.filter(
        pl.col("patient_type").str.to_lowercase().is_in(["inpatient", "ip"])
        & pl.col("coded_date").is_not_null()
    )
    assert coded_ip["ms_drg"].null_count() == 0
    table = reference.msdrg_table()
    years = sorted(set(table["fiscal_year"].to_list()))
    by_year = {y: set(table.filter(pl.col("fiscal_year") == y)["drg"]) for y in years}
    for drg, discharged in with_drg.select(
        pl.col("ms_drg").str.zfill(3), _date("discharge_date")
    ).iter_rows():
        fy = reference.fiscal_year(discharged)
        nearest = min(years, key=lambda y: (abs(y - fy), -y))
        assert drg in by_year[nearest], (drg, fy)
    mix = with_drg["ms_drg"].str.zfill(3).value_counts(sort=True)
    assert "871" in mix["ms_drg"][:3].to_list()  # sepsis leads the DRG mix, as in most US hospitals


def test_diagnoses_procedures_and_drg_group_consistently(frames: dict[str, pl.DataFrame]) -> None:
    """The inpatient abstracts group to their own MS-DRG with an independent grouper (FY2026, v43)."""
    msdrg = pytest.importorskip("drgpy.msdrg")
    enc = frames["encounters"].filter(
        pl.col("ms_drg").is_not_null() & (_date("discharge_date") >= date(2025, 10, 1))
    )
    dx_by = dict(
        frames["diagnoses"]
        .group_by("encounter_id", maintain_order=True)
        .agg(pl.col("code").str.replace(".", "", literal=True))
        .iter_rows()
    )
    pcs = frames["procedures"].filter(pl.col("code_system") == "ICD10PCS")
    px_by = dict(pcs.group_by("encounter_id", maintain_order=True).agg("code").iter_rows())
    engine = msdrg.DRGEngine("v43")
    agree = 0
    for row in enc.iter_rows(named=True):
        sex = row["sex"][0].upper() if row["sex"] and row["sex"][0].upper() in "FM" else "F"
        got = engine.get_drg(
            dx_by[row["encounter_id"]],
            px_by.get(row["encounter_id"], []),
            gender=sex,
            is_alive=row["discharge_disposition"] != "20",
            discharge_status=row["discharge_disposition"],
        )
        agree += got == row["ms_drg"].zfill(3)
    assert enc.height > 50
    assert agree / enc.height > 0.97


def test_catalogue_weights_match_the_shipped_fy2026_table(reference: ModuleType) -> None:
    table = reference.msdrg_table().filter(pl.col("fiscal_year") == 2026)
    shipped = {r["drg"]: (r["weight"], r["gmlos"]) for r in table.iter_rows(named=True)}
    for drg, (weight, gmlos) in demo._DRG_FY2026.items():
        assert drg in shipped, drg
        assert shipped[drg] == pytest.approx((weight, gmlos), abs=1e-4), drg


def test_principal_diagnosis_fits_the_drg(frames: dict[str, pl.DataFrame]) -> None:
    pdx = frames["diagnoses"].filter(pl.col("seq") == "1").select("encounter_id", pdx="code")
    enc = frames["encounters"].filter(pl.col("ms_drg").is_not_null()).join(pdx, on="encounter_id")
    expect = {"871": "A41", "872": "A41", "291": "I", "470": "M1", "193": "J", "690": "N"}
    for drg, prefix in expect.items():
        got = enc.filter(pl.col("ms_drg").str.zfill(3) == drg)["pdx"]
        assert got.str.starts_with(prefix).all(), drg
    assert pdx["encounter_id"].n_unique() == pdx.height


# ------------------------------------------------------------------------------------------------
# Claims, work log, audits
# ------------------------------------------------------------------------------------------------


def test_children_reference_known_encounters(frames: dict[str, pl.DataFrame]) -> None:
    known = set(frames["encounters"]["encounter_id"])
    for family in ("diagnoses", "procedures", "claims", "coding_activity", "coding_audits"):
        assert set(frames[family]["encounter_id"]) <= known, family
    for family in ("diagnoses", "procedures"):
        keys = frames[family].select("encounter_id", "seq")
        assert keys.is_unique().all(), family
    act = frames["coding_activity"]
    assert act.select("coder_id", "encounter_id", "activity", "started_at").is_unique().all()


def test_claims_follow_billing_and_payer_behaviour(
    frames: dict[str, pl.DataFrame], reference: ModuleType
) -> None:
    enc = frames["encounters"]
    claims = frames["claims"].with_columns(
        *(_date(c).alias(c) for c in ("submitted_date", "denial_date", "appeal_date")),
        *(
            pl.col(c).cast(pl.Float64)
            for c in ("billed_amount", "paid_amount", "denied_amount", "recovered_amount")
        ),
    )
    billed = enc.filter(pl.col("final_billed_date").is_not_null()).select(
        "encounter_id", "primary_payer", fb=_date("final_billed_date")
    )
    joined = claims.join(billed, on="encounter_id", how="left")
    assert joined["fb"].null_count() == 0  # claims only for billed encounters
    assert (joined["submitted_date"] >= joined["fb"]).all()
    assert (joined["payer"] == joined["primary_payer"]).all()
    assert claims["submitted_date"].max() <= demo.END
    denied = claims.filter(pl.col("status").is_in(["denied", "partial"]))
    assert denied.height > 0
    assert denied["denial_date"].null_count() == 0
    assert denied["carc_code"].null_count() == 0
    assert (denied["denied_amount"] <= denied["billed_amount"]).all()
    full = claims.filter(pl.col("status") == "denied")
    assert (full["denied_amount"] == full["billed_amount"]).all()
    assert claims.filter(pl.col("payer") == "Self Pay")["status"].is_in(["paid", "pending"]).all()
    appealed = claims.filter(pl.col("appeal_date").is_not_null())
    assert appealed["status"].is_in(["denied", "partial"]).all()
    assert (appealed["appeal_date"] > appealed["denial_date"]).all()
    assert claims.filter(pl.col("appeal_outcome") == "overturned")["recovered_amount"].null_count() == 0
    carcs = set(denied["carc_code"].str.replace(r"^[A-Z]{2}-", ""))
    assert carcs <= set(reference.carc_categories()["carc_code"])
    rate = denied.height / claims.filter(pl.col("status") != "pending").height
    assert 0.04 < rate < 0.15


def test_work_log_matches_coding_and_sessions_are_plausible(frames: dict[str, pl.DataFrame]) -> None:
    act = frames["coding_activity"].with_columns(
        start=pl.col("started_at").str.to_datetime("%Y-%m-%dT%H:%M:%S"),
        end=pl.col("completed_at").str.to_datetime("%Y-%m-%dT%H:%M:%S"),
    )
    assert (act["end"] >= act["start"]).all()
    assert ((act["end"] - act["start"]).dt.total_hours() < 8).all()
    assert act["coder_id"].str.contains(r"^C0[0-3]\d$").all()
    code = act.filter(pl.col("activity") == "code")
    enc = frames["encounters"].filter(pl.col("coded_date").is_not_null())
    assert code["encounter_id"].n_unique() == code.height == enc.height
    on_day = code.join(enc.select("encounter_id", "coded_date"), on="encounter_id")
    assert (on_day["started_at"].str.slice(0, 10) == on_day["coded_date"]).all()
    assert (on_day["completed_at"].str.slice(0, 10) == on_day["coded_date"]).all()
    minutes = code.with_columns(m=(pl.col("end") - pl.col("start")).dt.total_minutes())
    ip = minutes.filter(pl.col("chart_type") == "inpatient")["m"].mean()
    op = minutes.filter(pl.col("chart_type") == "outpatient")["m"].mean()
    assert 20 < ip < 60
    assert 3 < op < 15


def test_audits_sample_coded_charts(frames: dict[str, pl.DataFrame]) -> None:
    aud = frames["coding_audits"].with_columns(pl.col("codes_reviewed", "codes_changed").cast(pl.Int64))
    assert (aud["codes_changed"] <= aud["codes_reviewed"]).all()
    assert aud["codes_reviewed"].is_between(3, 25).all()
    accuracy = 1 - aud["codes_changed"].sum() / aud["codes_reviewed"].sum()
    assert 0.9 < accuracy < 0.995
    coded = frames["encounters"].select("encounter_id", "coded_date", "ms_drg")
    joined = aud.join(coded, on="encounter_id")
    assert (joined["audit_date"] > joined["coded_date"]).all()
    with_drg = joined.filter(pl.col("original_drg").is_not_null())
    assert (with_drg["original_drg"] == with_drg["ms_drg"].str.zfill(3)).all()


# ------------------------------------------------------------------------------------------------
# Dirty rows
# ------------------------------------------------------------------------------------------------


def _records(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_dirty_manifest_points_at_the_rows_it_describes(dirty_dir: Path) -> None:
    manifest = json.loads((dirty_dir / "dirty_manifest.json").read_text(encoding="utf-8"))
    rows = manifest["rows"]
    records = {f"{f}.csv": _records(dirty_dir / f"{f}.csv") for f in FAMILY_NAMES}
    rules = set(REJECT_RULES) | set(FLAG_KINDS)
    for entry in rows:
        recs = records[entry["file"]]
        header, record = recs[0], recs[entry["line"] - 1]
        assert record[header.index(entry["column"])] == (entry["value"] or ""), entry
        if entry["rule"] is None:
            assert entry["expect"] == "accept"
        else:
            assert entry["rule"] in rules, entry
            assert entry["expect"] == ("flag" if entry["rule"] in FLAG_KINDS else "reject")
        if "conflicts_with_line" in entry:
            original = recs[entry["conflicts_with_line"] - 1]
            assert original[0] == record[0]  # same claim_id
            assert original != record
    seen = {e["rule"] for e in rows}
    for family_kinds in demo._DIRTY.values():
        assert {k.rule for k in family_kinds} <= seen
    total = sum(len(r) - 1 for r in records.values())
    assert len(rows) < 0.03 * total
    assert len({(e["file"], e["line"]) for e in rows}) == len(rows)


def test_dirty_rows_cover_the_brief(dirty_dir: Path) -> None:
    rows = json.loads((dirty_dir / "dirty_manifest.json").read_text(encoding="utf-8"))["rows"]
    values = {(e["rule"], e["value"]) for e in rows}
    for expected in [
        ("invalid_date", "2024-02-30"),
        ("invalid_date", "13/45/2024"),
        ("unknown_carc", "CO-999"),
        ("unknown_icd10", "Z99.99"),
        ("drg_not_in_table", "237"),
        (None, '=HYPERLINK("http://x")'),
    ]:
        assert expected in values, expected
    accepted = [e["value"] for e in rows if e["rule"] is None]
    assert any(re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}", v or "") for v in accepted)
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", v or "") for v in accepted)


def test_dirty_mode_only_adds_rows(clean_dir: Path, dirty_dir: Path) -> None:
    manifest = json.loads((dirty_dir / "dirty_manifest.json").read_text(encoding="utf-8"))
    dirty_lines: dict[str, set[int]] = {}
    for entry in manifest["rows"]:
        dirty_lines.setdefault(entry["file"], set()).add(entry["line"])
    for family in FAMILY_NAMES:
        name = f"{family}.csv"
        lines = (dirty_dir / name).read_text(encoding="utf-8").split("\n")
        kept = [ln for i, ln in enumerate(lines, start=1) if i not in dirty_lines.get(name, set())]
        assert "\n".join(kept) == (clean_dir / name).read_text(encoding="utf-8"), family


def test_dirty_values_break_the_rule_they_claim(dirty_dir: Path, reference: ModuleType) -> None:
    rows = json.loads((dirty_dir / "dirty_manifest.json").read_text(encoding="utf-8"))["rows"]
    codes = reference.icd10cm_codes()
    drgs = set(reference.msdrg_table()["drg"])
    carcs = set(reference.carc_categories()["carc_code"])
    for entry in rows:
        value = entry["value"]
        if entry["rule"] == "unknown_icd10":
            assert value.replace(".", "") not in codes
        elif entry["rule"] == "drg_not_in_table":
            assert value.zfill(3) not in drgs
        elif entry["rule"] == "unknown_carc":
            assert value.split("-")[-1] not in carcs
        elif entry["rule"] == "required_missing":
            assert (value or "").strip().lower() in ("", "n/a")
