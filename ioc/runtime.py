"""Embedded mode: what ``python app.py`` starts besides the web server, exactly once."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from sqlalchemy import func, select

from ioc.context import Context
from ioc.kpi.periods import to_local
from ioc.store import schema

log = logging.getLogger(__name__)
_started = threading.Lock()
_scheduler = None


def backfill_simulated_history(ctx: Context, days: int, seed: int, source: str | None = None) -> int:
    """Ingest ``days`` of simulated history ending today (local); returns reports stored."""
    from data_sources.simulator import history
    from ioc.families import FAMILIES
    from ioc.store.db import load_calendar, utcnow

    spec = next((s for s in ctx.sources if s.type == "simulator"), None)
    name = source or (spec.name if spec else "feedback-simulator")
    now = utcnow()
    today = to_local(now, ctx.tz).date()
    with ctx.engine.connect() as conn:
        calendar = load_calendar(conn)
    frame = history(seed, today - timedelta(days=days), today + timedelta(days=1), now, calendar, str(ctx.tz))
    if frame.empty:
        return 0
    result = FAMILIES["feedback"].ingest(ctx.engine, name, frame, ctx.tz, calendar)
    from ioc.notify import db_versions

    ctx.notifier.publish("feedback", db_versions(ctx.engine).get("feedback", 0))
    return result.inserted + result.updated


def has_simulated_history(ctx: Context) -> bool:
    names = [s.name for s in ctx.sources if s.type == "simulator"]
    if not names:
        return True
    t = schema.feedback_reports
    with ctx.engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(t).where(t.c.source.in_(names))).scalar())


def start_embedded(ctx: Context) -> None:
    """Backfill a year of simulated history on first start, then start the in-process scheduler.

    Guarded twice: a process-wide lock (a second call does nothing) and the Flask reloader's
    parent process (WERKZEUG_RUN_MAIN unset while debug reloading) starts nothing.
    """
    global _scheduler
    if os.environ.get("FLASK_DEBUG") == "1" and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    if not _started.acquire(blocking=False):
        return
    if ctx.simulated and not has_simulated_history(ctx):
        log.info("first start: backfilling %d days of simulated history", ctx.settings.backfill_days)
        stored = backfill_simulated_history(ctx, ctx.settings.backfill_days, ctx.settings.simulator_seed)
        log.info("stored %d simulated reports", stored)
    if ctx.settings.embedded_scheduler:
        from ioc.scheduler import build_scheduler

        _scheduler = build_scheduler(ctx)
        _scheduler.start()
        log.info("in-process scheduler started with %d source(s)", len(ctx.sources))
