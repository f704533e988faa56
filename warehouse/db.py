"""Read-only connections to the published warehouse generation.

One :class:`WarehouseReader` per process, opened lazily. Every call takes a fresh cursor, so threads
never share one. Before each cursor the pointer is read (one ``readlink``); when a load has published a
new generation the reader checks it, opens it and drops the old connection, so the dashboard sees new
data without a restart, and a query never mixes two generations (a cursor stays on the generation it
was taken from).

Before a generation is served it is checked (X7, X8 of the reliability tests): it must exist, have no
write-ahead log beside it, match the size and (by default) the SHA-256 written in its manifest when it
was published, and open. A generation that fails is refused with :class:`WarehouseUnavailable`; the
reader never falls back silently to older data. See docs/warehouse.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from pathlib import Path

import duckdb

from warehouse.errors import HimError
from warehouse.paths import WarehousePaths, resolve_warehouse

#: Settings of every serving connection: read-only, no file or network access beyond the database
#: file itself, and locked so that SQL cannot switch them back on.
SERVING_CONFIG: dict[str, str | bool] = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}

#: Memory one serving connection (one per worker process and generation) may use before large
#: sorts, joins and aggregations spill to its temporary directory: ``$HIM_SERVE_MEMORY`` (a DuckDB
#: size such as 1GB, 512MB, 2GiB). Exports of millions of rows then stay within it.
SERVE_MEMORY_DEFAULT = "1GB"
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)

#: How much a reader checks a generation before serving it: ``sha256`` (default: size and SHA-256
#: against the manifest, once per generation per process) or ``size`` (size only, for very large
#: warehouses where hashing on every publish is too slow). Set with ``$HIM_READER_VERIFY``.
VERIFY_MODES = ("sha256", "size")

CORRUPT_HELP = "see 'A refused generation' in docs/warehouse.md; `him status --verify` shows the check"


class WarehouseUnavailable(HimError, RuntimeError):
    """The warehouse cannot be served: no generation yet, or the published one failed its checks."""


def published_generation(paths: WarehousePaths) -> Path | None:
    """Return the generation file the pointer names, or None when nothing is published yet."""
    try:
        target = paths.pointer.readlink()
    except FileNotFoundError:
        return None
    except OSError as exc:  # the pointer exists but is not a link: a plain DuckDB file
        if paths.pointer.is_file():
            return paths.pointer
        raise WarehouseUnavailable(f"warehouse pointer {paths.pointer} is unreadable: {exc}") from exc
    return (paths.pointer.parent / target).resolve()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def manifest_path(gen: Path) -> Path:
    """The manifest beside a generation: ``<gen>.manifest`` holding ``<size> <sha256>``."""
    return gen.with_name(gen.name + ".manifest")


def wal_path(gen: Path) -> Path:
    """The write-ahead log DuckDB would keep beside a database file."""
    return gen.with_name(gen.name + ".wal")


def read_manifest(gen: Path) -> tuple[int, str] | None:
    """(size, SHA-256) recorded when ``gen`` was published; None when it has no manifest.

    Raises:
        WarehouseUnavailable: the manifest exists but cannot be read or parsed.
    """
    manifest = manifest_path(gen)
    try:
        text = manifest.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise WarehouseUnavailable(
            f"the manifest of {gen.name} cannot be read ({exc}); {CORRUPT_HELP}"
        ) from exc
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
        raise WarehouseUnavailable(f"the manifest of {gen.name} is damaged; {CORRUPT_HELP}")
    return int(parts[0]), parts[1].lower()


def check_generation_file(gen: Path, *, deep: bool = False) -> None:
    """Integrity checks before a generation is opened for serving or copied by a load (X7, X8).

    Args:
        gen: the generation file.
        deep: also compare the file's SHA-256 with the manifest (reads the whole file).

    Raises:
        WarehouseUnavailable: the file is missing, has a WAL beside it (published generations never
            do), or its size (or SHA-256) differs from the manifest written when it was published.
    """
    if not gen.exists():
        raise WarehouseUnavailable(f"the published generation {gen.name} is missing; {CORRUPT_HELP}")
    wal = wal_path(gen)
    if wal.exists():
        raise WarehouseUnavailable(
            f"generation {gen.name} has a write-ahead log beside it ({wal.name}); published generations "
            f"never do, so it is treated as corrupt and refused (the WAL was left in place); {CORRUPT_HELP}"
        )
    recorded = read_manifest(gen)
    if recorded is None:
        return
    size, digest = recorded
    actual = gen.stat().st_size
    if actual != size:
        raise WarehouseUnavailable(
            f"generation {gen.name} is {actual} bytes but was published at {size}; it is corrupt (truncated "
            f"or overwritten) and refused; {CORRUPT_HELP}"
        )
    if deep and sha256_file(gen) != digest:
        raise WarehouseUnavailable(
            f"generation {gen.name} does not match the SHA-256 recorded when it was published; it is "
            f"corrupt and refused; {CORRUPT_HELP}"
        )


def serve_memory_limit() -> str:
    """The serving connections' memory limit: ``$HIM_SERVE_MEMORY`` or 1GB.

    Raises:
        WarehouseUnavailable: the value is not a size DuckDB reads (e.g. 1GB, 512MB, 2GiB).
    """
    value = os.environ.get("HIM_SERVE_MEMORY", "").strip() or SERVE_MEMORY_DEFAULT
    if not _SIZE.match(value):
        raise WarehouseUnavailable(f"HIM_SERVE_MEMORY={value!r} is not a size; use e.g. 1GB, 512MB or 2GiB")
    return value


def _spill_prefix(gen: Path) -> Path:
    """``<pointer>.spill-`` beside the pointer (from the generation file alone), or beside a plain file."""
    if gen.parent.name.endswith(".generations"):
        return gen.parent.with_name(gen.parent.name.removesuffix(".generations") + ".spill-")
    return gen.with_name(gen.name + ".spill-")


def spill_directory(gen: Path) -> Path:
    """Where one process's serving connection to ``gen`` spills: ``<pointer>.spill-<pid>-<generation>``.

    In the warehouse directory, made by DuckDB only when a query spills and removed when the connection
    closes. One per process and generation: DuckDB names its temporary files alike in every database,
    so two worker processes, or the old and the new generation's connections of one process, must
    never share one. Derived from the generation file alone, so that every serving connection of a
    process to one file has the same settings (DuckDB refuses a second one with different settings).
    """
    prefix = _spill_prefix(gen)
    return prefix.with_name(f"{prefix.name}{os.getpid()}-{gen.name}")


def remove_stale_spill(gen: Path) -> None:
    """Remove the spill directories of processes that are gone (a killed worker leaves its files)."""
    prefix = _spill_prefix(gen)
    try:
        children = list(prefix.parent.glob(prefix.name + "*"))
    except OSError:
        return
    for child in children:
        pid = child.name.removeprefix(prefix.name).split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or not child.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(child, ignore_errors=True)
        except OSError:  # alive, owned by someone else
            continue


def serving_config(gen: Path) -> dict[str, str | bool]:
    """The settings of a serving connection to ``gen``.

    :data:`SERVING_CONFIG`, the memory limit and the directory it spills to (:func:`spill_directory`),
    all set when connecting: ``lock_configuration`` forbids changing them afterwards.
    """
    return {
        **SERVING_CONFIG,
        "memory_limit": serve_memory_limit(),
        "temp_directory": str(spill_directory(gen)),
    }


def connect_read_only(gen: Path, *, deep: bool = False) -> duckdb.DuckDBPyConnection:
    """Check one generation file, then open it read-only with :func:`serving_config`'s settings."""
    config = serving_config(gen)
    check_generation_file(gen, deep=deep)
    try:
        con = duckdb.connect(str(gen), read_only=True, config=config)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(
            f"generation {gen.name} cannot be opened ({type(exc).__name__}); it is corrupt or from another "
            f"DuckDB version and is refused; {CORRUPT_HELP}"
        ) from exc
    try:
        con.execute("select count(*) from load_log").fetchone()
    except duckdb.Error as exc:
        con.close()
        raise WarehouseUnavailable(
            f"generation {gen.name} cannot be read ({type(exc).__name__}); it is corrupt or from another "
            f"DuckDB version and is refused; {CORRUPT_HELP}"
        ) from exc
    return con


def reader_verify_mode() -> str:
    """The reader's check before serving a generation: ``$HIM_READER_VERIFY`` (sha256 | size)."""
    mode = os.environ.get("HIM_READER_VERIFY", "sha256").strip().lower() or "sha256"
    if mode not in VERIFY_MODES:
        raise WarehouseUnavailable(f"HIM_READER_VERIFY={mode!r} is not one of {', '.join(VERIFY_MODES)}")
    return mode


def _identity(gen: Path) -> tuple[int, int, int, int] | None:
    try:
        st = gen.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class WarehouseReader:
    """A process-wide lazy read-only connection that follows the pointer to the newest generation."""

    def __init__(self, paths: WarehousePaths | None = None, *, verify: str | None = None) -> None:
        self.paths = paths or resolve_warehouse()
        self.verify = verify or reader_verify_mode()
        if self.verify not in VERIFY_MODES:
            raise ValueError(f"verify must be one of {VERIFY_MODES}")
        self._lock = threading.Lock()
        self._gen: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        # The last generation refused, with its file identity: a corrupt file is not re-hashed on
        # every request, only when it changes.
        self._refused: tuple[Path, tuple[int, int, int, int] | None, WarehouseUnavailable] | None = None

    @property
    def generation(self) -> Path | None:
        """The generation file currently open (None before the first cursor)."""
        return self._gen

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new cursor on the published generation, reopening if the pointer moved.

        Raises:
            WarehouseUnavailable: nothing is published, or the published generation failed its checks.
        """
        return self.cursor_and_generation()[0]

    def cursor_and_generation(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        """Return a new cursor (as :meth:`cursor`) and the generation file it reads.

        Raises:
            WarehouseUnavailable: nothing is published, or the published generation failed its checks.
        """
        for _attempt in range(3):
            gen = published_generation(self.paths)
            if gen is None:
                raise WarehouseUnavailable(
                    f"no warehouse at {self.paths.pointer}: run `him load PATH` or `him up` first"
                )
            with self._lock:
                if self._con is not None and gen == self._gen:
                    return self._con.cursor(), gen
                try:
                    con = self._open(gen)
                except WarehouseUnavailable:
                    if published_generation(self.paths) != gen:
                        continue  # a load switched the pointer while we checked: follow it
                    raise
                # The old connection is dropped, not closed: cursors handed out keep their generation
                # until they are released.
                self._con, self._gen = con, gen
                return con.cursor(), gen
        raise WarehouseUnavailable(f"the warehouse pointer {self.paths.pointer} keeps changing; try again")

    def _open(self, gen: Path) -> duckdb.DuckDBPyConnection:
        ident = _identity(gen)
        if self._refused is not None and self._refused[0] == gen and self._refused[1] == ident:
            raise WarehouseUnavailable(str(self._refused[2]))
        remove_stale_spill(gen)
        try:
            con = connect_read_only(gen, deep=self.verify == "sha256")
        except WarehouseUnavailable as exc:
            self._refused = (gen, ident, exc)
            raise
        self._refused = None
        return con

    def close(self) -> None:
        """Close the connection (cursors already handed out keep working until dropped)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._gen = None, None


_readers: dict[Path, WarehouseReader] = {}
_readers_lock = threading.Lock()


def reader(paths: WarehousePaths | None = None) -> WarehouseReader:
    """Return this process's reader for a warehouse (one per pointer path)."""
    paths = paths or resolve_warehouse()
    with _readers_lock:
        if paths.pointer not in _readers:
            _readers[paths.pointer] = WarehouseReader(paths)
        return _readers[paths.pointer]
