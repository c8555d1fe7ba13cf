"""The one-stop units of Thừa Thiên Huế (domain.md §1, §2) as seed data: 1 provincial centre,
9 district centres and 141 commune reception units.

The nine district-level units are already in :data:`ioc.domain.units.SEED_UNITS` (their
one-stop centres are those units). The provincial centre is added here. The 141 communes keep
the published count per district and the published split (95 xã, 39 phường, 7 thị trấn), but
their **names, codes and positions are generated**: real names are not in the domain brief, so
each is named ``Phường số 3 – Thành phố Huế (tên tạo tự động)``, coded ``474.03`` (parent code
and a number, never a real GSO code) and flagged ``generated`` in the units table. A deployment
replaces them with its real list (units are data, not code).
"""

from __future__ import annotations

import math

from ioc.domain.units import PROVINCE_BBOX, PROVINCE_CODE, SEED_UNITS, Unit

PROVINCIAL_CENTRE = Unit("46.TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế", "province",
                         PROVINCE_CODE, 16.4637, 107.5909)
GENERATED_SUFFIX = "(tên tạo tự động)"

# Per district: (phường, thị trấn, xã). Sums: 39 phường, 7 thị trấn, 95 xã = 141, and each row
# adds up to the district's commune count of domain.md §2.
COMMUNE_KINDS: dict[str, tuple[int, int, int]] = {
    "474": (29, 0, 7),   # Thành phố Huế: 36
    "479": (5, 0, 5),    # Thị xã Hương Thủy: 10
    "480": (5, 0, 4),    # Thị xã Hương Trà: 9
    "476": (0, 1, 15),   # Huyện Phong Điền: 16
    "477": (0, 1, 10),   # Huyện Quảng Điền: 11
    "478": (0, 1, 13),   # Huyện Phú Vang: 14
    "482": (0, 2, 15),   # Huyện Phú Lộc: 17
    "481": (0, 1, 17),   # Huyện A Lưới: 18
    "483": (0, 1, 9),    # Huyện Nam Đông: 10
}  # fmt: skip
KIND_NAMES = ("Phường", "Thị trấn", "Xã")
# How far (degrees) generated communes spread around their district's centroid.
SPREAD_DEG = {"474": 0.035, "479": 0.05, "480": 0.06}
DEFAULT_SPREAD_DEG = 0.08
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def district_units() -> list[Unit]:
    """The nine district-level units (their one-stop centres), from the shared seed."""
    return [u for u in SEED_UNITS if u.level == "district"]


def generated_communes() -> list[Unit]:
    """141 commune reception units with generated names and positions (deterministic).

    Positions lie on a sunflower spiral around the district centroid, inside the province's
    bounding box: plausible for a map, not surveyed.
    """
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX
    out: list[Unit] = []
    for district in district_units():
        kinds = COMMUNE_KINDS[district.code]
        total = sum(kinds)
        if total != district.communes:
            raise ValueError(f"{district.code}: {total} communes generated, {district.communes} published")
        spread = SPREAD_DEG.get(district.code, DEFAULT_SPREAD_DEG)
        k = 0
        for kind, count in zip(KIND_NAMES, kinds, strict=True):
            for number in range(1, count + 1):
                k += 1
                radius = spread * math.sqrt((k - 0.5) / total)
                angle = k * _GOLDEN_ANGLE
                lat = min(max(district.lat + radius * math.sin(angle), lat_min), lat_max)
                lon = min(max(district.lon + radius * math.cos(angle) / math.cos(math.radians(district.lat)),
                              lon_min), lon_max)
                out.append(Unit(f"{district.code}.{k:02d}", f"{kind} số {number} – {district.name} {GENERATED_SUFFIX}",
                                "commune", district.code, round(lat, 5), round(lon, 5)))
    return out


def one_stop_units() -> list[tuple[Unit, bool]]:
    """The 151 one-stop units as (unit, generated): the provincial centre, the nine district
    centres and the 141 communes."""
    return [(PROVINCIAL_CENTRE, False), *((u, False) for u in district_units()),
            *((u, True) for u in generated_communes())]
