"""Headless Debian Chromium for the end-to-end tests, on a thread of its own.

Playwright's sync API allows one instance per thread, and the browser suite
(tests/browser/conftest.py) keeps its session-wide instance open on the main thread until the
run ends; so these tests drive their own instance from a dedicated thread. A test decorated
with :func:`in_browser_thread` runs its whole body there (fixtures and assertions work as
usual: exceptions are re-raised in pytest's thread).
"""

from __future__ import annotations

import functools
import queue
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Browser, ConsoleMessage, sync_playwright

from tests.browser.harness import CHROMIUM, LAUNCH_ARGS, ConsoleLog

T = TypeVar("T")
# What Chromium logs when a fetch cannot reach the server at all (the server is deliberately down).
UNREACHABLE = re.compile(r"Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE"
                         r"|CONNECTION_CLOSED)")
# a server whose database is down: /api/live says so (503), a Dash callback that read it fails (500)
DATABASE_DOWN = re.compile(r"Failed to load resource: the server responded with a status of (503|500) .*")


class BrowserThread:
    """One Chromium, owned by one thread; :meth:`run` executes a callable on that thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.browser: Browser | None = None
        self._thread = threading.Thread(target=self._main, name="e2e-chromium", daemon=True)
        self._thread.start()
        self._ready.wait(120)
        if self._failure is not None:
            raise RuntimeError(f"Chromium did not start: {self._failure!r}") from self._failure
        if self.browser is None:
            raise RuntimeError("Chromium did not start within 120 s")

    def _main(self) -> None:
        try:
            with sync_playwright() as playwright:
                self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                self._ready.set()
                while (job := self._jobs.get()) is not None:
                    fn, box, done = job
                    try:
                        box["value"] = fn()
                    except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                        box["error"] = exc
                    done.set()
                self.browser.close()
        except BaseException as exc:  # noqa: BLE001 - reported by __init__
            self._failure = exc
            self._ready.set()

    @property
    def here(self) -> bool:
        return threading.current_thread() is self._thread

    def run(self, fn: Callable[[], T]) -> T:
        if self.here:
            return fn()
        box: dict[str, Any] = {}
        done = threading.Event()
        self._jobs.put((fn, box, done))
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["value"]

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(30)


_THREAD: BrowserThread | None = None


def browser_thread() -> BrowserThread:
    """The process's browser thread (started on first use, closed by :func:`close_browser_thread`)."""
    global _THREAD
    if _THREAD is None:
        _THREAD = BrowserThread()
    return _THREAD


def close_browser_thread() -> None:
    global _THREAD
    if _THREAD is not None:
        _THREAD.close()
        _THREAD = None


def in_browser_thread(test: Callable[..., T]) -> Callable[..., T]:
    """Run the decorated test's body on the browser thread (pytest still sees its fixtures)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return browser_thread().run(lambda: test(*args, **kwargs))

    return wrapper


class WallConsole(ConsoleLog):
    """Console errors, except failed requests while the test keeps the server down on purpose
    (:attr:`server_down`): polls of ``/api/live`` and Dash callbacks, with exactly the network
    errors Chromium logs for a server that is not there."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.server_down = False
        self.database_down = False
        self.expected: list[str] = []

    def is_expected(self, msg: ConsoleMessage) -> bool:
        """While the server is down on purpose: failed polls, and a Dash callback that was on its
        way (a live update, the wall's one-minute tick) with the renderer's note about it."""
        url = (msg.location or {}).get("url", "")
        if self.database_down and msg.type == "error":
            if url == f"{self.base_url}/api/live" or url.startswith(f"{self.base_url}/_dash-update-component"):
                return DATABASE_DOWN.fullmatch(msg.text) is not None or msg.text.startswith("Error: Callback failed")
            # the renderer's own report of a callback that read the database (HTTP 500)
            return msg.text.startswith("{message: Callback error updating") and "500 Internal" in msg.text
        if not (self.server_down and msg.type == "error"):
            return False
        if msg.text == "Error: Callback failed: the server did not respond.":
            return True
        return ((url == f"{self.base_url}/api/live" or url.startswith(f"{self.base_url}/_dash-update-component"))
                and UNREACHABLE.fullmatch(msg.text) is not None)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if self.is_expected(msg):
            self.expected.append(msg.text)
            return
        super()._on_console(msg)
