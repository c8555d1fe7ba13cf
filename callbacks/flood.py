"""Rivers and rain page callbacks (and the family's Overview card and wall panel, :func:`summary`).

The data callbacks run when the period changes or when the flood family's data version moves
(copied out of the shell's versions store, so other families' news does not redraw the page).
Each reads the filter bar, asks the functions below (the KPI set of :mod:`ioc.kpi.floods`, the
observations of :mod:`ioc.store.floods`; no SQL here) and hands the result to a pure builder of
:mod:`layouts.flood_shaping` / :mod:`layouts.flood_hydrograph`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State

from callbacks import access
from callbacks.common import follow_versions, local_today, page_lang
from callbacks.export_routes import PanelUrls, bar_states
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.domain import floods as rules
from ioc.i18n import fmt_int, t
from ioc.kpi import floods as kpis
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store import floods as store
from ioc.store.db import utcnow
from layouts import flood as view
from layouts import flood_shaping as shaping
from layouts import ids
from layouts.flood_hydrograph import hydrograph_figure
from layouts.systems_shaping import period_text

SUMMARY_DAYS = view.DEFAULT_DAYS  # the Overview card's and the wall panel's period (peaks, hours at alarm)
KPI_TTL_S = 10.0  # "now" moves with the clock


# --------------------------------------------------------------------------- data


def simulated_sources(ctx: Context) -> frozenset[str]:
    """Names of the sources whose records here are simulated (labelled on the page)."""
    return registry().simulated_source_names(rules.FAMILY, ctx.sources)


def page_kpis(ctx: Context, period: Period) -> dict[str, Any]:
    """The KPI set over ``period`` (the same function as ``python -m ioc kpi flood``)."""
    return ctx.query(rules.FAMILY, "kpis", period,
                     lambda: kpis.family_kpis(ctx.engine, period, {}, ctx.tz, utcnow()), KPI_TTL_S)


@dataclass(frozen=True)
class PeriodData:
    """The period's observations, one row per station and hour, and which stations' come
    from a simulated source."""

    frame: pd.DataFrame
    simulated: frozenset[str]


def period_data(ctx: Context, period: Period) -> PeriodData:
    def compute() -> PeriodData:
        start, end = period.utc_bounds(ctx.tz)
        rows = store.series(ctx.engine, start, min(end, utcnow()))
        sims = simulated_sources(ctx)
        return PeriodData(shaping.observations_frame(rows), frozenset(r.station_id for r in rows if r.source in sims))
    return ctx.query(rules.FAMILY, "series", period, compute, KPI_TTL_S)


def local_span(ctx: Context, period: Period) -> tuple[datetime, datetime]:
    """The period's local [start, end) as the time axis shows it (ending now when it is today)."""
    now = utcnow().replace(tzinfo=None)
    local_now = pd.Timestamp(now).tz_localize("UTC").tz_convert(ctx.tz).tz_localize(None).to_pydatetime()
    start = datetime.combine(period.start, datetime.min.time())
    end = datetime.combine(period.end, datetime.min.time())
    return start, min(end, local_now + timedelta(hours=1))


def hydrographs(ctx: Context, period: Period, lang: str) -> list[tuple[Any, str]]:
    """(figure, note) of each river station's hydrograph, in the page's order."""
    k = page_kpis(ctx, period)
    data = period_data(ctx, period)
    span = local_span(ctx, period)
    out = []
    for station in view.river_stations():
        graph = shaping.hydrograph(station.station_id, data.frame, ctx.tz)
        entry = (k["stations"].get(station.station_id)
                 or {"name": station.name, "river": station.river, "levels_m": list(station.levels or [])})
        figure = hydrograph_figure(entry, graph, lang, span, uirevision=f"{station.station_id}:{period}")
        notes = [t("fl_hydro_daily", lang) if graph.daily else t("fl_hydro_hourly", lang)]
        if station.station_id in data.simulated:
            notes.append(t("fl_simulated", lang))
        out.append((figure, " · ".join(notes)))
    return out


def hydrograph(ctx: Context, station_id: str, lang: str, start: Any, last_day: Any) -> Any:
    """River station ``station_id``'s hydrograph as the page draws it (the PNG of its export URL)."""
    order = [s.station_id for s in view.river_stations()]
    return hydrographs(ctx, bar_selection(view.BAR, ctx, start, last_day).period, lang)[order.index(station_id)][0]


def export(ctx: Context, key: str, lang: str, start: Any, last_day: Any) -> tuple[pd.DataFrame, str]:
    """The CSV of ``key`` (``stations``: the table; a river station's id: its hourly
    observations over the period, local times) and its file name."""
    sel = bar_selection(view.BAR, ctx, start, last_day)
    period = sel.period
    stem = view.FILE_STEMS.get(key) or view.hydro_file_stem(key)
    name = f"{stem}_{sel.start.isoformat()}_{sel.last_day.isoformat()}.csv"
    if key == "stations":
        rows = shaping.table_rows(page_kpis(ctx, period), ctx.tz, lang, period_data(ctx, period).simulated)
        frame = shaping.stations_export(rows, lang)
        return frame, name
    graph = shaping.hydrograph(key, period_data(ctx, period).frame, ctx.tz, max_points=10**9)
    frame = graph.frame.rename(columns={"time": t("fl_csv_time", lang), "level_m": t("fl_csv_level", lang),
                                        "rain_mm": t("fl_csv_rain", lang)})
    return frame, name


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): tiles ``keys`` (its declared
    ``overview_tiles``, "now" from the latest observations) and a note naming the source of the
    alarm levels (and simulated data, when it is). ``compare`` changes nothing: its tiles are taken
    now, from the latest observations."""
    today = local_today(ctx)
    period = Period(today - timedelta(days=SUMMARY_DAYS - 1), today + timedelta(days=1))
    k = page_kpis(ctx, period)
    specs = {s.key: s for s in shaping.tiles(k, lang)}
    note = t("fl_ov_sub", lang, n=fmt_int(len(k["stations"]), lang))
    if period_data(ctx, period).simulated:
        note = f"{note} · {t('fl_simulated', lang)}"
    return [view.flood_tile(specs[key]) for key in keys if key in specs], note


# --------------------------------------------------------------------------- page and callbacks


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return view.layout(ctx.settings, local_today(ctx), lang_pref, ctx.notifier.versions().get(rules.FAMILY), **params)


def now_and_table(ctx: Context, sel: Selection, lang: str) -> tuple:
    """Tiles, the period's note, the map's stations and note, the table's rows and note."""
    k = page_kpis(ctx, sel.period)
    sims = period_data(ctx, sel.period).simulated
    positions = {sid: (s.lat, s.lon) for sid, s in rules.stations().items()}
    geo = shaping.stations_geojson(k, positions, ctx.tz, lang, sims)
    rows = shaping.table_rows(k, ctx.tz, lang, sims)
    map_note = t("fl_map_note", lang, n=fmt_int(k["reporting_stations"], lang), m=fmt_int(len(k["stations"]), lang))
    grid_note = t("fl_grid_note", lang, period=period_text(sel.start, sel.last_day, lang))
    if sims:
        grid_note = f"{grid_note} · {t('fl_simulated_note', lang)}"
    return ([view.flood_tile(s) for s in shaping.tiles(k, lang)], period_text(sel.start, sel.last_day, lang),
            geo, map_note, rows, grid_note)


def register(app: dash.Dash, ctx: Context) -> None:
    selection = partial(bar_selection, view.BAR, ctx)
    follow_versions(app, view.VERSION, (rules.FAMILY,))
    register_filter_bar(app, ctx, view.BAR, version=view.VERSION)
    after = [*control_inputs(view.BAR), Input(view.VERSION, "data"), State(ids.PAGE_LANG, "data")]
    register_download(app, ctx, view.CSV_BUTTON, view.BAR.id("url"),
                      lambda key, lang, start, last_day: export(ctx, key, lang, start, last_day),
                      (*view.FILE_STEMS, *(s.station_id for s in view.river_stations())),
                      urls=PanelUrls("flood", rules.FAMILY,
                                     bar_states(view.BAR, parse=lambda _c, params, today: view.parse_query(params, today)),
                                     lambda key, lang, start, last_day: hydrograph(ctx, key, lang, start, last_day),
                                     tuple(s.station_id for s in view.river_stations())))

    @access.callback(app, Can.READ,
        Output(view.TILES, "children"), Output(view.BAR.id("period-note"), "children"),
        Output(view.MAP_LAYER, "data"), Output(view.MAP_NOTE, "children"),
        Output(view.GRID, "rowData"), Output(view.GRID_NOTE, "children"),
        *after,
    )
    def tiles_map_table(start, last_day, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        return now_and_table(ctx, selection(start, last_day), lang)

    stations = view.river_stations()

    @access.callback(app, Can.READ,
        *(Output(view.hydro_id(s.station_id), "figure") for s in stations),
        *(Output(view.hydro_note_id(s.station_id), "children") for s in stations),
        *after,
    )
    def hydro(start, last_day, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        drawn = hydrographs(ctx, selection(start, last_day).period, lang)
        return (*(f for f, _ in drawn), *(n for _, n in drawn))
