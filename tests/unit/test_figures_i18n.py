"""Pure tests of the dashboard's formatting, escaping, tile states, figures and URL parsing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ioc.domain.units import UnitMap
from ioc.i18n import (
    fmt_hours,
    fmt_int,
    fmt_local_datetime,
    fmt_number,
    fmt_pct,
    fmt_vnd,
    resolve_lang,
    t,
    unit_label,
)
from ioc.kpi.periods import Period
from layouts.exports import csv_text, neutralise_formula, reports_export
from layouts.figures import breakdown_figure, graph_config, plotly_text, trend_figure
from layouts.query import match_preset, parse_feedback_query, parse_lang, preset_dates
from layouts.shaping import feedback_tiles, map_geojson, overdue_rows, popup_html, series_freq, tile_state

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NBSP = "\u00a0"
TODAY = date(2026, 11, 26)
NASTY = "<script>alert('x')</script> & \"quoted\""


# --- number, money and time formats ----------------------------------------------------------

@pytest.mark.parametrize(("lang", "expected"), [("vi", "9.143"), ("en", "9,143")])
def test_counts_use_the_locale_grouping(lang: str, expected: str) -> None:
    assert fmt_int(9143, lang) == expected


@pytest.mark.parametrize(("lang", "expected"), [("vi", f"93,8{NBSP}%"), ("en", "93.8%")])
def test_percentages_one_decimal(lang: str, expected: str) -> None:
    assert fmt_pct(0.938, lang) == expected


def test_percentage_target_without_decimals_and_missing_values() -> None:
    assert fmt_pct(0.95, "vi", 0) == f"95{NBSP}%"
    assert fmt_pct(None, "vi") == "–"
    assert fmt_pct(float("nan"), "en") == "–"
    assert fmt_int(None, "en") == "–"


@pytest.mark.parametrize(("lang", "expected"), [("vi", f"296.050.000{NBSP}₫"), ("en", f"296,050,000{NBSP}VND")])
def test_money_in_vnd(lang: str, expected: str) -> None:
    assert fmt_vnd(296_050_000, lang) == expected


def test_decimals_and_hours() -> None:
    assert fmt_number(54.53, "vi") == "54,5"
    assert fmt_number(1234.5, "en", 2) == "1,234.50"
    assert fmt_hours(155.58, "vi") == f"155,6{NBSP}giờ"
    assert fmt_hours(155.58, "en") == f"155.6{NBSP}h"


def test_stored_utc_is_shown_in_local_time() -> None:
    # 17:30 UTC on 1 January is 00:30 on 2 January in Huế (UTC+7)
    assert fmt_local_datetime(datetime(2026, 1, 1, 17, 30), HUE, "vi") == "02/01/2026 00:30"
    assert fmt_local_datetime(datetime(2026, 1, 1, 17, 30, 5), HUE, "en", seconds=True) == "02/01/2026 00:30:05"
    assert fmt_local_datetime(pd.Timestamp("2026-06-30 23:00"), HUE, "vi") == "01/07/2026 06:00"
    assert fmt_local_datetime(None, HUE, "vi") == "–"
    assert fmt_local_datetime(pd.NaT, HUE, "vi") == "–"


def test_strings_in_both_languages() -> None:
    assert t("nav_feedback", "vi") == "Phản ánh hiện trường"
    assert t("nav_feedback", "en") == "Field feedback"
    assert t("map_capped", "en", n="5,000", m="9,735") == "Showing the 5,000 most recent of 9,735 reports"
    assert resolve_lang("fr", None, "en") == "en"
    assert resolve_lang(None, default="vi") == "vi"
    assert resolve_lang("EN") == "en"


def test_unit_codes_are_shown_as_names_and_unknown_codes_as_such() -> None:
    names = {"474": "Thành phố Huế"}
    assert unit_label("474", names, "vi") == "Thành phố Huế"
    assert unit_label("999", names, "vi") == "Không xác định (999)"
    assert unit_label("999", names, "en") == "Unknown (999)"
    assert unit_label("", names, "vi") == "Chưa rõ địa bàn"


# --- CSV: spreadsheet formulas are neutralised -----------------------------------------------

@pytest.mark.parametrize("text", ["=1+2", "+84 234 3822", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd"])
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["Ổ gà lớn giữa đường", "", "a=b", 42, -5, 0.5, None])
def test_other_values_are_untouched(value: object) -> None:
    assert neutralise_formula(value) == value


def test_csv_text_neutralises_cells_and_headers_but_not_numbers() -> None:
    frame = pd.DataFrame({"=evil": ["=HYPERLINK(\"http://x\",\"y\")", "ok"], "n": [-5, 3]})
    text = csv_text(frame)
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert lines[0] == "'=evil,n"
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5"
    assert lines[2] == "ok,3"


def test_report_export_has_local_times_names_and_safe_text() -> None:
    frame = pd.DataFrame([{
        "external_id": "A1", "category_code": "lighting", "category_name": "x", "status": "in_progress",
        "unit_code": "999", "handling_unit": "@team", "received_at": datetime(2026, 1, 1, 17, 30),
        "due_at": datetime(2026, 1, 10, 1, 0), "address": "-1 Lê Lợi", "description": NASTY,
    }])
    out = reports_export(frame, HUE, "vi", {})
    row = out.iloc[0]
    assert row["Lĩnh vực"] == "Chiếu sáng công cộng"
    assert row["Đơn vị hành chính (lúc tiếp nhận)"] == "Không xác định (999)"
    assert row["Xã, phường hiện nay"] == ""
    assert row["Tiếp nhận lúc"] == "2026-01-02 00:30"  # local time, ISO 8601
    text = csv_text(out)
    assert "'@team" in text and "'-1 Lê Lợi" in text


def test_report_export_names_the_unit_of_the_day_and_the_current_commune() -> None:
    """Codes are reused: 474 is Thành phố Huế in 2024 and Quận Thuận Hóa in 2025; 19753 Phường
    Thuận Lộc before 1 July 2025, Phường Phú Xuân after."""
    frame = pd.DataFrame([
        {"external_id": "A", "unit_code": "474", "commune_code": "", "received_at": datetime(2024, 3, 1, 2, 0)},
        {"external_id": "B", "unit_code": "474", "commune_code": "", "received_at": datetime(2025, 3, 1, 2, 0)},
        {"external_id": "C", "unit_code": "19753", "commune_code": "19753", "received_at": datetime(2025, 6, 30, 16, 59)},
        {"external_id": "D", "unit_code": "19753", "commune_code": "19753", "received_at": datetime(2025, 6, 30, 17, 0)},
    ])
    out = reports_export(frame, HUE, "en", UnitMap.default())
    assert out["Unit (when received)"].tolist() == ["Thành phố Huế", "Quận Thuận Hóa", "Phường Thuận Lộc",
                                                    "Phường Phú Xuân"]
    assert out["Current commune / ward"].tolist() == ["", "", "Phường Phú Xuân", "Phường Phú Xuân"]
    assert out["Current commune / ward code"].tolist() == ["", "", "19753", "19753"]


# --- popups: citizen text never becomes HTML ---------------------------------------------------

def _report(**over: object) -> dict:
    row = {"external_id": "R-1", "category_code": "lighting", "category_name": "Chiếu sáng công cộng",
           "status": "in_progress", "received_at": datetime(2026, 11, 26, 3, 0), "address": "12 Lê Lợi",
           "handling_unit": "UBND Thành phố Huế", "description": "Đèn không sáng", "lat": 16.4779123,
           "lon": 107.5768456}
    row.update(over)
    return row


def test_popup_escapes_description_address_unit_and_source_category() -> None:
    html = popup_html(_report(description=NASTY, address="<b>5 & 6</b>", handling_unit="<img src=x onerror=1>",
                              category_code="flood", category_name="<i>Ngập</i>"), HUE, "vi")
    assert "<script>" not in html and "<img" not in html and "<b>5" not in html and "<i>Ngập" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in html
    assert "&lt;b&gt;5 &amp; 6&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=1&gt;" in html
    assert "&lt;i&gt;Ngập&lt;/i&gt;" in html
    assert "26/11/2026 10:00" in html  # received time in local time


def test_map_geojson_is_lean_and_rounded() -> None:
    frame = pd.DataFrame([_report(), _report(external_id="R-2", lat=None, lon=None)])
    data = map_geojson(frame, HUE, "en")
    assert len(data["features"]) == 1
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [107.57685, 16.47791]
    assert set(feature["properties"]) == {"s", "popup"}
    assert feature["properties"]["s"] == "in_progress"
    assert "In progress" in feature["properties"]["popup"]


def test_overdue_rows_keep_text_as_text_and_times_local() -> None:
    frame = pd.DataFrame([_report(description=NASTY, unit_code="19753", commune_code="19753", channel="hue_s",
                                  due_at=datetime(2026, 11, 20, 1, 0), overdue_hours=150.0),
                          _report(unit_code="19753", commune_code="19753", received_at=datetime(2025, 3, 1, 3, 0))])
    row, old = overdue_rows(frame, HUE, "vi", UnitMap.default())
    assert row["description"] == NASTY  # the grid renders text; escaping here would show &lt;
    assert (row["unit"], row["commune"], row["district"]) == ("Phường Phú Xuân", "Phường Phú Xuân", "Phường Phú Xuân")
    # the same code before 1 July 2025 was another ward, mapped to today's
    assert (old["unit"], old["commune"]) == ("Phường Thuận Lộc", "Phường Phú Xuân")
    assert old["district"] == "Phường Thuận Lộc → Phường Phú Xuân"
    assert overdue_rows(frame.head(1), HUE, "vi", {"19753": "P. Phú Xuân"})[0]["unit"] == "P. Phú Xuân"
    assert row["received_txt"] == "26/11/2026 10:00" and row["received_sort"] == "2026-11-26 10:00"
    assert row["due_txt"] == "20/11/2026 08:00"
    assert row["overdue_days"] == 6.2 and row["overdue_txt"] == "6,2"


# --- KPI tiles: traffic lights against targets ------------------------------------------------

@pytest.mark.parametrize(("value", "target", "state"), [
    (0.95, 0.95, "good"), (0.99, 0.95, "good"), (0.949, 0.95, "warn"), (0.90, 0.95, "warn"),
    (0.8999, 0.95, "bad"), (0.85, 0.90, "warn"), (0.849, 0.90, "bad"), (0.93, 0.98, "warn"),
    (None, 0.95, "none"), (0.5, None, "info"),
])
def test_tile_state(value: float | None, target: float | None, state: str) -> None:
    assert tile_state(value, target) == state


@dataclass
class _Targets:
    target_processed: float = 0.98
    target_on_time: float = 0.95
    target_satisfaction: float = 0.90


@dataclass
class _Kpis:
    received: int = 9143
    processed: int = 9000
    processed_rate: float = 9000 / 9143
    on_time_rate: float = 0.80
    overdue: int = 7
    median_resolution_hours: float = 54.5
    p90_resolution_hours: float = 155.6
    satisfaction_rate: float = 0.938
    rated_share: float = 0.7
    details: dict = field(default_factory=lambda: {"rated": 3068, "on_time": 7200, "satisfied": 2700,
                                                    "acceptable": 178})


def test_feedback_tiles_states_values_and_targets() -> None:
    tiles = {tile.key: tile for tile in feedback_tiles(_Kpis(), _Targets(), "vi")}
    assert tiles["received"].value == "9.143" and tiles["received"].state == "info"
    assert tiles["processed_rate"].value == f"98,4{NBSP}%" and tiles["processed_rate"].state == "good"
    assert tiles["on_time_rate"].state == "bad"
    assert tiles["on_time_rate"].target == f"Mục tiêu 95{NBSP}%"
    assert tiles["satisfaction_rate"].value == f"93,8{NBSP}%" and tiles["satisfaction_rate"].state == "good"
    assert tiles["satisfaction_rate"].state_text("vi") == "Đạt"
    assert tiles["on_time_rate"].state_text("en") == "Below target"
    assert tiles["overdue"].value == "7" and tiles["overdue"].state == "alert"
    assert [tile.key for tile in feedback_tiles(_Kpis(), _Targets(), "en", ("overdue", "received"))] == [
        "overdue", "received"]


def test_a_rate_just_below_target_does_not_round_up_to_it() -> None:
    kpis = _Kpis(processed=9547, received=9743, processed_rate=9547 / 9743)  # 97.988 %
    tile = next(t for t in feedback_tiles(kpis, _Targets(), "vi") if t.key == "processed_rate")
    assert tile.state == "warn" and tile.value == f"97,99{NBSP}%"


# --- figures ----------------------------------------------------------------------------------

def test_graph_config_downloads_png_with_a_name() -> None:
    config = graph_config("phan-anh_theo-dia-ban")
    assert config["displaylogo"] is False and config["responsive"] is True
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "phan-anh_theo-dia-ban", "scale": 2}


def test_plotly_labels_are_escaped() -> None:
    assert plotly_text("<b>A</b> & B") == "&lt;b&gt;A&lt;/b&gt; &amp; B"


def test_trend_has_the_target_line_and_received_bars() -> None:
    series = pd.DataFrame({"bucket": pd.to_datetime(["2026-01-05", "2026-01-12"]), "received": [10, 20],
                           "satisfaction_rate": [0.92, 0.88], "on_time_rate": [0.97, 0.95]})
    fig = trend_figure(series, 0.90, "vi", "week", span=(date(2026, 1, 5), date(2026, 1, 19)))
    assert [trace.type for trace in fig.data] == ["bar", "scatter", "scatter"]
    assert fig.data[0].yaxis == "y2"
    assert fig.layout.shapes[0].y0 == 0.90
    assert fig.layout.separators == ",."
    assert fig.layout.xaxis.range[1] == "2026-01-19T00:00:00"


def test_breakdown_puts_the_largest_on_top_and_escapes_labels() -> None:
    frame = pd.DataFrame({"key": ["a", "b"], "label": ["<b>Đội A</b>", "B"], "received": [30, 10],
                          "processed_rate": [1.0, 0.5], "on_time_rate": [0.9, None], "satisfaction_rate": [0.9, 0.8]})
    fig = breakdown_figure(frame, "en")
    assert fig.layout.yaxis.autorange == "reversed"
    assert list(fig.data[0].y) == ["&lt;b&gt;Đội A&lt;/b&gt;", "B"]
    assert fig.data[0].customdata[1][2] == "–"


def test_empty_data_gives_a_message_not_an_error() -> None:
    empty = pd.DataFrame(columns=["bucket", "received", "satisfaction_rate", "on_time_rate"])
    fig = trend_figure(empty, 0.9, "en", "week")
    assert fig.layout.annotations[0].text == "No data for the selected filters"


@pytest.mark.parametrize(("days", "freq"), [(7, "day"), (62, "day"), (63, "week"), (365, "week"), (800, "month")])
def test_trend_bucket_size_follows_the_period(days: int, freq: str) -> None:
    period = Period(date(2024, 1, 1), date(2024, 1, 1) + pd.Timedelta(days=days).to_pytimedelta())
    assert series_freq(period) == freq


# --- URL query → filter ------------------------------------------------------------------------

def test_good_query_gives_the_filter() -> None:
    query, problems = parse_feedback_query(
        {"from": "2026-01-01", "to": "2026-11-26", "unit": "19753", "category": "lighting", "channel": "hue_s"},
        TODAY)
    assert problems == []
    assert (query.period.start, query.period.end) == (date(2026, 1, 1), date(2026, 11, 27))  # 'to' included
    assert (query.unit, query.category, query.channel) == ("19753", "lighting", "hue_s")
    assert query.last_day == date(2026, 11, 26)
    assert query.search("en") == ("?from=2026-01-01&to=2026-11-26&unit=19753&category=lighting&channel=hue_s"
                                  "&lang=en")


def test_an_old_district_link_still_gives_the_filter() -> None:
    query, problems = parse_feedback_query({"from": "2024-01-01", "to": "2024-12-31", "district": "474"}, TODAY)
    assert problems == [] and query.unit == "474" and query.dims() == {"district_code": "474"}
    assert query.search("vi") == "?from=2024-01-01&to=2024-12-31&unit=474&lang=vi"


def test_missing_params_give_the_last_365_days_and_everything() -> None:
    query, problems = parse_feedback_query({}, TODAY)
    assert problems == []
    assert (query.start, query.end) == (date(2025, 11, 27), date(2026, 11, 27))
    assert (query.unit, query.category, query.channel) == (None, None, None)
    assert parse_feedback_query({"unit": "", "district": "", "category": "  "}, TODAY) == (query, [])


def test_bad_date_is_reported_by_name_and_falls_back() -> None:
    query, problems = parse_feedback_query({"from": "2026-13-01", "to": "2026-11-26"}, TODAY)
    assert query.start == date(2025, 11, 27) and query.end == date(2026, 11, 27)
    assert [(p.param, p.value) for p in problems] == [("from", "2026-13-01")]
    assert problems[0].message("vi") == ("Bỏ qua tham số from=2026-13-01: không phải ngày dạng YYYY-MM-DD "
                                         "từ năm 2000 đến 2100. Đang dùng: 2025-11-27.")
    assert problems[0].message("en").startswith("Ignored from=2026-13-01: not a date YYYY-MM-DD")


def test_reversed_period_blames_to() -> None:
    query, problems = parse_feedback_query({"from": "2026-11-20", "to": "2026-11-01"}, TODAY)
    assert [(p.param, p.reason) for p in problems] == [("to", "reason_order")]
    assert (query.start, query.end) == (date(2025, 11, 27), date(2026, 11, 27))
    assert problems[0].message("vi").startswith("Bỏ qua tham số to=2026-11-01: trước ngày bắt đầu")


def test_from_after_the_default_end_blames_from() -> None:
    _query, problems = parse_feedback_query({"from": "2027-05-01"}, TODAY)
    assert [(p.param, p.reason) for p in problems] == [("from", "reason_order_from")]


def test_bad_codes_and_channels_are_reported_and_dropped() -> None:
    query, problems = parse_feedback_query({"unit": "<b>", "channel": "fax", "category": "lighting"}, TODAY)
    assert (query.unit, query.channel, query.category) == (None, None, "lighting")
    assert [(p.param, p.reason) for p in problems] == [("unit", "reason_code"), ("channel", "reason_choice")]
    assert problems[1].message("en") == "Ignored channel=fax: no such channel. Using: all."


def test_unknown_unit_code_is_a_valid_filter() -> None:
    query, problems = parse_feedback_query({"unit": "99999"}, TODAY)
    assert query.unit == "99999" and problems == []


def test_repeated_param_takes_the_last() -> None:
    query, _ = parse_feedback_query({"unit": ["19753", "19774"]}, TODAY)
    assert query.unit == "19774"


def test_lang_param() -> None:
    assert parse_lang({"lang": "en"}, "vi") == ("en", None)
    assert parse_lang({}, None, "en") == ("en", None)
    lang, problem = parse_lang({"lang": "fr"}, "vi")
    assert lang == "vi" and problem is not None and problem.param == "lang"


def test_presets() -> None:
    assert preset_dates("30", TODAY) == (date(2026, 10, 28), date(2026, 11, 27))
    assert preset_dates("month", TODAY) == (date(2026, 11, 1), date(2026, 11, 27))
    assert preset_dates("custom", TODAY) is None
    assert match_preset(date(2025, 11, 27), date(2026, 11, 27), TODAY) == "365"
    assert match_preset(date(2026, 1, 2), date(2026, 11, 27), TODAY) == "custom"
    # the rivers page's default period, the last 3 days, is a preset of its own, not "custom"
    assert preset_dates("3", TODAY) == (date(2026, 11, 24), date(2026, 11, 27))
    assert match_preset(date(2026, 11, 24), date(2026, 11, 27), TODAY) == "3"
