"""Rivers and rain page (family ``flood``): the KPI set and the observations shaped for the
tiles, the map, the table and the hydrographs (pure: plain values in, plain values out).

The KPI set is :func:`ioc.kpi.floods.family_kpis`'s dict; an alarm level is 0 (below level I)
to 3 and is always written with its name (``Báo động II``), never shown by its colour alone.
The colours are the city stage's (:mod:`ioc.domain.stage`): level I the stage-2 yellow, II the
stage-3 orange, III the stage-4 red, below level I the stage-1 green.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain import floods as rules
from ioc.domain.stage import stage_level
from ioc.i18n import DASH, NBSP, fmt_int, fmt_local_datetime, fmt_number, t
from layouts.export_cells import local_iso

NO_DATA_COLOUR = "#475569"  # a river station without a recent level
NO_DATA_TEXT = "#ffffff"
RAIN_COLOUR = "#38bdf8"  # rain stations: neutral, no alarm meaning
MAX_POINTS = 2000  # a station's hourly points drawn as they are; more: the daily maximum
STEADY_M_PER_H = 0.005  # a rise smaller than this (m/h) reads as steady
RAIN_MARKER_MM = (5.0, 150.0)  # 24 h rain → marker radius from the smallest to the largest
RAIN_MARKER_PX = (7, 22)


def alarm_colours(level: int | None) -> tuple[str, str]:
    """(background, text) of alarm level ``level`` (``None``: no recent level)."""
    if level is None:
        return NO_DATA_COLOUR, NO_DATA_TEXT
    stage = stage_level(min(max(level, 0), 3) + 1)
    return stage.colour, stage.text_colour


def alarm_label(level: int, lang: str) -> str:
    """``Dưới báo động I`` / ``Báo động II`` (``Below alarm level I`` / ``Alarm level II``)."""
    return t("fl_alarm_0", lang) if level <= 0 else t("fl_alarm_n", lang, n=rules.ROMAN[min(level, 3)])


def metres(value: float | None, lang: str) -> str:
    """A water level: ``3,62 m`` (vi), ``3.62 m`` (en)."""
    return DASH if value is None else f"{fmt_number(value, lang, 2)}{NBSP}m"


def millimetres(value: float | None, lang: str) -> str:
    return DASH if value is None else f"{fmt_number(value, lang, 1)}{NBSP}mm"


def alarm_line_label(level: int, value: float, lang: str) -> str:
    """The hydrograph's label of an alarm line: ``BĐ I 1,00 m`` / ``AL I 1.00 m``."""
    return t("fl_alarm_line", lang, n=rules.ROMAN[level], value=metres(value, lang))


def rise_text(rate: float | None, lang: str) -> str:
    """``đang lên 0,33 m/giờ`` / ``rising 0.33 m/h``; steady below :data:`STEADY_M_PER_H`."""
    if rate is None:
        return t("fl_rise_unknown", lang)
    if abs(rate) < STEADY_M_PER_H:
        return t("fl_steady", lang)
    return t("fl_rising" if rate > 0 else "fl_falling", lang, rate=fmt_number(abs(rate), lang, 2))


def signed_rate(rate: float | None, lang: str) -> str:
    """A rise for the table: ``+0,33`` / ``−0,05`` (m/h)."""
    if rate is None:
        return DASH
    sign = "+" if rate > 0 else ("−" if rate < 0 else "")
    return f"{sign}{fmt_number(abs(rate), lang, 2)}"


def utc_from_iso(value: str | None) -> datetime | None:
    """``2026-12-03T04:00:00Z`` (the KPI set's instants) as naive UTC."""
    if not value:
        return None
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=None)


def _local(value: str | None, tz: ZoneInfo, lang: str) -> str:
    return fmt_local_datetime(utc_from_iso(value), tz, lang)


def station_title(station: Mapping[str, Any], lang: str) -> str:
    """``Kim Long (sông Hương)`` / ``Kim Long (Hương river)``; a rain station: its name."""
    river = station.get("river")
    return t("fl_station_on_river", lang, station=station["name"], river=river) if river else str(station["name"])


# --------------------------------------------------------------------------- tiles


@dataclass(frozen=True)
class FloodTile:
    """One KPI tile: ``value`` and ``badge`` are text; ``colour`` never goes alone."""

    key: str
    label: str
    value: str
    sub: str
    raw: Any
    state: str  # good | warn | bad | info | none
    colour: str | None = None
    text_colour: str | None = None


def _river(stations: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(sid, s) for sid, s in stations.items() if s.get("kind") == "river"]


def tiles(kpis: Mapping[str, Any], lang: str) -> list[FloodTile]:
    """The four tiles of the family, in order: the highest alarm level now (with its station and
    level), river stations at alarm, the highest 24-hour rain (and where), stations reporting."""
    stations: Mapping[str, Mapping[str, Any]] = kpis.get("stations") or {}
    river = _river(stations)
    highest = int(kpis.get("highest_alarm") or 0)
    measured = [(sid, s) for sid, s in river if s.get("level_m") is not None]
    colour, text_colour = alarm_colours(highest)
    if not measured:
        top_sub = t("fl_no_level_now", lang)
        colour, text_colour = alarm_colours(None)
    else:
        # the station closest to (or furthest above) its next alarm line names the tile
        def standing(item: tuple[str, Mapping[str, Any]]) -> tuple[int, float]:
            s = item[1]
            levels = s.get("levels_m") or [1.0]
            return int(s.get("alarm") or 0), float(s["level_m"]) - float(levels[0])

        _sid, top = max(measured, key=standing)
        top_sub = t("fl_tile_station_level", lang, station=station_title(top, lang), level=metres(top["level_m"], lang),
                    rise=rise_text(top.get("rise_m_per_h"), lang))
    state = {0: "good", 1: "warn", 2: "bad", 3: "bad"}[min(highest, 3)] if measured else "none"
    at_alarm = [s for _sid, s in river if int(s.get("alarm") or 0) >= 1]
    at_sub = (", ".join(f"{s['name']} ({rules.ROMAN[int(s['alarm'])]})" for s in at_alarm) if at_alarm
              else t("fl_none_at_alarm", lang))
    n_alarm = int(kpis.get("stations_at_alarm") or 0)
    wettest = max(((s.get("rain_24h_mm") or 0.0, s) for s in stations.values()), key=lambda x: x[0], default=None)
    rain = float(kpis.get("max_rain_24h_mm") or 0.0)
    rain_sub = (t("fl_rain_at", lang, station=wettest[1]["name"]) if wettest and rain > 0 else t("fl_no_rain", lang))
    rain_state = "bad" if rain >= rules.EXTREME_RAIN_24H_MM else ("warn" if rain >= rules.HEAVY_RAIN_24H_MM else "info")
    reporting = int(kpis.get("reporting_stations") or 0)
    total = len(stations)
    silent = [s["name"] for s in stations.values() if s.get("last_at") is None]
    report_sub = (t("fl_silent", lang, names=", ".join(silent)) if silent
                  else t("fl_reporting_window", lang, hours=fmt_int(48, lang)))
    return [
        FloodTile("highest_alarm", t("fl_kpi_highest_alarm", lang), alarm_label(highest, lang) if measured else DASH,
                  top_sub, highest, state, colour, text_colour),
        FloodTile("stations_at_alarm", t("fl_kpi_stations_at_alarm", lang),
                  t("fl_n_of_m", lang, n=fmt_int(n_alarm, lang), m=fmt_int(len(river), lang)), at_sub, n_alarm,
                  "bad" if n_alarm else "good"),
        FloodTile("max_rain_24h", t("fl_kpi_max_rain_24h", lang), millimetres(rain, lang), rain_sub, rain, rain_state),
        FloodTile("reporting_stations", t("fl_kpi_reporting", lang),
                  t("fl_n_of_m", lang, n=fmt_int(reporting, lang), m=fmt_int(total, lang)), report_sub, reporting,
                  "good" if reporting == total and total else ("warn" if reporting else "bad")),
    ]


# --------------------------------------------------------------------------- map and table


def rain_radius(rain_24h: float | None) -> int:
    """A rain station's marker radius (px) from its 24-hour rain (mm)."""
    lo, hi = RAIN_MARKER_MM
    share = min(max(((rain_24h or 0.0) - lo) / (hi - lo), 0.0), 1.0) if hi > lo else 0.0
    return round(RAIN_MARKER_PX[0] + share * (RAIN_MARKER_PX[1] - RAIN_MARKER_PX[0]))


def stations_geojson(kpis: Mapping[str, Any], positions: Mapping[str, tuple[float, float]], tz: ZoneInfo, lang: str,
                     simulated: Iterable[str] = ()) -> dict[str, Any]:
    """The map's points: river stations labelled and coloured by their alarm level, rain
    stations in a neutral style sized by their 24-hour rain; ``lines`` the tooltip's lines
    (text: the browser sets them as text, never as markup). ``positions``: (lat, lon) by
    station; a station without one is not drawn."""
    sims = set(simulated)
    features = []
    for sid, s in (kpis.get("stations") or {}).items():
        if sid not in positions:
            continue
        lat, lon = positions[sid]
        river = s.get("kind") == "river"
        fresh = s.get("level_m") is not None
        alarm = int(s.get("alarm") or 0)
        lines = []
        if river:
            bg, fg = alarm_colours(alarm if fresh else None)
            lines.append(f"{t('fl_col_level', lang)}: {metres(s.get('level_m'), lang)} · "
                         f"{alarm_label(alarm, lang) if fresh else t('fl_no_level_now', lang)}")
            levels = s.get("levels_m") or []
            if levels:
                lines.append(" · ".join(alarm_line_label(i + 1, v, lang) for i, v in enumerate(levels)))
            lines.append(f"{t('fl_col_rise', lang)}: {rise_text(s.get('rise_m_per_h'), lang)}")
            label = rules.ROMAN[alarm] if fresh and alarm else ("0" if fresh else DASH)
        else:
            bg, fg = RAIN_COLOUR, "#0b1220"
            label = fmt_int(s.get("rain_24h_mm"), lang) if s.get("rain_24h_mm") is not None else DASH
        lines.append(f"{t('fl_col_rain_24h', lang)}: {millimetres(s.get('rain_24h_mm'), lang)}")
        lines.append(f"{t('fl_col_last', lang)}: {_local(s.get('last_at'), tz, lang)}")
        if sid in sims:
            lines.append(t("fl_simulated", lang))
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": sid, "name": station_title(s, lang), "kind": "river" if river else "rain",
                           "alarm": alarm if river and fresh else None, "label": label, "bg": bg, "fg": fg,
                           "radius": None if river else rain_radius(s.get("rain_24h_mm")), "lines": lines},
        })
    return {"type": "FeatureCollection", "features": features}


def table_rows(kpis: Mapping[str, Any], tz: ZoneInfo, lang: str, simulated: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The stations table: river stations first (highest alarm, then highest level), then the
    rain stations (wettest first). Numbers sort by value and show as text of the language."""
    sims = set(simulated)
    rows = []
    for sid, s in (kpis.get("stations") or {}).items():
        river = s.get("kind") == "river"
        fresh = s.get("level_m") is not None
        alarm = int(s.get("alarm") or 0)
        levels = list(s.get("levels_m") or [None, None, None])
        bg, fg = alarm_colours(alarm if fresh else None)
        rows.append({
            "id": sid, "name": s["name"], "river": s.get("river") or DASH, "river_station": river,
            "simulated": sid in sims, "name_text": s["name"] + (f" · {t('fl_simulated', lang)}" if sid in sims else ""),
            "level": s.get("level_m"), "level_text": metres(s.get("level_m"), lang) if river else DASH,
            "alarm": alarm if river and fresh else -1,
            "alarm_text": (alarm_label(alarm, lang) if fresh else t("fl_no_level_now", lang)) if river else DASH,
            "colour": bg if river else None, "text_colour": fg if river else None,
            **{f"level_{k}_text": metres(v, lang) if v is not None else DASH for k, v in zip(("i", "ii", "iii"), levels,
                                                                                             strict=True)},
            "rise": s.get("rise_m_per_h"), "rise_text": signed_rate(s.get("rise_m_per_h"), lang),
            "rain_24h": s.get("rain_24h_mm"), "rain_24h_text": millimetres(s.get("rain_24h_mm"), lang),
            "peak": s.get("peak_m"), "peak_text": metres(s.get("peak_m"), lang) if river else DASH,
            "peak_at_sort": s.get("peak_at") or "", "peak_at_text": _local(s.get("peak_at"), tz, lang) if river else DASH,
            "peak_alarm_text": alarm_label(int(s.get("peak_alarm") or 0), lang) if river and s.get("peak_m") is not None
            else "",
            "hours_at_alarm": int(s.get("hours_at_alarm") or 0) if river else None,
            "hours_at_alarm_text": fmt_int(s.get("hours_at_alarm") or 0, lang) if river else DASH,
            "rain_total": s.get("rain_total_mm"), "rain_total_text": millimetres(s.get("rain_total_mm"), lang),
            "last_sort": s.get("last_at") or "", "last_text": _local(s.get("last_at"), tz, lang),
            # for the CSV: the alarm stage as a number (0 below level I) beside its label, alarm
            # levels in metres as numbers, times in ISO 8601 (local); empty where the table has "–"
            "alarm_level": alarm if river and fresh else None,
            "alarm_label": (alarm_label(alarm, lang) if fresh else t("fl_no_level_now", lang)) if river else None,
            "river_name": s.get("river") or None,
            **{f"level_{k}": v for k, v in zip(("i", "ii", "iii"), levels, strict=True)},
            "peak_at_iso": local_iso(utc_from_iso(s.get("peak_at")), tz) if river and s.get("peak_at") else None,
            "last_iso": local_iso(utc_from_iso(s.get("last_at")), tz) if s.get("last_at") else None,
        })
    rows.sort(key=lambda r: (not r["river_station"], -r["alarm"], -(r["level"] or -1e9), -(r["rain_24h"] or 0.0),
                             r["name"]))
    return rows


#: the stations table's CSV columns (row field → header key): numbers as numbers with their unit
#: in the header (metres, mm, m/h, hours), the alarm stage as a label and as a number 0–3
STATIONS_EXPORT = {"name": "fl_col_station", "river_name": "fl_col_river", "level": "xc_fl_level_m",
                   "alarm_label": "fl_col_alarm", "alarm_level": "xc_fl_alarm_level",
                   "level_i": "xc_fl_level_i_m", "level_ii": "xc_fl_level_ii_m", "level_iii": "xc_fl_level_iii_m",
                   "rise": "fl_col_rise_mh", "rain_24h": "xc_fl_rain_24h_mm", "peak": "xc_fl_peak_m",
                   "peak_at_iso": "fl_col_peak_at", "hours_at_alarm": "fl_col_hours_at_alarm",
                   "rain_total": "xc_fl_rain_total_mm", "last_iso": "fl_col_last"}


def stations_export(rows: Iterable[Mapping[str, Any]], lang: str) -> pd.DataFrame:
    """The stations table (:func:`table_rows`) as its CSV: headers in ``lang``; levels in metres,
    rain in mm, the rise in m/h and hours as numbers; the alarm stage as its label and as a whole
    number (0 below level I, 1–3 the level reached; empty for a rain gauge or a river station
    with no recent level); times as ISO 8601 local wall-clock text; empty cells, not "–"."""
    headers = [t(key, lang) for key in STATIONS_EXPORT.values()]
    frame = pd.DataFrame([[r.get(field) for field in STATIONS_EXPORT] for r in rows], columns=headers)
    frame[t("xc_fl_alarm_level", lang)] = frame[t("xc_fl_alarm_level", lang)].astype("Int64")
    frame[t("fl_col_hours_at_alarm", lang)] = frame[t("fl_col_hours_at_alarm", lang)].astype("Int64")
    return frame


# --------------------------------------------------------------------------- hydrographs


@dataclass(frozen=True)
class Hydrograph:
    """What a river station's hydrograph draws (local times, naive)."""

    station_id: str
    frame: pd.DataFrame  # time (local), level_m, rain_mm; hourly, or daily when ``daily``
    daily: bool
    rise_m_per_h: float | None  # at the last level of the period (over 3 hours, as the alerts)
    last_level_at: datetime | None  # local
    last_level_m: float | None
    peak_m: float | None
    peak_at: datetime | None  # local (the hour, even when drawn daily)


def observations_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """Rows of :func:`ioc.store.floods.series` (station_id, observed_at, water_level_m,
    rain_mm, source) as one row per station and hour: several sources of one hour give their
    latest non-empty values (the last source in the store's order)."""
    frame = pd.DataFrame([tuple(r)[:4] for r in rows], columns=["station_id", "observed_at", "level_m", "rain_mm"])
    if frame.empty:
        return frame
    frame["observed_at"] = pd.to_datetime(frame["observed_at"])
    frame[["level_m", "rain_mm"]] = frame[["level_m", "rain_mm"]].astype(float)
    return (frame.groupby(["station_id", "observed_at"], as_index=False, sort=True).last())


def hydrograph(station_id: str, frame: pd.DataFrame, tz: ZoneInfo, max_points: int = MAX_POINTS) -> Hydrograph:
    """The hydrograph of ``station_id`` from :func:`observations_frame`: times to local; more
    than ``max_points`` hours become days (the day's highest level, the day's rain). The rate
    of rise is taken at the period's last level, over :data:`ioc.domain.floods.RISE_HOURS`
    hours exactly as the alerts take it."""
    own = frame[frame["station_id"] == station_id] if not frame.empty else frame
    if own.empty:
        empty = pd.DataFrame({"time": pd.Series(dtype="datetime64[ns]"), "level_m": pd.Series(dtype=float),
                              "rain_mm": pd.Series(dtype=float)})
        return Hydrograph(station_id, empty, False, None, None, None, None, None)
    local = (own["observed_at"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None))
    hourly = pd.DataFrame({"time": local.to_numpy(), "utc": own["observed_at"].to_numpy(),
                           "level_m": own["level_m"].to_numpy(), "rain_mm": own["rain_mm"].to_numpy()})
    levels = hourly.dropna(subset=["level_m"])
    rise = last_at = last_m = peak_m = peak_at = None
    if not levels.empty:
        last = levels.iloc[-1]
        before = levels[levels["utc"] == last["utc"] - timedelta(hours=rules.RISE_HOURS)]
        state = rules.StationState(station_id, last["utc"], last["utc"], float(last["level_m"]),
                                   float(before["level_m"].iloc[0]) if not before.empty else None, 0.0)
        rise = rules.rise_m_per_h(state)
        last_at, last_m = last["time"].to_pydatetime(), float(last["level_m"])
        top = levels.loc[levels["level_m"].idxmax()]
        peak_m, peak_at = float(top["level_m"]), top["time"].to_pydatetime()
    daily = len(hourly) > max_points
    drawn = hourly[["time", "level_m", "rain_mm"]]
    if daily:
        # an hourly observation ends its hour: the hour ending at 00:00 belongs to the day before;
        # a day is drawn at its noon, so its bar covers the day
        day = (hourly["time"] - timedelta(hours=1)).dt.normalize()
        drawn = (hourly.assign(time=day + timedelta(hours=12)).groupby("time", as_index=False)
                 .agg(level_m=("level_m", "max"), rain_mm=("rain_mm", lambda s: s.sum(min_count=1))))
    return Hydrograph(station_id, drawn.reset_index(drop=True), daily, rise, last_at, last_m, peak_m, peak_at)
