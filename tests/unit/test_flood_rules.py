"""Rivers and rain (ioc.domain.floods, data_sources/flood_simulator.py): the official alarm
levels of Decision 05/2020/QĐ-TTg, records checked field by field, the alerts a state raises,
and a simulated year whose floods follow the simulated warnings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data_sources.flood_simulator import observations
from ioc.domain import floods as rules
from ioc.domain.records import RecordError

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 8, 12)


def test_the_alarm_levels_are_the_decisions_with_their_citation() -> None:
    stations = rules.stations()
    assert stations["kim_long"].levels == (1.0, 2.0, 3.5) and stations["kim_long"].river == "Hương"
    assert stations["phu_oc"].levels == (1.5, 3.0, 4.5) and stations["phu_oc"].river == "Bồ"
    assert all("05/2020/QĐ-TTg" in s.citation for s in stations.values() if s.levels)
    kim_long = stations["kim_long"]
    assert [kim_long.alarm(v) for v in (None, 0.99, 1.0, 1.99, 2.0, 3.49, 3.5, 5.9)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert stations["a_luoi"].levels is None and stations["a_luoi"].alarm(9.0) == 0


@pytest.mark.parametrize(("raw", "field", "why"), [
    ({"observed_at": "2026-11-08T10:00:00+07:00", "water_level_m": "1"}, "station_id", "missing"),
    ({"station_id": "kim_long", "water_level_m": "1"}, "observed_at", "missing"),
    ({"station_id": "kim_long", "observed_at": "2026-11-08T10:30:00+07:00", "water_level_m": "1"}, "observed_at",
     "not on the hour"),
    ({"station_id": "kim_long", "observed_at": "2026-11-08T10:00:00+07:00"}, "water_level_m", "missing"),
    ({"station_id": "kim_long", "observed_at": "2026-11-08T10:00:00+07:00", "water_level_m": "abc"},
     "water_level_m", "not a number"),
    ({"station_id": "kim_long", "observed_at": "2026-11-08T10:00:00+07:00", "rain_mm": "-3"}, "rain_mm", "outside"),
    ({"station_id": "kim_long", "observed_at": "2026-11-08T10:00:00+07:00", "water_level_m": "350"},
     "water_level_m", "outside"),
])
def test_a_bad_observation_names_its_field(raw: dict, field: str, why: str) -> None:
    with pytest.raises(RecordError) as err:
        rules.validate_observation(raw, HUE)
    assert err.value.field == field and why in str(err.value)


def test_a_good_observation_is_read_in_utc_with_a_decimal_comma() -> None:
    obs = rules.validate_observation({"station_id": "kim_long", "observed_at": "2026-11-08 10:00",
                                      "water_level_m": "3,62", "rain_mm": ""}, HUE)
    assert (obs.observed_at, obs.water_level_m, obs.rain_mm) == (datetime(2026, 11, 8, 3), 3.62, None)


def _state(sid: str, level: float | None, *, at: datetime = NOW, before: float | None = None, rain: float = 0.0,
           last: datetime | None = None) -> rules.StationState:
    return rules.StationState(sid, last or at, at if level is not None else None, level, before, rain)


def test_what_a_state_raises() -> None:
    found = rules.findings([_state("kim_long", 3.62, before=2.72), _state("phu_oc", 1.2, rain=230.0),
                            _state("a_luoi", None, rain=120.0, last=NOW - timedelta(hours=3))], NOW,
                           {"kim_long": NOW - timedelta(hours=2)})
    by = {(f.kind, f.key): f for f in found}
    level = by[("flood_level", "kim_long/III")]
    assert level.severity == "critical" and level.started_at == NOW - timedelta(hours=2)
    assert level.details["rise_m_per_h"] == 0.3 and level.details["alarm_m"] == 3.5
    assert by[("heavy_rain", "phu_oc")].severity == "high" and by[("heavy_rain", "a_luoi")].severity == "warning"
    assert by[("station_silent", "a_luoi")].details["hours"] == 3  # silent while Kim Long is at level III
    assert ("flood_level", "phu_oc/I") not in by  # 1.2 m is below Phú Ốc's level I (1.5 m)
    # No flood anywhere: a silent station is no alert; an old level is no flood now.
    calm = rules.findings([_state("kim_long", 3.62, at=NOW - timedelta(hours=7)),
                           _state("a_luoi", None, last=NOW - timedelta(hours=5))], NOW, {})
    assert calm == []


def test_the_simulated_rivers_rise_with_the_simulated_flood_warnings() -> None:
    start = datetime(2025, 9, 1)
    obs = observations(2023, start, start + timedelta(days=120), HUE)
    kim_long = [o for o in obs if o.station_id == "kim_long"]
    assert len(kim_long) == 120 * 24 and all(o.water_level_m is not None for o in kim_long)
    assert max(o.water_level_m for o in kim_long) >= 3.5  # level III at least once in the season
    assert all(o.water_level_m is None for o in obs if o.station_id == "a_luoi")
    # The same hours from another range are the same values (a live run repeats the backfill).
    again = {(o.station_id, o.observed_at): o for o in observations(2023, start + timedelta(days=50),
                                                                     start + timedelta(days=51), HUE)}
    assert all(again[(o.station_id, o.observed_at)] == o for o in obs if (o.station_id, o.observed_at) in again)
    dry = observations(2023, datetime(2026, 3, 1), datetime(2026, 3, 8), HUE)
    assert max(o.water_level_m or 0 for o in dry) < 1.0 and sum(o.rain_mm or 0 for o in dry) == 0
    assert datetime(2025, 9, 1, 1) == min(o.observed_at for o in obs) and all(o.observed_at.minute == 0 for o in obs)
