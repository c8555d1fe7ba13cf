"""Pure shaping for the fishing-vessels page (:mod:`layouts.vessels`): each vessel's state from
its latest report, the rows of the table and the map, the KPI tiles, the watch zone, the ports
and a track. No I/O: the callbacks hand in frames and KPI dicts.

States (one per vessel, from its latest report at ``now``, naive UTC):

``in_port``     within a port's radius (:func:`ioc.domain.vessels.port_at`);
``at_sea``      at sea and heard from within 6 hours;
``silent_6h``   at sea and silent for more than 6 hours (Decree 37/2024);
``silent_10d``  at sea and silent for more than 10 days (it must be back in port).

Being outside the watch zone is a flag beside the state, not a state: a vessel may be silent
and outside at once.

A link may name the vessel to select, ``?vessel=TTH-90012-TS`` (:func:`parse_vessel_param`,
:func:`vessel_search`): the page selects it once the fleet is loaded, for a reader who may see
individual vessels, as a click would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain import vessels as rules
from ioc.i18n import fmt_int, fmt_local_datetime, fmt_number, t
from ioc.kpi.filters import Problem, single_value
from layouts.shaping import as_number

STATES = ("at_sea", "in_port", "silent_6h", "silent_10d")
#: map and table colours of the states (each is also named in text: colour is never alone)
STATE_COLOURS = {"at_sea": "#38bdf8", "in_port": "#64748b", "silent_6h": "#f59e0b", "silent_10d": "#ef4444"}
OUTSIDE_COLOUR = "#e879f9"
TRACK_COLOUR = "#f8fafc"  # white: apart from every state's colour
TRACK_DAYS = 3
VESSEL_PARAM = "vessel"  # ?vessel=<registration>: the vessel a shared link selects
MAX_REGISTRATION = 32  # characters of a registration, as the registry keeps them (ioc.domain.vessels)


@dataclass(frozen=True)
class VesselTile:
    key: str
    label: str
    value: str
    raw: float | None
    sub: str
    state: str  # good / warn / bad / info / none


def vessel_state(port_id: str, last_at: datetime, now: datetime) -> str:
    """One of :data:`STATES` for a vessel whose latest report (naive UTC ``last_at``) was made in
    port ``port_id`` (``''``: at sea)."""
    if port_id:
        return "in_port"
    level = rules.silence_level(last_at, now)
    return {"high": "silent_10d", "warning": "silent_6h"}.get(level or "", "at_sea")


def state_label(state: str, lang: str) -> str:
    return t(f"vs_state_{state}", lang)


def ago_text(quiet: timedelta, lang: str) -> str:
    """How long ago a report was: "25 phút trước", "7 giờ trước", "11 ngày trước" (whole units,
    rounded down; a report from the future reads "0 phút trước")."""
    minutes = max(0, int(quiet.total_seconds() // 60))
    if minutes < 60:
        return t("vs_ago_min", lang, n=fmt_int(minutes, lang))
    if minutes < 48 * 60:
        return t("vs_ago_h", lang, n=fmt_int(minutes // 60, lang))
    return t("vs_ago_d", lang, n=fmt_int(minutes // (24 * 60), lang))


def parse_vessel_param(params: Mapping[str, object]) -> tuple[str | None, Problem | None]:
    """The registration a link names (``?vessel=TTH-90012-TS``; repeated: the last), stripped;
    ``(None, None)`` without one. A value no registration can be (more than
    :data:`MAX_REGISTRATION` characters, or control characters) is ``(None, problem)``. Whether
    the fleet holds it is known only from data (:func:`unknown_vessel`)."""
    raw = single_value(params.get(VESSEL_PARAM))
    if raw is None:
        return None, None
    if len(raw) > MAX_REGISTRATION or not raw.isprintable():
        return None, Problem(VESSEL_PARAM, raw[:80], "vs_reason_registration", "default_vessel_none")
    return raw, None


def unknown_vessel(vessel_id: str) -> Problem:
    """The banner's line for a link naming a registration the fleet does not hold."""
    return Problem(VESSEL_PARAM, vessel_id[:80], "reason_choice", "default_vessel_none", "vs_col_id")


def vessel_search(search: str | None, vessel_id: str) -> str:
    """The page's query string (``?…`` as ``location.search`` gives it) naming ``vessel_id`` as
    ``vessel``: the link that reopens the page on that vessel. Every other parameter is kept in
    its order, ``vessel`` where it was (else last); a query string naming it already is returned
    as it is, so opening a link does not add a step to the browser's history."""
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    named = [v for k, v in pairs if k == VESSEL_PARAM]
    if named and named[-1].strip() == vessel_id and search:
        return search
    at = next((i for i, (k, _v) in enumerate(pairs) if k == VESSEL_PARAM), len(pairs))
    kept = [(k, v) for k, v in pairs if k != VESSEL_PARAM]
    return "?" + urlencode([*kept[:at], (VESSEL_PARAM, vessel_id), *kept[at:]])


def port_names() -> dict[str, str]:
    return {p.port_id: p.name for p in rules.ports()}




def vessel_rows(latest: pd.DataFrame, now: datetime, tz: ZoneInfo, lang: str,
                simulated_sources: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One row per vessel for the table and the map, from :func:`ioc.store.vessels.latest_positions`
    (with its registry ``source``) at ``now`` (naive UTC): the worst first (silent 10 days,
    silent 6 hours, at sea, in port), then by registration. A report later than ``now`` (a clock
    ahead) counts as just received. Times: ``last`` local, ``last_sort`` ISO for sorting."""
    names = port_names()
    sims = set(simulated_sources)
    order = {"silent_10d": 0, "silent_6h": 1, "at_sea": 2, "in_port": 3}
    rows = []
    for r in latest.to_dict("records"):
        at = pd.Timestamp(r["at"]).to_pydatetime()
        state = vessel_state(r.get("port_id") or "", min(at, now), now)
        length, speed = as_number(r.get("length_m")), as_number(r.get("speed_kn"))
        home = r.get("port") or ""
        name = r.get("name") if isinstance(r.get("name"), str) else ""
        rows.append({
            "id": r["vessel_id"], "name": name or r["vessel_id"], "length_m": length,
            "length": fmt_number(length, lang, 1) if length is not None else "–",
            "port": names.get(home, home) or "–", "lat": round(float(r["lat"]), 5), "lon": round(float(r["lon"]), 5),
            "last_sort": at.isoformat(), "last": fmt_local_datetime(at, tz, lang),
            "ago": ago_text(now - at, lang), "hours": round(max(0.0, (now - at).total_seconds() / 3600), 2),
            "state": state, "state_label": state_label(state, lang), "colour": STATE_COLOURS[state],
            "outside": bool(r.get("outside")), "zone_label": t("vs_zone_outside" if r.get("outside") else "vs_zone_inside",
                                                                lang),
            "speed_kn": speed, "speed": fmt_number(speed, lang, 1) if speed is not None else "–",
            "simulated": r.get("source") in sims,
        })
    rows.sort(key=lambda row: (order[row["state"]], not row["outside"], row["id"]))
    return rows


def state_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many vessels are in each state, and ``outside`` the watch zone."""
    counts = dict.fromkeys((*STATES, "outside"), 0)
    for r in rows:
        counts[r["state"]] += 1
        counts["outside"] += bool(r["outside"])
    return counts


def positions_geojson(rows: Iterable[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """The vessels as GeoJSON points for the map's marker layer (drawn by assets/vessels.js):
    in port first, so the vessels at sea are drawn over them; only what the marker needs."""
    features = []
    for r in sorted(rows, key=lambda row: row["state"] != "in_port"):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                         "properties": {"id": r["id"], "state": r["state"], "outside": r["outside"],
                                        "colour": r["colour"],
                                        "tooltip": f"{r['name']} · {r['id']} · {r['state_label']} · {r['ago']}"
                                                   + (f" · {r['zone_label']}" if r["outside"] else "")}})
    return {"type": "FeatureCollection", "features": features}


def zone_positions() -> list[list[list[float]]]:
    """The watch zone's rings as Leaflet [lat, lon] lists."""
    return [[[lat, lon] for lon, lat in ring] for ring in rules.boundary()[1]]


def port_items(latest: pd.DataFrame) -> list[dict[str, Any]]:
    """Each port with how many vessels lie in it now (an aggregate: shown to every role)."""
    in_port = latest["port_id"].value_counts().to_dict() if len(latest) and "port_id" in latest else {}
    return [{"id": p.port_id, "name": p.name, "lat": p.lat, "lon": p.lon, "vessels": int(in_port.get(p.port_id, 0))}
            for p in rules.ports()]


def track_line(reports: Iterable[Any], tz: ZoneInfo, lang: str) -> dict[str, Any]:
    """A vessel's track from :func:`ioc.store.vessels.track` rows (``at``, ``lat``, ``lon``,
    ``speed_kn``; oldest first): Leaflet positions, its first and last report (local time), the
    number of reports, the distance sailed (km, great-circle between successive reports) and
    the longest gap between two reports (hours)."""
    rows = list(reports)
    positions = [[float(r.lat), float(r.lon)] for r in rows]
    km = sum(_km(a, b) for a, b in zip(positions, positions[1:], strict=False))
    gaps = [(b.at - a.at).total_seconds() / 3600 for a, b in zip(rows, rows[1:], strict=False)]
    return {"positions": positions, "reports": len(rows), "km": km, "max_gap_h": max(gaps, default=0.0),
            "first": fmt_local_datetime(rows[0].at, tz, lang) if rows else "–",
            "last": fmt_local_datetime(rows[-1].at, tz, lang) if rows else "–"}


def _km(a: list[float], b: list[float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def tiles(kpis: Mapping[str, Any], lang: str) -> list[VesselTile]:
    """The page's KPI tiles from :func:`ioc.kpi.vessels.family_kpis` (counts only: every role sees them)."""
    def n(key: str) -> int:
        return int(kpis.get(key) or 0)

    warnings_live = n("warnings_in_force")
    return [
        VesselTile("at_sea", t("vs_kpi_at_sea", lang), fmt_int(n("at_sea"), lang), n("at_sea"),
                   t("vs_sub_at_sea", lang, port=fmt_int(n("in_port"), lang), total=fmt_int(n("vessels"), lang)),
                   "info"),
        VesselTile("silent_6h", t("vs_kpi_silent_6h", lang), fmt_int(n("silent_6h"), lang), n("silent_6h"),
                   t("vs_sub_silent", lang, n=fmt_int(n("silent_10d"), lang)),
                   "bad" if n("silent_10d") else "warn" if n("silent_6h") else "good"),
        VesselTile("outside_zone", t("vs_kpi_outside", lang), fmt_int(n("outside_zone"), lang), n("outside_zone"),
                   t("vs_sub_outside", lang), "warn" if n("outside_zone") else "good"),
        VesselTile("at_sea_in_warning", t("vs_kpi_in_warning", lang), fmt_int(n("at_sea_in_warning"), lang),
                   n("at_sea_in_warning"),
                   t("vs_sub_in_warning", lang, n=fmt_int(warnings_live, lang)) if warnings_live
                   else t("vs_sub_no_warning", lang),
                   "bad" if n("at_sea_in_warning") else "good"),
    ]
