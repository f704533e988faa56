"""Sparklines: a tiny inline SVG of a monthly series (16 cards would cost 16 Plotly graphs otherwise)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import polars as pl

from dashboard import theme
from dashboard.charts import base


def points(
    values: Sequence[object], width: float, height: float, pad: float = 3.0
) -> list[tuple[float, float]]:
    """Return SVG coordinates of the non-null values (x by position, y scaled to the range)."""
    numbers = [base.plain(v) for v in values]
    present = [float(v) for v in numbers if isinstance(v, int | float)]
    if not present:
        return []
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(numbers) - 1, 1)
    out = []
    for i, v in enumerate(numbers):
        if isinstance(v, int | float):
            y = height - pad - (float(v) - low) / span * (height - 2 * pad)
            out.append((pad + i * step, y if high != low else height / 2))
    return out


def sparkline(
    frame: pl.DataFrame, column: str, *, width: int = 140, height: int = 36, color: str = theme.OKABE_ITO[0]
) -> str:
    """Return a ``data:image/svg+xml`` URI of ``column`` over the frame's rows (oldest first).

    The last point is marked; missing months leave a gap in the x positions but no point.
    """
    pts = points(frame[column].to_list() if column in frame.columns else [], width, height)
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last = f'<circle cx="{pts[-1][0]:.1f}" cy="{pts[-1][1]:.1f}" r="2.5" fill="{color}"/>' if pts else ""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><polyline points="{path}" fill="none" stroke="{color}" '
        f'stroke-width="1.6" stroke-linejoin="round"/>{last}</svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
