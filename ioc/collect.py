"""Run one source once: fetch, validate, store, quarantine, record the run, notify.

Never raises for a misbehaving source: the run is recorded as failed with the reason, and the
records already stored stay stored. While it goes, the run's row beats (``heartbeat_at``, every
``IOC_RUN_HEARTBEAT_SECONDS``), so a run whose process died is told from a slow one. A run cut
short by the scheduler's shutdown (its ``cancel`` event) is recorded as ``stopped``, which the
failure backoff ignores (:mod:`ioc.store.runs`).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ioc.context import Context
from ioc.heartbeat import Heartbeat
from ioc.registry import registry
from ioc.secrets import redact, remember_secrets, secret_values
from ioc.sources import (
    Batch,
    CollectorContext,
    ConfigurationError,
    RunStopped,
    SourceError,
    SourceSpec,
    make_collector,
)
from ioc.store import runs
from ioc.store.db import utcnow

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)
#: What :meth:`ioc.sources.RunBudget.check` says when the scheduler's cancel event is set.
STOPPED_REASON = "run stopped: the scheduler is shutting down"


@dataclass
class RunOutcome:
    source: str
    status: str  # ok | failed | stopped | skipped
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("fetched", "inserted", "updated", "unchanged", "rejected"), 0))
    error: str | None = None


def backoff_until(health: runs.SourceHealth) -> datetime | None:
    """After k consecutive failures, wait every_seconds × 2^k (at most an hour) before retrying."""
    if not health.consecutive_failures or health.last_run_at is None:
        return None
    delay = timedelta(seconds=health.every_seconds * 2 ** min(health.consecutive_failures, 12))
    return health.last_run_at + min(delay, MAX_BACKOFF)


def ingest_batch(ctx: Context, spec: SourceSpec, cctx: CollectorContext, batch: Batch, outcome: RunOutcome) -> None:
    """Quarantine a batch's rejects and store its records, counting both into ``outcome``."""
    outcome.counts["fetched"] += batch.fetched
    outcome.counts["rejected"] += len(batch.rejects)
    runs.quarantine(ctx.engine, spec.name, spec.family, outcome.run_id, batch.rejects)
    if len(batch.records):
        result = registry().family(spec.family).ingest(ctx.engine, spec.name, batch.records, cctx.tz, cctx.calendar)
        outcome.counts["inserted"] += result.inserted
        outcome.counts["updated"] += result.updated
        outcome.counts["unchanged"] += result.unchanged


def run_source(ctx: Context, spec: SourceSpec, progress=None,  # noqa: ANN001
               cancel: threading.Event | None = None) -> RunOutcome:
    """Run ``spec`` once now. ``cancel``: the scheduler's shutdown event, handed to the
    collector's budget; a run it stops ends ``stopped`` rather than ``failed``."""
    if registry().get(spec.family) is None:
        return RunOutcome(spec.name, "failed", error=f"family {spec.family!r} is not declared")
    outcome = RunOutcome(spec.name, "ok")
    outcome.run_id = run_id = runs.start_run(ctx.engine, spec.name, spec.family)
    secrets = secret_values(spec.options)
    remember_secrets(secrets)
    version_before = ctx.notifier.versions().get(spec.family, 0)
    with Heartbeat(ctx.settings.run_heartbeat_s, [lambda: runs.beat_run(ctx.engine, run_id)],
                   name=f"run {run_id} of {spec.name}"):
        _collect(ctx, spec, progress, cancel, outcome, secrets)
    runs.finish_run(ctx.engine, run_id, outcome.status, outcome.counts, outcome.error)
    if outcome.counts["inserted"] or outcome.counts["updated"]:
        from ioc.notify import db_versions

        version = db_versions(ctx.engine).get(spec.family, version_before)
        ctx.notifier.publish(spec.family, version)
    if outcome.status == "failed":
        log.warning("source %s failed: %s", spec.name, outcome.error)
    elif outcome.status == runs.STOPPED:
        log.info("source %s: %s", spec.name, outcome.error)
    return outcome


def _collect(ctx: Context, spec: SourceSpec, progress, cancel: threading.Event | None,  # noqa: ANN001
             outcome: RunOutcome, secrets: Collection[str]) -> None:
    """Fetch and store, counting into ``outcome`` and setting its status and error (redacted)."""
    new_watermark = None
    try:
        cctx = ctx.collector_context(progress, cancel=cancel)
        collector = make_collector(spec, cctx)
        watermark = runs.get_watermark(ctx.engine, spec.name)
        for batch in collector.batches(watermark):
            ingest_batch(ctx, spec, cctx, batch, outcome)
            if batch.watermark is not None:
                new_watermark = batch.watermark
            if batch.watermark is None and cctx.budget.cancel.is_set():
                # Between batches, for collectors that make no HTTP request (simulators, files); a
                # batch with a watermark may be the last one: the run finished its work.
                raise RunStopped(STOPPED_REASON)
    except (SourceError, ConfigurationError) as exc:
        outcome.status, outcome.error = "failed", redact(str(exc), secrets)
    except Exception as exc:  # noqa: BLE001 - a collector bug must not stop the scheduler
        log.exception("source %s crashed", spec.name)  # the log handlers redact (ioc.secrets.RedactingFilter)
        outcome.status, outcome.error = "failed", redact(f"{type(exc).__name__}: {exc}", secrets)
    # The last watermark handed on (the final one, or a checkpoint before a failure: everything
    # before it is stored) is kept, so a run stopped by its budget still moves the source on.
    if new_watermark is not None:
        try:
            runs.set_watermark(ctx.engine, spec.name, new_watermark)
        except Exception as exc:  # noqa: BLE001 - recorded as the run's failure
            outcome.status = "failed"
            outcome.error = redact(f"saving the watermark: {type(exc).__name__}: {exc}", secrets)
    if outcome.status == "failed" and cancel is not None and cancel.is_set():
        # The shutdown, not the source: besides RunStopped, a collector may see it as a broken
        # connection and report that instead.
        outcome.status = runs.STOPPED
        if STOPPED_REASON not in (outcome.error or ""):
            outcome.error = f"{STOPPED_REASON} ({outcome.error})"


def run_if_due(ctx: Context, spec: SourceSpec, cancel: threading.Event | None = None) -> RunOutcome:
    """What the scheduler calls: honours the failure backoff; ``cancel`` as :func:`run_source`."""
    health = {h.name: h for h in runs.source_health(ctx.engine)}.get(spec.name)
    if health is not None:
        until = backoff_until(health)
        if until is not None and utcnow() < until:
            return RunOutcome(spec.name, "skipped", error=f"backing off until {until:%Y-%m-%d %H:%M:%S} UTC")
    return run_source(ctx, spec, cancel=cancel)


def import_file(ctx: Context, family: str, path: str | Path, source_name: str | None = None,
                show_progress: bool = True) -> RunOutcome:
    """Import a ``family`` file once (``python -m ioc import FAMILY FILE [--source NAME]``), with a
    progress bar.

    Records are keyed by (source, external_id): the source is ``import:<file name>``, or
    ``import:<NAME>`` with ``source_name``; re-importing under the same source updates only rows
    with a later ``updated_at``, while the same records under another name are stored again
    (:func:`ids_under_other_imports` counts them). Returns the run's outcome (status ``failed``
    with the reason for a bad file; nothing already stored is ever removed).
    """
    from tqdm import tqdm

    path = Path(path)
    name = f"import:{source_name or path.name}"[:64]
    spec = SourceSpec(name=name, type="file", family=family, every_seconds=86400, path=path)
    with tqdm(total=None, unit=" rows", desc=path.name, file=sys.stderr, disable=not show_progress) as bar:
        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        return run_source(ctx, spec, progress=progress)


def ids_under_other_imports(ctx: Context, family: str, source: str) -> dict[str, int]:
    """How many records of the import ``source`` are stored under other imports of ``family``
    too (the same ids from a file imported under another name): other source → count."""
    from sqlalchemy import Table, func, select

    from ioc.registry import registry

    out: dict[str, int] = {}
    module = registry().family(family).tables
    tables = [t for t in vars(module).values() if isinstance(t, Table) and {"source", "external_id"} <= set(t.c.keys())]
    with ctx.engine.connect() as conn:
        for table in tables:
            mine = select(table.c.external_id).where(table.c.source == source)
            rows = conn.execute(select(table.c.source, func.count()).where(
                table.c.source != source, table.c.source.like("import:%"), table.c.external_id.in_(mine))
                .group_by(table.c.source)).all()
            for other, count in rows:
                out[other] = out.get(other, 0) + int(count)
    return out
