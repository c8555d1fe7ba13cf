"""What the environment store derives from observations, kept up to date on every ingest.

After a change to the hours [lo, hi] of some stations, in the ingest's transaction:

1. **quality flags** are recomputed for those stations on [lo − 36 h, hi + 36 h] and rewritten
   where they changed in [lo − 12 h, hi + 12 h] (a stuck run or a spike is decided by its
   neighbours, so a new hour can change the flags of hours before it);
2. **hourly VN_AQI** is recomputed for the whole local days around [lo − 12 h, hi + 23 h]
   (a flag change reaches 11 hours forward through the NowCast) and replaces the stored rows;
   hours after the last whole hour before ``now`` get none;
3. **daily VN_AQI** and the day's counts are recomputed for the same local days;
4. **alerts** are re-derived (see :func:`refresh_alerts`).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from ioc.domain.air_quality import FAMILY, PARAMETERS, quality_flags
from ioc.domain.aqi_series import DAILY_COLUMNS, HOURLY_COLUMNS, daily_aqi_frame, hourly_aqi_frame
from ioc.environment_alerts import KINDS, SILENCE_HOURS, bad_air_episodes, no_data_episodes
from ioc.store import bulk
from ioc.store.db import json_dumps, sql_date, sql_ts, utcnow
from ioc.store.environment import OBS_COLUMNS, in_list, load_observations
from ioc.store.frames import plain, rows_frame
from ioc.store.ingest import read_times

H = timedelta(hours=1)
FLAG_REACH = timedelta(hours=12)
CONTEXT = timedelta(hours=36)
QUIET_LOOKBACK = timedelta(hours=6)
OBS_WRITE = ("value", "unit", "value_ugm3", "flag", "source", "updated_at", "ingested_at")


def local_midnight_utc(moment: datetime, tz: ZoneInfo, days: int = 0) -> datetime:
    """Naive UTC of the local midnight that starts ``moment``'s local day, plus ``days`` days."""
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def last_whole_hour(now: datetime) -> datetime:
    """The start of the last hour that is over at ``now`` (naive UTC)."""
    return now.replace(minute=0, second=0, microsecond=0) - H


def _exec_many(conn: Connection, sql: str, frame: pd.DataFrame, columns: list[str]) -> None:
    if len(frame):
        conn.exec_driver_sql(sql, bulk.rows(conn, frame, columns))


def recompute(conn: Connection, source: str, changed: pd.DataFrame, tz: ZoneInfo, now: datetime) -> dict[str, datetime]:
    """Write ``changed`` observations (``_new`` marks inserts) and everything derived from them.

    Returns, per station, the UTC start of the first local day recomputed (for the alerts).
    """
    stations = sorted(changed["station_id"].unique().tolist())
    lo, hi = changed["hour"].min().to_pydatetime(), changed["hour"].max().to_pydatetime()
    d0 = local_midnight_utc(lo - FLAG_REACH, tz)
    d1 = local_midnight_utc(hi + 2 * FLAG_REACH, tz, days=1)
    stored = load_observations(conn, stations, min(d0 - FLAG_REACH, lo - CONTEXT), max(d1, hi + CONTEXT))
    keys = pd.MultiIndex.from_frame(changed[["station_id", "parameter", "hour"]])
    stored_keys = pd.MultiIndex.from_frame(stored[["station_id", "parameter", "hour"]])
    kept = stored[~stored_keys.isin(keys)].assign(_changed=False, _new=False)
    fresh = changed[list(OBS_COLUMNS)].assign(flag=None, _changed=True, _new=changed["_new"].to_numpy(dtype=bool))
    ctx = pd.concat([kept, fresh], ignore_index=True).sort_values(["station_id", "parameter", "hour"],
                                                                  kind="stable", ignore_index=True)
    flags = quality_flags(ctx["station_id"].to_numpy(), ctx["parameter"].to_numpy(),
                          ctx["hour"].to_numpy(), ctx["value_ugm3"].to_numpy())
    near = ((ctx["hour"] >= lo - FLAG_REACH) & (ctx["hour"] <= hi + FLAG_REACH)).to_numpy()
    is_changed = ctx["_changed"].to_numpy(dtype=bool)
    is_new = ctx["_new"].to_numpy(dtype=bool)
    old_flag = ctx["flag"].to_numpy(dtype=object)
    final = np.where(near | is_changed, flags, old_flag)
    refl = ~is_changed & (final != old_flag)
    ctx["flag"] = final
    now_ = utcnow()
    new_rows = ctx[is_new].assign(source=source, ingested_at=now_)
    bulk.insert_many(conn, "env_observations", new_rows, [*OBS_COLUMNS, "flag", "source", "ingested_at"])
    ph = bulk.placeholder(conn)
    where = f"WHERE station_id = {ph} AND parameter = {ph} AND hour = {ph}"
    upd = ctx[is_changed & ~is_new].assign(source=source, ingested_at=now_)
    _exec_many(conn, f"UPDATE env_observations SET {', '.join(f'{c} = {ph}' for c in OBS_WRITE)} {where}", upd,
               [*OBS_WRITE, "station_id", "parameter", "hour"])
    _exec_many(conn, f"UPDATE env_observations SET flag = {ph} {where}", ctx[refl],
               ["flag", "station_id", "parameter", "hour"])
    obs = ctx[["station_id", "parameter", "hour", "value_ugm3", "flag"]]
    upto = min(d1, last_whole_hour(now) + H)
    hourly = hourly_aqi_frame(obs, d0, upto) if upto > d0 else pd.DataFrame(columns=list(HOURLY_COLUMNS))
    sids = in_list(conn, stations)
    conn.exec_driver_sql(f"DELETE FROM env_aqi_hourly WHERE station_id IN {sids} AND hour >= {ph} AND hour < {ph}",
                         (*stations, sql_ts(conn, d0), sql_ts(conn, d1)))
    bulk.insert_many(conn, "env_aqi_hourly", hourly, list(HOURLY_COLUMNS))
    day0 = pd.Timestamp(d0.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date())
    day1 = pd.Timestamp(d1.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date())
    daily = daily_aqi_frame(obs[(obs["hour"] >= d0 - 8 * H) & (obs["hour"] < d1)], hourly, tz, (day0, day1))
    conn.exec_driver_sql(f"DELETE FROM env_aqi_daily WHERE station_id IN {sids} AND day >= {ph} AND day < {ph}",
                         (*stations, sql_date(conn, day0.date()), sql_date(conn, day1.date())))
    if len(daily):
        daily = daily.assign(day=[sql_date(conn, d) for d in daily["day"]])
        bulk.insert_many(conn, "env_aqi_daily", daily, list(DAILY_COLUMNS))
    return dict.fromkeys(stations, d0)


# --------------------------------------------------------------------------- alerts


def _stored_alerts(conn: Connection, started_from: datetime) -> pd.DataFrame:
    """Station episodes (``no_data``, ``aqi_bad``) that started at or after ``started_from``; the
    family's other alerts (a source failing or stale, keyed by source name) are not theirs to sync."""
    ph = bulk.placeholder(conn)
    rows = plain(conn.exec_driver_sql(
        "SELECT id, kind, key, severity, started_at, ended_at, details FROM alerts "
        f"WHERE family = {ph} AND kind IN {in_list(conn, KINDS)} AND started_at >= {ph}",
        (FAMILY, *KINDS, sql_ts(conn, started_from))))
    frame = rows_frame(rows, ["id", "kind", "key", "severity", "started_at", "ended_at",
                                                     "details"])
    return read_times(frame, ["started_at", "ended_at"])


def _last_report_before(conn: Connection, station: str, before: datetime) -> datetime | None:
    ph = bulk.placeholder(conn)
    value = conn.exec_driver_sql(
        f"SELECT MAX(hour) FROM env_observations WHERE station_id = {ph} AND parameter IN {in_list(conn, PARAMETERS)} "
        f"AND hour < {ph}", (station, *PARAMETERS, sql_ts(conn, before))).scalar()
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def _straddling_start(conn: Connection, station: str, a0: datetime) -> datetime | None:
    """Start of the earliest stored alert of ``station`` begun before ``a0`` and not over 3 h before it."""
    ph = bulk.placeholder(conn)
    value = conn.exec_driver_sql(
        f"SELECT MIN(started_at) FROM alerts WHERE family = {ph} AND kind IN {in_list(conn, KINDS)} "
        f"AND key = {ph} AND started_at < {ph} AND (ended_at IS NULL OR ended_at > {ph})",
        (FAMILY, *KINDS, station, sql_ts(conn, a0),
         sql_ts(conn, a0 - timedelta(hours=SILENCE_HOURS)))).scalar()
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def _window_starts(conn: Connection, hints: dict[str, datetime]
                   ) -> tuple[dict[str, datetime], dict[str, datetime | None]]:
    """Per station, the earliest hour from which alerts are re-derived, and the last report before it.

    Widened until no stored alert straddles it (nor ends less than 3 h after it) and no
    silence runs into it, so the stored episodes before it stand as they are.
    """
    starts: dict[str, datetime] = {}
    before: dict[str, datetime | None] = {}
    for sid, a0 in hints.items():
        while True:
            candidates = [a0]
            straddle = _straddling_start(conn, sid, a0)
            if straddle is not None:
                candidates.append(straddle)
            prior = _last_report_before(conn, sid, a0)
            if prior is not None and prior + H < a0:
                candidates.append(prior + H)
            new = min(candidates)
            if new >= a0:
                break
            a0 = new
        starts[sid], before[sid] = a0, prior
    return starts, before


def refresh_alerts(conn: Connection, now: datetime, hints: dict[str, datetime] | None = None) -> int:
    """Re-derive every station's alerts from its window start up to ``now``; returns rows changed.

    ``hints``: stations whose data changed and the first hour to look at; every other station
    is looked at over the last 6 hours (enough to raise or close a ``no_data`` alert).
    """
    stations = [r[0] for r in conn.exec_driver_sql("SELECT station_id FROM env_stations WHERE last_hour IS NOT NULL")]
    stations += [s for s in (hints or {}) if s not in stations]
    if not stations:
        return 0
    wanted = {sid: (hints or {}).get(sid, now - QUIET_LOOKBACK) for sid in stations}
    starts, before = _window_starts(conn, wanted)
    since = min(starts.values())
    ph = bulk.placeholder(conn)
    sids = in_list(conn, stations)
    reported = pd.DataFrame.from_records(plain(conn.exec_driver_sql(
        f"SELECT DISTINCT station_id, hour FROM env_observations WHERE station_id IN {sids} "
        f"AND parameter IN {in_list(conn, PARAMETERS)} AND hour >= {ph}",
        (*stations, *PARAMETERS, sql_ts(conn, since)))), columns=["station_id", "hour"])
    reported = read_times(reported, ["hour"])
    aqi = pd.DataFrame.from_records(plain(conn.exec_driver_sql(
        f"SELECT station_id, hour, aqi, dominant FROM env_aqi_hourly WHERE station_id IN {sids} AND hour >= {ph} "
        "ORDER BY station_id, hour", (*stations, sql_ts(conn, since)))),
        columns=["station_id", "hour", "aqi", "dominant"])
    aqi = read_times(aqi, ["hour"])
    all_stored = _stored_alerts(conn, since)
    changes = 0
    for sid in stations:
        a0 = starts[sid]
        hours = reported.loc[(reported["station_id"] == sid) & (reported["hour"] >= a0), "hour"]
        mine = aqi[(aqi["station_id"] == sid) & (aqi["hour"] >= a0)]
        episodes = no_data_episodes(sid, [h.to_pydatetime() for h in hours], a0, now, before[sid])
        episodes += bad_air_episodes(sid, [h.to_pydatetime() for h in mine["hour"]],
                                     [None if pd.isna(a) else float(a) for a in mine["aqi"]], now,
                                     mine["dominant"].tolist())
        have = all_stored[(all_stored["key"] == sid) & (all_stored["started_at"] >= a0)]
        changes += _sync(conn, sid, episodes, have)
    return changes


def _sync(conn: Connection, sid: str, episodes: list[Any], have: pd.DataFrame) -> int:
    """Make the stored alerts of ``sid`` (from its window start) equal ``episodes``."""
    ph = bulk.placeholder(conn)
    now = utcnow()
    by_key = {(r.kind, r.started_at.to_pydatetime()): r for r in have.itertuples()}
    changes = 0
    for ep in episodes:
        details = json_dumps(ep.details)
        row = by_key.pop((ep.kind, ep.started_at), None)
        ended = None if row is None or pd.isna(row.ended_at) else row.ended_at.to_pydatetime()
        if row is None:
            conn.exec_driver_sql(
                "INSERT INTO alerts (family, kind, key, severity, started_at, ended_at, details, updated_at) "
                f"VALUES ({', '.join([ph] * 8)})",
                (FAMILY, ep.kind, sid, ep.severity, sql_ts(conn, ep.started_at), sql_ts(conn, ep.ended_at), details,
                 sql_ts(conn, now)))
            changes += 1
        elif ended != ep.ended_at or row.severity != ep.severity or json.loads(row.details) != ep.details:
            conn.exec_driver_sql(
                f"UPDATE alerts SET severity = {ph}, ended_at = {ph}, details = {ph}, updated_at = {ph} WHERE id = {ph}",
                (ep.severity, sql_ts(conn, ep.ended_at), details, sql_ts(conn, now), int(row.id)))
            changes += 1
    for row in by_key.values():  # episodes that no longer exist (data corrected since)
        conn.exec_driver_sql(f"DELETE FROM alerts WHERE id = {ph}", (int(row.id),))
        changes += 1
    return changes
