"""The shell and the components: URL ⇄ filter bar ⇄ store decisions, navbar, KPI card, chart card, assets."""

from __future__ import annotations

import datetime as dt
import re

import dash
import pytest
from dash import html
from dash_helpers import find

from dashboard import ids, shell, state
from dashboard.app import app  # noqa: F401  (registers the pages)
from dashboard.components import chart_card, filter_bar, kpi_card, table
from dashboard.security.testing import logged_in_client
from warehouse.targets import Target

DEFAULTS = state.Defaults(
    dt.date(2023, 10, 1), dt.date(2026, 9, 30), dt.date(2026, 9, 1), dt.date(2026, 9, 30)
)
NO_LISTS = ((),) * len(filter_bar.LIST_CONTROLS)


def controls(**changes: object) -> shell.Controls:
    base = shell.controls_of(state.ViewState(), DEFAULTS)
    return shell.Controls(**{**base.__dict__, **changes})


def test_a_fresh_load_fills_the_filter_bar_and_the_store_from_the_url() -> None:
    decision = shell.sync(ids.URL, "?payer=Medicare&from=2025-01-01", controls(), DEFAULTS, None)
    assert decision.search is None  # the URL is left as the person typed it
    assert decision.store == {
        "search": "?from=2025-01-01&payer=Medicare",
        "resolved": "?month=2026-09&from=2025-01-01&to=2026-09-30&as_of=2026-09-30&payer=Medicare",
    }
    assert decision.controls.date_from == "2025-01-01"
    assert decision.controls.date_to == "2026-09-30"  # shown as its default, not written to the URL
    assert decision.controls.lists[3] == ("Medicare",)
    assert decision.notices == ()


def test_the_url_echo_of_a_change_already_made_changes_nothing() -> None:
    stored = shell.store_of(state.parse("?payer=Medicare"), DEFAULTS)
    assert shell.sync(ids.URL, "?payer=Medicare", controls(), DEFAULTS, stored) == shell.Sync(
        None, None, None, None
    )


def test_a_filter_change_writes_the_url_and_the_store_with_only_what_was_chosen() -> None:
    lists = list(NO_LISTS)
    lists[0] = ("FAC02",)
    decision = shell.sync(
        ids.F_FACILITY, "?table=claims&col.carc_code=16", controls(lists=tuple(lists)), DEFAULTS, None
    )
    assert decision.search == "?facility=FAC02&table=claims&col.carc_code=16"
    assert decision.store["search"] == decision.search
    assert decision.controls is None


def test_a_reversed_period_is_swapped_with_a_notice_and_reset_clears_filters() -> None:
    decision = shell.sync(
        ids.F_RANGE, "", controls(date_from="2025-06-01", date_to="2025-01-01"), DEFAULTS, None
    )
    assert decision.search == "?from=2025-01-01&to=2025-06-01"
    assert "swapped" in decision.notices[0]
    reset = shell.sync(ids.F_RESET, "?payer=Medicare&table=claims", controls(), DEFAULTS, None)
    assert reset.search == "?table=claims"
    assert reset.controls.lists == NO_LISTS


def test_invalid_url_values_reach_the_notice() -> None:
    decision = shell.sync(None, "?month=2025-13&patient_type=alien", controls(), DEFAULTS, None)
    assert len(decision.notices) == 2
    text = str(shell.notice_children(decision.notices))
    assert "2025-13" in text
    assert "alien" in text


def test_navbar_links_carry_the_filters_and_pages_show_their_own_date_controls() -> None:
    link_ids = [ids.nav_link(p["module"]) for p in dash.page_registry.values()]
    hrefs, active, range_cls, month_cls, as_of_cls, bar_cls = shell.nav_state(
        link_ids, "?payer=Medicare", "/operations"
    )
    assert "/denials?payer=Medicare" in hrefs
    assert "/?payer=Medicare" in hrefs
    assert sum(active) == 1
    assert "d-none" not in as_of_cls
    assert "d-none" in month_cls
    assert "d-none" not in range_cls
    assert "d-none" not in bar_cls
    assert "d-none" in shell.nav_state(link_ids, "", "/data-quality")[-1]
    _, _, range_cls, month_cls, _, _ = shell.nav_state(link_ids, "", "/")
    assert "d-none" in range_cls
    assert "d-none" not in month_cls


def test_every_page_is_registered_in_order() -> None:
    paths = [p["path"] for p in sorted(dash.page_registry.values(), key=lambda p: p["order"])]
    assert paths == [
        "/",
        "/demographics",
        "/drg",
        "/denials",
        "/coding",
        "/operations",
        "/explorer",
        "/data-quality",
    ]


def test_the_app_serves_every_asset_itself(secured_app) -> None:
    assert secured_app.server.test_client().get("/").status_code == 302  # to the login page
    page = logged_in_client(secured_app).get("/")
    html_text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert not re.search(r'(src|href)="(https?:)?//', html_text), "an asset is loaded from another host"
    assert "01_bootstrap.min.css" in html_text
    assert "02_him.css" in html_text
    with secured_app.server.test_client().get("/assets/01_bootstrap.min.css") as css:
        assert css.status_code == 200
        assert b"Bootstrap" in css.data


def test_the_shell_layout_has_one_store_of_filters_and_labelled_controls() -> None:
    layout = shell.layout()
    stores = find(layout, lambda c: type(c).__name__ == "Store")
    assert {s.id for s in stores} - {"_pages_store"} == {
        ids.FILTERS,
        ids.CONTEXT,
    }  # Dash pages' own title store
    labels = {lab.htmlFor for lab in find(layout, lambda c: isinstance(c, html.Label))}
    for _, control_id, _ in filter_bar.LIST_CONTROLS:
        assert control_id in labels
    assert f"{ids.F_RANGE}-start" in labels
    assert ids.F_MONTH in labels
    assert ids.F_AS_OF in labels


@pytest.mark.parametrize(
    ("value", "direction", "status"),
    [
        (0.04, "lower", "green"),
        (0.08, "lower", "amber"),
        (0.20, "lower", "red"),
        (0.96, "higher", "green"),
        (0.80, "higher", "red"),
    ],
)
def test_kpi_card_status_respects_the_direction(value: float, direction: str, status: str) -> None:
    target = Target("k", 0.05 if direction == "lower" else 0.95, 0.05, direction)  # type: ignore[arg-type]
    card = kpi_card.kpi_card(value, 0.1, None, target, key="k", label="K", kind="rate", href="/x")
    valued = find(card, lambda c: getattr(c, "data-kpi", None) == "k")
    assert valued
    assert valued[0].children == f"{value * 100:.1f}%"
    badge = find(card, lambda c: getattr(c, "data-status", None))
    assert getattr(badge[0], "data-status") == status


def test_kpi_card_changes_are_good_or_bad_news_by_direction() -> None:
    assert kpi_card.change_tone(-0.02, lower_is_better=True) == "better"
    assert kpi_card.change_tone(-0.02, lower_is_better=False) == "worse"
    assert kpi_card.change_tone(5, lower_is_better=None) == "neutral"
    card = kpi_card.kpi_card(None, None, None, None, key="cmi", label="CMI", kind="index")
    assert find(card, lambda c: getattr(c, "data-kpi", None) == "cmi")[0].children == "—"


def test_chart_card_offers_png_csv_and_a_loading_indicator() -> None:
    card = chart_card.chart_card("x-chart", title="X")
    graph = find(card, lambda c: type(c).__name__ == "Graph")[0]
    assert graph.config["toImageButtonOptions"]["format"] == "png"
    assert find(card, lambda c: type(c).__name__ == "Loading")
    assert find(card, lambda c: getattr(c, "id", None) == ids.csv_button("x-chart"))
    assert find(card, lambda c: getattr(c, "id", None) == ids.csv_download("x-chart"))


def test_month_options_run_newest_first_from_the_data() -> None:
    months = filter_bar.months(DEFAULTS)
    assert months[0] == dt.date(2026, 9, 1)
    assert months[-1] == dt.date(2023, 10, 1)
    assert len(months) == 36


def test_table_helpers_format_by_kind() -> None:
    defs = table.column_defs([table.Col("n", "N", "count"), table.Col("name", "Name")])
    assert defs[0]["type"] == "rightAligned"
    assert "valueFormatter" not in defs[1]


def test_url_values_the_data_does_not_hold_are_dropped_with_a_notice_and_the_url_rewritten() -> None:
    options = {"payer": ("Medicare", "Aetna"), "facility": ("FAC01",)}
    decision = shell.sync(
        ids.URL, "?payer=Medicare&payer=Nobody&month=2019-01", controls(), DEFAULTS, None, options
    )
    assert decision.search == "?payer=Medicare"
    assert decision.store["search"] == "?payer=Medicare"
    assert any("Nobody" in n for n in decision.notices)
    assert any("2019-01" in n for n in decision.notices)
    kept = shell.sync(ids.URL, "?payer=Aetna", controls(), DEFAULTS, None, options)
    assert kept.search is None
    assert kept.notices == ()


def test_concurrent_first_requests_wait_for_dashs_setup(new_secured_app) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from dashboard.security import installed
    from dashboard.security.testing import ensure_user

    fresh = new_secured_app()
    sec = installed(fresh)
    ensure_user(fresh, "test-concurrent", ("analyst", "manager"))
    token, _ = sec.store.create_session("test-concurrent")  # logged in without a first request
    paths = ["/_dash-component-suites/dash/deps/react@18.3.1.min.js"] * 6 + ["/_dash-layout", "/"]

    def get(path: str) -> int:
        client = fresh.server.test_client()
        client.set_cookie(sec.config.cookie_name, token)
        with client.get(path) as response:
            return response.status_code

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        assert list(pool.map(get, paths)) == [200] * len(paths)
