"""Comparisons of a spec-declared system's KPIs with earlier periods (issue 16), derived from the
spec alone: a new spec file gets them with no code.

The rule of each KPI (:func:`spec_rule`) follows its ``type`` and ``direction``
(:mod:`ioc.kpi.compare` for the kinds):

- ``count`` → a count (relative change); ``sum``, ``rate`` (events per hour, day or week),
  ``median`` and ``p90`` (hours) → an amount (relative change); ``share`` → a rate (points);
- ``latest`` (the value of the latest event, or the latest published period of an indicator) →
  not compared by period: the latest value of an earlier period is a different instant, and an
  indicator's change against its own previous period is what a ``change`` KPI is for;
- ``change`` → not compared: it already is a change against the previous period;
- ``rank`` (indicator specs; 1 = best) → compared with the **previous published rank** of the
  same indicator, in places, not with the previous period of the selection: indices are
  published once a year, so "the same period a year before" holds no rank, or the same one.

A KPI without a ``direction`` is neutral (grey), except a rank, where fewer is better.

**Coverage.** An events spec's history starts on its first stored day (:func:`first_day`); an
indicator spec's KPI on the first period stored of *its* indicator (a monthly series that starts
in July 2023 does not cover 2023, even when yearly indices go back to 2006).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine, func, select

from ioc.kpi.compare import Direction, Kind, Rule
from ioc.kpi.filters import Selection
from ioc.kpi.systems import first_day, indicator_values
from ioc.kpi.systems_views import unit_kpis
from ioc.store import schema_systems as ss
from ioc.systems.spec import Kpi, SystemSpec

#: a KPI's type → the kind of its comparison
KINDS = {"count": Kind.COUNT, "sum": Kind.AMOUNT, "rate": Kind.AMOUNT, "median": Kind.AMOUNT,
         "p90": Kind.AMOUNT, "share": Kind.RATE, "latest": Kind.SNAPSHOT, "change": Kind.SNAPSHOT,
         "rank": Kind.RANK}


def spec_rule(kpi: Kpi) -> Rule:
    """The comparison rule of a spec's KPI (see the module); a clear error for an unknown type."""
    try:
        kind = KINDS[kpi.type]
    except KeyError:
        raise ValueError(f"KPI {kpi.name!r}: no comparison rule for type {kpi.type!r}") from None
    default = Direction.LOWER if kind == Kind.RANK else Direction.NEUTRAL
    return Rule(kind, Direction(kpi.direction) if kpi.direction else default)


def spec_rules(spec: SystemSpec) -> dict[str, Rule]:
    """KPI name → rule, for every KPI of ``spec``."""
    return {k.name: spec_rule(k) for k in spec.kpis}


def compared_by_period(spec: SystemSpec) -> tuple[str, ...]:
    """The KPIs compared with the previous period and the year before (not snapshots, not ranks)."""
    return tuple(name for name, rule in spec_rules(spec).items() if rule.kind not in (Kind.SNAPSHOT, Kind.RANK))


def history_starts(engine: Engine, spec: SystemSpec) -> dict[str, date | None]:
    """KPI name → the first local day its history covers (None: no data; see the module)."""
    with engine.connect() as conn:
        first = first_day(conn, spec)
        if spec.kind == "events":
            return {k.name: first for k in spec.kpis}
        t = ss.system_indicators
        rows = conn.execute(select(t.c.indicator, func.min(t.c.period_start))
                            .where(t.c.system == spec.code).group_by(t.c.indicator)).all()
    by_indicator = {name: value if isinstance(value, date) or value is None else date.fromisoformat(str(value)[:10])
                    for name, value in rows}
    return {k.name: by_indicator.get(k.indicator) if k.indicator else first for k in spec.kpis}


@dataclass(frozen=True)
class RankStep:
    """A rank KPI's latest published rank in the selection and the one published before it
    (``previous`` None: none stored); ``period`` / ``previous_period``: their periods (``2023``)."""

    rank: float | None
    period: str | None
    previous: float | None
    previous_period: str | None


def rank_steps(engine: Engine, spec: SystemSpec, sel: Selection) -> dict[str, RankStep]:
    """Each rank KPI's :class:`RankStep` (province-wide, as the tiles)."""
    names = [k for k in spec.kpis if k.type == "rank"]
    if not names:
        return {}
    with engine.connect() as conn:
        history = indicator_values(conn, spec, None, sel.period.end)
    out = {}
    for kpi in names:
        rows = history[(history["indicator"] == kpi.indicator) & history["rank"].notna()] if len(history) else history
        inside = rows[rows["period_start"] >= sel.period.start] if len(rows) else rows
        if inside.empty:
            out[kpi.name] = RankStep(None, None, None, None)
            continue
        current = inside.iloc[-1]
        before = rows[rows["period_start"] < current["period_start"]]
        last = before.iloc[-1] if len(before) else None
        out[kpi.name] = RankStep(float(current["rank"]), str(current["period"]),
                                 None if last is None else float(last["rank"]),
                                 None if last is None else str(last["period"]))
    return out


def unit_change_kpi(spec: SystemSpec) -> Kpi | None:
    """The KPI whose change the by-unit table and the ranking show: the spec's ``ranking`` KPI,
    else the first KPI given per unit (the table's sort column); None without one."""
    per_unit = unit_kpis(spec)
    ranked = [k for k in per_unit if k.name == spec.ranking]
    return (ranked or list(per_unit) or [None])[0]


def unit_previous(kpi: Kpi, now: pd.DataFrame, before: pd.DataFrame | None) -> list[float | None]:
    """Per row of ``now`` (a :func:`ioc.kpi.systems_views.by_unit` frame), ``kpi``'s value in the
    earlier period's frame ``before`` (None when not computed: all None). A unit without events
    then counted 0 (a count) and has no value otherwise."""
    if before is None:
        return [None] * len(now)
    values = dict(zip(before["commune_code"].astype(str), before[kpi.name], strict=True)) if len(before) else {}
    out: list[float | None] = []
    for code in now["commune_code"].astype(str):
        value = values.get(code, 0.0 if kpi.type == "count" else None)
        out.append(None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value))
    return out
