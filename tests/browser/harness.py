"""The browser suite's harness: the running app with the CLI beside it, the console
collector and screenshots (fixtures in conftest.py)."""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ioc.runtime import stored_progress

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}
STARTUP_TIMEOUT_S = 90
# The live simulators' speed-up in the test app (IOC_SIMULATOR_SPEED). At the city's pace the
# feed receives ≈ 26 field reports and ≈ 80 violations a day: nothing would move while a module
# runs. × 60 (an hour of the city every minute: ≈ 1 report and ≈ 3 violations a minute, a few
# system events) keeps the live feed, its version moves and the pages' live updates exercised, as
# the old fast default did; the SIMULATED badge then reads "… ×60".
SIMULATOR_SPEED = 60
# Map tiles come from OpenStreetMap by default and cannot load offline: those failures are expected.
TILE_URL = re.compile(r"^https?://([a-z0-9-]+\.)*tile\.openstreetmap\.org/", re.IGNORECASE)
CSV_COLUMNS = ("external_id", "received_at", "status", "category_code", "category_name", "description", "address",
               "unit_code", "lat", "lon", "channel", "handling_unit", "due_at", "resolved_at", "rating")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: the display names of the browser tests' accounts (shown in the header)
DISPLAY_NAMES = {"viewer": "Người xem", "operator": "Trần Thị Bình", "leader": "Lê Văn Hùng", "analyst": "Phạm Thu Hà",
                 "admin": "Nguyễn Quản Trị"}


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


@dataclass
class RunningApp:
    """``python app.py`` on a port of its own, and the CLI against the same database."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    work_dir: Path
    process: subprocess.Popen
    _imports: int = field(default=0)

    def url(self, path: str) -> str:
        return self.base_url + path

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """``python -m ioc ARGS`` with the app's environment; fails the test on a non-zero exit."""
        proc = subprocess.run([sys.executable, "-m", "ioc", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            pytest.fail(f"python -m ioc {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def account(self, role: str) -> tuple[str, str]:
        """An account of ``role`` (made once per app with ``python -m ioc users add``, with the
        display name of :data:`DISPLAY_NAMES`): (name, password)."""
        name, password = f"{role}-browser", f"mật khẩu của {role} 2026"
        made = self.__dict__.setdefault("_accounts", set())
        if role not in made:
            proc = subprocess.run([sys.executable, "-m", "ioc", "users", "add", name, "--role", role, "--password-stdin",
                                   "--display-name", DISPLAY_NAMES[role]],
                                  cwd=ROOT, env=self.env, input=password + "\n", capture_output=True, text=True,
                                  timeout=60)
            if proc.returncode != 0:
                pytest.fail(f"users add {name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
            made.add(role)
        return name, password

    def sign_in(self, page: Any, role: str, next_path: str = "/") -> str:
        """Sign ``page``'s browser context in as an account of ``role`` through the sign-in form;
        returns the account's name."""
        name, password = self.account(role)
        page.goto(self.url(f"/signin?next={next_path}"))
        page.locator("input[name=name]").fill(name)
        page.locator("input[name=password]").fill(password)
        self.submit_form(page, leaving="/signin")
        return name

    def submit_form(self, page: Any, leaving: str, timeout_ms: float = 45_000) -> None:
        """Submit the page's sign-in-style form and wait until the browser has left ``leaving``.
        The wait is long: on SQLite the POST's audit line waits for any write under way (on a
        first start, the spec systems' history is written in the background). A page still there
        fails with what it says and the app's log."""
        page.locator(".signin-form button[type=submit]").click()
        try:
            page.wait_for_url(lambda url: leaving not in url, timeout=timeout_ms)
        except PlaywrightTimeoutError:
            pytest.fail(f"still on {page.url} {timeout_ms / 1000:.0f} s after submitting; the page says:\n"
                        f"{page.locator('body').inner_text()[:800]}\napp log:\n{self.log_tail()}", pytrace=False)

    def kpis(self, start: Any = None, end: Any = None, **filters: str | None) -> dict[str, Any]:
        """``python -m ioc kpi feedback [--from START --to LAST] [--unit …] --json`` for the period
        [start, end) (dates): ``--to`` is its last day, included."""
        args = ["kpi", "feedback", "--json"]
        if start is not None:
            args += ["--from", str(start), "--to", str(end - timedelta(days=1))]
        for name, value in filters.items():
            if value is not None:
                args += [f"--{name}", value]
        return json.loads(self.cli(*args).stdout)

    def import_feedback(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Write ``rows`` to a CSV and ``python -m ioc import feedback FILE``; returns the outcome."""
        self._imports += 1
        path = self.work_dir / f"import-{self._imports}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows([{k: row.get(k, "") for k in CSV_COLUMNS} for row in rows])
        outcome = json.loads(self.cli("import", "feedback", str(path), "--quiet", "--json").stdout)
        assert outcome["status"] == "ok" and outcome["rejected"] == 0, outcome
        return outcome

    def versions(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url("/api/versions"), timeout=10) as resp:
            return json.load(resp)["versions"]

    def wait_for_history(self, *families: str, timeout_s: float = 240) -> None:
        """Until the simulated history of ``families`` is written (a first start writes it in the
        background: the four first families before the app is handed to a test, the others after);
        with no family named, until the whole history is."""
        deadline = time.monotonic() + timeout_s
        wanted = {f"{family}-simulator" for family in families}
        while True:
            state = stored_progress(self.work_dir / "app.sqlite")
            if state is None or state.get("finished") or (wanted and wanted <= set(state.get("done", []))):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the history of {', '.join(families)} was not written within {timeout_s} s: {state}; "
                            f"log:\n{self.log_tail()}", pytrace=False)
            time.sleep(0.5)

    def log_tail(self) -> str:
        return tail(self.log_path)


class ConsoleLog:
    """Console errors and uncaught page errors, except failed loads of map tiles."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    @staticmethod
    def is_tile_failure(msg: ConsoleMessage) -> bool:
        url = (msg.location or {}).get("url", "")
        return bool(TILE_URL.match(url)) or bool(re.search(r"https?://([a-z0-9-]+\.)*tile\.openstreetmap\.org/",
                                                           msg.text, re.IGNORECASE))

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error" and not self.is_tile_failure(msg):
            where = (msg.location or {}).get("url", "")
            self.errors.append(f"console.error: {msg.text}" + (f" ({where})" if where else ""))

    def assert_clean(self) -> None:
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)


def shot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot under test-artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path





#: how long a store with no progress record readable is taken to mean "no history to write" (the
#: record is written before the app answers, but a read can fail while the app holds the file)
NO_RECORD_S = 5.0


def backfill_failed(running: RunningApp) -> None:
    """Fail the test when the app logged that a simulator's history could not be written (its
    pages would show a few hours of live data as if they were the history)."""
    failed = [line for line in tail(running.log_path, 100_000).splitlines() if "backfill of" in line and "failed" in line]
    if failed:
        pytest.fail(f"the app could not write a simulated history: {failed[0]}; log:\n{running.log_tail()}",
                    pytrace=False)


def wait_for_history(running: RunningApp, store: Path, deadline: float) -> None:
    """Until the first families' simulated history is stored (``first`` of the progress record),
    or the app has none to write (no record for :data:`NO_RECORD_S` running)."""
    missing_since: float | None = None
    while True:
        state = stored_progress(store)
        now = time.monotonic()
        if state is None:
            missing_since = now if missing_since is None else missing_since
            if now - missing_since >= NO_RECORD_S:
                return
        elif state.get("finished") or set(state.get("first", [])) <= set(state.get("done", [])):
            backfill_failed(running)
            return
        else:
            missing_since = None
        if now > deadline:
            pytest.fail(f"the first families' history was not written within {STARTUP_TIMEOUT_S} s: {state}; log:\n"
                        f"{running.log_tail()}", pytrace=False)
        time.sleep(0.25)


@contextmanager
def start_app(work: Path, extra_env: dict[str, str] | None = None, *, history: bool = True) -> Iterator[RunningApp]:
    """``python app.py`` with embedded defaults (the live simulator as the only source,
    in-process scheduler) on a throw-away SQLite file in ``work``, plus ``extra_env`` (e.g.
    ``IOC_SYSTEMS``); stopped on exit. ``history``: wait until the first families' simulated
    history is stored too (else only until the app answers)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({
        "IOC_DATABASE_URL": f"sqlite:///{work / 'app.sqlite'}",
        "IOC_HOST": "127.0.0.1",
        "IOC_PORT": str(port),
        "IOC_BACKFILL_DAYS": "120",
        "IOC_LIVE_POLL_MS": "1000",
        "IOC_SIMULATOR_SPEED": str(SIMULATOR_SPEED),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
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
        # The app answers within seconds and writes its simulated history in the background; the
        # tests read the four first families' (the others' pages wait for their data themselves)
        if history:
            wait_for_history(running, work / "app.sqlite", deadline)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
