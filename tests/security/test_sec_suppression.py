"""S12: small-cell suppression that an attacker cannot undo, and the three kinds of export."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sec_helpers import audit_seq, last_entries, login

from dashboard.security import Scope, suppress_for_viewer
from warehouse import deid, explorer, suppression
from warehouse.filters import Filters

linprog = pytest.importorskip("scipy.optimize").linprog
LEADER = Scope("t-leader", frozenset({"leadership"}), ())


def table(rows: list[list[int]]) -> pl.DataFrame:
    cells = [(f"r{i}", f"c{j}", v) for i, row in enumerate(rows) for j, v in enumerate(row)]
    return pl.DataFrame(cells, schema={"row": pl.String, "col": pl.String, "n": pl.Int64}, orient="row")


def attack(frame: pl.DataFrame, result: suppression.Suppressed) -> dict[tuple[str, str], tuple[float, float]]:
    """The attacker: knows every visible cell, every row, column and grand total, that a ``<11`` cell is in
    1..10 and that a ``*`` cell is at least 11; returns each hidden small cell's feasible range (LP)."""
    cells = list(zip(frame["row"], frame["col"], frame["n"], strict=True))
    hidden = [
        (r, c, v)
        for (r, c, v), p, q in zip(cells, result.primary["n"], result.complementary["n"], strict=True)
        if p or q
    ]
    primary = {(r, c) for (r, c, _), p in zip(cells, result.primary["n"], strict=True) if p}
    if not hidden:
        return {}
    index = {(r, c): i for i, (r, c, _) in enumerate(hidden)}
    a_eq, b_eq = [], []
    for axis in (0, 1):
        for line in sorted({cell[axis] for cell in cells}):
            total = sum(v for cell in cells if cell[axis] == line for v in [cell[2]])
            visible = sum(cell[2] for cell in cells if cell[axis] == line and (cell[0], cell[1]) not in index)
            coeffs = np.zeros(len(hidden))
            for (r, c, _), i in zip(hidden, range(len(hidden)), strict=True):
                if (r, c)[axis] == line:
                    coeffs[i] = 1
            if coeffs.any():
                a_eq.append(coeffs)
                b_eq.append(total - visible)
    bounds = [(1, 10) if (r, c) in primary else (11, None) for r, c, _ in hidden]
    ranges = {}
    for (r, c, _), i in zip(hidden, range(len(hidden)), strict=True):
        if (r, c) not in primary:
            continue
        objective = np.zeros(len(hidden))
        objective[i] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0
        assert high.status == 0
        ranges[(r, c)] = (low.fun, -high.fun)
    return ranges


def test_counts_one_to_ten_are_shown_as_less_than_11_and_rates_hidden() -> None:
    frame = pl.DataFrame({"payer": ["A", "B", "C", "D"], "n": [0, 4, 25, 60], "rate": [0.0, 0.5, 0.2, 0.1]})
    result = suppression.suppress(frame, ["n"], dimensions=["payer"], rates=["rate"])
    text = result.text(frame)
    assert text["n"].to_list() == ["0", "<11", "*", "60"]
    assert result.frame["rate"].to_list() == [0.0, None, None, 0.1]
    assert suppression.small_counts(result.frame, ["n"]) == 0


def test_the_attacker_recovers_cells_hidden_without_complements() -> None:
    frame = table([[5, 40, 30], [20, 25, 60], [30, 50, 12]])
    naive = suppression.Suppressed(
        frame.with_columns(pl.when(pl.col("n") < 11).then(None).otherwise(pl.col("n")).alias("n")),
        pl.DataFrame({"n": [v < 11 for v in frame["n"]]}),
        pl.DataFrame({"n": [False] * 9}),
        (),
        ("n",),
        (),
    )
    low, high = attack(frame, naive)[("r0", "c0")]
    assert high - low < 0.5
    assert round(low) == 5


def test_the_attacker_cannot_recover_a_suppressed_cell() -> None:
    frame = table([[5, 40, 30, 14], [20, 25, 60, 3], [3, 50, 12, 40], [9, 2, 70, 31]])
    result = suppression.suppress(frame, ["n"], dimensions=["row", "col"])
    assert result.unprotected == ()
    shown = result.text(frame)["n"].to_list()
    assert not any(s.isdigit() and 0 < int(s) < 11 for s in shown)
    for cell, (low, high) in attack(frame, result).items():
        assert high - low >= 1 - 1e-6, f"{cell} can be worked out: {low}..{high}"


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda n_rows: st.integers(min_value=2, max_value=5).flatmap(
            lambda n_cols: st.lists(
                st.lists(
                    st.sampled_from([0, 1, 2, 3, 5, 8, 10, 11, 12, 15, 20, 40, 90]),
                    min_size=n_cols,
                    max_size=n_cols,
                ),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
)
def test_no_suppressed_cell_is_recoverable_from_totals(rows: list[list[int]]) -> None:
    frame = table(rows)
    result = suppression.suppress(frame, ["n"], dimensions=["row", "col"])
    unprotected = {cell[1] for cell in result.unprotected}
    shown = result.text(frame)["n"].to_list()
    assert not any(s.isdigit() and 0 < int(s) < 11 for s in shown)
    for (r, c), (low, high) in attack(frame, result).items():
        if (r, c) not in unprotected:
            assert high - low >= 1 - 1e-6, f"{(r, c)} recovered in {rows}"


def test_one_dimension_with_a_known_total() -> None:
    frame = pl.DataFrame({"race": ["A", "B", "C", "D", "E"], "n": [400, 7, 120, 35, 0]})
    result = suppression.suppress(frame, ["n"], dimensions=["race"])
    hidden = [
        r
        for r, p, q in zip(frame["race"], result.primary["n"], result.complementary["n"], strict=True)
        if p or q
    ]
    assert hidden == ["B", "D"]  # the smallest cell that can absorb the difference
    assert result.text(frame)["n"].to_list() == ["400", "<11", "120", "*", "0"]


def test_a_lone_small_cell_is_reported_unprotected() -> None:
    frame = pl.DataFrame({"race": ["A", "B"], "n": [4, 0]})
    result = suppression.suppress(frame, ["n"], dimensions=["race"])
    assert result.unprotected == (("n", ("A",)),)


def _catalog_frames(context: Any) -> list[tuple[str, pl.DataFrame]]:
    from warehouse import catalog

    filters = Filters(
        date_from=context.defaults.date_from,
        date_to=context.defaults.date_to,
        month=context.defaults.month,
        as_of=context.defaults.as_of,
    )
    out = []
    for name in sorted(catalog.queries()):
        if name.startswith(("explorer.", "data_quality.", "dashboard_extras.")):
            continue
        try:
            out.append((name, catalog.run(name, filters)))
        except catalog.BadParameter:
            continue
    return out


def test_leadership_frames_of_every_aggregate_query_hold_no_small_count(app: Any, context: Any) -> None:
    from dashboard.security.scope import column_roles

    frames = _catalog_frames(context)
    assert len(frames) > 20
    small_before = 0
    for name, frame in frames:
        counts = [c for c in column_roles(name)[0] if c in frame.columns]
        small_before += suppression.small_counts(frame, counts)
        shown = suppress_for_viewer(name, frame, LEADER)
        assert suppression.small_counts(shown, counts) == 0, name
        assert shown.height == frame.height
        assert shown.columns == frame.columns
        manager = suppress_for_viewer(name, frame, Scope("m", frozenset({"manager", "leadership"}), ()))
        assert manager.equals(frame)
    assert small_before > 0, "the demo data has small cells to suppress"


def test_leadership_views_through_the_dashboard_hold_no_small_count(app: Any) -> None:
    from dashboard import data
    from dashboard.security.scope import column_roles, set_scope

    with app.server.test_request_context("/"):
        set_scope(LEADER)
        raw = suppress_for_viewer("demographics.mix", data.run("demographics.mix", Filters()), None)
        frame = data.run("demographics.mix", Filters())
        counts = [c for c in column_roles("demographics.mix")[0] if c in frame.columns]
        assert suppression.small_counts(raw, counts) == 0  # the function works on this frame …
        assert suppression.small_counts(frame, counts) == 0  # … and the dashboard's door applies it


# -- exports ---------------------------------------------------------------------------------------------


def _rows(resp: Any) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


@pytest.fixture(scope="module")
def analyst(app: Any) -> Any:
    return login(app, "t-analyst")


@pytest.fixture(scope="module")
def manager(app: Any) -> Any:
    return login(app, "t-manager")


def test_safe_harbor_export(app: Any, sec: Any, analyst: Any, manager: Any) -> None:
    from warehouse.db import reader
    from warehouse.reference import restricted_zip3

    start = audit_seq(sec)
    first = _rows(analyst.get("/export/deidentified/encounters.csv"))
    second = _rows(analyst.get("/export/deidentified/encounters.csv"))
    columns = set(first[0])
    assert not columns & {"encounter_id", "patient_key", "claim_id", "admit_date", "discharge_date"}
    assert {"patient_ref", "encounter_ref", "admit_year", "discharge_year", "age_years", "zip3"} <= columns
    assert all(len(r["admit_year"]) == 4 and r["admit_year"].isdigit() for r in first)
    ages = {r["age_years"] for r in first}
    assert "90+" in ages
    assert not any(a.isdigit() and int(a) > 89 for a in ages)
    zips = {r["zip3"] for r in first}
    assert not zips & restricted_zip3()
    assert "000" in zips
    assert not {r["patient_ref"] for r in first} & {r["patient_ref"] for r in second}  # random per export
    operational = _rows(
        manager.get("/export/operational/encounters.csv?purpose=Work+list+for+the+coding+team")
    )
    ids = [r["encounter_id"] for r in operational]
    assert len(ids) == len(first)
    patients = (
        reader()
        .cursor()
        .sql(
            "select count(distinct patient_key) from encounters where list_contains($ids, encounter_id)",
            params={"ids": ids},
        )
        .fetchall()[0][0]
    )
    assert len({r["patient_ref"] for r in first}) == patients  # one surrogate per patient
    exports = [e for e in last_entries(sec, start) if e["action"] == "export"]
    assert [e["detail"]["kind"] for e in exports] == ["deidentified", "deidentified", "operational"]
    assert exports[0]["rows"] == len(first)
    assert exports[0]["target"] == "deidentified:encounters.csv"
    assert exports[2]["detail"]["purpose"] == "Work list for the coding team"


def test_limited_data_set_needs_a_dua_reference(sec: Any, analyst: Any) -> None:
    assert analyst.get("/export/limited/claims.csv").status_code == 400
    start = audit_seq(sec)
    rows = _rows(analyst.get("/export/limited/claims.csv?dua=DUA-2026-014"))
    assert "submitted_date" in rows[0]
    assert "claim_id" not in rows[0]
    assert "claim_ref" in rows[0]
    entry = [e for e in last_entries(sec, start) if e["action"] == "export"][-1]
    assert entry["detail"]["dua"] == "DUA-2026-014"
    assert entry["rows"] == len(rows)


def test_operational_exports_are_for_managers_with_a_purpose(analyst: Any, manager: Any, app: Any) -> None:
    assert analyst.get("/export/operational/encounters.csv?purpose=Looking+at+things").status_code == 403
    assert manager.get("/export/operational/encounters.csv").status_code == 400
    assert manager.get("/export/limited/encounters.csv?dua=DUA-1").status_code == 403
    assert login(app, "t-leader").get("/export/deidentified/encounters.csv").status_code == 403


def test_formula_cells_are_neutralised_in_csv_and_xlsx() -> None:
    import openpyxl
    import pyarrow as pa

    frame = pl.DataFrame(
        {
            "code": ['=HYPERLINK("http://x")', "+cmd|'/C calc'!A0", "-1+1", "@SUM(A1)", "I10"],
            "n": [1, 2, 3, 4, 5],
        }
    )
    safe = deid.neutralise_formulas(frame)
    assert safe["code"].to_list()[:4] == ["'" + v for v in frame["code"].to_list()[:4]]
    assert safe["code"][4] == "I10"
    batches = pa.RecordBatchReader.from_batches(frame.to_arrow().schema, frame.to_arrow().to_batches())
    data = b"".join(explorer.file_chunks("xlsx", batches, "t", lambda f: f))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [sheet.cell(row=i, column=1) for i in range(2, 7)]
    assert all(c.data_type == "s" for c in values)
    assert values[0].value.startswith("'=")


def test_export_kinds() -> None:
    # The surrogates themselves (random, per export, drawn in DuckDB): test_sec_export_surrogates.py.
    assert list(itertools.islice(deid.KINDS, 3)) == ["deidentified", "limited", "operational"]


def test_a_long_frame_of_several_tables_is_protected_table_by_table() -> None:
    frame = pl.DataFrame(
        {
            "dimension": ["sex"] * 4 + ["race"] * 3,
            "value": ["F", "M", "U", "X", "A", "B", "C"],
            "n": [900, 880, 10, 5, 1700, 8, 87],
        }
    )
    result = suppression.suppress(frame, ["n"], dimensions=["value"], by=["dimension"])
    assert result.unprotected == ()
    assert result.text(frame)["n"].to_list() == ["900", "880", "<11", "<11", "1700", "<11", "*"]
    shown = suppress_for_viewer(
        "demographics.mix",
        frame.rename({"n": "discharges"}).with_columns(
            pl.lit(1795).alias("total_discharges"), pl.lit(0.5).alias("share")
        ),
        LEADER,
    )
    assert suppression.small_counts(shown, ["discharges"]) == 0
