"""UI strings in Vietnamese and English, and locale-aware formatting (pure, no Dash).

Every string the dashboard shows goes through :func:`t`. Numbers, percentages, money and
times go through the ``fmt_*`` functions so Vietnamese screens read ``9.143``, ``93,8 %``,
``296.050.000 ₫`` and English ones ``9,143``, ``93.8%``, ``296,050,000 VND``. Times are
stored as naive UTC and always shown in local time (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from ioc.domain.feedback import CATEGORIES, CHANNEL_LABELS, RATING_LABELS, STATUS_LABELS
from ioc.kpi.periods import to_local

LANGS = ("vi", "en")
NBSP = "\u00a0"
DASH = "–"

# key: (vi, en). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    "product": ("IOC Huế", "IOC Huế"),
    "product_long": ("Trung tâm Giám sát, điều hành đô thị thông minh", "Intelligent Operations Center"),
    "nav_overview": ("Tổng quan", "Overview"),
    "nav_feedback": ("Phản ánh hiện trường", "Field feedback"),
    "simulated": ("DỮ LIỆU MÔ PHỎNG", "SIMULATED DATA"),
    "simulated_title": ("Nguồn mô phỏng đang chạy: số liệu không phải thật",
                        "A simulator is a configured source: figures are not real"),
    "live": ("TRỰC TIẾP", "LIVE"),
    "live_degraded": ("TRỰC TIẾP (chậm)", "LIVE (degraded)"),
    "live_offline": ("MẤT KẾT NỐI", "DISCONNECTED"),
    "live_paused": ("TẠM DỪNG", "PAUSED"),
    "live_updated": ("cập nhật {time}", "updated {time}"),
    "clock_tz": ("Giờ Huế", "Huế time"),
    "lang_label": ("Ngôn ngữ", "Language"),
    # filters
    "period": ("Kỳ", "Period"),
    "date_range": ("Từ ngày – đến hết ngày", "From – to (inclusive)"),
    "preset_7": ("7 ngày qua", "Last 7 days"),
    "preset_30": ("30 ngày qua", "Last 30 days"),
    "preset_90": ("90 ngày qua", "Last 90 days"),
    "preset_365": ("12 tháng qua", "Last 12 months"),
    "preset_month": ("Tháng này", "This month"),
    "preset_year": ("Năm nay", "This year"),
    "preset_custom": ("Tùy chọn", "Custom"),
    "district": ("Địa bàn", "District"),
    "category": ("Lĩnh vực", "Category"),
    "channel": ("Kênh tiếp nhận", "Channel"),
    "all": ("Tất cả", "All"),
    "reset": ("Đặt lại", "Reset"),
    "copy_link": ("Sao chép liên kết", "Copy link"),
    "unknown_unit": ("Không xác định ({code})", "Unknown ({code})"),
    "no_unit": ("Chưa rõ địa bàn", "No unit given"),
    "bad_param": ("Tham số '{name}' không hợp lệ: '{value}' ({reason}). Đang dùng mặc định: {default}.",
                  "Parameter '{name}' is not valid: '{value}' ({reason}). Using the default: {default}."),
    "reason_date": ("cần ngày dạng YYYY-MM-DD", "expected a date YYYY-MM-DD"),
    "reason_order": ("phải sau ngày bắt đầu", "must be after 'from'"),
    "reason_order_from": ("phải trước ngày kết thúc", "must be before 'to'"),
    "reason_too_long": ("kỳ dài quá 20 năm", "period longer than 20 years"),
    "reason_code": ("mã không đúng định dạng", "not a valid code"),
    "reason_choice": ("không có trong danh mục", "not a known value"),
    "default_period": ("12 tháng qua", "the last 12 months"),
    "default_all": ("tất cả", "all"),
    # KPI tiles
    "kpi_received": ("Tiếp nhận", "Received"),
    "kpi_processed_rate": ("Đã xử lý", "Processed"),
    "kpi_on_time_rate": ("Đúng hạn", "On time"),
    "kpi_overdue": ("Quá hạn đang mở", "Open & overdue"),
    "kpi_median_resolution_hours": ("Thời gian xử lý", "Median resolution"),
    "kpi_p90_resolution_hours": ("Thời gian xử lý P90", "P90 resolution"),
    "kpi_satisfaction_rate": ("Hài lòng", "Satisfied"),
    "kpi_rated_share": ("Tỷ lệ được đánh giá", "Rated share"),
    "target": ("Mục tiêu {value}", "Target {value}"),
    "state_good": ("Đạt", "On target"),
    "state_warn": ("Gần đạt", "Near target"),
    "state_bad": ("Chưa đạt", "Below target"),
    "state_none": ("Chưa có số liệu", "No data"),
    "sub_processed": ("{n} / {d} phản ánh", "{n} of {d} reports"),
    "sub_on_time": ("{n} / {d} đã xử lý", "{n} of {d} processed"),
    "sub_rated": ("{n} / {d} lượt đánh giá", "{n} of {d} ratings"),
    "sub_received": ("phản ánh trong kỳ", "reports in the period"),
    "sub_overdue": ("chưa xử lý, đã quá hạn", "still open, past deadline"),
    "sub_hours": ("trung vị, từ tiếp nhận đến khi đóng", "half of reports closed within"),
    "sub_hours_p90": ("90 % phản ánh đóng trong khoảng này", "90% of reports closed within"),
    "sub_rated_share": ("số phản ánh đã xử lý được đánh giá", "of processed reports rated"),
    "hours_unit": ("giờ", "h"),
    "days_short": ("{n} ngày", "{n} d"),
    # charts
    "chart_trend": ("Mức độ hài lòng và số phản ánh", "Satisfaction and reports received"),
    "chart_category": ("Theo lĩnh vực", "By category"),
    "chart_district": ("Theo địa bàn", "By district"),
    "chart_channel": ("Theo kênh tiếp nhận", "By channel"),
    "chart_handling": ("Đơn vị xử lý (15 đơn vị nhiều nhất)", "Handling units (top 15)"),
    "chart_map": ("Bản đồ phản ánh", "Map of reports"),
    "chart_overdue": ("Phản ánh quá hạn đang mở", "Open overdue reports"),
    "series_received": ("Số phản ánh", "Reports received"),
    "series_satisfaction": ("Tỷ lệ hài lòng", "Satisfaction rate"),
    "series_target": ("Mục tiêu", "Target"),
    "series_on_time": ("Tỷ lệ đúng hạn", "On-time rate"),
    "axis_reports": ("Phản ánh", "Reports"),
    "axis_rate": ("Tỷ lệ", "Rate"),
    "freq_day": ("theo ngày", "daily"),
    "freq_week": ("theo tuần", "weekly"),
    "freq_month": ("theo tháng", "monthly"),
    "no_data": ("Không có dữ liệu trong kỳ đã chọn", "No data for the selected filters"),
    "csv": ("CSV", "CSV"),
    "csv_title": ("Tải dữ liệu của biểu đồ (CSV)", "Download this chart's data (CSV)"),
    "map_count": ("Hiển thị {n} phản ánh", "Showing {n} reports"),
    "map_capped": ("Hiển thị {n} phản ánh mới nhất trên tổng số {m}", "Showing the {n} most recent of {m} reports"),
    "map_unlocated": ("{k} phản ánh không có tọa độ", "{k} reports have no location"),
    "popup_received": ("Tiếp nhận", "Received"),
    "popup_due": ("Hạn xử lý", "Deadline"),
    "popup_address": ("Địa chỉ", "Address"),
    "popup_unit": ("Đơn vị xử lý", "Handling unit"),
    # overdue grid
    "col_id": ("Mã", "ID"),
    "col_category": ("Lĩnh vực", "Category"),
    "col_description": ("Nội dung", "Description"),
    "col_address": ("Địa chỉ", "Address"),
    "col_district": ("Địa bàn", "District"),
    "col_handling": ("Đơn vị xử lý", "Handling unit"),
    "col_status": ("Trạng thái", "Status"),
    "col_channel": ("Kênh", "Channel"),
    "col_received": ("Tiếp nhận lúc", "Received"),
    "col_due": ("Hạn xử lý", "Deadline"),
    "col_overdue_days": ("Quá hạn (ngày)", "Overdue (days)"),
    "col_received_n": ("Tiếp nhận", "Received"),
    "col_processed_rate": ("Tỷ lệ xử lý", "Processed rate"),
    "col_on_time_rate": ("Tỷ lệ đúng hạn", "On-time rate"),
    "col_satisfaction_rate": ("Tỷ lệ hài lòng", "Satisfaction rate"),
    "col_name": ("Tên", "Name"),
    "col_code": ("Mã", "Code"),
    "col_period": ("Kỳ", "Period"),
    "col_lat": ("Vĩ độ", "Latitude"),
    "col_lon": ("Kinh độ", "Longitude"),
    "overdue_shown": ("{n} phản ánh quá hạn (quá hạn lâu nhất trước)", "{n} overdue reports (most overdue first)"),
    "overdue_capped": ("Hiển thị {n} trên tổng số {m} phản ánh quá hạn (quá hạn lâu nhất trước)",
                       "Showing {n} of {m} overdue reports (most overdue first)"),
    # overview
    "recent_title": ("Phản ánh mới nhất", "Latest reports"),
    "daily_title": ("Phản ánh 30 ngày qua", "Reports, last 30 days"),
    "overview_title": ("Tổng quan vận hành", "Operations overview"),
    "overview_period": ("12 tháng qua · hôm nay: {today} phản ánh mới", "Last 12 months · today: {today} new reports"),
    "family_feedback": ("Phản ánh hiện trường", "Citizen field feedback"),
    "family_traffic": ("Vi phạm giao thông", "Traffic violations"),
    "family_environment": ("Môi trường, chất lượng không khí", "Environment, air quality"),
    "family_admin": ("Thủ tục hành chính", "Administrative services"),
    "family_traffic_desc": ("Camera AI và phản ánh vi phạm; mức phạt theo NĐ 100/2019 và 168/2024",
                            "AI cameras and citizen reports; fines under Decrees 100/2019 and 168/2024"),
    "family_environment_desc": ("Chỉ số VN_AQI theo giờ và theo ngày tại các trạm quan trắc",
                                "Hourly and daily VN_AQI at monitoring stations"),
    "family_admin_desc": ("Hồ sơ TTHC: đúng hạn, trễ hạn, trực tuyến toàn trình",
                          "Administrative dossiers: on time, late, full-process online"),
    "not_connected": ("CHƯA KẾT NỐI", "NOT YET CONNECTED"),
    "not_connected_hint": ("Nguồn dữ liệu sẽ được kết nối ở giai đoạn sau", "This data family arrives in a later release"),
    "open_details": ("Xem chi tiết →", "Open details →"),
    "sources_title": ("Tình trạng nguồn dữ liệu", "Data sources health"),
    "src_name": ("Nguồn", "Source"),
    "src_type": ("Loại", "Type"),
    "src_family": ("Nhóm dữ liệu", "Family"),
    "src_last_run": ("Lần chạy gần nhất", "Last run"),
    "src_status": ("Kết quả", "Status"),
    "src_freshness": ("Độ mới", "Freshness"),
    "src_counts": ("Mới / cập nhật / lỗi", "New / updated / rejected"),
    "src_error": ("Lỗi gần nhất", "Last error"),
    "src_every": ("mỗi {s} giây", "every {s} s"),
    "fresh_ok": ("Đúng nhịp", "On time"),
    "fresh_late": ("Chậm", "Late"),
    "fresh_stale": ("Ngừng cập nhật", "Stale"),
    "fresh_never": ("Chưa chạy", "Never ran"),
    "run_ok": ("Thành công", "OK"),
    "run_failed": ("Thất bại", "Failed"),
    "run_none": ("–", "–"),
    "no_sources": ("Chưa cấu hình nguồn nào", "No sources configured"),
}


def resolve_lang(*candidates: str | None, default: str = "vi") -> str:
    """The first candidate that is a supported language, else ``default``."""
    for lang in candidates:
        if isinstance(lang, str) and lang.lower() in LANGS:
            return lang.lower()
    return default if default in LANGS else "vi"


def _merge_family_strings() -> None:
    """Each family keeps its strings in its own module; a key may be defined once only."""
    from ioc import i18n_admin, i18n_alerts, i18n_environment, i18n_traffic, i18n_wall

    for module in (i18n_traffic, i18n_environment, i18n_admin, i18n_wall, i18n_alerts):
        clash = STRINGS.keys() & module.STRINGS.keys()
        if clash:
            raise RuntimeError(f"{module.__name__} redefines UI strings: {sorted(clash)}")
        STRINGS.update(module.STRINGS)


_merge_family_strings()


def t(key: str, lang: str, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (vi or en), with ``values`` filled in."""
    vi, en = STRINGS[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def _locale(lang: str) -> str:
    return "en" if lang == "en" else "vi"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: float | None, lang: str) -> str:
    """A count: ``9.143`` (vi), ``9,143`` (en)."""
    if _missing(value):
        return DASH
    return format_decimal(round(value), format="#,##0", locale=_locale(lang))


def fmt_number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A decimal number: ``54,5`` (vi), ``54.5`` (en)."""
    if _missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_pct(ratio: float | None, lang: str, decimals: int = 1) -> str:
    """A ratio (0.938) as a percentage: ``93,8 %`` (vi, non-breaking space), ``93.8%`` (en)."""
    if _missing(ratio):
        return DASH
    number = fmt_number(ratio * 100, lang, decimals)
    return f"{number}{NBSP}%" if lang != "en" else f"{number}%"


def fmt_vnd(amount: float | None, lang: str) -> str:
    """Money in VND (no minor unit): ``296.050.000 ₫`` (vi), ``296,050,000 VND`` (en)."""
    if _missing(amount):
        return DASH
    number = fmt_int(amount, lang)
    return f"{number}{NBSP}₫" if lang != "en" else f"{number}{NBSP}VND"


def fmt_hours(hours: float | None, lang: str) -> str:
    """A duration in hours: ``54,5 giờ`` (vi), ``54.5 h`` (en)."""
    if _missing(hours):
        return DASH
    return f"{fmt_number(hours, lang, 1)}{NBSP}{t('hours_unit', lang)}"


def fmt_local_datetime(utc_naive: datetime | None, tz: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """A stored (naive UTC) instant in local time: ``26/11/2026 14:05`` (both languages)."""
    if not isinstance(utc_naive, datetime) or utc_naive != utc_naive:  # None or NaT
        return DASH
    if utc_naive.tzinfo is not None:
        utc_naive = utc_naive.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    local = to_local(utc_naive, tz)
    return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def fmt_date(day: date | None, lang: str) -> str:
    """A local date: ``26/11/2026`` (the format Vietnamese offices use; kept in English too)."""
    if day is None:
        return DASH
    return day.strftime("%d/%m/%Y")


def status_label(code: str, lang: str) -> str:
    pair = STATUS_LABELS.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


def category_label(code: str, lang: str, stored_name: str | None = None) -> str:
    """A category's name; a code we do not know keeps the name its source gave."""
    pair = CATEGORIES.get(code)
    if pair is None:
        return stored_name or code
    return pair[1 if lang == "en" else 0]


def channel_label(code: str, lang: str) -> str:
    pair = CHANNEL_LABELS.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


def rating_label(code: str | None, lang: str) -> str:
    pair = RATING_LABELS.get(code or "")
    return DASH if pair is None else pair[1 if lang == "en" else 0]


def unit_label(code: str | None, names: dict[str, str], lang: str) -> str:
    """A unit code shown as its name; an unknown code as ``Không xác định (999)``."""
    if not code:
        return t("no_unit", lang)
    name = names.get(code)
    return name if name else t("unknown_unit", lang, code=code)
