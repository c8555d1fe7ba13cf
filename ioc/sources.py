"""The collector interface every family's sources implement (the core's port; the collectors in
``data_sources/`` implement it, the runner in :mod:`ioc.collect` drives it).

A collector fetches and normalises; it never writes to the store and never draws. It yields
:class:`Batch` objects: the valid records of one fetch, the records it rejected with their
reasons and raw payloads, and (on the last batch) the watermark to resume from next time.
A source-level failure (timeout, 5xx, broken JSON) raises :class:`SourceError`; the runner
(:mod:`ioc.collect`) records it and the scheduler keeps going.
"""

from __future__ import annotations

import json
import re
import threading
import time
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ioc.domain.calendar import WorkCalendar
from ioc.domain.records import EVENT_SKEW
from ioc.domain.units import UnitMap


class SourceError(RuntimeError):
    """The source as a whole misbehaved (unreachable, 5xx, timeout, broken JSON, bad file)."""


class ConfigurationError(ValueError):
    """A source's configuration is wrong; the message names the source and the field."""


def check_watermark(source: str, moment: datetime | None, what: str = "watermark",
                    now: datetime | None = None) -> None:
    """Refuse a stored watermark (naive or aware UTC) beyond now + :data:`EVENT_SKEW`: a source
    resuming from the future would fetch nothing new while looking healthy (issue #13), so the
    run fails saying so and how to reset it. Records are refused past that bound, so only an
    older build (or a clock set wrong) leaves such a watermark."""
    if moment is None:
        return
    now = now or datetime.now(UTC).replace(tzinfo=None)
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    if naive > now + EVENT_SKEW:
        raise SourceError(
            f"source {source!r}: the stored {what} {naive.isoformat()}Z is beyond now + {EVENT_SKEW.days} day "
            "(left by an older build or a record dated in the future), so the source cannot advance; "
            f"reset it with `python -m ioc sources reset-watermark {source}` (the next run re-reads from "
            "start_date or the default history; stored records are upserted, never doubled)")


class RunStopped(SourceError):
    """The run was stopped from outside (the scheduler is shutting down): not the source's fault."""


@dataclass
class RunBudget:
    """What one run may spend, whatever the upstream sends (issue #13): a total deadline
    (seconds of wall clock from the run's start), a number of HTTP requests, a size per
    response body (bytes), a total time per request, and a cancel event the scheduler sets on
    SIGTERM. Collectors and the HTTP client call :meth:`check` between steps and
    :meth:`take_request` before each request; both raise :class:`SourceError` (or
    :class:`RunStopped`) naming the limit that was reached."""

    deadline_s: float = 55.0
    max_requests: int = 500
    max_body_bytes: int = 8 * 1024 * 1024
    request_deadline_s: float = 30.0
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    requests: int = 0

    def remaining_s(self) -> float:
        """Seconds left before the run's deadline (may be negative)."""
        return self.deadline_s - (time.monotonic() - self.started)

    def check(self, where: str = "") -> None:
        """Raise if the run was cancelled or its deadline has passed."""
        at = f"{where}: " if where else ""
        if self.cancel.is_set():
            raise RunStopped(f"{at}run stopped: the scheduler is shutting down")
        if self.remaining_s() <= 0:
            raise SourceError(f"{at}run deadline of {self.deadline_s:g} s reached "
                              f"after {self.requests} request(s)")

    def take_request(self, where: str = "") -> None:
        """Count one HTTP request; raise when the run has used its requests (or time)."""
        self.check(where)
        if self.requests >= self.max_requests:
            at = f"{where}: " if where else ""
            raise SourceError(f"{at}limit of {self.max_requests} requests per run reached")
        self.requests += 1


@dataclass(frozen=True)
class Reject:
    """A record that failed validation: where it was, why, and what it said."""

    location: str
    reason: str
    raw: Any
    external_id: str | None = None

    def raw_text(self) -> str:
        try:
            return json.dumps(self.raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return repr(self.raw)


@dataclass
class Batch:
    records: list[Any] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    fetched: int = 0
    # Set on the last batch of a run, or on an earlier batch as a checkpoint: everything before
    # it is handed on, so the runner keeps the latest checkpoint when the run fails later.
    watermark: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    """One ``[[sources]]`` table of the sources file."""

    name: str
    type: str
    family: str
    every_seconds: int
    url: str | None = None
    path: Path | None = None
    start_date: date | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class CollectorContext:
    """What a collector may know about the deployment (no store handle on purpose)."""

    tz: ZoneInfo
    calendar: WorkCalendar
    units: UnitMap
    http_timeout_s: float = 10.0
    page_cap: int = 1000
    progress: Callable[[int, int | None], None] | None = None
    budget: RunBudget = field(default_factory=RunBudget)  # one per run (see ioc.context)
    # simulators: the live pace as a multiple of the city's (IOC_SIMULATOR_SPEED; 1 = the history's)
    simulator_speed: float = 1.0


class Collector(ABC):
    """Base class: subclasses set ``type`` and ``family`` and implement :meth:`batches`."""

    type: ClassVar[str]
    family: ClassVar[str]
    simulated: ClassVar[bool] = False
    #: What its ``[[sources]]`` table must give: "url" (an http(s) address) and/or "path".
    requires: ClassVar[tuple[str, ...]] = ()
    #: Simulators: the most days of history :meth:`backfill` writes, however many it is asked
    #: for (tracks and heartbeats keep weeks, not years); alerts are replayed over that span only.
    history_days: ClassVar[int] = 100 * 366

    def __init__(self, spec: SourceSpec, ctx: CollectorContext):
        self.spec = spec
        self.ctx = ctx

    @abstractmethod
    def batches(self, watermark: str | None) -> Iterator[Batch]:
        """Fetch everything new since ``watermark`` (None: from ``start_date``)."""

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        """Simulators only: ``days`` of history ending now, as it stands now."""
        raise NotImplementedError(f"{type(self).__name__} has no history to backfill")


# --- the sources file (TOML, named by ``IOC_SOURCES``) ---------------------------------------
# Each ``[[sources]]`` table needs ``name``, ``type`` and ``every_seconds``; pull sources need
# ``url`` (or ``path`` for files) and may give ``start_date``. Any other key is an option of
# that collector type (documented in the README). Types and families come from the registry.

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def parse_sources(data: dict[str, Any], where: str = "sources file") -> list[SourceSpec]:
    tables = data.get("sources")
    if not isinstance(tables, list) or not tables:
        raise ConfigurationError(f"{where}: expected one or more [[sources]] tables")
    from ioc.registry import registry

    reg = registry()
    types = reg.collector_types()
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for i, table in enumerate(tables, start=1):
        here = f"{where}, [[sources]] #{i}"
        if not isinstance(table, dict):
            raise ConfigurationError(f"{here}: not a table")
        table = dict(table)
        name = table.pop("name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigurationError(f"{here}: 'name' must be 1–64 letters, digits, '.', '_' or '-'")
        here = f"{where}, source {name!r}"
        if name in seen:
            raise ConfigurationError(f"{here}: duplicate name")
        seen.add(name)
        kind = table.pop("type", None)
        if kind not in types:
            raise ConfigurationError(f"{here}: unknown type {kind!r} (known: {', '.join(sorted(types))})")
        default = types[kind]
        family = table.pop("family", None if default.family == "*" else default.family)
        if family not in reg.by_code:
            raise ConfigurationError(f"{here}: type {kind!r} needs 'family' (one of {', '.join(reg.codes)})")
        if reg.find_collector(kind, family) is None:
            served = sorted({c.family for c in reg.collectors() if c.type == kind})
            raise ConfigurationError(f"{here}: type {kind!r} feeds family {' or '.join(served)}, not {family!r}")
        every = table.pop("every_seconds", None)
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ConfigurationError(f"{here}: 'every_seconds' must be a whole number ≥ 1")
        start = table.pop("start_date", None)
        if start is not None and not isinstance(start, date):
            try:
                start = date.fromisoformat(str(start))
            except ValueError:
                raise ConfigurationError(f"{here}: 'start_date' {start!r} is not a date (YYYY-MM-DD)") from None
        url = table.pop("url", None)
        path = table.pop("path", None)
        needs = reg.find_collector(kind, family).requires
        if "url" in needs and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise ConfigurationError(f"{here}: 'url' must be an http(s) address")
        if "path" in needs and not path:
            raise ConfigurationError(f"{here}: 'path' is required")
        specs.append(SourceSpec(
            name=name, type=kind, family=family, every_seconds=every, url=url,
            path=Path(path) if path else None, start_date=start, options=table,
        ))
    return specs


def load_sources(path: Path | None) -> list[SourceSpec]:
    """The configured sources; without a file, every family's simulator."""
    if path is None:
        from ioc.registry import registry

        return parse_sources({"sources": registry().default_sources()}, "default sources")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_sources(data, str(path))


def make_collector(spec: SourceSpec, ctx: CollectorContext) -> Collector:
    from ioc.registry import registry

    cls = registry().find_collector(spec.type, spec.family)
    if cls is None:
        raise ConfigurationError(f"source {spec.name!r}: no collector of type {spec.type!r} for {spec.family!r}")
    return cls(spec, ctx)
