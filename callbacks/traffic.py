"""Traffic page callbacks (and the Overview's traffic section and the nav link).

Data callbacks run when a filter changes or when the traffic family's data version changes (a
clientside callback copies it out of the shell's versions store, so other families' live
updates do not redraw this page). Each reads the filters, asks :mod:`callbacks.traffic_data`
or :mod:`ioc.kpi.traffic` and hands the result to a pure builder.
"""

from __future__ import annotations

from datetime import timedelta

import dash
from dash import ALL, Input, Output, State, dcc
from dash import ctx as dash_ctx

from callbacks import traffic_data as data
from callbacks.common import follow_versions, local_today, page_lang, unit_names, unit_rows, units
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.periods import FilterError, parse_date
from ioc.kpi.traffic import traffic_kpis
from ioc.kpi.traffic_views import traffic_breakdown
from layouts import ids
from layouts.exports import csv_text
from layouts.query import match_preset, preset_dates
from layouts.shaping import district_options, unit_labels_geojson
from layouts.traffic import FILE_STEMS, TrafficQuery, parse_traffic_query
from layouts.traffic_figures import camera_geojson
from layouts.traffic_shaping import TILE_KEYS, traffic_tiles, violation_rows

FILTERS = [Input(ids.TR_DATES, "start_date"), Input(ids.TR_DATES, "end_date"), Input(ids.TR_DISTRICT, "value"),
           Input(ids.TR_TYPE, "value"), Input(ids.TR_VEHICLE, "value"), Input(ids.TR_CHANNEL, "value")]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTERS]
# Charts and the table refresh once the map is served (TR_TOP_READY), not in competition with it.
AFTER_TOP = [Input(ids.TR_TOP_READY, "data"), *FILTER_STATES]


def query_from_controls(ctx: Context, start: str | None, last_day: str | None, district: str | None,
                        vtype: str | None, vehicle: str | None, channel: str | None) -> TrafficQuery:
    """The controls' values as a validated query (bad or missing dates fall back to defaults)."""
    params: dict[str, object] = {"district": district, "type": vtype, "vehicle": vehicle, "channel": channel}
    try:
        if start and last_day:
            end = parse_date(str(last_day)[:10], "to") + timedelta(days=1)
            params.update({"from": str(start)[:10], "to": end.isoformat()})
    except FilterError:
        pass
    return parse_traffic_query({k: v for k, v in params.items() if v is not None}, local_today(ctx))[0]


def tile_div(spec, lang: str):  # noqa: ANN001, ANN201 - a shared tile with an id of this family
    from layouts.components import tile

    div = tile(spec, lang)
    div.id = f"tr-tile-{spec.key}"
    return div


def register(app: dash.Dash, ctx: Context) -> None:  # noqa: C901 - one place for the page's callbacks
    follow_versions(app, ids.TR_VERSION, ("traffic",))

    @app.callback(
        Output(ids.TR_PRESET, "value"), Output(ids.TR_DATES, "start_date"), Output(ids.TR_DATES, "end_date"),
        Output(ids.TR_DISTRICT, "value"), Output(ids.TR_TYPE, "value"), Output(ids.TR_VEHICLE, "value"),
        Output(ids.TR_CHANNEL, "value"),
        Input(ids.TR_PRESET, "value"), Input(ids.TR_DATES, "start_date"), Input(ids.TR_DATES, "end_date"),
        Input(ids.TR_RESET, "n_clicks"),
        prevent_initial_call=True,
    )
    def sync_period(preset, start, last_day, _reset):  # noqa: ANN001, ANN202
        """A preset sets the dates; edited dates select the matching preset (or 'custom')."""
        today, keep = local_today(ctx), dash.no_update
        if dash_ctx.triggered_id == ids.TR_RESET:
            s, e = preset_dates("365", today)
            return "365", s.isoformat(), (e - timedelta(days=1)).isoformat(), None, None, None, None
        if dash_ctx.triggered_id == ids.TR_PRESET:
            dates = preset_dates(preset or "custom", today)
            if dates is None:
                return (keep,) * 7
            return keep, dates[0].isoformat(), (dates[1] - timedelta(days=1)).isoformat(), keep, keep, keep, keep
        if not (start and last_day):
            return (keep,) * 7
        q = query_from_controls(ctx, start, last_day, None, None, None, None)
        matched = match_preset(q.start, q.end, today)
        return (matched if matched != preset else keep), *(keep,) * 6

    @app.callback(Output(ids.TR_URL, "search"), *FILTERS, State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def filters_to_url(start, last_day, district, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        """Filters live in the URL (no reload): a copied link reproduces the view."""
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        return query.search(page_lang(ctx, lang))

    @app.callback(Output(ids.TR_TILES, "children"), Output(ids.TR_PERIOD_NOTE, "children"),
                  *FILTERS, Input(ids.TR_VERSION, "data"), State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def tiles(start, last_day, district, vtype, vehicle, channel, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        kpis = traffic_kpis(ctx.engine, query.filter(), ctx.tz)
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
        return unit_labels_geojson(units(ctx))

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
        seen = traffic_breakdown(ctx.engine, query.filter(), "district")["key"].tolist()
        return district_options(unit_rows(ctx), seen, page_lang(ctx, lang))

    @app.callback(Output(ids.TR_DOWNLOAD, "data"), Input({"type": ids.TR_CSV_BUTTON, "chart": ALL}, "n_clicks"),
                  *FILTER_STATES, State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def download_csv(clicks, start, last_day, district, vtype, vehicle, channel, lang):  # noqa: ANN001, ANN202
        """The clicked chart's data, from the same query function as the chart."""
        trigger = dash_ctx.triggered_id
        if not trigger or not any(clicks or []):
            return dash.no_update
        key, lang = trigger["chart"], page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, district, vtype, vehicle, channel)
        frame = data.chart_export(ctx, key, data.chart_frame(ctx, key, query), lang, unit_names(ctx))
        name = f"{FILE_STEMS.get(key, 'vi-pham_' + key)}_{query.start}_{query.end}.csv"
        return dcc.send_string(csv_text(frame), name, type="text/csv")
