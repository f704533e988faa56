"""Fault-injection hooks for the reliability tests (X1, X2, X5, X9). Inert unless ``HIM_FAULT`` is set.

``HIM_FAULT`` holds ``<point>[:<n>][:kill|raise|pause]``: at the n-th time (default 1) the named point
is reached in this process, the process

* ``kill`` (the default): kills itself with SIGKILL, as the OOM killer or ``kill -9`` would;
* ``raise``: raises :class:`InjectedFault` (an ordinary Python exception);
* ``pause``: creates the file ``$HIM_FAULT_RELEASE.reached`` (holding its pid), then waits until the
  file ``$HIM_FAULT_RELEASE`` exists (at most ``$HIM_FAULT_PAUSE_MAX`` seconds, default 60) and goes
  on. Tests use it to hold a load at a known point (e.g. while it holds the load lock).

Points: ``batch`` (after a batch of a file is staged, inside the file's transaction),
``after_checkpoint`` (the new generation is written and closed, not yet verified),
``before_pointer_switch`` (verified, renamed, manifest written; the pointer still names the old one),
``during_pointer_write`` (the new pointer symlink exists aside; ``os.replace`` not yet done).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_counts: dict[str, int] = {}
ACTIONS = ("kill", "raise", "pause")


class InjectedFault(RuntimeError):
    """Raised by a ``raise`` fault hook."""


def reset() -> None:
    """Forget how often each point was reached (for in-process tests)."""
    _counts.clear()


def maybe(point: str) -> None:
    """Trigger the configured fault if ``point`` is the one named in ``HIM_FAULT``."""
    spec = os.environ.get("HIM_FAULT")
    if not spec:
        return
    parts = spec.split(":")
    if parts[0] != point:
        return
    nth = int(parts[1]) if len(parts) > 1 and parts[1] else 1
    action = parts[2] if len(parts) > 2 and parts[2] else "kill"
    if action not in ACTIONS:
        raise ValueError(f"HIM_FAULT action {action!r} is not one of {', '.join(ACTIONS)}")
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] != nth:
        return
    if action == "raise":
        raise InjectedFault(f"injected fault at {point} #{nth}")
    if action == "pause":
        _pause()
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pause() -> None:
    release = os.environ.get("HIM_FAULT_RELEASE")
    if not release:
        raise ValueError("HIM_FAULT ...:pause needs HIM_FAULT_RELEASE (a file path to wait for)")
    limit = float(os.environ.get("HIM_FAULT_PAUSE_MAX", "60"))
    Path(release + ".reached").write_text(str(os.getpid()))
    deadline = time.monotonic() + limit
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
