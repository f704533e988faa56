"""The pages, one module each, in navbar order. Each has ``register(app)``, ``layout`` and ``CSV``."""

from __future__ import annotations

from dashboard.pages import coding, data_quality, demographics, denials, drg, explorer, operations, scorecard

PAGES = (scorecard, demographics, drg, denials, coding, operations, explorer, data_quality)
