"""The admin KPIs by level, unit, field and procedure; the unit ranking against the previous
period (units in force during the period, each with its QĐ 766 score); series; the queue of
dossiers about to go late or overdue; the map of one-stop centres in force at the period's end.

Same definitions as :mod:`ioc.kpi.admin` (rates by :func:`ioc.kpi.admin.with_rates`), so a
breakdown row and the KPI set filtered to that key always agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select

from ioc.domain.admin import score_766
from ioc.domain.admin_units import (
    PeriodUnit,
    commune_sources,
    one_stop_units,
    one_stop_units_between,
    unit_filter_column,
)
from ioc.domain.calendar import WorkCalendar
from ioc.kpi.admin import (
    KPI_NAMES,
    AdminFilter,
    D,
    admin_kpis,
    history_start,
    inputs_766,
    open_clauses,
    overdue_by,
    procedure_sums,
    rollup_sums,
    sum_columns,
    with_rates,
)
from ioc.kpi.compare import covered, elapsed_part
from ioc.kpi.filters import Selection
from ioc.kpi.periods import FilterError, Period, to_local
from ioc.kpi.rollups import bucket_clause, check_freq, resample_days
from ioc.store import schema
from ioc.store.db import load_units
from ioc.store.frames import rows_frame
from ioc.store.schema_admin import ADMIN_MEASURES, admin_procedures, admin_rollup

BREAKDOWNS = {"level": "level", "unit": "unit_code", "field": "field", "procedure": "procedure_code"}
RATE_COLUMNS = ("on_time_rate", "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate",
                "satisfaction_rate")
MIN_RESOLVED_TO_RANK = 10
P = admin_procedures
DUE_SOON_WORKING_DAYS = 2


def admin_breakdown(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime, by: str) -> pd.DataFrame:
    """Counts, ``overdue`` and rates per level / unit / field / procedure (``key``), largest first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown {by!r}: expected one of {', '.join(BREAKDOWNS)}")
    col = BREAKDOWNS[by]
    sums = rollup_sums(engine, flt, col) if by in ("level", "unit") else procedure_sums(engine, flt, col, tz)
    sums = sums[sums["received"] > 0].copy()
    overdue = overdue_by(engine, flt, tz, now, col)
    sums["overdue"] = sums["key"].map(overdue).fillna(0).astype("int64")
    return with_rates(sums).sort_values(["received", "key"], ascending=[False, True]).reset_index(drop=True)


def period_units(engine: Engine, period: Period) -> list[PeriodUnit]:
    """The one-stop units in force on some day of ``period`` (the store's units)."""
    with engine.connect() as conn:
        units = load_units(conn)
    return one_stop_units_between(units, period.start, period.end)


def _coverage_by_level(engine: Engine) -> dict[str, tuple[int, int]]:
    """(procedures offered online, procedures) of the catalogue per level."""
    online = func.sum(case((P.c.online_mode != "none", 1), else_=0))
    with engine.connect() as conn:
        rows = conn.execute(select(P.c.level, func.count(), func.coalesce(online, 0)).group_by(P.c.level)).all()
    return {level: (int(on), int(total)) for level, total, on in rows}


def unit_ranking(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime,
                 min_resolved: int = MIN_RESOLVED_TO_RANK) -> pd.DataFrame:
    """The one-stop units in force during the period (of the level filtered, or the unit
    filtered), ranked by on-time rate (then fewer late, then more received), with their QĐ 766
    score, the previous period of equal length and the change in points (``change`` = on-time
    rate now − before, a ratio difference; for a period still running, the same number of days of
    the previous one; ``prev_covered`` false and no previous figures when the
    stored history does not cover the previous period entirely, see :mod:`ioc.kpi.compare`). A unit is a GSO code: its name is that of its version
    in force last in the period (``former_names``: other names it bore in the period). Units
    with fewer than ``min_resolved`` resolved dossiers get no rank; units not in force during the
    period are not listed (their dossiers, if any, are not ranked)."""
    in_force = period_units(engine, flt.period)
    if flt.level:
        in_force = [p for p in in_force if p.unit.level == flt.level]
    if flt.unit and unit_filter_column(flt.unit) == "commune_code":
        # a current commune: its centre and the communes of the time it succeeds
        sources = set(commune_sources(flt.unit))
        in_force = [p for p in in_force if p.code in sources and p.unit.level == "commune"]
    elif flt.unit:
        in_force = [p for p in in_force if p.code == flt.unit]
    current = admin_breakdown(engine, flt, tz, now, "unit").set_index("key")
    # a running period against the same number of days of the previous one (ioc.kpi.compare)
    before = elapsed_part(flt.period, flt.period.previous(), to_local(now, tz).date())
    # a previous period the history does not cover entirely is not compared (issue 16: 2,352
    # dossiers against the 8 of the history's first day drew a red −3 points)
    prev_covered = covered(history_start(engine), before)
    previous = with_rates(rollup_sums(engine, flt.shifted(before), "unit_code")).set_index("key") \
        if prev_covered else pd.DataFrame(columns=["received", "on_time_rate"], dtype="float64")
    codes = pd.Index([p.code for p in in_force], dtype=object)
    out = pd.DataFrame(index=codes)
    out["name"] = [p.unit.name for p in in_force]
    out["former_names"] = [" / ".join(p.former_names) for p in in_force]
    out["level"] = [p.unit.level for p in in_force]
    out["parent_code"] = [p.unit.parent_code for p in in_force]
    for col in ("received", "resolved", "early", "on_time", "late", "in_progress", "overdue"):
        out[col] = current[col].reindex(codes).fillna(0).astype("int64") if col in current else 0
    for col in RATE_COLUMNS:
        out[col] = current[col].reindex(codes).astype("float64") if col in current else np.nan
    coverage = _coverage_by_level(engine)
    scores, measured = [], []
    for code, level in zip(codes, out["level"], strict=True):
        sums = {m: float(current.at[code, m]) if code in current.index else 0.0 for m in ADMIN_MEASURES}
        overdue = int(out.at[code, "overdue"])
        score = score_766(inputs_766(sums, overdue, *coverage.get(level, (0, 0))))
        scores.append(score.total_points if sums["received"] else np.nan)
        measured.append(score.measured_max_points if sums["received"] else 0)
    out["score_766"] = pd.Series(scores, index=codes, dtype="float64")
    out["score_766_max"] = pd.Series(measured, index=codes, dtype="int64")
    out["received_prev"] = previous["received"].reindex(codes).fillna(0).astype("int64") if prev_covered else \
        pd.Series(pd.NA, index=codes, dtype="Int64")
    out["on_time_rate_prev"] = previous["on_time_rate"].reindex(codes).astype("float64")
    out["prev_covered"] = prev_covered
    out["change"] = out["on_time_rate"] - out["on_time_rate_prev"]
    out = out.rename_axis("code").reset_index()
    rankable = out["resolved"] >= min_resolved
    ordered = out[rankable].sort_values(["on_time_rate", "late", "received", "code"],
                                        ascending=[False, True, False, True], kind="stable")
    out["rank"] = pd.Series(np.arange(1, len(ordered) + 1), index=ordered.index).reindex(out.index).astype("Int64")
    rest = out[~rankable].sort_values(["received", "code"], ascending=[False, True], kind="stable")
    return pd.concat([out.loc[ordered.index], rest]).reset_index(drop=True)


def admin_series(engine: Engine, flt: Selection, freq: str = "month", by: str | None = None) -> pd.DataFrame:
    """Measures and rates per day, week (from Monday) or month of local receipt, optionally per
    ``level`` or ``unit_code`` (column ``key``). Months read month rows where whole."""
    check_freq(freq)
    table = admin_rollup
    where = [bucket_clause(table, flt.period) if freq == "month" else
             (table.c.grain == "d") & (table.c.bucket >= flt.period.start) & (table.c.bucket < flt.period.end),
             *(table.c[c] == v for c, v in flt.dims().items())]
    keys = [table.c.bucket, *([table.c[by].label("key")] if by else [])]
    stmt = select(*keys, *sum_columns(table)).where(*where).group_by(*keys)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, ["bucket", *(["key"] if by else []), *ADMIN_MEASURES])
    frame = resample_days(frame, freq, ["bucket", *(["key"] if by else [])], ADMIN_MEASURES)
    return with_rates(frame.sort_values(["bucket", *(["key"] if by else [])]).reset_index(drop=True))


QUEUE_COLUMNS = ["source", "external_id", "procedure_code", "field", "level", "unit_code", "status", "channel",
                 "received_at", "due_at", "effective_due_at"]


def due_soon_limit(now: datetime, tz: ZoneInfo, calendar: WorkCalendar,
                   working_days: int = DUE_SOON_WORKING_DAYS) -> datetime:
    """The instant (naive UTC) ``working_days`` working days after ``now``: a dossier whose
    effective deadline falls before it is "about to go late"."""
    local = to_local(now, tz)
    due = calendar.add_working_days(local, working_days)
    return due.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def due_counts(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime,
               calendar: WorkCalendar) -> dict[str, int]:
    """Open dossiers overdue at ``now`` and those due within :data:`DUE_SOON_WORKING_DAYS`
    working days (not yet overdue)."""
    overdue = int(overdue_by(engine, flt, tz, now).iloc[0])
    soon = int(overdue_by(engine, flt, tz, due_soon_limit(now, tz, calendar)).iloc[0]) - overdue
    return {"overdue": overdue, "due_soon": soon}


def open_queue(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime, calendar: WorkCalendar,
               state: str = "due_soon", limit: int = 500) -> tuple[pd.DataFrame, dict[str, int]]:
    """Open dossiers ``due_soon`` (deadline within :data:`DUE_SOON_WORKING_DAYS` working days,
    not yet passed) or ``overdue``, earliest effective deadline first (at most ``limit``), and the
    totals ``{"overdue", "due_soon"}``. ``hours_left`` is negative when overdue (calendar hours)."""
    if state not in ("due_soon", "overdue"):
        raise ValueError(f"state {state!r}: expected due_soon or overdue")
    window = ([D.c.effective_due_at >= now, D.c.effective_due_at < due_soon_limit(now, tz, calendar)]
              if state == "due_soon" else [D.c.effective_due_at < now])
    stmt = (select(*(D.c[c] for c in QUEUE_COLUMNS), P.c.name)
            .select_from(D.outerjoin(P, P.c.code == D.c.procedure_code))
            .where(*open_clauses(flt, tz), *window).order_by(D.c.effective_due_at, D.c.external_id).limit(limit))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt).all(), [*QUEUE_COLUMNS, "procedure_name"])
    frame["procedure_name"] = frame["procedure_name"].fillna(frame["procedure_code"])
    for col in ("received_at", "due_at", "effective_due_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["state"] = state
    frame["hours_left"] = (frame["effective_due_at"] - pd.Timestamp(now)).dt.total_seconds() / 3600
    return frame, due_counts(engine, flt, tz, now, calendar)


def one_stop_centres(engine: Engine, period: Period, tz: ZoneInfo, now: datetime) -> pd.DataFrame:
    """The one-stop centres in force on the last day of ``period`` above the old commune level,
    with their position (for the map): the city's (provincial) centre, and the district centres
    before 1 July 2025 or the 40 commune centres from then. Volume, on-time rate and overdue over
    the period: by ``unit_code`` for the city's and district centres; for a commune centre, every
    commune-level dossier mapped to the commune (``commune_code``: before the change, those of
    the communes it succeeds)."""
    last = period.end - timedelta(days=1)
    with engine.connect() as conn:
        units = load_units(conn)
    centres = [u for u in one_stop_units(units, last) if u.lat is not None and u.lon is not None
               and (u.level != "commune" or last >= units.changeover)]
    by_unit = admin_breakdown(engine, AdminFilter(period), tz, now, "unit").set_index("key")
    by_commune = _breakdown_by(engine, AdminFilter(period, level="commune"), tz, now, "commune_code")
    rows = []
    for u in centres:
        source = by_commune if u.level == "commune" else by_unit
        have = u.code in source.index
        rows.append({"code": u.code, "name": u.name, "short_name": u.label, "level": u.level, "lat": u.lat,
                     "lon": u.lon, **{c: int(source.at[u.code, c]) if have else 0
                                      for c in ("received", "resolved", "late", "overdue")},
                     "on_time_rate": float(source.at[u.code, "on_time_rate"]) if have else np.nan})
    frame = pd.DataFrame(rows, columns=["code", "name", "short_name", "level", "lat", "lon", "received", "resolved",
                                        "late", "overdue", "on_time_rate"])
    frame["on_time_rate"] = frame["on_time_rate"].astype("float64")
    return frame.sort_values(["received", "code"], ascending=[False, True]).reset_index(drop=True)


def _breakdown_by(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime, column: str) -> pd.DataFrame:
    """:func:`admin_breakdown` by any column of the unit rollup (indexed by key)."""
    sums = rollup_sums(engine, flt, column)
    sums = sums[(sums["received"] > 0) & (sums["key"] != "")].copy()
    sums["overdue"] = sums["key"].map(overdue_by(engine, flt, tz, now, column)).fillna(0).astype("int64")
    return with_rates(sums).set_index("key")


def _records(frame: pd.DataFrame, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        item = {}
        for k in keys:
            v = row.get(k)
            if isinstance(v, float) and np.isnan(v):
                v = None
            elif isinstance(v, np.generic):
                v = v.item()
            item[k] = v
        out.append(item)
    return out


def known_unit(engine: Engine, code: str) -> bool:  # noqa: D103
    """Whether ``code`` is in the units table or has dossiers in the rollups."""
    with engine.connect() as conn:
        if conn.execute(select(schema.units.c.code).where(schema.units.c.code == code)).first():
            return True
        return conn.execute(select(admin_rollup.c.unit_code).where(admin_rollup.c.grain == "m",
                                                                  admin_rollup.c.unit_code == code).limit(1)).first() is not None


def _report_filter(engine: Engine, period: Period, filters: dict[str, str]) -> AdminFilter:
    flt = AdminFilter(period, level=filters.get("level"), unit=filters.get("unit"))
    if flt.unit is not None and not known_unit(engine, flt.unit):
        raise FilterError(f"unit: {flt.unit!r} is not a known unit code (see the units table, e.g. 19753 or 474)")
    return flt


def headline_report(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo,
                    now: datetime) -> dict[str, Any]:
    """:func:`kpi_report` without its breakdowns: the KPI set and ``score_766``, what the brief's
    and the scorecard's rows read (:attr:`ioc.family.Family.headline_kpis`; the four breakdowns
    are nine tenths of the report's cost)."""
    return admin_kpis(engine, _report_filter(engine, period, filters), tz, now).as_dict()


def kpi_report(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo,
               now: datetime) -> dict[str, Any]:
    """What ``python -m ioc kpi admin --json`` prints: the KPI set, ``score_766``, and the same
    KPIs ``by_level``, ``by_unit``, ``by_field`` and ``by_procedure`` (each a list with ``key``)."""
    flt = _report_filter(engine, period, filters)
    out = admin_kpis(engine, flt, tz, now).as_dict()
    keys = ("key", *KPI_NAMES)
    for by in BREAKDOWNS:
        out[f"by_{by}"] = _records(admin_breakdown(engine, flt, tz, now, by), keys)
    return out

