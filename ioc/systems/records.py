"""One record of a spec-declared system, checked against its spec (pure, no I/O).

A record arrives as a dict keyed by the spec's *source* field names (the right-hand sides of
``[fields]`` and each dimension's ``field``): a file's header, or what the JSON collector
mapped. :func:`validate_event` and :func:`validate_indicator` return a frozen record in the
store's terms or raise :class:`~ioc.domain.records.RecordError` naming the source field.

Codes of a closed dimension may be given as their code or as their Vietnamese or English label
(any case, accents optional); a code outside the list is refused. Times follow the platform's
accepted range (:func:`ioc.domain.records.parse_timestamp`): from 2000 to now + 1 day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from ioc.domain.records import RecordError, fold, parse_dmy, parse_timestamp, text_field
from ioc.systems.spec import Dimension, SystemSpec

MAX_HOURS = 24 * 366 * 5  # a handling time beyond five years is a unit error, not a fact
#: the citation of values a simulator wrote: never shown as published, never replacing a published one
SIMULATED = "simulated"
PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|q[1-4]|\d{2}))?$")


@dataclass(frozen=True)
class EventRecord:
    external_id: str
    occurred_at: datetime  # naive UTC
    updated_at: datetime
    unit_code: str
    lat: float | None
    lon: float | None
    d1: str
    d2: str
    d3: str
    value: float | None
    duration_h: float | None
    title: str

    def as_row(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class IndicatorRecord:
    indicator: str
    period: str  # 2024 | 2024-Q3 | 2024-07
    frequency: str
    period_start: date
    period_end: date  # exclusive
    unit_code: str
    value: float | None
    target: float | None
    rank: int | None
    rank_of: int | None
    citation: str

    def as_row(self) -> dict[str, Any]:
        return self.__dict__.copy()


@lru_cache(maxsize=256)
def _aliases(dim: Dimension) -> dict[str, str]:
    table: dict[str, str] = {}
    for term in dim.values:
        for text in (term.code, term.label.vi, term.label.en):
            table.setdefault(fold(text), term.code)
    return table


def dimension_code(dim: Dimension, value: Any) -> str:
    """The stored code of ``value`` in ``dim`` ('' when absent); RecordError for an unknown one."""
    text = text_field({dim.field: value}, dim.field, 64)
    if not text:
        return ""
    if text in dim.codes:
        return text
    found = _aliases(dim).get(fold(text))
    if found is not None:
        return found
    if dim.open:
        return text
    raise RecordError(dim.field, f"{text[:64]!r} is not a {dim.name} (expected one of {', '.join(dim.codes)})")


def _time(raw: dict[str, Any], key: str, naive_tz: Any) -> datetime:
    value = raw.get(key)
    if isinstance(value, str):
        try:
            value = parse_dmy(value) or value
        except ValueError:
            raise RecordError(key, f"impossible date {value!r}") from None
    return parse_timestamp(value, key, naive_tz)


def _number(raw: dict[str, Any], key: str, *, lo: float = -math.inf, hi: float = math.inf) -> float | None:
    value = raw.get(key)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma
        value = text
    if isinstance(value, bool):
        raise RecordError(key, f"not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(key, f"not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise RecordError(key, f"{number} is outside [{lo}, {hi}]")
    return number


def validate_event(spec: SystemSpec, raw: dict[str, Any], naive_tz: Any = UTC) -> EventRecord:
    """One event of ``spec`` (a dict keyed by its source field names) as an :class:`EventRecord`."""
    f = spec.fields
    external_id = text_field(raw, f["id"], 128, required=True, truncate=False)
    occurred = _time(raw, f["time"], naive_tz)
    duration = None
    latest = occurred  # the version of the record when the source gives none: its last change
    if "handled" in f and raw.get(f["handled"]) not in (None, ""):
        handled = _time(raw, f["handled"], naive_tz)
        if handled < occurred:
            raise RecordError(f["handled"], f"earlier than {f['time']}")
        duration = (handled - occurred).total_seconds() / 3600
        latest = handled
    elif "duration_hours" in f:
        duration = _number(raw, f["duration_hours"], lo=0, hi=MAX_HOURS)
    updated = (_time(raw, f["updated"], naive_tz) if "updated" in f and raw.get(f["updated"]) not in (None, "")
               else latest)
    lat = _number(raw, f["lat"], lo=-90, hi=90) if "lat" in f else None
    lon = _number(raw, f["lon"], lo=-180, hi=180) if "lon" in f else None
    if (lat is None) != (lon is None):
        raise RecordError(f["lat"] if lat is None else f["lon"], "a position needs both lat and lon")
    codes = {d.column: dimension_code(d, raw.get(d.field)) for d in spec.dimensions}
    return EventRecord(
        external_id=external_id,
        occurred_at=occurred,
        updated_at=max(updated, occurred),
        unit_code=text_field(raw, f["unit"], 16) if "unit" in f else "",
        lat=lat,
        lon=lon,
        d1=codes.get("d1", ""),
        d2=codes.get("d2", ""),
        d3=codes.get("d3", ""),
        value=_number(raw, f["value"]) if "value" in f else None,
        duration_h=duration,
        title=text_field(raw, f["title"], 300) if "title" in f else "",
    )


def parse_period(text: str, field: str = "period") -> tuple[str, str, date, date]:
    """``2024`` | ``2024-Q3`` | ``2024-07`` → (canonical text, frequency, start, end exclusive)."""
    match = PERIOD.match(text.strip())
    if not match:
        raise RecordError(field, f"{text[:20]!r} is not a period (expected YYYY, YYYY-Qn or YYYY-MM)")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise RecordError(field, f"year {year} is outside 2000–2100")
    part = match.group(2)
    if part is None:
        return f"{year}", "year", date(year, 1, 1), date(year + 1, 1, 1)
    if part[0] in "Qq":
        q = int(part[1])
        start = date(year, 3 * q - 2, 1)
        end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
        return f"{year}-Q{q}", "quarter", start, end
    month = int(part)
    if not 1 <= month <= 12:
        raise RecordError(field, f"month {month} in {text!r} is not 01–12")
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return f"{year}-{month:02d}", "month", date(year, month, 1), end


def validate_indicator(spec: SystemSpec, raw: dict[str, Any], naive_tz: Any = UTC) -> IndicatorRecord:
    """One value of an ``indicator`` spec (a dict keyed by its source field names)."""
    f = spec.fields
    dim = spec.dimension("indicator")
    indicator = dimension_code(dim, raw.get(f["indicator"]))
    if not indicator:
        raise RecordError(f["indicator"], "missing")
    raw_period = raw.get(f["period"])
    if isinstance(raw_period, float) and raw_period.is_integer():
        raw_period = int(raw_period)
    period, frequency, start, end = parse_period(text_field(raw, f["period"], 10, required=True)
                                                 if not isinstance(raw_period, int) else str(raw_period),
                                                 f["period"])
    term = dim.term(indicator)
    if term is not None and term.frequency and term.frequency != frequency:
        raise RecordError(f["period"], f"{indicator} is reported per {term.frequency}, got a {frequency} ({period})")
    value = _number(raw, f["value"])
    rank = _number(raw, f["rank"], lo=1, hi=10_000) if "rank" in f else None
    rank_of = _number(raw, f["rank_of"], lo=1, hi=10_000) if "rank_of" in f else None
    if rank is not None and rank_of is not None and rank > rank_of:
        raise RecordError(f["rank"], f"rank {rank:g} is beyond rank_of {rank_of:g}")
    if value is None and rank is None:
        raise RecordError(f["value"], "missing (a row needs a value or a rank)")
    return IndicatorRecord(
        indicator=indicator,
        period=period,
        frequency=frequency,
        period_start=start,
        period_end=end,
        unit_code=text_field(raw, f["unit"], 16) if "unit" in f else "",
        value=value,
        target=_number(raw, f["target"]) if "target" in f else None,
        rank=None if rank is None else int(rank),
        rank_of=None if rank_of is None else int(rank_of),
        citation=text_field(raw, f["source"], 500) if "source" in f else "",
    )


def validator(spec: SystemSpec):  # noqa: ANN201 - Family.validate
    """The family's ``validate(raw, naive_tz)`` for ``spec``."""
    check = validate_event if spec.kind == "events" else validate_indicator

    def validate(raw: dict[str, Any], naive_tz: Any = UTC) -> EventRecord | IndicatorRecord:
        return check(spec, raw, naive_tz)

    validate.__name__ = f"validate_{spec.code}"
    return validate
