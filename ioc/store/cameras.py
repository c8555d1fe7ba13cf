"""Store and read the urban cameras family (:mod:`ioc.store.schema_cameras`).

The registry is ``traffic_cameras``, shared with the traffic family: a camera the traffic ingest
registered is the one heartbeats and events here refer to, and a registry entry given here
updates that row (its ``purpose`` among others). Heartbeats are not stored one by one: they move
each camera's first and last heartbeat and its outages (:func:`ioc.domain.cameras.merge_heartbeats`).
Times are naive UTC unless a name says local.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ioc.domain import cameras as rules
from ioc.domain.alert_rules import Finding
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import local_naive, utcnow
from ioc.domain.units import unit_column
from ioc.kpi.periods import Period
from ioc.store import bulk
from ioc.store.db import bump_version, load_units
from ioc.store.ingest import IngestResult, stored_versions
from ioc.store.schema_cameras import camera_events, camera_outages, camera_status
from ioc.store.schema_traffic import traffic_cameras as registry

HEARTBEAT_COLUMNS = ("camera_code", "at")
EVENT_COLUMNS = ("external_id", "camera_code", "detected_at", "kind", "confidence", "review", "updated_at")
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: what a camera first seen in heartbeats or events is registered as, until an entry says more
GENERATED_PURPOSE, GENERATED_KIND = "security", "surveillance"
TRAFFIC_FAMILY = "traffic"  # its page shows the registry's cameras: its version moves with the registry


@dataclass
class CameraRecords:
    """A batch: registry entries, heartbeats (a frame of :data:`HEARTBEAT_COLUMNS`, naive UTC)
    and AI events."""

    cameras: list[rules.Camera] = field(default_factory=list)
    heartbeats: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(HEARTBEAT_COLUMNS)))
    events: list[rules.CameraEvent] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cameras) + len(self.heartbeats) + len(self.events)


def _as_records(records: Any) -> CameraRecords:
    if isinstance(records, CameraRecords):
        return records
    items = list(records)
    beats = [r for r in items if isinstance(r, rules.Heartbeat)]
    return CameraRecords([r for r in items if isinstance(r, rules.Camera)],
                         pd.DataFrame({"camera_code": [b.camera_code for b in beats], "at": [b.at for b in beats]},
                                      columns=list(HEARTBEAT_COLUMNS)),
                         [r for r in items if isinstance(r, rules.CameraEvent)])


def ingest(engine: Engine, source: str, records: CameraRecords | Iterable[Any], tz: ZoneInfo | None = None,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Store a batch in one transaction: registry entries upserted into ``traffic_cameras``,
    heartbeats merged into each camera's status and outages, events upserted by
    ``(source, external_id)`` (a later ``updated_at`` wins). A heartbeat or event of an unknown
    camera registers it (``generated``; a side effect, not counted). ``inserted``: new registry
    entries, new events, and heartbeats that changed what is stored; ``updated``: changed registry
    rows and events; the rest ``unchanged`` (a heartbeat between two kept ones less than 15
    minutes apart changes nothing)."""
    batch = _as_records(records)
    tz = tz or DEFAULT_TZ
    now = utcnow()
    beats = batch.heartbeats
    if len(beats):
        beats = _heartbeat_frame(beats)
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:cameras")
        reg_new, reg_changed = _upsert_registry(conn, batch.cameras, source, now, tz)
        firsts = pd.concat([beats, pd.DataFrame({"camera_code": [e.camera_code for e in batch.events],
                                                 "at": pd.Series([e.detected_at for e in batch.events],
                                                                 dtype="datetime64[us]")})], ignore_index=True)
        generated = _register_unknown(conn, firsts, source, tz)  # not records of the batch: not counted
        beat_info = _merge_heartbeats(conn, beats, source) if len(beats) else 0
        ev_new, ev_updated = _upsert_events(conn, batch.events, source, now)
        if reg_new or reg_changed or generated:
            bump_version(conn, TRAFFIC_FAMILY)
        if reg_new or reg_changed or generated or beat_info or ev_new or ev_updated:
            bump_version(conn, rules.FAMILY)
    inserted = reg_new + beat_info + ev_new
    updated = reg_changed + ev_updated
    return IngestResult(inserted, updated, max(0, len(batch) - inserted - updated))


def _heartbeat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The batch's heartbeats as (camera_code: str, at: datetime64[us]); a missing code or time
    is a ValueError naming the column and the rows (collectors validate each record first)."""
    codes = frame["camera_code"].astype(object)
    at = pd.to_datetime(frame["at"], errors="coerce")
    for name, bad in (("camera_code", codes.isna() | (codes.astype(str).str.strip() == "")), ("at", at.isna())):
        rows = bad.to_numpy().nonzero()[0]
        if len(rows):
            raise ValueError(f"heartbeats: {name} missing or unreadable in {len(rows)} rows "
                             f"(first: row {rows[0]}, {frame[name].iloc[rows[0]]!r})")
    return pd.DataFrame({"camera_code": codes.astype(str).to_numpy(dtype=object),
                         "at": at.astype("datetime64[us]").to_numpy()})


def _insert_ignoring_known(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert registry rows; a code registered meanwhile (the traffic ingest) is left as it is."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(registry).on_conflict_do_nothing(index_elements=["code"]).returning(registry.c.code)
    return len(conn.execute(stmt, rows).all())


def _upsert_registry(conn: Connection, entries: list[rules.Camera], source: str, now: datetime,
                     tz: ZoneInfo) -> tuple[int, int]:
    """Registry entries into the shared registry: (rows added, rows changed). A camera stays
    put: its current commune, and the district-level unit it lay in on the last day that level
    existed; a missing position, road or unit keeps the stored one."""
    if not entries:
        return 0, 0
    latest = {c.code: c for c in entries}
    stored = {r.code: r for r in conn.execute(select(registry).where(registry.c.code.in_(sorted(latest))))}
    units = load_units(conn)
    today = max(units.changeover, pd.Timestamp(now).tz_localize("UTC").tz_convert(tz).date())
    new_rows, changed = [], 0
    for code, c in latest.items():
        old = stored.get(code)
        lat, lon = (c.lat, c.lon) if c.lat is not None else ((old.lat, old.lon) if old is not None else (None, None))
        unit = c.unit_code or (old.unit_code if old is not None else "")
        placed = units.place(today, code=unit, lat=lat, lon=lon)
        eve = units.place(units.eve, lat=lat, lon=lon)
        row = {"name": c.name[:200], "lat": lat, "lon": lon, "unit_code": unit or placed.unit_code,
               "commune_code": placed.commune_code, "district_code": eve.district_code, "kind": c.kind[:32],
               "road": c.road or (old.road if old is not None else ""), "purpose": c.purpose, "generated": False}
        if old is None:
            new_rows.append({"code": code, **row, "installed_at": None, "active": True, "source": source[:64]})
        elif any(getattr(old, k) != v for k, v in row.items()):
            conn.execute(registry.update().where(registry.c.code == code).values(source=source[:64], **row))
            changed += 1
    return _insert_ignoring_known(conn, new_rows), changed


def _register_unknown(conn: Connection, seen: pd.DataFrame, source: str, tz: ZoneInfo) -> int:
    """Register the cameras of ``seen`` (camera_code, at) the registry does not hold yet
    (``generated``; installed on the local date of their first record here)."""
    if seen.empty:
        return 0
    codes = sorted(set(seen["camera_code"].astype(str)) - {""})
    known = {c for (c,) in conn.execute(select(registry.c.code).where(registry.c.code.in_(codes)))}
    unknown = seen[seen["camera_code"].isin(set(codes) - known)]
    if unknown.empty:
        return 0
    first = unknown.groupby("camera_code", sort=True)["at"].min()
    days = local_naive(first.astype("datetime64[us]"), tz).dt.date
    return _insert_ignoring_known(conn, [
        {"code": code, "name": code, "lat": None, "lon": None, "unit_code": "", "district_code": "",
         "commune_code": "", "kind": GENERATED_KIND, "road": "", "installed_at": day, "active": True,
         "source": source[:64], "generated": True, "purpose": GENERATED_PURPOSE} for code, day in days.items()])


def _frame(rows: Iterable[Any], columns: list[str], times: Iterable[str] = ()) -> pd.DataFrame:
    """Rows as a frame: ``times`` as datetime64[us], lat / lon / confidence as floats, the rest
    as objects (an empty result has the same types)."""
    out = pd.DataFrame([tuple(r) for r in rows], columns=columns).astype(object)
    for c in times:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    for c in {"lat", "lon", "confidence"} & set(columns):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _merge_heartbeats(conn: Connection, beats: pd.DataFrame, source: str) -> int:
    codes = sorted(beats["camera_code"].unique())
    first, last = beats["at"].min().to_pydatetime(), beats["at"].max().to_pydatetime()
    status = _frame(conn.execute(select(camera_status.c.camera_code, camera_status.c.first_seen,
                                        camera_status.c.last_seen).where(camera_status.c.camera_code.in_(codes))),
                    ["camera_code", "first_seen", "last_seen"], ["first_seen", "last_seen"])
    o = camera_outages
    around = _frame(conn.execute(select(o.c.camera_code, o.c.started_at, o.c.ended_at).where(
        o.c.camera_code.in_(codes), o.c.ended_at > first, o.c.started_at < last)),
        ["camera_code", "started_at", "ended_at"], ["started_at", "ended_at"])
    merged = rules.merge_heartbeats(beats, status, around)
    ph = bulk.placeholder(conn)
    if len(merged.remove):
        bulk.execute_many(conn, f"DELETE FROM camera_outages WHERE camera_code = {ph} AND started_at = {ph}",
                          merged.remove, ["camera_code", "started_at"])
    bulk.insert_many(conn, "camera_outages", merged.add, ["camera_code", "started_at", "ended_at"])
    if len(merged.status):
        cols = ("camera_code", "first_seen", "last_seen", "source")
        bulk.execute_many(conn, f"INSERT INTO camera_status ({', '.join(cols)}) VALUES ({', '.join([ph] * 4)}) "
                                "ON CONFLICT (camera_code) DO UPDATE SET first_seen = excluded.first_seen, "
                                "last_seen = excluded.last_seen, source = excluded.source",
                          merged.status.assign(source=source[:64]), cols)
    return merged.new_info


def _upsert_events(conn: Connection, events: list[rules.CameraEvent], source: str, now: datetime) -> tuple[int, int]:
    if not events:
        return 0, 0
    latest: dict[str, rules.CameraEvent] = {}
    for e in events:
        old = latest.get(e.external_id)
        if old is None or (e.updated_at or e.detected_at) >= (old.updated_at or old.detected_at):
            latest[e.external_id] = e
    frame = pd.DataFrame([{**{c: getattr(e, c) for c in EVENT_COLUMNS}, "updated_at": e.updated_at or e.detected_at}
                          for e in latest.values()], columns=list(EVENT_COLUMNS))
    frame = frame.astype({"detected_at": "datetime64[us]", "updated_at": "datetime64[us]", "confidence": float})
    cols = ["id", "external_id", "camera_code", "detected_at", "kind", "confidence", "review", "updated_at"]
    stored = stored_versions(conn, "camera_events", cols, source, list(frame["external_id"]),
                             ["detected_at", "updated_at"])
    if len(stored):
        both = frame.merge(stored, on="external_id", how="left", suffixes=("", "_old"))
        is_new = both["id"].isna().to_numpy()
        content = ["camera_code", "detected_at", "kind", "review"]
        differs = np.zeros(len(both), dtype=bool)
        for c in content:
            differs |= (both[c] != both[f"{c}_old"]).to_numpy()
        differs |= ~np.isclose(both["confidence"].fillna(-1.0), both["confidence_old"].astype(float).fillna(-1.0))
        newer = (both["updated_at"] > both["updated_at_old"]).to_numpy()
        changes = both[~is_new & newer & differs]
        frame = frame[is_new]
    else:
        changes = frame.iloc[:0].assign(id=pd.Series(dtype="int64"))
    values = ["camera_code", "detected_at", "kind", "confidence", "review", "updated_at", "ingested_at"]
    inserted = bulk.insert_many(conn, "camera_events", frame.assign(source=source, ingested_at=now),
                                ["source", "external_id", *values])
    updated = bulk.update_many(conn, "camera_events", changes.assign(ingested_at=now, id=changes["id"].astype("int64")),
                               values, "id")
    return inserted, updated


# --------------------------------------------------------------------------- reading

REGISTRY_COLUMNS = ("code", "name", "lat", "lon", "purpose", "kind", "road", "unit_code", "commune_code",
                    "district_code", "source", "generated")


def _camera_where(purposes: Iterable[str] | None, unit: str | None) -> list[Any]:
    where = []
    if purposes:
        where.append(registry.c.purpose.in_(list(purposes)))
    if unit:
        where.append(registry.c[unit_column(unit)] == unit)
    return where


def _status(conn: Connection) -> pd.DataFrame:
    return _frame(conn.execute(select(camera_status.c.camera_code, camera_status.c.first_seen,
                                      camera_status.c.last_seen)),
                  ["camera_code", "first_seen", "last_seen"], ["first_seen", "last_seen"])


def _outages_between(conn: Connection, start: datetime, end: datetime, camera: str | None = None) -> pd.DataFrame:
    o = camera_outages
    stmt = select(o.c.camera_code, o.c.started_at, o.c.ended_at).where(o.c.ended_at > start, o.c.started_at < end)
    if camera is not None:
        stmt = stmt.where(o.c.camera_code == camera)
    return _frame(conn.execute(stmt), ["camera_code", "started_at", "ended_at"], ["started_at", "ended_at"])


def camera_states(engine: Engine, now: datetime) -> pd.DataFrame:
    """One row per registered camera: the registry's columns, ``first_seen`` / ``last_seen``
    (NaT: never reported), ``online`` (False when never reported by ``now``) and ``offline_s``
    (seconds since the last heartbeat before ``now`` when offline, else 0)."""
    with engine.connect() as conn:
        cams = _frame(conn.execute(select(*(registry.c[c] for c in REGISTRY_COLUMNS)).order_by(registry.c.code)),
                      list(REGISTRY_COLUMNS))
        status = _status(conn)
        around = _outages_between(conn, now, now)
    out = cams.merge(status.rename(columns={"camera_code": "code"}), on="code", how="left")
    out[["first_seen", "last_seen"]] = out[["first_seen", "last_seen"]].astype("datetime64[us]")
    starts = rules.gap_starts(status, around, now)
    gap = pd.Series(starts.reindex(out["code"].to_numpy()).to_numpy(dtype="datetime64[us]"), index=out.index)
    reported = (out["first_seen"] <= now).to_numpy()
    out["online"] = reported & gap.isna().to_numpy()
    out["offline_s"] = ((now - gap).dt.total_seconds()).fillna(0.0).astype(float)
    out["generated"] = out["generated"].astype(bool)
    return out


def uptime_by_camera(engine: Engine, start: datetime, end: datetime, now: datetime) -> pd.DataFrame:
    """Each registered camera's ``observed_s`` (seconds of ``[start, min(end, now))`` from its
    first heartbeat on), ``offline_s`` (of those, seconds inside outages, whole gaps, the one it
    is in at ``now`` included once past 15 minutes) and ``uptime_pct`` (NaN when not observed)."""
    stop = min(end, now)
    with engine.connect() as conn:
        codes = [c for (c,) in conn.execute(select(registry.c.code).order_by(registry.c.code))]
        status = _status(conn)
        outs = _outages_between(conn, start, stop)
    status = status.set_index("camera_code").reindex(codes)
    begin = status["first_seen"].clip(lower=pd.Timestamp(start)).to_numpy(dtype="datetime64[us]")
    stop64 = np.datetime64(stop, "us")
    observed = np.maximum((stop64 - begin) / np.timedelta64(1, "s"), 0.0)
    observed = np.where(np.isnat(begin), 0.0, observed)
    # the stored outages, and the gap each camera is in at ``now`` once it is one
    last = status["last_seen"]
    ongoing = last[(last <= now) & (now - last > rules.OFFLINE_AFTER)]
    spans = pd.concat([outs[["camera_code", "started_at", "ended_at"]],
                       pd.DataFrame({"camera_code": ongoing.index, "started_at": ongoing.to_numpy(),
                                     "ended_at": np.datetime64(now, "us")})], ignore_index=True)
    # a past ``now`` inside a stored gap shorter than 15 minutes so far: not yet an outage then
    spans = spans[~((spans["ended_at"] > now) & (now - spans["started_at"] <= rules.OFFLINE_AFTER))]
    spans = spans.merge(pd.DataFrame({"camera_code": pd.Series(codes, dtype=object), "begin": begin}),
                        on="camera_code")
    lo = np.maximum(spans["started_at"].to_numpy("datetime64[us]"), spans["begin"].to_numpy("datetime64[us]"))
    hi = np.minimum(spans["ended_at"].to_numpy("datetime64[us]"), stop64)
    spans["s"] = np.maximum((hi - lo) / np.timedelta64(1, "s"), 0.0)
    offline = spans.groupby("camera_code")["s"].sum().reindex(codes, fill_value=0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(observed > 0, 100.0 * (1.0 - offline / observed), np.nan)
    return pd.DataFrame({"code": codes, "observed_s": observed, "offline_s": offline, "uptime_pct": pct})


def outages(engine: Engine, start: datetime, end: datetime, camera: str | None = None, *,
            now: datetime | None = None) -> pd.DataFrame:
    """Outages overlapping ``[start, end)``: ``code``, ``started_at`` (the last heartbeat
    before), ``ended_at`` (the next one; NaT while it lasts: the camera silent for more than
    15 minutes at ``now``, default the clock) and ``duration_s`` (to ``now`` while it lasts);
    newest first."""
    now = now or utcnow()
    with engine.connect() as conn:
        stored = _outages_between(conn, start, end, camera)
        status = _status(conn)
    if camera is not None:
        status = status[status["camera_code"] == camera]
    live = status[(status["last_seen"] < end) & (status["last_seen"] <= now) & (now > start)
                  & (now - status["last_seen"] > rules.OFFLINE_AFTER)]
    out = pd.concat([stored, pd.DataFrame({"camera_code": live["camera_code"], "started_at": live["last_seen"],
                                           "ended_at": pd.Series(pd.NaT, index=live.index, dtype="datetime64[us]")})],
                    ignore_index=True).rename(columns={"camera_code": "code"})
    out["duration_s"] = (out["ended_at"].fillna(pd.Timestamp(now)) - out["started_at"]).dt.total_seconds()
    return out.sort_values(["started_at", "code"], ascending=[False, True], ignore_index=True)


EVENT_READ = ("source", "external_id", "camera_code", "camera_name", "purpose", "commune_code", "lat", "lon",
              "detected_at", "kind", "confidence", "review")


def events(engine: Engine, start: datetime, end: datetime, *, kinds: Iterable[str] | None = None,
           purposes: Iterable[str] | None = None, unit: str | None = None, limit: int = 500) -> pd.DataFrame:
    """AI events detected in ``[start, end)`` with their camera (name, purpose, commune,
    position), newest first, at most ``limit``."""
    e = camera_events
    stmt = (select(e.c.source, e.c.external_id, e.c.camera_code, registry.c.name, registry.c.purpose,
                   registry.c.commune_code, registry.c.lat, registry.c.lon, e.c.detected_at, e.c.kind,
                   e.c.confidence, e.c.review)
            .select_from(e.outerjoin(registry, registry.c.code == e.c.camera_code))
            .where(e.c.detected_at >= start, e.c.detected_at < end, *_camera_where(purposes, unit))
            .order_by(e.c.detected_at.desc(), e.c.id.desc()).limit(int(limit)))
    if kinds:  # (a WHERE added after LIMIT still filters before it)
        stmt = stmt.where(e.c.kind.in_(list(kinds)))
    with engine.connect() as conn:
        return _frame(conn.execute(stmt), list(EVENT_READ), ["detected_at"])


def events_per_day(engine: Engine, period: Period, tz: ZoneInfo, *, purposes: Iterable[str] | None = None,
                   unit: str | None = None) -> pd.DataFrame:
    """AI events of ``period`` per local ``day`` and ``kind``: ``n``."""
    start, end = period.utc_bounds(tz)
    e = camera_events
    stmt = (select(e.c.detected_at, e.c.kind).select_from(e.outerjoin(registry, registry.c.code == e.c.camera_code))
            .where(e.c.detected_at >= start, e.c.detected_at < end, *_camera_where(purposes, unit)))
    with engine.connect() as conn:
        rows = _frame(conn.execute(stmt), ["detected_at", "kind"], ["detected_at"])
    rows["day"] = local_naive(rows["detected_at"], tz).dt.date
    return rows.groupby(["day", "kind"], sort=True).size().rename("n").reset_index()


def event_counts(engine: Engine, start: datetime, end: datetime, *, kinds: Iterable[str] | None = None,
                 purposes: Iterable[str] | None = None, unit: str | None = None) -> pd.DataFrame:
    """AI events detected in ``[start, end)`` per ``kind`` and ``review``: ``n``."""
    e = camera_events
    stmt = (select(e.c.kind, e.c.review, func.count()).select_from(e.outerjoin(registry, registry.c.code == e.c.camera_code))
            .where(e.c.detected_at >= start, e.c.detected_at < end, *_camera_where(purposes, unit))
            .group_by(e.c.kind, e.c.review))
    if kinds:
        stmt = stmt.where(e.c.kind.in_(list(kinds)))
    with engine.connect() as conn:
        return _frame(conn.execute(stmt), ["kind", "review", "n"])


def findings(conn: Connection, now: datetime) -> list[Finding]:
    """The alerts the cameras raise at ``now``, present or past (:func:`ioc.domain.cameras.findings`):
    the past from the stored outages, so a history written at once can be replayed."""
    cams = _frame(conn.execute(select(registry.c.code, registry.c.name, registry.c.purpose, registry.c.lat,
                                      registry.c.lon)), ["code", "name", "purpose", "lat", "lon"])
    e = camera_events
    recent = _frame(conn.execute(select(e.c.source, e.c.external_id, e.c.camera_code, e.c.detected_at, e.c.kind,
                                        e.c.confidence, e.c.review)
                                 .where(e.c.detected_at > now - rules.EVENT_HOLD, e.c.detected_at <= now)),
                    ["source", "external_id", "camera_code", "detected_at", "kind", "confidence", "review"],
                    ["detected_at"])
    return rules.findings(cams, _status(conn), _outages_between(conn, now - rules.SHARE_LOOKBACK, now), recent, now)
