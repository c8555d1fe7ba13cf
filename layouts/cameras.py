"""Urban-cameras page (path "/cameras"): the city's camera registry and its health (camera đô thị).

``?from=…&to=…&unit=…&type=…&event=…&lang=…``: the period (default: the last 30 days, a
maintenance contract's month), the camera's commune, its type (purpose: traffic, security,
flood) and the AI event kinds. KPI tiles (online now, offline, offline more than 30 minutes,
the period's uptime against the 98 % target, AI events, fire or smoke); a map of the cameras
now, coloured by their state, shaped by their purpose; the offline cameras, the longest silent
first; AI events per day stacked by kind; the latest AI events; the worst uptimes of the period.

Camera positions are not personal data: every reader sees the map and the tables. The layout
builds the skeleton from data handed in; :mod:`callbacks.cameras` fills it. Every id starts
with ``cam-``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain import cameras as rules
from ioc.domain.units import UnitMap
from ioc.i18n import t
from ioc.kpi.cameras import CAMERA_FILTERS
from ioc.kpi.filters import Problem, Selection, parse_params
from layouts import ids
from layouts.cameras_shaping import PURPOSE_SHAPES, STATE_COLOURS, STATES, purpose_label, state_label
from layouts.components import STATE_ICONS, chart_card, csv_button, error_banner, fresh_badge, grid_locale
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import GRID_THEME
from layouts.query import parse_lang
from layouts.shaping import Tile, unit_filter_codes, unit_notes, unit_options

#: the family's filters by their URL key (their names are the KPI module's)
FILTER_BY_KEY = {f.url_key: f for f in CAMERA_FILTERS}
UNIT_FILTER, PURPOSE_FILTER, EVENT_FILTER = FILTER_BY_KEY["unit"], FILTER_BY_KEY["type"], FILTER_BY_KEY["event"]
BAR = FilterBar("cameras", CAMERA_FILTERS, "cam",
                classes={UNIT_FILTER.name: "filter-unit", EVENT_FILTER.name: "filter-wide cam-filter-event"})
DEFAULT_DAYS = 30  # without dates: the last 30 days, today included (uptime is contracted by the month)

TILE_KEYS = ("online", "offline", "offline_30m", "uptime_pct", "events", "fire_smoke")
TILE_LABELS = {"online": "cam_kpi_online", "offline": "cam_kpi_offline", "offline_30m": "cam_kpi_offline_30m",
               "uptime_pct": "cam_kpi_uptime", "events": "cam_kpi_events", "fire_smoke": "cam_kpi_fire_smoke"}
VERSION = "cam-version"  # dcc.Store: the cameras family's data version
SELECTED = "cam-selected"  # dcc.Store: the code of the camera chosen in a table (the map flies to it)
TILES = "cam-tiles"
UNIT_NOTE = "cam-unit-note"
MAP = "cam-map"
MARKERS = "cam-markers"  # dl.GeoJSON: the cameras now (drawn by assets/cameras.js)
MAP_NOTE = "cam-map-note"
OFFLINE_GRID = "cam-offline-grid"
OFFLINE_NOTE = "cam-offline-note"
EVENTS_CHART = "cam-events-chart"
EVENTS_NOTE = "cam-events-note"
EVENTS_GRID = "cam-events-grid"
EVENTS_GRID_NOTE = "cam-events-grid-note"
UPTIME_GRID = "cam-uptime-grid"
UPTIME_NOTE = "cam-uptime-note"
CSV_BUTTON = "cam-csv"
FILE_STEMS = {"events_daily": "camera_su-kien-theo-ngay", "offline": "camera_mat-ket-noi",
              "events": "camera_su-kien-moi-nhat", "uptime": "camera_thoi-gian-hoat-dong"}
RECORD_EXPORTS = frozenset(("events",))  # one row per AI event: an export, the others are reports
GRIDS = (OFFLINE_GRID, EVENTS_GRID, UPTIME_GRID)
#: the city and its outskirts, where all but the national road's cameras stand (Phú Bài included),
#: on a wall screen (half zoom steps: 12 leaves the city small, 13 leaves Phú Bài out)
MAP_CENTRE, MAP_ZOOM = (16.46, 107.60), 12.5
FOCUS_ZOOM = 17  # a camera chosen in a table: its street
CAMERA_MARKER = {"variable": "dashExtensions.iocCameras.marker"}
EMPTY_GEOJSON: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def camera_tile(spec: Tile, lang: str) -> html.Div:
    """A KPI tile; its state given as icon and text beside the colour, the target beside it."""
    meta: list[Any] = []
    if spec.state in ("good", "warn", "bad"):
        meta.append(html.Span([html.Span(STATE_ICONS[spec.state], className="tile-icon", **{"aria-hidden": "true"}),
                               t(f"cam_tile_{spec.state}", lang)], className="tile-state"))
    if spec.target:
        meta.append(html.Span(spec.target, className="tile-target"))
    return html.Div(
        [html.Div(spec.label, className="tile-label"), html.Div(spec.value, className="tile-value"),
         html.Div(meta, className="tile-meta"), html.Div(spec.sub, className="tile-sub", title=spec.sub)],
        id=f"tile-cam-{spec.key}", className=f"tile cam-tile tile-{spec.state}", title=f"{spec.label}: {spec.value}",
        **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw), "data-state": spec.state},
    )


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    """Labelled empty tiles (the Overview card, the wall panel and the page before the data)."""
    return [html.Div([html.Div(t(TILE_LABELS[k], lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def parse_query(params: Mapping[str, object], today: date,
                known_units: Iterable[str] | None = None) -> tuple[Selection, list[Problem]]:
    """The page's parameters (``today`` local). Without ``from`` and ``to``: the last
    :data:`DEFAULT_DAYS` days, today included; a ``unit`` must be one of ``known_units`` (when given)."""
    given = dict(params)
    if given.get("from") in (None, "", []) and given.get("to") in (None, "", []):
        given.update({"from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "to": today.isoformat()})
    return parse_params(CAMERA_FILTERS, given, today,
                        None if known_units is None else {UNIT_FILTER.name: tuple(known_units)})


def unit_note(units: UnitMap, query: Selection, lang: str) -> str:
    """The notice under the filter bar: the period spans the change of map, or a district-level
    unit is chosen for a period past it (:func:`layouts.shaping.unit_notes`)."""
    return " ".join(unit_notes(units, query.start, query.end, query.get(UNIT_FILTER.name), lang))


def shape_swatch(purpose: str) -> html.Span:
    return html.Span(className=f"cam-swatch cam-shape-{PURPOSE_SHAPES[purpose]}", **{"aria-hidden": "true"})


def legend(lang: str) -> html.Div:
    """The markers' meaning: each state's colour and name, then each purpose's shape and name."""
    items = [html.Span([html.Span(className="cam-swatch cam-shape-circle", style={"background": STATE_COLOURS[s]},
                                  **{"aria-hidden": "true"}), state_label(s, lang)],
                       className="legend-item", **{"data-state": s}) for s in STATES]
    items.append(html.Span(className="cam-legend-sep", **{"aria-hidden": "true"}))
    items += [html.Span([shape_swatch(p), purpose_label(p, lang)], className="legend-item cam-legend-purpose",
                        **{"data-purpose": p}) for p in rules.PURPOSES]
    return html.Div([html.Span(t("cam_legend", lang), className="legend-title"), *items],
                    className="map-legend cam-legend")


def _map_card(settings: Any, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([html.H2(t("cam_map", lang), className="card-title"),
                         html.Span(id=MAP_NOTE, className="card-note")], className="card-head"),
            html.Div(dl.MapContainer(
                [dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                 dl.GeoJSON(id=MARKERS, data=EMPTY_GEOJSON, pointToLayer=CAMERA_MARKER, bubblingMouseEvents=False),
                 dl.ScaleControl(position="bottomleft", imperial=False)],
                id=MAP, center=list(MAP_CENTRE), zoom=MAP_ZOOM, zoomSnap=0.5, style={"height": "100%", "width": "100%"}),
                className="map-wrap cam-map-wrap"),
            legend(lang),
        ],
        className="card map-card cam-map-card",
    )


def _col(lang: str, field: str, key: str, text: str | None = None, **extra: Any) -> dict:
    """A grid column: ``field`` holds the value it sorts by, ``text`` (a row field) what it shows."""
    spec = {"field": field, "headerName": t(key, lang), **extra}
    if text:
        spec["valueFormatter"] = {"function": f"params.data.{text}"}
    return spec


def _grid(grid_id: str, columns: list[dict], lang: str, empty_key: str, row_id: str, page_size: int | None = 10,
          **options: Any) -> dag.AgGrid:
    grid_options = {"theme": GRID_THEME, "animateRows": False, "enableCellTextSelection": True,
                    "tooltipShowDelay": 300, "localeText": grid_locale(lang, t(empty_key, lang)),
                    "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                    **options}
    if page_size:
        grid_options.update(pagination=True, paginationPageSize=page_size,
                            paginationPageSizeSelector=[page_size, 50, 100], domLayout="autoHeight")
    return dag.AgGrid(id=grid_id, columnDefs=columns, rowData=[], getRowId=f"params.data.{row_id}",
                      defaultColDef={"sortable": True, "resizable": True, "filter": True, "wrapHeaderText": True,
                                     "autoHeaderHeight": True},
                      dashGridOptions=grid_options, style={"width": "100%", **({} if page_size else {"height": "100%"})},
                      className="cam-grid")


def offline_grid(lang: str) -> dag.AgGrid:
    """The cameras not online now, the longest silent first (the duration sorts by seconds)."""
    sim = {"cam-cell-sim": "params.data.simulated"}
    columns = [
        _col(lang, "code", "cam_col_code", width=110, pinned="left", cellClassRules=sim, tooltipField="code"),
        _col(lang, "name", "cam_col_name", flex=1, minWidth=150, tooltipField="name"),
        _col(lang, "purpose_label", "cam_col_type", width=140, tooltipField="purpose_label"),
        _col(lang, "last_sort", "cam_col_offline_since", "last_seen", width=165),
        _col(lang, "offline_s", "cam_col_offline_for", "offline_for", width=150, sort="desc", type="numericColumn",
             cellStyle={"function": "({color: params.data.colour, fontWeight: 800})"}),
    ]
    return _grid(OFFLINE_GRID, columns, lang, "cam_no_offline", "code", page_size=None)


def events_grid(lang: str) -> dag.AgGrid:
    """The latest AI events of the selection, newest first."""
    columns = [
        _col(lang, "time_sort", "cam_col_time", "time", width=165, sort="desc",
             cellClassRules={"cam-cell-sim": "params.data.simulated"}),
        _col(lang, "kind_label", "cam_col_event", width=170,
             cellStyle={"function": "({color: params.data.colour, fontWeight: 700})"}),
        _col(lang, "camera", "cam_col_camera", flex=1, minWidth=160, tooltipField="camera"),
        _col(lang, "purpose_label", "cam_col_type", width=140, tooltipField="purpose_label"),
        _col(lang, "unit", "cam_col_unit", width=160, tooltipField="unit"),
        _col(lang, "confidence", "cam_col_confidence", "confidence_text", width=130, type="numericColumn"),
        _col(lang, "review_label", "cam_col_review", width=130,
             cellClassRules={"cam-cell-false": "params.data.review === 'false_alarm'"}),
    ]
    return _grid(EVENTS_GRID, columns, lang, "cam_no_events", "id")


def uptime_grid(lang: str) -> dag.AgGrid:
    """Each camera's uptime in the period, the worst first; those under the target marked."""
    columns = [
        _col(lang, "code", "cam_col_code", width=130, pinned="left",
             cellClassRules={"cam-cell-sim": "params.data.simulated"}),
        _col(lang, "name", "cam_col_name", flex=1, minWidth=170, tooltipField="name"),
        _col(lang, "purpose_label", "cam_col_type", width=150, tooltipField="purpose_label"),
        _col(lang, "unit", "cam_col_unit", width=170, tooltipField="unit"),
        _col(lang, "uptime_pct", "cam_col_uptime", "uptime", width=125, sort="asc", type="numericColumn",
             cellClassRules={"cam-cell-below": "params.data.below"}),
        _col(lang, "offline_s", "cam_col_offline_total", "offline", width=150, type="numericColumn"),
        _col(lang, "outages", "cam_col_outages", "outages_text", width=120, type="numericColumn"),
        _col(lang, "observed", "cam_col_observed", width=150, sortable=False),
    ]
    return _grid(UPTIME_GRID, columns, lang, "cam_no_uptime", "code")


def _card_head(title_key: str, note_id: str, lang: str, csv_key: str | None) -> html.Header:
    parts: list[Any] = [html.H2(t(title_key, lang), className="card-title"), html.Span(id=note_id, className="card-note")]
    if csv_key:
        parts.append(csv_button(csv_key, lang, CSV_BUTTON))
    return html.Header(parts, className="card-head")


def _offline_card(lang: str) -> html.Section:
    return html.Section([_card_head("cam_offline_title", OFFLINE_NOTE, lang, "offline"),
                         html.Div(offline_grid(lang), className="cam-offline-wrap")],
                        className="card grid-card cam-offline-card")


def layout(settings: Any, today: date, lang_pref: str | None = None, version: int | None = None,
           unit_map: UnitMap | None = None, **params: Any) -> html.Div:
    """The page for ``?from=…&to=…&unit=…&type=…&event=…&lang=…`` (``today`` local).
    ``version``: the family's data version as the page is built (the callbacks run once as the
    page appears); ``unit_map``: the store's units, which a ``unit`` must be one of (default: the
    shipped ones)."""
    units = unit_map or UnitMap.default()
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_query({k: v for k, v in params.items() if k != "lang"}, today, unit_filter_codes(units))
    if lang_problem:
        problems.append(lang_problem)
    unit = query.get(UNIT_FILTER.name)
    bar = filter_bar(BAR, query, today, lang,
                     options={UNIT_FILTER.name: unit_options(units, query.start, query.end, lang, [unit or ""])})
    return html.Div(
        [
            dcc.Location(id=BAR.id("url"), refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=VERSION, data=version or 0),
            dcc.Store(id=SELECTED),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge(rules.FAMILY, "page-fresh"),
            html.Div([html.H1(t("cam_title", lang), className="page-title cam-title"),
                      html.P(t("cam_intro", lang, minutes=int(rules.OFFLINE_AFTER.total_seconds() // 60),
                               alert=int(rules.OFFLINE_ALERT.total_seconds() // 60)), className="cam-intro")],
                     className="cam-head"),
            bar,
            html.Div(unit_note(units, query, lang), id=UNIT_NOTE, className="unit-note", role="status"),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=TILES, className="tiles tiles-6 cam-tiles"),
            html.Div([_map_card(settings, lang), _offline_card(lang)], className="row row-main cam-row-main"),
            html.Div([
                chart_card("events_daily", t("cam_events_chart", lang), lang, FILE_STEMS["events_daily"],
                           "cam-events-card", note_id=EVENTS_NOTE, graph_id=EVENTS_CHART, button_type=CSV_BUTTON),
                html.Section([_card_head("cam_events_title", EVENTS_GRID_NOTE, lang, "events"), events_grid(lang)],
                             className="card grid-card cam-events-grid-card"),
            ], className="row cam-row-events"),
            html.Section([_card_head("cam_uptime_title", UPTIME_NOTE, lang, "uptime"), uptime_grid(lang)],
                         className="card grid-card cam-uptime-card"),
        ],
        className="page page-cameras",
        **{"data-family": rules.FAMILY},
    )
