"""A small Open311 GeoReport v2 server for tests: threaded, on 127.0.0.1, port chosen by the OS.

Serves ``services.json`` and ``requests.json`` from the in-memory ``requests`` list, honouring
``start_date`` / ``end_date`` (inclusive, on ``requested_datetime``), ``status`` and
``service_request_id`` (comma-separated; overrides the other filters, as the spec says), and
truncating every response to ``cap`` items, newest first, like real servers do. A key starting
with ``_`` is private to the fake and never sent: ``_at`` is the time the filters use when the
item's own ``requested_datetime`` is deliberately broken. Faults are
queued with :meth:`FakeOpen311.fault` and consumed one call at a time.

    with FakeOpen311(cap=10) as server:
        server.requests.append(open311_request("1", "2026-03-02T08:00:00+07:00"))
        server.fault("http500", times=2)
        ... server.url ...
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/open311/v2"
DEFAULT_SERVICES = [
    {"service_code": "lighting", "service_name": "Chiếu sáng công cộng", "type": "realtime"},
    {"service_code": "environment", "service_name": "Môi trường, vệ sinh", "type": "realtime"},
    {"service_code": "traffic_infra", "service_name": "Giao thông, hạ tầng", "type": "realtime"},
]
FAULT_KINDS = ("http500", "slow", "broken_json", "error_array", "not_a_list")


def parse_dt(text: str) -> datetime:
    """ISO 8601 → aware datetime (naive values read as UTC)."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def open311_request(rid: str, requested: str, status: str = "open", **fields: Any) -> dict[str, Any]:
    """A well-formed GeoReport v2 service request inside Huế city; ``fields`` override."""
    item = {
        "service_request_id": rid, "status": status, "service_code": "lighting",
        "service_name": "Chiếu sáng công cộng", "description": f"Đèn đường hỏng #{rid}",
        "agency_responsible": None, "requested_datetime": requested, "updated_datetime": requested,
        "address": "Lê Lợi, Huế", "lat": 16.4637, "long": 107.5909,
    }
    item.update(fields)
    return item


@dataclass
class Fault:
    kind: str
    remaining: int
    path: str
    seconds: float = 0.0
    code: int = 403
    description: str = "Invalid api_key"


class FakeOpen311:
    def __init__(self, requests: list[dict[str, Any]] | None = None, cap: int = 1000,
                 services: list[dict[str, Any]] | None = None):
        self.requests: list[dict[str, Any]] = list(requests or [])
        self.services = list(DEFAULT_SERVICES if services is None else services)
        self.cap = cap
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()  # wakes slow responses at shutdown
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{PREFIX}"

    def start(self) -> FakeOpen311:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpen311:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fault(self, kind: str, times: int = 1, path: str = "requests.json", **kw: Any) -> None:
        """Misbehave on the next ``times`` calls to ``path`` (``times=-1``: forever).

        ``slow`` takes ``seconds``; ``error_array`` takes ``code`` and ``description``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            self._faults.append(Fault(kind, times, path, **kw))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def request_calls(self) -> list[dict[str, str]]:
        return [params for path, params in self.calls if path == "requests.json"]

    # --- serving -------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path == path and fault.remaining != 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _select(self, params: dict[str, str]) -> list[dict[str, Any]]:
        with self._lock:
            items = [dict(r) for r in self.requests]
        if params.get("service_request_id"):
            wanted = set(params["service_request_id"].split(","))
            return [_public(r) for r in items if str(r.get("service_request_id")) in wanted][: self.cap]
        if params.get("start_date"):
            lo = parse_dt(params["start_date"])
            items = [r for r in items if _requested(r) is not None and _requested(r) >= lo]
        if params.get("end_date"):
            hi = parse_dt(params["end_date"])
            items = [r for r in items if _requested(r) is not None and _requested(r) <= hi]
        if params.get("status"):
            wanted = set(params["status"].split(","))
            items = [r for r in items if r.get("status") in wanted]
        items.sort(key=lambda r: _requested(r) or datetime.min.replace(tzinfo=UTC), reverse=True)
        return [_public(r) for r in items[: self.cap]]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if not parts.path.startswith(PREFIX + "/"):
                    return self._send(404, b'[{"code":404,"description":"not found"}]')
                path = parts.path[len(PREFIX) + 1:]
                with fake._lock:
                    fake.calls.append((path, params))
                fault = fake._take_fault(path)
                if fault is not None:
                    if fault.kind == "http500":
                        return self._send(500, b"Internal Server Error")
                    if fault.kind == "slow":
                        fake._stop.wait(fault.seconds)
                    if fault.kind == "broken_json":
                        return self._send(200, b'[{"service_request_id": "1", "status": ')
                    if fault.kind == "error_array":
                        body = [{"code": fault.code, "description": fault.description}]
                        return self._send(200, json.dumps(body).encode())
                    if fault.kind == "not_a_list":
                        return self._send(200, b'{"service_requests": []}')
                if path == "services.json":
                    data: Any = fake.services
                elif path == "requests.json":
                    try:
                        data = fake._select(params)
                    except ValueError as exc:
                        return self._send(400, json.dumps([{"code": 400, "description": str(exc)}]).encode())
                else:
                    return self._send(404, b'[{"code":404,"description":"not found"}]')
                try:
                    self._send(200, json.dumps(data, ensure_ascii=False).encode())
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _requested(item: dict[str, Any]) -> datetime | None:
    try:
        return parse_dt(str(item.get("_at") or item["requested_datetime"]))
    except (KeyError, ValueError):
        return None
