"""Every page a leader reads, on a phone (390 × 844, Chromium's mobile emulation: touch, a
device pixel ratio of 3, the page's own viewport meta tag), and the header on a laptop.

On a phone nothing scrolls the page sideways; the header shows the SIMULATED mark, the live
status, the language switch and a menu button, and the links only once the button is pressed
(in the browser: no server round trip, aria-expanded says the state, Escape or a choice closes
it). At 1366 px the links collapse the same way instead of running under the status; at 1920 px
they stand in the header. On tablets (800 × 1280 portrait, 1024 × 768 landscape) the header keeps
one line (the account opens with the menu), nothing scrolls sideways and no tile spills its text.
Screenshots (test-artifacts/screenshots/): phone-<page>-<lang>.png, phone-<page>-<lang>-menu.png,
tablet-<width>-<page>-<lang>.png, header-1366-<lang>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ioc.registry import registry
from layouts import ids
from layouts.shell import nav_group_id, nav_id
from tests.browser.harness import LAPTOP, WALL, ConsoleLog, RunningApp, shot

PHONE = {"width": 390, "height": 844}
#: the pages a leader reads (issue #16): the families' pages, the spec-declared systems' and the alerts
LEADER_PAGES = ("overview", "scorecard", "feedback", "traffic", "cameras", "environment", "admin", "alerts",
                "warnings", "flood", "vessels")
PAGES = [p for p in registry().pages if p.name in LEADER_PAGES or p.nav_group == "systems"]
TOGGLE = f"#{ids.NAV_TOGGLE}"
NAV = f"#{ids.NAV}"
#: tablets (issue #16: 761–1100 px, between the phone's and the laptop's layouts), by name
TABLETS = {"800x1280": {"width": 800, "height": 1280}, "1024x768": {"width": 1024, "height": 768}}
#: what stays in the header with the menu closed
ALWAYS_SHOWN = (f"#{ids.SIM_BADGE}", f"#{ids.LIVE_BADGE}", f"#{ids.LANG_VI}", f"#{ids.LANG_EN}", TOGGLE)

#: the page drawn: its content routed, nothing loading, every chart plotted
READY = """() => {
  const page = document.querySelector('#_pages_content .page');
  return !!page && !document.querySelector('[data-dash-is-loading], .tile-loading')
    && [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'));
}"""
SIDEWAYS = "() => [document.documentElement.scrollWidth, innerWidth]"
#: the maps, charts and tables that spill out of their card (a map held to a wall's height ran
#: over the next card once the row stacked), or out of the screen's width
SPILLS = """() => {
  const out = [];
  document.querySelectorAll('.main :is(.leaflet-container, .js-plotly-plot, .ag-root-wrapper)').forEach(e => {
    const card = e.closest('.card');
    if (!e.getClientRects().length) { return; }
    const b = e.getBoundingClientRect(), c = card ? card.getBoundingClientRect() : null;
    if (b.left < -1 || b.right > innerWidth + 1
        || (c && (b.top < c.top - 1 || b.bottom > c.bottom + 1 || b.left < c.left - 1 || b.right > c.right + 1))) {
      out.push(`${e.className.baseVal === undefined ? e.className : ''} in ${card ? card.className : 'no card'}`);
    }
  });
  return out;
}"""


#: tiles whose text runs out of them (a title or value wider than the tile), or out of the screen
TILE_SPILLS = """() => [...document.querySelectorAll('.main .tile')].filter(t => t.getClientRects().length)
  .filter(t => { const b = t.getBoundingClientRect();
    return b.left < -1 || b.right > innerWidth + 1 || t.scrollWidth > t.clientWidth + 1
      || [...t.querySelectorAll('.tile-label, .tile-value')].some(e => e.scrollWidth > e.clientWidth + 1); })
  .map(t => t.id || t.className)"""
#: the header's parts left to right: the brand (its name readable), the menu button, the status
HEADER_ROW = """() => ['.brand', '.brand-name', '.nav-toggle', '.topbar-right']
  .map(s => document.querySelector(s).getBoundingClientRect()).map(b => [b.left, b.right, b.top, b.bottom])"""


@pytest.fixture(scope="module")
def tablets(browser: Browser) -> Iterator[dict[str, tuple[Page, ConsoleLog]]]:
    """One tab per tablet size for the module (touch, a device pixel ratio of 2), opened when first used."""
    contexts: list[BrowserContext] = []

    class Tabs(dict):
        def __missing__(self, name: str) -> tuple[Page, ConsoleLog]:
            context = browser.new_context(viewport=TABLETS[name], device_scale_factor=2, is_mobile=True,
                                          has_touch=True, timezone_id="UTC", locale="en-US", bypass_csp=True)
            context.set_default_timeout(20_000)
            contexts.append(context)
            tab = context.new_page()
            console = ConsoleLog()
            console.attach(tab)
            self[name] = (tab, console)
            return self[name]

    tabs = Tabs()
    try:
        yield tabs
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def phone(browser: Browser) -> Iterator[tuple[Page, ConsoleLog]]:
    """One tab of a phone for the module (a context per page would double its time)."""
    context: BrowserContext = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True,
                                                  timezone_id="UTC", locale="en-US", bypass_csp=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    console = ConsoleLog()
    console.attach(tab)
    try:
        yield tab, console
    finally:
        context.close()


def inside_screen(page: Page, selector: str, size: dict) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} has no box"
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5 \
        and box["y"] + box["height"] <= size["height"], f"{selector} lies outside the screen: {box}"


def no_sideways_scroll(page: Page, size: dict) -> None:
    width, inner = page.evaluate(SIDEWAYS)
    assert inner == size["width"] and width <= inner, f"the page is {width} px wide in a {inner} px window"


@pytest.mark.parametrize("index", range(len(PAGES)), ids=[p.name for p in PAGES])
def test_a_page_on_a_phone(phone: tuple[Page, ConsoleLog], app: RunningApp, index: int) -> None:
    tab, console = phone
    page = PAGES[index]
    lang = ("vi", "en")[index % 2]  # each language on every other page
    console.errors.clear()
    tab.goto(app.url(f"{page.path}?lang={lang}"))
    tab.wait_for_function(READY, timeout=60_000)
    no_sideways_scroll(tab, PHONE)
    assert tab.evaluate(SPILLS) == [], "maps, charts or tables spill out of their cards"

    # not a kiosk: /wallet once switched kiosk mode on for the session (it starts with /wall)
    assert tab.evaluate("document.documentElement.classList.contains('kiosk')") is False
    toggle = tab.locator(TOGGLE)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", ids.NAV)
    expect(toggle).to_have_text("Danh mục" if lang == "vi" else "Menu")  # its name, for a screen reader
    expect(tab.locator(NAV)).to_be_hidden()
    for selector in ALWAYS_SHOWN:
        expect(tab.locator(selector)).to_be_visible()
        inside_screen(tab, selector, PHONE)
    expect(tab.locator(f"#{ids.LANG_VI if lang == 'vi' else ids.LANG_EN}")).to_have_class(re.compile(r"\bactive\b"))
    shot(tab, f"phone-{page.name}-{lang}")

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(tab.locator(NAV)).to_be_visible()
    # the page's own link, or its group's title, is there to read; the status still shows
    here = tab.locator(f"#{nav_group_id(page.nav_group)}" if page.nav_group else f"#{nav_id(page.name)}")
    expect(here).to_be_visible()
    inside_screen(tab, f"#{ids.SIM_BADGE}", PHONE)
    no_sideways_scroll(tab, PHONE)
    shot(tab, f"phone-{page.name}-{lang}-menu")

    tab.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tab.locator(NAV)).to_be_hidden()
    expect(toggle).to_be_focused()
    console.assert_clean()


@pytest.mark.parametrize("size", TABLETS)
@pytest.mark.parametrize("index", range(len(PAGES)), ids=[p.name for p in PAGES])
def test_a_page_on_a_tablet(tablets: dict[str, tuple[Page, ConsoleLog]], app: RunningApp, size: str,
                            index: int) -> None:
    tab, console = tablets[size]
    screen = TABLETS[size]
    page = PAGES[index]
    lang = ("vi", "en")[(index + (size == "1024x768")) % 2]  # each page in one language at one size, the other at the other
    console.errors.clear()
    tab.goto(app.url(f"{page.path}?lang={lang}"))
    tab.wait_for_function(READY, timeout=60_000)
    no_sideways_scroll(tab, screen)
    assert tab.evaluate(SPILLS) == [], "maps, charts or tables spill out of their cards"
    assert tab.evaluate(TILE_SPILLS) == [], "tiles whose text runs out of them"

    toggle = tab.locator(TOGGLE)
    expect(toggle).to_be_visible()
    expect(tab.locator(NAV)).to_be_hidden()
    for selector in ALWAYS_SHOWN:
        expect(tab.locator(selector)).to_be_visible()
        inside_screen(tab, selector, screen)
    # one line: the brand with its name, then the button, then the status; none under another
    brand, name, button, right = tab.evaluate(HEADER_ROW)
    assert name[1] - name[0] >= 40 and name[1] <= button[0] and button[1] <= right[0] <= right[1] <= screen["width"], (
        brand, name, button, right)
    assert max(b[3] for b in (brand, button, right)) - min(b[2] for b in (brand, button, right)) < 60, "two lines"
    expect(tab.locator(".account")).to_be_hidden()
    shot(tab, f"tablet-{screen['width']}-{page.name}-{lang}")

    toggle.tap()
    expect(tab.locator(NAV)).to_be_visible()
    here = tab.locator(f"#{nav_group_id(page.nav_group)}" if page.nav_group else f"#{nav_id(page.name)}")
    expect(here).to_be_visible()
    # the account opens with the menu, beside the links, on the screen
    expect(tab.locator(".account-name")).to_be_visible()
    inside_screen(tab, ".account", screen)
    nav_box, account_box = tab.locator(NAV).bounding_box(), tab.locator(".account").bounding_box()
    assert nav_box["x"] + nav_box["width"] <= account_box["x"] + 0.5, (nav_box, account_box)
    no_sideways_scroll(tab, screen)
    if index == 0:
        shot(tab, f"tablet-{screen['width']}-{page.name}-{lang}-menu")
    tab.keyboard.press("Escape")
    expect(tab.locator(NAV)).to_be_hidden()
    expect(tab.locator(".account")).to_be_hidden()
    console.assert_clean()


def test_the_menu_from_the_keyboard_and_a_choice_closes_it(phone: tuple[Page, ConsoleLog], app: RunningApp) -> None:
    tab, console = phone
    console.errors.clear()
    tab.goto(app.url("/?lang=vi"))
    toggle = tab.locator(TOGGLE)
    expect(toggle).to_be_visible()
    toggle.focus()
    tab.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    tab.keyboard.press("Tab")  # the links follow the button
    expect(tab.locator(f"#{nav_id(PAGES[0].name)}")).to_be_focused()
    # a group opens in the menu and its pages are chosen there
    hazards = tab.locator(f"#{nav_group_id('hazards')}")
    hazards.tap()
    tab.locator(f"#{nav_id('flood')}").tap()
    expect(tab).to_have_url(re.compile(r"/flood\?lang=vi$"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tab.locator(NAV)).to_be_hidden()
    expect(tab.locator(f"#{nav_id('flood')}")).to_have_class(re.compile(r"\bactive\b"))
    console.assert_clean()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_header_on_a_laptop_and_a_wall(page: Page, app: RunningApp, console: ConsoleLog, lang: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(app.url(f"/?lang={lang}"))
    toggle = page.locator(TOGGLE)
    expect(toggle).to_be_visible()
    expect(page.locator(NAV)).to_be_hidden()
    expect(page.locator(".account-name")).to_be_visible()  # the account area filled: its final width
    # the button, the brand and the status side by side, none under another
    boxes = page.evaluate("""() => ['.brand', '.nav-toggle', '.topbar-right']
        .map(s => document.querySelector(s).getBoundingClientRect()).map(b => [b.left, b.right])""")
    assert boxes[0][1] <= boxes[1][0] and boxes[1][1] <= boxes[2][0] and boxes[2][1] <= LAPTOP["width"], boxes
    for selector in ALWAYS_SHOWN:
        inside_screen(page, selector, LAPTOP)
    no_sideways_scroll(page, LAPTOP)
    toggle.click()
    expect(page.locator(f"#{nav_id('feedback')}")).to_be_visible()
    shot(page, f"header-1366-{lang}")
    page.mouse.click(LAPTOP["width"] - 100, LAPTOP["height"] - 100)  # a click beside the menu closes it
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(NAV)).to_be_hidden()
    toggle.click()
    page.locator(f"#{nav_id('feedback')}").click()
    expect(page).to_have_url(re.compile(r"/feedback\?"))
    expect(page.locator(NAV)).to_be_hidden()

    page.set_viewport_size(WALL)  # the links stand in the header, the button is not shown
    expect(toggle).to_be_hidden()
    expect(page.locator(f"#{nav_id('feedback')}")).to_be_visible()
    fits = page.evaluate("""() => { const nav = document.querySelector('.nav');
        return nav.scrollWidth <= nav.clientWidth + 1
          && nav.getBoundingClientRect().right <= document.querySelector('.topbar-right').getBoundingClientRect().left; }""")
    assert fits, "the header's links overflow at 1920 px"
    console.assert_clean()
