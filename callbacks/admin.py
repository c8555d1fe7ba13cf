"""Admin page callbacks: filters ⇄ URL, tiles and level cards, charts, map, ranking, queue, CSV
downloads, the nav link and the Overview's admin tiles.

Every data callback reads the filters and the admin family's own version (``AD_VERSION``, so
other families' updates do not redraw this page), asks :mod:`callbacks.admin_data` and hands
the result to a pure builder.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, html

from callbacks import access
from callbacks import admin_data as data
from callbacks.common import follow_versions, local_today, page_lang, unit_rows, units
from callbacks.export_routes import Choice, PanelUrls, bar_states
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.domain.admin_units import levels_between
from ioc.i18n import fmt_date, fmt_int, fmt_number, fmt_pct, t
from ioc.kpi.compare import elapsed_part
from layouts import ids
from layouts.admin import BAR, FILE_STEMS, QUEUE_STATES, admin_tile, centre_marker_layer, level_card
from layouts.admin import layout as admin_layout
from layouts.admin_shaping import (
    admin_tiles,
    best_worst,
    centre_markers,
    level_cards,
    queue_rows,
    ranking_rows,
)
from layouts.admin_units import admin_unit_options, centre_labels_geojson, level_options, period_note
from layouts.query import parse_admin_query

FILTERS = control_inputs(BAR)
LIVE = [*FILTERS, Input(ids.AD_VERSION, "data"), State(ids.PAGE_LANG, "data")]


def queue_state(value: Any) -> str:
    """The queue's choice (due soon or overdue); anything else is the default, due soon."""
    return value if value in QUEUE_STATES else QUEUE_STATES[0]


#: (ctx, start, last_day, *control values) → the validated selection of the page's filter bar
query_from_controls = partial(bar_selection, BAR)


# CSVs that list records, not a chart's numbers: exports (analysts), not reports (the overdue / due-soon queue: one row per dossier)
RECORD_EXPORTS = frozenset(("queue",))
# the queue shown, by URL (``/export/admin/queue.csv?queue=overdue``; the page's toggle)
QUEUE = Choice("queue", QUEUE_STATES, QUEUE_STATES[0], "xp_queue", "admin_state_{}")

def _names_list(frame: pd.DataFrame, lang: str) -> list[html.Li]:
    """Best or worst units as a list: name as text, on-time rate."""
    return [html.Li([html.Span(r["name"] if isinstance(r["name"], str) else r["code"], className="ad-list-name"),
                     html.Span(fmt_pct(r["on_time_rate"], lang), className="ad-list-value")],
                    **{"data-code": r["code"]}) for r in frame.to_dict("records")]



def page_data(ctx: Context) -> dict[str, Any]:
    """What the Admin page's layout is handed: the local date, whether the admin data is
    simulated, the store's units and their codes (a ``unit`` in the URL must be one)."""
    unit_map = units(ctx)
    return {"today": local_today(ctx), "known_units": {u.code for u in unit_map.units}, "units": unit_map,
            "simulated": any(s.type == "simulator" and s.family == "admin" for s in ctx.sources)}


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The registered page's layout function: fetches the data, then builds the layout."""
    d = page_data(ctx)
    return admin_layout(ctx.settings, d["today"], d["simulated"], d["known_units"], lang_pref, units=d["units"],
                        **params)


def register(app: dash.Dash, ctx: Context) -> None:
    follow_versions(app, ids.AD_VERSION, ("admin",))

    register_filter_bar(app, ctx, BAR)
    register_download(app, ctx, ids.AD_CSV_BUTTON, ids.AD_URL,
                      lambda key, lang, *controls: data.export(ctx, key, query_from_controls(ctx, *controls[:-1]), lang,
                                                               queue_state(controls[-1])), FILE_STEMS,
                      record_keys=RECORD_EXPORTS, urls=PanelUrls(
                          "admin", "admin", bar_states(BAR, QUEUE, parse=lambda c, params, today: parse_admin_query(
                              params, today, page_data(c)["known_units"])),
                          lambda key, lang, *controls: data.figure(ctx, key, query_from_controls(ctx, *controls[:-1]),
                                                                   lang), ids.AD_CHART_KEYS),
                      settings=[(QUEUE, ids.AD_QUEUE_STATE)])

    @access.callback(app, Can.READ, Output(ids.AD_TILES, "children"), Output(ids.AD_LEVEL_CARDS, "children"),
                  Output(ids.AD_PERIOD_NOTE, "children"), *LIVE, prevent_initial_call=True)
    def top(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        kpis, counts = data.page_kpis(ctx, query)
        specs = admin_tiles(kpis, counts["due_soon"], ctx.settings.target_on_time, lang)
        cmp = data.tile_comparisons(ctx, query, lang, specs)
        tiles = [admin_tile(s, lang, cmp.of(s.key), cmp.provisional) for s in specs]
        cards = [level_card(c) for c in level_cards(data.by_level(ctx, query), ctx.settings.target_on_time, lang,
                                                    levels_between(query.start, query.end))]
        return tiles, cards, period_note(query, lang)

    @access.callback(app, Can.READ, *(Output(ids.ad_chart(k), "figure") for k in ids.AD_CHART_KEYS), Output(ids.AD_SCORE_NOTE, "children"),
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

    @access.callback(app, Can.READ, Output(ids.AD_MAP_LAYER, "children"), Output(ids.AD_MAP_UNITS, "data"),
                  Output(ids.AD_MAP_NOTE, "children"), *LIVE, prevent_initial_call=True)
    def centres(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_frame(ctx, "map", query, lang)
        note = t("admin_map_note_day", lang, day=fmt_date(query.last_day, lang))
        return (centre_marker_layer(centre_markers(frame, ctx.settings.target_on_time, lang)),
                centre_labels_geojson(frame), note)

    @access.callback(app, Can.READ, Output(ids.AD_RANKING, "rowData"), Output(ids.AD_RANKING_NOTE, "children"),
                  Output(ids.AD_BEST, "children"), Output(ids.AD_WORST, "children"), *LIVE, prevent_initial_call=True)
    def ranking(start, last_day, level, unit, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_frame(ctx, "ranking", query, lang)
        best, worst = best_worst(frame)
        before = elapsed_part(query.period, query.period.previous(), local_today(ctx))  # as unit_ranking
        dates = dict(start=fmt_date(before.start, lang), end=fmt_date(before.end - timedelta(days=1), lang))
        covered = bool(frame["prev_covered"].all()) if "prev_covered" in frame else True
        note = t("admin_ranking_note" if covered else "cmp_ranking_not_covered", lang, n=fmt_int(len(frame), lang),
                 **dates)
        return (ranking_rows(frame, lang, ctx.settings.target_on_time), note, _names_list(best, lang),
                _names_list(worst, lang))

    @access.callback(app, Can.READ, Output(ids.AD_QUEUE, "rowData"), Output(ids.AD_QUEUE_NOTE, "children"), *LIVE,
                  Input(ids.AD_QUEUE_STATE, "value"), prevent_initial_call=True)
    def queue(start, last_day, level, unit, _version, lang, state):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, level, unit)
        frame = data.chart_frame(ctx, "queue", query, lang, queue_state(state))
        counts = data.page_kpis(ctx, query)[1]
        rows = queue_rows(frame, ctx.tz, lang, {c: n for c, n, _ in unit_rows(ctx)})
        return rows, t("admin_queue_note", lang, o=fmt_int(counts["overdue"], lang),
                       s=fmt_int(counts["due_soon"], lang), n=fmt_int(len(rows), lang))

    @access.callback(app, Can.READ, Output(ids.AD_LEVEL, "options"), Output(ids.AD_LEVEL, "value", allow_duplicate=True),
                  Input(BAR.id("dates"), "start_date"), Input(BAR.id("dates"), "end_date"),
                  State(ids.AD_LEVEL, "value"), State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def level_choices(start, last_day, level, lang):  # noqa: ANN001, ANN202
        """The levels that exist in the period (district only before 1 July 2025); a level
        chosen that did not exist is cleared."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, None, None)
        levels = levels_between(query.start, query.end)
        return level_options(levels, lang), (level if level in levels or level is None else None)

    @access.callback(app, Can.READ, Output(ids.AD_UNIT, "options"), Input(ids.AD_LEVEL, "value"),
                  Input(BAR.id("dates"), "start_date"), Input(BAR.id("dates"), "end_date"),
                  State(ids.AD_UNIT, "value"), State(ids.PAGE_LANG, "data"))
    def unit_choices(level, start, last_day, unit, lang):  # noqa: ANN001, ANN202
        """The current communes (history mapped to them) and the one-stop units of the period's
        time (the city's centre, district centres and communes before 1 July 2025), by name."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, None, None)
        return admin_unit_options(units(ctx), query.start, query.end, lang, level, unit)
