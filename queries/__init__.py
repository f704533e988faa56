"""The KPI SQL files, one family per file (package data, read by warehouse.catalog)."""
