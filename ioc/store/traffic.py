"""Traffic violations: upsert by (source, external_id) with incremental rollup maintenance.

Rules (as for feedback, tests/integration/test_traffic_store.py):
- the same record again changes nothing (``unchanged``);
- a version with a later ``updated_at`` replaces the stored one (``updated``); an older or
  equally old version never overwrites what is stored;
- each change subtracts the stored version's contribution from the rollups and adds the new
  one, so a fine paid weeks later moves from issued to collected in the bucket of the day the
  violation was *detected*.

Flags are derived in bulk at ingest (:mod:`ioc.store.traffic_derive`) and stored with the
row, never used to reject it.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.engine import Connection

from ioc.domain.calendar import WorkCalendar
from ioc.domain.histogram import hist_bin
from ioc.domain.local_time import local_naive
from ioc.domain.traffic_records import FAMILY, ISSUED_STATUSES, VERIFIED_STATUSES
from ioc.store import bulk
from ioc.store import schema_traffic as st
from ioc.store.db import bump_version, utcnow
from ioc.store.ingest import IngestResult, apply_rollup_deltas, read_times, stored_chunks
from ioc.store.traffic_derive import (  # noqa: F401 - re-exported: the store's public interface
    TIME_COLUMNS,
    References,
    canonical_plates,
    derive,
    load_references,
    normalise_input,
    records_frame,
    register_cameras,
)

#: what a row of ``traffic_violations`` holds besides id, source and ingested_at
VIOLATION_COLUMNS = (
    "external_id", "detected_at", "violation_type", "vehicle_class", "status", "channel", "camera_code",
    "unit_code", "district_code", "commune_code", "lat", "lon", "address", "description", "plate_raw", "plate", "plate_status", "evidence_url",
    "fine_vnd", "fine_flag", "decree", "fine_min_vnd", "fine_max_vnd", "verified_at", "notice_sent_at",
    "paid_at", "rating", "hour_of_week", "updated_at",
)
#: the stored columns a row's rollup contribution depends on
CONTRIB_COLUMNS = ("detected_at", "district_code", "commune_code", "violation_type", "vehicle_class", "channel", "camera_code",
                   "status", "fine_vnd", "fine_flag", "plate_status", "rating", "notice_sent_at")
ROLLUP_KEYS = ("grain", "bucket", *st.TRAFFIC_DIMS)
ALL_KEYS = ("grain", "bucket", *st.TRAFFIC_ALL_DIMS)
ROLLUP_MEASURES = (*st.TRAFFIC_COUNTS, *st.TRAFFIC_MONEY, "notice_hours_sum", *st.TRAFFIC_HIST_COLUMNS)
CAMERA_KEYS = ("grain", "bucket", *st.CAMERA_DIMS)
HOUR_KEYS = ("bucket", "hour", *st.HOUR_DIMS)
OUT_OF_RANGE_FLAGS = ("below", "above")


Factorized = tuple[np.ndarray, np.ndarray]  # codes (int64, one per row) and the distinct values


def factorize(values: np.ndarray) -> Factorized:
    codes, found = pd.factorize(values)
    return codes.astype("int64"), np.asarray(found, dtype=object)


def group_sums(keys: dict[str, Factorized], measures: dict[str, np.ndarray]) -> tuple[pd.DataFrame, np.ndarray]:
    """Sum ``measures`` per distinct combination of the factorized ``keys`` (vectorised: one
    combined integer code, then bincount). Returns the frame (keys, then measures) and each
    input row's group number."""
    n = len(next(iter(keys.values()))[0])
    combined = np.zeros(n, dtype="int64")
    for codes, found in keys.values():
        combined = combined * max(len(found), 1) + codes
    groups, inverse = np.unique(combined, return_inverse=True)
    out: dict[str, Any] = {}
    rest = groups
    for name, (_codes, found) in reversed(list(keys.items())):
        size = max(len(found), 1)
        out[name] = pd.Series(found[rest % size], dtype=object)  # object: cheap for the DB driver
        rest = rest // size
    out = {name: out[name] for name in keys}
    for name, values in measures.items():
        summed = np.bincount(inverse, weights=values, minlength=len(groups))
        out[name] = summed if values.dtype.kind == "f" else np.rint(summed).astype("int64")
    return pd.DataFrame(out), inverse


def _with_grain(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    return frame.assign(grain=pd.Series(grain, index=frame.index, dtype=object))


def contributions(frame: pd.DataFrame, tz: ZoneInfo,
                  sign: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Each violation's contribution to the rollups × ``sign``: by district, province-wide and
    by camera (day and month), and by local day × hour."""
    if frame.empty:
        return (pd.DataFrame(columns=[*ROLLUP_KEYS, *ROLLUP_MEASURES]),
                pd.DataFrame(columns=[*ALL_KEYS, *ROLLUP_MEASURES]),
                pd.DataFrame(columns=[*CAMERA_KEYS, "violations"]),
                pd.DataFrame(columns=[*HOUR_KEYS, "violations"]))
    local = local_naive(frame["detected_at"], tz)
    day = local.dt.floor("D").to_numpy()
    month = local.dt.to_period("M").dt.start_time.to_numpy()
    status = frame["status"].to_numpy(dtype=object)
    flag = frame["fine_flag"].to_numpy(dtype=object)
    plate = frame["plate_status"].to_numpy(dtype=object)
    rating = frame["rating"].to_numpy(dtype=object)
    fine = pd.array(frame["fine_vnd"], dtype="Int64").to_numpy(dtype="int64", na_value=0)
    has_fine = pd.notna(frame["fine_vnd"]).to_numpy()
    noticed = np.isin(status, ISSUED_STATUSES)
    paid = status == "paid"
    citizen = frame["channel"].to_numpy(dtype=object) == "citizen"
    hours = ((frame["notice_sent_at"] - frame["detected_at"]).dt.total_seconds() / 3600.0).to_numpy()
    timed = noticed & ~np.isnan(hours)
    measures = {
        "violations": np.ones(len(frame), dtype="int64"),
        "verified": np.isin(status, VERIFIED_STATUSES),
        "dismissed": status == "dismissed",
        "noticed": noticed,
        "paid": paid,
        "fined": noticed & has_fine,
        "fine_out_of_range": np.isin(flag, OUT_OF_RANGE_FLAGS),
        "fine_unchecked": flag == "unchecked",
        "invalid_plates": plate == "invalid",
        "missing_plates": plate == "missing",
        "rated": citizen & (rating != None),  # noqa: E711 - object array
        "satisfied": citizen & (rating == "satisfied"),
        "acceptable": citizen & (rating == "acceptable"),
        "dissatisfied": citizen & (rating == "dissatisfied"),
        "notice_timed": timed,
        "fines_issued_vnd": np.where(noticed, fine, 0),
        "fines_collected_vnd": np.where(paid, fine, 0),
        "notice_hours_sum": np.where(timed, np.nan_to_num(hours), 0.0),
    }
    measures = {k: v.astype("int64") if v.dtype == bool else v for k, v in measures.items()}
    bins = hist_bin(np.nan_to_num(hours))
    nbins = len(st.TRAFFIC_HIST_COLUMNS)
    dims = {dim: factorize(frame[dim].to_numpy(dtype=object))
            for dim in {*st.TRAFFIC_DIMS, *st.CAMERA_DIMS, *st.HOUR_DIMS}}
    buckets = {"d": factorize(day), "m": factorize(month)}
    parts = []
    for grain, bucket in buckets.items():
        for table_dims in (st.TRAFFIC_DIMS, st.TRAFFIC_ALL_DIMS):
            sums, group = group_sums({"bucket": bucket, **{d: dims[d] for d in table_dims}}, measures)
            hist = np.bincount(group[timed] * nbins + bins[timed], minlength=len(sums) * nbins)
            hist = pd.DataFrame(hist.reshape(len(sums), nbins), columns=list(st.TRAFFIC_HIST_COLUMNS))
            parts.append((table_dims, pd.concat([_with_grain(sums, grain), hist], axis=1)))
    main = pd.concat([p for d, p in parts if d == st.TRAFFIC_DIMS], ignore_index=True)
    province = pd.concat([p for d, p in parts if d == st.TRAFFIC_ALL_DIMS], ignore_index=True)
    on_camera = frame["camera_code"].to_numpy(dtype=object) != ""
    cam_dims = {dim: (dims[dim][0][on_camera], dims[dim][1]) for dim in st.CAMERA_DIMS}
    ones = {"violations": np.ones(int(on_camera.sum()), dtype="int64")}
    camera = pd.concat([_with_grain(group_sums({"bucket": (b[0][on_camera], b[1]), **cam_dims}, ones)[0], g)
                        for g, b in buckets.items()] if on_camera.any() else
                       [pd.DataFrame(columns=[*CAMERA_KEYS, "violations"])], ignore_index=True)
    hours = group_sums({"bucket": buckets["d"], "hour": factorize(local.dt.hour.to_numpy()),
                        **{d: dims[d] for d in st.HOUR_DIMS}},
                       {"violations": np.ones(len(frame), dtype="int64")})[0]
    main, province, camera, hours = (main[[*ROLLUP_KEYS, *ROLLUP_MEASURES]], province[[*ALL_KEYS, *ROLLUP_MEASURES]],
                                     camera[[*CAMERA_KEYS, "violations"]], hours[[*HOUR_KEYS, "violations"]])
    hours["hour"] = hours["hour"].astype("int64")
    for frame_ in (main, province, camera, hours):
        frame_["bucket"] = pd.to_datetime(frame_["bucket"]).dt.date
    if sign != 1:
        main = pd.concat([main[list(ROLLUP_KEYS)], main[list(ROLLUP_MEASURES)] * sign], axis=1)
        province = pd.concat([province[list(ALL_KEYS)], province[list(ROLLUP_MEASURES)] * sign], axis=1)
        camera = camera.assign(violations=camera["violations"] * sign)
        hours = hours.assign(violations=hours["violations"] * sign)
    return main, province, camera, hours


ROLLUPS = (  # table, keys, measures, the count whose 0 means no violation is left
    ("traffic_rollup", ROLLUP_KEYS, ROLLUP_MEASURES, "violations"),
    ("traffic_rollup_all", ALL_KEYS, ROLLUP_MEASURES, "violations"),
    ("traffic_camera_rollup", CAMERA_KEYS, ("violations",), "violations"),
    ("traffic_hour_rollup", HOUR_KEYS, ("violations",), "violations"),
)


def _apply_deltas(conn: Connection, parts: list[tuple[pd.DataFrame, ...]]) -> None:
    for index, (table, keys, measures, count) in enumerate(ROLLUPS):
        apply_rollup_deltas(conn, table, [p[index] for p in parts], keys, measures, count)


def _insert(conn: Connection, frame: pd.DataFrame, columns: tuple[str, ...], constants: dict[str, Any]) -> int:
    """:func:`ioc.store.bulk.insert_many`, faster for derived violations: their text columns
    hold str or None only (no NaN to look for), and rows stream to the driver without a list
    of tuples in between."""
    if frame.empty:
        return 0
    values = []
    for c in columns:
        series = frame[c]
        if series.dtype == object and c in _CLEAN_TEXT:
            values.append(series.to_numpy(dtype=object).tolist())
        elif isinstance(series.dtype, pd.Int64Dtype):
            values.append(np.where(series.isna().to_numpy(), None, series.to_numpy(dtype=object, na_value=0)).tolist())
        else:
            values.append(bulk.db_column(conn, series))
    for value in constants.values():  # the same for every row: converted once
        values.append([bulk.db_column(conn, pd.Series([value]))[0]] * len(frame))
    names = [*columns, *constants]
    ph = bulk.placeholder(conn)
    bulk.send_rows(conn, f"INSERT INTO traffic_violations ({', '.join(names)}) "
                         f"VALUES ({', '.join([ph] * len(names))})", values)
    return len(frame)


_CLEAN_TEXT = frozenset({"source", "external_id", "violation_type", "vehicle_class", "status", "channel", "camera_code",
                         "unit_code", "district_code", "commune_code", "address", "description", "plate_raw", "plate", "plate_status", "evidence_url",
                         "fine_flag", "decree", "rating"})


def _fetch_existing(conn: Connection, source: str, ids: list[str]) -> pd.DataFrame:
    """The stored versions of ``ids``: their id, updated_at and what their contribution needs."""
    found = bulk.select_by_keys(conn, "traffic_violations", ["id", "external_id", "updated_at", *CONTRIB_COLUMNS],
                                source, ids)
    if found.empty:
        return found
    read_times(found, ("updated_at", "detected_at", "notice_sent_at"))
    found["fine_vnd"] = pd.array(pd.to_numeric(found["fine_vnd"]), dtype="Float64").astype("Int64")
    found["rating"] = found["rating"].astype(object).where(found["rating"].notna(), None)
    return found


def ingest(engine: Engine, source: str, frame: pd.DataFrame, tz: ZoneInfo,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Upsert a batch of violations from ``source``, maintaining the rollups, in one transaction.

    ``frame`` has the :class:`~ioc.domain.traffic_records.TrafficRecord` columns (see
    :func:`records_frame`). ``calendar`` is unused (the Family ingest signature).
    """
    if frame.empty:
        return IngestResult()
    frame = normalise_input(frame)
    if not frame["external_id"].is_unique:  # the latest version of each violation in the batch
        frame = frame.sort_values("updated_at", kind="stable").drop_duplicates("external_id", keep="last")
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:traffic")
        old = _fetch_existing(conn, source, frame["external_id"].tolist())
        if old.empty:
            is_new = np.ones(len(frame), dtype=bool)
            newer = ~is_new
            ids = np.zeros(len(frame), dtype="int64")
        else:
            lookup = old.set_index("external_id")
            stored_id = frame["external_id"].map(lookup["id"])
            is_new = stored_id.isna().to_numpy()
            newer = ~is_new & (frame["updated_at"] > frame["external_id"].map(lookup["updated_at"])).to_numpy()
            ids = stored_id.fillna(0).astype("int64").to_numpy()
        todo = is_new | newer
        if not todo.any():
            return IngestResult(0, 0, len(frame))
        refs = load_references(conn)
        derived = derive(frame[todo], tz, refs)
        register_cameras(conn, source, derived, refs, tz)
        now = utcnow()
        new_rows = derived[is_new[todo]].sort_values("external_id", kind="stable")  # index-friendly order
        changed = derived[newer[todo]].assign(id=ids[newer], ingested_at=now)
        inserted = _insert(conn, new_rows, VIOLATION_COLUMNS, {"source": source, "ingested_at": now})
        updated = bulk.update_many(conn, "traffic_violations", changed, [*VIOLATION_COLUMNS, "ingested_at"], "id")
        parts = [contributions(derived, tz, +1)]
        if updated:
            replaced = old.set_index("id").loc[changed["id"]].reset_index()
            parts.append(contributions(replaced, tz, -1))
        _apply_deltas(conn, parts)
        bump_version(conn, FAMILY)
    return IngestResult(inserted, updated, len(frame) - inserted - updated)


def rebuild(engine: Engine, tz: ZoneInfo, chunk: int = 200_000) -> int:
    """Re-derive every stored violation's flags (schedule, cameras, time zone may have
    changed) and recompute both rollups from the raw rows; returns the rows processed."""
    total = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:traffic")
        for table in (st.traffic_rollup, st.traffic_rollup_all, st.traffic_camera_rollup, st.traffic_hour_rollup):
            conn.execute(delete(table))
        refs = load_references(conn)
        cols = ["id", *[c for c in VIOLATION_COLUMNS if c not in ("plate",)]]
        for frame in stored_chunks(conn, "traffic_violations", cols, chunk):
            for col in TIME_COLUMNS:
                frame[col] = pd.to_datetime(frame[col], format="ISO8601")
            frame = normalise_input(frame.assign(plate=frame["plate_raw"]))
            derived = derive(frame, tz, refs)
            bulk.update_many(conn, "traffic_violations", derived,
                             ["unit_code", "district_code", "commune_code", "lat", "lon", "plate", "plate_status", "fine_flag", "decree",
                              "fine_min_vnd", "fine_max_vnd", "hour_of_week"], "id")
            _apply_deltas(conn, [contributions(derived, tz, +1)])
            total += len(frame)
        bump_version(conn, FAMILY)
    return total


def count_violations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(st.traffic_violations)).scalar_one())


def first_detected(engine: Engine) -> date | None:
    """The earliest local detection date in the rollups (None: no violations)."""
    with engine.connect() as conn:
        return conn.execute(select(func.min(st.traffic_rollup.c.bucket)).where(st.traffic_rollup.c.grain == "d")
                            ).scalar()


def ingest_records(engine: Engine, source: str, records: object, tz: ZoneInfo,
                   calendar: WorkCalendar | None = None) -> IngestResult:
    """The Family registry's ingest entry: a list of records or a record-shaped DataFrame."""
    frame = records if isinstance(records, pd.DataFrame) else records_frame(records)  # type: ignore[arg-type]
    return ingest(engine, source, frame, tz, calendar)
