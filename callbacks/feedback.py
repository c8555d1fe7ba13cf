"""Feedback page callbacks: filters ⇄ URL, tiles, map, charts, overdue grid, CSV downloads.

Every data callback reads the filters and the live versions store, asks :mod:`ioc.kpi` (via
:mod:`callbacks.feedback_data`) and hands the result to a pure builder.
"""

from __future__ import annotations

from datetime import timedelta

import dash
from dash import ALL, Input, Output, State, dcc
from dash import ctx as dash_ctx

from callbacks.common import local_today, page_lang, unit_names, unit_rows, units
from callbacks.feedback_data import OVERDUE_ROWS, chart_export, chart_figure, chart_frame, map_data
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.feedback import feedback_breakdown, feedback_kpis, overdue_count
from ioc.kpi.periods import FilterError, parse_date
from ioc.store.db import utcnow
from layouts import ids
from layouts.components import tile
from layouts.exports import csv_text, export_filename
from layouts.feedback import TILE_KEYS, layout
from layouts.query import FeedbackQuery, match_preset, parse_feedback_query, preset_dates
from layouts.shaping import (
    district_options,
    feedback_tiles,
    map_geojson,
    map_note,
    overdue_rows,
    series_freq,
    unit_labels_geojson,
)

FILTERS = [
    Input(ids.FB_DATES, "start_date"),
    Input(ids.FB_DATES, "end_date"),
    Input(ids.FB_DISTRICT, "value"),
    Input(ids.FB_CATEGORY, "value"),
    Input(ids.FB_CHANNEL, "value"),
]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTERS]
# The top of the page (tiles, map) refreshes on filters and live versions; the charts and the
# grid below refresh once the map is served (FB_TOP_READY), so they do not compete with it
# for the server on navigation (100,000 reports: tiles and map in well under 2 s).
AFTER_TOP = [Input(ids.FB_TOP_READY, "data"), *FILTER_STATES]


def query_from_controls(ctx: Context, start: str | None, last_day: str | None, district: str | None,
                        category: str | None, channel: str | None) -> FeedbackQuery:
    """The controls' values as a validated query (bad or missing dates fall back to defaults)."""
    params: dict[str, object] = {"district": district, "category": category, "channel": channel}
    try:
        if start and last_day:
            end = parse_date(str(last_day)[:10], "to") + timedelta(days=1)
            params.update({"from": str(start)[:10], "to": end.isoformat()})
    except FilterError:
        pass
    return parse_feedback_query(params, local_today(ctx))[0]


def page(ctx: Context, lang_pref: str | None = None, **params: object) -> object:
    """The feedback page's layout for today's local date."""
    return layout(ctx.settings, local_today(ctx), lang_pref, **params)


def register(app: dash.Dash, ctx: Context) -> None:
    @app.callback(
        Output(ids.FB_PRESET, "value"),
        Output(ids.FB_DATES, "start_date"),
        Output(ids.FB_DATES, "end_date"),
        Output(ids.FB_DISTRICT, "value"),
        Output(ids.FB_CATEGORY, "value"),
        Output(ids.FB_CHANNEL, "value"),
        Input(ids.FB_PRESET, "value"),
        Input(ids.FB_DATES, "start_date"),
        Input(ids.FB_DATES, "end_date"),
        Input(ids.FB_RESET, "n_clicks"),
        Input(ids.FEEDBACK_VERSION, "data"),
        prevent_initial_call=True,
    )
    def sync_period(preset: str | None, start: str | None, last_day: str | None, _reset: int,  # noqa: ANN202
                    _versions: dict | None):
        """A preset sets the dates; edited dates select the matching preset (or 'custom').

        A wall left open on a rolling preset ("last 12 months") rolls over at local midnight:
        each live notice re-derives the preset's dates and changes them only when the day did.
        """
        today = local_today(ctx)
        keep = dash.no_update
        if dash_ctx.triggered_id == ids.FEEDBACK_VERSION:
            dates = preset_dates(preset or "custom", today)
            if dates is None:
                return (keep,) * 6
            s, last = dates[0].isoformat(), (dates[1] - timedelta(days=1)).isoformat()
            return (keep,) * 6 if (str(start)[:10], str(last_day)[:10]) == (s, last) else (keep, s, last, keep, keep, keep)
        if dash_ctx.triggered_id == ids.FB_RESET:
            s, e = preset_dates("365", today)
            return "365", s.isoformat(), (e - timedelta(days=1)).isoformat(), None, None, None
        if dash_ctx.triggered_id == ids.FB_PRESET:
            dates = preset_dates(preset or "custom", today)
            if dates is None:
                return keep, keep, keep, keep, keep, keep
            return keep, dates[0].isoformat(), (dates[1] - timedelta(days=1)).isoformat(), keep, keep, keep
        if not (start and last_day):
            return keep, keep, keep, keep, keep, keep
        q = query_from_controls(ctx, start, last_day, None, None, None)
        matched = match_preset(q.start, q.end, today)
        return (matched if matched != preset else keep), keep, keep, keep, keep, keep

    @app.callback(Output(ids.FB_DATES, "max_date_allowed"), Input(ids.FEEDBACK_VERSION, "data"),
                  State(ids.FB_DATES, "max_date_allowed"), prevent_initial_call=True)
    def roll_max_date(_versions: dict | None, current: str | None):  # noqa: ANN202
        today = local_today(ctx).isoformat()
        return dash.no_update if current == today else today

    @app.callback(
        Output(ids.FB_URL, "search"),
        *FILTERS,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def filters_to_url(start, last_day, district, category, channel, lang):  # noqa: ANN001, ANN202
        """Filters live in the URL (no reload): a copied link reproduces the view."""
        return query_from_controls(ctx, start, last_day, district, category, channel).search(page_lang(ctx, lang))

    @app.callback(
        Output(ids.FB_TILES, "children"),
        Output(ids.FB_PERIOD_NOTE, "children"),
        *FILTERS,
        Input(ids.FEEDBACK_VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
    )
    def tiles(start, last_day, district, category, channel, _versions, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, category, channel)
        flt = query.filter()
        kpis = ctx.query("feedback", "kpis", flt, lambda: feedback_kpis(ctx.engine, flt, ctx.tz, utcnow()), 10)
        note = f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}"
        return [tile(spec, lang) for spec in feedback_tiles(kpis, ctx.settings, lang, TILE_KEYS)], note

    @app.callback(
        Output(ids.FB_MAP_LAYER, "data"),
        Output(ids.FB_MAP_NOTE, "children"),
        Output(ids.FB_TOP_READY, "data"),
        *FILTERS,
        Input(ids.FEEDBACK_VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
        State(ids.FB_TOP_READY, "data"),
    )
    def report_map(start, last_day, district, category, channel, _versions, lang, ready):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        frame, total = map_data(ctx, query_from_controls(ctx, start, last_day, district, category, channel))
        return map_geojson(frame, ctx.tz, lang), map_note(len(frame), total, lang), (ready or 0) + 1

    @app.callback(Output(ids.FB_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        return unit_labels_geojson(units(ctx))

    chart_outputs = [Output(ids.chart(key), "figure") for key in ids.CHART_KEYS]

    @app.callback(
        *chart_outputs,
        Output(f"{ids.chart('trend')}-note", "children"),
        *AFTER_TOP,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def charts(_ready, start, last_day, district, category, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, category, channel)
        names = unit_names(ctx)
        figures = [chart_figure(ctx, key, chart_frame(ctx, key, query, lang, names), query, lang)
                   for key in ids.CHART_KEYS]
        return *figures, t(f"freq_{series_freq(query.period)}", lang)

    @app.callback(
        Output(ids.FB_GRID, "rowData"),
        Output(ids.FB_GRID_NOTE, "children"),
        *AFTER_TOP,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def overdue(_ready, start, last_day, district, category, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, category, channel)
        frame = chart_frame(ctx, "overdue", query, lang, {})
        rows = overdue_rows(frame, ctx.tz, lang, unit_names(ctx))
        total = overdue_count(ctx.engine, query.filter(), ctx.tz, utcnow()) if len(rows) >= OVERDUE_ROWS else len(rows)
        if total > len(rows):
            return rows, t("overdue_capped", lang, n=fmt_int(len(rows), lang), m=fmt_int(total, lang))
        return rows, t("overdue_shown", lang, n=fmt_int(len(rows), lang))

    @app.callback(
        Output(ids.FB_DISTRICT, "options"),
        Input(ids.FB_TOP_READY, "data"),
        State(ids.FB_DATES, "start_date"),
        State(ids.FB_DATES, "end_date"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def districts(_ready, start, last_day, lang):  # noqa: ANN001, ANN202
        """Units from the store, plus codes seen in the period that the store does not know."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, None, None, None)
        seen = feedback_breakdown(ctx.engine, query.filter(), "district")["key"].tolist()
        return district_options(unit_rows(ctx), seen, lang)

    @app.callback(
        Output(ids.FB_DOWNLOAD, "data"),
        Input({"type": ids.CSV_BUTTON, "chart": ALL}, "n_clicks"),
        *FILTER_STATES,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def download_csv(clicks, start, last_day, district, category, channel, lang):  # noqa: ANN001, ANN202
        """The clicked chart's data, from the same query function as the chart."""
        trigger = dash_ctx.triggered_id
        if not trigger or not any(clicks):
            return dash.no_update
        key = trigger["chart"]
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, category, channel)
        names = unit_names(ctx)
        frame = chart_export(ctx, key, chart_frame(ctx, key, query, lang, names), lang, names)
        return dcc.send_string(csv_text(frame), export_filename(key, query.start, query.end), type="text/csv")

