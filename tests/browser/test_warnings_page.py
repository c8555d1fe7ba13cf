"""The official warnings page (issue 15) in headless Chromium, on the same app as test_pages.py
(``python app.py`` with embedded defaults: the warnings simulator is one of its sources, 120
days of simulated history).

A CAP 1.2 message imported with ``python -m ioc import warnings FILE`` while the page is open
(a flood warning over Huế, in force for 6 hours) appears without a reload: on the map as a
polygon of its severity's colour with its popup, in the list of warnings in force, in the
tiles and in the table. The tiles equal ``python -m ioc kpi warnings --json``; English works;
simulated messages say so; the console stays clean.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_today, read_tiles, wait_tiles_loaded

TILES = "#wn-tiles"
TILE_KEYS = ("in_force", "worst_in_force", "issued", "cancelled")
VN = timezone(timedelta(hours=7))
SEVERE = "#F57C00"


def cap_file(folder: Path, identifier: str, event: str) -> Path:
    """A CAP 1.2 flood warning over Huế, sent 5 minutes ago, expiring in 6 hours."""
    now = datetime.now(UTC).replace(microsecond=0)

    def when(value: datetime) -> str:
        return value.astimezone(VN).isoformat()

    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>kttv.thuathienhue.gov.vn</sender>
  <sent>{when(now - timedelta(minutes=5))}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>{event}</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <onset>{when(now - timedelta(minutes=5))}</onset>
    <expires>{when(now + timedelta(hours=6))}</expires>
    <senderName>Đài Khí tượng Thủy văn tỉnh Thừa Thiên Huế</senderName>
    <headline>Cảnh báo lũ trên sông Hương</headline>
    <description>Mực nước sông Hương tại Kim Long vượt báo động II và đang lên.</description>
    <instruction>Người dân vùng trũng ven sông chủ động sơ tán.</instruction>
    <area>
      <areaDesc>Vùng trũng ven sông Hương</areaDesc>
      <polygon>16.55,107.45 16.55,107.68 16.40,107.68 16.40,107.45 16.55,107.45</polygon>
    </area>
  </info>
</alert>
"""
    path = folder / f"{identifier}.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def cli_kpis(app: RunningApp, start: Any = None, last: Any = None) -> dict[str, Any]:
    args = ["kpi", "warnings", "--json"]
    if start is not None:
        args += ["--from", str(start), "--to", str(last)]
    return json.loads(app.cli(*args).stdout)


def expected_tiles(k: dict[str, Any]) -> dict[str, str]:
    worst = k["worst_in_force"]
    return {"in_force": repr(k["in_force"]), "worst_in_force": repr(worst["severity"]) if worst else "",
            "issued": repr(k["issued"]), "cancelled": repr(k["cancelled"])}


def tiles_equal_cli(page: Page, app: RunningApp, start: Any = None, last: Any = None) -> dict[str, Any]:
    """The tiles equal the CLI's KPI set taken just before or just after reading them."""
    before = cli_kpis(app, start, last)
    shown = {k: v.raw for k, v in read_tiles(page, TILES).items()}
    after = cli_kpis(app, start, last)
    for k in (before, after):
        if shown == expected_tiles(k):
            return k
    raise AssertionError(f"tiles {shown} equal neither CLI result:\n{expected_tiles(before)}\n{expected_tiles(after)}")


def open_page(page: Page, app: RunningApp, query: str = "") -> None:
    app.wait_for_history("warnings")  # written in the background after the four first families
    page.goto(app.url("/warnings" + query))
    wait_tiles_loaded(page, TILES, TILE_KEYS)
    page.wait_for_selector("#wn-grid .ag-center-cols-container .ag-row")


def test_an_imported_warning_appears_on_the_map_in_the_tiles_and_the_table(page: Page, app: RunningApp,
                                                                              console: ConsoleLog):
    open_page(page, app)
    before = int(read_tiles(page, TILES)["in_force"].raw)
    expect(page.locator(".wn-legend .legend-item")).to_have_count(6)
    expect(page.locator(".wn-legend .legend-item").first).to_have_text("Cực kỳ nguy hiểm")
    identifier = f"browser-{uuid.uuid4().hex[:10]}"
    event = f"Lũ kiểm thử {identifier[-4:]}"
    outcome = json.loads(app.cli("import", "warnings", str(cap_file(app.work_dir, identifier, event)),
                                 "--quiet", "--json").stdout)
    assert (outcome["status"], outcome["inserted"], outcome["rejected"]) == ("ok", 1, 0), outcome
    # live: the page follows the family's version, no reload
    page.wait_for_function("([sel, n]) => Number(document.querySelector(sel + ' [data-kpi=in_force]')"
                           ".getAttribute('data-value')) === n", arg=[TILES, before + 1])
    kpis = tiles_equal_cli(page, app)
    assert kpis["in_force"] == before + 1
    # the list of warnings in force names it, its severity and the stage it raises, in words
    item = page.locator("#wn-in-force .wn-if-item", has_text=event)
    expect(item).to_have_count(1)
    expect(item.locator(".wn-sev")).to_have_text("Nguy hiểm")
    expect(item.locator(".wn-if-level")).to_have_text("Nâng cấp độ vận hành lên: cấp 3 · Chú ý")
    expect(page.locator("#wn-map-empty")).to_be_hidden()
    # the map: its polygon, in the Severe colour; its popup says what, how severe, until when
    area = page.locator(f"#wn-map path.wn-area-id-{item.get_attribute('data-id')}")
    expect(area).to_have_count(1)
    assert "wn-sev-Severe" in area.get_attribute("class") and area.get_attribute("stroke") == SEVERE
    area.dispatch_event("click")  # the click reaches it even under a larger warning drawn on top
    popup = page.locator("#wn-map .leaflet-popup-content")
    expect(popup).to_be_visible()
    for text in ("Nguy hiểm", "Khẩn cấp ngay", "Nhiều khả năng", "Bắt đầu", "Hết hiệu lực"):
        expect(popup).to_contain_text(text)
    # the table: newest first, the new message on top, in force, in the page's language
    first = page.locator("#wn-grid .ag-center-cols-container .ag-row[row-index='0']")
    expect(first).to_contain_text(event)
    expect(first).to_contain_text("Cảnh báo")  # msgType Alert
    expect(first.locator("[col-id='city_label']")).to_have_text("Có")
    assert "wn-row-in-force" in (first.get_attribute("class") or "")
    first.locator("[col-id='event']").click()
    expect(page.locator("#wn-detail")).to_contain_text("Người dân vùng trũng ven sông chủ động sơ tán.")
    expect(page.locator("#wn-detail")).to_contain_text(f"kttv.thuathienhue.gov.vn · {identifier}")
    assert page.locator("#wn-grid .ag-center-cols-container .ag-row").count() >= 2
    shot(page, "warnings-1920x1080")
    console.assert_clean()


def test_english_with_a_period_in_the_url_and_simulated_messages_said_so(page: Page, app: RunningApp,
                                                                          console: ConsoleLog):
    last = hue_today()
    start = last - timedelta(days=119)
    open_page(page, app, f"?lang=en&from={start}&to={last}")
    expect(page.locator("#tile-wn-in_force .tile-label")).to_have_text("In force now")
    expect(page.locator("#wn-period-note")).to_have_text(f"{start:%d/%m/%Y} – {last:%d/%m/%Y}")
    tiles_equal_cli(page, app, start, last)
    expect(page.locator(".wn-legend .legend-item").first).to_have_text("Extreme")
    expect(page.locator("#wn-grid .ag-header-cell[col-id='sent_sort']")).to_contain_text("Sent")
    rows = page.locator("#wn-grid .ag-center-cols-container .ag-row")
    assert rows.count() >= 1
    # the simulator's messages (120 days of a rainy season) are labelled as simulated
    simulated = page.locator("#wn-grid .ag-center-cols-container .wn-cell-sim")
    expect(simulated.first).to_have_text("SIMULATED")
    types = set(page.locator("#wn-grid .ag-center-cols-container [col-id='type_label']").all_inner_texts())
    assert types <= {"Alert", "Update", "Cancel", "Ack", "Error"} and "Alert" in types, types
    shot(page, "warnings-en-1920x1080")
    console.assert_clean()
