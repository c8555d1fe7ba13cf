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

import json
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ioc.domain.admin import OPEN_STATUSES, RESOLVED_STATUSES
from ioc.domain.admin_clock import BUCKETS, HOUR_US, Pauses, WorkClock, effective_due, resolved_buckets
from ioc.domain.admin_records import parse_pauses_json
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import to_local, to_utc
from ioc.domain.units import CHANGEOVER
from ioc.store.bulk import object_missing
from ioc.store.schema_admin import ADMIN_COUNTS, ADMIN_MEASURES, PROCEDURE_DIMS, UNIT_DIMS

SOURCE_COLUMNS = ("external_id", "procedure_code", "procedure_name", "field", "level", "unit_code", "channel",
                  "online_mode", "status", "received_at", "due_at", "pauses", "resolved_at", "returned_at",
                  "paid_online", "fee_required", "digitised", "rating", "updated_at")
DERIVED_COLUMNS = ("effective_due_at", "pause_count", "bucket", "elapsed_hours", "district_code", "commune_code")
# The procedure's name lives in the catalogue (a dossier naming an unknown code adds it there).
STORED_COLUMNS = (*(c for c in SOURCE_COLUMNS if c != "procedure_name"), *DERIVED_COLUMNS)
TIME_COLUMNS = ("received_at", "due_at", "resolved_at", "returned_at", "updated_at", "effective_due_at")
TEXT_COLUMNS = ("external_id", "procedure_code", "procedure_name", "field", "level", "unit_code", "channel",
                "online_mode", "status", "district_code", "commune_code")
_OPEN = [s.value for s in OPEN_STATUSES]
_RESOLVED = [s.value for s in RESOLVED_STATUSES]


def _text(values: pd.Series, missing_as: str | None) -> np.ndarray:
    arr = values.to_numpy(dtype=object)
    missing = object_missing(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = missing_as
    return arr


def _number(values: pd.Series, dtype: str, added: bool) -> np.ndarray:
    if values.dtype == dtype:
        return values.to_numpy()
    if added:  # a column the frame did not have (all None): skip to_numeric's scan of objects
        return np.zeros(len(values), dtype=dtype) if dtype == "int64" else np.full(len(values), np.nan)
    number = pd.to_numeric(values)
    return (number.fillna(0) if dtype == "int64" else number).astype(dtype).to_numpy()


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types the store expects (missing optional columns are added empty)."""
    added = [c for c in (*SOURCE_COLUMNS, *DERIVED_COLUMNS, "working_days") if c not in frame]
    columns: dict[str, object] = {c: frame[c] for c in frame.columns}
    columns.update({c: pd.Series(None, index=frame.index, dtype=object) for c in added})
    out: dict[str, object] = dict(columns)
    for col in TIME_COLUMNS:
        series = columns[col]
        if series.dtype != "datetime64[us]":
            series = pd.to_datetime(series, format="ISO8601").astype("datetime64[us]")
        out[col] = series.to_numpy(copy=True)
    for col in TEXT_COLUMNS:
        out[col] = _text(columns[col], "")
    for col in ("paid_online", "digitised"):
        series = columns[col]
        out[col] = series.to_numpy(copy=True) if series.dtype == bool else series.fillna(False).astype(bool).to_numpy()
    for col in ("fee_required", "pauses", "rating", "bucket"):
        out[col] = _text(columns[col], None)
    out["pause_count"] = _number(columns["pause_count"], "int64", "pause_count" in added)
    out["elapsed_hours"] = _number(columns["elapsed_hours"], "float64", "elapsed_hours" in added)
    out["working_days"] = _number(columns["working_days"], "float64", "working_days" in added)
    for col, values in out.items():  # object stays object (pandas would infer its str dtype)
        if isinstance(values, np.ndarray) and values.dtype == object:
            out[col] = pd.Series(values, index=frame.index, dtype=object, copy=False)
    return pd.DataFrame(out, index=frame.index, copy=False)


def pause_table(frame: pd.DataFrame, tz: ZoneInfo) -> Pauses:
    """The pauses of every dossier of ``frame`` (positions), in local time."""
    texts = frame["pauses"].to_numpy(dtype=object)
    rows = np.flatnonzero(pd.notna(texts))
    if not len(rows):
        return Pauses.none()
    try:  # the canonical form (pauses_json): one JSON parse and one vectorised time parse per batch
        lists = json.loads("[" + ",".join(texts[rows]) + "]")
        counts = [len(pauses) for pauses in lists]
        flat = [span for pauses in lists for span in pauses]
        starts, ends = [s for s, _ in flat], [e for _, e in flat]
        is_open = np.array([e is None for e in ends], dtype=bool)
        ends = [s if e is None else e for s, e in zip(starts, ends, strict=True)]
        if not all(type(t) is str and t[:4].isdigit() for t in (*starts, *ends)):  # numpy reads 'now' too
            raise TypeError("pause times must be ISO text")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns on (and converts) an offset
            start, end = np.array(starts, dtype="datetime64[us]"), np.array(ends, dtype="datetime64[us]")
        end[is_open] = np.datetime64("NaT")
        owners = np.repeat(rows, counts)
    except (TypeError, ValueError, UserWarning):  # anything else (an offset, an odd form): one by one
        owner_list, starts, ends = [], [], []
        for i in rows:
            for s, e in parse_pauses_json(texts[i]):
                owner_list.append(i)
                starts.append(s)
                ends.append(np.datetime64("NaT") if e is None else e)
        if not owner_list:
            return Pauses.none()
        owners = np.array(owner_list, dtype="int64")
        start, end = np.array(starts, dtype="datetime64[us]"), np.array(ends, dtype="datetime64[us]")
    if not len(owners):
        return Pauses.none()
    return Pauses(owners.astype("int64"), to_local(start, tz), to_local(end, tz))


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of a text column, a missing value being one of them."""
    arr = values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(arr)  # the usual case (no missing value) skips a separate NaN scan
    if (codes < 0).any():
        codes, uniques = pd.factorize(arr, use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def enrich(frame: pd.DataFrame, unit_levels: dict[str, str], procedures: pd.DataFrame) -> pd.DataFrame:
    """Fill what the source left to the catalogue: level (from the unit, else the procedure),
    procedure name, field, online mode and fee flag. ``procedures`` is indexed by code.

    Looked up once per distinct procedure and unit code, then spread over the rows."""
    frame = frame.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    position, codes = factorize(frame["procedure_code"])
    cat = procedures.reindex(pd.Index(codes, dtype=object))
    known = cat.index.isin(procedures.index)

    def catalogue(col: str, default: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct code: the catalogue's value (``default`` where missing), and where missing."""
        values = cat[col].to_numpy(dtype=object)
        missing = pd.isna(values)
        return (np.where(missing, default, values) if default is not None else values), missing

    def fill(col: str, values: np.ndarray) -> None:
        current = frame[col].to_numpy(dtype=object)
        blank = current == ""
        if blank.any():
            current = current.copy()
            current[blank] = values[blank]
            frame[col] = pd.Series(current, index=frame.index, dtype=object)

    unit_position, units = factorize(frame["unit_code"])
    unit_level = np.array([unit_levels.get(u) for u in units], dtype=object)
    has_unit_level = pd.notna(unit_level)[unit_position]
    fill("level", np.where(has_unit_level, unit_level[unit_position], catalogue("level", "")[0][position]))
    fill("procedure_name", np.where(pd.isna(cat["name"].to_numpy(dtype=object)), codes, cat["name"])[position])
    fill("field", catalogue("field", "other")[0][position])
    mode, no_mode = catalogue("online_mode")
    guess = np.where(frame["channel"].to_numpy(dtype=object) == "online", "partial", "none").astype(object)
    fill("online_mode", np.where(no_mode[position], guess, mode[position]))
    has_fee = np.where(known, cat["has_fee"].to_numpy(dtype=object), False).astype(bool)[position]
    stated = frame["fee_required"].to_numpy(dtype=object)
    fee = np.where(pd.notna(stated), stated, has_fee).astype(bool)
    frame["fee_required"] = fee | frame["paid_online"].to_numpy(dtype=bool)
    return frame


def level_in_force(frame: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    """From 1 July 2025 there is no district level: a dossier received from then whose level
    came out as ``district`` (a district-level procedure, no unit known) is a commune-level
    dossier, as the procedures went to the commune centres."""
    level = frame["level"].to_numpy(dtype=object)
    late = (level == "district") & (to_local(frame["received_at"], tz) >= np.datetime64(CHANGEOVER, "us"))
    if not late.any():
        return frame
    return frame.assign(level=pd.Series(np.where(late, "commune", level), index=frame.index, dtype=object))


def derive(frame: pd.DataFrame, tz: ZoneInfo, calendar: WorkCalendar) -> pd.DataFrame:
    """Deadline, effective deadline, bucket and elapsed hours of every dossier in ``frame``."""
    frame = frame.reset_index(drop=True)  # a new frame (copy-on-write): the caller's is left as it was
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


class _Labels:
    """A text column factorized once, so that membership tests compare small integers instead of
    strings (missing values match nothing)."""

    def __init__(self, values: pd.Series) -> None:
        self.codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        self._position = {value: i for i, value in enumerate(uniques)}

    def isin(self, *values: str) -> np.ndarray:
        wanted = [self._position[v] for v in values if v in self._position]
        return np.isin(self.codes, wanted) if wanted else np.zeros(len(self.codes), dtype=bool)

    def present(self) -> np.ndarray:
        return self.codes >= 0


def contributions(frame: pd.DataFrame, tz: ZoneInfo, sign: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each dossier's contribution to the (unit, procedure) rollups per local day and month of
    receipt, times ``sign``. Columns: grain, bucket, the dims, the measures."""
    day = to_local(frame["received_at"], tz).astype("datetime64[D]")
    status, channel = _Labels(frame["status"]), _Labels(frame["channel"])
    bucket, rating = _Labels(frame["bucket"]), _Labels(frame["rating"])
    fee = frame["fee_required"].to_numpy(dtype=bool)
    resolved = status.isin(*_RESOLVED)
    online = channel.isin("online")
    measures = {
        "received": np.ones(len(frame), dtype="int64"),
        "resolved": resolved,
        "returned": status.isin("returned"),
        "early": bucket.isin("early"),
        "on_time": bucket.isin("on_time"),
        "late": bucket.isin("late"),
        "in_progress": status.isin(*_OPEN),
        "supplement_open": status.isin("supplement_requested"),
        "had_supplement": frame["pause_count"].to_numpy() > 0,
        "refused": status.isin("refused"),
        "stopped": status.isin("stopped"),
        "withdrawn": status.isin("withdrawn"),
        "online": online,
        "post": channel.isin("post"),
        "in_person": channel.isin("in_person"),
        "full_process_online": online & (frame["online_mode"].to_numpy(dtype=object) == "full_process"),
        "fee_required": fee,
        "paid_online": fee & frame["paid_online"].to_numpy(dtype=bool),
        "digitised": frame["digitised"].to_numpy(dtype=bool),
        "rated": rating.present(),
        "satisfied": rating.isin("satisfied"),
        "acceptable": rating.isin("acceptable"),
        "dissatisfied": rating.isin("dissatisfied"),
    }
    base = pd.DataFrame({name: np.asarray(v).astype("int64") for name, v in measures.items()})
    base["elapsed_hours_sum"] = np.where(resolved, np.nan_to_num(frame["elapsed_hours"].to_numpy(dtype=float)), 0.0)
    dims = {dim: factorize(frame[dim]) for dim in {*UNIT_DIMS, *PROCEDURE_DIMS}}
    return _grains(base, day, dims, UNIT_DIMS, sign), _grains(base, day, dims, PROCEDURE_DIMS, sign)


def _grains(base: pd.DataFrame, day: np.ndarray, factorized: dict[str, tuple[np.ndarray, np.ndarray]],
            dims: tuple[str, ...], sign: int) -> pd.DataFrame:
    """Per-day sums, then per-month sums of those, grouped on one integer key per (bucket, dims):
    the same groups, in the same order and summed in the same order as a groupby on the text
    columns would, at a fraction of the cost."""
    columns = ["grain", "bucket", *dims, *ADMIN_MEASURES]
    if not len(base):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    sizes = [max(len(factorized[d][1]), 1) for d in dims]

    def grouped(frame: pd.DataFrame, days: np.ndarray, codes: list[np.ndarray]) -> tuple[pd.DataFrame, np.ndarray,
                                                                                        list[np.ndarray]]:
        first = days.min()
        key = (days - first).astype("int64")
        for size, code in zip(sizes, codes, strict=True):
            key = key * size + code
        sums = frame.groupby(key, sort=False)[list(ADMIN_MEASURES)].sum()
        rest = sums.index.to_numpy()
        out_codes = []
        for size in reversed(sizes):
            rest, code = np.divmod(rest, size)
            out_codes.append(code)
        return sums.reset_index(drop=True), first + rest.astype("timedelta64[D]"), out_codes[::-1]

    daily, days, codes = grouped(base, day, [factorized[d][0].astype("int64") for d in dims])
    monthly, months, month_codes = grouped(daily, days.astype("datetime64[M]").astype("datetime64[D]"), codes)
    out = pd.concat([_labelled(daily, "d", days, codes, dims, factorized),
                     _labelled(monthly, "m", months, month_codes, dims, factorized)], ignore_index=True)[columns]
    if sign != 1:
        out[list(ADMIN_MEASURES)] = out[list(ADMIN_MEASURES)] * sign
    return out


def _labelled(sums: pd.DataFrame, grain: str, days: np.ndarray, codes: list[np.ndarray], dims: tuple[str, ...],
              factorized: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    labels = {"grain": np.full(len(sums), grain, dtype=object), "bucket": days.astype("datetime64[D]").astype(object)}
    for dim, code in zip(dims, codes, strict=True):
        labels[dim] = np.asarray(factorized[dim][1], dtype=object)[code]
    return pd.concat([pd.DataFrame(labels), sums], axis=1)


__all__ = ["ADMIN_COUNTS", "STORED_COLUMNS", "contributions", "derive", "enrich", "normalise"]
