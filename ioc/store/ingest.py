"""What the families' record stores share to ingest and rebuild (feedback, traffic, admin).

Each of them upserts records by their natural key ``(source, external_id)``, newer
``updated_at`` wins; every change subtracts the stored version's contribution from the rollups
and adds the new one (:func:`apply_rollup_deltas`), and a rebuild re-reads the raw rows in id
order (:func:`stored_chunks`). What a record contributes, and how a family derives its columns,
stays in the family's own module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Connection

from ioc.store import bulk
from ioc.store.frames import rows_frame


@dataclass(frozen=True)
class IngestResult:
    """How many records of a batch were new, replaced a stored older version, or changed nothing;
    ``alerts_changed``: alerts opened or closed by the batch (families with live alerts)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    alerts_changed: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.inserted + other.inserted, self.updated + other.updated,
                            self.unchanged + other.unchanged, self.alerts_changed + other.alerts_changed)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def normalised(frame: pd.DataFrame, times: Sequence[str], floats: Sequence[str], texts: Sequence[str]
               ) -> pd.DataFrame:
    """A copy of a batch with the column types the store writes: ``times`` as datetime64[us],
    ``floats`` as float64, ``texts`` as objects with '' for missing; the placement columns the
    store fills on ingest (district and current commune) added empty when absent."""
    frame = frame.copy()
    for col in ("district_code", "commune_code"):  # placed by the store on ingest
        if col not in frame:
            frame[col] = ""
    for col in times:
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    for col in floats:
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in texts:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "")
    return frame


def bulk_date(conn: Connection, value: date) -> object:
    """A rollup bucket (local date) as the raw driver wants it."""
    return value.isoformat() if conn.dialect.name == "sqlite" else value


def read_times(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Timestamp columns read back from the driver (SQLite text, PostgreSQL datetime) as datetime64."""
    for col in columns:
        frame[col] = pd.to_datetime(frame[col], format="ISO8601").astype("datetime64[us]")
    return frame


def stored_versions(conn: Connection, table: str, columns: Sequence[str], source: str, ids: list[str],
                    times: Sequence[str]) -> pd.DataFrame:
    """The stored rows (``columns``) of ``source``'s ``ids`` in ``table``, with ``times`` read
    back as datetime64; an empty frame without a query when every id sorts after the newest
    stored one (a batch of new records, the usual case)."""
    if bulk.all_newer(conn, table, source, ids):
        return pd.DataFrame(columns=list(columns))
    found = bulk.select_by_keys(conn, table, list(columns), source, ids)
    return found if found.empty else read_times(found, times)


def apply_rollup_deltas(conn: Connection, table: str, parts: Sequence[pd.DataFrame], keys: Sequence[str],
                        measures: Sequence[str], count: str) -> None:
    """Add the summed contribution frames ``parts`` (new and changed versions, replaced ones
    negated) to the rollup ``table``; a key whose ``count`` measure drops to 0 lost its last
    record, and its row is deleted, as a rebuild would not make it."""
    frames = [p for p in parts if len(p)]
    if not frames:
        return
    deltas = frames[0] if len(frames) == 1 else (
        pd.concat(frames, ignore_index=True).groupby(list(keys), sort=False)[list(measures)].sum().reset_index())
    deltas["bucket"] = pd.Series([bulk_date(conn, d) for d in deltas["bucket"]], index=deltas.index, dtype=object)
    bulk.add_many(conn, table, deltas, keys, measures)
    emptied = deltas[deltas[count] < 0]
    if len(emptied):
        ph = bulk.placeholder(conn)
        where = " AND ".join(f"{k} = {ph}" for k in keys)
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE {where} AND {count} = 0", bulk.rows(conn, emptied, keys))


def stored_chunks(conn: Connection, table: str, columns: Sequence[str], chunk: int,
                  where: str = "") -> Iterator[pd.DataFrame]:
    """Every row of ``table`` (matching the SQL condition ``where``, written by the caller, never
    from input) in id order, ``chunk`` rows at a time, as frames of ``columns`` (the first of
    which is ``id``); the next chunk is read once the caller is done with one."""
    ph = bulk.placeholder(conn)
    also = f" AND ({where})" if where else ""
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE id > {ph}{also} ORDER BY id LIMIT {int(chunk)}"
    last_id = 0
    while True:
        rows = conn.exec_driver_sql(sql, (last_id,)).fetchall()
        if not rows:
            return
        frame = rows_frame(rows, list(columns))
        last_id = int(frame["id"].iloc[-1])
        yield frame
