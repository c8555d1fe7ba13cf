"""The pages' export links in headless Chromium (issue #16): each chart's CSV, PNG and XLSX links
point at ``/export/<page>/<panel>.<format>`` with the page's current filters and language, follow
a filter chosen on the page and a language switch, and fetched with the browser's own session
give the file; kiosk mode hides them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from playwright.sync_api import Locator, Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import FEEDBACK_TILES, hue_today, wait_tiles_loaded

FB_TILES = "#fb-tiles"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def link(page: Page, chart: str, fmt: str) -> Locator:
    """The ``fmt`` export link in the card of the feedback chart ``chart``."""
    return page.locator(f".chart-card:has(#fb-chart-{chart}) a[data-format='{fmt}']")


def expected_query(page: Page, lang: str) -> str:
    """The export query the page's current URL makes: its filters (not its ``lang``), the "by
    area" grouping shown (current communes) and the page's language."""
    kept = [(k, v) for k, v in parse_qsl(urlsplit(page.url).query) if k != "lang"]
    return urlencode([*kept, ("area", "commune"), ("lang", lang)])


def test_the_links_follow_the_filters_and_give_the_files(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    first, last = hue_today() - timedelta(days=40), hue_today() - timedelta(days=2)
    app.sign_in(page, "leader")  # a chart's files are reports: leaders may download them
    page.goto(app.url(f"/feedback?from={first}&to={last}&lang=en"))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)

    query = f"from={first}&to={last}&area=commune&lang=en"
    for fmt in ("csv", "png", "xlsx"):
        expect(link(page, "category", fmt)).to_have_attribute("href", f"/export/feedback/category.{fmt}?{query}")
        expect(link(page, "category", fmt)).to_have_attribute("download", "")
    expect(link(page, "trend", "png")).to_have_text("PNG")
    expect(link(page, "trend", "xlsx")).to_have_attribute("title", "Download this chart's data (Excel XLSX)")
    # a list has its CSV only
    overdue = page.locator(".grid-card a[data-format]")
    expect(overdue).to_have_count(1)
    expect(overdue).to_have_attribute("href", f"/export/feedback/overdue.csv?{query}")
    shot(page, "export-links-feedback-en")

    # a filter chosen on the page: its URL changes, and every link with it
    page.locator("#fb-category").click()
    page.locator(".dash-dropdown-option").filter(has=page.locator("input[value='lighting']")).click()
    page.wait_for_url(re.compile(r"[?&]category=lighting(&|$)"))
    moved = expected_query(page, "en")
    assert "category=lighting" in moved and f"from={first}" in moved and f"to={last}" in moved, moved
    for chart in ("category", "trend"):
        for fmt in ("csv", "png", "xlsx"):
            expect(link(page, chart, fmt)).to_have_attribute("href", f"/export/feedback/{chart}.{fmt}?{moved}")

    # fetched with the browser's session cookies: the chart as a PNG, the rows of the one category
    origin = app.url("")
    picture = page.context.request.get(origin + link(page, "trend", "png").get_attribute("href"))
    assert picture.status == 200, picture.text()[:300]
    assert picture.headers["content-type"] == "image/png"
    body = picture.body()
    assert body[:8] == PNG_MAGIC and len(body) > 10_000
    assert f'filename="phan-anh_xu-huong_{first}_{last}.png"' in picture.headers["content-disposition"]
    table = page.context.request.get(origin + link(page, "category", "csv").get_attribute("href"))
    assert table.status == 200, table.text()[:300]
    rows = list(csv.reader(io.StringIO(table.body().decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][:2] == ["Code", "Name"] and [r[0] for r in rows[1:]] == ["lighting"], rows[:3]
    # without the session (a visitor on loopback reads as a viewer) the same address is refused
    stranger = page.context.browser.new_context()
    try:
        assert stranger.request.get(origin + link(page, "trend", "png").get_attribute("href")).status == 403
    finally:
        stranger.close()

    # the language switch rebuilds the page in Vietnamese: the links ask for Vietnamese files
    page.locator("#lang-vi").click()
    page.wait_for_url(re.compile(r"[?&]lang=vi(&|$)"))
    expect(link(page, "category", "csv")).to_have_attribute(
        "href", f"/export/feedback/category.csv?{expected_query(page, 'vi')}")
    expect(link(page, "category", "png")).to_have_attribute("title", "Tải ảnh của biểu đồ (PNG, nền sáng để in)")
    vi_rows = page.context.request.get(origin + link(page, "category", "csv").get_attribute("href"))
    assert vi_rows.body().decode("utf-8").lstrip("\ufeff").startswith("Mã,Tên")
    console.assert_clean()


def test_kiosk_mode_and_a_viewer_see_no_export_links(page: Page, app: RunningApp, console: ConsoleLog) -> None:
    page.goto(app.url("/feedback?kiosk=1"))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("html")).to_have_class(re.compile(r"\bkiosk\b"))
    for fmt in ("csv", "png", "xlsx"):
        expect(link(page, "trend", fmt)).to_be_hidden()
    # a visitor on loopback reads as a viewer: no reports to download, so no links shown
    page.goto(app.url("/feedback?kiosk=0"))
    wait_tiles_loaded(page, FB_TILES, FEEDBACK_TILES)
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bkiosk\b"))
    for fmt in ("csv", "png", "xlsx"):
        expect(link(page, "trend", fmt)).to_have_attribute("href", re.compile(rf"^/export/feedback/trend\.{fmt}\?"))
        expect(link(page, "trend", fmt)).to_be_hidden()
    console.assert_clean()
