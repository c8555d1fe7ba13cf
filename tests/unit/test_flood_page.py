"""The rivers and rain page's pure helpers: alarm levels named and coloured, the rate of rise in
words, the tiles, the map's points, the table's rows, the hydrograph's series (local times,
the rise over 3 hours, the peak, days for long periods) and its figure (alarm lines labelled)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from layouts import flood_shaping as shaping
from layouts.export_cells import tidy_export
from layouts.exports import csv_text
from layouts.flood_hydrograph import hydrograph_figure

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 8, 0)  # naive UTC = 07:00 local


def _station(name: str, river: str, kind: str = "river", levels: list[float] | None = None, **values: object) -> dict:
    base = {"name": name, "river": river, "kind": kind, "levels_m": levels, "level_m": None, "level_at": None,
            "alarm": 0, "rise_m_per_h": None, "rain_1h_mm": 0.0, "rain_3h_mm": 0.0, "rain_24h_mm": 0.0,
            "last_at": "2026-11-08T09:00:00Z", "peak_m": None, "peak_at": None, "peak_alarm": 0, "hours_at_alarm": 0,
            "rain_total_mm": 0.0, "wettest_hour_mm": None, "wettest_hour_at": None}
    return {**base, **values}


def _kpis() -> dict:
    stations = {
        "kim_long": _station("Kim Long", "Hương", levels=[1.0, 2.0, 3.5], level_m=3.62, alarm=3, rise_m_per_h=0.33,
                             rain_24h_mm=152.3, peak_m=3.62, peak_at="2026-11-08T09:00:00Z", peak_alarm=3,
                             hours_at_alarm=7, rain_total_mm=180.0),
        "phu_oc": _station("Phú Ốc", "Bồ", levels=[1.5, 3.0, 4.5], level_m=1.2, alarm=0, rise_m_per_h=-0.05,
                           rain_24h_mm=40.0, peak_m=1.4, peak_at="2026-11-08T02:00:00Z"),
        "a_luoi": _station("A Lưới", "", kind="rain", rain_24h_mm=210.0),
        "nam_dong": _station("Nam Đông", "", kind="rain", rain_24h_mm=None, rain_total_mm=0.0, last_at=None),
    }
    return {"highest_alarm": 3, "stations_at_alarm": 1, "reporting_stations": 3, "max_rain_24h_mm": 210.0,
            "peak_alarm_in_period": 3, "stations": stations}


def test_alarm_levels_are_named_with_the_stage_colours() -> None:
    assert shaping.alarm_label(0, "vi") == "Dưới báo động I" and shaping.alarm_label(0, "en") == "Below alarm level I"
    assert shaping.alarm_label(2, "vi") == "Báo động II" and shaping.alarm_label(3, "en") == "Alarm level III"
    assert shaping.alarm_colours(1) == ("#FFD60A", "#000000")  # stage 2, warning
    assert shaping.alarm_colours(2) == ("#F57C00", "#000000")  # stage 3, high
    assert shaping.alarm_colours(3) == ("#C62828", "#FFFFFF")  # stage 4, critical
    assert shaping.alarm_colours(0)[0] == "#1B7F3B" and shaping.alarm_colours(None)[0] == shaping.NO_DATA_COLOUR
    assert shaping.alarm_line_label(1, 1.0, "vi") == "BĐ I 1,00\u00a0m"
    assert shaping.alarm_line_label(3, 3.5, "en") == "AL III 3.50\u00a0m"


@pytest.mark.parametrize(("rate", "lang", "text"), [
    (0.33, "vi", "đang lên 0,33 m/giờ"), (0.33, "en", "rising 0.33 m/h"), (-0.05, "vi", "đang xuống 0,05 m/giờ"),
    (0.004, "vi", "đang đứng"), (-0.004, "en", "steady"), (None, "vi", "chưa rõ xu thế"),
])
def test_the_rate_of_rise_in_words(rate: float | None, lang: str, text: str) -> None:
    assert shaping.rise_text(rate, lang) == text


def test_tiles_name_the_highest_alarm_its_station_the_wettest_gauge_and_the_silent_ones() -> None:
    tiles = {tile.key: tile for tile in shaping.tiles(_kpis(), "vi")}
    assert list(tiles) == ["highest_alarm", "stations_at_alarm", "max_rain_24h", "reporting_stations"]
    top = tiles["highest_alarm"]
    assert (top.value, top.raw, top.state, top.colour) == ("Báo động III", 3, "bad", "#C62828")
    assert top.sub == "Kim Long (sông Hương): 3,62\u00a0m, đang lên 0,33 m/giờ"
    at = tiles["stations_at_alarm"]
    assert (at.value, at.sub, at.raw) == ("1/2", "Kim Long (III)", 1)
    rain = tiles["max_rain_24h"]
    assert (rain.value, rain.sub, rain.state) == ("210,0\u00a0mm", "tại A Lưới", "bad")  # ≥ 200 mm
    reporting = tiles["reporting_stations"]
    assert (reporting.value, reporting.sub, reporting.state) == ("3/4", "Không có số liệu: Nam Đông", "warn")
    en = {tile.key: tile for tile in shaping.tiles(_kpis(), "en")}
    assert en["highest_alarm"].value == "Alarm level III" and en["stations_at_alarm"].value == "1 of 2"


def test_below_level_i_and_without_any_level_the_tile_says_so() -> None:
    calm = _kpis()
    calm["highest_alarm"] = 0
    calm["stations"]["kim_long"].update(level_m=0.6, alarm=0)
    top = shaping.tiles(calm, "vi")[0]
    assert (top.value, top.state, top.colour) == ("Dưới báo động I", "good", "#1B7F3B")
    blind = _kpis()
    for s in blind["stations"].values():
        s.update(level_m=None, alarm=0)
    top = shaping.tiles(blind, "vi")[0]
    assert (top.value, top.state, top.sub) == ("–", "none", "Không có số liệu mực nước")


def test_map_points_colour_river_stations_by_level_and_size_rain_gauges_by_rain() -> None:
    positions = {"kim_long": (16.46, 107.56), "phu_oc": (16.54, 107.47), "a_luoi": (16.2, 107.3)}
    geo = shaping.stations_geojson(_kpis(), positions, HUE, "vi", simulated={"kim_long"})
    by_id = {f["properties"]["id"]: f for f in geo["features"]}
    assert set(by_id) == {"kim_long", "phu_oc", "a_luoi"}  # Nam Đông has no position here
    kim = by_id["kim_long"]
    assert kim["geometry"]["coordinates"] == [107.56, 16.46]
    assert (kim["properties"]["label"], kim["properties"]["bg"], kim["properties"]["alarm"]) == ("III", "#C62828", 3)
    assert kim["properties"]["lines"] == [
        "Mực nước: 3,62\u00a0m · Báo động III", "BĐ I 1,00\u00a0m · BĐ II 2,00\u00a0m · BĐ III 3,50\u00a0m",
        "Xu thế: đang lên 0,33 m/giờ", "Mưa 24 giờ: 152,3\u00a0mm", "Số liệu mới nhất: 08/11/2026 16:00", "mô phỏng"]
    assert by_id["phu_oc"]["properties"]["label"] == "0"
    rain = by_id["a_luoi"]["properties"]
    assert (rain["kind"], rain["bg"], rain["label"], rain["radius"]) == ("rain", shaping.RAIN_COLOUR, "210",
                                                                         shaping.RAIN_MARKER_PX[1])
    assert shaping.rain_radius(0.0) == shaping.RAIN_MARKER_PX[0] and shaping.rain_radius(63.0) == 13  # 40 % of the way from 5 to 150 mm


def test_table_rows_put_river_stations_first_with_numbers_in_the_language() -> None:
    rows = shaping.table_rows(_kpis(), HUE, "vi", simulated={"a_luoi"})
    assert [r["id"] for r in rows] == ["kim_long", "phu_oc", "a_luoi", "nam_dong"]
    kim = rows[0]
    assert (kim["level_text"], kim["alarm_text"], kim["level_iii_text"], kim["rise_text"]) == (
        "3,62\u00a0m", "Báo động III", "3,50\u00a0m", "+0,33")
    assert (kim["peak_text"], kim["peak_at_text"], kim["hours_at_alarm_text"]) == ("3,62\u00a0m", "08/11/2026 16:00", "7")
    assert rows[1]["rise_text"] == "−0,05" and rows[1]["alarm_text"] == "Dưới báo động I"
    assert rows[2]["name_text"] == "A Lưới · mô phỏng" and rows[2]["simulated"] and rows[2]["level_text"] == "–"
    assert rows[3]["last_text"] == "–" and rows[3]["rain_24h_text"] == "–"
    assert shaping.table_rows(_kpis(), HUE, "en")[0]["rain_24h_text"] == "152.3\u00a0mm"


def test_the_stations_csv_holds_numbers_labels_and_iso_times_not_the_tables_text() -> None:
    kpis = _kpis()
    kpis["stations"]["silent"] = _station("Thượng Nhật", "Tả Trạch", levels=[2.0, 3.0, 4.0], last_at=None)
    frame = tidy_export(shaping.stations_export(shaping.table_rows(kpis, HUE, "en"), "en"), "en")
    assert list(frame.columns) == [
        "Station", "River", "Water level (m)", "Alarm level", "Alarm level (0–3)", "Level I (m)", "Level II (m)",
        "Level III (m)", "Rise (m/h)", "Rain 24 h (mm)", "Peak in period (m)", "Peak time", "Hours ≥ level I",
        "Rain in period (mm)", "Last observation"]
    by_name = {r["Station"]: r for r in frame.to_dict("records")}
    kim, phu, silent, rain = by_name["Kim Long"], by_name["Phú Ốc"], by_name["Thượng Nhật"], by_name["A Lưới"]
    assert (kim["Alarm level"], kim["Alarm level (0–3)"]) == ("Alarm level III", 3)
    assert (phu["Alarm level"], phu["Alarm level (0–3)"]) == ("Below alarm level I", 0)
    assert silent["Alarm level"] == "No recent water level" and pd.isna(silent["Alarm level (0–3)"])
    assert pd.isna(rain["Alarm level"]) and pd.isna(rain["Alarm level (0–3)"]) and pd.isna(rain["River"])
    assert str(frame["Alarm level (0–3)"].dtype) == "Int64" and str(frame["Hours ≥ level I"].dtype) == "Int64"
    assert (kim["Water level (m)"], kim["Level III (m)"], kim["Rise (m/h)"], kim["Rain 24 h (mm)"]) == (
        3.62, 3.5, 0.33, 152.3)
    assert (kim["Peak time"], kim["Last observation"]) == ("2026-11-08 16:00", "2026-11-08 16:00")  # local, ISO
    # no cell holds the table's display text: no "–", no unit, no decimal comma, no thin space
    for value in frame.to_numpy().ravel():
        assert not (isinstance(value, str) and (value in ("–", "—") or "\u00a0" in value or "," in value)), value
    assert frame.map(lambda v: isinstance(v, str) and v[:1].isdigit() and not v[:4].isdigit()).sum().sum() == 0
    vi = shaping.stations_export(shaping.table_rows(kpis, HUE, "vi"), "vi")
    assert list(vi.columns)[2:5] == ["Mực nước (m)", "Cấp báo động", "Cấp báo động (0–3)"]
    assert vi.iloc[0]["Cấp báo động"] == "Báo động III"
    csv = csv_text(tidy_export(vi, "vi")).splitlines()
    assert csv[1].split(",")[:5] == ["Kim Long", "Hương", "3.62", "Báo động III", "3"]


def _rows(levels: list[float | None], rains: list[float | None], sid: str = "kim_long", source: str = "kttv") -> list:
    """Rows as :func:`ioc.store.floods.series` gives them: (station, observed_at UTC, level, rain, source)."""
    return [(sid, T0 + timedelta(hours=h), lv, r, source) for h, (lv, r) in enumerate(zip(levels, rains, strict=True))]


def test_the_hydrograph_series_in_local_time_with_the_rise_over_three_hours_and_the_peak() -> None:
    frame = shaping.observations_frame(
        [*_rows([1.0, 1.1, 1.2, 1.5, 1.8, 2.1, None], [0, 2, 5, 9, 4, 0, 3])]
        + [("kim_long", T0 + timedelta(hours=2), 1.6, 9.0, "other")])  # a second source of one hour
    graph = shaping.hydrograph("kim_long", frame, HUE)
    assert not graph.daily and len(graph.frame) == 7
    assert graph.frame["time"].iloc[0] == pd.Timestamp("2026-11-08 07:00")
    assert graph.rise_m_per_h == pytest.approx((2.1 - 1.6) / 3, abs=1e-3)  # the later source's 1.6 at hour 2
    assert (graph.last_level_m, graph.last_level_at) == (2.1, datetime(2026, 11, 8, 12, 0))
    assert (graph.peak_m, graph.peak_at) == (2.1, datetime(2026, 11, 8, 12, 0))
    no_gap = shaping.hydrograph("kim_long", shaping.observations_frame([*_rows([1.0, 1.2], [0, 0])]),
                                HUE)
    assert no_gap.rise_m_per_h is None  # no level 3 hours before the last
    assert shaping.hydrograph("phu_oc", frame, HUE).frame.empty


def test_a_long_period_is_drawn_by_day_with_the_days_highest_level_and_rain() -> None:
    # 48 hours from 07:00 local; the hour ending at local midnight belongs to the day before
    levels = [0.5 + 0.01 * h for h in range(48)]
    frame = shaping.observations_frame([*_rows(levels, [1.0] * 48)])
    hourly = shaping.hydrograph("kim_long", frame, HUE, max_points=48)
    assert not hourly.daily and len(hourly.frame) == 48
    daily = shaping.hydrograph("kim_long", frame, HUE, max_points=47)
    assert daily.daily
    assert list(daily.frame["time"]) == [pd.Timestamp("2026-11-08 12:00"), pd.Timestamp("2026-11-09 12:00"),
                                         pd.Timestamp("2026-11-10 12:00")]
    # 8 Nov: 07:00 … 24:00 local (hours 0–17), 9 Nov: hours 18–41, 10 Nov: hours 42–47
    assert list(daily.frame["rain_mm"]) == [18.0, 24.0, 6.0]
    assert list(daily.frame["level_m"].round(2)) == [0.67, 0.91, 0.97]
    assert daily.peak_at == datetime(2026, 11, 10, 6, 0)  # the hour, though drawn by day


def _headline(fig: object) -> str:
    [text] = [a.text for a in fig.layout.annotations if a.name == "headline"]
    return text


def _figure(lang: str) -> object:
    frame = shaping.observations_frame([*_rows([1.0, 1.2, 1.5, 1.9, 2.4, 2.8], [0, 3, 8, 12, 6, 1])])
    graph = shaping.hydrograph("kim_long", frame, HUE)
    station = _kpis()["stations"]["kim_long"]
    return hydrograph_figure(station, graph, lang, (datetime(2026, 11, 8), datetime(2026, 11, 9)))


def test_the_hydrograph_has_the_three_alarm_lines_the_rise_and_the_rain_on_its_own_axis() -> None:
    fig = _figure("vi")
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.y0, s.line.color) for s in lines] == [(1.0, "#FFD60A"), (2.0, "#F57C00"), (3.5, "#C62828")]
    texts = [a.text for a in fig.layout.annotations]
    assert {"BĐ I 1,00\u00a0m", "BĐ II 2,00\u00a0m", "BĐ III 3,50\u00a0m"} <= set(texts)
    assert "Đỉnh 2,80\u00a0m · 08/11/2026 12:00" in texts
    assert "Mực nước 2,80\u00a0m, đang lên 0,43 m/giờ" in _headline(fig)  # (2.8 − 1.5) / 3
    bars = [d for d in fig.data if d.type == "bar"]
    assert len(bars) == 1 and bars[0].yaxis == "y2" and list(bars[0].y) == [0, 3, 8, 12, 6, 1]
    assert fig.layout.yaxis2.title.text == "Mưa (mm/giờ)" and list(fig.layout.yaxis2.tickvals) == [0, 10, 20]
    assert fig.layout.yaxis.range[1] > 3.5  # level III always in view
    assert fig.layout.separators == ",."
    en = _figure("en")
    assert "AL II 2.00\u00a0m" in [a.text for a in en.layout.annotations] and en.layout.separators == ".,"
    assert "rising 0.43 m/h" in _headline(en)


def test_a_station_without_levels_in_the_period_says_so() -> None:
    graph = shaping.hydrograph("kim_long", shaping.observations_frame([]), HUE)
    fig = hydrograph_figure(_kpis()["stations"]["kim_long"], graph, "vi")
    assert [a.text for a in fig.layout.annotations] == ["Không có số liệu mực nước trong kỳ"]
