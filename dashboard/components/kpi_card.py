"""The KPI card: value, change against prior month and last year, target and a red/amber/green status."""

from __future__ import annotations

from decimal import Decimal

from dash import dcc, html

from dashboard import theme
from warehouse.targets import Target

STATUS_TEXT = {"green": "On target", "amber": "Near target", "red": "Off target"}
STATUS_ICON = {"green": "●", "amber": "▲", "red": "■"}  # a shape as well as a colour


def _number(value: object) -> float | None:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def change_tone(change: float | None, lower_is_better: bool | None) -> str:
    """Return ``better``, ``worse`` or ``neutral`` for a change, given the KPI's direction."""
    if change is None or change == 0 or lower_is_better is None:
        return "neutral"
    return "better" if (change < 0) == lower_is_better else "worse"


def _delta(
    label: str, value: float | None, base: float | None, kind: theme.ValueKind, lower_is_better: bool | None
) -> html.Li:
    change = None if value is None or base is None else value - base
    tone = change_tone(change, lower_is_better)
    arrow = {"better": " (better)", "worse": " (worse)", "neutral": ""}[tone]
    return html.Li(
        [
            html.Span(f"{label}: ", className="kpi-delta-label"),
            html.Span(theme.format_change(change, kind) + arrow, className=f"kpi-delta kpi-{tone}"),
            html.Span(f" (was {theme.format_value(base, kind)})", className="kpi-delta-base"),
        ],
    )


def status_badge(status: str | None, target: Target | None, kind: theme.ValueKind) -> html.Div:
    """Return the status line: a shape, a word and the target (nothing to say without a target)."""
    if target is None:
        return html.Div("No target set", className="kpi-status kpi-status-none")
    sign = "≤" if target.direction == "lower" else "≥"
    goal = f"target {sign} {theme.format_value(target.target, kind)}"
    if status is None:
        return html.Div(f"No data · {goal}", className="kpi-status kpi-status-none")
    return html.Div(
        [
            html.Span(
                STATUS_ICON[status],
                className=f"kpi-status-icon kpi-status-{status}",
                **{"aria-hidden": "true"},
            ),
            f" {STATUS_TEXT[status]} · {goal}",
        ],
        className=f"kpi-status kpi-status-{status}",
        **{"data-status": status},
    )


def kpi_card(
    value: object,
    prior: object,
    yoy: object,
    target: Target | None,
    *,
    lower_is_better: bool | None = False,
    key: str,
    label: str,
    kind: theme.ValueKind,
    href: str | None = None,
    sparkline: str | None = None,
    prior_label: str = "vs prior month",
    yoy_label: str = "vs same month last year",
    note: str | None = None,
) -> html.Div | dcc.Link:
    """Return a KPI card.

    Args:
        value: this period's value (None = no data, shown as —).
        prior: the prior period's value.
        yoy: the same period a year earlier.
        target: the KPI's target; its direction decides the status colour.
        lower_is_better: colours the changes (None = neither direction is good news); a target's
            direction takes precedence.
        key: the ``him kpi`` JSON key; the value element carries it as ``data-kpi``.
        label: the KPI's name on screen.
        kind: how the value is formatted.
        href: where a click leads (the page behind the number, filtered).
        sparkline: a data URI of the 13-month trend.
        prior_label: text before the change against ``prior``.
        yoy_label: text before the change against ``yoy``.
        note: a line of caveat under the value.

    Returns:
        The card; a link when ``href`` is given.
    """
    v, p, y = _number(value), _number(prior), _number(yoy)
    direction = (target.direction == "lower") if target is not None else lower_is_better
    status = target.status(v) if target is not None and v is not None else None
    shown = theme.format_value(v, kind)
    body = [
        html.Div(label, className="kpi-label", id=f"kpi-label-{key}"),
        html.Div(
            shown,
            className="kpi-value",
            **{
                "data-kpi": key,
                "data-value": "" if v is None else repr(v),
                "aria-describedby": f"kpi-label-{key}",
            },
        ),
        status_badge(status, target, kind),
        html.Ul(
            [_delta(prior_label, v, p, kind, direction), _delta(yoy_label, v, y, kind, direction)],
            className="kpi-deltas",
        ),
    ]
    if note:
        body.append(html.Div(note, className="kpi-note"))
    if sparkline:
        body.append(html.Img(src=sparkline, className="kpi-spark", alt=f"{label}: 13-month trend"))
    card = html.Div(
        html.Div(body, className="card-body"),
        className=f"card kpi-card h-100 kpi-border-{status or 'none'}",
        **{"data-kpi-card": key},
    )
    if href is None:
        return card
    return dcc.Link(card, href=href, className="kpi-link", title=f"Open the details behind {label}")
