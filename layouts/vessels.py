"""Fishing-vessels page (path "/vessels"): VMS monitoring of Huế's fishing fleet (giám sát tàu cá).

KPI tiles (at sea / in port, silent more than 6 hours and 10 days, outside the watch zone, at
sea while an official warning is in force); a map of each vessel's latest position coloured by
its state, with the watch zone and the ports; the vessel selected (on the map or in the table)
with its track over the last 3 days; the table of vessels.

Positions and registrations of individual vessels are personal or commercial data: only
readers who may see personal data (masked or in clear: operators and up) get the markers, the
table's rows and the tracks; viewers and wall screens get the tiles and the aggregate counts,
and a note saying why. The layout is the same for every reader and holds no vessel; the
callbacks (:mod:`callbacks.vessels`) decide per request. Every id starts with ``vs-``.

``?vessel=TTH-90012-TS`` selects that vessel once the fleet is loaded, as a click would (its
row, its track, the map on it), and a vessel selected writes ``?vessel=`` into the address, so
the link can be shared. For a reader who may not see individual vessels it is ignored (the
page's note says why); a value no registration can be, or one the fleet does not hold, is named
in the banner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain import vessels as rules
from ioc.i18n import t
from layouts import ids
from layouts.components import error_banner, fresh_badge, grid_locale
from layouts.feedback import GRID_THEME
from layouts.query import parse_lang
from layouts.vessels_shaping import (
    OUTSIDE_COLOUR,
    STATE_COLOURS,
    STATES,
    TRACK_COLOUR,
    VesselTile,
    parse_vessel_param,
    zone_positions,
)

TILE_KEYS = ("at_sea", "silent_6h", "outside_zone", "at_sea_in_warning")
TILE_LABELS = {"at_sea": "vs_kpi_at_sea", "silent_6h": "vs_kpi_silent_6h", "outside_zone": "vs_kpi_outside",
               "at_sea_in_warning": "vs_kpi_in_warning"}
VERSION_FAMILIES = ("vessels", "warnings")  # vessels at sea during a warning follow the warnings too
STATE_ICONS = {"good": "✔", "warn": "▲", "bad": "✖"}
VERSION = "vs-version"  # dcc.Store: "vessels:V,warnings:W" (callbacks.common.follow_versions)
SELECTED = "vs-selected"  # dcc.Store: the registration of the vessel selected
URL = "vs-url"  # dcc.Location(refresh=False): ?vessel= of the vessel selected, for a link to share
LINK = "vs-link"  # dcc.Store: the registration ?vessel= named, until the fleet callback has applied it
LINKED = "vs-linked"  # dcc.Store: the vessel the link selects (set once, for a reader who may see it)
TILES = "vs-tiles"
MAP = "vs-map"
MARKERS = "vs-markers"  # dl.GeoJSON: the vessels' latest positions (drawn by assets/vessels.js)
PORTS = "vs-ports"  # dl.LayerGroup: the ports and how many vessels lie in each
TRACK = "vs-track"  # dl.LayerGroup: the selected vessel's track
MAP_NOTE = "vs-map-note"
COUNTS = "vs-counts"
DETAIL = "vs-detail"
PRIVACY = "vs-privacy"
GRID = "vs-grid"
GRID_NOTE = "vs-grid-note"
TABLE_CARD = "vs-table-card"
DETAIL_CARD = "vs-detail-card"  # the vessel selected: hidden from readers who may not see vessels
FOCUS_ZOOM = 10  # the map flies to the vessel selected (its track over 3 days fits)
MAP_ZOOM = 8  # the whole watch zone on a wall screen
EMPTY_GEOJSON = {"type": "FeatureCollection", "features": []}
VESSEL_MARKER = {"variable": "dashExtensions.iocVessels.marker"}


def vessel_tile(spec: VesselTile, lang: str) -> html.Div:
    """A KPI tile; its state given as icon and text beside the colour."""
    meta = []
    if spec.state in STATE_ICONS:
        meta.append(html.Span([html.Span(STATE_ICONS[spec.state], className="tile-icon", **{"aria-hidden": "true"}),
                               t(f"vs_tile_{spec.state}", lang)], className="tile-state"))
    return html.Div(
        [html.Div(spec.label, className="tile-label"), html.Div(spec.value, className="tile-value"),
         html.Div(meta, className="tile-meta"), html.Div(spec.sub, className="tile-sub", title=spec.sub)],
        id=f"tile-vs-{spec.key}", className=f"tile vs-tile tile-{spec.state}", title=f"{spec.label}: {spec.value}",
        **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw), "data-state": spec.state},
    )


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    """Labelled empty tiles (the Overview card, the wall panel and the page before the data)."""
    return [html.Div([html.Div(t(TILE_LABELS[k], lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def legend(lang: str) -> html.Div:
    """The markers' meaning: each state's colour and name, the outside ring, the zone, the track."""
    items = [html.Span([html.Span(className=f"vs-swatch vs-swatch-{s}", style={"background": STATE_COLOURS[s]}),
                        t(f"vs_state_{s}", lang)], className="legend-item", **{"data-state": s}) for s in STATES]
    items += [
        html.Span([html.Span(className="vs-swatch vs-swatch-outside", style={"borderColor": OUTSIDE_COLOUR}),
                   t("vs_legend_outside", lang)], className="legend-item"),
        html.Span([html.Span(className="vs-swatch vs-swatch-zone"), t("vs_legend_zone", lang)], className="legend-item"),
        html.Span([html.Span(className="vs-swatch vs-swatch-port"), t("vs_legend_port", lang)], className="legend-item"),
        html.Span([html.Span(className="vs-swatch vs-swatch-track", style={"background": TRACK_COLOUR}),
                   t("vs_legend_track", lang)], className="legend-item"),
    ]
    return html.Div([html.Span(t("vs_legend", lang), className="legend-title"), *items], className="map-legend vs-legend")


def port_layers(ports: list[dict[str, Any]], lang: str) -> list[Any]:
    """The ports as squares-ish circle markers with their name and the vessels in port (counts only)."""
    return [dl.CircleMarker(center=[p["lat"], p["lon"]], radius=7, color="#e2e8f0", weight=2, fillColor="#0f172a",
                            fillOpacity=0.9, id=f"vs-port-{p['id']}",
                            className=f"vs-port vs-port-{p['id']}",
                            children=[dl.Tooltip(t("vs_port_tooltip", lang, port=p["name"], n=p["vessels"]))])
            for p in ports]


def track_layers(track: dict[str, Any], last: dict[str, Any] | None) -> list[Any]:
    """The selected vessel's track (a line, a dot at each report) and a ring on its latest position."""
    out: list[Any] = []
    if len(track["positions"]) > 1:
        out.append(dl.Polyline(positions=track["positions"], color=TRACK_COLOUR, weight=3, opacity=0.9,
                               className="vs-track-line", interactive=False))
    out += [dl.CircleMarker(center=p, radius=2, color=TRACK_COLOUR, weight=1, fillOpacity=1, interactive=False,
                            className="vs-track-dot") for p in track["positions"]]
    if last is not None:
        out.append(dl.CircleMarker(center=[last["lat"], last["lon"]], radius=13, color="#f8fafc", weight=3,
                                   fill=False, interactive=False, className="vs-selected-ring"))
    return out


def counts_list(counts: dict[str, int], lang: str) -> html.Ul:
    """How many vessels are in each state (aggregate: shown to every reader)."""
    items = [html.Li([html.Span(className="vs-swatch", style={"background": STATE_COLOURS[s]}),
                      html.Span(t(f"vs_state_{s}", lang), className="vs-count-label"),
                      html.Span(str(counts.get(s, 0)), className="vs-count-value")],
                     className="vs-count", **{"data-state": s}) for s in STATES]
    items.append(html.Li([html.Span(className="vs-swatch vs-swatch-outside", style={"borderColor": OUTSIDE_COLOUR}),
                          html.Span(t("vs_legend_outside", lang), className="vs-count-label"),
                          html.Span(str(counts.get("outside", 0)), className="vs-count-value")],
                         className="vs-count", **{"data-state": "outside"}))
    return html.Ul(items, className="vs-counts-list")


def detail(row: dict[str, Any] | None, track: dict[str, Any] | None, lang: str) -> html.Div:
    """The vessel selected: registry, state, latest report and its track's summary (text only)."""
    if row is None:
        return html.Div(t("vs_pick_vessel", lang), className="empty-note")
    lines = [
        ("vs_col_id", row["id"]), ("vs_col_length", row["length"]), ("vs_col_port", row["port"]),
        ("vs_col_last", f"{row['last']} ({row['ago']})"), ("vs_col_speed", row["speed"]),
        ("vs_col_position", f"{row['lat']:.4f}, {row['lon']:.4f}"), ("vs_col_zone", row["zone_label"]),
    ]
    if track is not None:
        lines.append(("vs_track_title", t("vs_track_summary", lang, n=track["reports_text"], km=track["km_text"],
                                          gap=track["gap_text"])))
    return html.Div([
        html.Div([html.Span(row["name"], className="vs-detail-name"),
                  html.Span(row["state_label"], className=f"pill vs-pill vs-pill-{row['state']}",
                            style={"borderColor": row["colour"], "color": row["colour"]})],
                 className="vs-detail-head"),
        html.Dl([part for key, value in lines for part in (html.Dt(t(key, lang)), html.Dd(value))],
                className="vs-detail-lines"),
    ], className="vs-detail-body", **{"data-vessel": row["id"]})


def _map_card(settings: Any, lang: str) -> html.Section:
    zone_name, _ = rules.boundary()
    rings = zone_positions()
    lats = [p[0] for ring in rings for p in ring]
    lons = [p[1] for ring in rings for p in ring]
    return html.Section(
        [
            html.Header([html.H2(t("vs_map", lang), className="card-title"),
                         html.Span(id=MAP_NOTE, className="card-note")], className="card-head"),
            html.Div(dl.MapContainer(
                [
                    dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                    dl.Polygon(positions=rings, color="#a3e635", weight=2, dashArray="6 6", fill=False,
                               interactive=False, className="vs-zone", id="vs-zone"),
                    dl.LayerGroup(id=PORTS, children=[]),
                    dl.GeoJSON(id=MARKERS, data=EMPTY_GEOJSON, pointToLayer=VESSEL_MARKER, bubblingMouseEvents=False),
                    dl.LayerGroup(id=TRACK, children=[]),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
                # the zone's middle (dash-leaflet's viewport tracking needs a center and a zoom, not bounds)
                id=MAP, center=[(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2], zoom=MAP_ZOOM,
                style={"height": "100%", "width": "100%"},
            ), className="map-wrap vs-map-wrap", title=zone_name),
            legend(lang),
        ],
        className="card map-card vs-map-card",
    )


def _side_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("vs_counts_title", lang), className="card-title")], className="card-head"),
         html.Div(id=COUNTS, className="vs-counts"),
         html.Div(id=PRIVACY, className="vs-privacy", role="note", hidden=True),
         html.Div([html.Header([html.H2(t("vs_selected_title", lang), className="card-title")],
                               className="card-head vs-detail-head-card"),
                   html.Div(html.Div(t("vs_pick_vessel", lang), className="empty-note"), id=DETAIL, className="vs-detail",
                            **{"aria-live": "polite"})], id=DETAIL_CARD)],
        className="card vs-side-card",
    )


def vessels_grid(lang: str) -> dag.AgGrid:
    """Every vessel (rows as data, texts as text), the worst state first; a row selected draws its track."""
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("id", "vs_col_id", width=150, pinned="left", cellClassRules={"vs-cell-sim": "params.data.simulated"}),
        col("name", "vs_col_name", flex=1, minWidth=150, tooltipField="name"),
        col("length_m", "vs_col_length", width=135, type="numericColumn", valueFormatter={"function": "params.data.length"}),
        col("port", "vs_col_port", width=170),
        col("last_sort", "vs_col_last", width=165, valueFormatter={"function": "params.data.last"}),
        col("hours", "vs_col_ago", width=140, type="numericColumn", valueFormatter={"function": "params.data.ago"}),
        col("state_label", "vs_col_state", width=225, tooltipField="state_label",
            cellStyle={"function": "({color: params.data.colour, fontWeight: 800})"}),
        col("zone_label", "vs_col_zone", width=150, cellClassRules={"vs-cell-outside": "params.data.outside"}),
        col("speed_kn", "vs_col_speed", width=175, type="numericColumn", valueFormatter={"function": "params.data.speed"}),
    ]
    return dag.AgGrid(
        id=GRID, columnDefs=columns, rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        rowClassRules={"vs-row-silent": "params.data.state.startsWith('silent')"},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": 15,
                         "paginationPageSizeSelector": [15, 50, 100], "animateRows": False, "domLayout": "autoHeight",
                         "enableCellTextSelection": True, "tooltipShowDelay": 300,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "localeText": grid_locale(lang, t("vs_no_vessels", lang))},
        style={"width": "100%"},
    )


def _table_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("vs_table", lang), className="card-title"),
                      html.Span(id=GRID_NOTE, className="card-note")], className="card-head"),
         vessels_grid(lang)],
        id=TABLE_CARD, className="card vs-table-card",
    )


def layout(settings: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The page for ``?lang=…&vessel=…``. The page shows the fleet now and has no filter bar; a
    period given anyway (``?from=…&to=…``) is checked like every page's, so a bad one is named.
    ``vessel``: the registration to select (:data:`LINK`), checked here as a registration only."""
    from ioc.kpi.filters import parse_params
    from ioc.kpi.vessels import VESSEL_FILTERS

    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    _period, problems = parse_params(VESSEL_FILTERS, {k: v for k, v in params.items() if k != "lang"},
                                     datetime.now(settings.tz).date())
    linked, vessel_problem = parse_vessel_param(params)
    problems += [p for p in (vessel_problem, lang_problem) if p is not None]
    return html.Div(
        [
            dcc.Location(id=URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=VERSION),
            dcc.Store(id=SELECTED),
            dcc.Store(id=LINK, data=linked),
            dcc.Store(id=LINKED),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("vessels", "page-fresh"),
            html.Div([html.H1(t("vs_title", lang), className="page-title vs-title"),
                      html.P(t("vs_intro", lang), className="vs-intro")], className="vs-head"),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=TILES, className="tiles tiles-4 vs-tiles"),
            html.Div([_map_card(settings, lang), _side_card(lang)], className="row row-main vs-row-main"),
            _table_card(lang),
        ],
        className="page page-vessels",
        **{"data-family": "vessels"},
    )
