"""The Admin page (issue 5) in headless Chromium, on the same app as test_pages.py (``python app.py``
with embedded defaults: the admin simulator is one of its sources, 120 days of history).

Its KPI tiles and level cards equal ``python -m ioc kpi admin --json`` for the same period and
filters; the levels of the period stand against the 95 % target (since 1 July 2025: the city and
the communes; a period reaching before it also has the districts, and says that units changed);
the ranking of the units in force is sortable with best and worst; the city's centre and the 40
commune centres are on the map; the 766 groups say which are measured; the queue
of dossiers about to go late and overdue fills; filters live in the URL; a bad parameter is
reported; English works; the Overview shows the admin tiles.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_today, read_tiles, vi_int, wait_tiles_loaded

TILES = "#ad-tiles"
TILE_KEYS = ("received", "on_time_rate", "overdue", "due_soon", "online_rate", "full_process_online_rate",
             "online_payment_rate", "digitised_rate", "satisfaction_rate", "score_766")
RATES = ("on_time_rate", "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate",
         "satisfaction_rate")
LEVEL_NAMES = {"province": "Cấp tỉnh", "commune": "Cấp xã"}  # the levels since 1 July 2025


def period() -> tuple[Any, Any]:
    """The 60 local days before today: the first and the last day, both included (as the URL's
    ``from`` / ``to`` and ``kpi --from --to`` read them)."""
    today = hue_today()
    return today - timedelta(days=60), today - timedelta(days=1)


def cli(app: RunningApp, start: Any, end: Any, **filters: str) -> dict[str, Any]:
    args = ["kpi", "admin", "--from", str(start), "--to", str(end), "--json"]
    for name, value in filters.items():
        args += [f"--{name}", value]
    return json.loads(app.cli(*args).stdout)


def shown_matches(tiles: dict, k: dict[str, Any]) -> list[str]:
    """What differs between the tiles' raw values and one CLI answer."""
    problems = []
    for key in ("received", "overdue", *RATES):
        raw, want = tiles[key].raw, k[key]
        if want is None and raw != "" or want is not None and (raw == "" or abs(float(raw) - want) > 1e-9):
            problems.append(f"{key}: tile {raw!r}, CLI {want!r}")
    score = k["score_766"]["total_points"]
    if abs(float(tiles["score_766"].raw) - round(score, 4)) > 1e-9:
        problems.append(f"score_766: tile {tiles['score_766'].raw!r}, CLI {score!r}")
    return problems


def tiles_equal_cli(page: Page, app: RunningApp, start: Any, end: Any, timeout_s: float = 40,
                    **filters: str) -> tuple[dict, dict[str, Any]]:
    """The tiles equal the CLI's answer taken just before or just after reading them (the live
    simulator closes dossiers and the clock makes them overdue meanwhile); retried until the page
    has caught up."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = cli(app, start, end, **filters)
        tiles = read_tiles(page, TILES)
        after = cli(app, start, end, **filters)
        problems = [shown_matches(tiles, k) for k in (before, after)]
        if not problems[0] or not problems[1]:
            return tiles, after if not problems[1] else before
        if time.monotonic() > deadline:
            raise AssertionError("admin tiles differ from `kpi admin --json`:\n" + "\n".join(problems[1]))
        time.sleep(1)


def open_admin(page: Page, app: RunningApp, **params: str) -> None:
    page.goto(app.url("/admin" + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)


def test_tiles_levels_and_score_equal_the_cli(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    start, end = period()
    open_admin(page, app, **{"from": str(start), "to": str(end)})
    tiles, k = tiles_equal_cli(page, app, start, end)
    assert k["received"] > 50_000  # 60 days at ≈ 2,700 dossiers a day
    assert tiles["received"].label == "Hồ sơ tiếp nhận" and tiles["received"].text == vi_int(k["received"])
    assert re.fullmatch(r"\d+,\d\u00a0%", tiles["on_time_rate"].text)
    assert tiles["on_time_rate"].state in ("good", "warn", "bad")
    assert "Mục tiêu ≥ 95\u00a0%" in page.locator("#tile-admin-on_time_rate").inner_text()
    assert "Mục tiêu ≥ 70\u00a0%" in page.locator("#tile-admin-online_rate").inner_text()

    # The two levels of the period against the target, each equal to `kpi admin --level …`.
    cards = page.locator("#ad-level-cards .ad-level-card")
    expect(cards).to_have_count(2)
    for level, name in LEVEL_NAMES.items():
        card = page.locator(f"#ad-level-cards [data-level='{level}']")
        expect(card.locator(".tile-label")).to_have_text(name)
        want = next(r for r in k["by_level"] if r["key"] == level)["on_time_rate"]
        assert abs(float(card.get_attribute("data-value")) - want) < 0.002, (level, want)
        assert card.get_attribute("data-state") == ("good" if want >= 0.95 else "warn" if want >= 0.90 else "bad")
    page.wait_for_selector("#ad-chart-levels .main-svg .trace", state="attached")
    # one legend entry per level (a level's provisional weeks are extra traces of its group)
    assert page.locator("#ad-chart-levels .legend .traces").count() == 2

    # The 766 groups: transparency cannot be measured from dossiers and says so.
    page.wait_for_selector("#ad-chart-score .main-svg .trace", state="attached")
    expect(page.locator("#ad-chart-score")).to_contain_text("chưa đo được")
    measured = [g for g in k["score_766"]["groups"] if g["measured"]]
    assert [g["code"] for g in measured] == ["progress", "digitisation", "online", "satisfaction"]
    expect(page.locator("#ad-score-note")).to_have_text(re.compile(r"^Tổng \d+,\d / 82 điểm đo được"))
    console.assert_clean()
    shot(page, "admin-wall-vi")


def test_ranking_map_and_queue(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    open_admin(page, app)
    # The 41 one-stop units in force (the city's centre, 40 communes), ranked; best and worst five named.
    expect(page.locator("#ad-ranking-note")).to_contain_text("41 đơn vị")
    expect(page.locator("#ad-best li")).to_have_count(5)
    expect(page.locator("#ad-worst li")).to_have_count(5)
    first_best = page.locator("#ad-best li").first.get_attribute("data-code")
    rows = page.locator("#ad-ranking-grid .ag-center-cols-container .ag-row")
    expect(rows.first).to_be_visible()
    assert rows.first.locator("[col-id='unit']").inner_text() != ""
    row0 = page.locator("#ad-ranking-grid .ag-center-cols-container .ag-row[row-index='0']")
    expect(row0).to_have_attribute("row-id", first_best)
    # sortable: by received, descending after two clicks → the provincial centre (largest) on top
    header = page.locator("#ad-ranking-grid .ag-header-cell[col-id='received']")
    header.click()
    header.click()
    expect(row0).to_have_attribute("row-id", "46.TTPVHCC")
    # its counts are grouped as Vietnamese writes them (a year of the city's centre: > 1.000)
    received = row0.locator("[col-id='received']").inner_text()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", received), received

    # The online chart: the week still running is hatched and shaded «Tạm tính», the dossiers'
    # right axis says what it counts, and its percentages read like the tiles (70 %, not 70%).
    page.wait_for_selector("#ad-chart-online .main-svg .trace", state="attached")
    online = page.evaluate("""() => {
        const c = document.querySelector('#ad-chart-online'), texts = sel => [...c.querySelectorAll(sel)]
            .map(t => t.textContent);
        return {notes: texts('.annotation-text'), y2title: texts('.g-y2title text'), y2: texts('.y2tick text'),
                y: texts('.ytick text'), hatched: [...c.querySelectorAll('.barlayer .point path')]
                    .filter(p => (p.getAttribute('style') || '').includes('url(')).length};
    }""")
    assert "Tạm tính (kỳ chưa kết thúc)" in online["notes"] and online["hatched"] == 1, online
    assert online["y2title"] == ["Hồ sơ tiếp nhận"] and "80\u00a0%" in online["y"], online
    counts = [int(v.replace(".", "")) for v in online["y2"]]
    steps = {b - a for a, b in itertools.pairwise(counts)}
    assert counts[0] == 0 and len(steps) == 1 and str(steps.pop()).rstrip("0") in ("1", "2", "5"), online

    # The 41 centres in force on the map (positions always drawn), sized by volume.
    page.wait_for_function("document.querySelectorAll('#ad-map path.leaflet-interactive').length === 41",
                           timeout=30_000)
    radii = page.evaluate("""Array.from(document.querySelectorAll('#ad-map path.leaflet-interactive'))
        .map(p => p.getBoundingClientRect().width)""")
    assert max(radii) > 2 * min(radii)
    # The 40 communes are named; where names would run into each other one moves beside its point
    # or is hidden (its circle's tooltip still names it); the shown ones never overlap.
    page.wait_for_function("""() => {
        const l = [...document.querySelectorAll('#ad-map .unit-label div')];
        return l.length === 40 && l.every(d => d.hasAttribute('data-shift'));
    }""", timeout=10_000)
    boxes = page.evaluate("""[...document.querySelectorAll('#ad-map .unit-label div')].map(d => {
        const r = d.getBoundingClientRect();
        return {name: d.textContent, shift: d.getAttribute('data-shift'), visible: getComputedStyle(d).visibility,
                l: r.left, r: r.right, t: r.top, b: r.bottom};
    })""")
    shown = [b for b in boxes if b["visible"] == "visible"]
    assert len(shown) >= 20 and {b["name"] for b in shown} >= {"A Lưới 1"}
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            assert a["r"] <= b["l"] or b["r"] <= a["l"] or a["b"] <= b["t"] or b["b"] <= a["t"], (a, b)
    expect(page.locator("#ad-map-note")).to_contain_text("đơn vị có hiệu lực ngày")

    # The queue: due soon by default, overdue on request, both counted in the note.
    expect(page.locator("#ad-queue-note")).to_contain_text("quá hạn")
    page.wait_for_selector("#ad-queue-grid .ag-center-cols-container .ag-row")
    states = page.locator("#ad-queue-grid .ag-center-cols-container [col-id='state_txt']").all_inner_texts()
    assert states and set(states) == {"Sắp đến hạn (≤ 2 ngày làm việc)"}
    page.get_by_label("Quá hạn", exact=True).check()
    expect(page.locator("#ad-queue-grid .ag-center-cols-container [col-id='state_txt']").first).to_have_text(
        "Quá hạn")
    left = page.locator("#ad-queue-grid .ag-center-cols-container [col-id='days_left']").all_inner_texts()
    assert left and all(v.startswith("-") for v in left)
    console.assert_clean()


def test_filters_live_in_the_url_and_bad_parameters_are_reported(page: Page, app: RunningApp,
                                                                  console: ConsoleLog) -> None:
    start, end = period()
    open_admin(page, app, **{"from": str(start), "to": str(end), "level": "ward"})
    expect(page.locator("#page-errors")).to_contain_text("Bỏ qua tham số level=ward: không có cấp này")
    page.locator("#ad-level").click()
    # only the levels of the period are offered (no district level since 1 July 2025)
    options = page.locator(".dash-dropdown-option")
    expect(options).to_have_count(2)
    option = options.filter(has=page.locator("input[value='province']"))
    expect(option).to_have_text("Cấp tỉnh")
    option.click()
    page.wait_for_function("location.search.includes('level=province')")
    query = {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}
    assert (query["level"], query["from"], query["to"]) == ("province", str(start), str(end))
    # the tiles follow: equal to `kpi admin --level province`
    deadline = time.monotonic() + 40
    while True:
        try:
            tiles, k = tiles_equal_cli(page, app, start, end, timeout_s=5, level="province")
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
    assert [r["key"] for r in k["by_level"]] == ["province"]
    assert int(tiles["received"].raw) == k["received"]
    # a link with a current commune reproduces the view
    open_admin(page, app, **{"from": str(start), "to": str(end), "unit": "19753"})
    tiles_equal_cli(page, app, start, end, unit="19753")
    # a level that did not exist in the period is reported and dropped
    open_admin(page, app, **{"from": str(start), "to": str(end), "level": "district"})
    expect(page.locator("#page-errors")).to_contain_text("cấp này không có trong kỳ")


def test_a_period_spanning_the_change_has_three_levels_and_says_so(page: Page, app: RunningApp,
                                                                     console: ConsoleLog) -> None:
    open_admin(page, app, **{"from": "2025-06-01", "to": "2025-07-31", "lang": "en"})
    expect(page.locator("#ad-period-note")).to_contain_text("This period spans 1 July 2025")
    expect(page.locator("#ad-level-cards .ad-level-card")).to_have_count(3)
    page.locator("#ad-level").click()
    expect(page.locator(".dash-dropdown-option")).to_have_text(["Province", "District", "Commune"])
    page.keyboard.press("Escape")
    # the map: the centres in force on the period's last day (after the change)
    page.wait_for_function("document.querySelectorAll('#ad-map path.leaflet-interactive').length === 41",
                           timeout=30_000)
    open_admin(page, app, **{"from": "2025-03-01", "to": "2025-03-31", "lang": "en"})
    expect(page.locator("#ad-period-note")).not_to_contain_text("spans")
    # before the change: the provincial centre and the nine district centres
    page.wait_for_function("document.querySelectorAll('#ad-map path.leaflet-interactive').length === 10",
                           timeout=30_000)
    console.assert_clean()


def test_english_and_the_overview_tiles(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/admin?lang=en"))
    wait_tiles_loaded(page, TILES, TILE_KEYS, timeout_ms=60_000)
    expect(page.locator("h1.page-title")).to_have_text("Administrative procedures")
    expect(page.locator("#nav-admin")).to_have_text("Admin services")
    expect(page.locator("#nav-admin")).to_have_class(re.compile(r"\bactive\b"))
    tiles = read_tiles(page, TILES)
    assert tiles["received"].label == "Dossiers received"
    assert tiles["received"].text == f"{int(tiles['received'].raw):,}"
    assert re.fullmatch(r"\d+\.\d%", tiles["online_rate"].text)
    expect(page.locator("#ad-level-cards [data-level='commune'] .tile-label")).to_have_text("Commune")

    page.goto(app.url("/?lang=en"))
    card_css = ".family-card[data-family='admin']"
    card = page.locator(card_css)
    expect(card).to_have_attribute("data-connected", "true")
    wait_tiles_loaded(page, f"{card_css} .tiles", ("received", "on_time_rate", "overdue", "online_rate", "score_766"),
                      timeout_ms=60_000)
    expect(card.locator(".card-title")).to_have_text("Administrative services")
    expect(card.locator(".card-note")).to_contain_text("Last 12 months · today:")
    console.assert_clean()
