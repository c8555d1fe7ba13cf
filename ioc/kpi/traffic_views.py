"""The data behind the traffic page's charts and tables (tidy frames; no Dash, no figures).

Every function takes a :class:`~ioc.kpi.filters.Selection` over ``TRAFFIC_FILTERS`` (violations *detected* in a
period of local dates, with the same filters and the same definitions as the KPI set). Counts
and VND sums come from the rollups, the hour × weekday heatmap from the day × hour rollup; the
latest violations come from the raw rows through the (detected_at) and (camera_code,
detected_at) indexes.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, union_all

from ioc.domain.units import unit_column
from ioc.kpi.filters import Selection
from ioc.kpi.rollups import bucket_clause, check_freq, day_rows, resample_days, summed
from ioc.kpi.traffic import CAM, C, R, T, dim_clauses, rollup_table
from ioc.privacy import mask_frame
from ioc.store.frames import rows_frame
from ioc.store.schema_traffic import traffic_hour_rollup as H

BREAKDOWNS = {"type": "violation_type", "vehicle": "vehicle_class", "commune": "commune_code",
              "district": "district_code", "channel": "channel"}
SERIES_MEASURES = ("violations", "verified", "noticed", "paid", "fines_issued_vnd", "fines_collected_vnd",
                   "fine_out_of_range", "invalid_plates")
VIOLATION_FIELDS = ("external_id", "source", "detected_at", "camera_code", "unit_code", "district_code", "commune_code",
                    "address", "channel", "violation_type", "vehicle_class", "plate_raw", "plate", "plate_status", "status", "fine_vnd",
                    "fine_flag", "decree", "fine_min_vnd", "fine_max_vnd", "evidence_url", "lat", "lon")


def _frame(rows: list[Any], columns: list[str]) -> pd.DataFrame:
    frame = rows_frame(rows, columns)
    for col in columns:
        if col not in ("key", "bucket") and col in SERIES_MEASURES:
            frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    return frame


def traffic_breakdown(engine: Engine, flt: Selection, by: str) -> pd.DataFrame:
    """Counts and VND sums per violation type / vehicle class / current commune (``commune``) /
    district-level unit of the time (``district``: records before 1 July 2025; later ones have the
    key '') / channel, largest first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown {by!r}: expected one of {', '.join(BREAKDOWNS)}")
    table = R if by in ("commune", "district") else rollup_table(flt)
    col = table.c[BREAKDOWNS[by]]
    stmt = (select(col.label("key"), *[summed(table.c[m]) for m in SERIES_MEASURES])
            .where(bucket_clause(table, flt.period), *dim_clauses(flt, table)).group_by(col))
    with engine.connect() as conn:
        frame = _frame(conn.execute(stmt).all(), ["key", *SERIES_MEASURES])
    frame = frame[frame["violations"] > 0]
    total = frame["violations"].sum()
    frame = frame.assign(share=frame["violations"] / total if total else np.nan)
    return frame.sort_values(["violations", "key"], ascending=[False, True], kind="stable").reset_index(drop=True)


def traffic_series(engine: Engine, flt: Selection, freq: str = "week") -> pd.DataFrame:
    """Violations and fines (VND) per day, week (from Monday) or month of local detection date."""
    check_freq(freq)
    table = rollup_table(flt)
    stmt = (select(table.c.bucket, *[summed(table.c[m]) for m in SERIES_MEASURES])
            .where(*day_rows(table, flt.period), *dim_clauses(flt, table))
            .group_by(table.c.bucket).order_by(table.c.bucket))
    with engine.connect() as conn:
        frame = _frame(conn.execute(stmt).all(), ["bucket", *SERIES_MEASURES])
    frame = resample_days(frame, freq)
    issued = frame["fines_issued_vnd"].replace(0, np.nan)
    return frame.assign(collection_rate=frame["fines_collected_vnd"] / issued)


def hour_weekday(engine: Engine, flt: Selection, tz: ZoneInfo) -> pd.DataFrame:
    """Violations by local weekday (0 = Monday … 6 = Sunday) × hour (0–23): a 7 × 24 frame.

    From the day × hour rollup (filters: unit, type); with a vehicle-class or channel
    filter, from the raw rows' stored local hour of the week (one GROUP BY in the database).
    """
    grid = np.zeros((7, 24), dtype="int64")
    if flt.vehicle_class is None and flt.channel is None:
        stmt = (select(H.c.bucket, H.c.hour, summed(H.c.violations))
                .where(H.c.bucket >= flt.period.start, H.c.bucket < flt.period.end, *dim_clauses(flt, H))
                .group_by(H.c.bucket, H.c.hour))
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if rows:
            frame = rows_frame(rows, ["bucket", "hour", "n"])
            weekday = pd.to_datetime(frame["bucket"]).dt.day_of_week.to_numpy()
            np.add.at(grid, (weekday, frame["hour"].astype("int64").to_numpy()),
                      pd.to_numeric(frame["n"]).astype("int64").to_numpy())
    else:
        lo, hi = flt.period.utc_bounds(tz)
        stmt = (select(T.c.hour_of_week, func.count().label("n"))
                .where(T.c.detected_at >= lo, T.c.detected_at < hi, *dim_clauses(flt, T))
                .group_by(T.c.hour_of_week))
        with engine.connect() as conn:
            for how, n in conn.execute(stmt).all():
                if 0 <= int(how) < 7 * 24:
                    grid[int(how) // 24, int(how) % 24] = int(n)
    return pd.DataFrame(grid, index=pd.RangeIndex(7, name="weekday"), columns=pd.RangeIndex(24, name="hour"))


def camera_summary(engine: Engine, flt: Selection) -> pd.DataFrame:
    """Every traffic camera (in the unit, when filtered: its current commune, or the district-level
    unit it lay in) with its violations in ``flt``, its main violation type and its counts per
    type; cameras without violations have 0 and no type. The registry holds every camera of the
    city (the ``cameras`` family): a security or flood camera is listed only when it has
    violations in the period."""
    stmt = (select(C.c.camera_code, C.c.violation_type, summed(C.c.violations))
            .where(bucket_clause(C, flt.period), *dim_clauses(flt, C))
            .group_by(C.c.camera_code, C.c.violation_type))
    with_violations = select(C.c.camera_code).where(bucket_clause(C, flt.period)).distinct()
    cams = select(CAM).where((CAM.c.purpose == "traffic") | CAM.c.code.in_(with_violations))
    if flt.unit:
        # a camera stands where it was registered (its current commune; a district-level unit of then,
        # if registered before 1 July 2025); it also belongs to the unit when its violations there do
        seen = (select(C.c.camera_code).where(bucket_clause(C, flt.period), C.c[unit_column(flt.unit)] == flt.unit)
                .distinct())
        cams = cams.where((CAM.c[unit_column(flt.unit)] == flt.unit) | CAM.c.code.in_(seen))
    with engine.connect() as conn:
        counts = rows_frame(conn.execute(stmt).all(), ["code", "violation_type", "violations"])
        cameras = pd.DataFrame([dict(r) for r in conn.execute(cams).mappings()],
                               columns=[c.name for c in CAM.columns])
    counts["violations"] = pd.to_numeric(counts["violations"]).astype("int64")
    counts = counts[counts["violations"] > 0]
    by_type = {code: dict(sorted(zip(g["violation_type"], g["violations"], strict=True),
                                 key=lambda kv: (-kv[1], kv[0])))
               for code, g in counts.groupby("code")}
    totals = counts.groupby("code")["violations"].sum()
    out = cameras.assign(
        violations=cameras["code"].map(totals).fillna(0).astype("int64"),
        main_type=cameras["code"].map(lambda c: next(iter(by_type.get(c, {})), None)),
        by_type=cameras["code"].map(lambda c: by_type.get(c, {})))
    return out.sort_values(["violations", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _violations(engine: Engine, stmt: Any, reveal_text: bool = False, reveal_plates: bool = False) -> pd.DataFrame:
    """Violation rows as a frame; personal data (plates, citizens' addresses) masked unless
    revealed (:func:`ioc.privacy.mask_frame`)."""
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, list(VIOLATION_FIELDS))
    frame["detected_at"] = pd.to_datetime(frame["detected_at"])
    for col in ("fine_vnd", "fine_min_vnd", "fine_max_vnd"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Float64").astype("Int64")
    return mask_frame(frame, reveal_text=reveal_text, reveal_plates=reveal_plates)


def latest_violations(engine: Engine, flt: Selection, tz: ZoneInfo, limit: int = 200, *,
                      reveal_text: bool = False, reveal_plates: bool = False) -> pd.DataFrame:
    """The ``limit`` most recent violations detected in ``flt`` (times naive UTC); plates and
    addresses masked unless revealed."""
    lo, hi = flt.period.utc_bounds(tz)
    stmt = (select(*[T.c[c] for c in VIOLATION_FIELDS])
            .where(T.c.detected_at >= lo, T.c.detected_at < hi, *dim_clauses(flt, T))
            .order_by(T.c.detected_at.desc(), T.c.id.desc()).limit(limit))
    return _violations(engine, stmt, reveal_text, reveal_plates)


CAMERA_BATCH = 200  # cameras per statement (SQLite allows 500 parts in a compound SELECT)


def latest_by_camera(engine: Engine, flt: Selection, tz: ZoneInfo, codes: list[str],
                     per_camera: int = 5, *, reveal_text: bool = False, reveal_plates: bool = False) -> pd.DataFrame:
    """The ``per_camera`` most recent violations of each camera in ``codes`` within ``flt``;
    plates and addresses masked unless revealed."""
    lo, hi = flt.period.utc_bounds(tz)
    columns = [T.c[c] for c in VIOLATION_FIELDS]
    order = {code: i for i, code in enumerate(dict.fromkeys(codes))}  # cameras in the order asked
    # One statement per CAMERA_BATCH cameras: a UNION ALL of each camera's own latest rows (each
    # part an index range scan), not a query per camera (36 round trips and frames: 0.5 s).
    parts = [select(*columns).where(T.c.camera_code == code, T.c.detected_at >= lo, T.c.detected_at < hi,
                                    *dim_clauses(flt, T))
             .order_by(T.c.detected_at.desc(), T.c.id.desc()).limit(per_camera).subquery(f"c{i}")
             for i, code in enumerate(order)]
    if not parts:
        return _violations(engine, select(*columns).where(T.c.id < 0), reveal_text, reveal_plates)
    frames = [_violations(engine, union_all(*(select(part) for part in parts[i:i + CAMERA_BATCH])),
                          reveal_text, reveal_plates) for i in range(0, len(parts), CAMERA_BATCH)]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return (frame.assign(_order=frame["camera_code"].map(order))
            .sort_values(["_order", "detected_at"], ascending=[True, False], kind="stable", ignore_index=True)
            .drop(columns="_order"))
