"""Treemap of a measure over a two-level hierarchy (MDC → MS-DRG …)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import base
from dashboard.charts.bars import NULL_LABEL


def treemap(
    frame: pl.DataFrame,
    *,
    parent: str,
    child: str,
    value: base.Measure,
    title: str,
    parent_prefix: str = "",
    child_label: str | None = None,
) -> go.Figure:
    """Return a treemap: each row a child box inside its parent's box, sized by ``value``.

    Parent boxes are sized by the sum of their children (Plotly's ``branchvalues="remainder"`` with
    parents of value 0), so no total is computed here.
    """
    if base.is_empty(frame, value.column):
        return base.empty_for(title, frame)
    parents = [parent_prefix + (NULL_LABEL if p is None else str(p)) for p in frame[parent].to_list()]
    children = [NULL_LABEL if c is None else str(c) for c in frame[child].to_list()]
    texts = (
        [NULL_LABEL if t is None else str(t) for t in frame[child_label].to_list()]
        if child_label
        else children
    )
    ids = [f"{p}/{c}" for p, c in zip(parents, children, strict=True)]
    roots = sorted(set(parents))
    fmt = theme.D3_FORMATS[value.kind]
    fig = base.figure(title, height=460)
    fig.add_trace(
        go.Treemap(
            ids=[*roots, *ids],
            labels=[*roots, *texts],
            parents=[""] * len(roots) + parents,
            values=[0] * len(roots) + base.values(frame, value.column),
            branchvalues="remainder",
            customdata=[[r] for r in roots] + [[c] for c in children],
            marker={
                "colors": [theme.color_for("mdc", r) for r in roots]
                + [theme.color_for("mdc", p) for p in parents]
            },
            hovertemplate=f"%{{label}}<br>{value.label}: %{{value:{fmt}}}"
            "<br>share of parent: %{percentParent:.1%}"
            "<extra></extra>",
            textinfo="label+value",
        )
    )
    fig.update_layout(margin={"l": 8, "r": 8, "t": 48, "b": 8})
    return fig
