"""Naive UTC ↔ naive local time in a time zone, vectorised (pure, no I/O).

Records are stored in naive UTC; rollups, deadlines and working-day clocks count in the city's
local time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


def utcnow() -> datetime:
    """Current time as naive UTC (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_naive(utc: pd.Series, tz: ZoneInfo) -> pd.Series:
    """Naive UTC datetimes → naive local datetimes in ``tz``."""
    return utc.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)


def to_local(utc: pd.Series | np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Naive UTC → naive local ``datetime64[us]`` (NaT kept)."""
    index = pd.DatetimeIndex(np.asarray(utc, dtype="datetime64[us]"))
    return index.tz_localize("UTC").tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[us]")


def to_utc(local: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Naive local → naive UTC ``datetime64[us]`` (NaT kept; a skipped local hour moves forward)."""
    index = pd.DatetimeIndex(np.asarray(local, dtype="datetime64[us]"))
    return (index.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC")
            .tz_localize(None).to_numpy().astype("datetime64[us]"))
