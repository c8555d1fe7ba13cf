"""The leaders' scorecard (/scorecard) in headless Chromium on the session's app (a year of
simulated history): the KPI rows with their lights, trends and changes, the grain and period
controls and the URL that follows them, a refused period named on the banner, and the page on a
phone. Screenshots: scorecard-<lang>.png, scorecard-quarter-en.png, scorecard-phone-vi.png."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from ioc.config import load_settings
from ioc.domain.local_time import utcnow
from ioc.kpi.periods import to_local
from ioc.scorecard import ScorePeriod
from tests.browser.harness import ConsoleLog, RunningApp, shot

ROWS = ".sc-table .sc-row"


def last_month() -> ScorePeriod:
    """The last whole month in Huế (the app's zone)."""
    settings = load_settings({})
    return ScorePeriod.containing(to_local(utcnow(), settings.tz).date(), "month").shifted(-1)


def open_scorecard(page: Page, app: RunningApp, query: str) -> None:
    page.goto(app.url(f"/scorecard{query}"))
    expect(page.locator(ROWS).first).to_be_visible(timeout=60_000)


def test_the_scorecard_shows_each_kpi_against_its_target_and_follows_the_controls(
        app: RunningApp, page: Page, console: ConsoleLog) -> None:
    when = last_month()
    open_scorecard(page, app, f"?period={when.key}&lang=en")
    expect(page.locator("h1")).to_have_text("Leaders' scorecard")
    expect(page.locator(".sc-kpis .card-title")).to_contain_text(when.period.start.strftime("%B %Y"))
    # the families written as code each have their group of rows; the CLI's value is the page's
    feedback = json.loads(app.cli("kpi", "feedback", "--from", when.period.start.isoformat(), "--to",
                                  (when.period.end - timedelta(days=1)).isoformat(), "--json").stdout)
    on_time = page.locator(f"{ROWS}[data-family='feedback'][data-kpi='on_time_rate']")
    assert float(on_time.locator(".sc-value").get_attribute("data-value")) == feedback["on_time_rate"]
    assert on_time.locator(".sc-state").get_attribute("data-state") in ("good", "warn", "bad")
    expect(on_time.locator(".sc-target")).to_have_text(re.compile(r"≥ \d+%"))
    # a year of history: twelve months of trend, the month before compared, a year before not
    spark = on_time.locator("img.sc-spark")
    values = spark.get_attribute("data-values").split(",")
    assert len(values) == 12 and values[-1] and values[-2]
    assert re.fullmatch(r"[▲▼▬] \d+\.\d pts", on_time.locator(".sc-previous").inner_text())
    for family in ("feedback", "traffic", "environment", "admin", "cameras", "vessels"):
        assert page.locator(f"{ROWS}[data-family='{family}']").count() >= 2, family
    assert page.locator(f"{ROWS}[data-family='indicators']").count() == 0  # the indices have their own card
    expect(page.locator(".sc-indices tbody tr")).to_have_count(4)
    expect(page.locator(".sc-ranking")).to_have_count(2)
    assert page.locator(".sc-ranking[data-ranking='tthc_unit'] .sc-best tbody tr").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    shot(page, "scorecard-en", full_page=True)

    # by quarter: the quarter holding the month; the URL follows
    page.get_by_label("Quarter").check()
    quarter = ScorePeriod.containing(when.period.start, "quarter")
    page.wait_for_url(re.compile(rf"[?&]period={quarter.key}(&|$)"))
    expect(page.locator(".sc-kpis .card-title")).to_contain_text(f"Q{quarter.index} {quarter.year}")
    expect(page.locator("#sc-span")).to_have_text(
        f"{quarter.period.start:%d/%m/%Y} – {quarter.period.end - timedelta(days=1):%d/%m/%Y}")
    # an earlier quarter from the list
    page.locator("#sc-period").click()
    earlier = quarter.shifted(-1)
    page.locator(".dash-dropdown-option").filter(has_text=f"Q{earlier.index} {earlier.year}").click()
    page.wait_for_url(re.compile(rf"[?&]period={earlier.key}(&|$)"))
    expect(page.locator(".sc-kpis .card-title")).to_contain_text(f"Q{earlier.index} {earlier.year}")
    shot(page, "scorecard-quarter-en", full_page=True)
    console.assert_clean()


def test_a_refused_period_is_named_and_the_running_month_shown(app: RunningApp, page: Page,
                                                               console: ConsoleLog) -> None:
    open_scorecard(page, app, "?period=2026-13&lang=vi")
    expect(page.locator("#page-errors")).to_contain_text("period=2026-13")
    expect(page.locator("h1")).to_have_text("Bảng điểm lãnh đạo")
    expect(page.locator(".sc-provisional")).to_be_visible()  # the running month is still incomplete
    shot(page, "scorecard-vi", full_page=True)
    console.assert_clean()


def test_on_a_phone_the_table_scrolls_inside_its_card_not_the_page(app: RunningApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                                  has_touch=True, timezone_id="UTC", locale="vi-VN", bypass_csp=True)
    context.set_default_timeout(20_000)
    console = ConsoleLog()
    tab = context.new_page()
    console.attach(tab)
    try:
        open_scorecard(tab, app, f"?period={last_month().key}&lang=vi")
        assert tab.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [390, 390]
        wrap = tab.locator(".sc-kpis .table-wrap")
        assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")  # the rest of the row scrolls inside
        kpi = tab.locator(f"{ROWS} .sc-kpi").first.bounding_box()
        value = tab.locator(f"{ROWS} .sc-value").first.bounding_box()
        assert value["x"] + value["width"] <= 390 and kpi["x"] >= 0  # a KPI's name and value in view
        for selector in ("#sim-badge", "#lang-vi", "#lang-en"):
            if tab.locator(selector).count():
                expect(tab.locator(selector)).to_be_visible()
        shot(tab, "scorecard-phone-vi", full_page=True)
        console.assert_clean()
    finally:
        context.close()
