"""Reusable pieces of the pages: KPI card, chart card, tables."""
