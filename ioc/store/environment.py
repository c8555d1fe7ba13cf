"""Environment store: stations and hourly observations, upserted with newer-wins rules.

Observations are keyed by (station_id, parameter, hour):

- the same value again changes nothing (``unchanged``);
- a version with a later ``updated_at`` *and* a different value or unit replaces the stored
  one (``updated``); a later version with the same value is ``unchanged`` (nothing to do);
- an older or equally old version never overwrites what is stored.

Every change recomputes, in the same transaction, what depends on it (see
:mod:`ioc.store.environment_aqi`): quality flags around the changed hours, the materialised
hourly and daily VN_AQI of the affected local days, and the alerts. Stations are upserted
from station records and from the station fields that ride along with observations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from ioc.domain.air_quality import FAMILY, PARAMETERS, EnvObservation, EnvRecords, EnvStation
from ioc.store import bulk
from ioc.store.db import bump_version, load_units, sql_ts, utcnow
from ioc.store.frames import plain, rows_frame
from ioc.store.ingest import IngestResult, read_times
from ioc.store.schema_environment import env_stations

KEY = ("station_id", "parameter", "hour")
OBS_COLUMNS = ("station_id", "parameter", "hour", "value", "unit", "value_ugm3", "updated_at")
STATION_FIELDS = ("station_name", "lat", "lon", "provider")
STATION_COLUMNS = ("station_id", "name", "lat", "lon", "unit_code", "provider", "parameters", "simulated")


def observations_frame(records: Iterable[EnvObservation] | pd.DataFrame) -> pd.DataFrame:
    """Observations as the typed frame :func:`ingest` works on (station fields kept)."""
    if isinstance(records, pd.DataFrame):
        frame = records.copy()
    else:
        frame = pd.DataFrame.from_records(
            [{f: getattr(r, f) for f in (*OBS_COLUMNS, *STATION_FIELDS)} for r in records],
            columns=[*OBS_COLUMNS, *STATION_FIELDS])
    for col in STATION_FIELDS:
        if col not in frame:
            frame[col] = "" if col in ("station_name", "provider") else np.nan
    for col in ("hour", "updated_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    for col in ("value", "value_ugm3", "lat", "lon"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in ("station_id", "parameter", "unit", "station_name", "provider"):
        frame[col] = frame[col].fillna("").astype(object)
    return frame


def split_records(records: Any) -> tuple[list[EnvStation], pd.DataFrame]:
    """(stations, observation frame) from an :class:`EnvRecords`, a frame or a record list."""
    if isinstance(records, EnvRecords):
        return list(records.stations), observations_frame(records.observations)
    if isinstance(records, pd.DataFrame):
        return [], observations_frame(records)
    items = list(records)
    stations = [r for r in items if isinstance(r, EnvStation)]
    obs = [r for r in items if isinstance(r, EnvObservation)]
    other = [r for r in items if not isinstance(r, EnvStation | EnvObservation)]
    if other:
        raise TypeError(f"cannot store {type(other[0]).__name__} as environment data")
    return stations, observations_frame(obs)


def in_list(conn: Connection, values: Sequence[Any]) -> str:
    ph = bulk.placeholder(conn)
    return "(" + ", ".join([ph] * len(values)) + ")"


def load_observations(conn: Connection, stations: Sequence[str], lo: datetime, hi: datetime,
                      columns: Sequence[str] = (*OBS_COLUMNS, "flag")) -> pd.DataFrame:
    """Stored observations of ``stations`` with lo ≤ hour < hi (naive UTC), sorted by key."""
    if not len(stations):
        return pd.DataFrame(columns=list(columns))
    ph = bulk.placeholder(conn)
    sql = (f"SELECT {', '.join(columns)} FROM env_observations WHERE station_id IN {in_list(conn, stations)} "
           f"AND parameter IN {in_list(conn, PARAMETERS)} AND hour >= {ph} AND hour < {ph} "
           "ORDER BY station_id, parameter, hour")
    rows = plain(conn.exec_driver_sql(sql, (*stations, *PARAMETERS, sql_ts(conn, lo), sql_ts(conn, hi))))
    frame = rows_frame(rows, list(columns))
    frame = read_times(frame, [c for c in ("hour", "updated_at") if c in columns])
    for col in ("value", "value_ugm3"):
        if col in frame:
            frame[col] = frame[col].astype("float64")
    return frame


def _upsert_stations(conn: Connection, source: str, declared: list[EnvStation], obs: pd.DataFrame,
                     now: datetime) -> int:
    """Create or refresh stations: declared records first, then the fields in observations.

    Returns how many stations were created or changed."""
    info: dict[str, dict[str, Any]] = {}
    for s in declared:
        info[s.station_id] = {"name": s.name, "lat": s.lat, "lon": s.lon, "unit_code": s.unit_code,
                              "provider": s.provider, "parameters": set(s.parameters), "simulated": s.simulated}
    if not obs.empty:
        ordered = obs.sort_values("updated_at", kind="stable")

        def latest(mask: pd.Series, cols: list[str]) -> pd.DataFrame:
            return ordered[mask.loc[ordered.index]].groupby("station_id", sort=False)[cols].last()

        names = latest(obs["station_name"] != "", ["station_name"])["station_name"]
        providers = latest(obs["provider"] != "", ["provider"])["provider"]
        coords = latest(obs["lat"].notna() & obs["lon"].notna(), ["lat", "lon"])
        for sid, params in obs.groupby("station_id")["parameter"].agg(set).items():
            entry = info.setdefault(str(sid), {"parameters": set()})
            entry["parameters"] |= params
            if sid in names.index and not entry.get("name"):
                entry["name"] = names[sid]
            if sid in providers.index and not entry.get("provider"):
                entry["provider"] = providers[sid]
            if sid in coords.index and entry.get("lat") is None:
                entry["lat"], entry["lon"] = float(coords.loc[sid, "lat"]), float(coords.loc[sid, "lon"])
    if not info:
        return 0
    units = load_units(conn)
    ids = list(info)
    existing = {r["station_id"]: dict(r) for r in conn.execute(
        select(env_stations).where(env_stations.c.station_id.in_(ids))).mappings()}
    changed = 0
    for sid, entry in info.items():
        old = existing.get(sid)
        lat = entry.get("lat") if entry.get("lat") is not None else (old or {}).get("lat")
        lon = entry.get("lon") if entry.get("lon") is not None else (old or {}).get("lon")
        unit = entry.get("unit_code") or (old or {}).get("unit_code") or ""
        # A station stays put: its current commune, and the district-level unit it lay in on the
        # last day that level existed (for periods viewed by the old districts).
        now_placed = units.place(max(units.changeover, now.date()), code=unit, lat=lat, lon=lon)
        eve_placed = units.place(units.eve, lat=lat, lon=lon)
        unit = unit or now_placed.unit_code
        params = set(filter(None, ((old or {}).get("parameters") or "").split(","))) | entry["parameters"]
        row = {
            "name": entry.get("name") or (old or {}).get("name") or sid, "lat": lat, "lon": lon, "unit_code": unit,
            "commune_code": now_placed.commune_code, "district_code": eve_placed.district_code,
            "provider": entry.get("provider") or (old or {}).get("provider") or "",
            "parameters": ",".join(p for p in PARAMETERS if p in params),
            "simulated": bool(entry.get("simulated", (old or {}).get("simulated", False))),
            "source": source if old is None or entry.get("name") else old["source"], "updated_at": now,
        }
        if old is None:
            conn.execute(env_stations.insert().values(station_id=sid, **row))
            changed += 1
        elif any(row[k] != old[k] for k in row if k not in ("updated_at", "source")):
            conn.execute(env_stations.update().where(env_stations.c.station_id == sid).values(**row))
            changed += 1
    return changed


def _update_reporting_span(conn: Connection, obs: pd.DataFrame) -> None:
    """Widen each station's [first_hour, last_hour] to cover the stored observations."""
    span = obs.groupby("station_id")["hour"].agg(["min", "max"])
    ph = bulk.placeholder(conn)
    params = []
    for sid, row in span.iterrows():
        lo, hi = sql_ts(conn, row["min"].to_pydatetime()), sql_ts(conn, row["max"].to_pydatetime())
        params.append((lo, lo, hi, hi, sid))
    conn.exec_driver_sql(
        f"UPDATE env_stations SET first_hour = CASE WHEN first_hour IS NULL OR first_hour > {ph} THEN {ph} "
        f"ELSE first_hour END, last_hour = CASE WHEN last_hour IS NULL OR last_hour < {ph} THEN {ph} "
        f"ELSE last_hour END WHERE station_id = {ph}", params)


def ingest(engine: Engine, source: str, records: Any, tz: ZoneInfo, calendar: Any = None,
           now: datetime | None = None) -> IngestResult:
    """Upsert stations and observations from ``source`` and refresh VN_AQI and alerts.

    ``now`` (naive UTC, default: the clock) is when the data is looked at: hours after the
    last whole hour get no AQI, and a station silent for 3 hours before ``now`` has an alert.
    """
    from ioc.store.environment_aqi import recompute, refresh_alerts

    now = now or utcnow()
    declared, obs = split_records(records)
    obs = obs.sort_values("updated_at", kind="stable").drop_duplicates(list(KEY), keep="last")
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:environment")
        stations_changed = _upsert_stations(conn, source, declared, obs, now)
        result = IngestResult()
        hints: dict[str, datetime] = {}
        if not obs.empty:
            lo, hi = obs["hour"].min().to_pydatetime(), obs["hour"].max().to_pydatetime()
            old = load_observations(conn, obs["station_id"].unique().tolist(), lo, hi + pd.Timedelta(hours=1),
                                    ("station_id", "parameter", "hour", "value", "unit", "updated_at"))
            old = old.rename(columns={"value": "_old_value", "unit": "_old_unit", "updated_at": "_old_updated"})
            merged = obs.merge(old, on=list(KEY), how="left")
            is_new = merged["_old_updated"].isna().to_numpy()
            differs = ((merged["value"] != merged["_old_value"]) | (merged["unit"] != merged["_old_unit"])).to_numpy()
            newer = ~is_new & (merged["updated_at"] > merged["_old_updated"]).to_numpy() & differs
            changed = merged[is_new | newer][list(obs.columns)].assign(_new=is_new[is_new | newer])
            if len(changed):
                hints = recompute(conn, source, changed, tz, now)
                _update_reporting_span(conn, changed)
            result = IngestResult(int(is_new.sum()), int(newer.sum()), int(len(obs) - is_new.sum() - newer.sum()))
        alerts_changed = refresh_alerts(conn, now, hints)
        result = IngestResult(result.inserted, result.updated, result.unchanged, alerts_changed)
        if result.changed or alerts_changed or stations_changed:
            bump_version(conn, FAMILY)
    return result
