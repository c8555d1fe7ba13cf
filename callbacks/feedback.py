"""Feedback page callbacks: filters ⇄ URL, tiles, map, charts, overdue grid, CSV downloads.

Every data callback reads the filters and the live versions store, asks :mod:`ioc.kpi` (via
:mod:`callbacks.feedback_data`) and hands the result to a pure builder.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash
from dash import Input, Output, State

from callbacks import access
from callbacks.common import counter, local_today, page_lang, text, units
from callbacks.export_routes import Choice, PanelUrls, bar_states
from callbacks.feedback_data import (
    OVERDUE_ROWS,
    area_breakdown,
    chart_figure,
    chart_frame,
    export,
    figure,
    map_data,
    tile_comparisons,
)
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.domain.feedback import CATEGORIES
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi.feedback import feedback_breakdown, feedback_kpis, overdue_count
from ioc.kpi.filters import StoreCodes
from ioc.store.db import utcnow
from ioc.store.feedback import stored_categories
from layouts import ids
from layouts.components import tile
from layouts.exports import FILE_STEMS
from layouts.feedback import BAR, TILE_KEYS, area_toggle, unit_note
from layouts.feedback import layout as feedback_layout
from layouts.query import parse_feedback_query
from layouts.shaping import (
    feedback_tiles,
    map_geojson,
    map_note,
    overdue_rows,
    series_freq,
    unit_filter_codes,
    unit_labels_geojson,
    unit_notes,
    unit_options,
)

FILTERS = control_inputs(BAR)
FILTER_STATES = control_inputs(BAR, State)
# The top of the page (tiles, map) refreshes on filters and live versions; the charts and the
# grid below refresh once the map is served (FB_TOP_READY), so they do not compete with it
# for the server on navigation (100,000 reports: tiles and map in well under 2 s).
AFTER_TOP = [Input(ids.FB_TOP_READY, "data"), *FILTER_STATES]


#: (ctx, start, last_day, *control values) → the validated selection of the page's filter bar
query_from_controls = partial(bar_selection, BAR)



# CSVs that list records, not a chart's numbers: exports (analysts), not reports (the map's reports and the overdue list: one row per citizen report (text, address))
RECORD_EXPORTS = frozenset(("map", "overdue"))
# the "by area" chart's grouping by URL (``/export/feedback/district.csv?area=district``; the page's toggle)
AREA_BY = Choice("area", ("commune", "district"), "commune", "xp_area_by", "area_by_{}")

def known_categories(ctx: Context) -> StoreCodes:
    """The category codes a filter may name: the shipped ones and those of stored reports (an
    Open311 server's own service codes, an imported file's), read once per data version, and
    read again before a code is refused (the page may see a new version up to a refresh late)."""
    def fresh() -> tuple[str, ...]:
        return tuple(dict.fromkeys((*CATEGORIES, *stored_categories(ctx.engine))))

    return StoreCodes(ctx.query("feedback", "categories", None, fresh, 300.0), fresh)


def url_selection(ctx: Context, params: Any, today: Any) -> Any:
    """The page's parameters read as the page reads them (units of the map, categories of the store)."""
    return parse_feedback_query(params, today, unit_filter_codes(units(ctx)), known_categories(ctx))


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return feedback_layout(ctx.settings, local_today(ctx), lang_pref, units(ctx), known_categories(ctx), **params)


def register(app: dash.Dash, ctx: Context) -> None:
    register_filter_bar(app, ctx, BAR, version=ids.FEEDBACK_VERSION,
                        known=lambda c: {"category": known_categories(c)})
    register_download(app, ctx, ids.CSV_BUTTON, ids.FB_URL,
                      lambda key, lang, *controls: export(ctx, key, query_from_controls(ctx, *controls[:-1]), lang,
                                                          controls[-1]), FILE_STEMS,
                      record_keys=RECORD_EXPORTS, urls=PanelUrls(
                          "feedback", "feedback", bar_states(BAR, AREA_BY, parse=url_selection),
                          lambda key, lang, *controls: figure(ctx, key, query_from_controls(ctx, *controls[:-1]), lang,
                                                              controls[-1]), ids.CHART_KEYS),
                      settings=[(AREA_BY, ids.FB_AREA_BY)])

    @access.callback(app, Can.READ, Output(ids.FB_DATES, "max_date_allowed"), Input(ids.FEEDBACK_VERSION, "data"),
                  State(ids.FB_DATES, "max_date_allowed"), prevent_initial_call=True)
    def roll_max_date(_versions: dict | None, current: str | None):  # noqa: ANN202
        today = local_today(ctx).isoformat()
        return dash.no_update if current == today else today

    @access.callback(app, Can.READ,
        Output(ids.FB_TILES, "children"),
        Output(ids.FB_PERIOD_NOTE, "children"),
        *FILTERS,
        Input(ids.FEEDBACK_VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
    )
    def tiles(start, last_day, unit, category, channel, _versions, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, category, channel)
        kpis = ctx.query("feedback", "kpis", query, lambda: feedback_kpis(ctx.engine, query, ctx.tz, utcnow()), 10)
        note = f"{fmt_date(query.start, lang)} – {fmt_date(query.last_day, lang)}"
        specs = feedback_tiles(kpis, ctx.settings, lang, TILE_KEYS)
        cmp = tile_comparisons(ctx, query, lang, specs)
        return [tile(spec, lang, cmp.of(spec.key), cmp.provisional) for spec in specs], note

    @access.callback(app, Can.READ,
        Output(ids.FB_MAP_LAYER, "data"),
        Output(ids.FB_MAP_NOTE, "children"),
        Output(ids.FB_TOP_READY, "data"),
        *FILTERS,
        Input(ids.FEEDBACK_VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
        State(ids.FB_TOP_READY, "data"),
    )
    def report_map(start, last_day, unit, category, channel, _versions, lang, ready):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        frame, total = map_data(ctx, query_from_controls(ctx, start, last_day, unit, category, channel))
        return map_geojson(frame, ctx.tz, lang), map_note(len(frame), total, lang), counter(ready) + 1

    @access.callback(app, Can.READ, Output(ids.FB_MAP_UNITS, "data"), Input(ids.PAGE_LANG, "data"))
    def unit_labels(_lang):  # noqa: ANN001, ANN202
        return unit_labels_geojson(units(ctx).current_communes(), level="commune")

    # the "by area" chart has its own callback (it also follows its grouping toggle)
    chart_keys = [key for key in ids.CHART_KEYS if key != "district"]
    chart_outputs = [Output(ids.chart(key), "figure") for key in chart_keys]

    @access.callback(app, Can.READ,
        *chart_outputs,
        Output(f"{ids.chart('trend')}-note", "children"),
        *AFTER_TOP,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def charts(_ready, start, last_day, unit, category, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, category, channel)
        unit_map = units(ctx)
        figures = [chart_figure(ctx, key, chart_frame(ctx, key, query, lang, unit_map), query, lang)
                   for key in chart_keys]
        return *figures, t(f"freq_{series_freq(query.period)}", lang)

    @access.callback(app, Can.READ, Output(ids.chart("district"), "figure"), *AFTER_TOP, Input(ids.FB_AREA_BY, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def area_chart(_ready, start, last_day, unit, category, channel, area_by, lang):  # noqa: ANN001, ANN202
        """By current commune; by district-level unit of the time when asked (periods before 1 July 2025)."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, category, channel)
        unit_map = units(ctx)
        frame = chart_frame(ctx, "district", query, lang, unit_map, area_breakdown(unit_map, query, area_by))
        return chart_figure(ctx, "district", frame, query, lang)

    @access.callback(app, Can.READ,
        Output(ids.FB_GRID, "rowData"),
        Output(ids.FB_GRID_NOTE, "children"),
        *AFTER_TOP,
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def overdue(_ready, start, last_day, unit, category, channel, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, category, channel)
        frame = chart_frame(ctx, "overdue", query, lang, units(ctx))
        rows = overdue_rows(frame, ctx.tz, lang, units(ctx))
        total = overdue_count(ctx.engine, query, ctx.tz, utcnow()) if len(rows) >= OVERDUE_ROWS else len(rows)
        if total > len(rows):
            return rows, t("overdue_capped", lang, n=fmt_int(len(rows), lang), m=fmt_int(total, lang))
        return rows, t("overdue_shown", lang, n=fmt_int(len(rows), lang))

    @access.callback(app, Can.READ,
        Output(ids.FB_UNIT, "options"),
        Output(ids.FB_UNIT_NOTE, "children"),
        Output(ids.FB_AREA_BY, "options"),
        Output(ids.FB_AREA_BY, "value"),
        Input(ids.FB_DATES, "start_date"),
        Input(ids.FB_DATES, "end_date"),
        Input(ids.FB_UNIT, "value"),
        State(ids.FB_AREA_BY, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def unit_choices(start, last_day, unit, area_by, lang):  # noqa: ANN001, ANN202
        """The unit dropdown for the period (today's communes; the district-level units of then for
        days before 1 July 2025; codes seen in the period that the store does not know), the unit
        map's notices, and the groupings the "by area" chart allows."""
        lang = page_lang(ctx, lang)
        query = query_from_controls(ctx, start, last_day, unit, None, None)
        unit_map = units(ctx)
        everything = query.replaced(unit=None)
        seen = ctx.query("feedback", "seen-communes", everything,
                         lambda: feedback_breakdown(ctx.engine, everything, "commune")["key"].tolist())
        options = unit_options(unit_map, query.start, query.end, lang, seen)
        if query.unit and query.unit not in {o["value"] for o in options}:  # a district chosen, then a later period
            known = unit_map.version(query.unit)
            options.append({"label": known.name if known else query.unit, "value": query.unit})
        toggle = area_toggle(unit_map, query, lang, text(area_by) or "commune")
        return (options, unit_note(unit_notes(unit_map, query.start, query.end, query.unit, lang)), toggle.options,
                toggle.value if toggle.value != area_by else dash.no_update)
