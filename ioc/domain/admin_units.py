"""The one-stop units of administrative services (domain.md §1, §6), on each date.

Before 1 July 2025: the provincial public-administration service centre, one centre per
district-level unit and one reception unit per commune. From 1 July 2025 (no district level):
the city's centre and one centre per commune. The district and commune units are the
administrative units in force that day (:class:`ioc.domain.units.UnitMap`); only the city's centre
is added here, as dated rows of the units table (its name followed the province becoming a
centrally-run city on 1 January 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def period_days(units: UnitMap, start: date, end: date) -> list[date]:
    """One day of each stretch between map changes that local dates ``[start, end)`` touch
    (the first day of the period, then each change day inside it)."""
    return [start, *(d for d in units.change_days() if start < d < end)]


def levels_between(start: date, end: date) -> tuple[str, ...]:
    """The one-stop levels that exist on some day of ``[start, end)`` (district only if the
    period reaches before 1 July 2025), in :data:`LEVELS` order."""
    seen = set(levels_on(start)) | (set(levels_on(date.fromordinal(end.toordinal() - 1))) if end > start else set())
    return tuple(lv for lv in LEVELS if lv in seen)


def spans_changeover(start: date, end: date) -> bool:
    """Whether ``[start, end)`` holds days on both sides of 1 July 2025."""
    return start < CHANGEOVER < end


@dataclass(frozen=True)
class PeriodUnit:
    """A one-stop unit in force on some day of a period: its version in force last in the period
    (name, level, position) and the other names it bore during the period, oldest first."""

    unit: Unit
    former_names: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.unit.code


def one_stop_units_between(units: UnitMap, start: date, end: date) -> list[PeriodUnit]:
    """The one-stop units in force on some day of ``[start, end)``, one per code (GSO codes are
    reused: a code's versions in the period are one unit, named by the latest), ordered as
    :func:`one_stop_units` orders the last day's, then those gone before it."""
    by_code: dict[str, list[Unit]] = {}
    for day in reversed(period_days(units, start, end)):
        for u in one_stop_units(units, day):
            versions = by_code.setdefault(u.code, [])
            if u not in versions:
                versions.append(u)
    out = []
    for versions in by_code.values():
        latest = versions[0]  # collected from the last stretch backwards
        former = tuple(dict.fromkeys(v.name for v in reversed(versions[1:]) if v.name != latest.name))
        out.append(PeriodUnit(latest, former))
    return out


def unit_filter_column(code: str, units: UnitMap | None = None) -> str:
    """The dossier column the admin unit filter constrains for ``code``: ``commune_code`` for a
    current commune (every commune-level dossier mapped to it, before and after 1 July 2025),
    ``unit_code`` for any other one-stop unit of its time (the city's centre, a district centre
    or a commune before the change)."""
    units = units or UnitMap.default()
    return "commune_code" if code in {u.code for u in units.current_communes()} else "unit_code"


def commune_sources(code: str, units: UnitMap | None = None) -> tuple[str, ...]:
    """The unit codes whose commune-level dossiers may be mapped to current commune ``code``:
    itself and the communes of 30 June 2025 it succeeds (any successor, not only the default).
    A superset, for reading through the (unit_code, received_at) index."""
    units = units or UnitMap.default()
    return tuple(dict.fromkeys([code, *(old for old, new, _ in units.conversion if new == code)]))
