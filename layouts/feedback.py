"""Feedback page (path "/feedback"): filters from the URL, KPI tiles, map, trend, breakdowns,
overdue queue. The layout validates the query string and builds the skeleton; callbacks in
:mod:`callbacks.feedback` fill it and keep the URL in step with the filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.feedback import CATEGORIES, STATUS_COLOURS, STATUS_LABELS
from ioc.domain.units import HUE_CENTRE, UnitMap
from ioc.i18n import status_label, t
from ioc.kpi.feedback import CATEGORY, FEEDBACK_FILTERS
from ioc.kpi.filters import Selection
from layouts import ids
from layouts.components import chart_card, csv_button, error_banner, fresh_badge, grid_locale, tile_placeholders
from layouts.controls import FilterBar, filter_bar
from layouts.exports import FILE_STEMS
from layouts.figures import BG, CARD, GRID, TEXT
from layouts.query import parse_feedback_query, parse_lang
from layouts.shaping import area_choices, unit_filter_codes, unit_notes, unit_options

TILE_KEYS = ("received", "processed_rate", "on_time_rate", "overdue", "satisfaction_rate", "rated_share",
             "median_resolution_hours", "p90_resolution_hours")
EMPTY_GEOJSON = {"type": "FeatureCollection", "features": []}
POINT_TO_LAYER = {"variable": "dashExtensions.ioc.pointToLayer"}
#: cluster bubbles whose count is grouped as the page's language writes numbers (assets/ioc.js)
CLUSTER_TO_LAYER = {"variable": "dashExtensions.ioc.clusterToLayer"}
UNIT_LABEL = {"variable": "dashExtensions.ioc.unitLabel"}
GRID_THEME = {"function": (
    f"themeQuartz.withParams({{backgroundColor: '{CARD}', foregroundColor: '{TEXT}', "
    f"headerBackgroundColor: '{BG}', borderColor: '{GRID}', accentColor: '#38bdf8', "
    "oddRowBackgroundColor: '#0f1826', fontFamily: 'inherit', fontSize: 14, headerFontSize: 13, "
    "spacing: 6, wrapperBorderRadius: 6})"
)}


# the category codes the filter bar accepts are the shipped ones and those the store holds
# (callbacks.feedback binds them per data version: ``known_categories``)
BAR = FilterBar("feedback", FEEDBACK_FILTERS, "fb", classes={"unit": "filter-unit"})


def _filters(query: Selection, today: date, lang: str, units: UnitMap) -> html.Div:
    """The filter bar; the unit dropdown lists the current communes (and, for a period before
    1 July 2025, the district-level units of then), searchable without diacritics."""
    options = unit_options(units, query.start, query.end, lang)
    if query.unit and query.unit not in {o["value"] for o in options}:  # what the URL asked for stays visible
        known = units.version(query.unit)
        options.append({"label": known.name if known else query.unit, "value": query.unit})
    return filter_bar(BAR, query, today, lang, {
        "category": CATEGORY.options(lang, data=CATEGORIES, current=query.category), "unit": options})


def unit_note(notes: list[str]) -> list:
    """The unit map's notices for the period, one paragraph each (none: nothing shown)."""
    return [html.P(n, className="unit-note-line") for n in notes]


def area_toggle(units: UnitMap, query: Selection, lang: str, value: str = "commune") -> dcc.RadioItems:
    """How the "by area" chart groups: today's communes, or (a period wholly before 1 July 2025)
    the district-level units of then."""
    allowed = area_choices(units, query.start, query.end)
    return dcc.RadioItems(
        id=ids.FB_AREA_BY, value=value if value in allowed else "commune", inline=True, className="seg seg-small",
        options=[{"label": t(f"area_by_{k}", lang), "value": k, "disabled": k not in allowed}
                 for k in ("commune", "district")])


def _legend(lang: str) -> html.Div:
    return html.Div(
        [html.Span([html.Span(className="legend-dot", style={"background": STATUS_COLOURS[s]}), status_label(s, lang)],
                   className="legend-item") for s in STATUS_LABELS],
        className="map-legend",
    )


def _map_card(settings: Any, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([html.H2(t("chart_map", lang), className="card-title"),
                         html.Span(id=ids.FB_MAP_NOTE, className="card-note"), csv_button("map", lang)],
                        className="card-head"),
            html.Div(dl.MapContainer(
                [
                    dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                    dl.Pane(dl.GeoJSON(id=ids.FB_MAP_UNITS, data=EMPTY_GEOJSON, pointToLayer=UNIT_LABEL,
                                       interactive=False), name="unit-labels", style={"zIndex": 350}),
                    dl.GeoJSON(id=ids.FB_MAP_LAYER, data=EMPTY_GEOJSON, cluster=True, zoomToBoundsOnClick=True,
                               superClusterOptions={"radius": 56, "maxZoom": 15},
                               pointToLayer=POINT_TO_LAYER, clusterToLayer=CLUSTER_TO_LAYER,
                               hideout={"colours": STATUS_COLOURS, "lang": lang}),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
                id=ids.FB_MAP, center=list(HUE_CENTRE), zoom=10, style={"height": "100%", "width": "100%"},
            ), className="map-wrap"),
            _legend(lang),
        ],
        className="card map-card",
    )


def _grid(lang: str) -> dag.AgGrid:
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("overdue_days", "col_overdue_days", sort="desc", width=150, type="numericColumn",
            valueFormatter={"function": "params.data.overdue_txt"}, filter="agNumberColumnFilter"),
        col("id", "col_id", width=170),
        col("category", "col_category", width=170),
        col("description", "col_description", flex=2, minWidth=240, tooltipField="description"),
        col("address", "col_address", flex=1, minWidth=180, tooltipField="address"),
        col("unit", "col_unit", width=190, tooltipField="unit"),
        col("commune", "col_commune", width=170),
        col("handling_unit", "col_handling", flex=1, minWidth=180, tooltipField="handling_unit"),
        col("status", "col_status", width=140),
        col("received_sort", "col_received", width=150, valueFormatter={"function": "params.data.received_txt"}),
        col("due_sort", "col_due", width=150, valueFormatter={"function": "params.data.due_txt"}),
        col("channel", "col_channel", width=140),
    ]
    return dag.AgGrid(
        id=ids.FB_GRID,
        columnDefs=columns,
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        getRowId="params.data.id",
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": 15,
                         "paginationPageSizeSelector": [15, 50, 100], "animateRows": False,
                         "enableCellTextSelection": True, "tooltipShowDelay": 400, "domLayout": "autoHeight",
                         "localeText": grid_locale(lang, t("no_data", lang))},
        style={"width": "100%"},
    )


def layout(settings: Any, today: date, lang_pref: str | None = None, unit_map: UnitMap | None = None,
           categories: Iterable[str] | None = None, **params: Any) -> html.Div:
    """The page for ``?from=…&to=…&unit=…&category=…&channel=…&lang=…`` (``today`` local; the
    older ``district=`` is read as ``unit``); ``unit_map``: the store's units (default: the shipped ones);
    ``categories``: the category codes a ``?category=`` may name (default: the shipped ones)."""
    units = unit_map or UnitMap.default()
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_feedback_query(params, today, unit_filter_codes(units), categories)
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=ids.FB_URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.FB_TOP_READY),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("feedback", "page-fresh"),
            _filters(query, today, lang, units),
            html.Div(unit_note(unit_notes(units, query.start, query.end, query.unit, lang)), id=ids.FB_UNIT_NOTE,
                     className="unit-note", role="status"),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=ids.FB_TILES, className="tiles tiles-8"),
            html.Div(
                [
                    _map_card(settings, lang),
                    chart_card("trend", t("chart_trend", lang), lang, FILE_STEMS["trend"], "trend-card",
                               note_id=f"{ids.chart('trend')}-note"),
                ],
                className="row row-main",
            ),
            html.Div(
                [
                    chart_card("category", t("chart_category", lang), lang, FILE_STEMS["category"]),
                    chart_card("district", t("chart_district", lang), lang, FILE_STEMS["district"], "area-card",
                               tools=area_toggle(units, query, lang)),
                    chart_card("channel", t("chart_channel", lang), lang, FILE_STEMS["channel"]),
                    chart_card("handling", t("chart_handling", lang), lang, FILE_STEMS["handling"]),
                ],
                className="row row-breakdowns",
            ),
            html.Section(
                [
                    html.Header([html.H2(t("chart_overdue", lang), className="card-title"),
                                 html.Span(id=ids.FB_GRID_NOTE, className="card-note"), csv_button("overdue", lang)],
                                className="card-head"),
                    _grid(lang),
                ],
                className="card grid-card",
            ),
        ],
        className="page page-feedback",
        **{"data-family": "feedback"},
    )
