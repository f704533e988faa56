"""Helpers for the fault tests (X1-X10 of reliability-tests.md): extracts, `him load` runs, digests.

* :func:`write_extract` writes a small, valid extract of every family (hand-made CSVs, deterministic).
* :func:`him` / :func:`start_him` run the real CLI (``python -m warehouse.cli``) as a subprocess with
  ``HIM_SECRET_KEY`` set and, optionally, ``HIM_FAULT`` / ``HIM_BATCH_ROWS``; always bounded in time.
* :func:`digest` is the warehouse digest of the conventions: per table ``count(*)`` and an
  order-independent hash (``sum(hash(row))``) of the published generation, read directly with DuckDB
  (not through the reader under test).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import duckdb

from warehouse.db import SERVING_CONFIG
from warehouse.paths import WarehousePaths

REPO = Path(__file__).resolve().parents[2]
SECRET = "faultkit-test-secret-0123456789abcdef"
DATA_TABLES = ("encounters", "diagnoses", "procedures", "claims", "coding_activity", "coding_audits")
#: Columns that depend on load numbering, not on data: left out of cross-warehouse comparisons.
VOLATILE_COLUMNS = ("load_id",)
DEFAULT_TIMEOUT = 90.0

# ---------------------------------------------------------------- extracts

_FACILITIES = ("NORTH", "SOUTH", "EAST")
_DRGS = ("470", "291", "871", "193", "190", "392")
_DX = ("M1711", "I509", "E119", "J189", "N179", "I10")
_PAYERS = (("Medicare", "medicare"), ("Aetna", "commercial"), ("Medicaid", "medicaid"), ("Self", "self_pay"))


def write_extract(
    out: Path,
    *,
    encounters: int = 40,
    start: int = 1,
    charge_offset: int = 0,
    families: Iterable[str] | None = None,
) -> Path:
    """Write a valid extract of every family for encounters ``E<start>``..``E<start+encounters-1>``.

    Each encounter has 2 diagnoses, 1 procedure, 1 claim and 1 coding activity; every 4th one an audit.
    ``charge_offset`` changes ``total_charges`` so that a reload of the same ids updates rows.
    """
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(families or DATA_TABLES)
    rows: dict[str, list[str]] = {
        "encounters": [
            "encounter_id,patient_id,facility_id,patient_type,admit_date,discharge_date,birth_date,sex,"
            "zip_code,primary_payer,financial_class,discharge_disposition,ms_drg,total_charges"
        ],
        "diagnoses": ["encounter_id,seq,code,poa"],
        "procedures": ["encounter_id,seq,code,code_system,procedure_date"],
        "claims": ["claim_id,encounter_id,payer,submitted_date,billed_amount,status,paid_amount"],
        "coding_activity": ["coder_id,encounter_id,chart_type,activity,started_at,completed_at"],
        "coding_audits": ["audit_id,encounter_id,coder_id,audit_date,codes_reviewed,codes_changed"],
    }
    for i in range(start, start + encounters):
        eid = f"E{i:06d}"
        month = 1 + i % 6
        day = 1 + i % 20
        admit = f"2026-{month:02d}-{day:02d}"
        disch = f"2026-{month:02d}-{day + 3:02d}"
        payer, fclass = _PAYERS[i % len(_PAYERS)]
        charge = 1000 + 37 * i + charge_offset
        rows["encounters"].append(
            f"{eid},MRN{i:07d},{_FACILITIES[i % 3]},inpatient,{admit},{disch},"
            f"{1940 + i % 50}-03-{1 + i % 27:02d},{'FM'[i % 2]},0{2100 + i % 800},{payer},{fclass},01,"
            f"{_DRGS[i % len(_DRGS)]},{charge}.{i % 100:02d}"
        )
        for seq in (1, 2):
            rows["diagnoses"].append(f"{eid},{seq},{_DX[(i + seq) % len(_DX)]},Y")
        rows["procedures"].append(f"{eid},1,99213,CPT,{admit}")
        rows["claims"].append(f"C{i:06d},{eid},{payer},{disch},{charge}.00,paid,{charge // 2}.00")
        rows["coding_activity"].append(
            f"CODER{i % 5:02d},{eid},inpatient,code,{disch}T09:00:00,{disch}T09:{10 + i % 40:02d}:00"
        )
        if i % 4 == 0:
            rows["coding_audits"].append(f"A{i:06d},{eid},CODER{i % 5:02d},{disch},5,{i % 3}")
    for fam, lines in rows.items():
        if fam in wanted:
            (out / f"{fam}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


# ---------------------------------------------------------------- running him


def him_env(
    *, fault: str | None = None, batch_rows: int | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a ``him`` subprocess: the test secret, no inherited faults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIM_")}
    env["HIM_SECRET_KEY"] = SECRET
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if fault:
        env["HIM_FAULT"] = fault
    if batch_rows:
        env["HIM_BATCH_ROWS"] = str(batch_rows)
    env.update(extra or {})
    return env


def _cmd(args: Iterable[str | os.PathLike[str]]) -> list[str]:
    return [sys.executable, "-m", "warehouse.cli", *map(str, args)]


def him(
    *args: str | os.PathLike[str],
    fault: str | None = None,
    batch_rows: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``him ARGS`` to completion (bounded by ``timeout``)."""
    return subprocess.run(
        _cmd(args),
        cwd=REPO,
        env=him_env(fault=fault, batch_rows=batch_rows, extra=env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_him(
    *args: str | os.PathLike[str],
    fault: str | None = None,
    batch_rows: int | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start ``him ARGS`` without waiting (stdout/stderr piped)."""
    return subprocess.Popen(
        _cmd(args),
        cwd=REPO,
        env=him_env(fault=fault, batch_rows=batch_rows, extra=env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def load(
    pointer: Path, *inputs: Path, fault: str | None = None, batch_rows: int | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    """``him load INPUTS --warehouse POINTER``."""
    return him(
        "load",
        *inputs,
        "--warehouse",
        pointer,
        fault=fault,
        batch_rows=batch_rows,
        **kw,  # type: ignore[arg-type]
    )


def load_ok(pointer: Path, *inputs: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    """A load that must succeed (exit 0)."""
    proc = load(pointer, *inputs, **kw)  # type: ignore[arg-type]
    assert proc.returncode == 0, f"load failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@contextlib.contextmanager
def killing(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Make sure a started subprocess is gone when the block ends."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=10)


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate()`` until it is true, else fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# ---------------------------------------------------------------- inspecting a warehouse


def paths_of(pointer: Path) -> WarehousePaths:
    """The WarehousePaths of a pointer."""
    return WarehousePaths(Path(pointer).absolute())


def published(pointer: Path) -> Path | None:
    """The generation file the pointer resolves to (None when nothing is published)."""
    if not os.path.lexists(pointer):
        return None
    return Path(pointer).resolve()


def generation_files(pointer: Path) -> list[str]:
    """Names of every file in the generations directory, sorted."""
    d = paths_of(pointer).generations_dir
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def _connect(gen: Path) -> duckdb.DuckDBPyConnection:
    # The serving settings: a test process that also holds a WarehouseReader on the same file must
    # open it with the same configuration (DuckDB refuses two configurations of one file per process).
    return duckdb.connect(str(gen), read_only=True, config=dict(SERVING_CONFIG))


def digest(
    target: Path, *, tables: Iterable[str] | None = None, exclude: Iterable[str] = ()
) -> dict[str, tuple[int, int]]:
    """Per table (row count, order-independent hash of the rows) of a generation file or pointer."""
    gen = Path(target).resolve()
    skip = set(exclude)
    con = _connect(gen)
    try:
        names = (
            list(tables)
            if tables is not None
            else [
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
                    "order by table_name"
                ).fetchall()
            ]
        )
        out: dict[str, tuple[int, int]] = {}
        for name in names:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_name = ? "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
                if r[0] not in skip
            ]
            row_hash = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            n, h = con.execute(
                f'select count(*), coalesce(sum({row_hash}::hugeint), 0) from "{name}"'
            ).fetchone()  # type: ignore[misc]
            out[name] = (int(n), int(h))
        return out
    finally:
        con.close()


def data_digest(target: Path) -> dict[str, tuple[int, int]]:
    """Digest of the family tables without load numbering: comparable across warehouses."""
    return digest(target, tables=DATA_TABLES, exclude=VOLATILE_COLUMNS)


def counts(target: Path) -> dict[str, int]:
    """Row count per family table."""
    return {t: n for t, (n, _) in data_digest(target).items()}


def load_log(target: Path) -> list[dict[str, object]]:
    """The load_log rows of a generation (or the published one), oldest first."""
    con = _connect(Path(target).resolve())
    try:
        cur = con.execute("select * from load_log order by load_id")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def clone_warehouse(src_pointer: Path, dst_dir: Path) -> Path:
    """Copy a warehouse (pointer symlink, generations, journal) into ``dst_dir``; returns the new pointer."""
    src = paths_of(src_pointer)
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = paths_of(dst_dir / src.pointer.name)
    shutil.copytree(src.generations_dir, dst.generations_dir)
    if src.journal.exists():
        shutil.copy2(src.journal, dst.journal)
    dst.pointer.symlink_to(src.pointer.readlink())
    return dst.pointer


def base_warehouse(root: Path) -> Path:
    """A published warehouse of :func:`write_extract`'s 40 encounters, built once under ``root``.

    Tests clone it with :func:`clone_warehouse` instead of loading it again.
    """
    pointer = root / "faultkit-base" / "wh" / "him.duckdb"
    if not pointer.exists():
        extract = write_extract(root / "faultkit-base" / "extract", encounters=40)
        load_ok(pointer, extract)
    return pointer


def flip_bytes(path: Path, *, at: float = 0.5, count: int = 64) -> None:
    """Corrupt a file in place: invert ``count`` bytes from ``at`` (a fraction of its size)."""
    size = path.stat().st_size
    offset = int(size * at)
    with path.open("r+b") as fh:
        fh.seek(offset)
        data = fh.read(count)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in data))


def truncate_half(path: Path) -> None:
    """Cut a file to half its size (a torn copy, a disk error)."""
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def one_line_error(stderr: str) -> str:
    """The user-facing error line of a failed command; asserts there is no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines, "no error message"
    return lines[-1]


# ---------------------------------------------------------------- X4: a reader process under load

HAMMER_SQL = (
    "select (select count(*) from encounters), (select count(*) from diagnoses), "
    "(select count(*) from claims), (select count(*) from load_log)"
)


def start_hammer(pointer: Path, out: Path, stop: Path, *, threads: int = 2) -> subprocess.Popen[str]:
    """Start a process whose threads query the warehouse through one WarehouseReader until ``stop``.

    Every answer (or error) is appended to ``out`` as a JSON line ``[kind, time, value, thread]``.
    """
    return subprocess.Popen(
        [sys.executable, __file__, "hammer", str(pointer), str(out), str(stop), str(threads)],
        cwd=REPO,
        env=him_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_hammer(out: Path) -> list[tuple[str, float, object, int]]:
    """The answers a hammer process has written so far."""
    import json

    if not out.exists():
        return []
    lines = out.read_text(encoding="utf-8").splitlines()
    return [tuple(json.loads(ln)) for ln in lines if ln.endswith("]")]  # type: ignore[misc]


def _hammer(pointer: str, out: str, stop: str, threads: int, max_seconds: float = 120.0) -> None:
    import json
    import threading

    from warehouse.db import WarehouseReader

    reader = WarehouseReader(paths_of(Path(pointer)))
    write_lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    fh = Path(out).open("a", encoding="utf-8", buffering=1)

    def emit(kind: str, value: object, worker: int) -> None:
        with write_lock:
            fh.write(json.dumps([kind, time.time(), value, worker]) + "\n")

    def work(worker: int) -> None:
        while not Path(stop).exists() and time.monotonic() < deadline:
            try:
                cur = reader.cursor()
                try:
                    row = cur.execute(HAMMER_SQL).fetchone()
                finally:
                    cur.close()
                emit("ok", list(row) if row else None, worker)
            except Exception as exc:  # every error is a test failure: record it, keep going
                emit("error", f"{type(exc).__name__}: {exc}", worker)
            time.sleep(0.005)  # leave the loader some CPU on a 2-core machine

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    fh.close()


if __name__ == "__main__":
    if sys.argv[1] == "hammer":
        _hammer(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
