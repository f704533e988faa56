"""Test helpers for code that runs behind the security layer (dashboard and browser tests).

Once ``create_app`` installs the security layer, a bare ``app.server.test_client()`` gets 401 and
302-to-login answers. :func:`logged_in_client` returns a client with a live session of a test user
with the given roles (created on first use in the app's auth store).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import dash

#: The password of the test users (throw-away stores only).
TEST_PASSWORD = "Test-Only-Passphrase-0451"


def ensure_user(app: dash.Dash, name: str, roles: Sequence[str], facilities: Sequence[str] = ()) -> str:
    """Create a test user in the app's auth store unless it exists; return its password."""
    from dashboard.security import installed

    sec: Any = installed(app)
    if sec is None:
        raise RuntimeError("install_security has not been called for this app")
    if sec.store.get(name) is None:
        sec.store.add(name, roles, facilities, password=TEST_PASSWORD)
    return TEST_PASSWORD


def logged_in_client(
    app: dash.Dash,
    roles: Sequence[str] = ("analyst", "manager"),
    facilities: Sequence[str] = (),
    name: str | None = None,
) -> Any:
    """Return ``app.server.test_client()`` logged in as a test user with ``roles``.

    Without the security layer installed, a plain test client is returned.
    """
    from dashboard.security import installed

    client = app.server.test_client()
    if installed(app) is None:
        return client
    suffix = "-" + "-".join(facilities).lower() if facilities else ""
    name = name or "test-" + "-".join(sorted(roles)) + suffix
    password = ensure_user(app, name, roles, facilities)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the login page has no CSRF token")
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token.group(1)})
    if resp.status_code != 303:
        raise RuntimeError(f"test login failed with {resp.status_code}")
    return client
