"""A spec-declared system at scale: bulk ingest with rollups, and its KPI set for a year.

    python bench/systems.py [--events 1000000] [--batch 100000] [--repeat 20]
                            [--url sqlite:///var/bench-systems.sqlite | --postgres [--db ioc_bench_systems]]

The system is tests/data/systems/lights.toml (street lighting: two dimensions, a value, a
handling time, positions; KPIs count, share, sum, median, rate, change, latest), fed by its own
simulator (SIMULATED DATA) at the pace that gives about ``--events`` events from 2024-12-01 to
2025-12-31, as they stood on 2026-01-20. On a fresh database (``--postgres``: the database
``--db`` on 127.0.0.1:5432, user postgres, trust auth, dropped and recreated) it prints:

- rows/s of the first load, frames straight into ``ioc.store.systems.ingest_events`` in chunks
  of ``--batch`` (target ≥ 50,000 rows/s), and of the same records again (unchanged);
- the median and best latency, warm, of the system's KPI set for calendar year 2025 from the
  rollups (target ≤ 50 ms), for the city, a commune, a dimension and an odd period; and
  whether the year's count and value sum agree with a raw scan of the events.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime

import pandas as pd
from common import ROOT, TZ, empty_store, timed
from sqlalchemy import func, select

from data_sources.simulation import local_days
from data_sources.system_simulator import plan_day, state_at
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.kpi.systems import filters_for, kpis
from ioc.store import schema_systems as ss
from ioc.store.db import init_db, make_engine
from ioc.store.systems import ingest_events
from ioc.systems.spec import load_spec

SPEC = ROOT / "tests" / "data" / "systems" / "lights.toml"
START, END = date(2024, 12, 1), date(2026, 1, 1)
NOW = datetime(2026, 1, 20)
YEAR = Period(date(2025, 1, 1), date(2026, 1, 1))


def simulated(spec, events: int) -> pd.DataFrame:  # noqa: ANN001 - a SystemSpec
    """About ``events`` simulated events of ``spec`` in [START, END), as they stand at NOW."""
    days = list(local_days(START, END))
    per_day = events / len(days)
    frames = [state_at(plan_day(spec, 7, day, TZ, "BENCH", per_day=per_day), NOW) for day in days]
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


def postgres_url(db: str) -> str:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-systems.sqlite'}")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (database --db, recreated)")
    parser.add_argument("--db", default="ioc_bench_systems")
    args = parser.parse_args()

    spec = load_spec(SPEC)
    t0 = time.perf_counter()
    frame = simulated(spec, args.events)
    print(f"generated {len(frame):,} simulated events of {spec.code} in {time.perf_counter() - t0:.1f} s "
          "(not timed below)")
    if args.postgres:
        url = postgres_url(args.db)
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = args.url
    engine = make_engine(url)
    empty_store(engine)
    init_db(engine)

    def load(data: pd.DataFrame, label: str) -> None:
        start = time.perf_counter()
        totals = [0, 0, 0]
        for i in range(0, len(data), args.batch):
            r = ingest_events(engine, spec.code, "bench", data.iloc[i:i + args.batch], TZ)
            totals = [totals[0] + r.inserted, totals[1] + r.updated, totals[2] + r.unchanged]
        elapsed = time.perf_counter() - start
        print(f"{label:<34} {len(data):>10,} rows in {elapsed:6.2f} s = {len(data) / elapsed:>9,.0f} rows/s "
              f"(inserted {totals[0]:,}, updated {totals[1]:,}, unchanged {totals[2]:,})")

    load(frame, "first load (insert + rollups)")
    load(frame.iloc[: len(frame) // 5], "same records again (unchanged)")

    e = ss.system_events
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(e)).scalar_one()
        rollups = conn.execute(select(func.count()).select_from(ss.system_rollup)).scalar_one()
        city = conn.execute(select(func.count()).select_from(ss.system_rollup_all)).scalar_one()
        lo, hi = YEAR.utc_bounds(TZ)
        raw_n, raw_sum = conn.execute(select(func.count(), func.sum(e.c.value))
                                      .where(e.c.system == spec.code, e.c.occurred_at >= lo, e.c.occurred_at < hi)
                                      ).one()
    print(f"store: {stored:,} events, {rollups:,} rollup rows, {city:,} city-wide rollup rows "
          f"({engine.url.render_as_string(hide_password=True)})")

    filters = filters_for(spec)
    cases = (("year 2025", Selection.of(filters, YEAR)),
             ("year 2025, commune 19753", Selection.of(filters, YEAR, unit="19753")),
             ("year 2025, fault dark", Selection.of(filters, YEAR, fault="dark")),
             ("2025-01-15 → 2025-12-20", Selection.of(filters, Period(date(2025, 1, 15), date(2025, 12, 20)))))
    for label, sel in cases:
        kpis(engine, spec, sel, TZ, NOW)  # warm
        median, best = timed(lambda sel=sel: kpis(engine, spec, sel, TZ, NOW), args.repeat)
        print(f"KPI set, {label:<26} median {median * 1000:6.1f} ms (best {best * 1000:5.1f})")
    year = kpis(engine, spec, cases[0][1], TZ, NOW)
    same = year["reports"] == raw_n and abs(year["lamps"] - float(raw_sum)) < 1e-6 * max(1.0, float(raw_sum))
    print(f"year 2025: {year}")
    print(f"rollups agree with a raw scan (count {raw_n:,}, value sum {float(raw_sum):,.0f}): {same}")


if __name__ == "__main__":
    main()
