"""Traffic page (path "/traffic"): filters from the URL, KPI tiles, camera map, hour × weekday
heatmap, breakdowns by type and vehicle class, fines issued vs collected, latest violations.

``?from=2025-01-01&to=2025-12-31&unit=19753&type=red_light&vehicle=car&channel=camera&lang=en``
— ``unit`` is a current commune (Huế's 40 since 1 July 2025, earlier records mapped to them) or,
for periods before that day, a district-level unit of the time (``district=`` is still read);
the rankings are by current commune and, for periods before 1 July 2025, by district-level
unit; a notice says when the period spans the change. ``from``/``to`` are the first and the
last local date, both included (the period is [from, to + 1 day)), exactly like ``python -m ioc
kpi traffic --from --to``. A bad parameter never breaks the page: it falls back to its default
and is named with its value on the page's banner. The layout builds the skeleton; :mod:`callbacks.traffic` fills it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.units import UnitMap
from ioc.i18n import t
from ioc.kpi.filters import Problem, Selection, parse_params
from ioc.kpi.traffic import TRAFFIC_FILTERS
from layouts import ids
from layouts.components import chart_card, csv_button, error_banner, fresh_badge, grid_locale
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import EMPTY_GEOJSON, GRID_THEME, UNIT_LABEL
from layouts.query import parse_lang
from layouts.shaping import unit_filter_codes, unit_notes, unit_options
from layouts.traffic_shaping import (
    NO_TYPE_COLOUR,
    TILE_KEYS,
    TYPE_COLOURS,
    channel_text,
    type_text,
)

# Huế city and National Road 1A from Phong Điền to the Hải Vân tunnel, on a 1920 × 1080 wall
MAP_CENTRE, MAP_ZOOM = (16.385, 107.73), 10
CAMERA_TO_LAYER = {"variable": "dashExtensions.traffic.cameraToLayer"}  # assets/traffic.js
FILE_STEMS = {"heatmap": "vi-pham_gio-thu", "type": "vi-pham_theo-hanh-vi", "vehicle": "vi-pham_theo-phuong-tien",
              "fines": "vi-pham_tien-phat", "commune": "vi-pham_theo-xa-phuong",
              "district": "vi-pham_theo-quan-huyen", "cameras": "vi-pham_camera", "recent": "vi-pham_moi-nhat"}
#: the page's charts: ``ids.TR_CHART_KEYS`` and the rankings by unit
CHART_KEYS = (*ids.TR_CHART_KEYS, "commune", "district")
UNIT_NOTE = ids.TR_UNIT_NOTE
DISTRICT_CARD = ids.TR_DISTRICT_CARD


BAR = FilterBar("traffic", TRAFFIC_FILTERS, "tr", classes={"violation_type": "filter-wide", "unit": "filter-unit"},
                labels={"channel": channel_text})


def parse_traffic_query(params: Mapping[str, object], today: date,
                        known_units: Iterable[str] | None = None) -> tuple[Selection, list[Problem]]:
    """Validate the page's query parameters (``today`` local; default: the last 365 days); a
    ``unit`` must be one of ``known_units`` (when given)."""
    return parse_params(TRAFFIC_FILTERS, params, today, None if known_units is None else {"unit": known_units})


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    return [html.Div([html.Div(t(f"traffic_kpi_{k}", lang), className="tile-label"),
                      html.Div("…", className="tile-value")], className="tile tile-loading", **{"data-kpi": k})
            for k in keys]


UNIT_ID = BAR.id("unit")  # the unit dropdown (``tr-unit``)


def _filters(query: Selection, today: date, lang: str) -> html.Div:
    """The filter bar; the unit dropdown starts with the shipped units' options for the period
    (the callbacks refresh them from the store's units when the period changes)."""
    units = UnitMap.default()
    return filter_bar(BAR, query, today, lang, options={"unit": unit_options(units, query.start, query.end, lang,
                                                                             [query.unit or ""])})


def unit_note(units: UnitMap, query: Selection, lang: str) -> str:
    """The notice under the filter bar (:func:`layouts.shaping.unit_notes`): the period spans the
    change of map, or a district-level unit is chosen for a period reaching past its end."""
    return " ".join(unit_notes(units, query.start, query.end, query.unit, lang))


def _legend(lang: str) -> html.Div:
    items = [html.Span([html.Span(className="legend-dot", style={"background": colour}), type_text(code, lang)],
                       className="legend-item") for code, colour in TYPE_COLOURS.items()]
    items.append(html.Span([html.Span(className="legend-dot", style={"background": NO_TYPE_COLOUR}),
                            t("traffic_popup_none", lang)], className="legend-item"))
    return html.Div(items, className="map-legend")


def _map_card(settings: Any, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([html.H2(t("traffic_map", lang), className="card-title"),
                         html.Span(id=ids.TR_MAP_NOTE, className="card-note"),
                         csv_button("cameras", lang, ids.TR_CSV_BUTTON)], className="card-head"),
            html.Div(dl.MapContainer(
                [
                    dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                    dl.Pane(dl.GeoJSON(id=ids.TR_MAP_UNITS, data=EMPTY_GEOJSON, pointToLayer=UNIT_LABEL,
                                       interactive=False), name="unit-labels", style={"zIndex": 350}),
                    dl.GeoJSON(id=ids.TR_MAP_LAYER, data=EMPTY_GEOJSON, pointToLayer=CAMERA_TO_LAYER),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
                id=ids.TR_MAP, center=list(MAP_CENTRE), zoom=MAP_ZOOM,
                style={"height": "100%", "width": "100%"},
            ), className="map-wrap"),
            _legend(lang),
        ],
        className="card map-card",
    )


def _grid(lang: str) -> dag.AgGrid:
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("time_sort", "traffic_col_time", sort="desc", width=150,
            valueFormatter={"function": "params.data.time_txt"}),
        col("where", "traffic_col_where", flex=1, minWidth=200, tooltipField="where"),
        col("district", "traffic_col_unit", width=170, tooltipField="district"),
        col("commune", "traffic_col_commune", width=170, tooltipField="commune"),
        col("type", "traffic_col_type", flex=1, minWidth=180),
        col("vehicle", "traffic_col_vehicle", width=120),
        col("plate", "traffic_col_plate", width=170),
        col("status", "traffic_col_status", width=170),
        col("fine", "traffic_col_fine", width=150, type="numericColumn",
            valueFormatter={"function": "params.data.fine_txt"}),
        col("check", "traffic_col_check", flex=1.4, minWidth=260, tooltipField="check"),
        col("channel", "traffic_col_channel", width=150),
        col("external_id", "traffic_col_id", width=190),
    ]
    return dag.AgGrid(
        id=ids.TR_GRID, columnDefs=columns, rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        rowClassRules={"tr-row-flag": "params.data.flag"},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": 15,
                         "paginationPageSizeSelector": [15, 50, 100], "animateRows": False,
                         "enableCellTextSelection": True, "tooltipShowDelay": 400, "domLayout": "autoHeight",
                         "localeText": grid_locale(lang, t("no_data", lang))},
        style={"width": "100%"},
    )


def _card(key: str, title_key: str, lang: str, extra: str = "") -> html.Section:
    return chart_card(key, t(title_key, lang), lang, FILE_STEMS[key], f"tr-card {extra}".strip(),
                      graph_id=ids.tr_chart(key), button_type=ids.TR_CSV_BUTTON)


def layout(settings: Any, today: date, lang_pref: str | None = None, unit_map: UnitMap | None = None,
           **params: Any) -> html.Div:
    """The page for the query string ``params`` (``today`` is the local date; ``unit_map``: the
    store's units, which a ``unit`` in the URL must be one of; default: the shipped ones)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_traffic_query(params, today, unit_filter_codes(unit_map or UnitMap.default()))
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=ids.TR_URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.TR_VERSION),
            dcc.Store(id=ids.TR_TOP_READY),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("traffic", "page-fresh"),
            _filters(query, today, lang),
            html.Div(unit_note(UnitMap.default(), query, lang), id=UNIT_NOTE, className="unit-note", role="status"),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=ids.TR_TILES, className="tiles tiles-9"),
            html.Div([_map_card(settings, lang), _card("heatmap", "traffic_heatmap", lang, "trend-card")],
                     className="row row-main"),
            html.Div([_card("type", "traffic_by_type", lang), _card("vehicle", "traffic_by_vehicle", lang),
                      _card("fines", "traffic_fines", lang, "tr-fines-card")], className="row tr-row-charts"),
            html.Div([_card("commune", "traffic_by_commune", lang, "tr-unit-card"),
                      html.Div(_card("district", "traffic_by_district", lang, "tr-unit-card"), id=DISTRICT_CARD,
                               hidden=query.start >= UnitMap.default().changeover)],
                     className="row tr-row-units"),
            html.Section(
                [
                    html.Header([html.H2(t("traffic_recent", lang), className="card-title"),
                                 html.Span(id=ids.TR_GRID_NOTE, className="card-note"),
                                 csv_button("recent", lang, ids.TR_CSV_BUTTON)], className="card-head"),
                    _grid(lang),
                ],
                className="card grid-card",
            ),
        ],
        className="page page-traffic",
        **{"data-family": "traffic"},
    )
