"""Helpers for walking Dash component trees in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def find(component: Any, predicate: Callable[[Any], bool]) -> list[Any]:
    """Return every component of a tree (a component or a list of them) for which ``predicate`` holds."""
    found = []
    if isinstance(component, list | tuple):
        for item in component:
            found += find(item, predicate)
        return found
    if component is None or isinstance(component, str | int | float):
        return found
    if predicate(component):
        found.append(component)
    return found + find(getattr(component, "children", None), predicate)


def attr(component: Any, name: str) -> Any:
    """Return a component's attribute with a dash in its name (``data-kpi``)."""
    return getattr(component, name, None)
