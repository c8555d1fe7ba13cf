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

from callbacks import access
from callbacks import traffic_data as data
from callbacks.common import counter, follow_versions, local_today, page_lang, text, units
from callbacks.export_routes import PanelUrls, bar_states
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.traffic import traffic_kpis
from ioc.kpi.traffic_views import traffic_breakdown
from layouts import ids
from layouts.shaping import unit_filter_codes, unit_labels_geojson, unit_options
from layouts.traffic import (
    BAR,
    CHART_KEYS,
    DISTRICT_CARD,
    FILE_STEMS,
    UNIT_ID,
    UNIT_NOTE,
    parse_traffic_query,
    unit_note,
)
from layouts.traffic import layout as traffic_layout
from layouts.traffic_figures import camera_geojson
from layouts.traffic_shaping import TILE_KEYS, shows_district_ranking, traffic_tiles, violation_rows

FILTERS = control_inputs(BAR)
FILTER_STATES = control_inputs(BAR, State)
# Charts and the table refresh once the map is served (TR_TOP_READY), not in competition with it.
AFTER_TOP = [Input(ids.TR_TOP_READY, "data"), *FILTER_STATES]


#: (ctx, start, last_day, *control values) → the validated selection of the page's filter bar
query_from_controls = partial(bar_selection, BAR)


# CSVs that list records, not a chart's numbers: exports (analysts), not reports (the latest violations: one row per violation (plate))
RECORD_EXPORTS = frozenset(("recent",))

def tile_div(spec, lang: str, compare=None, provisional=None):  # noqa: ANN001, ANN201 - a shared tile with an id of this family
    from layouts.components import tile

    div = tile(spec, lang, compare, provisional)
    div.id = f"tr-tile-{spec.key}"
    return div



def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return traffic_layout(ctx.settings, local_today(ctx), lang_pref, units(ctx), **params)


def register(app: dash.Dash, ctx: Context) -> None:  # noqa: C901 - one place for the page's callbacks
    follow_versions(app, ids.TR_VERSION, ("traffic",))

    register_filter_bar(app, ctx, BAR)
    register_download(app, ctx, ids.TR_CSV_BUTTON, ids.TR_URL,
                      lambda key, lang, *controls: data.export(ctx, key, query_from_controls(ctx, *controls), lang),
                      FILE_STEMS, record_keys=RECORD_EXPORTS, urls=PanelUrls(
                          "traffic", "traffic", bar_states(BAR, parse=lambda c, params, today: parse_traffic_query(
                              params, today, unit_filter_codes(units(c)))),
                          lambda key, lang, *controls: data.figure(ctx, key, query_from_controls(ctx, *controls), lang),
                          CHART_KEYS))

    @access.callback(app, Can.READ, Output(ids.TR_TILES, "children"), Output(ids.TR_PERIOD_NOTE, "children"),
                  Output(UNIT_NOTE, "children"), Output(DISTRICT_CARD, "hidden"),
                  *FILTERS, Input(ids.TR_VERSION, "data"), State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def tiles(start, last_day, unit, vtype, vehicle, channel, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, vtype, vehicle, channel)
        kpis = traffic_kpis(ctx.engine, query, ctx.tz)
        specs = traffic_tiles(kpis, ctx.settings.target_satisfaction, lang, TILE_KEYS)
        unit_map = units(ctx)
        cmp = data.tile_comparisons(ctx, query, lang, specs)
        return ([tile_div(s, lang, cmp.of(s.key), cmp.provisional) for s in specs],
                f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}",
                unit_note(unit_map, query, lang), not shows_district_ranking(unit_map, query.start))

    @access.callback(app, Can.READ, Output(ids.TR_MAP_LAYER, "data"), Output(ids.TR_MAP_NOTE, "children"),
                  Output(ids.TR_TOP_READY, "data"),
                  *FILTERS, Input(ids.TR_VERSION, "data"), State(ids.PAGE_LANG, "data"),
                  State(ids.TR_TOP_READY, "data"), prevent_initial_call=True)
    def camera_map(start, last_day, unit, vtype, vehicle, channel, _version, lang, ready):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        summary, latest = data.map_data(ctx, query_from_controls(ctx, start, last_day, unit, vtype, vehicle, channel))
        note = t("traffic_map_note", lang, n=fmt_int(len(summary), lang),
                 k=fmt_int(int((summary["violations"] > 0).sum()), lang))
        return (camera_geojson(summary, latest, ctx.tz, lang, access.exposure().reveal_plates), note,
                counter(ready) + 1)

    @access.callback(app, Can.READ, Output(ids.TR_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        """The current communes' names on the map (the 40 since 1 July 2025)."""
        return unit_labels_geojson(units(ctx).current_communes(), level="commune")

    @access.callback(app, Can.READ, *[Output(ids.tr_chart(k), "figure") for k in CHART_KEYS], *AFTER_TOP,
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def charts(_ready, start, last_day, unit, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, vtype, vehicle, channel)
        names = data.period_names(ctx, query)
        figures = []
        for k in CHART_KEYS:
            if k == "district" and not shows_district_ranking(units(ctx), query.start):
                figures.append(dash.no_update)  # the card is hidden: no district level in the period
                continue
            figures.append(data.chart_figure(k, data.chart_frame(ctx, k, query), query, lang, names, local_today(ctx)))
        return figures

    @access.callback(app, Can.READ, Output(ids.TR_GRID, "rowData"), Output(ids.TR_GRID_NOTE, "children"), *AFTER_TOP,
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def recent(_ready, start, last_day, unit, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, vtype, vehicle, channel)
        frame = data.chart_frame(ctx, "recent", query)
        seen = access.exposure()
        rows = violation_rows(frame, ctx.tz, lang, data.period_names(ctx, query), data.camera_names(ctx),
                              seen.reveal_plates, units(ctx))
        key = ("traffic_recent_note_hidden" if seen.hidden else
               "traffic_recent_note_shown" if seen.reveal_plates else "traffic_recent_note")
        return rows, t(key, lang, n=fmt_int(len(rows), lang))

    @access.callback(app, Can.READ, Output(UNIT_ID, "options"), Input(ids.TR_DATES, "start_date"), Input(ids.TR_DATES, "end_date"),
                  Input(ids.TR_TOP_READY, "data"), State(UNIT_ID, "value"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    def unit_choices(start, last_day, _ready, current, lang):  # noqa: ANN001, ANN202
        """The current communes, and the district-level units of the period's part before 1 July
        2025 (from the store's units: they follow the period); then codes seen in the period's
        data or asked for that the store does not know."""
        query = query_from_controls(ctx, start, last_day, None, None, None, None)
        codes = [c for by in ("commune", "district") for c in traffic_breakdown(ctx.engine, query, by)["key"]]
        codes.append(text(current, ""))
        return unit_options(units(ctx), query.start, query.end, page_lang(ctx, lang), codes)
