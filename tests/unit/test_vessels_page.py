"""The vessels page's pure shaping (layouts/vessels_shaping.py): each vessel's state either side
of the 6-hour and 10-day rules, the rows of the table and the map, the tiles, the track."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from layouts import vessels_shaping as shaping

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 12, 0)
Report = namedtuple("Report", "at lat lon speed_kn")


@pytest.mark.parametrize(("port", "quiet", "state"), [
    ("thuan_an", timedelta(days=30), "in_port"),
    ("", timedelta(hours=5, minutes=59), "at_sea"),
    ("", timedelta(hours=6), "at_sea"),  # exactly 6 hours is not yet silent
    ("", timedelta(hours=6, minutes=1), "silent_6h"),
    ("", timedelta(days=10), "silent_6h"),
    ("", timedelta(days=10, minutes=1), "silent_10d"),
])
def test_a_vessel_state_follows_the_silence_rules(port: str, quiet: timedelta, state: str) -> None:
    assert shaping.vessel_state(port, NOW - quiet, NOW) == state


@pytest.mark.parametrize(("quiet", "vi", "en"), [
    (timedelta(minutes=25, seconds=50), "25 phút trước", "25 min ago"),
    (timedelta(hours=7, minutes=59), "7 giờ trước", "7 h ago"),
    (timedelta(hours=47, minutes=59), "47 giờ trước", "47 h ago"),
    (timedelta(days=11, hours=3), "11 ngày trước", "11 days ago"),
    (timedelta(minutes=-5), "0 phút trước", "0 min ago"),
])
def test_ago_text(quiet: timedelta, vi: str, en: str) -> None:
    assert (shaping.ago_text(quiet, "vi"), shaping.ago_text(quiet, "en")) == (vi, en)


def latest_frame() -> pd.DataFrame:
    rows = [
        ("TTH-1", NOW - timedelta(hours=1), 16.9, 108.3, 6.5, "", False, "Phước Lộc 001", 18.5, "thuan_an"),
        ("TTH-2", NOW - timedelta(hours=2), 16.558, 107.642, 0.0, "thuan_an", False, "Tân Mỹ 002", 16.0, "tu_hien"),
        ("TTH-3", NOW - timedelta(hours=7), 16.9, 110.5, None, "", True, "Hải Dương 003", None, "phu_hai"),
        ("TTH-4", NOW - timedelta(days=11), 17.0, 108.5, 3.0, "", False, None, 21.0, ""),
        ("TTH-0", NOW - timedelta(hours=8), 16.8, 108.4, 1.0, "", False, "Vinh Hiền 000", 15.0, "thuan_an"),
    ]
    return pd.DataFrame(rows, columns=["vessel_id", "at", "lat", "lon", "speed_kn", "port_id", "outside", "name",
                                       "length_m", "port"])


def test_rows_put_the_worst_first_and_say_everything_in_text() -> None:
    rows = shaping.vessel_rows(latest_frame(), NOW, TZ, "vi")
    assert [(r["id"], r["state"]) for r in rows] == [
        ("TTH-4", "silent_10d"), ("TTH-3", "silent_6h"), ("TTH-0", "silent_6h"), ("TTH-1", "at_sea"),
        ("TTH-2", "in_port")]  # an outside vessel before an inside one of the same state
    first = rows[0]
    assert first["name"] == "TTH-4" and first["port"] == "–"  # no registry entry: its registration
    assert first["last"] == "09/11/2026 19:00" and first["ago"] == "11 ngày trước"
    assert first["state_label"] == "Mất tín hiệu > 10 ngày" and first["colour"] == "#ef4444"
    silent = rows[1]
    assert (silent["outside"], silent["zone_label"], silent["speed"], silent["length"]) == (True, "Ngoài vùng", "–", "–")
    at_sea = next(r for r in rows if r["id"] == "TTH-1")
    assert (at_sea["port"], at_sea["length"], at_sea["speed"], at_sea["hours"]) == ("Cảng cá Thuận An", "18,5", "6,5", 1.0)
    en = {r["id"]: r for r in shaping.vessel_rows(latest_frame(), NOW, TZ, "en")}
    assert (en["TTH-1"]["length"], en["TTH-2"]["state_label"], en["TTH-1"]["ago"]) == ("18.5", "In port", "1 h ago")
    assert shaping.state_counts(rows) == {"at_sea": 1, "in_port": 1, "silent_6h": 2, "silent_10d": 1, "outside": 1}


def test_rows_mark_vessels_of_a_simulated_source() -> None:
    frame = latest_frame().assign(source=["vessels-simulator", "vms", "vms", "vms", "vms"])
    rows = {r["id"]: r for r in shaping.vessel_rows(frame, NOW, TZ, "vi", {"vessels-simulator"})}
    assert [k for k, r in rows.items() if r["simulated"]] == ["TTH-1"]


def test_the_map_draws_vessels_in_port_first_with_text_tooltips() -> None:
    rows = shaping.vessel_rows(latest_frame(), NOW, TZ, "vi")
    features = shaping.positions_geojson(rows, "vi")["features"]
    assert [f["properties"]["id"] for f in features] == ["TTH-2", "TTH-4", "TTH-3", "TTH-0", "TTH-1"]
    outside = next(f for f in features if f["properties"]["id"] == "TTH-3")
    assert outside["geometry"]["coordinates"] == [110.5, 16.9]
    assert outside["properties"]["tooltip"] == "Hải Dương 003 · TTH-3 · Mất tín hiệu > 6 giờ · 7 giờ trước · Ngoài vùng"


def test_ports_count_the_vessels_lying_in_them() -> None:
    ports = {p["id"]: p["vessels"] for p in shaping.port_items(latest_frame())}
    assert ports["thuan_an"] == 1 and ports["tu_hien"] == 0


def test_the_zone_is_given_as_lat_lon() -> None:
    [ring] = shaping.zone_positions()
    assert ring[0] == [17.0, 107.0] and ring[0] == ring[-1]


def test_a_track_measures_its_distance_and_its_longest_gap() -> None:
    reports = [Report(NOW - timedelta(hours=5), 16.0, 108.0, 5.0), Report(NOW - timedelta(hours=4), 17.0, 108.0, 5.0),
               Report(NOW - timedelta(hours=1), 17.0, 108.0, 0.0)]
    track = shaping.track_line(reports, TZ, "vi")
    assert track["positions"] == [[16.0, 108.0], [17.0, 108.0], [17.0, 108.0]]
    assert track["km"] == pytest.approx(111.19, abs=0.01)  # one degree of latitude
    assert (track["reports"], track["max_gap_h"], track["first"], track["last"]) == (3, 3.0, "20/11/2026 14:00",
                                                                                     "20/11/2026 18:00")
    empty = shaping.track_line([], TZ, "vi")
    assert (empty["positions"], empty["km"], empty["max_gap_h"], empty["first"]) == ([], 0, 0.0, "–")


def test_tiles_states_and_texts() -> None:
    calm = {"vessels": 180, "at_sea": 120, "in_port": 60, "silent_6h": 0, "silent_10d": 0, "outside_zone": 0,
            "warnings_in_force": 0, "at_sea_in_warning": 0}
    tiles = {s.key: s for s in shaping.tiles(calm, "vi")}
    assert [s.state for s in tiles.values()] == ["info", "good", "good", "good"]
    assert tiles["at_sea"].sub == "60 tàu trong cảng · 180 tàu đăng ký"
    assert tiles["at_sea_in_warning"].sub == "không có cảnh báo chính thức đang hiệu lực"
    storm = {**calm, "silent_6h": 3, "silent_10d": 1, "outside_zone": 2, "warnings_in_force": 1,
             "at_sea_in_warning": 1120}
    tiles = {s.key: s for s in shaping.tiles(storm, "vi")}
    assert [s.state for s in tiles.values()] == ["info", "bad", "warn", "bad"]
    assert (tiles["silent_6h"].value, tiles["silent_6h"].sub) == ("3", "trong đó 1 tàu quá 10 ngày")
    assert (tiles["at_sea_in_warning"].value, tiles["at_sea_in_warning"].raw) == ("1.120", 1120)
    assert {s.key: s.state for s in shaping.tiles({**calm, "silent_6h": 2}, "en")}["silent_6h"] == "warn"


@pytest.mark.parametrize(("params", "vessel"), [
    ({"vessel": "TTH-90012-TS"}, "TTH-90012-TS"),
    ({"vessel": "  TTH-90012-TS "}, "TTH-90012-TS"),  # as a link pasted with blanks
    ({"vessel": ["TTH-90001-TS", "TTH-90012-TS"]}, "TTH-90012-TS"),  # repeated: the last, like every parameter
    ({"vessel": "Q" * 32}, "Q" * 32),  # the registry's longest
    ({"vessel": ""}, None), ({"vessel": "   "}, None), ({}, None), ({"lang": "en"}, None),
])
def test_a_link_names_a_registration(params: dict, vessel: str | None) -> None:
    assert shaping.parse_vessel_param(params) == (vessel, None)


@pytest.mark.parametrize(("value", "shown"), [
    ("Q" * 33, "Q" * 33),  # one character more than a registration holds
    ("TTH-9\u00000012", "TTH-9 0012"),  # a control character: shown as a blank, never as itself
    ("TTH\n90012", "TTH 90012"),
])
def test_a_value_no_registration_can_be_is_named_in_both_languages(value: str, shown: str) -> None:
    vessel, problem = shaping.parse_vessel_param({"vessel": value})
    assert vessel is None and problem is not None
    assert problem.message("vi") == (f"Bỏ qua tham số vessel={shown}: không phải số đăng ký tàu (tối đa 32 ký tự, "
                                     "không có ký tự điều khiển). Đang dùng: không chọn tàu nào.")
    assert problem.message("en") == (f"Ignored vessel={shown}: not a vessel registration (at most 32 characters, "
                                     "no control characters). Using: no vessel selected.")


def test_a_registration_the_fleet_does_not_hold_is_named() -> None:
    problem = shaping.unknown_vessel("TTH-99999-TS")
    assert problem.message("vi") == ("Bỏ qua tham số vessel=TTH-99999-TS: không có số đăng ký này. "
                                     "Đang dùng: không chọn tàu nào.")
    assert problem.message("en") == "Ignored vessel=TTH-99999-TS: no such registration. Using: no vessel selected."


@pytest.mark.parametrize(("search", "expected"), [
    (None, "?vessel=TTH-90012-TS"),
    ("", "?vessel=TTH-90012-TS"),
    ("?lang=en", "?lang=en&vessel=TTH-90012-TS"),
    ("?vessel=TTH-90001-TS&lang=en&kiosk=1", "?vessel=TTH-90012-TS&lang=en&kiosk=1"),  # replaced in place
    ("?lang=vi&vessel=A&vessel=B&kiosk=1", "?lang=vi&vessel=TTH-90012-TS&kiosk=1"),
    ("?lang=vi&vessel=TTH-90012-TS", "?lang=vi&vessel=TTH-90012-TS"),  # named already: as it is
    ("?vessel=TTH%2D90012%2DTS", "?vessel=TTH%2D90012%2DTS"),  # however it was written
])
def test_selecting_a_vessel_writes_it_into_the_address(search: str | None, expected: str) -> None:
    assert shaping.vessel_search(search, "TTH-90012-TS") == expected


def test_a_registration_with_blanks_or_slashes_is_written_as_a_link_reads_it_back() -> None:
    search = shaping.vessel_search("?lang=vi", "QNa 9/1 TS")
    assert search == "?lang=vi&vessel=QNa+9%2F1+TS"
    assert shaping.parse_vessel_param(parse_qs(search[1:])) == ("QNa 9/1 TS", None)
