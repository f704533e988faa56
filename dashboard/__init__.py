"""The HIM analytics dashboard: a multi-page Dash app over the KPI query catalog."""
