"""Fishing vessels (family ``vessels``): the registry, VMS position reports, and the rules of
Decree 26/2019/NĐ-CP as amended by Decree 37/2024/NĐ-CP (pure: no I/O).

**Registry**: each vessel by its registration number (``vessel_id``, e.g. ``TTH-90123-TS``),
with name, length (m) and home port. VMS equipment is compulsory from 15 m.

**Positions**: time (naive UTC), latitude, longitude (WGS 84), speed (knots), course (°).

**In port**: within :data:`PORT_RADIUS_KM` of a port of ``ioc/domain/data/hue_fishing_ports.csv``;
otherwise **at sea**.

**Alerts** (evaluated with the others; :func:`findings` over each vessel's latest position):

``vessel_silent`` (key: the vessel)
    a vessel whose latest position is at sea has sent nothing for more than
    :data:`SILENT_AT_SEA` (6 hours: Decree 37/2024 then requires the owner to report the position
    every 6 hours by other means): warning; for more than :data:`SILENT_RETURN` (10 days: the
    vessel must be back in port): high. Exactly 6 hours is not yet silent. The episode starts
    when the silence passed 6 hours.
``vessel_outside`` (key: the vessel)
    its latest position lies outside the watch zone (a GeoJSON polygon: ``IOC_VESSEL_BOUNDARY``,
    default the demonstration zone ``ioc/domain/data/hue_sea_boundary.geojson``, which is not a
    legal line): info — listed and on the ticker for the fisheries desk, without moving the
    city stage. Decree 41/2026/NĐ-CP adds alerts on entering or leaving monitored zones.

Positions are commercial and personal data: who may see which is the web layer's business
(:mod:`callbacks.access`).
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ioc.domain.alert_rules import Finding
from ioc.domain.records import number_field, parse_timestamp, text_field

FAMILY = "vessels"
KINDS = ("vessel_silent", "vessel_outside")
DATA = Path(__file__).with_name("data")
SILENT_AT_SEA = timedelta(hours=6)
SILENT_RETURN = timedelta(days=10)
PORT_RADIUS_KM = 1.5
VMS_FROM_LENGTH_M = 15.0


@dataclass(frozen=True)
class Port:
    port_id: str
    name: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def ports() -> tuple[Port, ...]:
    with (DATA / "hue_fishing_ports.csv").open(encoding="utf-8") as fh:
        return tuple(Port(r["port_id"], r["name"], float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh))


def port_at(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The port id each position lies in ('' at sea), vectorised."""
    out = np.full(len(lat), "", dtype=object)
    for port in ports():
        dy = (lat - port.lat) * 111.32
        dx = (lon - port.lon) * 111.32 * math.cos(math.radians(port.lat))
        out[(out == "") & (dx * dx + dy * dy <= PORT_RADIUS_KM ** 2)] = port.port_id
    return out


class BoundaryError(ValueError):
    """The watch zone's file is missing or not a GeoJSON polygon: the message names it."""


@lru_cache(maxsize=4)
def _boundary(path: str) -> tuple[str, tuple[tuple[tuple[float, float], ...], ...]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"IOC_VESSEL_BOUNDARY {path}: cannot be read as JSON ({exc})") from None
    features = data.get("features") if isinstance(data, dict) else None
    geometries = [f.get("geometry") for f in features] if isinstance(features, list) else [data]
    rings = []
    for g in geometries:
        if isinstance(g, dict) and g.get("type") == "Polygon" and g.get("coordinates"):
            rings.append(tuple((float(x), float(y)) for x, y in g["coordinates"][0]))
        elif isinstance(g, dict) and g.get("type") == "MultiPolygon":
            rings += [tuple((float(x), float(y)) for x, y in poly[0]) for poly in g.get("coordinates") or []]
    if not rings or any(len(r) < 4 for r in rings):
        raise BoundaryError(f"IOC_VESSEL_BOUNDARY {path}: no Polygon or MultiPolygon with at least 4 points")
    name = str((data.get("name") if isinstance(data, dict) else "") or Path(path).stem)
    return name, tuple(rings)


def boundary_path() -> str:
    return os.environ.get("IOC_VESSEL_BOUNDARY") or str(DATA / "hue_sea_boundary.geojson")


def boundary() -> tuple[str, tuple[tuple[tuple[float, float], ...], ...]]:
    """The watch zone: (name, outer rings as (lon, lat) points)."""
    return _boundary(boundary_path())


def inside(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Whether each position lies inside the watch zone (even-odd rule, vectorised)."""
    result = np.zeros(len(lat), dtype=bool)
    for ring in boundary()[1]:
        hit = np.zeros(len(lat), dtype=bool)
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            crosses = (y1 > lat) != (y2 > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            hit ^= crosses & (lon < x_at)
        result |= hit
    return result


@dataclass(frozen=True)
class Vessel:
    vessel_id: str
    name: str
    length_m: float | None
    port: str


@dataclass(frozen=True)
class Position:
    vessel_id: str
    at: datetime  # naive UTC
    lat: float
    lon: float
    speed_kn: float | None = None
    course_deg: float | None = None




def validate_position(raw: dict[str, Any], naive_tz: Any = None) -> Position:
    """One VMS report given as a dict: ``vessel_id``, ``at``, ``lat``, ``lon`` required;
    ``speed_kn`` (0–60), ``course_deg`` (0–360) optional. Raises :class:`RecordError`."""
    return Position(text_field(raw, "vessel_id", 32, required=True, truncate=False),
                    parse_timestamp(raw.get("at"), "at", naive_tz or UTC),
                    number_field(raw, "lat", -90, 90, True), number_field(raw, "lon", -180, 180, True),  # type: ignore[arg-type]
                    number_field(raw, "speed_kn", 0, 60), number_field(raw, "course_deg", 0, 360))


def silence_level(last_at: datetime, now: datetime) -> str | None:
    """The alert a vessel at sea silent since ``last_at`` raises at ``now`` (None: none yet)."""
    quiet = now - last_at
    if quiet > SILENT_RETURN:
        return "high"
    if quiet > SILENT_AT_SEA:
        return "warning"
    return None


def findings(latest: list[Any], now: datetime, names: dict[str, str]) -> list[Finding]:
    """The vessels family's findings at ``now`` from each vessel's latest position (rows with
    ``vessel_id``, ``at``, ``lat``, ``lon``, ``port_id`` and ``outside``)."""
    out = []
    zone = boundary()[0]
    for row in latest:
        if row.at > now:
            continue
        name = names.get(row.vessel_id, "")
        if not row.port_id:
            level = silence_level(row.at, now)
            if level is not None:
                out.append(Finding(FAMILY, "vessel_silent", row.vessel_id, level, row.at + SILENT_AT_SEA, {
                    "vessel": name, "last_utc": row.at.isoformat(), "lat": row.lat, "lon": row.lon,
                    "hours": int((now - row.at).total_seconds() // 3600)}))
        if row.outside:
            out.append(Finding(FAMILY, "vessel_outside", row.vessel_id, "info", row.at, {
                "vessel": name, "zone": zone, "at_utc": row.at.isoformat(), "lat": row.lat, "lon": row.lon}))
    return out
