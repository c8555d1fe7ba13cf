"""Air-quality records and data-quality flags (pure: no I/O).

An *observation* is one hourly mean of one pollutant at one station, keyed by
``(station_id, parameter, hour)`` where ``hour`` is the **start** of the averaging hour in naive
UTC. The value is kept as received (with its unit) and converted to µg/m³ for the index.

Quality flags (kept out of VN_AQI, counted against completeness), decided per
station-and-parameter series of hourly values in µg/m³:

* ``negative``: below 0 (a sensor offset or a transmission error);
* ``impossible``: above :data:`MAX_PLAUSIBLE` (physically implausible for ambient air);
* ``stuck``: the same value for :data:`STUCK_HOURS` or more consecutive hours (values at or
  below :data:`STUCK_FLOOR` are exempt: a coarse gas analyser legitimately repeats "0" or
  "1 ppb" at a clean site);
* ``spike``: one isolated hour at least :data:`SPIKE_RATIO` times its neighbour on *each* side
  (the nearest value within :data:`SPIKE_REACH_HOURS` hours) and higher than both by at least
  :data:`SPIKE_DELTA` (a real episode lasts more than one hour, so two high hours in a row are
  never spikes). The newest hour cannot be judged until a later one arrives: flags are
  recomputed when it does.

Missing hours (gaps) are not rows; they show as incomplete hours in completeness.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ioc.domain.aqi import to_ugm3
from ioc.domain.records import RecordError, parse_timestamp, text_field

FAMILY = "environment"

#: Stored parameter codes (O₃ is stored once, as 1-hour means; 8-hour means are derived).
PARAMETERS: tuple[str, ...] = ("pm25", "pm10", "o3", "co", "so2", "no2")
#: Parameter code → the VN_AQI pollutant code of its hourly value.
AQI_CODE: dict[str, str] = {"pm25": "pm25", "pm10": "pm10", "o3": "o3_1h", "co": "co", "so2": "so2", "no2": "no2"}
PARAMETER_LABELS: dict[str, str] = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "co": "CO", "so2": "SO₂",
                                    "no2": "NO₂"}
UNITS: tuple[str, ...] = ("µg/m³", "mg/m³", "ppb", "ppm")

FLAG_OK = "ok"
FLAGS: tuple[str, ...] = (FLAG_OK, "negative", "impossible", "stuck", "spike")

#: Above these (µg/m³) a value is implausible for ambient air.
MAX_PLAUSIBLE: dict[str, float] = {"pm25": 1_000.0, "pm10": 2_000.0, "o3": 2_000.0, "co": 200_000.0,
                                   "so2": 10_000.0, "no2": 10_000.0}
STUCK_HOURS = 6
#: Flat runs at or below these values (µg/m³) are not "stuck" (analyser resolution).
STUCK_FLOOR: dict[str, float] = {"pm25": -1.0, "pm10": -1.0, "o3": 10.0, "co": 300.0, "so2": 10.0, "no2": 10.0}
SPIKE_RATIO = 4.0
SPIKE_REACH_HOURS = 2
#: A spike also rises this much (µg/m³) above both neighbours: the VN_AQI 100 breakpoint.
SPIKE_DELTA: dict[str, float] = {"pm25": 50.0, "pm10": 150.0, "o3": 200.0, "co": 30_000.0, "so2": 350.0,
                                 "no2": 200.0}

_ALIASES = {"pm25": "pm25", "pm2.5": "pm25", "pm2,5": "pm25", "pm_25": "pm25", "pm2_5": "pm25", "pm10": "pm10",
            "o3": "o3", "ozone": "o3", "co": "co", "so2": "so2", "no2": "no2"}
_HOUR = np.timedelta64(1, "h")


def normalise_parameter(text: Any) -> str:
    """``PM2.5``, ``pm25``, ``O₃``, ``NO2`` … → the stored code; ``ValueError`` otherwise."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip().lower().replace(" ", "")
    code = _ALIASES.get(raw)
    if code is None:
        raise ValueError(f"unknown parameter {text!r} (expected one of {', '.join(PARAMETERS)})")
    return code


def normalise_unit(text: Any) -> str:
    """A unit as received (``ug/m3``, ``µg/m³``, ``mg/m3``, ``ppb``, ``ppm``) → its display form."""
    u = unicodedata.normalize("NFKC", str(text or "")).strip().lower().replace(" ", "")
    u = u.replace("µ", "u").replace("μ", "u").replace("³", "3")
    table = {"ug/m3": "µg/m³", "ugm-3": "µg/m³", "mg/m3": "mg/m³", "mgm-3": "mg/m³", "ppb": "ppb", "ppm": "ppm"}
    if u not in table:
        raise ValueError(f"unknown unit {text!r} (expected µg/m³, mg/m³, ppb or ppm)")
    return table[u]


@dataclass(frozen=True, slots=True)
class EnvStation:
    """A monitoring station. ``parameters`` are stored codes; coordinates WGS 84 degrees."""

    station_id: str
    name: str
    lat: float | None = None
    lon: float | None = None
    unit_code: str = ""
    provider: str = ""
    parameters: tuple[str, ...] = ()
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class EnvObservation:
    """One hourly mean. ``hour`` and ``updated_at`` are naive UTC; ``value_ugm3`` in µg/m³.

    Station attributes may ride along (``station_name`` …) so a flat feed creates its stations.
    """

    station_id: str
    parameter: str
    hour: datetime
    value: float
    unit: str
    value_ugm3: float
    updated_at: datetime
    station_name: str = ""
    lat: float | None = None
    lon: float | None = None
    provider: str = ""


@dataclass
class EnvRecords:
    """A batch of air-quality data: station records and an observation frame (or records)."""

    stations: list[EnvStation] = field(default_factory=list)
    observations: pd.DataFrame | list[EnvObservation] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.stations) + len(self.observations)


def _number(raw: dict[str, Any], key: str, lo: float | None = None, hi: float | None = None,
            required: bool = False) -> float | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(key, "missing")
        return None
    if isinstance(value, bool):
        raise RecordError(key, f"not a number: {value!r}")
    if isinstance(value, str) and value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")  # Vietnamese decimal comma
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(key, f"not a number: {value!r}") from None
    if not math.isfinite(number):
        raise RecordError(key, f"not a finite number: {value!r}")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise RecordError(key, f"{number} is outside [{lo}, {hi}]")
    return number


def _hour(raw: dict[str, Any], naive_tz: Any) -> datetime:
    if raw.get("hour") not in (None, ""):
        hour = parse_timestamp(raw["hour"], "hour", naive_tz)
        field = "hour"
    elif raw.get("hour_end") not in (None, ""):
        hour = parse_timestamp(raw["hour_end"], "hour_end", naive_tz) - timedelta(hours=1)
        field = "hour_end"
    else:
        raise RecordError("hour", "missing (give 'hour', the start of the hour, or 'hour_end')")
    if hour.minute or hour.second or hour.microsecond:
        raise RecordError(field, f"{raw[field]!r} is not on the hour (hourly means are keyed by whole hours)")
    return hour


def validate_observation(raw: dict[str, Any], naive_tz: Any = UTC) -> EnvObservation:
    """Check and normalise one hourly mean given as a dict of the store's field names.

    Fields: ``station_id``, ``parameter``, ``hour`` (start of the hour; or ``hour_end``),
    ``value``, ``unit`` — required; ``updated_at`` (the version; default: the end of the
    hour), ``station_name``, ``lat``, ``lon``, ``provider`` — optional. Times with an offset are
    converted to UTC; without one they are read in ``naive_tz``. Negative values are kept
    (and flagged), a value that is not a number is not. Raises :class:`RecordError`.
    """
    station_id = text_field(raw, "station_id", 64, required=True, truncate=False)
    try:
        parameter = normalise_parameter(text_field(raw, "parameter", 16, required=True, truncate=False))
    except ValueError as exc:
        raise RecordError("parameter", str(exc)) from None
    hour = _hour(raw, naive_tz)
    value = _number(raw, "value", required=True)
    try:
        unit = normalise_unit(text_field(raw, "unit", 16, required=True, truncate=False))
        value_ugm3 = to_ugm3(value, unit, parameter)  # type: ignore[arg-type]
    except ValueError as exc:
        raise RecordError("unit", str(exc)) from None
    updated_raw = raw.get("updated_at")
    updated_at = (parse_timestamp(updated_raw, "updated_at", naive_tz) if updated_raw not in (None, "")
                  else hour + timedelta(hours=1))
    return EnvObservation(
        station_id=station_id, parameter=parameter, hour=hour, value=float(value), unit=unit,  # type: ignore[arg-type]
        value_ugm3=float(value_ugm3), updated_at=updated_at,
        station_name=text_field(raw, "station_name", 200, truncate=False), lat=_number(raw, "lat", -90, 90),
        lon=_number(raw, "lon", -180, 180), provider=text_field(raw, "provider", 100, truncate=False),
    )


def validate_station(raw: dict[str, Any]) -> EnvStation:
    """Check one station: ``station_id`` and ``name`` required; ``parameters`` a list or a
    comma-separated text of parameter codes or names."""
    params = raw.get("parameters") or ()
    if isinstance(params, str):
        params = [p for p in params.split(",") if p.strip()]
    try:
        codes = tuple(dict.fromkeys(normalise_parameter(p) for p in params))
    except ValueError as exc:
        raise RecordError("parameters", str(exc)) from None
    return EnvStation(
        station_id=text_field(raw, "station_id", 64, required=True, truncate=False),
        name=text_field(raw, "name", 200, required=True, truncate=False),
        lat=_number(raw, "lat", -90, 90), lon=_number(raw, "lon", -180, 180),
        unit_code=text_field(raw, "unit_code", 16, truncate=False),
        provider=text_field(raw, "provider", 100, truncate=False), parameters=codes,
        simulated=bool(raw.get("simulated", False)),
    )


# --------------------------------------------------------------------------- quality flags


def quality_flags(station: np.ndarray, parameter: np.ndarray, hour: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The quality flag of each observation (object array of :data:`FLAGS` codes).

    The four arrays are aligned and **sorted by (station, parameter, hour)**; ``hour`` is
    datetime64, ``value`` µg/m³. Precedence: negative, impossible, stuck, spike.
    """
    n = len(value)
    out = np.full(n, FLAG_OK, dtype=object)
    if n == 0:
        return out
    v = np.asarray(value, dtype=np.float64)
    h = np.asarray(hour, dtype="datetime64[us]")
    station, parameter = np.asarray(station, dtype=object), np.asarray(parameter, dtype=object)
    series = np.concatenate([[True], (station[1:] != station[:-1]) | (parameter[1:] != parameter[:-1])])
    # per-parameter thresholds, looked up once per run of one parameter (not once per value)
    heads = np.flatnonzero(series)
    run = np.cumsum(series) - 1
    head_params = parameter[heads]
    limit = np.array([MAX_PLAUSIBLE.get(p, np.inf) for p in head_params])[run]
    floor = np.array([STUCK_FLOOR.get(p, -1.0) for p in head_params])[run]
    delta = np.array([SPIKE_DELTA.get(p, np.inf) for p in head_params])[run]
    negative = v < 0
    impossible = v > limit
    plausible = ~negative & ~impossible
    # stuck: runs of equal values in consecutive hours of one series
    step = np.zeros(n, dtype=bool)
    step[1:] = (h[1:] - h[:-1]) == _HOUR
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = step[1:] & (v[1:] == v[:-1]) & ~series[1:]
    run_id = np.cumsum(~same_prev)
    run_len = np.bincount(run_id)[run_id]
    stuck = plausible & (run_len >= STUCK_HOURS) & (v > floor)
    # spike: isolated hour far above its neighbours on both sides (the nearest value within
    # SPIKE_REACH_HOURS; a missing hour next to a spike does not hide it)
    sides = []
    for direction in (-1, 1):
        found = np.full(n, np.nan)
        for k in range(SPIKE_REACH_HOURS, 0, -1):  # nearer offsets overwrite farther ones
            j = np.arange(n) + direction * k
            inside = (j >= 0) & (j < n)
            jj = np.clip(j, 0, n - 1)
            near = np.abs(h[jj] - h) <= SPIKE_REACH_HOURS * _HOUR
            same = inside & (run[jj] == run) & near & plausible[jj]
            found = np.where(same, v[jj], found)
        sides.append(found)
    with np.errstate(invalid="ignore"):
        neighbour = np.fmax(sides[0], sides[1])
        both = ~np.isnan(sides[0]) & ~np.isnan(sides[1])
        spike = plausible & both & (v >= SPIKE_RATIO * neighbour) & (v - neighbour >= delta)
    out[spike & ~stuck] = "spike"
    out[stuck] = "stuck"
    out[impossible] = "impossible"
    out[negative] = "negative"
    return out
