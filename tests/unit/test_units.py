"""Huế's administrative units as effective-dated data (issue #11): the published lists on both
sides of each change, where records belong on their date, and the old → new conversion."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ioc.domain.units import CHANGEOVER, Unit, UnitMap, name_key, unit_column
from ioc.store.places import place_frame

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = UnitMap.default()


def levels(day: date) -> Counter:
    return Counter(u.level for u in UNITS.on(day) if u.administrative)


def names(day: date, level: str) -> set[str]:
    return {u.name for u in UNITS.on(day) if u.level == level}


# The published structure on each side of each change (domain.md §2, the resolutions).
@pytest.mark.parametrize(("day", "districts", "communes", "kinds"), [
    (date(2023, 1, 1), 9, 141, {"Phường": 39, "Thị trấn": 7, "Xã": 95}),
    (date(2024, 10, 31), 9, 141, {"Phường": 39, "Thị trấn": 7, "Xã": 95}),
    (date(2024, 11, 1), 9, 137, {"Phường": 45, "Thị trấn": 6, "Xã": 86}),   # Thị xã Phong Điền: 7 phường, 5 xã
    (date(2024, 12, 31), 9, 137, {"Phường": 45, "Thị trấn": 6, "Xã": 86}),
    (date(2025, 1, 1), 9, 133, {"Phường": 48, "Thị trấn": 7, "Xã": 78}),
    (date(2025, 6, 30), 9, 133, {"Phường": 48, "Thị trấn": 7, "Xã": 78}),
    (date(2025, 7, 1), 0, 40, {"Phường": 21, "Xã": 19}),
    (date(2026, 1, 1), 0, 40, {"Phường": 21, "Xã": 19}),
])
def test_unit_counts_on_both_sides_of_each_change(day: date, districts: int, communes: int, kinds: dict) -> None:
    count = levels(day)
    assert count["province"] == 1
    assert count["district"] == districts
    assert count["commune"] == communes
    assert Counter(u.kind for u in UNITS.on(day) if u.level == "commune") == kinds


def test_district_level_changes_of_2024_and_2025() -> None:
    assert "Huyện Phong Điền" in names(date(2024, 10, 31), "district")
    assert "Thị xã Phong Điền" in names(date(2024, 11, 1), "district")
    before, after = names(date(2024, 12, 31), "district"), names(date(2025, 1, 1), "district")
    assert {"Thành phố Huế", "Huyện Nam Đông"} <= before
    assert not {"Quận Phú Xuân", "Quận Thuận Hóa"} & before
    assert {"Quận Phú Xuân", "Quận Thuận Hóa", "Huyện Phú Lộc"} <= after
    assert not {"Thành phố Huế", "Huyện Nam Đông"} & after
    assert names(date(2025, 7, 1), "district") == set()
    assert {u.name for u in UNITS.on(date(2024, 12, 31)) if u.level == "province"} == {"Tỉnh Thừa Thiên Huế"}
    assert {u.name for u in UNITS.on(date(2025, 1, 1)) if u.level == "province"} == {"Thành phố Huế"}


def test_the_current_communes_carry_gso_codes_positions_and_areas() -> None:
    current = {u.code: u for u in UNITS.current_communes()}
    assert len(current) == 40
    for code, name in {"19753": "Phường Phú Xuân", "19777": "Phường Vỹ Dạ", "19789": "Phường Thuận Hóa",
                       "20056": "Xã A Lưới 1", "20137": "Xã Chân Mây - Lăng Cô"}.items():
        assert current[code].name == name
    for u in current.values():
        assert u.parent_code == "46" and u.valid_from == CHANGEOVER and u.valid_to is None
        assert 15.99 <= u.lat <= 16.74 and 107.02 <= u.lon <= 108.22 and u.area_km2 > 0
        assert u.source  # the resolution is cited


def test_codes_are_reused_so_a_version_is_code_and_date() -> None:
    assert UNITS.get("19753", date(2024, 6, 1)).name == "Phường Thuận Lộc"
    assert UNITS.get("19753", date(2026, 6, 1)).name == "Phường Phú Xuân"
    assert UNITS.get("474", date(2024, 6, 1)).name == "Thành phố Huế"
    assert UNITS.get("474", date(2025, 3, 1)).name == "Quận Thuận Hóa"
    assert UNITS.get("474", date(2025, 7, 1)) is None
    # a commune's parent is resolved on the same day: Thủy Biều was in Thành phố Huế, then in Thuận Hóa
    assert UNITS.district_of(UNITS.get("19807", date(2024, 6, 1)), date(2024, 6, 1)) == "474"
    assert UNITS.get("474", date(2025, 2, 1)).name == "Quận Thuận Hóa"


def test_every_commune_on_the_eve_converts_to_a_current_commune() -> None:
    current = {u.code for u in UNITS.current_communes()}
    eve = [u for u in UNITS.on(UNITS.eve) if u.level == "commune"]
    assert len(eve) == 133
    for u in eve:
        placed = UNITS.place(UNITS.eve, code=u.code)
        assert placed.commune_code in current, u


def test_records_at_2359_and_0000_either_side_of_the_change() -> None:
    """30/06/2025 23:59 local is on the old map (district and ward of the time); 01/07/2025 00:00
    local is on the new one (no district). Both belong to today's Phường Phú Xuân."""
    frame = pd.DataFrame({
        "received_at": [datetime(2025, 6, 30, 16, 59), datetime(2025, 6, 30, 17, 0)],  # naive UTC
        "unit_code": ["", ""], "lat": [16.4836, 16.4836], "lon": [107.5740, 107.5740],
    })
    placed = place_frame(frame, "received_at", HUE, UNITS)
    old, new = placed.iloc[0], placed.iloc[1]
    assert (old.unit_code, old.district_code, old.commune_code) == ("19753", "475", "19753")
    assert UNITS.get(old.unit_code, date(2025, 6, 30)).name == "Phường Thuận Lộc"
    assert (new.unit_code, new.district_code, new.commune_code) == ("19753", "", "19753")
    assert UNITS.get(new.unit_code, date(2025, 7, 1)).name == "Phường Phú Xuân"


def test_a_record_is_found_by_code_by_name_or_by_position() -> None:
    day = date(2024, 3, 1)
    by_code = UNITS.place(day, code="20182")
    by_name = UNITS.place(day, name="xã Hương Hữu")
    assert by_code == by_name and by_code.unit_code == "20182" and by_code.district_code == "483"
    assert UNITS.place(day, name="Phường Thuỷ Biều").unit_code == "19807"  # old tone placement
    assert name_key("Phường Thủy Biều") == name_key("Thuỷ Biều") == "thuybieu"
    # by position; a district given by the source confines the search to its communes
    vy_da = UNITS.place(date(2026, 1, 1), lat=16.4779, lon=107.611)
    assert vy_da.unit_code == "19777" and vy_da.district_code == ""
    assert UNITS.place(day, code="483", lat=16.28, lon=107.90).district_code == "483"
    # outside the province: no unit
    assert UNITS.place(day, lat=10.8, lon=106.7).unit_code == ""
    # the dissolved communes of 2025-01-01 (no successor in the conversion) map by position
    dissolved = UNITS.place(day, code="19906", lat=16.53, lon=107.60)
    assert dissolved.unit_code == "19906" and dissolved.commune_code != ""


def test_a_split_ward_goes_where_the_record_is_else_to_the_main_successor() -> None:
    """The shipped conversion (vietnamadminunits 1.0.4) divides no Huế ward; the rule is tested on
    a map whose old ward A was split between B (main successor) and C."""
    old = dict(valid_to=date(2025, 6, 30))
    new = dict(valid_from=CHANGEOVER)
    units = UnitMap([
        Unit("46", "Tỉnh X", "province", None, 16.4, 107.5),
        Unit("400", "Huyện Y", "district", "46", 16.4, 107.5, **old),
        Unit("10001", "Phường A", "commune", "400", 16.40, 107.50, **old),
        Unit("20001", "Phường B", "commune", "46", 16.40, 107.40, **new),
        Unit("20002", "Phường C", "commune", "46", 16.40, 107.60, **new),
    ], [("10001", "20001", True), ("10001", "20002", False)])
    day = date(2025, 3, 1)
    assert units.place(day, code="10001", lat=16.40, lon=107.58).commune_code == "20002"  # east half → C
    assert units.place(day, code="10001", lat=16.40, lon=107.42).commune_code == "20001"  # west half → B
    assert units.place(day, code="10001").commune_code == "20001"  # no position: the main successor
    assert units.place_many([day] * 3, ["10001"] * 3, [16.40, 16.40, None], [107.58, 107.42, None])[2] == \
        ["20002", "20001", "20001"]


def test_place_many_answers_as_place() -> None:
    rng = random.Random(11)
    n = 3000
    days = [date(2023, 1, 1) + timedelta(days=rng.randrange(1300)) for _ in range(n)]
    codes = [rng.choice(["", "474", "475", "483", "476", "19906", "19753", "20182", "99999", "46"]) for _ in range(n)]
    lats = [rng.choice([None, 15.9 + rng.random() * 0.9]) for _ in range(n)]
    lons = [None if la is None else 106.9 + rng.random() * 1.4 for la in lats]
    many = UNITS.place_many(days, codes, lats, lons)
    for i in range(n):
        p = UNITS.place(days[i], code=codes[i], lat=lats[i], lon=lons[i])
        assert (p.unit_code, p.district_code, p.commune_code) == (many[0][i], many[1][i], many[2][i]), i


def test_unit_filter_column_by_the_codes_level() -> None:
    assert unit_column("19753") == "commune_code"
    assert unit_column("474") == "district_code"


def test_a_fixed_point_has_the_same_current_commune_either_side_of_the_change() -> None:
    """A camera or a station does not move: placed by position before 1 July 2025 (its ward then,
    through the conversion) and after (the commune at the point), it gets the same commune."""
    rng = random.Random(5)
    points = [(16.2 + rng.random() * 0.45, 107.2 + rng.random() * 0.8) for _ in range(300)]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    before = UNITS.place_many([date(2025, 6, 30)] * 300, [""] * 300, lats, lons)[2]
    after = UNITS.place_many([date(2025, 7, 1)] * 300, [""] * 300, lats, lons)[2]
    assert before == after
    assert UNITS.place(date(2025, 6, 30), lat=16.4011, lon=107.6892).commune_code == \
        UNITS.place(date(2026, 1, 1), lat=16.4011, lon=107.6892).unit_code


def test_wards_the_source_could_not_position_have_no_position() -> None:
    """The legacy list puts Dương Nỗ and Long Hồ at their district's geocode and Hương Vân and
    Hương Văn at one shared point: those positions are dropped, not trusted."""
    eve = {u.code: u for u in UNITS.on(date(2025, 6, 30))}
    for code in ("19909", "20029", "20008", "20011", "20083"):
        assert eve[code].lat is None and eve[code].lon is None
    positions = [(u.lat, u.lon) for u in eve.values() if u.level == "commune" and u.lat is not None]
    assert len(positions) == len(set(positions))
