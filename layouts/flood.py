"""Rivers and rain page (path "/flood"): water levels against the flood alarm levels of Decision
05/2020/QĐ-TTg, and rain (sông ngòi, mưa lũ).

KPI tiles (the highest alarm level now and where, river stations at alarm, the highest 24-hour
rain and where, stations reporting); the stations on a map, river stations coloured and
labelled by their alarm level, rain stations sized by their 24-hour rain, with the legend; a
hydrograph per river station with its alarm lines, its rate of rise and its rain; the stations'
table; the source of the alarm levels. ``?from=…&to=…&lang=…``: the family declares the period
alone, so the shared filter bar is the period's; without dates the page shows the last 3 days.
The layout builds the skeleton from data handed in; :mod:`callbacks.flood` fills it. Every id
starts with ``fl-``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain import floods as rules
from ioc.domain.units import HUE_CENTRE
from ioc.i18n import t
from ioc.kpi.filters import Problem, Selection, parse_params
from ioc.kpi.floods import FLOOD_FILTERS
from layouts import ids
from layouts.components import chart_card, csv_button, error_banner, fresh_badge, grid_locale
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import GRID_THEME
from layouts.flood_shaping import RAIN_COLOUR, FloodTile, alarm_colours, alarm_label
from layouts.query import parse_lang

BAR = FilterBar("flood", FLOOD_FILTERS, "fl")
DEFAULT_DAYS = 3  # without dates: the last 3 days (today included), a flood's rise and fall
TILE_KEYS = ("highest_alarm", "stations_at_alarm", "max_rain_24h", "reporting_stations")
TILE_LABELS = {"highest_alarm": "fl_kpi_highest_alarm", "stations_at_alarm": "fl_kpi_stations_at_alarm",
               "max_rain_24h": "fl_kpi_max_rain_24h", "reporting_stations": "fl_kpi_reporting"}
VERSION = "fl-version"  # dcc.Store: the flood family's data version
TILES = "fl-tiles"
MAP = "fl-map"
MAP_LAYER = "fl-map-stations"
MAP_NOTE = "fl-map-note"
GRID = "fl-grid"
GRID_NOTE = "fl-grid-note"
CSV_BUTTON = "fl-csv"
STATION_MARKER = {"variable": "dashExtensions.iocFlood.stationMarker"}
EMPTY_GEOJSON: dict[str, Any] = {"type": "FeatureCollection", "features": []}
MAP_ZOOM = 10
FILE_STEMS = {"stations": "mua-lu_tram"}


def hydro_id(station_id: str) -> str:
    return f"fl-hydro-{station_id}"


def hydro_note_id(station_id: str) -> str:
    return f"fl-hydro-note-{station_id}"


def river_stations() -> list[rules.Station]:
    """The river stations with alarm levels, in the data file's order (one hydrograph each)."""
    return [s for s in rules.stations().values() if s.kind == "river" and s.levels]


def hydro_file_stem(station_id: str) -> str:
    return f"mua-lu_thuy-do_{station_id.replace('_', '-')}"


def flood_tile(spec: FloodTile) -> html.Div:
    """A KPI tile; the alarm tile carries its level's colour, the level named in the value."""
    style = {"borderLeftColor": spec.colour} if spec.colour else None
    value: Any = spec.value
    if spec.colour and spec.key == "highest_alarm":
        value = html.Span(spec.value, className="fl-alarm-badge", style={"background": spec.colour,
                                                                          "color": spec.text_colour})
    return html.Div(
        [html.Div(spec.label, className="tile-label"), html.Div(value, className="tile-value", title=spec.value),
         html.Div(spec.sub, className="tile-sub", title=spec.sub)],
        id=f"tile-fl-{spec.key}", className=f"tile fl-tile tile-{spec.state}", style=style,
        title=f"{spec.label}: {spec.value}",
        **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw), "data-state": spec.state},
    )


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    """Labelled empty tiles (the Overview card, the wall panel and the page before the data)."""
    return [html.Div([html.Div(t(TILE_LABELS[k], lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def legend(lang: str) -> html.Div:
    """The alarm levels (colour, number and name: never colour alone) and the rain stations."""
    items = []
    for level in range(4):
        bg, fg = alarm_colours(level)
        items.append(html.Span([html.Span(rules.ROMAN[level] or "0", className="fl-swatch",
                                          style={"background": bg, "color": fg}), alarm_label(level, lang)],
                               className="legend-item", **{"data-alarm": str(level)}))
    bg, fg = alarm_colours(None)
    items.append(html.Span([html.Span("–", className="fl-swatch", style={"background": bg, "color": fg}),
                            t("fl_no_level_now", lang)], className="legend-item"))
    items.append(html.Span([html.Span("mm", className="fl-swatch fl-swatch-rain", style={"background": RAIN_COLOUR}),
                            t("fl_legend_rain", lang)], className="legend-item", **{"data-alarm": "rain"}))
    return html.Div([html.Span(t("fl_legend", lang), className="legend-title"), *items], className="map-legend fl-legend")


def _map_card(settings: Any, lang: str) -> html.Section:
    centre = [sum(s.lat for s in rules.stations().values()) / len(rules.stations()),
              sum(s.lon for s in rules.stations().values()) / len(rules.stations())] if rules.stations() \
        else list(HUE_CENTRE)
    return html.Section(
        [
            html.Header([html.H2(t("fl_map", lang), className="card-title"),
                         html.Span(id=MAP_NOTE, className="card-note")], className="card-head"),
            html.Div(dl.MapContainer(
                [dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                 dl.GeoJSON(id=MAP_LAYER, data=EMPTY_GEOJSON, pointToLayer=STATION_MARKER),
                 dl.ScaleControl(position="bottomleft", imperial=False)],
                id=MAP, center=centre, zoom=MAP_ZOOM, style={"height": "100%", "width": "100%"}),
                className="map-wrap"),
            legend(lang),
        ],
        className="card map-card fl-map-card",
    )


def _hydro_column(lang: str) -> html.Div:
    cards = [chart_card(s.station_id, t("fl_hydro_card", lang, station=s.name, river=s.river), lang,
                        hydro_file_stem(s.station_id), "fl-hydro-card", note_id=hydro_note_id(s.station_id),
                        graph_id=hydro_id(s.station_id), button_type=CSV_BUTTON)
             for s in river_stations()]
    return html.Div(cards, className="fl-hydro-column")


def stations_grid(lang: str) -> dag.AgGrid:
    """The stations, river stations first (rows as data, texts as text; numbers sort by value)."""
    def col(field: str, key: str, text: str | None = None, **extra: Any) -> dict:
        spec = {"field": field, "headerName": t(key, lang), **extra}
        if text:
            spec["valueFormatter"] = {"function": f"params.data.{text}"}
        return spec

    num = {"type": "numericColumn"}
    columns = [
        col("name", "fl_col_station", "name_text", minWidth=150, flex=1, pinned="left", tooltipField="name_text",
            cellClassRules={"fl-cell-sim": "params.data.simulated"}),
        col("river", "fl_col_river", width=95),
        col("level", "fl_col_level", "level_text", width=115, **num),
        col("alarm", "fl_col_alarm", "alarm_text", width=175, sort="desc",
            cellStyle={"function": "params.data.colour ? {backgroundColor: params.data.colour, "
                                   "color: params.data.text_colour, fontWeight: 800} : {}"}),
        col("level_i_text", "fl_col_level_i", width=90, **num),
        col("level_ii_text", "fl_col_level_ii", width=90, **num),
        col("level_iii_text", "fl_col_level_iii", width=95, **num),
        col("rise", "fl_col_rise_mh", "rise_text", width=120, **num),
        col("rain_24h", "fl_col_rain_24h", "rain_24h_text", width=120, **num),
        col("peak", "fl_col_peak", "peak_text", width=120, **num, tooltipField="peak_alarm_text"),
        col("peak_at_sort", "fl_col_peak_at", "peak_at_text", width=150),
        col("hours_at_alarm", "fl_col_hours_at_alarm", "hours_at_alarm_text", width=130, **num),
        col("rain_total", "fl_col_rain_total", "rain_total_text", width=135, **num),
        col("last_sort", "fl_col_last", "last_text", width=150),
    ]
    return dag.AgGrid(
        id=GRID, columnDefs=columns, rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={"theme": GRID_THEME, "animateRows": False, "domLayout": "autoHeight",
                         "enableCellTextSelection": True, "tooltipShowDelay": 300,
                         "localeText": grid_locale(lang, t("fl_no_stations", lang))},
        style={"width": "100%"},
    )


def source_note(lang: str) -> html.Footer:
    """Where the alarm levels come from: the decision, and each station's row of its appendix."""
    cites = [html.Li(s.citation, lang="vi") for s in river_stations() if s.citation]
    return html.Footer([html.P(t("fl_source_note", lang), className="fl-source-lead"),
                        html.Ul(cites, className="fl-source-list"),
                        html.P(t("fl_rules_note", lang, mm=int(rules.HEAVY_RAIN_24H_MM),
                                 extreme=int(rules.EXTREME_RAIN_24H_MM), hours=rules.SILENT_HOURS),
                               className="fl-source-rules")],
                       className="fl-source", id="fl-source")


def _stations_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("fl_stations", lang), className="card-title"),
                      html.Span(id=GRID_NOTE, className="card-note"),
                      csv_button("stations", lang, CSV_BUTTON)], className="card-head"),
         stations_grid(lang), source_note(lang)],
        className="card grid-card fl-stations-card",
    )


def parse_query(params: Mapping[str, object], today: date) -> tuple[Selection, list[Problem]]:
    """The page's parameters (``today`` local). Without ``from`` and ``to``: the last
    :data:`DEFAULT_DAYS` days, today included (the shared default, a year, is for counts)."""
    given = dict(params)
    if given.get("from") in (None, "", []) and given.get("to") in (None, "", []):
        given.update({"from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "to": today.isoformat()})
    return parse_params(FLOOD_FILTERS, given, today)


def layout(settings: Any, today: date, lang_pref: str | None = None, version: int | None = None,
           **params: Any) -> html.Div:
    """The page for ``?from=…&to=…&lang=…`` (``today`` local). ``version``: the family's data
    version as the page is built; the version store starts with it, so the callbacks run once
    as the page appears (not again when the store is first synchronised)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_query(params, today)
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=BAR.id("url"), refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=VERSION, data=version or 0),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("flood", "page-fresh"),
            html.Div([html.H1(t("fl_title", lang), className="page-title fl-title"),
                      html.P(t("fl_intro", lang), className="fl-intro")], className="fl-head"),
            filter_bar(BAR, query, today, lang),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=TILES, className="tiles tiles-4 fl-tiles"),
            html.Div([_map_card(settings, lang), _hydro_column(lang)], className="row row-main fl-row-main"),
            _stations_card(lang),
        ],
        className="page page-flood",
        **{"data-family": "flood"},
    )
