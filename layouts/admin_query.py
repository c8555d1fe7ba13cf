"""The Admin page's URL query string ⇄ filter values (pure: no Dash, no store).

``?from=2026-01-01&to=2026-07-01&level=district&unit=474&lang=en``

``from``/``to`` are local dates, the period is [from, to), exactly like
``python -m ioc kpi admin --from … --to … --level … --unit …``, so a link and a CLI call with
the same values give the same figures. A bad parameter falls back to its default and is
reported (a :class:`~layouts.query.QueryProblem` naming it); the page never breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from ioc.kpi.admin import LEVELS, AdminFilter
from ioc.kpi.periods import FilterError, Period, default_period, parse_date
from layouts.query import QueryProblem, _code, _single

FILTER_PARAMS = ("from", "to", "level", "unit")


@dataclass(frozen=True)
class AdminQuery:
    """Validated filter values; ``end`` is exclusive."""

    start: date
    end: date
    level: str | None = None
    unit: str | None = None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def filter(self) -> AdminFilter:
        return AdminFilter(self.period, level=self.level, unit=self.unit)

    def search(self, lang: str | None = None) -> str:
        """The query string (with ``?``) that reproduces this view."""
        params = [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        params += [(k, v) for k, v in (("level", self.level), ("unit", self.unit)) if v]
        if lang:
            params.append(("lang", lang))
        return "?" + urlencode(params)


def parse_admin_query(params: Mapping[str, object], today: date,
                      known_units: set[str] | None = None) -> tuple[AdminQuery, list[QueryProblem]]:
    """Validate the Admin page's query parameters; ``today`` is the local date (default period:
    the last 365 days). A ``unit`` not in ``known_units`` (when given) is reported and dropped."""
    problems: list[QueryProblem] = []
    default = default_period(today)
    start, end = default.start, default.end
    raw_from, raw_to = _single(params, "from"), _single(params, "to")
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if raw is None:
            continue
        try:
            value = parse_date(raw, name)
        except FilterError:
            problems.append(QueryProblem(name, raw[:80], "reason_date",
                                         (default.start if name == "from" else default.end).isoformat()))
            continue
        start, end = (value, end) if name == "from" else (start, value)
    try:
        Period(start, end)
    except FilterError:
        if end <= start:
            bad = "to" if raw_to is not None and not any(p.param == "to" for p in problems) else "from"
            reason = "reason_order" if bad == "to" else "reason_order_from"
        else:
            bad, reason = "from", "reason_too_long"
        problems.append(QueryProblem(bad, str(raw_to if bad == "to" else raw_from)[:80], reason, "default_period"))
        start, end = default.start, default.end
    level = _code(params, "level", problems, LEVELS)
    unit = _code(params, "unit", problems)
    if unit is not None and known_units is not None and unit not in known_units:
        problems.append(QueryProblem("unit", unit, "reason_choice", "default_all"))
        unit = None
    return AdminQuery(start, end, level, unit), problems
