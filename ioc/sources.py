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
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ioc.domain.calendar import WorkCalendar
from ioc.domain.units import Unit


class SourceError(RuntimeError):
    """The source as a whole misbehaved (unreachable, 5xx, timeout, broken JSON, bad file)."""


class ConfigurationError(ValueError):
    """A source's configuration is wrong; the message names the source and the field."""


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
    watermark: str | None = None  # set on the last batch of a successful run


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
    units: tuple[Unit, ...]
    http_timeout_s: float = 10.0
    page_cap: int = 1000
    progress: Callable[[int, int | None], None] | None = None


class Collector(ABC):
    """Base class: subclasses set ``type`` and ``family`` and implement :meth:`batches`."""

    type: ClassVar[str]
    family: ClassVar[str]
    simulated: ClassVar[bool] = False

    def __init__(self, spec: SourceSpec, ctx: CollectorContext):
        self.spec = spec
        self.ctx = ctx

    @abstractmethod
    def batches(self, watermark: str | None) -> Iterator[Batch]:
        """Fetch everything new since ``watermark`` (None: from ``start_date``)."""

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        """Simulators only: ``days`` of history ending now, as it stands now."""
        raise NotImplementedError(f"{type(self).__name__} has no history to backfill")
