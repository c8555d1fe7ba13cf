"""Environment store on SQLite and PostgreSQL: upsert rules, flags, materialised VN_AQI, alerts, KPIs.

Every test runs twice through the ``engine`` fixture (tests/conftest.py). Times are naive UTC;
Huế is UTC+7, so local midnight is 17:00 UTC the day before.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from ioc.domain.air_quality import EnvRecords, EnvStation, validate_observation
from ioc.domain.aqi import hourly_aqi, nowcast
from ioc.domain.aqi_series import hourly_aqi_frame
from ioc.kpi.environment import EnvFilter, environment_kpis, quality_by_station, stations_frame
from ioc.kpi.periods import Period
from ioc.store.environment import ingest, load_observations
from ioc.store.schema_environment import alerts, env_aqi_daily, env_aqi_hourly, env_observations, env_stations

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
T0 = datetime(2026, 3, 1, 17)  # 2026-03-02 00:00 local
NOW = T0 + 48 * H


def ob(station: str, parameter: str, hour: datetime, value: float, unit: str = "ug/m3", **extra: object):
    return validate_observation({"station_id": station, "parameter": parameter, "hour": hour.isoformat(),
                                 "value": value, "unit": unit, **extra})


def pm_series(station: str, start: datetime, values: list[float | None], parameter: str = "pm25") -> list:
    return [ob(station, parameter, start + i * H, v) for i, v in enumerate(values) if v is not None]


def stored_obs(engine: Engine) -> dict[tuple[str, str, datetime], dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(env_observations)).mappings().all()
    return {(r["station_id"], r["parameter"], r["hour"]): dict(r) for r in rows}


def stored_hourly(engine: Engine, station: str) -> dict[datetime, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(env_aqi_hourly.c.hour, env_aqi_hourly.c.aqi)
                            .where(env_aqi_hourly.c.station_id == station)).all()
    return {h: a for h, a in rows}


def stored_alerts(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(alerts.c.kind, alerts.c.key, alerts.c.severity, alerts.c.started_at,
                                   alerts.c.ended_at).order_by(alerts.c.started_at)).all()
    return [tuple(r) for r in rows]


# --------------------------------------------------------------------------- upsert


def test_upsert_newer_wins_and_same_is_unchanged(engine: Engine):
    first = ob("S1", "pm25", T0, 20.0, updated_at="2026-03-01T18:05:00Z", station_name="Trạm 1", lat=16.46,
               lon=107.59)
    assert ingest(engine, "src", [first], HUE, now=NOW).inserted == 1
    assert ingest(engine, "src", [first], HUE, now=NOW).unchanged == 1
    newer = ob("S1", "pm25", T0, 22.5, updated_at="2026-03-01T19:00:00Z")
    result = ingest(engine, "other", [newer], HUE, now=NOW)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 0)
    older = ob("S1", "pm25", T0, 99.0, updated_at="2026-03-01T18:30:00Z")
    assert ingest(engine, "src", [older], HUE, now=NOW).unchanged == 1
    same_value_later = ob("S1", "pm25", T0, 22.5, updated_at="2026-03-02T00:00:00Z")
    assert ingest(engine, "src", [same_value_later], HUE, now=NOW).unchanged == 1
    row = stored_obs(engine)[("S1", "pm25", T0)]
    assert (row["value"], row["source"], row["updated_at"]) == (22.5, "other", datetime(2026, 3, 1, 19))
    with engine.connect() as conn:
        station = conn.execute(select(env_stations)).mappings().one()
    assert (station["name"], station["unit_code"], station["parameters"]) == ("Trạm 1", "19789", "pm25")
    # placed by position: today's commune (Phường Thuận Hóa), and the district-level unit it lay in
    # on 30 June 2025 (Quận Thuận Hóa), for periods viewed by the old districts
    assert (station["commune_code"], station["district_code"]) == ("19789", "474")
    assert station["first_hour"] == T0 and station["last_hour"] == T0


def test_value_as_received_and_in_ugm3(engine: Engine):
    ingest(engine, "src", [ob("S1", "so2", T0, 10.0, "ppb"), ob("S1", "co", T0, 1.5, "mg/m3")], HUE, now=NOW)
    rows = stored_obs(engine)
    so2, co = rows[("S1", "so2", T0)], rows[("S1", "co", T0)]
    # SO2 10 ppb × 64.066 / 24.45 = 26.2029… µg/m³
    assert (so2["value"], so2["unit"]) == (10.0, "ppb") and so2["value_ugm3"] == pytest.approx(26.20286, abs=1e-4)
    assert (co["value"], co["unit"], co["value_ugm3"]) == (1.5, "mg/m³", 1500.0)


# --------------------------------------------------------------------------- materialised AQI


def test_hourly_aqi_is_materialised_and_matches_the_scalar_rules(engine: Engine):
    values = [12.0, 30.5, 45.0, None, 80.2, 61.0, 20.0, 18.0, 90.0, 95.0, 33.0, 40.0, 41.0, 44.0]
    records = pm_series("S1", T0, values) + [ob("S1", "no2", T0 + 13 * H, 260.0)]
    ingest(engine, "src", records, HUE, now=NOW)
    got = stored_hourly(engine, "S1")
    for i in range(len(values) + 2):
        hour = T0 + i * H
        recent = [values[i - k] if 0 <= i - k < len(values) else None for k in range(12)]
        nc = nowcast(recent)
        res = hourly_aqi({"pm25": nc, "no2": 260.0 if i == 13 else None})
        assert got.get(hour) == (None if res is None else res.aqi), hour
    # hour 13: NO2 260 → 100 + 0.1·60 = 106 against the PM2.5 NowCast's sub-index
    assert got[T0 + 13 * H] == max(106, hourly_aqi({"pm25": nowcast(values[13::-1][:12])}).aqi)


def test_late_hour_recomputes_the_following_nowcasts(engine: Engine):
    ingest(engine, "src", pm_series("S1", T0, [20, 20, None, 20, 20, 20]), HUE, now=NOW)
    before = stored_hourly(engine, "S1")
    assert before[T0 + 3 * H] == 40  # c1 = 20, c2 missing, c3 = 20 → 20 → 40
    ingest(engine, "src", [ob("S1", "pm25", T0 + 2 * H, 60.0)], HUE, now=NOW)  # (100 would be a spike)
    after = stored_hourly(engine, "S1")
    # 03:00 now: c = 20, 60, 20, 20: w* = 1/3 → w = 0.5: (20 + 30 + 5 + 2.5)/1.875 = 30.667 → 50 + 2·5.667 = 61.3 → 61
    assert after[T0 + 3 * H] == 61
    assert after[T0 + 2 * H] > before[T0 + 2 * H]
    with engine.connect() as conn:
        frame = load_observations(conn, ["S1"], T0 - 12 * H, NOW)
    recomputed = hourly_aqi_frame(frame, T0, NOW - H)
    assert {r.hour.to_pydatetime(): r.aqi for r in recomputed.itertuples()} == after


def test_no_aqi_after_the_last_whole_hour(engine: Engine):
    now = T0 + 2 * H + timedelta(minutes=30)  # the last whole hour is T0 + 1 h
    ingest(engine, "src", pm_series("S1", T0, [20, 20]), HUE, now=now)
    assert sorted(stored_hourly(engine, "S1")) == [T0 + H]


def test_stuck_sensor_flagged_across_batches_and_kept_out(engine: Engine):
    ingest(engine, "src", pm_series("S1", T0, [10, 30, 30, 30, 30, 30]), HUE, now=NOW)
    assert {k[2]: r["flag"] for k, r in stored_obs(engine).items()}[T0 + H] == "ok"
    # five 30s are not (yet) stuck. 05:00: c = 30 ×5, 10: w = max(1/3, ½) = ½:
    # (30·1.9375 + 10·0.03125)/1.96875 = 29.683 → 50 + 2·4.683 = 59.4 → 59
    assert stored_hourly(engine, "S1")[T0 + 5 * H] == 59
    ingest(engine, "src", [ob("S1", "pm25", T0 + 6 * H, 30.0)], HUE, now=NOW)
    flags = [r["flag"] for _k, r in sorted(stored_obs(engine).items(), key=lambda kv: kv[0][2])]
    assert flags == ["ok"] + ["stuck"] * 6
    # only 00:00 is valid now: no hour has 2 valid values among its 3 most recent → no AQI at all
    assert stored_hourly(engine, "S1") == {}


def test_daily_rows_and_counts(engine: Engine):
    # alternating values (a constant series would be a stuck sensor): means 30 then 90, day mean 60
    # → 100 + 50/30·10 = 116.67 → 117 (poor): an exceedance day
    day = [29.0, 31.0] * 6 + [89.0, 91.0] * 6
    records = pm_series("S1", T0, day) + [ob("S1", "pm25", T0 + 24 * H, -1.0)]
    ingest(engine, "src", records, HUE, now=NOW)
    with engine.connect() as conn:
        rows = {r["day"]: dict(r) for r in conn.execute(select(env_aqi_daily)).mappings()}
    d = rows[date(2026, 3, 2)]
    assert (d["aqi"], d["category"], d["dominant"], d["pm25_24h"]) == (117, "poor", "pm25", 60.0)
    assert (d["valid_obs"], d["flagged_obs"], d["hours_reported"]) == (24, 0, 24)
    assert d["hours_aqi"] == sum(d[f"h_{c}"] for c in ("good", "moderate", "poor", "bad", "very_bad", "hazardous"))
    nxt = rows[date(2026, 3, 3)]
    assert nxt["aqi"] is None and (nxt["valid_obs"], nxt["flagged_obs"]) == (0, 1)


# --------------------------------------------------------------------------- alerts


def test_bad_air_alert_starts_and_ends(engine: Engine):
    # PM2.5 about 100 µg/m³ → NowCast ≈ 100 → 150 + 50/70·20 ≈ 164 (Xấu) from the 2nd hour
    ingest(engine, "src", pm_series("S1", T0, [99.0, 101.0] * 3), HUE, now=T0 + 6 * H + timedelta(minutes=10))
    assert stored_alerts(engine) == [("aqi_bad", "S1", "bad", T0 + H, None)]
    # the air clears: 10 µg/m³ for 3 hours; the NowCast falls below 151 at some hour h → ended there
    ingest(engine, "src", pm_series("S1", T0 + 6 * H, [10.0, 11.0, 10.0]), HUE, now=T0 + 9 * H + timedelta(minutes=10))
    hourly = stored_hourly(engine, "S1")
    first_low = min(h for h, a in hourly.items() if h > T0 + H and a < 151)
    assert stored_alerts(engine) == [("aqi_bad", "S1", "bad", T0 + H, first_low)]


def test_silent_station_alert_opens_then_closes(engine: Engine):
    ingest(engine, "src", pm_series("S1", T0, [20.0] * 4), HUE, now=T0 + 4 * H)
    assert stored_alerts(engine) == []
    # another station's data arrives 3 h after S1's last hour ended: S1 is silent → alert from T0 + 4 h
    ingest(engine, "src", pm_series("S2", T0 + 6 * H, [20.0]), HUE, now=T0 + 7 * H + timedelta(minutes=5))
    assert stored_alerts(engine) == [("no_data", "S1", "warning", T0 + 4 * H, None)]
    kpis = environment_kpis(engine, EnvFilter(Period(date(2026, 3, 2), date(2026, 3, 3))), HUE,
                            T0 + 7 * H + timedelta(minutes=5))
    assert [(a["kind"], a["station_id"]) for a in kpis.active_alerts] == [("no_data", "S1")]
    # S1 reports again at T0 + 8 h: the alert ends then, and stays in history
    ingest(engine, "src", pm_series("S1", T0 + 8 * H, [20.0]), HUE, now=T0 + 9 * H)
    assert stored_alerts(engine) == [("no_data", "S1", "warning", T0 + 4 * H, T0 + 8 * H)]


def test_station_refresh_leaves_the_familys_source_alerts_alone(engine: Engine):
    # a source alert (ioc.alerts: source_failed, keyed by source name) whose key happens to be a
    # station id, started inside the refreshed window: it is not a station episode to sync away
    with engine.begin() as conn:
        conn.execute(alerts.insert().values(family="environment", kind="source_failed", key="S1", severity="high",
                                            started_at=T0 + H, ended_at=None, details="{}", updated_at=T0 + H))
    ingest(engine, "src", pm_series("S1", T0, [99.0, 101.0] * 3), HUE, now=T0 + 6 * H + timedelta(minutes=10))
    assert sorted(stored_alerts(engine)) == [("aqi_bad", "S1", "bad", T0 + H, None),
                                             ("source_failed", "S1", "high", T0 + H, None)]
    ingest(engine, "src", pm_series("S1", T0 + 6 * H, [10.0, 11.0, 10.0]), HUE, now=T0 + 9 * H + timedelta(minutes=10))
    assert ("source_failed", "S1", "high", T0 + H, None) in stored_alerts(engine)


# --------------------------------------------------------------------------- KPIs


def test_kpis_for_a_small_network(engine: Engine):
    stations = [EnvStation("A", "Trạm A", 16.47, 107.59, parameters=("pm25", "pm10")),
                EnvStation("B", "Trạm B", 16.40, 107.70, parameters=("pm25",))]
    pm25, pm10 = [99.0, 101.0] * 12, [49.0, 51.0] * 12  # (a constant series would be a stuck sensor)
    a = pm_series("A", T0, pm25) + pm_series("A", T0, pm10, "pm10")
    b = pm_series("B", T0, [9.0, 11.0] * 10)  # 20 of 24 hours, then silent
    now = T0 + 24 * H + timedelta(minutes=5)
    ingest(engine, "src", EnvRecords(stations, a + b), HUE, now=now)
    kpis = environment_kpis(engine, EnvFilter(Period(date(2026, 3, 2), date(2026, 3, 3))), HUE, now)
    assert kpis.stations == 2 and kpis.reporting_stations == 1
    # A now (23:00): NowCasts of the last 12 hours, worked out by the scalar rules; B: silent 4 hours
    expected = hourly_aqi({"pm25": nowcast(pm25[::-1][:12]), "pm10": nowcast(pm10[::-1][:12])})
    assert 163 <= expected.aqi <= 165 and expected.category == "bad"
    assert kpis.aqi_now["A"]["aqi"] == expected.aqi and kpis.aqi_now["A"]["category"] == "bad"
    assert kpis.aqi_now["A"]["sub"] == expected.sub and kpis.aqi_now["A"]["hour"] == (T0 + 23 * H).isoformat()
    assert kpis.aqi_now["B"]["aqi"] is None
    assert kpis.worst_station == {"station_id": "A", "name": "Trạm A", "aqi": expected.aqi, "category": "bad",
                                  "dominant": "pm25"}
    # daily: A 24 h mean 100 → 164.3 → 164 > 100; B has 20 valid hours ≥ 18, mean 10 → 20
    assert kpis.exceedance_days == {"A": 1, "B": 0}
    # A: 23 hours with an AQI (00:00 has only 1 of 3), all bad; B: data 00:00 … 19:00, AQI 01:00 … 20:00
    # (at 20:00 the 2 previous hours still make 2 of 3) = 20 good hours
    assert kpis.hours_by_category == {"good": 20, "moderate": 0, "poor": 0, "bad": 23, "very_bad": 0,
                                      "hazardous": 0}
    # completeness: A 48/48, B 20/24; overall 68/72
    assert kpis.completeness == {"A": 1.0, "B": round(20 / 24, 4)}
    assert kpis.completeness_overall == round(68 / 72, 4)
    assert [(x["kind"], x["station_id"], x["severity"]) for x in kpis.active_alerts] == [
        ("aqi_bad", "A", "bad"), ("no_data", "B", "warning")]
    quality = quality_by_station(engine, EnvFilter(Period(date(2026, 3, 2), date(2026, 3, 3))), HUE, now)
    assert quality.set_index("station_id").loc["B", ["expected", "valid", "flagged", "missing"]].tolist() == [
        24, 20, 0, 4]


def test_unit_filter_by_commune_or_district(engine: Engine):
    """Stations carry their current commune and the district they lay in before 1 July 2025: a
    commune code (5 digits) filters by the first, a district code (3 digits) by the second."""
    stations = [EnvStation("A", "Trạm A", 16.47, 107.59, unit_code="474", parameters=("pm25",)),
                EnvStation("B", "Trạm B", 16.40, 107.70, unit_code="479", parameters=("pm25",))]
    ingest(engine, "src", EnvRecords(stations, pm_series("A", T0, [10.0] * 3) + pm_series("B", T0, [10.0] * 3)),
           HUE, now=NOW)
    day = Period(date(2026, 3, 2), date(2026, 3, 3))
    for unit, expected in (("479", ["B"]), ("19975", ["B"]), ("19753", ["A"]), ("475", ["A"]), ("19774", [])):
        kpis = environment_kpis(engine, EnvFilter(day, unit=unit), HUE, NOW)
        assert (kpis.stations, list(kpis.aqi_now)) == (len(expected), expected), unit
    assert stations_frame(engine, EnvFilter(day, unit="19975"))["station_id"].tolist() == ["B"]


def test_simulator_history_and_live_agree(engine: Engine):
    from data_sources.environment_simulator import history, station_records

    now = datetime(2026, 3, 10, 5, 30)
    frame = history(11, date(2026, 3, 1), date(2026, 3, 11), now, "Asia/Ho_Chi_Minh")
    first = ingest(engine, "environment-simulator", EnvRecords(station_records(), frame), HUE, now=now)
    assert first.inserted == len(frame) > 3000
    again = history(11, date(2026, 3, 9), date(2026, 3, 11), now, "Asia/Ho_Chi_Minh")
    assert ingest(engine, "environment-simulator", again, HUE, now=now).unchanged == len(again)
    with engine.connect() as conn:
        st = conn.execute(select(env_stations.c.station_id, env_stations.c.simulated, env_stations.c.provider)).all()
        flags = {r[0] for r in conn.execute(select(env_observations.c.flag).distinct())}
    assert {s for s, sim, _p in st if sim} == {"sim-hue-centre", "sim-phu-bai", "sim-thuan-an", "sim-a-luoi"}
    assert "ok" in flags
    assert pd.Timestamp(frame["hour"].max()) <= pd.Timestamp(now)


def test_live_simulator_through_the_runner(tmp_path):
    """The environment simulator as a configured source: a first run sends the last 48 hours, a
    later run the new hours plus 3 already stored (unchanged), and the alerts follow the clock."""
    import json

    from ioc.collect import run_source
    from ioc.config import load_settings
    from ioc.context import build_context
    from ioc.store import runs

    def ctx_at(now: str):
        path = tmp_path / f"sources-{now[:13]}.toml"
        path.write_text(f'[[sources]]\nname = "env-sim"\ntype = "simulator"\nfamily = "environment"\n'
                        f'every_seconds = 300\nseed = 5\nnow = "{now}"\n', encoding="utf-8")
        return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/sim.sqlite",
                                            "IOC_SOURCES": str(path)}))

    first = ctx_at("2026-03-10T05:30:00")
    out = run_source(first, first.source("env-sim"))
    assert out.status == "ok" and out.counts["inserted"] > 4 * 2 * 40  # 4 stations, ≥ 2 parameters, ~48 hours
    assert json.loads(runs.get_watermark(first.engine, "env-sim")) == {"until": "2026-03-10T05:30:00"}
    later = ctx_at("2026-03-10T07:30:00")
    out2 = run_source(later, later.source("env-sim"))
    assert out2.status == "ok" and out2.counts["inserted"] > 0 and out2.counts["unchanged"] > 0
    with later.engine.connect() as conn:
        last = conn.execute(select(env_observations.c.hour).order_by(env_observations.c.hour.desc()).limit(1)).scalar()
    assert last == datetime(2026, 3, 10, 6)  # the 06:00 hour is delivered a few minutes after 07:00
