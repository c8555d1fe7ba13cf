"""Shared set-up for the benchmarks: a store seeded with simulated reports over one year."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from data_sources.simulator import history  # noqa: E402
from ioc.domain.calendar import WorkCalendar  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR_START, YEAR_END = date(2025, 1, 1), date(2026, 1, 1)
NOW = datetime(2026, 1, 20)


def simulated_year(reports: int, seed: int = 7) -> pd.DataFrame:
    """About ``reports`` simulated reports received in 2025, as they stand on 2026-01-20."""
    return history(seed, YEAR_START, YEAR_END, NOW, WorkCalendar.vietnam(), str(TZ), yearly=reports)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best wall time of ``fn`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def empty_store(engine) -> None:  # noqa: ANN001
    """Drop every table of the store, the schema revision included, so that ``init_db`` makes a
    new store at the head revision."""
    from sqlalchemy import text

    from ioc.store import schema

    schema.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
