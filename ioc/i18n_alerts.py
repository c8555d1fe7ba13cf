"""UI strings of the alerts (key: (vi, en)), merged into :data:`ioc.i18n.STRINGS`, and
:func:`describe`: one human line per alert for the wall's ticker, the alerts page and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

STRINGS: dict[str, tuple[str, str]] = {
    # normalised severities (ioc/domain/alert_rules.py LEVELS)
    "severity_info": ("Thông tin", "Info"),
    "severity_warning": ("Cảnh báo", "Warning"),
    "severity_high": ("Cao", "High"),
    "severity_critical": ("Nghiêm trọng", "Critical"),
    "severity_emergency": ("Khẩn cấp", "Emergency"),
    # city operational stage (ioc/domain/stage.py)
    "stage_normal": ("Bình thường", "Normal"),
    "stage_mobilisation": ("Huy động", "Mobilisation"),
    "stage_attention": ("Chú ý", "Attention"),
    "stage_alert": ("Báo động", "Alert"),
    "stage_crisis": ("Khủng hoảng", "Crisis"),
    # kinds
    "alert_kind_aqi_bad": ("Không khí ô nhiễm", "Bad air"),
    "alert_kind_no_data": ("Trạm mất tín hiệu", "Station silent"),
    "alert_kind_source_failed": ("Nguồn dữ liệu lỗi", "Data source failing"),
    "alert_kind_source_stale": ("Nguồn dữ liệu ngừng cập nhật", "Data source stale"),
    "alert_kind_overdue_surge": ("Phản ánh quá hạn tăng đột biến", "Surge of overdue reports"),
    "alert_kind_violation_surge": ("Vi phạm giao thông tăng đột biến", "Surge of traffic violations"),
    # one line per alert (describe)
    "alert_aqi": ("{name}: AQI {aqi} ({category})", "{name}: AQI {aqi} ({category})"),
    "alert_aqi_category": ("{name}: không khí {category}", "{name}: air quality {category}"),
    "alert_pollutant": (" – {pollutant}", " – {pollutant}"),
    "alert_no_data_hours": ("{name}: mất tín hiệu {hours} giờ", "{name}: no data for {hours} hours"),
    "alert_no_data": ("{name}: mất tín hiệu", "{name}: no data"),
    "alert_source_failed_n": ("Nguồn {name} lỗi {n} lần liên tiếp", "Source {name} failed {n} times in a row"),
    "alert_source_failed": ("Nguồn {name} lỗi", "Source {name} failed"),
    "alert_source_stale": ("Nguồn {name} ngừng cập nhật, lần thành công cuối {time}",
                           "Source {name} is stale, last success {time}"),
    "alert_source_never": ("Nguồn {name} chưa lần nào chạy thành công", "Source {name} has never succeeded"),
    "alert_overdue_surge": ("{n} phản ánh quá hạn trong 1 giờ qua (trung bình 7 ngày trước: {mean}/giờ)",
                            "{n} reports went overdue in the last hour (7-day mean: {mean}/hour)"),
    "alert_violation_ratio": ("Vi phạm giao thông {where} tăng {ratio}× so với cùng giờ tuần trước ({n} / {m})",
                              "Traffic violations {where} up {ratio}× on the same hour last week ({n} / {m})"),
    "alert_violation_from_zero": ("Vi phạm giao thông {where}: {n} trong giờ qua, cùng giờ tuần trước không có",
                                  "Traffic violations {where}: {n} in the hour, none in the same hour last week"),
    "alert_where_city": ("toàn thành phố", "city-wide"),
    "alert_where_unit": ("tại {unit}", "in {unit}"),
    "alert_unknown_unit": ("đơn vị {code}", "unit {code}"),
    "alert_generic": ("{family} · {kind}: {key}", "{family} · {kind}: {key}"),
}

#: VN_AQI pollutant codes (env_aqi_hourly.dominant) as a ticker names them
POLLUTANTS: dict[str, tuple[str, str]] = {
    "pm25": ("bụi PM2.5", "PM2.5 dust"),
    "pm10": ("bụi PM10", "PM10 dust"),
    "o3": ("ôzôn (O₃)", "ozone (O₃)"),
    "o3_1h": ("ôzôn (O₃)", "ozone (O₃)"),
    "o3_8h": ("ôzôn (O₃)", "ozone (O₃)"),
    "co": ("CO", "CO"),
    "so2": ("SO₂", "SO₂"),
    "no2": ("NO₂", "NO₂"),
}
MAX_ERROR_SHOWN = 120
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _s(name: str, lang: str, /, **values: object) -> str:
    vi, en = STRINGS[name]
    return (en if lang == "en" else vi).format(**values)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN


def describe(alert: Any, lang: str, tz: ZoneInfo | None = None) -> str:
    """One line for ``alert`` (an :class:`ioc.alerts.Alert`) in ``lang`` (vi or en).

    Works with whatever its details hold: a missing field drops that part of the line. Local
    times in ``tz`` (default Asia/Ho_Chi_Minh).
    """
    from ioc.i18n import fmt_int, fmt_local_datetime, fmt_number

    d = alert.details if isinstance(getattr(alert, "details", None), dict) else {}
    name = getattr(alert, "subject", None) or alert.key
    kind = alert.kind
    if alert.family == "environment" and kind == "aqi_bad":
        return _aqi_line(name, alert.severity, d, lang)
    if alert.family == "environment" and kind == "no_data":
        hours = _int(d.get("hours"))
        return _s("alert_no_data_hours", lang, name=name, hours=fmt_int(hours, lang)) if hours else \
            _s("alert_no_data", lang, name=name)
    if kind == "source_failed":
        n = _int(d.get("failures")) or 1
        line = _s("alert_source_failed_n", lang, name=alert.key, n=n) if n > 1 else \
            _s("alert_source_failed", lang, name=alert.key)
        error = " ".join(str(d.get("error") or "").split())
        if len(error) > MAX_ERROR_SHOWN:
            error = error[:MAX_ERROR_SHOWN - 1].rstrip() + "…"
        return f"{line}: {error}" if error else line
    if kind == "source_stale":
        try:
            last = datetime.fromisoformat(str(d["last_success_at"]))
        except (KeyError, TypeError, ValueError):
            return _s("alert_source_never", lang, name=alert.key)
        return _s("alert_source_stale", lang, name=alert.key, time=fmt_local_datetime(last, tz or DEFAULT_TZ, lang))
    if kind == "overdue_surge":
        n, mean = _int(d.get("count")), _float(d.get("baseline_per_hour"))
        if n is None:
            return _s("alert_kind_overdue_surge", lang)
        return _s("alert_overdue_surge", lang, n=fmt_int(n, lang), mean=fmt_number(mean, lang, 1))
    if kind == "violation_surge":
        where = _s("alert_where_city", lang) if alert.key == "city" else \
            _s("alert_where_unit", lang, unit=getattr(alert, "subject", None)
               or _s("alert_unknown_unit", lang, code=alert.key))
        n, m, ratio = _int(d.get("count")), _int(d.get("last_week")), _float(d.get("ratio"))
        if n is None or m is None:
            return f"{_s('alert_kind_violation_surge', lang)} ({where})"
        if not m:
            return _s("alert_violation_from_zero", lang, where=where, n=fmt_int(n, lang))
        return _s("alert_violation_ratio", lang, where=where, ratio=fmt_number(ratio or n / m, lang, 1),
                  n=fmt_int(n, lang), m=fmt_int(m, lang))
    return _s("alert_generic", lang, family=alert.family, kind=kind, key=name)


def _aqi_line(name: str, severity: str, d: dict[str, Any], lang: str) -> str:
    from ioc.domain.aqi import CATEGORIES, category_for

    aqi = _int(d.get("peak_aqi"))
    by_code = {c.code: c for c in CATEGORIES}
    category = category_for(aqi) if aqi is not None and aqi >= 0 else by_code.get(severity)
    label = "" if category is None else (category.label_en if lang == "en" else category.label_vi)
    if aqi is not None and aqi >= 0:
        line = _s("alert_aqi", lang, name=name, aqi=aqi, category=label)
    else:
        line = _s("alert_aqi_category", lang, name=name, category=label or severity)
    pollutant = POLLUTANTS.get(str(d.get("dominant") or ""))
    return line + (_s("alert_pollutant", lang, pollutant=pollutant[1 if lang == "en" else 0]) if pollutant else "")
