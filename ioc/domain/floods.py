"""Rivers and rain (family ``flood``): hydrological stations, the official flood alarm levels,
and the alerts they raise (pure: no I/O).

**Stations** are data (``ioc/domain/data/hue_flood_stations.csv``): river stations with the
water levels of alarm levels I, II and III that Decision 05/2020/QĐ-TTg sets for them (cited
row by row), and rain stations. Positions are approximate (for the map).

**Observations** are hourly: the water level at the end of the hour (m, the station's gauge
datum) and the rain that fell during the hour (mm). Rain over 1, 3 and 24 hours is summed
from them.

**Alarm level** of a water level at a river station: 0 below level I, else the highest of
I, II, III it reaches (≥).

**Alerts** (evaluated with the others on the alerts cadence, :func:`findings`):

``flood_level`` (key ``<station>/<level>``)
    the station's latest water level is at alarm level I or above. One episode per level: a
    crossing up or down ends the episode of the level left and opens one of the level reached,
    so the Alerts page keeps every crossing. Severity: I → warning, II → high, III → critical
    (stage 2, 3 and 4). Details: the level, the alarm value, the rise over the last 3 hours
    (m/h) and the time of the observation.
``heavy_rain`` (key: the station)
    the rain of the last 24 hours reaches :data:`HEAVY_RAIN_24H_MM` (100 mm, what Việt Nam's
    forecasters call *mưa rất to*): warning; :data:`EXTREME_RAIN_24H_MM` (200 mm): high.
``station_silent`` (key: the station)
    while a ``flood_level`` alert holds anywhere, a station has sent nothing for
    :data:`SILENT_HOURS` hours: high — a gauge lost during a flood is an emergency of its own.

Only observations of the last :data:`LOOKBACK_HOURS` hours count for a level (an old level is no
flood now), and stations silent for more than two days are not watched for silence.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from ioc.domain.alert_rules import Finding
from ioc.domain.records import RecordError, number_field, parse_timestamp, text_field

FAMILY = "flood"
KINDS = ("flood_level", "heavy_rain", "station_silent")
DATA = Path(__file__).with_name("data") / "hue_flood_stations.csv"
LEVEL_SEVERITY = {1: "warning", 2: "high", 3: "critical"}
ROMAN = {0: "", 1: "I", 2: "II", 3: "III"}
HEAVY_RAIN_24H_MM = 100.0
EXTREME_RAIN_24H_MM = 200.0
SILENT_HOURS = 2
LOOKBACK_HOURS = 6
RISE_HOURS = 3
MAX_LEVEL_M = 100.0  # a gauge reading above this is a typo, not a flood
MAX_RAIN_MM_H = 500.0  # the world record hour is about 305 mm


@dataclass(frozen=True)
class Station:
    station_id: str
    name: str
    river: str
    kind: str  # river | rain
    lat: float
    lon: float
    levels: tuple[float, float, float] | None  # alarm levels I, II, III (m); None: none set
    citation: str

    def alarm(self, level_m: float | None) -> int:
        """0 below level I (or no levels, or no value), else 1, 2 or 3."""
        if level_m is None or self.levels is None:
            return 0
        return sum(1 for threshold in self.levels if level_m >= threshold)


@lru_cache(maxsize=1)
def stations() -> dict[str, Station]:
    """The shipped stations, by id."""
    out = {}
    with DATA.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            levels = tuple(float(row[k]) for k in ("level_i_m", "level_ii_m", "level_iii_m")) \
                if row["level_i_m"] else None
            out[row["station_id"]] = Station(row["station_id"], row["name"], row["river"], row["kind"],
                                             float(row["lat"]), float(row["lon"]), levels, row["citation"])  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class FloodObservation:
    station_id: str
    observed_at: datetime  # naive UTC, on the hour: the end of the hour observed
    water_level_m: float | None
    rain_mm: float | None
    updated_at: datetime




def validate_observation(raw: dict[str, Any], naive_tz: Any = None) -> FloodObservation:
    """One hourly observation given as a dict: ``station_id`` and ``observed_at`` (the end of
    the hour, on the hour) required, ``water_level_m`` and/or ``rain_mm``, optional
    ``updated_at``. Raises :class:`RecordError` naming the bad field."""
    from datetime import UTC

    station_id = text_field(raw, "station_id", 64, required=True, truncate=False)
    observed = parse_timestamp(raw.get("observed_at"), "observed_at", naive_tz or UTC)
    if observed.minute or observed.second or observed.microsecond:
        raise RecordError("observed_at", f"{raw.get('observed_at')!r} is not on the hour (observations are hourly)")
    level = number_field(raw, "water_level_m", -MAX_LEVEL_M, MAX_LEVEL_M)
    rain = number_field(raw, "rain_mm", 0.0, MAX_RAIN_MM_H)
    if level is None and rain is None:
        raise RecordError("water_level_m", "missing (give water_level_m, rain_mm or both)")
    updated_raw = raw.get("updated_at")
    updated = parse_timestamp(updated_raw, "updated_at", naive_tz or UTC) if updated_raw not in (None, "") \
        else observed
    return FloodObservation(station_id, observed, level, rain, updated)


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class StationState:
    """What the last :data:`LOOKBACK_HOURS` (24 h for rain) hold for one station."""

    station_id: str
    last_at: datetime | None  # the latest observation of any kind
    level_at: datetime | None  # the latest water level's time
    level_m: float | None
    level_3h_before: float | None
    rain_24h: float
    rain_1h: float = 0.0  # the last hour's rain (the hour ending at the latest observation before now)
    rain_3h: float = 0.0


def rise_m_per_h(state: StationState) -> float | None:
    if state.level_m is None or state.level_3h_before is None:
        return None
    return round((state.level_m - state.level_3h_before) / RISE_HOURS, 3)


def findings(states: list[StationState], now: datetime, started: dict[str, datetime]) -> list[Finding]:
    """The flood family's findings at ``now`` (naive UTC). ``started``: for each station with a
    water level at an alarm level, since when it has been at that level without a break
    (the first observation of the current run); the caller reads it from the store."""
    known = stations()
    out: list[Finding] = []
    for s in states:
        station = known.get(s.station_id)
        fresh = s.level_at is not None and now - s.level_at <= timedelta(hours=LOOKBACK_HOURS)
        level = station.alarm(s.level_m) if station and fresh else 0
        if level and station and station.levels:
            out.append(Finding(FAMILY, "flood_level", f"{s.station_id}/{ROMAN[level]}", LEVEL_SEVERITY[level],
                               started.get(s.station_id, s.level_at), {  # type: ignore[arg-type]
                                   "station": station.name, "river": station.river, "alarm": ROMAN[level],
                                   "level_m": s.level_m, "alarm_m": station.levels[level - 1],
                                   "rise_m_per_h": rise_m_per_h(s), "at_utc": s.level_at.isoformat()}))  # type: ignore[union-attr]
        if s.rain_24h >= HEAVY_RAIN_24H_MM:
            name = station.name if station else s.station_id
            severity = "high" if s.rain_24h >= EXTREME_RAIN_24H_MM else "warning"
            out.append(Finding(FAMILY, "heavy_rain", s.station_id, severity, now,
                               {"station": name, "rain_24h_mm": round(s.rain_24h, 1),
                                "threshold_mm": EXTREME_RAIN_24H_MM if severity == "high" else HEAVY_RAIN_24H_MM}))
    if any(f.kind == "flood_level" for f in out):
        for s in states:
            if s.last_at is not None and now - s.last_at >= timedelta(hours=SILENT_HOURS):
                station = known.get(s.station_id)
                out.append(Finding(FAMILY, "station_silent", s.station_id, "high", s.last_at,
                                   {"station": station.name if station else s.station_id,
                                    "hours": int((now - s.last_at).total_seconds() // 3600),
                                    "last_utc": s.last_at.isoformat()}))
    return out
