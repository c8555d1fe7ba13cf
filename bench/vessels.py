"""Fishing vessels at scale: 2,000 vessels reporting every 5 minutes for 30 days (about 17M
VMS reports), on SQLite or PostgreSQL.

    python bench/vessels.py [--vessels 2000] [--days 30] [--every-min 5]
                            [--url sqlite:///var/bench-vessels.sqlite] [--repeat 5]

1. Ingest: the reports, a day per batch (one transaction each, as a collector would hand them
   over), through the family's ingest (:func:`ioc.store.vessels.ingest`: new reports only, each
   vessel's latest report moved forward). Target: ≥ 50,000 rows/s.
2. The latest-positions map: every vessel's newest report with its registry entry
   (:func:`ioc.store.vessels.latest_positions`). Target: ≤ 2 s.
3. The silence and watch-zone rules over the whole fleet (:func:`ioc.store.vessels.findings`).
   Target: ≤ 1 s.

The store is emptied first. Prints the figures, the rows and the size on disk.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from common import ROOT, empty_store, timed

from ioc.domain.vessels import Vessel
from ioc.store import vessels as store
from ioc.store.db import init_db, make_engine
from ioc.store.vessels import VesselRecords

START = datetime(2026, 10, 1)


def fleet(n: int) -> list[Vessel]:
    return [Vessel(f"BENCH-{i:05d}", f"Tàu {i:05d}", 15.0 + i % 12, ("thuan_an", "tu_hien", "phu_hai")[i % 3])
            for i in range(n)]


def day_frame(vessels: int, day: int, every_min: int, rng: np.random.Generator) -> pd.DataFrame:
    """One day of reports of every vessel: a slow random walk offshore; one vessel in 50 silent
    for the day's last 7 hours (so the silence rule has work)."""
    per_day = 24 * 60 // every_min
    ids = np.repeat(np.array([f"BENCH-{i:05d}" for i in range(vessels)]), per_day)
    steps = np.tile(np.arange(per_day), vessels)
    at = np.datetime64(START + timedelta(days=day), "us") + (steps * every_min).astype("timedelta64[m]")
    base_lat = np.repeat(16.6 + rng.uniform(0, 0.8, vessels), per_day)
    base_lon = np.repeat(107.8 + rng.uniform(0, 1.5, vessels), per_day)
    walk = np.cumsum(rng.normal(0, 0.002, (2, vessels * per_day)), axis=1)
    frame = pd.DataFrame({"vessel_id": ids, "at": at.astype("datetime64[us]"), "lat": (base_lat + walk[0]).round(5),
                          "lon": (base_lon + walk[1]).round(5), "speed_kn": rng.uniform(0, 9, len(ids)).round(1),
                          "course_deg": rng.uniform(0, 360, len(ids)).round(0)})
    silent = np.repeat(np.arange(vessels) % 50 == 0, per_day) & (steps >= per_day - 7 * 60 // every_min)
    return frame[~silent]


def size_on_disk(url: str, engine) -> str:  # noqa: ANN001
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"{path.stat().st_size / 1e6:,.0f} MB"
    with engine.connect() as conn:
        from sqlalchemy import text

        return conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vessels", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--every-min", type=int, default=5)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-vessels.sqlite'}")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(args.url)
    empty_store(engine)
    init_db(engine)
    rng = np.random.default_rng(2026)
    registry = fleet(args.vessels)
    rows = 0
    spent = 0.0
    for day in range(args.days):
        frame = day_frame(args.vessels, day, args.every_min, rng)
        began = time.perf_counter()
        result = store.ingest(engine, "bench", VesselRecords(registry if day == 0 else [], frame))
        spent += time.perf_counter() - began
        rows += result.inserted
        if day % 5 == 4 or day == args.days - 1:
            print(f"  day {day + 1}: {rows:,} reports, {rows / spent:,.0f} rows/s so far", file=sys.stderr)
    print(f"vessels: {args.vessels:,} × {args.days} days every {args.every_min} min on "
          f"{engine.dialect.name}: {rows:,} reports ({size_on_disk(args.url, engine)})")
    print(f"  ingest: {spent:,.1f} s, {rows / spent:,.0f} rows/s (target ≥ 50,000)")
    now = START + timedelta(days=args.days)
    median_s, best_s = timed(lambda: store.latest_positions(engine), args.repeat)
    print(f"  latest-positions map ({args.vessels:,} rows): median {median_s * 1000:,.0f} ms, "
          f"best {best_s * 1000:,.0f} ms (target ≤ 2,000 ms)")

    def rules() -> int:
        with engine.connect() as conn:
            return len(store.findings(conn, now))

    found = rules()
    median_s, best_s = timed(rules, args.repeat)
    print(f"  silence and zone rules ({found:,} findings): median {median_s * 1000:,.0f} ms, "
          f"best {best_s * 1000:,.0f} ms (target ≤ 1,000 ms)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
