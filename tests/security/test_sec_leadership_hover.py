"""S12 in what leadership reads: every chart leadership may see is drawn through the real callbacks for a
leader and for a manager on the same filters. A suppressed count reads "<11" and a figure built on one
"suppressed" — in hover text, bar labels and heatmap cells, at a marker where the value would have been
— and the true small count is never in the figure; a chart whose every value is hidden says so rather
than "no data". Aggregate tables read the same way."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sec_helpers import callback_body, login, post_callback, response_values

from dashboard.security import Scope, policy
from dashboard.security.scope import set_scope

SMALL = re.compile(r"^(10|[1-9])$")  # a count of 1-10 as format_value writes it


@pytest.fixture(scope="module")
def figures(app: Any, values: dict[str, Any], sec_paths: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every chart both leadership and managers may see: chart id -> user -> figure."""
    keys = [  # a page's charts share a callback with its headline figures and tables
        k
        for k in sorted(app.callback_map)
        if "callback" in app.callback_map[k]
        and any(o.prop == "figure" for o in policy.parse_output_key(k))
        and policy.decide(policy.callback_rule(k), {"leadership"}, ())
        and policy.decide(policy.callback_rule(k), {"manager"}, ())
    ]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIM_WAREHOUSE", str(sec_paths.pointer))
        for user in ("t-leader", "t-manager"):
            client = login(app, user)
            for key in keys:
                resp = post_callback(client, callback_body(app, key, values))
                assert resp.status_code == 200, (user, key, resp.status_code)
                for ident, props in response_values(resp).items():
                    if "figure" in props:
                        out.setdefault(ident, {})[user] = props["figure"]
    assert len(out) > 15
    return out


def _texts(figure: dict[str, Any]) -> list[str]:
    """The values a viewer can read in a figure: labels, cell texts and hover data (not the categories)."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            out.append(v)

    for trace in figure.get("data", []):
        walk(trace.get("text"))
        for row in trace.get("customdata") or []:
            # bars and lines put the category (what a click drills on) first; heatmap cells are all values
            walk(row[1:] if isinstance(row, list) and trace.get("type") != "heatmap" else row)
    return out


def test_leadership_reads_less_than_11_and_never_the_small_count(figures: dict[str, Any]) -> None:
    shown_to_leader = {ident: _texts(by_user["t-leader"]) for ident, by_user in figures.items()}
    shown_to_manager = {ident: _texts(by_user["t-manager"]) for ident, by_user in figures.items()}
    assert any(SMALL.match(s) for texts in shown_to_manager.values() for s in texts), (
        "the demo data has small counts for the manager to see"
    )
    for ident, texts in shown_to_leader.items():
        assert not [s for s in texts if SMALL.match(s)], f"{ident}: a count of 1-10 is shown to leadership"
    everything = [s for texts in shown_to_leader.values() for s in texts]
    assert "<11" in everything
    assert "suppressed" in everything


def test_a_suppressed_value_is_a_marker_whose_hover_says_so(figures: dict[str, Any]) -> None:
    markers = [
        (ident, trace)
        for ident, by_user in figures.items()
        for trace in by_user["t-leader"].get("data", [])
        if trace.get("name") == "suppressed"
    ]
    assert markers, "leadership charts mark suppressed values"
    for ident, trace in markers:
        assert set(trace["text"]) <= {"<11", "suppressed"}, ident
        assert "%{text}" in trace["hovertemplate"], ident
        # on the zero line: the marker says nothing about the value
        assert set(trace["x"]) == {0} or set(trace["y"]) == {0}, ident
        assert trace["showlegend"] is False
    for by_user in figures.values():  # managers see every value, so they get no such markers
        assert not [t for t in by_user["t-manager"].get("data", []) if t.get("name") == "suppressed"]


def test_a_chart_with_every_value_suppressed_says_so(figures: dict[str, Any]) -> None:
    from dashboard.charts import base

    messages = {
        ident: (by_user["t-leader"].get("layout", {}).get("meta") or {}).get("message")
        for ident, by_user in figures.items()
    }
    assert base.EMPTY_MESSAGE not in {m for i, m in messages.items() if figures[i]["t-manager"].get("data")}
    assert base.SUPPRESSED_MESSAGE in messages.values()


def test_aggregate_tables_read_less_than_11_for_leadership(app: Any) -> None:
    from dashboard.components import table

    cols = [table.Col("zip3", "ZIP3"), table.Col("discharges", "Discharges", "count")]
    cols += [table.Col("denial_rate", "Denial rate", "rate"), table.Col("charges", "Charges", "money")]
    with app.server.test_request_context("/"):
        set_scope(Scope("t-leader", frozenset({"leadership"}), ()))
        leader = table.column_defs(cols)
        set_scope(Scope("t-manager", frozenset({"manager", "leadership"}), ()))
        manager = table.column_defs(cols)
    assert "valueFormatter" not in leader[0]
    assert leader[1]["valueFormatter"]["function"].startswith("params.value == null ? '<11' : ")
    assert leader[2]["valueFormatter"]["function"].startswith("params.value == null ? 'suppressed' : ")
    assert leader[3]["valueFormatter"]["function"].startswith("params.value == null ? 'suppressed' : ")
    assert all(
        d["valueFormatter"]["function"].startswith("params.value == null ? '' : ") for d in manager[1:]
    )
    assert json.dumps(manager).count("<11") == 0
