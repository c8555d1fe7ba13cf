"""Reading the families' rollups: the rows that cover a period, sums, ratios and day series
resampled to weeks or months. A rollup has ``grain`` ('d' | 'm') and ``bucket`` (a local date;
the first of the month for 'm') columns, see :func:`ioc.store.table_builders.rollup_table`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_

from ioc.kpi.periods import Period

FREQS = ("day", "week", "month")


def ratio(num: float, den: float) -> float | None:
    """``num / den``; None without a denominator."""
    return None if not den else num / den


def bucket_clause(table: Any, period: Period) -> Any:
    """Month rows for the whole months of ``period``, day rows for its edges."""
    months, edges = period.split_months()
    parts = []
    if months:
        parts.append(and_(table.c.grain == "m", table.c.bucket >= months[0], table.c.bucket < months[1]))
    for start, end in edges:
        parts.append(and_(table.c.grain == "d", table.c.bucket >= start, table.c.bucket < end))
    return or_(*parts)


def summed(column: Any, label: str | None = None) -> Any:
    """SUM(column), 0 when no row matches, labelled ``label`` or the column's name."""
    return func.coalesce(func.sum(column), 0).label(label or column.name)


def check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise ValueError(f"freq {freq!r}: expected day, week or month")


def resample_days(frame: pd.DataFrame, freq: str, keys: Sequence[str] = ("bucket",),
                  measures: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows per local day (``bucket``, a date) as datetimes, summed per week (from Monday) or
    month for ``freq`` 'week' or 'month' over ``keys`` (the bucket first); ``measures``: the
    columns to sum (default: all others)."""
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    if freq != "day" and not frame.empty:
        if freq == "week":
            frame["bucket"] = frame["bucket"] - pd.to_timedelta(frame["bucket"].dt.day_of_week, unit="D")
        else:
            frame["bucket"] = frame["bucket"].dt.to_period("M").dt.start_time
        grouped = frame.groupby(list(keys), as_index=False)
        frame = grouped.sum() if measures is None else grouped[list(measures)].sum()
    return frame


def day_rows(table: Any, period: Period) -> tuple[Any, Any, Any]:
    """The WHERE terms of ``table``'s day rows in ``period`` (for a series by day)."""
    return table.c.grain == "d", table.c.bucket >= period.start, table.c.bucket < period.end
