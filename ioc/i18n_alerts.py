""":func:`describe`: one human line per alert for the wall's ticker, the alerts page and the CLI.

Its strings are in the ``alerts`` catalogue (``ioc/locale/<lang>/LC_MESSAGES/alerts.po``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ioc.cap import SEVERITIES as CAP_SEVERITIES
from ioc.i18n import fmt_int, fmt_local_datetime, fmt_number, fmt_pct, has, t

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
    d = alert.details if isinstance(getattr(alert, "details", None), dict) else {}
    name = getattr(alert, "subject", None) or alert.key
    kind = alert.kind
    if alert.family == "environment" and kind == "aqi_bad":
        return _aqi_line(name, alert.severity, d, lang)
    if alert.family == "environment" and kind == "no_data":
        hours = _int(d.get("hours"))
        return t("alert_no_data_hours", lang, name=name, hours=fmt_int(hours, lang)) if hours else \
            t("alert_no_data", lang, name=name)
    if kind == "source_failed":
        n = _int(d.get("failures")) or 1
        line = t("alert_source_failed_n", lang, name=alert.key, n=n) if n > 1 else \
            t("alert_source_failed", lang, name=alert.key)
        error = " ".join(str(d.get("error") or "").split())
        if len(error) > MAX_ERROR_SHOWN:
            error = error[:MAX_ERROR_SHOWN - 1].rstrip() + "…"
        return f"{line}: {error}" if error else line
    if kind == "source_stale":
        try:
            last = datetime.fromisoformat(str(d["last_success_at"]))
        except (KeyError, TypeError, ValueError):
            return t("alert_source_never", lang, name=alert.key)
        return t("alert_source_stale", lang, name=alert.key, time=fmt_local_datetime(last, tz or DEFAULT_TZ, lang))
    if kind == "overdue_surge":
        n, mean = _int(d.get("count")), _float(d.get("baseline_per_hour"))
        if n is None:
            return t("alert_kind_overdue_surge", lang)
        return t("alert_overdue_surge", lang, n=fmt_int(n, lang), mean=fmt_number(mean, lang, 1))
    if kind == "violation_surge":
        where = t("alert_where_city", lang) if alert.key == "city" else \
            t("alert_where_unit", lang, unit=getattr(alert, "subject", None)
              or t("alert_unknown_unit", lang, code=alert.key))
        n, m, ratio = _int(d.get("count")), _int(d.get("last_week")), _float(d.get("ratio"))
        if n is None or m is None:
            return f"{t('alert_kind_violation_surge', lang)} ({where})"
        if not m:
            return t("alert_violation_from_zero", lang, where=where, n=fmt_int(n, lang))
        return t("alert_violation_ratio", lang, where=where, ratio=fmt_number(ratio or n / m, lang, 1),
                 n=fmt_int(n, lang), m=fmt_int(m, lang))
    if kind == "spec_rule":
        return _spec_rule_line(alert.family, alert.key, d, lang)
    if kind == "cap_warning":
        return _cap_line(d, lang, tz)
    if alert.family == "flood":
        return _flood_line(kind, name, d, lang)
    if kind in ("vessel_silent", "vessel_outside"):
        vessel = f"{d.get('vessel')} ({alert.key})" if d.get("vessel") else alert.key
        hours = _int(d.get("hours"))
        if kind == "vessel_outside":
            return t("alert_vessel_outside", lang, vessel=vessel)
        if hours is not None and hours >= 48:  # past 10 days (level high) the vessel must be back in port
            key = "alert_vessel_must_return" if alert.level == "high" else "alert_vessel_silent_days"
            return t(key, lang, vessel=vessel, days=fmt_int(hours // 24, lang))
        return t("alert_vessel_silent", lang, vessel=vessel, hours=fmt_int(hours, lang)) if hours is not None \
            else t("alert_kind_vessel_silent", lang)
    if alert.family == "cameras" and kind in ("camera_offline", "cameras_offline_share", "camera_event"):
        return _camera_line(kind, alert.key, d, lang)
    return t("alert_generic", lang, family=alert.family, kind=kind, key=name)


def _camera_line(kind: str, key: str, d: dict[str, Any], lang: str) -> str:
    """A camera offline (minutes, hours or days), many cameras offline at once, or an AI event."""
    from ioc.domain.cameras import EVENT_LABELS, label

    name = str(d.get("camera") or "")
    code = str(d.get("camera_code") or key)
    camera = f"{name} ({code})" if name and name != code else code
    if kind == "camera_offline" and _int(d.get("minutes")) is not None:
        minutes = _int(d.get("minutes")) or 0
        if minutes < 120:
            return t("alert_camera_offline_min", lang, camera=camera, n=fmt_int(minutes, lang))
        if minutes < 48 * 60:
            return t("alert_camera_offline_h", lang, camera=camera, n=fmt_int(minutes // 60, lang))
        return t("alert_camera_offline_days", lang, camera=camera, n=fmt_int(minutes // (24 * 60), lang))
    if kind == "cameras_offline_share" and _int(d.get("offline")) is not None and _int(d.get("cameras")):
        n, total = _int(d.get("offline")) or 0, _int(d.get("cameras")) or 1
        return t("alert_cameras_offline_share", lang, n=fmt_int(n, lang), total=fmt_int(total, lang),
                 pct=fmt_pct(n / total, lang))
    if kind == "camera_event" and d.get("event"):
        event = label(EVENT_LABELS, str(d["event"]), lang)
        confidence = _float(d.get("confidence"))
        if confidence is None:
            return t("alert_camera_event", lang, event=event, camera=camera)
        return t("alert_camera_event_confidence", lang, event=event, camera=camera, pct=fmt_pct(confidence, lang, 0))
    return t(f"alert_kind_{kind}", lang)


def _flood_line(kind: str, key: str, d: dict[str, Any], lang: str) -> str:
    """A river above an alarm level (with its rise), very heavy rain, or a gauge silent during a flood."""
    station = str(d.get("station") or key.split("/")[0])
    if kind == "flood_level" and _float(d.get("level_m")) is not None:
        rate = _float(d.get("rise_m_per_h"))
        rise = "" if rate is None or abs(rate) < 0.005 else \
            t("alert_flood_rise" if rate > 0 else "alert_flood_fall", lang, rate=fmt_number(abs(rate), lang, 2))
        return t("alert_flood_level", lang, river=str(d.get("river") or ""), station=station,
                 level=fmt_number(_float(d.get("level_m")), lang, 2), alarm=str(d.get("alarm") or ""),
                 alarm_m=fmt_number(_float(d.get("alarm_m")), lang, 2), rise=rise)
    if kind == "heavy_rain" and _float(d.get("rain_24h_mm")) is not None:
        return t("alert_heavy_rain", lang, station=station, mm=fmt_number(_float(d.get("rain_24h_mm")), lang, 0),
                 threshold=fmt_number(_float(d.get("threshold_mm")), lang, 0))
    if kind == "station_silent" and _int(d.get("hours")) is not None:
        return t("alert_station_silent", lang, station=station, hours=fmt_int(_int(d.get("hours")), lang))
    return t(f"alert_kind_{kind}", lang) if has(f"alert_kind_{kind}") else t("alert_generic", lang, family="flood",
                                                                           kind=kind, key=key)


def _cap_line(d: dict[str, Any], lang: str, tz: ZoneInfo | None) -> str:
    """An official warning: its event (in ``lang`` when the message had it), area, CAP severity
    and, when known, the end of its validity."""
    event = str((d.get("event_en") if lang == "en" else None) or d.get("event") or d.get("event_en") or "CAP")
    severity = t(f"cap_severity_{d.get('severity')}", lang) if d.get("severity") in CAP_SEVERITIES else \
        t("cap_severity_Unknown", lang)
    values = {"event": event, "area": str(d.get("area") or t("alert_where_city", lang)), "severity": severity}
    try:
        until = datetime.fromisoformat(str(d["ends_utc"]))
    except (KeyError, TypeError, ValueError):
        return t("alert_cap_warning_open", lang, **values)
    return t("alert_cap_warning", lang, until=fmt_local_datetime(until, tz or DEFAULT_TZ, lang), **values)


def _spec_rule_line(system: str, rule: str, d: dict[str, Any], lang: str) -> str:
    """A spec's rule: its system and label (strings the spec registered), the measure over the
    window, last week's and the threshold; a system or rule no longer declared shows its codes."""
    system_name = t(f"family_{system}", lang) if has(f"family_{system}", lang) else system
    label_key = f"sys_{system}_alert_{rule}"
    rule_name = t(label_key, lang) if has(label_key, lang) else rule
    value, last_week, threshold = (_float(d.get(k)) for k in ("value", "last_week", "threshold"))
    period = str(d.get("period") or "")
    if value is None or threshold is None or d.get("window") not in ("hour", "day") or not period:
        return t("alert_spec_rule", lang, system=system_name, rule=rule_name)

    def number(x: float | None) -> str:
        return fmt_int(x, lang) if d.get("measure") == "count" else fmt_number(x, lang, 1)

    shown = (t("alert_spec_count", lang, n=number(value)) if d.get("measure") == "count"
             else t("alert_spec_sum", lang, n=number(value)))
    try:
        day = datetime.fromisoformat(period[:10]).strftime("%d/%m/%Y")
    except ValueError:
        day = period
    figures = {"system": system_name, "rule": rule_name, "value": shown, "last_week": number(last_week or 0.0),
               "threshold": number(threshold)}
    if d["window"] == "hour":
        hour = _int(period[11:13])
        hours = f"{hour:02d}:00–{(hour + 1) % 24:02d}:00 " if hour is not None else ""
        return t("alert_spec_hour", lang, period=f"{hours}{day}", **figures)
    return t("alert_spec_day", lang, period=day, **figures)


def _aqi_line(name: str, severity: str, d: dict[str, Any], lang: str) -> str:
    from ioc.domain.aqi import CATEGORIES, category_for

    aqi = _int(d.get("peak_aqi"))
    by_code = {c.code: c for c in CATEGORIES}
    category = category_for(aqi) if aqi is not None and aqi >= 0 else by_code.get(severity)
    label = "" if category is None else (category.label_en if lang == "en" else category.label_vi)
    if aqi is not None and aqi >= 0:
        line = t("alert_aqi", lang, name=name, aqi=aqi, category=label)
    else:
        line = t("alert_aqi_category", lang, name=name, category=label or severity)
    pollutant = POLLUTANTS.get(str(d.get("dominant") or ""))
    return line + (t("alert_pollutant", lang, pollutant=pollutant[1 if lang == "en" else 0]) if pollutant else "")
