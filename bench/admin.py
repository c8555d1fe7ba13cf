"""Administrative services (TTHC): bulk ingest with rollups, and KPI latency, at province scale.

    python bench/admin.py [--dossiers 3000000] [--url sqlite:///var/bench-admin.sqlite] [--repeat 20]
                          [--keep]   # reuse the store of an earlier run: KPI timings only

Simulates three years of dossiers (2023–2025, as they stood on 20 Jan 2026; generation is not
timed) and prints:
- rows/s for the first load, with both rollups and the derived deadlines maintained
  (target ≥ 50,000 rows/s), then for later versions of 10 % of them (updates that move rollups);
- the latency of the admin KPI set (``admin_kpis``: headline KPIs, overdue, the 766 score) for
  2025 by level, median and best of ``--repeat`` (target ≤ 50 ms), and of the full
  ``kpi admin --json`` report with its breakdowns;
- the latency of the unit ranking for 151 units with the previous period (target ≤ 100 ms).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime

import pandas as pd
from common import ROOT, TZ, empty_store, timed
from sqlalchemy import func, select

from data_sources.admin_simulator import history
from ioc.kpi.admin import AdminFilter, admin_kpis
from ioc.kpi.admin_views import kpi_report, unit_ranking
from ioc.kpi.periods import Period
from ioc.store.admin import ingest
from ioc.store.db import init_db, load_calendar, make_engine
from ioc.store.schema_admin import admin_dossiers, admin_procedure_rollup, admin_rollup

START, END, AS_OF = date(2023, 1, 1), date(2026, 1, 1), datetime(2026, 1, 20)
YEAR = Period(date(2025, 1, 1), date(2026, 1, 1))


def load(engine, calendar, dossiers: int) -> list[pd.DataFrame]:  # noqa: ANN001
    generated, stored, elapsed, cpu = 0.0, 0, 0.0, 0.0
    per_year: dict[int, list[float]] = {}
    sample: list[pd.DataFrame] = []
    t0 = time.perf_counter()
    for frame in history(11, START, END, AS_OF, calendar, str(TZ), yearly=dossiers / 3):
        generated += time.perf_counter() - t0
        start, start_cpu = time.perf_counter(), time.process_time()
        result = ingest(engine, "bench", frame, TZ, calendar)
        took = time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        elapsed += took
        stored += result.inserted
        year = per_year.setdefault(frame["received_at"].iloc[-1].year, [0, 0.0])
        year[0] += result.inserted
        year[1] += took
        sample.append(frame.sample(frac=0.1, random_state=len(sample)))
        t0 = time.perf_counter()
    print(f"generated {stored:,} simulated dossiers in {generated:.1f} s (not timed)")
    print("  by year received (the store grows): " + ", ".join(
        f"{y}: {n / s:,.0f} rows/s" for y, (n, s) in sorted(per_year.items())))
    print(f"first load (insert + derive + rollups) {stored:>10,} dossiers in {elapsed:7.2f} s = "
          f"{stored / elapsed:>9,.0f} rows/s")
    # The machine is shared: CPU time and load average say how much of the wall time was ours.
    print(f"  of which process CPU {cpu:.1f} s ({stored / cpu:,.0f} rows per CPU second); "
          f"load average {os.getloadavg()[0]:.2f}")
    return sample


def update(engine, calendar, sample: list[pd.DataFrame]) -> None:  # noqa: ANN001
    later = pd.concat(sample, ignore_index=True)
    # digitised afterwards, fees paid online: every rollup row they touch moves (old out, new in)
    later = later.assign(digitised=True, paid_online=later["fee_required"],
                         updated_at=later["updated_at"] + pd.Timedelta(days=400))
    start, n = time.perf_counter(), 0
    for i in range(0, len(later), 100_000):
        n += ingest(engine, "bench", later.iloc[i:i + 100_000], TZ, calendar).updated
    elapsed = time.perf_counter() - start
    print(f"later versions (10 %, move rollups)    {n:>10,} dossiers in {elapsed:7.2f} s = {n / elapsed:>9,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=3_000_000)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-admin.sqlite'}")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the store: KPI timings only")
    args = parser.parse_args()
    engine = make_engine(args.url)
    if not args.keep:
        empty_store(engine)
    init_db(engine)
    with engine.connect() as conn:
        calendar = load_calendar(conn)
    if not args.keep:
        update(engine, calendar, load(engine, calendar, args.dossiers))
    with engine.connect() as conn:
        rows = [conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (admin_dossiers, admin_rollup, admin_procedure_rollup)]
    print(f"store: {rows[0]:,} dossiers, {rows[1]:,} unit rollup rows, {rows[2]:,} procedure rollup rows "
          f"({engine.url.render_as_string(hide_password=True)})")
    for level in (None, "province", "district", "commune"):
        flt = AdminFilter(YEAR, level=level)
        median, best = timed(lambda flt=flt: admin_kpis(engine, flt, TZ, AS_OF), args.repeat)
        k = admin_kpis(engine, flt, TZ, AS_OF)
        print(f"KPI set 2025, level {level or 'all':<9} median {median * 1000:6.1f} ms (best {best * 1000:5.1f})   "
              f"received {k.received:,}, on time {k.on_time_rate:.4f}, overdue {k.overdue:,}, "
              f"766 {k.score.total_points:.1f}/{k.score.measured_max_points:.0f}")
    median, best = timed(lambda: kpi_report(engine, YEAR, {"level": "district"}, TZ, AS_OF), max(3, args.repeat // 4))
    print(f"kpi admin --json report (+ 4 breakdowns), district  median {median * 1000:6.1f} ms (best {best * 1000:5.1f})")
    median, best = timed(lambda: unit_ranking(engine, AdminFilter(YEAR), TZ, AS_OF), args.repeat)
    ranked = unit_ranking(engine, AdminFilter(YEAR), TZ, AS_OF)
    print(f"unit ranking 2025 vs 2024, {len(ranked)} units    median {median * 1000:6.1f} ms (best {best * 1000:5.1f})")


if __name__ == "__main__":
    main()
