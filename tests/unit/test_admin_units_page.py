"""The Admin page's levels and units on each date (issue 11): before 1 July 2025 three levels,
after it two, a period spanning the change three with the note saying so; the unit choices are
today's communes and the units of the period's time."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ioc.domain.admin_units import levels_between, spans_changeover
from ioc.domain.units import UnitMap
from ioc.kpi.admin import AdminFilter
from ioc.kpi.periods import Period
from layouts.admin_shaping import level_cards
from layouts.admin_units import admin_unit_options, centre_labels_geojson, level_options, level_problem, period_note

BEFORE = Period(date(2024, 1, 1), date(2025, 1, 1))
AFTER = Period(date(2026, 1, 1), date(2026, 12, 1))
SPANNING = Period(date(2025, 1, 1), date(2026, 1, 1))


def test_levels_per_period() -> None:
    assert levels_between(BEFORE.start, BEFORE.end) == ("province", "district", "commune")
    assert levels_between(AFTER.start, AFTER.end) == ("province", "commune")
    assert levels_between(SPANNING.start, SPANNING.end) == ("province", "district", "commune")
    # the edges: the last day of the district level, the first without it
    assert "district" in levels_between(date(2025, 6, 30), date(2025, 7, 1))
    assert "district" not in levels_between(date(2025, 7, 1), date(2025, 7, 2))
    assert [o["value"] for o in level_options(levels_between(AFTER.start, AFTER.end), "vi")] == ["province", "commune"]
    assert [o["label"] for o in level_options(levels_between(BEFORE.start, BEFORE.end), "en")] == [
        "Province", "District", "Commune"]
    cards = level_cards(pd.DataFrame(columns=["key", "on_time_rate", "resolved", "early", "on_time", "overdue"]),
                        0.95, "vi", levels_between(AFTER.start, AFTER.end))
    assert [c["level"] for c in cards] == ["province", "commune"]


def test_a_period_spanning_the_change_says_so() -> None:
    assert spans_changeover(SPANNING.start, SPANNING.end) and not spans_changeover(AFTER.start, AFTER.end)
    assert not spans_changeover(date(2025, 7, 1), date(2025, 8, 1))  # starts on the day: one side only
    spanning = period_note(AdminFilter(SPANNING), "en")
    assert spanning.startswith("01/01/2025 – 31/12/2025 · This period spans 1 July 2025")
    assert "1675" in period_note(AdminFilter(SPANNING), "vi")
    assert period_note(AdminFilter(AFTER), "en") == "01/01/2026 – 30/11/2026"


def test_a_level_that_did_not_exist_in_the_period_is_reported_and_dropped() -> None:
    query, problem = level_problem(AdminFilter(AFTER, level="district"))
    assert query.get("level") is None and problem is not None and problem.param == "level"
    assert "01/07/2025" in problem.message("vi")
    query, problem = level_problem(AdminFilter(BEFORE, level="district"))
    assert query.get("level") == "district" and problem is None


def test_unit_choices_are_todays_communes_and_the_units_of_the_time() -> None:
    units = UnitMap.default()
    after = [o for o in admin_unit_options(units, AFTER.start, AFTER.end, "vi") if not o.get("disabled")]
    assert len(after) == 41 and after[0]["value"] == "46.TTPVHCC"
    assert after[0]["label"] == "Trung tâm Phục vụ hành chính công thành phố Huế"
    before = [o for o in admin_unit_options(units, BEFORE.start, BEFORE.end, "vi") if not o.get("disabled")]
    values = [o["value"] for o in before]
    assert len(values) == len(set(values))  # a code reused by a current commune is offered once
    assert {"474", "476", "19780"} <= set(values)  # districts and former communes of 2024
    assert before[0]["label"] == "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế"
    district = [o["value"] for o in admin_unit_options(units, BEFORE.start, BEFORE.end, "vi", "district")
                if not o.get("disabled")]
    assert sorted(district) == ["474", "476", "477", "478", "479", "480", "481", "482", "483"]
    assert [o["value"] for o in admin_unit_options(units, AFTER.start, AFTER.end, "vi", "province")] == ["46.TTPVHCC"]
    kept = admin_unit_options(units, AFTER.start, AFTER.end, "vi", current="474")  # from the URL, kept
    assert kept[-1] == {"label": "474", "value": "474"}


def test_map_names_the_centres_in_force() -> None:
    centres = pd.DataFrame([
        {"code": "46.TTPVHCC", "short_name": "TTPVHCC thành phố", "level": "province", "lat": 16.46, "lon": 107.59},
        {"code": "19753", "short_name": "Phú Xuân", "level": "commune", "lat": 16.4785, "lon": 107.57},
    ])
    features = centre_labels_geojson(centres)["features"]
    assert [f["properties"]["name"] for f in features] == ["Phú Xuân"]
