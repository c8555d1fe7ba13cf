"""Browser-test fixtures: the real app (``python app.py``) on a fresh SQLite file, headless
Debian Chromium through Playwright, and a console collector that fails a test on any console
error or uncaught exception (failed loads of OpenStreetMap tiles aside: the suite runs offline).

Screenshots go to ``test-artifacts/screenshots/`` at the repository root (git-ignored); they
are the run's artifacts. A failed test also leaves ``<test>-FAILED.png`` there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.harness import (
    CHROMIUM,
    LAUNCH_ARGS,
    ROOT,
    SCREENSHOTS,
    STARTUP_TIMEOUT_S,
    WALL,
    ConsoleLog,
    RunningApp,
    free_port,
    shot,
)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The dashboard as a user starts it: ``python app.py`` with embedded defaults (the live
    simulator as the only source, in-process scheduler), on a throw-away SQLite file."""
    work = tmp_path_factory.mktemp("browser-app")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({
        "IOC_DATABASE_URL": f"sqlite:///{work / 'app.sqlite'}",
        "IOC_HOST": "127.0.0.1",
        "IOC_PORT": str(port),
        "IOC_BACKFILL_DAYS": "120",
        "IOC_LIVE_POLL_MS": "1000",
        "PYTHONUNBUFFERED": "1",
    })
    log_path = work / "app.log"
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    running = RunningApp(f"http://127.0.0.1:{port}", env, log_path, work, proc)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with code {proc.returncode} before answering /healthz; log:\n"
                            f"{running.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(running.url("/healthz"), timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer GET /healthz with 200 within {STARTUP_TIMEOUT_S} s; log:\n"
                            f"{running.log_tail()}", pytrace=False)
            time.sleep(0.25)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


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
