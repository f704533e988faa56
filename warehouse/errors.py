"""Errors that reach users as one line (never a traceback)."""

from __future__ import annotations


class HimError(Exception):
    """An error with a clear message for the user and an exit status."""

    exit_code = 1


class UsageProblem(HimError):
    """The command was called wrongly (exit status 2)."""

    exit_code = 2


class LoadRefused(HimError):
    """A load could not start, e.g. because another load holds the lock (exit status 2)."""

    exit_code = 2
