"""Traffic violations at scale: bulk ingest with rollups, and the KPI set latency for a year.

    python bench/traffic.py [--violations 2000000] [--batch 100000] [--url sqlite:///var/bench-traffic.sqlite]
                            [--repeat 20]

On a fresh database: simulated violations detected from 2024-12-01 to 2025-12-31 (so both
decrees are used), first those detected by 2025-12-01 as they stood then (recent ones not yet
verified or paid), then December's, then the later versions, as of 2026-03-01, of those that
moved (verified → notice sent → paid: updates that move rollups), then the same records
again. Prints rows/s for each (target: ≥ 50,000 violations/s for the first load, into
SQLite), then the median and best latency of the traffic KPI set for calendar year 2025 from
the rollups (target ≤ 50 ms), for a commune, a district of the time, an odd period and a type × vehicle filter, and
whether the rollups agree with a raw scan.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from common import ROOT, TZ, empty_store, timed
from sqlalchemy import func, select

from data_sources import traffic_simulator
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter, traffic_kpis, traffic_kpis_raw
from ioc.kpi.traffic_views import camera_summary, hour_weekday, traffic_series
from ioc.store import schema_traffic
from ioc.store.db import init_db, make_engine
from ioc.store.traffic import ingest

START, END = date(2024, 12, 1), date(2026, 1, 1)
FIRST_NOW, LATER_NOW = datetime(2025, 11, 30, 17), datetime(2026, 3, 1)  # 2025-12-01 00:00 in Huế


def simulated(violations: int, now: datetime) -> pd.DataFrame:
    """About ``violations`` simulated violations detected in [START, END), as of ``now`` (UTC)."""
    days = [START + timedelta(days=i) for i in range((END - START).days)]
    weekday_factor = sum(0.85 if d.weekday() >= 5 else 1.0 for d in days) / len(days)  # the simulator's
    yearly = violations * 365 / len(days) / weekday_factor
    traffic_simulator._plan_day.cache_clear()
    return traffic_simulator.history(7, START, END, now, str(TZ), yearly=yearly)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--violations", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-traffic.sqlite'}")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    t0 = time.perf_counter()
    first = simulated(args.violations, FIRST_NOW)
    later = simulated(args.violations, LATER_NOW)
    known = later["external_id"].isin(set(first["external_id"])).to_numpy()
    fresh = later[~known]
    moved = later[known & (later["updated_at"].to_numpy() > np.datetime64(FIRST_NOW))]
    print(f"generated {len(first) + len(fresh):,} simulated violations and {len(moved):,} later versions in "
          f"{time.perf_counter() - t0:.1f} s (not timed below)")
    engine = make_engine(args.url)
    empty_store(engine)
    init_db(engine)

    def load(data: pd.DataFrame, label: str) -> None:
        start = time.perf_counter()
        totals = [0, 0, 0]
        for i in range(0, len(data), args.batch):
            r = ingest(engine, "bench", data.iloc[i : i + args.batch], TZ)
            totals = [totals[0] + r.inserted, totals[1] + r.updated, totals[2] + r.unchanged]
        elapsed = time.perf_counter() - start
        print(f"{label:<42} {len(data):>10,} violations in {elapsed:6.2f} s = {len(data) / elapsed:>9,.0f} rows/s "
              f"(inserted {totals[0]:,}, updated {totals[1]:,}, unchanged {totals[2]:,})")

    load(first, "first load (insert + rollups)")
    load(fresh, "December (insert + rollups)")
    load(moved.sort_values("updated_at"), "late updates (verified → paid, move rollups)")
    load(first.iloc[: len(first) // 5], "same records again (unchanged)")
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(schema_traffic.traffic_violations)).scalar_one()
        main_rows = conn.execute(select(func.count()).select_from(schema_traffic.traffic_rollup)).scalar_one()
        cam_rows = conn.execute(select(func.count()).select_from(schema_traffic.traffic_camera_rollup)).scalar_one()
    print(f"store: {rows:,} violations, {main_rows:,} rollup rows, {cam_rows:,} camera rollup rows ({args.url})")

    year = Period(date(2025, 1, 1), date(2026, 1, 1))
    for label, flt in (("KPI set, year 2025", TrafficFilter(year)),
                       ("KPI set, year 2025, commune 19753", TrafficFilter(year, unit="19753")),
                       ("KPI set, year 2025, district 474", TrafficFilter(year, unit="474")),
                       ("KPI set, 2025-01-15 → 2025-12-20", TrafficFilter(Period(date(2025, 1, 15),
                                                                                 date(2025, 12, 20)))),
                       ("KPI set, year 2025, red light, cars", TrafficFilter(year, violation_type="red_light",
                                                                            vehicle_class="car"))):
        fast, best = timed(lambda flt=flt: traffic_kpis(engine, flt, TZ), args.repeat)
        raw, _ = timed(lambda flt=flt: traffic_kpis_raw(engine, flt, TZ), 1)
        a, b = traffic_kpis(engine, flt, TZ).as_dict(), traffic_kpis_raw(engine, flt, TZ).as_dict()
        same = all(a[k] == b[k] for k in a if k != "median_hours_to_notice")
        err = (abs(a["median_hours_to_notice"] / b["median_hours_to_notice"] - 1)
               if a["median_hours_to_notice"] and b["median_hours_to_notice"] else 0.0)
        print(f"{label:<38} rollups: median {fast * 1000:6.1f} ms (best {best * 1000:5.1f})   raw scan "
              f"{raw * 1000:8.0f} ms   other KPIs equal: {same}   median error {err:.2%} "
              f"({a['violations']:,} violations)")

    whole = TrafficFilter(year)
    for label, fn in (("page: hour × weekday heatmap, year", lambda: hour_weekday(engine, whole, TZ)),
                      ("page: camera map counts, year", lambda: camera_summary(engine, whole)),
                      ("page: weekly fines series, year", lambda: traffic_series(engine, whole, "week"))):
        fast, best = timed(fn, max(3, args.repeat // 4))
        print(f"{label:<38} median {fast * 1000:6.1f} ms (best {best * 1000:5.1f})")


if __name__ == "__main__":
    main()
