"""WorkCalendar: working-day deadlines in naive local time (Asia/Ho_Chi_Minh).

Expected values are counted by hand in the comments: "(1)" marks the first working day
counted, and so on. Holidays of 2026 from the ``holidays`` package: Tết Mon 16 – Fri 20 Feb,
Vietnam Cultural Day Tue 24 Nov; 2025: 30 Apr (Wed), 1 May (Thu), 2 May (Fri, day off in
exchange for the make-up Saturday 26 Apr).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from ioc.domain.calendar import WorkCalendar, default_holidays

TET_2026 = [date(2026, 2, d) for d in range(16, 21)]


# --------------------------------------------------------------------------- the seed data


def test_vietnam_calendar_has_tet_2026_and_cultural_day(calendar):
    for day in TET_2026:
        assert day in calendar.holidays, day
        assert not calendar.is_working_day(day)
    assert date(2026, 11, 24) in calendar.holidays  # Vietnam Cultural Day, a Tuesday
    assert not calendar.is_working_day(date(2026, 11, 24))
    assert calendar.is_working_day(date(2026, 2, 13))  # Friday before Tết
    assert calendar.is_working_day(date(2026, 2, 23))  # Monday after Tết
    assert not calendar.is_working_day(date(2026, 3, 7))  # a plain Saturday


# --------------------------------------------------------------------------- add_working_days


def test_normal_week_monday_10h_plus_7(calendar):
    # Mon 2026-03-02 10:00: Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 (5), Tue 10 (6),
    # Wed 11 (7) → Wed 2026-03-11 10:00, same time of day.
    assert calendar.add_working_days(datetime(2026, 3, 2, 10, 0), 7) == datetime(2026, 3, 11, 10, 0)
    # An empty calendar gives the same answer: no holiday in that fortnight.
    assert WorkCalendar().add_working_days(datetime(2026, 3, 2, 10, 0), 7) == datetime(2026, 3, 11, 10, 0)


def test_zero_days_on_a_working_day_is_the_start_itself(calendar):
    assert calendar.add_working_days(datetime(2026, 3, 4, 16, 45, 12), 0) == datetime(2026, 3, 4, 16, 45, 12)


def test_across_tet_2026(calendar):
    # Thu 2026-02-12 15:30: Fri 13 (1), Tết Mon 16 – Fri 20 skipped, Mon 23 (2), Tue 24 (3),
    # Wed 25 (4), Thu 26 (5), Fri 27 (6), Mon 2 Mar (7) → Mon 2026-03-02 15:30.
    assert calendar.add_working_days(datetime(2026, 2, 12, 15, 30), 7) == datetime(2026, 3, 2, 15, 30)
    # Fri 2026-02-13 10:00: Mon 23 (1) … Fri 27 (5), Mon 2 Mar (6), Tue 3 Mar (7).
    assert calendar.add_working_days(datetime(2026, 2, 13, 10, 0), 7) == datetime(2026, 3, 3, 10, 0)
    # Without holidays the same start is due during Tết: 16,17,18,19,20,23,24 → Tue 24 Feb.
    assert WorkCalendar().add_working_days(datetime(2026, 2, 13, 10, 0), 7) == datetime(2026, 2, 24, 10, 0)


def test_received_during_tet_starts_the_clock_after_it(calendar):
    # Wed 2026-02-18 09:00 is a holiday → clock starts Mon 23 Feb 00:00; then Tue 24 (1),
    # Wed 25 (2), Thu 26 (3), Fri 27 (4), Mon 2 Mar (5), Tue 3 (6), Wed 4 (7) → Wed 4 Mar 00:00.
    assert calendar.add_working_days(datetime(2026, 2, 18, 9, 0), 7) == datetime(2026, 3, 4, 0, 0)


def test_across_vietnam_cultural_day(calendar):
    # Thu 2026-11-19 14:00: Fri 20 (1), Mon 23 (2), Tue 24 holiday, Wed 25 (3), Thu 26 (4),
    # Fri 27 (5), Mon 30 (6), Tue 1 Dec (7) → Tue 2026-12-01 14:00.
    assert calendar.add_working_days(datetime(2026, 11, 19, 14, 0), 7) == datetime(2026, 12, 1, 14, 0)
    # Without the holiday: … Tue 24 (3) … Mon 30 (7).
    assert WorkCalendar().add_working_days(datetime(2026, 11, 19, 14, 0), 7) == datetime(2026, 11, 30, 14, 0)


@pytest.mark.parametrize(
    "received",
    [datetime(2026, 3, 7, 15, 0), datetime(2026, 3, 8, 23, 59, 59), datetime(2026, 3, 7, 0, 0)],
    ids=["saturday", "sunday-late", "saturday-midnight"],
)
def test_received_on_weekend_clock_starts_monday_midnight(calendar, received):
    # Clock starts Mon 2026-03-09 00:00; Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 (4),
    # Mon 16 (5), Tue 17 (6), Wed 18 (7) → Wed 2026-03-18 00:00 (after 7 full working days).
    assert calendar.add_working_days(received, 7) == datetime(2026, 3, 18, 0, 0)
    # With 0 days the deadline is the moment the clock starts.
    assert calendar.add_working_days(received, 0) == datetime(2026, 3, 9, 0, 0)


def make_up_2025() -> WorkCalendar:
    # 2025: Fri 2 May was a day off in exchange for working Sat 26 Apr (ngày làm bù).
    return WorkCalendar(
        holidays=frozenset(default_holidays([2025])), extra_workdays=frozenset({date(2025, 4, 26)})
    )


def test_extra_workday_make_up_saturday_counts():
    cal = make_up_2025()
    assert date(2025, 5, 2) in cal.holidays
    assert cal.is_working_day(date(2025, 4, 26))
    # Fri 2025-04-25 10:00: Sat 26 (1, make-up), Mon 28 (2), Tue 29 (3) → Tue 29 Apr 10:00.
    assert cal.add_working_days(datetime(2025, 4, 25, 10, 0), 3) == datetime(2025, 4, 29, 10, 0)
    # +7: … Tue 29 (3), Wed 30 – Fri 2 May holidays, Mon 5 (4), Tue 6 (5), Wed 7 (6), Thu 8 (7).
    assert cal.add_working_days(datetime(2025, 4, 25, 10, 0), 7) == datetime(2025, 5, 8, 10, 0)
    # Received on the make-up Saturday itself: a working day, so the clock does not reset.
    # Sat 26 09:00 → Mon 28 (1) 09:00.
    assert cal.add_working_days(datetime(2025, 4, 26, 9, 0), 1) == datetime(2025, 4, 28, 9, 0)
    # Without the make-up day: Sat → Mon 28 00:00, Tue 29 (1) → Tue 29 00:00.
    plain = WorkCalendar(holidays=cal.holidays)
    assert plain.add_working_days(datetime(2025, 4, 26, 9, 0), 1) == datetime(2025, 4, 29, 0, 0)
    # … and from Fri 25 10:00, +3: Mon 28 (1), Tue 29 (2), Mon 5 May (3).
    assert plain.add_working_days(datetime(2025, 4, 25, 10, 0), 3) == datetime(2025, 5, 5, 10, 0)


def test_vietnam_calendar_knows_the_official_make_up_saturdays(calendar):
    # The holidays package lists Mon 2026-08-31 as "Day off (substituted from 08/22/2026)":
    # civil servants work Sat 2026-08-22 instead (its VN calendar's weekend_workdays).
    assert calendar.is_working_day(date(2026, 8, 22))
    # Fri 2026-08-21 10:00: Sat 22 (1), Mon 24 (2), Tue 25 (3), Wed 26 (4), Thu 27 (5),
    # Fri 28 (6), Mon 31 + Tue 1 + Wed 2 Sep off, Thu 3 Sep (7) → Thu 2026-09-03 10:00.
    assert calendar.add_working_days(datetime(2026, 8, 21, 10, 0), 7) == datetime(2026, 9, 3, 10, 0)


def test_negative_days_rejected(calendar):
    with pytest.raises(ValueError, match="days"):
        calendar.add_working_days(datetime(2026, 3, 2, 10, 0), -1)


# --------------------------------------------------------------------------- working_days_between


def test_working_days_between(calendar):
    # [Mon 9 Feb, Mon 2 Mar 2026): 9–13 Feb (5) + Tết week (0) + 23–27 Feb (5) = 10.
    assert calendar.working_days_between(date(2026, 2, 9), date(2026, 3, 2)) == 10
    assert WorkCalendar().working_days_between(date(2026, 2, 9), date(2026, 3, 2)) == 15
    # [Mon 23, Mon 30 Nov 2026): 23, (24 holiday), 25, 26, 27 = 4.
    assert calendar.working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 4
    # Half-open: the end day is not counted; empty and reversed ranges are 0.
    assert calendar.working_days_between(date(2026, 3, 2), date(2026, 3, 3)) == 1
    assert calendar.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert calendar.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    # A weekend alone: 0.
    assert calendar.working_days_between(date(2026, 3, 7), date(2026, 3, 9)) == 0
    # Make-up Saturday: [Sat 26 Apr, Mon 5 May 2025): 26 (1), 28 (2), 29 (3), 30/1/2 off → 3.
    assert make_up_2025().working_days_between(date(2025, 4, 26), date(2025, 5, 5)) == 3


def test_deadline_is_n_working_days_later_by_working_days_between(calendar):
    rng = np.random.default_rng(7)
    for _ in range(300):
        start = datetime(2025, 1, 1) + timedelta(minutes=int(rng.integers(0, 3 * 365 * 24 * 60)))
        n = int(rng.integers(0, 25))
        due = calendar.add_working_days(start, n)
        if calendar.is_working_day(start.date()):
            assert due.time() == start.time()
            assert calendar.working_days_between(start.date(), due.date()) == n
        else:
            assert due.time() == datetime.min.time()
            assert calendar.working_days_between(start.date(), due.date()) == n
        assert calendar.is_working_day(due.date())


# --------------------------------------------------------------------------- vectorised version


def _random_starts(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # 2024-01-01 … 2027-12-31 to the microsecond: weekends, Tết 2025/2026/2027, every holiday.
    base = np.datetime64("2024-01-01T00:00:00", "us")
    span_us = 4 * 365 * 24 * 3600 * 1_000_000
    offsets = rng.integers(0, span_us, size=n).astype("timedelta64[us]")
    # Add exact midnights and 08:00 on every day around Tết 2026, and every 7 hours around the
    # make-up Saturdays 2025-04-26 and 2026-08-22, where a calendar with extra workdays differs.
    midnights = np.arange(np.datetime64("2026-02-10"), np.datetime64("2026-02-25")).astype("datetime64[us]")
    tet = midnights + np.timedelta64(8 * 3600 * 1_000_000, "us")
    seven_hours = np.timedelta64(7 * 3600, "s")
    make_up = np.concatenate([
        np.arange(np.datetime64("2025-04-14T00:00"), np.datetime64("2025-05-06T00:00"), seven_hours),
        np.arange(np.datetime64("2026-08-10T00:00"), np.datetime64("2026-09-05T00:00"), seven_hours),
    ]).astype("datetime64[us]")
    return np.concatenate([base + offsets, midnights, tet, make_up])


@pytest.mark.parametrize(
    "cal_name",
    ["vietnam", "no-holidays", "custom-holidays", "make-up-saturday"],
)
@pytest.mark.parametrize("days", [0, 1, 7, 15])
def test_add_working_days_array_equals_scalar(calendar, cal_name, days):
    cal = {
        "vietnam": calendar,
        "no-holidays": WorkCalendar(),
        "custom-holidays": WorkCalendar(
            holidays=frozenset({date(2026, 2, 16), date(2026, 2, 21), date(2026, 2, 22), date(2025, 7, 4)})
        ),
        "make-up-saturday": make_up_2025(),
    }[cal_name]
    starts = _random_starts(seed=days * 31 + len(cal_name), n=600)
    got = cal.add_working_days_array(starts, days)
    assert got.dtype == np.dtype("datetime64[us]")
    expected = np.array(
        [np.datetime64(cal.add_working_days(s.astype(datetime), days), "us") for s in starts],
        dtype="datetime64[us]",
    )
    mismatch = np.flatnonzero(got != expected)
    assert mismatch.size == 0, [(str(starts[i]), str(got[i]), str(expected[i])) for i in mismatch[:5]]


def test_add_working_days_array_hand_values(calendar):
    starts = np.array(
        ["2026-03-02T10:00", "2026-02-12T15:30", "2026-03-07T15:00", "2026-11-19T14:00"], dtype="datetime64[us]"
    )
    got = calendar.add_working_days_array(starts, 7)
    expected = np.array(
        ["2026-03-11T10:00", "2026-03-02T15:30", "2026-03-18T00:00", "2026-12-01T14:00"], dtype="datetime64[us]"
    )
    np.testing.assert_array_equal(got, expected)
