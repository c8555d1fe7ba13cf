"""One definition of the data behind each environment chart, used by the chart and by its CSV.

Each function asks :mod:`ioc.kpi.environment` (never SQL here) and shapes the result with the
pure helpers of :mod:`layouts.environment_shaping`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from callbacks.common import local_today
from callbacks.compare_data import TileCompare, card_compare, tile_compare
from ioc.context import Context
from ioc.i18n import fmt_int, t
from ioc.kpi import environment as env
from ioc.kpi.periods import to_local
from ioc.store.db import utcnow
from ioc.store.environment_aqi import last_whole_hour
from layouts import environment_figures as figs
from layouts import environment_shaping as shaping
from layouts.environment import env_tile
from layouts.environment_shaping import EnvQuery

COMPLETENESS_ROWS = 15
CALENDAR_WEEKS = 53


@dataclass(frozen=True)
class StationsNow:
    """The stations, their current AQI and the rows the map and the "now" list show."""

    stations: pd.DataFrame
    aqi_now: dict[str, dict[str, Any]]
    rows: list[dict[str, Any]]

    @property
    def names(self) -> dict[str, str]:
        return {r["id"]: r["name"] for r in self.rows}


def env_filter(ctx: Context, query: EnvQuery) -> env.EnvFilter:
    """The KPI layer's filter: the range's local days and, when chosen, one commune's stations."""
    return env.EnvFilter(query.period(local_today(ctx)), unit=query.unit)


def page_kpis(ctx: Context, query: EnvQuery) -> env.EnvironmentKpis:
    """The KPI set over the range's local days (the same function as ``kpi environment``)."""
    return env.environment_kpis(ctx.engine, env_filter(ctx, query), ctx.tz, utcnow())


def tile_comparisons(ctx: Context, query: EnvQuery, lang: str, specs: list[shaping.EnvTile]) -> TileCompare:
    """The tiles' changes against the previous period and the same period a year before (the
    "now" tiles, taken at the period's end, are not compared)."""
    keys = {s.key for s in specs}

    def values_for(earlier: env.EnvFilter) -> dict:
        kpis = env.environment_kpis(ctx.engine, earlier, ctx.tz, utcnow())
        return {s.key: s.raw for s in shaping.tiles(kpis, "en") if s.key in keys}

    return tile_compare(ctx, "environment", env_filter(ctx, query), lang, {s.key: s.raw for s in specs}, values_for,
                        lambda: env.history_start(ctx.engine))


def stations_now(ctx: Context, lang: str, kpis: env.EnvironmentKpis | None = None,
                 unit: str | None = None) -> StationsNow:
    """Stations (of commune ``unit``, when given) with their current AQI (from ``kpis`` when
    given, else read now)."""
    stations = env.stations_frame(ctx.engine, env_filter(ctx, EnvQuery(unit=unit)))
    aqi_now = kpis.aqi_now if kpis is not None else env.current_aqi(ctx.engine, stations, utcnow())
    completeness = kpis.completeness if kpis is not None else {}
    return StationsNow(stations, aqi_now, shaping.station_rows(stations, aqi_now, completeness, ctx.tz, lang))


def chart_frame(ctx: Context, key: str, query: EnvQuery, lang: str, now: StationsNow | None = None) -> pd.DataFrame:
    """The tidy data of chart ``key`` for ``query``."""
    now = now or stations_now(ctx, lang)
    if key == "series":
        lo, hi = query.hours(last_whole_hour(utcnow()))
        frame = env.hourly_aqi(ctx.engine, shaping.chart_stations(now.rows, query.stations), lo, hi)
        frame["hour_local"] = (pd.to_datetime(frame["hour"]).dt.tz_localize("UTC").dt.tz_convert(ctx.tz)
                               .dt.tz_localize(None))
        return frame
    if key == "pollutants":
        return shaping.pollutant_rows(now.rows, now.aqi_now, shaping.chart_stations(now.rows, query.stations))
    if key == "calendar":
        station = calendar_station(ctx, query, now)
        end = local_today(ctx)
        start = end - timedelta(weeks=CALENDAR_WEEKS)
        return env.daily_aqi(ctx.engine, [station] if station else [], start, end + timedelta(days=1))
    if key == "completeness":
        frame = env.quality_by_station(ctx.engine, env_filter(ctx, query), ctx.tz, utcnow())
        return frame.sort_values(["completeness", "name"], na_position="last", kind="stable").head(COMPLETENESS_ROWS)
    if key == "stations":
        return pd.DataFrame(now.rows)
    if key == "alerts":
        history = env.alert_history(ctx.engine, env_filter(ctx, query), ctx.tz)
        return pd.DataFrame(shaping.alert_rows(history, ctx.tz, lang, utcnow()))
    raise KeyError(key)


def active_alert_rows(ctx: Context, kpis: env.EnvironmentKpis, lang: str) -> list[dict[str, Any]]:
    """The KPI set's open alerts as list rows (worst first, as the KPI orders them)."""
    frame = pd.DataFrame([{"kind": a["kind"], "key": a["station_id"], "station": a["station"],
                           "severity": a["severity"], "started_at": pd.Timestamp(a["started_at"]), "ended_at": None,
                           "details": a["details"]} for a in kpis.active_alerts],
                         columns=["kind", "key", "station", "severity", "started_at", "ended_at", "details"])
    rows = shaping.alert_rows(frame, ctx.tz, lang, utcnow())
    order = {(a["kind"], a["station_id"]): i for i, a in enumerate(kpis.active_alerts)}
    return sorted(rows, key=lambda r: order.get((r["kind"], r["station_id"]), 0))


def calendar_station(ctx: Context, query: EnvQuery, now: StationsNow) -> str | None:
    """The calendar's station: the one asked for, else the worst now that has a daily VN_AQI in
    the calendar's span (a station added an hour ago has none yet: its calendar would be
    empty), else the worst now."""
    known = [r["id"] for r in now.rows]
    if query.calendar in known:
        return query.calendar
    if not known:
        return None

    end = local_today(ctx)
    span = (end - timedelta(weeks=CALENDAR_WEEKS), end + timedelta(days=1))
    stations = ctx.query("environment", "calendar_stations", (tuple(known), span),
                         lambda: env.stations_with_daily_aqi(ctx.engine, known, *span))
    return next((s for s in known if s in stations), known[0])


def chart_figure(ctx: Context, key: str, frame: pd.DataFrame, query: EnvQuery, lang: str,
                 now: StationsNow) -> go.Figure:
    revision = f"{key}{query.search(lang)}"
    if key == "series":
        lo, hi = query.hours(last_whole_hour(utcnow()))
        span = (to_local(lo, ctx.tz), to_local(hi + timedelta(hours=1), ctx.tz))
        return figs.aqi_series_figure(frame, now.names, lang, span, revision)
    if key == "pollutants":
        return figs.pollutant_figure(frame, lang, revision)
    if key == "calendar":
        today = local_today(ctx)
        return figs.calendar_figure(frame, lang, today, CALENDAR_WEEKS, revision, today)
    if key == "completeness":
        return figs.completeness_figure(frame, lang, revision)
    raise KeyError(key)


def figure(ctx: Context, key: str, query: EnvQuery, lang: str) -> go.Figure:
    """Chart ``key``'s figure as the page draws it (the printable PNG of its export URL)."""
    now = stations_now(ctx, lang)
    return chart_figure(ctx, key, chart_frame(ctx, key, query, lang, now), query, lang, now)


def chart_export(key: str, frame: pd.DataFrame, lang: str, now: StationsNow) -> pd.DataFrame:
    """The CSV table for chart ``key`` (the same frame as the chart)."""
    if key == "series":
        return shaping.series_export(frame, now.names, lang)
    if key == "pollutants":
        return shaping.pollutant_export(frame, lang)
    if key == "calendar":
        return shaping.calendar_export(frame, lang)
    if key == "completeness":
        return shaping.completeness_export(frame, lang)
    if key == "stations":
        return shaping.stations_export(frame.to_dict("records"), lang)
    if key == "alerts":
        return shaping.alerts_export(frame.to_dict("records"), lang)
    raise KeyError(key)


def export_name(key: str, query: EnvQuery, today: date) -> str:
    from layouts.environment import FILE_STEMS

    return f"{FILE_STEMS.get(key, key)}_{query.range}_{today.isoformat()}.csv"


def export(ctx: Context, key: str, query: EnvQuery, lang: str) -> tuple[pd.DataFrame, str]:
    """Chart ``key``'s CSV table (the same frame as the chart) and file name."""
    now = stations_now(ctx, lang)
    frame = chart_export(key, chart_frame(ctx, key, query, lang, now), lang, now)
    return frame, export_name(key, query, local_today(ctx))


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): the last 30 days' tiles ``keys``
    (its declared ``overview_tiles``; ``compare``: with their change against the same 30 days a
    year before), and the stations reporting."""
    query = EnvQuery(range="30d")
    kpis = page_kpis(ctx, query)
    specs = [spec for spec in shaping.tiles(kpis, lang) if spec.key in keys]
    cmp = tile_comparisons(ctx, query, lang, specs) if compare else None
    tiles = [env_tile(spec, *card_compare(cmp, spec.key)) for spec in specs]
    return tiles, t("env_ov_sub", lang, n=fmt_int(kpis.stations, lang))
