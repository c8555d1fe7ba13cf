"""Store and read fishing vessels and their VMS reports (:mod:`ioc.store.schema_vessels`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from ioc.domain import vessels as rules
from ioc.domain.alert_rules import Finding
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import utcnow
from ioc.store import bulk
from ioc.store.db import bump_version
from ioc.store.frames import rows_frame
from ioc.store.ingest import IngestResult, read_times
from ioc.store.schema_vessels import vessel_latest, vessel_positions, vessels

POSITION_COLUMNS = ("vessel_id", "at", "lat", "lon", "speed_kn", "course_deg")


@dataclass
class VesselRecords:
    """A batch: registry entries and positions (a frame of :data:`POSITION_COLUMNS`)."""

    vessels: list[rules.Vessel] = field(default_factory=list)
    positions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(POSITION_COLUMNS)))

    def __len__(self) -> int:
        return len(self.vessels) + len(self.positions)


def _as_records(records: Any) -> VesselRecords:
    if isinstance(records, VesselRecords):
        return records
    items = list(records)
    positions = [r for r in items if isinstance(r, rules.Position)]
    frame = pd.DataFrame([{c: getattr(p, c) for c in POSITION_COLUMNS} for p in positions],
                         columns=list(POSITION_COLUMNS))
    return VesselRecords([r for r in items if isinstance(r, rules.Vessel)], frame)


def ingest(engine: Engine, source: str, records: Any, tz: ZoneInfo | None = None,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Upsert registry entries, insert new positions (a report already stored is unchanged),
    and move each vessel's latest position forward."""
    batch = _as_records(records)
    now = utcnow()
    frame = batch.positions
    if len(frame):
        frame = frame.assign(at=pd.to_datetime(frame["at"]).astype("datetime64[us]"))
        frame = frame.drop_duplicates(["vessel_id", "at"], keep="last")
    inserted = registry_changed = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:vessels")
        registry_changed = _upsert_registry(conn, batch.vessels, source, now)
        if len(frame):
            first, last = frame["at"].min().to_pydatetime(), frame["at"].max().to_pydatetime()
            stored = rows_frame(conn.execute(
                select(vessel_positions.c.vessel_id, vessel_positions.c.at)
                .where(vessel_positions.c.at >= first, vessel_positions.c.at <= last)).all(), ["vessel_id", "at"])
            if len(stored):
                stored = read_times(stored, ["at"])
                known = frame.merge(stored.assign(_seen=True), on=["vessel_id", "at"], how="left")["_seen"].fillna(False)
                frame = frame[~known.to_numpy(dtype=bool)]
            inserted = bulk.insert_many(conn, "vessel_positions", frame.assign(source=source),
                                        ["source", *POSITION_COLUMNS])
            if inserted:
                _move_latest(conn, frame)
        if inserted or registry_changed:
            bump_version(conn, rules.FAMILY)
    return IngestResult(inserted, registry_changed, len(batch) - inserted - registry_changed)


def _upsert_registry(conn: Connection, entries: list[rules.Vessel], source: str, now: datetime) -> int:
    if not entries:
        return 0
    stored = {r.vessel_id: r for r in conn.execute(select(vessels).where(
        vessels.c.vessel_id.in_(sorted({v.vessel_id for v in entries}))))}
    changed = 0
    for v in {v.vessel_id: v for v in entries}.values():
        old = stored.get(v.vessel_id)
        values = {"name": v.name, "length_m": v.length_m, "port": v.port}
        if old is None:
            conn.execute(vessels.insert().values(vessel_id=v.vessel_id, source=source, updated_at=now, **values))
        elif (old.name, old.length_m, old.port) != (v.name, v.length_m, v.port):
            conn.execute(vessels.update().where(vessels.c.vessel_id == v.vessel_id)
                         .values(source=source, updated_at=now, **values))
        else:
            continue
        changed += 1
    return changed


def _move_latest(conn: Connection, frame: pd.DataFrame) -> None:
    newest = frame.sort_values("at").drop_duplicates("vessel_id", keep="last")
    lat, lon = newest["lat"].to_numpy(float), newest["lon"].to_numpy(float)
    newest = newest.assign(port_id=rules.port_at(lat, lon), outside=~rules.inside(lat, lon))
    ph = bulk.placeholder(conn)
    cols = ("vessel_id", "at", "lat", "lon", "speed_kn", "port_id", "outside")
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    sql = (f"INSERT INTO vessel_latest ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))}) "
           f"ON CONFLICT (vessel_id) DO UPDATE SET {sets} WHERE excluded.at > vessel_latest.at")
    bulk.execute_many(conn, sql, newest, cols)


# --------------------------------------------------------------------------- reading


def latest(conn: Connection) -> list[Any]:
    return conn.execute(select(vessel_latest)).all()


def names(conn: Connection) -> dict[str, str]:
    return {r.vessel_id: r.name for r in conn.execute(select(vessels.c.vessel_id, vessels.c.name))}


def findings(conn: Connection, now: datetime) -> list[Finding]:
    """The alerts the vessels' latest positions raise at ``now`` (:func:`ioc.domain.vessels.findings`)."""
    return rules.findings(latest(conn), now, names(conn))


def latest_positions(engine: Engine) -> pd.DataFrame:
    """Every vessel's newest report with its registry entry and the source that registered it
    (the map's rows; a simulated source's rows are labelled as such)."""
    stmt = select(vessel_latest, vessels.c.name, vessels.c.length_m, vessels.c.port, vessels.c.source) \
        .select_from(vessel_latest.outerjoin(vessels, vessels.c.vessel_id == vessel_latest.c.vessel_id))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([r._asdict() for r in rows],
                        columns=[*vessel_latest.c.keys(), "name", "length_m", "port", "source"])


def track(engine: Engine, vessel_id: str, start: datetime, end: datetime, limit: int = 5000) -> list[Any]:
    """One vessel's reports in ``[start, end)`` (naive UTC), oldest first."""
    with engine.connect() as conn:
        return conn.execute(select(vessel_positions.c.at, vessel_positions.c.lat, vessel_positions.c.lon,
                                   vessel_positions.c.speed_kn)
                            .where(vessel_positions.c.vessel_id == vessel_id, vessel_positions.c.at >= start,
                                   vessel_positions.c.at < end)
                            .order_by(vessel_positions.c.at).limit(limit)).all()


def count_positions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(vessel_positions)).scalar_one())


def reports_between(engine: Engine, start: datetime, end: datetime) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(vessel_positions)
                                .where(vessel_positions.c.at >= start, vessel_positions.c.at < end)).scalar_one())


def silent_for(rows: Iterable[Any], now: datetime, threshold: timedelta) -> list[str]:
    """Vessels at sea whose latest report is older than ``threshold`` at ``now``."""
    return [r.vessel_id for r in rows if not r.port_id and now - r.at > threshold]

