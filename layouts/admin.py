"""Admin page (path "/admin"): one-stop dossiers (hồ sơ TTHC) at three levels and the QĐ 766 score.

Filters in the URL (``?from=…&to=…&level=…&unit=…&lang=…``, see :mod:`layouts.admin_query`),
KPI tiles, the levels of the period against the ≥ 95 % target (province, district and commune
before 1 July 2025; the city and the communes from then), the one-stop centres in force at the
period's end on the map (size = dossiers, colour = on-time rate), the 766 groups, the online share against 70 %, breakdowns by
field and procedure, the unit ranking with the change against the previous period, and the
queue of dossiers about to go late or overdue. The layout only builds the skeleton;
:mod:`callbacks.admin` fills it. The Overview's admin section is built here too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.admin_units import levels_between
from ioc.domain.units import HUE_CENTRE, UnitMap
from ioc.i18n import t
from ioc.kpi.admin import ADMIN_FILTERS
from ioc.kpi.filters import Selection
from layouts import ids
from layouts.admin_shaping import TILE_KEYS
from layouts.admin_units import admin_unit_options, level_options, level_problem
from layouts.compare_shaping import CompareLine
from layouts.components import STATE_ICONS, chart_card, csv_button, error_banner, fresh_badge, grid_locale, tile
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import EMPTY_GEOJSON, GRID_THEME, UNIT_LABEL
from layouts.figures import BAD, GOOD, WARN
from layouts.query import parse_admin_query, parse_lang
from layouts.shaping import Tile

#: The queue's choices (the first is the default)
QUEUE_STATES = ("due_soon", "overdue")
FILE_STEMS = {"levels": "tthc_dung-han-theo-cap", "online": "tthc_truc-tuyen", "score": "tthc_diem-766",
              "field": "tthc_theo-linh-vuc", "procedure": "tthc_theo-thu-tuc", "ranking": "tthc_xep-hang-don-vi",
              "queue": "tthc_qua-han-sap-den-han", "map": "tthc_trung-tam-mot-cua"}


def admin_tile(spec: Tile, lang: str, compare: list[CompareLine] | None = None,
               provisional: tuple[str, str] | None = None) -> html.Div:
    """A KPI tile (:func:`layouts.components.tile`, with its comparisons when given) with an id
    of its own on pages that also show other families' tiles."""
    div = tile(spec, lang, compare, provisional)
    div.id = f"tile-admin-{spec.key}"
    return div


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    return [html.Div([html.Div(t(f"admin_kpi_{k}", lang), className="tile-label"),
                      html.Div("…", className="tile-value")], className="tile tile-loading", **{"data-kpi": k})
            for k in keys]


def level_card(card: dict[str, Any]) -> html.Div:
    """One level against the target: value, state as icon + text (never colour alone)."""
    return html.Div(
        [html.Div(card["label"], className="tile-label"), html.Div(card["value"], className="tile-value"),
         html.Div(html.Span([html.Span(STATE_ICONS.get(card["state"], ""), className="tile-icon",
                                       **{"aria-hidden": "true"}), card["state_text"]], className="tile-state"),
                  className="tile-meta"),
         html.Div(card["sub"], className="tile-sub")],
        className=f"tile ad-level-card tile-{card['state']}",
        **{"data-level": card["level"], "data-value": "" if card["raw"] is None else repr(card["raw"]),
           "data-state": card["state"]},
    )


def centre_marker_layer(markers: list[dict[str, Any]]) -> list[dl.CircleMarker]:
    """The one-stop centres as circles (tooltips are text children, never HTML)."""
    return [dl.CircleMarker(center=[m["lat"], m["lon"]], radius=m["radius"], color="#0b1220", weight=1.5,
                            fillColor=m["colour"], fillOpacity=0.85, id={"type": "ad-centre", "code": m["code"]},
                            children=dl.Tooltip(m["tooltip"]))
            for m in markers]


def _legend(lang: str) -> html.Div:
    items = [(GOOD, "admin_map_legend_good"), (WARN, "admin_map_legend_warn"), (BAD, "admin_map_legend_bad"),
             ("#64748b", "admin_map_legend_none")]
    return html.Div([html.Span([html.Span(className="legend-dot", style={"background": c}), t(k, lang)],
                               className="legend-item") for c, k in items], className="map-legend")


BAR = FilterBar("admin", ADMIN_FILTERS, "ad", classes={"unit": "ad-filter-unit"})


def _filters(query: Selection, today: date, lang: str, units: UnitMap | None) -> html.Div:
    """The filter bar, its level and unit choices those of the period."""
    options = {"level": level_options(levels_between(query.start, query.end), lang)}
    if units is not None:
        options["unit"] = admin_unit_options(units, query.start, query.end, lang, query.get("level"),
                                             query.get("unit"))
    return filter_bar(BAR, query, today, lang, options)


def _card(key: str, title_key: str, lang: str, body: list[Any], extra: str = "", note_id: str | None = None) -> html.Section:
    head = [html.H2(t(title_key, lang), className="card-title")]
    if note_id:
        head.append(html.Span(id=note_id, className="card-note"))
    head.append(csv_button(key, lang, ids.AD_CSV_BUTTON))
    return html.Section([html.Header(head, className="card-head"), *body], className=f"card {extra}".strip())


def _chart(key: str, title_key: str, lang: str, extra: str = "") -> html.Section:
    return chart_card(key, t(title_key, lang), lang, FILE_STEMS[key], f"ad-chart-card {extra}".strip(),
                      graph_id=ids.ad_chart(key), button_type=ids.AD_CSV_BUTTON)


def _grid(grid_id: str, columns: list[dict], row_id: str, lang: str, page_size: int, **options: Any) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=[], getRowId=row_id,
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": [page_size, 50, 151], "animateRows": False,
                         "enableCellTextSelection": True, "domLayout": "autoHeight", "tooltipShowDelay": 400,
                         "localeText": grid_locale(lang, t("admin_no_rows", lang)), **options},
        style={"width": "100%"},
    )


def _col(field: str, key: str, lang: str, **extra: Any) -> dict:
    return {"field": field, "headerName": t(key, lang), **extra}


def _txt(field: str) -> dict:
    return {"function": f"params.data.{field}"}


def ranking_grid(lang: str) -> dag.AgGrid:
    num = {"type": "numericColumn", "filter": "agNumberColumnFilter", "width": 120}
    columns = [
        _col("rank", "admin_col_rank", lang, sort="asc", width=90, valueFormatter=_txt("rank_txt"), **{
            k: v for k, v in num.items() if k != "width"}),
        _col("unit", "admin_col_unit", lang, flex=2, minWidth=260, tooltipField="unit"),
        _col("level", "admin_col_level", lang, width=120),
        _col("received", "admin_col_received", lang, valueFormatter=_txt("received_txt"), **num),
        _col("resolved", "admin_col_resolved", lang, valueFormatter=_txt("resolved_txt"), **num),
        _col("on_time", "admin_col_on_time", lang, valueFormatter=_txt("on_time_txt"), **num),
        _col("prev_txt", "admin_col_prev", lang, width=110, sortable=False),
        _col("change", "admin_col_change", lang, valueFormatter=_txt("change_txt"),
             cellClassRules={"ad-up": "params.value > 0", "ad-down": "params.value < 0"}, **num),
        _col("late", "admin_col_late", lang, valueFormatter=_txt("late_txt"), **num),
        _col("overdue", "admin_col_overdue", lang, valueFormatter=_txt("overdue_txt"), **num),
        _col("online", "admin_col_online", lang, valueFormatter=_txt("online_txt"), **num),
        _col("score", "admin_col_score", lang, valueFormatter=_txt("score_txt"), **{**num, "width": 140}),
    ]
    return _grid(ids.AD_RANKING, columns, "params.data.code", lang, 15,
                 rowClassRules={"ad-row-bad": "params.data.state === 'bad'",
                                "ad-row-warn": "params.data.state === 'warn'"})


def queue_grid(lang: str) -> dag.AgGrid:
    columns = [
        _col("days_left", "admin_col_left", lang, sort="asc", width=130, type="numericColumn",
             filter="agNumberColumnFilter", valueFormatter=_txt("days_txt"),
             cellClassRules={"ad-down": "params.value < 0"}),
        _col("state_txt", "admin_col_state", lang, width=130),
        _col("id", "admin_col_id", lang, width=200),
        _col("procedure", "admin_col_procedure", lang, flex=2, minWidth=240, tooltipField="procedure"),
        _col("unit", "admin_col_unit", lang, flex=1, minWidth=200, tooltipField="unit"),
        _col("level", "admin_col_level", lang, width=110),
        _col("status", "admin_col_status", lang, width=150),
        _col("channel", "admin_col_channel", lang, width=120),
        _col("received_sort", "admin_col_received_at", lang, width=150, valueFormatter=_txt("received_txt")),
        _col("due_sort", "admin_col_due", lang, width=170, valueFormatter=_txt("due_txt")),
    ]
    return _grid(ids.AD_QUEUE, columns, "params.data.id", lang, 15,
                 rowClassRules={"ad-row-bad": "params.data.state === 'overdue'"})


def _map_card(settings: Any, lang: str) -> html.Section:
    body = [
        html.Div(dl.MapContainer([
            dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
            # names above the centres' circles (drawn at the same points), below tooltips
            dl.Pane(dl.GeoJSON(id=ids.AD_MAP_UNITS, data=EMPTY_GEOJSON, pointToLayer=UNIT_LABEL, interactive=False),
                    name="unit-labels", style={"zIndex": 450}),
            dl.LayerGroup(id=ids.AD_MAP_LAYER),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ], id=ids.AD_MAP, center=list(HUE_CENTRE), zoom=9, style={"height": "100%", "width": "100%"}),
            className="map-wrap"),
        _legend(lang),
    ]
    return _card("map", "admin_chart_map", lang, body, "map-card ad-map-card", note_id=ids.AD_MAP_NOTE)


def layout(settings: Any, today: date, simulated: bool, known_units: set[str] | None, lang_pref: str | None = None,
           units: UnitMap | None = None, **params: Any) -> html.Div:
    """The page for the URL's parameters (``today`` is the local date; ``units`` the store's,
    for the unit filter's choices)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_admin_query(params, today, known_units)
    query, level_problem_ = level_problem(query)
    problems += [p for p in (level_problem_, lang_problem) if p]
    title = [html.H1(t("admin_title", lang), className="page-title")]
    if simulated:
        title.append(html.Span(t("admin_simulated", lang), className="pill ad-sim", title=t("admin_simulated_title",
                                                                                           lang)))
    return html.Div(
        [
            dcc.Location(id=ids.AD_URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.AD_VERSION),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("admin", "page-fresh"),
            html.Div(title, className="ad-title"),
            _filters(query, today, lang, units),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=ids.AD_TILES, className="tiles ad-tiles"),
            html.Div([
                html.Section([
                    html.Header(html.H2(t("admin_levels_title", lang), className="card-title"), className="card-head"),
                    html.Div(id=ids.AD_LEVEL_CARDS, className="ad-level-cards"),
                    dcc.Graph(id=ids.ad_chart("levels"), className="chart ad-levels-chart", responsive=True,
                              config={"displaylogo": False, "displayModeBar": "hover"}),
                ], className="card ad-levels-card"),
                _map_card(settings, lang),
                html.Div([
                    _chart("score", "admin_chart_score", lang, "ad-score-card"),
                    html.Div(id=ids.AD_SCORE_NOTE, className="ad-score-note"),
                ], className="ad-score-wrap"),
            ], className="row ad-row-top"),
            html.Div([_chart("online", "admin_chart_online", lang), _chart("field", "admin_chart_field", lang),
                      _chart("procedure", "admin_chart_procedure", lang)], className="row ad-row-mid"),
            _card("ranking", "admin_chart_ranking", lang, [
                html.Div([html.Div([html.H3(t("admin_best", lang), className="ad-list-title"),
                                    html.Ol(id=ids.AD_BEST, className="ad-list")], className="ad-list-box"),
                          html.Div([html.H3(t("admin_worst", lang), className="ad-list-title"),
                                    html.Ol(id=ids.AD_WORST, className="ad-list")], className="ad-list-box")],
                         className="ad-lists"),
                ranking_grid(lang),
            ], "grid-card", note_id=ids.AD_RANKING_NOTE),
            _card("queue", "admin_chart_queue", lang, [
                dcc.RadioItems(id=ids.AD_QUEUE_STATE, value="due_soon", inline=True, className="ad-queue-state",
                               options=[{"label": t(f"admin_state_{s}", lang), "value": s}
                                        for s in QUEUE_STATES]),
                queue_grid(lang),
            ], "grid-card", note_id=ids.AD_QUEUE_NOTE),
        ],
        className="page page-admin",
        **{"data-family": "admin"},
    )
