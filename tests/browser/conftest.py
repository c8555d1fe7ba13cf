"""Browser-test fixtures: the real app (``python app.py``) on a fresh SQLite file, headless
Debian Chromium through Playwright, and a console collector that fails a test on any console
error or uncaught exception (failed loads of OpenStreetMap tiles aside: the suite runs offline).

Screenshots go to ``test-artifacts/screenshots/`` at the repository root (git-ignored); they
are the run's artifacts. A failed test also leaves ``<test>-FAILED.png`` there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.harness import (
    CHROMIUM,
    LAUNCH_ARGS,
    SCREENSHOTS,
    WALL,
    ConsoleLog,
    RunningApp,
    shot,
    start_app,
)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The dashboard as a user starts it: ``python app.py`` with embedded defaults (the live
    simulator as the only source, in-process scheduler), on a throw-away SQLite file."""
    with start_app(tmp_path_factory.mktemp("browser-app")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Browser, console: ConsoleLog, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no stored language choice) at 1920×1080. The browser runs in
    UTC, not in Huế, so anything that wrongly used the browser's zone would show."""
    failed_shot = SCREENSHOTS / f"{request.node.name}-FAILED.png"
    failed_shot.unlink(missing_ok=True)  # a failure shot left by an earlier run would mislead
    # bypass_csp: Playwright evaluates wait_for_function's string predicates with eval, which the
    # app's Content-Security-Policy (no 'unsafe-eval') refuses; the policy itself is tested in a
    # context that keeps it (test_security.py).
    context = browser.new_context(viewport=WALL, timezone_id="UTC", locale="en-US", bypass_csp=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    console.attach(tab)
    try:
        yield tab
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed:
            try:
                shot(tab, f"{request.node.name}-FAILED", full_page=True)
            except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
                pass
        elif call is not None and call.passed and console.errors:
            pytest.fail("console errors after the test's last check:\n" + "\n".join(console.errors))
    finally:
        context.close()
