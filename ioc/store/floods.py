"""Store and read the hydrological stations' hourly observations (family ``flood``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from ioc.domain import floods as rules
from ioc.domain.alert_rules import Finding
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import utcnow
from ioc.store import bulk
from ioc.store.db import bump_version
from ioc.store.ingest import IngestResult
from ioc.store.schema_floods import flood_observations as obs

WATCH_HOURS = 48  # stations silent longer are not watched for silence


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


def ingest(engine: Engine, source: str, records: Iterable[rules.FloodObservation], tz: ZoneInfo | None = None,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Upsert observations from ``source``; a later ``updated_at`` replaces a stored value."""
    latest: dict[tuple[str, datetime], rules.FloodObservation] = {}
    for r in records:
        key = (r.station_id, r.observed_at)
        if key not in latest or r.updated_at >= latest[key].updated_at:
            latest[key] = r
    if not latest:
        return IngestResult()
    now = utcnow()
    first, last = min(k[1] for k in latest), max(k[1] for k in latest)
    ids = sorted({k[0] for k in latest})
    inserted, updated, unchanged = [], [], 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:flood")
        stored = {(r.station_id, r.observed_at): r for r in conn.execute(
            select(obs.c.id, obs.c.station_id, obs.c.observed_at, obs.c.water_level_m, obs.c.rain_mm,
                   obs.c.updated_at)
            .where(obs.c.source == source, obs.c.station_id.in_(ids), obs.c.observed_at.between(first, last)))}
        for key, r in latest.items():
            old = stored.get(key)
            values = {"water_level_m": r.water_level_m, "rain_mm": r.rain_mm, "updated_at": r.updated_at,
                      "ingested_at": now}
            if old is None:
                inserted.append({"source": source, "station_id": r.station_id, "observed_at": r.observed_at, **values})
            elif r.updated_at > old.updated_at and not (_close(old.water_level_m, r.water_level_m)
                                                        and _close(old.rain_mm, r.rain_mm)):
                updated.append({"row_id": old.id, **values})
            else:
                unchanged += 1
        if inserted:
            conn.execute(obs.insert(), inserted)
        if updated:
            conn.execute(update(obs).where(obs.c.id == bindparam("row_id")).values(
                water_level_m=bindparam("water_level_m"), rain_mm=bindparam("rain_mm"),
                updated_at=bindparam("updated_at"), ingested_at=bindparam("ingested_at")), updated)
        if inserted or updated:
            bump_version(conn, rules.FAMILY)
    return IngestResult(len(inserted), len(updated), unchanged)


# --------------------------------------------------------------------------- reading


def series(engine: Engine, start: datetime, end: datetime, station_ids: Iterable[str] | None = None) -> list[Any]:
    """Observations in ``(start, end]`` (naive UTC), by station then time; a station observed by
    several sources gives each source's rows."""
    stmt = select(obs.c.station_id, obs.c.observed_at, obs.c.water_level_m, obs.c.rain_mm, obs.c.source) \
        .where(obs.c.observed_at > start, obs.c.observed_at <= end)
    if station_ids is not None:
        stmt = stmt.where(obs.c.station_id.in_(sorted(station_ids)))
    with engine.connect() as conn:
        return conn.execute(stmt.order_by(obs.c.station_id, obs.c.observed_at)).all()


def states(conn: Connection, now: datetime) -> list[rules.StationState]:
    """Each station's state at ``now`` from the last :data:`WATCH_HOURS` hours."""
    rows = conn.execute(select(obs.c.station_id, obs.c.observed_at, obs.c.water_level_m, obs.c.rain_mm)
                        .where(obs.c.observed_at > now - timedelta(hours=WATCH_HOURS), obs.c.observed_at <= now)
                        .order_by(obs.c.station_id, obs.c.observed_at)).all()
    by_station: dict[str, list[Any]] = {}
    for r in rows:
        by_station.setdefault(r.station_id, []).append(r)
    out = []
    for station_id, rs in by_station.items():
        levels = [r for r in rs if r.water_level_m is not None]
        last_level = levels[-1] if levels else None
        before = None
        if last_level is not None:
            target = last_level.observed_at - timedelta(hours=rules.RISE_HOURS)
            before = next((r.water_level_m for r in levels if r.observed_at == target), None)
        rain = {h: round(sum(r.rain_mm or 0.0 for r in rs if r.observed_at > now - timedelta(hours=h)), 1)
                for h in (1, 3, 24)}
        out.append(rules.StationState(station_id, rs[-1].observed_at, last_level.observed_at if last_level else None,
                                      last_level.water_level_m if last_level else None, before, rain[24],
                                      rain[1], rain[3]))
    return out


def _run_starts(conn: Connection, now: datetime, current: list[rules.StationState]) -> dict[str, datetime]:
    """For each station at an alarm level now: the first observation of its unbroken run at
    that level (within the watch window)."""
    known = rules.stations()
    out = {}
    for s in current:
        station = known.get(s.station_id)
        level = station.alarm(s.level_m) if station else 0
        if not level:
            continue
        rows = conn.execute(select(obs.c.observed_at, obs.c.water_level_m).where(
            obs.c.station_id == s.station_id, obs.c.water_level_m.is_not(None),
            obs.c.observed_at > now - timedelta(hours=WATCH_HOURS), obs.c.observed_at <= now)
            .order_by(obs.c.observed_at.desc())).all()
        start = s.level_at
        for r in rows:
            if station.alarm(r.water_level_m) != level:  # type: ignore[union-attr]
                break
            start = r.observed_at
        out[s.station_id] = start  # type: ignore[assignment]
    return out


def findings(conn: Connection, now: datetime) -> list[Finding]:
    """The alerts the observations raise at ``now`` (:func:`ioc.domain.floods.findings`)."""
    current = states(conn, now)
    return rules.findings(current, now, _run_starts(conn, now, current))


def latest_per_station(engine: Engine, now: datetime) -> dict[str, rules.StationState]:
    with engine.connect() as conn:
        return {s.station_id: s for s in states(conn, now)}


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(obs)).scalar_one())

