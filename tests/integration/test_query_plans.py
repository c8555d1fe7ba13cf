"""Query plans that the KPI latency depends on (SQLite, no statistics, as on a fresh install).

A regression here turns a 1 ms overdue count into a scan of a year of reports.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from ioc.kpi.feedback import OPEN_REPORTS, T
from ioc.kpi.periods import Period
from ioc.store.db import init_db, make_engine


def _plan(engine, stmt) -> str:  # noqa: ANN001
    compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def test_overdue_count_reads_only_the_partial_index_of_open_reports(tmp_path, tz) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    init_db(engine)
    lo, hi = Period(date(2025, 1, 1), date(2026, 1, 1)).utc_bounds(tz)
    stmt = select(func.count()).select_from(T).where(
        OPEN_REPORTS, T.c.due_at < datetime(2026, 1, 20), T.c.received_at >= lo, T.c.received_at < hi,
        T.c.commune_code == "19753",  # a unit filter: current commune (or district_code)
    )
    plan = _plan(engine, stmt)
    assert "COVERING INDEX ix_feedback_open" in plan, plan
