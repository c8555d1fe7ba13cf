"""Warnings page (path "/warnings"): official warnings received in CAP 1.2 (thông tin cảnh báo).

KPI tiles (in force now with the highest level, the most severe in force, issued and cancelled
in the period); the areas of the warnings in force on a map, coloured by CAP severity with its
legend, beside the list of those warnings; the messages sent in the period, newest first, with
the full text of the one selected. ``?from=…&to=…&lang=…``: the family declares the period
alone, so the shared filter bar is the period's. The layout builds the skeleton from data
handed in; :mod:`callbacks.warnings` fills it. Every id starts with ``wn-``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.cap import SEVERITIES
from ioc.domain.units import HUE_CENTRE
from ioc.i18n import LANGS, t
from ioc.kpi.filters import Problem, Selection, parse_params
from ioc.kpi.warnings import WARNINGS_FILTERS
from layouts import ids
from layouts.components import error_banner, fresh_badge, grid_locale
from layouts.controls import FilterBar, filter_bar
from layouts.feedback import GRID_THEME
from layouts.query import parse_lang
from layouts.warnings_shaping import SEVERITY_COLOURS, WarningTile, severity_label

BAR = FilterBar("warnings", WARNINGS_FILTERS, "wn")
TILE_KEYS = ("in_force", "worst_in_force", "issued", "cancelled")
TILE_LABELS = {"in_force": "wn_kpi_in_force", "worst_in_force": "wn_kpi_worst", "issued": "wn_kpi_issued",
               "cancelled": "wn_kpi_cancelled"}
VERSION = "wn-version"  # dcc.Store: the warnings' and the alerts' data versions ("warnings:V,alerts:W")
VERSION_FAMILIES = ("warnings", "alerts")  # an expiry ends its alert: the alerts' version moves then
TILES = "wn-tiles"
MAP = "wn-map"
MAP_AREAS = "wn-map-areas"  # dl.LayerGroup: the areas of the warnings in force
MAP_EMPTY = "wn-map-empty"  # "no warning in force", over the map
MAP_NOTE = "wn-map-note"
IN_FORCE = "wn-in-force"
GRID = "wn-grid"
GRID_NOTE = "wn-grid-note"
DETAIL = "wn-detail"
MAP_ZOOM = 9  # the whole province (Huế city and its sea)


def version_key(versions: Mapping[str, int]) -> str:
    """The version store's value for ``versions`` (as :func:`callbacks.common.follow_versions` writes it)."""
    return ",".join(f"{f}:{versions.get(f) or 0}" for f in VERSION_FAMILIES)


def warning_tile(spec: WarningTile) -> html.Div:
    """A KPI tile; a coloured one names its level in text (``badge``) beside the colour."""
    style = {"borderLeftColor": spec.colour} if spec.colour else None
    parts: list[Any] = [html.Div(spec.label, className="tile-label"),
                        html.Div(spec.value, className="tile-value", title=spec.value)]
    if spec.badge:
        badge_style = {"background": spec.colour, "color": spec.text_colour} if spec.colour else None
        parts.append(html.Div(html.Span(spec.badge, className="wn-badge", style=badge_style), className="tile-meta"))
    parts.append(html.Div(spec.sub, className="tile-sub", title=spec.sub))
    return html.Div(parts, id=f"tile-wn-{spec.key}", className=f"tile wn-tile tile-{spec.state}", style=style,
                    title=f"{spec.label}: {spec.value}",
                    **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw),
                       "data-state": spec.state})


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    """Labelled empty tiles (the Overview card, the wall panel and the page before the data)."""
    return [html.Div([html.Div(t(TILE_LABELS[k], lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def legend(lang: str) -> html.Div:
    """CAP's severities: colour and name (colour never alone); an exercise's outline is dashed."""
    items = [html.Span([html.Span(className="wn-swatch", style={"background": SEVERITY_COLOURS[s][0]}),
                        severity_label(s, lang)], className="legend-item", **{"data-severity": s})
             for s in SEVERITIES]
    items.append(html.Span([html.Span(className="wn-swatch wn-swatch-dashed"), t("wn_legend_exercise", lang)],
                           className="legend-item"))
    return html.Div([html.Span(t("wn_legend", lang), className="legend-title"), *items], className="map-legend wn-legend")


def area_layers(shapes: list[dict[str, Any]]) -> list[Any]:
    """The map's polygons and circles (:func:`layouts.warnings_shaping.area_shapes`), each with
    a tooltip and a popup written as text."""
    out = []
    for s in shapes:
        popup = dl.Popup(html.Div([html.Div(s["event"], className="wn-pop-event"),
                                   html.Div(s["area"], className="wn-pop-area"),
                                   *(html.Div([html.Span(f"{label}: ", className="wn-pop-label"), value])
                                     for label, value in s["lines"])], className="wn-popup"))
        style: dict[str, Any] = {"color": s["colour"], "fillColor": s["colour"], "fillOpacity": 0.25, "weight": 3,
                                 "className": f"wn-area wn-area-{s['kind']} wn-sev-{s['severity']} wn-area-id-{s['id']}"}
        if s["dashed"]:
            style["dashArray"] = "8 6"
        children = [dl.Tooltip(s["tooltip"]), popup]
        if s["kind"] == "polygon":
            out.append(dl.Polygon(positions=s["positions"], children=children, id=f"wn-area-{s['key']}", **style))
        else:
            out.append(dl.Circle(center=s["center"], radius=s["radius"], children=children, id=f"wn-area-{s['key']}",
                                 **style))
    return out


def message_text(text: str, text_lang: Any, lang: str, class_name: str) -> html.P:
    """A long text of a message (description, instruction) as text, marked with the language it
    is in (``lang`` attribute); one not in the page's language ``lang`` (the message has none
    in it) says so before the text."""
    written = text_lang if text_lang in LANGS else lang
    children: list[Any] = [text]
    if written != lang:
        children.insert(0, html.Span(t(f"wn_text_in_{written}", lang), className="wn-text-lang", lang=lang))
    return html.P(children, className=class_name, lang=written)


def in_force_list(items: list[dict[str, Any]], lang: str) -> html.Div | html.Ol:
    """The warnings in force, most severe first: severity (named), event, area, until when,
    the alert level it raises; an exercise, a test or simulated data said so."""
    if not items:
        return html.Div(t("wn_none_in_force", lang), className="empty-note wn-none", **{"data-empty": "1"})
    out = []
    for r in items:
        pills = []
        if r["status"] != "Actual":
            pills.append(html.Span(r["status_label"], className="pill wn-pill-exercise"))
        if r["simulated"]:
            pills.append(html.Span(t("wn_simulated", lang), className="pill pill-sim"))
        if not r["in_city"]:
            pills.append(html.Span(t("wn_outside_city", lang), className="pill wn-pill-outside"))
        body = [html.Div([html.Span(r["event"], className="wn-if-event", title=r["event"]), *pills],
                         className="wn-if-head"),
                html.Div(r["area"], className="wn-if-area", title=r["area"]),
                html.Div([html.Span(r["since"]), html.Span(r["until"], className="wn-if-until")], className="wn-if-times")]
        if r["level"]:
            body.append(html.Div(r["level"], className="wn-if-level"))
        if r["instruction"]:
            body.append(html.Details([html.Summary(t("wn_instruction", lang)),
                                      message_text(r["instruction"], r["instruction_lang"], lang, "wn-if-text")],
                                     className="wn-if-instruction"))
        out.append(html.Li([html.Span(r["severity_label"], className="wn-sev",
                                      style={"background": r["colour"], "color": r["text_colour"]}),
                            html.Div(body, className="wn-if-body")],
                           className="wn-if-item", **{"data-id": r["id"], "data-severity": r["severity"]}))
    return html.Ol(out, className="wn-if-items")


def _map_card(settings: Any, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([html.H2(t("wn_map", lang), className="card-title"),
                         html.Span(id=MAP_NOTE, className="card-note")], className="card-head"),
            html.Div([
                dl.MapContainer(
                    [dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution, maxZoom=19),
                     dl.LayerGroup(id=MAP_AREAS, children=[]),
                     dl.ScaleControl(position="bottomleft", imperial=False)],
                    id=MAP, center=list(HUE_CENTRE), zoom=MAP_ZOOM, style={"height": "100%", "width": "100%"}),
                html.Div(id=MAP_EMPTY, className="wn-map-empty", hidden=True, role="status"),
            ], className="map-wrap wn-map-wrap"),
            legend(lang),
        ],
        className="card map-card wn-map-card",
    )


def _in_force_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("wn_in_force_title", lang), className="card-title")], className="card-head"),
         html.Div(id=IN_FORCE, className="wn-if-list", **{"aria-live": "polite"})],
        className="card wn-if-card",
    )


def messages_grid(lang: str) -> dag.AgGrid:
    """The messages of the period, newest first (rows as data, texts as text); a row selected
    shows its full text below."""
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("sent_sort", "wn_col_sent", width=165, sort="desc", valueFormatter={"function": "params.data.sent"}),
        col("type_label", "wn_col_type", width=110),
        col("event", "wn_col_event", flex=1, minWidth=220, tooltipField="tooltip"),
        col("severity_label", "wn_col_severity", width=190,
            cellStyle={"function": "({backgroundColor: params.data.colour, color: params.data.text_colour, "
                                   "fontWeight: 800})"}),
        col("status_label", "wn_col_status", width=125,
            cellClassRules={"wn-cell-exercise": "params.data.exercise"}),
        col("urgency_label", "wn_col_urgency", width=150),
        col("certainty_label", "wn_col_certainty", width=140),
        col("area", "wn_col_area", flex=1, minWidth=200, tooltipField="area"),
        col("onset_sort", "wn_col_onset", width=150, valueFormatter={"function": "params.data.onset"}),
        col("expires_sort", "wn_col_expires", width=150, valueFormatter={"function": "params.data.expires"}),
        col("ended", "wn_col_ended", width=190, tooltipField="ended"),
        col("city_label", "wn_col_city", width=110),
        col("source_label", "wn_col_source", width=170, tooltipField="sender",
            cellClassRules={"wn-cell-sim": "params.data.simulated"}),
    ]
    return dag.AgGrid(
        id=GRID, columnDefs=columns, rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        rowClassRules={"wn-row-in-force": "params.data.in_force", "wn-row-exercise": "params.data.exercise"},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": 15,
                         "paginationPageSizeSelector": [15, 50, 100], "animateRows": False, "domLayout": "autoHeight",
                         "enableCellTextSelection": True, "tooltipShowDelay": 300, "suppressColumnVirtualisation": True,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "localeText": grid_locale(lang, t("wn_no_messages", lang))},
        style={"width": "100%"},
    )


def detail(row: Mapping[str, Any] | None, lang: str) -> html.Div:
    """The full text of the selected message (headline, description, instruction, identity),
    from its table row (:func:`layouts.warnings_shaping.message_rows`) as the grid holds it."""
    if not row:
        return html.Div(t("wn_detail_hint", lang), className="empty-note")
    def line(key: str, value: Any) -> html.Div:
        return html.Div([html.Span(t(key, lang), className="wn-detail-label"), html.Span(str(value))],
                        className="wn-detail-line")

    parts: list[Any] = [html.H3(" — ".join(str(x) for x in (row.get("event"), row.get("area")) if x),
                                className="wn-detail-title")]
    if row.get("headline"):
        parts.append(html.P(str(row["headline"]), className="wn-detail-headline"))
    for key, field in (("wn_description", "description"), ("wn_instruction", "instruction")):
        if row.get(field):
            parts += [html.H4(t(key, lang)),
                      message_text(str(row[field]), row.get(f"{field}_lang"), lang, "wn-detail-text")]
    parts += [line("wn_col_sent", row.get("sent", "")), line("wn_col_type", row.get("type_label", "")),
              line("wn_col_status", row.get("status_label", "")), line("wn_col_severity", row.get("severity_label", "")),
              line("wn_col_expires", row.get("expires", ""))]
    if row.get("ended"):
        parts.append(line("wn_col_ended", row["ended"]))
    parts.append(line("wn_sender", f"{row.get('sender', '')} · {row.get('identifier', '')}"))
    return html.Div(parts, className="wn-detail-body", **{"data-id": str(row.get("id", ""))})


def _messages_card(lang: str) -> html.Section:
    return html.Section(
        [html.Header([html.H2(t("wn_messages", lang), className="card-title"),
                      html.Span(id=GRID_NOTE, className="card-note")], className="card-head"),
         messages_grid(lang),
         html.Div(detail(None, lang), id=DETAIL, className="wn-detail", **{"aria-live": "polite"})],
        className="card grid-card wn-messages-card",
    )


def parse_query(params: Mapping[str, object], today: date) -> tuple[Selection, list[Problem]]:
    """The page's parameters (``today`` local; default period: the last 365 days)."""
    return parse_params(WARNINGS_FILTERS, params, today)


def layout(settings: Any, today: date, lang_pref: str | None = None, versions: Mapping[str, int] | None = None,
           **params: Any) -> html.Div:
    """The page for ``?from=…&to=…&lang=…`` (``today`` local). ``versions``: the live data
    versions as the page is built; the version store starts with them, so the panels' callbacks
    run once as the page appears (not again when the store is first synchronised)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_query(params, today)
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=BAR.id("url"), refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=VERSION, data=version_key(versions or {})),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("warnings", "page-fresh"),
            html.Div([html.H1(t("wn_title", lang), className="page-title wn-title"),
                      html.P(t("wn_intro", lang), className="wn-intro")], className="wn-head"),
            filter_bar(BAR, query, today, lang),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=TILES, className="tiles tiles-4 wn-tiles"),
            html.Div([_map_card(settings, lang), _in_force_card(lang)], className="row row-main wn-row-main"),
            _messages_card(lang),
        ],
        className="page page-warnings",
        **{"data-family": "warnings"},
    )
