"""The operations wall in the scaled deployment, for real: PostgreSQL, Redis, gunicorn with two
workers, ``python -m ioc scheduler`` as a separate process, and headless Chromium at 1920×1080
on ``/wall``. Nothing is mocked; outages are real stops of real processes.

1. A report ingested by another process (``python -m ioc import feedback``) reaches the wall
   within 5 s at the default poll, without a reload, through the shared Redis; both workers
   answer the screens' polls and know the new version.
2. Redis stops (a private ``redis-server``): the wall says so (banner naming Redis, degraded
   badge, ``/api/live`` degraded), ingests still reach it through the database; Redis starts
   again: the banner goes, versions are resynchronised, ingests keep arriving.
3. The source's scheduler stops: its freshness badge turns late at 2× and stale at 5× the
   cadence (tiles too), and ok again once the scheduler is back. Stopped in the middle of a
   run, the scheduler must not keep its source locked after a restart.
4. gunicorn stops: the wall says the server is unreachable and stays; it starts again: the
   banner goes without a reload; a redeploy (new build id) reloads the wall by itself.

Screenshots: test-artifacts/screenshots/wall-*.png.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser.harness import SCREENSHOTS, WALL, shot
from tests.conftest import _admin_connection, _postgres_database
from tests.e2e.deploy import Deployment, RedisServer
from tests.e2e.wall_browser import BrowserThread, WallConsole, browser_thread, close_browser_thread, in_browser_thread

pytestmark = pytest.mark.postgres

SHARED_REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, flushed by this module only
CADENCE_S = 2
SOURCE = "feedback-sim"
SOURCES_TOML = f"""
[[sources]]
name = "{SOURCE}"
type = "simulator"
every_seconds = {CADENCE_S}
"""  # at the city's pace × the deployment's IOC_SIMULATOR_SPEED (tests/e2e/deploy.py)
RECEIVED = "#wall-tiles-feedback .tile[data-kpi=received]"
BADGE = "[data-fresh-badge=feedback]"
BANNER = "#live-banner"

# Watches the feedback "received" tile (re-rendered by Dash on each new version) and records
# every value it shows with the browser's time: [[epoch ms, data-value], …].
WATCH_RECEIVED = """sel => {
  window.__same = true;
  window.__received = [];
  const read = () => { const t = document.querySelector(sel); return t ? t.getAttribute("data-value") : null; };
  let last = read();
  window.__received.push([Date.now(), last]);
  new MutationObserver(() => {
    const v = read();
    if (v !== last) { last = v; window.__received.push([Date.now(), v]); }
  }).observe(document.getElementById("wall-tiles-feedback"),
             { subtree: true, childList: true, attributes: true, attributeFilter: ["data-value"] });
}"""
# Records each state the feedback badge takes, on the server's clock as the page knows it.
WATCH_FRESH = """sel => {
  window.__fresh = [];
  const badge = document.querySelector(sel);
  const note = () => {
    const s = badge.getAttribute("data-fresh");
    const last = window.__fresh[window.__fresh.length - 1];
    if (!last || last[1] !== s) { window.__fresh.push([Date.now() + (window.iocLive.offset || 0), s]); }
  };
  note();
  new MutationObserver(note).observe(badge, { attributes: true, attributeFilter: ["data-fresh"] });
}"""


# ---- deployments ---------------------------------------------------------------------------------
@pytest.fixture
def shared_redis_deployment(pg_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """gunicorn (2 workers) on the running Redis at 6379/11 and a fresh PostgreSQL database,
    polled at the default cadence (3 s); data comes from CLI imports only."""
    redis.Redis.from_url(SHARED_REDIS_URL).flushdb()
    dep = Deployment.create(tmp_path, pg_url, SHARED_REDIS_URL, build=f"e2e-{uuid.uuid4().hex[:8]}")
    try:
        dep.start_web()
        yield dep
    finally:
        dep.close()


@pytest.fixture(scope="module")
def private_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """gunicorn (2 workers) + one scheduler running the feedback simulator every 2 s, on a
    private redis-server (stopped and started by the tests) and a fresh PostgreSQL database;
    screens poll every 500 ms."""
    work = tmp_path_factory.mktemp("wall-live")
    databases = _postgres_database()
    database_url = next(databases)
    server = RedisServer(work)
    dep = Deployment.create(work, database_url, server.url, build=f"e2e-{uuid.uuid4().hex[:8]}", poll_ms=500,
                            sources_toml=SOURCES_TOML)
    dep.redis = server
    try:
        dep.ensure_running()
        yield dep
    finally:
        dep.close()
        databases.close()  # drops the database


@pytest.fixture
def deployment(private_deployment: Deployment, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """The private deployment with every process running, whatever the previous test stopped."""
    private_deployment.ensure_running()
    yield private_deployment
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        print(private_deployment.logs())


# ---- the browser ---------------------------------------------------------------------------------
@dataclass
class Screen:
    page: Page
    console: WallConsole
    workers: list[str] = field(default_factory=list)  # X-IOC-Worker of each /api/live the page got

    def received(self) -> int:
        return int(self.page.get_attribute(RECEIVED, "data-value"))

    def wait_received(self, at_least: int, timeout_s: float = 20) -> int:
        self.page.wait_for_function(
            "([sel, n]) => { const t = document.querySelector(sel); return t && Number(t.getAttribute('data-value')) >= n; }",
            arg=[RECEIVED, at_least], timeout=timeout_s * 1000)
        return self.received()

    def same_page(self) -> bool:
        return self.page.evaluate("window.__same === true")


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserThread]:
    yield browser_thread()
    close_browser_thread()


@pytest.fixture
def open_wall(chromium: BrowserThread, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Screen]]:
    """Opens /wall of a deployment in a fresh 1920×1080 context and waits for its feedback tiles;
    on teardown a failed test leaves ``<test>-FAILED.png``, a passed one fails on console errors."""
    screens: list[Screen] = []

    def open_(base_url: str) -> Screen:
        def go() -> Screen:
            context = chromium.browser.new_context(viewport=WALL, timezone_id="UTC")
            context.set_default_timeout(20_000)
            page = context.new_page()
            screen = Screen(page, WallConsole(base_url))
            screen.console.attach(page)
            page.on("response", lambda r: screen.workers.append(r.headers.get("x-ioc-worker", "?"))
                    if r.url == f"{base_url}/api/live" else None)
            screens.append(screen)
            page.goto(f"{base_url}/wall")
            page.wait_for_selector(f"{RECEIVED}[data-value]", timeout=60_000)
            return screen

        return chromium.run(go)

    (SCREENSHOTS / f"{request.node.name}-FAILED.png").unlink(missing_ok=True)
    yield open_

    def close() -> None:
        call = getattr(request.node, "rep_call", None)
        for screen in screens:
            try:
                if call is not None and call.failed:
                    shot(screen.page, f"{request.node.name}-FAILED")
                elif call is not None and call.passed and screen.console.errors:
                    pytest.fail("console errors after the test's last check:\n" + "\n".join(screen.console.errors))
            finally:
                screen.page.context.close()

    chromium.run(close)


# ---- 1. live update across two workers through Redis -----------------------------------------------
@in_browser_thread
def test_ingest_reaches_the_wall_within_5s_through_redis_across_two_workers(
        shared_redis_deployment: Deployment, open_wall: Callable[[str], Screen]) -> None:
    dep = shared_redis_deployment
    screen = open_wall(dep.base)
    page = screen.page
    assert page.evaluate("window.iocLive.pollMs") == 3000  # the default cadence: the promise is for it
    before = screen.received()
    page.evaluate(WATCH_RECEIVED, RECEIVED)

    dep.import_feedback(12, "live")  # a separate process: the CLI
    imported_at_ms = time.time() * 1000
    expected = str(before + 12)
    page.wait_for_function("v => window.__received.some(c => c[1] === v)", arg=expected, timeout=30_000)
    shown_at_ms = page.evaluate("v => window.__received.find(c => c[1] === v)[0]", expected)
    latency_s = (shown_at_ms - imported_at_ms) / 1000
    assert latency_s <= 5.0, f"the ingest reached the wall {latency_s:.1f} s after the import finished"
    assert screen.same_page(), "the wall reloaded instead of updating in place"
    shot(page, "wall-live-update")

    # Redis carried the notice: its hash holds the new version, and both workers serve it.
    version = int(redis.Redis.from_url(SHARED_REDIS_URL).hget("ioc:versions", "feedback"))
    assert page.evaluate("window.iocLive.versions.feedback") == version
    answers = dep.ask_workers(lambda p: p["versions"].get("feedback") == version and p["degraded"] is None)
    assert len(answers) == 2
    # The screen's own polls were answered by these workers (which one takes a connection is the
    # kernel's choice: a few polls may all land on one).
    assert screen.workers and set(screen.workers) <= set(answers), (screen.workers, list(answers))
    print(f"latency {latency_s:.2f} s; the wall's polls answered by {sorted(set(screen.workers))}")


# ---- 2. the database down and back -----------------------------------------------------------------
@in_browser_thread
def test_a_database_outage_is_shown_as_such_and_survived(deployment: Deployment,
                                                        open_wall: Callable[[str], Screen]) -> None:
    """The database refuses connections (its live ones cut): every worker answers /api/live with
    503 naming the database, and the wall says the database does not answer (not "server
    unreachable"); once it is back, the banner goes and the screen resumes."""
    dep = deployment
    name = dep.env["IOC_DATABASE_URL"].rsplit("/", 1)[1]
    screen = open_wall(dep.base)
    page = screen.page
    banner = page.locator(BANNER)
    expect(banner).to_be_hidden()
    dep.close_sql()
    screen.console.database_down = True
    with _admin_connection() as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        down = page.locator(f"{BANNER}[data-kind=database]")
        expect(down).to_be_visible(timeout=20_000)
        expect(down).to_contain_text("OperationalError")
        shot(page, "wall-database-down")
    finally:
        with _admin_connection() as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    expect(banner).to_have_attribute("data-kind", "", timeout=30_000)
    expect(banner).to_be_hidden()
    screen.console.database_down = False
    assert screen.console.expected, "the outage was seen by the screen"
    page.wait_for_timeout(1500)  # polls after the recovery: no error of any kind


# ---- 2b. Redis down and back ----------------------------------------------------------------------
@in_browser_thread
def test_redis_outage_is_shown_and_survived(deployment: Deployment, open_wall: Callable[[str], Screen]) -> None:
    dep = deployment
    assert dep.redis is not None
    screen = open_wall(dep.base)
    page = screen.page
    banner = page.locator(BANNER)
    before = screen.received()
    page.evaluate("() => { window.__same = true; }")
    expect(banner).to_be_hidden()

    dep.redis.stop()
    try:
        degraded = page.locator(f"{BANNER}[data-kind=degraded]")
        expect(degraded).to_be_visible(timeout=15_000)
        expect(degraded).to_contain_text("Redis")
        expect(page.locator("#live-badge")).to_have_class(r"badge badge-live degraded")
        answers = dep.ask_workers(lambda p: bool(p["degraded"]))
        assert all("Redis" in p["degraded"] for p in answers.values()), answers
        shot(page, "wall-redis-down")

        # The fallback: an ingest during the outage still reaches the screen (through the database).
        dep.import_feedback(40, "outage")
        during = screen.wait_received(before + 40)
        expect(degraded).to_be_visible()
        shot(page, "wall-redis-down-ingest")
    finally:
        dep.redis.start()  # the same port, empty (nothing saved)

    expect(banner).to_have_attribute("data-kind", "", timeout=20_000)
    expect(banner).to_be_hidden()
    expect(page.locator("#live-badge")).to_have_class("badge badge-live")
    dep.ask_workers(lambda p: p["degraded"] is None)
    # Every family's version was resynchronised into the fresh (empty) Redis from the database.
    fresh_redis = redis.Redis.from_url(dep.redis.url)
    deadline = time.monotonic() + 10
    while True:
        in_db = {family: int(v) for family, v in dep.sql("SELECT family, version FROM data_versions")}
        in_redis = {k.decode(): int(v) for k, v in fresh_redis.hgetall("ioc:versions").items()}
        if in_redis == in_db or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert in_redis == in_db

    dep.import_feedback(25, "recovered")
    screen.wait_received(during + 25)
    assert screen.same_page(), "the wall reloaded during the outage"
    shot(page, "wall-redis-back")


# ---- 3. a source stopped and restarted ------------------------------------------------------------
def _held_locks(dep: Deployment) -> list[tuple]:
    return dep.sql("SELECT name, holder FROM job_locks WHERE locked_until IS NOT NULL")


def _stop_scheduler(dep: Deployment, mid_run: bool, timeout_s: float = 30) -> list[tuple]:
    """SIGTERM the scheduler at a chosen moment: between runs (no job lock held) or in the
    middle of a run of the source (its lock held). The process is frozen (SIGSTOP) while the
    locks are read, so the moment cannot slip; returns the locks held when it was stopped."""
    proc = dep.scheduler
    assert proc is not None and proc.poll() is None, "the scheduler is not running"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        os.kill(proc.pid, signal.SIGSTOP)
        held = _held_locks(dep)
        wanted = any(name == f"source:{SOURCE}" for name, _ in held) if mid_run else not held
        if wanted:
            os.killpg(proc.pid, signal.SIGTERM)
            os.kill(proc.pid, signal.SIGCONT)
            proc.wait(timeout=20)
            dep.scheduler = None
            return held
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.02 if mid_run else 0.1)
    pytest.fail(f"could not catch the scheduler {'in' if mid_run else 'between'} runs in {timeout_s} s")


def _wait_tiles_fresh(page: Page, state: str) -> None:
    """Every tile of the feedback panel shows ``state`` (a tile Dash has just re-rendered gets
    its state at the page's next second)."""
    page.wait_for_function(
        """s => { const ts = [...document.querySelectorAll('#wall-tiles-feedback .tile')];
                  return ts.length > 0 && ts.every(t => t.getAttribute('data-fresh') === s); }""",
        arg=state, timeout=5_000)


@in_browser_thread
def test_freshness_badge_follows_a_stopped_and_restarted_source(
        deployment: Deployment, open_wall: Callable[[str], Screen]) -> None:
    dep = deployment
    screen = open_wall(dep.base)
    page = screen.page
    badge = page.locator(BADGE)
    expect(badge).to_have_attribute("data-fresh", "ok", timeout=30_000)
    page.evaluate("() => { window.__same = true; }")
    page.evaluate(WATCH_FRESH, BADGE)

    _stop_scheduler(dep, mid_run=False)
    stale_by_s = 5 * CADENCE_S + 15  # generous: the page ticks each second, the machine is busy
    expect(badge).to_have_attribute("data-fresh", "stale", timeout=stale_by_s * 1000)
    last_success = page.evaluate("s => window.iocLive.sources.find(x => x.name === s).last_success", SOURCE)
    changes = page.evaluate("() => window.__fresh")
    # Before the stop, a run the busy machine delayed past 2× the cadence may have turned the
    # badge amber and its success green again; what follows the last green is what is checked.
    states = [state for _, state in changes]
    assert states[0] == "ok" and "ok" in states, changes
    last_ok = len(states) - 1 - states[::-1].index("ok")
    after_stop = changes[last_ok:]
    assert [state for _, state in after_stop] == ["ok", "late", "stale"], changes
    (_, _), (late_at, _), (stale_at, _) = after_stop
    # Amber at 2×, red at 5× the cadence after the last successful run (not before; not much later).
    assert 2 * CADENCE_S * 1000 - 250 <= late_at - last_success <= (2 * CADENCE_S + 5) * 1000, changes
    assert 5 * CADENCE_S * 1000 - 250 <= stale_at - last_success <= (5 * CADENCE_S + 5) * 1000, changes
    assert page.locator("#wall-tiles-feedback .tile").count() >= 3
    _wait_tiles_fresh(page, "stale")
    expect(page.locator(".wall-panel-feedback")).to_have_attribute("data-fresh", "stale")
    expect(badge).not_to_be_empty()
    shot(page, "wall-source-stale")

    dep.start_scheduler()
    expect(badge).to_have_attribute("data-fresh", "ok", timeout=45_000)
    _wait_tiles_fresh(page, "ok")
    assert screen.same_page()
    shot(page, "wall-source-back")


def test_scheduler_stopped_mid_run_gives_its_source_back(deployment: Deployment) -> None:
    """``systemctl stop`` (SIGTERM) can land while a job holds its database lock; the restarted
    scheduler must run the source again at its cadence, not wait for the lock's lease (5 min)."""
    dep = deployment
    held = _stop_scheduler(dep, mid_run=True)
    dead = [holder for name, holder in held if name == f"source:{SOURCE}"]
    stopped_at = dep.sql("SELECT now() AT TIME ZONE 'UTC'")[0][0]
    try:
        dep.start_scheduler()
        deadline = time.monotonic() + 25  # boot (a few s) + one cadence, generously
        ran = []
        while time.monotonic() < deadline and not ran:
            ran = dep.sql("SELECT id FROM collector_runs WHERE source = :s AND status = 'ok' AND started_at > :t",
                          s=SOURCE, t=stopped_at)
            time.sleep(0.5)
        assert ran, (f"the restarted scheduler never ran {SOURCE}: the stopped one's lock is still held "
                     f"{_held_locks(dep)}")
    finally:
        # Give the source back for the other tests if the lock outlived its holder.
        dep.sql("UPDATE job_locks SET locked_until = NULL WHERE holder = ANY(:h)", h=dead)


# ---- 4. server restart and redeploy ---------------------------------------------------------------
@in_browser_thread
def test_wall_survives_a_server_restart_and_reloads_after_a_redeploy(
        deployment: Deployment, open_wall: Callable[[str], Screen]) -> None:
    dep = deployment
    # No collection during this test: a version delivered just before a deliberate stop would
    # send a Dash callback into the closing server (console noise that is not under test here).
    _stop_scheduler(dep, mid_run=False)
    screen = open_wall(dep.base)
    page = screen.page
    banner = page.locator(BANNER)
    assert page.get_attribute(".app[data-build]", "data-build") == dep.build
    before = screen.received()
    page.evaluate("() => { window.__same = true; }")

    screen.console.server_down = True
    dep.stop_web()
    offline = page.locator(f"{BANNER}[data-kind=offline]")
    expect(offline).to_be_visible(timeout=15_000)
    expect(offline).to_contain_text(":")  # "… since HH:MM:SS"
    # The live badge should say so too (on every page; the wall hides the top bar), although
    # the server that would run a callback is the thing that is gone. Checked at the end, so
    # the restart and the redeploy are exercised either way.
    problems = []
    try:
        expect(page.locator("#live-badge")).to_have_class("badge badge-live offline", timeout=5_000)
    except AssertionError:
        problems.append(f"#live-badge stayed {page.get_attribute('#live-badge', 'class')!r} while the server "
                        f"was unreachable")
    # The page stays: the wall with its figures, not an error page.
    assert page.url.endswith("/wall") and screen.same_page()
    expect(page.locator(RECEIVED)).to_have_attribute("data-value", str(before))
    shot(page, "wall-server-down")

    dep.start_web()  # the same build
    expect(banner).to_have_attribute("data-kind", "", timeout=45_000)
    screen.console.server_down = False
    expect(page.locator("#live-badge")).to_have_class("badge badge-live")
    assert screen.same_page(), "a restart with the same build reloaded the wall"
    # Live updates go on after the restart.
    dep.import_feedback(7, "restart")
    screen.wait_received(before + 7)

    old_build = dep.build
    screen.console.server_down = True
    dep.stop_web()
    dep.start_web(build=f"{old_build}-next")
    page.wait_for_function(
        "b => window.__same === undefined && document.querySelector('.app[data-build]')?.getAttribute('data-build') === b",
        arg=dep.build, timeout=45_000)
    page.wait_for_selector(f"{RECEIVED}[data-value]", timeout=30_000)
    screen.console.server_down = False
    assert page.evaluate("() => sessionStorage.getItem('ioc-reload-why')") == "redeploy"
    assert page.url.endswith("/wall")
    expect(banner).to_be_hidden()
    shot(page, "wall-after-redeploy")
    assert not problems, problems
