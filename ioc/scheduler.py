"""Scheduled collection with APScheduler 3, safe with more than one scheduler running.

APScheduler 3 cannot share a job store between processes, so each scheduler process keeps
its own jobs in memory; what stops two schedulers (started by mistake, or the embedded one
plus ``python -m ioc scheduler``) from double-running a source is a lock row per job in the
database, taken with one conditional UPDATE (the pattern of Grafana's serverlock): a run
happens only if nobody holds the lock *and* the last run started at least 0.8 of a cadence ago.
The alerts evaluation (:func:`ioc.alerts.evaluate`) is one more job under the same kind of lock.

A lock's lease is short (``IOC_RUN_LEASE_SECONDS``, 2 minutes by default) whatever the cadence,
and renewed by the job's heartbeat (:mod:`ioc.heartbeat`, every ``IOC_RUN_HEARTBEAT_SECONDS``):
a holder that dies (SIGKILL, crash, its host gone) gives its lock back within the lease, while a
long run keeps it. Runs left ``running`` by such a holder are marked failed as orphaned at start
and every minute (:func:`sweep`). Each scheduler process has one cancel event: set on SIGTERM, it
stops the running collectors (their :class:`ioc.sources.RunBudget`) so that the shutdown waits
for no fetch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, text

from ioc.context import Context
from ioc.heartbeat import Heartbeat
from ioc.sources import SourceSpec
from ioc.store import runs
from ioc.store.db import sql_ts, utcnow

log = logging.getLogger(__name__)
# Two schedulers ticking out of phase would otherwise interleave runs; 0.8 leaves room for a
# late tick of the same scheduler.
MIN_GAP = 0.8
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_lock(engine: Engine, name: str, ttl: timedelta, min_interval: timedelta, holder: str = HOLDER) -> bool:
    """Take the job lock ``name`` for ``ttl`` (the lease) if it is free and the job is due
    (its last run started ``min_interval`` ago or more); True if taken.

    A lock whose lease lapsed (held, never released: its holder died mid-run) is taken whatever
    the due rule says: the run that set ``last_run_at`` never finished."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO job_locks (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"), {"n": name})
        taken = conn.execute(
            text(
                "UPDATE job_locks SET holder = :h, locked_until = :until, last_run_at = :now "
                "WHERE name = :n AND (locked_until < :now "
                "OR (locked_until IS NULL AND (last_run_at IS NULL OR last_run_at <= :due)))"
            ),
            {"h": holder, "until": sql_ts(conn, now + ttl), "now": sql_ts(conn, now),
             "due": sql_ts(conn, now - min_interval), "n": name},
        ).rowcount
    return taken == 1


def renew_lock(engine: Engine, name: str, ttl: timedelta, holder: str = HOLDER) -> bool:
    """Extend the lease of the lock ``name`` we hold to now + ``ttl`` (the job's heartbeat);
    False if it is not ours any more (our beats lapsed and another scheduler took it)."""
    now = utcnow()
    with engine.begin() as conn:
        renewed = conn.execute(
            text("UPDATE job_locks SET locked_until = :until WHERE name = :n AND holder = :h "
                 "AND locked_until IS NOT NULL"),
            {"until": sql_ts(conn, now + ttl), "n": name, "h": holder},
        ).rowcount
    if not renewed:
        log.warning("job lock %s is no longer held by %s: its lease lapsed", name, holder)
    return renewed == 1


def lock_heartbeat(ctx: Context, name: str, holder: str = HOLDER) -> Heartbeat:
    """The heartbeat that keeps the lock ``name`` while its job runs."""
    lease = lease_of(ctx)
    return Heartbeat(ctx.settings.run_heartbeat_s, [lambda: renew_lock(ctx.engine, name, lease, holder)],
                     name=name)


def lease_of(ctx: Context) -> timedelta:
    """A lock's lease and a run's lapse limit (``IOC_RUN_LEASE_SECONDS``)."""
    return timedelta(seconds=ctx.settings.run_lease_s)


def release_lock(engine: Engine, name: str, holder: str = HOLDER, ran: bool = True) -> None:
    """Give the lock ``name`` back (if still ours). ``ran=False``: the run was stopped before it
    ended (shutdown), so it does not count for the due rule: the job is due again at once."""
    forget = "" if ran else ", last_run_at = NULL"
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE job_locks SET locked_until = NULL{forget} WHERE name = :n AND holder = :h"),
                     {"n": name, "h": holder})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def release_orphaned_locks(engine: Engine, host: str | None = None) -> list[str]:
    """Free the job locks held by processes of this host that no longer exist (a scheduler
    killed with SIGKILL, or a crash) at once, rather than after their lease. Locks of other
    hosts are left alone: their lease lapses without their heartbeat. Returns the names freed."""
    host = host or socket.gethostname()
    freed = []
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT name, holder FROM job_locks WHERE locked_until IS NOT NULL")).all()
        for name, holder in rows:
            parts = (holder or "").split(":")
            if len(parts) >= 3 and parts[0] == host and parts[1].isdigit() and not _pid_alive(int(parts[1])):
                conn.execute(text("UPDATE job_locks SET locked_until = NULL WHERE name = :n AND holder = :h"),
                             {"n": name, "h": holder})
                freed.append(name)
    if freed:
        log.warning("freed job locks of a dead scheduler process: %s", ", ".join(freed))
    return freed


def run_job(ctx: Context, spec: SourceSpec, cancel: threading.Event | None = None) -> str:
    """One scheduled tick of ``spec``: 'locked', 'stopped' (the scheduler is shutting down: not
    started) or the run's status. ``cancel``: the scheduler's shutdown event."""
    from ioc.collect import run_if_due

    if cancel is not None and cancel.is_set():
        return runs.STOPPED
    name = f"source:{spec.name}"
    if not try_lock(ctx.engine, name, lease_of(ctx), timedelta(seconds=spec.every_seconds * MIN_GAP)):
        return "locked"
    status = "failed"
    try:
        with lock_heartbeat(ctx, name):
            status = run_if_due(ctx, spec, cancel).status
        return status
    finally:
        release_lock(ctx.engine, name, ran=status != runs.STOPPED)


ALERTS_JOB = "job:alerts"  # the alerts job's id and lock name (sources' locks are "source:<name>")


def locked_job(ctx: Context, name: str, every_s: float, what: str, work: Callable[[], None]) -> str:
    """Run ``work`` as the periodic job ``name`` under its database lock (one scheduler runs it,
    at most once per 0.8 × ``every_s``), renewing the lock while it runs: 'ok', 'locked' or
    'failed'. Never raises: a failure is logged as "``what`` failed" and the next tick retries."""
    try:
        if not try_lock(ctx.engine, name, lease_of(ctx), timedelta(seconds=every_s * MIN_GAP)):
            return "locked"
    except Exception:  # noqa: BLE001 - the database may be away; the scheduler must keep going
        log.exception("%s: could not take the job lock", what)
        return "failed"
    try:
        with lock_heartbeat(ctx, name):
            work()
        return "ok"
    except Exception:  # noqa: BLE001 - a rule's or a query's bug must not stop the scheduler
        log.exception("%s failed", what)
        return "failed"
    finally:
        try:
            release_lock(ctx.engine, name)
        except Exception:  # noqa: BLE001 - the lease runs out by itself
            log.exception("%s: could not release the job lock", what)


def run_alerts_job(ctx: Context) -> str:
    """One tick of the alerts evaluation (:func:`ioc.alerts.evaluate`) under the database job
    lock: 'ok', 'locked' or 'failed' (:func:`locked_job`)."""

    def evaluate_and_publish() -> None:
        from ioc.alerts import FAMILY, evaluate

        result = evaluate(ctx.engine, ctx.settings, sources=[s.name for s in ctx.sources])
        if result["version"] is not None:
            ctx.notifier.publish(FAMILY, result["version"])

    return locked_job(ctx, ALERTS_JOB, ctx.settings.alerts_every_s, "alerts evaluation", evaluate_and_publish)


SWEEP_JOB = "job:orphans"  # marks orphaned runs (no lock: its UPDATEs are conditional, idempotent)
SWEEP_EVERY_S = 60.0


def sweep(ctx: Context) -> list[int]:
    """Mark failed the runs whose heartbeat lapsed (their scheduler died); returns their ids.
    Never raises: the database may be away, and the next sweep tries again."""
    try:
        marked = runs.mark_orphaned_runs(ctx.engine, lease_of(ctx))
    except Exception:  # noqa: BLE001 - the scheduler must keep going
        log.exception("could not mark orphaned runs")
        return []
    if marked:
        log.warning("marked %d orphaned run(s) failed (no heartbeat for %g s): ids %s", len(marked),
                    ctx.settings.run_lease_s, ", ".join(map(str, marked)))
    return marked


AUDIT_JOB = "job:audit-retention"  # deletes audit entries older than IOC_AUDIT_RETENTION_DAYS, daily
AUDIT_EVERY_S = 86400


def prune_audit(ctx: Context) -> str:
    """The audit trail's retention (:func:`ioc.audit.prune`), daily under a job lock: 'ok',
    'locked' or 'failed' (:func:`locked_job`)."""

    def prune() -> None:
        from ioc.audit import prune

        gone = prune(ctx.engine, ctx.settings.audit_retention_days)
        if gone:
            log.info("audit retention: %d entries older than %d days deleted", gone, ctx.settings.audit_retention_days)

    return locked_job(ctx, AUDIT_JOB, AUDIT_EVERY_S, "audit retention", prune)


def run_brief_job(ctx: Context) -> str:
    """The daily (and on Mondays the weekly) brief (:mod:`ioc.brief_jobs`), under a job lock:
    'ok', 'locked' or 'failed' (:func:`locked_job`, which logs the failure)."""

    def write_and_mail() -> None:
        from ioc.brief_jobs import run_briefs

        run_briefs(ctx, utcnow())

    return locked_job(ctx, BRIEF_JOB, BRIEF_LOCK_EVERY_S, "briefs", write_and_mail)


BRIEF_JOB = "job:briefs"
BRIEF_LOCK_EVERY_S = 3600  # the lock's due rule: a second tick within 48 minutes is skipped


def build_scheduler(ctx: Context, blocking: bool = False, cancel: threading.Event | None = None) -> BaseScheduler:
    """A scheduler with one interval job per configured source, the alerts job every
    ``IOC_ALERTS_EVERY_SECONDS`` unless that is 0 (not started), and the orphan sweep every
    minute (at most every half lease), the audit trail's retention daily, and the briefs daily at
    ``IOC_BRIEF_HOUR`` local time when ``IOC_BRIEF_DIR`` is set. ``cancel``: this process's shutdown event, handed to every
    source job (set it, then ``shutdown(wait=True)``: see :func:`stop_scheduler`).

    Building it frees the locks of dead processes of this host and marks orphaned runs at once,
    before the first tick, and records the simulators' speed-up for the screens' label."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    release_orphaned_locks(ctx.engine)
    sweep(ctx)
    if any(s.type == "simulator" for s in ctx.sources):
        from ioc.live import record_simulator_speed

        record_simulator_speed(ctx.engine, ctx.settings.simulator_speed)
    scheduler = cls(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    start = datetime.now(UTC)
    for i, spec in enumerate(ctx.sources):
        scheduler.add_job(
            run_job, "interval", seconds=spec.every_seconds, args=[ctx, spec], kwargs={"cancel": cancel},
            id=spec.name, name=spec.name,
            # APScheduler's default grace of 1 s silently drops runs on a busy pool.
            misfire_grace_time=max(30, spec.every_seconds), coalesce=True, max_instances=1,
            next_run_time=start + timedelta(seconds=1 + i),
        )
    every = ctx.settings.alerts_every_s
    if every > 0:
        scheduler.add_job(
            run_alerts_job, "interval", seconds=every, args=[ctx], id=ALERTS_JOB, name="alerts",
            misfire_grace_time=max(30, every), coalesce=True, max_instances=1,
            next_run_time=start + timedelta(seconds=1 + len(ctx.sources)),
        )
    sweep_every = min(SWEEP_EVERY_S, ctx.settings.run_lease_s / 2)
    scheduler.add_job(
        sweep, "interval", seconds=sweep_every, args=[ctx], id=SWEEP_JOB, name="orphaned runs",
        misfire_grace_time=max(30, int(sweep_every)), coalesce=True, max_instances=1,
    )
    if ctx.settings.brief_dir is not None:
        scheduler.add_job(
            run_brief_job, CronTrigger(hour=ctx.settings.brief_hour, minute=5, timezone=ctx.tz), args=[ctx],
            id=BRIEF_JOB, name="briefs", misfire_grace_time=3 * 3600, coalesce=True, max_instances=1,
        )
    if ctx.settings.audit_retention_days > 0:
        scheduler.add_job(
            prune_audit, "interval", seconds=AUDIT_EVERY_S, args=[ctx], id=AUDIT_JOB, name="audit retention",
            misfire_grace_time=3600, coalesce=True, max_instances=1,
            next_run_time=start + timedelta(seconds=30 + len(ctx.sources)),
        )
    return scheduler


def stop_scheduler(scheduler: BaseScheduler, cancel: threading.Event) -> None:
    """Stop ``scheduler`` in order: ``cancel`` stops the running collectors at their next check
    (their runs end ``stopped``, their locks are released), then wait for the jobs to end."""
    cancel.set()
    if scheduler.running:
        scheduler.shutdown(wait=True)
