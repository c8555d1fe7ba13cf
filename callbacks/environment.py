"""Environment page callbacks (and the Overview's environment section).

Data callbacks run when the environment family's data version changes (a clientside
callback copies it out of the shell's versions store, so other families' updates do not
redraw this page), or when the range, the stations or the calendar's station change. Each
reads the controls, asks :mod:`callbacks.environment_data` and hands the result to a pure
builder.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
from dash import Input, Output, State, html

from callbacks import access
from callbacks import environment_data as data
from callbacks.common import counter, follow_versions, local_today, page_lang, text, texts, units
from callbacks.export_routes import BadParameter, PanelUrls, UrlView
from callbacks.filters import register_download
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from layouts import ids
from layouts.environment import FILE_STEMS, TILE_KEYS, env_tile
from layouts.environment import layout as environment_layout
from layouts.environment_shaping import EnvQuery, parse_env_query, stations_geojson, tiles
from layouts.shaping import unit_labels_geojson

NOW_LIST_MAX = 20  # Dash renders every component of a list: keep the live lists short
ACTIVE_LIST_MAX = 12


def query_from_controls(range_: str | None, stations: list[str] | None, calendar: str | None,
                        unit: str | None = None) -> EnvQuery:
    """The controls' values as a query (an unknown range, station or unit falls back to the
    default; a value of the wrong type counts as none)."""
    return parse_env_query({"range": text(range_, ""), "station": texts(stations), "calendar": text(calendar, ""),
                            "unit": text(unit, "")})[0]


def url_view(ctx: Context, params: Any, lang: str) -> UrlView:
    """``/export/environment/…?range=…&station=…&calendar=…&unit=…``: the page's parameters as
    its controls' values (a value the page would refuse is a :class:`BadParameter`)."""
    from layouts.shaping import unit_filter_codes

    query, problems = parse_env_query(params, unit_filter_codes(units(ctx)))
    if problems:
        raise BadParameter.of(problems[0])
    about = {t("xp_about_range", lang): query.range}
    if query.stations:
        about[t("xp_about_stations", lang)] = ", ".join(query.stations)
    if query.calendar:
        about[t("xp_about_calendar", lang)] = query.calendar
    if query.unit:
        about[t("unit_filter", lang)] = query.unit
    return UrlView([query.range, list(query.stations), query.calendar, query.unit], about)


def station_list(rows: list[dict], lang: str) -> html.Div | html.Ol:
    """The current AQI per station, worst first (names as text; the category named next to its
    colour). At most :data:`NOW_LIST_MAX` rows: a big network is on the map and in the CSV."""
    if not rows:
        return html.Div(t("no_data", lang), className="empty-note")
    items = []
    for r in rows[:NOW_LIST_MAX]:
        meta = [html.Span(r["label"], className="env-cat")]
        if r["dominant"]:
            meta.append(html.Span(t("env_dominant", lang, p=r["dominant"]), className="env-dom"))
        if r["epa"] is not None:
            meta.append(html.Span(t("env_us_epa", lang, v=r["epa"]), className="env-epa"))
        if r["silent"]:
            meta.append(html.Span(t("env_silent", lang), className="pill pill-fresh-stale"))
        name = [html.Span(r["name"], className="env-name", title=r["name"])]
        if r["simulated"]:
            name.append(html.Span(t("env_simulated_station", lang), className="pill pill-sim"))
        items.append(html.Li([
            html.Span(r["aqi_text"], className="env-aqi", style={"background": r["colour"], "color": r["text_colour"]}),
            html.Div([html.Div(name, className="env-name-line"), html.Div(meta, className="env-meta")],
                     className="env-station"),
            html.Div([html.Div(r["hour"], className="env-hour"),
                      html.Div(t("env_completeness_short", lang, v=r["completeness"]), className="env-compl")],
                     className="env-side"),
        ], className="env-now-item", **{"data-station": r["id"], "data-aqi": r["aqi_text"]}))
    if len(rows) > NOW_LIST_MAX:
        items.append(html.Li(t("env_now_capped", lang, n=fmt_int(NOW_LIST_MAX, lang), m=fmt_int(len(rows), lang)),
                             className="env-now-more"))
    return html.Ol(items, className="env-now-items")


def active_list(rows: list[dict], lang: str) -> html.Div | html.Ol:
    """The open alerts, worst first: level, kind, station, since when (local)."""
    if not rows:
        return html.Div(t("env_active_none", lang), className="empty-note")
    more = ([html.Li(t("env_active_capped", lang, n=fmt_int(ACTIVE_LIST_MAX, lang), m=fmt_int(len(rows), lang)),
                     className="env-now-more")] if len(rows) > ACTIVE_LIST_MAX else [])
    rows = rows[:ACTIVE_LIST_MAX]
    return html.Ol([
        html.Li([
            html.Span(r["severity_label"], className="pill env-sev", style={"borderColor": r["colour"], "color": r["colour"]}),
            html.Span(r["kind_label"], className="env-active-kind"),
            html.Span(r["station"], className="env-active-station", title=r["station"]),
            html.Span(r["start"], className="env-active-since"),
            html.Span(r["details"], className="env-active-detail"),
        ], className="env-active-item", **{"data-kind": r["kind"], "data-station": r["station_id"]})
        for r in rows
    ] + more, className="env-active-items")



def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return environment_layout(ctx.settings, local_today(ctx), lang_pref, units(ctx), **params)


def register(app: dash.Dash, ctx: Context) -> None:
    # Only the environment family's version, and only when it changes.
    follow_versions(app, ids.ENV_VERSION, ("environment",))

    register_download(app, ctx, ids.ENV_CSV_BUTTON, ids.ENV_URL,
                      lambda key, lang, *controls: data.export(ctx, key, query_from_controls(*controls), lang), FILE_STEMS,
                      urls=PanelUrls("environment", "environment", url_view,
                                     lambda key, lang, *controls: data.figure(ctx, key, query_from_controls(*controls),
                                                                              lang), ids.ENV_CHART_KEYS))

    @access.callback(app, Can.READ,
        Output(ids.ENV_URL, "search"),
        Input(ids.ENV_RANGE, "value"),
        Input(ids.ENV_STATIONS, "value"),
        Input(ids.ENV_CALENDAR_STATION, "value"),
        Input(ids.ENV_UNIT, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def controls_to_url(range_, stations, calendar, unit, lang):  # noqa: ANN001, ANN202
        """The view lives in the URL (no reload): a copied link reproduces it."""
        return query_from_controls(range_, stations, calendar, unit).search(page_lang(ctx, lang))

    @access.callback(app, Can.READ,
        Output(ids.ENV_TILES, "children"),
        Output(ids.ENV_MAP_LAYER, "data"),
        Output(ids.ENV_NOW, "children"),
        Output(ids.ENV_ACTIVE, "children"),
        Output(ids.ENV_AS_OF, "children"),
        Output(ids.ENV_STATIONS, "options"),
        Output(ids.ENV_CALENDAR_STATION, "options"),
        Output(ids.ENV_CALENDAR_STATION, "value"),
        Output(ids.ENV_TOP_READY, "data"),
        Input(ids.ENV_VERSION, "data"),
        Input(ids.ENV_RANGE, "value"),
        Input(ids.ENV_UNIT, "value"),
        State(ids.ENV_STATIONS, "value"),
        State(ids.ENV_CALENDAR_STATION, "value"),
        State(ids.PAGE_LANG, "data"),
        State(ids.ENV_TOP_READY, "data"),
        prevent_initial_call=True,
    )
    def top(_version, range_, unit, stations, calendar, lang, ready):  # noqa: ANN001, ANN202
        """What a 1080-pixel screen shows first; the charts below follow once it is served
        (ENV_TOP_READY), so they do not compete with it for the server on navigation. A commune
        chosen: its stations only (tiles, map, list, the stations' dropdowns)."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(range_, stations, calendar, unit)
        kpis = data.page_kpis(ctx, query)
        now = data.stations_now(ctx, lang, kpis, query.unit)
        hours = [r["hour"] for r in now.rows if r["hour"]]
        note = t("env_as_of", lang, time=max(hours)) if hours else t("env_no_hour", lang)
        options = [{"label": r["name"], "value": r["id"]} for r in sorted(now.rows, key=lambda r: r["name"])]
        active = data.active_alert_rows(ctx, kpis, lang)
        chosen = data.calendar_station(ctx, query, now)
        specs = [spec for spec in tiles(kpis, lang) if spec.key in TILE_KEYS]
        cmp = data.tile_comparisons(ctx, query, lang, specs)
        return ([env_tile(spec, cmp.of(spec.key), cmp.provisional) for spec in specs],
                stations_geojson(now.rows, lang), station_list(now.rows, lang), active_list(active, lang), note,
                options, options, chosen if chosen != calendar else dash.no_update, counter(ready) + 1)

    @access.callback(app, Can.READ, Output(ids.ENV_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        return unit_labels_geojson(units(ctx).current_communes(), level="commune")

    @access.callback(app, Can.READ,
        Output(ids.env_chart("series"), "figure"),
        Output(ids.env_chart("pollutants"), "figure"),
        Input(ids.ENV_TOP_READY, "data"),
        Input(ids.ENV_STATIONS, "value"),
        State(ids.ENV_RANGE, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def charts(_ready, stations, range_, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(range_, stations, None)
        now = data.stations_now(ctx, lang)
        return tuple(data.chart_figure(ctx, key, data.chart_frame(ctx, key, query, lang, now), query, lang, now)
                     for key in ("series", "pollutants"))

    @access.callback(app, Can.READ,
        Output(ids.env_chart("calendar"), "figure"),
        Input(ids.ENV_TOP_READY, "data"),
        Input(ids.ENV_CALENDAR_STATION, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def calendar(_ready, station, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(None, None, station)
        now = data.stations_now(ctx, lang)
        return data.chart_figure(ctx, "calendar", data.chart_frame(ctx, "calendar", query, lang, now), query, lang, now)

    @access.callback(app, Can.READ,
        Output(ids.env_chart("completeness"), "figure"),
        Output(ids.ENV_COMPLETENESS_NOTE, "children"),
        Output(ids.ENV_ALERTS, "rowData"),
        Output(ids.ENV_ALERTS_NOTE, "children"),
        Input(ids.ENV_TOP_READY, "data"),
        State(ids.ENV_RANGE, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def quality_and_alerts(_ready, range_, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(range_, None, None)
        now = data.stations_now(ctx, lang)
        frame = data.chart_frame(ctx, "completeness", query, lang, now)
        figure = data.chart_figure(ctx, "completeness", frame, query, lang, now)
        total = len(now.rows)
        note = (t("env_completeness_capped", lang, n=fmt_int(len(frame), lang), m=fmt_int(total, lang))
                if total > len(frame) else t("env_station_count", lang, n=fmt_int(total, lang)))
        period = query.period(local_today(ctx))
        alerts = data.chart_frame(ctx, "alerts", query, lang, now).to_dict("records")
        span = t("env_period_days", lang, start=fmt_date(period.start, lang),
                 end=fmt_date(period.end - timedelta(days=1), lang))
        return figure, note, alerts, span
