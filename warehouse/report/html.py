"""The report as one self-contained HTML page (plotly.js inlined from the plotly package: no network).

The same page is the ``--format html`` output and what Chromium prints to PDF (:mod:`.pdf`). Text
from the data (payer names, service lines …) is escaped by Jinja2's autoescape; the figures travel
as JSON in a ``<script type="application/json">`` block with ``</`` escaped.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

import jinja2
from plotly.offline import get_plotlyjs

from warehouse.report.content import PRODUCT, ReportView


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    text = (files("warehouse.report") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    return env.from_string(text)


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return get_plotlyjs()


def figures_json(view: ReportView) -> str:
    """The figures of every page as JSON keyed by their element id, safe inside a script element."""
    figures = {
        f"chart-{page.key}-{i}": json.loads(fig.to_json())
        for page in view.pages
        for i, fig in enumerate(page.figures, start=1)
    }
    text = json.dumps(figures, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render(view: ReportView) -> str:
    """Return the report as one HTML document."""
    return _template().render(
        view=view, product=PRODUCT, plotly_js=_plotly_js(), figures_json=figures_json(view)
    )
