"""One definition of the data behind each traffic chart and table, used by the chart and its CSV.

Each function asks :mod:`ioc.kpi.traffic_views` (never SQL here) and hands the frame to the
pure builders of :mod:`layouts.traffic_figures` and :mod:`layouts.traffic_shaping`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import select

from callbacks import access
from callbacks.common import local_today, units
from callbacks.compare_data import TileCompare, card_compare, tile_compare
from ioc.context import Context
from ioc.i18n import fmt_int, t
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period, default_period
from ioc.kpi.traffic import TrafficFilter, history_start, traffic_kpis
from ioc.kpi.traffic_views import (
    camera_summary,
    hour_weekday,
    latest_by_camera,
    latest_violations,
    traffic_breakdown,
    traffic_series,
)
from ioc.store.schema_traffic import traffic_cameras
from layouts.components import tile
from layouts.exports import export_filename
from layouts.shaping import Tile, series_freq
from layouts.traffic import FILE_STEMS
from layouts.traffic_figures import (
    DISTRICT_COLOUR,
    UNIT_COLOUR,
    fines_figure,
    heatmap_figure,
    type_figure,
    unit_figure,
    vehicle_figure,
)
from layouts.traffic_shaping import (
    breakdown_export,
    cameras_export,
    heatmap_export,
    period_unit_names,
    series_export,
    traffic_tiles,
    violations_export,
)

RECENT_ROWS = 200
POPUP_ROWS = 5


def chart_frame(ctx: Context, key: str, query: Selection) -> pd.DataFrame:
    """The tidy data of chart or table ``key`` for ``query``."""
    if key == "heatmap":
        return hour_weekday(ctx.engine, query, ctx.tz)
    if key in ("type", "vehicle"):
        return traffic_breakdown(ctx.engine, query, key)
    if key in ("commune", "district"):  # records with no such unit (district: from 1 July 2025) left out
        frame = traffic_breakdown(ctx.engine, query, key)
        frame = frame[frame["key"].fillna("") != ""]
        total = frame["violations"].sum()
        return frame.assign(share=frame["violations"] / total if total else frame["share"]).reset_index(drop=True)
    if key == "fines":
        return traffic_series(ctx.engine, query, series_freq(query.period))
    if key == "cameras":
        return camera_summary(ctx.engine, query)
    if key == "recent":
        seen = access.exposure(ctx.settings)
        return seen.apply(latest_violations(ctx.engine, query, ctx.tz, RECENT_ROWS, reveal_text=seen.reveal_text,
                                            reveal_plates=seen.reveal_plates))
    raise KeyError(key)


def chart_figure(key: str, frame: pd.DataFrame, query: Selection, lang: str,
                 names: dict[str, str] | None = None, today: date | None = None) -> go.Figure:
    """Chart ``key``'s figure; ``names``: unit names of the period (the rankings by unit);
    ``today`` (local): the fines' bucket holding it is drawn as provisional."""
    revision = f"tr-{key}{query.search(lang)}"  # zoom and legend toggles survive live updates of this view
    if key in ("commune", "district"):
        return unit_figure(frame, names or {}, lang, UNIT_COLOUR if key == "commune" else DISTRICT_COLOUR, revision)
    if key == "heatmap":
        return heatmap_figure(frame, lang, revision)
    if key == "type":
        return type_figure(frame, lang, revision)
    if key == "vehicle":
        return vehicle_figure(frame, lang, revision)
    return fines_figure(frame, lang, series_freq(query.period), (query.start, query.end), revision, today)


def map_data(ctx: Context, query: Selection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every camera with its violations in the period, and the latest violations of those that have some."""
    summary = chart_frame(ctx, "cameras", query)
    active = summary.loc[summary["violations"] > 0, "code"].tolist()
    seen = access.exposure(ctx.settings)
    return summary, seen.apply(latest_by_camera(ctx.engine, query, ctx.tz, active, POPUP_ROWS,
                                                reveal_text=seen.reveal_text, reveal_plates=seen.reveal_plates))


def camera_names(ctx: Context) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(traffic_cameras.c.code, traffic_cameras.c.name)).all())


def chart_export(ctx: Context, key: str, frame: pd.DataFrame, lang: str, unit_names: dict[str, str]) -> pd.DataFrame:
    """The CSV table of ``key`` (the same frame as on screen; plates masked unless allowed)."""
    if key == "heatmap":
        return heatmap_export(frame, lang)
    if key in ("type", "vehicle", "commune", "district"):
        return breakdown_export(frame, key, lang, unit_names)
    if key == "fines":
        return series_export(frame, lang)
    if key == "cameras":
        return cameras_export(frame, lang, unit_names)
    return violations_export(frame, ctx.tz, lang, unit_names, camera_names(ctx),
                             access.exposure(ctx.settings).reveal_plates, units(ctx))


def figure(ctx: Context, key: str, query: Selection, lang: str) -> go.Figure:
    """Chart ``key``'s figure as the page draws it (the printable PNG of its export URL)."""
    return chart_figure(key, chart_frame(ctx, key, query), query, lang, period_names(ctx, query), local_today(ctx))


def period_names(ctx: Context, query: Selection) -> dict[str, str]:
    """Unit names for ``query``'s period (a reused district code named by each of its names)."""
    return period_unit_names(units(ctx), query.start, query.end)


def export(ctx: Context, key: str, query: Selection, lang: str) -> tuple[pd.DataFrame, str]:
    """Chart or table ``key``'s CSV table and file name (``vi-pham_…_<from>_<to>.csv``)."""
    frame = chart_export(ctx, key, chart_frame(ctx, key, query), lang, period_names(ctx, query))
    return frame, export_filename(FILE_STEMS.get(key, "vi-pham_" + key), query.start, query.end)


def tile_comparisons(ctx: Context, query: Selection, lang: str, specs: list[Tile]) -> TileCompare:
    """The tiles' changes against the previous period and the same period a year before."""
    keys = tuple(s.key for s in specs)

    def values_for(earlier: Selection) -> dict:
        kpis = traffic_kpis(ctx.engine, earlier, ctx.tz)
        return {s.key: s.raw for s in traffic_tiles(kpis, ctx.settings.target_satisfaction, "en", keys)}

    return tile_compare(ctx, "traffic", query, lang, {s.key: s.raw for s in specs}, values_for,
                        lambda: history_start(ctx.engine))


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): the last 12 months' tiles ``keys``
    (its declared ``overview_tiles``; ``compare``: with their change against a year before), and
    today's count."""
    today = local_today(ctx)
    query = TrafficFilter(default_period(today))
    kpis = traffic_kpis(ctx.engine, query, ctx.tz)
    today_n = traffic_kpis(ctx.engine, TrafficFilter(Period(today, today + timedelta(days=1))), ctx.tz).violations
    specs = traffic_tiles(kpis, ctx.settings.target_satisfaction, lang, keys)
    cmp = tile_comparisons(ctx, query, lang, specs) if compare else None
    out = []
    for spec in specs:
        div = tile(spec, lang, *card_compare(cmp, spec.key))
        div.id = f"tr-tile-{spec.key}"
        out.append(div)
    return out, t("traffic_ov_sub", lang, today=fmt_int(today_n, lang))
