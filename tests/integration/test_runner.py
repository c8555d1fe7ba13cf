"""The collector runner (ioc.collect): run records, failures, backoff and watermarks.

A small fake collector is registered by monkeypatching ``collectors``; what it does is
set per source through its options, so one store can hold a healthy and a broken source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from ioc import registry
from ioc.collect import MAX_BACKOFF, backoff_until, run_if_due, run_source
from ioc.config import load_settings
from ioc.context import Context
from ioc.domain.feedback import validate_report
from ioc.notify import LocalNotifier, db_versions
from ioc.sources import Batch, Collector, Reject, SourceError, SourceSpec
from ioc.store import runs, schema, schema_feedback
from ioc.store.db import utcnow

RUNS = schema.collector_runs
REPORTS = schema_feedback.feedback_reports


class FakeCollector(Collector):
    """Options: ``ids`` (reports to emit), ``watermark``, ``fail`` ('source' | 'crash'),
    ``fail_after_batch`` (yield the records first, then fail)."""

    type = "fake"
    family = "feedback"
    calls: list[tuple[str, str | None]] = []

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        FakeCollector.calls.append((self.spec.name, watermark))
        fail = self.spec.option("fail")
        if fail and not self.spec.option("fail_after_batch"):
            _raise(fail)
        records = [validate_report({"external_id": i, "status": "received", "received_at": "2025-03-03T08:00:00+07:00",
                                    "channel": "hue_s", "unit_code": "474", "category_code": "lighting"})
                   for i in self.spec.option("ids", [])]
        rejects = [Reject(location=f"item {k}", reason="external_id: missing", raw={"status": "received"})
                   for k in range(self.spec.option("rejects", 0))]
        yield Batch(records=records, rejects=rejects, fetched=len(records) + len(rejects),
                    watermark=self.spec.option("watermark"))
        if fail:
            _raise(fail)


def _raise(kind: str) -> None:
    if kind == "source":
        raise SourceError("http://open311.test/requests.json: HTTP 503")
    raise KeyError("service_request_id")


@pytest.fixture(autouse=True)
def fake_type() -> Iterator[None]:
    """The registry with one more collector type, for this test only."""
    real = registry.registry()
    FakeCollector.calls = []
    with registry.use(replace(real, generic_collectors=(*real.generic_collectors, FakeCollector))):
        yield


@pytest.fixture
def ctx(store_url: str, engine: Engine) -> Context:
    return Context(settings=load_settings({"IOC_DATABASE_URL": store_url}), engine=engine,
                   notifier=LocalNotifier(engine, refresh_s=0), sources=())


def spec(name: str = "fake-src", every: int = 60, **options: object) -> SourceSpec:
    return SourceSpec(name=name, type="fake", family="feedback", every_seconds=every, options=dict(options))


def run_rows(engine: Engine, source: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(RUNS).where(RUNS.c.source == source).order_by(RUNS.c.id))
                .mappings()]


def stored_ids(engine: Engine, source: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(REPORTS.c.external_id).where(REPORTS.c.source == source)).scalars())


def test_a_successful_run_is_recorded_with_its_counts(ctx: Context) -> None:
    outcome = run_source(ctx, spec(ids=["A1", "A2", "A3"], rejects=1, watermark="w1"))

    assert (outcome.status, outcome.error) == ("ok", None)
    assert outcome.counts == {"fetched": 4, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    [row] = run_rows(ctx.engine, "fake-src")
    assert row["id"] == outcome.run_id
    assert (row["status"], row["family"], row["error"]) == ("ok", "feedback", None)
    assert (row["fetched"], row["inserted"], row["updated"], row["unchanged"], row["rejected"]) == (4, 3, 0, 0, 1)
    assert row["started_at"] <= row["finished_at"]
    assert stored_ids(ctx.engine, "fake-src") == {"A1", "A2", "A3"}
    [quarantined] = runs.quarantined(ctx.engine, "fake-src")
    assert (quarantined["run_id"], quarantined["location"], quarantined["reason"]) == (
        outcome.run_id, "item 0", "external_id: missing")
    assert ctx.notifier.versions()["feedback"] == db_versions(ctx.engine)["feedback"] == 1

    again = run_source(ctx, spec(ids=["A1", "A2", "A3"], watermark="w1"))

    assert again.counts == {"fetched": 3, "inserted": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert db_versions(ctx.engine)["feedback"] == 1  # nothing changed, no new version
    assert len(run_rows(ctx.engine, "fake-src")) == 2


def test_a_source_error_fails_the_run_stores_nothing_and_keeps_earlier_data(ctx: Context) -> None:
    run_source(ctx, spec(ids=["A1", "A2"], watermark="w1"))

    outcome = run_source(ctx, spec(ids=["B1"], fail="source"))

    assert outcome.status == "failed"
    assert outcome.error == "http://open311.test/requests.json: HTTP 503"
    assert outcome.counts["inserted"] == 0 and outcome.counts["fetched"] == 0
    last = run_rows(ctx.engine, "fake-src")[-1]
    assert (last["status"], last["error"], last["inserted"]) == ("failed", outcome.error, 0)
    assert last["finished_at"] is not None
    assert stored_ids(ctx.engine, "fake-src") == {"A1", "A2"}
    assert runs.get_watermark(ctx.engine, "fake-src") == "w1"


def test_a_crashing_collector_is_recorded_as_failed_not_raised(ctx: Context) -> None:
    outcome = run_source(ctx, spec(ids=["A1"], fail="crash"))

    assert outcome.status == "failed"
    assert outcome.error == "KeyError: 'service_request_id'"
    [row] = run_rows(ctx.engine, "fake-src")
    assert (row["status"], row["error"]) == ("failed", "KeyError: 'service_request_id'")
    assert stored_ids(ctx.engine, "fake-src") == set()


def test_watermark_advances_only_to_what_was_handed_on(ctx: Context) -> None:
    run_source(ctx, spec(ids=["A1"], watermark="w1"))
    assert runs.get_watermark(ctx.engine, "fake-src") == "w1"

    # The batch is stored (a record stored stays stored) but the run failed after it without
    # handing on a watermark, so the next pull must start again from w1.
    failed = run_source(ctx, spec(ids=["A2"], fail="source", fail_after_batch=True))
    assert failed.status == "failed"
    assert failed.counts["inserted"] == 1
    assert runs.get_watermark(ctx.engine, "fake-src") == "w1"
    assert stored_ids(ctx.engine, "fake-src") == {"A1", "A2"}

    # A watermark handed on with a batch is a checkpoint (everything before it is stored): a
    # failure after it (the run's budget, say) keeps it, so the source still moves on.
    failed = run_source(ctx, spec(ids=["A3"], watermark="w2", fail="source", fail_after_batch=True))
    assert failed.status == "failed"
    assert runs.get_watermark(ctx.engine, "fake-src") == "w2"

    run_source(ctx, spec(ids=["A4"], watermark="w3"))
    assert runs.get_watermark(ctx.engine, "fake-src") == "w3"
    assert [w for _, w in FakeCollector.calls] == [None, "w1", "w1", "w2"]
    assert stored_ids(ctx.engine, "fake-src") == {"A1", "A2", "A3", "A4"}


def test_a_run_without_a_new_watermark_keeps_the_old_one(ctx: Context) -> None:
    run_source(ctx, spec(ids=["A1"], watermark="w1"))
    run_source(ctx, spec(ids=["A2"], watermark=None))

    assert runs.get_watermark(ctx.engine, "fake-src") == "w1"


# --- backoff --------------------------------------------------------------------------------------


def health(failures: int, every: int = 60, last: datetime | None = datetime(2025, 3, 3, 1, 0)) -> runs.SourceHealth:
    return runs.SourceHealth(name="s", type="fake", family="feedback", every_seconds=every, last_run_at=last,
                             last_status="failed" if failures else "ok", last_error=None, last_success_at=None,
                             consecutive_failures=failures, last_counts={})


@pytest.mark.parametrize(
    ("failures", "every", "wait"),
    [
        (1, 60, timedelta(seconds=120)),
        (2, 60, timedelta(seconds=240)),
        (3, 60, timedelta(seconds=480)),
        (5, 60, timedelta(seconds=1920)),
        (6, 60, timedelta(hours=1)),  # 3840 s, capped
        (50, 60, timedelta(hours=1)),
        (1, 5, timedelta(seconds=10)),
        (1, 86400, timedelta(hours=1)),
    ],
)
def test_backoff_doubles_per_consecutive_failure_capped_at_an_hour(failures: int, every: int,
                                                                   wait: timedelta) -> None:
    h = health(failures, every)

    assert backoff_until(h) == h.last_run_at + wait
    assert MAX_BACKOFF == timedelta(hours=1)


def test_no_backoff_without_failures_or_runs() -> None:
    assert backoff_until(health(0)) is None
    assert backoff_until(health(2, last=None)) is None


def _register(ctx: Context, s: SourceSpec) -> None:
    runs.register_sources(ctx.engine, [s])


def _health(ctx: Context, name: str) -> runs.SourceHealth:
    return {h.name: h for h in runs.source_health(ctx.engine)}[name]


def test_consecutive_failures_are_counted_from_the_latest_run(ctx: Context) -> None:
    s = spec(every=60)
    _register(ctx, s)
    run_source(ctx, spec(ids=["A1"]))
    for _ in range(3):
        run_source(ctx, spec(fail="source"))

    h = _health(ctx, "fake-src")
    assert h.consecutive_failures == 3
    assert h.last_status == "failed"
    assert backoff_until(h) == h.last_run_at + timedelta(seconds=480)

    run_source(ctx, spec(ids=["A1"]))
    assert _health(ctx, "fake-src").consecutive_failures == 0


def test_run_if_due_skips_while_backing_off_then_runs(ctx: Context) -> None:
    failing = spec(every=60, fail="source")
    _register(ctx, failing)
    assert run_if_due(ctx, failing).status == "failed"

    skipped = run_if_due(ctx, spec(every=60, ids=["A1"]))

    assert skipped.status == "skipped"
    assert skipped.run_id is None
    assert "backing off until" in skipped.error
    assert len(run_rows(ctx.engine, "fake-src")) == 1
    assert len(FakeCollector.calls) == 1  # the collector was not even asked

    # Ten minutes later (the failure moved into the past) the 2-minute backoff is over.
    with ctx.engine.begin() as conn:
        conn.execute(update(RUNS).values(started_at=utcnow() - timedelta(minutes=10),
                                         finished_at=utcnow() - timedelta(minutes=10)))
    ran = run_if_due(ctx, spec(every=60, ids=["A1"]))

    assert ran.status == "ok"
    assert stored_ids(ctx.engine, "fake-src") == {"A1"}
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RUNS)).scalar_one() == 2


def test_one_source_backing_off_does_not_hold_back_another(ctx: Context) -> None:
    broken, healthy = spec("broken", fail="crash"), spec("healthy", ids=["H1"])
    _register(ctx, broken)
    _register(ctx, healthy)
    run_if_due(ctx, broken)

    assert run_if_due(ctx, broken).status == "skipped"
    assert run_if_due(ctx, healthy).status == "ok"
    assert stored_ids(ctx.engine, "healthy") == {"H1"}
