"""The page of a spec-declared system (path ``/<code>``), built from its spec's ``panels``.

``?from=2026-01-01&to=2026-03-31&unit=19753&<dimension>=<code>&lang=en`` — the filters are the
spec's (:func:`ioc.kpi.systems.filters_for`): the period, the unit and one per dimension for an
``events`` spec, the period alone for an ``indicator`` spec. A bad parameter falls back to its
default and is reported by name. Every component id starts with ``sys-<code>-`` (several
systems' callbacks live in one app); the tiles keep the shared ``tile-<code>_<kpi>`` ids of the
Overview and the wall. The layout builds the skeleton from data handed in; the callbacks of
:mod:`callbacks.systems` fill it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.units import HUE_CENTRE, UnitMap
from ioc.i18n import fmt_int, t
from ioc.kpi.filters import Problem, Selection, parse_params
from ioc.kpi.systems import filters_for
from ioc.kpi.systems_compare import unit_change_kpi
from ioc.kpi.systems_views import unit_kpis
from ioc.systems.spec import SystemSpec
from layouts import ids
from layouts.components import chart_card, csv_button, error_banner, fresh_badge, grid_locale
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import CLUSTER_TO_LAYER, EMPTY_GEOJSON, GRID_THEME, POINT_TO_LAYER, UNIT_LABEL
from layouts.query import parse_lang
from layouts.shaping import unit_filter_codes, unit_options
from layouts.systems_shaping import code_label, marker_colours

#: CSVs that list events (one row per event, with its title): exports, analysts only
RECORD_EXPORTS = frozenset(("latest",))


def sid(code: str, part: str) -> str:
    """The id of component ``part`` of system ``code``'s page: ``sys-<code>-<part>``."""
    return f"sys-{code}-{part}"


def bar(spec: SystemSpec) -> FilterBar:
    """The page's filter bar: ids ``sys-<code>-preset``, ``-dates``, ``-<url key>``, ``-reset``,
    ``-url``, ``-period-note``."""
    return FilterBar(spec.code, filters_for(spec), f"sys-{spec.code}", classes={"unit": "filter-unit"})


def csv_type(code: str) -> str:
    """The ``type`` of the page's CSV buttons (``{"type": …, "chart": key}``)."""
    return sid(code, "csv")


def chart_keys(spec: SystemSpec) -> tuple[str, ...]:
    """The keys of the page's CSV buttons, in page order."""
    if spec.kind == "indicator":
        return ("indicators", *(f"ind-{t_.code}" for t_ in spec.indicators)) if "trend" in spec.panels \
            else ("indicators",)
    keys: list[str] = []
    for panel in spec.panels:
        if panel == "trend":
            keys.append("trend")
        elif panel == "by_category":
            keys += [f"dim-{d.name}" for d in spec.dimensions]
        elif panel in ("by_unit", "latest", "ranking"):
            keys.append({"by_unit": "units", "ranking": "ranking"}.get(panel, panel))
    return tuple(keys)


def file_stem(spec: SystemSpec, key: str) -> str:
    """The file name's stem of chart ``key`` (``lights_theo-don-vi``), ASCII."""
    stems = {"trend": "xu-huong", "units": "theo-don-vi", "ranking": "xep-hang", "latest": "moi-nhat",
             "indicators": "chi-tieu"}
    if key.startswith("dim-"):
        return f"{spec.code}_theo-{key[4:]}"
    if key.startswith("ind-"):
        return f"{spec.code}_chi-tieu-{key[4:]}"
    return f"{spec.code}_{stems.get(key, key)}"


def tile_placeholders(code: str, keys: tuple[str, ...], lang: str) -> list[html.Div]:
    """Tiles waiting for their values (``keys``: ``<code>_<kpi>``; labels from the spec)."""
    prefix = f"{code}_"
    return [html.Div([html.Div(t(f"sys_{code}_kpi_{k.removeprefix(prefix)}", lang), className="tile-label"),
                      html.Div("…", className="tile-value")], className="tile tile-loading", **{"data-kpi": k})
            for k in keys]


def parse_query(spec: SystemSpec, params: Mapping[str, object], today: date,
                known_units: Iterable[str] | None = None) -> tuple[Selection, list[Problem]]:
    """The page's parameters (``today`` local; default period: the last 365 days); a ``unit``
    must be one of ``known_units`` (when given), a closed dimension's code one of its terms."""
    return parse_params(filters_for(spec), params, today, None if known_units is None else {"unit": known_units})


def _grid(grid_id: str, columns: list[dict], lang: str, page_size: int = 15, row_id: str = "params.data.id"
          ) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=[], getRowId=row_id,
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": [15, 50, 100], "animateRows": False,
                         "enableCellTextSelection": True, "tooltipShowDelay": 400, "domLayout": "autoHeight",
                         "localeText": grid_locale(lang, t("no_data", lang))},
        style={"width": "100%"})


def _card(spec: SystemSpec, key: str, title: str, body: Any, lang: str, note: bool = True,
          extra_class: str = "") -> html.Section:
    head = [html.H2(title, className="card-title")]
    if note:
        head.append(html.Span(id=sid(spec.code, f"{key}-note"), className="card-note"))
    head.append(csv_button(key, lang, csv_type(spec.code)))
    return html.Section([html.Header(head, className="card-head"), body],
                        className=f"card sys-card sys-card-{key} {extra_class}".strip())


def _chart(spec: SystemSpec, key: str, title: str, lang: str, extra_class: str = "", note: bool = False) -> html.Section:
    return chart_card(key, title, lang, file_stem(spec, key), f"sys-chart {extra_class}".strip(),
                      note_id=sid(spec.code, f"{key}-note") if note else None,
                      graph_id=sid(spec.code, f"chart-{key}"), button_type=csv_type(spec.code))


def _units_grid(spec: SystemSpec, lang: str) -> dag.AgGrid:
    columns = [{"field": "unit", "headerName": t("systems_col_unit", lang), "flex": 1.4, "minWidth": 180,
                "tooltipField": "unit", "pinned": "left"}]
    for k in unit_kpis(spec):
        columns.append({"field": f"{k.name}_raw", "headerName": k.label(lang), "flex": 1, "minWidth": 120,
                        "type": "numericColumn", "valueFormatter": {"function": f"params.data['{k.name}']"},
                        **({"sort": "desc"} if k is unit_kpis(spec)[0] else {})})
    changed = unit_change_kpi(spec)
    if changed is not None:  # its change against the previous period (layouts.systems_compare.change_cell)
        columns.append({"field": "change_raw", "headerName": t("cmp2_col_change", lang, kpi=changed.label(lang)),
                        "flex": 1, "minWidth": 140, "type": "numericColumn",
                        "valueFormatter": {"function": "params.data.change"},
                        "cellClassRules": {f"cmp-{tone}": f"params.data.change_tone === '{tone}'"
                                           for tone in ("good", "bad", "neutral", "none")}})
    return _grid(sid(spec.code, "units"), columns, lang, row_id="params.data.unit_code")


def _latest_grid(spec: SystemSpec, lang: str) -> dag.AgGrid:
    columns = [{"field": "time_sort", "headerName": t("systems_col_time", lang), "width": 150, "sort": "desc",
                "valueFormatter": {"function": "params.data.time_txt"}},
               {"field": "unit", "headerName": t("systems_col_unit", lang), "width": 190, "tooltipField": "unit"}]
    columns += [{"field": d.name, "headerName": d.label(lang), "width": 150} for d in spec.dimensions]
    if "value" in spec.fields:
        columns.append({"field": "value", "headerName": spec.value(lang) if spec.value else t("systems_col_value", lang),
                        "width": 120, "type": "numericColumn", "valueFormatter": {"function": "params.data.value_txt"}})
    if {"handled", "duration_hours"} & set(spec.fields):
        columns.append({"field": "hours", "headerName": t("systems_col_hours", lang), "width": 130,
                        "type": "numericColumn", "valueFormatter": {"function": "params.data.hours_txt"}})
    if "title" in spec.fields:
        columns.append({"field": "title", "headerName": t("systems_col_title", lang), "flex": 2, "minWidth": 220,
                        "tooltipField": "title"})
    columns.append({"field": "id", "headerName": t("systems_col_id", lang), "width": 160})
    return _grid(sid(spec.code, "latest"), columns, lang)


def _legend(spec: SystemSpec, lang: str) -> html.Div:
    if not spec.dimensions:
        return html.Div()
    dim = spec.dimensions[0]
    return html.Div([html.Span(dim.label(lang) + ":", className="legend-title")]
                    + [html.Span([html.Span(className="legend-dot", style={"background": colour}),
                                  code_label(dim, code, lang)], className="legend-item")
                       for code, colour in marker_colours(spec).items()], className="map-legend")


def _map_card(spec: SystemSpec, settings: Any, lang: str) -> html.Section:
    body = html.Div(dl.MapContainer(
        [dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
         dl.Pane(dl.GeoJSON(id=sid(spec.code, "map-units"), data=EMPTY_GEOJSON, pointToLayer=UNIT_LABEL,
                            interactive=False), name="unit-labels", style={"zIndex": 350}),
         dl.GeoJSON(id=sid(spec.code, "map-layer"), data=EMPTY_GEOJSON, cluster=True, zoomToBoundsOnClick=True,
                    superClusterOptions={"radius": 56, "maxZoom": 15}, pointToLayer=POINT_TO_LAYER,
                    clusterToLayer=CLUSTER_TO_LAYER, hideout={"colours": marker_colours(spec), "lang": lang}),
         dl.ScaleControl(position="bottomleft", imperial=False)],
        id=sid(spec.code, "map"), center=list(HUE_CENTRE), zoom=10, style={"height": "100%", "width": "100%"},
    ), className="map-wrap")
    head = html.Header([html.H2(t("systems_panel_map", lang), className="card-title"),
                        html.Span(id=sid(spec.code, "map-note"), className="card-note")], className="card-head")
    return html.Section([head, body, _legend(spec, lang)], className="card map-card sys-map-card")


def _event_panels(spec: SystemSpec, settings: Any, lang: str) -> list:
    code, out = spec.code, []
    top = []
    if "map" in spec.panels:
        top.append(_map_card(spec, settings, lang))
    if "trend" in spec.panels:
        top.append(_chart(spec, "trend", t("systems_chart_trend", lang), lang, "trend-card", note=True))
    if top:
        out.append(html.Div(top, className="row row-main" if len(top) == 2 else "row sys-row"))
    if "by_category" in spec.panels:
        out.append(html.Div([_chart(spec, f"dim-{d.name}", t("systems_chart_by", lang, name=d.label(lang)), lang)
                             for d in spec.dimensions], className="row sys-row sys-row-dims"))
    side = []
    if "by_unit" in spec.panels:
        side.append(_card(spec, "units", t("systems_panel_by_unit", lang), _units_grid(spec, lang), lang,
                          extra_class="sys-units"))
    if "ranking" in spec.panels and spec.ranking:
        ranked = spec.kpi(spec.ranking)
        side.append(_card(spec, "ranking", t("systems_panel_ranking", lang, kpi=ranked.label(lang)),
                          html.Div(id=sid(code, "ranking"), className="sys-ranking"), lang, extra_class="sys-rank"))
    if side:
        out.append(html.Div(side, className="row sys-row sys-row-units"))
    if "latest" in spec.panels:
        out.append(_card(spec, "latest", t("systems_panel_latest", lang), _latest_grid(spec, lang), lang,
                         extra_class="grid-card"))
    return out


def _indicator_panels(spec: SystemSpec, lang: str) -> list:
    table = _card(spec, "indicators", t("systems_panel_indicators", lang),
                  html.Div(id=sid(spec.code, "indicators"), className="sys-ind-wrap"), lang)
    out: list = [table]
    if "trend" in spec.panels:
        out.append(html.Div([_chart(spec, f"ind-{term.code}", term.label(lang), lang, "sys-ind-chart")
                             for term in spec.indicators], className="row sys-row sys-row-dims"))
    return out


def _filters(spec: SystemSpec, query: Selection, today: date, lang: str, units: UnitMap,
             dim_codes: Mapping[str, Sequence[str]]) -> html.Div:
    options: dict[str, list[dict]] = {}
    if spec.kind == "events":
        options["unit"] = unit_options(units, query.start, query.end, lang, [query.unit or ""])
        for flt in bar(spec).choices:
            if flt.name in dim_codes and flt.choices is None:  # an open dimension: the codes seen
                options[flt.name] = flt.options(lang, data=list(dim_codes[flt.name]), current=query.get(flt.name))
    return filter_bar(bar(spec), query, today, lang, options)


def layout(spec: SystemSpec, settings: Any, today: date, lang_pref: str | None = None,
           unit_map: UnitMap | None = None, dim_codes: Mapping[str, Sequence[str]] | None = None,
           version: int = 0, **params: Any) -> html.Div:
    """The page of ``spec`` for the query string ``params`` (``today`` local); ``unit_map``: the
    store's units (default: the shipped ones); ``dim_codes``: codes seen of open dimensions;
    ``version``: the system's live data version as the page is built.

    The version store starts with ``version``: the panels' callbacks run once as the page
    appears. Empty, it would be filled from the live versions as the page appears, and that
    would first re-sync the filter bar's period (a server round trip the panels wait for)."""
    units = unit_map or UnitMap.default()
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_query(spec, params, today, unit_filter_codes(units))
    if lang_problem:
        problems.append(lang_problem)
    code = spec.code
    keys = tuple(f"{code}_{k.name}" for k in spec.kpis)
    panels = _event_panels(spec, settings, lang) if spec.kind == "events" else _indicator_panels(spec, lang)
    return html.Div(
        [
            dcc.Location(id=sid(code, "url"), refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=sid(code, "version"), data=version),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge(code, "page-fresh"),
            html.P([html.Span(spec.description(lang), className="sys-desc-text"),
                    html.Span(t("systems_sources", lang, n=len(spec.sources)), className="sys-desc-sources",
                              title="\n".join(spec.sources))], className="sys-desc"),
            _filters(spec, query, today, lang, units, dim_codes or {}),
            html.Div(tile_placeholders(code, keys, lang) if "tiles" in spec.panels else [], id=sid(code, "tiles"),
                     className="tiles sys-tiles", hidden="tiles" not in spec.panels),
            *panels,
        ],
        className=f"page page-system page-system-{spec.kind}",
        **{"data-family": code},
    )


def ranking_list(rows: list[dict], kpi: str, lang: str) -> html.Div | html.Ol:
    """Units best to worst by the ranking KPI (``rows``: :func:`layouts.systems_shaping.unit_rows`
    of a ranked frame; ``kpi``: its name), with its change against the previous period when the
    rows carry one. Names as text."""
    if not rows:
        return html.Div(t("no_data", lang), className="empty-note")
    return html.Ol([
        html.Li([html.Span(fmt_int(r.get("rank"), lang), className="sys-rank-no"),
                 html.Span(r["unit"], className="sys-rank-unit", title=r["unit"]),
                 html.Span(r[kpi], className="sys-rank-value"),
                 *([html.Span(r["change"], className=f"sys-rank-change cmp-{r['change_tone']}",
                              **{"data-change": "" if r["change_raw"] is None else repr(r["change_raw"])})]
                   if "change" in r else [])],
                className="sys-rank-item" + (" sys-rank-cmp" if "change" in r else ""),
                **{"data-unit": r["unit_code"], "data-value": "" if r[f"{kpi}_raw"] is None else repr(r[f"{kpi}_raw"])})
        for r in rows], className="sys-rank-list")


def indicator_table(rows: list[dict], lang: str) -> html.Table | html.Div:
    """The indicators: latest value, period, target, rank, change (its sign and whether it went
    the better way said in words too), source; a simulated value is marked as such."""
    if not rows:
        return html.Div(t("no_data", lang), className="empty-note")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "systems_col_indicator", "systems_col_value", "systems_col_period", "systems_col_target", "systems_col_rank",
        "systems_col_change", "systems_col_source")]))
    body = []
    for r in rows:
        change = [r["change"]]
        if r["trend"]:
            change.append(html.Span(t(f"systems_trend_{r['trend']}", lang), className=f"pill sys-trend-{r['trend']}"))
        source = (html.Span(r["citation"], className="pill pill-sim") if r["simulated"]
                  else html.Span(r["citation"], className="sys-citation", title=r["citation"]))
        body.append(html.Tr([html.Td(r["label"], className="sys-ind-label"), html.Td(r["value"], className="num"),
                             html.Td(r["period"]), html.Td(r["target"], className="num"),
                             html.Td(r["rank"], className="num"), html.Td(change, className="num"), html.Td(source)],
                            className="sys-ind-row" + (" sys-ind-simulated" if r["simulated"] else ""),
                            **{"data-indicator": r["indicator"], "data-value": "" if r["value_raw"] is None
                               else repr(r["value_raw"]), "data-simulated": "1" if r["simulated"] else "0"}))
    return html.Table([head, html.Tbody(body)], className="table sys-ind-table")
