"""Page furniture: the header, a strip of headline figures, a responsive grid of cards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import theme


def header(title: str, lead: str, subtitle_id: str | None = None) -> html.Header:
    """Return the page's h1, a sentence on what it answers and (optionally) a live subtitle."""
    parts: list[Any] = [
        html.H1(title, className="h3 mb-1"),
        html.P(lead, className="text-body-secondary mb-1"),
    ]
    if subtitle_id:
        parts.append(html.P(id=subtitle_id, className="small mb-0 page-subtitle", **{"aria-live": "polite"}))
    return html.Header(parts, className="mb-3")


def stat(
    label: str, value: object, kind: theme.ValueKind, detail: str | None = None, key: str | None = None
) -> dbc.Col:
    """Return one headline figure (a ``data-stat`` attribute holds its key for tests)."""
    extra = {"data-stat": key} if key else {}
    return dbc.Col(
        html.Div(
            [
                html.Div(label, className="stat-label"),
                html.Div(theme.format_value(value, kind), className="stat-value", **extra),
                html.Div(detail, className="stat-detail") if detail else None,
            ],
            className="stat card card-body py-2",
        ),
        xs=6,
        md=4,
        xl=2,
    )


def stats(items: Sequence[dbc.Col]) -> dbc.Row:
    """Return a row of headline figures."""
    return dbc.Row(list(items), className="g-2 mb-3")


def strip(strip_id: str) -> dcc.Loading:
    """Return the placeholder a callback fills with :func:`stats`."""
    return dcc.Loading(
        html.Div(id=strip_id, className="stat-strip", **{"aria-live": "polite"}), type="dot", delay_show=200
    )


def grid(cards: Sequence[Any], *, lg: int = 6) -> dbc.Row:
    """Return cards in a responsive grid: one column on phones and tablets, ``12 / lg`` on desktops."""
    return dbc.Row([dbc.Col(c, xs=12, lg=lg, className="mb-3") for c in cards], className="g-3")


def message(text: str) -> html.Div:
    """Return a sentence in place of a component that has nothing to show."""
    return html.Div(text, className="text-body-secondary fst-italic py-2")
