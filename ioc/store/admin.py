"""TTHC dossiers: upsert by (source, external_id) with incremental rollups, and the seed of the
one-stop units and the procedure catalogue.

Rules (tests/integration/test_admin_store.py), as for feedback reports:
- the same record again changes nothing (``unchanged``);
- a version with a later ``updated_at`` replaces the stored one (``updated``); an older or
  equally old one never does;
- each change subtracts the stored version's contribution from both rollups and adds the new
  one, in the buckets of the local day and month the dossier was *received*.
Derived columns (effective deadline, bucket, elapsed hours) are computed for new and changed
versions only (ioc/store/admin_derive.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.engine import Connection

from ioc.domain.admin_records import FAMILY, DossierRecord
from ioc.domain.calendar import WorkCalendar
from ioc.store import bulk, schema, schema_admin
from ioc.store.admin_derive import (
    SOURCE_COLUMNS,
    STORED_COLUMNS,
    TIME_COLUMNS,
    contributions,
    derive,
    enrich,
    level_in_force,
    normalise,
)
from ioc.store.db import bump_version, get_meta, load_calendar, sql_ts, utcnow
from ioc.store.frames import result_frame
from ioc.store.ingest import IngestResult, apply_rollup_deltas, read_times, stored_chunks, stored_versions
from ioc.store.places import place_in_store
from ioc.store.schema_admin import (
    ADMIN_MEASURES,
    PROCEDURE_DIMS,
    SEED_KEY,
    UNIT_DIMS,
    admin_dossiers,
    admin_procedure_rollup,
    admin_procedures,
    admin_rollup,
)

ROLLUPS = (("admin_rollup", UNIT_DIMS), ("admin_procedure_rollup", PROCEDURE_DIMS))
_OLD_COLUMNS = ["id", *STORED_COLUMNS]


def records_frame(records: Iterable[DossierRecord]) -> pd.DataFrame:
    """Validated records as the DataFrame :func:`ingest` takes."""
    rows = [r.as_row() for r in records]
    return normalise(pd.DataFrame.from_records(rows, columns=[*SOURCE_COLUMNS, "working_days"]))


def ensure_seeded(conn: Connection) -> None:
    """A store created before this family landed gets its units and catalogue on first ingest."""
    if get_meta(conn, SEED_KEY) is None:
        schema_admin.seed(conn)


def load_procedures(conn: Connection) -> pd.DataFrame:
    """The catalogue indexed by procedure code."""
    frame = result_frame(conn.execute(select(admin_procedures)), [c.name for c in admin_procedures.columns])
    return frame.set_index("code")


def _unit_levels(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(schema.units.c.code, schema.units.c.level)).all())


def _fetch_existing(conn: Connection, source: str, ids: list[str]) -> pd.DataFrame:
    found = stored_versions(conn, "admin_dossiers", _OLD_COLUMNS, source, ids, TIME_COLUMNS)
    return found if found.empty else normalise(_read_flags(found))


def _read_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The boolean columns as bool (SQLite returns 0/1)."""
    for col in ("paid_online", "fee_required", "digitised"):
        frame[col] = frame[col].astype(bool)
    return frame


def _add_procedures(conn: Connection, frame: pd.DataFrame, catalogue: pd.DataFrame) -> None:
    """Procedures named by dossiers but missing from the catalogue join it (origin 'dossier')."""
    unknown = frame[~frame["procedure_code"].isin(catalogue.index)].drop_duplicates("procedure_code")
    if unknown.empty:
        return
    conn.execute(insert(admin_procedures), [
        {"code": r["procedure_code"], "name": r["procedure_name"] or r["procedure_code"], "field": r["field"],
         "level": r["level"], "online_mode": r["online_mode"], "working_days": None,
         "has_fee": bool(r["fee_required"]), "origin": "dossier"}
        for r in unknown.to_dict("records")
    ])


def _write_rollups(conn: Connection, parts: list[tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    for position, (table, dims) in enumerate(ROLLUPS):
        apply_rollup_deltas(conn, table, [p[position] for p in parts], ["grain", "bucket", *dims], ADMIN_MEASURES,
                            "received")


def ingest(engine: Engine, source: str, frame: pd.DataFrame, tz: ZoneInfo,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Upsert a batch of dossiers from ``source`` and maintain the rollups, in one transaction."""
    if frame.empty:
        return IngestResult()
    frame = normalise(frame)
    if frame["external_id"].duplicated().any():  # several versions in one batch: the latest counts
        frame = frame.sort_values("updated_at", kind="stable").drop_duplicates("external_id", keep="last")
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:admin")
        ensure_seeded(conn)
        if calendar is None:
            calendar = load_calendar(conn)
        old = _fetch_existing(conn, source, frame["external_id"].tolist())
        if len(old):
            merged = frame.merge(old[["id", "external_id", "updated_at"]].rename(columns={"updated_at": "_old"}),
                                 on="external_id", how="left")
            newer = merged["id"].isna() | (merged["updated_at"] > merged["_old"])
            todo = merged[newer.to_numpy()].drop(columns="_old")
        else:
            todo = frame.assign(id=pd.NA)
        if todo.empty:
            return IngestResult(0, 0, len(frame))
        catalogue = load_procedures(conn)
        todo = enrich(place_in_store(conn, todo, "received_at", tz), _unit_levels(conn), catalogue)
        todo = derive(level_in_force(todo, tz), tz, calendar)
        _add_procedures(conn, todo, catalogue)
        now = sql_ts(conn, utcnow())  # one value for the batch, converted once
        # New rows in key order: the unique (source, external_id) index then grows at its end.
        is_new = todo["id"].isna().to_numpy()
        fresh, changed = (todo, todo.iloc[:0]) if is_new.all() else (todo[is_new], todo[~is_new])
        if not fresh["external_id"].is_monotonic_increasing:
            fresh = fresh.sort_values("external_id", kind="stable")
        columns = ["source", *STORED_COLUMNS, "ingested_at"]
        inserted = bulk.insert_many(conn, "admin_dossiers", fresh.assign(source=source, ingested_at=now), columns)
        updated = bulk.update_many(conn, "admin_dossiers", changed.assign(ingested_at=now, id=changed["id"].astype("int64")),
                                   [*STORED_COLUMNS, "ingested_at"], "id")
        parts = [contributions(todo, tz, +1)]
        if len(changed):
            replaced = old.set_index("id").loc[changed["id"].astype("int64")].reset_index()
            parts.append(contributions(replaced, tz, -1))
        _write_rollups(conn, parts)
        bump_version(conn, FAMILY)
    return IngestResult(inserted, updated, len(frame) - inserted - updated)


def rebuild(engine: Engine, tz: ZoneInfo, chunk: int = 200_000) -> int:
    """Re-derive every dossier (after a holiday or time-zone change) and rebuild both rollups."""
    total = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:admin")
        calendar = load_calendar(conn)
        conn.execute(delete(admin_rollup))
        conn.execute(delete(admin_procedure_rollup))
        for frame in stored_chunks(conn, "admin_dossiers", _OLD_COLUMNS, chunk):
            frame = derive(normalise(_read_flags(read_times(frame, TIME_COLUMNS))), tz, calendar)
            bulk.update_many(conn, "admin_dossiers", frame.assign(id=frame["id"].astype("int64")),
                             ["effective_due_at", "pause_count", "bucket", "elapsed_hours"], "id")
            _write_rollups(conn, [contributions(frame, tz, +1)])
            total += len(frame)
        bump_version(conn, FAMILY)
    return total


def count_dossiers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(admin_dossiers)).scalar_one())


def ingest_records(engine: Engine, source: str, records: Iterable[DossierRecord] | pd.DataFrame, tz: ZoneInfo,
                   calendar: WorkCalendar | None = None) -> IngestResult:
    """The family registry's ingest: validated records (or a simulator's DataFrame) → :func:`ingest`."""
    frame = records if isinstance(records, pd.DataFrame) else records_frame(records)
    return ingest(engine, source, frame, tz, calendar)
