"""The vectorised TTHC clock (ioc/domain/admin_clock.py) gives exactly the answers of the scalar
domain functions (ioc/domain/admin.py), which tests/unit/test_admin_domain.py checks by hand.

Random dossiers over Tết 2026, weekends, a make-up Saturday and odd holidays, with 0–3 pauses
each (overlapping, unordered, partly before receipt, still open), resolved or not; every
answer is compared to the microsecond.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from ioc.domain.admin import (
    WORKING_DAY,
    due_at_for,
    effective_due,
    timeliness_bucket,
    working_time_between,
    working_time_elapsed,
)
from ioc.domain.admin_clock import BUCKETS, DAY_US, Pauses, WorkClock, elapsed, resolved_buckets
from ioc.domain.admin_clock import effective_due as effective_due_vec
from ioc.domain.calendar import WorkCalendar

TET_2026 = frozenset(date(2026, 2, d) for d in range(16, 21))
CAL = WorkCalendar(frozenset({date(2026, 1, 1), date(2026, 4, 27), date(2026, 4, 30), date(2026, 5, 1)}) | TET_2026,
                   extra_workdays=frozenset({date(2026, 4, 25)}))  # a make-up Saturday


def us(values: list[datetime]) -> np.ndarray:
    return np.array(values, dtype="datetime64[us]")


def to_dt(value: np.datetime64) -> datetime | None:
    return None if np.isnat(value) else value.astype("datetime64[us]").astype(datetime)


def random_dossiers(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    base = datetime(2026, 1, 20)
    out = []
    for _ in range(n):
        # whole minutes, often exactly on a boundary (00:00) to hit the edge cases
        received = base + timedelta(minutes=int(rng.integers(0, 100 * 1440)))
        if rng.random() < 0.15:
            received = received.replace(hour=0, minute=0)
        days = int(rng.integers(0, 12))
        due = due_at_for(received, days, CAL) if rng.random() < 0.8 else received + timedelta(
            minutes=int(rng.integers(0, 20 * 1440)))
        pauses = []
        for _ in range(int(rng.choice([0, 0, 1, 1, 2, 3]))):
            start = received + timedelta(minutes=int(rng.integers(-3 * 1440, 25 * 1440)))
            end = None if rng.random() < 0.25 else start + timedelta(minutes=int(rng.integers(0, 15 * 1440)))
            pauses.append((start, end))
        resolved = None
        if rng.random() < 0.7:
            resolved = received + timedelta(minutes=int(rng.integers(0, 40 * 1440)))
            if rng.random() < 0.2:
                resolved = effective_due(received, due, pauses, CAL, now=resolved) or resolved
        out.append({"received": received, "due": due, "pauses": pauses, "resolved": resolved,
                    "now": received + timedelta(minutes=int(rng.integers(0, 60 * 1440)))})
    return out


def pause_arrays(dossiers: list[dict]) -> Pauses:
    owner, start, end = [], [], []
    for i, d in enumerate(dossiers):
        for s, e in d["pauses"]:
            owner.append(i)
            start.append(s)
            end.append(e)
    return Pauses(np.array(owner, dtype="int64"), us(start),
                  np.array([np.datetime64("NaT") if e is None else np.datetime64(e, "us") for e in end],
                           dtype="datetime64[us]"))


@pytest.fixture(scope="module")
def clock() -> WorkClock:
    return WorkClock.of(CAL)


def test_clock_matches_working_time_between_and_its_inverse(clock: WorkClock) -> None:
    rng = np.random.default_rng(1)
    a = [datetime(2026, 1, 1) + timedelta(minutes=int(m)) for m in rng.integers(0, 150 * 1440, 2000)]
    b = [x + timedelta(minutes=int(m)) for x, m in zip(a, rng.integers(-1440, 30 * 1440, 2000), strict=True)]
    got = clock.between(us(a), us(b))
    want = [working_time_between(x, y, CAL) // timedelta(microseconds=1) for x, y in zip(a, b, strict=True)]
    assert got.tolist() == want
    # Fri 13 Feb 20:00 + 4 h lands on Sat 00:00, where the clock stops until Mon 23 (after Tết).
    w = clock.clock(us([datetime(2026, 2, 13, 20)]))
    assert to_dt(clock.instant(w + 4 * 3_600_000_000)[0]) == datetime(2026, 2, 23)
    # The make-up Saturday 25 Apr counts: Fri 24 12:00 → Mon 27 is a holiday → Tue 28 12:00
    # is 12 + 24 (Sat) + 0 (Sun) + 0 (Mon 27) + 12 = 48 h.
    assert clock.between(us([datetime(2026, 4, 24, 12)]), us([datetime(2026, 4, 28, 12)]))[0] == 2 * DAY_US


def test_add_working_days_matches_the_calendar(clock: WorkClock) -> None:
    rng = np.random.default_rng(2)
    starts = [datetime(2026, 1, 1) + timedelta(minutes=int(m)) for m in rng.integers(0, 150 * 1440, 2000)]
    days = rng.integers(0, 15, 2000)
    got = clock.add_working_days(us(starts), days)
    assert [to_dt(v) for v in got] == [CAL.add_working_days(s, int(d)) for s, d in zip(starts, days, strict=True)]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_buckets_elapsed_and_effective_due_match_the_scalar_rules(clock: WorkClock, seed: int) -> None:
    dossiers = random_dossiers(1500, seed)
    pauses = pause_arrays(dossiers)
    received = us([d["received"] for d in dossiers])
    due = us([d["due"] for d in dossiers])

    done = [i for i, d in enumerate(dossiers) if d["resolved"] is not None]
    codes, spent = resolved_buckets(clock, received[done], due[done], us([dossiers[i]["resolved"] for i in done]),
                                    pauses.take(np.array(done)))
    for k, i in enumerate(done):
        d = dossiers[i]
        want = timeliness_bucket(d["received"], d["due"], d["resolved"], d["pauses"], d["resolved"], CAL)
        assert BUCKETS[codes[k]] == want, (d, want)
        assert spent[k] == working_time_elapsed(d["received"], d["resolved"], d["pauses"], CAL) // timedelta(
            microseconds=1)

    open_due = effective_due_vec(clock, received, due, pauses)
    now = us([d["now"] for d in dossiers])
    at_now = effective_due_vec(clock, received, due, pauses, until=now)
    for i, d in enumerate(dossiers):
        assert to_dt(open_due[i]) == effective_due(d["received"], d["due"], d["pauses"], CAL), d
        assert to_dt(at_now[i]) == effective_due(d["received"], d["due"], d["pauses"], CAL, now=d["now"]), d
        # overdue at now ⇔ now is after the stored effective deadline (undetermined: never)
        overdue = timeliness_bucket(d["received"], d["due"], None, d["pauses"], d["now"], CAL) == "overdue"
        assert overdue == (not np.isnat(open_due[i]) and d["now"] > to_dt(open_due[i])), d

    ela = elapsed(clock, received, now, pauses)
    assert ela.tolist() == [working_time_elapsed(d["received"], d["now"], d["pauses"], CAL)
                            // timedelta(microseconds=1) for d in dossiers]


def test_resolved_on_the_deadlines_last_minute_is_on_time(clock: WorkClock) -> None:
    # Dossier A of test_admin_domain.py: received Wed 11 Feb 09:00, due Wed 25 09:00, paused
    # Fri 13 12:00 → Tue 24 12:00 (two working days): effective deadline Fri 27 Feb 09:00.
    received, due = us([datetime(2026, 2, 11, 9)] * 3), us([datetime(2026, 2, 25, 9)] * 3)
    pauses = Pauses(np.arange(3), us([datetime(2026, 2, 13, 12)] * 3), us([datetime(2026, 2, 24, 12)] * 3))
    resolved = us([datetime(2026, 2, 27, 9), datetime(2026, 2, 27, 9, 1), datetime(2026, 2, 26, 9)])
    codes, spent = resolved_buckets(clock, received, due, resolved, pauses)
    assert [BUCKETS[c] for c in codes] == ["on_time", "late", "early"]
    assert (spent // 3_600_000_000).tolist() == [120, 120, 96]
    assert to_dt(effective_due_vec(clock, received[:1], due[:1], Pauses(np.arange(1), pauses.start[:1],
                                                                          pauses.end[:1]))[0]) == datetime(2026, 2, 27, 9)
    assert WORKING_DAY == timedelta(microseconds=DAY_US)


def test_times_outside_the_supported_years_are_refused(clock: WorkClock) -> None:
    with pytest.raises(ValueError, match="1970–2100"):
        clock.clock(us([datetime(1969, 12, 31)]))
    with pytest.raises(ValueError, match="NaT"):
        clock.clock(np.array(["NaT"], dtype="datetime64[us]"))
