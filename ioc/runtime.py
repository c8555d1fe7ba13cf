"""Embedded mode: what ``python app.py`` starts besides the web server, exactly once."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from ioc.context import Context
from ioc.heartbeat import Heartbeat
from ioc.live import PROGRESS_KEY
from ioc.sources import SourceSpec
from ioc.store.db import get_meta, set_meta, utcnow

log = logging.getLogger(__name__)
_started = threading.Lock()
_scheduler = None
_cancel = threading.Event()  # the embedded scheduler's shutdown event (set as the process exits)
_backfill_thread: threading.Thread | None = None  # the first start's history, while being written


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
    # a simulator that keeps a shorter history than asked (vessels' tracks, cameras' heartbeats)
    # says so: only that span has anything to replay
    _replay_alerts(ctx, spec, min(days, collector.history_days))
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
    (remembered in ``meta``, so later starts skip it). Returns the records stored (0 when it
    goes to the background).

    ``background`` (``python app.py``): the whole history is written by a thread after this
    returns, so the dashboard answers within seconds of starting on an empty store; the four
    families of :data:`FIRST` come first, the spec systems and the families with alert rules of
    their own (whose history is also replayed into alerts) after them. Pages show what is stored
    meanwhile; the progress (sources done, percent, time left) is in ``meta`` (:class:`Progress`),
    so every worker's ``/api/live`` carries it to the screens' banner, and in the log."""
    from ioc.registry import registry

    pending = [s for s in simulator_sources(ctx) if needs_backfill(ctx, s)]
    if not pending:
        return 0
    # the families an operator opens first, then the rest in declaration order
    pending.sort(key=lambda s: _in_background(registry().get(s.family)))
    first = [s.name for s in pending if not _in_background(registry().get(s.family))]
    progress = Progress(ctx, [s.name for s in pending], first)
    if not background:
        return sum(_backfill_logged(ctx, s, progress) for s in pending)
    global _backfill_thread
    _backfill_thread = threading.Thread(target=_backfill_in_background, args=(ctx, pending, progress),
                                        name="ioc-backfill", daemon=True)
    _backfill_thread.start()
    return 0


def _in_background(family: Any) -> bool:
    """Families whose history comes after the others' on a first start: the systems declared
    by spec files, and the families with alert rules of their own (warnings, rivers, vessels,
    cameras), whose history is replayed into alerts as well."""
    return family is not None and (family.spec is not None or family.alert_rules is not None)


def wait_for_backfill(timeout_s: float | None = None) -> bool:
    """Wait until the background backfill (if any) is done; False if it is still running."""
    thread = _backfill_thread
    if thread is None:
        return True
    thread.join(timeout_s)
    return not thread.is_alive()


class Progress:
    """The first start's history, source by source, for the screens and the terminal.

    Stored as JSON in ``meta`` under :data:`ioc.live.PROGRESS_KEY` (read by :func:`ioc.live.backfill_state` for
    ``/api/live``): ``sources`` (names, in order), ``done`` (names written), ``current`` (the
    source being written), ``started`` (epoch ms UTC), ``percent`` (sources done over sources),
    ``eta_s`` (time left estimated from the mean time per source so far; null before the first
    is done), ``finished``, and ``first``: the sources of the families an operator opens first
    (feedback, traffic, environment, administrative services), written before the others. Percent counts sources, not records: a simulator's history is
    one stream whose length it does not announce, and an honest coarse figure beats a precise
    guess."""

    def __init__(self, ctx: Context, sources: list[str], first: list[str] | None = None):
        self._ctx = ctx
        self.sources = sources
        self.first = first or []
        self.done: list[str] = []
        self.started = time.monotonic()
        self.started_ms = int(time.time() * 1000)
        self.current: str | None = None
        self._save()  # before the thread starts: a screen or a test never sees "no history pending"

    def state(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        left = len(self.sources) - len(self.done)
        eta = round(elapsed / len(self.done) * left) if self.done else None
        return {"sources": self.sources, "first": self.first, "done": self.done, "current": self.current, "started": self.started_ms,
                "percent": round(100 * len(self.done) / len(self.sources)), "eta_s": eta, "finished": left == 0}

    def begin(self, name: str) -> None:
        self.current = name
        self._save()

    def end(self, name: str) -> None:
        self.done.append(name)
        self.current = None
        state = self._save()
        eta = "" if state["eta_s"] is None or state["finished"] else f", about {state['eta_s']} s left"
        log.info("history: %d of %d sources (%d %%)%s", len(self.done), len(self.sources), state["percent"], eta)

    def _save(self) -> dict[str, Any]:
        state = self.state()
        try:
            with self._ctx.engine.begin() as conn:
                set_meta(conn, PROGRESS_KEY, json.dumps(state))
        except Exception:  # noqa: BLE001 - the banner is a courtesy; the history matters
            log.warning("could not record the backfill's progress", exc_info=True)
        return state


def _backfill_logged(ctx: Context, spec: SourceSpec, progress: Progress | None = None) -> int:
    if progress is not None:
        progress.begin(spec.name)
    days = ctx.settings.backfill_days
    log.info("first start: writing %d days of simulated %s history (%s)", days, spec.family, spec.name)
    began = time.monotonic()
    try:
        stored = backfill_source(ctx, spec, days, ctx.settings.simulator_seed)
    finally:
        if progress is not None:
            progress.end(spec.name)
    log.info("stored %d simulated %s records in %.1f s", stored, spec.family, time.monotonic() - began)
    return stored


def _backfill_in_background(ctx: Context, specs: list[SourceSpec], progress: Progress) -> None:
    for spec in specs:
        if _cancel.is_set():
            return
        try:
            _backfill_logged(ctx, spec, progress)
        except Exception:  # noqa: BLE001 - one system's history never stops the others' (nor the app)
            log.exception("backfill of %s failed; the next start tries again", spec.name)
    log.info("first start: the simulated history is complete")


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


def stored_progress(store: Path | str) -> dict[str, Any] | None:
    """The first start's progress record (:class:`Progress`) read from a SQLite store file by
    another process (a test or a bench watching the app), read-only so it never takes the
    app's write lock; None when there is none yet or the file cannot be read yet."""
    import sqlite3

    if not Path(store).exists():
        return None
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (PROGRESS_KEY,)).fetchone()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None
