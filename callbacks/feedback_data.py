"""One definition of the data behind each Feedback chart, used by the chart and by its CSV.

Each function asks :mod:`ioc.kpi.feedback` (never SQL here) and labels the result with the
pure helpers of :mod:`layouts.shaping`.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

from callbacks import access
from callbacks.common import local_today, units
from callbacks.compare_data import TileCompare, card_compare, tile_compare
from ioc.context import Context
from ioc.domain.units import UnitMap
from ioc.i18n import fmt_int, t
from ioc.kpi.feedback import (
    FeedbackFilter,
    feedback_breakdown,
    feedback_kpis,
    feedback_series,
    first_received,
    map_reports,
    overdue_queue,
)
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period, default_period
from ioc.store.db import utcnow
from layouts.components import tile
from layouts.exports import FILE_STEMS, breakdown_export, export_filename, reports_export, series_export
from layouts.figures import ACCENT, BAR, breakdown_figure, channel_figure, trend_figure
from layouts.shaping import Tile, area_choices, feedback_tiles, label_breakdown, period_unit_names, series_freq

HANDLING_TOP = 15
OVERDUE_ROWS = 500
# chart key → breakdown; the "by area" chart (key "district", its file "…theo-dia-ban") groups by
# the current communes, or by the district-level units of the time (see area_by)
_BY = {"category": "category", "district": "commune", "channel": "channel", "handling": "handling_unit"}


def area_breakdown(units: UnitMap, query: Selection, area_by: str | None) -> str:
    """The breakdown of the "by area" chart: ``district`` only when asked and allowed for the
    period (wholly before 1 July 2025), else ``commune``."""
    return "district" if area_by == "district" and "district" in area_choices(units, query.start, query.end) \
        else "commune"


def chart_frame(ctx: Context, key: str, query: Selection, lang: str, unit_map: UnitMap,
                area_by: str | None = None) -> pd.DataFrame:
    """The tidy, labelled data of chart ``key`` for ``query`` (cached per data version; the lists
    of reports per reader's exposure to personal data too, so no reader gets another's copy)."""
    by = area_breakdown(unit_map, query, area_by) if key == "district" else _BY.get(key)
    params = (query, access.exposure(ctx.settings)) if key in ("map", "overdue") else query
    return ctx.query("feedback", f"chart:{key}:{by}:{lang}", params,
                     lambda: _chart_frame(ctx, key, query, lang, unit_map, by))


def _chart_frame(ctx: Context, key: str, query: Selection, lang: str, unit_map: UnitMap,
                 by: str | None) -> pd.DataFrame:
    if key == "trend":
        return feedback_series(ctx.engine, query, series_freq(query.period))
    if key in _BY:
        frame = feedback_breakdown(ctx.engine, query, by)
        if key == "handling":
            frame = frame.head(HANDLING_TOP)
        return label_breakdown(frame, by, lang, period_unit_names(unit_map, query.start, query.end))
    if key == "map":
        return map_data(ctx, query)[0]
    if key == "overdue":
        seen = access.exposure(ctx.settings)
        return seen.apply(overdue_queue(ctx.engine, query, ctx.tz, utcnow(), limit=OVERDUE_ROWS,
                                        reveal_text=seen.reveal_text))
    raise KeyError(key)


def tile_comparisons(ctx: Context, query: Selection, lang: str, specs: list[Tile]) -> TileCompare:
    """The tiles' changes against the previous period and the same period a year before."""
    keys = tuple(s.key for s in specs)

    def values_for(earlier: Selection) -> dict:
        kpis = feedback_kpis(ctx.engine, earlier, ctx.tz, utcnow())
        return {s.key: s.raw for s in feedback_tiles(kpis, ctx.settings, "en", keys)}

    return tile_compare(ctx, "feedback", query, lang, {s.key: s.raw for s in specs}, values_for,
                        lambda: first_received(ctx.engine))


def map_data(ctx: Context, query: Selection) -> tuple[pd.DataFrame, int]:
    """The most recent located reports (at most ``settings.map_max_points``) and their total, with
    the personal data the reader may see (cached per level: a viewer never gets an analyst's copy)."""
    seen = access.exposure(ctx.settings)
    frame, total = ctx.query("feedback", "map", (query, seen.level, seen.reveal_text),
                             lambda: map_reports(ctx.engine, query, ctx.tz, ctx.settings.map_max_points,
                                                 reveal_text=seen.reveal_text))
    return seen.apply(frame), total


def chart_figure(ctx: Context, key: str, frame: pd.DataFrame, query: Selection, lang: str) -> go.Figure:
    revision = f"{key}{query.search(lang)}"  # zoom and legend toggles survive live updates of this view
    if key == "trend":
        return trend_figure(frame, ctx.settings.target_satisfaction, lang, series_freq(query.period), revision,
                            span=(query.start, query.end), today=local_today(ctx))
    if key == "channel":
        return channel_figure(frame, lang, revision)
    return breakdown_figure(frame, lang, colour=ACCENT if key == "district" else BAR, uirevision=revision)


def figure(ctx: Context, key: str, query: Selection, lang: str, area_by: str | None = None) -> go.Figure:
    """Chart ``key``'s figure as the page draws it (the printable PNG of its export URL)."""
    unit_map = units(ctx)
    return chart_figure(ctx, key, chart_frame(ctx, key, query, lang, unit_map, area_by), query, lang)


def chart_export(ctx: Context, key: str, frame: pd.DataFrame, lang: str, unit_map: UnitMap) -> pd.DataFrame:
    """The CSV table for chart ``key`` (same frame as the chart)."""
    if key == "trend":
        return series_export(frame, lang)
    if key in _BY:
        return breakdown_export(frame, lang)
    return reports_export(frame, ctx.tz, lang, unit_map)


def export(ctx: Context, key: str, query: Selection, lang: str, area_by: str | None = None) -> tuple[pd.DataFrame, str]:
    """Chart ``key``'s CSV table and file name (``phan-anh_theo-dia-ban_<from>_<to>.csv``)."""
    unit_map = units(ctx)
    frame = chart_export(ctx, key, chart_frame(ctx, key, query, lang, unit_map, area_by), lang, unit_map)
    return frame, export_filename(FILE_STEMS.get(key, "phan-anh_" + key), query.start, query.end)


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): the last 12 months' tiles ``keys``
    (its declared ``overview_tiles``; ``compare``: with their change against a year before), and
    today's count."""
    today, now = local_today(ctx), utcnow()
    query = FeedbackFilter(default_period(today))
    kpis = feedback_kpis(ctx.engine, query, ctx.tz, now)
    today_kpis = feedback_kpis(ctx.engine, FeedbackFilter(Period(today, today + timedelta(days=1))), ctx.tz, now)
    specs = feedback_tiles(kpis, ctx.settings, lang, keys)
    cmp = tile_comparisons(ctx, query, lang, specs) if compare else None
    tiles = [tile(spec, lang, *card_compare(cmp, spec.key)) for spec in specs]
    return tiles, t("overview_period", lang, today=fmt_int(today_kpis.received, lang))
