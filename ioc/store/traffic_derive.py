"""Traffic violations: the flags and lookups derived at ingest, in bulk (no rejection).

- the plate: normalised (``75A-123.45``), else flagged ``invalid``, or ``missing``;
- the fine: checked against the legal range of the decree in force on the *local* detection
  date, from the store's fine schedule (``in``, ``below``, ``above``, ``unchecked`` when no
  range covers the case, ``none`` without a fine), with the decree and its range;
- the district and position: from the camera (stored, or placed by another violation of the
  batch), else the nearest district centroid; the local hour of the week.
Cameras first seen in a batch are registered in ``traffic_cameras``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from ioc.domain.local_time import local_naive
from ioc.domain.traffic import FineSchedule, normalise_plates
from ioc.domain.traffic_records import RECORD_FIELDS, TrafficRecord
from ioc.domain.units import UnitMap
from ioc.store import schema_traffic as st
from ioc.store.db import load_units
from ioc.store.frames import rows_frame
from ioc.store.places import place_frame

TIME_COLUMNS = ("detected_at", "verified_at", "notice_sent_at", "paid_at", "updated_at")
TEXT_COLUMNS = ("external_id", "violation_type", "vehicle_class", "status", "channel", "camera_code", "camera_name",
                "unit_code", "address", "description", "plate", "evidence_url")


@dataclass(frozen=True)
class References:
    """What ingest looks up: the fine schedule, known cameras and the units (for districts)."""

    schedule: FineSchedule
    cameras: pd.DataFrame  # code, unit_code, lat, lon
    units: UnitMap


def records_frame(records: Iterable[TrafficRecord]) -> pd.DataFrame:
    """A batch of validated records as the DataFrame :func:`ingest` takes."""
    return normalise_input(pd.DataFrame.from_records([r.as_row() for r in records], columns=list(RECORD_FIELDS)))


def normalise_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Record-shaped frame with the dtypes ingest expects (missing optional columns added)."""
    frame = frame.copy()
    for col in TIME_COLUMNS:
        values = frame[col] if col in frame else pd.Series(pd.NaT, index=frame.index)
        frame[col] = pd.to_datetime(values).astype("datetime64[us]")
    for col in ("lat", "lon"):
        frame[col] = pd.to_numeric(frame[col] if col in frame else np.nan).astype("float64")
    for col in TEXT_COLUMNS:
        values = frame[col] if col in frame else pd.Series("", index=frame.index)
        frame[col] = values.astype(object).where(values.notna(), "").astype(str).astype(object)
    fine = pd.to_numeric(frame["fine_vnd"] if "fine_vnd" in frame else np.nan)
    frame["fine_vnd"] = pd.array(fine, dtype="Float64").astype("Int64")
    rating = frame["rating"] if "rating" in frame else pd.Series(None, index=frame.index)
    frame["rating"] = rating.astype(object).where(rating.notna(), None)
    return frame


def load_references(conn: Connection) -> References:
    """The fine schedule (seeded on first use), the cameras and the units, from the store."""
    rows = conn.execute(select(st.traffic_fine_schedule)).mappings().all()
    if not rows:
        st.seed(conn)
        rows = conn.execute(select(st.traffic_fine_schedule)).mappings().all()
    cams = conn.execute(select(st.traffic_cameras.c.code, st.traffic_cameras.c.unit_code,
                               st.traffic_cameras.c.lat, st.traffic_cameras.c.lon)).all()
    cameras = rows_frame(cams, ["code", "unit_code", "lat", "lon"])
    return References(FineSchedule.from_rows(rows), cameras, load_units(conn))


# One pass per plate: a canonical layout is its own canonical form; else a compact plate reads
# as a car whenever it can (alternatives are tried in order), else as a motorbike.
_FAST_PLATE = re.compile(
    r"(?P<canon>[1-9]\d[A-Z]{1,2}-\d{3}\.\d{2}|[1-9]\d[A-Z]{1,2}-\d{4}"
    r"|[1-9]\d-[A-Z][A-Z0-9] \d{3}\.\d{2}|[1-9]\d-[A-Z][A-Z0-9] \d{4})"
    r"|(?P<cp>[1-9]\d)(?P<cs>[A-Z]{1,2})(?P<cn>\d{4,5})"
    r"|(?P<mp>[1-9]\d)(?P<ms>[A-Z][A-Z0-9])(?P<mn>\d{4,5})")


def _fast_plate(text: str) -> str | None:
    """The canonical form of the common spellings, or None to ask the domain parser."""
    m = _FAST_PLATE.fullmatch(text)
    if m is None or text.startswith("10"):  # province codes below 11 are not issued: the parser says why
        return None
    if m["canon"]:
        return text
    if m["cp"]:
        number = m["cn"] if len(m["cn"]) == 4 else f"{m['cn'][:3]}.{m['cn'][3:]}"
        return f"{m['cp']}{m['cs']}-{number}"
    number = m["mn"] if len(m["mn"]) == 4 else f"{m['mn'][:3]}.{m['mn'][3:]}"
    return f"{m['mp']}-{m['ms']} {number}"


def canonical_plates(values: pd.Series) -> pd.Series:
    """Vectorised :func:`ioc.domain.traffic.normalise_plates` with a fast path (bulk ingest).

    Plates already in canonical layout (``75A-123.45``, ``75-B1 234.56``) are their own
    canonical form, a compact plate (``75A12345``) reads as a car whenever it can and as a
    motorbike otherwise (``75B123456``), exactly as :func:`~ioc.domain.traffic.parse_plate`
    decides without separators to go by; every other spelling goes through the domain parser.
    Returns canonical text, or None for an unreadable (or empty) plate, as an object Series.
    """
    codes, uniques = pd.factorize(values.astype(object).where(values.notna(), ""))
    canon: list[str | None] = []
    slow: list[int] = []
    for i, text in enumerate(uniques):
        fast = _fast_plate(text) if isinstance(text, str) and text else None
        canon.append(fast)
        if fast is None and text:
            slow.append(i)
    if slow:
        parsed = normalise_plates(pd.Series([uniques[i] for i in slow], dtype=object))
        for i, value in zip(slow, parsed, strict=True):
            canon[i] = None if pd.isna(value) else value
    table = np.array([*canon, None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)


def derive(frame: pd.DataFrame, tz: ZoneInfo, refs: References) -> pd.DataFrame:
    """Add the stored flags and lookups to a normalised input frame (vectorised)."""
    out = frame.copy()
    # Missing position and district come from the camera: as stored, else as another
    # violation of this batch places it (a camera first seen now).
    stored_codes = set(refs.cameras["code"])
    new_cam = (out["camera_code"] != "") & ~out["camera_code"].isin(stored_codes)
    placed = out.loc[new_cam & out["lat"].notna() & out["lon"].notna(), ["camera_code", "unit_code", "lat", "lon"]]
    cams = pd.concat([refs.cameras, placed.drop_duplicates("camera_code").rename(columns={"camera_code": "code"})],
                     ignore_index=True).set_index("code")
    if len(cams):
        # A camera's stored unit is of its own date; a violation is placed on its date by the
        # camera's position (codes are reused across the 2025 change).
        out["lat"] = out["lat"].fillna(out["camera_code"].map(cams["lat"]).astype("float64"))
        out["lon"] = out["lon"].fillna(out["camera_code"].map(cams["lon"]).astype("float64"))
        unplaced = (out["unit_code"] == "") & out["lat"].isna()
        out.loc[unplaced, "unit_code"] = out.loc[unplaced, "camera_code"].map(cams["unit_code"]).fillna("")
    out = place_frame(out, "detected_at", tz, refs.units)
    raw_plate = pd.Series([p.strip() for p in out["plate"]], index=out.index, dtype=object)
    out["plate_raw"] = raw_plate
    canonical = canonical_plates(raw_plate)
    out["plate"] = canonical
    out["plate_status"] = pd.Series(np.where(raw_plate == "", "missing", np.where(canonical.isna(), "invalid",
                                                                                  "valid")), index=out.index,
                                    dtype=object)
    local = local_naive(out["detected_at"], tz)
    out["hour_of_week"] = (local.dt.day_of_week * 24 + local.dt.hour).astype("int16")
    checked = refs.schedule.check_fines(pd.DataFrame({
        "violation_type": out["violation_type"], "vehicle_class": out["vehicle_class"],
        "local_date": local.dt.floor("D"), "fine_vnd": out["fine_vnd"]}, index=out.index))
    fine = out["fine_vnd"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    lo = checked["min_vnd"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    hi = checked["max_vnd"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    out["fine_flag"] = pd.Series(np.select([np.isnan(fine), np.isnan(lo), fine < lo, fine > hi],
                                           ["none", "unchecked", "below", "above"], "in"), index=out.index, dtype=object)
    out["decree"] = checked["decree"].astype(object).where(checked["decree"].notna(), None)
    out["fine_min_vnd"], out["fine_max_vnd"] = checked["min_vnd"], checked["max_vnd"]
    return out


def register_cameras(conn: Connection, source: str, frame: pd.DataFrame, refs: References, tz: ZoneInfo) -> int:
    """Insert the cameras of ``frame`` that the store does not know yet; returns how many.

    Optional input columns ``camera_kind`` and ``camera_road`` describe them; the position and
    district are those of the camera's first violation; installed_at its local date.
    """
    unknown = set(frame["camera_code"].unique()) - set(refs.cameras["code"]) - {""}
    if not unknown:
        return 0
    new = frame[frame["camera_code"].isin(unknown)]
    first = new.sort_values("detected_at").drop_duplicates("camera_code")
    local_day = local_naive(first["detected_at"], tz).dt.date
    rows = [{"code": r.camera_code, "name": (r.camera_name or r.camera_code)[:200],
             "lat": None if pd.isna(r.lat) else float(r.lat), "lon": None if pd.isna(r.lon) else float(r.lon),
             "unit_code": r.unit_code, "district_code": r.district_code, "commune_code": r.commune_code, "kind": str(getattr(r, "camera_kind", "") or "junction")[:32],
             "road": str(getattr(r, "camera_road", "") or "")[:200], "installed_at": day, "active": True,
             "source": source[:64], "generated": True}
            for r, day in zip(first.itertuples(index=False), local_day, strict=True)]
    conn.execute(insert(st.traffic_cameras), rows)
    return len(rows)
