"""Simulated air-quality stations in Thừa Thiên Huế — SIMULATED DATA ONLY.

Four stations: Huế city centre (traffic), the Phú Bài industrial zone (SO₂, gases reported
in ppb/ppm as many analysers do), the coast at Thuận An (sea salt, ozone in ppb) and A Lưới
in the mountains (biomass burning in March–April). Hourly means follow a seasonal cycle
(dry north-east monsoon months dirtier than the rainy season), a weekly cycle (less traffic
at weekends, less industry on Sundays), diurnal profiles (traffic peaks and night-time
inversions for PM and NO₂, a midday photochemical peak for O₃), day-to-day weather
variability, and regional pollution episodes of one to four days that push PM2.5 into Kém,
Xấu and worse. Sensors misbehave as real ones do: single missing hours, outages of several
hours (no_data alerts), isolated spikes, occasional negative gas readings and a sensor stuck
on one value for hours. Labelled as simulated on screen (provider "Mô phỏng").

Everything is planned per (seed, station, local day) with its own generator, so the history
written on first start and the live feed that follows agree hour for hour.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from data_sources.simulation import local_date, run_now
from ioc.domain.air_quality import EnvRecords, EnvStation
from ioc.domain.aqi import MOLAR_MASS, MOLAR_VOLUME
from ioc.sources import Batch, Collector

PROVIDER = "Mô phỏng (simulator)"
LIVE_LOOKBACK_HOURS = 3
FIRST_RUN_HOURS = 48
_DIURNAL_PM = np.array([0.95, 0.9, 0.86, 0.85, 0.9, 1.0, 1.15, 1.32, 1.28, 1.08, 0.92, 0.82, 0.76, 0.72, 0.72,
                        0.78, 0.9, 1.1, 1.3, 1.36, 1.26, 1.15, 1.06, 1.0])
_DIURNAL_NO2 = np.array([0.7, 0.6, 0.55, 0.55, 0.65, 0.9, 1.25, 1.55, 1.45, 1.15, 0.95, 0.88, 0.85, 0.85, 0.9,
                         1.0, 1.2, 1.5, 1.6, 1.45, 1.2, 1.0, 0.88, 0.78])


@dataclass(frozen=True)
class SimStation:
    """A simulated station: where it is, its profile, and the unit each parameter is sent in."""

    station_id: str
    name: str
    lat: float
    lon: float
    unit_code: str
    profile: str  # urban | industrial | coastal | mountain
    pm25_base: float  # µg/m³, a typical day's mean
    units: tuple[tuple[str, str], ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p for p, _u in self.units)

    @property
    def salt(self) -> int:
        return zlib.crc32(self.station_id.encode())


STATIONS: tuple[SimStation, ...] = (
    SimStation("sim-hue-centre", "Huế – Trung tâm (Lê Lợi)", 16.4637, 107.5909, "474", "urban", 27.0,
               (("pm25", "µg/m³"), ("pm10", "µg/m³"), ("o3", "µg/m³"), ("no2", "µg/m³"), ("co", "mg/m³"),
                ("so2", "µg/m³"))),
    SimStation("sim-phu-bai", "KCN Phú Bài (Hương Thủy)", 16.4020, 107.7030, "479", "industrial", 32.0,
               (("pm25", "µg/m³"), ("pm10", "µg/m³"), ("so2", "ppb"), ("no2", "ppb"), ("co", "ppm"))),
    SimStation("sim-thuan-an", "Thuận An (ven biển)", 16.5560, 107.6400, "478", "coastal", 17.0,
               (("pm25", "µg/m³"), ("pm10", "µg/m³"), ("o3", "ppb"))),
    SimStation("sim-a-luoi", "A Lưới (miền núi)", 16.2830, 107.1800, "481", "mountain", 19.0,
               (("pm25", "µg/m³"), ("pm10", "µg/m³"))),
)
PM10_RATIO = {"urban": 1.6, "industrial": 1.8, "coastal": 1.9, "mountain": 1.4}


def to_received(ugm3: np.ndarray, parameter: str, unit: str) -> np.ndarray:
    """µg/m³ → the unit the station sends, rounded as an analyser would."""
    if unit == "µg/m³":
        return np.round(ugm3, 1)
    if unit == "mg/m³":
        return np.round(ugm3 / 1000.0, 3)
    ppb = ugm3 * MOLAR_VOLUME / MOLAR_MASS[parameter]
    return np.round(ppb, 1) if unit == "ppb" else np.round(ppb / 1000.0, 3)


def from_received(value: np.ndarray, parameter: str, unit: str) -> np.ndarray:
    """The inverse of :func:`to_received` (without rounding): what the store computes."""
    if unit == "µg/m³":
        return value
    if unit == "mg/m³":
        return value * 1000.0
    ppb = value * (1000.0 if unit == "ppm" else 1.0)
    return ppb * MOLAR_MASS[parameter] / MOLAR_VOLUME


def _season(day: date) -> float:
    doy = day.timetuple().tm_yday
    factor = 1.0 + 0.35 * np.cos(2 * np.pi * (doy - 40) / 365.25)
    if day.month in (10, 11):
        factor *= 0.85  # the rainy season washes the air
    return float(factor)


def _weekly(day: date, profile: str) -> float:
    wd = day.weekday()
    if profile == "industrial":
        return {5: 0.9, 6: 0.72}.get(wd, 1.0)
    if profile == "urban":
        return {5: 0.92, 6: 0.84}.get(wd, 1.0)
    return 1.0


@lru_cache(maxsize=8192)
def _day_factor(seed: int, salt: int, ordinal: int) -> float:
    """Weather of the day (dispersion): lognormal around 1, independent per station and day."""
    return float(np.random.default_rng([seed, salt, ordinal, 1]).lognormal(0.0, 0.28))


@lru_cache(maxsize=4096)
def _episode_start(seed: int, ordinal: int, salt: int, p: float) -> tuple[float, float, float] | None:
    """An episode starting on this day: (start hour, length in hours, peak multiplier), or None."""
    rng = np.random.default_rng([seed, ordinal, salt, 7])
    if rng.random() >= p:
        return None
    return float(rng.uniform(0, 24)), float(rng.integers(1, 5) * 24), float(rng.uniform(2.2, 3.8))


def _episodes(seed: int, day: date, station: SimStation) -> np.ndarray:
    """Multiplier of PM for each local hour of ``day`` (1 outside episodes)."""
    hours = np.arange(24, dtype=np.float64)
    mult = np.ones(24)
    sources = [(0, 0.03)]  # regional episodes: the same days for every station
    if station.profile == "mountain" and day.month in (3, 4):
        sources.append((station.salt, 0.10))  # burning of fields and forest edges upwind
    for salt, p in sources:
        for back in range(0, 5):
            start = _episode_start(seed, day.toordinal() - back, salt, p)
            if start is None:
                continue
            s, length, peak = start
            t = back * 24 + hours - s
            inside = (t >= 0) & (t < length)
            bump = 1 + (peak - 1) * np.sin(np.pi * np.clip(t, 0, length) / length)
            mult = np.where(inside, np.maximum(mult, bump), mult)
    return mult


def _weather(seed: int, salt: int, day: date) -> np.ndarray:
    """The day factor, interpolated hour by hour between the noons of consecutive days."""
    o = day.toordinal()
    prev, cur, nxt = (_day_factor(seed, salt, o + k) for k in (-1, 0, 1))
    h = np.arange(24, dtype=np.float64)
    return np.where(h < 12, prev + (cur - prev) * (h + 12) / 24, cur + (nxt - cur) * (h - 12) / 24)


_COLUMNS = ("station_id", "parameter", "hour", "value", "unit", "value_ugm3", "updated_at")


@lru_cache(maxsize=2048)
def _plan_day(seed: int, station: SimStation, day: date, tz_name: str) -> dict[str, np.ndarray]:
    """The station's 24 hourly means of local ``day`` as sent (faults included), UTC hours."""
    rng = np.random.default_rng([seed, station.salt, day.toordinal()])
    season, weekly = _season(day), _weekly(day, station.profile)
    weather, episode = _weather(seed, station.salt, day), _episodes(seed, day, station)
    noise = rng.lognormal(0.0, 0.12, size=(8, 24))
    pm25 = station.pm25_base * season * weekly * _DIURNAL_PM * weather * episode * noise[0]
    doy = day.timetuple().tm_yday
    sun = np.clip(np.sin(np.pi * (np.arange(24) - 6.5) / 11.5), 0, None)
    o3_base = 38.0 if station.profile == "coastal" else 28.0
    o3 = (o3_base + 75.0 * sun * (1 + 0.3 * np.cos(2 * np.pi * (doy - 150) / 365.25))) * noise[1] / weather ** 0.3
    no2_base = {"urban": 24.0, "industrial": 30.0}.get(station.profile, 8.0)
    no2 = no2_base * _DIURNAL_NO2 * weekly * season ** 0.5 * weather ** 0.5 * noise[2]
    so2_base = {"industrial": 24.0, "urban": 7.0}.get(station.profile, 3.0)
    plume = np.where(rng.random(24) < (0.03 if station.profile == "industrial" else 0.0), rng.uniform(2, 4, 24), 1.0)
    values = {
        "pm25": pm25,
        "pm10": pm25 * PM10_RATIO[station.profile] * noise[3] ** 0.6,
        "o3": o3,
        "no2": no2,
        "co": (450.0 + 28.0 * no2) * noise[4] ** 0.7,
        "so2": so2_base * weekly * plume * noise[5],
    }
    local = pd.date_range(pd.Timestamp(day), periods=24, freq="h")
    hours = local.tz_localize(tz_name).tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[us]")
    latency = rng.integers(180, 540, size=24).astype("timedelta64[s]")  # delivered 3–9 min after the hour
    outage = np.zeros(24, dtype=bool)
    if rng.random() < 0.015:
        start = int(rng.integers(0, 22))
        outage[start:start + int(rng.integers(3, 10))] = True
    station_gap = outage | (rng.random(24) < 0.008)
    stuck_param = station.parameters[int(rng.integers(0, len(station.parameters)))] if rng.random() < 0.02 else None
    stuck_from = int(rng.integers(0, 18))
    cols: dict[str, list[np.ndarray]] = {c: [] for c in _COLUMNS}
    for parameter, unit in station.units:
        conc = values[parameter].copy()
        spikes = rng.random(24) < 0.0015
        conc = np.where(spikes, conc * rng.uniform(6, 10, 24) + {"co": 40_000.0}.get(parameter, 200.0), conc)
        sent = to_received(conc, parameter, unit)
        if parameter in ("so2", "no2", "co", "o3"):
            negative = rng.random(24) < 0.003
            sent = np.where(negative, -np.round(rng.uniform(1, 5, 24), 1), sent)
        if parameter == stuck_param:
            sent[stuck_from:stuck_from + int(rng.integers(8, 21))] = sent[stuck_from]
        keep = ~(station_gap | (rng.random(24) < 0.006))
        n = int(keep.sum())
        cols["station_id"].append(np.full(n, station.station_id, dtype=object))
        cols["parameter"].append(np.full(n, parameter, dtype=object))
        cols["hour"].append(hours[keep])
        cols["value"].append(sent[keep])
        cols["unit"].append(np.full(n, unit, dtype=object))
        cols["value_ugm3"].append(from_received(sent[keep], parameter, unit))
        cols["updated_at"].append(hours[keep] + np.timedelta64(1, "h") + latency[keep])
    return {c: np.concatenate(v) for c, v in cols.items()}


def history(seed: int, start: date, end: date, now: datetime, tz_name: str,
            stations: tuple[SimStation, ...] = STATIONS) -> pd.DataFrame:
    """Hourly means of local days [start, end) delivered by ``now`` (naive UTC)."""
    parts = []
    for station in stations:
        day = start
        while day < end:
            parts.append(_plan_day(seed, station, day, tz_name))
            day += timedelta(days=1)
    if not parts:
        return pd.DataFrame(columns=list(_COLUMNS))
    frame = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in _COLUMNS})
    return frame[frame["updated_at"] <= np.datetime64(now, "us")].reset_index(drop=True)


def station_records(stations: tuple[SimStation, ...] = STATIONS) -> list[EnvStation]:
    return [EnvStation(s.station_id, s.name, s.lat, s.lon, s.unit_code, PROVIDER, s.parameters, simulated=True)
            for s in stations]


class EnvironmentSimulator(Collector):
    """Live simulated stations. Options: ``seed`` (default 2023), ``now`` (ISO, for tests).

    Each run sends the hours delivered since the last run, plus the last 3 hours again (the
    store finds them unchanged, and the alerts are refreshed against the clock)."""

    type = "simulator"
    family = "environment"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = run_now(self.spec)
        today = local_date(now, self.ctx.tz)
        frame = history(seed, today - timedelta(days=days), today + timedelta(days=1), now, str(self.ctx.tz))
        yield Batch(records=EnvRecords(station_records(), frame), fetched=len(frame))

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec)
        seed = int(self.spec.option("seed", 2023))
        state = json.loads(watermark) if watermark else {}
        since = (datetime.fromisoformat(state["until"]) - timedelta(hours=LIVE_LOOKBACK_HOURS) if "until" in state
                 else now - timedelta(hours=FIRST_RUN_HOURS))
        since = max(since, now - timedelta(days=7))
        tz = self.ctx.tz
        frame = history(seed, local_date(since, tz) - timedelta(days=1), local_date(now, tz) + timedelta(days=1), now,
                        str(tz))
        frame = frame[frame["hour"] >= np.datetime64(since - timedelta(hours=1), "us")].reset_index(drop=True)
        yield Batch(records=EnvRecords(station_records(), frame), fetched=len(frame),
                    watermark=json.dumps({"until": now.isoformat()}))
