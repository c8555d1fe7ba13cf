"""What a spec-declared system's page shows besides its KPI tiles (:mod:`ioc.kpi.systems`).

Events (each over the local dates ``[start, end)`` of the selection's period and its filters):

- :func:`trend`: events, value sums and handling times per local day, week (from Monday) or
  month, from the day rows of the rollups;
- :func:`by_dimension`: events per code of one dimension;
- :func:`by_unit`: per current commune, every KPI of the spec that adds up per unit (count,
  sum, share, rate, median, p90), from ``system_rollup``; :func:`ranking` orders them best
  to worst by the spec's ``ranking`` KPI, following its direction;
- :func:`latest_events` / :func:`map_points`: the raw events, newest first (capped).

Indicators: :func:`indicator_table` (each indicator's latest value in the period, with its
target, rank, change against its previous period and citation) and :func:`indicator_series`.

Pure reads: no Dash, no labels (the pages label codes in the viewer's language).
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from ioc.domain.histogram import hist_percentile
from ioc.kpi.filters import Selection
from ioc.kpi.rollups import bucket_clause, check_freq, day_rows, resample_days
from ioc.kpi.systems import SECONDS, indicator_values
from ioc.store import schema_systems as ss
from ioc.store.frames import rows_frame
from ioc.store.table_builders import HIST_COLUMNS
from ioc.systems.records import SIMULATED
from ioc.systems.spec import Kpi, SystemSpec

#: KPI types that a commune's own rows give (``latest`` and ``change`` are city-wide only)
UNIT_KPI_TYPES = ("count", "sum", "share", "rate", "median", "p90")
EVENT_COLUMNS = ("external_id", "occurred_at", "unit_code", "district_code", "commune_code", "lat", "lon", "d1", "d2",
                 "d3", "value", "duration_h", "title")
TREND_MEASURES = ("n", "value_n", "value_sum", "dur_n", "dur_sum")


def _terms(table, sel: Selection) -> list:  # noqa: ANN001 - a SQLAlchemy table
    return [table.c[column] == value for column, value in sel.dims().items()]


def _rollup(sel: Selection):  # noqa: ANN202 - the city-wide rollup unless a unit is chosen
    unit = any(c in ("commune_code", "district_code") for c in sel.dims())
    return ss.system_rollup if unit else ss.system_rollup_all


def trend(engine: Engine, spec: SystemSpec, sel: Selection, freq: str) -> pd.DataFrame:
    """Per bucket (a local date: the day, the Monday of the week or the first of the month):
    ``n`` events, ``value_n`` / ``value_sum`` (their value), ``dur_n`` / ``dur_sum`` (handling
    time in hours); buckets without events are left out."""
    check_freq(freq)
    table = _rollup(sel)
    stmt = (select(table.c.bucket, *(func.sum(table.c[m]).label(m) for m in TREND_MEASURES))
            .where(table.c.system == spec.code, *day_rows(table, sel.period), *_terms(table, sel))
            .group_by(table.c.bucket).order_by(table.c.bucket))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt).all(), ["bucket", *TREND_MEASURES])
    for m in TREND_MEASURES:
        frame[m] = pd.to_numeric(frame[m]).fillna(0)
    frame = resample_days(frame, freq, measures=TREND_MEASURES)
    return frame.sort_values("bucket").reset_index(drop=True)


def _period_rows(engine: Engine, spec: SystemSpec, sel: Selection, keys: tuple[str, ...],
                 measures: tuple[str, ...]) -> pd.DataFrame:
    table = ss.system_rollup if any(k.endswith("_code") for k in keys) else _rollup(sel)
    stmt = (select(*(table.c[k] for k in keys), *(func.sum(table.c[m]).label(m) for m in measures))
            .where(table.c.system == spec.code, bucket_clause(table, sel.period), *_terms(table, sel))
            .group_by(*(table.c[k] for k in keys)))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt).all(), [*keys, *measures])
    for m in measures:
        frame[m] = pd.to_numeric(frame[m]).fillna(0)
    return frame


def by_dimension(engine: Engine, spec: SystemSpec, sel: Selection, name: str) -> pd.DataFrame:
    """Events per code (``key``) of dimension ``name``, most first (then by code); ``n`` and
    ``value_sum``. Events without a code have ``key`` ''."""
    column = spec.dimension(name).column
    frame = _period_rows(engine, spec, sel, (column,), ("n", "value_sum"))
    frame = frame.rename(columns={column: "key"})
    frame = frame[frame["n"] != 0]
    return frame.sort_values(["n", "key"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _mask(frame: pd.DataFrame, spec: SystemSpec, where: dict[str, tuple[str, ...]]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, codes in where.items():
        mask &= frame[spec.dimension(name).column].isin(codes)
    return mask


def unit_value(spec: SystemSpec, kpi: Kpi, rows: pd.DataFrame, elapsed_s: float) -> float | None:
    """KPI ``kpi`` over one unit's summed rollup ``rows`` (per d1..d3); ``elapsed_s``: the
    seconds of the period elapsed (rates). ``None``: no value (no denominator, no events)."""
    part = rows[_mask(rows, spec, kpi.where)]
    if kpi.type == "count":
        return float(part["n"].sum())
    if kpi.type == "sum":
        return float(part["value_sum"].sum()) if part["value_n"].sum() else None
    if kpi.type == "share":
        den = rows[_mask(rows, spec, kpi.of)]["n"].sum()
        return None if not den else float(part[_mask(part, spec, kpi.of)]["n"].sum() / den)
    if kpi.type == "rate":
        return None if elapsed_s <= 0 else float(part["n"].sum()) / (elapsed_s / SECONDS[kpi.per or "day"])
    if kpi.type in ("median", "p90"):
        counts = part[list(HIST_COLUMNS)].sum().to_numpy(dtype="int64")
        return hist_percentile(counts, 0.5 if kpi.type == "median" else 0.9)
    raise ValueError(f"{spec.code}.{kpi.name}: type {kpi.type!r} is not computed per unit")


def unit_kpis(spec: SystemSpec) -> tuple[Kpi, ...]:
    """The spec's KPIs that :func:`by_unit` gives per unit."""
    return tuple(k for k in spec.kpis if k.type in UNIT_KPI_TYPES)


def by_unit(engine: Engine, spec: SystemSpec, sel: Selection, tz: ZoneInfo, now: datetime,
            only: tuple[Kpi, ...] | None = None) -> pd.DataFrame:
    """One row per current commune with events in the period (``commune_code``; '' for events
    placed nowhere): ``n`` and a column per KPI of :func:`unit_kpis` (or those ``only``), most
    events first.

    Each KPI is one masked, grouped sum over the period's rollup rows (per commune × d1..d3), so
    a year of a million events costs the query and a few vector operations, whatever the
    number of communes (:func:`unit_value` gives the same numbers for one unit's rows). Only the
    measures the KPIs need are read: the ~100 histogram columns cost most of the query."""
    kpis = unit_kpis(spec) if only is None else only
    types = {k.type for k in kpis}
    measures = ("n", *(("value_n", "value_sum") if "sum" in types else ()),
                *(HIST_COLUMNS if types & {"median", "p90"} else ()))
    rows = _period_rows(engine, spec, sel, ("commune_code", *ss.DIM_COLUMNS), measures)
    start, end = sel.period.utc_bounds(tz)
    elapsed = max(0.0, (min(end, now) - start).total_seconds())
    columns = ["commune_code", "n", *(k.name for k in kpis)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    units = rows["commune_code"].astype(str)
    n = rows["n"].groupby(units).sum()
    out = pd.DataFrame({"commune_code": n.index, "n": n.to_numpy(dtype="float64")}, index=n.index)

    def summed(column: str, mask: pd.Series) -> pd.Series:
        return rows[column].where(mask, 0).groupby(units).sum().reindex(n.index, fill_value=0)

    for k in kpis:
        part = _mask(rows, spec, k.where)
        if k.type == "count":
            values = summed("n", part).astype("float64")
        elif k.type == "sum":
            values = summed("value_sum", part).astype("float64").where(summed("value_n", part) > 0)
        elif k.type == "share":
            of = _mask(rows, spec, k.of)
            den = summed("n", of)
            values = (summed("n", part & of) / den.where(den > 0)).astype("float64")
        elif k.type == "rate":
            count = summed("n", part).astype("float64")
            values = count / (elapsed / SECONDS[k.per or "day"]) if elapsed > 0 else count * float("nan")
        else:  # median, p90: one histogram per unit
            hist = rows[list(HIST_COLUMNS)].where(part, 0).groupby(units).sum().reindex(n.index, fill_value=0)
            q = 0.5 if k.type == "median" else 0.9
            values = pd.Series([hist_percentile(h, q) for h in hist.to_numpy(dtype="int64")], index=n.index,
                               dtype="float64")
        out[k.name] = [None if pd.isna(v) else float(v) for v in values]
    out = out[out["n"] > 0].reset_index(drop=True)[columns]
    return out.sort_values(["n", "commune_code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def ranking(frame: pd.DataFrame, spec: SystemSpec) -> pd.DataFrame:
    """The :func:`by_unit` rows ordered best to worst by ``spec.ranking`` (``lower`` is better:
    smallest first; otherwise largest first), units without a value last; a ``rank`` column
    (1 = best, ties share a rank)."""
    name = spec.ranking
    if name is None or name not in frame:
        raise ValueError(f"{spec.code}: no ranking KPI given per unit ({name!r})")
    lower = spec.kpi(name).direction == "lower"
    out = frame.copy()
    values = pd.to_numeric(out[name], errors="coerce")
    out["_v"] = values
    out = out.sort_values(["_v", "commune_code"], ascending=[lower, True], na_position="last", kind="stable")
    out["rank"] = out["_v"].rank(method="min", ascending=lower).astype("Int64")
    return out.drop(columns="_v").reset_index(drop=True)


def _events(engine: Engine, spec: SystemSpec, sel: Selection, tz: ZoneInfo, limit: int,
            located: bool = False) -> tuple[pd.DataFrame, int]:
    t = ss.system_events
    start, end = sel.period.utc_bounds(tz)
    terms = [t.c.system == spec.code, t.c.occurred_at >= start, t.c.occurred_at < end, *_terms(t, sel)]
    if located:
        terms += [t.c.lat.is_not(None), t.c.lon.is_not(None)]
    stmt = (select(*(t.c[c] for c in EVENT_COLUMNS)).where(*terms)
            .order_by(t.c.occurred_at.desc(), t.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt).all(), list(EVENT_COLUMNS))
    total = len(frame)
    if total >= limit:  # how many there are: from the rollups (a count over the raw rows reads a year of them)
        measure = "loc_n" if located else "n"
        total = int(_period_rows(engine, spec, sel, (), (measure,))[measure].sum())
    if not frame.empty:
        frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    return frame, total


def latest_events(engine: Engine, spec: SystemSpec, sel: Selection, tz: ZoneInfo, limit: int = 200
                  ) -> tuple[pd.DataFrame, int]:
    """The period's latest ``limit`` events (newest first; times naive UTC) and how many there are.
    ``title`` is as stored: the caller masks it for the reader."""
    return _events(engine, spec, sel, tz, limit)


def map_points(engine: Engine, spec: SystemSpec, sel: Selection, tz: ZoneInfo, limit: int = 5000
               ) -> tuple[pd.DataFrame, int]:
    """The period's latest ``limit`` events that have a position, and how many have one."""
    return _events(engine, spec, sel, tz, limit, located=True)


# --------------------------------------------------------------------------- indicators


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def indicator_table(engine: Engine, spec: SystemSpec, sel: Selection, unit: str = "") -> pd.DataFrame:
    """One row per indicator of ``spec`` (in the spec's order): its latest value among the
    periods starting in the selection's period (``period``, ``period_start``; None when none),
    ``target`` (the row's plan, else the spec's), ``rank`` / ``rank_of``, ``change`` (the
    value minus that of the indicator's previous stored period; None without one), ``citation``
    and ``simulated`` (a value a simulator wrote)."""
    with engine.connect() as conn:
        history = indicator_values(conn, spec, None, sel.period.end, unit)
    rows = []
    for term in spec.indicators:
        mine = history[history["indicator"] == term.code] if not history.empty else history
        inside = mine[mine["period_start"] >= sel.period.start] if len(mine) else mine
        row = {"indicator": term.code, "period": None, "period_start": None, "value": None, "target": term.target,
               "rank": None, "rank_of": None, "change": None, "citation": "", "simulated": False}
        if len(inside):
            last = inside.iloc[-1]
            earlier = mine[(mine["period_start"] < last["period_start"]) & mine["value"].notna()]
            value = _number(last["value"])
            row.update(period=last["period"], period_start=last["period_start"], value=value,
                       target=_number(last["target"]) if _number(last["target"]) is not None else term.target,
                       rank=None if _number(last["rank"]) is None else int(last["rank"]),
                       rank_of=None if _number(last["rank_of"]) is None else int(last["rank_of"]),
                       citation=str(last["citation"] or ""),
                       simulated=str(last["citation"] or "").strip().lower() == SIMULATED)
            if value is not None and len(earlier):
                row["change"] = value - float(earlier.iloc[-1]["value"])
        rows.append(row)
    return pd.DataFrame(rows, columns=["indicator", "period", "period_start", "value", "target", "rank", "rank_of",
                                       "change", "citation", "simulated"])


def indicator_series(engine: Engine, spec: SystemSpec, sel: Selection, unit: str = "") -> pd.DataFrame:
    """Every stored value of ``spec`` whose period starts in the selection's period, oldest
    first: ``indicator``, ``period``, ``period_start``, ``value``, ``target``, ``simulated``."""
    with engine.connect() as conn:
        frame = indicator_values(conn, spec, sel.period.start, sel.period.end, unit)
    frame = frame.assign(simulated=np.asarray([str(c or "").strip().lower() == SIMULATED for c in frame["citation"]],
                                              dtype=bool))
    return frame[["indicator", "period", "period_start", "value", "target", "simulated"]].reset_index(drop=True)


def kpi_periods(engine: Engine, spec: SystemSpec, sel: Selection, names: tuple[str, ...]
                ) -> dict[str, tuple[str, bool]]:
    """For each indicator KPI of ``names``: the period its value comes from (the latest starting
    in the selection with a value, or with a rank for a rank; a change: its KPI's) and whether a
    simulator wrote it. KPIs without such a row are left out."""
    with engine.connect() as conn:
        history = indicator_values(conn, spec, sel.period.start, sel.period.end)
    out: dict[str, tuple[str, bool]] = {}
    for name in names:
        kpi = spec.kpi(name)
        ref = spec.kpi(kpi.kpi) if kpi.type == "change" and kpi.kpi else kpi
        if history.empty or not ref.indicator:
            continue
        need = "rank" if ref.type == "rank" else "value"
        rows = history[(history["indicator"] == ref.indicator) & history[need].notna()]
        if len(rows):
            last = rows.iloc[-1]
            out[name] = (str(last["period"]), str(last["citation"] or "").strip().lower() == SIMULATED)
    return out
