"""What every family's record validation shares (pure, no I/O).

A collector hands each family's ``validate_…`` function a dict of the store's field names; a
value that cannot be stored raises :class:`RecordError` naming the field. Timestamps become
naive UTC (:func:`parse_timestamp`); spreadsheets' Vietnamese ``dd/mm/yyyy`` dates are read by
:func:`parse_dmy`. Codes may arrive as their Vietnamese or English labels, in any case and
with or without accents: :func:`alias_table` builds the lookup, keyed by :func:`fold`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from ioc.domain.local_time import utcnow


class RecordError(ValueError):
    """A record that cannot be stored. ``field`` names what was wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


# The times a record may carry (README "Accepted time ranges"): nothing before 2000; an event
# (received, detected, resolved, an hour measured, a version) at most a day after now (clock
# skew), so that no record from the future can carry a source's watermark past today; a deadline
# at most five years ahead. Anything else is a RecordError: the record is quarantined with its
# reason and the good records beside it are stored.
EARLIEST = datetime(2000, 1, 1)
EVENT_SKEW = timedelta(days=1)
DEADLINE_HORIZON = timedelta(days=5 * 365 + 2)


def problem(exc: Exception) -> str:
    """Why a record was refused, for the quarantine: a RecordError's (or a mapping's ValueError's)
    text ("field: reason"); any other exception raised while reading one record named by its type
    (a record never fails the records beside it)."""
    return str(exc)[:500] if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"[:500]


def parse_timestamp(value: Any, field: str, naive_tz: Any = UTC, *, latest: timedelta = EVENT_SKEW,
                    now: datetime | None = None) -> datetime:
    """Parse an ISO 8601 timestamp (or datetime) into naive UTC, within the accepted range:
    from :data:`EARLIEST` to ``now`` (naive UTC; default: the clock) + ``latest`` (an event:
    :data:`EVENT_SKEW`; a deadline: :data:`DEADLINE_HORIZON`).

    An offset (``+07:00``, ``Z``) is converted, not stripped; a value with no offset is read
    in ``naive_tz`` (UTC unless the source says its times are local). Raises RecordError only.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(field, f"unparseable timestamp {value!r}") from None
    else:
        raise RecordError(field, f"missing or not a timestamp: {value!r}")
    try:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=naive_tz)
        out = dt.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):  # 0001-01-01T00:00+07:00 is before the first representable instant
        raise RecordError(field, f"{value!r} is outside the accepted range") from None
    if out < EARLIEST:
        raise RecordError(field, f"{out:%Y-%m-%d} is before {EARLIEST:%Y-%m-%d}")
    limit = (now or utcnow()) + latest
    if out > limit:
        raise RecordError(field, f"{out:%Y-%m-%d %H:%M} UTC is after {limit:%Y-%m-%d %H:%M} UTC "
                                 f"(now + {_days(latest)})")
    return out


def _days(delta: timedelta) -> str:
    return f"{delta.days} day" + ("s" if delta.days != 1 else "")


def text_field(raw: dict[str, Any], key: str, limit: int, required: bool = False, truncate: bool = True) -> str:
    """``raw[key]`` as stripped text; "" when absent (None or NaN), or RecordError if ``required``.

    A whole float loses its ".0" (a spreadsheet keeps code 474 as 474.0). Text longer than
    ``limit`` is cut, or with ``truncate=False`` is a RecordError.
    """
    value = raw.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise RecordError(key, "missing")
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | float):
        raise RecordError(key, f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise RecordError(key, "empty")
    if len(text) > limit and not truncate:
        raise RecordError(key, f"longer than {limit} characters")
    return text[:limit]


DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def number_field(raw: dict[str, Any], key: str, lo: float, hi: float, required: bool = False) -> float | None:
    """The number at ``raw[key]`` within ``[lo, hi]`` (None when empty and not ``required``).
    A text with one comma and no point is read with the Vietnamese decimal comma ("1,5" = 1.5).
    Raises :class:`RecordError` naming the field: missing, not a number, or out of range."""
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()) or value != value:
        if required:
            raise RecordError(key, "missing")
        return None
    if isinstance(value, str) and value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")  # Vietnamese decimal comma
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(key, f"not a number: {value!r}") from None
    if not lo <= number <= hi:
        raise RecordError(key, f"{number:g} is outside {lo:g}…{hi:g}")
    return number


def parse_dmy(value: Any) -> datetime | None:
    """``dd/mm/yyyy [HH:MM[:SS]]`` → a naive datetime (no time zone is implied); None when
    ``value`` is not text of that form. Raises ``ValueError`` for an impossible date (31/02)."""
    match = DMY.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    d, m, y, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
    return datetime(y, m, d, hh, mm, ss)


@lru_cache(maxsize=4096)  # a file repeats a handful of words hundreds of thousands of times
def fold(text: str, slashes: bool = False) -> str:
    """Lower case without Vietnamese accents; spaces and hyphens (and with ``slashes``, slashes)
    as underscores."""
    text = unicodedata.normalize("NFD", text.strip().casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-/]+" if slashes else r"[\s\-]+", "_", text)


def alias_table(labels: Mapping[Any, tuple[str, ...]], extra: Mapping[str, str] | None = None,
                slashes: bool = False) -> dict[str, str]:
    """Folded spelling → code, for each code, its labels and the ``extra`` spellings."""
    table = {fold(str(code), slashes): str(code) for code in labels}
    for code, names in labels.items():
        table.update({fold(name, slashes): str(code) for name in names})
    table.update({fold(name, slashes): code for name, code in (extra or {}).items()})
    return table
