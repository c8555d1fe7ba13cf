"""The Admin page's units on each date (pure: no Dash, no store): the level and unit choices of a
period, the note of a period that spans 1 July 2025, and the map's names.

Levels and units are those in force during the selected period (:mod:`ioc.domain.admin_units`):
before 1 July 2025 the province, district and commune levels; from then the city's centre and
the 40 commune centres.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ioc.domain.admin_units import LEVELS, levels_between, one_stop_units_between, spans_changeover
from ioc.domain.units import UnitMap, name_key
from ioc.i18n import fmt_date, t
from ioc.kpi.filters import Problem, Selection
from layouts.admin_shaping import level_label
from layouts.shaping import unit_options


def level_options(levels: tuple[str, ...], lang: str) -> list[dict]:
    """The level filter's options: the levels of the period, in order."""
    return [{"label": level_label(lv, lang), "value": lv} for lv in LEVELS if lv in levels]


def admin_unit_options(units: UnitMap, start: date, end: date, lang: str, level: str | None = None,
                       current: str | None = None) -> list[dict]:
    """The unit filter's options for local dates ``[start, end)``: the city's centre, then the
    current communes (their commune-level dossiers of every period, history mapped) and, when
    the period reaches before 1 July 2025, the district centres and the communes of that time
    (a former commune whose code a current commune took is reached through the current one).
    ``level`` keeps only the units of that level; a ``current`` value missing is kept, by code."""
    in_period = one_stop_units_between(units, start, end)
    centres = [{"label": p.unit.name, "value": p.code, "search": f"{p.unit.name} {name_key(p.unit.name)}"}
               for p in in_period if p.unit.level == "province"]
    shared = unit_options(units, start, end, lang)  # current communes by kind, then districts of the time
    current_codes = {u.code for u in units.current_communes()}
    district_codes = {p.code for p in in_period if p.unit.level == "district"}
    former = sorted((p for p in in_period if p.unit.level == "commune" and p.code not in current_codes),
                    key=lambda p: name_key(p.unit.name))
    if level == "province":
        options = centres
    elif level == "district":
        options = _group(shared, lambda o: o["value"] in district_codes or o["value"] == "_group_district")
    else:
        communes = _group(shared, lambda o: o["value"] in current_codes or str(o["value"]).startswith("_group_")
                          and o["value"] != "_group_district")
        old = []
        if former:
            old = [{"label": t("admin_unit_group_former", lang, day=fmt_date(units.changeover, lang)),
                    "value": "_group_former", "disabled": True}]
            old += [{"label": " / ".join((*p.former_names, p.unit.name)), "value": p.code,
                     "search": " ".join((p.unit.name, name_key(p.unit.name), *p.former_names, p.code))}
                    for p in former]
        if level == "commune":
            options = communes + old
        else:
            districts = _group(shared, lambda o: o["value"] in district_codes or o["value"] == "_group_district")
            options = centres + communes + districts + old
    if current and all(o["value"] != current for o in options):
        options.append({"label": current, "value": current})
    return options


def _group(options: list[dict], keep) -> list[dict]:  # noqa: ANN001
    """``options`` kept by ``keep``, without group headers left empty."""
    kept = [o for o in options if keep(o)]
    return [o for i, o in enumerate(kept)
            if not o.get("disabled") or (i + 1 < len(kept) and not kept[i + 1].get("disabled"))]


def level_problem(query: Selection) -> tuple[Selection, Problem | None]:
    """A level in the URL that did not exist in the period (district after 1 July 2025) is
    reported and dropped."""
    level = query.get("level")
    if level is None or level in levels_between(query.start, query.end):
        return query, None
    return query.replaced(level=None), Problem("level", str(level), "admin_reason_level_period", "default_all")


def period_note(query: Selection, lang: str) -> str:
    """The period's dates, and, when it spans 1 July 2025, that units changed then."""
    note = f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}"
    if spans_changeover(query.start, query.end):
        note += " · " + t("unit_map_change_note", lang)
    return note


def centre_labels_geojson(centres: pd.DataFrame) -> dict:
    """Names of the map's centres (short, without "Phường", "Xã"…) at their points, busiest first
    (the map keeps those centred and moves the others aside); the city's centre is named by its
    tooltip, not a label, as it sits among the city's wards."""
    rows = centres[(centres["level"] != "province") & centres["lat"].notna() & centres["lon"].notna()]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(r["lon"]), 5),
                                                                          round(float(r["lat"]), 5)]},
         "properties": {"name": str(r["short_name"])}} for r in rows.to_dict("records")]}
