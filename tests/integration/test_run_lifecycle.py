"""A collector run's life in the scheduler (issue #13): its heartbeat, the job lock's short lease
renewed by it, orphaned runs marked failed (at start and by the periodic sweep), and SIGTERM /
SIGINT stopping ``python -m ioc scheduler`` with its running fetch cancelled.

Heartbeat and lease are made small through the settings (``IOC_RUN_HEARTBEAT_SECONDS``,
``IOC_RUN_LEASE_SECONDS``); waits poll the store until a condition holds, with a generous bound.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

import ioc.scheduler as scheduler_mod
from ioc import cli, registry
from ioc.collect import STOPPED_REASON, backoff_until, run_source
from ioc.config import load_settings, settings
from ioc.context import Context
from ioc.heartbeat import Heartbeat
from ioc.notify import LocalNotifier
from ioc.scheduler import AUDIT_JOB, SWEEP_JOB, build_scheduler, release_orphaned_locks, run_job, try_lock
from ioc.sources import SourceSpec
from ioc.store import runs, schema
from ioc.store.db import utcnow
from tests.integration.blocking_collector import TYPE, with_blocking

ROOT = Path(__file__).resolve().parents[2]
RUNS = schema.collector_runs
LOCKS = schema.job_locks
BEAT_S, LEASE_S = 0.1, 1.0  # small, so that lapses take a second, not minutes
WAIT_S = 30.0  # bound of every poll (never reached when things work)


@pytest.fixture(autouse=True)
def blocking_type() -> Iterator[None]:
    with registry.use(with_blocking(registry.registry())):
        yield


def spec_of(name: str = "slow", every: int = 3600, **options: object) -> SourceSpec:
    return SourceSpec(name=name, type=TYPE, family="feedback", every_seconds=every, options=options)


def context_on(engine: Engine, *specs: SourceSpec, **env: str) -> Context:
    """One scheduler process's handles on ``engine``, with the small heartbeat and lease."""
    cfg = load_settings({"IOC_DATABASE_URL": str(engine.url), "IOC_RUN_HEARTBEAT_SECONDS": str(BEAT_S),
                         "IOC_RUN_LEASE_SECONDS": str(LEASE_S), "IOC_ALERTS_EVERY_SECONDS": "0", **env})
    runs.register_sources(engine, list(specs))
    return Context(settings=cfg, engine=engine, notifier=LocalNotifier(engine), sources=specs)


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_S) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"not within {timeout:g} s: {what}")


def run_rows(engine: Engine, source: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(RUNS).where(RUNS.c.source == source).order_by(RUNS.c.id))
                .mappings()]


def lock_row(engine: Engine, name: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(LOCKS).where(LOCKS.c.name == name)).mappings().one())


def running_row(engine: Engine, source: str) -> dict | None:
    return next((r for r in run_rows(engine, source) if r["status"] == "running"), None)


def add_run(engine: Engine, source: str, status: str, started_at: datetime, heartbeat_at: datetime | None,
            error: str | None = None) -> int:
    finished = None if status == "running" else started_at + timedelta(seconds=1)
    with engine.begin() as conn:
        return int(conn.execute(insert(RUNS).values(
            source=source, family="feedback", started_at=started_at, heartbeat_at=heartbeat_at, status=status,
            finished_at=finished, error=error)).inserted_primary_key[0])


def health_of(engine: Engine, source: str) -> runs.SourceHealth:
    return {h.name: h for h in runs.source_health(engine)}[source]


# --- heartbeat and lease ----------------------------------------------------------------------


def test_a_long_run_beats_and_keeps_its_lock_past_the_lease_until_stopped(engine: Engine) -> None:
    spec = spec_of()
    ctx = context_on(engine, spec)
    cancel = threading.Event()
    result: list[str] = []
    job = threading.Thread(target=lambda: result.append(run_job(ctx, spec, cancel=cancel)))
    job.start()
    try:
        first = wait_until(lambda: running_row(engine, spec.name), "the run started")
        lease_taken = lock_row(engine, "source:slow")["locked_until"]
        assert lock_row(engine, "source:slow")["holder"] == scheduler_mod.HOLDER
        assert first["heartbeat_at"] >= first["started_at"]

        # Well past the lease it was taken with, the run still beats and the lock is still held.
        wait_until(lambda: utcnow() > lease_taken + timedelta(seconds=LEASE_S), "past the first lease")
        now_row = running_row(engine, spec.name)
        assert now_row is not None and now_row["id"] == first["id"]
        assert now_row["heartbeat_at"] > first["heartbeat_at"]
        assert lock_row(engine, "source:slow")["locked_until"] > lease_taken  # renewed
        assert not try_lock(engine, "source:slow", timedelta(seconds=LEASE_S), timedelta(0), holder="other:1:x")
        assert runs.mark_orphaned_runs(engine, timedelta(seconds=LEASE_S)) == []  # alive, not orphaned
    finally:
        cancel.set()
        job.join(WAIT_S)
    assert result == ["stopped"]
    (row,) = run_rows(engine, spec.name)
    assert row["status"] == "stopped" and STOPPED_REASON in row["error"] and row["finished_at"] is not None
    lock = lock_row(engine, "source:slow")
    assert lock["locked_until"] is None  # released
    assert lock["last_run_at"] is None  # the stopped run does not count: due again at once


def test_a_dead_holders_lock_on_another_host_is_taken_over_once_its_lease_lapses(engine: Engine) -> None:
    """A daily source whose scheduler died mid-run on another host: its lock is free a lease
    later (not ten days), and the source runs again then, though a day has not passed."""
    spec = spec_of("daily", every=86400, block=False)
    ctx = context_on(engine, spec)
    dead = "other-host:4242:deadbeef"
    assert try_lock(engine, "source:daily", timedelta(seconds=LEASE_S), timedelta(days=1), holder=dead)
    dead_run = runs.start_run(engine, "daily", "feedback")  # it never beats again

    assert run_job(ctx, spec) == "locked"
    assert release_orphaned_locks(engine) == []  # not this host's process: only the lease frees it

    wait_until(lambda: utcnow() > lock_row(engine, "source:daily")["locked_until"], "the dead holder's lease lapsed")
    assert run_job(ctx, spec) == "ok"
    assert lock_row(engine, "source:daily")["locked_until"] is None
    assert run_job(ctx, spec) == "locked"  # and now the due rule holds: not again within the day

    assert runs.mark_orphaned_runs(engine, timedelta(seconds=LEASE_S)) == [dead_run]
    orphan, ours = run_rows(engine, "daily")
    assert orphan["status"] == "failed"
    assert orphan["error"].startswith("orphaned: the scheduler running it stopped (no heartbeat since ")
    assert ours["status"] == "ok"


def test_the_alerts_job_keeps_its_lock_while_it_runs(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = context_on(engine, spec_of(), IOC_ALERTS_EVERY_SECONDS="60")
    release = threading.Event()
    renewals: list[datetime] = []

    def slow_evaluate(*_args: object, **_kwargs: object) -> dict:
        first = lock_row(engine, scheduler_mod.ALERTS_JOB)["locked_until"]
        wait_until(lambda: lock_row(engine, scheduler_mod.ALERTS_JOB)["locked_until"] > first, "a renewal")
        renewals.append(lock_row(engine, scheduler_mod.ALERTS_JOB)["locked_until"])
        release.set()
        return {"version": None}

    monkeypatch.setattr("ioc.alerts.evaluate", slow_evaluate)
    assert scheduler_mod.run_alerts_job(ctx) == "ok"
    assert release.is_set() and len(renewals) == 1
    assert lock_row(engine, scheduler_mod.ALERTS_JOB)["locked_until"] is None


# --- orphaned runs ----------------------------------------------------------------------------


def test_orphaned_runs_are_marked_failed_at_scheduler_start_and_shown_failed(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = spec_of("killed")
    ctx = context_on(engine, spec, IOC_RUN_HEARTBEAT_SECONDS="15", IOC_RUN_LEASE_SECONDS="120")
    now = utcnow()
    add_run(engine, "killed", "ok", now - timedelta(hours=2), now - timedelta(hours=2))
    beat_lapsed = add_run(engine, "killed", "running", now - timedelta(minutes=30), now - timedelta(minutes=10))
    never_beat = add_run(engine, "killed", "running", now - timedelta(minutes=10), None)  # before 0003
    alive = add_run(engine, "killed", "running", now - timedelta(minutes=30), now - timedelta(seconds=20))

    build_scheduler(ctx)  # not started: building it sweeps

    rows = {r["id"]: r for r in run_rows(engine, "killed")}
    assert rows[beat_lapsed]["status"] == "failed"
    since = (now - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
    assert rows[beat_lapsed]["error"] == f"orphaned: the scheduler running it stopped (no heartbeat since {since} UTC)"
    assert rows[never_beat]["status"] == "failed"
    assert f"(no heartbeat since {(now - timedelta(minutes=10)):%Y-%m-%d %H:%M:%S} UTC)" in rows[never_beat]["error"]
    assert rows[alive]["status"] == "running" and rows[alive]["finished_at"] is None
    health = health_of(engine, "killed")
    assert (health.last_status, health.consecutive_failures) == ("failed", 2)
    assert health.last_error.startswith("orphaned: ")

    # ``python -m ioc sources`` says so too.
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "killed"\ntype = "{TYPE}"\nfamily = "feedback"\nevery_seconds = 3600\n')
    from ioc.context import context

    monkeypatch.setenv("IOC_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("IOC_SOURCES", str(sources))
    settings.cache_clear()
    context.cache_clear()
    try:
        capsys.readouterr()
        assert cli.main(["sources", "--json"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
    finally:
        settings.cache_clear()
        context.cache_clear()
    assert (row["name"], row["status"], row["consecutive_failures"]) == ("killed", "failed", 2)
    assert row["error"].startswith("orphaned: the scheduler running it stopped")


def test_the_periodic_sweep_marks_a_run_whose_heartbeat_stops(engine: Engine) -> None:
    ctx = context_on(engine)  # no source: the sweep alone (and no alerts job)
    sched = build_scheduler(ctx)
    assert {job.id for job in sched.get_jobs()} == {SWEEP_JOB, AUDIT_JOB}  # the daily audit retention too
    assert sched.get_job(SWEEP_JOB).trigger.interval == timedelta(seconds=LEASE_S / 2)
    sched.start()
    try:
        runs.register_sources(engine, [spec_of("a"), spec_of("b")])
        silent = runs.start_run(engine, "a", "feedback")  # its process "dies": it never beats
        beating = runs.start_run(engine, "b", "feedback")
        with Heartbeat(BEAT_S, [lambda: runs.beat_run(engine, beating)]):
            wait_until(lambda: run_rows(engine, "a")[0]["status"] == "failed", "the sweep marked the silent run")
            assert run_rows(engine, "b")[0]["status"] == "running"  # swept past, several times
    finally:
        sched.shutdown(wait=True)
    (row,) = run_rows(engine, "a")
    assert row["id"] == silent and row["error"].startswith("orphaned: the scheduler running it stopped")
    assert run_rows(engine, "b")[0]["status"] == "running"


# --- a run stopped by the shutdown ------------------------------------------------------------


@pytest.mark.parametrize("on_cancel", ["raise", "reset"])
def test_a_stopped_run_is_no_verdict_on_the_source(engine: Engine, on_cancel: str) -> None:
    """The shutdown's RunStopped, or whatever error a collector reports once cancelled, makes the
    run ``stopped``: source health and the failure backoff look past it."""
    spec = spec_of("flaky", every=60, on_cancel=on_cancel)
    ctx = context_on(engine, spec)
    now = utcnow()
    for minutes in (5, 3):
        add_run(engine, "flaky", "failed", now - timedelta(minutes=minutes), now - timedelta(minutes=minutes),
                error="HTTP 503")
    before = health_of(engine, "flaky")
    assert (before.last_status, before.consecutive_failures) == ("failed", 2)

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    outcome = run_source(ctx, spec, cancel=cancel)

    assert outcome.status == "stopped"
    assert outcome.error == {"raise": f"source 'flaky': {STOPPED_REASON}",
                             "reset": f"{STOPPED_REASON} (source 'flaky': connection reset by peer)"}[on_cancel]
    row = run_rows(engine, "flaky")[-1]
    assert (row["status"], row["error"]) == ("stopped", outcome.error)
    after = health_of(engine, "flaky")
    assert after == before
    assert backoff_until(after) == backoff_until(before)


def test_a_run_that_ends_well_after_the_cancel_is_ok(engine: Engine) -> None:
    spec = spec_of("quick", block=False)
    cancel = threading.Event()
    cancel.set()  # set, but the collector never checks it: it finished its work
    assert run_source(context_on(engine, spec), spec, cancel=cancel).status == "ok"
    assert health_of(engine, "quick").last_status == "ok"


def test_a_job_does_not_start_once_the_scheduler_is_stopping(engine: Engine) -> None:
    spec = spec_of()
    cancel = threading.Event()
    cancel.set()
    assert run_job(context_on(engine, spec), spec, cancel=cancel) == "stopped"
    assert run_rows(engine, "slow") == []


# --- the real command -------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_scheduler_process_and_its_running_fetch(
        engine: Engine, store_url: str, tmp_path: Path, sig: signal.Signals) -> None:
    """``python -m ioc scheduler`` mid-run: the signal cancels the fetch, the run is recorded as
    stopped, the lock released, and the process exits (well within 30 s)."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    # Python imports ``sitecustomize`` at start-up: the blocking type joins the real registry
    # before ``-m ioc`` runs.
    (plugin / "sitecustomize.py").write_text("from tests.integration.blocking_collector import install\n\ninstall()\n")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "slow"\ntype = "{TYPE}"\nfamily = "feedback"\nevery_seconds = 3600\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": store_url, "IOC_SOURCES": str(sources), "IOC_ALERTS_EVERY_SECONDS": "0",
                "IOC_RUN_HEARTBEAT_SECONDS": "0.2", "IOC_RUN_LEASE_SECONDS": "2",
                "IOC_RUN_DEADLINE_SECONDS": "600",  # only the signal ends this run
                "PYTHONPATH": os.pathsep.join([str(plugin), str(ROOT)])})
    log = tmp_path / "scheduler.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ioc", "scheduler"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        started = wait_until(lambda: running_row(engine, "slow"), "the scheduler started the run")
        wait_until(lambda: (r := running_row(engine, "slow")) and r["heartbeat_at"] > started["heartbeat_at"],
                   "the run's heartbeat advanced")
        assert lock_row(engine, "source:slow")["locked_until"] is not None
        assert proc.poll() is None

        proc.send_signal(sig)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert code == 0, output
    assert f"scheduler: {sig.name}: stopping the running collectors" in output
    assert output.rstrip().endswith("scheduler: stopped"), output
    (row,) = run_rows(engine, "slow")
    assert row["status"] == "stopped", row
    assert STOPPED_REASON in row["error"] and row["finished_at"] is not None
    lock = lock_row(engine, "source:slow")
    assert (lock["locked_until"], lock["last_run_at"]) == (None, None)  # given back, due at once


def test_a_collector_that_never_checks_its_budget_is_stopped_between_batches(engine: Engine) -> None:
    """A simulator-like collector (busy, no HTTP) is stopped by the runner at its next batch."""
    spec = spec_of("busy", mode="batches")
    ctx = context_on(engine, spec)
    cancel = threading.Event()
    result: list[str] = []
    job = threading.Thread(target=lambda: result.append(run_job(ctx, spec, cancel=cancel)))
    job.start()
    try:
        wait_until(lambda: running_row(engine, spec.name), "the run started")
    finally:
        cancel.set()
        job.join(WAIT_S)
    assert not job.is_alive() and result == ["stopped"]
    (row,) = run_rows(engine, spec.name)
    assert (row["status"], row["error"]) == ("stopped", "run stopped: the scheduler is shutting down")
