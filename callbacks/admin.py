"""Admin page callbacks: filters ⇄ URL, tiles and level cards, charts, map, ranking, queue, CSV
downloads, the nav link and the Overview's admin tiles.

Every data callback reads the filters and the admin family's own version (``AD_VERSION``, so
other families' updates do not redraw this page), asks :mod:`callbacks.admin_data` and hands
the result to a pure builder.
"""

from __future__ import annotations

from datetime import timedelta

import dash
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html
from dash import ctx as dash_ctx

from callbacks import admin_data as data
from callbacks.common import follow_versions, local_today, page_lang, unit_rows, units
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, fmt_number, fmt_pct, t
from ioc.kpi.periods import FilterError, parse_date
from layouts import ids
from layouts.admin import FILE_STEMS, admin_tile, centre_marker_layer, level_card
from layouts.admin_query import AdminQuery, parse_admin_query
from layouts.admin_shaping import (
    admin_tiles,
    best_worst,
    centre_markers,
    level_cards,
    level_label,
    queue_rows,
    ranking_rows,
)
from layouts.exports import csv_text
from layouts.query import match_preset, preset_dates
from layouts.shaping import unit_labels_geojson

FILTERS = [Input(ids.AD_DATES, "start_date"), Input(ids.AD_DATES, "end_date"), Input(ids.AD_LEVEL, "value"),
           Input(ids.AD_UNIT, "value")]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTERS]
LIVE = [*FILTERS, Input(ids.AD_VERSION, "data"), State(ids.PAGE_LANG, "data")]


def query_from_controls(ctx: Context, start: str | None, last_day: str | None, level: str | None,
                        unit: str | None) -> AdminQuery:
    """The controls' values as a validated query (bad or missing dates fall back to defaults)."""
    params: dict[str, object] = {"level": level, "unit": unit}
    try:
        if start and last_day:
            params.update({"from": str(start)[:10],
                           "to": (parse_date(str(last_day)[:10], "to") + timedelta(days=1)).isoformat()})
    except FilterError:
        pass
    return parse_admin_query(params, local_today(ctx))[0]


def _names_list(frame: pd.DataFrame, lang: str) -> list[html.Li]:
    """Best or worst units as a list: name as text, on-time rate."""
    return [html.Li([html.Span(r["name"] if isinstance(r["name"], str) else r["code"], className="ad-list-name"),
                     html.Span(fmt_pct(r["on_time_rate"], lang), className="ad-list-value")],
                    **{"data-code": r["code"]}) for r in frame.to_dict("records")]


def register(app: dash.Dash, ctx: Context) -> None:
    follow_versions(app, ids.AD_VERSION, ("admin",))

    @app.callback(
        Output(ids.AD_PRESET, "value"), Output(ids.AD_DATES, "start_date"), Output(ids.AD_DATES, "end_date"),
        Output(ids.AD_LEVEL, "value"), Output(ids.AD_UNIT, "value"),
        Input(ids.AD_PRESET, "value"), Input(ids.AD_DATES, "start_date"), Input(ids.AD_DATES, "end_date"),
        Input(ids.AD_RESET, "n_clicks"),
        prevent_initial_call=True,
    )
    def sync_period(preset, start, last_day, _reset):  # noqa: ANN001, ANN202
        """A preset sets the dates; edited dates select the matching preset (or 'custom')."""
        today, keep = local_today(ctx), dash.no_update
        if dash_ctx.triggered_id == ids.AD_RESET:
            s, e = preset_dates("365", today)
            return "365", s.isoformat(), (e - timedelta(days=1)).isoformat(), None, None
        if dash_ctx.triggered_id == ids.AD_PRESET:
            dates = preset_dates(preset or "custom", today)
            if dates is None:
                return keep, keep, keep, keep, keep
            return keep, dates[0].isoformat(), (dates[1] - timedelta(days=1)).isoformat(), keep, keep
        q = query_from_controls(ctx, start, last_day, None, None)
        matched = match_preset(q.start, q.end, today)
        return (matched if matched != preset else keep), keep, keep, keep, keep

    @app.callback(Output(ids.AD_URL, "search"), *FILTERS, State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def filters_to_url(start, last_day, level, unit, lang):  # noqa: ANN001, ANN202
        """Filters live in the URL (no reload): a copied link reproduces the view."""
        return query_from_controls(ctx, start, last_day, level, unit).search(page_lang(ctx, lang))

    @app.callback(Output(ids.AD_TILES, "children"), Output(ids.AD_LEVEL_CARDS, "children"),
                  Output(ids.AD_PERIOD_NOTE, "children"), *LIVE, prevent_initial_call=True)
    def top(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        kpis, counts = data.page_kpis(ctx, query)
        tiles = [admin_tile(s, lang) for s in admin_tiles(kpis, counts["due_soon"], ctx.settings.target_on_time, lang)]
        cards = [level_card(c) for c in level_cards(data.by_level(ctx, query), ctx.settings.target_on_time, lang)]
        return tiles, cards, f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}"

    @app.callback(*(Output(ids.ad_chart(k), "figure") for k in ids.AD_CHART_KEYS), Output(ids.AD_SCORE_NOTE, "children"),
                  *LIVE, prevent_initial_call=True)
    def charts(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frames = {k: data.chart_frame(ctx, k, query, lang) for k in ids.AD_CHART_KEYS}
        score = frames["score"]
        measured = score[score["measured"]]
        note = t("admin_score_total", lang, p=fmt_number(measured["points"].sum(), lang, 1),
                 m=fmt_int(measured["max_points"].sum(), lang))
        return *(data.chart_figure(ctx, k, frames[k], query, lang) for k in ids.AD_CHART_KEYS), note

    @app.callback(Output(ids.AD_MAP_LAYER, "children"), Output(ids.AD_MAP_NOTE, "children"), *LIVE,
                  prevent_initial_call=True)
    def centres(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        frame = data.chart_frame(ctx, "map", query_from_controls(ctx, start, last_day, level, unit), lang)
        return centre_marker_layer(centre_markers(frame, ctx.settings.target_on_time, lang)), t("admin_map_note", lang)

    @app.callback(Output(ids.AD_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        return unit_labels_geojson(units(ctx))

    @app.callback(Output(ids.AD_RANKING, "rowData"), Output(ids.AD_RANKING_NOTE, "children"),
                  Output(ids.AD_BEST, "children"), Output(ids.AD_WORST, "children"), *LIVE, prevent_initial_call=True)
    def ranking(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_frame(ctx, "ranking", query, lang)
        best, worst = best_worst(frame)
        before = query.period.previous()
        note = t("admin_ranking_note", lang, n=fmt_int(len(frame), lang), start=fmt_date(before.start, lang),
                 end=fmt_date(before.end - timedelta(days=1), lang))
        return (ranking_rows(frame, lang, ctx.settings.target_on_time), note, _names_list(best, lang),
                _names_list(worst, lang))

    @app.callback(Output(ids.AD_QUEUE, "rowData"), Output(ids.AD_QUEUE_NOTE, "children"), *LIVE,
                  Input(ids.AD_QUEUE_STATE, "value"), prevent_initial_call=True)
    def queue(start, last_day, level, unit, _version, lang, state):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_frame(ctx, "queue", query, lang, state)
        counts = data.page_kpis(ctx, query)[1]
        rows = queue_rows(frame, ctx.tz, lang, {c: n for c, n, _ in unit_rows(ctx)})
        return rows, t("admin_queue_note", lang, o=fmt_int(counts["overdue"], lang),
                       s=fmt_int(counts["due_soon"], lang), n=fmt_int(len(rows), lang))

    @app.callback(Output(ids.AD_UNIT, "options"), Input(ids.AD_LEVEL, "value"), State(ids.AD_UNIT, "value"),
                  State(ids.PAGE_LANG, "data"))
    def unit_options(level, unit, lang):  # noqa: ANN001, ANN202
        """Reception units of the chosen level (every unit with a parent), by name."""
        lang = page_lang(ctx, lang)
        options = [{"label": f"{name} · {level_label(lv, lang)}", "value": code}
                   for code, name, lv in sorted(unit_rows(ctx), key=lambda r: (r[2] != "province", r[2], r[1]))
                   if (level is None or lv == level) and code != "46"]
        if unit and all(o["value"] != unit for o in options):
            options.append({"label": unit, "value": unit})
        return options

    @app.callback(Output(ids.AD_DOWNLOAD, "data"), Input({"type": ids.AD_CSV_BUTTON, "chart": ALL}, "n_clicks"),
                  *FILTER_STATES, State(ids.PAGE_LANG, "data"), State(ids.AD_QUEUE_STATE, "value"),
                  prevent_initial_call=True)
    def download_csv(clicks, start, last_day, level, unit, lang, state):  # noqa: ANN001, ANN202
        """The clicked chart's data, from the same data function as the chart."""
        if not dash_ctx.triggered_id or not any(clicks):
            return dash.no_update
        key, lang = dash_ctx.triggered_id["chart"], page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_export(ctx, key, data.chart_frame(ctx, key, query, lang, state), lang)
        return dcc.send_string(csv_text(frame), f"{FILE_STEMS[key]}_{query.start}_{query.end}.csv", type="text/csv")
