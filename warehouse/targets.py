"""Scorecard targets: per KPI a target, an amber band, a direction and the benchmark it comes from.

Defaults ship in ``warehouse/targets.toml`` (package data; sources in ``docs/targets.md``). A site
file named by ``--targets FILE`` or ``$HIM_TARGETS`` overrides the KPIs it lists; the others keep
their defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from warehouse.errors import UsageProblem

Direction = Literal["higher", "lower"]
Status = Literal["green", "amber", "red"]
ENV_VAR = "HIM_TARGETS"
_FIELDS = {"target", "amber", "direction", "source"}


class TargetsProblem(UsageProblem):
    """A targets file cannot be read or holds a value that is not accepted."""


@dataclass(frozen=True)
class Target:
    """The target of one KPI.

    Attributes:
        kpi: the scorecard key, e.g. ``initial_denial_rate``.
        target: the level to reach (rates as fractions, days, charts per hour).
        amber: how far past the target, on the wrong side, a value is still amber.
        direction: ``higher`` or ``lower`` is better.
        source: the published benchmark or practice the default comes from.
    """

    kpi: str
    target: float
    amber: float
    direction: Direction
    source: str = ""

    def status(self, value: float | None) -> Status | None:
        """Return red / amber / green for ``value`` (None when there is no value)."""
        if value is None:
            return None
        gap = value - self.target if self.direction == "higher" else self.target - value
        if gap >= 0:
            return "green"
        return "amber" if -gap <= self.amber else "red"


def status(value: float | None, target: Target | None) -> Status | None:
    """Return the status of ``value`` against ``target`` (None without a value or a target)."""
    return None if target is None else target.status(value)


def _parse(table: Mapping[str, Any], where: str) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for kpi, entry in table.items():
        if not isinstance(entry, Mapping):
            raise TargetsProblem(f"{where}: [{kpi}] must be a table with target, amber, direction, source")
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise TargetsProblem(f"{where}: [{kpi}] has unknown key {unknown[0]!r}; use {sorted(_FIELDS)}")
        try:
            target, amber = float(entry["target"]), float(entry.get("amber", 0.0))
        except KeyError:
            raise TargetsProblem(f"{where}: [{kpi}] needs a target") from None
        except (TypeError, ValueError):
            raise TargetsProblem(f"{where}: [{kpi}] target and amber must be numbers") from None
        direction = entry.get("direction")
        if direction not in ("higher", "lower"):
            raise TargetsProblem(f"{where}: [{kpi}] direction must be 'higher' or 'lower', not {direction!r}")
        if amber < 0:
            raise TargetsProblem(f"{where}: [{kpi}] amber must be 0 or more")
        out[kpi] = Target(kpi, target, amber, direction, str(entry.get("source", "")))
    return out


def default_targets() -> dict[str, Target]:
    """Return the targets shipped with the product."""
    text = (files("warehouse") / "targets.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), "targets.toml (shipped)")


def load_targets(
    path: str | os.PathLike[str] | None = None, known: set[str] | None = None
) -> dict[str, Target]:
    """Return the targets in force: the defaults, overridden by a site file.

    Args:
        path: the site file; default ``$HIM_TARGETS``; neither = the defaults alone.
        known: KPI keys a site file may name (an unknown key is an error), or None to accept any.

    Raises:
        TargetsProblem: the file is missing, not TOML, or holds a bad entry.
    """
    targets = default_targets()
    chosen = path or os.environ.get(ENV_VAR)
    if not chosen:
        return targets
    file = Path(chosen)
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetsProblem(f"targets file {file} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TargetsProblem(f"targets file {file} cannot be read: {exc}") from None
    site = _parse(table, str(file))
    if known is not None:
        unknown = sorted(set(site) - known)
        if unknown:
            raise TargetsProblem(f"{file}: no KPI named {unknown[0]!r}; KPIs: {', '.join(sorted(known))}")
    return {**targets, **site}
