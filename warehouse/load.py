"""Load extract files into a new warehouse generation: read, normalise, validate, reject, upsert.

One call of :func:`run_load` is one *run*: it takes the load lock, builds a new generation from the
published one plus the given files, and publishes it atomically (see ``warehouse/generations.py``).
Inside the run every file is one transaction: a file loads whole or not at all, and a file that fails
does not stop the others. Each file gets a ``load_log`` row; ``read = accepted + rejected`` always.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import duckdb
import polars as pl

from warehouse import faults
from warehouse.contract import FAMILIES, REJECT_RULES, Family, families_in_load_order
from warehouse.errors import HimError
from warehouse.generations import (
    DiskFull,
    build_generation,
    interrupted_runs,
    journal_event,
    load_lock,
    sha256_file,
)
from warehouse.key_order import KeyOrder
from warehouse.mapping import Mapping, load_mapping
from warehouse.paths import WarehousePaths
from warehouse.phi import load_secret
from warehouse.pipeline import Prefetch
from warehouse.readers import CONTROL_HINT, LINE_COLUMN, FileFailed, StructuralReject, open_extract
from warehouse.sqlfiles import for_family, statement
from warehouse.validate import (
    RECORD_KEY,
    ReferenceSets,
    ValidatedBatch,
    ValidationContext,
    empty_rejects,
    patient_key,
    validate_batch,
)

log = logging.getLogger(__name__)

EXTRACT_SUFFIXES = (".csv", ".gz", ".parquet", ".tsv", ".txt")
#: Batches (and other stream items) read and validated ahead of the DuckDB writes.
READ_AHEAD_BATCHES = 2
#: Raw batches split ahead of the validation, in their own thread (0: split in the validating thread).
PARSE_AHEAD_BATCHES = 1
#: Load a file into an empty family table directly, staging only keys (see ``_load_direct``).
DIRECT_LOAD = True
DATA_TABLES = tuple(f.name for f in families_in_load_order())
META_TABLES = ("load_log", "rejects", "flags")


@dataclass
class FileResult:
    """What happened to one file (one ``load_log`` row)."""

    file_name: str
    path: Path
    family: str | None = None
    sha256: str | None = None
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    outcome: str = "failed"
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    load_id: int | None = None

    @property
    def failed(self) -> bool:
        """True when the file did not load at all."""
        return self.outcome == "failed"


@dataclass
class LoadReport:
    """The result of one run."""

    run_id: str
    results: list[FileResult]
    generation: Path | None = None

    @property
    def exit_code(self) -> int:
        """0 when every file loaded (rejected rows allowed), 1 when any file failed as a whole."""
        return 1 if any(r.failed for r in self.results) else 0


# ---------------------------------------------------------------- inputs


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the extract files (by suffix) inside named directories."""
    out: list[Path] = []
    for p in inputs:
        if p.is_dir():
            out.extend(
                sorted(
                    c
                    for c in p.iterdir()
                    if c.is_file()
                    and not c.name.startswith(".")
                    and c.name.lower().endswith(EXTRACT_SUFFIXES)
                )
            )
        else:
            out.append(p)
    return out


def family_from_name(file_name: str) -> str | None:
    """The family a file name says: its stem is the family, or starts with ``<family>_`` / ``-`` / ``.``.

    ``claims_2025-10.parquet`` → claims; ``coding_activity.csv.gz`` → coding_activity. The longest family
    name that matches wins, so ``coding_audits_q1.csv`` is ``coding_audits``.
    """
    name = file_name.lower()
    for fam in sorted(FAMILIES, key=len, reverse=True):
        if name == fam or (name.startswith(fam) and name[len(fam)] in "_-."):
            return fam
    return None


def family_from_header(header: list[str], mapping: Mapping) -> tuple[str | None, str]:
    """Guess the family from headers; returns (family or None, closest family and what it lacks)."""
    best, best_missing = None, None
    for fam in families_in_load_order():
        mapped = set(mapping.header_map(fam.name, header).values())
        missing = [c for c in fam.required_columns if c not in mapped]
        if best_missing is None or len(missing) < len(best_missing):
            best, best_missing = fam.name, missing
        if not missing:
            return fam.name, ""
    return None, f"closest family is {best} (missing {', '.join(best_missing or [])})"


# ---------------------------------------------------------------- reference


def reference_sets(paths: WarehousePaths) -> ReferenceSets:
    """Reference data for validation, including site-imported MS-DRG tables."""
    from warehouse import reference

    drg = reference.msdrg_table(paths.site_reference_dir)
    by_fy: dict[int, set[str]] = {}
    for fy, code in drg.select("fiscal_year", "drg").iter_rows():
        by_fy.setdefault(int(fy), set()).add(code)
    statuses = reference.discharge_statuses()
    return ReferenceSets(
        icd10cm=reference.icd10cm_codes(),
        carc=frozenset(reference.carc_categories().get_column("carc_code").to_list()),
        drg_by_fy={fy: frozenset(codes) for fy, codes in by_fy.items()},
        race_map=reference.omb_race_map(),
        discharge_status=frozenset(statuses.get_column(statuses.columns[0]).to_list()),
    )


#: The per-column compression clause of ``schema.sql`` (ZSTD for unique ids).
ZSTD_CLAUSE = " using compression zstd"


def schema_sql() -> str:
    """The warehouse DDL, for the DuckDB that runs it.

    DuckDB before 2.0 either refuses ``using compression zstd`` on text (1.1) or may write such a column
    uncompressed (1.2-1.x, older storage format): there the clause is left out and DuckDB chooses.
    """
    text = (files("warehouse") / "schema.sql").read_text(encoding="utf-8")
    if _duckdb_major() < 2:
        text = text.replace(ZSTD_CLAUSE, "")
    return text


def _duckdb_major() -> int:
    head = duckdb.__version__.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


# ---------------------------------------------------------------- the run


def run_load(
    paths: WarehousePaths,
    inputs: Iterable[Path],
    *,
    mapping_file: Path | None = None,
    load_date: dt.date | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> LoadReport:
    """Load files into a new generation and publish it.

    Args:
        paths: the warehouse.
        inputs: files and directories of extract files.
        mapping_file: optional YAML/TOML column and value mapping.
        load_date: "today" for the future-date rule (default: the real date).
        on_file: called with each file's result as soon as it is known.
        on_step: called with a line saying what the run does after the files (a 10M-encounter load
            spends ~30 s building the intermediate tables: the user sees why).

    Raises:
        LoadRefused: another load holds the lock.
        DiskFull: the disk filled up; nothing was published.
    """
    mapping = load_mapping(mapping_file)
    secret = load_secret()
    files_in = expand_inputs(inputs)
    run_id = uuid.uuid4().hex[:12]
    results: list[FileResult] = []
    with load_lock(paths):
        journal_event(paths, "start", run_id, files=[p.name for p in files_in])
        ref = reference_sets(paths)
        ordered = _order_files(files_in, mapping)
        # Files are read, hashed and validated in a thread, ahead of the DuckDB writes (from the start,
        # so the first file is read while the published generation is copied).
        ahead = _ReadAhead(ordered, mapping, secret, ref, load_date or dt.date.today())

        def work(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
            from warehouse import reference

            reference.load_reference(con, paths.site_reference_dir)
            _record_interrupted(con, paths, run_id)
            for index, (path, family, _) in enumerate(ordered):
                res = _load_one_file(con, path, family, ahead.file(index), run_id)
                results.append(res)
                if on_file:
                    on_file(res)
            ahead.close()
            if on_step:
                on_step("building the intermediate and month tables …")
            _build_rollups(con)
            con.execute(statement("load.sql", "set_info"), {"key": "last_run_id", "value": run_id})
            if on_step:
                on_step("writing, checking and publishing the new generation …")
            return {t: n for t, n in con.execute(counts_sql).fetchall()}

        counts_sql = statement("load.sql", "table_counts")
        try:
            built = build_generation(paths, work, schema_sql=schema_sql(), counts_sql=counts_sql)
        except BaseException as exc:
            journal_event(paths, "aborted", run_id, error=type(exc).__name__)
            raise
        finally:
            ahead.close()
        journal_event(paths, "end", run_id, generation=built.path.name)
    return LoadReport(run_id, results, built.path)


def _order_files(files_in: list[Path], mapping: Mapping) -> list[tuple[Path, str | None, str | None]]:
    """Decide each file's family (by name, mapping glob, then headers) and order parents first."""
    decided: list[tuple[Path, str | None, str | None]] = []
    for path in files_in:
        fam = mapping.family_for(path.name) or family_from_name(path.name)
        error = None
        if fam is None:
            try:
                opened = open_extract(path, encoding=mapping.encoding, batch_rows=1)
                fam, hint = family_from_header(opened.header, mapping)
                if fam is None:
                    error = (
                        f"unknown family: the file name and headers match no extract family; {hint}. "
                        "Name the file <family>.csv or <family>_<anything>.csv"
                    )
            except FileFailed as exc:
                error = str(exc)
            except OSError as exc:
                error = f"cannot read the file ({exc.strerror}); check the path and permissions"
        decided.append((path, fam, error))
    order = {f.name: f.load_order for f in families_in_load_order()}
    return sorted(decided, key=lambda t: (order.get(t[1] or "", 99), t[0].name))


def _record_interrupted(con: duckdb.DuckDBPyConnection, paths: WarehousePaths, run_id: str) -> None:
    for rec in interrupted_runs(paths):
        if rec["run_id"] == run_id:
            continue
        load_id = con.execute(statement("load.sql", "next_load_id")).fetchone()[0]  # type: ignore[index]
        at = dt.datetime.fromisoformat(str(rec["at"]))
        con.execute(
            statement("load.sql", "insert_load_log"),
            _log_params(
                FileResult(
                    file_name="(run)",
                    path=Path("(run)"),
                    outcome="interrupted",
                    message=(
                        f"load run {rec['run_id']} (pid {rec['pid']}) was interrupted before it published; "
                        "nothing from it was served. Its files: "
                        + ", ".join(map(str, rec.get("files") or []))  # type: ignore[call-overload]
                    ),
                ),
                load_id,
                str(rec["run_id"]),
                at,
                at,
            ),
        )
        journal_event(paths, "interrupted_recorded", str(rec["run_id"]))


def _build_rollups(con: duckdb.DuckDBPyConnection) -> None:
    try:
        from warehouse import rollups
    except ImportError:  # the KPI layer's rollups are optional to the loader
        return
    rollups.build(con)


def _log_params(
    res: FileResult, load_id: int, run_id: str, started: dt.datetime, finished: dt.datetime
) -> dict[str, object]:
    return {
        "load_id": load_id,
        "run_id": run_id,
        "file_name": res.file_name,
        "file_path": str(res.path),
        "file_sha256": res.sha256,
        "family": res.family,
        "rows_read": res.rows_read,
        "accepted": res.accepted,
        "rejected": res.rejected,
        "inserted": res.inserted,
        "updated": res.updated,
        "unchanged": res.unchanged,
        "flagged": res.flagged,
        "started_at": started,
        "finished_at": finished,
        "outcome": res.outcome,
        "message": res.message,
        "warnings": res.warnings,
    }


def _load_one_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    family: str | None,
    items: _FileItems,
    run_id: str,
) -> FileResult:
    try:
        return _load_one_file_from(con, path, family, items, run_id)
    finally:
        items.finish()


def _load_one_file_from(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    family: str | None,
    items: _FileItems,
    run_id: str,
) -> FileResult:
    res = FileResult(file_name=path.name, path=path.absolute(), family=family)
    started = dt.datetime.now()
    load_id = int(con.execute(statement("load.sql", "next_load_id")).fetchone()[0])  # type: ignore[index]
    res.load_id = load_id
    prepared = items.prepared()
    res.sha256 = prepared.sha256
    early_error = prepared.early_error
    if early_error or family is None:
        res.message = early_error or "unknown family"
    else:
        con.execute("begin transaction")
        try:
            _load_file_body(con, path, FAMILIES[family], items, load_id, res, items.reread)
            con.execute(
                statement("load.sql", "insert_load_log"),
                _log_params(res, load_id, run_id, started, dt.datetime.now()),
            )
            con.execute("commit")
            return res
        except BaseException as exc:
            try:
                con.execute("rollback")
            except duckdb.Error:  # the failed statement was the commit: nothing is left to roll back
                pass
            _reset_counts(res)
            if isinstance(exc, FileFailed | HimError):
                res.message = str(exc)
            elif isinstance(exc, duckdb.Error | OSError) and _disk_full(exc):
                raise DiskFull(
                    f"disk full while loading {path.name}; nothing was published and the served data is "
                    "unchanged. Free space, then run the load again."
                ) from exc
            elif isinstance(exc, MemoryError | duckdb.OutOfMemoryException):
                res.message = (
                    f"out of memory while loading {path.name}; the file was rolled back. Free memory or "
                    "raise the process's memory limit, or split the file, then load it again"
                )
            elif isinstance(exc, Exception):
                # Never echo the exception text: it may carry row values (PHI).
                log.debug("loading %s failed", path.name, exc_info=bool(os.environ.get("HIM_DEBUG")))
                res.message = (
                    f"internal error while loading ({type(exc).__name__}); the file was rolled back. "
                    "Rerun with --debug for details"
                )
            else:
                raise
    res.outcome = "failed"
    con.execute(
        statement("load.sql", "insert_load_log"),
        _log_params(res, load_id, run_id, started, dt.datetime.now()),
    )
    return res


def _batch_rows() -> int:
    """Records per batch: ``$HIM_BATCH_ROWS`` (fault tests use small batches), else the default."""
    from warehouse.readers import DEFAULT_BATCH_ROWS

    value = os.environ.get("HIM_BATCH_ROWS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_BATCH_ROWS


def _disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == 28) or "no space left" in str(exc).lower()


def _reset_counts(res: FileResult) -> None:
    for name in ("rows_read", "accepted", "rejected", "inserted", "updated", "unchanged", "flagged"):
        setattr(res, name, 0)
    res.outcome = "failed"


def _load_file_body(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fam: Family,
    items: _FileItems,
    load_id: int,
    res: FileResult,
    reread: Callable[[], _FileItems],
) -> None:
    res.warnings.extend(items.header().warnings)
    params = {"load_id": load_id, "family": fam.name, "file_name": path.name}
    con.execute(statement("load.sql", "create_stage_flags"))
    direct = DIRECT_LOAD and not _count(con, for_family("load.sql", "family_has_rows", fam.name))
    if direct and not _load_direct(con, fam, items, params, res):
        # A natural key repeats within the file: undo the direct load (still inside the file's
        # transaction) and load the file again through the full stage, which sorts the copies out.
        con.execute(for_family("load.sql", "undo_direct", fam.name), {"load_id": load_id})
        con.execute(statement("load.sql", "undo_direct_rejects"), {"load_id": load_id})
        con.execute(statement("load.sql", "create_stage_flags"))
        first_sha256 = res.sha256
        _reset_counts(res)
        again = reread()
        try:
            if again.prepared().sha256 != first_sha256:
                raise FileFailed(
                    "the file changed while it was being loaded; load it again once it is complete"
                )
            again.header()
            _load_staged(con, fam, again, params, res)
        finally:
            again.finish()
    elif not direct:
        _load_staged(con, fam, items, params, res)

    fparams = {"load_id": load_id, "family": fam.name}
    res.flagged = _count(con, statement("load.sql", "count_flagged"))
    con.execute(statement("load.sql", "resolve_flags"), fparams)
    con.execute(statement("load.sql", "refresh_flags"), fparams)
    con.execute(statement("load.sql", "insert_flags"), fparams)
    con.execute(statement("load.sql", "drop_stage"))

    assert res.accepted + res.rejected == res.rows_read, "every row must end in one place"
    res.outcome = "loaded_with_rejects" if res.rejected else "loaded"


def _stage_key_columns(fam: Family) -> list[str]:
    """What the stage of a direct load keeps of each row besides its line and record key."""
    extra = ["encounter_id"] if fam.parent and "encounter_id" not in fam.key else []
    return [*fam.key, *extra]


def _load_direct(
    con: duckdb.DuckDBPyConnection,
    fam: Family,
    items: _FileItems,
    params: dict[str, object],
    res: FileResult,
) -> bool:
    """Load a file into its empty family table without staging whole rows; False if a key repeats.

    The table holds nothing but this file's rows, so no row is an update and none is unchanged, and
    the rows need not be staged for change detection: they are inserted into the table as they come,
    which spares writing them twice. Orphans are rejected and deleted afterwards, as from the stage.
    A natural key found twice returns False (the caller undoes this load and stages the file).
    """
    columns = _stage_key_columns(fam)
    con.execute(statement("load.sql", "create_stage_keys").format(table=fam.name, columns=", ".join(columns)))
    for read, vb, rejects in items.batches():
        res.rows_read += read
        res.accepted += vb.accepted.height
        res.rejected += rejects.height
        _insert(con, "_batch", vb.accepted, "insert_direct", {"load_id": params["load_id"]}, fam.name)
        _insert(con, "_batch", vb.accepted.select(*columns, LINE_COLUMN, RECORD_KEY), "insert_stage")
        _insert(con, "_batch_flags", vb.flags, "insert_stage_flags")
        _insert(con, "_batch_rejects", rejects, "insert_rejects", params)
        faults.maybe("batch")
    if not items.keys_ascending and _count(con, statement("load.sql", "count_repeated_keys")):
        return False
    if fam.parent:
        orphans = _count(con, statement("load.sql", "count_orphans"))
        if orphans:
            con.execute(
                for_family("load.sql", "reject_orphans_direct", fam.name),
                {**params, "message": "encounter_id: " + REJECT_RULES["unknown_encounter"]},
            )
            con.execute(
                for_family("load.sql", "delete_orphans_direct", fam.name), {"load_id": params["load_id"]}
            )
            con.execute(statement("load.sql", "delete_orphans"))
            res.accepted -= orphans
            res.rejected += orphans
    res.inserted, res.updated, res.unchanged = res.accepted, 0, 0
    return True


def _load_staged(
    con: duckdb.DuckDBPyConnection,
    fam: Family,
    items: _FileItems,
    params: dict[str, object],
    res: FileResult,
) -> None:
    """Stage a file's rows, sort out repeated keys and orphans, then insert or update what changed."""
    load_id = params["load_id"]
    con.execute(for_family("load.sql", "create_stage", fam.name))
    for read, vb, rejects in items.batches():
        res.rows_read += read
        res.accepted += vb.accepted.height
        res.rejected += rejects.height
        _insert(con, "_batch", vb.accepted, "insert_stage")
        _insert(con, "_batch_flags", vb.flags, "insert_stage_flags")
        _insert(con, "_batch_rejects", rejects, "insert_rejects", params)
        faults.maybe("batch")

    # Duplicates of a natural key within the file (rare): conflicting copies are all rejected, identical
    # copies after the first line count as unchanged. One group-by decides whether there are any, unless
    # the file came in strictly ascending key order (then none repeats).
    identical_copies = 0
    if not items.keys_ascending and _count(con, statement("load.sql", "count_repeated_keys")):
        con.execute(statement("load.sql", "conflicting_keys"))
        dup_params = {
            **params,
            "key_column": ",".join(fam.key),
            "message": f"{'+'.join(fam.key)}: " + REJECT_RULES["duplicate_key"],
        }
        moved = _count(con, statement("load.sql", "count_conflicting"))
        if moved:
            con.execute(statement("load.sql", "reject_conflicting"), dup_params)
            con.execute(statement("load.sql", "delete_conflicting"))
            res.accepted -= moved
            res.rejected += moved
        before = _count(con, statement("load.sql", "count_stage"))
        con.execute(statement("load.sql", "drop_identical_duplicates"))
        identical_copies = before - _count(con, statement("load.sql", "count_stage"))

    if fam.parent:
        orphans = _count(con, statement("load.sql", "count_orphans"))
        if orphans:
            con.execute(
                statement("load.sql", "reject_orphans"),
                {**params, "message": "encounter_id: " + REJECT_RULES["unknown_encounter"]},
            )
            con.execute(statement("load.sql", "delete_orphans"))
            res.accepted -= orphans
            res.rejected += orphans

    staged = _count(con, statement("load.sql", "count_stage"))
    if not _count(con, for_family("load.sql", "count_overlap", fam.name)):
        # Every key of the file is new to the warehouse (new data): insert the stage as it is. Change
        # detection below gives the same result, comparing every row for nothing.
        con.execute(for_family("load.sql", "insert_staged", fam.name), {"load_id": load_id})
        res.inserted, res.updated, res.unchanged = staged, 0, identical_copies
    else:
        con.execute(for_family("load.sql", "changed_rows", fam.name))
        changed = _count(con, statement("load.sql", "count_changed"))
        res.updated = _count(con, for_family("load.sql", "count_updates", fam.name))
        res.inserted = changed - res.updated
        res.unchanged = staged - changed + identical_copies
        if res.updated:
            con.execute(for_family("load.sql", "delete_updated", fam.name))
        con.execute(for_family("load.sql", "insert_changed", fam.name), {"load_id": load_id})


# ---------------------------------------------------------------- read-ahead (reading and validation)


@dataclass(frozen=True)
class _Prepared:
    """A file's SHA-256, or why it cannot be loaded before it is even opened."""

    sha256: str | None
    early_error: str | None


@dataclass(frozen=True)
class _Header:
    """The file's header was accepted; what the load log should warn about."""

    warnings: list[str]


@dataclass(frozen=True)
class _Checked:
    """One batch read and validated: records read, the validation's result, every reject."""

    read: int
    validated: ValidatedBatch
    rejects: pl.DataFrame
    #: the file's accepted rows so far came in strictly ascending key order (:class:`KeyOrder`)
    keys_ascending: bool


#: Items of the read-ahead stream beyond the batches: (file index, item); ``_FILE_END`` closes a file.
_FILE_END = object()


def _file_items(
    path: Path,
    family: str | None,
    early_error: str | None,
    mapping: Mapping,
    secret: bytes,
    ref: ReferenceSets,
    load_date: dt.date,
) -> Iterator[object]:
    """A file's stream: :class:`_Prepared`, then (if it is loadable) :class:`_Header` and its batches.

    Runs in the read-ahead thread. A file that cannot be read raises :class:`FileFailed` (or whatever
    went wrong), which the loading thread receives at the same point of the stream.
    """
    sha256 = None
    try:
        sha256 = sha256_file(path)
    except OSError as exc:
        early_error = early_error or f"cannot read the file ({exc.strerror}); check the path and permissions"
    yield _Prepared(sha256, early_error)
    if early_error or family is None:
        return
    fam = FAMILIES[family]
    opened = open_extract(path, encoding=mapping.encoding, batch_rows=_batch_rows())
    header_map = mapping.header_map(fam.name, opened.header)
    if not header_map:  # e.g. an export without its header line: never echo that line (it is data)
        raise FileFailed(
            f"the header names no column of family {fam.name}: is the header row missing? "
            "Export the file with its header row, or map the site's column names in a mapping file"
        )
    missing = [c for c in fam.required_columns if c not in header_map.values()]
    if missing:
        raise FileFailed(
            f"required column {missing[0]!r} is missing for family {fam.name}"
            + (f" (also {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + "; add it, or map the site's column name in a mapping file"
        )
    seen: dict[str, str] = {}
    for source, target in header_map.items():
        if target in seen:
            raise FileFailed(f"columns {seen[target]!r} and {source!r} both map to {target!r}; keep one")
        seen[target] = source
    if len(set(opened.header)) != len(opened.header):
        dup = sorted({h for h in opened.header if opened.header.count(h) > 1})
        raise FileFailed(f"column {dup[0]!r} appears more than once in the header; keep one")
    extras = [h for h in opened.header if h not in header_map]
    yield _Header([f"columns not in the contract were ignored: {', '.join(extras)}"] if extras else [])
    ctx = ValidationContext(fam, secret, ref, load_date, value_maps=mapping.values)
    order = KeyOrder(fam.key)  # checked here, off the loading thread
    # The file is split into batches in a thread of its own, one batch ahead of the validation: the
    # splitting is mostly single-threaded, so it fills the core that validation leaves idle.
    raw_batches = (
        Prefetch(lambda: opened.batches, depth=PARSE_AHEAD_BATCHES, name="him-parse")
        if PARSE_AHEAD_BATCHES
        else None
    )
    try:
        for batch in raw_batches or opened.batches:
            raw = batch.frame.rename({s: t for s, t in header_map.items()}).select(
                [t for t in header_map.values()]
                + [c for c in (LINE_COLUMN, CONTROL_HINT) if c in batch.frame.columns]
            )
            vb = validate_batch(raw, ctx)
            rejects = pl.concat(
                [vb.rejects, _structural_rejects(batch.rejects, header_map, secret)], how="vertical_relaxed"
            )
            order.add(vb.accepted)
            yield _Checked(batch.frame.height + len(batch.rejects), vb, rejects, order.proves_unique)
    finally:
        if raw_batches is not None:
            raw_batches.close()


class _ReadAhead:
    """Every file of a run read and validated in order, in one thread, a few batches ahead."""

    def __init__(
        self,
        ordered: list[tuple[Path, str | None, str | None]],
        mapping: Mapping,
        secret: bytes,
        ref: ReferenceSets,
        load_date: dt.date,
    ) -> None:
        self._cancelled: set[int] = set()

        def items_of(index: int) -> Iterator[object]:
            path, family, early_error = ordered[index]
            return _file_items(path, family, early_error, mapping, secret, ref, load_date)

        self._items_of = items_of

        def produce() -> Iterator[tuple[int, object]]:
            for index in range(len(ordered)):
                try:
                    for item in items_of(index):
                        if index in self._cancelled:
                            break
                        yield index, item
                except Exception as exc:
                    yield index, _Raised(exc)
                yield index, _FILE_END

        self._stream = Prefetch(produce, depth=READ_AHEAD_BATCHES, name="him-read-ahead")

    def file(self, index: int) -> _FileItems:
        """The stream of the ``index``-th file (files are taken in order)."""

        def take() -> object:
            try:
                got, item = next(self._stream)
            except StopIteration:  # closed, or its thread failed: never read as the end of the file
                raise _StreamEnded("the read-ahead stream ended before the file did") from None
            assert got == index, f"read-ahead out of step: file {got} while loading file {index}"
            return item

        return _FileItems(take, lambda: self._cancel(index), lambda: self._again(index))

    def _again(self, index: int) -> _FileItems:
        """The ``index``-th file read once more, in the calling thread (a direct load that fell back)."""
        items = self._items_of(index)

        def take() -> object:
            try:
                return next(items)
            except StopIteration:
                return _FILE_END
            except Exception as exc:
                return _Raised(exc)

        return _FileItems(take, items.close, lambda: self._again(index))

    def _cancel(self, index: int) -> None:
        self._cancelled.add(index)

    def close(self) -> None:
        """Stop reading ahead (idempotent)."""
        self._stream.close()


class _StreamEnded(RuntimeError):
    """The read-ahead stream stopped part-way through a file (the file fails and is rolled back)."""


@dataclass(frozen=True)
class _Raised:
    """An exception of the read-ahead thread for one file, raised in the loading thread."""

    exc: Exception


class _FileItems:
    """The loading thread's view of one file's stream."""

    def __init__(
        self, take: Callable[[], object], cancel: Callable[[], object], again: Callable[[], _FileItems]
    ) -> None:
        self._next = take
        self._cancel = cancel
        self.reread = again
        self._ended = False
        #: after :meth:`batches`: every accepted row came in strictly ascending key order, so no
        #: natural key repeats in the file (:class:`KeyOrder`)
        self.keys_ascending = False

    def _take(self) -> object:
        if self._ended:
            raise RuntimeError("the file's stream has ended")
        item = self._next()
        if item is _FILE_END:
            self._ended = True
        elif isinstance(item, _Raised):
            raise item.exc
        return item

    def prepared(self) -> _Prepared:
        item = self._take()
        assert isinstance(item, _Prepared)
        return item

    def header(self) -> _Header:
        item = self._take()
        assert isinstance(item, _Header)
        return item

    def batches(self) -> Iterator[tuple[int, ValidatedBatch, pl.DataFrame]]:
        while (item := self._take()) is not _FILE_END:
            assert isinstance(item, _Checked)
            self.keys_ascending = item.keys_ascending
            yield item.read, item.validated, item.rejects

    def finish(self) -> None:
        """Skip what is left of the file (all of it, unless the file failed part-way)."""
        if self._ended:
            return
        self._cancel()
        while not self._ended:
            try:
                self._take()
            except _StreamEnded:
                self._ended = True
            except Exception:
                continue


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


#: The names load.sql gives the batch being inserted (see :func:`_insert`).
_BATCH_NAMES = ("_batch", "_batch_flags", "_batch_rejects")


def _insert(
    con: duckdb.DuckDBPyConnection,
    name: str,
    frame: pl.DataFrame,
    stmt: str,
    params: dict[str, object] | None = None,
    family: str | None = None,
) -> None:
    if frame.is_empty():
        return
    if name not in _BATCH_NAMES:
        raise ValueError(f"unknown batch relation {name!r}")
    sql = for_family("load.sql", stmt, family) if family else statement("load.sql", stmt)
    # DuckDB finds the frame through a replacement scan of this function's local of that name. Not
    # con.register: a registered view, even unregistered, keeps its frame alive until the file's
    # transaction commits, so memory would grow with the file (6.8 GB at 10M encounters).
    _batch = _batch_flags = _batch_rejects = frame
    con.execute(sql, params or {})


def _structural_rejects(
    rejects: list[StructuralReject], header_map: dict[str, str], secret: bytes
) -> pl.DataFrame:
    if not rejects:
        return empty_rejects()
    rows = []
    for r in rejects:
        values = None
        if r.fields is not None:
            shown: dict[str, str | None] = {}
            for source, value in r.fields.items():
                col = header_map.get(source)
                if col is None:
                    continue
                value = value.strip()
                if col == "patient_id":
                    shown[col] = "hmac:" + patient_key(secret, value) if value else None
                elif col == "birth_date":
                    shown[col] = "(not stored)" if value else None
                elif col == "zip_code":
                    digits = "".join(ch for ch in value if ch.isdigit())
                    shown[col] = (
                        f"zip3:{digits.zfill(5)[:3]}" if len(digits) in (4, 5, 8, 9) else "(not stored)"
                    )
                else:
                    shown[col] = value
            values = json.dumps(shown)
        rows.append(
            {
                "line": r.line,
                "record_key": None,
                "column_name": None,
                "rule": r.rule,
                "other_rules": [],
                "raw_values": values,
                "message": r.message,
            }
        )
    return pl.DataFrame(rows, schema=empty_rejects().schema)
