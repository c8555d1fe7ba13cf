"""Where records belong, on their date: the store places every record it takes in the unit in
force that day, the district-level unit then and the current commune
(:meth:`ioc.domain.units.UnitMap.place_many`), from the code a source gave, else its position."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Connection

from ioc.domain.local_time import local_naive
from ioc.domain.units import UnitMap
from ioc.store.db import load_units

PLACE_COLUMNS = ("unit_code", "district_code", "commune_code")


def place_frame(frame: pd.DataFrame, time_column: str, tz: ZoneInfo, units: UnitMap) -> pd.DataFrame:
    """``frame`` with ``unit_code``, ``district_code`` and ``commune_code`` set from its
    ``unit_code`` (as the source gave it), ``lat`` / ``lon`` (if any) and the local date of
    ``time_column``."""
    if frame.empty:
        return frame.assign(**{c: pd.Series(dtype=object) for c in PLACE_COLUMNS if c not in frame})
    days = local_naive(frame[time_column], tz).to_numpy(dtype="datetime64[D]")
    n = len(frame)
    lats = frame["lat"].tolist() if "lat" in frame else [None] * n
    lons = frame["lon"].tolist() if "lon" in frame else [None] * n
    codes = frame["unit_code"].fillna("").astype(str).tolist() if "unit_code" in frame else [""] * n
    unit, district, commune = units.place_many(days, codes, lats, lons)
    return frame.assign(unit_code=unit, district_code=district, commune_code=commune)


def place_in_store(conn: Connection, frame: pd.DataFrame, time_column: str, tz: ZoneInfo) -> pd.DataFrame:
    """:func:`place_frame` with the store's units."""
    return place_frame(frame, time_column, tz, load_units(conn))
