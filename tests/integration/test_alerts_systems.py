"""Alert rules of spec-declared systems (``[[alerts]]``, kind ``spec_rule``) on SQLite and
PostgreSQL: a threshold and a surge over the last complete local hour or day fire at their
value and not just below it, a surge from zero last week follows ``min_count``, episodes close
at the end of the last window that held, the ticker's line in both languages, and the query
plan through ``ix_system_events_time``.

The spec is tests/data/systems/lights.toml (its rule ``dark_surge``: surge, hour, fault dark,
factor 2, min_count 10) with two rules added for the test. Times are naive UTC; Huế is UTC+7.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from families.systems import family_of
from ioc import registry
from ioc.alerts import Alert, current_alerts, evaluate, spec_window_statement, spec_windows
from ioc.config import load_settings
from ioc.domain import alert_rules as rules
from ioc.i18n_alerts import describe
from ioc.store import systems as store
from ioc.store.db import init_db, make_engine
from ioc.store.schema_environment import alerts
from ioc.systems.records import validate_event
from ioc.systems.spec import SystemSpec, load_spec

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
S = timedelta(seconds=1)
SETTINGS = load_settings({})
LIGHTS = Path(__file__).resolve().parents[1] / "data" / "systems" / "lights.toml"
EXTRA_RULES = """
[[alerts]]
name = "flicker_jump"
label = { vi = "Nhấp nháy tăng vọt", en = "Flickering jump" }
type = "surge"
window = "day"
where = { fault = "flicker" }
factor = 3
min_count = 5
severity = "info"

[[alerts]]
name = "lamps_day"
label = { vi = "Nhiều đèn hỏng", en = "Many lamps out" }
type = "threshold"
window = "day"
measure = "sum"
threshold = 40
severity = "high"
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> SystemSpec:
    path = tmp_path_factory.mktemp("specs") / "lights.toml"
    path.write_text(LIGHTS.read_text(encoding="utf-8") + EXTRA_RULES, encoding="utf-8")
    return load_spec(path)


@pytest.fixture
def lights(spec: SystemSpec):  # noqa: ANN201 - the registry in force
    with registry.use(registry.Registry(families=(family_of(spec),))) as reg:
        yield reg


def put(engine: Engine, spec: SystemSpec, events: list[tuple[str, datetime, str, float | None]]) -> None:
    """Store events (id, naive UTC time, fault, lamps) through the system's ingest."""
    records = [validate_event(spec, {"ticket": i, "reported": at.isoformat() + "+00:00", "fault": fault,
                                     "state": "open", "lamps": lamps}) for i, at, fault, lamps in events]
    store.ingest(spec, engine, "test", records, HUE)


def spread(prefix: str, start: datetime, n: int, fault: str = "dark", lamps: float | None = None,
           step: timedelta = 50 * S) -> list[tuple[str, datetime, str, float | None]]:
    return [(f"{prefix}-{i}", start + i * step, fault, lamps) for i in range(n)]


def spec_rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alerts).where(alerts.c.kind == "spec_rule")
                                              .order_by(alerts.c.id)).mappings()]


def ev(engine: Engine, now: datetime) -> dict:
    return evaluate(engine, SETTINGS, now, sources=())


def test_windows_are_local_hours_and_days_and_the_same_a_week_before() -> None:
    now = datetime(2026, 3, 9, 2, 10)  # 09:10 local
    assert spec_windows("hour", now, HUE) == ("2026-03-09 08:00", (datetime(2026, 3, 9, 1), datetime(2026, 3, 9, 2)),
                                              (datetime(2026, 3, 2, 1), datetime(2026, 3, 2, 2)))
    late = datetime(2026, 3, 9, 18, 30)  # 01:30 local on 10 March: yesterday is 9 March local
    assert spec_windows("day", late, HUE) == ("2026-03-09", (datetime(2026, 3, 8, 17), datetime(2026, 3, 9, 17)),
                                              (datetime(2026, 3, 1, 17), datetime(2026, 3, 2, 17)))


def test_hourly_surge_fires_at_factor_times_last_week_not_below_and_closes(engine: Engine, spec: SystemSpec,
                                                                         lights) -> None:
    hour = datetime(2026, 3, 9, 1)  # 08:00–09:00 local, Monday
    week = hour - 7 * 24 * H
    now = hour + H + 10 * 60 * S  # 09:10 local
    put(engine, spec, spread("lw", week, 6)  # last week: 6 dark in the hour
        + [("lw-edge", week + H, "dark", None), ("lw-before", week - S, "dark", None)]  # outside last week's hour
        + spread("fl", hour, 30, "flicker")  # flickering lamps never count for dark_surge
        + spread("now", hour, 11)  # 11 dark: < 2 × 6 = 12
        + [("edge-before", hour - S, "dark", None), ("edge-after", hour + H, "dark", None)])  # outside the hour
    assert ev(engine, now)["opened"] == 0 and spec_rows(engine) == []

    put(engine, spec, [("now-12", hour + H - S, "dark", None)])  # the 12th, in the hour's last second
    assert ev(engine, now)["opened"] == 1
    [row] = spec_rows(engine)
    assert (row["family"], row["kind"], row["key"], row["severity"], row["started_at"], row["ended_at"]) == (
        "lights", "spec_rule", "dark_surge", "warning", hour, None)
    assert json.loads(row["details"]) == {"type": "surge", "window": "hour", "period": "2026-03-09 08:00",
                                          "measure": "count", "value": 12, "last_week": 6, "threshold": 12.0,
                                          "window_end_utc": "2026-03-09T02:00:00"}
    [alert] = current_alerts(engine)
    assert alert.level == "warning"
    assert describe(alert, "en") == ("Street lighting · Surge: 12 events in 08:00–09:00 09/03/2026 "
                                     "(same hour last week: 6; threshold 12)")
    assert describe(alert, "vi") == ("Chiếu sáng công cộng · Tăng đột biến: 12 sự kiện trong 08:00–09:00 09/03/2026 "
                                     "(cùng giờ tuần trước: 6; ngưỡng 12)")
    assert ev(engine, now + 30 * 60 * S)["version"] is None  # the same hour again: nothing changes

    # 09:00–10:00 holds "edge-after" only: the episode ends when the surging hour did.
    assert ev(engine, now + H)["closed"] == 1
    assert spec_rows(engine)[0]["ended_at"] == hour + H
    assert current_alerts(engine) == []


def test_daily_surge_from_zero_follows_min_count_and_threshold_on_a_sum(engine: Engine, spec: SystemSpec,
                                                                        lights) -> None:
    day_start = datetime(2026, 3, 8, 17)  # 9 March 00:00 local
    now = datetime(2026, 3, 10, 3)  # 10:00 local on 10 March: the last complete day is 9 March
    put(engine, spec, [("fl-first", day_start, "flicker", 1.5), ("fl-last", day_start + 24 * H - S, "flicker", 2.0)]
        + spread("fl", day_start + 5 * H, 2, "flicker", 2.0)  # 4 flickering in the day; none the week before
        + [("fl-before", day_start - S, "flicker", 50.0), ("fl-after", day_start + 24 * H, "flicker", 50.0),
           ("fl-lastweek-outside", day_start - 7 * 24 * H - S, "flicker", 1.0)]  # 8 March, 10 March, 1 March local
        + spread("dk", day_start + 10 * H, 3, "dark", 11.0)  # lamps in the day: 1.5 + 2 + 4 + 33 = 40.5 …
        + [("dk-none", day_start + 12 * H, "dark", None)])  # … an event without a value adds nothing
    assert ev(engine, now)["opened"] == 1  # flickering: 4 < min_count 5 from zero last week
    [lamps] = spec_rows(engine)
    assert (lamps["key"], lamps["severity"], lamps["started_at"]) == ("lamps_day", "high", day_start)
    assert json.loads(lamps["details"]) == {"type": "threshold", "window": "day", "period": "2026-03-09",
                                            "measure": "sum", "value": 40.5, "last_week": 0.0, "threshold": 40.0,
                                            "window_end_utc": "2026-03-09T17:00:00"}
    assert describe(current_alerts(engine)[0], "en") == ("Street lighting · Many lamps out: total 40.5 on 09/03/2026 "
                                                         "(same day last week: 0.0; threshold 40.0)")
    assert describe(current_alerts(engine)[0], "vi") == ("Chiếu sáng công cộng · Nhiều đèn hỏng: tổng 40,5 ngày "
                                                         "09/03/2026 (cùng ngày tuần trước: 0,0; ngưỡng 40,0)")

    put(engine, spec, [("fl-5", day_start + 20 * H, "flicker", None)])  # the 5th: 5 ≥ max(3 × 0, 5)
    assert ev(engine, now)["opened"] == 1
    jump = next(r for r in spec_rows(engine) if r["key"] == "flicker_jump")
    assert (jump["severity"], jump["started_at"], json.loads(jump["details"])["value"]) == ("info", day_start, 5)
    assert json.loads(jump["details"])["last_week"] == 0 and json.loads(jump["details"])["threshold"] == 5.0

    # 10 March holds only "fl-after" (flickering, 50 lamps): the surge ends, the sum holds (50 ≥ 40).
    next_day = now + 24 * H
    result = ev(engine, next_day)
    assert (result["opened"], result["updated"], result["closed"]) == (0, 1, 1)
    by_key = {r["key"]: r for r in spec_rows(engine)}
    assert by_key["flicker_jump"]["ended_at"] == day_start + 24 * H
    assert by_key["lamps_day"]["ended_at"] is None
    assert json.loads(by_key["lamps_day"]["details"])["period"] == "2026-03-10"
    assert json.loads(by_key["lamps_day"]["details"])["value"] == 50.0


def test_threshold_just_below_does_not_fire(engine: Engine, spec: SystemSpec, lights) -> None:
    day_start = datetime(2026, 3, 8, 17)
    put(engine, spec, spread("dk", day_start + H, 4, "dark", 9.99))  # 39.96 < 40
    assert ev(engine, datetime(2026, 3, 10, 3))["opened"] == 0
    assert spec_rows(engine) == []


def test_rules_of_a_system_no_longer_registered_close(engine: Engine, spec: SystemSpec, lights) -> None:
    day_start = datetime(2026, 3, 8, 17)
    put(engine, spec, spread("dk", day_start + H, 5, "dark", 10.0))
    now = datetime(2026, 3, 10, 3)
    assert ev(engine, now)["opened"] == 1
    with registry.use(registry.Registry(families=())):
        assert ev(engine, now + 60 * S)["closed"] == 1
    assert spec_rows(engine)[0]["ended_at"] == day_start + 24 * H


def test_describe_without_figures_or_declaration() -> None:
    bare = Alert(1, "gone", "spec_rule", "old_rule", "warning", 2, "warning", datetime(2026, 3, 9), None, {})
    assert describe(bare, "en") == describe(bare, "vi") == "gone · old_rule"
    assert rules.level_of("gone", "spec_rule", "critical") == "critical"


def test_window_counts_use_the_time_index(tmp_path) -> None:  # SQLite, no statistics, as on a fresh install
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    init_db(engine)
    stmt = spec_window_statement("lights", datetime(2026, 3, 9, 1), datetime(2026, 3, 9, 2))
    sql = stmt.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "INDEX ix_system_events_time (system=? AND occurred_at>? AND occurred_at<?)" in plan, plan
