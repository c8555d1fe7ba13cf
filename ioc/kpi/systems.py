"""KPIs of a spec-declared system, computed from its rollups (events) or its values (indicators).

Events (definitions in docs/systems.md; each over the local dates ``[start, end)`` of the
period and the selection's filters, plus the KPI's own ``where``):

- ``count``: events; ``sum``: the sum of their ``value``;
- ``share``: count(where) ÷ count(of), a fraction 0–1 (shown as a percentage);
- ``rate``: count ÷ the hours, days or weeks of the period elapsed by ``now``;
- ``median`` / ``p90``: of the handling time in hours, from the rollups' log-scale histogram
  (relative error ≤ 4.9 %, :mod:`ioc.domain.histogram`), over the events that have one;
- ``latest``: the ``value`` of the latest event in the period (raw table, one index probe);
- ``change``: the KPI named by ``kpi`` minus its value over the previous period of the same
  length; ``None`` ("no comparison") when the data do not reach back to that period's start.

Indicators: ``latest`` is the indicator's value in the latest period that starts inside the
range (province-wide unless a unit is selected); ``rank`` its rank then (``rank_of`` beside it);
``sum`` the sum of its values over the periods starting inside the range; ``change`` as above,
against the indicator's previous period of its own frequency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.engine import Connection

from ioc.domain.histogram import hist_percentile
from ioc.kpi.filters import PERIOD, UNIT, Filter, Selection
from ioc.kpi.periods import Period
from ioc.kpi.rollups import bucket_clause
from ioc.store import schema_systems as ss
from ioc.store.frames import rows_frame
from ioc.store.table_builders import HIST_COLUMNS
from ioc.systems.spec import Kpi, SystemSpec

SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
MEASURES = ("n", "value_n", "value_sum", "dur_n", "dur_sum", *HIST_COLUMNS)


def filters_for(spec: SystemSpec) -> tuple[Filter, ...]:
    """The page's filter bar and the CLI's flags: the period, the unit, one per dimension (the
    first also answers ``--category`` when no dimension has that name)."""
    if spec.kind == "indicator":
        return (PERIOD,)
    names = {d.name for d in spec.dimensions}
    out: list[Filter] = [PERIOD, UNIT]
    for i, dim in enumerate(spec.dimensions):
        def label(code: str, lang: str, dim=dim) -> str:  # noqa: ANN001 - bound per dimension
            term = dim.term(code)
            return term.label(lang) if term else code

        out.append(Filter(dim.name, f"sys_{spec.code}_dim_{dim.name}", column=dim.column,
                          choices=None if dim.open else dim.codes, option_label=label,
                          aliases=("category",) if i == 0 and "category" not in names else ()))
    return tuple(out)


def filter_strings(spec: SystemSpec) -> dict[str, dict[str, str]]:
    """The filters' labels (i18n keys ``sys_<code>_dim_<name>``)."""
    return {lang: {f"sys_{spec.code}_dim_{d.name}": d.label(lang) for d in spec.dimensions} for lang in ("vi", "en")}


# --------------------------------------------------------------------------- events


def _where_terms(table: Any, spec: SystemSpec, where: dict[str, tuple[str, ...]]) -> list[Any]:
    terms = []
    for name, codes in where.items():
        column = table.c[spec.dimension(name).column]
        terms.append(column == codes[0] if len(codes) == 1 else column.in_(codes))
    return terms


def _selection_terms(table: Any, sel: Selection) -> list[Any]:
    return [table.c[column] == value for column, value in sel.dims().items()]


def _unit_filtered(sel: Selection) -> bool:
    return any(c in ("commune_code", "district_code") for c in sel.dims())


@lru_cache(maxsize=4)
def _summed(table: Any) -> tuple[Any, ...]:
    """The period query's columns (built once: ~120 ``sum`` expressions per call cost milliseconds)."""
    return (table.c.d1, table.c.d2, table.c.d3, *(func.sum(table.c[m]).label(m) for m in MEASURES))


def period_frame(conn: Connection, spec: SystemSpec, sel: Selection, period: Period) -> pd.DataFrame:
    """The period's summed measures per (d1, d2, d3): a few hundred rows at most."""
    table = ss.system_rollup if _unit_filtered(sel) else ss.system_rollup_all
    stmt = (select(*_summed(table))
            .where(table.c.system == spec.code, bucket_clause(table, period), *_selection_terms(table, sel))
            .group_by(table.c.d1, table.c.d2, table.c.d3))
    rows = conn.execute(stmt).all()
    # one float block for every measure (NULL → 0), built at once rather than column by column
    values = np.array([r[3:] for r in rows], dtype="float64").reshape(len(rows), len(MEASURES))
    frame = pd.DataFrame(np.nan_to_num(values, nan=0.0), columns=list(MEASURES))
    for i, column in enumerate(("d1", "d2", "d3")):
        frame.insert(i, column, [r[i] for r in rows])
    return frame


def _mask(frame: pd.DataFrame, spec: SystemSpec, where: dict[str, tuple[str, ...]]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for name, codes in where.items():
        mask &= frame[spec.dimension(name).column].isin(codes).to_numpy()
    return mask


def _elapsed_seconds(period: Period, tz: ZoneInfo, now: datetime) -> float:
    start, end = period.utc_bounds(tz)
    return max(0.0, (min(end, now) - start).total_seconds())


def _latest_value(conn: Connection, spec: SystemSpec, sel: Selection, period: Period, tz: ZoneInfo,
                  where: dict[str, tuple[str, ...]]) -> float | None:
    """The value of the latest matching event (the highest id among those of that instant).

    Two probes of ``ix_system_events_time``: the latest instant, walking the index backwards
    (its order, so no sort: a single ``ORDER BY occurred_at, id`` made PostgreSQL without
    statistics, as after a bulk load, sort a whole year), then that instant's rows."""
    t = ss.system_events
    start, end = period.utc_bounds(tz)
    terms = [t.c.system == spec.code, t.c.value.is_not(None), *_selection_terms(t, sel), *_where_terms(t, spec, where)]
    last = conn.execute(select(t.c.occurred_at).where(*terms, t.c.occurred_at >= start, t.c.occurred_at < end)
                        .order_by(t.c.occurred_at.desc()).limit(1)).scalar()
    if last is None:
        return None
    value = conn.execute(select(t.c.value).where(*terms, t.c.occurred_at == last)
                         .order_by(t.c.id.desc()).limit(1)).scalar()
    return None if value is None else float(value)


def _event_kpi(conn: Connection, spec: SystemSpec, kpi: Kpi, frame: pd.DataFrame, sel: Selection,
               period: Period, tz: ZoneInfo, now: datetime) -> float | None:
    # numpy on the few rows' columns: masking the whole ~120-column frame per KPI cost ~10 ms
    mask = _mask(frame, spec, kpi.where)
    n = frame["n"].to_numpy()
    if kpi.type == "count":
        return float(n[mask].sum())
    if kpi.type == "sum":
        return float(frame["value_sum"].to_numpy()[mask].sum()) if frame["value_n"].to_numpy()[mask].sum() else None
    if kpi.type == "share":
        of = _mask(frame, spec, kpi.of)
        den = n[of].sum()
        return None if not den else float(n[mask & of].sum() / den)
    if kpi.type == "rate":
        seconds = _elapsed_seconds(period, tz, now)
        return None if seconds <= 0 else float(n[mask].sum()) / (seconds / SECONDS[kpi.per or "day"])
    if kpi.type in ("median", "p90"):
        counts = frame[list(HIST_COLUMNS)].to_numpy(dtype="int64")[mask].sum(axis=0)
        return hist_percentile(counts, 0.5 if kpi.type == "median" else 0.9)
    if kpi.type == "latest":
        return _latest_value(conn, spec, sel, period, tz, kpi.where)
    raise ValueError(f"{spec.code}.{kpi.name}: type {kpi.type!r} is not computed here")


def first_day(conn: Connection, spec: SystemSpec) -> date | None:
    """The first local date with data of ``spec`` (None: no data)."""
    if spec.kind == "events":
        t = ss.system_rollup_all
        value = conn.execute(select(func.min(t.c.bucket)).where(t.c.system == spec.code, t.c.grain == "d")).scalar()
    else:
        t = ss.system_indicators
        value = conn.execute(select(func.min(t.c.period_start)).where(t.c.system == spec.code)).scalar()
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def event_kpis(conn: Connection, spec: SystemSpec, sel: Selection, tz: ZoneInfo, now: datetime,
               names: tuple[str, ...] | None = None) -> dict[str, float | None]:
    """``spec``'s KPIs (or those ``names``) over ``sel``."""
    wanted = [k for k in spec.kpis if names is None or k.name in names]
    refs = {k.kpi for k in wanted if k.type == "change"}
    needed = [k for k in spec.kpis if k.type != "change" and (names is None or k.name in names or k.name in refs)]
    frame = period_frame(conn, spec, sel, sel.period)
    values = {k.name: _event_kpi(conn, spec, k, frame, sel, sel.period, tz, now) for k in needed}
    changes = [k for k in wanted if k.type == "change"]
    if changes:
        previous = sel.period.previous()
        first = first_day(conn, spec)
        covered = first is not None and first <= previous.start
        before = period_frame(conn, spec, sel, previous) if covered else None
        for k in changes:
            ref = spec.kpi(k.kpi)
            now_value = values[ref.name]
            if before is None or now_value is None:
                values[k.name] = None
                continue
            old = _event_kpi(conn, spec, ref, before, sel, previous, tz, now)
            values[k.name] = None if old is None else now_value - old
    return {k.name: values[k.name] for k in wanted}


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class IndicatorValue:
    indicator: str
    period: str
    period_start: date
    value: float | None
    target: float | None
    rank: int | None
    rank_of: int | None
    citation: str


def indicator_values(conn: Connection, spec: SystemSpec, start: date | None = None, end: date | None = None,
                     unit: str = "") -> pd.DataFrame:
    """Stored values of ``spec`` whose period starts in ``[start, end)``, oldest first."""
    t = ss.system_indicators
    terms = [t.c.system == spec.code, t.c.unit_code == unit]
    if start is not None:
        terms.append(t.c.period_start >= start)
    if end is not None:
        terms.append(t.c.period_start < end)
    rows = conn.execute(select(t.c.indicator, t.c.period, t.c.frequency, t.c.period_start, t.c.value, t.c.target,
                               t.c.rank, t.c.rank_of, t.c.citation, t.c.source)
                        .where(and_(*terms)).order_by(t.c.period_start, t.c.indicator)).all()
    frame = rows_frame(rows, ["indicator", "period", "frequency", "period_start", "value", "target",
                       "rank", "rank_of", "citation", "source"])
    if not frame.empty:
        frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


def _latest_row(frame: pd.DataFrame, indicator: str, need: str) -> Any:
    rows = frame[(frame["indicator"] == indicator) & frame[need].notna()]
    return None if rows.empty else rows.iloc[-1]


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def indicator_kpis(conn: Connection, spec: SystemSpec, sel: Selection, names: tuple[str, ...] | None = None
                   ) -> dict[str, float | None]:
    wanted = [k for k in spec.kpis if names is None or k.name in names]
    period = sel.period
    history = indicator_values(conn, spec, None, period.end)
    inside = history[history["period_start"] >= period.start] if not history.empty else history
    out: dict[str, float | None] = {}

    def value_of(kpi: Kpi) -> float | None:
        if inside.empty:
            return None
        if kpi.type == "latest":
            row = _latest_row(inside, kpi.indicator, "value")
            return None if row is None else _num(row["value"])
        if kpi.type == "rank":
            row = _latest_row(inside, kpi.indicator, "rank")
            return None if row is None else _num(row["rank"])
        if kpi.type == "sum":
            rows = inside[(inside["indicator"] == kpi.indicator) & inside["value"].notna()]
            return float(rows["value"].sum()) if len(rows) else None
        raise ValueError(kpi.type)

    for k in wanted:
        if k.type != "change":
            out[k.name] = value_of(k)
            continue
        ref = spec.kpi(k.kpi)
        need = "rank" if ref.type == "rank" else "value"
        rows = history[(history["indicator"] == ref.indicator) & history[need].notna()] if not history.empty else history
        latest = rows[rows["period_start"] >= period.start] if len(rows) else rows
        if latest.empty or ref.type == "sum":
            out[k.name] = None if latest.empty or ref.type != "sum" else _sum_change(history, ref, period)
            continue
        current = latest.iloc[-1]
        earlier = rows[rows["period_start"] < current["period_start"]]
        out[k.name] = None if earlier.empty else float(current[need]) - float(earlier.iloc[-1][need])
    return {k.name: out[k.name] for k in wanted}


def _sum_change(history: pd.DataFrame, kpi: Kpi, period: Period) -> float | None:
    previous = period.previous()
    rows = history[(history["indicator"] == kpi.indicator) & history["value"].notna()]
    now_rows = rows[rows["period_start"] >= period.start]
    old_rows = rows[(rows["period_start"] >= previous.start) & (rows["period_start"] < previous.end)]
    if now_rows.empty or old_rows.empty:
        return None
    return float(now_rows["value"].sum()) - float(old_rows["value"].sum())


# --------------------------------------------------------------------------- the family's KPI set


def kpis(engine: Engine, spec: SystemSpec, sel: Selection, tz: ZoneInfo, now: datetime,
         names: tuple[str, ...] | None = None) -> dict[str, float | None]:
    """``spec``'s KPIs over ``sel`` keyed by the spec's KPI names."""
    with engine.connect() as conn:
        if spec.kind == "indicator":
            return indicator_kpis(conn, spec, sel, names)
        return event_kpis(conn, spec, sel, tz, now, names)


def family_kpis(spec: SystemSpec, engine: Engine, period: Period, filters: dict[str, Any], tz: ZoneInfo,
                now: datetime, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The CLI's ``kpi CODE`` (:attr:`ioc.family.Family.kpis`); with ``names``, those KPIs alone
    (the spec's ``overview``: :attr:`ioc.family.Family.headline_kpis`, the brief's and the
    scorecard's rows, a third of the cost, since a ``latest`` or ``change`` KPI costs queries of
    its own)."""
    sel = Selection.of(filters_for(spec), period, **filters)
    return kpis(engine, spec, sel, tz, now, names)

