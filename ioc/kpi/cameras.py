"""KPIs of the urban cameras (family ``cameras``) at ``now`` and over a period:

- ``cameras`` registered (traffic, security and flood cameras: one registry), ``by_purpose``;
- ``reporting``: cameras that have sent a heartbeat by ``now``; of those ``online`` and
  ``offline`` (last heartbeat more than 15 minutes old), ``online_pct`` (% of reporting) and
  ``offline_30m`` (offline for more than 30 minutes: the ``camera_offline`` alert);
- ``uptime_pct``: over the period up to ``now``, the whole selected fleet's time online ÷ time
  observed (each camera from its first heartbeat), against ``uptime_target_pct``
  (:data:`ioc.domain.cameras.UPTIME_TARGET_PCT`); None when nothing was observed;
- ``events``: AI events detected in the period, ``events_by_kind``, ``fire_smoke``, and
  ``false_alarm_pct``: events reviewed as false alarms, % of the reviewed ones (None when
  none was reviewed).

Filters: the period, the camera's unit (its current commune, or for a period before 1 July
2025 a district-level unit), its purpose (``?type=``) and the kinds of event (``?event=``).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.domain import cameras as rules
from ioc.domain.units import unit_column
from ioc.kpi.filters import PERIOD, UNIT, Filter, Selection
from ioc.kpi.periods import Period
from ioc.store import cameras as store

PURPOSE = Filter("purpose", "cam_filter_type", url_key="type", column="purpose", choices=rules.PURPOSES,
                 placeholder="cam_type_all",
                 option_label=lambda code, lang: rules.label(rules.PURPOSE_LABELS, code, lang))
EVENT_KIND = Filter("event", "cam_filter_event", kind="multi", column="kind", choices=rules.EVENT_KINDS,
                    placeholder="cam_event_all",
                    option_label=lambda code, lang: rules.label(rules.EVENT_LABELS, code, lang))
CAMERA_FILTERS = (PERIOD, UNIT, PURPOSE, EVENT_KIND)
# CameraFilter(period, unit=…, purpose=…, event=…): a Selection over CAMERA_FILTERS
CameraFilter = partial(Selection.of, CAMERA_FILTERS)


def _codes(value: Any) -> tuple[str, ...] | None:
    """A filter value given as one code, several (tuple or list) or comma-separated text."""
    if value in (None, "", ()):
        return None
    if isinstance(value, str):
        return tuple(v for v in (p.strip() for p in value.split(",")) if v) or None
    return tuple(value)


def family_kpis(engine: Engine, period: Period, filters: dict[str, Any], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The registry's entry point (``python -m ioc kpi cameras``): the KPI set as a dict
    (percentages 0–100, rounded to 0.1; times naive UTC)."""
    unit = filters.get("unit") or None
    purposes = _codes(filters.get("purpose"))
    kinds = _codes(filters.get("event"))
    states = store.camera_states(engine, now)
    chosen = states["purpose"].isin(purposes) if purposes else states["code"].notna()
    if unit:
        chosen &= states[unit_column(unit)] == unit
    states = states[chosen]
    reporting = int((states["first_seen"] <= now).sum())
    online = int(states["online"].sum())
    offline = reporting - online
    start, end = period.utc_bounds(tz)
    uptime = store.uptime_by_camera(engine, start, end, now)
    uptime = uptime[uptime["code"].isin(states["code"])]
    observed = float(uptime["observed_s"].sum())
    counts = store.event_counts(engine, start, min(end, now), kinds=kinds, purposes=purposes, unit=unit)
    by_kind = {k: int(counts.loc[counts["kind"] == k, "n"].sum()) for k in (kinds or rules.EVENT_KINDS)}
    reviewed = int(counts.loc[counts["review"] != "", "n"].sum())
    false_alarms = int(counts.loc[counts["review"] == "false_alarm", "n"].sum())
    return {
        "cameras": len(states),
        "by_purpose": {p: int((states["purpose"] == p).sum()) for p in rules.PURPOSES
                       if not purposes or p in purposes},
        "reporting": reporting,
        "online": online,
        "offline": offline,
        "online_pct": round(100.0 * online / reporting, 1) if reporting else None,
        "offline_30m": int((states["offline_s"] > rules.OFFLINE_ALERT.total_seconds()).sum()),
        "uptime_pct": round(100.0 * (1.0 - float(uptime["offline_s"].sum()) / observed), 1) if observed > 0 else None,
        "uptime_target_pct": rules.UPTIME_TARGET_PCT,
        "events": int(counts["n"].sum()),
        "events_by_kind": by_kind,
        "fire_smoke": by_kind.get("fire_smoke", 0),
        "false_alarm_pct": round(100.0 * false_alarms / reviewed, 1) if reviewed else None,
    }
