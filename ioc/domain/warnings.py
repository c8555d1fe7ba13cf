"""Official warnings (CAP 1.2) as the city sees them: what is stored of a message, whether it
concerns Huế, and which alert level it raises (pure: no I/O).

**Stored.** One row per message (:mod:`ioc.store.schema_warnings`): its identity, the texts
(event, headline, description, instruction) of its Vietnamese ``info`` (else the first) and of
its English one (none: ""), the severity, urgency and certainty of its most severe ``info``,
the earliest ``onset`` and the latest ``expires`` (none if one of its infos has none), and
every area as GeoJSON.

**Concerns the city** (``in_city``) when one of its areas

- has a polygon whose bounding box meets the province's (:data:`ioc.domain.units.PROVINCE_BBOX`),
- or a circle that reaches it (its centre within the box grown by the radius),
- or a geocode naming the province (``46``) or one of its units (a code the unit map knows),
- or, for an area with neither geometry nor geocode, always: the feed was configured for the
  city, and a warning that cannot be placed is shown rather than dropped.

**Raises an alert** (family ``warnings``, kind ``cap_warning``) while it is *in force*: status
``Actual``, ``msgType`` Alert or Update, concerning the city, not ended by a later Cancel or
Update from its sender, not past ``expires`` (a message without ``expires`` stays in force
:data:`NO_EXPIRY_HOURS` hours after ``sent``). Exercises, tests, system messages and drafts are
stored and listed, never alerted. The alert starts when the message was sent and ends when it
expires or is cancelled or updated (an Update is a new alert of its own).

Its level (the common scale of :mod:`ioc.domain.alert_rules`, which sets the city stage by the
rules of :mod:`ioc.domain.stage`):

=========  =====================================================================
CAP        level
=========  =====================================================================
Extreme    critical (stage 4); **emergency** (stage 5) when its urgency is
           Immediate and its certainty Observed
Severe     high (stage 3)
Moderate   warning (stage 2)
Minor      info (no stage change)
Unknown    warning
=========  =====================================================================

then lowered to info when its certainty is Unlikely, and no alert at all when its urgency is
Past (the event is over).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ioc.cap import SEVERITIES, Area, CapAlert, Info
from ioc.domain.alert_rules import Finding
from ioc.domain.units import PROVINCE_BBOX, PROVINCE_CODE

FAMILY = "warnings"
KIND = "cap_warning"
NO_EXPIRY_HOURS = 24
MAX_TEXT = 500
_KM_PER_DEG_LAT = 111.32
_LEVEL = {"Extreme": "critical", "Severe": "high", "Moderate": "warning", "Minor": "info", "Unknown": "warning"}


def naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def level_for(severity: str, urgency: str, certainty: str) -> str | None:
    """The alert level of a warning (see the module docstring); None: it raises no alert."""
    if urgency == "Past":
        return None
    if certainty == "Unlikely":
        return "info"
    if severity == "Extreme" and urgency == "Immediate" and certainty == "Observed":
        return "emergency"
    return _LEVEL.get(severity, "warning")


def _worst(infos: tuple[Info, ...]) -> Info | None:
    """The most severe info (CAP's order: Extreme first); the first of equals."""
    return min(infos, key=lambda i: SEVERITIES.index(i.severity)) if infos else None


def _in_lang(alert: CapAlert, lang: str) -> Info | None:
    return next((i for i in alert.infos if i.language.lower().split("-")[0] == lang), None)


def area_touches_city(area: Area, known_codes: Callable[[str], bool]) -> bool:
    """Whether ``area`` reaches the province (see the module docstring)."""
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX
    for ring in area.polygons:
        lats, lons = [p[0] for p in ring], [p[1] for p in ring]
        if min(lats) <= lat_max and max(lats) >= lat_min and min(lons) <= lon_max and max(lons) >= lon_min:
            return True
    for circle in area.circles:
        dlat = circle.radius_km / _KM_PER_DEG_LAT
        dlon = dlat / max(0.1, math.cos(math.radians(circle.lat)))
        if lat_min - dlat <= circle.lat <= lat_max + dlat and lon_min - dlon <= circle.lon <= lon_max + dlon:
            return True
    for _name, value in area.geocodes:
        if value.strip() == PROVINCE_CODE or known_codes(value.strip()):
            return True
    return not area.polygons and not area.circles and not area.geocodes


def areas_geojson(infos: tuple[Info, ...]) -> dict[str, Any]:
    """Every area of the message (of its first info that has areas) as a FeatureCollection:
    polygons as Polygons (GeoJSON's lon, lat order), circles as Points with ``radius_m``."""
    features: list[dict[str, Any]] = []
    chosen = next((i for i in infos if i.areas), None)
    for area in chosen.areas if chosen else ():
        props = {"desc": area.desc[:MAX_TEXT]}
        for ring in area.polygons:
            features.append({"type": "Feature", "properties": props,
                             "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in ring]]}})
        for c in area.circles:
            features.append({"type": "Feature", "properties": {**props, "radius_m": round(c.radius_km * 1000, 1)},
                             "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]}})
    return {"type": "FeatureCollection", "features": features}


def message_row(alert: CapAlert, known_codes: Callable[[str], bool]) -> dict[str, Any]:
    """What the store keeps of ``alert`` (naive UTC times; see the module docstring)."""
    vi = _in_lang(alert, "vi") or (alert.infos[0] if alert.infos else None)
    en = _in_lang(alert, "en")
    worst = _worst(alert.infos)
    onsets = [i.onset or i.effective for i in alert.infos if (i.onset or i.effective) is not None]
    ends = [i.expires for i in alert.infos]
    areas = [a for i in alert.infos for a in i.areas]
    descs = list(dict.fromkeys(a.desc for a in (vi.areas if vi else ())))
    return {
        "sender": alert.sender, "identifier": alert.identifier, "sent": naive_utc(alert.sent),
        "status": alert.status, "msg_type": alert.msg_type, "scope": alert.scope,
        "category": ",".join(worst.categories)[:64] if worst else "",
        "event": (vi.event if vi else "")[:MAX_TEXT], "event_en": (en.event if en else "")[:MAX_TEXT],
        "headline": (vi.headline if vi else "")[:MAX_TEXT], "headline_en": (en.headline if en else "")[:MAX_TEXT],
        "description": vi.description if vi else "", "instruction": vi.instruction if vi else "",
        "description_en": en.description if en else "", "instruction_en": en.instruction if en else "",
        "severity": worst.severity if worst else "Unknown", "urgency": worst.urgency if worst else "Unknown",
        "certainty": worst.certainty if worst else "Unknown",
        "onset": naive_utc(min(onsets)) if onsets else None,
        "expires": naive_utc(max(ends)) if ends and all(e is not None for e in ends) else None,  # type: ignore[type-var]
        "area_desc": "; ".join(descs)[:MAX_TEXT],
        "areas": json.dumps(areas_geojson(alert.infos), ensure_ascii=False, separators=(",", ":")),
        "in_city": any(area_touches_city(a, known_codes) for a in areas) if areas else True,
        "refs": " ".join(f"{r.sender},{r.identifier}" for r in alert.references),
    }


def ends_of(row: Any) -> datetime | None:
    """When a stored warning stops being in force (naive UTC): expiry, the default one, or its
    end by a later message, whichever comes first."""
    expires = row.expires if row.expires is not None else row.sent + timedelta(hours=NO_EXPIRY_HOURS)
    return min(expires, row.ended_at) if row.ended_at is not None else expires


def finding(row: Any, now: datetime) -> Finding | None:
    """The alert a stored warning raises at ``now`` (naive UTC), or None (module docstring)."""
    if row.status != "Actual" or row.msg_type not in ("Alert", "Update") or not row.in_city:
        return None
    level = level_for(row.severity, row.urgency, row.certainty)
    end = ends_of(row)
    if level is None or row.sent > now or (end is not None and end <= now):
        return None
    return Finding(FAMILY, KIND, str(row.id), level, row.sent, {
        "event": row.event, "event_en": row.event_en, "headline": row.headline, "headline_en": row.headline_en,
        "area": row.area_desc, "severity": row.severity, "urgency": row.urgency, "certainty": row.certainty,
        "sender": row.sender, "identifier": row.identifier,
        "ends_utc": end.isoformat() if end is not None else None,
    })
