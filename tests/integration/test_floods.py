"""Rivers and rain end to end (issue #15): hourly observations stored on SQLite and PostgreSQL
(a later version replaces a value, a repeat changes nothing); level crossings up and down, very
heavy rain and a gauge silent during a flood raise and end alerts and move the city stage; a
file is imported with its bad rows quarantined by row number."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.alerts import current_alerts, current_stage, evaluate, recent_alerts, replay
from ioc.collect import import_file
from ioc.config import load_settings
from ioc.context import build_context
from ioc.domain.floods import FloodObservation
from ioc.i18n_alerts import describe
from ioc.kpi.floods import family_kpis
from ioc.kpi.periods import Period
from ioc.store import floods as store
from ioc.store import runs

SETTINGS = load_settings({})
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 8, 0)  # naive UTC
H = timedelta(hours=1)


def _obs(sid: str, hour: int, level: float | None, rain: float | None = 0.0, version: int = 0) -> FloodObservation:
    at = T0 + hour * H
    return FloodObservation(sid, at, level, rain, at + version * timedelta(minutes=1))


def test_observations_are_upserted_by_station_and_hour(engine: Engine) -> None:
    first = store.ingest(engine, "kttv", [_obs("kim_long", h, 0.5 + 0.1 * h) for h in range(1, 6)])
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    again = store.ingest(engine, "kttv", [_obs("kim_long", 3, 0.8), _obs("kim_long", 4, 1.1, version=1),
                                          _obs("kim_long", 4, 0.9, version=0)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    values = {r.observed_at: r.water_level_m for r in store.series(engine, T0, T0 + 10 * H, ["kim_long"])}
    assert values[T0 + 4 * H] == 1.1 and values[T0 + 3 * H] == 0.8 and len(values) == 5


def test_crossings_heavy_rain_and_a_silent_gauge_raise_and_end_alerts(engine: Engine) -> None:
    # Kim Long rises through levels I, II and III and falls back; A Lưới pours 30 mm an hour
    # and goes silent at hour 6.
    levels = {1: 0.8, 2: 1.2, 3: 2.1, 4: 2.9, 5: 3.6, 6: 3.9, 7: 3.4, 8: 1.9, 9: 0.9}
    store.ingest(engine, "kttv", [_obs("kim_long", h, v, 5.0) for h, v in levels.items()]
                 + [_obs("a_luoi", h, None, 30.0) for h in range(1, 6)])
    at = {h: T0 + h * H for h in levels}
    evaluate(engine, SETTINGS, at[4], sources=())
    flood = {a.key: a for a in current_alerts(engine, at[4]) if a.family == "flood"}
    assert set(flood) == {"kim_long/II", "a_luoi"} and flood["kim_long/II"].level == "high"
    assert flood["a_luoi"].kind == "heavy_rain" and flood["a_luoi"].level == "warning"
    evaluate(engine, SETTINGS, at[6], sources=())
    now6 = {a.key: a for a in current_alerts(engine, at[6]) if a.family == "flood"}
    assert now6["kim_long/III"].level == "critical" and now6["kim_long/III"].started_at == at[5]
    assert "kim_long/II" not in now6
    assert current_stage(engine, at[6]).level == 4
    line = describe(now6["kim_long/III"], "vi")
    assert line == "Sông Hương tại Kim Long: 3,90 m, trên báo động III (3,50 m), đang lên 0,60 m/giờ"
    evaluate(engine, SETTINGS, at[7], sources=())  # back to level II
    evaluate(engine, SETTINGS, at[8], sources=())  # to level I; A Lưới silent for 3 h during the flood
    now8 = {(a.kind, a.key): a for a in current_alerts(engine, at[8]) if a.family == "flood"}
    assert set(now8) == {("flood_level", "kim_long/I"), ("heavy_rain", "a_luoi"), ("station_silent", "a_luoi")}
    silent = now8[("station_silent", "a_luoi")]
    assert silent.level == "high"
    assert describe(silent, "vi") == "Trạm A Lưới không gửi số liệu 3 giờ trong khi đang có lũ"
    evaluate(engine, SETTINGS, at[9] + 30 * H, sources=())
    assert not [a for a in current_alerts(engine, at[9] + 30 * H) if a.family == "flood"]
    history = sorted(a.key for a in recent_alerts(engine, T0, family="flood") if a.kind == "flood_level")
    assert history == ["kim_long/I", "kim_long/II", "kim_long/II", "kim_long/III"]  # each crossing evaluated


def test_kpis_of_a_flood_night(engine: Engine) -> None:
    store.ingest(engine, "kttv", [_obs("phu_oc", h, 2.0 + 0.5 * h, 12.0) for h in range(1, 6)])
    kpis = family_kpis(engine, Period(T0.date(), T0.date() + timedelta(days=1)), {}, HUE, T0 + 5 * H)
    phu_oc = kpis["stations"]["phu_oc"]
    assert (kpis["highest_alarm"], kpis["stations_at_alarm"]) == (3, 1)
    assert (phu_oc["level_m"], phu_oc["alarm"], phu_oc["rise_m_per_h"]) == (4.5, 3, 0.5)
    assert (phu_oc["rain_1h_mm"], phu_oc["rain_3h_mm"], phu_oc["rain_24h_mm"]) == (12.0, 36.0, 60.0)
    assert phu_oc["hours_at_alarm"] == 5 and phu_oc["peak_m"] == 4.5
    assert kpis["stations"]["kim_long"]["level_m"] is None and kpis["reporting_stations"] == 1


def test_a_file_is_imported_and_its_bad_rows_quarantined(tmp_path: Path) -> None:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/f.sqlite"}))
    path = tmp_path / "muc-nuoc.csv"
    path.write_text("station_id,observed_at,water_level_m,rain_mm\n"
                    "kim_long,08/11/2026 10:00,\"3,62\",12.5\n"      # row 2: local time, decimal comma
                    "kim_long,08/11/2026 10:30,3.70,\n"              # row 3: not on the hour
                    "phu_oc,2026-11-08T10:00:00+07:00,,\n"           # row 4: neither value
                    "phu_oc,2026-11-08T11:00:00+07:00,4.1,8\n", encoding="utf-8")
    outcome = import_file(ctx, "flood", path, show_progress=False)
    assert outcome.status == "ok" and (outcome.counts["inserted"], outcome.counts["rejected"]) == (2, 2)
    reasons = {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, outcome.source)}
    assert any("row 3" in loc and "not on the hour" in why for loc, why in reasons.items()), reasons
    assert any("row 4" in loc and "water_level_m" in why for loc, why in reasons.items()), reasons
    rows = store.series(ctx.engine, datetime(2026, 11, 8), datetime(2026, 11, 9))
    assert [(r.station_id, r.observed_at, r.water_level_m) for r in rows] == [
        ("kim_long", datetime(2026, 11, 8, 3), 3.62), ("phu_oc", datetime(2026, 11, 8, 4), 4.1)]


def test_a_history_written_at_once_is_replayed_into_its_alerts(engine: Engine) -> None:
    levels = {1: 0.8, 2: 1.2, 3: 2.1, 4: 2.9, 5: 3.6, 6: 3.9, 7: 3.4, 8: 1.9, 9: 0.9}
    store.ingest(engine, "kttv", [_obs("kim_long", h, v) for h, v in levels.items()])
    evaluate(engine, SETTINGS, T0 + 9 * H, sources=())  # the live evaluation: nothing holds now
    counts = replay(engine, T0, T0 + 9 * H, families=("flood",))
    assert counts["steps"] == 10
    episodes = sorted((a.started_at, a.ended_at, a.key) for a in recent_alerts(engine, T0, family="flood"))
    assert episodes == [(T0 + 2 * H, T0 + 3 * H, "kim_long/I"), (T0 + 3 * H, T0 + 5 * H, "kim_long/II"),
                        (T0 + 5 * H, T0 + 7 * H, "kim_long/III"), (T0 + 7 * H, T0 + 8 * H, "kim_long/II"),
                        (T0 + 8 * H, T0 + 9 * H, "kim_long/I")]
    replay(engine, T0, T0 + 9 * H, families=("flood",))  # again: the same episodes, no new rows
    assert sorted((a.started_at, a.ended_at, a.key) for a in recent_alerts(engine, T0, family="flood")) == episodes
