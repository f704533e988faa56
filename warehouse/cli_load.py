"""``him load``, ``him status``, ``him rejects``, ``him demo-data``."""

from __future__ import annotations
