"""The environment page's pure parts: URL query, tiles, map GeoJSON, alert rows, figures, CSV."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ioc.kpi.environment import EnvironmentKpis
from layouts.environment_figures import aqi_series_figure, calendar_figure, text_colour
from layouts.environment_shaping import (
    EnvQuery,
    alert_rows,
    chart_stations,
    parse_env_query,
    station_rows,
    stations_export,
    stations_geojson,
    tiles,
)
from layouts.exports import csv_text

HUE = ZoneInfo("Asia/Ho_Chi_Minh")


def stations(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["station_id", "name", "lat", "lon", "provider", "parameters", "simulated"])


def test_query_defaults_and_problems():
    query, problems = parse_env_query({})
    assert query == EnvQuery("7d", (), None) and problems == []
    query, problems = parse_env_query({"range": "99y", "station": ["A1", "<b>", "A1", "B2"], "calendar": "A1"})
    assert query == EnvQuery("7d", ("A1", "B2"), "A1")
    assert [(p.param, p.value) for p in problems] == [("range", "99y"), ("station", "<b>")]
    assert query.search("en") == "?range=7d&station=A1&station=B2&calendar=A1&lang=en"
    # the 24 h view covers yesterday and today (local days), 30 d the last 30
    assert EnvQuery("24h").period(date(2026, 3, 2)).start == date(2026, 3, 1)
    assert EnvQuery("30d").period(date(2026, 3, 30)).start == date(2026, 3, 1)


def test_station_rows_geojson_escape_and_order():
    frame = stations(("A", '<img src=x onerror=alert(1)> "A"', 16.4, 107.5, "Sở TN&MT", "pm25,no2", False),
                     ("B", "Trạm B", 16.5, 107.6, "", "pm25", True),
                     ("C", "Trạm C", None, None, "", "pm25", False))
    now = {"A": {"aqi": 45, "category": "good", "dominant": "pm25", "hour": "2026-03-01T03:00:00",
                 "us_epa_pm25": 70},
           "B": {"aqi": 160, "category": "bad", "dominant": "no2", "hour": "2026-03-01T03:00:00",
                 "us_epa_pm25": None},
           "C": {"aqi": None}}
    rows = station_rows(frame, now, {"A": 0.97}, HUE, "vi")
    assert [r["id"] for r in rows] == ["B", "A", "C"]  # worst first, silent last
    assert rows[0]["colour"] == "#FF0000" and rows[0]["label"] == "Xấu" and rows[0]["hour"] == "10:00"
    assert rows[2]["silent"] and rows[2]["aqi_text"] == "–"
    geo = stations_geojson(rows, "vi")
    assert len(geo["features"]) == 2  # C has no coordinates
    a = next(f for f in geo["features"] if f["properties"]["aqi"] == "45")["properties"]
    assert a["name"] == '<img src=x onerror=alert(1)> "A"'  # set as text by the browser code
    assert "<img" not in a["popup"] and "&lt;img src=x onerror=alert(1)&gt; &quot;A&quot;" in a["popup"]
    assert "Sở TN&amp;MT" in a["popup"] and a["fg"] == "#000000"
    assert chart_stations(rows, ()) == ["B", "A", "C"] and chart_stations(rows, ("A", "Z")) == ["A"]


def test_tiles_from_kpis():
    kpis = EnvironmentKpis(
        stations=3, reporting_stations=2,
        aqi_now={"B": {"name": "Trạm B", "aqi": 160, "category": "bad"}},
        worst_station={"station_id": "B", "name": "Trạm B", "aqi": 160, "category": "bad", "dominant": "pm25"},
        hours_by_category={"good": 50, "moderate": 30, "poor": 10, "bad": 7, "very_bad": 2, "hazardous": 1},
        exceedance_days={"A": 0, "B": 3, "C": 1}, completeness={"A": 1.0}, completeness_overall=0.9612,
        active_alerts=[{"kind": "aqi_bad"}, {"kind": "no_data"}, {"kind": "no_data"}],
    )
    by = {t.key: t for t in tiles(kpis, "vi")}
    assert (by["worst_station"].value, by["worst_station"].colour, by["worst_station"].state) == ("160", "#FF0000", "aqi")
    assert by["worst_station"].sub == "Trạm B · Xấu"
    assert (by["reporting_stations"].value, by["reporting_stations"].state) == ("2 / 3", "bad")
    assert by["active_alerts"].sub == "1 ô nhiễm · 2 mất tín hiệu"
    assert (by["exceedance_days"].raw, by["bad_hours"].raw) == (4, 10)
    assert by["bad_hours"].sub == "10,0\u00a0% số giờ có AQI"
    assert by["completeness_overall"].value == "96,1\u00a0%"


def test_alert_rows_active_first():
    frame = pd.DataFrame([
        {"kind": "aqi_bad", "key": "A", "station": "Trạm A", "severity": "very_bad",
         "started_at": datetime(2026, 3, 1, 1), "ended_at": datetime(2026, 3, 1, 5), "details": '{"peak_aqi": 230}'},
        {"kind": "no_data", "key": "B", "station": "Trạm B", "severity": "warning",
         "started_at": datetime(2026, 2, 28, 1), "ended_at": None, "details": '{"hours": 30}'},
    ])
    rows = alert_rows(frame, HUE, "vi", now=datetime(2026, 3, 1, 7))
    assert [r["station_id"] for r in rows] == ["B", "A"]
    assert (rows[0]["end_text"], rows[0]["hours"], rows[0]["severity_label"]) == ("Đang diễn ra", 30, "Cảnh báo")
    assert (rows[1]["start"], rows[1]["details"], rows[1]["hours"]) == ("01/03/2026 08:00", "AQI cao nhất 230", 4)


def test_series_figure_has_the_category_bands_and_gaps():
    hours = pd.date_range("2026-03-01 00:00", periods=6, freq="h")
    frame = pd.DataFrame({"station_id": "A", "hour_local": hours.delete(2), "aqi": [40, 60, 120, 170, 90],
                          "category": ["good", "moderate", "poor", "bad", "moderate"]})
    fig = aqi_series_figure(frame, {"A": "Trạm A"}, "vi", (hours[0], hours[-1]))
    assert len(fig.layout.shapes) == 4  # the axis tops at 200 (170 × 1.08 < 200): bands 0–50 … 151–200
    assert [s.fillcolor for s in fig.layout.shapes][:2] == ["rgba(0,228,0,0.16)", "rgba(255,255,0,0.16)"]
    y = list(fig.data[0].y)
    assert np.isnan(y[2]) and y[3] == 120  # the missing hour stays a gap


def test_calendar_cell_of_a_day():
    frame = pd.DataFrame({"day": [date(2026, 3, 4)], "aqi": [130], "category": ["poor"]})
    fig = calendar_figure(frame, "en", end=date(2026, 3, 8), weeks=2)
    z = np.array(fig.data[0].z, dtype=float)
    # 4 March 2026 is a Wednesday in the second (last) week column
    assert z[2, 1] == 130 and np.isnan(z).sum() == 13
    assert fig.data[0].customdata[2][1] == "04/03/2026: 130 · Poor"


def test_text_colour_and_csv_neutralised():
    assert text_colour("#FFFF00") == "#000000" and text_colour("#00E400") == "#000000"
    assert text_colour("#FF0000") == "#ffffff" and text_colour("#7E0023") == "#ffffff"
    rows = [{"name": "=HYPERLINK(\"x\")", "id": "A", "aqi": 50, "label": "Tốt", "dominant": "PM2.5", "epa": 70,
             "lat": 16.4, "lon": 107.5}]
    text = csv_text(stations_export(rows, "vi"))
    assert text.startswith("\ufeff") and "'=HYPERLINK" in text


def test_the_commune_filter_is_in_the_url_and_an_old_district_link_is_read() -> None:
    from layouts.environment_shaping import parse_env_query as parse

    query, problems = parse({"range": "7d", "unit": "19975"})
    assert problems == [] and query.unit == "19975"
    assert query.search("vi") == "?range=7d&unit=19975&lang=vi"
    assert parse({"district": "479"})[0].unit == "479"
    query, problems = parse({"unit": "<b>"})
    assert query.unit is None and [(p.param, p.reason) for p in problems] == [("unit", "reason_code")]


def test_a_unit_not_on_the_map_is_named_and_ignored() -> None:
    """``?unit=abc``: well formed, but no commune or district has that code."""
    from ioc.domain.units import UnitMap
    from layouts.environment_shaping import parse_env_query as parse
    from layouts.shaping import unit_filter_codes

    known = unit_filter_codes(UnitMap.default())
    assert {"19975", "479"} <= known and "abc" not in known
    query, problems = parse({"unit": "abc", "range": "7d"}, known)
    assert query.unit is None and query.range == "7d"
    assert [p.message("vi") for p in problems] == ["Bỏ qua tham số unit=abc: không có xã, phường này. Đang dùng: tất cả."]
    assert [p.message("en") for p in problems] == ["Ignored unit=abc: no such commune / ward. Using: all."]
    assert parse({"unit": "19975"}, known) == (parse({"unit": "19975"})[0], [])
