"""Each role in headless Chromium (issue #12): what the header says, which controls show, what
personal data reaches the screen, the unmasking form, the audit page and a wall screen's token.

The app runs on loopback (the embedded default): a visitor who is not signed in is a viewer.
A citizen report with a phone number and an e-mail address in its text is imported first; the
Overview's live list shows it (the latest report) to each role as that role may see it.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import ConsoleLog, RunningApp, shot
from tests.browser.pages import hue_newest_iso
from tests.browser.test_pages import HUE_CITY

PHONE = "0905 123 456"
DESCRIPTION = f"Cột đèn đổ chắn đường, gọi tôi {PHONE} hoặc lan.nguyen@gmail.com"


@pytest.fixture(scope="module")
def report(app: RunningApp) -> str:
    """A fresh report (received now in Huế) whose text holds personal data; its id."""
    external_id = f"role-{uuid.uuid4().hex[:8]}"
    outcome = app.import_feedback([{"external_id": external_id, "received_at": hue_newest_iso(), "status": "received",
                                    "category_code": "lighting", "category_name": "Chiếu sáng",
                                    "description": DESCRIPTION, "address": "12 Lê Lợi", "unit_code": HUE_CITY[0],
                                    "lat": str(HUE_CITY[2]), "lon": str(HUE_CITY[3]), "channel": "hue_s"}])
    assert outcome["status"] == "ok", outcome
    return external_id


def recent_text(page: Page, external_id: str) -> str:
    item = page.locator(f"#ov-recent .recent-item[data-id='{external_id}']")
    expect(item).to_have_count(1, timeout=15_000)  # under a loaded machine the list may take a while
    return item.locator(".recent-desc").inner_text()


def test_a_visitor_on_loopback_reads_as_a_viewer_without_personal_data(page: Page, app: RunningApp, report: str,
                                                                      console: ConsoleLog) -> None:
    page.goto(app.url("/"))
    expect(page.locator(".account-name")).to_have_text("Khách (chỉ xem)")
    expect(page.locator(".account a.account-link")).to_have_text("Đăng nhập")
    assert recent_text(page, report) == ""
    expect(page.locator(".btn-csv").first).to_be_hidden()
    expect(page.locator("#nav-audit")).to_be_hidden()
    page.goto(app.url("/audit"))
    expect(page.locator(".page-audit .banner-error")).to_contain_text("Chỉ quản trị viên")
    console.assert_clean()


def test_an_operator_sees_masked_text_and_no_downloads(page: Page, app: RunningApp, report: str,
                                                      console: ConsoleLog) -> None:
    app.sign_in(page, "operator", "/")
    expect(page.locator(".account-name")).to_have_text("Trần Thị Bình")
    expect(page.locator(".account-role")).to_have_text("cán bộ trực")
    text = recent_text(page, report)
    assert "090* *** ***" in text and PHONE not in text and "l***@gmail.com" in text
    expect(page.locator(".btn-csv").first).to_be_hidden()
    expect(page.locator(".account-link", has_text="Xem dữ liệu cá nhân")).to_have_count(0)
    shot(page, "role-operator-overview")
    console.assert_clean()


def test_a_leader_downloads_reports_but_not_the_audit(page: Page, app: RunningApp, report: str,
                                                     console: ConsoleLog) -> None:
    app.sign_in(page, "leader")
    assert PHONE not in recent_text(page, report)
    expect(page.locator(".btn-csv").first).to_be_visible()
    page.goto(app.url("/audit"))
    expect(page.locator(".page-audit .banner-error")).to_be_visible()
    console.assert_clean()


def test_an_analyst_unmasks_with_a_reason_and_the_admin_reads_it_in_the_audit(browser: Browser, page: Page,
                                                                             app: RunningApp, report: str,
                                                                             console: ConsoleLog) -> None:
    app.sign_in(page, "analyst")
    assert PHONE not in recent_text(page, report)
    page.locator(".account-link", has_text="Xem dữ liệu cá nhân").click()
    expect(page.locator("h1")).to_have_text("Xem dữ liệu cá nhân")
    page.locator("textarea[name=reason]").fill("ngắn")
    page.locator(".signin-form button[type=submit]").click()  # the form itself refuses a short reason
    expect(page.locator("textarea[name=reason]:invalid")).to_have_count(1)
    assert "/unmask" in page.url
    shot(page, "role-analyst-unmask-form")
    page.locator("textarea[name=reason]").fill("Xác minh phản ánh theo yêu cầu của Sở")
    app.submit_form(page, leaving="/unmask")
    expect(page.locator(".account-unmasked")).to_contain_text("Đang hiện dữ liệu cá nhân đến")
    assert PHONE in recent_text(page, report)
    shot(page, "role-analyst-unmasked")

    admin = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="UTC", bypass_csp=True)
    try:
        tab = admin.new_page()
        app.sign_in(tab, "admin")
        expect(tab.locator("#nav-audit")).to_be_visible()
        tab.goto(app.url("/audit"))
        trail = tab.locator("#au-trail")
        expect(trail.locator("tr", has_text="unmask").first).to_contain_text("Xác minh phản ánh theo yêu cầu của Sở")
        expect(trail.locator("tr", has_text="sign_in").first).to_be_visible()
        expect(tab.locator("#au-users")).to_contain_text("analyst-browser")
        shot(tab, "role-admin-audit")
    finally:
        admin.close()
    console.assert_clean()


def test_a_wall_screen_signs_in_with_its_token_and_is_signed_out_when_it_is_revoked(browser: Browser, app: RunningApp,
                                                                                    report: str) -> None:
    out = app.cli("tokens", "add", "Phòng IOC, màn 2").stdout
    token = re.search(r"token=([A-Za-z0-9_\-]+)&", out).group(1)
    token_id = re.search(r"wall token (\d+) for", out).group(1)
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="UTC", bypass_csp=True)
    try:
        tab = screen.new_page()
        tab.goto(app.url(f"/signin/wall?token={token}&next=/%3Fkiosk%3D0"))
        expect(tab.locator(".account-name")).to_have_text("Phòng IOC, màn 2")
        assert recent_text(tab, report) == ""  # a wall shows no personal data
        app.cli("tokens", "revoke", token_id)
        tab.wait_for_timeout(6000)  # sessions are re-checked within 5 s
        assert tab.request.get(app.url("/api/live")).status == 200  # loopback: back to an anonymous viewer
        tab.goto(app.url("/"))
        expect(tab.locator(".account-name")).to_have_text("Khách (chỉ xem)")
    finally:
        screen.close()


def test_the_sign_in_page_in_both_languages_and_on_a_phone(browser: Browser, app: RunningApp) -> None:
    for lang, viewport, title in (("vi", {"width": 1920, "height": 1080}, "Đăng nhập"),
                                  ("en", {"width": 390, "height": 844}, "Sign in")):
        context = browser.new_context(viewport=viewport, timezone_id="UTC")  # the page's own CSP applies
        try:
            tab = context.new_page()
            errors: list[str] = []
            tab.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            tab.goto(app.url(f"/signin?lang={lang}"))
            expect(tab.locator("h1")).to_have_text(title)
            tab.locator("input[name=name]").fill("nobody-here")
            tab.locator("input[name=password]").fill("wrong password")
            tab.locator(".signin-form button[type=submit]").click()
            expect(tab.locator(".signin-message")).to_be_visible()
            shot(tab, f"signin-{lang}-{viewport['width']}")
            # the refused sign-in answers 401, which Chromium reports; nothing else may be logged
            assert [e for e in errors if "status of 401" not in e] == []
        finally:
            context.close()
