"""Urban-cameras page callbacks (and the family's Overview card, :func:`summary`).

The data callbacks run when a filter changes or when the cameras family's data version moves
(copied out of the shell's versions store, so other families' news does not redraw the page).
Each reads the filter bar, asks the functions below (the KPI set of :mod:`ioc.kpi.cameras`, the
reads of :mod:`ioc.store.cameras`, cached per data version with ``ctx.query``; no SQL here) and
hands the result to a pure builder of :mod:`layouts.cameras_shaping` / :mod:`layouts.cameras`.

Camera positions, states and AI events are not personal data (no person, no plate): every
reader sees the map and the tables; CSV downloads follow the usual rule (reports for leaders
and analysts, the list of events an export for analysts).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State

from callbacks import access
from callbacks.common import follow_versions, local_today, page_lang, text, unit_names, units
from callbacks.export_routes import PanelUrls, bar_states
from callbacks.filters import bar_selection, control_inputs, register_download, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.domain import cameras as rules
from ioc.i18n import fmt_date, fmt_int, fmt_pct, t
from ioc.kpi import cameras as kpis
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store import cameras as store
from ioc.store.db import utcnow
from layouts import cameras as view
from layouts import cameras_shaping as shaping
from layouts import ids
from layouts.shaping import series_freq, unit_filter_codes, unit_options

KPI_TTL_S = 10.0  # "now" moves with the clock: a camera goes offline without any new record
EVENTS_SHOWN = 500  # the latest events table: newest first, at most this many
TRAFFIC = "traffic"  # the family whose table the registry is
selection = partial(bar_selection, view.BAR)


# --------------------------------------------------------------------------- data


def simulated_sources(ctx: Context) -> frozenset[str]:
    """Names of the sources whose records here are simulated (labelled on the page): the
    cameras family's, and the traffic family's (the registry is one: the traffic simulator
    registers its cameras there too)."""
    reg = registry()
    return reg.simulated_source_names(rules.FAMILY, ctx.sources) | reg.simulated_source_names(TRAFFIC, ctx.sources)


def purposes_of(sel: Selection) -> tuple[str, ...] | None:
    purpose = sel.get(view.PURPOSE_FILTER.name)
    return (purpose,) if purpose else None


def kinds_of(sel: Selection) -> tuple[str, ...] | None:
    return sel.get(view.EVENT_FILTER.name) or None


def unit_of(sel: Selection) -> str | None:
    return sel.get(view.UNIT_FILTER.name)


def page_kpis(ctx: Context, sel: Selection) -> dict[str, Any]:
    """The KPI set of the selection (the same function as ``python -m ioc kpi cameras``)."""
    return ctx.query(rules.FAMILY, "kpis", sel,
                     lambda: kpis.family_kpis(ctx.engine, sel.period, sel.as_dict(), ctx.tz, utcnow()), KPI_TTL_S)


def camera_states(ctx: Context) -> pd.DataFrame:
    """Every registered camera's state now (filtered by the page, not the query: one read for all)."""
    return ctx.query(rules.FAMILY, "states", None, lambda: store.camera_states(ctx.engine, utcnow()), KPI_TTL_S)


def selected_cameras(ctx: Context, sel: Selection) -> pd.DataFrame:
    return shaping.select_cameras(camera_states(ctx), sel.get(view.PURPOSE_FILTER.name), unit_of(sel))


def _bounds(ctx: Context, period: Period) -> tuple[datetime, datetime]:
    """The period as naive UTC [start, end), its end no later than now."""
    start, end = period.utc_bounds(ctx.tz)
    return start, min(end, utcnow())


def uptime_frames(ctx: Context, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each camera's uptime over the period and the period's outages (the whole fleet)."""
    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        now = utcnow()
        start, end = period.utc_bounds(ctx.tz)
        return store.uptime_by_camera(ctx.engine, start, end, now), store.outages(ctx.engine, start, min(end, now))
    return ctx.query(rules.FAMILY, "uptime", period, compute, KPI_TTL_S)


def latest_events(ctx: Context, sel: Selection) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        start, end = _bounds(ctx, sel.period)
        return store.events(ctx.engine, start, end, kinds=kinds_of(sel), purposes=purposes_of(sel), unit=unit_of(sel),
                            limit=EVENTS_SHOWN)
    return ctx.query(rules.FAMILY, "events", sel, compute, KPI_TTL_S)


def events_series(ctx: Context, sel: Selection) -> tuple[pd.DataFrame, str]:
    """AI events per day, week or month (by the period's length) and kind, and that bucket size."""
    freq = series_freq(sel.period)
    per_day = ctx.query(rules.FAMILY, "events_per_day", sel.replaced(**{view.EVENT_FILTER.name: None}),
                        lambda: store.events_per_day(ctx.engine, sel.period, ctx.tz, purposes=purposes_of(sel),
                                                     unit=unit_of(sel)), KPI_TTL_S)
    return shaping.events_series(per_day, freq, kinds_of(sel)), freq


def camera_rows(ctx: Context, sel: Selection, lang: str) -> list[dict[str, Any]]:
    return shaping.camera_rows(selected_cameras(ctx, sel), ctx.tz, lang, simulated_sources(ctx), unit_names(ctx))


def uptime_rows(ctx: Context, sel: Selection, lang: str) -> list[dict[str, Any]]:
    uptime, outages = uptime_frames(ctx, sel.period)
    return shaping.uptime_rows(uptime, selected_cameras(ctx, sel), outages, lang, simulated_sources(ctx),
                               unit_names(ctx))


def event_rows(ctx: Context, sel: Selection, lang: str) -> list[dict[str, Any]]:
    return shaping.event_rows(latest_events(ctx, sel), ctx.tz, lang, simulated_sources(ctx), unit_names(ctx))


def family_simulated(ctx: Context) -> bool:
    """Whether a configured source of the cameras family is a simulator (the page must say so)."""
    sims = simulated_sources(ctx)
    return any(s.family == rules.FAMILY and s.name in sims for s in ctx.sources)


def _sim(lang: str, rows: list[dict[str, Any]]) -> str:
    """" · Dữ liệu mô phỏng" after a note when one of the rows it speaks of is simulated."""
    return f" · {t('cam_simulated', lang)}" if any(r["simulated"] for r in rows) else ""


# --------------------------------------------------------------------------- what the callbacks return


def tiles(ctx: Context, sel: Selection, lang: str, keys: tuple[str, ...] = view.TILE_KEYS) -> list[Any]:
    return [view.camera_tile(spec, lang) for spec in shaping.tiles(page_kpis(ctx, sel), lang) if spec.key in keys]


def default_selection(ctx: Context) -> Selection:
    """The page's default view: the last :data:`layouts.cameras.DEFAULT_DAYS` days, no filter."""
    return view.parse_query({}, local_today(ctx))[0]


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card): tiles ``keys`` (its declared ``overview_tiles``) over
    the page's default view, and the registry by purpose. ``compare`` changes nothing: its page
    compares no tile either: they are counts at now and over the last 30 days of a live registry."""
    sel = default_selection(ctx)
    k = page_kpis(ctx, sel)
    note = t("cam_ov_sub", lang, n=fmt_int(k.get("cameras"), lang), days=view.DEFAULT_DAYS)
    purposes = shaping.by_purpose_text(k.get("by_purpose") or {}, lang)
    if purposes:
        note = f"{note}: {purposes}"
    if family_simulated(ctx):
        note = f"{note} · {t('cam_simulated', lang)}"
    return tiles(ctx, sel, lang, keys), note


def map_and_offline(ctx: Context, sel: Selection, lang: str) -> tuple:
    """The map's markers and note, the offline table's rows and note (the cameras now)."""
    rows = camera_rows(ctx, sel, lang)
    counts = shaping.state_counts(rows)
    down = shaping.offline_rows(rows)
    placed = sum(1 for r in rows if r["lat"] is not None and r["lon"] is not None)
    map_note = t("cam_map_note", lang, online=fmt_int(counts["online"], lang), n=fmt_int(len(rows), lang),
                 placed=fmt_int(placed, lang)) + _sim(lang, rows)
    silent = len(down) - counts["never"]
    offline_note = t("cam_offline_note", lang, n=fmt_int(silent, lang), m=fmt_int(counts["offline_30m"], lang)) \
        if silent else t("cam_offline_none", lang)
    if counts["never"]:
        offline_note += " · " + t("cam_never_note", lang, n=fmt_int(counts["never"], lang))
    return shaping.map_geojson(rows, lang), map_note, down, offline_note


def events_view(ctx: Context, sel: Selection, lang: str) -> tuple:
    """The chart of AI events per bucket and its note, the latest events' rows and note."""
    series, freq = events_series(ctx, sel)
    figure = shaping.events_figure(series, lang, freq, sel.period, local_today(ctx),
                                   uirevision=f"cam-events:{sel.period}:{freq}")
    rows = event_rows(ctx, sel, lang)
    chart_note = t(f"cam_events_note_{freq}", lang)
    grid_key = "cam_events_grid_note_capped" if len(rows) >= EVENTS_SHOWN else "cam_events_grid_note"
    return figure, chart_note, rows, t(grid_key, lang, n=fmt_int(len(rows), lang)) + _sim(lang, rows)


def figure(ctx: Context, key: str, lang: str, sel: Selection) -> Any:
    """Chart ``key``'s figure as the page draws it (the printable PNG of its export URL)."""
    if key != "events_daily":
        raise KeyError(key)
    return events_view(ctx, sel, lang)[0]


def uptime_view(ctx: Context, sel: Selection, lang: str) -> tuple:
    rows = uptime_rows(ctx, sel, lang)
    below = sum(1 for r in rows if r["below"])
    note = t("cam_uptime_note", lang, n=fmt_int(below, lang), m=fmt_int(len(rows), lang),
             target=fmt_pct(rules.UPTIME_TARGET_PCT / 100, lang, 0))
    return rows, note + _sim(lang, rows)


def export(ctx: Context, key: str, lang: str, sel: Selection) -> tuple[pd.DataFrame, str]:
    """The CSV of ``key`` (the chart's numbers or a table's rows, as shown) and its file name."""
    name = f"{view.FILE_STEMS[key]}_{sel.start.isoformat()}_{sel.last_day.isoformat()}.csv"
    if key == "events_daily":
        return shaping.events_export(events_series(ctx, sel)[0], lang), name
    columns = EXPORT_COLUMNS[key]
    rows = {"offline": lambda: shaping.offline_rows(camera_rows(ctx, sel, lang)),
            "events": lambda: event_rows(ctx, sel, lang), "uptime": lambda: uptime_rows(ctx, sel, lang)}[key]()
    return pd.DataFrame([{t(label, lang): r[field] for field, label in columns.items()} for r in rows],
                        columns=[t(label, lang) for label in columns.values()]), name


# the tables' columns as the CSV writes them: times in ISO 8601 (local), numbers as numbers
# (hours, a percentage, a ratio), the headers saying the unit
EXPORT_COLUMNS = {
    "offline": {"code": "cam_col_code", "name": "cam_col_name", "purpose_label": "cam_col_type",
                "state_label": "cam_col_state", "unit": "cam_col_unit", "last_seen_iso": "cam_col_offline_since",
                "offline_hours": "xp_cam_col_offline_for_h"},
    "events": {"time_iso": "cam_col_time", "kind_label": "cam_col_event", "code": "cam_col_code",
               "camera": "cam_col_camera", "purpose_label": "cam_col_type", "unit": "cam_col_unit",
               "confidence": "xp_cam_col_confidence", "review_label": "cam_col_review", "id": "cam_col_id"},
    "uptime": {"code": "cam_col_code", "name": "cam_col_name", "purpose_label": "cam_col_type", "unit": "cam_col_unit",
               "uptime_pct": "xp_cam_col_uptime_pct", "offline_hours": "xp_cam_col_offline_total_h",
               "outages": "cam_col_outages", "observed_hours": "xp_cam_col_observed_h"},
}


def chosen_camera(selected_rows: Any) -> str | None:
    """The code of the camera a table's selected row names (``code``), None for anything else."""
    if isinstance(selected_rows, list) and selected_rows and isinstance(selected_rows[0], dict):
        code = text(selected_rows[0].get("code"))
        return code[:64] if code else None
    return None


def focus_viewport(ctx: Context, code: str | None) -> dict[str, Any] | None:
    """Where the map flies to show camera ``code`` (None: it has no position, or is unknown)."""
    if not code:
        return None
    frame = camera_states(ctx)
    match = frame[frame["code"] == code]
    if match.empty or pd.isna(match["lat"].iloc[0]) or pd.isna(match["lon"].iloc[0]):
        return None
    return {"center": [float(match["lat"].iloc[0]), float(match["lon"].iloc[0])], "zoom": view.FOCUS_ZOOM,
            "transition": "flyTo"}


# --------------------------------------------------------------------------- page and callbacks


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return view.layout(ctx.settings, local_today(ctx), lang_pref, ctx.notifier.versions().get(rules.FAMILY),
                       units(ctx), **params)


def register(app: dash.Dash, ctx: Context) -> None:
    follow_versions(app, view.VERSION, (rules.FAMILY,))
    register_filter_bar(app, ctx, view.BAR, version=view.VERSION)
    register_download(app, ctx, view.CSV_BUTTON, view.BAR.id("url"),
                      lambda key, lang, *controls: export(ctx, key, lang, selection(ctx, *controls)),
                      view.FILE_STEMS, record_keys=view.RECORD_EXPORTS, urls=PanelUrls(
                          "cameras", rules.FAMILY,
                          bar_states(view.BAR, parse=lambda c, params, today: view.parse_query(
                              params, today, unit_filter_codes(units(c)))),
                          lambda key, lang, *controls: figure(ctx, key, lang, selection(ctx, *controls)),
                          ("events_daily",)))
    after = [*control_inputs(view.BAR), Input(view.VERSION, "data"), State(ids.PAGE_LANG, "data")]

    @access.callback(app, Can.READ, Output(view.TILES, "children"), Output(view.BAR.id("period-note"), "children"),
                     Output(view.UNIT_NOTE, "children"), *after)
    def kpi_tiles(start, last_day, *rest):  # noqa: ANN001, ANN202
        *values, _version, lang = rest
        lang = page_lang(ctx, lang)
        sel = selection(ctx, start, last_day, *values)
        return (tiles(ctx, sel, lang), f"{fmt_date(sel.start, lang)} – {fmt_date(sel.last_day, lang)}",
                view.unit_note(units(ctx), sel, lang))

    @access.callback(app, Can.READ, Output(view.MARKERS, "data"), Output(view.MAP_NOTE, "children"),
                     Output(view.OFFLINE_GRID, "rowData"), Output(view.OFFLINE_NOTE, "children"), *after)
    def cameras_now(start, last_day, *rest):  # noqa: ANN001, ANN202
        *values, _version, lang = rest
        return map_and_offline(ctx, selection(ctx, start, last_day, *values), page_lang(ctx, lang))

    @access.callback(app, Can.READ, Output(view.EVENTS_CHART, "figure"), Output(view.EVENTS_NOTE, "children"),
                     Output(view.EVENTS_GRID, "rowData"), Output(view.EVENTS_GRID_NOTE, "children"), *after)
    def ai_events(start, last_day, *rest):  # noqa: ANN001, ANN202
        *values, _version, lang = rest
        return events_view(ctx, selection(ctx, start, last_day, *values), page_lang(ctx, lang))

    @access.callback(app, Can.READ, Output(view.UPTIME_GRID, "rowData"), Output(view.UPTIME_NOTE, "children"), *after)
    def uptime(start, last_day, *rest):  # noqa: ANN001, ANN202
        *values, _version, lang = rest
        return uptime_view(ctx, selection(ctx, start, last_day, *values), page_lang(ctx, lang))

    unit_dropdown = view.BAR.id(view.UNIT_FILTER.url_key)

    @access.callback(app, Can.READ, Output(unit_dropdown, "options"), Input(view.BAR.id("dates"), "start_date"),
                     Input(view.BAR.id("dates"), "end_date"), State(unit_dropdown, "value"), State(ids.PAGE_LANG, "data"),
                     prevent_initial_call=True)
    def unit_choices(start, last_day, current, lang):  # noqa: ANN001, ANN202
        """The current communes, and the district-level units of the period's part before 1 July
        2025 (from the store's units: they follow the period), then the code asked for."""
        sel = selection(ctx, start, last_day)
        return unit_options(units(ctx), sel.start, sel.end, page_lang(ctx, lang), [text(current, "")])

    @access.callback(app, Can.READ, Output(view.SELECTED, "data"),
                     *(Input(grid, "selectedRows") for grid in view.GRIDS), prevent_initial_call=True)
    def select(*chosen):  # noqa: ANN002, ANN202
        """The camera of the row chosen in one of the tables."""
        trigger = dash.ctx.triggered_id
        if trigger not in view.GRIDS:
            return dash.no_update
        return chosen_camera(chosen[view.GRIDS.index(trigger)]) or dash.no_update

    @access.callback(app, Can.READ, Output(view.MAP, "viewport"), Input(view.SELECTED, "data"),
                     prevent_initial_call=True)
    def focus(code):  # noqa: ANN001, ANN202
        """The map flies to the camera chosen (in a table, it may lie outside the view)."""
        return focus_viewport(ctx, text(code)) or dash.no_update

