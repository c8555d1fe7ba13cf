"""The environment page (issue 4) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the environment simulator is one of its sources,
120 days of simulated history).

Its KPI tiles equal ``python -m ioc kpi environment --json`` for the same period, the stations
are on the map coloured and labelled by their current AQI with the VN_AQI legend, the charts,
calendar, completeness and alerts render, the range lives in the URL, a bad parameter is
reported, English works, and a station name from a file stays text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_today, read_tiles, wait_tiles_loaded

TILES = "#env-tiles"
TILE_KEYS = ("worst_station", "reporting_stations", "active_alerts", "exceedance_days", "bad_hours",
             "completeness_overall")
CATEGORIES_VI = ("Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại")
SIM_STATIONS = {"sim-hue-centre", "sim-phu-bai", "sim-thuan-an", "sim-a-luoi"}
XSS_NAME = '<img src=x onerror="window.__xss=1"> Trạm "A&B"'
RANGE_DAYS = {"24h": 2, "7d": 7, "30d": 30}


def cli_kpis(app: RunningApp, range_: str) -> dict[str, Any]:
    today = hue_today()
    start = today - timedelta(days=RANGE_DAYS[range_] - 1)
    return json.loads(app.cli("kpi", "environment", "--from", str(start), "--to", str(today), "--json").stdout)


def expected_tiles(k: dict[str, Any]) -> dict[str, str]:
    """The tiles' data-value attributes (repr of the raw value) for a CLI KPI set."""
    hours = k["hours_by_category"]
    return {
        "worst_station": repr(k["worst_station"]["aqi"]) if k["worst_station"] else "",
        "reporting_stations": repr(k["reporting_stations"]),
        "active_alerts": repr(len(k["active_alerts"])),
        "exceedance_days": repr(sum(k["exceedance_days"].values())),
        "bad_hours": repr(hours["bad"] + hours["very_bad"] + hours["hazardous"]),
        "completeness_overall": "" if k["completeness_overall"] is None else repr(k["completeness_overall"]),
    }


def tiles_equal_cli(page: Page, app: RunningApp, range_: str) -> dict[str, Any]:
    """The tiles equal the CLI's KPI set, taken just before or just after reading them (the live
    feed may deliver a new hour in between). Returns the matching CLI set."""
    before = cli_kpis(app, range_)
    shown = {k: v.raw for k, v in read_tiles(page, TILES).items()}
    after = cli_kpis(app, range_)
    for k in (before, after):
        if shown == expected_tiles(k):
            return k
    raise AssertionError(f"tiles {shown} equal neither CLI result:\n{expected_tiles(before)}\n{expected_tiles(after)}")


def open_page(page: Page, app: RunningApp, query: str = "") -> None:
    page.goto(app.url("/environment" + query))
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    page.wait_for_selector("#env-map .aqi-marker")
    for key in ("series", "pollutants", "completeness"):
        page.wait_for_selector(f"#env-chart-{key} .main-svg .trace", state="attached")
    page.wait_for_selector("#env-chart-calendar .heatmaplayer .hm", state="attached")


def test_page_in_vietnamese_matches_cli(page: Page, app: RunningApp, console: ConsoleLog):
    open_page(page, app)
    kpis = tiles_equal_cli(page, app, "7d")
    assert kpis["stations"] == 4 and set(kpis["aqi_now"]) == SIM_STATIONS
    expect(page.locator("#nav-environment")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#nav-overview")).not_to_have_class(re.compile(r"\bactive\b"))
    # the map: one marker per station with its current AQI; the legend names every category
    markers = page.locator("#env-map .aqi-marker")
    expect(markers).to_have_count(4)
    shown_aqi = sorted(markers.all_inner_texts())
    assert shown_aqi == sorted(str(v["aqi"]) if v["aqi"] is not None else "–" for v in kpis["aqi_now"].values())
    legend = page.locator(".aqi-legend .legend-item")
    expect(legend).to_have_count(6)
    assert [t.split(maxsplit=1)[1] for t in legend.all_inner_texts()] == list(CATEGORIES_VI)
    # the current AQI list: worst first, with the category named and the US EPA value aside
    items = page.locator("#env-now .env-now-item")
    expect(items).to_have_count(4)
    worst = kpis["worst_station"]
    if worst:
        first = items.first
        expect(first).to_have_attribute("data-station", worst["station_id"])
        expect(first.locator(".env-aqi")).to_have_text(str(worst["aqi"]))
        label = {"good": "Tốt", "moderate": "Trung bình", "poor": "Kém", "bad": "Xấu", "very_bad": "Rất xấu",
                 "hazardous": "Nguy hại"}[worst["category"]]
        expect(first.locator(".env-cat")).to_have_text(label)
        expect(first.locator(".env-epa")).to_contain_text("US EPA PM2.5:")
    expect(page.locator("#env-now .pill-sim").first).to_have_text("MÔ PHỎNG")
    # the hourly chart draws the category bands behind the lines; the calendar is a heatmap
    assert page.locator("#env-chart-series .shapelayer path").count() >= 4
    expect(page.locator("#env-chart-calendar .heatmaplayer .hm")).to_have_count(1)
    # alerts: the active ones beside the list, history below; their count is the tile's
    expect(page.locator("#env-active-alerts .env-active-item")).to_have_count(len(kpis["active_alerts"]))
    expect(page.locator("#env-alerts-note")).not_to_be_empty()
    shot(page, "environment-1920x1080")
    console.assert_clean()


def test_range_in_url_and_english(page: Page, app: RunningApp, console: ConsoleLog):
    open_page(page, app, "?lang=en")
    expect(page.locator("#tile-env-worst_station .tile-label")).to_have_text("Highest AQI now")
    expect(page.locator(".aqi-legend .legend-item").nth(3)).to_contain_text("Bad")
    page.locator("#env-range label", has_text="30 days").click()
    page.wait_for_function("() => location.search.includes('range=30d')")
    params = {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}
    assert params["range"] == "30d" and params["lang"] == "en"
    for _ in range(20):  # the tiles refresh after the click: wait until they are the 30-day ones
        try:
            tiles_equal_cli(page, app, "30d")
            break
        except AssertionError:
            page.wait_for_timeout(500)
    else:
        tiles_equal_cli(page, app, "30d")
    # a copied link reproduces the view
    page.goto(page.url)
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    expect(page.locator("#env-range input[value='30d']")).to_be_checked()
    shot(page, "environment-en-30d")
    console.assert_clean()


def test_bad_parameter_is_reported_and_the_page_works(page: Page, app: RunningApp, console: ConsoleLog):
    open_page(page, app, "?range=99y&station=<x>")
    banner = page.locator("#page-errors")
    expect(banner).to_contain_text("Bỏ qua tham số range=99y")
    expect(banner).to_contain_text("Bỏ qua tham số station=<x>")
    expect(page.locator("#env-range input[value='7d']")).to_be_checked()
    tiles_equal_cli(page, app, "7d")
    console.assert_clean()


def test_station_name_from_a_file_stays_text(page: Page, app: RunningApp, console: ConsoleLog):
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    path = app.work_dir / "xss-station.csv"
    rows = ["station_id,parameter,hour,value,unit,station_name,lat,lon"]
    for i in range(3):
        h = hour - timedelta(hours=2 - i)
        rows.append(f"xss-1,pm25,{h.isoformat()},{20 + i},ug/m3,\"{XSS_NAME.replace(chr(34), chr(34) * 2)}\","
                    "16.52,107.45")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outcome = json.loads(app.cli("import", "environment", str(path), "--quiet", "--json").stdout)
    assert outcome["status"] == "ok" and outcome["inserted"] == 3, outcome
    open_page(page, app)
    item = page.locator("#env-now .env-now-item[data-station='xss-1']")
    expect(item.locator(".env-name")).to_have_text(XSS_NAME)
    # its marker: the name in the tooltip and the popup is text
    page.evaluate("""(name) => { const m = Array.from(document.querySelectorAll('#env-map .leaflet-marker-icon'))
        .find(e => e.getAttribute('title') === name); m.click(); }""", XSS_NAME)
    expect(page.locator("#env-map .leaflet-popup-content .pp-h")).to_have_text(XSS_NAME)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#env-now img").count() == 0
    console.assert_clean()
