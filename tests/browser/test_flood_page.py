"""The rivers and rain page (issue 15) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the flood simulator is one of its sources, 120 days
of simulated history).

In Vietnamese and in English: the tiles equal ``python -m ioc kpi flood --json``; each river
station's hydrograph draws its three alarm lines labelled with their values; the map has a
marker per station; the table lists every station, labelled simulated; the source of the alarm
levels (Decision 05/2020/QĐ-TTg) is on the page; over 120 days the hydrographs are drawn by day
and the table's peaks equal the CLI's; the console stays clean.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_today, read_tiles, wait_tiles_loaded

TILES = "#fl-tiles"
TILE_KEYS = ("highest_alarm", "stations_at_alarm", "max_rain_24h", "reporting_stations")
RIVER_LINES = {"kim_long": ("1,00", "2,00", "3,50"), "phu_oc": ("1,50", "3,00", "4,50")}
STATIONS = ("Kim Long", "Phú Ốc", "A Lưới", "Nam Đông", "Bình Điền", "Tà Lương")


def cli_kpis(app: RunningApp, start: Any, last: Any) -> dict[str, Any]:
    return json.loads(app.cli("kpi", "flood", "--json", "--from", str(start), "--to", str(last)).stdout)


def expected_tiles(k: dict[str, Any]) -> dict[str, str]:
    return {"highest_alarm": repr(k["highest_alarm"]), "stations_at_alarm": repr(k["stations_at_alarm"]),
            "max_rain_24h": repr(float(k["max_rain_24h_mm"])), "reporting_stations": repr(k["reporting_stations"])}


def tiles_equal_cli(page: Page, app: RunningApp, start: Any, last: Any) -> dict[str, Any]:
    """The tiles equal the CLI's KPI set taken just before or just after reading them (the
    simulator may add an hour in between)."""
    before = cli_kpis(app, start, last)
    shown = {k: v.raw for k, v in read_tiles(page, TILES).items()}
    after = cli_kpis(app, start, last)
    for k in (before, after):
        if shown == expected_tiles(k):
            return k
    raise AssertionError(f"tiles {shown} equal neither CLI result:\n{expected_tiles(before)}\n{expected_tiles(after)}")


def open_page(page: Page, app: RunningApp, query: str = "") -> None:
    app.wait_for_history("flood")  # written in the background after the four first families
    page.goto(app.url("/flood" + query))
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    page.wait_for_selector("#fl-grid .ag-center-cols-container .ag-row")
    for sid in RIVER_LINES:
        page.wait_for_selector(f"#fl-hydro-{sid} .annotation-text")


def alarm_labels(page: Page, station: str) -> list[str]:
    texts = page.locator(f"#fl-hydro-{station} .annotation-text").all_text_contents()
    return sorted(t.replace("\u00a0", " ") for t in texts if t.startswith(("BĐ", "AL ")))


def test_the_page_in_vietnamese_tiles_hydrographs_map_and_table(page: Page, app: RunningApp, console: ConsoleLog):
    open_page(page, app)
    today = hue_today()
    start = today - timedelta(days=2)  # the default period: the last 3 days
    expect(page.locator("#fl-period-note")).to_have_text(f"{start:%d/%m/%Y} – {today:%d/%m/%Y}")
    kpis = tiles_equal_cli(page, app, start, today)
    highest = page.locator("#tile-fl-highest_alarm .tile-value")
    expected = "Dưới báo động I" if kpis["highest_alarm"] == 0 else f"Báo động {'I' * kpis['highest_alarm']}"
    expect(highest).to_have_text(expected)
    for sid, (one, two, three) in RIVER_LINES.items():
        assert alarm_labels(page, sid) == [f"BĐ I {one} m", f"BĐ II {two} m", f"BĐ III {three} m"]
        # three dashed alarm lines drawn across the plot
        expect(page.locator(f"#fl-hydro-{sid} .shapelayer path")).to_have_count(3)
        headline = page.locator(f"#fl-hydro-{sid} .annotation-text", has_text="Mực nước").first.text_content() or ""
        assert any(word in headline for word in ("m/giờ", "đang đứng", "chưa rõ xu thế")), headline
    expect(page.locator("#fl-map .fl-marker")).to_have_count(len(STATIONS))
    expect(page.locator("#fl-map .fl-marker-river")).to_have_count(2)
    names = page.locator("#fl-grid .ag-pinned-left-cols-container .ag-row").all_inner_texts()
    assert sorted(n.split(" · ")[0] for n in names) == sorted(STATIONS), names
    assert all(n.endswith("mô phỏng") for n in names), names  # the simulator's stations say so
    expect(page.locator("#fl-source")).to_contain_text("Quyết định 05/2020/QĐ-TTg")
    expect(page.locator("#fl-source")).to_contain_text("sông Hương tại trạm Kim Long — BĐ I 1,00 m")
    expect(page.locator(".fl-legend .legend-item").first).to_contain_text("Dưới báo động I")
    shot(page, "flood-1920x1080")
    console.assert_clean()


def test_english_and_a_long_period_drawn_by_day_with_the_cli_peaks(page: Page, app: RunningApp, console: ConsoleLog):
    last = hue_today()
    start = last - timedelta(days=119)
    open_page(page, app, f"?lang=en&from={start}&to={last}")
    expect(page.locator("#tile-fl-highest_alarm .tile-label")).to_have_text("Highest alarm level")
    expect(page.locator("#fl-period-note")).to_have_text(f"{start:%d/%m/%Y} – {last:%d/%m/%Y}")
    kpis = tiles_equal_cli(page, app, start, last)
    for sid, (one, two, three) in RIVER_LINES.items():
        labels = alarm_labels(page, sid)
        assert labels == [f"AL I {one.replace(',', '.')} m", f"AL II {two.replace(',', '.')} m",
                          f"AL III {three.replace(',', '.')} m"]
        expect(page.locator(f"#fl-hydro-note-{sid}")).to_have_text("long period: daily highest level and rain · simulated")
    # the table's peak of each river station is the CLI's (the period's highest hourly level)
    for sid in RIVER_LINES:
        peak = kpis["stations"][sid]["peak_m"]
        cell = page.locator(f"#fl-grid .ag-center-cols-container .ag-row[row-id='{sid}'] [col-id='peak']")
        expect(cell).to_have_text(f"{peak:.2f}\u00a0m")
    expect(page.locator("#fl-grid .ag-header-cell[col-id='alarm']")).to_contain_text("Alarm level")
    expect(page.locator("#fl-source")).to_contain_text("Decision 05/2020/QĐ-TTg")
    shot(page, "flood-en-1920x1080")
    console.assert_clean()
