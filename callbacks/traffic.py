"""Traffic page callbacks (and the Overview's traffic section and the nav link).

Data callbacks run when a filter changes or when the traffic family's data version changes (a
clientside callback copies it out of the shell's versions store, so other families' live
updates do not redraw this page). Each reads the filters, asks :mod:`callbacks.traffic_data`
or :mod:`ioc.kpi.traffic` and hands the result to a pure builder.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash
from dash import Input, Output, State

from callbacks import traffic_data as data
from callbacks.common import follow_versions, local_today, page_lang, unit_names, unit_rows, units
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.traffic import traffic_kpis
from ioc.kpi.traffic_views import traffic_breakdown
from layouts import ids
from layouts.shaping import district_options, unit_labels_geojson
from layouts.traffic import BAR
from layouts.traffic import layout as traffic_layout
from layouts.traffic_figures import camera_geojson
from layouts.traffic_shaping import TILE_KEYS, traffic_tiles, violation_rows

FILTERS = control_inputs(BAR)
FILTER_STATES = control_inputs(BAR, State)
# Charts and the table refresh once the map is served (TR_TOP_READY), not in competition with it.
AFTER_TOP = [Input(ids.TR_TOP_READY, "data"), *FILTER_STATES]


#: (ctx, start, last_day, *control values) → the validated selection of the page's filter bar
query_from_controls = partial(bar_selection, BAR)


def tile_div(spec, lang: str):  # noqa: ANN001, ANN201 - a shared tile with an id of this family
    from layouts.components import tile

    div = tile(spec, lang)
    div.id = f"tr-tile-{spec.key}"
    return div



def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return traffic_layout(ctx.settings, local_today(ctx), lang_pref, **params)


def register(app: dash.Dash, ctx: Context) -> None:  # noqa: C901 - one place for the page's callbacks
    follow_versions(app, ids.TR_VERSION, ("traffic",))

    register_filter_bar(app, ctx, BAR)
    register_download(app, ctx, ids.TR_DOWNLOAD, ids.TR_CSV_BUTTON, FILTER_STATES,
                      lambda key, lang, *controls: data.export(ctx, key, query_from_controls(ctx, *controls), lang))

    @app.callback(Output(ids.TR_TILES, "children"), Output(ids.TR_PERIOD_NOTE, "children"),
                  *FILTERS, Input(ids.TR_VERSION, "data"), State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def tiles(start, last_day, district, vtype, vehicle, channel, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        kpis = traffic_kpis(ctx.engine, query, ctx.tz)
        specs = traffic_tiles(kpis, ctx.settings.target_satisfaction, lang, TILE_KEYS)
        return [tile_div(s, lang) for s in specs], f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}"

    @app.callback(Output(ids.TR_MAP_LAYER, "data"), Output(ids.TR_MAP_NOTE, "children"),
                  Output(ids.TR_TOP_READY, "data"),
                  *FILTERS, Input(ids.TR_VERSION, "data"), State(ids.PAGE_LANG, "data"),
                  State(ids.TR_TOP_READY, "data"), prevent_initial_call=True)
    def camera_map(start, last_day, district, vtype, vehicle, channel, _version, lang, ready):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        summary, latest = data.map_data(ctx, query_from_controls(ctx, start, last_day, district, vtype, vehicle,
                                                                 channel))
        note = t("traffic_map_note", lang, n=fmt_int(len(summary), lang),
                 k=fmt_int(int((summary["violations"] > 0).sum()), lang))
        return camera_geojson(summary, latest, ctx.tz, lang, ctx.settings.show_plates), note, (ready or 0) + 1

    @app.callback(Output(ids.TR_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        return unit_labels_geojson(units(ctx).current_communes(), level="commune")

    @app.callback(*[Output(ids.tr_chart(k), "figure") for k in ids.TR_CHART_KEYS], *AFTER_TOP,
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def charts(_ready, start, last_day, district, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        return [data.chart_figure(k, data.chart_frame(ctx, k, query), query, lang) for k in ids.TR_CHART_KEYS]

    @app.callback(Output(ids.TR_GRID, "rowData"), Output(ids.TR_GRID_NOTE, "children"), *AFTER_TOP,
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def recent(_ready, start, last_day, district, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        frame = data.chart_frame(ctx, "recent", query)
        rows = violation_rows(frame, ctx.tz, lang, unit_names(ctx), data.camera_names(ctx), ctx.settings.show_plates)
        key = "traffic_recent_note_shown" if ctx.settings.show_plates else "traffic_recent_note"
        return rows, t(key, lang, n=fmt_int(len(rows), lang))

    @app.callback(Output(ids.TR_DISTRICT, "options"), Input(ids.TR_TOP_READY, "data"),
                  State(ids.TR_DATES, "start_date"), State(ids.TR_DATES, "end_date"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    def districts(_ready, start, last_day, lang):  # noqa: ANN001, ANN202
        """Units from the store, plus codes seen in the period that the store does not know."""
        query = query_from_controls(ctx, start, last_day, None, None, None, None)
        seen = traffic_breakdown(ctx.engine, query, "district")["key"].tolist()
        return district_options(unit_rows(ctx), seen, page_lang(ctx, lang))
