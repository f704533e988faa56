"""Component ids, one constant each, prefixed by the page (or ``shell``) that owns them.

Pattern-matching ids (dicts) are built by the small functions at the end, so that a chart card's
graph, CSV button and download always agree.
"""

from __future__ import annotations

# -- shell -----------------------------------------------------------------------------------------
URL = "shell-url"  # the address bar: filter changes write its search (no page re-render)
NAV = "shell-nav"  # drill-downs write its href (callback navigation: the page is rendered anew)
FILTERS = "shell-filters"  # dcc.Store: the canonical query string (filters only, never rows)
CONTEXT = "shell-context"  # dcc.Store: defaults, filter options, category colours (never rows)
NOTICE = "shell-notice"
NAVBAR = "shell-navbar"
FILTER_BAR = "shell-filter-bar"
F_RANGE = "shell-filter-range"
F_MONTH = "shell-filter-month"
F_AS_OF = "shell-filter-as-of"
F_FACILITY = "shell-filter-facility"
F_PATIENT_TYPE = "shell-filter-patient-type"
F_FINANCIAL_CLASS = "shell-filter-financial-class"
F_PAYER = "shell-filter-payer"
F_SERVICE_LINE = "shell-filter-service-line"
F_RESET = "shell-filter-reset"
F_MONTH_GROUP = "shell-filter-month-group"
F_AS_OF_GROUP = "shell-filter-as-of-group"
F_RANGE_GROUP = "shell-filter-range-group"
UNAVAILABLE = "shell-unavailable"

# -- scorecard -------------------------------------------------------------------------------------
SCORECARD_CARDS = "scorecard-cards"
SCORECARD_TITLE = "scorecard-title"
SCORECARD_REPORT_PDF = "scorecard-report-pdf"
SCORECARD_REPORT_XLSX = "scorecard-report-xlsx"

# -- demographics ----------------------------------------------------------------------------------
DEMO_TREND = "demographics-trend"
DEMO_ALOS = "demographics-alos-trend"
DEMO_AGE = "demographics-age-band"
DEMO_SEX = "demographics-sex"
DEMO_RACE = "demographics-race"
DEMO_ETHNICITY = "demographics-ethnicity"
DEMO_FINANCIAL_CLASS = "demographics-financial-class"
DEMO_ZIP3 = "demographics-zip3"
DEMO_SUMMARY = "demographics-summary"

# -- DRG mix & CMI ---------------------------------------------------------------------------------
DRG_SUMMARY = "drg-summary"
DRG_NOTE = "drg-nearest-fy-note"
DRG_TOP = "drg-top"
DRG_CMI_TREND = "drg-cmi-trend"
DRG_CMI_TYPE = "drg-cmi-by-type"
DRG_MDC = "drg-mdc"
DRG_LOS = "drg-alos-vs-gmlos"
DRG_CC_MCC = "drg-cc-mcc-by-service-line"
DRG_TABLE = "drg-table"

# -- denials ---------------------------------------------------------------------------------------
DEN_SUMMARY = "denials-summary"
DEN_TREND = "denials-trend"
DEN_BY_PAYER = "denials-rate-by-payer"
DEN_DOLLARS = "denials-dollars"
DEN_PARETO = "denials-carc-pareto"
DEN_CATEGORY = "denials-category"
DEN_OVERTURN = "denials-overturn"
DEN_HEATMAP = "denials-payer-category"

# -- coding ----------------------------------------------------------------------------------------
COD_SUMMARY = "coding-summary"
COD_CPH = "coding-charts-per-hour"
COD_CHART_TYPE = "coding-chart-type"
COD_VOLUME = "coding-volume-trend"
COD_TURNAROUND = "coding-turnaround"
COD_ACCURACY = "coding-accuracy-trend"
COD_TABLE = "coding-coder-table"
COD_ACCURACY_TABLE = "coding-accuracy-table"

# -- operations ------------------------------------------------------------------------------------
OPS_SUMMARY = "operations-summary"
OPS_BACKLOG_AGING = "operations-backlog-aging"
OPS_DNFB_SPLIT = "operations-dnfb-split"
OPS_DNFB_TREND = "operations-dnfb-days-trend"
OPS_BACKLOG_TREND = "operations-backlog-trend"
OPS_OLDEST = "operations-oldest-unbilled"
# The work list's operational export (managers): a stated purpose, then a link per format.
OPS_OP_EXPORT = "operations-oldest-unbilled-export"
OPS_OP_PURPOSE = "operations-oldest-unbilled-export-purpose"
OPS_OP_HINT = "operations-oldest-unbilled-export-hint"
OPS_OP_CSV = "operations-oldest-unbilled-export-csv"
OPS_OP_XLSX = "operations-oldest-unbilled-export-xlsx"
OPS_OP_PARQUET = "operations-oldest-unbilled-export-parquet"

# -- explorer --------------------------------------------------------------------------------------
EXP_TABLE = "explorer-table"
EXP_GRID = "explorer-grid"
EXP_GRID_HOLDER = "explorer-grid-holder"
EXP_CONDITIONS = "explorer-conditions"
EXP_COUNT = "explorer-count"
EXP_ERROR = "explorer-error"
EXP_CSV = "explorer-export-csv"
EXP_XLSX = "explorer-export-xlsx"
EXP_PARQUET = "explorer-export-parquet"
# The limited data set export (analysts): a data use agreement reference, then a link per format.
EXP_LDS = "explorer-limited"
EXP_LDS_DUA = "explorer-limited-dua"
EXP_LDS_HINT = "explorer-limited-hint"
EXP_LDS_CSV = "explorer-limited-csv"
EXP_LDS_XLSX = "explorer-limited-xlsx"
EXP_LDS_PARQUET = "explorer-limited-parquet"

# -- data quality ----------------------------------------------------------------------------------
DQ_LOADS = "data-quality-loads"
DQ_REJECT_RULES = "data-quality-reject-rules"
DQ_OVER_TIME = "data-quality-rejects-over-time"
DQ_FLAGS_OVER_TIME = "data-quality-flags-over-time"
DQ_FLAGS = "data-quality-flags"
DQ_CHANGES = "data-quality-changes"
DQ_REJECTS = "data-quality-rejects"

CSV_BUTTON = "chart-csv"
CSV_DOWNLOAD = "chart-download"


def csv_button(chart: str) -> dict[str, str]:
    """Id of a chart card's "Download CSV" button."""
    return {"type": CSV_BUTTON, "chart": chart}


def csv_download(chart: str) -> dict[str, str]:
    """Id of a chart card's dcc.Download."""
    return {"type": CSV_DOWNLOAD, "chart": chart}


def nav_link(page: object) -> dict[str, object]:
    """Id of a navbar link (its href carries the current query string)."""
    return {"type": "shell-nav-link", "page": page}
