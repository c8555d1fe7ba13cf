"""OpenAQ v3: air-quality stations inside the province and their hourly means.

    [[sources]]
    name = "openaq-hue"
    type = "openaq"
    every_seconds = 900
    api_key_env = "OPENAQ_API_KEY"   # the variable holding the key ("" = send none)
    # url = "https://api.openaq.org", bbox = "107.02,15.99,108.22,16.74", initial_hours = 72,
    # lookback_hours = 3, max_retry_after_s = 120, max_429_retries = 5

Each run:

1. ``GET /v3/locations?bbox=…`` (paged with ``limit``/``page`` until a short or empty page;
   ``meta.found`` may be a number or a text such as ``">1000"``) gives the stations and their
   sensors; only PM2.5, PM10, O₃, CO, SO₂ and NO₂ sensors are used;
2. ``GET /v3/locations/{id}/latest`` tells which sensors have something newer than the
   watermark (the others are not asked);
3. ``GET /v3/sensors/{id}/hours?datetime_from=…&datetime_to=…`` (paged) gives the hourly
   means from the sensor's watermark minus ``lookback_hours`` (late or revised values), or
   from ``initial_hours`` ago on the first run. ``period.datetimeFrom.utc`` is the hour, the
   value is kept with ``parameter.units`` and converted to µg/m³ (ppm/ppb at 25 °C).

The ``X-API-Key`` header carries the key read from the environment variable named by
``api_key_env``. HTTP 429 is honoured: the run waits ``Retry-After`` seconds (or the
``x-ratelimit-reset`` header) and retries, and gives up with a clear message when the wait
is longer than ``max_retry_after_s``; 401/403 fail the run saying the key was refused. A
sensor that answers 404 or a malformed item is quarantined; the other sensors go on.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from data_sources.http import HttpJsonClient, HttpResponse, TransientHTTPError
from ioc.domain.air_quality import PARAMETERS, EnvObservation, EnvRecords, EnvStation, validate_observation
from ioc.domain.records import RecordError, problem
from ioc.domain.units import PROVINCE_BBOX
from ioc.sources import Batch, Collector, ConfigurationError, Reject, RunBudget, SourceError, check_watermark

DEFAULT_URL = "https://api.openaq.org"
MAX_PAGES = 1000
STATION_PREFIX = "openaq-"


class _NotFound(SourceError):
    pass


class OpenAQClient:
    """GET JSON from OpenAQ v3 with the key header, timeouts, retries and 429 handling."""

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float, *, attempts: int = 3,
                 backoff_s: float = 0.5, max_retry_after_s: float = 120.0, max_429_retries: int = 5,
                 key_hint: str = "", sleep: Callable[[float], None] = time.sleep, budget: RunBudget | None = None):
        headers = {"Accept": "application/json"}
        if api_key:
            headers["X-API-Key"] = api_key
        # The shared client: the run's budget, streamed bodies, and no key after a redirect elsewhere.
        self.http = HttpJsonClient(timeout_s, headers=headers, budget=budget, secrets=[api_key] if api_key else [])
        self.budget = self.http.budget
        self.base = base_url.rstrip("/").removesuffix("/v3")
        self.attempts, self.backoff_s = attempts, backoff_s
        self.max_retry_after_s, self.max_429_retries = max_retry_after_s, max_429_retries
        self.key_hint, self.sleep = key_hint, sleep

    def close(self) -> None:
        self.http.close()

    def _pause(self, seconds: float, why: str) -> None:
        """Wait before asking again, unless the run's deadline would pass first."""
        if seconds >= self.budget.remaining_s():
            self.budget.check(why)
            raise SourceError(f"{why}; waiting {seconds:.0f} s would pass the run deadline of "
                              f"{self.budget.deadline_s:g} s — the next scheduled run will try again")
        self.sleep(seconds)
        self.budget.check(why)

    def _retry_after(self, response: HttpResponse, attempt: int) -> float:
        """Seconds to wait after a 429: Retry-After (seconds or HTTP date), else x-ratelimit-reset."""
        raw = response.headers.get("Retry-After") or response.headers.get("x-ratelimit-reset")
        if raw:
            try:
                return max(0.0, float(raw))
            except ValueError:
                when = email.utils.parsedate_to_datetime(raw) if raw.strip() else None
                if when is not None:
                    return max(0.0, (when - datetime.now(UTC)).total_seconds())
        return self.backoff_s * 2 ** attempt

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base}{path}"
        transient = limited = 0
        while True:
            try:
                response = self.http.fetch(url, params)
            except TransientHTTPError as exc:
                problem = str(exc)
            else:
                status = response.status
                if status == 429:
                    wait = self._retry_after(response, limited)
                    limited += 1
                    if wait > self.max_retry_after_s:
                        raise SourceError(f"{url}: HTTP 429 rate limited; the server asks to wait {wait:.0f} s "
                                          f"(more than max_retry_after_s = {self.max_retry_after_s:.0f}); "
                                          "the next scheduled run will try again")
                    if limited > self.max_429_retries:
                        raise SourceError(f"{url}: HTTP 429 rate limited {limited} times in a row; giving up this run")
                    self._pause(wait, f"{url}: HTTP 429 rate limited")
                    continue
                if status in (401, 403):
                    raise SourceError(f"{url}: HTTP {status}: OpenAQ refused the API key"
                                      f"{self.key_hint} — check that it is set and valid "
                                      "(https://explore.openaq.org/register)")
                if status == 404:
                    raise _NotFound(f"{url}: HTTP 404 not found")
                if status < 500:
                    if status >= 400:
                        raise SourceError(self.http.redact(f"{url}: HTTP {status} {response.head(200)!r}"))
                    try:
                        return json.loads(response.body)
                    except ValueError as exc:
                        problem = f"{url}: response is not valid JSON ({exc})"
                else:
                    problem = f"{url}: HTTP {status}"
            transient += 1
            if transient >= self.attempts:
                raise SourceError(self.http.redact(f"{problem} ({transient} attempts)"))
            self._pause(min(10.0, self.backoff_s * 2 ** (transient - 1)), problem)

    def pages(self, path: str, params: dict[str, Any], limit: int) -> Iterator[tuple[int, list[Any]]]:
        """(page number, results) of every page, until a short, empty or repeated page."""
        seen_first: Any = None
        for page in range(1, MAX_PAGES + 1):
            body = self.get(path, {**params, "limit": limit, "page": page})
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise SourceError(f"{self.base}{path}: no 'results' list in the response (page {page})")
            if not results or (page > 1 and results[:1] == seen_first):
                return  # an empty page, or a server that ignores 'page' and repeats the first one
            seen_first = seen_first if page > 1 else results[:1]
            yield page, results
            found = (body.get("meta") or {}).get("found")
            if len(results) < limit or (isinstance(found, int) and page * limit >= found):
                return
        raise SourceError(f"{self.base}{path}: more than {MAX_PAGES} pages; stopping")


def _dig(item: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def _utc(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)


def station_from_location(loc: dict[str, Any]) -> tuple[EnvStation, dict[int, str]]:
    """An OpenAQ location as a station, and its sensors of interest (sensor id → parameter code)."""
    sensors: dict[int, str] = {}
    for sensor in loc.get("sensors") or []:
        name = str(_dig(sensor, "parameter", "name") or "").lower()
        if name in PARAMETERS and isinstance(sensor.get("id"), int):
            sensors[sensor["id"]] = name
    lat, lon = _dig(loc, "coordinates", "latitude"), _dig(loc, "coordinates", "longitude")
    station = EnvStation(
        station_id=f"{STATION_PREFIX}{loc['id']}", name=str(loc.get("name") or f"OpenAQ {loc['id']}")[:200],
        lat=float(lat) if isinstance(lat, int | float) else None, lon=float(lon) if isinstance(lon, int | float) else None,
        provider=str(_dig(loc, "provider", "name") or "OpenAQ")[:100],
        parameters=tuple(p for p in PARAMETERS if p in sensors.values()),
    )
    return station, sensors


class OpenAQCollector(Collector):
    type = "openaq"
    family = "environment"
    sleep: Callable[[float], None] = staticmethod(time.sleep)  # tests replace it

    def _client(self) -> OpenAQClient:
        env_name = str(self.spec.option("api_key_env", "OPENAQ_API_KEY") or "")
        key = None
        if env_name:
            key = os.environ.get(env_name)  # a secret: named by the sources file, never written in it
            if not key:
                raise ConfigurationError(f"source {self.spec.name!r}: the environment variable {env_name} "
                                         "(api_key_env) is not set; OpenAQ v3 needs an API key")
        return OpenAQClient(
            self.spec.url or DEFAULT_URL, key, self.ctx.http_timeout_s,
            attempts=int(self.spec.option("retry_attempts", 3)),
            backoff_s=float(self.spec.option("retry_backoff_s", 0.5)),
            max_retry_after_s=float(self.spec.option("max_retry_after_s", 120)),
            max_429_retries=int(self.spec.option("max_429_retries", 5)),
            key_hint=f" (X-API-Key from ${env_name})" if env_name else " (no X-API-Key sent: api_key_env is empty)",
            sleep=self.sleep, budget=self.ctx.budget,
        )

    def _bbox(self) -> str:
        bbox = self.spec.option("bbox") or ",".join(str(v) for v in PROVINCE_BBOX)
        parts = [p.strip() for p in str(bbox).split(",")]
        try:
            lon0, lat0, lon1, lat1 = (float(p) for p in parts)
        except ValueError:
            raise ConfigurationError(f"source {self.spec.name!r}: bbox {bbox!r} must be 'lon_min,lat_min,lon_max,lat_max'") from None
        if not (lon0 < lon1 and lat0 < lat1):
            raise ConfigurationError(f"source {self.spec.name!r}: bbox {bbox!r} is empty")
        return ",".join(parts)

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        state: dict[str, str] = json.loads(watermark).get("sensors", {}) if watermark else {}
        for sensor_id, mark in state.items():
            check_watermark(self.spec.name, _utc(mark), f"watermark of sensor {sensor_id}")
        lookback = timedelta(hours=float(self.spec.option("lookback_hours", 3)))
        if self.spec.start_date:
            first = datetime.combine(self.spec.start_date, datetime.min.time(), tzinfo=self.ctx.tz)
            initial = first.astimezone(UTC).replace(tzinfo=None)
        else:
            initial = now - timedelta(hours=float(self.spec.option("initial_hours", 72)))
        client = self._client()
        try:
            stations, sensors, rejects = self._locations(client)
            yield Batch(records=EnvRecords(stations, []), rejects=rejects, fetched=len(stations))
            for station in stations:
                loc_id = station.station_id.removeprefix(STATION_PREFIX)
                latest = self._latest(client, loc_id)
                obs: list[EnvObservation] = []
                batch = Batch()
                for sensor_id, parameter in sensors[station.station_id].items():
                    mark = _utc(state.get(str(sensor_id)))
                    newest = latest.get(sensor_id)
                    if mark is not None and newest is not None and newest <= mark + timedelta(hours=1):
                        continue  # nothing after the end of the last hour we have
                    since = max(initial, mark - lookback) if mark else initial
                    got, bad, last = self._hours(client, station, sensor_id, parameter, since, now)
                    obs += got
                    batch.rejects += bad
                    batch.fetched += len(got) + len(bad)
                    if last is not None and (mark is None or last > mark):
                        state[str(sensor_id)] = min(last, now).isoformat()  # never past now
                batch.records = EnvRecords([], obs) if obs else []
                # A checkpoint: this station's sensors are read up to now (a run stopped later by
                # its budget keeps it; the next run skips what is read through each sensor's latest check).
                batch.watermark = json.dumps({"sensors": state}, sort_keys=True)
                yield batch
        finally:
            client.close()
        yield Batch(watermark=json.dumps({"sensors": state}, sort_keys=True))

    def _locations(self, client: OpenAQClient) -> tuple[list[EnvStation], dict[str, dict[int, str]], list[Reject]]:
        stations: dict[str, EnvStation] = {}
        sensors: dict[str, dict[int, str]] = {}
        rejects = []
        limit = int(self.spec.option("page_limit", 100))
        for page, results in client.pages("/v3/locations", {"bbox": self._bbox()}, limit):
            for n, loc in enumerate(results, start=1):
                if not isinstance(loc, dict) or not isinstance(loc.get("id"), int):
                    rejects.append(Reject(f"locations page {page} item {n}", "location without an integer 'id'", loc))
                    continue
                station, its_sensors = station_from_location(loc)
                if its_sensors and station.station_id not in stations:
                    stations[station.station_id], sensors[station.station_id] = station, its_sensors
        return list(stations.values()), sensors, rejects

    def _latest(self, client: OpenAQClient, loc_id: str) -> dict[int, datetime]:
        """Sensor id → time of its latest value (empty when the endpoint has nothing)."""
        try:
            body = client.get(f"/v3/locations/{loc_id}/latest")
        except _NotFound:
            return {}
        out: dict[int, datetime] = {}
        for item in (body.get("results") if isinstance(body, dict) else None) or []:
            when = _utc(_dig(item, "datetime", "utc"))
            if isinstance(item, dict) and isinstance(item.get("sensorsId"), int) and when is not None:
                out[item["sensorsId"]] = when
        return out

    def _hours(self, client: OpenAQClient, station: EnvStation, sensor_id: int, parameter: str, since: datetime,
               now: datetime) -> tuple[list[EnvObservation], list[Reject], datetime | None]:
        params = {"datetime_from": since.isoformat() + "Z", "datetime_to": now.isoformat() + "Z"}
        # OpenAQ gives no version: the fetch time is one, so a revised value replaces the stored one
        fetched_at = datetime.now(UTC).replace(tzinfo=None)
        limit = int(self.spec.option("hours_limit", 1000))
        got: list[EnvObservation] = []
        bad: list[Reject] = []
        last: datetime | None = None
        try:
            for page, results in client.pages(f"/v3/sensors/{sensor_id}/hours", params, limit):
                for n, item in enumerate(results, start=1):
                    where = f"sensor {sensor_id} ({station.station_id} {parameter}) page {page} item {n}"
                    try:
                        if not isinstance(item, dict):
                            raise RecordError("item", f"expected an object, got {type(item).__name__}")
                        name = str(_dig(item, "parameter", "name") or parameter).lower()
                        if name != parameter:
                            raise RecordError("parameter.name", f"{name!r} from a {parameter} sensor")
                        record = validate_observation({
                            "station_id": station.station_id, "parameter": parameter,
                            "hour": _dig(item, "period", "datetimeFrom", "utc"), "value": item.get("value"),
                            "unit": _dig(item, "parameter", "units"), "updated_at": fetched_at,
                        })
                    except Exception as exc:  # noqa: BLE001 - one item never fails the run
                        bad.append(Reject(where, problem(exc), item, f"{station.station_id}/{parameter}"))
                        continue
                    got.append(record)
                    last = record.hour if last is None or record.hour > last else last
        except _NotFound as exc:
            bad.append(Reject(f"sensor {sensor_id} ({station.station_id} {parameter})", str(exc), None))
        return got, bad, last
