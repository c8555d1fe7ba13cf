"""KPIs of official warnings (CAP 1.2, :mod:`ioc.store.warnings`).

- ``in_force``: warnings concerning the city in force at ``now`` (status Actual), and their
  levels (:func:`ioc.domain.warnings.level_for`);
- ``worst_in_force``: the most severe of them (event, CAP severity, level, area, expiry);
- ``issued``: warnings (Alert and Update messages, status Actual, concerning the city) sent in
  the period, by CAP severity and by event; ``cancelled``: Cancel messages sent in the period;
- ``exercises``: messages of any other status (Exercise, Test, System, Draft) sent in it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.domain import warnings as rules
from ioc.domain.alert_rules import RANK
from ioc.kpi.filters import PERIOD
from ioc.kpi.periods import Period
from ioc.store import warnings as store

WARNINGS_FILTERS = (PERIOD,)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The registry's entry point (``python -m ioc kpi warnings``): the KPI set as a dict."""
    start, end = period.utc_bounds(tz)
    sent = store.warnings_between(engine, start, end, limit=100_000)
    actual = [r for r in sent if r.status == "Actual" and r.in_city]
    issued = [r for r in actual if r.msg_type in ("Alert", "Update")]
    live = [(r, rules.level_for(r.severity, r.urgency, r.certainty)) for r in store.in_force(engine, now)
            if r.status == "Actual" and r.in_city]
    live = [(r, level) for r, level in live if level is not None]
    worst = max(live, key=lambda x: (RANK[x[1]], x[0].sent), default=None)
    return {
        "in_force": len(live),
        "in_force_by_level": dict(Counter(level for _r, level in live)),
        "worst_in_force": None if worst is None else {
            "event": worst[0].event, "event_en": worst[0].event_en, "severity": worst[0].severity,
            "level": worst[1], "area": worst[0].area_desc, "expires": _iso(rules.ends_of(worst[0]))},
        "issued": len(issued),
        "issued_by_severity": dict(Counter(r.severity for r in issued)),
        "issued_by_event": dict(Counter(r.event or r.event_en for r in issued).most_common()),
        "cancelled": sum(1 for r in actual if r.msg_type == "Cancel"),
        "exercises": sum(1 for r in sent if r.status != "Actual"),
    }
