"""The urban-cameras page's pure shaping (layouts/cameras_shaping.py) on hand-made frames: each
camera's state either side of the 30-minute alert, the offline table longest first, the map's
points, the worst uptimes, the latest AI events, the stacked bars by kind and the tiles."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ioc.kpi.periods import Period
from layouts import cameras_shaping as shaping

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 12, 0)  # naive UTC: 19:00 in Huế
NBSP = "\u00a0"
SIM = "cameras-simulator"
COLUMNS = ["code", "name", "lat", "lon", "purpose", "kind", "road", "unit_code", "commune_code", "district_code",
           "source", "generated", "first_seen", "last_seen", "online", "offline_s"]


def states() -> pd.DataFrame:
    """Six cameras at NOW: online, 20 min silent, 3 days 4 h 10 min silent, never heard from,
    exactly 30 min silent, 30 min 1 s silent."""
    first = NOW - timedelta(days=30)

    def cam(code, purpose, commune, quiet, lat=16.47, lon=107.58, source=SIM, name=None):  # noqa: ANN001, ANN202
        last = pd.NaT if quiet is None else NOW - quiet
        online = quiet is not None and quiet <= timedelta(minutes=15)
        offline_s = 0.0 if quiet is None or online else quiet.total_seconds()
        return (code, name or f"Camera {code}", lat, lon, purpose, "surveillance", "", "", commune, "",
                source, False, pd.NaT if quiet is None else first, last, online, offline_s)

    rows = [
        cam("C1", "traffic", "19753", timedelta(minutes=2), lat=16.4670, lon=107.5905),
        cam("C2", "security", "19777", timedelta(minutes=20), source="vms-hue"),
        cam("C3", "flood", "19753", timedelta(days=3, hours=4, minutes=10), lat=16.4560, lon=107.5440),
        cam("C4", "security", "19777", None, lat=None, lon=None),
        cam("C5", "security", "19789", timedelta(minutes=30)),
        cam("C6", "traffic", "19789", timedelta(minutes=30, seconds=1)),
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["district_code"] = ["474", "474", "474", "474", "480", "480"]
    return frame


NAMES = {"19753": "Phường Phú Xuân", "19777": "Phường Vỹ Dạ", "19789": "Phường Thuận Hóa"}


@pytest.mark.parametrize(("online", "quiet_s", "state"), [
    (True, 0.0, "online"),
    (False, 16 * 60.0, "offline"),
    (False, 30 * 60.0, "offline"),  # exactly 30 minutes: not yet the alert
    (False, 30 * 60.0 + 1, "offline_30m"),
])
def test_a_camera_state_follows_the_30_minute_alert(online: bool, quiet_s: float, state: str) -> None:
    assert shaping.camera_state(online, NOW - timedelta(seconds=quiet_s), quiet_s) == state


def test_a_camera_never_heard_from_is_its_own_state() -> None:
    assert shaping.camera_state(False, pd.NaT, 0.0) == "never"
    assert shaping.camera_state(False, None, 0.0) == "never"


@pytest.mark.parametrize(("seconds", "vi", "en"), [
    (0, "0 phút", "0 min"),
    (59 * 60 + 59, "59 phút", "59 min"),
    (3600, "1 giờ 00 phút", "1 h 00 min"),
    (47 * 3600 + 59 * 60, "47 giờ 59 phút", "47 h 59 min"),
    (48 * 3600, "2 ngày 0 giờ", "2 d 0 h"),
    (3 * 86400 + 4 * 3600 + 10 * 60, "3 ngày 4 giờ", "3 d 4 h"),
    (None, "–", "–"),
])
def test_duration_text(seconds: float | None, vi: str, en: str) -> None:
    assert (shaping.duration_text(seconds, "vi"), shaping.duration_text(seconds, "en")) == (vi, en)


def test_the_offline_table_puts_the_longest_silent_first_and_the_never_heard_last() -> None:
    rows = shaping.camera_rows(states(), TZ, "vi", {SIM}, NAMES)
    assert [(r["code"], r["state"]) for r in rows] == [
        ("C1", "online"), ("C2", "offline"), ("C3", "offline_30m"), ("C4", "never"), ("C5", "offline"),
        ("C6", "offline_30m")]
    down = shaping.offline_rows(rows)
    assert [r["code"] for r in down] == ["C3", "C6", "C5", "C2", "C4"]
    c3 = down[0]
    assert (c3["last_seen"], c3["offline_for"], c3["offline_s"]) == ("17/11/2026 14:50", "3 ngày 4 giờ", 274200.0)
    assert (c3["purpose_label"], c3["unit"], c3["state_label"], c3["colour"]) == (
        "Giám sát ngập lụt", "Phường Phú Xuân", "Mất kết nối > 30 phút", "#ef4444")
    assert [r["offline_for"] for r in down] == ["3 ngày 4 giờ", "30 phút", "30 phút", "20 phút", "–"]
    assert (down[-1]["last_seen"], down[-1]["state_label"]) == ("–", "Chưa từng có tín hiệu")
    assert [r["code"] for r in rows if r["simulated"]] == ["C1", "C3", "C4", "C5", "C6"]  # C2 comes from vms-hue
    assert shaping.state_counts(rows) == {"online": 1, "offline": 2, "offline_30m": 2, "never": 1}
    en = {r["code"]: r for r in shaping.camera_rows(states(), TZ, "en")}
    assert (en["C6"]["state_label"], en["C2"]["purpose_label"], en["C6"]["offline_for"]) == (
        "Offline > 30 min", "Security", "30 min")
    assert en["C2"]["unit"] == "19777"  # no names handed in: the code


def test_cameras_are_selected_by_purpose_and_by_unit_at_either_level() -> None:
    frame = states()
    assert list(shaping.select_cameras(frame, "security")["code"]) == ["C2", "C4", "C5"]
    assert list(shaping.select_cameras(frame, None, "19753")["code"]) == ["C1", "C3"]
    assert list(shaping.select_cameras(frame, "traffic", "480")["code"]) == ["C6"]  # a district-level code
    assert list(shaping.select_cameras(frame, None, None)["code"]) == ["C1", "C2", "C3", "C4", "C5", "C6"]


def test_the_map_draws_online_cameras_first_and_leaves_out_those_without_a_position() -> None:
    rows = shaping.camera_rows(states(), TZ, "vi", {SIM})
    geo = shaping.map_geojson(rows, "vi")
    props = [f["properties"] for f in geo["features"]]
    assert [p["id"] for p in props] == ["C1", "C3", "C6", "C2", "C5"]  # C4 has no position
    assert geo["features"][0]["geometry"]["coordinates"] == [107.5905, 16.467]
    assert [(p["shape"], p["colour"]) for p in props[:3]] == [("circle", "#22c55e"), ("diamond", "#ef4444"),
                                                               ("circle", "#ef4444")]
    assert props[1]["tooltip"] == ("Camera C3 · C3 · Giám sát ngập lụt · Mất kết nối > 30 phút · 3 ngày 4 giờ"
                                   " · Dữ liệu mô phỏng")
    assert props[3]["tooltip"] == "Camera C2 · C2 · An ninh trật tự · Mất kết nối ≤ 30 phút · 20 phút"
    assert props[0]["tooltip"].endswith("· Trực tuyến · Dữ liệu mô phỏng")


def uptime() -> pd.DataFrame:
    day = 86400.0
    return pd.DataFrame({"code": ["C1", "C2", "C3", "C4", "C5", "C6"],
                         "observed_s": [day, day, day, 0.0, day, day],
                         "offline_s": [0.0, 2592.0, 43200.0, 0.0, 1728.0, 1800.0],
                         "uptime_pct": [100.0, 97.0, 50.0, np.nan, 98.0, 100.0 * (1 - 1800 / day)]})


def outages() -> pd.DataFrame:
    return pd.DataFrame({"code": ["C2", "C3", "C2", "C6"], "started_at": [NOW] * 4, "ended_at": [pd.NaT] * 4,
                         "duration_s": [1.0] * 4})


def test_the_worst_uptimes_come_first_and_the_target_is_reached_at_98_percent() -> None:
    rows = shaping.uptime_rows(uptime(), states(), outages(), "vi", {SIM}, NAMES)
    assert [r["code"] for r in rows] == ["C3", "C2", "C6", "C5", "C1"]  # C4 was not observed
    assert [r["uptime"] for r in rows] == [f"50,00{NBSP}%", f"97,00{NBSP}%", f"97,92{NBSP}%", f"98,00{NBSP}%",
                                           f"100,00{NBSP}%"]
    assert [r["below"] for r in rows] == [True, True, True, False, False]
    assert [r["outages"] for r in rows] == [1, 2, 1, 0, 0]
    assert (rows[0]["offline"], rows[0]["observed"], rows[0]["unit"]) == ("12 giờ 00 phút", "24 giờ 00 phút",
                                                                         "Phường Phú Xuân")
    assert [r["simulated"] for r in rows] == [True, False, True, True, True]
    security = shaping.uptime_rows(uptime(), shaping.select_cameras(states(), "security"), outages(), "en")
    assert [(r["code"], r["uptime"], r["purpose_label"]) for r in security] == [("C2", "97.00%", "Security"),
                                                                                ("C5", "98.00%", "Security")]


def events() -> pd.DataFrame:
    return pd.DataFrame({
        "source": [SIM, "vms-hue"], "external_id": ["E2", "E1"], "camera_code": ["C2", "C9"],
        "camera_name": ["Chợ Đông Ba 01", None], "purpose": ["security", None], "commune_code": ["19753", None],
        "lat": [16.47, np.nan], "lon": [107.58, np.nan], "detected_at": [NOW - timedelta(hours=1), NOW - timedelta(hours=2)],
        "kind": ["gathering", "fire_smoke"], "confidence": [0.873, np.nan], "review": ["", "false_alarm"]})


def test_event_rows_say_when_what_where_and_the_review_in_words() -> None:
    rows = shaping.event_rows(events(), TZ, "vi", {SIM}, NAMES)
    first, second = rows
    assert (first["time"], first["time_sort"], first["kind_label"], first["camera"], first["unit"]) == (
        "20/11/2026 18:00", "2026-11-20T18:00:00", "Tụ tập đông người", "Chợ Đông Ba 01", "Phường Phú Xuân")
    assert (first["confidence_text"], first["review_label"], first["simulated"], first["id"]) == (
        f"87{NBSP}%", "Chưa xem xét", True, f"{SIM}/E2")
    # an event of a camera the registry does not know: its code, no purpose, no commune
    assert (second["camera"], second["purpose_label"], second["unit"], second["confidence_text"]) == ("C9", "–", "–", "–")
    assert (second["kind_label"], second["review_label"], second["colour"], second["simulated"]) == (
        "Cháy, khói", "Báo động giả", "#ef4444", False)
    en = shaping.event_rows(events(), TZ, "en")
    assert (en[0]["confidence_text"], en[1]["review_label"], en[0]["kind_label"]) == ("87%", "False alarm",
                                                                                      "Crowd gathering")


def per_day() -> pd.DataFrame:
    return pd.DataFrame({"day": [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 17), date(2026, 11, 23)],
                         "kind": ["gathering", "gathering", "fire_smoke", "illegal_parking"], "n": [2, 1, 1, 4]})


def test_events_are_summed_per_week_from_monday_and_per_month() -> None:
    week = shaping.events_series(per_day(), "week")
    assert [(b.date().isoformat(), k, n) for b, k, n in week.itertuples(index=False)] == [
        ("2026-11-16", "fire_smoke", 1), ("2026-11-16", "gathering", 3), ("2026-11-23", "illegal_parking", 4)]
    month = shaping.events_series(per_day(), "month")
    assert [(b.date().isoformat(), k, n) for b, k, n in month.itertuples(index=False)] == [
        ("2026-11-01", "fire_smoke", 1), ("2026-11-01", "gathering", 3), ("2026-11-01", "illegal_parking", 4)]
    only = shaping.events_series(per_day(), "day", ("gathering",))
    assert list(only["n"]) == [2, 1] and set(only["kind"]) == {"gathering"}


def test_the_events_chart_stacks_the_kinds_and_marks_today_provisional() -> None:
    series = shaping.events_series(per_day().iloc[:3], "day")
    fig = shaping.events_figure(series, "vi", "day", Period(date(2026, 11, 16), date(2026, 11, 18)),
                                today=date(2026, 11, 17))
    assert fig.layout.barmode == "stack"
    assert [(tr.name, list(tr.y)) for tr in fig.data] == [("Tụ tập đông người", [2, 1]), ("Cháy, khói", [0, 1])]
    assert list(fig.data[0].marker.opacity) == [1.0, 0.55]  # today's bar is provisional
    assert fig.data[1].marker.color == "#ef4444"
    assert list(fig.data[0].customdata) == ["", " · tạm tính"]
    empty = shaping.events_figure(series.iloc[0:0], "en", "day")
    assert empty.layout.annotations[0].text == "No AI event in the period"


def test_the_events_export_has_a_column_per_kind() -> None:
    frame = shaping.events_export(shaping.events_series(per_day(), "day"), "vi")
    assert list(frame.columns) == ["Từ ngày", "Tụ tập đông người", "Cháy, khói", "Đỗ xe sai quy định"]
    assert frame.to_dict("records")[1] == {"Từ ngày": "2026-11-17", "Tụ tập đông người": 1, "Cháy, khói": 1,
                                           "Đỗ xe sai quy định": 0}


KPIS = {"cameras": 236, "by_purpose": {"traffic": 36, "security": 180, "flood": 20}, "reporting": 230,
        "online": 200, "offline": 30, "online_pct": 86.96, "offline_30m": 12, "uptime_pct": 97.5,
        "uptime_target_pct": 98.0, "events": 321, "events_by_kind": {"gathering": 100}, "fire_smoke": 2,
        "false_alarm_pct": 100 / 3}


def test_tiles_more_than_a_tenth_offline_is_red() -> None:
    tiles = {t.key: t for t in shaping.tiles(KPIS, "vi")}
    assert list(tiles) == ["online", "offline", "offline_30m", "uptime_pct", "events", "fire_smoke"]
    online = tiles["online"]
    assert (online.value, online.raw, online.state) == ("200 / 230", 200, "bad")  # 30 / 230 = 13 % offline
    assert online.sub == f"87,0{NBSP}% số camera có tín hiệu · 236 camera đăng ký"
    assert (tiles["offline"].value, tiles["offline"].state) == ("30", "bad")
    assert tiles["offline"].sub == f"13,0{NBSP}% số camera · cảnh báo khi trên 10{NBSP}%"
    assert (tiles["offline_30m"].value, tiles["offline_30m"].state) == ("12", "warn")
    uptime = tiles["uptime_pct"]
    assert (uptime.value, uptime.raw, uptime.target, uptime.state) == (f"97,5{NBSP}%", 97.5, f"Mục tiêu ≥ 98{NBSP}%",
                                                                       "warn")
    assert (tiles["events"].value, tiles["events"].sub) == ("321", f"33{NBSP}% báo động giả trong số đã xem xét")
    assert (tiles["fire_smoke"].value, tiles["fire_smoke"].state) == ("2", "warn")


def test_tiles_at_exactly_a_tenth_offline_and_uptime_far_below_target() -> None:
    kpis = {**KPIS, "reporting": 100, "online": 90, "offline": 10, "offline_30m": 0, "uptime_pct": 95.9,
            "fire_smoke": 0, "false_alarm_pct": None}
    tiles = {t.key: t for t in shaping.tiles(kpis, "en")}
    assert (tiles["online"].state, tiles["offline"].state, tiles["offline_30m"].state) == ("good", "warn", "good")
    assert (tiles["uptime_pct"].value, tiles["uptime_pct"].state) == ("95.9%", "bad")
    assert (tiles["events"].sub, tiles["fire_smoke"].state) == ("none reviewed yet", "good")
    nothing = {t.key: t for t in shaping.tiles({"uptime_pct": None}, "vi")}
    assert (nothing["uptime_pct"].value, nothing["uptime_pct"].state, nothing["online"].value) == ("–", "none", "0 / 0")
    assert (nothing["online"].state, nothing["offline"].state) == ("none", "none")  # no camera reports yet


def test_by_purpose_text() -> None:
    assert shaping.by_purpose_text(KPIS["by_purpose"], "vi") == "36 giao thông · 180 an ninh trật tự · 20 giám sát ngập lụt"
    assert shaping.by_purpose_text({"security": 5}, "en") == "5 security"
