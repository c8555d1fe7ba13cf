"""Simulated fishing vessels (family ``vessels``) for the embedded default. **Simulated**.

Basis (orders of magnitude, not published counts): Huế's offshore fleet of vessels 15 m and
longer, which must carry VMS, is taken as :data:`FLEET` vessels from the ports of
``ioc/domain/data/hue_fishing_ports.csv``. Each vessel lives in 16-day cycles: 1–4 days in port,
a trip of 3–12 days (out to a fishing ground 30–150 km offshore in about 12 hours, working there,
and back), then port again.
At sea it reports every hour, in port every 6 hours. One trip in fifteen loses the signal for
2–12 hours (some past the 6-hour rule), one in two hundred for 11 days (past the 10-day rule),
and one in twenty-five works beyond the watch zone for a while.

Each cycle is drawn from the seed, the vessel's number and the cycle's, so any range of hours
gives the same reports (a live run repeats a backfill's). History is kept to
:data:`HISTORY_DAYS` days on a first start: tracks, not years.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from data_sources.simulation import run_now
from ioc.domain import vessels as rules
from ioc.sources import Batch, Collector
from ioc.store.vessels import POSITION_COLUMNS, VesselRecords

FLEET = 180
EPOCH = datetime(2024, 1, 1)
HISTORY_DAYS = 14
LIVE_HOURS = 3
CYCLE_H = 16 * 24  # a vessel's schedule repeats in cycles: port, trip, port
NAMES = ("Phước Lộc", "Thuận An", "Hải Dương", "Tân Mỹ", "Phú Thuận", "Vinh Hiền", "Lộc Bình", "Quảng Công")


@lru_cache(maxsize=4)
def fleet(seed: int) -> tuple[rules.Vessel, ...]:
    rng = np.random.default_rng([seed, 9090])
    ports = rules.ports()[:3]  # the fishing ports (Chân Mây is a sea port)
    return tuple(rules.Vessel(f"TTH-9{i:04d}-TS", f"{NAMES[i % len(NAMES)]} {i + 1:03d}",
                              round(float(rng.uniform(15, 28)), 1), ports[int(rng.integers(len(ports)))].port_id)
                 for i in range(FLEET))


def _cycle(seed: int, index: int, cycle: int) -> pd.DataFrame:
    """Vessel ``index``'s reports in its ``cycle``-th :data:`CYCLE_H`-hour cycle (hours since
    :data:`EPOCH`): some days in port, then a trip, then port again until the cycle ends."""
    rng = np.random.default_rng([seed, 9091, index, cycle])
    port = {p.port_id: p for p in rules.ports()}[fleet(seed)[index].port]
    t0 = cycle * CYCLE_H + index % CYCLE_H  # each vessel's cycles are staggered
    stay = int(rng.integers(24, 96))
    trip = int(rng.integers(72, CYCLE_H - stay - 12))
    far = rng.random() < 0.04
    dist_deg = rng.uniform(0.3, 1.4) + (1.6 if far else 0.0)
    bearing = rng.uniform(np.radians(20), np.radians(120))
    ground = (port.lat + dist_deg * np.cos(bearing) * 0.6, port.lon + dist_deg * np.sin(bearing))
    gap_start = gap_len = -1
    u = rng.random()
    if u < 1 / 200:
        gap_start, gap_len = int(rng.integers(12, 48)), 11 * 24
    elif u < 1 / 15:
        gap_start, gap_len = int(rng.integers(6, trip - 24)), int(rng.integers(2, 13))
    in_port = np.array([*range(0, stay, 6), *range(stay + trip, CYCLE_H, 6)])
    k = np.arange(trip)
    k = k[~((k >= gap_start) & (k < gap_start + gap_len))]
    f = np.minimum(1.0, np.minimum(k, trip - k) / 12.0)
    working = f >= 1
    noise = rng.normal(0, 0.02, (2, len(k))) * working
    hours = np.concatenate([t0 + in_port, t0 + stay + k])
    lats = np.concatenate([port.lat + rng.normal(0, 0.001, len(in_port)),
                           port.lat + (ground[0] - port.lat) * f + noise[0]])
    lons = np.concatenate([port.lon + rng.normal(0, 0.001, len(in_port)),
                           port.lon + (ground[1] - port.lon) * f + noise[1]])
    speeds = np.concatenate([np.zeros(len(in_port)), np.where(working, rng.uniform(0, 3, len(k)),
                                                              rng.uniform(6, 9, len(k)))])
    return pd.DataFrame({"h": hours, "lat": lats, "lon": lons, "speed_kn": speeds})


def positions(seed: int, start: datetime, end: datetime) -> pd.DataFrame:
    """Every simulated report in ``(start, end]`` (naive UTC), as a frame of POSITION_COLUMNS."""
    lo = int((start - EPOCH).total_seconds() // 3600)
    hi = int((end - EPOCH).total_seconds() // 3600)
    frames = []
    for i, vessel in enumerate(fleet(seed)):
        offset = i % CYCLE_H
        for cycle in range(max(0, (lo - offset) // CYCLE_H - 1), (hi - offset) // CYCLE_H + 1):
            part = _cycle(seed, i, cycle)
            part = part[(part["h"] > lo) & (part["h"] <= hi)]
            if len(part):
                frames.append(part.assign(vessel_id=vessel.vessel_id))
    if not frames:
        return pd.DataFrame(columns=list(POSITION_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    at = (np.datetime64(EPOCH, "us") + frame["h"].to_numpy().astype("timedelta64[h]")).astype("datetime64[us]")
    return pd.DataFrame({"vessel_id": frame["vessel_id"], "at": at, "lat": frame["lat"].round(5),
                         "lon": frame["lon"].round(5), "speed_kn": frame["speed_kn"].round(1), "course_deg": np.nan})


class VesselsSimulator(Collector):
    """Simulated fleet (see the module docstring). Options: ``seed`` (default 2023), ``now``."""

    type = "simulator"
    history_days = HISTORY_DAYS
    family = "vessels"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = run_now(self.spec)
        start = now - timedelta(days=min(days, HISTORY_DAYS))
        registry = list(fleet(seed))
        while start < now:
            stop = min(start + timedelta(days=2), now)
            frame = positions(seed, start, stop)
            yield Batch(records=VesselRecords(registry, frame), fetched=len(frame))
            registry, start = [], stop

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec)
        seed = int(self.spec.option("seed", 2023))
        since = now - timedelta(hours=LIVE_HOURS)
        if watermark:
            since = max(min(since, datetime.fromisoformat(watermark) - timedelta(hours=1)), now - timedelta(days=2))
        frame = positions(seed, since, now)
        yield Batch(records=VesselRecords(list(fleet(seed)), frame), fetched=len(frame), watermark=now.isoformat())
