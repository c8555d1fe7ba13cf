"""Traffic page (path "/traffic"): filters from the URL, KPI tiles, camera map, hour × weekday
heatmap, breakdowns by type and vehicle class, fines issued vs collected, latest violations.

``?from=2025-01-01&to=2026-01-01&district=474&type=red_light&vehicle=car&channel=camera&lang=en``
— ``from``/``to`` are local dates, the period is [from, to), exactly like ``python -m ioc kpi
traffic``. A bad parameter never breaks the page: it falls back to its default and is reported
by name. The layout builds the skeleton; :mod:`callbacks.traffic` fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from ioc.domain.traffic import VehicleClass, ViolationType
from ioc.domain.traffic_records import CHANNELS
from ioc.i18n import t
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter
from layouts import ids
from layouts.components import chart_card, csv_button, error_banner, fresh_badge
from layouts.feedback import EMPTY_GEOJSON, GRID_THEME, UNIT_LABEL, _preset_options
from layouts.query import QueryProblem, _code, match_preset, parse_feedback_query, parse_lang
from layouts.traffic_shaping import (
    NO_TYPE_COLOUR,
    TILE_KEYS,
    TYPE_COLOURS,
    channel_text,
    type_text,
    vehicle_text,
)

# Huế city and National Road 1A from Phong Điền to the Hải Vân tunnel, on a 1920 × 1080 wall
MAP_CENTRE, MAP_ZOOM = (16.385, 107.73), 10
CAMERA_TO_LAYER = {"variable": "dashExtensions.traffic.cameraToLayer"}  # assets/traffic.js
FILE_STEMS = {"heatmap": "vi-pham_gio-thu", "type": "vi-pham_theo-hanh-vi", "vehicle": "vi-pham_theo-phuong-tien",
              "fines": "vi-pham_tien-phat", "cameras": "vi-pham_camera", "recent": "vi-pham_moi-nhat"}


@dataclass(frozen=True)
class TrafficQuery:
    """Validated filter values; ``end`` is exclusive (the day after the last day shown)."""

    start: date
    end: date
    district: str | None = None
    violation_type: str | None = None
    vehicle_class: str | None = None
    channel: str | None = None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def filter(self) -> TrafficFilter:
        return TrafficFilter(self.period, district=self.district, violation_type=self.violation_type,
                             vehicle_class=self.vehicle_class, channel=self.channel)

    def search(self, lang: str | None = None) -> str:
        """The query string (with its ``?``) that reproduces this view."""
        params = [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        params += [(k, v) for k, v in (("district", self.district), ("type", self.violation_type),
                                         ("vehicle", self.vehicle_class), ("channel", self.channel)) if v]
        if lang:
            params.append(("lang", lang))
        return "?" + urlencode(params)


def parse_traffic_query(params: Mapping[str, object], today: date) -> tuple[TrafficQuery, list[QueryProblem]]:
    """Validate the page's query parameters (``today`` local; default: the last 365 days)."""
    base, problems = parse_feedback_query({k: params[k] for k in ("from", "to", "district") if k in params}, today)
    query = TrafficQuery(
        start=base.start, end=base.end, district=base.district,
        violation_type=_code(params, "type", problems, tuple(str(v) for v in ViolationType)),
        vehicle_class=_code(params, "vehicle", problems, tuple(str(v) for v in VehicleClass)),
        channel=_code(params, "channel", problems, CHANNELS),
    )
    return query, problems


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    return [html.Div([html.Div(t(f"traffic_kpi_{k}", lang), className="tile-label"),
                      html.Div("…", className="tile-value")], className="tile tile-loading", **{"data-kpi": k})
            for k in keys]


def _filters(query: TrafficQuery, today: date, lang: str) -> html.Div:
    def field(label: str, control: Any, cls: str = "") -> html.Div:
        return html.Div([html.Label(label, className="filter-label"), control], className=f"filter {cls}".strip())

    district_opts = [{"label": query.district, "value": query.district}] if query.district else []
    return html.Div(
        [
            field(t("period", lang), dcc.Dropdown(
                id=ids.TR_PRESET, options=_preset_options(lang), value=match_preset(query.start, query.end, today),
                clearable=False, searchable=False), "filter-preset"),
            field(t("date_range", lang), dcc.DatePickerRange(
                id=ids.TR_DATES, start_date=query.start.isoformat(), end_date=query.last_day.isoformat(),
                display_format="DD/MM/YYYY", first_day_of_week=1, max_date_allowed=today.isoformat(),
                minimum_nights=0, number_of_months_shown=2, updatemode="bothdates"), "filter-dates"),
            field(t("district", lang), dcc.Dropdown(id=ids.TR_DISTRICT, options=district_opts, value=query.district,
                                                    placeholder=t("all", lang), clearable=True)),
            field(t("traffic_type", lang), dcc.Dropdown(
                id=ids.TR_TYPE, options=[{"label": type_text(str(v), lang), "value": str(v)} for v in ViolationType],
                value=query.violation_type, placeholder=t("all", lang), clearable=True), "filter-wide"),
            field(t("traffic_vehicle", lang), dcc.Dropdown(
                id=ids.TR_VEHICLE, options=[{"label": vehicle_text(str(v), lang), "value": str(v)}
                                            for v in VehicleClass],
                value=query.vehicle_class, placeholder=t("all", lang), clearable=True)),
            field(t("traffic_channel", lang), dcc.Dropdown(
                id=ids.TR_CHANNEL, options=[{"label": channel_text(c, lang), "value": c} for c in CHANNELS],
                value=query.channel, placeholder=t("all", lang), clearable=True)),
            html.Div(html.Button(t("reset", lang), id=ids.TR_RESET, n_clicks=0, className="btn"),
                     className="filter filter-actions"),
            html.Div(id=ids.TR_PERIOD_NOTE, className="period-note"),
        ],
        className="filter-bar",
    )


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
        col("district", "col_district", width=160),
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
                         "localeText": {"noRowsToShow": t("no_data", lang)}},
        style={"width": "100%"},
    )


def _card(key: str, title_key: str, lang: str, extra: str = "") -> html.Section:
    return chart_card(key, t(title_key, lang), lang, FILE_STEMS[key], f"tr-card {extra}".strip(),
                      graph_id=ids.tr_chart(key), button_type=ids.TR_CSV_BUTTON)


def layout(settings: Any, today: date, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The page for the query string ``params`` (``today`` is the local date)."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    query, problems = parse_traffic_query(params, today)
    if lang_problem:
        problems.append(lang_problem)
    return html.Div(
        [
            dcc.Location(id=ids.TR_URL, refresh=False),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.TR_VERSION),
            dcc.Store(id=ids.TR_TOP_READY),
            dcc.Download(id=ids.TR_DOWNLOAD),
            error_banner([p.message(lang) for p in problems]),
            fresh_badge("traffic", "page-fresh"),
            _filters(query, today, lang),
            html.Div(tile_placeholders(TILE_KEYS, lang), id=ids.TR_TILES, className="tiles tiles-9"),
            html.Div([_map_card(settings, lang), _card("heatmap", "traffic_heatmap", lang, "trend-card")],
                     className="row row-main"),
            html.Div([_card("type", "traffic_by_type", lang), _card("vehicle", "traffic_by_vehicle", lang),
                      _card("fines", "traffic_fines", lang, "tr-fines-card")], className="row tr-row-charts"),
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


def page(ctx: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    from ioc.kpi.periods import to_local
    from ioc.store.db import utcnow

    return layout(ctx.settings, to_local(utcnow(), ctx.tz).date(), lang_pref, **params)
