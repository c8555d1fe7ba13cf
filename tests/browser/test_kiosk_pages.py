"""Every page in kiosk mode (``?kiosk=1``, a wall's rotation) at 1920 × 1080 and 3840 × 2160, in
headless Chromium, against the app as a newcomer starts it (``python app.py``).

Each page shows the panels its declaration keeps (``kiosk_panels``, layouts/kiosk.py) on one
screen: nothing scrolls, every kept panel lies wholly in view, nothing else shows. A 4K screen is
the 1080p design at twice the size without CSS zoom: the charts are drawn at the size of their
box, with every tick label inside it (under zoom the traffic heatmap showed hours 0–12 and four
weekdays), their fonts at twice the template's, and the maps show the same area.

Screenshots (test-artifacts/screenshots/): kiosk-<page>-<lang>-<width>x<height>.png,
kiosk-rotation-traffic-3840x2160.png.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from ioc.registry import registry
from tests.browser.harness import ConsoleLog, RunningApp, shot

SIZES = {"1080p": {"width": 1920, "height": 1080}, "4k": {"width": 3840, "height": 2160}}
SCALE = {"1080p": 1, "4k": 2}  # the root font size over the design's 10 px (assets/wall.css)
#: every routed page but the wall (a kiosk by construction: test_wall_page.py), the audit
#: (administrators only), the search (an interactive lookup) and the scorecard (a leader's review):
#: never on a wall
PAGES = [p for p in registry().pages if p.name not in ("wall", "audit", "search", "scorecard")]
HISTORY_WAIT_S = 300
TEMPLATE_FONT = 13  # layouts/figures.py: the dark template's font size, in px at 1080p


def declared(page_name: str) -> tuple[str, ...]:
    """The panels a page keeps in kiosk mode: its own, else its family's."""
    page = next(p for p in registry().pages if p.name == page_name)
    family = next((f for f in registry().families if page in f.pages), None)
    return page.kiosk_panels or (family.kiosk_panels if family else ())


@pytest.fixture(scope="module")
def history(app: RunningApp) -> RunningApp:
    """The app once every simulated source's history is written (a first start writes them in the
    background): a kiosk page shows all its panels filled."""
    deadline = time.monotonic() + HISTORY_WAIT_S
    while True:
        with sqlite3.connect(f"file:{app.work_dir / 'app.sqlite'}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'backfill:progress'").fetchone()
        state = json.loads(row[0]) if row else None
        if state is None or state.get("finished"):
            return app
        assert time.monotonic() < deadline, f"the simulated history was not written in {HISTORY_WAIT_S} s: {state}"
        time.sleep(1)


def open_kiosk(browser: Browser, app: RunningApp, size: dict, path: str) -> tuple[Page, ConsoleLog]:
    context = browser.new_context(viewport=size, timezone_id="UTC", locale="en-US", bypass_csp=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    console = ConsoleLog()
    console.attach(page)
    page.goto(app.url(path))
    return page, console


#: the kept panels, and the charts in them, once filled: no tile still a placeholder, every
#: chart drawn with its data (a figure with traces) and its axes' labels
FILLED = """() => {
  const kept = [...document.querySelectorAll('[data-kiosk=strip], [data-kiosk=cell]')];
  if (!kept.length || kept.some(p => !p.textContent.trim() || p.querySelector('.tile-loading, .wall-loading'))) {
    return false;
  }
  return [...document.querySelectorAll('[data-kiosk=cell] .js-plotly-plot')]
    .every(g => g.data && g.data.length && g._fullLayout && g.querySelector('.main-svg')
                && g.querySelector('.xtick text, .ytick text'));
}"""

#: what a test reads of the screen: sizes, the kept panels' boxes, the visible cards not kept,
#: and each kept chart's box, its drawing's size and its drawn tick labels' boxes (Plotly
#: leaves a label that would not fit undrawn, with no box)
SCREEN = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const kept = [...document.querySelectorAll('[data-kiosk=strip], [data-kiosk=cell]')];
  return {
    w: innerWidth, h: innerHeight, sw: document.documentElement.scrollWidth,
    sh: document.documentElement.scrollHeight,
    rem: parseFloat(getComputedStyle(document.documentElement).fontSize),
    panels: kept.map(p => ({kind: p.dataset.kiosk, cls: p.className, box: box(p)})),
    strays: [...document.querySelectorAll('.card, .filter-bar, .ag-root-wrapper')]
      .filter(e => shown(e) && !kept.some(p => p === e || p.contains(e))).map(e => e.className),
    charts: [...document.querySelectorAll('[data-kiosk=cell] .js-plotly-plot')].map(g => ({
      id: g.id || g.parentElement.id, box: box(g), svg: [g.querySelector('.main-svg').clientWidth,
                                                          g.querySelector('.main-svg').clientHeight],
      font: g._fullLayout.font.size,
      ticks: [...g.querySelectorAll('.xtick text, .ytick text')].filter(t => t.textContent && shown(t))
        .map(t => ({text: t.textContent, box: box(t)})),
    })),
  };
}"""


def fits(chart: dict) -> bool:
    """Whether a chart is drawn at its box's size (to 2 px)."""
    left, top, right, bottom = chart["box"]
    return abs(chart["svg"][0] - (right - left)) <= 2 and abs(chart["svg"][1] - (bottom - top)) <= 2


def read_screen(page: Page) -> dict:
    """:data:`SCREEN` once the panels are filled, read again while a chart is being redrawn (the
    live feed updates them: a redraw briefly has no tick labels) or resized (a row above it grew
    when its tiles were filled: the chart is drawn again at its new size a moment later)."""
    for _ in range(20):
        page.wait_for_function(FILLED, timeout=90_000)
        screen = page.evaluate(SCREEN)
        if all(chart["ticks"] and fits(chart) for chart in screen["charts"]):
            return screen
        page.wait_for_timeout(250)
    return screen


def inside(inner: list[float], outer: list[float], slack: float = 1.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and inner[2] <= outer[2] + slack
            and inner[3] <= outer[3] + slack)


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize("page_name", [p.name for p in PAGES])
def test_a_kiosk_page_shows_its_panels_on_one_screen(browser: Browser, history: RunningApp, page_name: str,
                                                     size: str) -> None:
    panels = declared(page_name)
    assert panels, f"the page {page_name!r} declares no kiosk_panels: in kiosk mode it would scroll"
    path = next(p.path for p in PAGES if p.name == page_name)
    view = SIZES[size]
    page, console = open_kiosk(browser, history, view, f"{path}?kiosk=1&lang=vi")
    try:
        screen = read_screen(page)
        assert page.evaluate("document.documentElement.classList.contains('kiosk')")
        name = f"kiosk-{page_name}-vi-{view['width']}x{view['height']}"
        shot(page, name)
        # the design at the screen's scale: 1rem is 10 px at 1080p, 20 px at 4K
        assert screen["rem"] == 10 * SCALE[size], screen["rem"]
        # one screen: nothing scrolls, every declared panel is there and wholly in view
        assert screen["sw"] <= screen["w"] and screen["sh"] <= screen["h"], (name, screen["sw"], screen["sh"])
        assert len(screen["panels"]) == len(panels), (panels, screen["panels"])
        whole = [0, 0, screen["w"], screen["h"]]
        for panel in screen["panels"]:
            left, top, right, bottom = panel["box"]
            assert inside(panel["box"], whole) and bottom - top >= 0.05 * screen["h"], (name, panel)
            if panel["kind"] == "cell":  # a cell shares the rest of the screen: at least a sixth of its height
                assert bottom - top >= screen["h"] / 6, (name, panel)
        # and nothing else: no filter bar, no table, no card that was not kept
        assert screen["strays"] == [], (name, screen["strays"])
        # each chart drawn at its box's size, at the screen's scale, every tick label inside the box
        for chart in screen["charts"]:
            assert fits(chart), chart
            assert chart["font"] == TEMPLATE_FONT * SCALE[size], (chart["id"], chart["font"])
            outside = [t for t in chart["ticks"] if not inside(t["box"], chart["box"])]
            assert chart["ticks"] and not outside, (chart["id"], outside or "no tick labels")
        console.assert_clean()
    finally:
        page.context.close()


#: the heatmap's rendered tick labels (hours every two, the weekdays), the hours its axis spans and
#: its grid of counts (null while it is being drawn)
HEATMAP = """() => { const g = document.querySelector('#tr-chart-heatmap .js-plotly-plot');
  if (!g || !g._fullLayout || !g._fullData || !g._fullData.length || !g.querySelector('.xtick text')) { return null; }
  const at = (t, side) => t.getBoundingClientRect()[side];  // in screen order: left to right, top to bottom
  const labels = (sel, side) => [...g.querySelectorAll(sel)].sort((a, b) => at(a, side) - at(b, side))
    .map(t => t.textContent);
  const z = g._fullData[0].z;
  return {x: labels('.xtick text', 'left'), y: labels('.ytick text', 'top'), range: g._fullLayout.xaxis.range,
          columns: z[0].length, rows: z.length}; }"""
#: metres per pixel of the traffic map, read from its scale bar ("10 km" over so many pixels)
MAP_SCALE = """() => { const bar = document.querySelector('#tr-map .leaflet-control-scale-line');
  const m = bar.textContent.trim().match(/^([0-9]+) (km|m)$/);
  return Number(m[1]) * (m[2] === 'km' ? 1000 : 1) / parseFloat(bar.style.width); }"""
WEEKDAYS = {"vi": ["T2", "T3", "T4", "T5", "T6", "T7", "CN"], "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
# the map's centre (layouts/traffic.py MAP_CENTRE, 16.385° N) at zoom 10: the earth's circumference
# 40,075,017 m × cos 16.385° / (256 × 2^10) px = 146.7 m a pixel of the 1080p design
METRES_PER_PX_1080P = 146.7


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_traffic_heatmap_has_its_full_axes_and_the_map_its_area(browser: Browser, history: RunningApp, size: str,
                                                                    lang: str) -> None:
    """The issue's test: at 3840 × 2160 the heatmap showed only hours 0–12 and four weekdays."""
    view = SIZES[size]
    page, console = open_kiosk(browser, history, view, f"/traffic?kiosk=1&lang={lang}")
    try:
        page.wait_for_function(FILLED, timeout=90_000)
        heat = page.wait_for_function(HEATMAP).json_value()
        # 24 hours × 7 weekdays, the axis from before 0 h to after 23 h, labelled every two hours
        assert (heat["columns"], heat["rows"]) == (24, 7), heat
        assert heat["range"][0] <= -0.4 and heat["range"][1] >= 23.4, heat["range"]
        assert heat["x"] == [str(h) for h in range(0, 24, 2)], heat["x"]
        assert heat["y"] == WEEKDAYS[lang], heat["y"]
        # the labels are inside the chart's box (the zoomed chart drew them past its edge)
        assert page.evaluate("""() => { const g = document.querySelector('#tr-chart-heatmap').getBoundingClientRect();
            return [...document.querySelectorAll('#tr-chart-heatmap .xtick text, #tr-chart-heatmap .ytick text')]
              .every(t => { const b = t.getBoundingClientRect();
                            return b.left >= g.left && b.right <= g.right && b.top >= g.top && b.bottom <= g.bottom; }); }""")
        # the map shows the same area at 4K as at 1080p: half the metres a pixel
        metres = page.evaluate(MAP_SCALE)
        assert metres == pytest.approx(METRES_PER_PX_1080P / SCALE[size], rel=0.05), metres
        shot(page, f"kiosk-traffic-heatmap-{lang}-{view['width']}x{view['height']}")
        console.assert_clean()
    finally:
        page.context.close()


def test_a_rotation_at_4k_shows_the_pages_kiosk_layout(browser: Browser, history: RunningApp) -> None:
    """``/wall?rotate=wall,traffic`` opens the traffic page in its kiosk layout, on one 4K screen."""
    view = SIZES["4k"]
    page, console = open_kiosk(browser, history, view, "/wall?rotate=wall,traffic&every=15")
    try:
        expect(page.locator(".wall-panel").first).to_be_visible(timeout=30_000)
        page.wait_for_url(re.compile(r"/traffic\?"), timeout=30_000)
        screen = read_screen(page)
        assert screen["sh"] <= screen["h"] and len(screen["panels"]) == len(declared("traffic")), screen["panels"]
        assert screen["strays"] == [], screen["strays"]
        expect(page.locator(".kiosk-title")).to_have_text("Vi phạm giao thông")
        shot(page, "kiosk-rotation-traffic-3840x2160")
        page.wait_for_url(re.compile(r"/wall\?"), timeout=30_000)
        expect(page.locator(".wall-panel").first).to_be_visible()
        console.assert_clean()
    finally:
        page.context.close()
