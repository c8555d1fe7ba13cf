"""The fishing-vessels page (issue 15) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the vessels simulator is one of its sources).

An operator (who may see personal data, masked) sees the tiles equal to ``python -m ioc kpi
vessels --json``, a marker per vessel, the table's rows, and a vessel's 3-day track when it is
clicked on the map or chosen in the table. A visitor (a viewer on loopback) sees the same tiles
and counts but no vessel: no marker, no row, and a note saying why. A link ``?vessel=…`` opens
the page on that vessel as a click would (its row, on whichever page of the table it lies; its
track; the map centred on it), and a vessel selected is written into the address. The console
stays clean.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import read_tiles, wait_tiles_loaded

TILES = "#vs-tiles"
SELECTED_ID = "#vs-grid .ag-pinned-left-cols-container .ag-row.ag-row-selected [col-id='id']"
# the selected vessel's ring lies in the middle of the map (the map flew to it): within 2 px
RING_CENTRED = """() => {
  const ring = document.querySelector("#vs-map path.vs-selected-ring");
  const map = document.querySelector("#vs-map");
  if (!ring || !map) return false;
  const r = ring.getBoundingClientRect(), m = map.getBoundingClientRect();
  return Math.abs(r.x + r.width / 2 - (m.x + m.width / 2)) <= 2 && Math.abs(r.y + r.height / 2 - (m.y + m.height / 2)) <= 2;
}"""
TILE_KEYS = ("at_sea", "silent_6h", "outside_zone", "at_sea_in_warning")
ROWS = "#vs-grid .ag-center-cols-container .ag-row"


def cli_kpis(app: RunningApp) -> dict[str, Any]:
    return json.loads(app.cli("kpi", "vessels", "--json").stdout)


@pytest.fixture(autouse=True)
def _vessels_history(app: RunningApp) -> None:
    app.wait_for_history("vessels")  # written in the background after the four first families


def tiles_equal_cli(page: Page, app: RunningApp) -> dict[str, Any]:
    """The tiles equal the CLI's KPI set taken just before or just after reading them (a live
    report may land in between)."""
    before = cli_kpis(app)
    shown = {k: v.raw for k, v in read_tiles(page, TILES).items()}
    after = cli_kpis(app)
    for k in (before, after):
        if shown == {key: repr(k[key]) for key in TILE_KEYS}:
            return k
    raise AssertionError(f"tiles {shown} equal neither CLI result:\n{before}\n{after}")


def open_page(page: Page, app: RunningApp, lang: str = "vi") -> None:
    page.goto(app.url(f"/vessels?lang={lang}"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)


def test_an_operator_sees_each_vessel_and_its_track(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    app.sign_in(page, "operator", "/vessels")
    open_page(page, app)
    expect(page.locator("h1.vs-title")).to_have_text("Giám sát tàu cá")
    kpis = tiles_equal_cli(page, app)
    assert kpis["vessels"] > 100 and kpis["at_sea"] > 0
    # a marker per vessel that has reported, the ports, the watch zone
    markers = page.locator("#vs-map path.vs-marker")
    expect(markers).to_have_count(kpis["at_sea"] + kpis["in_port"])
    expect(page.locator("#vs-map path.vs-zone")).to_have_count(1)
    expect(page.locator("#vs-map path.vs-port")).to_have_count(4)
    expect(page.locator("#vs-map path.vs-marker.vs-state-silent_6h, #vs-map path.vs-marker.vs-state-silent_10d")) \
        .to_have_count(kpis["silent_6h"])
    expect(page.locator("#vs-map path.vs-marker.vs-outside")).to_have_count(kpis["outside_zone"])
    expect(page.locator("#vs-privacy")).to_be_hidden()
    # the table: 15 rows a page, every vessel counted in the pager, in Vietnamese
    expect(page.locator(ROWS)).to_have_count(15)
    total = kpis["at_sea"] + kpis["in_port"]
    expect(page.locator("#vs-grid .ag-paging-row-summary-panel")).to_contain_text(f"/ {total}")
    first = page.locator(f"{ROWS}[row-index='0']")
    # the registration column is pinned on the left: its cells are in a container of their own
    first_id = page.locator("#vs-grid .ag-pinned-left-cols-container .ag-row[row-index='0'] [col-id='id']")
    expect(first_id).to_have_text(re.compile(r"^TTH-9\d{4}-TS$"))
    expect(first.locator("[col-id='hours']")).to_have_text(re.compile(r"^\d+ (phút|giờ|ngày) trước$"))
    shot(page, "vessels-operator-vi")
    # a vessel at sea clicked on the map: its track and its details
    marker = page.locator("#vs-map path.vs-marker.vs-state-at_sea").first
    vessel = re.search(r"vs-v-(\S+)", marker.get_attribute("class") or "").group(1)
    marker.dispatch_event("click")
    expect(page.locator("#vs-detail .vs-detail-body")).to_have_attribute("data-vessel", vessel)
    expect(page.locator("#vs-map path.vs-track-line")).to_have_count(1)
    expect(page.locator("#vs-detail")).to_contain_text("báo cáo")
    expect(page.locator(SELECTED_ID)).to_have_text(vessel)  # its row too, on the table's page shown
    # another chosen in the table: its track replaces the first
    other = page.locator(f"{ROWS}:not(.ag-row-selected)").first
    index = other.get_attribute("row-index")
    other.locator("[col-id='name']").click()
    chosen = page.locator(f"#vs-grid .ag-pinned-left-cols-container .ag-row[row-index='{index}'] [col-id='id']") \
        .inner_text()
    expect(page.locator(SELECTED_ID)).to_have_text(chosen)
    expect(page.locator("#vs-detail .vs-detail-body")).to_have_attribute("data-vessel", chosen)
    expect(page.locator("#vs-map path.vs-selected-ring")).to_have_count(1)
    shot(page, "vessels-operator-track")
    console.assert_clean()


def test_a_visitor_sees_the_totals_but_no_vessel(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    open_page(page, app, "en")
    tiles_equal_cli(page, app)
    expect(page.locator("#vs-privacy")).to_be_visible()
    expect(page.locator("#vs-privacy")).to_contain_text("personal and commercial data")
    expect(page.locator("#vs-counts .vs-count")).to_have_count(5)
    expect(page.locator("#vs-map path.vs-port")).to_have_count(4)
    expect(page.locator("#vs-map path.vs-marker")).to_have_count(0)
    expect(page.locator("#vs-table-card")).to_be_hidden()
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page.locator("#vs-detail-card")).to_be_hidden()
    shot(page, "vessels-visitor-en")
    console.assert_clean()


def expect_selected(page: Page, vessel: str) -> None:
    """``vessel`` selected as a click selects it: its row (on the table's page shown), its
    details, its ring on the map, the map centred on it."""
    expect(page.locator(SELECTED_ID)).to_have_text(vessel)
    expect(page.locator("#vs-detail .vs-detail-body")).to_have_attribute("data-vessel", vessel)
    expect(page.locator("#vs-map path.vs-selected-ring")).to_have_count(1)
    page.wait_for_function(RING_CENTRED)


def test_a_link_opens_the_page_on_its_vessel_and_a_selection_is_a_link(page: Page, app: RunningApp,
                                                                       console: ConsoleLog) -> None:
    app.sign_in(page, "operator", "/vessels")
    open_page(page, app)
    expect(page.locator(ROWS)).to_have_count(15)
    # a vessel of the table's last page: the link must bring that page into view
    page.locator("#vs-grid .ag-paging-button").last.click()
    far = page.locator("#vs-grid .ag-pinned-left-cols-container .ag-row [col-id='id']").last.inner_text()
    page.goto(app.url(f"/vessels?lang=vi&vessel={far}"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    expect_selected(page, far)
    assert page.url.endswith(f"/vessels?lang=vi&vessel={far}")  # named already: the address stays as it is
    # the example, in English
    page.goto(app.url("/vessels?vessel=TTH-90012-TS&lang=en"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    expect_selected(page, "TTH-90012-TS")
    expect(page.locator("#page-errors")).to_be_hidden()
    shot(page, "vessels-link-en")
    # another vessel clicked on the map: selected the same way, and the address names it
    marker = page.locator("#vs-map path.vs-marker.vs-state-at_sea:not(.vs-v-TTH-90012-TS)").first
    vessel = re.search(r"vs-v-(\S+)", marker.get_attribute("class") or "").group(1)
    marker.dispatch_event("click")
    expect_selected(page, vessel)
    expect(page).to_have_url(re.compile(rf"/vessels\?vessel={vessel}&lang=en$"))
    # a registration the fleet does not hold: named in the amber banner, nothing selected
    page.goto(app.url("/vessels?lang=en&vessel=TTH-99999-TS"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    expect(page.locator("#page-errors.banner-warn")).to_have_text(
        "Ignored vessel=TTH-99999-TS: no such registration. Using: no vessel selected.")
    expect(page.locator(ROWS)).to_have_count(15)
    expect(page.locator(SELECTED_ID)).to_have_count(0)
    console.assert_clean()


def test_a_visitor_opening_a_link_sees_the_totals_and_no_vessel(page: Page, app: RunningApp,
                                                                console: ConsoleLog) -> None:
    page.goto(app.url("/vessels?lang=en&vessel=TTH-90012-TS"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    expect(page.locator("#vs-privacy")).to_contain_text("personal and commercial data")
    expect(page.locator("#vs-counts .vs-count")).to_have_count(5)
    expect(page.locator("#vs-map path.vs-marker, #vs-map path.vs-selected-ring")).to_have_count(0)
    expect(page.locator("#vs-detail-card")).to_be_hidden()
    expect(page.locator("#page-errors")).to_be_hidden()
    assert "TTH-90012-TS" not in page.locator("main").inner_text()
    console.assert_clean()
