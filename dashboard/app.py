"""The Dash application: ``create_app()`` builds it, ``server`` is the WSGI entry for gunicorn.

Pages register themselves explicitly (``pages_folder=""``): Dash's folder scan executes page modules a
second time under another name, which would register their callbacks twice once a test has imported
them. Every asset (the Bootstrap theme included) is served from ``dashboard/assets``: no CDN.
"""

from __future__ import annotations

import threading
from pathlib import Path

import dash

from dashboard import exports, shell
from dashboard.components import chart_card
from dashboard.pages import PAGES
from dashboard.security import install_security

ASSETS = Path(__file__).with_name("assets")


def create_app() -> dash.Dash:
    """Build the Dash app: the shell, every page, the export routes, behind the security layer."""
    app = dash.Dash(
        __name__,
        title="HIM analytics",
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    _first_request_once(app)
    for page in PAGES:
        page.register(app)
        chart_card.register_csv(app, page.CSV)
    shell.register(app)
    exports.register(app.server)
    app.layout = shell.layout
    install_security(app)  # last: every page, callback and route is registered (docs/security.md)
    return app


def _first_request_once(app: dash.Dash) -> None:
    """Run Dash's first-request setup (scripts, router) once, while concurrent first requests wait.

    Dash marks its setup done before doing it, so under gunicorn's threads a script request that
    arrives during the first page request found no registered libraries (HTTP 500, a blank page).
    """
    hooks = app.server.before_request_funcs.setdefault(None, [])
    dash_hooks = list(hooks)
    lock, done = threading.Lock(), threading.Event()

    def setup() -> None:
        if done.is_set():
            return
        with lock:
            if not done.is_set():
                for hook in dash_hooks:
                    hook()
                done.set()

    hooks[:] = [setup]


app = create_app()
server = app.server
