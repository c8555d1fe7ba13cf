"""Embedded mode: what ``python app.py`` starts besides the web server, exactly once."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any

from ioc.context import Context
from ioc.heartbeat import Heartbeat
from ioc.sources import SourceSpec
from ioc.store.db import get_meta, set_meta, utcnow

log = logging.getLogger(__name__)
_started = threading.Lock()
_scheduler = None
_cancel = threading.Event()  # the embedded scheduler's shutdown event (set as the process exits)
_backfill_thread: threading.Thread | None = None  # the spec systems' first-start history, if being written


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
    run_id = outcome.run_id
    # A year of history takes a while: the run beats, so no scheduler takes it for orphaned.
    beat = Heartbeat(ctx.settings.run_heartbeat_s, [lambda: runs.beat_run(ctx.engine, run_id)],
                     name=f"backfill of {spec.name}")
    try:
        with beat:
            for batch in collector.backfill(days, seed):
                ingest_batch(ctx, spec, cctx, batch, outcome)
    except Exception as exc:
        runs.finish_run(ctx.engine, outcome.run_id, "failed", outcome.counts, f"backfill: {type(exc).__name__}: {exc}")
        raise
    runs.finish_run(ctx.engine, outcome.run_id, outcome.status, outcome.counts, None)
    stored = outcome.counts["inserted"] + outcome.counts["updated"]
    _replay_alerts(ctx, spec, days)
    with ctx.engine.begin() as conn:
        set_meta(conn, f"backfilled:{spec.name}", str(days))
    ctx.notifier.publish(spec.family, db_versions(ctx.engine).get(spec.family, 0))
    return stored


def _replay_alerts(ctx: Context, spec: SourceSpec, days: int) -> None:
    """A family whose alert rules can be evaluated for past moments gets the alerts its new
    history would have raised (:func:`ioc.alerts.replay`): a fresh install's Alerts page then
    shows the simulated year's floods and warnings, each with its start and end."""
    from ioc.alerts import replay
    from ioc.registry import registry

    family = registry().get(spec.family)
    if family is None or family.alert_rules is None or not family.alert_rules.replayable:
        return
    now = utcnow()
    counts = replay(ctx.engine, now - timedelta(days=days), now, families=(spec.family,))
    log.info("replayed %s's alert rules over %d days: %d alerts opened, %d ended", spec.family, days,
             counts["opened"], counts["closed"])


def simulator_sources(ctx: Context, family: str | None = None) -> list[SourceSpec]:
    return [s for s in ctx.sources if s.type == "simulator" and (family is None or s.family == family)]


def needs_backfill(ctx: Context, spec: SourceSpec) -> bool:
    with ctx.engine.connect() as conn:
        return get_meta(conn, f"backfilled:{spec.name}") is None


def backfill_simulators(ctx: Context, *, background: bool = False) -> int:
    """First start of a deployment whose sources include simulators: write their history once
    (remembered in ``meta``, so later starts skip it). Returns the records stored.

    ``background``: the history of systems declared by spec files (a few hundred thousand
    simulated events) and of the families with alert rules of their own (:func:`_in_background`)
    is written by a thread after this returns, so ``python app.py`` answers as
    soon as the four families' history is in; their pages show what is stored meanwhile, and the
    log says when each is done."""
    from ioc.registry import registry

    pending = [s for s in simulator_sources(ctx) if needs_backfill(ctx, s)]
    later = [s for s in pending if background and _in_background(registry().get(s.family))]
    total = sum(_backfill_logged(ctx, s) for s in pending if s not in later)
    if later:
        global _backfill_thread
        _backfill_thread = threading.Thread(target=_backfill_in_background, args=(ctx, later), name="ioc-backfill",
                                            daemon=True)
        _backfill_thread.start()
    return total


def _in_background(family: Any) -> bool:
    """Families whose history a first start writes after answering: the systems declared by
    spec files, and the families with alert rules of their own (warnings, rivers, vessels),
    whose history is replayed into alerts as well."""
    return family is not None and (family.spec is not None or family.alert_rules is not None)


def wait_for_backfill(timeout_s: float | None = None) -> bool:
    """Wait until the background backfill (if any) is done; False if it is still running."""
    thread = _backfill_thread
    if thread is None:
        return True
    thread.join(timeout_s)
    return not thread.is_alive()


def _backfill_logged(ctx: Context, spec: SourceSpec) -> int:
    log.info("first start: backfilling %d days of simulated %s", ctx.settings.backfill_days, spec.family)
    stored = backfill_source(ctx, spec, ctx.settings.backfill_days, ctx.settings.simulator_seed)
    log.info("stored %d simulated %s records", stored, spec.family)
    return stored


def _backfill_in_background(ctx: Context, specs: list[SourceSpec]) -> None:
    for spec in specs:
        if _cancel.is_set():
            return
        try:
            _backfill_logged(ctx, spec)
        except Exception:  # noqa: BLE001 - one system's history never stops the others' (nor the app)
            log.exception("backfill of %s failed; the next start tries again", spec.name)


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
    backfill_simulators(ctx, background=True)
    if ctx.settings.embedded_scheduler:
        from ioc.scheduler import build_scheduler

        _scheduler = build_scheduler(ctx, cancel=_cancel)
        _scheduler.start()
        _stop_at_exit(_scheduler, _cancel)
        log.info("in-process scheduler started with %d source(s), alerts every %d s (0: off)", len(ctx.sources),
                 ctx.settings.alerts_every_s)


def _stop_at_exit(scheduler, cancel: threading.Event) -> None:  # noqa: ANN001
    """As the web server's process exits (its own SIGTERM handling ends in interpreter exit),
    stop the running collectors first. ``atexit`` would be too late: the interpreter joins the
    job pool's threads before it, so an exit would wait for a slow fetch to end by itself.
    ``threading._register_atexit`` hooks run before that join (last registered, first run)."""
    def stop() -> None:
        cancel.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)  # no new job; the pool's own hook waits for the running ones

    register = getattr(threading, "_register_atexit", None)
    if register is None:  # not CPython ≥ 3.9: the runs end at their deadline instead
        import atexit

        atexit.register(stop)
    else:
        register(stop)
