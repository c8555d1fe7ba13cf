"""Spec-declared systems: upsert events with their rollups, and indicator values.

Events follow the families' rules (tests/integration/test_systems_store.py): upsert by
``(source, external_id)`` — the source stored as ``<system>/<source name>`` —, a later
``updated_at`` wins, the same record again changes nothing, an older one never overwrites; each
change subtracts the stored version's contribution from the rollups and adds the new one, in the
local day and month of the event's time. Indicators are keyed by (system, indicator, period,
unit): a row given again replaces the stored one (the latest publication wins) and is counted
``updated`` only if something changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, delete, select, tuple_
from sqlalchemy.engine import Connection

from ioc.domain.calendar import WorkCalendar
from ioc.domain.histogram import hist_bin
from ioc.domain.local_time import local_naive
from ioc.store import bulk
from ioc.store import schema_systems as ss
from ioc.store.db import bump_version, utcnow
from ioc.store.ingest import (
    IngestResult,
    apply_rollup_deltas,
    normalised,
    read_times,
    stored_chunks,
    stored_versions,
)
from ioc.store.places import place_in_store
from ioc.store.table_builders import HIST_COLUMNS
from ioc.systems.records import SIMULATED, EventRecord, IndicatorRecord
from ioc.systems.spec import SystemSpec

EVENT_COLUMNS = ("external_id", "system", "occurred_at", "unit_code", "district_code", "commune_code", "lat", "lon",
                 "d1", "d2", "d3", "value", "duration_h", "title", "updated_at")
TIME_COLUMNS = ("occurred_at", "updated_at")
TEXT_COLUMNS = ("external_id", "system", "unit_code", "district_code", "commune_code", "d1", "d2", "d3", "title")
ROLLUP_KEYS = ("grain", "bucket", *ss.SYSTEM_DIMS)
ALL_KEYS = ("grain", "bucket", *ss.SYSTEM_ALL_DIMS)
MEASURES = (*ss.SYSTEM_COUNTS, *ss.SYSTEM_SUMS, *HIST_COLUMNS)


def stored_source(code: str, source: str) -> str:
    """The ``source`` column of ``code``'s events from ``source``."""
    return f"{code}/{source}"


def events_frame(code: str, records: Iterable[EventRecord]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records([r.as_row() for r in records],
                                      columns=[c for c in EVENT_COLUMNS if c not in ("system", "district_code",
                                                                                     "commune_code")])
    return normalise(frame.assign(system=code))


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    return normalised(frame, TIME_COLUMNS, ("lat", "lon", "value", "duration_h"), TEXT_COLUMNS)


def contributions(frame: pd.DataFrame, tz: ZoneInfo, sign: int) -> pd.DataFrame:
    """Each event's contribution to the day and month rollups, times ``sign``."""
    if frame.empty:
        return pd.DataFrame(columns=[*ROLLUP_KEYS, *MEASURES])
    day = local_naive(frame["occurred_at"], tz).dt.floor("D").dt.date
    value = frame["value"].to_numpy(dtype="float64")
    dur = frame["duration_h"].to_numpy(dtype="float64")
    has_value, has_dur = ~np.isnan(value), ~np.isnan(dur)
    located = ~np.isnan(frame["lat"].to_numpy(dtype="float64"))
    base = pd.DataFrame(
        {"bucket": day.to_numpy()}
        | {dim: frame[dim].to_numpy() for dim in ss.SYSTEM_DIMS}
        | {"n": np.ones(len(frame), dtype="int64"), "value_n": has_value.astype("int64"),
           "dur_n": has_dur.astype("int64"), "loc_n": located.astype("int64"),
           "value_sum": np.where(has_value, value, 0.0),
           "dur_sum": np.where(has_dur, dur, 0.0)}
    )
    keys = ["bucket", *ss.SYSTEM_DIMS]
    grouped = base.groupby(keys, sort=False)
    codes = grouped.ngroup().to_numpy()
    sums = grouped[[*ss.SYSTEM_COUNTS, *ss.SYSTEM_SUMS]].sum()
    nbins = len(HIST_COLUMNS)
    bins = hist_bin(np.nan_to_num(dur))[has_dur]
    hist = np.bincount(codes[has_dur] * nbins + bins, minlength=len(sums) * nbins).reshape(len(sums), nbins)
    daily = pd.concat([sums.reset_index(), pd.DataFrame(hist, columns=list(HIST_COLUMNS))], axis=1)
    monthly = (daily.assign(bucket=[d.replace(day=1) for d in daily["bucket"]])
               .groupby(keys, sort=False).sum().reset_index())
    out = pd.concat([daily.assign(grain="d"), monthly.assign(grain="m")], ignore_index=True)
    out = out[[*ROLLUP_KEYS, *MEASURES]]
    if sign != 1:
        out = pd.concat([out[list(ROLLUP_KEYS)], out[list(MEASURES)] * sign], axis=1)
    return out


def _apply(conn: Connection, parts: list[pd.DataFrame]) -> None:
    city = [p.groupby(list(ALL_KEYS), sort=False, as_index=False)[list(MEASURES)].sum() for p in parts]
    apply_rollup_deltas(conn, "system_rollup", parts, ROLLUP_KEYS, MEASURES, "n")
    apply_rollup_deltas(conn, "system_rollup_all", city, ALL_KEYS, MEASURES, "n")


def ingest_events(engine: Engine, code: str, source: str, frame: pd.DataFrame, tz: ZoneInfo) -> IngestResult:
    """Upsert a batch of ``code``'s events from ``source`` with their rollups, in one transaction."""
    if frame.empty:
        return IngestResult()
    frame = normalise(frame.assign(system=code))
    if not frame["external_id"].is_unique:  # the same id twice in a batch: its latest version only
        frame = frame.sort_values("updated_at", kind="stable").drop_duplicates("external_id", keep="last")
    stored = stored_source(code, source)
    with engine.begin() as conn:
        bulk.advisory_lock(conn, f"ingest:{code}")
        frame = place_in_store(conn, frame, "occurred_at", tz)
        old = stored_versions(conn, "system_events", ["id", *EVENT_COLUMNS], stored,
                              frame["external_id"].tolist(), TIME_COLUMNS)
        if not old.empty:
            old = normalise(old)
        if old.empty:
            new_rows, changed_rows = frame, frame.iloc[:0].assign(id=pd.Series(dtype="int64"))
        else:
            merged = frame.merge(old[["id", "external_id", "updated_at"]].rename(columns={"updated_at": "_old"}),
                                 on="external_id", how="left")
            is_new = merged["id"].isna().to_numpy()
            newer = (~is_new) & (merged["updated_at"] > merged["_old"]).to_numpy()
            new_rows, changed_rows = frame[is_new], merged[newer].drop(columns=["_old"])
        if not new_rows["external_id"].is_monotonic_increasing:
            new_rows = new_rows.sort_values("external_id", kind="stable")
        old_versions = (old.set_index("id").loc[changed_rows["id"].astype("int64")].reset_index()
                        if len(changed_rows) else old.iloc[0:0])
        now = utcnow()
        inserted = bulk.insert_many(conn, "system_events", new_rows.assign(source=stored, ingested_at=now),
                                    ["source", *EVENT_COLUMNS, "ingested_at"])
        to_update = changed_rows.assign(ingested_at=now, id=changed_rows["id"].astype("int64"))
        updated = bulk.update_many(conn, "system_events", to_update, [*EVENT_COLUMNS, "ingested_at"], "id")
        _apply(conn, [contributions(part, tz, sign)
                      for part, sign in ((new_rows, +1), (changed_rows, +1), (old_versions, -1)) if len(part)])
        result = IngestResult(inserted, updated, len(frame) - inserted - updated)
        if result.changed:
            bump_version(conn, code)
    return result


INDICATOR_COLUMNS = ("indicator", "period", "frequency", "period_start", "period_end", "unit_code", "value",
                     "target", "rank", "rank_of", "citation")


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and np.isnan(a)):
        return b is None or (isinstance(b, float) and np.isnan(b))
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and float(a) == float(b)
    return str(a) == str(b)


def ingest_indicators(engine: Engine, code: str, source: str, records: Iterable[IndicatorRecord]) -> IngestResult:
    """Upsert indicator values keyed by (system, indicator, period, unit); the row given last wins."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in records:
        row = r.as_row()
        rows[(row["indicator"], row["period"], row["unit_code"])] = row
    if not rows:
        return IngestResult()
    t = ss.system_indicators
    inserted = updated = unchanged = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, f"ingest:{code}")
        keys = list(rows)
        found: dict[tuple[str, str, str], Any] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for row in conn.execute(select(t).where(
                    t.c.system == code, tuple_(t.c.indicator, t.c.period, t.c.unit_code).in_(chunk))):
                found[(row.indicator, row.period, row.unit_code)] = row
        now = utcnow()
        fresh = []
        for key, row in rows.items():
            old = found.get(key)
            values = {**row, "source": source[:128], "updated_at": now, "ingested_at": now}
            if old is None:
                fresh.append({"system": code, **values})
                inserted += 1
            elif row["citation"] == SIMULATED and old.citation != SIMULATED:
                unchanged += 1  # a simulated value never replaces a published one
            elif all(_same(row[c], getattr(old, c)) for c in ("value", "target", "rank", "rank_of", "citation")):
                unchanged += 1
            else:
                conn.execute(t.update().where(t.c.id == old.id).values(**values))
                updated += 1
        if fresh:
            conn.execute(t.insert(), fresh)
        if inserted or updated:
            bump_version(conn, code)
    return IngestResult(inserted, updated, unchanged)


def ingest(spec: SystemSpec, engine: Engine, source: str, records: Any, tz: ZoneInfo,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """The family's ingest for ``spec``: validated records (or, for events, their frame)."""
    if spec.kind == "indicator":
        return ingest_indicators(engine, spec.code, source, records)
    frame = records if isinstance(records, pd.DataFrame) else events_frame(spec.code, records)
    return ingest_events(engine, spec.code, source, frame, tz)


def rebuild(spec: SystemSpec, engine: Engine, tz: ZoneInfo, chunk: int = 200_000) -> int:
    """Recompute ``spec``'s rollups from its raw events (after a time-zone change)."""
    if spec.kind != "events":
        return 0
    total = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, f"ingest:{spec.code}")
        for table in (ss.system_rollup, ss.system_rollup_all):
            conn.execute(delete(table).where(table.c.system == spec.code))
        for frame in stored_chunks(conn, "system_events", ["id", *EVENT_COLUMNS], chunk,
                                   where=f"system = '{spec.code}'"):
            frame = normalise(read_times(frame, TIME_COLUMNS))
            _apply(conn, [contributions(frame, tz, +1)])
            total += len(frame)
        bump_version(conn, spec.code)
    return total


def count_events(engine: Engine, code: str) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ss.system_events)
                                .where(and_(ss.system_events.c.system == code))).scalar_one())
