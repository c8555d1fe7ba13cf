"""Fast, dialect-aware bulk helpers shared by every family's store module.

Raw DBAPI ``executemany`` with tuples is several times faster than ORM or Core inserts of
dicts (conventions.md: ≈ 400k vs 90k rows/s on SQLite), so the ingest paths use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from ioc.store.frames import rows_frame


def placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


# Python's sqlite3 binds exact int, float and str straight away, but looks up an adapter for
# every None and bool (≈ 10× slower per value: a quarter of a bulk insert's binding time). SQLite
# stores a bound float NaN as NULL and a bool as 0/1, so on SQLite missing values go as NaN and
# bools as ints: the stored rows are the same.
_SQLITE_NULL = float("nan")
# SQLAlchemy's SQLite DATETIME text, 'YYYY-MM-DD HH:MM:SS.ffffff', plus a separator to split on.
_SQLITE_DATETIME = np.dtype([("date", "S10"), ("space", "S1"), ("time", "S8"), ("dot", "S1"), ("ms", "S3"),
                             ("us", "S3"), ("end", "S1")])
_DAY_US = 86_400_000_000
_FIRST_DAY, _LAST_DAY = -719_162, 2_932_896  # 0001-01-01 and 9999-12-31, days since 1970-01-01


@lru_cache(maxsize=1)
def _time_texts() -> tuple[np.ndarray, np.ndarray]:
    """'HH:MM:SS' of every second of a day, and '000' … '999'."""
    seconds = np.arange(86_400).astype("timedelta64[s]") + np.datetime64("1970-01-01T00:00:00", "s")
    clock = np.datetime_as_string(seconds).astype("S19").view("S1").reshape(-1, 19)[:, 11:].copy().view("S8").ravel()
    return clock, np.char.zfill(np.arange(1000).astype("S3"), 3)


def sqlite_datetime_text(values: np.ndarray) -> list[str]:
    """``datetime64`` values as SQLAlchemy's SQLite DATETIME text 'YYYY-MM-DD HH:MM:SS.ffffff'
    (NaT gives some text: the caller masks it).

    Assembled from per-day and per-second lookup tables into one buffer that is decoded and split
    once: ``np.datetime_as_string`` and a str per element cost ≈ 3× as much, and a bulk insert
    formats several timestamps per row."""
    values = np.asarray(values, dtype="datetime64[us]")
    nat = np.isnat(values)
    us = np.where(nat, 0, values.view("int64")) if nat.any() else values.view("int64")
    day, into_day = np.divmod(us, _DAY_US)
    first, last = (int(day.min()), int(day.max())) if len(day) else (0, 0)
    if first < _FIRST_DAY or last > _LAST_DAY or last - first > 200_000:  # beyond the tables' reach
        text = np.datetime_as_string(values, unit="us").astype("U26")
        text.view(np.uint32).reshape(-1, 26)[:, 10] = ord(" ")  # 'T' → ' ' in place, vectorised
        return text.tolist()
    dates = np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]")).astype("S10")
    clock, thousand = _time_texts()
    second, fraction = np.divmod(into_day, 1_000_000)
    ms, micro = np.divmod(fraction, 1000)
    out = np.empty(len(us), dtype=_SQLITE_DATETIME)
    out["date"] = dates[day - first]
    out["space"] = b" "
    out["time"] = clock[second]
    out["dot"] = b"."
    out["ms"] = thousand[ms]
    out["us"] = thousand[micro]
    out["end"] = b"\n"
    return out.tobytes().decode("ascii").split("\n")[:-1]


def object_missing(values: np.ndarray) -> np.ndarray:
    """``pd.isna`` of an object array, after a quick scan that settles the usual case of text
    only (``infer_dtype`` looks at types alone: ≈ 4× faster than testing each value for NaN)."""
    if infer_dtype(values, skipna=False) == "string":
        return np.zeros(len(values), dtype=bool)
    return pd.isna(values)


def db_column(conn: Connection, series: pd.Series) -> list[Any]:
    """Values of ``series`` as the raw driver wants them (NULL for missing: None, or on SQLite a
    float NaN, which SQLite stores as NULL; SQLite also gets bools as 0/1)."""
    sqlite = conn.dialect.name == "sqlite"
    null = _SQLITE_NULL if sqlite else None
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        arr = series.to_numpy(dtype="datetime64[us]")
        missing = np.isnat(arr)
        if sqlite:
            text = sqlite_datetime_text(arr)
            for i in np.flatnonzero(missing).tolist():
                text[i] = null
            return text
        out = arr.astype(object)  # datetime.datetime
    elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        missing = pd.isna(series).to_numpy()
        if sqlite:
            values = series.to_numpy(dtype="int64", na_value=0)
            if not missing.any():
                return values.tolist()
            out = values.astype(object)
        else:
            if not missing.any():
                return series.to_numpy().tolist()
            out = series.to_numpy(dtype=object)
    elif sqlite and pd.api.types.is_float_dtype(dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan).tolist()  # NaN is NULL already
    else:
        out = series.to_numpy(dtype=object)
        missing = object_missing(out)
    if missing.any():
        out = out.copy()
        out[missing] = null
    return out.tolist()


def rows(conn: Connection, frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    cols = [db_column(conn, frame[c]) for c in columns]
    return list(zip(*cols, strict=True)) if cols else []


def send_rows(conn: Connection, sql: str, values: Sequence[Sequence[Any]]) -> None:
    """``executemany`` of ``sql`` with rows zipped from column lists (as :func:`db_column` gives
    them), or PostgreSQL's ``COPY … FROM STDIN`` when ``sql`` is a COPY: streamed to the driver on
    the transaction's own connection, no list of tuples in between (each tuple is freed once
    bound, and the next one reuses its memory). Driver errors surface as SQLAlchemy's, as through
    ``exec_driver_sql``."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        if sql.startswith("COPY "):
            with cursor.copy(sql) as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        else:
            cursor.executemany(sql, zip(*values, strict=True))
    except dbapi_error as err:
        raise exc.DBAPIError.instance(sql, None, err, dbapi_error, dialect=conn.dialect) from err
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """:func:`send_rows` of ``frame``'s ``columns``."""
    send_rows(conn, sql, [db_column(conn, frame[c]) for c in columns])


def copy_rows(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """PostgreSQL's ``COPY … FROM STDIN`` of ``frame``'s ``columns`` (psycopg 3): the server
    loads rows without planning and executing one INSERT each. Same rows, same constraints,
    same errors as an INSERT."""
    execute_many(conn, f"COPY {table} ({', '.join(columns)}) FROM STDIN", frame, columns)


def insert_many(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    if frame.empty:
        return 0
    if conn.dialect.driver == "psycopg":  # PostgreSQL through psycopg 3
        copy_rows(conn, table, frame, columns)
        return len(frame)
    ph = placeholder(conn)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([ph] * len(columns))})"
    execute_many(conn, sql, frame, columns)
    return len(frame)


def update_many(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str], key: str) -> int:
    if frame.empty:
        return 0
    ph = placeholder(conn)
    sets = ", ".join(f"{c} = {ph}" for c in columns)
    sql = f"UPDATE {table} SET {sets} WHERE {key} = {ph}"
    execute_many(conn, sql, frame, [*columns, key])
    return len(frame)


def add_many(
    conn: Connection, table: str, frame: pd.DataFrame, keys: Sequence[str], measures: Sequence[str]
) -> int:
    """Insert rows, or add their ``measures`` to the row already at the same ``keys``.

    ``INSERT … ON CONFLICT … DO UPDATE SET m = table.m + excluded.m`` is understood by both
    SQLite (≥ 3.24) and PostgreSQL, so rollup maintenance needs no read-modify-write.
    """
    if frame.empty:
        return 0
    ph = placeholder(conn)
    columns = [*keys, *measures]
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([ph] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )
    execute_many(conn, sql, frame, columns)
    return len(frame)


def all_newer(conn: Connection, table: str, source: str, external_ids: Sequence[str]) -> bool:
    """Whether every id sorts after ``source``'s newest stored one in ``table`` (one probe of the
    unique (source, external_id) index), as in an append-only load with sequential numbers: then
    none of them is stored and there is nothing to look up. SQLite only, where text compares by
    code point as Python's does; PostgreSQL's collation may not."""
    if conn.dialect.name != "sqlite" or not len(external_ids):
        return False
    newest = conn.exec_driver_sql(f"SELECT max(external_id) FROM {table} WHERE source = ?", (source,)).scalar()
    return newest is None or min(external_ids) > newest


def select_by_keys(
    conn: Connection, table: str, columns: Sequence[str], source: str, external_ids: Sequence[str]
) -> pd.DataFrame:
    """Rows of ``table`` for ``source`` whose external_id is in ``external_ids``."""
    if not len(external_ids):
        return pd.DataFrame(columns=list(columns))
    cols = ", ".join(columns)
    found: list[tuple] = []
    chunk = 50_000
    for start in range(0, len(external_ids), chunk):
        part = list(external_ids[start : start + chunk])
        if conn.dialect.name == "sqlite":
            import json

            sql = (
                f"SELECT {cols} FROM {table} WHERE source = ? "
                "AND external_id IN (SELECT value FROM json_each(?))"
            )
            found.extend(conn.exec_driver_sql(sql, (source, json.dumps(part))).fetchall())
        else:
            sql = f"SELECT {cols} FROM {table} WHERE source = %s AND external_id = ANY(%s)"
            found.extend(conn.exec_driver_sql(sql, (source, part)).fetchall())
    return rows_frame(found, list(columns))


def advisory_lock(conn: Connection, name: str) -> None:
    """Serialise writers of one family for the transaction: PostgreSQL's advisory lock on
    ``name``; on SQLite the file's write lock, taken now (``BEGIN IMMEDIATE``).

    Call it first in the transaction. On SQLite it matters: Python's driver begins a transaction
    only at the first INSERT or UPDATE, so an ingest's lookup of the stored keys ran outside it,
    and a writer committing between that lookup and the insert (the live feed's first run during
    the first start's backfill) made the insert fail on the unique (source, external_id) index."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
    elif conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
