"""Feedback page callbacks: filters ⇄ URL, tiles, map, charts, overdue grid, CSV downloads.

Every data callback reads the filters and the live versions store, asks :mod:`ioc.kpi` (via
:mod:`callbacks.feedback_data`) and hands the result to a pure builder.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash
from dash import Input, Output, State

from callbacks.common import local_today, page_lang, unit_names, unit_rows, units
from callbacks.feedback_data import OVERDUE_ROWS, chart_figure, chart_frame, export, map_data
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.feedback import feedback_breakdown, feedback_kpis, overdue_count
from ioc.store.db import utcnow
from layouts import ids
from layouts.components import tile
from layouts.feedback import BAR, TILE_KEYS
from layouts.feedback import layout as feedback_layout
from layouts.shaping import (
    district_options,
    feedback_tiles,
    map_geojson,
    map_note,
    overdue_rows,
    series_freq,
    unit_labels_geojson,
)

FILTERS = control_inputs(BAR)
FILTER_STATES = control_inputs(BAR, State)
# The top of the page (tiles, map) refreshes on filters and live versions; the charts and the
# grid below refresh once the map is served (FB_TOP_READY), so they do not compete with it
# for the server on navigation (100,000 reports: tiles and map in well under 2 s).
AFTER_TOP = [Input(ids.FB_TOP_READY, "data"), *FILTER_STATES]


#: (ctx, start, last_day, *control values) → the validated selection of the page's filter bar
query_from_controls = partial(bar_selection, BAR)



def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return feedback_layout(ctx.settings, local_today(ctx), lang_pref, **params)


def register(app: dash.Dash, ctx: Context) -> None:
    register_filter_bar(app, ctx, BAR, version=ids.FEEDBACK_VERSION)
    register_download(app, ctx, ids.FB_DOWNLOAD, ids.CSV_BUTTON, FILTER_STATES,
                      lambda key, lang, *controls: export(ctx, key, query_from_controls(ctx, *controls), lang))

    @app.callback(Output(ids.FB_DATES, "max_date_allowed"), Input(ids.FEEDBACK_VERSION, "data"),
                  State(ids.FB_DATES, "max_date_allowed"), prevent_initial_call=True)
    def roll_max_date(_versions: dict | None, current: str | None):  # noqa: ANN202
        today = local_today(ctx).isoformat()
        return dash.no_update if current == today else today

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
        kpis = ctx.query("feedback", "kpis", query, lambda: feedback_kpis(ctx.engine, query, ctx.tz, utcnow()), 10)
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
        return unit_labels_geojson(units(ctx).current_communes(), level="commune")

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
        total = overdue_count(ctx.engine, query, ctx.tz, utcnow()) if len(rows) >= OVERDUE_ROWS else len(rows)
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
        seen = feedback_breakdown(ctx.engine, query, "district")["key"].tolist()
        return district_options(unit_rows(ctx), seen, lang)
