"""Fixtures and the five-assertion helper of the loader's bad-input tests.

* every test gets ``HIM_SECRET_KEY`` (monkeypatched) and a ``HIM_SECRET_KEY_FILE`` in its tmp dir;
* ``warehouse``: a fresh, empty warehouse in ``tmp_path``; ``loaded``: a copy of a warehouse that holds
  the good extract of every family (built once per session);
* ``digest(paths)``: per table ``count(*)`` and an order-independent hash of the rows, read through a
  read-only connection on the published generation;
* ``check``: runs ``him load`` on bad files plus a good companion file and asserts the conventions'
  five things (exit code; one-line error naming file, line and rule, no traceback; a load-log row with
  outcome and counts; read = accepted + rejected; the warehouse digest) and that the companion loaded.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fixtures import bad  # noqa: E402
from warehouse.cli import main as him  # noqa: E402
from warehouse.db import connect_read_only, published_generation  # noqa: E402
from warehouse.load import DATA_TABLES, run_load  # noqa: E402
from warehouse.paths import WarehousePaths  # noqa: E402

SECRET = "loader-tests-site-secret-0123456789abcdef"
#: Columns left out of the digest: which load wrote a row is not part of its content.
LOAD_ID_COLUMNS = {"load_id", "first_load_id", "last_load_id", "resolved_load_id"}
DIGEST_TABLES = (*DATA_TABLES, "flags")

Digest = dict[str, tuple[int, int]]


@pytest.fixture(autouse=True)
def _site_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIM_SECRET_KEY", SECRET)
    monkeypatch.setenv("HIM_SECRET_KEY_FILE", str(tmp_path / "site-config" / "secret.key"))
    monkeypatch.delenv("HIM_WAREHOUSE", raising=False)
    monkeypatch.delenv("HIM_FAULT", raising=False)
    monkeypatch.delenv("HIM_BATCH_ROWS", raising=False)


def warehouse_at(directory: Path) -> WarehousePaths:
    """The warehouse whose pointer is ``<directory>/him.duckdb``."""
    return WarehousePaths(directory / "him.duckdb")


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehousePaths:
    """A fresh warehouse (nothing published yet)."""
    return warehouse_at(tmp_path / "wh")


@pytest.fixture
def good_extract(tmp_path: Path) -> dict[str, Path]:
    """The small hand-written good extract of every family, as ``<family>.csv`` files (family -> path)."""
    return bad.write_good(tmp_path / "good")


@pytest.fixture(scope="session")
def baseline_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse directory holding the good extract of every family (built once, copied per test)."""
    root = tmp_path_factory.mktemp("baseline")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_SECRET_KEY", SECRET)
        mp.setenv("HIM_SECRET_KEY_FILE", str(root / "site-config" / "secret.key"))
        files = bad.write_good(root / "extract")
        report = run_load(warehouse_at(root / "wh"), list(files.values()))
    assert report.exit_code == 0
    assert all(r.outcome == "loaded" for r in report.results), [
        (r.file_name, r.message) for r in report.results
    ]
    return root / "wh"


def copy_warehouse(template: Path, dest: Path) -> WarehousePaths:
    """Copy a warehouse directory (pointer symlink, generations, journal)."""
    shutil.copytree(template, dest, symlinks=True)
    return warehouse_at(dest)


@pytest.fixture
def loaded(tmp_path: Path, baseline_template: Path) -> WarehousePaths:
    """A warehouse that already holds the good extract of every family."""
    return copy_warehouse(baseline_template, tmp_path / "wh")


@pytest.fixture
def clean_copy(tmp_path: Path, baseline_template: Path) -> Callable[..., Digest]:
    """Digest of a fresh copy of the baseline (or an empty warehouse) after loading ``files`` into it."""
    counter = iter(range(1000))

    def make(files: Iterable[Path], *, empty: bool = False, mapping: Path | None = None) -> Digest:
        dest = tmp_path / f"clean-{next(counter)}"
        paths = warehouse_at(dest) if empty else copy_warehouse(baseline_template, dest)
        report = run_load(paths, list(files), mapping_file=mapping)
        assert report.exit_code == 0, [(r.file_name, r.message) for r in report.results]
        return digest(paths)

    return make


# ---------------------------------------------------------------- reading the warehouse


def open_published(paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    """A read-only connection (the serving settings) on the published generation."""
    gen = published_generation(paths)
    assert gen is not None, f"nothing published at {paths.pointer}"
    return connect_read_only(gen)


@contextlib.contextmanager
def _connection(
    paths: WarehousePaths, con: duckdb.DuckDBPyConnection | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    if con is not None:
        yield con
        return
    con = open_published(paths)
    try:
        yield con
    finally:
        con.close()


def digest(paths: WarehousePaths, con: duckdb.DuckDBPyConnection | None = None) -> Digest:
    """Per data table (and flags): ``count(*)`` and the sum of the rows' hashes, load ids left out."""
    if con is None and published_generation(paths) is None:
        return {t: (0, 0) for t in DIGEST_TABLES}
    out = {}
    with _connection(paths, con) as c:
        for table in DIGEST_TABLES:
            cols = [name for (name,) in c.execute(f"select column_name from (describe {table})").fetchall()]
            keep = ", ".join(name for name in cols if name not in LOAD_ID_COLUMNS)
            row = c.execute(
                f"select count(*), coalesce(sum(hash(x)), 0)::hugeint from (select {keep} from {table}) x"
            ).fetchone()
            assert row is not None
            out[table] = (int(row[0]), int(row[1]))
    return out


def query(
    paths: WarehousePaths,
    sql: str,
    params: Sequence[Any] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """Rows of a query on the published generation, as dicts."""
    with _connection(paths, con) as c:
        cur = c.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def last_run_log(
    paths: WarehousePaths, con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, dict[str, Any]]:
    """The load-log rows of the last run, by file name."""
    rows = query(
        paths,
        "select * from load_log where run_id = (select value from warehouse_info where key = 'last_run_id') "
        "order by load_id",
        con=con,
    )
    return {r["file_name"]: r for r in rows}


def rejects_of(
    paths: WarehousePaths, load_id: int, con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """The reject-store rows of one file's load, by line."""
    return query(paths, "select * from rejects where load_id = ? order by line, rule", [load_id], con=con)


# ---------------------------------------------------------------- the CLI and the five assertions


@dataclass
class CliRun:
    """One ``him`` invocation."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together."""
        return self.out + self.err


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> CliRun:
    """Run ``him ARGS`` in-process, capturing its output."""
    capsys.readouterr()
    code = him([str(a) for a in args])
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


_companions = itertools.count(1)


def companion(
    directory: Path, family: str = "coding_audits", encoding: str = "utf-8"
) -> tuple[Path, str, str]:
    """A good one-row file of ``family`` (a new key each time) that a run also loads; (path, table, key)."""
    key = f"C-{next(_companions):05d}"
    if family == "coding_audits":
        row = bad.row("coding_audits", 0, audit_id=key, encounter_id="E1003")
    else:
        row = bad.row("coding_activity", 0, coder_id=key, encounter_id="E1003")
    path = bad.write_csv(directory, f"{family}_companion.csv", [row], encoding=encoding)
    return path, family, key


@dataclass
class Expect:
    """What must happen to one file of a run (None = not checked)."""

    outcome: str = "loaded"  # loaded | loaded_with_rejects | failed
    message: str | None = None  # substring of the one-line error (failed files)
    line: int | None = None  # the line the error names (failed files)
    read: int | None = None
    accepted: int | None = None
    rejected: int | None = None
    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    flagged: int | None = None
    rules: dict[int, str] | None = None  # line -> rule of every reject of the file (exactly)
    warning: str | None = None  # substring of a load-log warning


@dataclass
class Checked:
    """The outcome of :func:`check`: what the CLI printed and the warehouse holds afterwards."""

    run: CliRun
    log: dict[str, dict[str, Any]]
    rejects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    after: Digest = field(default_factory=dict)


def check(
    capsys: pytest.CaptureFixture[str],
    paths: WarehousePaths,
    files: dict[Path, Expect],
    *,
    expected_digest: Digest | str,
    exit_code: int | None = None,
    mapping: Path | None = None,
    companion_family: str = "coding_audits",
    companion_encoding: str = "utf-8",
) -> Checked:
    """Load ``files`` plus a good companion file with ``him load`` and assert the conventions' five things.

    ``expected_digest`` is a digest (e.g. from ``clean_copy``), or ``"unchanged"`` for the pre-load
    digest (whole-file failures, or files whose rows the warehouse already holds). The companion's
    own table is checked apart: it must hold exactly one more row, the companion's.
    """
    target = digest(paths) if expected_digest == "unchanged" else expected_digest
    assert isinstance(target, dict)
    comp, comp_table, comp_key = companion(
        paths.pointer.parent.parent / "companion", companion_family, companion_encoding
    )
    args: list[str | Path] = ["load", *files, comp, "--warehouse", paths.pointer]
    if mapping is not None:
        args += ["--mapping", mapping]
    run = run_cli(capsys, *args)

    # 1. exit code: 1 when any file failed as a whole, else 0
    any_failed = any(e.outcome == "failed" for e in files.values())
    assert run.code == (exit_code if exit_code is not None else int(any_failed)), run.text
    # 2. no traceback; each failed file has exactly one error line naming the file, the reason, the line
    assert "Traceback" not in run.text
    assert "error: unexpected" not in run.text, run.text
    assert "internal error" not in run.text, run.text
    for path, exp in files.items():
        lines = [ln for ln in run.err.splitlines() if ln.startswith(f"FAILED {path.name}:")]
        if exp.outcome == "failed":
            assert len(lines) == 1, run.err
            if exp.message:
                assert exp.message in lines[0], lines[0]
            if exp.line is not None:
                assert f"line {exp.line}" in lines[0], lines[0]
        else:
            assert not lines, run.err
            assert any(ln.startswith(f"{path.name} (") for ln in run.err.splitlines()), run.err
    result = Checked(run, {})
    with _connection(paths, None) as con:
        # 3. a load-log row per file with outcome and counts; 4. read = accepted + rejected
        log = result.log = last_run_log(paths, con)
        assert set(log) == {*(p.name for p in files), comp.name}, log.keys()
        for row in log.values():
            assert row["rows_read"] == row["accepted"] + row["rejected"], row
            assert row["accepted"] == row["inserted"] + row["updated"] + row["unchanged"], row
            assert row["file_sha256"], row
            assert row["finished_at"] is not None, row
        for path, exp in files.items():
            row = log[path.name]
            assert row["outcome"] == exp.outcome, row
            if exp.outcome == "failed":
                assert row["message"], row
                assert "\n" not in row["message"], row
                assert (row["rows_read"], row["accepted"], row["rejected"]) == (0, 0, 0), row
            for name in ("read", "accepted", "rejected", "inserted", "updated", "unchanged", "flagged"):
                want = getattr(exp, name)
                if want is not None:
                    assert row["rows_read" if name == "read" else name] == want, (name, row)
            if exp.warning is not None:
                assert any(exp.warning in w for w in row["warnings"] or []), row["warnings"]
            rejects = result.rejects[path.name] = rejects_of(paths, row["load_id"], con)
            assert len(rejects) == row["rejected"], rejects
            assert all(r["file_name"] == path.name and r["line"] >= 1 and r["rule"] for r in rejects)
            if exp.rules is not None:
                assert {r["line"]: r["rule"] for r in rejects} == exp.rules, [
                    (r["line"], r["rule"]) for r in rejects
                ]
                assert len(rejects) == len(exp.rules), "one reject per rejected line"
        # the other file of the run still loaded
        assert (log[comp.name]["outcome"], log[comp.name]["inserted"]) == ("loaded", 1), log[comp.name]
        key_col = "audit_id" if comp_table == "coding_audits" else "coder_id"
        sql = f"select count(*) as n from {comp_table} where {key_col} = ?"
        assert query(paths, sql, [comp_key], con) == [{"n": 1}]
        # 5. the digest: every table as expected, the companion's table plus exactly its row
        after = result.after = digest(paths, con)
    for table in DIGEST_TABLES:
        if table == comp_table:
            assert after[table][0] == target[table][0] + 1, table
        else:
            assert after[table] == target[table], table
    for path in files:
        if result.rejects.get(path.name):
            _check_rejects_cli(capsys, paths, log[path.name]["load_id"], path.name, result.rejects[path.name])
    return result


def _check_rejects_cli(
    capsys: pytest.CaptureFixture[str],
    paths: WarehousePaths,
    load_id: int,
    file_name: str,
    rejects: list[dict],
) -> None:
    """``him rejects --load ID --format csv``: one record per reject naming file, line and rule."""
    run = run_cli(capsys, "rejects", "--load", str(load_id), "--format", "csv", "--warehouse", paths.pointer)
    assert run.code == 0, run.text
    assert "Traceback" not in run.text
    listed = list(csv.DictReader(io.StringIO(run.out)))
    assert len(listed) == len(rejects)
    for rec in listed:
        assert rec["file_name"] == file_name
        assert int(rec["line"]) >= 1
        assert rec["rule"] in {r["rule"] for r in rejects}
        if rec.get("raw_values"):
            json.loads(rec["raw_values"])  # the values as given, as a JSON object


def write_cases(
    directory: Path, family: str, cases: Sequence[tuple[dict[str, str], str | None]], name: str | None = None
) -> tuple[Path, Path, dict[int, str]]:
    """Write one row per case; returns the file, its canonical twin (only the rows that must load) and
    the expected rule per line (header = line 1). A case's rule is a reject rule, a flag kind (the
    row loads) or None (the row loads)."""
    from warehouse.contract import FLAG_KINDS

    name = name or f"{family}.csv"
    path = bad.write_csv(directory, name, [r for r, _ in cases], family=family)
    keep = [r for r, rule in cases if rule is None or rule in FLAG_KINDS]
    canonical = bad.write_csv(directory / "canonical", name, keep, family=family)
    rules = {i + 2: rule for i, (_, rule) in enumerate(cases) if rule is not None and rule not in FLAG_KINDS}
    return path, canonical, rules
