"""Pure figure builders: a Polars frame in, a ``plotly.graph_objects.Figure`` out (no I/O, no SQL)."""
