"""The urban-cameras page (issue 15) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the cameras simulator is one of its sources).

A visitor (a viewer on loopback: camera positions are not personal data) sees the tiles equal to
``python -m ioc kpi cameras --json`` over the page's default period (the last 30 days), a marker
per camera shaped by its purpose and coloured by its state, the offline cameras, the AI events
per day and the latest ones, the worst uptimes; a row chosen flies the map to its camera. In
Vietnamese and in English, at 1920 × 1080 and on a phone, the header on one line, the console
clean.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_today, read_tiles, wait_tiles_loaded

TILES = "#cam-tiles"
TILE_KEYS = ("online", "offline", "offline_30m", "uptime_pct", "events", "fire_smoke")
MARKERS = "#cam-map .cam-marker"
PHONE = {"width": 390, "height": 844}
FLEET_AT_LEAST = 200  # the simulator's fleet: 36 traffic, ~180 security, ~20 flood cameras
SOURCE = "cameras-simulator"
HISTORY_WAIT_S = 180


def wait_for_history(app: RunningApp) -> None:
    """Until the cameras simulator's history is stored: on a first start the families with alert
    rules of their own are written after the first four (ioc.runtime), and the page would show
    a history still growing."""
    deadline = time.monotonic() + HISTORY_WAIT_S
    while True:
        with sqlite3.connect(f"file:{app.work_dir / 'app.sqlite'}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'backfill:progress'").fetchone()
        state = json.loads(row[0]) if row else None
        if state is None or state.get("finished") or SOURCE in state.get("done", []):
            return
        assert time.monotonic() < deadline, f"the cameras' history was not written in {HISTORY_WAIT_S} s: {state}"
        time.sleep(0.5)


def grid_rows(grid: str) -> str:
    return f"#{grid} .ag-center-cols-container .ag-row"


def cli_kpis(app: RunningApp, *flags: str) -> dict[str, Any]:
    """``kpi cameras`` over the page's default period: the last 30 days, today (Huế) included."""
    today = hue_today()
    start = today - timedelta(days=29)
    return json.loads(app.cli("kpi", "cameras", "--from", str(start), "--to", str(today), *flags, "--json").stdout)


def open_page(page: Page, app: RunningApp, query: str = "lang=vi") -> None:
    """The page, once the simulator's history is written, its tiles computed and the fleet on the map."""
    wait_for_history(app)
    page.goto(app.url(f"/cameras?{query}"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    page.wait_for_function(f"document.querySelectorAll({MARKERS!r}).length >= {FLEET_AT_LEAST}", timeout=60_000)


def tiles_equal_cli(page: Page, app: RunningApp, *flags: str) -> dict[str, Any]:
    """The tiles equal the CLI's KPI set taken just before or just after reading them (a live
    heartbeat may land in between)."""
    before = cli_kpis(app, *flags)
    shown = {k: v.raw for k, v in read_tiles(page, TILES).items()}
    after = cli_kpis(app, *flags)
    for k in (before, after):
        if shown == {key: repr(k[key]) for key in TILE_KEYS}:
            return k
    raise AssertionError(f"tiles {shown} equal neither CLI result:\n{before}\n{after}")


def header_fits(page: Page) -> None:
    """The header's links on one line: nothing of the navigation hidden or under the right side."""
    fits = page.evaluate("""() => { const nav = document.querySelector('.nav');
        const right = document.querySelector('.topbar-right').getBoundingClientRect();
        return nav.scrollWidth <= nav.clientWidth + 1 && nav.getBoundingClientRect().right <= right.left; }""")
    assert fits, "the header's navigation overflows"


def test_the_page_in_vietnamese_at_1920(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    open_page(page, app)
    expect(page.locator("h1.cam-title")).to_have_text("Camera đô thị")
    expect(page.locator("#nav-group-cameras-title")).to_have_text("Camera")
    # one menu with the traffic violations, detected by the same cameras
    expect(page.locator("#nav-group-cameras .nav-menu .nav-link")).to_have_text(["Vi phạm giao thông", "Camera đô thị"])
    header_fits(page)
    kpis = tiles_equal_cli(page, app)
    # a marker per camera (the simulator places every one), offline ones as many as the table's rows
    expect(page.locator(MARKERS)).to_have_count(kpis["cameras"])
    assert kpis["cameras"] >= FLEET_AT_LEAST and kpis["by_purpose"]["traffic"] == 36
    for purpose, shape in (("traffic", "circle"), ("security", "square"), ("flood", "diamond")):
        expect(page.locator(f"{MARKERS}.cam-shape-{shape}")).to_have_count(kpis["by_purpose"][purpose])
    offline = page.locator(f"{MARKERS}.cam-state-offline, {MARKERS}.cam-state-offline_30m")
    expect(page.locator(grid_rows("cam-offline-grid"))).to_have_count(offline.count())
    expect(page.locator("#cam-map-note")).to_contain_text("Dữ liệu mô phỏng")
    expect(page.locator(".cam-legend")).to_contain_text("Mất kết nối > 30 phút")
    # AI events: the chart's bars by kind, the latest events 10 a page, the worst uptimes
    expect(page.locator("#cam-events-chart .main-svg .trace.bars").first).to_be_attached()
    expect(page.locator("#cam-events-chart .legend")).to_contain_text("Tụ tập đông người")
    expect(page.locator(grid_rows("cam-events-grid"))).to_have_count(10)
    expect(page.locator(f"{grid_rows('cam-events-grid')}[row-index='0'] [col-id='time_sort']")).to_have_text(
        re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    expect(page.locator(grid_rows("cam-uptime-grid"))).to_have_count(10)
    worst = page.locator(f"{grid_rows('cam-uptime-grid')}[row-index='0'] [col-id='uptime_pct']")
    expect(worst).to_have_text(re.compile(r"^\d{1,3},\d\d\u00a0%$"))
    shot(page, "cameras-vi-1920")
    # the worst camera chosen in the table: the map flies to its street
    scale = page.locator("#cam-map .leaflet-control-scale-line")
    expect(scale).to_have_text(re.compile(r"km$"))
    page.locator(f"{grid_rows('cam-uptime-grid')}[row-index='0'] [col-id='name']").click()
    expect(scale).to_have_text(re.compile(r"^\d+ m$"), timeout=10_000)
    console.assert_clean()


def test_the_page_in_english_filtered_to_security_cameras(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    open_page(page, app, "lang=en")
    expect(page.locator("h1.cam-title")).to_have_text("Urban cameras")
    header_fits(page)
    tiles_equal_cli(page, app)
    expect(page.locator(".cam-legend")).to_contain_text("Offline > 30 min")
    page.goto(app.url("/cameras?lang=en&type=security"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    kpis = tiles_equal_cli(page, app, "--purpose", "security")
    expect(page.locator(MARKERS)).to_have_count(kpis["cameras"])
    expect(page.locator(f"{MARKERS}:not(.cam-shape-square)")).to_have_count(0)
    expect(page.locator("#cam-type")).to_contain_text("Security")
    types = page.locator(f"{grid_rows('cam-events-grid')} [col-id='purpose_label']")
    expect(types.first).to_have_text("Security")
    assert set(types.all_inner_texts()) == {"Security"}
    shot(page, "cameras-en-1920-security")
    console.assert_clean()


def test_the_page_on_a_phone(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, app)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "horizontal scroll"
    box = page.locator("#cam-map").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] and box["height"] >= 300, box
    expect(page.locator(grid_rows("cam-uptime-grid"))).to_have_count(10)
    shot(page, "cameras-vi-390", full_page=True)
    console.assert_clean()
