"""A small OpenAQ v3-shaped server for tests: threaded, on 127.0.0.1, port chosen by the OS.

Serves ``/v3/locations`` (``bbox``, ``limit``, ``page``; ``meta.found`` as a number, or as a
text like ``">1000"`` when ``found_as_text``), ``/v3/locations/{id}/latest`` and
``/v3/sensors/{id}/hours`` (``datetime_from``, ``datetime_to``, ``limit``, ``page``), from
in-memory locations and hourly series. Items are shaped like the real API's (``period``
with ``datetimeFrom``/``datetimeTo`` ``utc``/``local``, ``parameter`` with ``name`` and
``units``, ``coverage``…). With ``api_key`` set, a request without that ``X-API-Key`` gets
401. Faults are queued with :meth:`FakeOpenAQ.fault` and consumed one call at a time:
``429`` (with ``Retry-After`` = ``retry_after``), ``401``, ``http500``.

    with FakeOpenAQ(api_key="k") as server:
        loc = server.add_location(1001, "Huế", 16.46, 107.59, {"pm25": "µg/m³"})
        server.add_hours(loc.sensor_ids["pm25"], [(datetime(2026, 3, 1, 0), 12.5), …])
        ... server.url ...
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PARAM_IDS = {"pm10": 1, "pm25": 2, "o3": 3, "co": 4, "no2": 5, "so2": 6, "temperature": 100}


@dataclass
class Location:
    id: int
    name: str
    lat: float
    lon: float
    sensor_ids: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    provider: str = "AirGradient"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "locality": "Huế", "timezone": "Asia/Ho_Chi_Minh",
            "country": {"id": 56, "code": "VN", "name": "Viet Nam"}, "owner": {"id": 1, "name": "Test"},
            "provider": {"id": 9, "name": self.provider}, "isMobile": False, "isMonitor": True,
            "instruments": [{"id": 4, "name": "Government Monitor"}],
            "sensors": [{"id": sid, "name": f"{p} {self.units[p]}",
                         "parameter": {"id": PARAM_IDS[p], "name": p, "units": self.units[p], "displayName": p.upper()}}
                        for p, sid in self.sensor_ids.items()],
            "coordinates": {"latitude": self.lat, "longitude": self.lon}, "licenses": None,
            "bounds": [self.lon, self.lat, self.lon, self.lat], "distance": None,
            "datetimeFirst": None, "datetimeLast": None,
        }


def iso(dt: datetime) -> str:
    return dt.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


class FakeOpenAQ:
    def __init__(self, api_key: str | None = None, found_as_text: bool = False):
        self.api_key = api_key
        self.found_as_text = found_as_text
        self.locations: list[Location] = []
        self.hours: dict[int, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, str], str | None]] = []  # path, params, X-API-Key
        self._faults: list[list[Any]] = []  # [kind, remaining, path prefix, retry_after]
        self._lock = threading.Lock()
        self._next_sensor = 5000
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FakeOpenAQ:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- data -----------------------------------------------------------------------------
    def add_location(self, loc_id: int, name: str, lat: float, lon: float, units: dict[str, str]) -> Location:
        loc = Location(loc_id, name, lat, lon, units=dict(units))
        for p in units:
            self._next_sensor += 1
            loc.sensor_ids[p] = self._next_sensor
            self.hours[self._next_sensor] = []
        self.locations.append(loc)
        return loc

    def add_hours(self, sensor_id: int, values: list[tuple[datetime, float | None]], **item_extra: Any) -> None:
        loc, p = next((loc, p) for loc in self.locations for p, s in loc.sensor_ids.items() if s == sensor_id)
        for hour, value in values:
            item = {
                "value": value, "flagInfo": {"hasFlags": False},
                "parameter": {"id": PARAM_IDS[p], "name": p, "units": loc.units[p], "displayName": None},
                "period": {"label": "raw", "interval": "01:00:00",
                           "datetimeFrom": {"utc": iso(hour), "local": (hour + timedelta(hours=7)).isoformat() + "+07:00"},
                           "datetimeTo": {"utc": iso(hour + timedelta(hours=1)),
                                          "local": (hour + timedelta(hours=8)).isoformat() + "+07:00"}},
                "coordinates": None, "summary": None,
                "coverage": {"expectedCount": 1, "expectedInterval": "01:00:00", "observedCount": 1,
                             "observedInterval": "01:00:00", "percentComplete": 100.0, "percentCoverage": 100.0},
                **item_extra,
            }
            self.hours[sensor_id] = [i for i in self.hours[sensor_id]
                                     if i["period"]["datetimeFrom"]["utc"] != iso(hour)] + [item]
        self.hours[sensor_id].sort(key=lambda i: i["period"]["datetimeFrom"]["utc"])

    def fault(self, kind: str, times: int = 1, path: str = "/v3/", retry_after: str = "2") -> None:
        with self._lock:
            self._faults.append([kind, times, path, retry_after])

    def hour_calls(self) -> list[tuple[str, dict[str, str]]]:
        return [(p, q) for p, q, _k in self.calls if p.endswith("/hours")]

    # --- serving --------------------------------------------------------------------------
    def _take_fault(self, path: str) -> list[Any] | None:
        with self._lock:
            for f in self._faults:
                if path.startswith(f[2]) and f[1] != 0:
                    f[1] -= 1
                    return f
        return None

    @staticmethod
    def _page(items: list[Any], params: dict[str, str]) -> tuple[list[Any], int, int]:
        limit, page = int(params.get("limit", 100)), int(params.get("page", 1))
        return items[(page - 1) * limit: page * limit], limit, page

    def _meta(self, found: int, page: int, limit: int) -> dict[str, Any]:
        return {"name": "openaq-api", "website": "/", "page": page, "limit": limit,
                "found": f">{found - 1}" if self.found_as_text else found}

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, Any]:
        if path == "/v3/locations":
            lon0, lat0, lon1, lat1 = (float(v) for v in params["bbox"].split(","))
            inside = [loc.as_json() for loc in self.locations if lon0 <= loc.lon <= lon1 and lat0 <= loc.lat <= lat1]
            items, limit, page = self._page(inside, params)
            return 200, {"meta": self._meta(len(inside), page, limit), "results": items}
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1] == "locations" and parts[3] == "latest":
            loc = next((loc for loc in self.locations if str(loc.id) == parts[2]), None)
            if loc is None:
                return 404, {"detail": "Location not found"}
            results = []
            for sid in loc.sensor_ids.values():
                if self.hours.get(sid):
                    last = self.hours[sid][-1]
                    results.append({"datetime": last["period"]["datetimeTo"], "value": last["value"],
                                    "coordinates": {"latitude": loc.lat, "longitude": loc.lon},
                                    "sensorsId": sid, "locationsId": loc.id})
            return 200, {"meta": self._meta(len(results), 1, 100), "results": results}
        if len(parts) == 4 and parts[1] == "sensors" and parts[3] == "hours":
            sid = int(parts[2])
            if sid not in self.hours:
                return 404, {"detail": "Sensor not found"}
            lo, hi = params.get("datetime_from", ""), params.get("datetime_to", "9999")
            inside = [i for i in self.hours[sid] if lo <= i["period"]["datetimeFrom"]["utc"] < hi]
            items, limit, page = self._page(inside, params)
            return 200, {"meta": self._meta(len(inside), page, limit), "results": items}
        return 404, {"detail": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                split = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(split.query).items()}
                key = self.headers.get("X-API-Key")
                with server._lock:
                    server.calls.append((split.path, params, key))
                fault = server._take_fault(split.path)
                if fault is not None:
                    if fault[0] == "429":
                        return self._send(429, {"detail": "Too many requests"}, {"Retry-After": fault[3]})
                    if fault[0] == "401":
                        return self._send(401, {"detail": "Unauthorized"})
                    return self._send(500, {"detail": "boom"})
                if server.api_key is not None and key != server.api_key:
                    return self._send(401, {"detail": "Invalid credentials"})
                status, body = server.answer(split.path, params)
                self._send(status, body)

        return Handler
