"""Scheduled collection with APScheduler 3, safe with more than one scheduler running.

APScheduler 3 cannot share a job store between processes, so each scheduler process keeps
its own jobs in memory; what stops two schedulers (started by mistake, or the embedded one
plus ``python -m ioc scheduler``) from double-running a source is a lock row per job in the
database, taken with one conditional UPDATE (the pattern of Grafana's serverlock): a run
happens only if nobody holds the lock *and* the last run started at least 0.8 of a cadence ago.
The alerts evaluation (:func:`ioc.alerts.evaluate`) is one more job under the same kind of lock.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine, text

from ioc.context import Context
from ioc.sources import SourceSpec
from ioc.store.db import sql_ts, utcnow

log = logging.getLogger(__name__)
# Two schedulers ticking out of phase would otherwise interleave runs; 0.8 leaves room for a
# late tick of the same scheduler.
MIN_GAP = 0.8
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_lock(engine: Engine, name: str, ttl: timedelta, min_interval: timedelta, holder: str = HOLDER) -> bool:
    """Take the job lock ``name`` if it is free and the job is due; True if taken."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO job_locks (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"), {"n": name})
        taken = conn.execute(
            text(
                "UPDATE job_locks SET holder = :h, locked_until = :until, last_run_at = :now "
                "WHERE name = :n AND (locked_until IS NULL OR locked_until < :now) "
                "AND (last_run_at IS NULL OR last_run_at <= :due)"
            ),
            {"h": holder, "until": sql_ts(conn, now + ttl), "now": sql_ts(conn, now),
             "due": sql_ts(conn, now - min_interval), "n": name},
        ).rowcount
    return taken == 1


def release_lock(engine: Engine, name: str, holder: str = HOLDER) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE job_locks SET locked_until = NULL WHERE name = :n AND holder = :h"),
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
    killed with SIGKILL, or a crash): otherwise its sources wait out the whole lease. Locks of
    other hosts are left alone: their lease expires. Returns the names freed."""
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


def run_job(ctx: Context, spec: SourceSpec) -> str:
    """One scheduled tick of ``spec``: returns 'ran', 'locked' or the run's status."""
    from ioc.collect import run_if_due

    name = f"source:{spec.name}"
    ttl = timedelta(seconds=max(300, spec.every_seconds * 10))
    if not try_lock(ctx.engine, name, ttl, timedelta(seconds=spec.every_seconds * MIN_GAP)):
        return "locked"
    try:
        return run_if_due(ctx, spec).status
    finally:
        release_lock(ctx.engine, name)


ALERTS_JOB = "job:alerts"  # the alerts job's id and lock name (sources' locks are "source:<name>")


def run_alerts_job(ctx: Context) -> str:
    """One tick of the alerts evaluation (:func:`ioc.alerts.evaluate`) under the database job
    lock: 'ok', 'locked' or 'failed'. Never raises: a failure is logged and the next tick retries."""
    every = ctx.settings.alerts_every_s
    try:
        if not try_lock(ctx.engine, ALERTS_JOB, timedelta(seconds=max(300, every * 10)),
                        timedelta(seconds=every * MIN_GAP)):
            return "locked"
    except Exception:  # noqa: BLE001 - the database may be away; the scheduler must keep going
        log.exception("alerts: could not take the job lock")
        return "failed"
    try:
        from ioc.alerts import FAMILY, evaluate

        result = evaluate(ctx.engine, ctx.settings, sources=[s.name for s in ctx.sources])
        if result["version"] is not None:
            ctx.notifier.publish(FAMILY, result["version"])
        return "ok"
    except Exception:  # noqa: BLE001 - a rule's bug must not stop the scheduler
        log.exception("alerts evaluation failed")
        return "failed"
    finally:
        try:
            release_lock(ctx.engine, ALERTS_JOB)
        except Exception:  # noqa: BLE001 - the lease runs out by itself
            log.exception("alerts: could not release the job lock")


def build_scheduler(ctx: Context, blocking: bool = False) -> BaseScheduler:
    """A scheduler with one interval job per configured source, and the alerts job every
    ``IOC_ALERTS_EVERY_SECONDS`` unless that is 0 (not started)."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    release_orphaned_locks(ctx.engine)
    scheduler = cls(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    start = datetime.now(UTC)
    for i, spec in enumerate(ctx.sources):
        scheduler.add_job(
            run_job, "interval", seconds=spec.every_seconds, args=[ctx, spec], id=spec.name, name=spec.name,
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
    return scheduler
