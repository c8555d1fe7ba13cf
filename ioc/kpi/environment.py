"""Environment KPIs (air quality, VN_AQI): one definition each, for the page, the CLI and exports.

For a period of local dates [from, to) and optionally one district (the stations' unit):

- ``stations``: stations known (in the district);
- ``reporting_stations``: those with at least one hourly value in the last 3 whole hours;
- ``aqi_now``: per station, the hourly VN_AQI of its latest hour among the last 3 whole
  hours (``aqi`` null when there is none: the station is silent or lacks PM), with its
  category, dominant pollutant, sub-indices and the US EPA PM2.5 AQI for comparison;
- ``worst_station``: the station with the highest ``aqi_now`` (ties: the first by id);
- ``hours_by_category``: station-hours of the period per VN_AQI category;
- ``exceedance_days``: per station, local days of the period with daily VN_AQI > 100;
- ``completeness``: per station, valid hourly values ÷ expected ones (hours of the period from
  the station's first report up to the last whole hour, × its parameters); flagged values
  (negative, impossible, stuck, spike) and missing hours count against it;
  ``completeness_overall`` is the same ratio over every station;
- ``active_alerts``: alerts open at that time, worst first.

"Now" KPIs are taken as of the end of the period or now, whichever is earlier, so a past
period shows the state at its end. Everything is read from the materialised hourly and
daily tables (``env_aqi_hourly``, ``env_aqi_daily``), never recomputed from observations.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, case, func, or_, select

from ioc.domain.air_quality import FAMILY, PARAMETERS
from ioc.domain.aqi_series import CATEGORY_CODES, HOUR_COUNT_COLUMNS
from ioc.domain.units import unit_column
from ioc.kpi.filters import PERIOD, UNIT, Filter, Selection
from ioc.kpi.periods import Period
from ioc.kpi.rollups import summed
from ioc.store.environment_aqi import last_whole_hour
from ioc.store.frames import result_frame, rows_frame
from ioc.store.ingest import read_times
from ioc.store.schema_environment import alerts, env_aqi_daily, env_aqi_hourly, env_observations, env_stations

NOW_HOURS = 3
EXCEEDANCE_AQI = 100
SEVERITY_RANK = {"hazardous": 0, "very_bad": 1, "bad": 2, "warning": 3}
KPI_NAMES = ("stations", "reporting_stations", "aqi_now", "worst_station", "hours_by_category", "exceedance_days",
             "completeness", "completeness_overall", "active_alerts")
H = timedelta(hours=1)


STATION = Filter("station", "env_station", column="station_id")
ENVIRONMENT_FILTERS = (PERIOD, UNIT, STATION)  # unit = the stations' current commune, or district before 1 July 2025
# EnvFilter(period, district=…, station=…): a Selection over ENVIRONMENT_FILTERS
EnvFilter = partial(Selection.of, ENVIRONMENT_FILTERS)


@dataclass(frozen=True)
class EnvironmentKpis:
    stations: int
    reporting_stations: int
    aqi_now: dict[str, dict[str, Any]]
    worst_station: dict[str, Any] | None
    hours_by_category: dict[str, int]
    exceedance_days: dict[str, int]
    completeness: dict[str, float | None]
    completeness_overall: float | None
    active_alerts: list[dict[str, Any]]
    as_of: datetime = field(compare=False, default=datetime(1970, 1, 1))

    def as_dict(self) -> dict[str, Any]:
        """The KPI set keyed by name (what ``kpi environment --json`` prints)."""
        out = asdict(self)
        out.pop("as_of")
        return out


def as_of(period: Period, tz: ZoneInfo, now: datetime) -> datetime:
    """When the "now" KPIs are taken: the end of the period, or ``now`` if earlier (naive UTC)."""
    return min(now, period.utc_bounds(tz)[1])


def stations_frame(engine: Engine, flt: Selection) -> pd.DataFrame:
    """The stations in the filter, by id (times naive UTC)."""
    stmt = select(env_stations).order_by(env_stations.c.station_id)
    if flt.unit:
        stmt = stmt.where(env_stations.c[unit_column(flt.unit)] == flt.unit)
    if flt.station:
        stmt = stmt.where(env_stations.c.station_id == flt.station)
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt), list(env_stations.c.keys()))
    return read_times(frame, ["first_hour", "last_hour", "updated_at"])


def hourly_aqi(engine: Engine, station_ids: list[str], lo: datetime, hi: datetime) -> pd.DataFrame:
    """Materialised hourly VN_AQI of ``station_ids`` for hours in [lo, hi] (naive UTC), by station and hour."""
    cols = list(env_aqi_hourly.c.keys())
    if not station_ids:
        return pd.DataFrame(columns=cols)
    stmt = (select(env_aqi_hourly).where(env_aqi_hourly.c.station_id.in_(station_ids), env_aqi_hourly.c.hour >= lo,
                                         env_aqi_hourly.c.hour <= hi)
            .order_by(env_aqi_hourly.c.station_id, env_aqi_hourly.c.hour))
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt), cols)
    return read_times(frame, ["hour"])


def stations_with_daily_aqi(engine: Engine, station_ids: list[str], start: date, end: date) -> set[str]:
    """Which of ``station_ids`` have a daily VN_AQI on some local day of [start, end)."""
    if not station_ids:
        return set()
    stmt = (select(env_aqi_daily.c.station_id).distinct()
            .where(env_aqi_daily.c.station_id.in_(station_ids), env_aqi_daily.c.day >= start,
                   env_aqi_daily.c.day < end, env_aqi_daily.c.aqi.is_not(None)))
    with engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


def daily_aqi(engine: Engine, station_ids: list[str], start: date, end: date) -> pd.DataFrame:
    """Daily rows (VN_AQI and the day's counts) of ``station_ids`` for local days [start, end)."""
    cols = list(env_aqi_daily.c.keys())
    if not station_ids:
        return pd.DataFrame(columns=cols)
    stmt = (select(env_aqi_daily).where(env_aqi_daily.c.station_id.in_(station_ids), env_aqi_daily.c.day >= start,
                                        env_aqi_daily.c.day < end)
            .order_by(env_aqi_daily.c.station_id, env_aqi_daily.c.day))
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt), cols)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _station_clause(flt: Selection, station_ids: list[str], column):  # noqa: ANN001, ANN202
    """No clause when every station counts (a long IN list costs more than it filters)."""
    return [] if not (flt.unit or flt.station) else [column.in_(station_ids)]


def daily_sums(engine: Engine, flt: Selection, station_ids: list[str]) -> pd.DataFrame:
    """Per station over the period's local days: valid and flagged values, hours per category and
    exceedance days (daily AQI > 100), summed in the database (a year is one row per station)."""
    d = env_aqi_daily
    cols = ["valid_obs", "flagged_obs", *HOUR_COUNT_COLUMNS]
    stmt = (select(d.c.station_id, *(summed(d.c[c]) for c in cols),
                   func.sum(case((d.c.aqi > EXCEEDANCE_AQI, 1), else_=0)).label("exceedance_days"))
            .where(d.c.day >= flt.period.start, d.c.day < flt.period.end, *_station_clause(flt, station_ids, d.c.station_id))
            .group_by(d.c.station_id))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt).all(), ["station_id", *cols, "exceedance_days"])
    frame = frame[frame["station_id"].isin(station_ids)].set_index("station_id")
    return frame.reindex(station_ids).fillna(0).astype("int64")


def current_aqi(engine: Engine, stations: pd.DataFrame, moment: datetime) -> dict[str, dict[str, Any]]:
    """``aqi_now`` per station id at ``moment`` (see the module docstring)."""
    last = last_whole_hour(moment)
    recent = hourly_aqi(engine, stations["station_id"].tolist(), last - (NOW_HOURS - 1) * H, last)
    latest = recent.groupby("station_id").tail(1).set_index("station_id")
    out: dict[str, dict[str, Any]] = {}
    for s in stations.itertuples():
        row = latest.loc[s.station_id] if s.station_id in latest.index else None
        entry: dict[str, Any] = {"name": s.name, "aqi": None, "category": None, "dominant": None, "hour": None,
                                 "sub": {}, "us_epa_pm25": None}
        if row is not None:
            subs = {c.removeprefix("sub_"): int(row[c]) for c in row.index if c.startswith("sub_") and pd.notna(row[c])}
            entry.update(aqi=int(row["aqi"]), category=row["category"], dominant=row["dominant"],
                         hour=row["hour"].isoformat(), sub=subs,
                         us_epa_pm25=None if pd.isna(row["epa_pm25"]) else int(row["epa_pm25"]))
        out[s.station_id] = entry
    return out


def reporting(engine: Engine, station_ids: list[str], moment: datetime) -> set[str]:
    """Stations with at least one hourly value (any quality) in the last 3 whole hours before ``moment``."""
    if not station_ids:
        return set()
    last = last_whole_hour(moment)
    o = env_observations
    # parameter IN (…) lets the (station, parameter, hour) key serve the hour range
    stmt = select(o.c.station_id).distinct().where(
        o.c.station_id.in_(station_ids), o.c.parameter.in_(PARAMETERS), o.c.hour >= last - (NOW_HOURS - 1) * H,
        o.c.hour <= last)
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(stmt)}


def active_alerts(engine: Engine, stations: pd.DataFrame, moment: datetime) -> list[dict[str, Any]]:
    """Alerts open at ``moment`` for these stations, worst severity first, then oldest first."""
    if stations.empty:
        return []
    names = dict(zip(stations["station_id"], stations["name"], strict=True))
    stmt = select(alerts).where(alerts.c.family == FAMILY, alerts.c.key.in_(list(names)),
                                alerts.c.started_at <= moment,
                                or_(alerts.c.ended_at.is_(None), alerts.c.ended_at > moment))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    out = [{"kind": r["kind"], "station_id": r["key"], "station": names.get(r["key"], r["key"]),
            "severity": r["severity"], "started_at": r["started_at"].isoformat(), "details": json.loads(r["details"])}
           for r in rows]
    return sorted(out, key=lambda a: (SEVERITY_RANK.get(a["severity"], 9), a["started_at"], a["station_id"]))


def alert_history(engine: Engine, flt: Selection, tz: ZoneInfo, limit: int = 200) -> pd.DataFrame:
    """Alerts overlapping the period (most recent first), for the history list and its CSV."""
    lo, hi = flt.period.utc_bounds(tz)
    stations = stations_frame(engine, flt)
    cols = ["id", "kind", "key", "severity", "started_at", "ended_at", "details"]
    if stations.empty:
        return pd.DataFrame(columns=[*cols, "station"])
    stmt = (select(*(alerts.c[c] for c in cols))
            .where(alerts.c.family == FAMILY, alerts.c.key.in_(stations["station_id"].tolist()),
                   alerts.c.started_at < hi, or_(alerts.c.ended_at.is_(None), alerts.c.ended_at > lo))
            .order_by(alerts.c.started_at.desc()).limit(limit))
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt), cols)
    frame = read_times(frame, ["started_at", "ended_at"])
    frame["station"] = frame["key"].map(dict(zip(stations["station_id"], stations["name"], strict=True)))
    return frame


def quality_by_station(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> pd.DataFrame:
    """Per station over the period: expected, valid, flagged and missing hourly values, completeness."""
    stations = stations_frame(engine, flt)
    sums = daily_sums(engine, flt, stations["station_id"].tolist())
    return _quality(stations, sums, flt, tz, now)


def _quality(stations: pd.DataFrame, sums: pd.DataFrame, flt: Selection, tz: ZoneInfo, now: datetime) -> pd.DataFrame:
    lo, hi = flt.period.utc_bounds(tz)
    end = min(hi, last_whole_hour(as_of(flt.period, tz, now)) + H)
    rows = []
    for s in stations.itertuples():
        n_params = len([p for p in (s.parameters or "").split(",") if p])
        first = s.first_hour if pd.notna(s.first_hour) else None
        start = max(lo, first.to_pydatetime()) if first is not None else None
        hours = max(0, int((end - start) / H)) if start is not None else 0
        expected = hours * n_params
        valid = int(sums["valid_obs"].get(s.station_id, 0))
        flagged = int(sums["flagged_obs"].get(s.station_id, 0))
        rows.append({"station_id": s.station_id, "name": s.name, "expected": expected, "valid": valid,
                     "flagged": flagged, "missing": max(0, expected - valid - flagged),
                     "completeness": (min(1.0, valid / expected) if expected else None)})
    return pd.DataFrame(rows, columns=["station_id", "name", "expected", "valid", "flagged", "missing",
                                       "completeness"])


def history_start(engine: Engine) -> date | None:
    """The first local day with a daily VN_AQI stored (None when none): earlier periods before it
    are not compared (:mod:`ioc.kpi.compare`)."""
    with engine.connect() as conn:
        return conn.execute(select(func.min(env_aqi_daily.c.day))).scalar()


def environment_kpis(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> EnvironmentKpis:
    """The environment KPI set for ``flt`` (``now`` naive UTC)."""
    moment = as_of(flt.period, tz, now)
    stations = stations_frame(engine, flt)
    ids = stations["station_id"].tolist()
    now_aqi = current_aqi(engine, stations, moment)
    ranked = sorted(((v["aqi"], sid) for sid, v in now_aqi.items() if v["aqi"] is not None), key=lambda x: (-x[0], x[1]))
    worst = None
    if ranked:
        sid = ranked[0][1]
        worst = {"station_id": sid, **{k: now_aqi[sid][k] for k in ("name", "aqi", "category", "dominant")}}
    sums = daily_sums(engine, flt, ids)
    hours = {code: int(sums[col].sum()) for code, col in zip(CATEGORY_CODES, HOUR_COUNT_COLUMNS, strict=True)}
    exceed = sums["exceedance_days"]
    quality = _quality(stations, sums, flt, tz, now)
    expected, valid = int(quality["expected"].sum()), int(quality["valid"].sum())
    return EnvironmentKpis(
        stations=len(ids),
        reporting_stations=len(reporting(engine, ids, moment)),
        aqi_now=now_aqi,
        worst_station=worst,
        hours_by_category=hours,
        exceedance_days={sid: int(exceed.get(sid, 0)) for sid in ids},
        completeness={r.station_id: (None if r.completeness is None else round(float(r.completeness), 4))
                      for r in quality.itertuples()},
        completeness_overall=round(min(1.0, valid / expected), 4) if expected else None,
        active_alerts=active_alerts(engine, stations, moment),
        as_of=moment,
    )


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The registry's entry point (``python -m ioc kpi environment``): the KPI set as a dict."""
    flt = EnvFilter(period, unit=filters.get("unit"), station=filters.get("station"))
    return environment_kpis(engine, flt, tz, now).as_dict()
