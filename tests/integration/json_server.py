"""A tiny JSON-over-HTTP server for tests: threaded, on 127.0.0.1, port chosen by the OS.

Each path answers with a fixed JSON body or with what a function of the query parameters
returns. Every call is recorded as ``(path, params)`` (the last value of each parameter).
Faults are queued with :meth:`JsonServer.fault` and consumed one call at a time, like
tests/integration/open311_server.py.

    with JsonServer() as server:
        server.route("/api/events", {"data": {"items": [...]}})
        server.route("/api/paged", lambda params: {"data": {"items": pages[int(params["page"])]}})
        server.fault("http500", times=2)
        ... server.url("/api/events") ...
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULT_KINDS = ("http500", "slow", "broken_json")
Body = Any | Callable[[dict[str, str]], Any]


@dataclass
class Fault:
    kind: str
    remaining: int
    path: str | None
    seconds: float = 0.0


class JsonServer:
    def __init__(self) -> None:
        self.routes: dict[str, Body] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()  # wakes slow responses at shutdown
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> JsonServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> JsonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, path: str, body: Body) -> None:
        """Answer GET ``path`` with ``body`` (JSON-able), or with ``body(params)`` if callable."""
        with self._lock:
            self.routes[path] = body

    def fault(self, kind: str, times: int = 1, path: str | None = None, seconds: float = 0.0) -> None:
        """Misbehave on the next ``times`` calls (to ``path``, or to any path; ``times=-1``: forever)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            self._faults.append(Fault(kind, times, path, seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def params(self, path: str | None = None) -> list[dict[str, str]]:
        """The query parameters of every call (to ``path``), in order."""
        with self._lock:
            return [params for p, params in self.calls if path is None or p == path]

    # --- serving -------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path in (None, path) and fault.remaining != 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                with fake._lock:
                    fake.calls.append((parts.path, params))
                    body = fake.routes.get(parts.path)
                fault = fake._take_fault(parts.path)
                if fault is not None:
                    if fault.kind == "http500":
                        return self._send(500, b"Internal Server Error")
                    if fault.kind == "broken_json":
                        return self._send(200, b'{"data": {"items": [{"id": ')
                    if fault.kind == "slow":
                        fake._stop.wait(fault.seconds)
                if body is None:
                    return self._send(404, b'{"error": "not found"}')
                data = body(params) if callable(body) else body
                self._send(200, json.dumps(data, ensure_ascii=False).encode())

        return Handler
