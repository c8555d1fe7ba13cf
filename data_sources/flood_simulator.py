"""Simulated hydrological stations (family ``flood``) for the embedded default. **Simulated**.

The story follows the simulated official warnings (:mod:`data_sources.warnings_simulator`, same
seed): each flood, storm or heavy-rain warning comes with a flood wave at the river stations and
rain at every station, so the wall's warnings, river levels and alerts tell one story.

- **Water level** (m): a base by season (Kim Long, tidal, about 0.4 m with a ±0.1 m semi-diurnal
  swing; Phú Ốc about 0.8 m; 0.3 m higher from September to December), plus a wave per warning:
  a rise over 12 hours after the warning is sent to a peak set by its final severity (Moderate:
  halfway between alarm levels I and II; Severe: between II and III; Extreme: 0.3–1.0 m above
  III), then a recession with a 12-hour time constant. The river the warning names gets the whole
  wave, the other 60 %; storms and heavy rain give both 70 %.
- **Rain** (mm in the hour): during a warning's rise, 3–15 mm an hour (Extreme: twice), enough
  for 100–250 mm in 24 hours; otherwise, in the rainy season a light shower one hour in ten.

Basis: the alarm levels of Decision 05/2020/QĐ-TTg (ioc/domain/data/hue_flood_stations.csv);
October–November floods reaching level III at Kim Long and Phú Ốc most years (press bulletins
of the provincial hydro-meteorological station). Orders of magnitude, not a hydrological model.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from data_sources.simulation import local_date, run_now
from data_sources.warnings_simulator import SEVERITY_UP, day_messages
from ioc.domain import floods as rules
from ioc.sources import Batch, Collector

RISE_H = 12.0
RECESSION_H = 12.0
LIVE_HOURS = 6  # a live run sends the last hours again (the store finds them unchanged)
BASE = {"kim_long": 0.4, "phu_oc": 0.8}
RIVER_OF = {"flood_huong": "kim_long", "flood_bo": "phu_oc"}


def flood_episodes(seed: int, first: date, last: date, tz: ZoneInfo) -> list[tuple[datetime, str, str]]:
    """(sent, event code, final severity) of the warnings started on local days [first, last)."""
    out = []
    day = first
    while day < last:
        messages = day_messages(seed, day, tz)
        alert = next((m for m in messages if m.msg_type == "Alert"), None)
        if alert is not None:
            code = alert.identifier.rsplit(".", 1)[-1]
            severity = alert.infos[0].severity
            if any(m.msg_type == "Update" for m in messages):
                severity = SEVERITY_UP[severity]
            out.append((alert.sent.astimezone(UTC).replace(tzinfo=None), code, severity))
        day += timedelta(days=1)
    return out


def _peak(station: rules.Station, severity: str, rng: np.random.Generator) -> float:
    one, two, three = station.levels  # type: ignore[misc]
    if severity == "Extreme":
        return three + float(rng.uniform(0.3, 1.0))
    if severity == "Severe":
        return two + float(rng.uniform(0.1, 0.9)) * (three - two)
    return one + 0.5 * (two - one)


def observations(seed: int, start: datetime, end: datetime, tz: ZoneInfo) -> list[rules.FloodObservation]:
    """Every station's hourly observations for the hours ending in ``(start, end]`` (naive UTC, on the hour)."""
    first_hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    n = int((end - first_hour).total_seconds() // 3600) + 1
    if n <= 0:
        return []
    hours = np.array([first_hour + timedelta(hours=i) for i in range(n)], dtype="datetime64[us]")
    t_abs = (hours - np.datetime64("2020-01-01T00:00", "us")).astype("timedelta64[s]").astype(float) / 3600.0
    months = np.array([h.astype(datetime).month for h in hours])
    rainy = months >= 9
    episodes = flood_episodes(seed, local_date(first_hour, tz) - timedelta(days=4),
                              local_date(end, tz) + timedelta(days=1), tz)
    out: list[rules.FloodObservation] = []
    utc_days = (hours.astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
    hour_of_day = ((hours - hours.astype("datetime64[D]")).astype("timedelta64[h]").astype(int))
    for index, station in enumerate(rules.stations().values()):
        # light showers in the rainy season, drawn per (station, UTC day): any range gives the same hours
        showers = np.zeros(n)
        for day in np.unique(utc_days):
            draw = np.random.default_rng([seed, 7070, index, int(day)])
            wet, amount = draw.random(24) < 0.1, draw.uniform(0.2, 3.0, 24)
            mask = utc_days == day
            showers[mask] = np.where(wet, amount, 0.0)[hour_of_day[mask]]
        rain = np.where(rainy, showers, 0.0)
        level = None
        if station.kind == "river":
            base = BASE.get(station.station_id, 0.5) + np.where(rainy, 0.3, 0.0)
            if station.station_id == "kim_long":
                base = base + 0.1 * np.sin(2 * np.pi * t_abs / 12.42)
            level = base.copy()
        for sent, code, severity in episodes:
            ep_rng = np.random.default_rng([seed, 7071, int(sent.timestamp()) // 60, index])
            peak = _peak(station, severity, ep_rng) if station.levels is not None else 0.0
            per_hour = ep_rng.uniform(3, 15, int(RISE_H)) * (2.0 if severity == "Extreme" else 1.0)
            since = (hours - np.datetime64(sent, "us")).astype("timedelta64[s]").astype(float) / 3600.0
            rising = (since >= 0) & (since < RISE_H)
            rain = rain + np.where(rising, per_hour[np.clip(since, 0, RISE_H - 1).astype(int)], 0.0)
            if level is not None and station.levels is not None and code != "thunderstorm":
                share = 1.0 if RIVER_OF.get(code) == station.station_id else 0.6 if code in RIVER_OF else 0.7
                height = (peak - BASE.get(station.station_id, 0.5)) * share
                shape = np.where(since < 0, 0.0, np.where(since < RISE_H, (since / RISE_H) ** 2 * (3 - 2 * since / RISE_H),
                                                          np.exp(-(np.maximum(since, RISE_H) - RISE_H) / RECESSION_H)))
                level = level + height * shape
        for i in range(n):
            at = hours[i].astype(datetime)
            out.append(rules.FloodObservation(station.station_id, at,
                                              None if level is None else round(float(level[i]), 2),
                                              round(float(rain[i]), 1), at))
    return out


class FloodSimulator(Collector):
    """Simulated stations (see the module docstring). Options: ``seed`` (default 2023), ``now``."""

    type = "simulator"
    family = "flood"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = run_now(self.spec).replace(minute=0, second=0, microsecond=0)
        start = now - timedelta(days=days)
        while start < now:  # a month per batch: one short write transaction each
            stop = min(start + timedelta(days=30), now)
            records = observations(seed, start, stop, self.ctx.tz)
            yield Batch(records=records, fetched=len(records))
            start = stop

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec).replace(minute=0, second=0, microsecond=0)
        seed = int(self.spec.option("seed", 2023))
        since = now - timedelta(hours=LIVE_HOURS)
        if watermark:
            since = min(since, datetime.fromisoformat(watermark) - timedelta(hours=1))
        since = max(since, now - timedelta(days=3))
        records = observations(seed, since, now, self.ctx.tz)
        yield Batch(records=records, fetched=len(records), watermark=now.isoformat())
