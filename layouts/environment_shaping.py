"""Pure shaping for the environment page (no Dash, no store): URL query, tiles, station rows,
map GeoJSON with escaped popups, alert rows and CSV tables.

Station names come from sources (OpenAQ, files): they are handed on as text, and escaped
where the consumer interprets HTML (Leaflet popups, Plotly labels).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.aqi import CATEGORIES
from ioc.domain.aqi_series import CATEGORY_CODES
from ioc.i18n import LANGS, fmt_int, fmt_local_datetime, fmt_pct, t
from ioc.kpi.filters import Problem
from ioc.kpi.periods import Period
from layouts.environment_figures import POLLUTANT_NAMES, category_label, text_colour
from layouts.export_cells import local_iso

RANGES = {"24h": 24, "7d": 7 * 24, "30d": 30 * 24}
DEFAULT_RANGE = "7d"
MAX_CHART_STATIONS = 8
_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
NO_COLOUR = "#475569"


@dataclass(frozen=True)
class EnvQuery:
    """The page's view: ``range`` of the charts and period tiles, stations on the chart, the
    calendar's station."""

    range: str = DEFAULT_RANGE
    stations: tuple[str, ...] = ()
    calendar: str | None = None
    unit: str | None = None  # the stations of one current commune (or a district-level unit of before 1 July 2025)

    def period(self, today: date) -> Period:
        """Local days covering the range: 24 h → yesterday and today; 7 d / 30 d → the last 7 / 30 days."""
        days = {"24h": 2, "7d": 7, "30d": 30}[self.range]
        return Period(today - timedelta(days=days - 1), today + timedelta(days=1))

    def hours(self, last_whole_hour: datetime) -> tuple[datetime, datetime]:
        """[lo, hi] hour starts (naive UTC) of the chart: the range's hours up to the last whole hour."""
        return last_whole_hour - timedelta(hours=RANGES[self.range] - 1), last_whole_hour

    def search(self, lang: str | None = None) -> str:
        params: list[tuple[str, str]] = [("range", self.range)]
        params += [("station", s) for s in self.stations]
        if self.calendar:
            params.append(("calendar", self.calendar))
        if self.unit:
            params.append(("unit", self.unit))
        if lang:
            params.append(("lang", lang))
        return "?" + urlencode(params)


def _values(params: Mapping[str, object], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        out += [p.strip() for p in str(item).split(",") if p.strip()]
    return out


def parse_env_query(params: Mapping[str, object],
                    known_units: Iterable[str] | None = None) -> tuple[EnvQuery, list[Problem]]:
    """Validate ``?range=7d&station=…&calendar=…&unit=…``; a bad value falls back and is
    reported; a ``unit`` must be one of ``known_units`` (when given)."""
    problems: list[Problem] = []
    query = EnvQuery()
    ranges = _values(params, "range")
    if ranges:
        if ranges[-1] in RANGES:
            query = replace(query, range=ranges[-1])
        else:
            problems.append(Problem("range", ranges[-1][:20], "reason_choice", DEFAULT_RANGE))
    stations = []
    for s in _values(params, "station"):
        if _CODE.match(s):
            stations.append(s)
        else:
            problems.append(Problem("station", s[:80], "reason_code", "default_all"))
    cal = _values(params, "calendar")
    if cal and not _CODE.match(cal[-1]):
        problems.append(Problem("calendar", cal[-1][:80], "reason_code", "default_all"))
        cal = []
    unit = _values(params, "unit") or _values(params, "district")
    if unit and not _CODE.match(unit[-1]):
        problems.append(Problem("unit", unit[-1][:80], "reason_code", "default_all"))
        unit = []
    elif unit and known_units is not None and unit[-1] not in set(known_units):
        problems.append(Problem("unit", unit[-1][:80], "reason_choice", "default_all", "unit_filter"))
        unit = []
    return replace(query, stations=tuple(dict.fromkeys(stations)), calendar=cal[-1] if cal else None,
                   unit=unit[-1] if unit else None), problems


def lang_of(params: Mapping[str, object], fallback: str) -> str:
    raw = _values(params, "lang")
    return raw[-1].lower() if raw and raw[-1].lower() in LANGS else fallback


# --------------------------------------------------------------------------- tiles


@dataclass(frozen=True)
class EnvTile:
    key: str
    label: str
    value: str
    raw: object
    sub: str
    state: str  # info | alert | good | warn | bad | none | aqi
    colour: str | None = None


def tiles(kpis: Any, lang: str) -> list[EnvTile]:
    """The page's KPI tiles from an :class:`ioc.kpi.environment.EnvironmentKpis`."""
    worst = kpis.worst_station
    if worst:
        cat = next(c for c in CATEGORIES if c.code == worst["category"])
        worst_tile = EnvTile("worst_station", t("env_kpi_worst", lang), fmt_int(worst["aqi"], lang), worst["aqi"],
                             t("env_sub_worst", lang, name=worst["name"], label=category_label(cat.code, lang)),
                             "aqi", cat.hex)
    else:
        worst_tile = EnvTile("worst_station", t("env_kpi_worst", lang), "–", None, t("env_sub_no_aqi", lang), "none")
    bad = sum(1 for a in kpis.active_alerts if a["kind"] == "aqi_bad")
    silent = sum(1 for a in kpis.active_alerts if a["kind"] == "no_data")
    hours = kpis.hours_by_category
    total_hours = sum(hours.values())
    bad_hours = sum(hours[c] for c in CATEGORY_CODES[3:])
    exceed_total = sum(kpis.exceedance_days.values())
    return [
        worst_tile,
        EnvTile("reporting_stations", t("env_kpi_reporting", lang),
                f"{fmt_int(kpis.reporting_stations, lang)} / {fmt_int(kpis.stations, lang)}", kpis.reporting_stations,
                t("env_sub_reporting", lang),
                "good" if kpis.stations and kpis.reporting_stations == kpis.stations else
                ("bad" if kpis.stations else "none")),
        EnvTile("active_alerts", t("env_kpi_alerts", lang), fmt_int(len(kpis.active_alerts), lang),
                len(kpis.active_alerts), t("env_sub_alerts", lang, bad=fmt_int(bad, lang), silent=fmt_int(silent, lang)),
                "alert" if kpis.active_alerts else "info"),
        EnvTile("exceedance_days", t("env_kpi_exceedance", lang), fmt_int(exceed_total, lang), exceed_total,
                t("env_sub_exceedance", lang, n=fmt_int(sum(1 for v in kpis.exceedance_days.values() if v), lang)),
                "alert" if exceed_total else "info"),
        EnvTile("bad_hours", t("env_kpi_bad_hours", lang), fmt_int(bad_hours, lang), bad_hours,
                t("env_sub_bad_hours", lang, share=fmt_pct(bad_hours / total_hours if total_hours else None, lang)),
                "alert" if bad_hours else "info"),
        EnvTile("completeness_overall", t("env_kpi_completeness", lang), fmt_pct(kpis.completeness_overall, lang),
                kpis.completeness_overall, t("env_sub_completeness", lang), "info"),
    ]


# --------------------------------------------------------------------------- stations


def station_rows(stations: pd.DataFrame, aqi_now: Mapping[str, Mapping[str, Any]],
                 completeness: Mapping[str, float | None], tz: ZoneInfo, lang: str) -> list[dict[str, Any]]:
    """One row per station for the "now" list and the map, worst AQI first (silent ones last)."""
    rows = []
    for s in stations.itertuples():
        now = aqi_now.get(s.station_id, {})
        aqi = now.get("aqi")
        cat = next((c for c in CATEGORIES if c.code == now.get("category")), None)
        colour = cat.hex if cat else NO_COLOUR
        hour = pd.Timestamp(now["hour"]).to_pydatetime() if now.get("hour") else None
        rows.append({
            "id": s.station_id, "name": s.name, "aqi": aqi, "aqi_text": "–" if aqi is None else str(aqi),
            "colour": colour, "text_colour": text_colour(colour), "label": category_label(now.get("category"), lang),
            "dominant": POLLUTANT_NAMES.get(now.get("dominant") or "", ""), "epa": now.get("us_epa_pm25"),
            "hour": fmt_local_datetime(hour, tz, lang)[-5:] if hour else "", "silent": aqi is None,
            "completeness": fmt_pct(completeness.get(s.station_id), lang), "simulated": bool(s.simulated),
            "provider": s.provider or "", "parameters": [POLLUTANT_NAMES.get(p, p) for p in
                                                         (s.parameters or "").split(",") if p],
            "lat": s.lat, "lon": s.lon,
        })
    return sorted(rows, key=lambda r: (r["aqi"] is None, -(r["aqi"] or 0), r["name"]))


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def popup_html(row: Mapping[str, Any], lang: str) -> str:
    """A station's Leaflet popup; every value from the source is escaped."""
    parts = [f'<div class="pp"><div class="pp-h">{_esc(row["name"])}</div>',
             f'<div class="pp-s" style="color:{row["colour"]}">● {_esc(row["aqi_text"])} · {_esc(row["label"])}</div>']
    if row["dominant"]:
        parts.append(f'<div>{_esc(t("env_dominant", lang, p=row["dominant"]))}</div>')
    if row["epa"] is not None:
        parts.append(f'<div>{_esc(t("env_us_epa", lang, v=row["epa"]))}</div>')
    if row["hour"]:
        parts.append(f'<div>{_esc(t("env_last_hour", lang, time=row["hour"]))}</div>')
    parts.append(f'<div><span>{_esc(t("env_popup_params", lang))}:</span> {_esc(", ".join(row["parameters"]))}</div>')
    if row["provider"]:
        parts.append(f'<div><span>{_esc(t("env_popup_provider", lang))}:</span> {_esc(row["provider"])}</div>')
    parts.append(f'<div class="pp-id">{_esc(row["id"])}</div></div>')
    return "".join(parts)


def stations_geojson(rows: list[dict[str, Any]], lang: str) -> dict:
    """Located stations as GeoJSON: marker text (AQI), colours, name (as text) and the popup."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 5), round(r["lat"], 5)]},
         "properties": {"aqi": r["aqi_text"], "bg": r["colour"], "fg": r["text_colour"], "name": r["name"],
                        "popup": popup_html(r, lang)}}
        for r in rows if r["lat"] is not None and r["lon"] is not None and pd.notna(r["lat"]) and pd.notna(r["lon"])
    ]
    return {"type": "FeatureCollection", "features": features}


def chart_stations(rows: list[dict[str, Any]], chosen: tuple[str, ...]) -> list[str]:
    """Stations on the hourly chart: those chosen, else the worst now (at most 8)."""
    known = [r["id"] for r in rows]
    picked = [s for s in chosen if s in known]
    return picked or known[:MAX_CHART_STATIONS]


def pollutant_rows(rows: list[dict[str, Any]], aqi_now: Mapping[str, Mapping[str, Any]],
                   station_ids: list[str]) -> pd.DataFrame:
    """Sub-index per pollutant of the latest hour, for the stations shown."""
    names = {r["id"]: r["name"] for r in rows}
    records = [{"station_id": sid, "label": names.get(sid, sid), "pollutant": p, "sub": v}
               for sid in station_ids for p, v in (aqi_now.get(sid, {}).get("sub") or {}).items()]
    return pd.DataFrame(records, columns=["station_id", "label", "pollutant", "sub"])


# --------------------------------------------------------------------------- alerts


def alert_rows(frame: pd.DataFrame, tz: ZoneInfo, lang: str, now: datetime) -> list[dict[str, Any]]:
    """Alerts for the list: ongoing first, then most recent; times local, details as text."""
    rows = []
    for a in frame.to_dict("records"):
        details = a.get("details")
        info = details if isinstance(details, dict) else (json.loads(details) if details else {})
        ended = a.get("ended_at")
        ended = None if ended is None or pd.isna(ended) else pd.Timestamp(ended).to_pydatetime()
        start = pd.Timestamp(a["started_at"]).to_pydatetime()
        hours = int(((ended or now) - start).total_seconds() // 3600)
        cat = next((c for c in CATEGORIES if c.code == a["severity"]), None)
        detail = (t("env_alert_peak", lang, aqi=info.get("peak_aqi")) if a["kind"] == "aqi_bad"
                  else t("env_alert_silent_hours", lang, h=info.get("hours", hours)))
        rows.append({
            "kind": a["kind"], "kind_label": t(f"env_alert_{a['kind']}", lang),
            "severity": a["severity"], "colour": cat.hex if cat else "#f59e0b",
            "severity_label": category_label(cat.code, lang) if cat else t("env_severity_warning", lang),
            "station": str(a.get("station") or a.get("key")), "station_id": a.get("key"),
            "start": fmt_local_datetime(start, tz, lang), "end": fmt_local_datetime(ended, tz, lang) if ended else "",
            "start_sort": start.isoformat(), "end_sort": ended.isoformat() if ended else "9999",
            "end_text": fmt_local_datetime(ended, tz, lang) if ended else t("env_alert_active", lang),
            "active": ended is None, "hours": hours,
            "start_iso": local_iso(start, tz), "end_iso": local_iso(ended, tz) if ended else None,  # for the CSV
            "duration": t("env_duration", lang, h=fmt_int(hours, lang)), "details": detail,
            "_sort": (ended is not None, -start.timestamp()),
        })
    rows = sorted(rows, key=lambda r: r["_sort"])
    for r in rows:
        r.pop("_sort")
    return rows


# --------------------------------------------------------------------------- CSV tables


def series_export(frame: pd.DataFrame, names: Mapping[str, str], lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("env_col_station", lang): [names.get(s, s) for s in frame["station_id"]],
        t("xp_col_station_id", lang): frame["station_id"].tolist(),
        t("env_col_hour", lang): pd.to_datetime(frame["hour_local"]).dt.strftime("%Y-%m-%d %H:%M").tolist(),
        t("env_col_aqi", lang): frame["aqi"].tolist(),
        t("env_col_category", lang): [category_label(c, lang) for c in frame["category"]],
        t("env_col_dominant", lang): [POLLUTANT_NAMES.get(d, d) for d in frame["dominant"]],
        t("env_col_epa", lang): frame["epa_pm25"].tolist(),
    })


def pollutant_export(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({t("env_col_station", lang): frame["label"].tolist(),
                         t("xp_col_station_id", lang): frame["station_id"].tolist(),
                         t("env_col_pollutant", lang): [POLLUTANT_NAMES.get(p, p) for p in frame["pollutant"]],
                         t("env_col_sub", lang): frame["sub"].tolist()})


def calendar_export(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({t("env_col_day", lang): [d.isoformat() for d in frame["day"]],
                         t("env_col_aqi", lang): frame["aqi"].tolist(),
                         t("env_col_category", lang): [category_label(c, lang) for c in frame["category"]],
                         t("env_col_dominant", lang): [POLLUTANT_NAMES.get(d, d) if isinstance(d, str) else ""
                                                        for d in frame["dominant"]],
                         t("xp_col_pm25_24h", lang): frame["pm25_24h"].tolist(), t("xp_col_pm10_24h", lang): frame["pm10_24h"].tolist(),
                         t("env_col_epa", lang): frame["epa_pm25"].tolist()})


def completeness_export(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({t("env_col_station", lang): frame["name"].tolist(),
                         t("xp_col_station_id", lang): frame["station_id"].tolist(),
                         t("env_col_expected", lang): frame["expected"].tolist(),
                         t("env_series_valid", lang): frame["valid"].tolist(),
                         t("env_series_flagged", lang): frame["flagged"].tolist(),
                         t("env_series_missing", lang): frame["missing"].tolist(),
                         t("env_col_completeness", lang): [None if v is None or pd.isna(v) else round(float(v), 4)
                                                           for v in frame["completeness"]]})


def alerts_export(rows: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    return pd.DataFrame({t(k, lang): [r[f] for r in rows] for k, f in (
        ("env_col_severity", "severity_label"), ("env_col_kind", "kind_label"), ("env_col_station", "station"),
        ("env_col_start", "start_iso"), ("env_col_end", "end_iso"), ("xp_env_col_hours", "hours"),
        ("env_col_details", "details"))})


def stations_export(rows: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    return pd.DataFrame({t("env_col_station", lang): [r["name"] for r in rows],
                         t("xp_col_station_id", lang): [r["id"] for r in rows],
                         t("env_col_aqi", lang): [r["aqi"] for r in rows],
                         t("env_col_category", lang): [r["label"] for r in rows],
                         t("env_col_dominant", lang): [r["dominant"] for r in rows],
                         t("env_col_epa", lang): [r["epa"] for r in rows],
                         t("env_col_lat", lang): [r["lat"] for r in rows], t("env_col_lon", lang): [r["lon"] for r in rows]})
