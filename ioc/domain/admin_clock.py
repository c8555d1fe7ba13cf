"""The TTHC deadline clock over arrays (numpy): the vectorised twin of :mod:`ioc.domain.admin`.

Same model and same answers as the scalar functions there (tests/unit/test_admin_clock.py
checks them against each other on thousands of random dossiers): the whole 24 h local day of
every working day counts, weekends and holidays count nothing, supplement pauses stop the
clock, elapsed == budget is on time. The scalar functions walk day by day, which is right for
one dossier and far too slow for a bulk load of millions; here every step is a numpy call.

The trick is a cumulative clock ``W(t)``: working time from 1970-01-01 00:00 to ``t``, i.e.
(working days before t's date) × 24 h + (t − t's midnight if t's date is a working day).
Then ``working_time_between(a, b) = max(0, W(b) − W(a))`` and ``add_working_time(a, x)`` is
the inverse ``W⁻¹(W(a) + x)`` (the last instant with that clock value: the start of the next
working time when it falls on a day boundary). Lookup tables over every day of 1970–2100 make
both directions O(1) per element, make-up Saturdays included (numpy's business-day week mask
cannot express those, and its offsets walk week by week: ≈ 50 µs per element).

All datetimes are naive **local** ``datetime64[us]``; durations are ``int64`` microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ioc.domain.calendar import WorkCalendar

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
FIRST_DAY = np.datetime64("1970-01-01", "D")
LAST_DAY = np.datetime64("2101-01-01", "D")  # exclusive
OPEN_END = np.iinfo(np.int64).max  # an open pause's end on the W axis

# Buckets as small integers in arrays (and their names, in this order).
BUCKETS = ("early", "on_time", "late")
EARLY, ON_TIME, LATE, NO_BUCKET = 0, 1, 2, -1


@dataclass(frozen=True, eq=False)
class WorkClock:
    """The cumulative working-time clock of one :class:`WorkCalendar`, as lookup tables over
    the days of 1970–2100: ``before[i]`` working days before day ``i``, ``working[i]``, and the
    working days themselves in order (so the n-th working day is one index away)."""

    before: np.ndarray
    working: np.ndarray
    workdays: np.ndarray

    @classmethod
    def of(cls, calendar: WorkCalendar) -> WorkClock:
        """The clock of ``calendar`` (built once per calendar, a few ms)."""
        clock = _CLOCKS.get(calendar)
        if clock is None:
            days = np.arange(FIRST_DAY, LAST_DAY, dtype="datetime64[D]")
            weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (3)
            working = weekday < 5
            if calendar.holidays:
                working &= ~np.isin(days, np.array(sorted(calendar.holidays), dtype="datetime64[D]"))
            if calendar.extra_workdays:
                working |= np.isin(days, np.array(sorted(calendar.extra_workdays), dtype="datetime64[D]"))
            before = np.concatenate([[0], np.cumsum(working)[:-1]]).astype("int64")
            clock = cls(before, working, days[working])
            _CLOCKS[calendar] = clock
        return clock

    def _day_index(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        days = t.astype("datetime64[D]")
        return days, (days - FIRST_DAY).astype("int64")

    def clock(self, local: np.ndarray) -> np.ndarray:
        """``W(t)`` in µs for naive local ``datetime64`` values (no NaT)."""
        t = _check(local)
        days, i = self._day_index(t)
        into_day = (t - days.astype("datetime64[us]")).astype("int64")
        return self.before[i] * DAY_US + np.where(self.working[i], into_day, 0)

    def instant(self, clock_us: np.ndarray) -> np.ndarray:
        """``W⁻¹``: the last local instant whose clock reads ``clock_us`` (µs)."""
        n, into_day = np.divmod(np.asarray(clock_us, dtype="int64"), DAY_US)
        if n.size and (n.min() < 0 or n.max() >= len(self.workdays)):
            raise ValueError("working time outside the supported years 1970–2100")
        return self.workdays[n].astype("datetime64[us]") + into_day.astype("timedelta64[us]")

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working time in ``[start, end)`` in µs (0 when ``end <= start``)."""
        return np.maximum(self.clock(end) - self.clock(start), 0)

    def add_working_days(self, local: np.ndarray, days: np.ndarray) -> np.ndarray:
        """:meth:`WorkCalendar.add_working_days` per element: received on a working day at 10:00
        → 10:00 ``days`` working days later; outside working time → 00:00 of the next working
        day + ``days`` full days. (Either way the deadline's day is working day number
        "working days before the start day" + ``days``.)"""
        t = _check(local)
        start_day, i = self._day_index(t)
        into_day = np.where(self.working[i], t - start_day.astype("datetime64[us]"), np.timedelta64(0, "us"))
        n = self.before[i] + np.asarray(days, dtype="int64")
        if n.size and n.max() >= len(self.workdays):
            raise ValueError("deadline outside the supported years 1970–2100")
        return self.workdays[n].astype("datetime64[us]") + into_day


_CLOCKS: dict[WorkCalendar, WorkClock] = {}


def _check(local: np.ndarray) -> np.ndarray:
    t = np.asarray(local, dtype="datetime64[us]")
    if t.size:
        if np.isnat(t).any():
            raise ValueError("the working-time clock got a missing time (NaT)")
        lo, hi = t.min(), t.max()
        if lo < FIRST_DAY or hi >= LAST_DAY:
            raise ValueError(f"time outside the supported years 1970–2100: {lo} … {hi}")
    return t


@dataclass(frozen=True)
class Pauses:
    """Supplement pauses of a batch of dossiers, one row per pause: ``owner`` is the dossier's
    position in the batch, ``start``/``end`` naive local ``datetime64[us]`` (``end`` NaT = still
    open)."""

    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def none(cls) -> Pauses:
        return cls(np.empty(0, "int64"), np.empty(0, "datetime64[us]"), np.empty(0, "datetime64[us]"))

    def __len__(self) -> int:
        return len(self.owner)

    def take(self, rows: np.ndarray) -> Pauses:
        """The pauses of the dossiers at positions ``rows``, renumbered ``0 … len(rows) − 1``."""
        rows = np.asarray(rows, dtype="int64")
        if not len(self) or not len(rows):
            return Pauses.none()
        position = np.full(max(int(self.owner.max()), int(rows.max())) + 1, -1, dtype="int64")
        position[rows] = np.arange(len(rows))
        new_owner = position[self.owner]
        keep = new_owner >= 0
        return Pauses(new_owner[keep], self.start[keep], self.end[keep])


def _merged(clock: WorkClock, owner: np.ndarray, start_w: np.ndarray, end_w: np.ndarray) -> pd.DataFrame:
    """Spans on the W axis sorted and merged per owner (touching or overlapping spans join), as
    ``_merge_pauses`` does. Returns columns owner, s, e (e = OPEN_END for an open span), rank."""
    frame = pd.DataFrame({"owner": owner, "s": start_w, "e": end_w}).sort_values(["owner", "s"], kind="stable")
    if frame.empty:
        return frame.assign(rank=np.empty(0, "int64"))
    sorted_owner = frame["owner"].to_numpy()
    if (sorted_owner[1:] != sorted_owner[:-1]).all():  # one span per owner (the usual case): nothing to merge
        return frame.reset_index(drop=True).assign(rank=np.zeros(len(frame), dtype="int64"))
    prev_max = frame.groupby("owner", sort=False)["e"].cummax()
    prev_max = prev_max.groupby(frame["owner"], sort=False).shift(1)
    new_span = prev_max.isna() | (frame["s"] > prev_max)
    span_id = new_span.cumsum()
    merged = frame.groupby(span_id, sort=False).agg(owner=("owner", "first"), s=("s", "min"), e=("e", "max"))
    merged["rank"] = merged.groupby("owner", sort=False).cumcount()
    return merged.reset_index(drop=True)


def _on_w_axis(clock: WorkClock, pauses: Pauses, received_w: np.ndarray,
               until_w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pauses as (owner, W(start), W(end)) clipped below at receipt (and above at ``until``;
    open ends close at ``until`` when given). Spans that end up empty are dropped.

    Working on W instead of datetimes is exact: W is non-decreasing, and clipping or merging
    spans that cover no working time changes no sum and no deadline (the walk only compares
    working time).
    """
    owner = pauses.owner
    s = clock.clock(pauses.start)
    is_open = np.isnat(pauses.end)
    e = np.where(is_open, OPEN_END, clock.clock(np.where(is_open, pauses.start, pauses.end)))
    if (~is_open & (e < s)).any():
        i = int(np.flatnonzero(~is_open & (e < s))[0])
        raise ValueError(f"pause ends before it starts: {pauses.start[i]} > {pauses.end[i]}")
    s = np.maximum(s, received_w[owner])
    if until_w is not None:
        u = until_w[owner]
        e = np.minimum(e, u)
        keep = (s < u) & (e > s)
    else:
        keep = e > s
    return owner[keep], s[keep], e[keep]


def paused_time(clock: WorkClock, received: np.ndarray, until: np.ndarray, pauses: Pauses) -> np.ndarray:
    """Working time (µs) spent in pauses within ``[received, until)`` per dossier, overlaps once."""
    received_w, until_w = clock.clock(received), clock.clock(until)
    out = np.zeros(len(received_w), dtype="int64")
    if len(pauses):
        owner, s, e = _on_w_axis(clock, pauses, received_w, until_w)
        merged = _merged(clock, owner, s, e)
        np.add.at(out, merged["owner"].to_numpy(), (merged["e"] - merged["s"]).to_numpy())
    return out


def elapsed(clock: WorkClock, received: np.ndarray, until: np.ndarray, pauses: Pauses) -> np.ndarray:
    """:func:`ioc.domain.admin.working_time_elapsed` per dossier, in µs."""
    return clock.between(received, until) - paused_time(clock, received, until, pauses)


def budget(clock: WorkClock, received: np.ndarray, due: np.ndarray) -> np.ndarray:
    """The working time (µs) from receipt to the nominal deadline."""
    return clock.between(received, due)


def resolved_buckets(clock: WorkClock, received: np.ndarray, due: np.ndarray, resolved: np.ndarray,
                     pauses: Pauses, early_margin_us: int = DAY_US) -> tuple[np.ndarray, np.ndarray]:
    """Bucket codes (EARLY / ON_TIME / LATE) of resolved dossiers and their elapsed working time (µs).

    As :func:`ioc.domain.admin.timeliness_bucket` for a resolved dossier: late when elapsed >
    budget, early when budget − elapsed ≥ ``early_margin_us``, otherwise on time.
    """
    spent = elapsed(clock, received, resolved, pauses)
    left = budget(clock, received, due) - spent
    codes = np.where(spent > budget(clock, received, due), LATE, np.where(left >= early_margin_us, EARLY, ON_TIME))
    return codes.astype("int8"), spent


def effective_due(clock: WorkClock, received: np.ndarray, due: np.ndarray, pauses: Pauses,
                  until: np.ndarray | None = None) -> np.ndarray:
    """:func:`ioc.domain.admin.effective_due` per dossier (naive local ``datetime64[us]``).

    The nominal deadline pushed back by the working time of the pauses. A pause still open
    (end NaT) that starts before the budget is used up leaves the deadline undetermined: NaT.
    ``until`` (optional, per dossier; NaT = none) closes open pauses at that instant, as the
    scalar ``now`` does.
    """
    received_w = clock.clock(received)
    remaining = budget(clock, received, due)
    cursor = received_w.copy()
    state = np.zeros(len(received_w), dtype="int8")  # 0 walking, 1 stopped, 2 undetermined
    if len(pauses):
        end = pauses.end
        if until is not None:
            u = np.asarray(until, dtype="datetime64[us]")[pauses.owner]
            close = np.isnat(end) & ~np.isnat(u)
            end = np.where(close, np.maximum(u, pauses.start), end)
        owner, s, e = _on_w_axis(clock, Pauses(pauses.owner, pauses.start, end), received_w, None)
        merged = _merged(clock, owner, s, e)
        rank = merged["rank"].to_numpy()
        m_owner, m_s, m_e = merged["owner"].to_numpy(), merged["s"].to_numpy(), merged["e"].to_numpy()
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = rank == r
            o, s_r, e_r = m_owner[sel], m_s[sel], m_e[sel]
            walking = state[o] == 0
            o, s_r, e_r = o[walking], s_r[walking], e_r[walking]
            run = np.maximum(s_r - cursor[o], 0)
            stop = run > remaining[o]
            state[o[stop]] = 1
            go = ~stop
            o, run, e_r = o[go], run[go], e_r[go]
            remaining[o] -= run
            still_open = e_r == OPEN_END
            state[o[still_open]] = 2
            closed = ~still_open
            cursor[o[closed]] = np.maximum(cursor[o[closed]], e_r[closed])
    out = clock.instant(cursor + remaining)
    out[state == 2] = np.datetime64("NaT")
    return out
