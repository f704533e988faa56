"""Where things live: the warehouse pointer, its generations, lock, run journal, site secret."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = Path("data") / "him.duckdb"


@dataclass(frozen=True)
class WarehousePaths:
    """All the files that belong to one warehouse, derived from its pointer path.

    ``pointer`` is what users name with ``--warehouse``: a symbolic link to the published generation
    file, switched atomically with ``os.replace``. Generations live in ``<pointer>.generations/``.
    """

    pointer: Path

    @property
    def generations_dir(self) -> Path:
        """Directory holding ``gen-NNNNNN.duckdb`` files."""
        return self.pointer.with_name(self.pointer.name + ".generations")

    @property
    def lock_file(self) -> Path:
        """Lock taken by ``him load`` so that two loads never run at once."""
        return self.pointer.with_name(self.pointer.name + ".lock")

    @property
    def journal(self) -> Path:
        """Append-only JSON-lines journal of load runs (survives a killed load)."""
        return self.pointer.with_name(self.pointer.name + ".runs.jsonl")

    @property
    def site_reference_dir(self) -> Path:
        """Site-imported reference data (e.g. CMS Table 5 files), loaded into every generation."""
        return self.pointer.with_name(self.pointer.name + ".reference")

    @property
    def tmp_dir(self) -> Path:
        """Scratch space for decompressed / re-encoded extract files during a load."""
        return self.pointer.with_name(self.pointer.name + ".tmp")


def resolve_warehouse(path: str | os.PathLike[str] | None = None) -> WarehousePaths:
    """Resolve ``--warehouse``: explicit path, else ``$HIM_WAREHOUSE``, else ``data/him.duckdb``."""
    chosen = path or os.environ.get("HIM_WAREHOUSE") or DEFAULT_WAREHOUSE
    return WarehousePaths(Path(chosen).absolute())


def secret_key_file() -> Path:
    """The site secret's key file: ``$HIM_SECRET_KEY_FILE`` or ``~/.config/him/secret.key``.

    It lives outside the warehouse directory so that a copied warehouse cannot be re-identified.
    """
    env = os.environ.get("HIM_SECRET_KEY_FILE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "him" / "secret.key"
