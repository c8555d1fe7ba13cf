"""Working-day calendar: Monday–Friday minus public holidays, plus make-up working days.

Holidays are data (Tết moves with the lunar calendar), so a :class:`WorkCalendar` is built
from explicit sets of dates; :func:`default_holidays` seeds them from the ``holidays``
package for Vietnam, and the store keeps an editable table of them.

All functions here work on *local* dates and naive local datetimes (Asia/Ho_Chi_Minh by
default); converting from and to UTC is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np


def default_holidays(years: Iterable[int]) -> dict[date, str]:
    """Vietnam's public holidays (Tết included) for ``years``, from the ``holidays`` package."""
    import holidays

    return dict(holidays.country_holidays("VN", years=list(years)).items())


def default_workdays(years: Iterable[int]) -> frozenset[date]:
    """Vietnam's official make-up working days (ngày làm bù, on a weekend) for ``years``."""
    import holidays

    return frozenset(holidays.country_holidays("VN", years=list(years)).weekend_workdays)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days are Monday–Friday, minus ``holidays``, plus ``extra_workdays``.

    ``extra_workdays`` are make-up days (ngày làm bù): a Saturday worked in exchange for a
    bridge holiday.
    """

    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def vietnam(cls, years: Iterable[int] = range(2015, 2036)) -> WorkCalendar:
        years = list(years)
        return cls(frozenset(default_holidays(years)), default_workdays(years))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Deadline ``days`` working days after ``start`` (naive local time).

        Received on a working day at 10:00 → the same time of day ``days`` working days later.
        Received on a weekend or holiday → the clock starts at 00:00 of the next working day,
        so the deadline is 00:00 after ``days`` full working days.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start.date()
        clock = start.time()
        if not self.is_working_day(day):
            day = self.next_working_day(day)
            clock = time(0, 0)
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, clock)

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in [start, end)."""
        if end <= start:
            return 0
        return sum(
            1 for i in range((end - start).days) if self.is_working_day(start + timedelta(days=i))
        )

    # -- vectorised helpers (numpy busday) -------------------------------------------------
    def _busdaycal(self) -> np.busdaycalendar:
        cal = _BUSDAYCAL_CACHE.get(self)
        if cal is None:
            cal = np.busdaycalendar(
                weekmask="1111100",
                holidays=np.array(sorted(self.holidays), dtype="datetime64[D]"),
            )
            _BUSDAYCAL_CACHE[self] = cal
        return cal

    def add_working_days_array(self, starts: np.ndarray, days: int) -> np.ndarray:
        """Vectorised :meth:`add_working_days` over ``datetime64`` naive local times."""
        starts = np.asarray(starts, dtype="datetime64[us]")
        start_days = starts.astype("datetime64[D]")
        clock = starts - start_days.astype("datetime64[us]")
        cal = self._busdaycal()
        on_working_day = np.is_busday(start_days, busdaycal=cal)
        due_days = np.busday_offset(start_days, days, roll="forward", busdaycal=cal)
        clock = np.where(on_working_day, clock, np.timedelta64(0, "us"))
        out = due_days.astype("datetime64[us]") + clock
        if self.extra_workdays:
            # numpy's weekmask knows no make-up Saturday; only a start whose walk
            # [start day, weekday-only deadline] meets one can differ: redo those exactly.
            extra = np.array(sorted(self.extra_workdays), dtype="datetime64[D]")
            lo = np.searchsorted(extra, start_days, side="left")
            hi = np.searchsorted(extra, due_days, side="right")
            for i in np.flatnonzero(hi > lo):
                out[i] = np.datetime64(self.add_working_days(starts[i].astype(datetime), days), "us")
        return out


_BUSDAYCAL_CACHE: dict[WorkCalendar, np.busdaycalendar] = {}
