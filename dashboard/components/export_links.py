"""Export links that stay disabled until their required field (a DUA, a purpose) is valid."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html


def disabled_links(formats: Sequence[tuple[str, str, str]], link_class: str, aria: str) -> list[html.A]:
    """Return one download link per ``(format, id, label)``, disabled until a callback sets its href.

    ``aria`` is the accessible name's start; the format's label is appended (``…, CSV``).
    """
    return [
        html.A(
            label,
            id=link_id,
            download="",
            className=f"{link_class} disabled",
            role="button",
            **{"aria-label": f"{aria}, {label}"},
        )
        for _, link_id, label in formats
    ]


def link_classes(hrefs: Sequence[str | None], link_class: str) -> tuple[bool, list[str]]:
    """Return whether every link has a target, and each link's class (disabled while any has none)."""
    enabled = all(hrefs)
    return enabled, [link_class if enabled else f"{link_class} disabled" for _ in hrefs]
