"""Placeholder: commands are added by their own issue's work."""

from __future__ import annotations
