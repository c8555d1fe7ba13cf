"""Latency of the feedback KPI set over one year: from rollups vs a raw scan.

    python bench/kpi.py --events 1000000 [--url sqlite:///var/bench-kpi-1000000.sqlite] [--repeat 20]

Seeds the store once (kept between runs), then prints the median and best latency of
``feedback_kpis`` (rollups) and ``feedback_kpis_raw`` (raw scan) for calendar year 2025, and
their ratio. Targets: ≤ 50 ms from rollups at 1,000,000 reports, ≥ 20× faster than raw.
"""

from __future__ import annotations

import argparse

from common import NOW, ROOT, TZ, YEAR_END, YEAR_START, empty_store, simulated_year, timed
from sqlalchemy import func, select

from ioc.kpi.feedback import FeedbackFilter, feedback_kpis, feedback_kpis_raw
from ioc.kpi.periods import Period
from ioc.store import schema_feedback
from ioc.store.db import init_db, load_calendar, make_engine
from ioc.store.feedback import ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{ROOT / 'var' / f'bench-kpi-{args.events}.sqlite'}"
    engine = make_engine(url)
    init_db(engine)
    t = schema_feedback.feedback_reports
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(t)).scalar_one()
        calendar = load_calendar(conn)
    if have < args.events * 0.9:
        empty_store(engine)
        init_db(engine)
        frame = simulated_year(args.events)
        for i in range(0, len(frame), 100_000):
            ingest(engine, "bench", frame.iloc[i : i + 100_000], TZ, calendar)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(t)).scalar_one()
        rollup_rows = conn.execute(select(func.count()).select_from(schema_feedback.feedback_rollup)).scalar_one()
    print(f"store: {have:,} reports, {rollup_rows:,} rollup rows ({url})")
    whole_year = FeedbackFilter(Period(YEAR_START, YEAR_END))
    odd_period = FeedbackFilter(Period(YEAR_START.replace(day=15), YEAR_END.replace(month=1, day=1)))
    commune = FeedbackFilter(Period(YEAR_START, YEAR_END), unit="19753")  # Phường Phú Xuân, history mapped
    district = FeedbackFilter(Period(YEAR_START, YEAR_END), unit="474")  # Jan–Jun 2025: Quận Thuận Hóa
    for label, flt in (("year 2025", whole_year), ("2025-01-15 → 2026-01-01", odd_period),
                       ("year 2025, commune 19753", commune), ("year 2025, district 474", district)):
        fast, fast_best = timed(lambda flt=flt: feedback_kpis(engine, flt, TZ, NOW), args.repeat)
        raw, raw_best = timed(lambda flt=flt: feedback_kpis_raw(engine, flt, TZ, NOW), max(1, min(3, args.repeat)))
        a, b = feedback_kpis(engine, flt, TZ, NOW), feedback_kpis_raw(engine, flt, TZ, NOW)
        same = all(getattr(a, k) == getattr(b, k) for k in ("received", "processed", "overdue", "on_time_rate",
                                                              "satisfaction_rate", "rated_share"))
        print(f"{label:<26} rollups: median {fast * 1000:7.1f} ms (best {fast_best * 1000:6.1f})   "
              f"raw scan: median {raw * 1000:8.1f} ms   ratio {raw / fast:6.0f}×   counts equal: {same}")


if __name__ == "__main__":
    main()
