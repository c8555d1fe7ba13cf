"""The process's handles: settings, engine, notifier and configured sources.

Immutable after start-up (safe under several gunicorn workers: each builds its own). Mutable
state (versions, runs, locks) lives in the database or Redis, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.cache import Cache, LocalCache, cached, make_cache
from ioc.config import Settings, settings
from ioc.notify import Notifier, make_notifier
from ioc.sources import CollectorContext, RunBudget, SourceSpec, load_sources
from ioc.store.db import engine_for, load_calendar, load_units

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    settings: Settings
    engine: Engine
    notifier: Notifier
    sources: tuple[SourceSpec, ...]
    cache: Cache = field(default_factory=LocalCache)

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def source(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.sources)
        raise KeyError(f"no source named {name!r} (configured: {known})")

    def query(self, family: str, name: str, params: Any, compute: Callable[[], T], ttl_s: float = 30.0) -> T:
        """A read for the pages, cached per data version (shared across workers with Redis)."""
        return cached(self.cache, self.notifier.versions(), family, name, params, compute, ttl_s)

    @property
    def simulated(self) -> bool:
        """Whether any configured source is a simulator (the UI must say so)."""
        return any(s.type == "simulator" for s in self.sources)

    def collector_context(self, progress=None, cancel=None) -> CollectorContext:  # noqa: ANN001
        """What a collector run gets: the calendar and units, and a fresh :class:`RunBudget` from
        the settings (``cancel``: the event that stops the run, e.g. the scheduler's on SIGTERM)."""
        with self.engine.connect() as conn:
            calendar = load_calendar(conn)
            units = load_units(conn)
        cfg = self.settings
        budget = RunBudget(deadline_s=cfg.run_deadline_s, max_requests=cfg.run_max_requests,
                           max_body_bytes=cfg.http_max_body_bytes, request_deadline_s=cfg.http_request_deadline_s)
        if cancel is not None:
            budget.cancel = cancel
        return CollectorContext(tz=self.tz, calendar=calendar, units=units,
                                http_timeout_s=cfg.http_timeout_s,
                                page_cap=cfg.open311_page_cap, progress=progress, budget=budget,
                                simulator_speed=cfg.simulator_speed)


def build_context(cfg: Settings) -> Context:
    from ioc.store.runs import register_sources

    engine = engine_for(cfg.database_url)
    specs = tuple(load_sources(cfg.sources_path))
    register_sources(engine, list(specs))
    return Context(settings=cfg, engine=engine, notifier=make_notifier(cfg.redis_url, engine), sources=specs,
                   cache=make_cache(cfg.redis_url))


@lru_cache(maxsize=1)
def context() -> Context:
    return build_context(settings())
