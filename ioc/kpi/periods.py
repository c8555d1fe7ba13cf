"""Periods of local dates and their translation to UTC instants and rollup buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class FilterError(ValueError):
    """A filter value that cannot be used; the message names the parameter."""


# The dates a period may start or end on: the records' accepted range (ioc.domain.records,
# nothing before 2000) with room to spare; year 1 or 9999 would overflow the UTC bounds.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def parse_date(value: str | date, name: str) -> date:
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise FilterError(f"{name}: {value!r} is not a date (expected YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(f"{name}: {value!r} is outside {FIRST_DAY.year}–{LAST_DAY.year}")
    return day


@dataclass(frozen=True)
class Period:
    """Local dates [start, end) in the deployment's time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise FilterError(f"to ({self.end}) must be after from ({self.start})")
        if (self.end - self.start).days > 366 * 20:
            raise FilterError("period longer than 20 years")

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as naive UTC instants [start, end)."""
        return _local_midnight_utc(self.start, tz), _local_midnight_utc(self.end, tz)

    def split_months(self) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """Whole calendar months inside the period, and the edge day ranges around them.

        Returns ((first_month_start, months_end) or None, [(day_start, day_end), …]) so a query
        reads month rollups for the middle and day rollups only for the edges.
        """
        first = self.start if self.start.day == 1 else _next_month(self.start)
        last = self.end.replace(day=1)
        if first >= last:
            return None, [(self.start, self.end)]
        edges = []
        if self.start < first:
            edges.append((self.start, first))
        if last < self.end:
            edges.append((last, self.end))
        return (first, last), edges

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        length = self.end - self.start
        return Period(self.start - length, self.start)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _local_midnight_utc(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive: datetime | None, tz: ZoneInfo) -> datetime | None:
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def default_period(today: date) -> Period:
    """The last 365 days up to and including ``today``."""
    return Period(today - timedelta(days=364), today + timedelta(days=1))
