"""What the store derives from a dossier batch before writing it, and each dossier's rollup
contribution. DataFrames in, DataFrames out: no database here (ioc/store/admin.py does the I/O).

Derived once per stored version, with the vectorised clock (ioc/domain/admin_clock.py):

- ``due_at`` when the source gave only ``working_days`` (the working-day calendar, local time);
- ``effective_due_at``: the deadline pushed back by supplement pauses; NULL while a pause that
  began before the budget ran out is still open (such a dossier cannot be overdue);
- ``bucket`` (early / on_time / late) and ``elapsed_hours`` (working hours, pauses removed) of
  resolved and returned dossiers. Refused, stopped and withdrawn dossiers have no bucket.

Overdue is not stored: it depends on *now*; the KPI layer compares ``effective_due_at`` with
now over the (indexed, small) open set.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ioc.domain.admin import OPEN_STATUSES, RESOLVED_STATUSES
from ioc.domain.admin_clock import BUCKETS, HOUR_US, Pauses, WorkClock, effective_due, resolved_buckets
from ioc.domain.admin_records import parse_pauses_json
from ioc.domain.calendar import WorkCalendar
from ioc.store.schema_admin import ADMIN_COUNTS, ADMIN_MEASURES, PROCEDURE_DIMS, UNIT_DIMS

SOURCE_COLUMNS = ("external_id", "procedure_code", "procedure_name", "field", "level", "unit_code", "channel",
                  "online_mode", "status", "received_at", "due_at", "pauses", "resolved_at", "returned_at",
                  "paid_online", "fee_required", "digitised", "rating", "updated_at")
DERIVED_COLUMNS = ("effective_due_at", "pause_count", "bucket", "elapsed_hours")
# The procedure's name lives in the catalogue (a dossier naming an unknown code adds it there).
STORED_COLUMNS = (*(c for c in SOURCE_COLUMNS if c != "procedure_name"), *DERIVED_COLUMNS)
TIME_COLUMNS = ("received_at", "due_at", "resolved_at", "returned_at", "updated_at", "effective_due_at")
TEXT_COLUMNS = ("external_id", "procedure_code", "procedure_name", "field", "level", "unit_code", "channel",
                "online_mode", "status")
_OPEN = [s.value for s in OPEN_STATUSES]
_RESOLVED = [s.value for s in RESOLVED_STATUSES]


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types the store expects (missing optional columns are added empty)."""
    frame = frame.copy()
    for col in (*SOURCE_COLUMNS, *DERIVED_COLUMNS, "working_days"):
        if col not in frame:
            frame[col] = None
    for col in TIME_COLUMNS:
        if frame[col].dtype != "datetime64[us]":
            frame[col] = pd.to_datetime(frame[col], format="ISO8601").astype("datetime64[us]")
    for col in TEXT_COLUMNS:
        frame[col] = frame[col].fillna("").astype(object)
    for col in ("paid_online", "digitised"):
        frame[col] = frame[col].fillna(False).astype(bool)
    frame["fee_required"] = frame["fee_required"].astype(object).where(frame["fee_required"].notna(), None)
    for col in ("pauses", "rating", "bucket"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["pause_count"] = pd.to_numeric(frame["pause_count"]).fillna(0).astype("int64")
    frame["elapsed_hours"] = pd.to_numeric(frame["elapsed_hours"]).astype("float64")
    frame["working_days"] = pd.to_numeric(frame["working_days"]).astype("float64")
    return frame


def to_local(utc: pd.Series | np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Naive UTC → naive local ``datetime64[us]`` (NaT kept)."""
    index = pd.DatetimeIndex(np.asarray(utc, dtype="datetime64[us]"))
    return index.tz_localize("UTC").tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[us]")


def to_utc(local: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Naive local → naive UTC ``datetime64[us]`` (NaT kept; a skipped local hour moves forward)."""
    index = pd.DatetimeIndex(np.asarray(local, dtype="datetime64[us]"))
    return (index.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC")
            .tz_localize(None).to_numpy().astype("datetime64[us]"))


def pause_table(frame: pd.DataFrame, tz: ZoneInfo) -> Pauses:
    """The pauses of every dossier of ``frame`` (positions), in local time."""
    owners, starts, ends = [], [], []
    texts = frame["pauses"].to_numpy(dtype=object)
    for i in np.flatnonzero(pd.notna(texts)):
        for s, e in parse_pauses_json(texts[i]):
            owners.append(i)
            starts.append(s)
            ends.append(e)
    if not owners:
        return Pauses.none()
    start = np.array(starts, dtype="datetime64[us]")
    end = np.array([np.datetime64("NaT") if e is None else e for e in ends], dtype="datetime64[us]")
    return Pauses(np.array(owners, dtype="int64"), to_local(start, tz), to_local(end, tz))


def enrich(frame: pd.DataFrame, unit_levels: dict[str, str], procedures: pd.DataFrame) -> pd.DataFrame:
    """Fill what the source left to the catalogue: level (from the unit, else the procedure),
    procedure name, field, online mode and fee flag. ``procedures`` is indexed by code."""
    frame = frame.copy()
    known = frame["procedure_code"].isin(procedures.index)
    cat = procedures.reindex(frame["procedure_code"])
    cat.index = frame.index

    def fill(col: str, values: pd.Series) -> None:
        blank = frame[col] == ""
        frame.loc[blank, col] = values[blank]

    fill("level", frame["unit_code"].map(unit_levels).fillna(cat["level"]).fillna(""))
    fill("procedure_name", cat["name"].fillna(frame["procedure_code"]))
    fill("field", cat["field"].fillna("other"))
    guess = np.where(frame["channel"] == "online", "partial", "none")
    fill("online_mode", cat["online_mode"].fillna(pd.Series(guess, index=frame.index)))
    has_fee = cat["has_fee"].where(known, False).astype(bool)
    fee = frame["fee_required"].where(frame["fee_required"].notna(), has_fee).astype(bool)
    frame["fee_required"] = fee | frame["paid_online"]
    return frame


def derive(frame: pd.DataFrame, tz: ZoneInfo, calendar: WorkCalendar) -> pd.DataFrame:
    """Deadline, effective deadline, bucket and elapsed hours of every dossier in ``frame``."""
    frame = frame.copy().reset_index(drop=True)
    if frame.empty:
        return frame
    clock = WorkClock.of(calendar)
    received = to_local(frame["received_at"], tz)
    missing_due = frame["due_at"].isna().to_numpy()
    if missing_due.any():
        days = frame["working_days"].to_numpy()[missing_due].astype("int64")
        due_local = clock.add_working_days(received[missing_due], days)
        due = frame["due_at"].to_numpy().copy()
        due[missing_due] = to_utc(due_local, tz)
        frame["due_at"] = due
    due = to_local(frame["due_at"], tz)
    pauses = pause_table(frame, tz)
    status = frame["status"].to_numpy(dtype=object)
    is_resolved = np.isin(status, _RESOLVED)
    resolved = to_local(frame["resolved_at"], tz)
    until = np.where(is_resolved, resolved, np.datetime64("NaT"))
    eff = effective_due(clock, received, due, pauses, until=until)
    frame["effective_due_at"] = to_utc(eff, tz)
    frame["pause_count"] = np.bincount(pauses.owner, minlength=len(frame)).astype("int64")
    bucket = np.full(len(frame), None, dtype=object)
    hours = np.full(len(frame), np.nan)
    rows = np.flatnonzero(is_resolved)
    if len(rows):
        codes, spent = resolved_buckets(clock, received[rows], due[rows], resolved[rows], pauses.take(rows))
        bucket[rows] = np.array(BUCKETS, dtype=object)[codes]
        hours[rows] = spent / HOUR_US
    frame["bucket"] = bucket
    frame["elapsed_hours"] = hours
    return frame


def contributions(frame: pd.DataFrame, tz: ZoneInfo, sign: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each dossier's contribution to the (unit, procedure) rollups per local day and month of
    receipt, times ``sign``. Columns: grain, bucket, the dims, the measures."""
    day = pd.DatetimeIndex(to_local(frame["received_at"], tz)).normalize()
    status = frame["status"].to_numpy(dtype=object)
    channel = frame["channel"].to_numpy(dtype=object)
    bucket = frame["bucket"].to_numpy(dtype=object)
    rating = frame["rating"].to_numpy(dtype=object)
    fee = frame["fee_required"].to_numpy(dtype=bool)
    resolved = np.isin(status, _RESOLVED)
    measures = {
        "received": np.ones(len(frame), dtype="int64"),
        "resolved": resolved,
        "returned": status == "returned",
        "early": bucket == "early",
        "on_time": bucket == "on_time",
        "late": bucket == "late",
        "in_progress": np.isin(status, _OPEN),
        "supplement_open": status == "supplement_requested",
        "had_supplement": frame["pause_count"].to_numpy() > 0,
        "refused": status == "refused",
        "stopped": status == "stopped",
        "withdrawn": status == "withdrawn",
        "online": channel == "online",
        "post": channel == "post",
        "in_person": channel == "in_person",
        "full_process_online": (channel == "online") & (frame["online_mode"].to_numpy(dtype=object) == "full_process"),
        "fee_required": fee,
        "paid_online": fee & frame["paid_online"].to_numpy(dtype=bool),
        "digitised": frame["digitised"].to_numpy(dtype=bool),
        "rated": pd.notna(rating),
        "satisfied": rating == "satisfied",
        "acceptable": rating == "acceptable",
        "dissatisfied": rating == "dissatisfied",
    }
    base = pd.DataFrame({name: np.asarray(v).astype("int64") for name, v in measures.items()})
    base["elapsed_hours_sum"] = np.where(resolved, np.nan_to_num(frame["elapsed_hours"].to_numpy(dtype=float)), 0.0)
    base["bucket"] = day
    for dim in {*UNIT_DIMS, *PROCEDURE_DIMS}:
        base[dim] = frame[dim].to_numpy(dtype=object)
    return _grains(base, UNIT_DIMS, sign), _grains(base, PROCEDURE_DIMS, sign)


def _grains(base: pd.DataFrame, dims: tuple[str, ...], sign: int) -> pd.DataFrame:
    keys = ["bucket", *dims]
    daily = base.groupby(keys, sort=False)[list(ADMIN_MEASURES)].sum().reset_index()
    monthly = daily.assign(bucket=daily["bucket"].dt.to_period("M").dt.start_time).groupby(
        keys, sort=False)[list(ADMIN_MEASURES)].sum().reset_index()
    out = pd.concat([daily.assign(grain="d"), monthly.assign(grain="m")], ignore_index=True)
    out["bucket"] = out["bucket"].dt.date
    out = out[["grain", *keys, *ADMIN_MEASURES]]
    if sign != 1:
        out[list(ADMIN_MEASURES)] = out[list(ADMIN_MEASURES)] * sign
    return out


def combine(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Sum several contribution frames on their keys (new and changed minus replaced versions)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=[*keys, *ADMIN_MEASURES])
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True).groupby(keys, sort=False)[list(ADMIN_MEASURES)].sum().reset_index()


__all__ = ["ADMIN_COUNTS", "STORED_COLUMNS", "contributions", "derive", "enrich", "normalise"]
