"""Feedback KPIs: one definition each, used by the pages, the CLI and the exports alike.

For a period of local dates [from, to) and optional filters, over reports *received* in the
period (domain.md §3, issue §5):

- ``received``: number of reports;
- ``processed``: those now closed (resolved or rejected);
- ``processed_rate`` = processed ÷ received;
- ``on_time_rate`` = processed with resolved_at ≤ due_at ÷ processed;
- ``overdue``: still open with due_at in the past;
- ``median_resolution_hours`` / ``p90_resolution_hours``: resolved_at − received_at over
  processed reports, in hours, from the rollup histograms (relative error ≤ 4.9 %);
- ``satisfaction_rate`` = (satisfied + acceptable) ÷ rated; ``rated_share`` = rated ÷ processed.

Counts come from the rollups (month buckets for whole months, day buckets at the edges), so a
year is a few thousand rollup rows, never the raw reports. ``overdue`` depends on *now*, so it
is counted from the raw table through the (status, due_at) index, which holds only the small
open set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, text

from ioc.domain.feedback import CHANNELS, CLOSED_STATUSES, OPEN_STATUSES
from ioc.domain.histogram import hist_percentile
from ioc.i18n import category_label, channel_label
from ioc.kpi.filters import PERIOD, UNIT, Filter, Selection
from ioc.kpi.periods import Period
from ioc.kpi.rollups import bucket_clause, check_freq, day_rows, ratio, resample_days, summed
from ioc.privacy import mask_frame
from ioc.store import schema_feedback
from ioc.store.frames import result_frame, rows_frame

R = schema_feedback.feedback_rollup
RA = schema_feedback.feedback_rollup_all
T = schema_feedback.feedback_reports
OPEN_REPORTS = text(schema_feedback.OPEN_REPORT_SQL)  # literal, so the partial index of open reports applies

KPI_NAMES = (
    "received",
    "processed",
    "processed_rate",
    "on_time_rate",
    "overdue",
    "median_resolution_hours",
    "p90_resolution_hours",
    "satisfaction_rate",
    "rated_share",
)
BREAKDOWNS = {"commune": "commune_code", "district": "district_code", "category": "category_code", "channel": "channel",
              "handling_unit": "handling_unit"}


CATEGORY = Filter("category", "category", column="category_code", option_label=category_label)
FEEDBACK_CHANNEL = Filter("channel", "channel", column="channel", choices=CHANNELS, option_label=channel_label)
FEEDBACK_FILTERS = (PERIOD, UNIT, CATEGORY, FEEDBACK_CHANNEL)
# FeedbackFilter(period, unit=…, category=…, channel=…): a Selection over FEEDBACK_FILTERS
FeedbackFilter = partial(Selection.of, FEEDBACK_FILTERS)


@dataclass(frozen=True)
class FeedbackKpis:
    received: int
    processed: int
    processed_rate: float | None
    on_time_rate: float | None
    overdue: int
    median_resolution_hours: float | None
    p90_resolution_hours: float | None
    satisfaction_rate: float | None
    rated_share: float | None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The KPI set keyed by the names of issue §5 (what ``kpi feedback --json`` prints)."""
        out = asdict(self)
        out.pop("details")
        return out


def _dim_clauses(flt: Selection, table=R) -> list:  # noqa: ANN001
    return [table.c[col] == value for col, value in flt.dims().items()]


def rollup_for(flt: Selection):  # noqa: ANN201
    """The rollup that answers ``flt``: by unit when it names one, else the city-wide one (a few
    thousand rows a year, however many communes)."""
    return R if flt.unit is not None else RA


def _hist_columns(table=R):  # noqa: ANN001, ANN202
    return [func.coalesce(func.sum(table.c[h]), 0) for h in schema_feedback.FEEDBACK_HIST_COLUMNS]


def _count_columns(table=R):  # noqa: ANN001, ANN202
    return [summed(table.c[c]) for c in schema_feedback.FEEDBACK_COUNTS] + [
        func.coalesce(func.sum(table.c.res_hours_sum), 0.0).label("res_hours_sum")
    ]


def overdue_count(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> int:
    """Open reports received in the period whose deadline (UTC) is before ``now`` (naive UTC)."""
    lo, hi = flt.period.utc_bounds(tz)
    stmt = select(func.count()).select_from(T).where(
        OPEN_REPORTS, T.c.due_at < now, T.c.received_at >= lo, T.c.received_at < hi,
        *_dim_clauses(flt, T),
    )
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _kpis_from_sums(sums: dict[str, float], hist: np.ndarray, overdue: int) -> FeedbackKpis:
    received, processed = int(sums["received"]), int(sums["processed"])
    rated = int(sums["rated"])
    return FeedbackKpis(
        received=received,
        processed=processed,
        processed_rate=ratio(processed, received),
        on_time_rate=ratio(sums["on_time"], processed),
        overdue=overdue,
        median_resolution_hours=hist_percentile(hist, 0.5),
        p90_resolution_hours=hist_percentile(hist, 0.9),
        satisfaction_rate=ratio(sums["satisfied"] + sums["acceptable"], rated),
        rated_share=ratio(rated, processed),
        details={k: (int(v) if k != "res_hours_sum" else float(v)) for k, v in sums.items()},
    )


def feedback_kpis(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> FeedbackKpis:
    """The feedback KPI set for ``flt`` from the rollups (``now`` is naive UTC)."""
    table = rollup_for(flt)
    stmt = select(*_count_columns(table), *_hist_columns(table)).where(bucket_clause(table, flt.period),
                                                                       *_dim_clauses(flt, table))
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    n = len(schema_feedback.FEEDBACK_COUNTS) + 1
    sums = dict(zip([*schema_feedback.FEEDBACK_COUNTS, "res_hours_sum"], row[:n], strict=True))
    hist = np.asarray(row[n:], dtype="int64")
    return _kpis_from_sums(sums, hist, overdue_count(engine, flt, tz, now))


def _raw_frame(engine: Engine, flt: Selection, tz: ZoneInfo) -> pd.DataFrame:
    lo, hi = flt.period.utc_bounds(tz)
    stmt = select(T.c.status, T.c.rating, T.c.received_at, T.c.due_at, T.c.resolved_at).where(
        T.c.received_at >= lo, T.c.received_at < hi, *_dim_clauses(flt, T)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, ["status", "rating", "received_at", "due_at", "resolved_at"])
    for col in ("received_at", "due_at", "resolved_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def feedback_kpis_raw(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> FeedbackKpis:
    """The same KPI set by scanning the raw reports, with exact (nearest-rank) percentiles.

    Used to check the rollups and by ``bench/kpi.py`` for the speed comparison.
    """
    f = _raw_frame(engine, flt, tz)
    closed = f["status"].isin(CLOSED_STATUSES)
    processed = int(closed.sum())
    rated_mask = closed & f["rating"].notna()
    hours = ((f.loc[closed, "resolved_at"] - f.loc[closed, "received_at"]).dt.total_seconds() / 3600).to_numpy()
    hours = np.sort(hours)

    def pct(q: float) -> float | None:
        if not len(hours):
            return None
        return float(hours[max(1, int(np.ceil(q * len(hours)))) - 1])

    satisfied = int((rated_mask & f["rating"].isin(["satisfied", "acceptable"])).sum())
    overdue = int((f["status"].isin(OPEN_STATUSES) & (f["due_at"] < now)).sum())
    return FeedbackKpis(
        received=len(f),
        processed=processed,
        processed_rate=ratio(processed, len(f)),
        on_time_rate=ratio(int((closed & (f["resolved_at"] <= f["due_at"])).sum()), processed),
        overdue=overdue,
        median_resolution_hours=pct(0.5),
        p90_resolution_hours=pct(0.9),
        satisfaction_rate=ratio(satisfied, int(rated_mask.sum())),
        rated_share=ratio(int(rated_mask.sum()), processed),
    )


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    processed = frame["processed"].replace(0, np.nan)
    frame["processed_rate"] = frame["processed"] / frame["received"].replace(0, np.nan)
    frame["on_time_rate"] = frame["on_time"] / processed
    frame["satisfaction_rate"] = (frame["satisfied"] + frame["acceptable"]) / frame["rated"].replace(0, np.nan)
    frame["rated_share"] = frame["rated"] / processed
    frame["mean_resolution_hours"] = frame["res_hours_sum"] / processed
    return frame


def feedback_breakdown(engine: Engine, flt: Selection, by: str) -> pd.DataFrame:
    """KPI counts and rates per current commune / district of the time / category / channel / handling unit, largest first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown {by!r}: expected one of {', '.join(BREAKDOWNS)}")
    col = R.c[BREAKDOWNS[by]]
    stmt = (
        select(col.label("key"), *_count_columns())
        .where(bucket_clause(R, flt.period), *_dim_clauses(flt))
        .group_by(col)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, ["key", *schema_feedback.FEEDBACK_COUNTS, "res_hours_sum"])
    frame = frame[frame["received"] > 0]
    return _with_rates(frame).sort_values("received", ascending=False, kind="stable").reset_index(drop=True)


def feedback_series(engine: Engine, flt: Selection, freq: str = "week") -> pd.DataFrame:
    """Counts and rates per day, week (starting Monday) or month of local received date."""
    check_freq(freq)
    table = rollup_for(flt)
    stmt = (
        select(table.c.bucket, *_count_columns(table))
        .where(*day_rows(table, flt.period), *_dim_clauses(flt, table))
        .group_by(table.c.bucket)
        .order_by(table.c.bucket)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, ["bucket", *schema_feedback.FEEDBACK_COUNTS, "res_hours_sum"])
    return _with_rates(resample_days(frame, freq))


def _report_select(*columns):  # noqa: ANN001, ANN202
    return select(*columns).select_from(T)


def overdue_queue(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime, limit: int = 500, *,
                  reveal_text: bool = False) -> pd.DataFrame:
    """Open reports past their deadline, most overdue first (times naive UTC); phones, e-mails
    and plates in descriptions and addresses masked unless ``reveal_text``."""
    lo, hi = flt.period.utc_bounds(tz)
    stmt = (
        _report_select(T.c.source, T.c.external_id, T.c.category_code, T.c.category_name, T.c.description,
                       T.c.address, T.c.unit_code, T.c.commune_code, T.c.handling_unit, T.c.status, T.c.channel,
                       T.c.received_at, T.c.due_at)
        .where(OPEN_REPORTS, T.c.due_at < now, T.c.received_at >= lo, T.c.received_at < hi,
               *_dim_clauses(flt, T))
        .order_by(T.c.due_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt))
    if frame.empty:
        return pd.DataFrame(columns=["source", "external_id", "category_code", "category_name", "description",
                                     "address", "unit_code", "handling_unit", "status", "channel", "received_at",
                                     "due_at", "overdue_hours"])
    frame["overdue_hours"] = (now - pd.to_datetime(frame["due_at"])).dt.total_seconds() / 3600
    return mask_frame(frame, reveal_text=reveal_text)


def map_reports(engine: Engine, flt: Selection, tz: ZoneInfo, limit: int,
                located: bool = True, *, reveal_text: bool = False) -> tuple[pd.DataFrame, int]:
    """The most recent reports in the period (at most ``limit``; only those with coordinates
    when ``located``) and how many there are; phones, e-mails and plates in descriptions and
    addresses masked unless ``reveal_text``."""
    lo, hi = flt.period.utc_bounds(tz)
    where = [T.c.received_at >= lo, T.c.received_at < hi, *_dim_clauses(flt, T)]
    if located:
        where.append(T.c.lat.is_not(None))
    stmt = (
        _report_select(T.c.external_id, T.c.category_code, T.c.category_name, T.c.description, T.c.address,
                       T.c.status, T.c.lat, T.c.lon, T.c.received_at, T.c.due_at, T.c.handling_unit,
                       T.c.unit_code, T.c.commune_code)
        .where(*where)
        .order_by(T.c.received_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        frame = result_frame(conn.execute(stmt))
        total = int(conn.execute(select(func.count()).select_from(T).where(*where)).scalar_one())
    return mask_frame(frame, reveal_text=reveal_text), total


def latest_received(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(T.c.received_at))).scalar()


def first_received(engine: Engine) -> date | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.min(R.c.bucket)).where(R.c.grain == "d")).scalar()
    return value


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo,
                now: datetime) -> dict[str, Any]:
    """The family's KPI set (CLI ``kpi feedback``) as one JSON-able dict keyed by KPI name."""
    flt = FeedbackFilter(period, unit=filters.get("unit"), category=filters.get("category"),
                         channel=filters.get("channel"))
    return feedback_kpis(engine, flt, tz, now).as_dict()
