"""The feedback page's unit pieces (layouts.shaping, layouts.feedback): the unit dropdown's
options for a period, the notices about 1 July 2025, the "by area" chart's groupings, and the
page built for a period on either side."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from ioc.domain.units import UnitMap
from ioc.i18n import t
from layouts import ids
from layouts.feedback import layout
from layouts.shaping import area_choices, fold_words, period_unit_names, spans_change, unit_notes, unit_options

UNITS = UnitMap.default()
SETTINGS = SimpleNamespace(lang="vi", tile_url="", tile_attribution="", target_satisfaction=0.8)
TODAY = date(2026, 11, 27)


def groups(options: list[dict]) -> dict[str, list[dict]]:
    """Options under each disabled group header, by header value."""
    out: dict[str, list[dict]] = {}
    current = None
    for o in options:
        if o.get("disabled"):
            current = o["value"]
            out[current] = []
        else:
            out.setdefault(current, []).append(o)
    return out


def test_after_the_change_the_options_are_the_40_communes_grouped_phuong_then_xa() -> None:
    options = unit_options(UNITS, date(2025, 7, 1), date(2026, 1, 1), "vi")
    by_group = groups(options)
    assert list(by_group) == ["_group_Phường", "_group_Xã"]
    assert (len(by_group["_group_Phường"]), len(by_group["_group_Xã"])) == (21, 19)
    assert options[0]["label"] == "Phường (21)" and options[0]["disabled"] is True
    assert {"label": "Phường Phú Xuân", "value": "19753"} == {k: v for k, v in by_group["_group_Phường"][
        [o["value"] for o in by_group["_group_Phường"]].index("19753")].items() if k != "search"}
    assert all(len(o["value"]) == 5 for g in by_group.values() for o in g)


def test_before_the_change_the_districts_of_the_time_are_appended() -> None:
    in_2024 = groups(unit_options(UNITS, date(2024, 1, 1), date(2025, 1, 1), "en"))
    assert list(in_2024) == ["_group_Phường", "_group_Xã", "_group_district"]
    districts = {o["value"]: o["label"] for o in in_2024["_group_district"]}
    assert len(districts) == 9 and districts["474"] == "Thành phố Huế" and "483" in districts  # Nam Đông
    assert districts["476"] == "Huyện Phong Điền / Thị xã Phong Điền"  # a town from 1 November 2024
    in_2025 = {o["value"]: o["label"] for o in groups(unit_options(UNITS, date(2025, 1, 1), date(2025, 7, 1),
                                                                     "en"))["_group_district"]}
    assert in_2025["474"] == "Quận Thuận Hóa" and in_2025["475"] == "Quận Phú Xuân" and "483" not in in_2025
    spanning = {o["value"]: o["label"] for o in groups(unit_options(UNITS, date(2024, 12, 1), date(2026, 1, 1),
                                                                      "en"))["_group_district"]}
    assert spanning["474"] == "Thành phố Huế / Quận Thuận Hóa"
    assert t("unit_group_districts", "en", day="01/07/2025") == "District-level units (before 01/07/2025)"


def test_options_are_found_without_diacritics_and_unknown_codes_come_last() -> None:
    options = unit_options(UNITS, date(2026, 1, 1), date(2026, 2, 1), "vi", seen_codes=["19753", "99999", ""])
    phu_xuan = next(o for o in options if o["value"] == "19753")
    assert "phu xuan" in phu_xuan["search"] and "Phú Xuân" in phu_xuan["search"]
    assert fold_words("Xã Chân Mây - Lăng Cô") == "xa chan may - lang co"
    assert options[-1] == {"label": "99999", "value": "99999"}
    assert sum(o["value"] == "19753" for o in options) == 1


@pytest.mark.parametrize(("start", "end", "spans"), [
    (date(2025, 6, 1), date(2025, 7, 2), True),
    (date(2025, 6, 30), date(2025, 7, 2), True),
    (date(2025, 6, 1), date(2025, 7, 1), False),  # the last day is 30 June
    (date(2025, 7, 1), date(2025, 8, 1), False),
    (date(2024, 1, 1), date(2024, 2, 1), False),
])
def test_the_change_notice_shows_for_a_spanning_period_only(start: date, end: date, spans: bool) -> None:
    assert spans_change(UNITS, start, end) is spans
    assert (t("unit_map_change_note", "vi") in unit_notes(UNITS, start, end, None, "vi")) is spans


def test_a_district_after_the_change_is_noted_and_the_area_chart_offers_districts_before_only() -> None:
    after = unit_notes(UNITS, date(2025, 8, 1), date(2025, 9, 1), "474", "en")
    assert after == [t("unit_district_after_note", "en")]
    assert unit_notes(UNITS, date(2024, 1, 1), date(2025, 1, 1), "474", "en") == []
    assert unit_notes(UNITS, date(2025, 8, 1), date(2025, 9, 1), "19753", "en") == []
    assert area_choices(UNITS, date(2024, 1, 1), date(2025, 7, 1)) == ("commune", "district")
    assert area_choices(UNITS, date(2024, 1, 1), date(2025, 7, 2)) == ("commune",)
    names = period_unit_names(UNITS, date(2024, 1, 1), date(2025, 1, 1))
    assert (names["474"], names["19753"]) == ("Thành phố Huế", "Phường Phú Xuân")


def _find(component, component_id: str):  # noqa: ANN001, ANN202
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        found = _find(child, component_id)
        if found is not None:
            return found
    return None


def test_the_page_for_a_spanning_period_says_so_and_lists_the_districts_of_then() -> None:
    page = layout(SETTINGS, TODAY, "vi", UNITS, **{"from": "2025-01-01", "to": "2025-12-31", "district": "474"})
    note = _find(page, ids.FB_UNIT_NOTE)
    texts = [p.children for p in note.children]
    assert texts == [t("unit_map_change_note", "vi"), t("unit_district_after_note", "vi")]
    dropdown = _find(page, ids.FB_UNIT)
    assert dropdown.value == "474" and "474" in {o["value"] for o in dropdown.options}
    toggle = _find(page, ids.FB_AREA_BY)
    assert toggle.value == "commune" and [o["disabled"] for o in toggle.options] == [False, True]


def test_the_page_after_the_change_has_no_notice_and_only_communes() -> None:
    page = layout(SETTINGS, TODAY, "en", UNITS, **{"from": "2026-01-01", "to": "2026-01-31"})
    assert _find(page, ids.FB_UNIT_NOTE).children == []
    values = [o["value"] for o in _find(page, ids.FB_UNIT).options if not o.get("disabled")]
    assert len(values) == 40 and all(len(v) == 5 for v in values)
    before = layout(SETTINGS, TODAY, "en", UNITS, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert [o["disabled"] for o in _find(before, ids.FB_AREA_BY).options] == [False, False]
