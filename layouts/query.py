"""The Feedback page's URL query string ⇄ filter values (pure: no Dash, no store).

``?from=2026-01-01&to=2026-11-27&district=474&category=lighting&channel=hue_s&lang=en``

``from`` and ``to`` are local dates and the period is [from, to), exactly like
``python -m ioc kpi feedback --from … --to …`` and the KPI layer, so a link and a CLI call
with the same values give the same figures. A bad parameter never breaks the page: it falls
back to its default and is reported as a :class:`QueryProblem` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from ioc.domain.feedback import CHANNELS
from ioc.i18n import LANGS, t
from ioc.kpi.feedback import FeedbackFilter
from ioc.kpi.periods import FilterError, Period, default_period, parse_date

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
FILTER_PARAMS = ("from", "to", "district", "category", "channel")


@dataclass(frozen=True)
class FeedbackQuery:
    """Validated filter values. ``end`` is exclusive (the day after the last day shown)."""

    start: date
    end: date
    district: str | None = None
    category: str | None = None
    channel: str | None = None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def last_day(self) -> date:
        """The last local date included (what a date picker shows)."""
        return self.end - timedelta(days=1)

    def filter(self) -> FeedbackFilter:
        return FeedbackFilter(self.period, district=self.district, category=self.category, channel=self.channel)

    def search(self, lang: str | None = None) -> str:
        """The query string (with its leading ``?``) that reproduces this view."""
        params: list[tuple[str, str]] = [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        params += [(k, v) for k, v in (("district", self.district), ("category", self.category),
                                         ("channel", self.channel)) if v]
        if lang:
            params.append(("lang", lang))
        return "?" + urlencode(params)


@dataclass(frozen=True)
class QueryProblem:
    """A parameter we could not use: its name, what it said, why (an i18n key), and the default."""

    param: str
    value: str
    reason: str
    default: str

    def message(self, lang: str) -> str:
        default = t(self.default, lang) if self.default.startswith("default_") else self.default
        return t("bad_param", lang, name=self.param, value=self.value, reason=t(self.reason, lang), default=default)


def _single(params: Mapping[str, object], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):  # ?district=474&district=479: we take one, the last
        value = value[-1] if value else ""
    text = str(value).strip()
    return text or None


def _code(params: Mapping[str, object], name: str, problems: list[QueryProblem],
          allowed: tuple[str, ...] | None = None) -> str | None:
    value = _single(params, name)
    if value is None:
        return None
    if not _CODE.match(value):
        problems.append(QueryProblem(name, value[:80], "reason_code", "default_all"))
        return None
    if allowed is not None and value not in allowed:
        problems.append(QueryProblem(name, value, "reason_choice", "default_all"))
        return None
    return value


def parse_feedback_query(params: Mapping[str, object], today: date) -> tuple[FeedbackQuery, list[QueryProblem]]:
    """Validate the Feedback page's query parameters (as Dash pages passes them).

    ``today`` is the local date; the default period is the last 365 days up to today.
    Returns the values to use and the problems found (empty when every parameter was good).
    """
    problems: list[QueryProblem] = []
    default = default_period(today)
    start, end = default.start, default.end
    raw_from, raw_to = _single(params, "from"), _single(params, "to")
    if raw_from is not None:
        try:
            start = parse_date(raw_from, "from")
        except FilterError:
            problems.append(QueryProblem("from", raw_from[:80], "reason_date", default.start.isoformat()))
    if raw_to is not None:
        try:
            end = parse_date(raw_to, "to")
        except FilterError:
            problems.append(QueryProblem("to", raw_to[:80], "reason_date", default.end.isoformat()))
    try:
        Period(start, end)
    except FilterError:
        if end <= start:  # blame 'to' when the URL gave one, else the 'from' that is past the default end
            bad = "to" if raw_to is not None and not any(p.param == "to" for p in problems) else "from"
            reason = "reason_order" if bad == "to" else "reason_order_from"
        else:
            bad, reason = "from", "reason_too_long"
        value = raw_to if bad == "to" else raw_from
        problems.append(QueryProblem(bad, str(value)[:80], reason, "default_period"))
        start, end = default.start, default.end
    query = FeedbackQuery(
        start=start,
        end=end,
        district=_code(params, "district", problems),
        category=_code(params, "category", problems),
        channel=_code(params, "channel", problems, CHANNELS),
    )
    return query, problems


def parse_lang(params: Mapping[str, object], *fallbacks: str | None) -> tuple[str, QueryProblem | None]:
    """The page language: ``lang`` from the URL, else the first usable fallback, else ``vi``."""
    fallback = next((f for f in fallbacks if f in LANGS), "vi")
    raw = _single(params, "lang")
    if raw is None:
        return fallback, None
    if raw.lower() in LANGS:
        return raw.lower(), None
    return fallback, QueryProblem("lang", raw[:20], "reason_choice", fallback)


def with_dates(query: FeedbackQuery, start: date, last_day: date) -> FeedbackQuery:
    """The same filters over local dates ``start`` … ``last_day`` inclusive."""
    return replace(query, start=start, end=last_day + timedelta(days=1))


PRESETS = ("7", "30", "90", "365", "month", "year")


def preset_dates(preset: str, today: date) -> tuple[date, date] | None:
    """[start, end) of a named period ending today (local dates); None for 'custom'."""
    end = today + timedelta(days=1)
    if preset in ("7", "30", "90", "365"):
        return end - timedelta(days=int(preset)), end
    if preset == "month":
        return today.replace(day=1), end
    if preset == "year":
        return today.replace(month=1, day=1), end
    return None


def match_preset(start: date, end: date, today: date) -> str:
    """The preset that gives exactly [start, end) today, else 'custom'."""
    for preset in PRESETS:
        if preset_dates(preset, today) == (start, end):
            return preset
    return "custom"
