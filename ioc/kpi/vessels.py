"""KPIs of fishing vessels (family ``vessels``), from each vessel's latest report at ``now``:

- ``vessels`` registered, ``at_sea`` and ``in_port`` (never reported: neither);
- ``silent_6h``: at sea and silent for more than 6 hours (Decree 37/2024: report by other means
  every 6 hours); ``silent_10d``: more than 10 days (must be back in port);
- ``outside_zone``: latest position outside the watch zone;
- ``at_sea_in_warning``: at sea while an official warning concerning the city is in force
  (the ``warnings`` family), with ``warnings_in_force`` the number of such warnings;
- ``reports``: VMS reports received in the period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from ioc.domain import vessels as rules
from ioc.kpi.filters import PERIOD
from ioc.kpi.periods import Period
from ioc.store import vessels as store
from ioc.store.schema_vessels import vessels

VESSEL_FILTERS = (PERIOD,)


def family_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The registry's entry point (``python -m ioc kpi vessels``): the KPI set as a dict."""
    from ioc.store import warnings as warnings_store

    with engine.connect() as conn:
        latest = [r for r in store.latest(conn) if r.at <= now]
        registered = int(conn.execute(select(func.count()).select_from(vessels)).scalar_one())
    at_sea = [r for r in latest if not r.port_id]
    start, end = period.utc_bounds(tz)
    live = [w for w in warnings_store.in_force(engine, now) if w.status == "Actual" and w.in_city]
    return {
        "vessels": registered,
        "at_sea": len(at_sea),
        "in_port": len(latest) - len(at_sea),
        "silent_6h": len(store.silent_for(at_sea, now, rules.SILENT_AT_SEA)),
        "silent_10d": len(store.silent_for(at_sea, now, rules.SILENT_RETURN)),
        "outside_zone": sum(1 for r in latest if r.outside),
        "warnings_in_force": len(live),
        "at_sea_in_warning": len(at_sea) if live else 0,
        "reports": store.reports_between(engine, start, min(end, now)),
    }
