"""What each KPI family page and sheet holds: its scorecard KPIs, trend charts and tables.

Pure configuration: the names of catalog queries and columns, and the labels shown. Every number
comes from those queries (:mod:`warehouse.report.data` runs them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column shown in a table: the query's column name and its header."""

    name: str
    label: str


@dataclass(frozen=True)
class Table:
    """A table of one catalog query for the month (or its 13 months).

    Attributes:
        key: a short name, unique in the report (``denials_by_payer``).
        title: the heading.
        query: the catalog query.
        columns: the columns shown in the PDF (the XLSX writes every column of the query).
        sort: sort by this column, largest first (None: the query's order).
        limit: rows shown in the PDF (the XLSX writes all).
        period: ``month`` (the report month; as-of queries at its last day) or ``trend`` (13 months).
        dimensions: the columns that identify a row: the rows split the month's total, so
            complementary suppression protects their small cells (empty: rows stand alone).
        pdf: shown in the PDF (else only in the XLSX pack).
    """

    key: str
    title: str
    query: str
    columns: tuple[Column, ...]
    sort: str | None = None
    limit: int = 10
    period: str = "month"
    dimensions: tuple[str, ...] = ()
    pdf: bool = True


@dataclass(frozen=True)
class Chart:
    """A 13-month trend chart.

    Attributes:
        title: the chart title.
        columns: scorecard.trend columns drawn (several = one line each, same unit).
        unit: the scorecard unit of the columns.
        target: the scorecard KPI whose target is drawn as a dashed line.
        query: draw from this catalog query's 13-month trend instead of scorecard.trend.
        series: with ``query``: one line per value of this column.
    """

    title: str
    columns: tuple[str, ...]
    unit: str
    target: str | None = None
    query: str | None = None
    series: str | None = None


@dataclass(frozen=True)
class Family:
    """A KPI family: one page of the PDF, one sheet of the XLSX pack."""

    key: str
    title: str
    sheet: str
    kpis: tuple[str, ...]
    trend_columns: tuple[str, ...]
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]


FAMILIES: tuple[Family, ...] = (
    Family(
        key="volume",
        title="Volume and length of stay",
        sheet="Volume",
        kpis=("discharges", "inpatient_discharges", "alos_days"),
        trend_columns=("discharges", "inpatient_discharges", "inpatient_los_days", "alos_days"),
        charts=(
            Chart("Discharges", ("discharges", "inpatient_discharges"), "count"),
            Chart("ALOS, inpatient (days)", ("alos_days",), "days"),
        ),
        tables=(
            Table(
                "service_lines",
                "Service lines by discharges",
                "report.service_lines",
                (
                    Column("service_line", "Service line"),
                    Column("discharges", "Discharges"),
                    Column("prior_discharges", "Prior month"),
                    Column("inpatient_discharges", "Inpatient"),
                    Column("alos_days", "ALOS (days)"),
                ),
                sort="discharges",
                dimensions=("service_line",),
            ),
        ),
    ),
    Family(
        key="drg",
        title="DRG mix and case mix index",
        sheet="DRG and CMI",
        kpis=("cmi",),
        trend_columns=("inpatient_discharges", "weighted_discharges", "weight_sum", "cmi"),
        charts=(
            Chart("Case mix index", ("cmi",), "index"),
            Chart("CMI by MS-DRG type", ("cmi",), "index", query="drg.cmi_by_type_trend", series="drg_type"),
        ),
        tables=(
            Table(
                "drg_mix",
                "MS-DRGs by inpatient discharges",
                "drg.mix",
                (
                    Column("ms_drg", "MS-DRG"),
                    Column("title", "Title"),
                    Column("discharges", "Discharges"),
                    Column("share", "Share"),
                    Column("avg_weight", "Mean weight"),
                ),
                sort="discharges",
                dimensions=("ms_drg",),
            ),
        ),
    ),
    Family(
        key="denials",
        title="Denials",
        sheet="Denials",
        kpis=("initial_denial_rate", "denied_amount", "denial_overturn_rate"),
        trend_columns=(
            "claims_submitted",
            "claims_denied",
            "initial_denial_rate",
            "denied_amount",
            "appeals_overturned",
            "appeals_decided",
            "denial_overturn_rate",
        ),
        charts=(
            Chart("Initial denial rate", ("initial_denial_rate",), "fraction", target="initial_denial_rate"),
            Chart("Denied amount", ("denied_amount",), "dollars"),
            Chart(
                "Appeal overturn rate", ("denial_overturn_rate",), "fraction", target="denial_overturn_rate"
            ),
        ),
        tables=(
            Table(
                "denials_by_payer",
                "Payers by denied claims",
                "denials.by_payer",
                (
                    Column("payer", "Payer"),
                    Column("claims_submitted", "Submitted"),
                    Column("claims_denied", "Denied"),
                    Column("initial_denial_rate", "Denial rate"),
                    Column("denied_amount", "Denied amount"),
                ),
                sort="claims_denied",
                dimensions=("payer",),
            ),
            Table(
                "denials_by_category",
                "Denied claims by CARC category",
                "denials.by_category",
                (
                    Column("category", "Category"),
                    Column("claims_denied", "Denied"),
                    Column("denied_amount", "Denied amount"),
                    Column("share", "Share"),
                ),
                sort="claims_denied",
                dimensions=("category",),
                pdf=False,
            ),
            Table(
                "denials_by_reason",
                "Denied claims by CARC code",
                "denials.by_reason",
                (
                    Column("carc_code", "CARC"),
                    Column("category", "Category"),
                    Column("claims_denied", "Denied"),
                    Column("denied_amount", "Denied amount"),
                ),
                sort="claims_denied",
                dimensions=("carc_code",),
                pdf=False,
            ),
        ),
    ),
    Family(
        key="coding",
        title="Coding productivity and quality",
        sheet="Coding",
        kpis=(
            "charts_coded",
            "coding_hours",
            "charts_per_hour",
            "inpatient_charts_per_hour",
            "avg_discharge_to_code_days",
            "coding_accuracy",
            "drg_accuracy",
        ),
        trend_columns=(
            "charts_coded",
            "coding_hours",
            "charts_per_hour",
            "inpatient_charts_coded",
            "inpatient_coding_hours",
            "inpatient_charts_per_hour",
            "encounters_coded",
            "discharge_to_code_days",
            "avg_discharge_to_code_days",
            "codes_reviewed",
            "codes_changed",
            "coding_accuracy",
            "drg_audits",
            "drg_mismatches",
            "drg_accuracy",
        ),
        charts=(
            Chart("Charts coded", ("charts_coded",), "count"),
            Chart(
                "Inpatient charts per hour",
                ("inpatient_charts_per_hour",),
                "per_hour",
                target="inpatient_charts_per_hour",
            ),
            Chart(
                "Discharge to code, mean (days)",
                ("avg_discharge_to_code_days",),
                "days",
                target="avg_discharge_to_code_days",
            ),
            Chart("Code-level accuracy", ("coding_accuracy",), "fraction", target="coding_accuracy"),
        ),
        tables=(
            Table(
                "productivity_by_chart_type",
                "Productivity by chart type",
                "coding.productivity_by_chart_type",
                (
                    Column("chart_type", "Chart type"),
                    Column("coders", "Coders"),
                    Column("charts_coded", "Charts coded"),
                    Column("coding_hours", "Hours"),
                    Column("charts_per_hour", "Charts / hour"),
                ),
                sort="charts_coded",
                dimensions=("chart_type",),
            ),
        ),
    ),
    Family(
        key="operations",
        title="Coding backlog and DNFB at month end",
        sheet="Backlog and DNFB",
        kpis=("coding_backlog", "dnfb_count", "dnfb_amount", "dnfb_days"),
        trend_columns=(
            "discharged_to_date",
            "coding_backlog",
            "dnfb_count",
            "dnfb_amount",
            "gross_charges_90d_amount",
            "dnfb_days",
        ),
        charts=(
            Chart("Coding backlog and DNFB (encounters)", ("coding_backlog", "dnfb_count"), "count"),
            Chart("DNFB charges", ("dnfb_amount",), "dollars"),
            Chart("DNFB days", ("dnfb_days",), "days", target="dnfb_days"),
        ),
        tables=(
            Table(
                "dnfb_split",
                "DNFB at month end by status and age",
                "operations.dnfb_split",
                (
                    Column("dnfb_status", "Status"),
                    Column("aging_bucket", "Days since discharge"),
                    Column("dnfb_count", "Encounters"),
                    Column("dnfb_amount", "Charges"),
                ),
                dimensions=("dnfb_status", "aging_bucket"),
            ),
            Table(
                "backlog_aging",
                "Coding backlog at month end by age",
                "operations.coding_backlog_aging",
                (
                    Column("aging_bucket", "Days since discharge"),
                    Column("backlog_count", "Encounters"),
                    Column("backlog_charges", "Charges"),
                ),
                dimensions=("aging_bucket",),
                pdf=False,
            ),
        ),
    ),
)


def family_of(kpi: str) -> Family | None:
    """Return the family whose page shows ``kpi``."""
    return next((f for f in FAMILIES if kpi in f.kpis), None)
