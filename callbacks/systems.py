"""Callbacks of a spec-declared system's page, registered once per spec (ids ``sys-<code>-…``).

Data callbacks run when a filter changes or when the system's data version moves (copied out
of the shell's versions store, so other families' updates do not redraw the page). Each reads
the filter bar, asks :mod:`callbacks.systems_data` and hands the result to a pure builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import dash
from dash import Input, Output, State

from callbacks import access
from callbacks import systems_data as data
from callbacks.common import follow_versions, local_today, page_lang, units
from callbacks.export_routes import PanelUrls, bar_states
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_int, t
from ioc.kpi.systems_views import unit_kpis
from ioc.systems.spec import SystemSpec
from layouts import ids
from layouts import systems as view
from layouts import systems_figures as figures
from layouts import systems_shaping as shaping
from layouts.components import tile
from layouts.shaping import unit_filter_codes, unit_labels_geojson, unit_options

#: an indicator page without a period shows this many whole years before the current one
INDICATOR_YEARS = 5


def with_default_period(spec: SystemSpec, params: Mapping[str, Any], today: Any) -> Mapping[str, Any]:
    """The page's parameters, with an indicator system's default period when none is given:
    yearly indices come out months after their year, so a year's view would show none of them."""
    if spec.kind == "indicator" and not params.get("from") and not params.get("to"):
        return {**params, "from": f"{today.year - INDICATOR_YEARS}-01-01", "to": today.isoformat()}
    return params


def url_parser(spec: SystemSpec) -> Any:
    """(context, parameters, today) → the page's selection and problems, as the page reads its URL."""
    return lambda ctx, params, today: view.parse_query(spec, with_default_period(spec, params, today), today,
                                                       unit_filter_codes(units(ctx)))


def figure(ctx: Context, spec: SystemSpec, key: str, sel: Any, lang: str) -> Any:
    """Panel ``key``'s chart as the page draws it (the printable PNG of its export URL)."""
    today = local_today(ctx)
    if key == "trend":
        series, freq = data.trend(ctx, spec, sel)
        return figures.events_trend_figure(series, lang, freq, (sel.start, sel.end), f"trend{sel.search(lang)}", today)
    if key.startswith("dim-"):
        return figures.dimension_figure(data.by_dimension(ctx, spec, sel, key[4:], lang), lang,
                                        f"{key}{sel.search(lang)}")
    if key.startswith("ind-"):
        term = next(i for i in spec.indicators if i.code == key[4:])
        series = data.indicator_series(ctx, spec, sel)
        return figures.indicator_figure(series[series["indicator"] == term.code], term, lang,
                                        f"{spec.code}-{term.code}{sel.search()}", today)
    raise KeyError(key)


def page(code: str, ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function for system ``code`` (today: the local date)."""
    spec = data.spec_of(code)
    today = local_today(ctx)
    params = with_default_period(spec, params, today)
    codes = data.dimension_codes(ctx, spec, today) if any(d.open for d in spec.dimensions) else {}
    return view.layout(spec, ctx.settings, today, lang_pref, units(ctx), codes,
                       version=ctx.notifier.versions().get(code) or 0, **params)


def register(code: str, app: dash.Dash, ctx: Context) -> None:
    """Every callback of system ``code``'s page."""
    spec = data.spec_of(code)
    bar = view.bar(spec)
    selection = partial(bar_selection, bar, ctx)
    filters = control_inputs(bar)
    version = view.sid(code, "version")
    follow_versions(app, version, (code,))
    register_filter_bar(app, ctx, bar, version=version)
    register_download(app, ctx, view.csv_type(code), view.sid(code, "url"),
                      lambda key, lang, *values: data.export(ctx, spec, key, selection(*values), lang),
                      view.chart_keys(spec), record_keys=view.RECORD_EXPORTS, urls=PanelUrls(
                          code, code, bar_states(bar, parse=url_parser(spec)),
                          lambda key, lang, *values: figure(ctx, spec, key, selection(*values), lang),
                          [k for k in view.chart_keys(spec) if k == "trend" or k[:4] in ("dim-", "ind-")]))

    @access.callback(app, Can.READ, Output(view.sid(code, "tiles"), "children"), Output(bar.id("period-note"), "children"),
                     *filters, Input(version, "data"), State(ids.PAGE_LANG, "data"))
    def tiles(*args):  # noqa: ANN002, ANN202
        *values, _version, lang = args
        lang = page_lang(ctx, lang)
        sel = selection(*values)
        values = data.page_kpis(ctx, spec, sel)
        cmp = data.tile_comparisons(ctx, spec, sel, values, lang)
        shown = [tile(s, lang, cmp.of(s.key), cmp.note_of(s.key)) for s in shaping.kpi_tiles(spec, values, lang)]
        return shown, shaping.period_text(sel.start, sel.last_day, lang)

    if spec.kind == "indicator":
        _register_indicators(app, ctx, spec, filters, version, selection)
    else:
        _register_events(app, ctx, spec, filters, version, selection)


def _register_indicators(app: dash.Dash, ctx: Context, spec: SystemSpec, filters: list, version: str,
                         selection: Any) -> None:
    code = spec.code
    charts = [Output(view.sid(code, f"chart-ind-{term.code}"), "figure")
              for term in spec.indicators] if "trend" in spec.panels else []

    @access.callback(app, Can.READ, Output(view.sid(code, "indicators"), "children"),
                     Output(view.sid(code, "indicators-note"), "children"), *charts,
                     *filters, Input(version, "data"), State(ids.PAGE_LANG, "data"))
    def indicators(*args):  # noqa: ANN002, ANN202
        *values, _version, lang = args
        lang = page_lang(ctx, lang)
        sel = selection(*values)
        table = data.indicators(ctx, spec, sel)
        rows = shaping.indicator_rows(spec, table, lang)
        simulated = sum(r["simulated"] for r in rows)
        note = t("systems_ind_note_simulated", lang, n=fmt_int(simulated, lang)) if simulated else \
            t("systems_ind_note", lang, n=fmt_int(sum(r["value_raw"] is not None for r in rows), lang))
        out = [view.indicator_table(rows, lang), note]
        if charts:
            series = data.indicator_series(ctx, spec, sel)
            today = local_today(ctx)
            out += [figures.indicator_figure(series[series["indicator"] == term.code], term, lang,
                                             f"{code}-{term.code}{sel.search()}", today) for term in spec.indicators]
        return out


def _register_events(app: dash.Dash, ctx: Context, spec: SystemSpec, filters: list, version: str,
                     selection: Any) -> None:  # noqa: C901 - one place for the panels' callbacks
    code, panels = spec.code, spec.panels
    bar = view.bar(spec)
    after = [*filters, Input(version, "data"), State(ids.PAGE_LANG, "data")]

    if "trend" in panels or "by_category" in panels:
        outputs = []
        if "trend" in panels:
            outputs += [Output(view.sid(code, "chart-trend"), "figure"), Output(view.sid(code, "trend-note"), "children")]
        dims = spec.dimensions if "by_category" in panels else ()
        outputs += [Output(view.sid(code, f"chart-dim-{d.name}"), "figure") for d in dims]

        @access.callback(app, Can.READ, *outputs, *after)
        def charts(*args):  # noqa: ANN002, ANN202
            *values, _version, lang = args
            lang = page_lang(ctx, lang)
            sel = selection(*values)
            revision = sel.search(lang)
            out: list = []
            if "trend" in panels:
                series, freq = data.trend(ctx, spec, sel)
                out += [figures.events_trend_figure(series, lang, freq, (sel.start, sel.end), f"trend{revision}",
                                                   local_today(ctx)),
                        t(f"freq_{freq}", lang)]
            out += [figures.dimension_figure(data.by_dimension(ctx, spec, sel, d.name, lang), lang,
                                             f"dim-{d.name}{revision}") for d in dims]
            return out

    if "by_unit" in panels or ("ranking" in panels and spec.ranking):
        outputs = []
        if "by_unit" in panels:
            outputs += [Output(view.sid(code, "units"), "rowData"), Output(view.sid(code, "units-note"), "children")]
        if "ranking" in panels and spec.ranking:
            outputs += [Output(view.sid(code, "ranking"), "children"),
                        Output(view.sid(code, "ranking-note"), "children")]

        @access.callback(app, Can.READ, *outputs, *after)
        def by_unit(*args):  # noqa: ANN002, ANN202
            *values, _version, lang = args
            lang = page_lang(ctx, lang)
            sel = selection(*values)
            names = data.unit_names(ctx, sel)
            kpis = unit_kpis(spec)
            frame = data.by_unit(ctx, spec, sel)
            changes = data.unit_changes(ctx, spec, sel, frame, lang)
            cells = None if changes is None else changes.cells
            note = t("systems_units_note", lang, n=fmt_int(len(frame), lang))
            out: list = []
            if "by_unit" in panels:
                out += [shaping.unit_rows(spec, frame, names, lang, kpis, cells),
                        note if changes is None else f"{note} · {changes.note}"]
            if "ranking" in panels and spec.ranking:
                ranked = data.ranking(ctx, spec, sel)
                ranking_kpi = spec.kpi(spec.ranking)
                out += [view.ranking_list(shaping.unit_rows(spec, ranked, names, lang, kpis, cells), spec.ranking,
                                          lang),
                        t(f"systems_better_{ranking_kpi.direction or 'higher'}", lang)]
            return out

    if "latest" in panels:
        @access.callback(app, Can.READ, Output(view.sid(code, "latest"), "rowData"),
                         Output(view.sid(code, "latest-note"), "children"), *after)
        def latest(*args):  # noqa: ANN002, ANN202
            *values, _version, lang = args
            lang = page_lang(ctx, lang)
            sel = selection(*values)
            frame, total = data.latest(ctx, spec, sel)
            rows = shaping.latest_rows(spec, frame, data.unit_names(ctx, sel), ctx.tz, lang)
            seen = access.exposure(ctx.settings)
            privacy = ("systems_titles_hidden" if seen.hidden else "systems_titles_clear" if seen.reveal_text
                       else "systems_titles_masked")
            shown = t("systems_latest_note", lang, n=fmt_int(len(rows), lang), m=fmt_int(total, lang))
            return rows, f"{shown} · {t(privacy, lang)}" if "title" in spec.fields else shown

    if "map" in panels:
        @access.callback(app, Can.READ, Output(view.sid(code, "map-layer"), "data"),
                         Output(view.sid(code, "map-note"), "children"), *after)
        def event_map(*args):  # noqa: ANN002, ANN202
            *values, _version, lang = args
            lang = page_lang(ctx, lang)
            sel = selection(*values)

            def drawn() -> tuple[dict, str]:
                frame, total = data.map_points(ctx, spec, sel)
                geojson = shaping.map_geojson(spec, frame, data.unit_names(ctx, sel), ctx.tz, lang)
                shown = len(geojson["features"])
                note = (t("systems_map_capped", lang, n=fmt_int(shown, lang), m=fmt_int(total, lang))
                        if total > shown else t("systems_map_note", lang, n=fmt_int(shown, lang)))
                return geojson, note

            # a few thousand popups take a second to write: once per data version, view, language
            # and exposure for every screen and worker
            geojson, note = ctx.query(code, "map-geojson", (sel, access.exposure(ctx.settings).level, lang), drawn)
            return geojson, note

        @access.callback(app, Can.READ, Output(view.sid(code, "map-units"), "data"), Input(ids.PAGE_LANG, "data"))
        def unit_labels(_lang):  # noqa: ANN001, ANN202
            return unit_labels_geojson(units(ctx).current_communes(), level="commune")

    @access.callback(app, Can.READ, Output(bar.id("unit"), "options"), Input(bar.id("dates"), "start_date"),
                     Input(bar.id("dates"), "end_date"), State(bar.id("unit"), "value"), State(ids.PAGE_LANG, "data"),
                     prevent_initial_call=True)
    def unit_choices(start, last_day, current, lang):  # noqa: ANN001, ANN202
        """The units of the period (today's communes; the district-level units of then for days
        before 1 July 2025), and the one chosen even when the store does not know it."""
        sel = selection(start, last_day)
        chosen = current if isinstance(current, str) else ""
        return unit_options(units(ctx), sel.start, sel.end, page_lang(ctx, lang), [chosen])
