"""Administrative-services (TTHC) KPIs: one definition each, used by the page, the CLI and the exports.

Over dossiers *received* in a period of local dates ``[from, to)``, optionally of one level
(province / district / commune; district only before 1 July 2025) or one unit (issue 5; a current
commune counts the commune-level dossiers mapped to it, before and after the change, see
:data:`UNIT`):

- ``received``: dossiers received;
- ``resolved``: resolved or result returned; ``early`` + ``on_time`` + ``late`` = ``resolved``
  (refused, stopped and withdrawn dossiers are in no bucket and not resolved);
- ``on_time_rate`` = (early + on_time) ÷ resolved;
- ``in_progress``: still open (new, in progress, supplement requested);
- ``overdue``: open with the effective deadline (after supplement pauses) before *now*;
- ``online_rate`` = received online ÷ received;
- ``full_process_online_rate`` = received online through a full-process service ÷ received;
- ``online_payment_rate`` = paid online ÷ dossiers with a fee to pay;
- ``digitised_rate`` = digitised ÷ received;
- ``satisfaction_rate`` = (satisfied + acceptable) ÷ rated.

Rates are ratios (0–1), ``None`` when the denominator is 0. Counts come from the rollups (month
buckets for whole months, day buckets at the edges); ``overdue`` depends on now and is counted
over the indexed open set. The QĐ 766 score is :func:`ioc.domain.admin.score_766` fed by
:func:`inputs_766`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, case, func, select, text

from ioc.domain.admin import Inputs766, Level, Score766, score_766
from ioc.domain.admin_units import commune_sources, unit_filter_column
from ioc.i18n import t
from ioc.kpi.filters import PERIOD, Filter, Selection
from ioc.kpi.rollups import bucket_clause, ratio, summed
from ioc.store import schema
from ioc.store.frames import rows_frame
from ioc.store.schema_admin import (
    ADMIN_MEASURES,
    OPEN_SQL,
    admin_dossiers,
    admin_procedure_rollup,
    admin_procedures,
    admin_rollup,
)

D = admin_dossiers
KPI_NAMES = ("received", "resolved", "early", "on_time", "late", "on_time_rate", "in_progress", "overdue",
             "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate", "satisfaction_rate")
LEVELS = tuple(lv.value for lv in Level)


LEVEL = Filter("level", "admin_level", column="level", choices=LEVELS, placeholder="admin_all_levels",
               option_label=lambda code, lang: t(f"admin_level_{code}", lang))
# One unit: a current commune (code of the 40 since 1 July 2025: its commune-level dossiers of every
# period, those before the change mapped to it, column ``commune_code``) or a one-stop unit of its
# time (the city's centre, a district centre, a former commune: column ``unit_code``).
UNIT = Filter("unit", "admin_unit", column="unit_code", column_of=unit_filter_column, placeholder="admin_all_units")
ADMIN_FILTERS = (PERIOD, LEVEL, UNIT)
# AdminFilter(period, level=…, unit=…): dossiers received in the period, of one level and/or unit
AdminFilter = partial(Selection.of, ADMIN_FILTERS)


def history_start(engine: Engine) -> date | None:
    """The first local day of stored dossiers (the rollup's first day bucket; None when empty):
    earlier periods before it are not compared (:mod:`ioc.kpi.compare`)."""
    table = admin_rollup
    with engine.connect() as conn:
        return conn.execute(select(func.min(table.c.bucket)).where(table.c.grain == "d")).scalar()


@dataclass(frozen=True)
class AdminKpis:
    received: int
    resolved: int
    early: int
    on_time: int
    late: int
    on_time_rate: float | None
    in_progress: int
    overdue: int
    online_rate: float | None
    full_process_online_rate: float | None
    online_payment_rate: float | None
    digitised_rate: float | None
    satisfaction_rate: float | None
    score: Score766 = field(compare=False)
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The KPI set keyed by the names of issue 5, plus ``score_766`` (what ``kpi admin --json`` prints)."""
        out = {k: getattr(self, k) for k in KPI_NAMES}
        out["score_766"] = score_dict(self.score)
        return out


def score_dict(score: Score766) -> dict[str, Any]:
    """The 766 score as JSON: totals, and each group with ``measured`` and its indicators."""
    return {"total_points": score.total_points, "measured_max_points": score.measured_max_points,
            "max_points": score.max_points, "groups": [asdict(g) for g in score.groups]}


def inputs_766(sums: dict[str, float], overdue: int, procedures_online: int, procedures_total: int) -> Inputs766:
    """The 766 inputs (percent) our data can measure, ``None`` for the others.

    - transparency (progress published on the public portal): not in the dossier data → None;
    - progress: the on-time rate; digitisation: the digitised rate;
    - online: procedures offered online (full-process or partial) ÷ procedures of the catalogue
      in scope, the online rate, and the online payment rate;
    - satisfaction = 100 − (overdue % + complained %), where overdue % = (late + overdue now) ÷
      handled (resolved + in progress) and complained % = "not satisfied" ratings ÷ handled;
      measured once some dossier in scope was rated.
    """
    def pct(num: float, den: float) -> float | None:
        value = ratio(num, den)
        return None if value is None else min(100.0, max(0.0, 100.0 * value))

    handled = sums["resolved"] + sums["in_progress"]
    rated = sums["rated"] > 0 and handled > 0
    return Inputs766(
        published_pct=None,
        on_time_pct=pct(sums["early"] + sums["on_time"], sums["resolved"]),
        digitised_pct=pct(sums["digitised"], sums["received"]),
        procedures_online_pct=pct(procedures_online, procedures_total),
        dossiers_online_pct=pct(sums["online"], sums["received"]),
        online_payment_pct=pct(sums["paid_online"], sums["fee_required"]),
        overdue_pct=pct(sums["late"] + overdue, handled) if rated else None,
        complained_pct=pct(sums["dissatisfied"], handled) if rated else None,
    )


def kpis_from_sums(sums: dict[str, float], overdue: int, procedures_online: int = 0,
                   procedures_total: int = 0) -> AdminKpis:
    """The KPI set from summed rollup measures (pure: the KPI math, tested by hand)."""
    s = {k: sums.get(k, 0) for k in ADMIN_MEASURES}
    return AdminKpis(
        received=int(s["received"]), resolved=int(s["resolved"]), early=int(s["early"]),
        on_time=int(s["on_time"]), late=int(s["late"]),
        on_time_rate=ratio(s["early"] + s["on_time"], s["resolved"]),
        in_progress=int(s["in_progress"]), overdue=int(overdue),
        online_rate=ratio(s["online"], s["received"]),
        full_process_online_rate=ratio(s["full_process_online"], s["received"]),
        online_payment_rate=ratio(s["paid_online"], s["fee_required"]),
        digitised_rate=ratio(s["digitised"], s["received"]),
        satisfaction_rate=ratio(s["satisfied"] + s["acceptable"], s["rated"]),
        score=score_766(inputs_766(s, overdue, procedures_online, procedures_total)),
        details={**{k: (float(v) if k == "elapsed_hours_sum" else int(v)) for k, v in s.items()},
                 "procedures_online": procedures_online, "procedures_total": procedures_total},
    )


def sum_columns(table: Any) -> list[Any]:
    return [summed(table.c[m]) for m in ADMIN_MEASURES]


def rollup_sums(engine: Engine, flt: Selection, by: str | None = None) -> pd.DataFrame:
    """Summed measures for ``flt`` from the unit rollup, grouped by ``by`` (a rollup column) or not."""
    table = admin_rollup
    where = [bucket_clause(table, flt.period), *(table.c[c] == v for c, v in flt.dims().items())]
    keys = [table.c[by].label("key")] if by else []
    stmt = select(*keys, *sum_columns(table)).where(*where)
    if by:
        stmt = stmt.group_by(table.c[by])
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return rows_frame(rows, [*(["key"] if by else []), *ADMIN_MEASURES])


def open_clauses(flt: Selection, tz: ZoneInfo) -> list[Any]:
    """The open dossiers received in the period (the partial index's predicate included)."""
    lo, hi = flt.period.utc_bounds(tz)
    # The partial index's own predicate, as literal SQL: SQLite uses a partial index only when
    # the query repeats its WHERE with constants (bound parameters would hide them).
    return [text(OPEN_SQL), D.c.received_at >= lo, D.c.received_at < hi,
            *(D.c[c] == v for c, v in flt.dims().items())]


def overdue_by(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime, by: str | None = None) -> pd.Series:
    """Open dossiers past their effective deadline at ``now`` (naive UTC), per ``by`` column or in all.

    Per key, the (small) overdue set's keys are read through the partial open index and counted
    here: a GROUP BY would tempt SQLite into walking the whole (unit, received) index instead.
    """
    where = [*open_clauses(flt, tz), D.c.effective_due_at < now]
    with engine.connect() as conn:
        if not by:
            return pd.Series({"": int(conn.execute(select(func.count()).select_from(D).where(*where)).scalar_one())})
        keys = conn.execute(select(D.c[by]).where(*where)).scalars().all()
    return pd.Series(keys, dtype=object).value_counts().astype("int64")


def overdue_count(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> int:
    return int(overdue_by(engine, flt, tz, now).iloc[0])


def procedure_coverage(engine: Engine, flt: Selection) -> tuple[int, int]:
    """(procedures offered online, procedures) of the catalogue at the filter's level (a unit's
    level for a unit; the whole catalogue without a filter)."""
    level = flt.level
    with engine.connect() as conn:
        if flt.unit is not None:
            level = ("commune" if unit_filter_column(flt.unit) == "commune_code" else
                     conn.execute(select(schema.units.c.level).where(schema.units.c.code == flt.unit)).scalar())
        where = [admin_procedures.c.level == level] if level in LEVELS else []
        online = func.sum(case((admin_procedures.c.online_mode != "none", 1), else_=0))
        total, on = conn.execute(select(func.count(), func.coalesce(online, 0)).where(*where)).one()
    return int(on), int(total)


def admin_kpis(engine: Engine, flt: Selection, tz: ZoneInfo, now: datetime) -> AdminKpis:
    """The admin KPI set for ``flt`` (``now`` naive UTC)."""
    sums = rollup_sums(engine, flt).iloc[0].to_dict()
    return kpis_from_sums(sums, overdue_count(engine, flt, tz, now), *procedure_coverage(engine, flt))


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates per row of a frame of summed measures (the same definitions as :class:`AdminKpis`)."""
    frame = frame.copy()

    def r(num: pd.Series, den: pd.Series) -> pd.Series:
        return (num / den.where(den != 0)).astype("float64")

    frame["on_time_rate"] = r(frame["early"] + frame["on_time"], frame["resolved"])
    frame["online_rate"] = r(frame["online"], frame["received"])
    frame["full_process_online_rate"] = r(frame["full_process_online"], frame["received"])
    frame["online_payment_rate"] = r(frame["paid_online"], frame["fee_required"])
    frame["digitised_rate"] = r(frame["digitised"], frame["received"])
    frame["satisfaction_rate"] = r(frame["satisfied"] + frame["acceptable"], frame["rated"])
    frame["mean_elapsed_days"] = r(frame["elapsed_hours_sum"] / 24, frame["resolved"])
    return frame


def procedure_sums(engine: Engine, flt: Selection, by: str, tz: ZoneInfo) -> pd.DataFrame:
    """Summed measures per ``field`` or ``procedure_code``. From the procedure rollup; for one
    unit (not a dimension of that rollup) from the unit's raw dossiers (by ``unit_code`` or, for a
    current commune, ``commune_code``), summed by the store's own contribution rules."""
    if by not in ("field", "procedure_code"):
        raise ValueError(f"by {by!r}: expected field or procedure_code")
    if flt.unit is None:
        table = admin_procedure_rollup
        where = [bucket_clause(table, flt.period)] + ([table.c.level == flt.level] if flt.level else [])
        stmt = select(table.c[by].label("key"), *sum_columns(table)).where(*where).group_by(table.c[by])
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return rows_frame(rows, ["key", *ADMIN_MEASURES])
    from ioc.store.admin_derive import contributions, normalise

    lo, hi = flt.period.utc_bounds(tz)
    columns = ["level", "unit_code", "field", "procedure_code", "status", "channel", "online_mode", "received_at",
               "bucket", "rating", "fee_required", "paid_online", "digitised", "pause_count", "elapsed_hours"]
    dims = flt.dims()
    # a current commune: its dossiers are among those of the units it succeeds (the index's way in)
    hint = [D.c.unit_code.in_(commune_sources(dims["commune_code"]))] if "commune_code" in dims else []
    stmt = select(*(D.c[c] for c in columns)).where(*(D.c[c] == v for c, v in dims.items()), *hint,
                                                     D.c.received_at >= lo, D.c.received_at < hi)
    with engine.connect() as conn:
        raw = rows_frame(conn.execute(stmt).all(), columns)
    if raw.empty:
        return pd.DataFrame(columns=["key", *ADMIN_MEASURES])
    for col in ("fee_required", "paid_online", "digitised"):
        raw[col] = raw[col].astype(bool)
    per_day = contributions(normalise(raw), tz, +1)[1]
    per_day = per_day[per_day["grain"] == "d"]
    return per_day.groupby(by, sort=False)[list(ADMIN_MEASURES)].sum().rename_axis("key").reset_index()
