"""The scheduler: the database job lock, exactly-once runs across schedulers, APScheduler job
settings, and the embedded start (once per process, backfill on first start only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, func, select, update

import ioc.runtime as runtime
import ioc.scheduler as scheduler_mod
from ioc import registry
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.live import PROGRESS_KEY
from ioc.notify import LocalNotifier
from ioc.scheduler import ALERTS_JOB, AUDIT_JOB, SWEEP_JOB, build_scheduler, release_lock, run_job, try_lock
from ioc.sources import Batch, Collector, SourceSpec
from ioc.store import runs, schema, schema_feedback
from ioc.store.db import get_meta, init_db, make_engine, utcnow

LOCKS = schema.job_locks
HOUR = timedelta(hours=1)
NO_WAIT = timedelta(0)


def lock_row(engine: Engine, name: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(LOCKS).where(LOCKS.c.name == name)).mappings().one())


def set_lock(engine: Engine, name: str, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(update(LOCKS).where(LOCKS.c.name == name).values(**values))


# --- the lock -------------------------------------------------------------------------------------


def test_lock_is_exclusive_between_two_holders(engine: Engine) -> None:
    assert try_lock(engine, "source:a", HOUR, NO_WAIT, holder="scheduler-1")
    assert not try_lock(engine, "source:a", HOUR, NO_WAIT, holder="scheduler-2")
    assert not try_lock(engine, "source:a", HOUR, NO_WAIT, holder="scheduler-1")  # not re-entrant either
    assert lock_row(engine, "source:a")["holder"] == "scheduler-1"
    # Another job's lock is independent.
    assert try_lock(engine, "source:b", HOUR, NO_WAIT, holder="scheduler-2")

    release_lock(engine, "source:a", holder="scheduler-1")

    assert try_lock(engine, "source:a", HOUR, NO_WAIT, holder="scheduler-2")
    assert lock_row(engine, "source:a")["holder"] == "scheduler-2"


def test_lock_is_not_retaken_before_min_interval_even_after_release(engine: Engine) -> None:
    assert try_lock(engine, "source:a", HOUR, timedelta(minutes=30), holder="scheduler-1")
    release_lock(engine, "source:a", holder="scheduler-1")
    assert lock_row(engine, "source:a")["locked_until"] is None

    assert not try_lock(engine, "source:a", HOUR, timedelta(minutes=30), holder="scheduler-2")
    assert not try_lock(engine, "source:a", HOUR, timedelta(minutes=30), holder="scheduler-1")

    # 31 minutes later (moved into the past rather than waited for) the job is due again.
    set_lock(engine, "source:a", last_run_at=utcnow() - timedelta(minutes=31))
    assert try_lock(engine, "source:a", HOUR, timedelta(minutes=30), holder="scheduler-2")
    assert lock_row(engine, "source:a")["holder"] == "scheduler-2"


def test_an_expired_lock_of_a_crashed_holder_is_taken_over(engine: Engine) -> None:
    assert try_lock(engine, "source:a", HOUR, NO_WAIT, holder="crashed")
    assert not try_lock(engine, "source:a", HOUR, NO_WAIT, holder="survivor")
    # The holder died without releasing; its lease runs out.
    set_lock(engine, "source:a", locked_until=utcnow() - timedelta(seconds=1))

    assert try_lock(engine, "source:a", HOUR, NO_WAIT, holder="survivor")
    assert lock_row(engine, "source:a")["holder"] == "survivor"

    # The crashed holder coming back and "releasing" must not free the survivor's lock.
    release_lock(engine, "source:a", holder="crashed")
    assert not try_lock(engine, "source:a", HOUR, NO_WAIT, holder="third")
    assert lock_row(engine, "source:a")["locked_until"] is not None


def test_locks_of_a_dead_scheduler_on_this_host_are_freed_at_start(engine: Engine) -> None:
    """A scheduler killed with SIGKILL keeps its lock for the whole lease; the next scheduler on
    the same host frees it at start, but never a live process's lock or another host's."""
    import os
    import socket
    import subprocess

    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid now names no process
    assert try_lock(engine, "source:dead", HOUR, NO_WAIT, holder=f"{host}:{dead.pid}:aaaa")
    assert try_lock(engine, "source:alive", HOUR, NO_WAIT, holder=f"{host}:{os.getpid()}:bbbb")
    assert try_lock(engine, "source:remote", HOUR, NO_WAIT, holder=f"other-host:{dead.pid}:cccc")

    assert scheduler_mod.release_orphaned_locks(engine, host) == ["source:dead"]

    assert lock_row(engine, "source:dead")["locked_until"] is None
    assert lock_row(engine, "source:alive")["locked_until"] is not None
    assert lock_row(engine, "source:remote")["locked_until"] is not None
    assert try_lock(engine, "source:dead", HOUR, NO_WAIT, holder="next")


# --- exactly once across schedulers ---------------------------------------------------------------


class CountingCollector(Collector):
    type = "counting"
    family = "feedback"
    calls = 0
    guard = threading.Lock()

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        with CountingCollector.guard:
            CountingCollector.calls += 1
        yield Batch(records=[], fetched=0, watermark="done")


@pytest.fixture
def counting_type() -> Iterator[None]:
    """The registry with one more collector type, for this test only."""
    real = registry.registry()
    CountingCollector.calls = 0
    with registry.use(replace(real, generic_collectors=(*real.generic_collectors, CountingCollector))):
        yield


def a_scheduler_context(url: str, spec: SourceSpec) -> Context:
    """What one scheduler process holds: its own engine and notifier on the shared database."""
    engine = make_engine(url)
    init_db(engine)
    return Context(settings=load_settings({"IOC_DATABASE_URL": url}), engine=engine,
                   notifier=LocalNotifier(engine), sources=(spec,))


def test_two_schedulers_run_a_due_job_exactly_once(store_url: str, counting_type: None) -> None:
    spec = SourceSpec(name="hue-open311", type="counting", family="feedback", every_seconds=60)
    contexts = [a_scheduler_context(store_url, spec) for _ in range(2)]
    runs.register_sources(contexts[0].engine, [spec])
    start = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def tick(ctx: Context) -> None:
        start.wait()
        try:
            results.append(run_job(ctx, spec))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(contexts[i % 2],)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(results) == ["locked"] * 7 + ["ok"]
        assert CountingCollector.calls == 1
        with contexts[0].engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(schema.collector_runs)).scalar_one() == 1
        assert lock_row(contexts[0].engine, "source:hue-open311")["locked_until"] is None  # released
        # And the next tick within half a cadence, on either scheduler, does not run it again.
        assert run_job(contexts[1], spec) == "locked"
        assert CountingCollector.calls == 1
    finally:
        for ctx in contexts:
            ctx.engine.dispose()


# --- APScheduler settings -------------------------------------------------------------------------


def test_build_scheduler_sets_grace_coalesce_and_max_instances(tmp_path: Path) -> None:
    specs = (SourceSpec("fast", "simulator", "feedback", 5),
             SourceSpec("hourly", "open311", "feedback", 3600, url="http://open311.test"))
    ctx = replace(build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}"})),
                  sources=specs)

    cancel = threading.Event()
    sched = build_scheduler(ctx, cancel=cancel)

    jobs = {job.id: job for job in sched.get_jobs()}
    # the alerts job: tests/integration/test_alerts.py; the orphan sweep: test_run_lifecycle.py
    assert set(jobs) == {"fast", "hourly", ALERTS_JOB, SWEEP_JOB, AUDIT_JOB}
    jobs.pop(ALERTS_JOB)
    audit_job = jobs.pop(AUDIT_JOB)
    assert audit_job.func is scheduler_mod.prune_audit and audit_job.trigger.interval == timedelta(days=1)
    sweep_job = jobs.pop(SWEEP_JOB)
    assert sweep_job.func is scheduler_mod.sweep
    assert sweep_job.trigger.interval == timedelta(seconds=60)  # the default lease of 120 s allows it
    for spec in specs:
        job = jobs[spec.name]
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == max(30, spec.every_seconds)
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=spec.every_seconds)
        assert job.func is run_job
        assert job.args == (ctx, spec)
        assert job.kwargs == {"cancel": cancel}  # the process's one shutdown event
    assert not sched.running


# --- embedded start -------------------------------------------------------------------------------


@pytest.fixture
def fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process that has not started anything yet; whatever starts is shut down afterwards."""
    monkeypatch.setattr(runtime, "_started", threading.Lock())
    monkeypatch.setattr(runtime, "_scheduler", None)
    monkeypatch.setattr(runtime, "_backfill_thread", None)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    yield
    if runtime._scheduler is not None and runtime._scheduler.running:
        runtime._scheduler.shutdown(wait=True)
    runtime.wait_for_backfill(120)  # nothing writes to the test's store once it is gone


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    real = getattr(module, name)
    calls: list[int] = []

    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _simulated_reports(ctx: Context) -> int:
    t = schema_feedback.feedback_reports
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t).where(t.c.source == "feedback-simulator")
                            ).scalar_one()


def test_start_embedded_twice_starts_one_scheduler_and_backfills_once(
        tmp_path: Path, fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
                                       "IOC_BACKFILL_DAYS": "30", "IOC_SIMULATOR_SEED": "5"}))
    builds = _counting(monkeypatch, scheduler_mod, "build_scheduler")
    backfills = _counting(monkeypatch, runtime, "backfill_source")

    runtime.start_embedded(ctx)
    first = runtime._scheduler
    runtime.start_embedded(ctx)
    assert runtime.wait_for_backfill(120)  # the whole history is written in the background

    simulators = runtime.simulator_sources(ctx)
    assert builds == [1]
    assert backfills == [1] * len(simulators)  # each default simulator (one per family), once
    assert runtime._scheduler is first
    assert first.running
    assert sorted(job.id for job in first.get_jobs()) == sorted([*(s.name for s in ctx.sources), ALERTS_JOB,
                                                                 SWEEP_JOB, AUDIT_JOB])
    assert all(job.kwargs == {"cancel": runtime._cancel} for job in first.get_jobs() if job.func is run_job)
    assert "feedback-simulator" in [job.id for job in first.get_jobs()]
    with ctx.engine.connect() as conn:
        feedback_run = conn.execute(select(schema.collector_runs).where(
            schema.collector_runs.c.source == "feedback-simulator").order_by(schema.collector_runs.c.id)).mappings().first()
        state = json.loads(get_meta(conn, PROGRESS_KEY))
    # the backfill is the source's first run (the live runs, which start at once, come after it)
    stored = feedback_run["inserted"]
    assert feedback_run["status"] == "ok" and _simulated_reports(ctx) >= stored
    # 31 local days at ≈ 26 reports a day (≈ 34 in the October–November flood season).
    assert 500 <= stored <= 1400
    # the four families an operator opens first were written first, then the others; all done
    assert state["first"] == state["sources"][:4] == [f"{f}-simulator" for f in ("feedback", "traffic", "environment",
                                                                                  "admin")]
    assert (state["finished"], state["percent"], state["done"]) == (True, 100, state["sources"])
    assert sorted(state["sources"]) == sorted(s.name for s in simulators)
    with ctx.engine.connect() as conn:
        oldest = conn.execute(select(func.min(schema_feedback.feedback_reports.c.received_at))).scalar_one()
    assert oldest >= utcnow() - timedelta(days=32)
    # the backfill is each simulator's first successful collection: the tiles are fresh at once
    backfill_runs = {h.name: h for h in runs.source_health(ctx.engine)}
    for spec in simulators:
        health = backfill_runs[spec.name]
        assert health.last_success_at is not None and health.last_success_at >= utcnow() - timedelta(minutes=5), spec


def test_a_restart_on_a_store_with_history_does_not_backfill_again(
        tmp_path: Path, fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}", "IOC_BACKFILL_DAYS": "10",
           "IOC_EMBEDDED_SCHEDULER": "0"}
    ctx = build_context(load_settings(env))
    backfills = _counting(monkeypatch, runtime, "backfill_source")
    runtime.start_embedded(ctx)
    assert runtime.wait_for_backfill(120)
    stored = _simulated_reports(ctx)
    assert stored > 0
    assert runtime._scheduler is None  # IOC_EMBEDDED_SCHEDULER=0

    monkeypatch.setattr(runtime, "_started", threading.Lock())  # a new process on the same store
    runtime.start_embedded(ctx)
    assert runtime.wait_for_backfill(120)

    assert backfills == [1] * len(runtime.simulator_sources(ctx))
    assert _simulated_reports(ctx) == stored


def test_the_reloader_parent_starts_nothing(tmp_path: Path, fresh_runtime: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
                                       "IOC_BACKFILL_DAYS": "10"}))
    builds = _counting(monkeypatch, scheduler_mod, "build_scheduler")
    backfills = _counting(monkeypatch, runtime, "backfill_source")
    monkeypatch.setenv("FLASK_DEBUG", "1")

    runtime.start_embedded(ctx)  # the reloader's watcher process

    assert (builds, backfills, runtime._scheduler) == ([], [], None)
    assert _simulated_reports(ctx) == 0

    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # the child that serves requests
    runtime.start_embedded(ctx)
    assert runtime.wait_for_backfill(120)

    assert (builds, backfills) == ([1], [1] * len(runtime.simulator_sources(ctx)))
    assert runtime._scheduler is not None and runtime._scheduler.running
