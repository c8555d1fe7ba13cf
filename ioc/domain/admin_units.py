"""The one-stop units of administrative services (domain.md §1, §6), on each date.

Before 1 July 2025: the provincial public-administration service centre, one centre per
district-level unit and one reception unit per commune. From 1 July 2025 (no district level):
the city's centre and one centre per commune. The district and commune units are the
administrative units in force that day (:class:`ioc.domain.units.UnitMap`); only the city's centre
is added here, as dated rows of the units table (its name followed the province becoming a
centrally-run city on 1 January 2025).
"""

from __future__ import annotations

from datetime import date

from ioc.domain.units import CENTRE_KIND, CHANGEOVER, PROVINCE_CODE, Unit, UnitMap

PROVINCIAL_CENTRE_CODE = f"{PROVINCE_CODE}.TTPVHCC"
_CENTRE_POSITION = (16.4637, 107.5909)
PROVINCIAL_CENTRES: tuple[Unit, ...] = (
    Unit(PROVINCIAL_CENTRE_CODE, "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế", "province", PROVINCE_CODE,
         *_CENTRE_POSITION, short_name="TTPVHCC tỉnh", kind=CENTRE_KIND, valid_to=date(2024, 12, 31),
         source="Trung tâm Phục vụ hành chính công (QĐ 766/QĐ-TTg)"),
    Unit(PROVINCIAL_CENTRE_CODE, "Trung tâm Phục vụ hành chính công thành phố Huế", "province", PROVINCE_CODE,
         *_CENTRE_POSITION, short_name="TTPVHCC thành phố", kind=CENTRE_KIND, valid_from=date(2025, 1, 1),
         source="NQ 175/2024/QH15"),
)
LEVELS = ("province", "district", "commune")


def levels_on(day: date) -> tuple[str, ...]:
    """The one-stop levels that exist on ``day``."""
    return ("province", "commune") if day >= CHANGEOVER else LEVELS


def one_stop_units(units: UnitMap, day: date) -> list[Unit]:
    """The one-stop units in force on ``day``: the provincial (city) centre, then the district
    centres (before 1 July 2025), then the communes'."""
    centres = [u for u in units.on(day) if u.code == PROVINCIAL_CENTRE_CODE]
    if not centres:
        centres = [u for u in PROVINCIAL_CENTRES if u.in_force(day)]
    rest = [u for u in units.on(day) if u.level in ("district", "commune") and u.level in levels_on(day)]
    return [*centres, *rest]
