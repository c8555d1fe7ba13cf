"""Open311 GeoReport v2 pull (JSON): citizen field feedback from a city's 311 server.

How a run works, and why:

1. ``GET {url}/services.json`` gives the category names (``service_code`` → category code,
   ``service_name`` → category name) for requests that carry only a code.
2. ``GET {url}/requests.json?start_date=…&end_date=…`` in windows from the watermark (minus
   ``lookback_days``), or ``start_date``, or today − 30 days, up to now. Servers cap each
   response (the spec suggests 1000); a response holding ``page_cap`` items or more may be
   truncated, so the window is halved and asked again, down to ``min_window_s`` (60 s). A full
   answer at that floor is a burst (kept, with a warning quarantined) unless most of its items
   lie outside the window or came for another window: then the server ignores the dates and the
   run fails saying so (GeoReport v2 has no paging by id to fall back on). Adjacent windows
   share their boundary second (servers differ on whether ``end_date`` is inclusive), and an
   id already handed on in this run is skipped, so nothing is missed and nothing doubled.
   Windows run oldest first, so every 5 s the batch carries a checkpoint watermark (``until`` =
   the end of the last complete window); a run stopped later by its budget resumes there.
3. GeoReport v2 filters on ``requested_datetime`` only, so a report closed months after it was
   received never shows up in a recent window. The collector cannot read the store, so the
   watermark itself remembers the ids still open (``{"until": iso, "open": [ids]}``, newest
   ``open_cap`` kept) and each run re-polls them with ``requests.json?service_request_id=a,b,c``
   (which the spec says overrides every other filter). An id that comes back closed is dropped;
   an id that does not come back at all is kept (a transient omission must not freeze a report
   open), ranked oldest so the cap retires it first. The lookback catches late arrivals.
4. Every item goes through :func:`validate_report`; a bad one is quarantined with its reason
   while the rest of its response is kept. The lookback reads a bad item again on every run, so
   the watermark also keeps short fingerprints of this run's rejects and an identical item is
   quarantined only once.

``page_cap`` must not exceed the server's real limit: a server that silently truncates at 500
while we expect 1000 looks like a complete answer (no protocol tells the two apart).

Status mapping: ``open`` → ``assigned`` when ``agency_responsible`` is set, else ``received``;
``closed`` → ``rejected`` when ``extended_attributes.resolution`` (or ``.status``) is one of
:data:`REJECTED_RESOLUTIONS`, else ``resolved``, with ``resolved_at = updated_datetime``.
Options (``[[sources]]`` keys): ``jurisdiction_id``, ``api_key`` (never stored; or better
``api_key_env``, the environment variable holding it), ``page_cap``, ``min_window_s`` (60), ``window_days``
(30), ``lookback_days`` (3), ``times_are_local`` (false: offset-less times are UTC),
``open_cap`` (20000), ``repoll_chunk`` (100 ids a request), ``retry_attempts`` (3),
``retry_backoff_s`` (0.5).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time as _time
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from data_sources.http import HttpJsonClient
from ioc.domain.feedback import CHANNELS, validate_report
from ioc.domain.records import RecordError, parse_timestamp, problem
from ioc.secrets import redact
from ioc.sources import (
    Batch,
    Collector,
    CollectorContext,
    ConfigurationError,
    Reject,
    SourceError,
    SourceSpec,
    check_watermark,
)

log = logging.getLogger(__name__)

REJECTED_RESOLUTIONS = frozenset({"rejected", "duplicate", "invalid", "declined"})
_OPTIONS = {  # name: (type(s), default, minimum)
    "jurisdiction_id": (str, None, None), "api_key": (str, None, None), "api_key_env": (str, None, None),
    "page_cap": (int, None, 1), "min_window_s": (int, 60, 1),
    "window_days": ((int, float), 30, 1 / 86400), "lookback_days": ((int, float), 3, 0),
    "times_are_local": (bool, False, None), "open_cap": (int, 20_000, 0), "repoll_chunk": (int, 100, 1),
    "retry_attempts": (int, 3, 1), "retry_backoff_s": ((int, float), 0.5, 0),
}
_SECOND = timedelta(seconds=1)
_MAX_QUIET = 10_000
_CHECKPOINT_EVERY_S = 5.0  # how often a run refreshes its checkpoint watermark (wall clock)


class Open311Collector(Collector):
    """Pull citizen reports from an Open311 GeoReport v2 endpoint (``spec.url`` is its base)."""

    type = "open311"
    family = "feedback"
    requires = ("url",)

    def __init__(self, spec: SourceSpec, ctx: CollectorContext):
        super().__init__(spec, ctx)
        unknown = sorted(set(spec.options) - set(_OPTIONS))
        if unknown:
            raise ConfigurationError(f"source {spec.name!r}: unknown option(s) {', '.join(unknown)} "
                                     f"(known: {', '.join(sorted(_OPTIONS))})")
        opts: dict[str, Any] = {}
        for key, (kind, default, minimum) in _OPTIONS.items():
            value = spec.option(key, default)
            bad_bool = isinstance(value, bool) and kind is not bool
            if value is not None and (bad_bool or not isinstance(value, kind)
                                      or (minimum is not None and value < minimum)):
                want = "true or false" if kind is bool else "text" if kind is str else f"a number ≥ {minimum:g}"
                raise ConfigurationError(f"source {spec.name!r}: option {key!r}={value!r} is invalid ({want})")
            opts[key] = value
        self.base = (spec.url or "").rstrip("/")
        self.page_cap: int = opts["page_cap"] or ctx.page_cap
        self.window = timedelta(days=opts["window_days"])
        self.lookback = timedelta(days=opts["lookback_days"])
        self.naive_tz = ctx.tz if opts["times_are_local"] else UTC
        self.open_cap: int = opts["open_cap"]
        self.repoll_chunk = min(opts["repoll_chunk"], self.page_cap)
        self.attempts: int = opts["retry_attempts"]
        self.backoff_s = float(opts["retry_backoff_s"])
        self.min_window = timedelta(seconds=opts["min_window_s"])
        self.api_key: str | None = opts["api_key"]
        if opts["api_key_env"]:  # the key lives in the environment, never in the sources file or the store
            self.api_key = os.environ.get(opts["api_key_env"]) or None
            if self.api_key is None:
                raise ConfigurationError(f"source {spec.name!r}: the environment variable {opts['api_key_env']} "
                                         "(api_key_env) is not set")
        self.base_params = {k: v for k, v in (("jurisdiction_id", opts["jurisdiction_id"]),
                                              ("api_key", self.api_key)) if v}
        self.categories: dict[str, str] = {}
        self._seen: dict[str, datetime | None] = {}  # ids handed on in this run → their version
        self._open: dict[str, datetime] = {}  # ids seen open in this run → received_at (naive UTC)
        self._closed: set[str] = set()
        self._quiet: set[str] = set()  # fingerprints of last run's rejects: not quarantined again
        self._rejected: set[str] = set()  # fingerprints of this run's rejects
        self._fetched = 0

    # --- the run --------------------------------------------------------------------------
    def batches(self, watermark: str | None) -> Iterator[Batch]:
        """One batch per response; the last (possibly empty) batch carries the new watermark.

        Watermark: ``{"until": ISO 8601 UTC, "open": [service_request_id, …], "rejected": [fingerprint, …]}``."""
        now = datetime.now(UTC).replace(microsecond=0)
        self._seen, self._open, self._closed, self._rejected, self._quiet = {}, {}, set(), set(), set()
        self._fetched = 0
        until, tracked = self._read_watermark(watermark)
        check_watermark(self.spec.name, until, "watermark 'until'")
        first = (datetime.combine(self.spec.start_date, time(0), self.ctx.tz).astimezone(UTC)
                 if self.spec.start_date is not None else None)
        if until is not None:  # the lookback never reaches before start_date
            start = max(until - self.lookback, first) if first else until - self.lookback
        else:
            start = first or now - timedelta(days=30)
        start = start.replace(microsecond=0)
        client = HttpJsonClient(self.ctx.http_timeout_s, attempts=self.attempts, backoff_s=self.backoff_s,
                                headers={"Accept": "application/json", "User-Agent": "ioc-dashboard open311"},
                                budget=self.ctx.budget, secrets=[self.api_key] if self.api_key else [])
        checkpoint_at = _time.monotonic()
        try:
            self._load_services(client)
            windows = []
            lo = start
            while lo < now:
                windows.append((lo, min(lo + self.window, now)))
                lo = windows[-1][1]
            stack = windows[::-1]  # pop() yields them oldest first
            while stack:
                lo, hi = stack.pop()
                params = {"start_date": self._iso(lo), "end_date": self._iso(hi)}
                items = self._get_list(client, "requests.json", params)
                where = f"window {params['start_date']} – {params['end_date']}"
                warning = None
                if len(items) >= self.page_cap:
                    if hi - lo > self.min_window:  # halve on whole seconds (Open311 times have no fractions)
                        half = max(self.min_window.total_seconds(), int((hi - lo).total_seconds()) // 2)
                        mid = min(hi, lo + timedelta(seconds=half))
                        stack += [(mid, hi), (lo, mid)]
                        continue
                    self._refuse_ignored_dates(items, lo, hi, where)
                    warning = Reject(where, f"server cap reached in a {int((hi - lo).total_seconds())} s window "
                                     "(min_window_s); some requests may be missing",
                                     {"start_date": params["start_date"], "end_date": params["end_date"],
                                      "returned": len(items), "page_cap": self.page_cap})
                batch = self._batch(items, where)
                if warning is not None and batch.fetched:  # nothing new: the neighbour already warned
                    batch.rejects.append(warning)
                # Every window older than this one is done (oldest first): a later failure (the
                # run's budget) may resume from here without skipping anything.
                if _time.monotonic() - checkpoint_at >= _CHECKPOINT_EVERY_S:
                    batch.watermark = self._watermark(hi, tracked, checkpoint=True)
                    checkpoint_at = _time.monotonic()
                yield batch
            # Re-poll the ids still open last time that this run has not seen yet.
            pending = [i for i in tracked if i not in self._seen]
            for k in range(0, len(pending), self.repoll_chunk):
                chunk = pending[k:k + self.repoll_chunk]
                items = self._get_list(client, "requests.json", {"service_request_id": ",".join(chunk)})
                yield self._batch(items, f"re-poll of {len(chunk)} open ids from {chunk[0]}")
        finally:
            client.close()
        yield Batch(watermark=self._watermark(now, tracked))

    def _watermark(self, until: datetime, tracked: list[str], checkpoint: bool = False) -> str:
        """The watermark to resume from ``until``. A checkpoint (windows up to ``until`` done, the
        re-poll not yet) keeps every tracked id and last run's reject fingerprints too."""
        # Tracked ids not seen open (absent, or open but invalid) rank oldest: the cap drops them first.
        leftovers = [i for i in tracked if i not in self._closed and i not in self._open]
        keep = (leftovers + sorted(self._open, key=lambda i: (self._open[i], i)))[-self.open_cap:]
        quiet = self._rejected | self._quiet if checkpoint else self._rejected
        return json.dumps({"until": self._iso(until, utc=True), "open": keep if self.open_cap else [],
                           "rejected": sorted(quiet)[:_MAX_QUIET]})

    def _refuse_ignored_dates(self, items: list[Any], lo: datetime, hi: datetime, where: str) -> None:
        """A full response for a window of ``min_window_s`` is either a real burst or a server
        that ignores ``start_date``/``end_date`` (it answers its first ``page_cap`` items whatever
        is asked, so halving never ends). It is the latter when most items were requested outside
        the window asked or were already handed on by another window of this run: the run fails
        then, rather than spend its budget on windows that cannot get smaller answers."""
        outside = repeated = 0
        for item in items:
            if not isinstance(item, dict):
                continue
            raw_id = item.get("service_request_id")
            if raw_id not in (None, "") and str(raw_id).strip() in self._seen:
                repeated += 1
                continue
            try:
                at = parse_timestamp(item.get("requested_datetime"), "requested_datetime", self.naive_tz)
            except RecordError:
                continue
            if not (lo - _SECOND <= at.replace(tzinfo=UTC) <= hi + _SECOND):
                outside += 1
        if 2 * (outside + repeated) > len(items):
            raise SourceError(
                f"{self.base}/requests.json: the server ignores start_date/end_date: {where} "
                f"({int((hi - lo).total_seconds())} s, the min_window_s) still returned {len(items)} items "
                f"(page_cap {self.page_cap}), {outside} requested outside the window and {repeated} already "
                "returned for another window; ask the operator to enable date filtering, or check "
                "times_are_local and page_cap")

    # --- HTTP -----------------------------------------------------------------------------
    def _get_list(self, client: HttpJsonClient, path: str, params: dict[str, str]) -> list[Any]:
        """GET ``path`` and insist on a JSON list that is not an Open311 error array."""
        url = f"{self.base}/{path}"
        try:
            data = client.get_json(url, {**self.base_params, **params})
        except SourceError as exc:
            raise type(exc)(self._redact(str(exc))) from None  # a RunStopped stays one
        if not isinstance(data, list):
            raise SourceError(f"{url}: expected a JSON list, got {type(data).__name__}: "
                              f"{self._redact(json.dumps(data, ensure_ascii=False)[:200])}")
        if data and all(isinstance(d, dict) and "code" in d and "description" in d
                        and "service_request_id" not in d and "service_code" not in d for d in data):
            errors = "; ".join(f"{d['code']} {d['description']}" for d in data)[:300]
            raise SourceError(f"{url}: Open311 error response: {errors}")
        if self.ctx.progress is not None:
            self.ctx.progress(self._fetched + len(data), None)
        return data

    def _redact(self, text: str) -> str:
        """Keep the API key out of error messages (they are stored and shown on the UI)."""
        return redact(text, [self.api_key] if self.api_key else []) or ""

    def _load_services(self, client: HttpJsonClient) -> None:
        for service in self._get_list(client, "services.json", {}):
            if isinstance(service, dict) and service.get("service_code") not in (None, ""):
                self.categories[str(service["service_code"])] = str(service.get("service_name") or "")

    # --- mapping --------------------------------------------------------------------------
    def _batch(self, items: list[Any], where: str) -> Batch:
        """Validate each item; bad ones become rejects, good ones records (duplicates skipped)."""
        batch = Batch()
        for n, item in enumerate(items, start=1):
            if n % 1000 == 0:  # a huge answer must not outlive the run's deadline
                self.ctx.budget.check(f"requests.json item {n} ({where})")
            raw_id = item.get("service_request_id") if isinstance(item, dict) else None
            ext_id = str(raw_id).strip() if raw_id not in (None, "") else None
            if ext_id is not None:
                version = self._version(item)
                if ext_id in self._seen:
                    before = self._seen[ext_id]
                    if version is None or (before is not None and version <= before):
                        continue  # boundary second shared by two windows, or re-poll overlap
                    # a newer copy of an id already handed on (the server listed it twice): it wins
                self._seen[ext_id] = version
            batch.fetched += 1
            try:
                if not isinstance(item, dict):
                    raise RecordError("item", f"expected a JSON object, got {type(item).__name__}")
                record = validate_report(self._report(item), self.naive_tz)
            except Exception as err:  # noqa: BLE001 - one item never fails the run
                record = None
                # The lookback re-reads a bad item every run: quarantine it once, not every minute.
                fingerprint = hashlib.sha1(json.dumps(item, sort_keys=True, default=str).encode()).hexdigest()[:16]
                self._rejected.add(fingerprint)
                if fingerprint not in self._quiet:
                    batch.rejects.append(Reject(f"requests.json item {n} ({where})", problem(err), item, ext_id))
            if ext_id is not None and isinstance(item, dict):
                status = str(item.get("status") or "").strip().lower()
                if status == "closed":
                    self._closed.add(ext_id)
                    self._open.pop(ext_id, None)
                elif status == "open" and record is not None:
                    self._open[ext_id] = record.received_at
            if record is not None:
                batch.records.append(record)
        self._fetched += batch.fetched
        return batch

    def _version(self, item: Any) -> datetime | None:
        """When an item was last changed (``updated_datetime``, else ``requested_datetime``), to
        keep the newest copy of an id; None when it has no readable time."""
        if not isinstance(item, dict):
            return None
        try:
            return parse_timestamp(item.get("updated_datetime") or item.get("requested_datetime"), "updated_datetime",
                                   self.naive_tz)
        except Exception:  # noqa: BLE001 - an unreadable time: the item is judged by its validation
            return None

    def _report(self, item: dict[str, Any]) -> dict[str, Any]:
        """An Open311 service request as :func:`validate_report` expects it (field names only;
        validation and UTC conversion happen there)."""
        extra = item.get("extended_attributes")
        extra = extra if isinstance(extra, dict) else {}
        status = str(item.get("status") or "").strip().lower()
        agency = item.get("agency_responsible")
        if status == "open":
            status = "assigned" if agency not in (None, "") else "received"
            resolved = None
        elif status == "closed":
            outcome = str(extra.get("resolution") or extra.get("status") or "").strip().lower()
            status = "rejected" if outcome in REJECTED_RESOLUTIONS else "resolved"
            resolved = item.get("updated_datetime")
        else:
            raise RecordError("status", f"unknown Open311 status {item.get('status')!r} (expected open or closed)")
        lat, lon = item.get("lat"), item.get("long")
        # The unit a server names (a commune or district code); the store places the record on
        # its date by code, else by position.
        unit = extra.get("commune_code") or extra.get("district_code") or ""
        channel = str(extra.get("channel") or "").strip().lower().replace("-", "_")
        code = item.get("service_code")
        return {
            "external_id": item.get("service_request_id"),
            "category_code": code,
            "category_name": item.get("service_name") or self.categories.get(str(code), ""),
            "status": status,
            "received_at": item.get("requested_datetime"),
            "due_at": item.get("expected_datetime"),
            "resolved_at": resolved,
            "updated_at": item.get("updated_datetime") or item.get("requested_datetime"),
            "lat": lat, "lon": lon,
            "address": item.get("address"),
            "description": item.get("description"),
            "handling_unit": agency,
            "unit_code": unit,
            "channel": channel if channel in CHANNELS else "other",
            "rating": extra.get("rating"),
        }

    # --- time and watermark ---------------------------------------------------------------
    def _iso(self, moment: datetime, utc: bool = False) -> str:
        """ISO 8601 with an offset: local (``+07:00``) for servers on local time, else ``Z``."""
        if self.naive_tz is not UTC and not utc:
            return moment.astimezone(self.ctx.tz).isoformat()
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def _read_watermark(self, watermark: str | None) -> tuple[datetime | None, list[str]]:
        """(until as aware UTC, open ids); also loads last run's reject fingerprints. An unreadable
        watermark restarts from the beginning (upserts make a re-pull harmless, and a run must not
        fail forever on it); a bare ISO timestamp is read as ``until``."""
        if not watermark:
            return None, []
        try:
            data = json.loads(watermark)
        except ValueError:
            data = watermark  # a bare timestamp
        if not isinstance(data, dict):
            data = {"until": data}
        try:
            # Any year is read here (not only the accepted range): a watermark from the future
            # must fail the run saying so (check_watermark), not silently restart the pull.
            text = str(data.get("until") or "").strip()
            until = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
            until = until.replace(tzinfo=UTC) if until.tzinfo is None else until.astimezone(UTC)
            self._quiet = {str(h) for h in data.get("rejected") or []}
            return until, [str(i) for i in data.get("open") or []]
        except (ValueError, TypeError, OverflowError):
            log.warning("source %s: unreadable watermark %r, pulling from the start", self.spec.name, watermark)
            return None, []
