"""Read-only connections to the published warehouse generation.

One :class:`WarehouseReader` per process, opened lazily. Every call takes a fresh cursor, so threads
never share one. Before each cursor the pointer is read (one ``readlink``); when a load has published a
new generation the reader opens it and drops the old connection, so the dashboard sees new data without
a restart, and a query never mixes two generations.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

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


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be served: no generation yet, or the published one failed its checks."""


def published_generation(paths: WarehousePaths) -> Path | None:
    """Return the generation file the pointer names, or None when nothing is published yet."""
    try:
        target = os.readlink(paths.pointer)
    except FileNotFoundError:
        return None
    except OSError as exc:  # the pointer exists but is not a link: a plain DuckDB file
        if paths.pointer.is_file():
            return paths.pointer
        raise WarehouseUnavailable(f"warehouse pointer {paths.pointer} is unreadable: {exc}") from exc
    return (paths.pointer.parent / target).resolve()


def check_generation_file(gen: Path) -> None:
    """Cheap integrity checks before a generation is opened for serving (X7, X8).

    Raises:
        WarehouseUnavailable: the file is missing, has a WAL beside it (published generations never
            do), or its size differs from the manifest written when it was published.
    """
    if not gen.exists():
        raise WarehouseUnavailable(f"published generation {gen.name} is missing; run `him load` to rebuild")
    wal = gen.with_name(gen.name + ".wal")
    if wal.exists():
        raise WarehouseUnavailable(
            f"generation {gen.name} has a write-ahead log beside it ({wal.name}); published generations "
            "never do, so it is treated as corrupt. Inspect it, then run `him status --verify`."
        )
    manifest = gen.with_name(gen.name + ".manifest")
    if manifest.exists():
        expected_size = int(manifest.read_text().split()[0])
        if gen.stat().st_size != expected_size:
            raise WarehouseUnavailable(
                f"generation {gen.name} is {gen.stat().st_size} bytes but was published at {expected_size}; "
                "it is corrupt. Run `him status --verify`, then `him load` to rebuild."
            )


def connect_read_only(gen: Path) -> duckdb.DuckDBPyConnection:
    """Open one generation file read-only with the serving lock-down settings."""
    check_generation_file(gen)
    try:
        con = duckdb.connect(str(gen), read_only=True, config=dict(SERVING_CONFIG))
        con.execute("select count(*) from load_log").fetchone()
    except duckdb.Error as exc:
        raise WarehouseUnavailable(
            f"generation {gen.name} cannot be opened ({type(exc).__name__}); it is corrupt or from another "
            "DuckDB version. Run `him status --verify`, then `him load` to rebuild."
        ) from exc
    return con


class WarehouseReader:
    """A process-wide lazy read-only connection that follows the pointer to the newest generation."""

    def __init__(self, paths: WarehousePaths | None = None) -> None:
        self.paths = paths or resolve_warehouse()
        self._lock = threading.Lock()
        self._gen: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def generation(self) -> Path | None:
        """The generation file currently open (None before the first cursor)."""
        return self._gen

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new cursor on the published generation, reopening if the pointer moved."""
        gen = published_generation(self.paths)
        if gen is None:
            raise WarehouseUnavailable(
                f"no warehouse at {self.paths.pointer}: run `him load PATH` or `him up` first"
            )
        with self._lock:
            if self._con is None or gen != self._gen:
                con = connect_read_only(gen)
                self._con, self._gen = con, gen
            return self._con.cursor()

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
