"""Feedback reports: upsert by (source, external_id) with incremental rollup maintenance.

Rules (tested in tests/unit/test_feedback_store.py):
- the same record again changes nothing (``unchanged``);
- a version with a later ``updated_at`` replaces the stored one (``updated``);
- an older or equally old version never overwrites what is stored.
Each change subtracts the stored version's contribution from the rollups and adds the new
one, so a report closed months after it was received moves from open to processed in the
bucket of the day it was *received*.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import Connection

from ioc.domain.calendar import WorkCalendar
from ioc.domain.feedback import CLOSED_STATUSES, DEFAULT_DUE_WORKING_DAYS, FAMILY, FeedbackRecord
from ioc.domain.histogram import hist_bin
from ioc.domain.local_time import local_naive
from ioc.store import bulk
from ioc.store import schema_feedback as sf
from ioc.store.db import bump_version, load_calendar, utcnow
from ioc.store.ingest import (
    IngestResult,
    apply_rollup_deltas,
    normalised,
    read_times,
    stored_chunks,
    stored_versions,
)
from ioc.store.places import place_in_store

REPORT_COLUMNS = (
    "external_id",
    "category_code",
    "category_name",
    "description",
    "address",
    "unit_code",
    "district_code",
    "commune_code",
    "lat",
    "lon",
    "channel",
    "status",
    "handling_unit",
    "received_at",
    "due_at",
    "resolved_at",
    "rating",
    "updated_at",
)
TIME_COLUMNS = ("received_at", "due_at", "resolved_at", "updated_at")
ROLLUP_KEYS = ("grain", "bucket", *sf.FEEDBACK_DIMS)
ALL_KEYS = ("grain", "bucket", *sf.FEEDBACK_ALL_DIMS)
ROLLUP_MEASURES = (*sf.FEEDBACK_COUNTS, "res_hours_sum", *sf.FEEDBACK_HIST_COLUMNS)


def records_frame(records: Iterable[FeedbackRecord]) -> pd.DataFrame:
    """A batch of validated records as the DataFrame :func:`ingest` takes."""
    frame = pd.DataFrame.from_records([r.as_row() for r in records], columns=list(REPORT_COLUMNS))
    return normalise_frame(frame)


def normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = normalised(frame, TIME_COLUMNS, ("lat", "lon"),
                       ("category_code", "category_name", "description", "address", "unit_code", "district_code",
                        "commune_code", "channel", "status", "handling_unit", "external_id"))
    frame["rating"] = frame["rating"].astype(object).where(frame["rating"].notna(), None)
    return frame


def fill_due(frame: pd.DataFrame, calendar: WorkCalendar, tz: ZoneInfo) -> pd.DataFrame:
    """Reports without a deadline get received_at + 7 working days (local calendar)."""
    missing = frame["due_at"].isna()
    if missing.any():
        local = local_naive(frame.loc[missing, "received_at"], tz)
        due_local = calendar.add_working_days_array(local.to_numpy(), DEFAULT_DUE_WORKING_DAYS)
        due_utc = (
            pd.Series(due_local, index=local.index)
            .dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
            .dt.tz_convert("UTC")
            .dt.tz_localize(None)
            .astype("datetime64[us]")
        )
        frame.loc[missing, "due_at"] = due_utc
    return frame


def contributions(frame: pd.DataFrame, tz: ZoneInfo, sign: int) -> pd.DataFrame:
    """Each report's contribution to the day and month rollups, multiplied by ``sign``."""
    if frame.empty:
        return pd.DataFrame(columns=[*ROLLUP_KEYS, *ROLLUP_MEASURES])
    day = local_naive(frame["received_at"], tz).dt.floor("D").dt.date
    status = frame["status"].to_numpy(dtype=object)
    closed = np.isin(status, CLOSED_STATUSES)
    rating = frame["rating"].to_numpy(dtype=object)
    res_hours = ((frame["resolved_at"] - frame["received_at"]).dt.total_seconds() / 3600.0).to_numpy()
    on_time = closed & (frame["resolved_at"] <= frame["due_at"]).to_numpy()
    base = pd.DataFrame(
        {"bucket": day.to_numpy()}
        | {dim: frame[dim].to_numpy() for dim in sf.FEEDBACK_DIMS}
        | {
            "received": np.ones(len(frame), dtype="int64"),
            "processed": closed.astype("int64"),
            "resolved": (status == "resolved").astype("int64"),
            "rejected": (status == "rejected").astype("int64"),
            "on_time": on_time.astype("int64"),
            "rated": (closed & (rating != None)).astype("int64"),  # noqa: E711 - object array
            "satisfied": (closed & (rating == "satisfied")).astype("int64"),
            "acceptable": (closed & (rating == "acceptable")).astype("int64"),
            "dissatisfied": (closed & (rating == "dissatisfied")).astype("int64"),
            "res_hours_sum": np.where(closed, np.nan_to_num(res_hours), 0.0),
        }
    )
    keys = ["bucket", *sf.FEEDBACK_DIMS]
    grouped = base.groupby(keys, sort=False)
    codes = grouped.ngroup().to_numpy()
    counts = grouped[[*sf.FEEDBACK_COUNTS, "res_hours_sum"]].sum()
    nbins = len(sf.FEEDBACK_HIST_COLUMNS)
    bins = hist_bin(np.nan_to_num(res_hours))[closed]
    hist = np.bincount(codes[closed] * nbins + bins, minlength=len(counts) * nbins).reshape(len(counts), nbins)
    daily = pd.concat(
        [counts.reset_index(), pd.DataFrame(hist, columns=list(sf.FEEDBACK_HIST_COLUMNS))], axis=1
    )
    monthly = (
        daily.assign(bucket=[d.replace(day=1) for d in daily["bucket"]])
        .groupby(keys, sort=False)
        .sum()
        .reset_index()
    )
    out = pd.concat([daily.assign(grain="d"), monthly.assign(grain="m")], ignore_index=True)
    out = out[[*ROLLUP_KEYS, *ROLLUP_MEASURES]]
    if sign != 1:
        measures = list(ROLLUP_MEASURES)
        out = pd.concat([out[list(ROLLUP_KEYS)], out[measures] * sign], axis=1)
    return out


def _fetch_existing(conn: Connection, source: str, ids: list[str]) -> pd.DataFrame:
    found = stored_versions(conn, "feedback_reports", ["id", *REPORT_COLUMNS], source, ids, TIME_COLUMNS)
    return found if found.empty else normalise_frame(found)


def ingest(
    engine: Engine,
    source: str,
    frame: pd.DataFrame,
    tz: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> IngestResult:
    """Upsert a batch of reports from ``source``, maintaining the rollups, in one transaction."""
    if frame.empty:
        return IngestResult()
    frame = normalise_frame(frame)
    frame = frame.sort_values("updated_at", kind="stable").drop_duplicates("external_id", keep="last")
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:feedback")
        if calendar is None:
            calendar = load_calendar(conn)
        frame = place_in_store(conn, fill_due(frame, calendar, tz), "received_at", tz)
        old = _fetch_existing(conn, source, frame["external_id"].tolist())
        if old.empty:  # a batch of new reports only (the usual case): nothing to compare
            new_rows, changed_rows = frame, frame.iloc[:0].assign(id=pd.Series(dtype="int64"))
        else:
            merged = frame.merge(old[["id", "external_id", "updated_at"]].rename(
                columns={"updated_at": "_old_updated"}), on="external_id", how="left")
            is_new = merged["id"].isna().to_numpy()
            newer = (~is_new) & (merged["updated_at"] > merged["_old_updated"]).to_numpy()
            new_rows = frame[is_new]
            changed_rows = merged[newer]
        if not new_rows["external_id"].is_monotonic_increasing:  # the unique index then grows at its end
            new_rows = new_rows.sort_values("external_id", kind="stable")
        if len(changed_rows):
            old_versions = old.set_index("id").loc[changed_rows["id"].astype("int64")].reset_index()
        else:
            old_versions = old.iloc[0:0]
        now = utcnow()
        inserted = bulk.insert_many(
            conn, "feedback_reports", new_rows.assign(source=source, ingested_at=now),
            ["source", *REPORT_COLUMNS, "ingested_at"],
        )
        to_update = changed_rows.assign(ingested_at=now, id=changed_rows["id"].astype("int64"))
        updated = bulk.update_many(conn, "feedback_reports", to_update, [*REPORT_COLUMNS, "ingested_at"], "id")
        parts = [
            contributions(part, tz, sign)
            for part, sign in ((new_rows, +1), (changed_rows, +1), (old_versions, -1))
            if len(part)
        ]
        _apply(conn, parts)
        result = IngestResult(inserted, updated, len(frame) - inserted - updated)
        if result.changed:
            bump_version(conn, FAMILY)
    return result


def _apply(conn: Connection, parts: list[pd.DataFrame]) -> None:
    """Add rollup contributions to the rollup by unit and to the city-wide one."""
    city = [p.groupby(list(ALL_KEYS), sort=False, as_index=False)[list(ROLLUP_MEASURES)].sum() for p in parts]
    apply_rollup_deltas(conn, "feedback_rollup", parts, ROLLUP_KEYS, ROLLUP_MEASURES, "received")
    apply_rollup_deltas(conn, "feedback_rollup_all", city, ALL_KEYS, ROLLUP_MEASURES, "received")


def rebuild_rollups(engine: Engine, tz: ZoneInfo, chunk: int = 200_000) -> int:
    """Recompute the feedback rollups from the raw reports (after a time-zone change)."""
    total = 0
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:feedback")
        conn.execute(delete(sf.feedback_rollup))
        conn.execute(delete(sf.feedback_rollup_all))
        for frame in stored_chunks(conn, "feedback_reports", ["id", *REPORT_COLUMNS], chunk):
            frame = normalise_frame(read_times(frame, TIME_COLUMNS))
            _apply(conn, [contributions(frame, tz, +1)])
            total += len(frame)
        bump_version(conn, FAMILY)
    return total


def count_reports(engine: Engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sf.feedback_reports)).scalar_one())


def ingest_records(engine: Engine, source: str, records: Iterable[FeedbackRecord] | pd.DataFrame, tz: ZoneInfo,
                   calendar: WorkCalendar) -> IngestResult:
    """The family's ingest: validated records (or their frame) upserted with their rollups."""
    frame = records if isinstance(records, pd.DataFrame) else records_frame(records)
    return ingest(engine, source, frame, tz, calendar)


def stored_categories(engine: Engine) -> tuple[str, ...]:
    """The category codes the store holds reports of (from the city-wide rollup: a few thousand
    rows, not the reports), sorted."""
    from ioc.store.schema_feedback import feedback_rollup_all

    with engine.connect() as conn:
        return tuple(sorted(r[0] for r in conn.execute(select(feedback_rollup_all.c.category_code).distinct())))
