"""Time of a PDF brief for a whole year (``python -m ioc report --format pdf``), on a big store.

    python bench/brief.py [--feedback 1000000] [--dossiers 3000000] [--url sqlite:///var/bench-brief.sqlite]
                          [--keep]   # reuse the store of an earlier run: brief timings only
                          [--repeat 3] [--lang vi]

Fills the store once with a simulated year of citizen feedback (2025) and three years of TTHC
dossiers (2023–2025, as they stood on 20 Jan 2026; not timed), then prints, median and best of
``--repeat``: reading the brief for 2025 (every family's KPI set, the two trend series, the
TTHC unit ranking against 2024), printing it to PDF (Chromium started, page laid out, charts
drawn, printed), and the two together: the command's work. Target: ≤ 10 s in all with 1M+
feedback reports and 3M dossiers. The other families are empty in this store (their KPIs are
read, and cost what an empty table costs).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from common import NOW, ROOT, TZ, empty_store, simulated_year, timed
from sqlalchemy import func, select

from data_sources.admin_simulator import history
from ioc.brief import PdfPrinter, collect_brief
from ioc.config import load_settings
from ioc.kpi.periods import Period
from ioc.store import admin as admin_store
from ioc.store import feedback as feedback_store
from ioc.store.db import init_db, load_calendar, make_engine
from ioc.store.schema_admin import admin_dossiers
from ioc.store.schema_feedback import feedback_reports

YEAR = Period(date(2025, 1, 1), date(2026, 1, 1))


def fill(engine, feedback: int, dossiers: int) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        calendar = load_calendar(conn)
    start = time.perf_counter()
    frame = simulated_year(feedback)
    for i in range(0, len(frame), 100_000):
        feedback_store.ingest(engine, "bench", frame.iloc[i:i + 100_000], TZ, calendar)
    print(f"stored {len(frame):,} feedback reports in {time.perf_counter() - start:.0f} s", flush=True)
    start, stored = time.perf_counter(), 0
    for part in history(11, date(2023, 1, 1), date(2026, 1, 1), NOW, calendar, str(TZ), yearly=dossiers / 3):
        stored += admin_store.ingest(engine, "bench", part, TZ, calendar).inserted
    print(f"stored {stored:,} dossiers in {time.perf_counter() - start:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--dossiers", type=int, default=3_000_000)
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-brief.sqlite'}")
    parser.add_argument("--keep", action="store_true", help="reuse the store: brief timings only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", choices=("vi", "en"), default="vi")
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        (ROOT / "var").mkdir(exist_ok=True)
    engine = make_engine(args.url)
    if not args.keep:
        empty_store(engine)
    init_db(engine)
    if not args.keep:
        fill(engine, args.feedback, args.dossiers)
    with engine.connect() as conn:
        reports = conn.execute(select(func.count()).select_from(feedback_reports)).scalar_one()
        dossiers = conn.execute(select(func.count()).select_from(admin_dossiers)).scalar_one()
    print(f"store: {reports:,} feedback reports, {dossiers:,} dossiers "
          f"({engine.url.render_as_string(hide_password=True)})")
    settings = load_settings({"IOC_DATABASE_URL": args.url})

    def read():  # noqa: ANN202
        return collect_brief(engine, settings, YEAR, {}, simulated=True, now=NOW)

    brief = read()

    def print_pdf() -> bytes:
        with PdfPrinter() as printer:
            return printer.print_brief(brief, args.lang)

    def whole() -> bytes:
        with PdfPrinter() as printer:
            return printer.print_brief(read(), args.lang)

    size = len(print_pdf())
    read_median, read_best = timed(read, args.repeat)
    pdf_median, pdf_best = timed(print_pdf, args.repeat)
    all_median, all_best = timed(whole, args.repeat)
    print(f"read the brief for 2025 (every family's KPIs, series, ranking)  median {read_median:6.2f} s "
          f"(best {read_best:5.2f})")
    print(f"print it to PDF (Chromium, layout, charts, {size / 1024:.0f} KiB)        median {pdf_median:6.2f} s "
          f"(best {pdf_best:5.2f})")
    print(f"PDF brief for a year, in all (target ≤ 10 s)                      median {all_median:6.2f} s "
          f"(best {all_best:5.2f})")
    # the machine may be shared: the load average says how much of the wall time was ours
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
