"""One misbehaving upstream for the fault-injection suite and bench/hostile_upstream.py: a
threaded HTTP server on 127.0.0.1 (port chosen by the OS) that speaks Open311 GeoReport v2
(``/open311/services.json``, ``/open311/requests.json``), a generic JSON list
(``/json/events``) and OpenAQ v3 (``/openaq/v3/…``), honestly in mode ``"good"`` and in one of
:data:`MODES` otherwise:

- ``drip``: headers, then one byte every ``drip_s`` seconds, forever;
- ``endless``: a 200 with no length whose JSON list never ends;
- ``huge_length``: ``Content-Length`` of 10¹², then a trickle;
- ``slow_headers``: the status line, then one header byte every ``drip_s`` seconds;
- ``ignore_dates``: Open311 answers its first ``cap`` requests whatever the dates asked;
- ``extreme_dates``: the good items plus items dated 0001, 9999 and 2099;
- ``duplicates``: every good item twice, the later copy newer (closed);
- ``invalid_json``, ``http500``;
- ``redirect``: a 302 to ``redirect_to`` (another server: another origin);
- ``big_valid``: a valid JSON list of about ``big_bytes`` bytes of small Open311 reports (each
  dated inside any window asked, all distinct): the most memory a body within the limit can cost
  (``big_valid_json``: the same for the generic JSON endpoint);
- ``echo``: a 403 whose body quotes the request's query (raw and decoded) and its base64.

Every request's path, query and headers are kept in :attr:`HostileServer.calls`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODES = ("good", "drip", "endless", "huge_length", "slow_headers", "ignore_dates", "extreme_dates",
         "duplicates", "invalid_json", "http500", "redirect", "echo", "big_valid", "big_valid_json")
SERVICES = [{"service_code": "lighting", "service_name": "Chiếu sáng công cộng"}]


def report(rid: str, requested: datetime, status: str = "open", updated: datetime | None = None) -> dict[str, Any]:
    """A well-formed Open311 service request (times are UTC)."""
    return {"service_request_id": rid, "status": status, "service_code": "lighting",
            "service_name": "Chiếu sáng công cộng", "description": f"Đèn đường hỏng #{rid}",
            "requested_datetime": requested.isoformat().replace("+00:00", "Z"),
            "updated_datetime": (updated or requested).isoformat().replace("+00:00", "Z"),
            "address": "Lê Lợi, Huế", "lat": 16.4637, "long": 107.5909}


def _parse(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class HostileServer:
    def __init__(self, good: list[dict[str, Any]] | None = None, cap: int = 50, drip_s: float = 0.3):
        self.good: list[dict[str, Any]] = list(good or [])
        self.cap = cap
        self.drip_s = drip_s
        self.mode = "good"
        self.redirect_to: str | None = None
        self.calls: list[dict[str, Any]] = []
        self.filler = 0  # bytes of description added to each item of ignore_dates (memory per item)
        self.big_bytes = 1024 * 1024  # the size of a big_valid body
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- what each endpoint answers in mode "good" (and the payload-level modes) ----------
    def _open311(self, path: str, q: dict[str, str]) -> Any:
        if path.endswith("services.json"):
            return SERVICES
        items = sorted(self.good, key=lambda r: r["requested_datetime"], reverse=True)
        if self.mode == "ignore_dates":
            filler = "x" * self.filler
            return [{**report(f"IGN{i:05d}", datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)),
                     "description": f"#{i} {filler}"} for i in range(self.cap)]
        if self.mode == "big_valid":
            at = _parse(q["start_date"]) if "start_date" in q else datetime(2026, 1, 1, tzinfo=UTC)
            one = len(json.dumps(report("B0000000", at))) + 2
            return [report(f"B{i:07d}", at) for i in range(self.big_bytes // one)]
        if "service_request_id" in q:
            wanted = set(q["service_request_id"].split(","))
            return [r for r in items if r["service_request_id"] in wanted][: self.cap]
        lo, hi = _parse(q["start_date"]), _parse(q["end_date"])
        chosen = [r for r in items if lo <= _parse(r["requested_datetime"]) <= hi]
        if self.mode == "extreme_dates":
            chosen += [report("BAD-0001", datetime(2026, 1, 1)) | {"requested_datetime": "0001-01-01T00:00:00+07:00"},
                       report("BAD-9999", datetime(2026, 1, 1)) | {"requested_datetime": "9999-12-31T23:59:59Z",
                                                                   "updated_datetime": "9999-12-31T23:59:59Z"},
                       report("BAD-2099", datetime(2099, 1, 1, tzinfo=UTC))]
        if self.mode == "duplicates":
            chosen = [copy for r in chosen for copy in (
                r, r | {"status": "closed", "updated_datetime": (_parse(r["updated_datetime"])
                                                                 + timedelta(hours=1)).isoformat()})]
        return chosen[: self.cap] if self.mode != "duplicates" else chosen

    def _json(self, q: dict[str, str]) -> Any:
        if self.mode == "big_valid_json":
            at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
            one = {"id": "B0000000", "created": at.isoformat(), "updated": at.isoformat(), "state": "open"}
            return {"data": [one | {"id": f"B{i:07d}"} for i in range(self.big_bytes // (len(json.dumps(one)) + 2))]}
        items = [{"id": r["service_request_id"], "created": r["requested_datetime"],
                  "updated": r["updated_datetime"], "state": r["status"]} for r in self.good]
        if self.mode == "extreme_dates":
            items += [{"id": "BAD-0001", "created": "0001-01-01T00:00:00+07:00", "updated": "0001-01-01T00:00:00Z",
                       "state": "open"},
                      {"id": "BAD-9999", "created": "9999-12-31T23:59:59Z", "updated": "9999-12-31T23:59:59Z",
                       "state": "open"},
                      {"id": "BAD-2099", "created": "2099-01-01T00:00:00Z", "updated": "2099-01-01T00:00:00Z",
                       "state": "open"}]
        if self.mode == "duplicates":
            items = [copy for i in items for copy in (i, i | {"state": "closed", "updated": (
                _parse(i["updated"]) + timedelta(hours=1)).isoformat()})]
        return {"data": items}

    def _openaq(self, path: str) -> Any:
        if path.endswith("/locations"):
            return {"meta": {"found": 1}, "results": [{
                "id": 7, "name": "Huế", "coordinates": {"latitude": 16.46, "longitude": 107.59},
                "sensors": [{"id": 70, "parameter": {"name": "pm25", "units": "µg/m³"}}]}]}
        if path.endswith("/latest"):
            return {"results": []}
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        return {"meta": {"found": 1}, "results": [{"value": 12.5, "parameter": {"name": "pm25", "units": "µg/m³"},
                                                   "period": {"datetimeFrom": {"utc": hour.isoformat()}}}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _trickle(self, data: bytes) -> None:
                for i in range(len(data)):
                    if server._stop.wait(server.drip_s):
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                server.calls.append({"path": parts.path, "query": q, "headers": dict(self.headers),
                                     "host": self.headers.get("Host")})
                mode = server.mode
                try:
                    if mode == "redirect":
                        self.send_response(302)
                        self.send_header("Location", f"{server.redirect_to}{parts.path}?{parts.query}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if mode == "echo":
                        key = q.get("api_key", "")
                        echo = f"denied {parts.query} key {key} b64 {base64.b64encode(key.encode()).decode()}"
                        return self._send(403, echo.encode())
                    if mode == "http500":
                        return self._send(500, b'{"error": "boom"}')
                    if mode == "slow_headers":
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                        self._trickle(b"Content-Type: application/json\r\n" * 1000)
                        return
                    if mode == "drip":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                        self._trickle(b"[" + b" " * 99_999)
                        return
                    if mode == "huge_length":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(10 ** 12))
                        self.end_headers()
                        self._trickle(b"[" * 1000)
                        return
                    if mode == "endless":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(b"[")
                        chunk = b'{"service_request_id": "E", "status": "open"},' * 1000
                        while not server._stop.is_set():
                            self.wfile.write(chunk)
                        return
                    if mode == "invalid_json":
                        return self._send(200, b'[{"service_request_id": "X1", "status": "open"')
                    if parts.path.startswith("/open311/"):
                        body = server._open311(parts.path, q)
                    elif parts.path.startswith("/json/"):
                        body = server._json(q)
                    elif parts.path.startswith("/openaq/"):
                        body = server._openaq(parts.path)
                    else:
                        return self._send(404, b'{"error": "not found"}')
                    self._send(200, json.dumps(body).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def wait_until(predicate: Any, timeout_s: float = 5.0) -> bool:
    """Poll ``predicate`` (for threads in tests; not a timing assertion)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
