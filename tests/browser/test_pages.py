"""The dashboard in headless Chromium (issue 2 §7, §8): Overview and Feedback load, their KPI
tiles equal what ``python -m ioc kpi feedback`` computes for the same period, the map, charts
and overdue grid render, filters live in the URL, bad parameters are reported, English works,
new reports appear live, citizen text stays text, and the pages fit a wall and a laptop.

One app serves the whole module (see conftest.py): embedded defaults, the live simulator as
its source, 120 days of simulated history. Periods that must compare exactly with the CLI end
before today, so the live feed (which only adds reports received from start-up on) cannot
move them; the tiles are still read between two CLI runs, because backfilled reports that are
open can become overdue while the test runs.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

from playwright.sync_api import Page, expect

from ioc.registry import registry
from tests.browser.harness import LAPTOP, SIMULATOR_SPEED, WALL, ConsoleLog, RunningApp, shot
from tests.browser.pages import (
    FEEDBACK_TILES,
    HOUR_KPIS,
    HUE_TZ,
    OVERVIEW_TILES,
    RATE_KPIS,
    check_hours_text,
    check_pct_text,
    dmy,
    en_int,
    grid_column,
    hue_local_iso,
    hue_newest_iso,
    hue_today,
    parse_local,
    read_tiles,
    tiles_match_cli,
    vi_int,
    wait_tiles_loaded,
)

FB_TILES = "#fb-tiles"
OV_TILES = ".family-card[data-family='feedback'] .tiles"
CHARTS = ("trend", "category", "district", "channel", "handling")
HUE_CITY = ("19789", "Phường Thuận Hóa", 16.4637, 107.5909)  # units in force today (imports check the date)
PHU_LOC = ("20107", "Xã Phú Lộc", 16.2682, 107.886)
XSS_TEXT = '<img src=x onerror="window.__xss=1">& "quotes" <b>bold</b>'
XSS_ADDRESS = '12 <i>Lê Lợi</i> & "Hẻm 5"'


def past_period(days: int = 60) -> tuple[date, date]:
    """[today − days, today): local dates that end before today (the live feed cannot touch them)."""
    today = hue_today()
    return today - timedelta(days=days), today


def url_period(start: date, end: date) -> dict[str, str]:
    """The URL's ``from`` / ``to`` of the period [start, end): its first and last day, both included."""
    return {"from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat()}


def feedback_url(app: RunningApp, **params: str) -> str:
    return app.url("/feedback" + (f"?{urlencode(params)}" if params else ""))


def wait_feedback_ready(page: Page) -> None:
    """Tiles computed, map served (clusters drawn) and the lower half filled (charts, grid)."""
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    page.wait_for_selector("#fb-map .marker-cluster, #fb-map path.leaflet-interactive")
    for key in CHARTS:
        page.wait_for_selector(f"#fb-chart-{key} .main-svg .trace", state="attached")
    expect(page.locator("#fb-overdue-note")).not_to_be_empty()


def search_params(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


# 1 ------------------------------------------------------------------------------------------


def test_overview_loads_in_vietnamese(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/"))
    expect(page).to_have_title("IOC Huế · Tổng quan")
    expect(page.locator("h1.page-title")).to_have_text("Tổng quan vận hành")
    expect(page.locator("#nav-overview")).to_have_class(re.compile(r"\bactive\b"))

    # Feedback tiles: the default period (last 365 days, today included), as the CLI computes it.
    wait_tiles_loaded(page, OV_TILES, OVERVIEW_TILES)
    tiles, cli = tiles_match_cli(page, app, OV_TILES, OVERVIEW_TILES)
    assert cli["received"] > 1000  # 120 days of simulated history
    assert tiles["received"].label == "Tiếp nhận"
    assert tiles["received"].text == vi_int(int(tiles["received"].raw))  # "3.484"
    for key in ("processed_rate", "on_time_rate", "satisfaction_rate"):
        check_pct_text(tiles[key], "vi")
        assert tiles[key].state in ("good", "warn", "bad")
    assert tiles["overdue"].text == vi_int(int(tiles["overdue"].raw))
    expect(page.locator(".family-card[data-family='feedback'] .card-note")).to_contain_text("12 tháng qua · hôm nay:")

    # One card per declared family, in the registry's order, each under its own name.
    families = registry().families
    expect(page.locator(".family-card")).to_have_count(len(families))
    expect(page.locator(".family-card .card-title")).to_have_text([f.label("vi") for f in families])
    expect(page.locator(".family-card[data-family='feedback']")).to_have_class(re.compile(r"\bfamily-lead\b"))

    # The simulator is the only source: the label says so, with the test app's speed-up (issue 17),
    # and the health list shows it running.
    expect(page.locator("#sim-badge")).to_have_text(f"DỮ LIỆU MÔ PHỎNG ×{SIMULATOR_SPEED}")
    expect(page.locator("#sim-badge")).to_have_attribute("title", re.compile(rf"nhanh gấp {SIMULATOR_SPEED} lần"))
    row = page.locator("#ov-sources tr[data-source='feedback-simulator']")
    expect(row).to_contain_text("simulator")
    expect(row).to_contain_text("Phản ánh hiện trường")
    expect(row).to_contain_text("mỗi 5 giây")
    expect(row.locator(".pill-run-ok")).to_have_text("Thành công", timeout=15_000)

    # Latest reports and the 30-day chart are filled.
    expect(page.locator("#ov-recent .recent-item").first).to_be_visible(timeout=15_000)
    page.wait_for_selector("#ov-chart-daily .main-svg .trace", state="attached")

    # The header clock shows Huế time although the browser runs in UTC.
    clock = datetime.strptime(page.locator("#shell-clock").text_content(), "%d/%m/%Y %H:%M:%S")
    now_hue = datetime.now(HUE_TZ).replace(tzinfo=None)
    assert abs((clock - now_hue).total_seconds()) < 5, (clock, now_hue)

    shot(page, "overview-vi-1920x1080")
    console.assert_clean()


# 2 ------------------------------------------------------------------------------------------


def check_feedback_tiles_equal_cli(page: Page, app: RunningApp, unit: str | None) -> None:
    start, end = past_period(60)
    params = url_period(start, end)
    if unit:
        params["unit"] = unit
    page.goto(feedback_url(app, **params))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    tiles, cli = tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES, start, end, unit=unit)
    assert cli["received"] > 100 and cli["processed"] > 0 and cli["rated_share"] is not None

    # The shown text agrees with the raw value, in Vietnamese number format.
    assert tiles["received"].text == vi_int(cli["received"])
    assert tiles["overdue"].text == vi_int(int(tiles["overdue"].raw))
    for key in RATE_KPIS:
        check_pct_text(tiles[key], "vi")
    for key in HOUR_KPIS:
        check_hours_text(tiles[key], "vi")
    # Traffic lights against the default targets (processed 98 %, on time 95 %, satisfied 90 %).
    for key, target in (("processed_rate", 0.98), ("on_time_rate", 0.95), ("satisfaction_rate", 0.90)):
        value = float(tiles[key].raw)
        expected = "good" if value >= target - 1e-9 else "warn" if value >= target - 0.05 - 1e-9 else "bad"
        assert tiles[key].state == expected, (key, value, tiles[key].state)

    # The filters show what the URL said, and every part of the page uses the same period.
    last_day = end - timedelta(days=1)
    expect(page.locator("#fb-period-note")).to_have_text(f"{dmy(start)} – {dmy(last_day)}")
    expect(page.locator("#fb-dates")).to_have_value(dmy(start))
    expect(page.locator("#fb-preset-value")).to_have_text("Tùy chọn")
    expect(page.locator("#fb-map-note")).to_have_text(f"Hiển thị {vi_int(cli['received'])} phản ánh")
    if unit:
        expect(page.locator("#fb-unit-value")).to_have_text("Phường Phú Xuân")
    shot(page, f"feedback-kpis-{unit or 'all'}")


def test_feedback_tiles_equal_cli_for_an_explicit_period(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    check_feedback_tiles_equal_cli(page, app, None)
    check_feedback_tiles_equal_cli(page, app, "19753")
    console.assert_clean()


# 3 ------------------------------------------------------------------------------------------


def test_map_charts_and_sortable_overdue_grid(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = past_period(60)
    page.goto(feedback_url(app, **url_period(start, end)))
    wait_feedback_ready(page)

    # Map: one Leaflet container, clustered report markers, the 40 communes' names drawn as text.
    expect(page.locator("#fb-map.leaflet-container")).to_have_count(1)
    assert page.locator("#fb-map .marker-cluster").count() > 5
    # (short names: "Phú Xuân", "Vỹ Dạ", without "Phường", "Xã", so neighbours overlap less)
    expect(page.locator("#fb-map .unit-label")).to_have_count(40)
    expect(page.locator("#fb-map .unit-label").filter(has_text=re.compile(r"^Phú Xuân$"))).to_have_count(1)
    expect(page.locator("#fb-map .unit-label").filter(has_text=re.compile(r"^A Lưới 1$"))).to_have_count(1)

    # Charts: plotly SVG with data in each; the "by area" chart ranks today's communes (40 at most,
    # and records without a place), and a period after 1 July 2025 cannot be grouped by district.
    for key in CHARTS:
        expect(page.locator(f"#fb-chart-{key} .main-svg").first).to_be_visible()
    assert 20 <= page.locator("#fb-chart-district .barlayer .point").count() <= 41
    expect(page.locator("#fb-area-by input[value='district']")).to_be_disabled()
    expect(page.locator("#fb-unit-note")).to_have_text("")
    assert page.locator("#fb-chart-category .barlayer .point").count() >= 5
    assert page.locator("#fb-chart-channel .pielayer .slice").count() >= 2
    assert page.locator("#fb-chart-trend .barlayer .point").count() >= 50  # daily buckets over 60 days

    # Overdue grid: rows, most overdue first.
    grid = page.locator("#fb-overdue-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    overdue_days = [float(v.replace(",", ".")) for v in grid_column(page, "overdue_days")]
    assert len(overdue_days) >= 5
    assert overdue_days == sorted(overdue_days, reverse=True)
    expect(grid.locator(".ag-header-cell[col-id='overdue_days']")).to_have_attribute("aria-sort", "descending")
    received_before = [parse_local(v) for v in grid_column(page, "received_sort")]

    # Sorting by "received" is chronological although the cells read dd/mm/yyyy.
    header = grid.locator(".ag-header-cell[col-id='received_sort']")
    header.locator(".ag-header-cell-label").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(grid.locator(".ag-header-cell[col-id='overdue_days']")).to_have_attribute("aria-sort", "none")
    ascending = [parse_local(v) for v in grid_column(page, "received_sort")]
    assert ascending == sorted(ascending) and len(ascending) == len(received_before)
    assert ascending[0] <= min(received_before)

    header.locator(".ag-header-cell-label").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    descending = [parse_local(v) for v in grid_column(page, "received_sort")]
    assert descending == sorted(descending, reverse=True)
    assert descending[0] >= max(ascending) and descending[0] > ascending[0]

    shot(page, "feedback-map-charts-grid", full_page=True)
    console.assert_clean()


# 4 ------------------------------------------------------------------------------------------


def test_filter_lives_in_the_url_and_a_reload_reproduces_the_view(page: Page, app: RunningApp,
                                                                  console: ConsoleLog) -> None:
    start, end = past_period(45)
    page.goto(feedback_url(app, **url_period(start, end)))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    all_received = int(read_tiles(page, FB_TILES)["received"].raw)

    # Choose "Phường Phú Xuân" (19753) in the unit dropdown, typed without diacritics.
    page.locator("#fb-unit").click()
    page.locator(".dash-dropdown-search").fill("phu xuan")
    option = page.locator(".dash-dropdown-option").filter(has=page.locator("input[value='19753']"))
    expect(option).to_have_text("Phường Phú Xuân")
    shot(page, "feedback-unit-dropdown-search")
    option.click()
    page.wait_for_url(re.compile(r"[?&]unit=19753(&|$)"))
    params = search_params(page)
    assert (params["from"], params["to"]) == (start.isoformat(), (end - timedelta(days=1)).isoformat()), params
    expect(page.locator("#fb-unit-value")).to_have_text("Phường Phú Xuân")
    tiles, cli = tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES, start, end, unit="19753")
    assert 0 < cli["received"] < all_received
    link = page.url

    page.reload()
    assert page.url == link
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("#fb-unit-value")).to_have_text("Phường Phú Xuân")
    expect(page.locator("#fb-dates")).to_have_value(dmy(start))
    again, _ = tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES, start, end, unit="19753")
    assert again["received"].raw == tiles["received"].raw  # a past period: the count cannot move
    assert {k: t.text for k, t in again.items() if k != "overdue"} == \
           {k: t.text for k, t in tiles.items() if k != "overdue"}

    shot(page, "feedback-unit-19753-after-reload")
    console.assert_clean()


# 5 ------------------------------------------------------------------------------------------


def test_bad_url_parameter_is_reported_and_the_page_still_works(page: Page, app: RunningApp,
                                                                console: ConsoleLog) -> None:
    page.goto(feedback_url(app, **{"from": "2026-13-01"}))
    banner = page.locator("#page-errors")
    expect(banner).to_have_class(re.compile(r"\bbanner-warn\b"))
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_contain_text("Bỏ qua tham số from=2026-13-01: không phải ngày dạng YYYY-MM-DD")
    expect(banner.locator(".banner-line")).to_have_count(1)

    # The default period (last 365 days, today included) is used instead, everywhere.
    today = hue_today()
    wait_feedback_ready(page)
    expect(page.locator("#fb-period-note")).to_have_text(f"{dmy(today - timedelta(days=364))} – {dmy(today)}")
    expect(page.locator("#fb-dates")).to_have_value(dmy(today - timedelta(days=364)))
    tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES)  # the CLI's default period is the same
    assert page.locator("#fb-overdue-grid .ag-row").count() > 0

    shot(page, "feedback-bad-from-parameter")
    console.assert_clean()


def test_one_day_and_unknown_filter_values_are_named_on_an_amber_banner(page: Page, app: RunningApp,
                                                                       console: ConsoleLog) -> None:
    """``?from=D&to=D`` is day D everywhere (picker, period note, tiles = ``kpi --from D --to D``);
    ``?category=zzz`` and ``?district=999`` are named on the amber banner, in vi and en, and
    ignored: the dropdowns show "all", never the bad value. A value with markup stays text."""
    day = hue_today() - timedelta(days=1)  # a day that is over: the live feed cannot move it
    params = {"from": day.isoformat(), "to": day.isoformat(), "category": "zzz", "district": "999"}
    page.goto(feedback_url(app, **params))
    banner = page.locator("#page-errors")
    expect(banner).to_have_class(re.compile(r"\bbanner-warn\b"))
    expect(banner).to_have_attribute("role", "alert")
    expect(banner.locator(".banner-line")).to_have_text([
        "Bỏ qua tham số district=999: không có xã, phường này. Đang dùng: tất cả.",
        "Bỏ qua tham số category=zzz: không có lĩnh vực này. Đang dùng: tất cả.",
    ])
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("#fb-period-note")).to_have_text(f"{dmy(day)} – {dmy(day)}")
    expect(page.locator("#fb-dates")).to_have_value(dmy(day))
    expect(page.locator("#fb-dates-end-date")).to_have_value(dmy(day))
    expect(page.locator("#fb-preset-value")).to_have_text("Tùy chọn")
    expect(page.locator("#fb-category-value")).to_have_text("Tất cả")  # the placeholder, not "zzz"
    expect(page.locator("#fb-unit-value")).to_have_text("Tất cả xã, phường")
    _tiles, cli = tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES, day, day + timedelta(days=1))
    assert 0 < cli["received"] < int(app.kpis(day - timedelta(days=6), day + timedelta(days=1))["received"])
    shot(page, "feedback-one-day-unknown-values-vi")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(feedback_url(app, **params, lang="en"))
    expect(banner.locator(".banner-line")).to_have_text([
        "Ignored district=999: no such commune / ward. Using: all.",
        "Ignored category=zzz: no such category. Using: all.",
    ])
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("#fb-period-note")).to_have_text(f"{dmy(day)} – {dmy(day)}")
    box = banner.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # wraps on a phone
    shot(page, "feedback-one-day-unknown-values-en-390x844")

    page.set_viewport_size(WALL)
    page.goto(feedback_url(app, category='<img src=x onerror="window.__xss=1">' + "z" * 60))
    expect(banner.locator(".banner-line")).to_have_text(
        'Bỏ qua tham số category=<img src=x onerror="window.__xss=1">zzz…: mã không đúng định dạng. '
        "Đang dùng: tất cả.")
    assert banner.locator("img").count() == 0 and page.evaluate("window.__xss") is None
    console.assert_clean()


def test_an_address_without_a_page_says_so_in_the_readers_language_with_the_way_back(
        page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/khong-co?lang=vi"))
    expect(page.locator("h1.page-title")).to_have_text("Không tìm thấy trang")
    expect(page.locator(".notfound-text")).to_have_text("Không có trang nào ở địa chỉ /khong-co.")
    expect(page).to_have_title("IOC Huế · Không tìm thấy trang")
    expect(page.locator(".notfound-pages a", has_text="Phản ánh hiện trường")).to_have_count(1)
    shot(page, "not-found-vi")
    page.locator(".notfound-back").click()
    expect(page.locator("h1.page-title")).not_to_have_text("Không tìm thấy trang")
    page.goto(app.url("/nope/deeper?lang=en&path=x&pages=y"))  # parameters named like the builder's own change nothing
    expect(page.locator("h1.page-title")).to_have_text("Page not found")
    expect(page.locator(".notfound-back")).to_have_text("← Back to the Overview")
    expect(page.locator(".notfound-back")).to_have_attribute("href", "/?lang=en")
    console.assert_clean()


# 6 ------------------------------------------------------------------------------------------


def test_english_labels_and_number_format(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/?lang=en"))
    expect(page.locator("h1.page-title")).to_have_text("Operations overview")
    expect(page.locator("#nav-overview")).to_have_text("Overview")
    expect(page.locator("#nav-feedback")).to_have_text("Field feedback")
    expect(page.locator("#sim-badge")).to_have_text(f"SIMULATED DATA ×{SIMULATOR_SPEED}")
    expect(page.locator("#lang-en")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator(".family-card .card-title")).to_have_text([f.label("en") for f in registry().families])
    wait_tiles_loaded(page, OV_TILES, OVERVIEW_TILES)
    tiles = read_tiles(page, OV_TILES)
    assert [tiles[k].label for k in OVERVIEW_TILES] == ["Received", "Processed", "On time", "Satisfied",
                                                         "Open & overdue"]
    assert int(tiles["received"].raw) >= 1000
    assert tiles["received"].text == en_int(int(tiles["received"].raw))  # "3,484"
    for key in ("processed_rate", "on_time_rate", "satisfaction_rate"):
        check_pct_text(tiles[key], "en")  # "96.2%"
    expect(page.locator("#ov-sources th").first).to_have_text(re.compile("^source$", re.IGNORECASE))
    shot(page, "overview-en")

    # The navigation keeps the language.
    page.locator("#nav-feedback").click()
    page.wait_for_url(re.compile(r"/feedback\?lang=en$"))
    wait_feedback_ready(page)
    tiles = read_tiles(page, FB_TILES)
    assert [tiles[k].label for k in FEEDBACK_TILES] == [
        "Received", "Processed", "On time", "Open & overdue", "Satisfied", "Rated share", "Median resolution",
        "P90 resolution"]
    assert tiles["received"].text == en_int(int(tiles["received"].raw))
    for key in RATE_KPIS:
        check_pct_text(tiles[key], "en")
    for key in HOUR_KPIS:
        check_hours_text(tiles[key], "en")  # "54.5 h"
    expect(page.locator(".map-card .card-title")).to_have_text("Map of reports")
    expect(page.locator(".ag-header-cell[col-id='overdue_days']")).to_contain_text("Overdue (days)")
    expect(page.locator("#fb-preset-value")).to_have_text("Last 12 months")
    expect(page.locator("#fb-overdue-note")).to_contain_text("overdue reports")
    assert "Tiếp nhận" not in page.locator(FB_TILES).inner_text()
    shot(page, "feedback-en")

    # The VI/EN switch keeps the filters in the URL.
    start, end = past_period(30)
    page.goto(feedback_url(app, **url_period(start, end), unit="19753"))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    assert read_tiles(page, FB_TILES)["received"].label == "Tiếp nhận"
    page.locator("#lang-en").click()
    page.wait_for_url(re.compile(r"lang=en"))
    params = search_params(page)
    assert (params["from"], params["to"], params["unit"]) == (start.isoformat(), (end - timedelta(days=1)).isoformat(),
                                                              "19753")
    expect(page.locator(f"{FB_TILES} .tile[data-kpi='received'] .tile-label")).to_have_text("Received")
    expect(page.locator("#nav-feedback")).to_have_text("Field feedback")
    # An old link (?district=474) still opens: the district of before, noted as ended for this period.
    page.goto(feedback_url(app, **url_period(start, end), district="474", lang="en"))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("#fb-unit-note")).to_contain_text("District-level units ended on 1 July 2025")
    expect(page.locator("#fb-unit-value")).to_contain_text("Quận Thuận Hóa")
    console.assert_clean()


def test_tab_title_follows_the_language(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    """The browser tab's title is UI text too: "IOC Huế · Overview" in English, not Vietnamese."""
    page.goto(app.url("/?lang=en"))
    expect(page.locator("h1.page-title")).to_have_text("Operations overview")
    expect(page).to_have_title("IOC Huế · Overview")
    page.locator("#nav-feedback").click()
    expect(page.locator(".map-card .card-title")).to_have_text("Map of reports")
    expect(page).to_have_title("IOC Huế · Field feedback")
    console.assert_clean()


# 7 ------------------------------------------------------------------------------------------


def test_a_new_report_appears_without_reloading(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    """A report imported while the page is open (the live simulator keeps running) shows in the
    received tile within 10 s, without a reload. Its category is one the simulator never uses,
    so only this report can move the filtered tile. A first report of that category is stored
    before the page opens: a ``?category=`` the store holds no report of is refused and named."""
    category = "live_probe"

    def probe(minutes_ago: int) -> dict:
        return {"external_id": f"LIVE-{uuid.uuid4().hex[:10]}", "received_at": hue_local_iso(timedelta(minutes=-minutes_ago)),
                "status": "received", "category_code": category, "category_name": "Kiểm thử trực tiếp",
                "description": "Đèn đường không sáng (báo cáo kiểm thử)", "address": "Lê Lợi, Huế",
                "unit_code": HUE_CITY[0], "lat": HUE_CITY[2], "lon": HUE_CITY[3], "channel": "hue_s"}

    app.import_feedback([probe(2)])
    page.goto(feedback_url(app, category=category))  # default period: today included
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    before, cli = tiles_match_cli(page, app, FB_TILES, FEEDBACK_TILES, category=category)
    received_before = int(before["received"].raw)
    page.evaluate("window.__sameDocument = true")
    versions_before = app.versions()["feedback"]

    app.import_feedback([probe(1)])
    ingested = time.monotonic()

    deadline = ingested + 10
    while app.versions()["feedback"] <= versions_before:
        assert time.monotonic() < deadline, "the import did not advance /api/versions"
        time.sleep(0.2)
    remaining_ms = max(0.0, deadline - time.monotonic()) * 1000
    page.wait_for_function(
        "n => { const t = document.querySelector('#fb-tiles .tile[data-kpi=received]');"
        " return t && t.getAttribute('data-value') === String(n); }",
        arg=received_before + 1, timeout=remaining_ms + 1)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    expect(page.locator("#fb-map-note")).to_have_text(f"Hiển thị {received_before + 1} phản ánh")
    assert app.kpis(category=category)["received"] == received_before + 1

    shot(page, "feedback-live-update")
    console.assert_clean()


# 8 ------------------------------------------------------------------------------------------


def test_citizen_text_is_shown_as_text(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    category = "xss_probe"
    external_id = f"XSS-{uuid.uuid4().hex[:8]}"
    app.import_feedback([
        {"external_id": external_id, "received_at": hue_local_iso(timedelta(days=-20)), "status": "in_progress",
         "category_code": category, "category_name": "Kiểm thử <hiển thị>", "description": XSS_TEXT,
         "address": XSS_ADDRESS, "unit_code": HUE_CITY[0], "lat": HUE_CITY[2], "lon": HUE_CITY[3],
         "channel": "web", "handling_unit": "UBND <script>window.__xss=2</script>"},
        # the same text received just now in Phú Lộc (its marker stays apart), for the Overview's latest reports
        {"external_id": external_id + "-new", "received_at": hue_newest_iso(),
         "status": "received", "category_code": category, "description": XSS_TEXT, "address": XSS_ADDRESS,
         "unit_code": PHU_LOC[0], "lat": PHU_LOC[2], "lon": PHU_LOC[3], "channel": "web"},
    ])

    app.sign_in(page, "operator")  # citizens' text is personal data: a viewer would get none of it
    page.goto(feedback_url(app, category=category))
    wait_feedback_ready(page)
    grid = page.locator("#fb-overdue-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(1)  # only the old one is overdue
    row = grid.locator(f".ag-row[row-id='{external_id}']")
    expect(row.locator("[col-id='description']")).to_have_text(XSS_TEXT)
    expect(row.locator("[col-id='address']")).to_have_text(XSS_ADDRESS)
    expect(row.locator("[col-id='handling_unit']")).to_have_text("UBND <script>window.__xss=2</script>")
    expect(row.locator("[col-id='category']")).to_have_text("Kiểm thử <hiển thị>")
    assert grid.locator("img, b, i, script").count() == 0

    # Map: two markers, apart; the overdue one (in progress: orange) opens a popup with the text as text.
    expect(page.locator("#fb-map path.leaflet-interactive")).to_have_count(2)
    expect(page.locator("#fb-map-note")).to_have_text("Hiển thị 2 phản ánh")
    marker = page.locator("#fb-map path.leaflet-interactive[fill='#ffa726']")
    expect(marker).to_have_count(1)
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(external_id)
    expect(popup.locator("p")).to_have_text(XSS_TEXT)
    expect(popup).to_contain_text(XSS_ADDRESS)
    expect(popup).to_contain_text("UBND <script>window.__xss=2</script>")
    expect(popup.locator(".pp-h")).to_have_text("Kiểm thử <hiển thị>")
    assert popup.locator("img, b, i, script").count() == 0
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    shot(page, "feedback-citizen-text")

    # Overview: the latest reports list shows the new one as text.
    page.goto(app.url("/"))
    item = page.locator(f"#ov-recent .recent-item[data-id='{external_id}-new']")
    expect(item.locator(".recent-desc")).to_have_text(XSS_TEXT)
    assert page.locator("#ov-recent img, #ov-recent b").count() == 0
    shot(page, "overview-citizen-text")

    assert page.evaluate("typeof window.__xss") == "undefined"
    console.assert_clean()


def test_latest_reports_include_reports_without_coordinates(page: Page, app: RunningApp,
                                                           console: ConsoleLog) -> None:
    """Open311 and file imports may give an address but no lat/long: such a report is still one
    of the latest reports (it is only absent from the map)."""
    external_id = f"NOLOC-{uuid.uuid4().hex[:8]}"
    app.import_feedback([{
        "external_id": external_id, "received_at": hue_newest_iso(), "status": "received",
        "category_code": "lighting", "description": "Đèn đường hỏng (không có tọa độ)",
        "address": "Kiệt 12 Phan Đình Phùng, Huế", "unit_code": HUE_CITY[0], "channel": "hotline",
    }])
    app.sign_in(page, "operator")
    page.goto(app.url("/"))
    expect(page.locator("#ov-recent .recent-item").first).to_be_visible(timeout=15_000)
    expect(page.locator(f"#ov-recent .recent-item[data-id='{external_id}'] .recent-desc")).to_have_text(
        "Đèn đường hỏng (không có tọa độ)")
    console.assert_clean()


# 9 ------------------------------------------------------------------------------------------


def _bottoms(page: Page, selector: str) -> list[float]:
    return page.evaluate(f"Array.from(document.querySelectorAll({selector!r}))"
                         ".map(e => e.getBoundingClientRect().bottom)")


def test_wall_and_laptop_sizes(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = past_period(60)
    fb = feedback_url(app, **url_period(start, end))
    for size in (WALL, LAPTOP):
        label = f"{size['width']}x{size['height']}"
        page.set_viewport_size(size)

        page.goto(app.url("/"))
        wait_tiles_loaded(page, OV_TILES, OVERVIEW_TILES)
        page.wait_for_selector("#ov-chart-daily .main-svg .trace", state="attached")
        page.wait_for_selector("#ov-sources table")
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], "horizontal scroll"
        if size == WALL:
            bottoms = _bottoms(page, f"{OV_TILES} .tile")
            assert len(bottoms) == len(OVERVIEW_TILES) and max(bottoms) <= size["height"], bottoms
        shot(page, f"overview-{label}")

        page.goto(fb)
        wait_feedback_ready(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], "horizontal scroll"
        if size == WALL:
            bottoms = _bottoms(page, f"{FB_TILES} .tile")
            assert len(bottoms) == len(FEEDBACK_TILES) and max(bottoms) <= size["height"], bottoms
            box = page.locator("#fb-map").bounding_box()
            assert box is not None and box["y"] <= size["height"] and box["height"] > 300, box
        shot(page, f"feedback-{label}")
        if size == WALL:
            shot(page, f"feedback-{label}-full", full_page=True)
    console.assert_clean()
