"""Fault-injection hooks for the reliability tests (X1, X2, X9). Inert unless ``HIM_FAULT`` is set.

``HIM_FAULT`` holds ``<point>[:<n>][:kill|raise]``: at the n-th time (default 1) the named point is
reached, the process kills itself with SIGKILL (``kill``, the default) or raises
:class:`InjectedFault` (``raise``). Points: ``batch`` (after a batch is staged), ``after_checkpoint``,
``before_pointer_switch``, ``during_pointer_write``.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


class InjectedFault(RuntimeError):
    """Raised by a ``raise`` fault hook."""


def maybe(point: str) -> None:
    """Trigger the configured fault if ``point`` is the one named in ``HIM_FAULT``."""
    spec = os.environ.get("HIM_FAULT")
    if not spec:
        return
    parts = spec.split(":")
    if parts[0] != point:
        return
    nth = int(parts[1]) if len(parts) > 1 and parts[1] else 1
    action = parts[2] if len(parts) > 2 else "kill"
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] != nth:
        return
    if action == "raise":
        raise InjectedFault(f"injected fault at {point} #{nth}")
    os.kill(os.getpid(), signal.SIGKILL)
