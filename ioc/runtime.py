"""Embedded mode: what ``python app.py`` starts besides the web server, exactly once."""

from __future__ import annotations

import logging
import os
import threading

from ioc.context import Context
from ioc.sources import SourceSpec
from ioc.store.db import get_meta, set_meta

log = logging.getLogger(__name__)
_started = threading.Lock()
_scheduler = None


def backfill_source(ctx: Context, spec: SourceSpec, days: int, seed: int) -> int:
    """Store ``days`` of a simulator's history ending now; returns records stored or updated."""
    from ioc.collect import RunOutcome, ingest_batch
    from ioc.notify import db_versions
    from ioc.sources import make_collector
    from ioc.store import runs

    cctx = ctx.collector_context()
    collector = make_collector(spec, cctx)
    # The backfill is the source's first collection: recorded as a run, so the family's tiles are
    # fresh from the first page view instead of saying "never collected" until the first live run.
    outcome = RunOutcome(spec.name, "ok", run_id=runs.start_run(ctx.engine, spec.name, spec.family))
    try:
        for batch in collector.backfill(days, seed):
            ingest_batch(ctx, spec, cctx, batch, outcome)
    except Exception as exc:
        runs.finish_run(ctx.engine, outcome.run_id, "failed", outcome.counts, f"backfill: {type(exc).__name__}: {exc}")
        raise
    runs.finish_run(ctx.engine, outcome.run_id, outcome.status, outcome.counts, None)
    stored = outcome.counts["inserted"] + outcome.counts["updated"]
    with ctx.engine.begin() as conn:
        set_meta(conn, f"backfilled:{spec.name}", str(days))
    ctx.notifier.publish(spec.family, db_versions(ctx.engine).get(spec.family, 0))
    return stored


def simulator_sources(ctx: Context, family: str | None = None) -> list[SourceSpec]:
    return [s for s in ctx.sources if s.type == "simulator" and (family is None or s.family == family)]


def needs_backfill(ctx: Context, spec: SourceSpec) -> bool:
    with ctx.engine.connect() as conn:
        return get_meta(conn, f"backfilled:{spec.name}") is None


def backfill_simulators(ctx: Context) -> int:
    """First start of a deployment whose sources include simulators: write their history once
    (remembered in ``meta``, so later starts skip it). Returns the records stored."""
    total = 0
    for spec in simulator_sources(ctx):
        if needs_backfill(ctx, spec):
            log.info("first start: backfilling %d days of simulated %s", ctx.settings.backfill_days, spec.family)
            stored = backfill_source(ctx, spec, ctx.settings.backfill_days, ctx.settings.simulator_seed)
            log.info("stored %d simulated %s records", stored, spec.family)
            total += stored
    return total


def start_embedded(ctx: Context) -> None:
    """Backfill simulated history on first start, then start the in-process scheduler.

    Guarded twice: a process-wide lock (a second call does nothing) and the Flask reloader's
    parent process (WERKZEUG_RUN_MAIN unset while debug reloading) starts nothing.
    """
    global _scheduler
    if os.environ.get("FLASK_DEBUG") == "1" and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    if not _started.acquire(blocking=False):
        return
    backfill_simulators(ctx)
    if ctx.settings.embedded_scheduler:
        from ioc.scheduler import build_scheduler

        _scheduler = build_scheduler(ctx)
        _scheduler.start()
        log.info("in-process scheduler started with %d source(s), alerts every %d s (0: off)", len(ctx.sources),
                 ctx.settings.alerts_every_s)
