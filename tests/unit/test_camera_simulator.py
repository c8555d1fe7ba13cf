"""The cameras simulator: the fleet, determinism over any split of time, heartbeat spacing, a
simulated month's outages within the documented bounds, power cuts during floods, AI events by
kind and hour, and the collector's backfill and live batches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from data_sources import cameras_simulator as sim
from data_sources.cameras_sim_places import AREAS, GATHERING_PLACES, PLACES
from data_sources.cameras_simulator import CamerasSimulator, events, events_changed, fleet, heartbeats, outages
from data_sources.flood_simulator import flood_episodes
from data_sources.traffic_sim_cameras import CAMERAS as TRAFFIC_CAMERAS
from ioc.domain.calendar import WorkCalendar
from ioc.domain.units import PROVINCE_BBOX, UnitMap
from ioc.sources import CollectorContext, SourceSpec
from ioc.store.cameras import CameraRecords

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = 2023
MIN = timedelta(minutes=1)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["camera_code", "at"]).reset_index(drop=True)


def _local_hour(moment: datetime) -> float:
    local = moment.replace(tzinfo=UTC).astimezone(TZ)
    return local.hour + local.minute / 60


def _km_from_centre(camera) -> float:  # noqa: ANN001 - a Camera
    """Distance (km) from the commercial centre the simulator uses for illegal parking."""
    dy = (camera.lat - sim.CENTRE[0]) * 111.32
    dx = (camera.lon - sim.CENTRE[1]) * 111.32 * np.cos(np.radians(sim.CENTRE[0]))
    return float(np.hypot(dx, dy))


def _warnings(first: date, last: date) -> list[tuple[datetime, str, str]]:
    return [w for w in flood_episodes(SEED, first, last, TZ) if w[1] != "thunderstorm"]


# --- the fleet -----------------------------------------------------------------------------------


def test_the_fleet_is_the_36_traffic_cameras_180_security_and_20_flood_cameras() -> None:
    cameras = fleet(SEED).cameras
    purposes = pd.Series([c.purpose for c in cameras]).value_counts().to_dict()
    assert purposes == {"traffic": 36, "security": 180, "flood": 20}
    assert len({c.code for c in cameras}) == 236
    # The traffic cameras are the traffic simulator's, code for code, where it puts them.
    traffic = {c.code: c for c in cameras if c.purpose == "traffic"}
    assert set(traffic) == {c.code for c in TRAFFIC_CAMERAS}
    for cam in TRAFFIC_CAMERAS:
        mine = traffic[cam.code]
        assert (mine.name, mine.lat, mine.lon, mine.kind, mine.road, mine.unit_code) == \
            (cam.name, cam.lat, cam.lon, cam.kind, cam.road, cam.unit_code)
    assert traffic["HUE-J01"].name == "Ngã tư Lê Lợi – Hùng Vương"
    # Security cameras: a named place's cameras stand within ~200 m of its point.
    security = [c for c in cameras if c.purpose == "security"]
    assert security[0].code == "SEC-001" and security[0].name == "Chợ Đông Ba (1)"
    place = {p.name: p for p in PLACES}
    for cam in security:
        spot = place[cam.name.rsplit(" (", 1)[0]]
        assert abs(cam.lat - spot.lat) < 0.002 and abs(cam.lon - spot.lon) < 0.002, cam
    assert sum(p.cameras for p in PLACES) == 180
    flood = [c for c in cameras if c.purpose == "flood"]
    assert [c.code for c in flood][:2] == ["FLD-01", "FLD-02"] and flood[0].name == "Kim Long – Phú Mộng"
    lon0, lat0, lon1, lat1 = PROVINCE_BBOX
    assert all(lat0 <= c.lat <= lat1 and lon0 <= c.lon <= lon1 for c in cameras)


def test_cameras_fall_in_the_power_cut_areas_of_the_city_and_none_outside() -> None:
    flt = fleet(SEED)
    area = dict(zip(flt.codes, flt.area, strict=True))
    assert area["FLD-01"] == "kim_long"  # Kim Long – Phú Mộng
    assert area["FLD-06"] == "north"  # Bao Vinh
    assert area["QL1A-12"] == "" and area["QL1A-01"] == ""  # Lăng Cô, Phong Điền: far from the city
    assert set(flt.area) == {"", *AREAS}


# --- determinism -------------------------------------------------------------------------------


def test_any_split_of_time_gives_the_same_heartbeats_outages_and_events() -> None:
    # Around the storm warning of 27 October 2026 (a power cut) and across an outage block's edge.
    a, b, c = datetime(2026, 10, 26, 0, 0), datetime(2026, 10, 27, 13, 1, 17), datetime(2026, 10, 29, 5, 0)
    whole = heartbeats(SEED, a, c, TZ)
    parts = pd.concat([heartbeats(SEED, a, b, TZ), heartbeats(SEED, b, c, TZ)], ignore_index=True)
    pd.testing.assert_frame_equal(_sorted(whole), _sorted(parts))
    assert len(whole) > 236 * 12 * 24 * 3 * 0.95

    key = ["camera_code", "started_at"]
    split = pd.concat([outages(SEED, a, b, TZ), outages(SEED, b, c, TZ)]).drop_duplicates().sort_values(key)
    pd.testing.assert_frame_equal(outages(SEED, a, c, TZ).sort_values(key).reset_index(drop=True),
                                  split.reset_index(drop=True))
    assert "power_cut" in set(split["cause"])

    assert events(SEED, a, b, c, TZ) + events(SEED, b, c, c, TZ) == events(SEED, a, c, c, TZ)

    sim.fleet.cache_clear()
    sim._day_events.cache_clear()  # a second, real computation
    pd.testing.assert_frame_equal(heartbeats(SEED, a, c, TZ), whole)


def test_another_seed_gives_another_city() -> None:
    a, b = datetime(2026, 3, 1), datetime(2026, 3, 8)
    mine = outages(SEED, a, b, TZ)[["camera_code", "started_at"]]
    other = outages(SEED + 1, a, b, TZ)[["camera_code", "started_at"]]
    assert set(map(tuple, mine.to_numpy())) != set(map(tuple, other.to_numpy()))


# --- heartbeats --------------------------------------------------------------------------------


def test_each_camera_beats_every_five_minutes_at_its_own_second() -> None:
    start = datetime(2026, 3, 2, 0, 0)  # 300 s divides a day: slots start on the hour
    beats = heartbeats(SEED, start, start + timedelta(hours=1), TZ)
    silent = set(outages(SEED, start, start + timedelta(hours=1), TZ)["camera_code"])
    counts = beats.groupby("camera_code").size()
    assert all(counts[code] == 12 for code in fleet(SEED).codes if code not in silent)
    # HUE-J01 beats at its phase p: 00:00+p, 00:05+p, … 00:55+p (or 00:05 … 01:00 if p is 0).
    p = int(fleet(SEED).phase_s[0])
    first = start + timedelta(seconds=p if p else 300)
    expected = [first + timedelta(minutes=5 * k) for k in range(12)]
    assert "HUE-J01" not in silent
    assert list(beats.loc[beats["camera_code"] == "HUE-J01", "at"]) == expected
    # Over a day, every gap is a whole number of 5-minute steps, and most are exactly one.
    day = _sorted(heartbeats(SEED, start, start + timedelta(days=1), TZ))
    gaps = day.groupby("camera_code")["at"].diff().dropna().dt.total_seconds()
    assert (gaps % 300 == 0).all() and gaps.min() == 300 and (gaps == 300).mean() > 0.99


def test_a_camera_is_silent_through_its_outage_and_beats_right_after() -> None:
    start, end = datetime(2026, 3, 1), datetime(2026, 3, 31)
    table = outages(SEED, start, end, TZ)
    one = table[(table["started_at"] > start + timedelta(days=1)) & (table["ended_at"] < end - timedelta(days=1))].iloc[0]
    beats = heartbeats(SEED, one.started_at - timedelta(hours=1), one.ended_at + timedelta(hours=1), TZ)
    mine = beats.loc[beats["camera_code"] == one.camera_code, "at"]
    inside = mine[(mine >= one.started_at) & (mine < one.ended_at)]
    assert inside.empty
    before, after = mine[mine < one.started_at].max(), mine[mine >= one.ended_at].min()
    assert one.started_at - before <= timedelta(minutes=5) and after - one.ended_at <= timedelta(minutes=5)


# --- a simulated month's outages -----------------------------------------------------------------


@pytest.fixture(scope="module")
def march() -> pd.DataFrame:
    """Heartbeat gaps longer than 15 minutes in March 2026 (dry season: no flood warning)."""
    beats = _sorted(heartbeats(SEED, datetime(2026, 3, 1), datetime(2026, 3, 31), TZ))
    gaps = beats.groupby("camera_code")["at"].diff().dt.total_seconds()
    return pd.DataFrame({"camera_code": beats["camera_code"], "gap_s": gaps})[gaps > 900]


def test_a_month_has_about_one_outage_per_camera_with_a_median_near_40_minutes(march: pd.DataFrame) -> None:
    per_camera = len(march) / 236
    assert 0.75 <= per_camera <= 1.25  # documented: one a month on average
    assert 30 <= march["gap_s"].median() / 60 <= 50  # documented: median near 40 minutes
    assert 0.05 <= (march["gap_s"] >= 86_400).mean() <= 0.16  # one in ten lasts 1–3 days
    assert march["gap_s"].max() <= 3 * 86_400 + 600
    # Uptime ≈ 99.2 % (documented), above the 98 % target; the cameras with a fault below it.
    observed = 236 * 30 * 86_400
    uptime = 100 * (1 - (march["gap_s"] - 300).sum() / observed)
    assert 98.5 <= uptime <= 99.8
    no_power_cuts = outages(SEED, datetime(2026, 3, 1), datetime(2026, 3, 31), TZ)
    assert set(no_power_cuts["cause"]) == {"blip", "hardware"}


def test_a_flood_warning_cuts_the_power_of_part_of_one_area_for_2_to_6_hours() -> None:
    warnings = _warnings(date(2026, 10, 1), date(2026, 12, 1))
    assert len(warnings) >= 5
    table = outages(SEED, datetime(2026, 10, 1), datetime(2026, 12, 3), TZ)
    cuts = table[table["cause"] == "power_cut"]
    area = dict(zip(fleet(SEED).codes, fleet(SEED).area, strict=True))
    flt_area = pd.Series(fleet(SEED).area)
    seen = 0
    for sent, code, _severity in warnings:
        mine = cuts[(cuts["started_at"] >= sent + timedelta(hours=6))
                    & (cuts["started_at"] <= sent + timedelta(hours=14, minutes=10))]
        if mine.empty:
            continue
        seen += 1
        areas = {area[c] for c in mine["camera_code"]}
        assert len(areas) == 1, (sent, areas)
        (where,) = areas
        assert where == "north" if code == "flood_bo" else where in AREAS
        assert len(mine) <= (flt_area == where).sum()
        hours = (mine["ended_at"] - mine["started_at"]).dt.total_seconds() / 3600
        assert hours.between(2, 6).all()
    assert seen >= 5
    assert len(cuts) == sum(len(cuts[(cuts["started_at"] >= s + timedelta(hours=6))
                                     & (cuts["started_at"] <= s + timedelta(hours=14, minutes=10))])
                            for s, _c, _v in warnings)


# --- AI events -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def autumn() -> pd.DataFrame:
    """October–November 2026's events as they stand a day later."""
    return pd.DataFrame([e.__dict__ for e in events(SEED, datetime(2026, 10, 1), datetime(2026, 12, 1),
                                                    datetime(2026, 12, 2), TZ)])


def test_events_come_at_the_right_places_and_hours(autumn: pd.DataFrame) -> None:
    flt = fleet(SEED)
    category = dict(zip(flt.codes, flt.category, strict=True))
    by_code = {c.code: c for c in flt.cameras}
    assert set(autumn["kind"]) == {"gathering", "illegal_parking", "fire_smoke", "flooding"}
    assert autumn["external_id"].is_unique
    gathering = autumn[autumn["kind"] == "gathering"]
    assert all(18.5 <= _local_hour(t) < 23 for t in gathering["detected_at"])
    assert set(gathering["camera_code"].map(category)) <= GATHERING_PLACES
    parking = autumn[autumn["kind"] == "illegal_parking"]
    assert all(7 <= _local_hour(t) < 18 for t in parking["detected_at"])
    assert max(_km_from_centre(by_code[c]) for c in parking["camera_code"]) <= 1.5
    assert not autumn.loc[autumn["kind"] == "fire_smoke", "camera_code"].str.startswith("FLD").any()
    flooding = autumn[autumn["kind"] == "flooding"]
    assert flooding["camera_code"].str.startswith("FLD").all() and len(flooding) > 20
    sent = [w[0] for w in _warnings(date(2026, 9, 28), date(2026, 12, 1))]
    assert all(any(timedelta(hours=6) <= t - s <= timedelta(hours=30) for s in sent) for t in flooding["detected_at"])
    # A silent camera detects nothing.
    table = outages(SEED, datetime(2026, 10, 1), datetime(2026, 12, 1), TZ)
    pairs = autumn.merge(table, on="camera_code")
    assert not ((pairs["detected_at"] >= pairs["started_at"]) & (pairs["detected_at"] < pairs["ended_at"])).any()


def test_gatherings_double_at_weekends_and_parking_is_about_one_a_day_per_four_cameras(autumn: pd.DataFrame) -> None:
    local = autumn["detected_at"].map(lambda t: t.replace(tzinfo=UTC).astimezone(TZ))
    gathering = autumn[autumn["kind"] == "gathering"]
    weekend = local[gathering.index].map(lambda t: t.weekday() >= 4)
    per_evening_weekend = weekend.sum() / 26  # Oct–Nov 2026: 26 Fridays to Sundays, 35 other days
    per_evening_week = (~weekend).sum() / 35
    assert 1.6 <= per_evening_weekend / per_evening_week <= 2.4
    parking_cameras = autumn.loc[autumn["kind"] == "illegal_parking", "camera_code"]
    per_day = len(parking_cameras) / 61
    flt = fleet(SEED)
    eligible = sum(1 for c in flt.cameras if c.purpose != "flood" and _km_from_centre(c) <= 1.5)
    assert 0.2 * eligible <= per_day <= 0.3 * eligible


def test_about_two_fires_a_month_a_third_of_them_false_alarms() -> None:
    year = events(SEED, datetime(2026, 1, 1), datetime(2027, 1, 1), datetime(2027, 1, 2), TZ)
    fires = [e for e in year if e.kind == "fire_smoke"]
    assert 12 <= len(fires) <= 40
    assert all(e.review in ("confirmed", "false_alarm") for e in fires)  # every fire alarm is checked
    assert all(timedelta(minutes=5) <= e.updated_at - e.detected_at <= timedelta(minutes=30) for e in fires)
    assert 0.15 <= sum(e.review == "false_alarm" for e in fires) / len(fires) <= 0.55
    assert all(0.5 <= e.confidence <= 0.98 for e in year)


def test_a_review_is_known_only_once_made_and_a_live_run_sends_it_again() -> None:
    start, end = datetime(2026, 3, 1), datetime(2026, 3, 8)
    reviewed = next(e for e in events(SEED, start, end, end + timedelta(days=1), TZ)
                    if e.review and e.updated_at - e.detected_at > timedelta(hours=1))
    before = events(SEED, reviewed.detected_at - MIN, reviewed.detected_at, reviewed.updated_at - MIN, TZ)
    assert [(e.external_id, e.review, e.updated_at) for e in before] == \
        [(reviewed.external_id, "", reviewed.detected_at)]
    now = reviewed.updated_at + MIN
    live = {e.external_id: e for e in events_changed(SEED, now - timedelta(minutes=30), now, TZ)}
    assert live[reviewed.external_id] == reviewed


# --- the collector -------------------------------------------------------------------------------


def _collector(now: datetime) -> CamerasSimulator:
    spec = SourceSpec("sim-cameras", "simulator", "cameras", 60, options={"now": now.isoformat(), "seed": SEED})
    return CamerasSimulator(spec, CollectorContext(TZ, WorkCalendar.vietnam(), UnitMap.default()))


def test_the_backfill_sends_the_registry_then_two_days_a_batch() -> None:
    now = datetime(2026, 11, 20, 3, 7, 30)
    batches = list(_collector(now).backfill(365, SEED))  # history is kept to HISTORY_DAYS = 30
    assert len(batches) == 15
    records: list[CameraRecords] = [b.records for b in batches]
    assert len(records[0].cameras) == 236 and all(not r.cameras for r in records[1:])
    for r in records:
        span = r.heartbeats["at"].max() - r.heartbeats["at"].min()
        assert span <= timedelta(days=2)
    beats = pd.concat([r.heartbeats for r in records], ignore_index=True)
    pd.testing.assert_frame_equal(_sorted(beats), _sorted(heartbeats(SEED, now - timedelta(days=30), now, TZ)))
    assert [e for r in records for e in r.events] == events(SEED, now - timedelta(days=30), now, now, TZ)
    assert batches[0].fetched == len(records[0])


def test_a_live_run_sends_the_last_half_hour_and_resumes_from_its_watermark() -> None:
    now = datetime(2026, 11, 20, 3, 7, 30)
    (batch,) = _collector(now).batches(None)
    assert batch.watermark == now.isoformat()
    assert len(batch.records.cameras) == 236
    pd.testing.assert_frame_equal(batch.records.heartbeats,
                                  heartbeats(SEED, now - timedelta(minutes=30), now, TZ))
    later = now + timedelta(hours=3)
    (resumed,) = _collector(later).batches(batch.watermark)
    assert resumed.records.heartbeats["at"].min() > now - timedelta(minutes=5)
    assert resumed.records.heartbeats["at"].min() <= now
    assert resumed.records.heartbeats["at"].max() <= later
    (old,) = _collector(later).batches((later - timedelta(days=9)).isoformat())  # at most two days back
    assert old.records.heartbeats["at"].min() > later - timedelta(days=2)
