"""A first start on an empty store (issue #17): the dashboard answers before its simulated
history is written, says on every screen how far that history is, in both languages, and pages
show what is already stored. How soon it answers is measured by ``bench/first_start.py``, not
here (no timings in tests); this checks the order of things, which is what makes it fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from ioc.runtime import stored_progress
from tests.browser.harness import WALL, ConsoleLog, RunningApp, shot, start_app


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    # a year of history: far longer to write than the app takes to answer
    with start_app(tmp_path_factory.mktemp("first-start"), {"IOC_BACKFILL_DAYS": "365"}, history=False) as running:
        yield running


def progress(app: RunningApp) -> dict:
    state = stored_progress(app.work_dir / "app.sqlite")
    assert state is not None, "the first start recorded no progress of its history"
    return state


def test_the_app_answers_while_its_history_is_still_being_written(fresh_app: RunningApp) -> None:
    state = progress(fresh_app)
    assert not state["finished"]
    assert state["first"] == ["feedback-simulator", "traffic-simulator", "environment-simulator",
                              "admin-simulator"] == state["sources"][:4]
    assert len(state["sources"]) > len(state["first"])  # the rest come after the four


@pytest.mark.parametrize("lang, words", [("vi", r"Lần chạy đầu: đang nạp lịch sử mô phỏng, \d+/\d+ nguồn \(\d+ %\)"),
                                         ("en", r"First start: writing the simulated history, \d+ of \d+ sources "
                                                r"\(\d+ %\)")])
def test_every_screen_says_how_far_the_history_is(fresh_app: RunningApp, browser: Browser, lang: str,
                                                  words: str) -> None:
    context = browser.new_context(viewport=WALL)
    page = context.new_page()
    console = ConsoleLog()
    console.attach(page)
    try:
        page.goto(fresh_app.url(f"/?lang={lang}"))
        banner = page.locator("#live-banner")
        expect(banner).to_have_attribute("data-kind", "backfill", timeout=20_000)
        expect(banner).to_have_text(re.compile(words))
        # the header and the page are there meanwhile, under the banner
        expect(page.locator("header").first).to_be_visible()
        shot(page, f"first-start-banner-{lang}")
    finally:
        context.close()
    console.assert_clean()
