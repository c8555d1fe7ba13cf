"""Bulk ingest speed of feedback reports with rollups maintained.

    python bench/ingest.py [--reports 1000000] [--batch 50000] [--url sqlite:///var/bench-ingest.sqlite]

Prints reports/s for a first load (all inserts) and for a re-load of later versions (updates
that move rollups), on a fresh database. Target: ≥ 50,000 reports/s into SQLite.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from common import ROOT, TZ, empty_store, simulated_year

from ioc.store.db import init_db, load_calendar, make_engine
from ioc.store.feedback import ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-ingest.sqlite'}")
    args = parser.parse_args()

    t0 = time.perf_counter()
    frame = simulated_year(args.reports)
    print(f"generated {len(frame):,} simulated reports in {time.perf_counter() - t0:.1f} s (not timed below)")
    engine = make_engine(args.url)
    empty_store(engine)
    init_db(engine)
    with engine.connect() as conn:
        calendar = load_calendar(conn)

    def load(data, label: str) -> None:  # noqa: ANN001
        start = time.perf_counter()
        totals = [0, 0, 0]
        for i in range(0, len(data), args.batch):
            r = ingest(engine, "bench", data.iloc[i : i + args.batch], TZ, calendar)
            totals = [totals[0] + r.inserted, totals[1] + r.updated, totals[2] + r.unchanged]
        elapsed = time.perf_counter() - start
        print(f"{label:<34} {len(data):>10,} reports in {elapsed:6.2f} s = {len(data) / elapsed:>9,.0f} reports/s "
              f"(inserted {totals[0]:,}, updated {totals[1]:,}, unchanged {totals[2]:,})")

    load(frame, "first load (insert + rollups)")
    later = frame.sample(frac=0.2, random_state=1).sort_values("received_at")
    later = later.assign(status="resolved", resolved_at=later["received_at"] + pd.Timedelta(hours=30),
                         rating="satisfied", updated_at=later["updated_at"] + pd.Timedelta(days=400))
    load(later, "late updates (20 %, move rollups)")
    load(frame.iloc[: len(frame) // 5], "same records again (unchanged)")
    print(f"database: {engine.url.render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
