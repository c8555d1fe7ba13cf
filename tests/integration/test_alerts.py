"""Alerts on SQLite and PostgreSQL: episodes open, follow, close and re-open; re-evaluation is
idempotent; environment's own rows are left alone; acknowledgements; reading with names; the
surge rules against rows stored through each family's ingest; the query plans; and the
scheduler job, run once by two schedulers.

Every test taking ``engine`` or ``store_url`` runs on both dialects (tests/conftest.py).
Times are naive UTC; Huế is UTC+7.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

import ioc.alerts as alerts_mod
from ioc.alerts import (
    FAMILY,
    acknowledge,
    current_alerts,
    current_stage,
    evaluate,
    last_complete_hour,
    overdue_statements,
    recent_alerts,
)
from ioc.config import load_settings
from ioc.context import Context
from ioc.domain.air_quality import validate_observation
from ioc.domain.feedback import validate_report
from ioc.domain.traffic_records import validate_violation
from ioc.i18n_alerts import describe
from ioc.notify import LocalNotifier
from ioc.scheduler import ALERTS_JOB, build_scheduler, run_alerts_job
from ioc.sources import SourceSpec
from ioc.store import environment as env_store
from ioc.store import feedback as feedback_store
from ioc.store import runs, schema, schema_alerts
from ioc.store import traffic as traffic_store
from ioc.store.db import init_db, make_engine, utcnow
from ioc.store.schema_environment import alerts

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
SETTINGS = load_settings({})  # the documented thresholds
SRC = SourceSpec(name="hue-open311", type="open311", family="feedback", every_seconds=60, url="http://open311.test")


def rows(engine: Engine, kind: str | None = None) -> list[dict]:
    stmt = select(alerts).order_by(alerts.c.id)
    if kind:
        stmt = stmt.where(alerts.c.kind == kind)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def version(engine: Engine) -> int | None:
    v = schema.data_versions
    with engine.connect() as conn:
        return conn.execute(select(v.c.version).where(v.c.family == FAMILY)).scalar()


def run(engine: Engine, source: str, status: str, error: str | None = None) -> datetime:
    """One finished run of ``source`` (the runs module stamps the clock); returns its end."""
    run_id = runs.start_run(engine, source, "feedback")
    runs.finish_run(engine, run_id, status, {}, error)
    with engine.connect() as conn:
        return conn.execute(select(schema.collector_runs.c.finished_at)
                            .where(schema.collector_runs.c.id == run_id)).scalar_one()


def ev(engine: Engine, now: datetime, sources: tuple[str, ...] = (SRC.name,)) -> dict:
    return evaluate(engine, SETTINGS, now, sources=sources)


# --------------------------------------------------------------------------- sources


def test_source_failure_opens_follows_closes_and_reopens_as_a_new_episode(engine: Engine) -> None:
    runs.register_sources(engine, [SRC])
    run(engine, SRC.name, "ok")
    assert ev(engine, utcnow())["opened"] == 0
    assert rows(engine) == [] and version(engine) is None

    first_failure = run(engine, SRC.name, "failed", "ConnectError: [Errno 111] Connection refused")
    now = utcnow()
    assert ev(engine, now) == {"opened": 1, "updated": 0, "closed": 0, "active": 1, "version": 1,
                               "at": now.isoformat(timespec="seconds") + "Z"}
    [row] = rows(engine)
    assert (row["family"], row["kind"], row["key"], row["severity"], row["started_at"], row["ended_at"]) == (
        "feedback", "source_failed", "hue-open311", "warning", first_failure, None)
    assert row["details"] == '{"error": "ConnectError: [Errno 111] Connection refused", "failures": 1}'

    # Idempotent: nothing new, nothing written, no version bump.
    assert ev(engine, now + M) == {"opened": 0, "updated": 0, "closed": 0, "active": 1, "version": None,
                                   "at": (now + M).isoformat(timespec="seconds") + "Z"}
    assert rows(engine) == [row] and version(engine) == 1

    run(engine, SRC.name, "failed", "ConnectError: timeout")
    run(engine, SRC.name, "failed", "ConnectError: timeout")
    assert ev(engine, utcnow())["updated"] == 1
    [same] = rows(engine)
    assert (same["id"], same["severity"], same["started_at"]) == (row["id"], "high", first_failure)
    assert (current_alerts(engine)[0].details, version(engine)) == (
        {"error": "ConnectError: timeout", "failures": 3}, 2)

    recovered = run(engine, SRC.name, "ok")
    assert ev(engine, utcnow() + M)["closed"] == 1
    assert rows(engine)[0]["ended_at"] == recovered  # the successful run ended it
    assert current_alerts(engine) == [] and version(engine) == 3

    again = run(engine, SRC.name, "failed", "HTTP 502")
    ev(engine, utcnow())
    old, new = rows(engine)
    assert (old["ended_at"], new["ended_at"], new["started_at"], new["severity"]) == (recovered, None, again, "warning")
    assert new["id"] != old["id"]


def test_stale_source_at_five_cadences_and_never_succeeded_once_configured_that_long(engine: Engine) -> None:
    never = SourceSpec("dvc-portal", "json", "admin", 600, url="http://dvc.test")
    runs.register_sources(engine, [SRC, never])
    last_ok = run(engine, SRC.name, "ok")
    names = (SRC.name, never.name)
    t0 = last_ok + 299 * S  # the first evaluation: from then on "dvc-portal" counts as configured
    assert ev(engine, t0, names)["opened"] == 0  # just below 5 × 60 s
    assert ev(engine, last_ok + 300 * S, names)["opened"] == 1
    assert [(r["family"], r["kind"], r["key"], r["severity"], r["started_at"]) for r in rows(engine)] == [
        ("feedback", "source_stale", "hue-open311", "high", last_ok + 300 * S)]
    assert ev(engine, t0 + 2999 * S, names)["opened"] == 0
    assert ev(engine, t0 + 3000 * S, names)["opened"] == 1  # 5 × 600 s after it was first seen
    dvc = [r for r in rows(engine) if r["key"] == "dvc-portal"]
    assert [(r["family"], r["kind"], r["started_at"], r["details"]) for r in dvc] == [
        ("admin", "source_stale", t0 + 3000 * S, '{"last_success_at": null, "every_seconds": 600}')]
    assert [a.kind for a in current_alerts(engine)] == ["source_stale", "source_stale"]
    assert current_stage(engine).level == 2  # a broken feed mobilises, no more

    # Taken out of the configuration: its alerts end now.
    later = t0 + 3600 * S
    assert ev(engine, later, (SRC.name,))["closed"] == 1
    assert [r["ended_at"] for r in rows(engine) if r["key"] == "dvc-portal"] == [later]


# --------------------------------------------------------------------------- environment's rows


def _bad_air(engine: Engine) -> datetime:
    """Station S1 (Trạm Hương Sơ) with PM2.5 ≈ 100 µg/m³ for 6 hours: an aqi_bad episode (Xấu)."""
    t0 = datetime(2026, 3, 1, 17)
    obs = [validate_observation({"station_id": "S1", "parameter": "pm25", "hour": (t0 + i * H).isoformat(),
                                 "value": v, "unit": "ug/m3", "station_name": "Trạm Hương Sơ",
                                 "lat": 16.46, "lon": 107.59})
           for i, v in enumerate([99.0, 101.0] * 3)]
    now = t0 + 6 * H + 10 * M
    env_store.ingest(engine, "openaq", obs, HUE, now=now)
    return now


def test_environment_alerts_are_read_with_station_names_and_never_touched(engine: Engine) -> None:
    now = _bad_air(engine)
    before = rows(engine)
    assert [(r["family"], r["kind"], r["severity"], r["ended_at"]) for r in before] == [
        ("environment", "aqi_bad", "bad", None)]
    result = evaluate(engine, SETTINGS, now, sources=())
    assert (result["opened"], result["closed"], result["version"]) == (0, 0, None)
    assert rows(engine) == before
    [a] = current_alerts(engine)
    assert (a.family, a.kind, a.key, a.severity, a.rank, a.level, a.subject) == (
        "environment", "aqi_bad", "S1", "bad", 3, "high", "Trạm Hương Sơ")
    assert a.details["dominant"] == "pm25"
    assert describe(a, "vi") == f"Trạm Hương Sơ: AQI {a.details['peak_aqi']} (Xấu) – bụi PM2.5"
    assert 151 <= a.details["peak_aqi"] <= 200
    assert current_stage(engine).level == 3


# --------------------------------------------------------------------------- acknowledgement


def test_acknowledge_records_who_and_when_and_keeps_the_first(engine: Engine) -> None:
    runs.register_sources(engine, [SRC])
    run(engine, SRC.name, "failed", "boom")
    ev(engine, utcnow())
    alert_id = rows(engine)[0]["id"]
    when = datetime(2026, 3, 9, 2, 15, 30, 250000)

    acked = acknowledge(engine, alert_id, "  Nguyễn Thị Lan ", "đã gọi kỹ thuật", now=when)
    assert (acked.id, acked.acked_by, acked.acked_at, acked.ack_note) == (alert_id, "Nguyễn Thị Lan", when,
                                                                         "đã gọi kỹ thuật")
    assert version(engine) == 2  # opened (1), acknowledged (2)

    again = acknowledge(engine, alert_id, "Trần Văn Minh", now=when + H)
    assert (again.acked_by, again.acked_at, again.ack_note) == ("Nguyễn Thị Lan", when, "đã gọi kỹ thuật")
    assert version(engine) == 2

    # Still acknowledged after the episode moves on; acknowledged alerts still set the stage.
    run(engine, SRC.name, "failed", "boom again")
    ev(engine, utcnow())
    [a] = current_alerts(engine)
    assert (a.details["error"], a.acked_by, a.acked_at) == ("boom again", "Nguyễn Thị Lan", when)
    assert current_stage(engine).reasons == (a,)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema_alerts.alert_acks)).scalar_one() == 1


def test_a_deleted_alerts_id_is_never_given_again(engine: Engine) -> None:
    """The environment family deletes an alert whose episode vanished after a data correction;
    its acknowledgement stays behind (no foreign key). A new alert must not take the deleted one's
    id (SQLite reused the highest rowid) and so appear already acknowledged."""
    runs.register_sources(engine, [SRC])
    run(engine, SRC.name, "failed", "boom")
    ev(engine, utcnow())
    [old] = rows(engine)
    acknowledge(engine, old["id"], "Nguyễn Thị Lan", now=utcnow())
    with engine.begin() as conn:  # as ioc/store/environment_aqi.py does
        conn.execute(alerts.delete().where(alerts.c.id == old["id"]))

    ev(engine, utcnow())  # the source still fails: a new episode opens
    [new] = current_alerts(engine)
    assert new.id > old["id"]
    assert (new.acked_by, new.acked_at, new.ack_note) == (None, None, None)
    with engine.connect() as conn:  # the old acknowledgement is kept, unread
        assert conn.execute(select(schema_alerts.alert_acks.c.alert_id)).scalars().all() == [old["id"]]


@pytest.mark.parametrize(("alert_id", "who", "note", "message"), [
    (999_999, "Lan", None, "no alert with id 999999"),
    (None, "   ", None, "the name of who acknowledges is empty"),
    (None, "x" * 101, None, "the name of who acknowledges is 101 characters long (at most 100)"),
    (None, "Lan", "n" * 1001, "the note is 1001 characters long (at most 1000)"),
    ("7", "Lan", None, "alert id must be a whole number, not '7'"),
])
def test_acknowledge_refuses_bad_input_with_a_clear_message(engine: Engine, alert_id, who, note, message) -> None:
    runs.register_sources(engine, [SRC])
    run(engine, SRC.name, "failed", "boom")
    ev(engine, utcnow())
    with pytest.raises(ValueError) as err:
        acknowledge(engine, rows(engine)[0]["id"] if alert_id is None else alert_id, who, note)
    assert str(err.value) == message
    assert current_alerts(engine)[0].acked_by is None


# --------------------------------------------------------------------------- traffic surge


def violations(prefix: str, start: datetime, n: int, unit: str) -> list:
    """``n`` citizen-reported violations in ``unit`` spread over the hour from ``start`` (UTC)."""
    return [validate_violation({"external_id": f"{prefix}-{i}", "detected_at": (start + i * timedelta(seconds=50))
                                .isoformat() + "+00:00", "violation_type": "red_light", "vehicle_class": "motorbike",
                                "unit_code": unit}) for i in range(n)]


def test_violation_surge_city_and_commune_against_the_same_hour_last_week(engine: Engine) -> None:
    hour = datetime(2026, 3, 9, 1)  # 08:00–09:00 local, Monday
    week = hour - 7 * 24 * H
    batch = (violations("lw19753", week, 30, "19753") + violations("lw19942", week, 5, "19942")
             + violations("now19753", hour, 63, "19753") + violations("now19942", hour, 24, "19942"))
    traffic_store.ingest_records(engine, "cams", batch, HUE)
    now = hour + 70 * M  # 09:10 local
    assert last_complete_hour(now, HUE)[:2] == (datetime(2026, 3, 9).date(), 8)

    assert evaluate(engine, SETTINGS, now, sources=())["opened"] == 2
    got = {r["key"]: r for r in rows(engine, "violation_surge")}
    # 19753 (Phường Phú Xuân): 63 vs 30 → 2.1× and +33: high. 19942 (Xã Phú Vang): 24 vs 5 → +19 < 20: just below, no alert.
    # City: 87 vs 35 → 2.49× and +52: high.
    assert sorted(got) == ["19753", "city"]
    assert (got["19753"]["family"], got["19753"]["severity"], got["19753"]["started_at"]) == ("traffic", "high", hour)
    assert got["19753"]["details"] == ('{"count": 63, "last_week": 30, "ratio": 2.1, "hour": "2026-03-09 08:00", '
                                     '"hour_end_utc": "2026-03-09T02:00:00"}')
    assert '"count": 87, "last_week": 35' in got["city"]["details"]
    texts = {a.key: describe(a, "vi") for a in current_alerts(engine)}
    assert texts["19753"] == "Vi phạm giao thông tại Phường Phú Xuân tăng 2,1× so với cùng giờ tuần trước (63 / 30)"
    assert texts["city"] == "Vi phạm giao thông toàn thành phố tăng 2,5× so với cùng giờ tuần trước (87 / 35)"
    assert evaluate(engine, SETTINGS, now + 30 * M, sources=())["version"] is None  # same hour: unchanged

    # 09:00–10:00 is quiet: both end at the end of the last surging hour.
    assert evaluate(engine, SETTINGS, now + H, sources=())["closed"] == 2
    assert [r["ended_at"] for r in rows(engine, "violation_surge")] == [hour + H, hour + H]

    # A surge the next day is a new episode.
    next_day = hour + 24 * H
    traffic_store.ingest_records(engine, "cams", violations("nd19753", next_day, 40, "19753"), HUE)
    assert evaluate(engine, SETTINGS, next_day + 70 * M, sources=())["opened"] == 2
    assert [(r["key"], r["started_at"], r["ended_at"]) for r in rows(engine, "violation_surge")][2:] == [
        ("19753", next_day, None), ("city", next_day, None)]


# --------------------------------------------------------------------------- feedback surge


NOW = datetime(2026, 3, 10, 3, 30)  # last hour: due in [02:30, 03:30); baseline: due in [03-03 02:00, 03-10 02:00)
BASE_LO = datetime(2026, 3, 3, 2)


def report(external_id: str, due: datetime, status: str = "assigned", resolved: datetime | None = None,
           received: datetime | None = None) -> dict:
    received = received or due - timedelta(days=9)
    return {"external_id": external_id, "category_code": "lighting", "unit_code": "474", "channel": "hue_s",
            "status": status, "received_at": received.isoformat() + "+00:00", "due_at": due.isoformat() + "+00:00",
            "resolved_at": resolved.isoformat() + "+00:00" if resolved else None}


def put_reports(engine: Engine, raws: list[dict]) -> None:
    feedback_store.ingest(engine, "hue_s", feedback_store.records_frame([validate_report(r) for r in raws]), HUE)


def test_overdue_surge_against_the_seven_day_baseline(engine: Engine) -> None:
    baseline = [report(f"open-{k}", BASE_LO + k * 4 * H) for k in range(42)]  # still open, overdue
    baseline += [report(f"late-{k}", BASE_LO + k * 4 * H + H, "resolved", BASE_LO + k * 4 * H + 3 * H)
                 for k in range(42)]  # resolved 2 h after the deadline: they went overdue too
    baseline += [report(f"ontime-{k}", BASE_LO + k * 5 * H, "resolved", BASE_LO + k * 5 * H - H)
                 for k in range(30)]  # resolved before the deadline: never overdue
    outside = [report("before-window", BASE_LO - M), report("between-windows", datetime(2026, 3, 10, 2, 10)),
               report("not-yet-due", NOW)]
    current = [report(f"cur-{k}", datetime(2026, 3, 10, 2, 30) + k * 4 * M) for k in range(12)]
    current += [report("cur-resolved-late", datetime(2026, 3, 10, 2, 40), "resolved", datetime(2026, 3, 10, 3))]
    put_reports(engine, baseline + outside + current[:9])

    assert evaluate(engine, SETTINGS, NOW, sources=())["opened"] == 0  # 9 < the floor of 10
    put_reports(engine, current[9:])
    assert evaluate(engine, SETTINGS, NOW, sources=())["opened"] == 1  # 12 ≥ max(10, 3 × 84/168)
    [row] = rows(engine, "overdue_surge")
    assert (row["family"], row["key"], row["severity"], row["started_at"]) == ("feedback", "city", "warning", NOW)
    assert row["details"] == '{"count": 12, "baseline_per_hour": 0.5, "threshold": 10.0}'
    assert describe(current_alerts(engine)[0], "en") == \
        "12 reports went overdue in the last hour (7-day mean: 0.5/hour)"

    put_reports(engine, [report(f"more-{k}", datetime(2026, 3, 10, 3, 20) + k * 20 * timedelta(seconds=1))
                         for k in range(8)])
    assert evaluate(engine, SETTINGS, NOW, sources=())["updated"] == 1
    assert rows(engine, "overdue_surge")[0]["severity"] == "high"  # 20 ≥ 2 × 10

    assert evaluate(engine, SETTINGS, NOW + H, sources=())["closed"] == 1  # nothing fell due in the next hour
    assert rows(engine, "overdue_surge")[0]["ended_at"] == NOW + H


def test_overdue_counts_use_the_indexes(tmp_path) -> None:  # SQLite, no statistics, as on a fresh install
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    init_db(engine)
    plans = {}
    with engine.connect() as conn:
        for name, stmt in overdue_statements(NOW).items():
            sql = stmt.compile(engine, compile_kwargs={"literal_binds": True})
            plans[name] = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "COVERING INDEX ix_feedback_open" in plans["last_hour"], plans
    assert "COVERING INDEX ix_feedback_open" in plans["baseline_open"], plans
    assert "INDEX ix_feedback_received (received_at>? AND received_at<?)" in plans["baseline_closed"], plans


# --------------------------------------------------------------------------- reading


def test_current_is_worst_first_then_newest_and_recent_includes_ended(engine: Engine) -> None:
    runs.register_sources(engine, [SRC])
    run(engine, SRC.name, "failed", "boom")
    evaluate(engine, SETTINGS, utcnow(), sources=(SRC.name,))  # feedback, warning, started now
    _bad_air(engine)  # environment, high, started 2026-03-01 18:00
    hour = datetime(2026, 3, 9, 1)
    traffic_store.ingest_records(engine, "cams", violations("a", hour, 25, "19942"), HUE)  # from zero: high
    evaluate(engine, SETTINGS, hour + 70 * M, sources=(SRC.name,))
    got = [(a.family, a.kind, a.key, a.level) for a in current_alerts(engine)]
    assert got == [("traffic", "violation_surge", "city", "high"), ("traffic", "violation_surge", "19942", "high"),
                   ("environment", "aqi_bad", "S1", "high"), ("feedback", "source_failed", "hue-open311", "warning")]
    assert [a.subject for a in current_alerts(engine)] == [None, "Xã Phú Vang", "Trạm Hương Sơ", None]
    assert len(current_alerts(engine, limit=2)) == 2
    stage = current_stage(engine)
    assert (stage.level, {a.family for a in stage.reasons}) == (4, {"traffic", "environment"})

    evaluate(engine, SETTINGS, hour + 130 * M, sources=(SRC.name,))  # the traffic surge ends at 02:00
    assert [a.key for a in current_alerts(engine)] == ["S1", "hue-open311"]
    history = recent_alerts(engine, hour, family="traffic")
    assert [(a.key, a.ended_at) for a in history] == [("city", hour + H), ("19942", hour + H)]  # newest first
    assert recent_alerts(engine, hour + 2 * H, family="traffic") == []  # ended before `since`
    assert [a.kind for a in recent_alerts(engine, datetime(2026, 3, 1), until=datetime(2026, 3, 2))] == ["aqi_bad"]
    # At a past moment, what was active then.
    assert [a.key for a in current_alerts(engine, now=hour + 30 * M) if a.family == "traffic"] == ["city", "19942"]


# --------------------------------------------------------------------------- scheduler


def a_scheduler(url: str) -> Context:
    engine = make_engine(url)
    init_db(engine)
    return Context(settings=load_settings({"IOC_DATABASE_URL": url}), engine=engine,
                   notifier=LocalNotifier(engine), sources=())


def test_two_schedulers_run_the_alerts_job_once(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    contexts = [a_scheduler(store_url) for _ in range(2)]
    calls: list[int] = []
    real = alerts_mod.evaluate

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(alerts_mod, "evaluate", counting)
    start = threading.Barrier(8)
    results: list[str] = []

    def tick(ctx: Context) -> None:
        start.wait()
        results.append(run_alerts_job(ctx))

    threads = [threading.Thread(target=tick, args=(contexts[i % 2],)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["locked"] * 7 + ["ok"]
        assert calls == [1]
        assert run_alerts_job(contexts[1]) == "locked"  # within the same minute: not again
        with contexts[0].engine.connect() as conn:
            lock = conn.execute(select(schema.job_locks).where(schema.job_locks.c.name == ALERTS_JOB)).mappings().one()
        assert lock["locked_until"] is None  # released
    finally:
        for ctx in contexts:
            ctx.engine.dispose()


def test_a_failing_evaluation_is_logged_and_releases_the_lock(store_url: str, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    ctx = a_scheduler(store_url)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("rule bug")

    monkeypatch.setattr(alerts_mod, "evaluate", broken)
    try:
        assert run_alerts_job(ctx) == "failed"
        assert "alerts evaluation failed" in caplog.text and "rule bug" in caplog.text
        with ctx.engine.connect() as conn:
            lock = conn.execute(select(schema.job_locks).where(schema.job_locks.c.name == ALERTS_JOB)).mappings().one()
        assert lock["locked_until"] is None
    finally:
        ctx.engine.dispose()


def test_the_scheduler_holds_the_alerts_job_unless_switched_off(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    ctx = a_scheduler(url)
    job = build_scheduler(ctx).get_job(ALERTS_JOB)
    assert (job.func, job.args, job.trigger.interval, job.misfire_grace_time, job.max_instances) == (
        run_alerts_job, (ctx,), timedelta(seconds=60), 60, 1)
    off = Context(settings=load_settings({"IOC_DATABASE_URL": url, "IOC_ALERTS_EVERY_SECONDS": "0"}),
                  engine=ctx.engine, notifier=ctx.notifier, sources=())
    assert build_scheduler(off).get_job(ALERTS_JOB) is None
    ctx.engine.dispose()


# --------------------------------------------------------------------------- CLI


def test_cli_lists_acknowledges_and_refuses_bad_input(tmp_path) -> None:
    db = tmp_path / "cli.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    _bad_air(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")} | {"IOC_DATABASE_URL": f"sqlite:///{db}"}

    def ioc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ioc", "alerts", *args], cwd=Path(__file__).resolve().parents[2],
                              env=env, capture_output=True, text=True, timeout=120)

    listed = ioc("--json", "--lang", "en")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    [alert] = data["alerts"]
    assert data["stage"] == {"level": 3, "code": "attention", "name": "Attention", "colour": "#F57C00",
                             "reasons": [alert["id"]]}
    assert (alert["kind"], alert["level"], alert["started_at"], alert["ended_at"]) == (
        "aqi_bad", "high", "2026-03-01T18:00:00Z", None)
    assert alert["text"].startswith("Trạm Hương Sơ: AQI ") and alert["text"].endswith(" (Bad) – PM2.5 dust")

    text = ioc("--lang", "vi")
    assert text.returncode == 0 and text.stdout.splitlines()[0] == "Cấp 3 · Chú ý (attention, #F57C00) set by #1"

    first = ioc("ack", str(alert["id"]), "--by", "Nguyễn Thị Lan", "--note", "đã báo Sở TN&MT")
    assert first.returncode == 0 and first.stdout.startswith(f"alert {alert['id']} acknowledged by Nguyễn Thị Lan at ")
    second = ioc("ack", str(alert["id"]), "--by", "Trần Văn Minh")
    assert second.returncode == 0
    assert f"alert {alert['id']} was already acknowledged by Nguyễn Thị Lan at " in second.stdout
    history = json.loads(ioc("--all", "--since", "2026-03-01", "--json").stdout)["alerts"]
    assert [(a["id"], a["acked_by"], a["ack_note"]) for a in history] == [(alert["id"], "Nguyễn Thị Lan",
                                                                           "đã báo Sở TN&MT")]

    for args, message in ((("ack", "999", "--by", "Lan"), "error: no alert with id 999"),
                          (("ack", "1", "--by", "   "), "error: the name of who acknowledges is empty"),
                          (("--since", "2026-03-01"), "error: --since goes with --all (the history, ended alerts "
                                                      "included)")):
        bad = ioc(*args)
        assert (bad.returncode, bad.stderr.strip()) == (2, message)
    unparsable = ioc("ack", "abc", "--by", "Lan")
    assert unparsable.returncode == 2 and "invalid int value: 'abc'" in unparsable.stderr
    assert ioc("ack", "1").returncode == 2  # --by is required
