"""The Dash application: ``create_app()`` builds it, ``server`` is the WSGI entry for gunicorn."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from warehouse.db import WarehouseUnavailable, reader


def create_app() -> dash.Dash:
    """Build the Dash app (placeholder page until the dashboard pages land)."""
    app = dash.Dash(__name__, title="HIM analytics", external_stylesheets=[dbc.themes.BOOTSTRAP],
                    serve_locally=True)

    def layout() -> html.Div:
        try:
            gen = reader().cursor() and reader().generation
            body = f"Warehouse generation {gen.name if gen else '-'} is being served."
        except WarehouseUnavailable as exc:
            body = str(exc)
        return html.Div([html.H1("HIM analytics"), html.P(body, id="status")], className="container")

    app.layout = layout
    return app


app = create_app()
server = app.server
