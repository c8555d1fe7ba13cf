"""KPIs of rivers and rain (family ``flood``).

Now (from the last hours, :func:`ioc.store.floods.states`): each station's latest water level,
alarm level (0–3, Decision 05/2020/QĐ-TTg), rise over 3 hours (m/h) and rain over the last 1,
3 and 24 hours;
``highest_alarm`` the highest alarm level of any river station. Over the period: each river
station's peak (value, time, alarm level), hours at alarm level I or above, and each station's
rain total and wettest hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.domain import floods as rules
from ioc.kpi.filters import PERIOD
from ioc.kpi.periods import Period
from ioc.store import floods as store

FLOOD_FILTERS = (PERIOD,)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The registry's entry point (``python -m ioc kpi flood``): the KPI set as a dict."""
    known = rules.stations()
    current = store.latest_per_station(engine, now)
    start, end = period.utc_bounds(tz)
    rows = store.series(engine, start, min(end, now))
    by_station: dict[str, list[Any]] = {}
    for r in rows:
        by_station.setdefault(r.station_id, []).append(r)
    stations: dict[str, Any] = {}
    for sid in sorted(set(known) | set(current) | set(by_station)):
        station = known.get(sid)
        state = current.get(sid)
        rs = by_station.get(sid, [])
        levels = [r for r in rs if r.water_level_m is not None]
        peak = max(levels, key=lambda r: r.water_level_m, default=None)
        rains = [r for r in rs if r.rain_mm is not None]
        wettest = max(rains, key=lambda r: r.rain_mm, default=None)
        fresh = state is not None and state.level_at is not None and \
            (now - state.level_at).total_seconds() <= rules.LOOKBACK_HOURS * 3600
        stations[sid] = {
            "name": station.name if station else sid, "river": station.river if station else "",
            "kind": station.kind if station else ("river" if levels else "rain"),
            "levels_m": list(station.levels) if station and station.levels else None,
            "level_m": state.level_m if fresh else None, "level_at": _iso(state.level_at) if fresh else None,
            "alarm": station.alarm(state.level_m) if station and fresh else 0,
            "rise_m_per_h": rules.rise_m_per_h(state) if fresh else None,
            "rain_1h_mm": state.rain_1h if state else None, "rain_3h_mm": state.rain_3h if state else None,
            "rain_24h_mm": round(state.rain_24h, 1) if state else None,
            "last_at": _iso(state.last_at) if state else None,
            "peak_m": peak.water_level_m if peak else None, "peak_at": _iso(peak.observed_at) if peak else None,
            "peak_alarm": station.alarm(peak.water_level_m) if station and peak else 0,
            "hours_at_alarm": sum(1 for r in levels if station and station.alarm(r.water_level_m) >= 1),
            "rain_total_mm": round(sum(r.rain_mm for r in rains), 1),
            "wettest_hour_mm": wettest.rain_mm if wettest else None,
            "wettest_hour_at": _iso(wettest.observed_at) if wettest else None,
        }
    river = [s for s in stations.values() if s["kind"] == "river"]
    return {
        "highest_alarm": max((s["alarm"] for s in river), default=0),
        "stations_at_alarm": sum(1 for s in river if s["alarm"] >= 1),
        "reporting_stations": sum(1 for s in stations.values() if s["last_at"] is not None),
        "max_rain_24h_mm": max((s["rain_24h_mm"] or 0.0 for s in stations.values()), default=0.0),
        "peak_alarm_in_period": max((s["peak_alarm"] for s in river), default=0),
        "stations": stations,
    }
