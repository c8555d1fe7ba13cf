"""Traffic KPIs: one definition each, used by the pages, the CLI and the exports alike.

Over violations *detected* in a period of local dates [from, to) (Asia/Ho_Chi_Minh by
default), optionally filtered by unit (a current commune, or a district-level unit before 1 July 2025), violation type, vehicle
class and channel (camera | citizen); ``python -m ioc kpi traffic --json`` prints exactly:

- ``violations``: number of violations detected (every status, dismissed included);
- ``by_type`` / ``by_vehicle``: ``{code: violations}``, largest first, zero counts left out;
- ``verified_rate`` = violations verified by a reviewer (status verified, notice_sent or
  paid) ÷ violations; ``None`` without violations;
- ``fines_issued_vnd``: Σ ``fine_vnd`` (VND) over violations whose fine was issued (status
  notice_sent or paid), out-of-range fines included as recorded (they are counted apart);
- ``fines_collected_vnd``: Σ ``fine_vnd`` (VND) over paid violations;
- ``collection_rate`` = fines_collected_vnd ÷ fines_issued_vnd (money, not counts);
  ``None`` when nothing was issued;
- ``median_hours_to_notice``: median of notice_sent_at − detected_at in hours over issued
  violations with a notice time. Exact (mean of the two middle values for an even count), from
  the raw rows, when the period holds at most :data:`EXACT_MEDIAN_MAX` violations before
  filters; above that, from the rollups' log histogram (nearest rank, relative error
  ≤ 4.9 %), so a year at 2,000,000 violations stays within a few tens of milliseconds;
- ``satisfaction_rate`` = (satisfied + acceptable) ÷ rated, over *citizen-reported*
  violations with a rating (as published: 93.8 % in H1 2023); ``None`` without ratings;
- ``fine_out_of_range``: violations whose ``fine_vnd`` lies outside the legal range of the
  decree in force on their local detection date (100/2019 as amended by 123/2021 through
  2024-12-31, 168/2024 from 2025-01-01), any status;
- ``invalid_plates``: violations with a plate that cannot be read as a Vietnamese plate (an
  empty plate is *missing*, not invalid, and is not counted);
- ``top_cameras``: the :data:`TOP_CAMERAS` cameras with the most violations, as
  ``[{"camera": code, "name": name, "violations": n}, …]``, ties by camera code.

Everything but the exact median comes from the rollups (month buckets for whole months, day
buckets at the edges): the province-wide rollup without a unit filter, the unit
rollup with one; ``top_cameras`` from the camera rollup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, desc, func, select

from ioc.domain.histogram import hist_percentile
from ioc.domain.traffic import VehicleClass, ViolationType, vehicle_label, violation_label
from ioc.domain.traffic_records import CHANNELS, ISSUED_STATUSES, VERIFIED_STATUSES
from ioc.kpi.filters import PERIOD, UNIT, Filter, Selection
from ioc.kpi.periods import Period
from ioc.kpi.rollups import bucket_clause, ratio, summed
from ioc.store import schema_traffic as st
from ioc.store.frames import rows_frame

R = st.traffic_rollup
RA = st.traffic_rollup_all
C = st.traffic_camera_rollup
T = st.traffic_violations
CAM = st.traffic_cameras

KPI_NAMES = ("violations", "by_type", "by_vehicle", "verified_rate", "fines_issued_vnd", "fines_collected_vnd",
             "collection_rate", "median_hours_to_notice", "satisfaction_rate", "fine_out_of_range",
             "invalid_plates", "top_cameras")
TOP_CAMERAS = 10
EXACT_MEDIAN_MAX = 50_000
SUMMED = (*st.TRAFFIC_COUNTS, *st.TRAFFIC_MONEY, "notice_hours_sum")


VIOLATION_TYPE = Filter("violation_type", "traffic_type", url_key="type", column="violation_type",
                        choices=tuple(str(v) for v in ViolationType), aliases=("category",),
                        option_label=lambda code, lang: violation_label(code, "en" if lang == "en" else "vi"))
VEHICLE_CLASS = Filter("vehicle_class", "traffic_vehicle", url_key="vehicle", column="vehicle_class",
                       choices=tuple(str(v) for v in VehicleClass),
                       option_label=lambda code, lang: vehicle_label(code, "en" if lang == "en" else "vi"))
TRAFFIC_CHANNEL = Filter("channel", "traffic_channel", column="channel", choices=CHANNELS)
TRAFFIC_FILTERS = (PERIOD, UNIT, VIOLATION_TYPE, VEHICLE_CLASS, TRAFFIC_CHANNEL)
# TrafficFilter(period, unit=…, violation_type=…, vehicle_class=…, channel=…): a Selection
TrafficFilter = partial(Selection.of, TRAFFIC_FILTERS)


@dataclass(frozen=True)
class TrafficKpis:
    violations: int
    by_type: dict[str, int]
    by_vehicle: dict[str, int]
    verified_rate: float | None
    fines_issued_vnd: int
    fines_collected_vnd: int
    collection_rate: float | None
    median_hours_to_notice: float | None
    satisfaction_rate: float | None
    fine_out_of_range: int
    invalid_plates: int
    top_cameras: list[dict[str, Any]]
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The KPI set keyed by the issue's names (what ``kpi traffic --json`` prints)."""
        return {name: getattr(self, name) for name in KPI_NAMES}


def dim_clauses(flt: Selection, table: Any) -> list:
    return [table.c[col] == value for col, value in flt.dims().items()]


def _plain(value: Any) -> Any:
    """Database sums as plain ints / floats (PostgreSQL sums bigints as numeric)."""
    if value is None:
        return 0
    return float(value) if isinstance(value, float) else int(value)


def _counts(frame: pd.DataFrame, key: str) -> dict[str, int]:
    sums = frame.groupby(key)["violations"].sum()
    sums = sums[sums > 0]
    order = sorted(sums.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return {str(k): int(v) for k, v in order}


def kpis_from(frame: pd.DataFrame, median: float | None, top: list[dict[str, Any]]) -> TrafficKpis:
    """The KPI set from rollup sums per (violation_type, vehicle_class) (pure)."""
    totals = {name: _plain(frame[name].sum()) if len(frame) and name in frame else 0 for name in (*SUMMED, "citizen")}
    violations = int(totals["violations"])
    issued, collected = int(totals["fines_issued_vnd"]), int(totals["fines_collected_vnd"])
    return TrafficKpis(
        violations=violations,
        by_type=_counts(frame, "violation_type") if len(frame) else {},
        by_vehicle=_counts(frame, "vehicle_class") if len(frame) else {},
        verified_rate=ratio(totals["verified"], violations),
        fines_issued_vnd=issued,
        fines_collected_vnd=collected,
        collection_rate=ratio(collected, issued),
        median_hours_to_notice=median,
        satisfaction_rate=ratio(totals["satisfied"] + totals["acceptable"], totals["rated"]),
        fine_out_of_range=int(totals["fine_out_of_range"]),
        invalid_plates=int(totals["invalid_plates"]),
        top_cameras=top,
        details=totals,
    )


def rollup_table(flt: Selection) -> Any:
    """The rollup that answers ``flt``: by unit when it names one, else province-wide."""
    return R if flt.unit is not None else RA


def _rollup_frame(engine: Engine, flt: Selection) -> pd.DataFrame:
    """Rollup sums per (violation_type, vehicle_class) for ``flt`` (histograms apart: they are
    read only when the median needs them)."""
    table = rollup_table(flt)
    citizen = summed(case((table.c.channel == "citizen", table.c.violations), else_=0), "citizen")
    stmt = (select(table.c.violation_type, table.c.vehicle_class, *[summed(table.c[m]) for m in SUMMED], citizen)
            .where(bucket_clause(table, flt.period), *dim_clauses(flt, table))
            .group_by(table.c.violation_type, table.c.vehicle_class))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, ["violation_type", "vehicle_class", *SUMMED, "citizen"])
    for col in (*SUMMED, "citizen"):
        frame[col] = [_plain(v) for v in frame[col]]
    return frame


def _period_violations(engine: Engine, period: Period) -> int:
    """Violations detected in ``period`` whatever the filters (what a raw scan would read)."""
    with engine.connect() as conn:
        return _plain(conn.execute(select(summed(RA.c.violations)).where(bucket_clause(RA, period))).scalar())


def _notice_histogram(engine: Engine, flt: Selection) -> np.ndarray:
    table = rollup_table(flt)
    stmt = select(*[summed(table.c[h]) for h in st.TRAFFIC_HIST_COLUMNS]).where(
        bucket_clause(table, flt.period), *dim_clauses(flt, table))
    with engine.connect() as conn:
        return np.asarray([_plain(v) for v in conn.execute(stmt).one()], dtype="int64")


def _notice_hours_raw(engine: Engine, flt: Selection, tz: ZoneInfo) -> np.ndarray:
    lo, hi = flt.period.utc_bounds(tz)
    stmt = select(T.c.detected_at, T.c.notice_sent_at).where(
        T.c.detected_at >= lo, T.c.detected_at < hi, T.c.status.in_(ISSUED_STATUSES),
        T.c.notice_sent_at.is_not(None), *dim_clauses(flt, T))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return np.array([], dtype="float64")
    frame = rows_frame(rows, ["detected_at", "notice_sent_at"])
    return ((pd.to_datetime(frame["notice_sent_at"]) - pd.to_datetime(frame["detected_at"]))
            .dt.total_seconds() / 3600.0).to_numpy()


def median_hours_to_notice(engine: Engine, flt: Selection, tz: ZoneInfo, frame: pd.DataFrame) -> float | None:
    """See the module docstring: exact when the period holds at most :data:`EXACT_MEDIAN_MAX`
    violations (before filters), else from the rollup histograms. ``frame`` is
    :func:`_rollup_frame`'s (it says whether any notice time is known)."""
    if not len(frame) or int(frame["notice_timed"].sum()) == 0:
        return None
    in_period = int(frame["violations"].sum()) if not flt.dims() else _period_violations(engine, flt.period)
    if in_period <= EXACT_MEDIAN_MAX:
        hours = _notice_hours_raw(engine, flt, tz)
        return float(np.median(hours)) if len(hours) else None
    return hist_percentile(_notice_histogram(engine, flt), 0.5)


def top_cameras(engine: Engine, flt: Selection, limit: int = TOP_CAMERAS) -> list[dict[str, Any]]:
    """The ``limit`` cameras with the most violations in ``flt`` (ties: by code)."""
    total = func.sum(C.c.violations).label("violations")
    stmt = (select(C.c.camera_code, total).where(bucket_clause(C, flt.period), *dim_clauses(flt, C))
            .group_by(C.c.camera_code).having(func.sum(C.c.violations) > 0)
            .order_by(desc(total), C.c.camera_code).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        codes = [r[0] for r in rows]
        names = dict(conn.execute(select(CAM.c.code, CAM.c.name).where(CAM.c.code.in_(codes))).all()) if codes else {}
    return [{"camera": code, "name": names.get(code, code), "violations": int(n)} for code, n in rows]


def history_start(engine: Engine) -> date | None:
    """The first local day of stored violations (the province-wide rollup's first day bucket;
    None when empty): earlier periods before it are not compared (:mod:`ioc.kpi.compare`)."""
    with engine.connect() as conn:
        return conn.execute(select(func.min(RA.c.bucket)).where(RA.c.grain == "d")).scalar()


def traffic_kpis(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime | None = None) -> TrafficKpis:
    """The traffic KPI set for ``flt`` (``now`` is unused: no traffic KPI depends on it)."""
    frame = _rollup_frame(engine, flt)
    return kpis_from(frame, median_hours_to_notice(engine, flt, tz, frame), top_cameras(engine, flt))


# --- the same KPI set from the raw rows (checks the rollups; bench/traffic.py compares speed) --

RAW_COLUMNS = ("violation_type", "vehicle_class", "camera_code", "status", "channel", "fine_vnd", "fine_flag",
               "plate_status", "rating", "detected_at", "notice_sent_at")


def raw_frame(engine: Engine, flt: Selection, tz: ZoneInfo) -> pd.DataFrame:
    lo, hi = flt.period.utc_bounds(tz)
    stmt = select(*[T.c[c] for c in RAW_COLUMNS]).where(T.c.detected_at >= lo, T.c.detected_at < hi,
                                                         *dim_clauses(flt, T))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = rows_frame(rows, list(RAW_COLUMNS))
    for col in ("detected_at", "notice_sent_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["fine_vnd"] = pd.to_numeric(frame["fine_vnd"]).astype("float64")
    return frame


def traffic_kpis_raw(engine: Engine, flt: Selection, tz: ZoneInfo) -> TrafficKpis:
    """The KPI set by scanning the raw violations, with the exact median."""
    f = raw_frame(engine, flt, tz)
    issued = f["status"].isin(ISSUED_STATUSES)
    paid = f["status"] == "paid"
    fine = f["fine_vnd"].fillna(0)
    citizen_rated = (f["channel"] == "citizen") & f["rating"].notna()
    hours = ((f["notice_sent_at"] - f["detected_at"]).dt.total_seconds() / 3600.0)[issued].dropna()
    grouped = (f.assign(violations=1).groupby(["violation_type", "vehicle_class"], as_index=False)["violations"]
               .sum())
    cams = f[f["camera_code"] != ""].groupby("camera_code").size()
    cams = sorted(cams.items(), key=lambda kv: (-int(kv[1]), kv[0]))[:TOP_CAMERAS]
    with engine.connect() as conn:
        names = dict(conn.execute(select(CAM.c.code, CAM.c.name)).all())
    issued_vnd, collected_vnd = int(fine[issued].sum()), int(fine[paid].sum())
    return TrafficKpis(
        violations=len(f),
        by_type=_counts(grouped, "violation_type") if len(f) else {},
        by_vehicle=_counts(grouped, "vehicle_class") if len(f) else {},
        verified_rate=ratio(int(f["status"].isin(VERIFIED_STATUSES).sum()), len(f)),
        fines_issued_vnd=issued_vnd,
        fines_collected_vnd=collected_vnd,
        collection_rate=ratio(collected_vnd, issued_vnd),
        median_hours_to_notice=float(np.median(hours)) if len(hours) else None,
        satisfaction_rate=ratio(int((citizen_rated & f["rating"].isin(["satisfied", "acceptable"])).sum()),
                                int(citizen_rated.sum())),
        fine_out_of_range=int(f["fine_flag"].isin(["below", "above"]).sum()),
        invalid_plates=int((f["plate_status"] == "invalid").sum()),
        top_cameras=[{"camera": c, "name": names.get(c, c), "violations": int(n)} for c, n in cams],
    )


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo,
                now: datetime) -> dict[str, Any]:
    """The family's KPI set (CLI ``kpi traffic``): ``--unit`` (commune or district code), ``--violation_type``
    or ``--category`` (violation type code), ``--vehicle_class`` and ``--channel`` (camera |
    citizen), already checked by their declarations (:meth:`ioc.family.Family.check_filters`)."""
    flt = TrafficFilter(period, unit=filters.get("unit"), violation_type=filters.get("violation_type"),
                        vehicle_class=filters.get("vehicle_class"), channel=filters.get("channel"))
    return traffic_kpis(engine, flt, tz, now).as_dict()
