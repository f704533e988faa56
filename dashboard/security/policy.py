"""Who may reach what: every route, every page and every callback has a declared policy.

Deny by default: a Flask route, a Dash page or a callback output without an entry here is refused to
everyone (and the S1/S2 tests fail until someone declares it). The roles (minimum necessary, HIPAA
§164.502(b), §164.514(d)):

* ``leadership`` — the scorecard and aggregate pages, small cells suppressed; no row-level data, no
  coder-level figures;
* ``manager`` — every aggregate page incl. coder-level productivity, the operations work list of
  encounters (encounter ids, never patient keys), data quality;
* ``analyst`` — the aggregate pages and the Explorer (row-level, no patient key), de-identified and
  limited-data-set exports;
* ``admin`` — users and the audit log only; no patient data unless also given another role.

A callback is matched by its output component ids: a string id or, for a pattern-matching id, its
``type`` (``chart-download`` ids by the chart they download). The longest matching prefix wins; every
output of a callback must be allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LEADERSHIP, MANAGER, ANALYST, ADMIN = "leadership", "manager", "analyst", "admin"
DATA_ROLES = frozenset({LEADERSHIP, MANAGER, ANALYST})
AGGREGATE = DATA_ROLES
WORKFORCE = frozenset({MANAGER, ANALYST})  # coder-level figures (coder ids)

#: Row-level export kinds and who may make each (``operational``: managers only, with a purpose).
EXPORT_ROLES: Mapping[str, frozenset[str]] = {
    "deidentified": frozenset({ANALYST, MANAGER}),
    "limited": frozenset({ANALYST}),
    "operational": frozenset({MANAGER}),
}
#: Who may download a chart's data as CSV (an aggregate export). Chart CSVs come from
#: ``dashboard.data.run``, which suppresses small cells for leadership (docs/security.md, "Integration").
AGGREGATE_EXPORT_ROLES = WORKFORCE | {LEADERSHIP}


@dataclass(frozen=True)
class Rule:
    """The policy of a callback output (or a page).

    Attributes:
        prefix: component id prefix it applies to.
        roles: roles allowed (a user needs one of them).
        audit: write a ``query`` entry for each call (fail closed when the audit log cannot be written).
        row_level: returns rows about individual encounters or claims (PHI under HIPAA).
        all_facilities: the data is not split by facility: users limited to some facilities are refused.
    """

    prefix: str
    roles: frozenset[str]
    audit: bool = True
    row_level: bool = False
    all_facilities: bool = False


#: Pages by module name (the last part of ``dashboard.pages.<name>``).
PAGE_ROLES: Mapping[str, Rule] = {
    "scorecard": Rule("scorecard", AGGREGATE),
    "demographics": Rule("demographics", AGGREGATE),
    "drg": Rule("drg", AGGREGATE),
    "denials": Rule("denials", AGGREGATE),
    "coding": Rule("coding", AGGREGATE),
    "operations": Rule("operations", AGGREGATE),
    "explorer": Rule("explorer", frozenset({ANALYST}), row_level=True),
    "data_quality": Rule("data_quality", WORKFORCE, all_facilities=True),
}

#: Callback outputs by component id prefix.
CALLBACK_RULES: tuple[Rule, ...] = (
    Rule("shell-", DATA_ROLES, audit=False),  # URL ⇄ filter store, navbar: no data
    Rule("security-", DATA_ROLES, audit=False),
    Rule("scorecard-", AGGREGATE),
    Rule("demographics-", AGGREGATE),
    Rule("drg-", AGGREGATE),
    Rule("denials-", AGGREGATE),
    Rule("coding-", AGGREGATE),
    Rule("coding-charts-per-hour", WORKFORCE),
    Rule("coding-coder-table", WORKFORCE),
    Rule("coding-accuracy-table", WORKFORCE),
    Rule("operations-", AGGREGATE),
    Rule("operations-oldest-unbilled", frozenset({MANAGER}), row_level=True),
    # Export links (no data read: a link per format from the view and the stated purpose or DUA
    # reference; the download itself is checked and audited by the export route).
    Rule("operations-oldest-unbilled-export", EXPORT_ROLES["operational"], audit=False),
    Rule("explorer-", frozenset({ANALYST}), row_level=True),
    Rule("explorer-limited", EXPORT_ROLES["limited"], audit=False),
    # The grid's filters and sort written into the address: reads no data (the rows they select are
    # audited by the grid's own request), so one grid change is one audit entry, not two.
    Rule("explorer-url-", frozenset({ANALYST}), audit=False),
    Rule("data-quality-", WORKFORCE, all_facilities=True),
    Rule("data-quality-loads", frozenset({MANAGER}), all_facilities=True),
    Rule("data-quality-changes", frozenset({MANAGER}), all_facilities=True, row_level=True),
    Rule("data-quality-rejects", frozenset({MANAGER}), all_facilities=True, row_level=True),
)
CHART_DOWNLOAD = "chart-download"
#: Dash pages' own router callback: allowed per the page its ``pathname`` input names.
PAGES_CONTENT = "_pages_content"
PAGES_STORE = "_pages_store"


@dataclass(frozen=True)
class Output:
    """One output of a callback: the component id as given and its policy key."""

    id: Any
    prop: str

    @property
    def key(self) -> str:
        """The policy key: a string id, a pattern id's ``type``, or ``chart-download:<chart>``."""
        if isinstance(self.id, Mapping):
            kind = str(self.id.get("type", ""))
            if kind == CHART_DOWNLOAD:
                return f"{CHART_DOWNLOAD}:{self.id.get('chart', '')}"
            return kind
        return str(self.id)


def parse_output_key(key: str) -> list[Output]:
    """Return the outputs named by a callback's key in ``app.callback_map``.

    A single output is ``id.prop`` (``id.prop@hash`` with ``allow_duplicate``); several are
    ``..id.prop...id2.prop2..``. Pattern-matching ids are JSON objects.
    """
    parts = key[2:-2].split("...") if key.startswith("..") and key.endswith("..") else [key]
    out = []
    for part in parts:
        part = re.sub(r"@[0-9a-f]{16,}$", "", part)
        ident, _, prop = part.rpartition(".")
        parsed: Any = ident
        if ident.startswith("{"):
            try:
                parsed = json.loads(ident)
            except ValueError:
                parsed = ident
        out.append(Output(parsed, prop))
    return out


def rule_for(key: str, rules: Sequence[Rule] = CALLBACK_RULES) -> Rule | None:
    """Return the rule of an output key (longest prefix), or None: no policy, so denied."""
    if key.startswith(CHART_DOWNLOAD + ":"):
        chart = rule_for(key.split(":", 1)[1], rules)
        if chart is None:
            return None
        return Rule(
            key,
            chart.roles & AGGREGATE_EXPORT_ROLES,
            audit=True,
            row_level=chart.row_level,
            all_facilities=chart.all_facilities,
        )
    best = None
    for rule in rules:
        if key.startswith(rule.prefix) and (best is None or len(rule.prefix) > len(best.prefix)):
            best = rule
    return best


@dataclass(frozen=True)
class Decision:
    """Whether a user may run a callback (or see a page), and how it is recorded."""

    allowed: bool
    reason: str
    rule: Rule | None = None

    def __bool__(self) -> bool:
        """True when allowed."""
        return self.allowed


def combine(rules: Iterable[Rule | None]) -> Rule | None:
    """Return one rule meaning "all of these": roles intersected, flags or-ed (None if any is None)."""
    rules = list(rules)
    if not rules or any(r is None for r in rules):
        return None
    roles = frozenset.intersection(*(r.roles for r in rules))  # type: ignore[union-attr]
    return Rule(
        "+".join(r.prefix for r in rules),  # type: ignore[union-attr]
        roles,
        audit=any(r.audit for r in rules),  # type: ignore[union-attr]
        row_level=any(r.row_level for r in rules),  # type: ignore[union-attr]
        all_facilities=any(r.all_facilities for r in rules),  # type: ignore[union-attr]
    )


def decide(rule: Rule | None, roles: Iterable[str], facilities: Sequence[str]) -> Decision:
    """Apply a rule to a user's roles and facility restriction."""
    if rule is None:
        return Decision(False, "no policy declared", None)
    if not rule.roles & frozenset(roles):
        return Decision(False, "role not allowed", rule)
    if rule.all_facilities and facilities:
        return Decision(False, "limited to some facilities; this data covers all", rule)
    return Decision(True, "allowed", rule)


def callback_rule(key: str) -> Rule | None:
    """The combined rule of every output of a callback key (None when one has no policy)."""
    outputs = parse_output_key(key)
    if any(o.key in (PAGES_CONTENT, PAGES_STORE) for o in outputs):
        return None  # decided per page by the caller
    return combine(rule_for(o.key) for o in outputs)


def page_rule(module: str) -> Rule | None:
    """The rule of a Dash page by its module (``dashboard.pages.denials`` or ``denials``)."""
    return PAGE_ROLES.get(module.rsplit(".", 1)[-1])


# -- Flask routes ----------------------------------------------------------------------------------

PUBLIC = "public"  # login, logout, health: no session needed
STATIC = "static"  # code and styles shipped with the app (no data): no session needed
SESSION = "session"  # any logged-in user, even one who must change the password first
STATUS = "status"  # the session status poll: a logged-in user; never counts as activity
DATA = "data"  # a user with a data role (the Dash layout and dependency graph)
PAGE = "page"  # the Dash index page at a page path: the page's rule
CALLBACK = "callback"  # Dash's callback endpoint: the callback's rule
EXPORT = "export"  # a row-level export: the kind's roles (EXPORT_ROLES)
LEGACY_EXPORT = "legacy_export"  # the Explorer's raw export link: sent on to the de-identified export
ADMIN_ONLY = "admin"  # user and audit administration
DENY = "deny"  # nobody (development routes)

KINDS = (PUBLIC, STATIC, SESSION, STATUS, DATA, PAGE, CALLBACK, EXPORT, LEGACY_EXPORT, ADMIN_ONLY, DENY)


@dataclass(frozen=True)
class RoutePolicy:
    """The policy of a Flask URL rule: one of :data:`KINDS`."""

    kind: str

    def __post_init__(self) -> None:
        """Refuse an unknown kind (a typo must not open a route)."""
        if self.kind not in KINDS:
            raise ValueError(f"unknown route policy {self.kind!r}")


def dash_routes(routes_prefix: str, assets_path: str) -> list[tuple[str, RoutePolicy]]:
    """The policies of Dash's own routes and the dashboard's, as (rule pattern, policy) pairs.

    Patterns are regular expressions over the URL rule's text (``/_dash-layout``,
    ``/<path:path>`` …), anchored at both ends.
    """
    p = re.escape(routes_prefix)
    assets = re.escape("/" + assets_path.strip("/"))
    return [
        (rf"{p}_dash-component-suites/.*", RoutePolicy(STATIC)),
        (rf"{p}_favicon\.ico", RoutePolicy(STATIC)),
        (rf"{assets}/<path:filename>", RoutePolicy(STATIC)),
        (rf"{p}_dash-layout", RoutePolicy(DATA)),
        (rf"{p}_dash-dependencies", RoutePolicy(DATA)),
        (rf"{p}_dash-update-component", RoutePolicy(CALLBACK)),
        (rf"{p}_reload-hash", RoutePolicy(DENY)),
        (r"/static/<path:filename>", RoutePolicy(DENY)),
        (rf"{p}", RoutePolicy(PAGE)),
        (rf"{p}<path:path>", RoutePolicy(PAGE)),
        (r"/export/explorer\.<fmt>", RoutePolicy(LEGACY_EXPORT)),
    ]
