"""Environment page (path "/environment"): air quality by Vietnam's AQI (VN_AQI, Decision 1459).

Stations on the map coloured by their current AQI category with the VN_AQI legend; KPI
tiles; the current AQI per station; hourly AQI over 24 h / 7 d / 30 d with the category
bands behind; sub-indices by pollutant; a calendar of daily AQI; completeness per station;
alerts. The layout validates the URL (``?range=7d&station=…&calendar=…&lang=…``) and builds
the skeleton; :mod:`callbacks.environment` fills it. The Overview's environment section is
built by the Overview from the family's declaration.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.aqi import CATEGORIES
from ioc.domain.units import HUE_CENTRE, UnitMap
from ioc.i18n import t
from layouts import ids
from layouts.compare_shaping import CompareLine
from layouts.components import (
    chart_card,
    chart_links,
    compare_block,
    csv_button,
    error_banner,
    fresh_badge,
    grid_locale,
)
from layouts.controls import LONG_LIST_HEIGHT, dropdown_labels
from layouts.environment_figures import category_label, text_colour
from layouts.environment_shaping import RANGES, EnvTile, parse_env_query
from layouts.feedback import GRID_THEME
from layouts.figures import empty_figure, graph_config
from layouts.query import parse_lang
from layouts.shaping import unit_filter_codes, unit_options

EMPTY_GEOJSON = {"type": "FeatureCollection", "features": []}
STATION_MARKER = {"variable": "dashExtensions.iocEnv.stationMarker"}
UNIT_LABEL = {"variable": "dashExtensions.ioc.unitLabel"}  # the feedback map's district names
TILE_KEYS = ("worst_station", "reporting_stations", "active_alerts", "exceedance_days", "bad_hours",
             "completeness_overall")
FILE_STEMS = {"series": "aqi_theo-gio", "pollutants": "aqi_chat-o-nhiem", "calendar": "aqi_lich-ngay",
              "completeness": "aqi_do-day-du", "stations": "aqi_tram", "alerts": "aqi_canh-bao"}
TILE_LABELS = {"worst_station": "env_kpi_worst", "reporting_stations": "env_kpi_reporting",
               "active_alerts": "env_kpi_alerts", "exceedance_days": "env_kpi_exceedance",
               "bad_hours": "env_kpi_bad_hours", "completeness_overall": "env_kpi_completeness"}


def env_tile(spec: EnvTile, compare: list[CompareLine] | None = None,
             provisional: tuple[str, str] | None = None) -> html.Div:
    """A KPI tile; the AQI tile carries its category colour (with the category named in text);
    ``compare``: its changes against earlier periods (:func:`layouts.components.compare_block`)."""
    style = {"borderLeftColor": spec.colour} if spec.colour else None
    value_style = {"color": spec.colour} if spec.colour else None
    return html.Div(
        [html.Div(spec.label, className="tile-label"), html.Div(spec.value, className="tile-value", style=value_style),
         html.Div(spec.sub, className="tile-sub"), *([compare_block(compare, provisional)] if compare else [])],
        id=f"tile-env-{spec.key}", className=f"tile tile-{spec.state}", style=style, title=f"{spec.label}: {spec.value}",
        **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw), "data-state": spec.state},
    )


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    return [html.Div([html.Div(t(TILE_LABELS[k], lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def legend(lang: str) -> html.Div:
    """The VN_AQI scale: colour, range and name of each category (colour never alone)."""
    items = [html.Span([html.Span(f"{c.lo}–{c.hi}", className="aqi-swatch",
                                  style={"background": c.hex, "color": text_colour(c.hex)}),
                        category_label(c.code, lang)], className="legend-item", **{"data-category": c.code})
             for c in CATEGORIES]
    return html.Div([html.Span(t("env_legend", lang), className="legend-title"), *items], className="map-legend aqi-legend")


def _map_card(settings: Any, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([html.H2(t("env_map", lang), className="card-title"),
                         html.Span(id=ids.ENV_AS_OF, className="card-note"), csv_button("stations", lang,
                                                                                       ids.ENV_CSV_BUTTON)],
                        className="card-head"),
            html.Div(dl.MapContainer(
                [
                    dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                    dl.Pane(dl.GeoJSON(id=ids.ENV_MAP_UNITS, data=EMPTY_GEOJSON, pointToLayer=UNIT_LABEL,
                                       interactive=False), name="unit-labels", style={"zIndex": 350}),
                    dl.GeoJSON(id=ids.ENV_MAP_LAYER, data=EMPTY_GEOJSON, pointToLayer=STATION_MARKER),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
                id=ids.ENV_MAP, center=[HUE_CENTRE[0] - 0.08, HUE_CENTRE[1] - 0.05], zoom=10,
                style={"height": "100%", "width": "100%"},
            ), className="map-wrap"),
            legend(lang),
        ],
        className="card map-card",
    )


def _now_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("env_now", lang), className="card-title")], className="card-head"),
         html.Div(id=ids.ENV_NOW, className="env-now-list"),
         html.Header([html.H2(t("env_kpi_alerts", lang), className="card-title")], className="card-head env-active-head"),
         html.Div(id=ids.ENV_ACTIVE, className="env-active-list", **{"aria-live": "polite"})],
        className="card env-now-card",
    )


def _calendar_card(lang: str, station: str | None) -> html.Section:
    return html.Section(
        [
            html.Header([
                html.H2(t("env_chart_calendar", lang), className="card-title"),
                dcc.Dropdown(id=ids.ENV_CALENDAR_STATION, options=[], value=station, clearable=False,
                             placeholder=t("env_calendar_station", lang), className="env-calendar-station"),
                *chart_links("calendar", lang, ids.ENV_CSV_BUTTON),
            ], className="card-head"),
            dcc.Graph(id=ids.env_chart("calendar"), figure=empty_figure("", lang),
                      config=graph_config(FILE_STEMS["calendar"]), className="chart", responsive=True),
        ],
        className="card chart-card calendar-card",
    )


def _alerts_grid(lang: str) -> dag.AgGrid:
    """The alert history: one grid component (rows as data, text as text), ongoing first."""
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("severity_label", "env_col_severity", width=130,
            cellStyle={"function": "({color: params.data.colour, fontWeight: 800})"}),
        col("kind_label", "env_col_kind", width=190),
        col("station", "env_col_station", flex=1, minWidth=220, tooltipField="station"),
        col("start_sort", "env_col_start", width=170, sort="desc", valueFormatter={"function": "params.data.start"}),
        col("end_sort", "env_col_end", width=170, valueFormatter={"function": "params.data.end_text"}),
        col("hours", "env_col_duration", width=130, type="numericColumn",
            valueFormatter={"function": "params.data.duration"}),
        col("details", "env_col_details", flex=1, minWidth=200),
    ]
    return dag.AgGrid(
        id=ids.ENV_ALERTS, columnDefs=columns, rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        rowClassRules={"env-alert-active": "params.data.active"},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": 10,
                         "paginationPageSizeSelector": [10, 25, 100], "animateRows": False, "domLayout": "autoHeight",
                         "enableCellTextSelection": True, "localeText": grid_locale(lang, t("env_alert_none", lang))},
        style={"width": "100%"},
    )


def _alerts_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("env_alerts", lang), className="card-title"),
                      html.Span(id=ids.ENV_ALERTS_NOTE, className="card-note"),
                      csv_button("alerts", lang, ids.ENV_CSV_BUTTON)], className="card-head"),
         _alerts_grid(lang)],
        className="card env-alerts-card",
    )


def unit_dropdown(query: Any, lang: str, units: UnitMap | None = None, today: date | None = None) -> dcc.Dropdown:
    """The stations of one commune: today's 40 communes, grouped and searchable without diacritics."""
    units = units or UnitMap.default()
    day = today or units.changeover
    options = unit_options(units, max(day, units.changeover), max(day, units.changeover) + timedelta(days=1), lang)
    if query.unit and query.unit not in {o["value"] for o in options}:
        options.append({"label": query.unit, "value": query.unit})
    return dcc.Dropdown(id=ids.ENV_UNIT, options=options, value=query.unit, placeholder=t("unit_all", lang),
                        clearable=True, maxHeight=LONG_LIST_HEIGHT, labels=dropdown_labels(lang))


def controls(query: Any, lang: str, units: UnitMap | None = None, today: date | None = None) -> html.Div:
    return html.Div(
        [
            html.Div([html.Label(t("env_range", lang), className="filter-label"),
                      dcc.RadioItems(id=ids.ENV_RANGE, value=query.range, className="seg", inline=True,
                                     options=[{"label": t(f"env_range_{r}", lang), "value": r} for r in RANGES])],
                     className="filter filter-range"),
            html.Div([html.Label(t("unit_filter", lang), className="filter-label"), unit_dropdown(query, lang, units, today)],
                     className="filter filter-unit"),
            html.Div([html.Label(t("env_stations_pick", lang), className="filter-label"),
                      dcc.Dropdown(id=ids.ENV_STATIONS, options=[{"label": s, "value": s} for s in query.stations],
                                   value=list(query.stations), multi=True, placeholder=t("env_stations_all", lang))],
                     className="filter filter-stations"),
            html.H1(t("env_title", lang), className="page-title env-title"),
        ],
        className="filter-bar env-controls",
    )


def layout(settings: Any, today: date, lang_pref: str | None = None, unit_map: UnitMap | None = None,
           **params: Any) -> html.Div:
    """The page for ``?range=…&station=…&calendar=…&unit=…&lang=…`` (``today`` local)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_env_query(params, unit_filter_codes(unit_map or UnitMap.default()))
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=ids.ENV_URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.ENV_VERSION),
            dcc.Store(id=ids.ENV_TOP_READY),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("environment", "page-fresh"),
            controls(query, lang, unit_map, today),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=ids.ENV_TILES, className="tiles tiles-6"),
            html.Div([_map_card(settings, lang), _now_card(lang)], className="row row-main env-row-main"),
            html.Div(
                [chart_card("series", t("env_chart_series", lang), lang, FILE_STEMS["series"], "env-series-card",
                            graph_id=ids.env_chart("series"), button_type=ids.ENV_CSV_BUTTON),
                 chart_card("pollutants", t("env_chart_pollutants", lang), lang, FILE_STEMS["pollutants"],
                            "env-pollutants-card", graph_id=ids.env_chart("pollutants"), button_type=ids.ENV_CSV_BUTTON)],
                className="row env-row-charts",
            ),
            html.Div(
                [_calendar_card(lang, query.calendar),
                 chart_card("completeness", t("env_chart_completeness", lang), lang, FILE_STEMS["completeness"],
                            "env-completeness-card", note_id=ids.ENV_COMPLETENESS_NOTE,
                            graph_id=ids.env_chart("completeness"), button_type=ids.ENV_CSV_BUTTON)],
                className="row env-row-charts",
            ),
            _alerts_card(lang),
        ],
        className="page page-environment",
        **{"data-family": "environment"},
    )
