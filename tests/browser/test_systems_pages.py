"""Pages of systems declared by spec files, in headless Chromium: the test specs of
tests/data/systems (``IOC_SYSTEMS``) show the exact KPIs of a small hand-made dataset, the
filter bar changes them, the Overview has their cards; and every shipped spec's page
(ioc/systems/specs/*.toml, whatever is there) renders without a console error.

The hand-made data lie in 2020–2021, long before the simulators' history (the last 120 days),
so the periods asked for hold only them.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ioc.systems.spec import SHIPPED, load_spec
from tests.browser.harness import ConsoleLog, RunningApp, shot, start_app
from tests.browser.pages import read_tiles, wait_tiles_loaded
from tests.system_specs import LIGHTS, SCORES, SPECS

# ticket, reported (local), fixed, commune, fault, state, lamps, lat, lon, note — see test_systems_views.py
LIGHT_ROWS = [
    ("L1", "2021-03-02 08:00", "2021-03-02 18:00", "19753", "dark", "fixed", 4, 16.47, 107.58, "Gọi 0905123456 nhé"),
    ("L2", "2021-03-02 20:00", "", "19753", "flicker", "open", 2, "", "", ""),
    ("L3", "2021-03-09 09:00", "2021-03-09 11:00", "19774", "dark", "fixed", 6, 16.40, 107.54, "cột 12"),
    ("L4", "2021-03-20 12:00", "", "19774", "dark", "open", 1, "", "", ""),
    ("L5", "2021-02-27 10:00", "", "19753", "dark", "open", 5, 16.48, 107.57, ""),
    ("L6", "2021-03-31 23:30", "", "19753", "flicker", "open", 3, "", "", ""),
]
SCORE_ROWS = [
    {"chi_so": "par", "ky": "2019", "diem": 80, "ke_hoach": 85, "hang": 20, "tren": 63, "nguon": "Bộ Nội vụ 2020"},
    {"chi_so": "par", "ky": "2020", "diem": 84.5, "ke_hoach": "", "hang": 12, "tren": 63, "nguon": "Bộ Nội vụ 2021"},
    {"chi_so": "sipas", "ky": "2020-Q3", "diem": 78, "ke_hoach": "", "hang": "", "tren": "", "nguon": "simulated"},
    {"chi_so": "sipas", "ky": "2020-Q4", "diem": 80.5, "ke_hoach": "", "hang": "", "tren": "", "nguon": "simulated"},
]
LIGHTS_TILES = "#sys-lights-tiles"
SCORES_TILES = "#sys-scores-tiles"


def _write_csv(path: Path, header: list[str], rows: list) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def systems_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app with the test specs, and the hand-made data imported through the CLI."""
    work = tmp_path_factory.mktemp("systems-app")
    with start_app(work, {"IOC_SYSTEMS": str(SPECS)}) as running:
        lights = _write_csv(work / "lights.csv", ["ticket", "reported", "fixed", "commune", "fault", "state", "lamps",
                                                  "lat", "lon", "note"], LIGHT_ROWS)
        scores = _write_csv(work / "scores.csv", list(SCORE_ROWS[0]), [list(r.values()) for r in SCORE_ROWS])
        for code, path, n in (("lights", lights, len(LIGHT_ROWS)), ("scores", scores, len(SCORE_ROWS))):
            outcome = json.loads(running.cli("import", code, str(path), "--quiet", "--json").stdout)
            assert outcome["status"] == "ok" and outcome["rejected"] == 0 and outcome["inserted"] == n, outcome
        yield running


def _tiles(page: Page, container: str, spec) -> dict:  # noqa: ANN001
    wait_tiles_loaded(page, container, tuple(f"{spec.code}_{k.name}" for k in spec.kpis))
    return read_tiles(page, container)


def test_lights_page_shows_the_exact_kpis_and_the_filter_bar_changes_them(systems_app: RunningApp, page: Page,
                                                                          console: ConsoleLog) -> None:
    page.goto(systems_app.url("/lights?from=2021-03-01&to=2021-03-31&lang=en"))
    tiles = _tiles(page, LIGHTS_TILES, LIGHTS)
    assert tiles["lights_reports"].raw == "5.0" and tiles["lights_reports"].text == "5"
    assert tiles["lights_dark_share"].raw == "0.6" and tiles["lights_dark_share"].text == "60.0%"
    assert tiles["lights_dark_share"].state == "bad"  # target 50 %, lower is better
    assert tiles["lights_lamps"].raw == "16.0" and tiles["lights_lamps"].text == "16"
    assert tiles["lights_per_day"].text == "0.2/day"  # 5 events in 31 days
    assert tiles["lights_last_lamps"].raw == "3.0"  # L6, the latest
    assert tiles["lights_reports_change"].raw == ""  # the data do not reach back to the period before
    expect(page.locator("#sys-lights-period-note")).to_have_text("01/03/2021 – 31/03/2021")
    expect(page.locator("#sys-lights-ranking .sys-rank-item")).to_have_count(2)
    expect(page.locator("#sys-lights-ranking .sys-rank-item").first).to_have_attribute("data-unit", "19753")
    expect(page.locator("#sys-lights-latest-note")).to_contain_text("5 of 5 events")
    expect(page.locator("#sys-lights-map-note")).to_have_text("2 events with a position")
    # the periods before March 2021 start before the data (27 February): no comparison, said so (issue 16)
    expect(page.locator("#tile-lights_reports .cmp-line")).to_have_text(
        ["no comparison (vs previous period)", "no comparison (vs same period last year)"])
    expect(page.locator("#tile-lights_last_lamps .cmp-line")).to_have_text("latest value, not compared by period")
    expect(page.locator("#sys-lights-ranking .sys-rank-change")).to_have_text(["–", "–"])
    expect(page.locator("#sys-lights-units-note")).to_contain_text("No comparison for Reports")
    expect(page.locator("#sys-lights-units .ag-header-cell-text").last).to_have_text("Reports: vs previous period")
    shot(page, "systems-lights-en", full_page=True)

    # Only the dark faults: the URL follows, the tiles follow.
    page.locator("#sys-lights-fault").click()
    page.locator(".dash-dropdown-option").filter(has=page.locator("input[value='dark']")).click()
    page.wait_for_url(re.compile(r"[?&]fault=dark(&|$)"))
    page.wait_for_function("() => document.querySelector('#tile-lights_reports')?.getAttribute('data-value') === '3.0'")
    tiles = read_tiles(page, LIGHTS_TILES)
    assert tiles["lights_dark_share"].raw == "1.0" and tiles["lights_lamps"].raw == "11.0"
    expect(page.locator("#sys-lights-ranking .sys-rank-item").first).to_have_attribute("data-unit", "19774")

    # A bad value is reported by name and falls back to all.
    page.goto(systems_app.url("/lights?from=2021-03-01&to=2021-03-31&status=lost&lang=en"))
    expect(page.locator("#page-errors")).to_contain_text("Ignored status=lost:")
    assert _tiles(page, LIGHTS_TILES, LIGHTS)["lights_reports"].raw == "5.0"
    console.assert_clean()


def test_a_page_load_asks_each_panel_once(systems_app: RunningApp, page: Page, console: ConsoleLog) -> None:
    """The page's version store comes with the layout (callbacks.common.seed_versions): its
    panels are asked for at once and once, not again when the browser copies the live version."""
    asked: list[str] = []

    def on_request(request) -> None:  # noqa: ANN001
        if "/_dash-update-component" in request.url:
            asked.append(json.loads(request.post_data or "{}").get("output", ""))

    page.on("request", on_request)
    page.goto(systems_app.url("/lights?from=2021-03-01&to=2021-03-31&lang=en"))
    _tiles(page, LIGHTS_TILES, LIGHTS)
    expect(page.locator("#sys-lights-latest-note")).to_contain_text("5 of 5 events")
    expect(page.locator("#sys-lights-map-note")).to_have_text("2 events with a position")
    page.wait_for_timeout(1500)  # a second round would have been asked by now
    panels = {"tiles": "sys-lights-tiles.children", "charts": "sys-lights-chart-trend.figure",
              "units": "sys-lights-units.rowData", "latest": "sys-lights-latest.rowData",
              "map": "sys-lights-map-layer.data"}
    counts = {name: sum(output in o for o in asked) for name, output in panels.items()}
    assert counts == dict.fromkeys(panels, 1), asked
    assert not [o for o in asked if "sys-lights-preset.value" in o], asked  # the period is not re-synced on load

    # In Vietnamese the grids' own texts are Vietnamese too (the pager, the page size).
    page.goto(systems_app.url("/lights?from=2021-03-01&to=2021-03-31&lang=vi"))
    latest = page.locator(".sys-card-latest")
    expect(latest.locator(".ag-paging-row-summary-panel")).to_have_text(re.compile(r"^\s*1\s*–\s*5\s*/\s*5\s*$"))
    expect(latest.locator(".ag-paging-description")).to_have_text(re.compile(r"^\s*Trang\s*1\s*/\s*1\s*$"))
    expect(latest.locator(".ag-paging-page-size")).to_contain_text("Số dòng mỗi trang")
    console.assert_clean()


def test_indicator_page_shows_values_ranks_changes_and_the_simulated_mark(systems_app: RunningApp, page: Page,
                                                                          console: ConsoleLog) -> None:
    page.goto(systems_app.url("/scores?from=2020-01-01&to=2020-12-31&lang=vi"))
    tiles = _tiles(page, SCORES_TILES, SCORES)
    assert tiles["scores_par_latest"].raw == "84.5" and tiles["scores_par_latest"].text == "84,5\u00a0điểm"
    assert tiles["scores_par_change"].raw == "4.5" and tiles["scores_par_change"].text.startswith("+4,5")
    assert tiles["scores_par_change"].state == "good"
    assert tiles["scores_par_rank"].raw == "12.0" and tiles["scores_par_latest"].state == "bad"  # target 90
    assert tiles["scores_sipas_latest"].raw == "80.5"
    rows = page.locator("#sys-scores-indicators .sys-ind-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-simulated", "0")
    expect(rows.nth(0)).to_contain_text("12/63")
    expect(rows.nth(1)).to_have_attribute("data-simulated", "1")
    expect(rows.nth(1).locator(".pill-sim")).to_have_text("Dữ liệu mô phỏng")
    shot(page, "systems-scores-vi", full_page=True)
    console.assert_clean()


def test_the_overview_has_a_card_per_spec(systems_app: RunningApp, page: Page, console: ConsoleLog) -> None:
    page.goto(systems_app.url("/?lang=en"))
    for spec in (LIGHTS, SCORES):
        keys = tuple(f"{spec.code}_{name}" for name in spec.overview)
        for key in keys:
            page.wait_for_function(f"() => document.querySelector('#tile-{key}')?.hasAttribute('data-value')")
        label = page.locator(f"#tile-{keys[0]} .tile-label")
        expect(label).to_have_text(spec.kpi(spec.overview[0]).label("en"))
    console.assert_clean()


def test_every_shipped_spec_page_renders(systems_app: RunningApp, page: Page, console: ConsoleLog) -> None:
    """Whatever specs ship in ioc/systems/specs/ (none yet is fine): each page fills its tiles
    and panels without a console error, in both languages."""
    shipped = [load_spec(p) for p in sorted(SHIPPED.glob("*.toml"))]
    for spec in shipped:
        for lang in ("vi", "en"):
            page.goto(systems_app.url(f"/{spec.code}?lang={lang}"))
            _tiles(page, f"#sys-{spec.code}-tiles", spec)
            expect(page.locator(".dash-spinner, ._dash-loading")).to_have_count(0)
            console.assert_clean()
        shot(page, f"systems-shipped-{spec.code}", full_page=True)
