"""One definition of the data behind each Admin chart and grid, used by the chart and by its CSV.

Each function asks :mod:`ioc.kpi.admin` / :mod:`ioc.kpi.admin_views` (never SQL here) and
labels the result with the pure helpers of :mod:`layouts.admin_shaping`.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import select

from callbacks.common import local_today, unit_names
from callbacks.compare_data import TileCompare, card_compare, tile_compare
from ioc.context import Context
from ioc.domain.admin_units import levels_between
from ioc.i18n import fmt_int, t
from ioc.kpi.admin import AdminFilter, AdminKpis, admin_kpis, history_start
from ioc.kpi.admin_views import admin_breakdown, admin_series, due_counts, one_stop_centres, open_queue, unit_ranking
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period, default_period
from ioc.store.db import load_calendar, utcnow
from ioc.store.schema_admin import admin_procedures
from layouts.admin import FILE_STEMS, admin_tile
from layouts.admin_figures import breakdown_figure, levels_figure, online_figure, score_figure
from layouts.admin_shaping import (
    ONLINE_TARGET,
    admin_tiles,
    label_breakdown,
    level_label,
    score_frame,
)
from layouts.export_cells import code_label, local_iso
from layouts.exports import export_filename
from layouts.shaping import Tile, series_freq

PROCEDURE_TOP = 12
FIELD_TOP = 12
QUEUE_ROWS = 500
BREAKDOWN_COLUMNS = ("received", "resolved", "early", "on_time", "late", "on_time_rate", "in_progress", "overdue",
                     "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate",
                     "satisfaction_rate")
RATE_COLUMNS = ("on_time_rate", "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate",
                "satisfaction_rate", "on_time_rate_prev", "change")


def procedure_names(ctx: Context) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(admin_procedures.c.code, admin_procedures.c.name)).all())


def calendar(ctx: Context):  # noqa: ANN201 - WorkCalendar
    with ctx.engine.connect() as conn:
        return load_calendar(conn)


def page_kpis(ctx: Context, query: Selection) -> tuple[AdminKpis, dict[str, int]]:
    """The KPI set of the view and the open counts (overdue, due soon) at now."""
    now = utcnow()
    return admin_kpis(ctx.engine, query, ctx.tz, now), due_counts(ctx.engine, query, ctx.tz, now, calendar(ctx))


def tile_comparisons(ctx: Context, query: Selection, lang: str, specs: list[Tile]) -> TileCompare:
    """The tiles' changes against the previous period and the same period a year before (the
    open counts, counted at now, are not compared)."""
    keys = tuple(s.key for s in specs)

    def values_for(earlier: Selection) -> dict:
        kpis = admin_kpis(ctx.engine, earlier, ctx.tz, utcnow())
        return {s.key: s.raw for s in admin_tiles(kpis, 0, ctx.settings.target_on_time, "en", keys)}

    return tile_compare(ctx, "admin", query, lang, {s.key: s.raw for s in specs}, values_for,
                        lambda: history_start(ctx.engine))


def overview_kpis(ctx: Context) -> tuple[AdminFilter, AdminKpis, dict[str, int], int]:
    """The last 12 months (as a selection), their KPI set and open counts, and the dossiers
    received today (local)."""
    today = local_today(ctx)
    query = AdminFilter(default_period(today))
    kpis, counts = page_kpis(ctx, query)
    received_today = admin_kpis(ctx.engine, AdminFilter(Period(today, today + timedelta(days=1))), ctx.tz,
                                utcnow()).received
    return query, kpis, counts, received_today


def by_level(ctx: Context, query: Selection) -> pd.DataFrame:
    return admin_breakdown(ctx.engine, query, ctx.tz, utcnow(), "level")


def chart_frame(ctx: Context, key: str, query: Selection, lang: str, queue_state: str = "due_soon") -> pd.DataFrame:
    """The tidy, labelled data of chart or grid ``key`` for ``query`` (``queue_state``: which
    part of the queue, due_soon or overdue)."""
    now = utcnow()
    if key == "levels":
        return admin_series(ctx.engine, query, series_freq(query.period), by="level")
    if key == "online":
        return admin_series(ctx.engine, query, series_freq(query.period))
    if key == "score":
        return score_frame(admin_kpis(ctx.engine, query, ctx.tz, now).as_dict()["score_766"], lang)
    if key in ("field", "procedure"):
        frame = admin_breakdown(ctx.engine, query, ctx.tz, now, key).head(FIELD_TOP if key == "field" else PROCEDURE_TOP)
        return label_breakdown(frame, key, lang, unit_names(ctx), procedure_names(ctx))
    if key == "ranking":
        return unit_ranking(ctx.engine, query, ctx.tz, now)
    if key == "queue":
        return open_queue(ctx.engine, query, ctx.tz, now, calendar(ctx), queue_state or "due_soon", QUEUE_ROWS)[0]
    if key == "map":
        return one_stop_centres(ctx.engine, query.period, ctx.tz, now)
    raise KeyError(key)


def chart_figure(ctx: Context, key: str, frame: pd.DataFrame, query: Selection, lang: str) -> go.Figure:
    revision = f"{key}{query.search(lang)}"  # zoom and legend toggles survive live updates of this view
    freq = series_freq(query.period)
    span = (query.start, query.end)
    if key == "levels":
        labels = {lv: level_label(lv, lang) for lv in levels_between(query.start, query.end)}
        return levels_figure(frame, labels, ctx.settings.target_on_time, lang, freq, revision, span, local_today(ctx))
    if key == "online":
        return online_figure(frame, ONLINE_TARGET, lang, freq, revision, span, local_today(ctx))
    if key == "score":
        return score_figure(frame, lang, revision)
    return breakdown_figure(frame, ctx.settings.target_on_time, lang, uirevision=revision)


def figure(ctx: Context, key: str, query: Selection, lang: str) -> go.Figure:
    """Chart ``key``'s figure as the page draws it (the printable PNG of its export URL)."""
    return chart_figure(ctx, key, chart_frame(ctx, key, query, lang), query, lang)


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in RATE_COLUMNS:
        if col in out:
            out[col] = out[col].astype("float64").round(4)
    return out


#: a breakdown column → the i18n key of its header (rates: ratios 0–1, said in the header)
_HEADERS = {"received": "admin_col_received", "resolved": "admin_col_resolved", "early": "admin_col_early",
            "on_time": "admin_col_on_time_n", "late": "admin_col_late", "in_progress": "admin_col_in_progress",
            "overdue": "admin_col_overdue", "on_time_rate": "admin_kpi_on_time_rate",
            "online_rate": "admin_kpi_online_rate", "full_process_online_rate": "admin_kpi_full_process_online_rate",
            "online_payment_rate": "admin_kpi_online_payment_rate", "digitised_rate": "admin_kpi_digitised_rate",
            "satisfaction_rate": "admin_kpi_satisfaction_rate", "rank": "admin_col_rank", "level": "admin_col_level",
            "former_names": "xp_admin_former_names", "received_prev": "xp_admin_received_prev",
            "on_time_rate_prev": "xp_admin_on_time_rate_prev", "change": "admin_col_change",
            "score_766": "admin_col_score", "score_766_max": "admin_col_max_points", "name": "admin_col_unit",
            "code": "col_code", "key": "col_code", "label": "col_name", "bucket": "col_period",
            "lat": "admin_col_lat", "lon": "admin_col_lon"}


def _header(column: str, lang: str) -> str:
    """A column's header in ``lang``; a rate says it is a ratio (0–1)."""
    text = t(_HEADERS[column], lang) if column in _HEADERS else column
    return f"{text} (0–1)" if column in RATE_COLUMNS and column != "change" else text


def _labelled_levels(frame: pd.DataFrame, lang: str, column: str = "level") -> pd.DataFrame:
    """Level codes (``province``, ``commune``…) as their names."""
    if column not in frame:
        return frame
    out = frame.copy()
    out[column] = [level_label(str(v), lang) if isinstance(v, str) and v else v for v in out[column]]
    return out


def dossier_status_label(code: str, lang: str) -> str:
    """A dossier's status (``in_progress``…) in ``lang``; an unknown code as it is."""
    return code_label("xp_dossier_status", code, lang)


def chart_export(ctx: Context, key: str, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The CSV table of chart or grid ``key`` (the same frame as on screen): headers and codes in
    ``lang``, rates as ratios (0–1) with a dot decimal, times local (ISO 8601)."""
    def named(out: pd.DataFrame) -> pd.DataFrame:
        return out.rename(columns={c: _header(c, lang) for c in out.columns})

    if key in ("levels", "online"):
        out = frame.copy()
        out["bucket"] = pd.to_datetime(out["bucket"]).dt.strftime("%Y-%m-%d")
        cols = ["bucket", *(["key"] if "key" in out else []), *[c for c in BREAKDOWN_COLUMNS if c in out]]
        out = _rates(out[cols])
        if "key" in out:  # the level of each line
            out = _labelled_levels(out, lang, "key").rename(columns={"key": "level"})
        return named(out)
    if key in ("field", "procedure"):
        return named(_rates(frame[["key", "label", *BREAKDOWN_COLUMNS]]))
    if key == "score":
        return frame.rename(columns={"code": t("col_code", lang), "label": t("admin_col_group", lang),
                                     "max_points": t("admin_col_max_points", lang),
                                     "points": t("admin_col_points", lang), "measured": t("admin_col_measured", lang)})
    if key == "ranking":
        cols = ["rank", "code", "name", "former_names", "level", "received", "resolved", "early", "on_time", "late",
                "overdue", "on_time_rate", "received_prev", "on_time_rate_prev", "change", "online_rate", "score_766",
                "score_766_max"]
        out = _rates(frame[cols])
        out["score_766"] = out["score_766"].round(2)
        return named(_labelled_levels(out, lang))
    if key == "queue":
        names = unit_names(ctx)
        return pd.DataFrame({
            t("admin_col_id", lang): frame["external_id"], t("admin_col_state", lang):
                [t(f"admin_state_{s}", lang) for s in frame["state"]],
            t("admin_col_procedure", lang): frame["procedure_name"], t("col_code", lang): frame["procedure_code"],
            t("admin_col_unit", lang): [names.get(u, u) for u in frame["unit_code"]],
            t("admin_col_status", lang): [dossier_status_label(str(s), lang) for s in frame["status"]],
            t("admin_col_received_at", lang): [local_iso(v.to_pydatetime(), ctx.tz) for v in frame["received_at"]],
            t("admin_col_due", lang): [local_iso(v.to_pydatetime(), ctx.tz) for v in frame["effective_due_at"]],
            t("admin_col_left", lang): (frame["hours_left"] / 24).round(3),
        })
    if key == "map":
        return named(_labelled_levels(_rates(frame[["code", "name", "level", "lat", "lon", "received", "resolved",
                                                    "late", "overdue", "on_time_rate"]]), lang))
    raise KeyError(key)


def export(ctx: Context, key: str, query: Selection, lang: str, queue_state: str = "due_soon") -> tuple[pd.DataFrame, str]:
    """Chart or grid ``key``'s CSV table and file name (``tthc_…_<from>_<to>.csv``)."""
    frame = chart_export(ctx, key, chart_frame(ctx, key, query, lang, queue_state), lang)
    return frame, export_filename(FILE_STEMS[key], query.start, query.end)


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): the last 12 months' tiles ``keys``
    (its declared ``overview_tiles``; ``compare``: with their change against a year before), and
    today's count."""
    query, kpis, counts, received_today = overview_kpis(ctx)
    specs = admin_tiles(kpis, counts["due_soon"], ctx.settings.target_on_time, lang, keys)
    cmp = tile_comparisons(ctx, query, lang, specs) if compare else None
    tiles = [admin_tile(s, lang, *card_compare(cmp, s.key)) for s in specs]
    return tiles, t("admin_overview_sub", lang, today=fmt_int(received_today, lang))
