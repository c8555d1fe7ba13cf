"""The leaders' scorecard (issue #16): every family's headline KPIs for a month, a quarter or a
year, with the data a leader reviews them by, in no language yet.

- The KPIs, their changes against the previous period and a year before, are a brief's
  (:func:`ioc.brief.collect_brief`): the same KPI sets, comparison rules and coverage as the pages
  and the PDF brief, so the three never disagree.
- **Trend**: the same KPI set over the twelve periods of the same grain ending with the chosen
  one (:data:`SPARK_PERIODS`), for the families whose KPIs have comparison rules (a snapshot KPI,
  counted at *now*, has no history and gets none). A period the stored history does not cover
  entirely is left empty rather than drawn as a dip; one still running is marked provisional.
- **Rankings** of the units for the period, best and worst, with their change against the
  previous period (:mod:`ioc.kpi.rankings`, the brief's too): the TTHC one-stop units and the units
  handling citizens' reports, by on-time rate.
- **Provincial indices**: the latest published value of each Overview KPI of the ``indicator``
  systems (PCI, PAPI, PAR INDEX, DTI ranks…) up to the period's end, with the value before it.

Periods are named as the indicators' files name them: ``2026-11``, ``2026-Q4``, ``2026``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ioc.kpi.periods import Period, to_local

log = logging.getLogger(__name__)

GRAINS = ("month", "quarter", "year")
#: periods in a KPI's trend, the chosen one included
SPARK_PERIODS = 12
_KEY = re.compile(r"^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?$")


class ScorecardError(ValueError):
    """A scorecard that cannot be made as asked; the message names the parameter and why."""


@dataclass(frozen=True, order=True)
class ScorePeriod:
    """A month (``2026-11``), a quarter (``2026-Q4``) or a year (``2026``) of local dates."""

    year: int
    index: int  # month 1–12, quarter 1–4, or 1 for a year
    grain: str

    @classmethod
    def parse(cls, text: str) -> ScorePeriod:
        match = _KEY.match(str(text).strip().upper())
        if not match:
            raise ScorecardError(f"period {str(text)[:20]!r}: expected YYYY-MM, YYYY-Qn or YYYY")
        year, part = int(match.group(1)), match.group(2)
        if not 2000 <= year <= 2100:
            raise ScorecardError(f"period {text!r}: the year is outside 2000–2100")
        if part is None:
            return cls(year, 1, "year")
        if part.startswith("Q"):
            return cls(year, int(part[1]), "quarter")
        return cls(year, int(part), "month")

    @classmethod
    def containing(cls, day: date, grain: str) -> ScorePeriod:
        if grain not in GRAINS:
            raise ScorecardError(f"grain {grain!r}: expected one of {', '.join(GRAINS)}")
        if grain == "year":
            return cls(day.year, 1, grain)
        if grain == "quarter":
            return cls(day.year, (day.month - 1) // 3 + 1, grain)
        return cls(day.year, day.month, grain)

    @property
    def per_year(self) -> int:
        return {"month": 12, "quarter": 4, "year": 1}[self.grain]

    @property
    def key(self) -> str:
        if self.grain == "year":
            return f"{self.year}"
        if self.grain == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"

    @property
    def period(self) -> Period:
        months = 12 // self.per_year
        first = (self.index - 1) * months  # months since January
        start = date(self.year, first + 1, 1)
        after = first + months
        return Period(start, date(self.year + after // 12, after % 12 + 1, 1))

    def shifted(self, steps: int) -> ScorePeriod:
        """The period ``steps`` periods later (negative: earlier)."""
        n = self.year * self.per_year + self.index - 1 + steps
        return ScorePeriod(n // self.per_year, n % self.per_year + 1, self.grain)


@dataclass(frozen=True)
class TrendPoint:
    """One period of a family's trend: its KPI set (None: the stored history does not cover the
    period entirely, or it lies ahead) and whether it is still running."""

    when: ScorePeriod
    kpis: Mapping[str, Any] | None
    provisional: bool = False


@dataclass(frozen=True)
class IndexValue:
    """A provincial index or indicator of an ``indicator`` system: its latest published value up
    to the period's end and the one before it (``previous``), with their periods (``2024``)."""

    family: str
    kpi: str  # the spec's KPI name
    kind: str  # rank | latest
    value: float | None
    period: str | None
    previous: float | None
    previous_period: str | None
    rank_of: float | None
    direction: str  # higher | lower (a rank: lower is better)


@dataclass(frozen=True)
class Scorecard:
    when: ScorePeriod
    brief: Any  # ioc.brief.Brief over when.period
    trends: Mapping[str, tuple[TrendPoint, ...]]  # family code → twelve periods, oldest first
    rankings: tuple[Any, ...]  # ioc.kpi.rankings.Ranking, the brief's
    indices: tuple[IndexValue, ...]


def collect_scorecard(engine: Engine, settings: Any, when: ScorePeriod, *, simulated: bool, now: datetime,
                      families: Any = None) -> Scorecard:
    """Read the scorecard of ``when`` (``now``: naive UTC). A family whose KPIs fail is reported
    by the brief (its row says so); its trend is left empty."""
    from ioc.brief import collect_brief
    from ioc.kpi.compare import Kind
    from ioc.registry import registry

    fams = tuple(families if families is not None else registry().families)
    tz = settings.tz
    today = to_local(now, tz).date()
    brief = collect_brief(engine, settings, when.period, {}, simulated=simulated, now=now, families=fams)
    trends: dict[str, tuple[TrendPoint, ...]] = {}
    for fam, fb in zip(fams, brief.families, strict=True):
        rules = fb.rules or {}  # None: the family is not compared by period (nor drawn over periods)
        if fb.error or fb.bases is None or not any(r.kind not in (Kind.SNAPSHOT, Kind.RANK) for r in rules.values()):
            continue
        start = fb.history_start
        points = []
        for step in range(-(SPARK_PERIODS - 1), 1):
            p = when.shifted(step)
            period = p.period
            if step == 0:
                kpis = fb.kpis
            elif start is None or start > period.start or period.start > today:
                kpis = None
            else:
                kpis = fam.headline(engine, period, {}, tz, now)
            points.append(TrendPoint(p, kpis, period.start <= today < period.end))
        trends[fam.code] = tuple(points)
    return Scorecard(when, brief, trends, brief.rankings, _indices(engine, when.period, fams))


def _indices(engine: Engine, period: Period, fams: tuple[Any, ...]) -> tuple[IndexValue, ...]:
    """Each Overview KPI of the ``indicator`` systems that reads a published value (a rank or the
    latest value): its last value published for a period starting before ``period`` ends."""
    from ioc.kpi.systems import indicator_values

    out: list[IndexValue] = []
    for fam in fams:
        spec = getattr(fam, "spec", None)
        if spec is None or spec.kind != "indicator":
            continue
        try:
            with engine.connect() as conn:
                history = indicator_values(conn, spec, None, period.end)
        except Exception:  # noqa: BLE001 - one system's failure must not lose the scorecard
            log.exception("scorecard: the indicators of %s failed", fam.code)
            continue
        for name in spec.overview:
            kpi = next((k for k in spec.kpis if k.name == name), None)
            if kpi is None or kpi.type not in ("rank", "latest"):
                continue
            need = "rank" if kpi.type == "rank" else "value"
            rows = history[(history["indicator"] == kpi.indicator) & history[need].notna()] \
                if not history.empty else history
            rows = rows.sort_values("period_start", kind="stable") if len(rows) else rows
            last = rows.iloc[-1] if len(rows) else None
            before = rows.iloc[-2] if len(rows) > 1 else None
            direction = "lower" if kpi.type == "rank" else (kpi.direction or "higher")
            out.append(IndexValue(
                fam.code, name, kpi.type,
                None if last is None else float(last[need]), None if last is None else str(last["period"]),
                None if before is None else float(before[need]), None if before is None else str(before["period"]),
                None if last is None or "rank_of" not in rows or pd.isna(last["rank_of"]) else float(last["rank_of"]),
                direction))
    return tuple(out)
