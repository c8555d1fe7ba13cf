"""The traffic page (issue 3) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the traffic simulator is one of its sources, 120
days of simulated history).

Its KPI tiles equal ``python -m ioc kpi traffic --json`` for the same period and filters, the
camera map has one marker per camera with a popup of its latest violations, the heatmap and
the charts render, plates are masked on screen and in the CSV, filters live in the URL, a bad
parameter is reported by name, English works, the Overview shows the traffic tiles, and the
console stays clean. Periods end before today: backfilled violations never change after start-up
and the live feed only adds violations detected from start-up on, so those figures cannot move.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import check_pct_text, en_int, hue_today, read_tiles, vi_int, wait_tiles_loaded

TILES = "#tr-tiles"
TILE_KEYS = ("violations", "verified_rate", "fines_issued_vnd", "fines_collected_vnd", "collection_rate",
             "median_hours_to_notice", "satisfaction_rate", "fine_out_of_range", "invalid_plates")
OVERVIEW = ".family-card[data-family='traffic'] .tiles"
OVERVIEW_KEYS = ("violations", "fines_issued_vnd", "collection_rate", "fine_out_of_range")
CHARTS = {"heatmap": ".heatmaplayer .hm", "type": ".trace", "vehicle": ".trace", "fines": ".trace"}
CAMERAS = 36  # the simulator's network (data_sources/traffic_sim_cameras.py)
FULL_PLATE = re.compile(r"\d{3}\.\d{2}\b|\b\d{2}[A-Z]{1,2}-?\d{4,5}\b")  # an unmasked plate's number


def csv_href(page: Page, panel: str, lang: str = "vi") -> str:
    """Where the page's CSV link of ``panel`` points: its export URL with the page's current
    filters (its URL's query, without its ``lang``) and language."""
    kept = [(k, v) for k, v in parse_qsl(urlsplit(page.url).query) if k != "lang"]
    return f"/export/traffic/{panel}.csv?{urlencode([*kept, ('lang', lang)])}"


def period(days: int = 60) -> tuple[str, str]:
    """The ``days`` local days before today: the first and the last day, both included (as the
    URL's ``from`` / ``to``, ``kpi --from --to`` and the CSV file names read them)."""
    today = hue_today()
    return (today - timedelta(days=days)).isoformat(), (today - timedelta(days=1)).isoformat()


def cli(app: RunningApp, start: str | None = None, end: str | None = None, **filters: str) -> dict[str, Any]:
    args = ["kpi", "traffic", "--json"]
    if start:
        args += ["--from", start, "--to", end]
    for name, value in filters.items():
        args += [f"--{name}", value]
    return json.loads(app.cli(*args).stdout)


def same(raw: str | None, expected: Any) -> bool:
    if raw is None:
        return False
    if expected is None:
        return raw == ""
    if isinstance(expected, int):
        return raw == str(expected)
    try:
        return abs(float(raw) - float(expected)) <= 1e-9
    except ValueError:
        return False


def tiles_equal_cli(page: Page, app: RunningApp, container: str, keys: tuple[str, ...], start: str | None = None,
                    end: str | None = None, timeout_s: float = 25.0, **filters: str) -> dict[str, Any]:
    """Every tile's data-value equals the CLI's KPI (read between two CLI runs, retried while the
    page refreshes); returns the CLI answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = cli(app, start, end, **filters)
        tiles = read_tiles(page, container)
        after = cli(app, start, end, **filters)
        problems = [f"{k}: tile {tiles[k].raw if k in tiles else None!r}, CLI {before[k]!r} / {after[k]!r}"
                    for k in keys if k not in tiles or not (same(tiles[k].raw, before[k]) or
                                                           same(tiles[k].raw, after[k]))]
        if not problems:
            return after
        if time.monotonic() > deadline:
            raise AssertionError(f"traffic tiles differ from `python -m ioc kpi traffic` ({start}, {end}, "
                                 f"{filters}):\n" + "\n".join(problems))
        time.sleep(0.5)


def wait_page_ready(page: Page) -> None:
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    expect(page.locator("#tr-map path.tr-cam")).to_have_count(CAMERAS)
    for key, drawn in CHARTS.items():
        page.wait_for_selector(f"#tr-chart-{key} .main-svg {drawn}", state="attached")
    expect(page.locator("#tr-grid .ag-center-cols-container .ag-row").first).to_be_visible()


def test_traffic_page_in_vietnamese_equals_the_cli(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = period(60)
    app.sign_in(page, "leader")  # the chart CSVs are reports: leaders, analysts, admins
    page.goto(app.url(f"/traffic?from={start}&to={end}"))
    expect(page).to_have_title("IOC Huế · Vi phạm giao thông")
    expect(page.locator("#nav-traffic")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#nav-overview")).not_to_have_class(re.compile(r"\bactive\b"))
    wait_page_ready(page)

    k = tiles_equal_cli(page, app, TILES, TILE_KEYS, start, end)
    # (72.3 cameras + 8.7 citizens) a weekday, × 0.85 at weekends: ≈ 4,656 in 60 days, less 3 σ (205)
    assert k["violations"] > 60 * 74
    assert k["fine_out_of_range"] > 0 and k["invalid_plates"] > 0  # the simulator's data errors, flagged
    tiles = read_tiles(page, TILES)
    assert tiles["violations"].label == "Vi phạm"
    assert tiles["violations"].text == vi_int(k["violations"])
    for key in ("verified_rate", "collection_rate", "satisfaction_rate"):
        check_pct_text(tiles[key], "vi")
    assert re.fullmatch(r"\d{1,3},\d{1,2}\u00a0(tỷ|triệu)\u00a0₫", tiles["fines_issued_vnd"].text), \
        tiles["fines_issued_vnd"].text
    issued = f"{k['fines_issued_vnd']:,}".replace(",", ".")
    assert tiles["fines_issued_vnd"].sub.startswith(f"{issued}\u00a0₫")
    assert tiles["satisfaction_rate"].state in ("good", "warn", "bad")
    assert tiles["fine_out_of_range"].text == vi_int(k["fine_out_of_range"])
    expect(page.locator("#tr-map-note")).to_have_text(f"{CAMERAS} camera · {CAMERAS} có vi phạm trong kỳ")

    # The camera CSV ranks cameras as the CLI does; a camera's popup names it, counts its
    # violations and lists its latest ones, plates masked. (Lăng Cô's marker stands alone.)
    assert csv_href(page, "cameras") == f"/export/traffic/cameras.csv?from={start}&to={end}&lang=vi"
    expect(page.locator(".page-traffic .map-card .btn-csv")).to_have_attribute("href", csv_href(page, "cameras"))
    with page.expect_download() as info:  # the link's file, downloaded with the page's session
        page.locator(".page-traffic .map-card .btn-csv").click()
    cameras = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read().lstrip("\ufeff"))))
    assert len(cameras) == CAMERAS
    assert [(r["Mã"], int(r["Số vi phạm"])) for r in cameras[:len(k["top_cameras"])]] == \
        [(c["camera"], c["violations"]) for c in k["top_cameras"]]
    lang_co = next(r for r in cameras if r["Mã"] == "QL1A-12")
    box = page.locator("#tr-map path.tr-cam-QL1A-12").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".pp-h")).to_have_text(lang_co["Tên"])
    expect(popup).to_contain_text(f"{vi_int(int(lang_co['Số vi phạm']))} vi phạm trong kỳ")
    items = popup.locator(".pp-list li")
    expect(items).to_have_count(5)
    texts = items.all_text_contents()
    assert any("**" in text for text in texts), texts
    assert not any(FULL_PLATE.search(text) for text in texts), texts
    assert popup.locator("img, b, i, script").count() == 0

    # The latest violations: plates masked, flagged rows say why.
    plates = page.locator("#tr-grid .ag-center-cols-container [col-id='plate']").all_text_contents()
    assert plates and not any(FULL_PLATE.search(p) for p in plates), plates
    assert any(p.endswith("**") for p in plates), plates
    expect(page.locator("#tr-grid-note")).to_have_text("200 vi phạm mới nhất trong kỳ · biển số được che")
    shot(page, "traffic-vi-1920x1080")
    console.assert_clean()


def test_filters_in_the_url_a_bad_parameter_and_english(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = period(30)
    # Phường Phú Xuân, one of the 40 current communes (Huế's centre, north bank)
    page.goto(app.url(f"/traffic?from={start}&to={end}&unit=19753&type=red_light&vehicle=bicycle&lang=en"))
    expect(page.locator("#page-errors")).to_contain_text("Ignored vehicle=bicycle: no such vehicle. Using: all.")
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    k = tiles_equal_cli(page, app, TILES, TILE_KEYS, start, end, unit="19753", category="red_light")
    tiles = read_tiles(page, TILES)
    assert tiles["violations"].label == "Violations"
    assert tiles["violations"].text == en_int(k["violations"])
    check_pct_text(tiles["verified_rate"], "en")
    assert tiles["fines_issued_vnd"].text.endswith("VND")
    assert list(k["by_type"]) == ["red_light"]
    expect(page.locator("#tr-type-value")).to_have_text("Red light")
    expect(page.locator("#tr-unit-value")).to_have_text("Phường Phú Xuân")
    expect(page.locator("#tr-unit-note")).to_be_hidden()  # the period is after 1 July 2025: nothing to say

    # Choose the citizen channel: the URL follows, the tiles follow, a reload reproduces the view.
    page.locator("#tr-channel").click()
    option = page.locator(".dash-dropdown-option").filter(has=page.locator("input[value='citizen']"))
    expect(option).to_have_text("Citizen report")
    option.click()
    page.wait_for_url(re.compile(r"[?&]channel=citizen(&|$)"))
    assert re.search(r"[?&]type=red_light(&|$)", page.url) and re.search(r"[?&]unit=19753(&|$)", page.url)
    citizen = tiles_equal_cli(page, app, TILES, TILE_KEYS, start, end, unit="19753", category="red_light",
                              channel="citizen")
    assert 0 < citizen["violations"] < k["violations"] and citizen["top_cameras"] == []
    link = page.url
    page.reload()
    assert page.url == link
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    tiles_equal_cli(page, app, TILES, TILE_KEYS, start, end, unit="19753", category="red_light",
                    channel="citizen")
    shot(page, "traffic-en-citizen-red-light")
    console.assert_clean()


def test_the_csv_of_latest_violations_masks_plates(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = period(14)
    app.sign_in(page, "analyst")  # a CSV that lists violations is an export: analysts
    page.goto(app.url(f"/traffic?from={start}&to={end}"))
    wait_page_ready(page)
    expect(page.locator(".page-traffic .grid-card .btn-csv")).to_have_attribute(
        "href", f"/export/traffic/recent.csv?from={start}&to={end}&lang=vi")
    with page.expect_download() as info:
        page.locator(".page-traffic .grid-card .btn-csv").click()
    download = info.value
    assert download.suggested_filename == f"vi-pham_moi-nhat_{start}_{end}.csv"
    text = open(download.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 200
    plates = [r["Biển số"] for r in rows]
    assert not any(FULL_PLATE.search(p) for p in plates), plates[:20]
    assert any(p.endswith("**") for p in plates)
    assert {r["Kiểm tra mức phạt"] for r in rows} <= {"Trong khung", "Thấp hơn khung", "Cao hơn khung", "Chưa kiểm tra",
                                                     "Chưa có mức phạt"}  # the fine check's codes as words
    console.assert_clean()


def test_the_overview_shows_the_traffic_tiles(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/"))
    card = page.locator(".family-card[data-family='traffic']")
    expect(card).to_have_attribute("data-connected", "true")
    expect(card.locator(".card-title")).to_have_text("Vi phạm giao thông")
    wait_tiles_loaded(page, OVERVIEW, OVERVIEW_KEYS)
    tiles_equal_cli(page, app, OVERVIEW, OVERVIEW_KEYS)  # the default period: the last 365 days
    expect(page.locator(".family-card[data-family='traffic'] .card-note")).to_contain_text("12 tháng qua · hôm nay:")
    card.locator(".btn-link").click()
    page.wait_for_url(re.compile(r"/traffic\?lang=vi$"))
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    console.assert_clean()


def test_rankings_by_current_commune_and_the_unit_choices_follow_the_period(page: Page, app: RunningApp,
                                                                             console: ConsoleLog) -> None:
    start, end = period(30)
    app.sign_in(page, "leader")
    page.goto(app.url(f"/traffic?from={start}&to={end}"))
    wait_page_ready(page)
    page.wait_for_selector("#tr-chart-commune .main-svg .trace", state="attached")
    expect(page.locator("#tr-district-card")).to_be_hidden()  # no district level after 1 July 2025
    expect(page.locator("#tr-unit-note")).to_be_hidden()
    # the ranking's CSV: current communes (5-digit codes) only, counts adding up to the tiles' total
    ranking = page.locator("#tr-district-card").locator("xpath=..").locator(".tr-unit-card .btn-csv").first
    expect(ranking).to_have_attribute("href", csv_href(page, "commune"))
    assert f"from={start}&to={end}&" in csv_href(page, "commune")
    with page.expect_download() as info:
        ranking.click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read().lstrip("\ufeff"))))
    assert info.value.suggested_filename == f"vi-pham_theo-xa-phuong_{start}_{end}.csv"
    assert rows and all(len(r["Mã"]) == 5 for r in rows) and len(rows) <= 40
    k = cli(app, start, end)
    assert sum(int(r["Số vi phạm"]) for r in rows) == k["violations"]
    # the latest violations: the unit in force and the current commune
    communes = page.locator("#tr-grid .ag-center-cols-container [col-id='commune']").all_text_contents()
    assert communes and all(c.startswith(("Phường ", "Xã ")) for c in communes[:10]), communes[:10]
    # the options: the 40 current communes, grouped by kind; no district-level unit after the change
    page.locator("#tr-unit").click()
    options = page.locator(".dash-dropdown-option")
    expect(options.filter(has_text="Phường Phú Xuân")).to_have_count(1)
    assert options.filter(has_text="Quận Thuận Hóa").count() == 0
    page.keyboard.press("Escape")

    # A period across 1 July 2025: the notice, the ranking by district-level unit, their options
    page.goto(app.url("/traffic?from=2025-06-01&to=2025-07-31&district=474"))
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    expect(page.locator("#tr-unit-note")).to_contain_text("40 xã, phường hiện nay")
    expect(page.locator("#tr-unit-note")).to_contain_text("Đơn vị cấp huyện không còn")
    expect(page.locator("#tr-district-card")).to_be_visible()
    expect(page.locator("#tr-unit-value")).to_have_text("Quận Thuận Hóa")  # the old ?district= link still read
    page.locator("#tr-unit").click()
    expect(page.locator(".dash-dropdown-option").filter(has_text="Quận Phú Xuân")).to_have_count(1)
    page.keyboard.press("Escape")
    shot(page, "traffic-vi-across-the-change")
    console.assert_clean()
