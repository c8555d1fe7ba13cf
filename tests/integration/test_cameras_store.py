"""Urban cameras' store (ioc/store/cameras.py) on SQLite and PostgreSQL: a batch stored and the
same batch again changing nothing, one registry shared with the traffic family, uptime over a
hand-made window, the KPIs, and the alerts found now and at a past moment.

The hand-made day (naive UTC, 10 March 2026; Huế is UTC+7):
- A (security): heartbeats every 5 min 00:00–01:00, silent until 01:40 (an outage of 40 min),
  then every 5 min until 02:00, then silent;
- B (traffic): every 5 min 01:00–02:30;
- C (flood): registered, never reported.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from ioc.alerts import replay
from ioc.domain.cameras import Camera, CameraEvent, Heartbeat
from ioc.domain.traffic_records import validate_violation
from ioc.kpi.cameras import family_kpis
from ioc.kpi.periods import Period
from ioc.store import cameras as store
from ioc.store import schema
from ioc.store.cameras import CameraRecords
from ioc.store.schema_environment import alerts
from ioc.store.schema_traffic import traffic_cameras
from ioc.store.traffic import ingest as traffic_ingest
from ioc.store.traffic import load_references, records_frame

T0 = datetime(2026, 3, 10, 0, 0)
MIN = timedelta(minutes=1)
SOURCE = "cam-platform"
REGISTRY = [Camera("A", "Chợ Đông Ba", 16.4731, 107.5887, "security", road="Trần Hưng Đạo"),
            Camera("B", "Ngã tư Lê Lợi – Hùng Vương", 16.4663, 107.5937, "traffic", kind="junction"),
            Camera("C", "Kim Long", 16.4600, 107.5500, "flood")]


def at(minutes: int) -> datetime:
    return T0 + minutes * MIN


def heartbeats() -> pd.DataFrame:
    a = [*range(0, 61, 5), *range(100, 121, 5)]
    b = list(range(60, 151, 5))
    return pd.DataFrame({"camera_code": ["A"] * len(a) + ["B"] * len(b), "at": [at(m) for m in a + b]})


EVENTS = [
    CameraEvent("e1", "A", at(70), "fire_smoke", 0.71, "false_alarm"),
    CameraEvent("e2", "B", at(120), "gathering", 0.88, "confirmed"),
    CameraEvent("e3", "B", at(130), "illegal_parking", 0.95),
    CameraEvent("e4", "B", at(80), "fire_smoke", 0.9),
]


def day(engine: Engine) -> None:
    assert store.ingest(engine, SOURCE, CameraRecords(REGISTRY, heartbeats(), EVENTS)).inserted == 3 + 37 + 4


def version(engine: Engine, family: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(schema.data_versions.c.version)
                            .where(schema.data_versions.c.family == family)).scalar()


def outage_rows(engine: Engine) -> list[tuple[str, datetime, datetime]]:
    frame = store.outages(engine, T0, at(24 * 60), now=at(110))
    return [(r.code, r.started_at.to_pydatetime(), r.ended_at.to_pydatetime()) for r in frame.itertuples()]


def test_a_batch_is_stored_and_the_same_batch_again_changes_nothing(engine: Engine) -> None:
    first = store.ingest(engine, SOURCE, CameraRecords(REGISTRY, heartbeats(), EVENTS))
    assert (first.inserted, first.updated, first.unchanged) == (3 + 37 + 4, 0, 0)
    assert version(engine, "cameras") == 1 and version(engine, "traffic") == 1

    again = store.ingest(engine, SOURCE, CameraRecords(REGISTRY, heartbeats(), EVENTS))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3 + 37 + 4)
    assert version(engine, "cameras") == 1 and version(engine, "traffic") == 1
    assert outage_rows(engine) == [("A", at(60), at(100))]

    # a review added later wins; an older version of it does not
    reviewed = CameraEvent("e3", "B", at(130), "illegal_parking", 0.95, "confirmed", updated_at=at(200))
    assert store.ingest(engine, SOURCE, [reviewed]).updated == 1
    stale = CameraEvent("e3", "B", at(130), "illegal_parking", 0.95, "false_alarm", updated_at=at(150))
    assert store.ingest(engine, SOURCE, [stale]).unchanged == 1
    assert store.events(engine, T0, at(240)).set_index("external_id").loc["e3", "review"] == "confirmed"
    assert version(engine, "cameras") == 2


def test_a_late_heartbeat_splits_the_stored_outage(engine: Engine) -> None:
    day(engine)
    result = store.ingest(engine, SOURCE, [Heartbeat("A", at(80))])
    assert (result.inserted, result.unchanged) == (1, 0)
    assert outage_rows(engine) == [("A", at(80), at(100)), ("A", at(60), at(80))]
    assert store.ingest(engine, SOURCE, [Heartbeat("A", at(70)), Heartbeat("A", at(90))]).inserted == 2
    assert outage_rows(engine) == []  # every gap now 10 min


def test_the_registry_is_the_traffic_familys(engine: Engine, tz) -> None:  # noqa: ANN001
    violation = {"external_id": "V-1", "detected_at": "2026-03-10T07:30:00+07:00", "violation_type": "red_light",
                 "vehicle_class": "car", "camera_code": "HUE-J01", "camera_name": "Ngã tư Lê Lợi – Hùng Vương",
                 "unit_code": "474", "lat": 16.4663, "lon": 107.5937, "plate": "75A-123.45", "status": "detected",
                 "updated_at": "2026-03-10T07:30:00+07:00"}
    traffic_ingest(engine, "traffic-cams", records_frame([validate_violation(violation)]), tz)

    result = store.ingest(engine, SOURCE, [Heartbeat("HUE-J01", at(0)), Heartbeat("SEC-9", at(0))])
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 0)  # SEC-9's registration not counted
    states = store.camera_states(engine, at(5)).set_index("code")
    assert list(states.index) == ["HUE-J01", "SEC-9"]  # no copy: the traffic family's row, and one new
    j01 = states.loc["HUE-J01"]
    assert (j01["name"], j01["purpose"], j01["kind"], j01["source"], j01["generated"]) == \
        ("Ngã tư Lê Lợi – Hùng Vương", "traffic", "junction", "traffic-cams", True)
    assert bool(j01["online"]) and j01["first_seen"] == pd.Timestamp(at(0))
    assert (states.loc["SEC-9", "purpose"], bool(states.loc["SEC-9", "generated"])) == ("security", True)

    # an entry given here updates the same row, and the traffic family reads it
    store.ingest(engine, SOURCE, [Camera("HUE-J01", "Lê Lợi – Hùng Vương", 16.4663, 107.5937, "traffic",
                                         kind="junction", road="Lê Lợi")])
    with engine.connect() as conn:
        assert conn.execute(select(traffic_cameras.c.code, traffic_cameras.c.name, traffic_cameras.c.road,
                                   traffic_cameras.c.generated).order_by(traffic_cameras.c.code)).all() == [
            ("HUE-J01", "Lê Lợi – Hùng Vương", "Lê Lợi", False), ("SEC-9", "SEC-9", "", True)]
        assert sorted(load_references(conn).cameras["code"]) == ["HUE-J01", "SEC-9"]
    assert version(engine, "traffic") == 3  # the violation, the camera registered here, the entry

    # and a violation at a camera registered here adds no camera
    traffic_ingest(engine, "traffic-cams", records_frame([validate_violation(
        {**violation, "external_id": "V-2", "camera_code": "SEC-9", "camera_name": "Bến xe"})]), tz)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(traffic_cameras)).scalar_one() == 2


def test_uptime_over_a_hand_made_window(engine: Engine) -> None:
    day(engine)
    up = store.uptime_by_camera(engine, at(30), at(180), now=at(150)).set_index("code")
    # A: observed 00:30–02:30 (7200 s); offline 01:00–01:40 (2400 s) and 02:00–02:30, silent
    # for 30 min at now (1800 s)
    assert (up.loc["A", "observed_s"], up.loc["A", "offline_s"]) == (7200.0, 4200.0)
    assert up.loc["A", "uptime_pct"] == pytest.approx(100 * (1 - 4200 / 7200))
    # B: observed from its first heartbeat, 01:00–02:30, never offline
    assert (up.loc["B", "observed_s"], up.loc["B", "offline_s"], up.loc["B", "uptime_pct"]) == (5400.0, 0.0, 100.0)
    assert up.loc["C", "observed_s"] == 0.0 and pd.isna(up.loc["C", "uptime_pct"])
    # at 02:10 A's silence (10 min) is no outage yet
    assert store.uptime_by_camera(engine, at(30), at(180), now=at(130)).set_index("code").loc["A", "offline_s"] == 2400.0

    ongoing = store.outages(engine, T0, at(180), now=at(150))
    assert [(r.code, r.started_at, r.duration_s) for r in ongoing.itertuples()] == [
        ("A", pd.Timestamp(at(120)), 1800.0), ("A", pd.Timestamp(at(60)), 2400.0)]
    assert pd.isna(ongoing.loc[0, "ended_at"])


def test_the_kpis_of_the_day(engine: Engine, tz) -> None:  # noqa: ANN001
    day(engine)
    period = Period(date(2026, 3, 10), date(2026, 3, 11))  # local day: 9 March 17:00 UTC → 10 March 17:00 UTC
    kpis = family_kpis(engine, period, {}, tz, at(150))
    # uptime: A observed 00:00–02:30 (9000 s), 4200 s offline; B 5400 s, none: 1 − 4200 / 14400
    assert kpis == {
        "cameras": 3, "by_purpose": {"traffic": 1, "security": 1, "flood": 1},
        "reporting": 2, "online": 1, "offline": 1, "online_pct": 50.0, "offline_30m": 0,
        "uptime_pct": 70.8, "uptime_target_pct": 98.0,
        "events": 4, "events_by_kind": {"gathering": 1, "fire_smoke": 2, "flooding": 0, "illegal_parking": 1},
        "fire_smoke": 2, "false_alarm_pct": 50.0,
    }
    later = family_kpis(engine, period, {}, tz, at(151))
    assert (later["offline_30m"], later["online"]) == (1, 1)  # A silent for 31 min

    security = family_kpis(engine, period, {"purpose": "security", "event": ("fire_smoke",)}, tz, at(150))
    assert (security["cameras"], security["by_purpose"], security["reporting"], security["online"]) == \
        (1, {"security": 1}, 1, 0)
    assert (security["uptime_pct"], security["events"], security["events_by_kind"], security["false_alarm_pct"]) == \
        (53.3, 1, {"fire_smoke": 1}, 100.0)

    per_day = store.events_per_day(engine, period, tz)
    assert sorted(map(tuple, per_day.astype({"n": int}).to_numpy().tolist())) == [
        (date(2026, 3, 10), "fire_smoke", 2), (date(2026, 3, 10), "gathering", 1),
        (date(2026, 3, 10), "illegal_parking", 1)]
    newest = store.events(engine, T0, at(240), purposes=("traffic",))
    assert list(newest["external_id"]) == ["e3", "e2", "e4"]
    assert newest.loc[0, "camera_name"] == "Ngã tư Lê Lợi – Hùng Vương"


def test_findings_now_and_at_a_past_moment(engine: Engine) -> None:
    day(engine)
    with engine.connect() as conn:
        now = sorted((f.kind, f.key, f.severity, f.started_at) for f in store.findings(conn, at(170)))
        past = sorted((f.kind, f.key, f.severity, f.started_at) for f in store.findings(conn, at(95)))
        quiet = store.findings(conn, at(50))
    # 02:50: A silent since 02:00 (50 min); B since 02:30 (20 min: offline, no alert of its own);
    # 2 of 2 reporting cameras offline, the share above 10 % since A went offline at 02:15;
    # e2 (gathering, 02:00) holds until 03:00; e4 (fire, 01:20) ended at 02:20
    assert now == [("camera_event", f"{SOURCE}/e2", "info", at(120)),
                   ("camera_offline", "A", "warning", at(135)),
                   ("cameras_offline_share", "city", "high", at(135))]
    # 01:35: A inside its stored outage (silent since 01:00: 35 min); B reporting since 01:00;
    # e1 (fire, reviewed as a false alarm) raises nothing, e4 (fire, 01:20) is high
    assert past == [("camera_event", f"{SOURCE}/e4", "high", at(80)),
                    ("camera_offline", "A", "warning", at(75)),
                    ("cameras_offline_share", "city", "high", at(75))]
    assert quiet == []


def test_the_day_replayed_into_alerts_each_with_its_start_and_end(engine: Engine) -> None:
    """The family declares its rules replayable: a history written at once gets the alerts it
    would have raised (ioc.alerts.replay, every 5 minutes here)."""
    day(engine)
    replay(engine, T0, at(170), step=5 * MIN, families=("cameras",))
    with engine.connect() as conn:
        rows = conn.execute(select(alerts.c.kind, alerts.c.key, alerts.c.severity, alerts.c.started_at,
                                   alerts.c.ended_at).where(alerts.c.family == "cameras")
                            .order_by(alerts.c.started_at, alerts.c.kind)).all()
    assert [tuple(r) for r in rows] == [
        ("camera_offline", "A", "warning", at(75), at(100)),  # found from 01:35 (over 30 min), ended by 01:40's heartbeat
        ("cameras_offline_share", "city", "high", at(75), at(100)),
        ("camera_event", f"{SOURCE}/e4", "high", at(80), at(140)),
        ("camera_event", f"{SOURCE}/e2", "info", at(120), None),
        ("camera_offline", "A", "warning", at(135), None),
        ("cameras_offline_share", "city", "high", at(135), None),
    ]
