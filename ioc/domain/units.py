"""Administrative units as data: the seed for Thừa Thiên Huế (domain.md §2, as of 2023).

The hierarchy is not hard-wired: each unit names its parent, and the store holds them in a
table that a deployment may edit (Huế abolished its district level in 2025).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PROVINCE_CODE = "46"
PROVINCE_BBOX = (107.02, 15.99, 108.22, 16.74)  # lon_min, lat_min, lon_max, lat_max
HUE_CENTRE = (16.4779, 107.5768)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # province | district | commune
    parent_code: str | None
    lat: float | None
    lon: float | None
    communes: int = 0


SEED_UNITS: tuple[Unit, ...] = (
    Unit("46", "Tỉnh Thừa Thiên Huế", "province", None, 16.47, 107.59),
    Unit("474", "Thành phố Huế", "district", "46", 16.47, 107.59, 36),
    Unit("479", "Thị xã Hương Thủy", "district", "46", 16.33, 107.65, 10),
    Unit("480", "Thị xã Hương Trà", "district", "46", 16.42, 107.45, 9),
    Unit("476", "Huyện Phong Điền", "district", "46", 16.50, 107.30, 16),
    Unit("477", "Huyện Quảng Điền", "district", "46", 16.58, 107.50, 11),
    Unit("478", "Huyện Phú Vang", "district", "46", 16.47, 107.71, 14),
    Unit("482", "Huyện Phú Lộc", "district", "46", 16.28, 107.90, 17),
    Unit("481", "Huyện A Lưới", "district", "46", 16.22, 107.22, 18),
    Unit("483", "Huyện Nam Đông", "district", "46", 16.12, 107.68, 10),
)


_KIND_PREFIXES = ("Thành phố ", "Thị xã ", "Thị trấn ", "Huyện ", "Quận ", "Phường ", "Xã ", "Tỉnh ")


def short_name(name: str) -> str:
    """A unit's name without its kind ("Huyện Phú Vang" → "Phú Vang"), for map labels where the
    full names of neighbouring units would run into each other."""
    for prefix in _KIND_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def in_province(lat: float | None, lon: float | None) -> bool:
    if lat is None or lon is None:
        return False
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def nearest_unit(lat: float | None, lon: float | None, units: list[Unit] | tuple[Unit, ...]) -> str:
    """Code of the district-level unit whose centroid is nearest, or '' outside the province.

    Without boundary polygons this is an approximation; a source that knows the unit should
    send it (Open311 ``extended_attributes.district_code``).
    """
    if not in_province(lat, lon):
        return ""
    best, best_d = "", math.inf
    for unit in units:
        if unit.level != "district" or unit.lat is None or unit.lon is None:
            continue
        d = (unit.lat - lat) ** 2 + ((unit.lon - lon) * math.cos(math.radians(lat))) ** 2
        if d < best_d:
            best, best_d = unit.code, d
    return best
