"""Comparisons of a KPI with earlier periods: the rules, with no I/O.

For a selected period ``[start, end)`` of local dates a KPI is compared with

- the **previous period**: the same number of days just before it (:func:`previous_period`);
- the **same period a year before** (:func:`year_before`): whole calendar months map to the same
  months (February 2025 → 1–29 February 2024), other periods shift each day by a year, 29
  February becoming 28 February.

The change depends on the KPI's kind (:data:`RULES`):

- ``rate`` (a ratio 0–1): the difference, in percentage points when shown (0.95 − 0.93 = 0.02,
  "2,0 điểm");
- ``count`` and ``amount`` (dossiers, hours, VND, µg/m³): the relative change, (now − before) ÷
  before (120 against 100 = +0.20, "20 %"); from 0 to a positive number there is no ratio, the
  change is marked ``from_zero``; 0 against 0 is no change;
- ``snapshot`` (counted at *now*: open, overdue, due soon): an earlier period's value is not what
  that period looked like at its time, so it is never compared;
- ``rank`` (a place among provinces, 1 = best): the difference in places, now − before (a system
  spec's rank KPI, compared with the previous published rank only: :mod:`ioc.kpi.systems_compare`).

Either side missing (``None``, NaN) gives no change.

**Coverage.** The earlier period is comparable only if the family's stored history covers it
entirely, i.e. the history's first local day ≤ the earlier period's start; otherwise the result
is "no comparison" (a year of data against the last three days of an earlier year would read as
a huge rise).

**Provisional periods.** When the selected period holds today (local), its counts are of a
partial period. The comparison then takes only the same elapsed part of each earlier period:
the current period ``[start, today + 1)`` has ``n`` days, so the earlier one is cut to its first
``n`` days (:func:`elapsed_part`). The KPI functions take any period, so this costs nothing
extra. Today itself is still running, so such a comparison is flagged ``provisional``.

**Direction.** Whether a rise is good (``higher``), bad (``lower``) or neither (``neutral``) is
declared per KPI in :data:`RULES`; :func:`tone` turns it into ``good`` / ``bad`` / ``neutral``.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from ioc.kpi.periods import Period


class Kind(StrEnum):
    RATE = "rate"
    COUNT = "count"
    AMOUNT = "amount"
    SNAPSHOT = "snapshot"
    RANK = "rank"


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Rule:
    """How a KPI compares: its kind and which way is better."""

    kind: Kind
    direction: Direction


_RATE_UP = Rule(Kind.RATE, Direction.HIGHER)
_COUNT = Rule(Kind.COUNT, Direction.NEUTRAL)
_SNAP = Rule(Kind.SNAPSHOT, Direction.LOWER)

#: family → KPI key (the tile's key) → rule. Counts of demand (reports received, dossiers
#: received, vehicles counted) are neutral: more is neither better nor worse.
RULES: dict[str, dict[str, Rule]] = {
    "feedback": {
        "received": _COUNT,
        "processed": _COUNT,
        "processed_rate": _RATE_UP,
        "on_time_rate": _RATE_UP,
        "overdue": _SNAP,
        "satisfaction_rate": _RATE_UP,
        "median_resolution_hours": Rule(Kind.AMOUNT, Direction.LOWER),
        "p90_resolution_hours": Rule(Kind.AMOUNT, Direction.LOWER),
        "rated_share": _RATE_UP,
    },
    "admin": {
        "received": _COUNT,
        "resolved": _COUNT,
        "on_time_rate": _RATE_UP,
        "in_progress": Rule(Kind.SNAPSHOT, Direction.NEUTRAL),
        "overdue": _SNAP,
        "due_soon": _SNAP,
        "online_rate": _RATE_UP,
        "full_process_online_rate": _RATE_UP,
        "online_payment_rate": _RATE_UP,
        "digitised_rate": _RATE_UP,
        "satisfaction_rate": _RATE_UP,
        "score_766": Rule(Kind.AMOUNT, Direction.HIGHER),
    },
    "traffic": {
        "violations": _COUNT,
        "verified_rate": _RATE_UP,
        "fines_issued_vnd": Rule(Kind.AMOUNT, Direction.NEUTRAL),
        "fines_collected_vnd": Rule(Kind.AMOUNT, Direction.HIGHER),
        "collection_rate": _RATE_UP,
        "median_hours_to_notice": Rule(Kind.AMOUNT, Direction.LOWER),
        "satisfaction_rate": _RATE_UP,
        # data-quality counts: fines outside the legal range, plates that cannot be read
        "fine_out_of_range": Rule(Kind.COUNT, Direction.LOWER),
        "invalid_plates": Rule(Kind.COUNT, Direction.LOWER),
    },
    # the worst station, the stations reporting and the active alerts are taken at the period's end
    "environment": {
        "worst_station": Rule(Kind.SNAPSHOT, Direction.LOWER),
        "reporting_stations": Rule(Kind.SNAPSHOT, Direction.HIGHER),
        "active_alerts": _SNAP,
        "exceedance_days": Rule(Kind.COUNT, Direction.LOWER),
        "bad_hours": Rule(Kind.COUNT, Direction.LOWER),
        "completeness_overall": _RATE_UP,
    },
}


def rule_for(family: str, key: str) -> Rule:
    """The rule of KPI ``key`` of ``family``; a clear error for one not declared."""
    try:
        return RULES[family][key]
    except KeyError:
        raise KeyError(f"no comparison rule for KPI {key!r} of family {family!r}") from None


# --------------------------------------------------------------------------- periods

def previous_period(period: Period) -> Period:
    """The period of equal length just before ``period``."""
    return period.previous()


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


def year_before(period: Period) -> Period:
    """The same period a year earlier (local dates [start, end)).

    Whole calendar months map to the same months (so February keeps all its days, 28 or 29);
    otherwise the first and the last day each move back a year, 29 February → 28 February."""
    if period.start.day == 1 and period.end.day == 1:
        return Period(period.start.replace(year=period.start.year - 1), period.end.replace(year=period.end.year - 1))
    last = _year_earlier(period.end - timedelta(days=1))
    return Period(_year_earlier(period.start), last + timedelta(days=1))


def running(period: Period, today: date) -> bool:
    """Whether ``period`` holds ``today`` (local): its figures are still provisional."""
    return period.start <= today < period.end


def elapsed_part(current: Period, earlier: Period, today: date) -> Period:
    """``earlier`` cut to as many days as have elapsed of ``current`` (today included) when
    ``current`` is running or lies partly ahead; ``earlier`` whole otherwise."""
    if today >= current.end - timedelta(days=1) or today < current.start:
        return earlier
    days = (today - current.start).days + 1
    return Period(earlier.start, earlier.start + timedelta(days=days))


def covered(history_start: date | None, earlier: Period) -> bool:
    """Whether stored history starting on local day ``history_start`` (None: no history) covers
    ``earlier`` entirely."""
    return history_start is not None and history_start <= earlier.start


@dataclass(frozen=True)
class Baselines:
    """The earlier periods a selected period is compared with (already cut to the elapsed part
    when it runs), whether each is covered by the history, and whether the comparison is
    provisional."""

    previous: Period
    year_before: Period
    previous_covered: bool
    year_covered: bool
    provisional: bool


def baselines(period: Period, today: date, history_start: date | None) -> Baselines:
    """The previous period and the year before of ``period`` (local dates), as
    :class:`Baselines`."""
    prev = elapsed_part(period, previous_period(period), today)
    year = elapsed_part(period, year_before(period), today)
    return Baselines(prev, year, covered(history_start, prev), covered(history_start, year), running(period, today))


# --------------------------------------------------------------------------- changes

class Status(StrEnum):
    CHANGE = "change"  # a number in ``value``
    FROM_ZERO = "from_zero"  # 0 before, more now: no ratio
    MISSING = "missing"  # either side has no value
    NOT_COVERED = "not_covered"  # the earlier period is before the history
    NOT_COMPARABLE = "not_comparable"  # a snapshot KPI


@dataclass(frozen=True)
class Change:
    """A KPI's change against one earlier period.

    ``value``: for a rate the difference of ratios (0.021 = 2.1 points), for a count or amount
    the relative change (−0.03 = −3 %); None unless ``status`` is ``change``. ``tone``: ``good``,
    ``bad`` or ``neutral`` by the KPI's direction."""

    status: Status
    kind: Kind
    value: float | None = None
    tone: str = "neutral"
    provisional: bool = False

    @property
    def sign(self) -> int:
        """+1 up, −1 down, 0 flat or unknown."""
        if self.status == Status.FROM_ZERO:
            return 1
        if self.value is None or abs(self.value) < 1e-12:
            return 0
        return 1 if self.value > 0 else -1


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def change_value(kind: Kind, current: float | None, earlier: float | None) -> tuple[Status, float | None]:
    """The change of ``current`` against ``earlier`` for a KPI of ``kind`` (see the module)."""
    if kind == Kind.SNAPSHOT:
        return Status.NOT_COMPARABLE, None
    if _missing(current) or _missing(earlier):
        return Status.MISSING, None
    current, earlier = float(current), float(earlier)
    if kind in (Kind.RATE, Kind.RANK):
        return Status.CHANGE, current - earlier
    if earlier == 0:
        return (Status.CHANGE, 0.0) if current == 0 else (Status.FROM_ZERO, None)
    return Status.CHANGE, (current - earlier) / abs(earlier)


def tone(direction: Direction, sign: int) -> str:
    """``good`` / ``bad`` / ``neutral`` for a change of ``sign`` (+1, −1, 0) of a KPI whose
    ``direction`` says which way is better."""
    if sign == 0 or direction == Direction.NEUTRAL:
        return "neutral"
    return "good" if (sign > 0) == (direction == Direction.HIGHER) else "bad"


def compare(rule: Rule, current: float | None, earlier: float | None, is_covered: bool = True,
            provisional: bool = False) -> Change:
    """The :class:`Change` of a KPI following ``rule``; "not covered" when ``is_covered`` is false
    (the earlier value is then not looked at)."""
    if rule.kind == Kind.SNAPSHOT:
        return Change(Status.NOT_COMPARABLE, rule.kind)
    if not is_covered:
        return Change(Status.NOT_COVERED, rule.kind, provisional=provisional)
    status, value = change_value(rule.kind, current, earlier)
    result = Change(status, rule.kind, value, provisional=provisional)
    return Change(status, rule.kind, value, tone(rule.direction, result.sign), provisional)


@dataclass(frozen=True)
class TileComparison:
    """A tile's two changes: against the previous period and the same period a year before."""

    previous: Change
    year: Change


def compare_sets(family: str, keys: tuple[str, ...] | list[str], current: dict[str, Any],
                 previous: dict[str, Any] | None, year: dict[str, Any] | None,
                 bases: Baselines, rules: Mapping[str, Rule] | None = None) -> dict[str, TileComparison]:
    """Per KPI key, both changes, from three KPI dicts (key → value; ``previous`` / ``year`` None
    when that period is not covered and was not computed). ``rules``: key → rule, for KPIs not in
    :data:`RULES` (a system spec's, :func:`ioc.kpi.systems_compare.spec_rules`)."""
    out = {}
    for key in keys:
        rule = rules[key] if rules is not None else rule_for(family, key)
        out[key] = TileComparison(
            compare(rule, current.get(key), None if previous is None else previous.get(key),
                    bases.previous_covered and previous is not None, bases.provisional),
            compare(rule, current.get(key), None if year is None else year.get(key),
                    bases.year_covered and year is not None, bases.provisional))
    return out
