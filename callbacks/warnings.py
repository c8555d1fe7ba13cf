"""Warnings page callbacks (and the family's Overview card and wall panel, :func:`summary`).

The data callbacks run when the period changes or when the warnings' or the alerts' data
version moves (copied out of the shell's versions store: an expiry ends a warning's alert and
moves the alerts' version, so the map drops an expired warning without a new message). Each
reads the filter bar, asks the functions below (the KPI set of :mod:`ioc.kpi.warnings`, the
reads of :mod:`ioc.store.warnings`; no SQL here) and hands the result to a pure builder.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import dash
from dash import Input, Output, State

from callbacks import access
from callbacks.common import follow_versions, local_today, page_lang
from callbacks.filters import bar_selection, control_inputs, register_filter_bar
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_int, t
from ioc.kpi import warnings as kpis
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store import warnings as store
from ioc.store.db import utcnow
from layouts import ids
from layouts import warnings as view
from layouts import warnings_shaping as shaping
from layouts.systems_shaping import period_text

SUMMARY_DAYS = 30  # the Overview card's and the wall panel's "issued" and "cancelled"
MESSAGES_MAX = 500  # rows of the table (a year of a provincial station's messages is about a hundred)


# --------------------------------------------------------------------------- data


def simulated_sources(ctx: Context) -> frozenset[str]:
    """Names of the sources whose records here are simulated (labelled on the page)."""
    return registry().simulated_source_names("warnings", ctx.sources)


def page_kpis(ctx: Context, period: Period) -> dict[str, Any]:
    """The KPI set over ``period`` (the same function as ``python -m ioc kpi warnings``); "in
    force" moves with the clock: cached 10 s at most."""
    return ctx.query("warnings", "kpis", period,
                     lambda: kpis.family_kpis(ctx.engine, period, {}, ctx.tz, utcnow()), 10.0)


def in_force_rows(ctx: Context) -> list[dict[str, Any]]:
    """The messages in force now, any status, most severe first (:func:`ioc.store.warnings.in_force`)."""
    return [dict(r._mapping) for r in store.in_force(ctx.engine, utcnow())]


def message_rows(ctx: Context, period: Period, lang: str) -> tuple[list[dict[str, Any]], int]:
    """The table's rows for ``period`` (newest first, at most :data:`MESSAGES_MAX`) and how many
    there are (one more than shown when capped). What ended a message is looked up among the
    messages sent since the period began, so a cancel sent after the period is still named."""
    start, end = period.utc_bounds(ctx.tz)
    now = utcnow()
    rows = [dict(r._mapping) for r in store.warnings_between(ctx.engine, start, end, limit=MESSAGES_MAX + 1)]
    later = ([dict(r._mapping) for r in store.warnings_between(ctx.engine, end, max(end, now) + timedelta(minutes=1),
                                                               limit=10_000)]
             if any(r["ended_by"] for r in rows) else [])
    enders = shaping.enders_of(rows + later)
    shown = shaping.message_rows(rows[:MESSAGES_MAX], ctx.tz, lang, now, simulated_sources(ctx), enders)
    return shown, len(rows)


def tiles(ctx: Context, period: Period, lang: str) -> list[Any]:
    return [view.warning_tile(spec) for spec in shaping.tiles(page_kpis(ctx, period), ctx.tz, lang)]


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): tiles ``keys`` (its declared
    ``overview_tiles``; "issued" and "cancelled" over the last 30 days) and a note. ``compare``
    changes nothing: its page compares no tile either: warnings are too few a month for a change to
    mean anything."""
    today = local_today(ctx)
    period = Period(today - timedelta(days=SUMMARY_DAYS - 1), today + timedelta(days=1))
    k = page_kpis(ctx, period)
    specs = {s.key: s for s in shaping.tiles(k, ctx.tz, lang)}
    return ([view.warning_tile(specs[key]) for key in keys if key in specs],
            t("wn_ov_sub", lang, days=fmt_int(SUMMARY_DAYS, lang), n=fmt_int(k["issued"], lang)))


# --------------------------------------------------------------------------- page and callbacks


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function: today is the local date of ``ctx``'s time zone."""
    return view.layout(ctx.settings, local_today(ctx), lang_pref, ctx.notifier.versions(), **params)


def register(app: dash.Dash, ctx: Context) -> None:
    selection = partial(bar_selection, view.BAR, ctx)
    follow_versions(app, view.VERSION, view.VERSION_FAMILIES)
    register_filter_bar(app, ctx, view.BAR, version=view.VERSION)
    after = [*control_inputs(view.BAR), Input(view.VERSION, "data"), State(ids.PAGE_LANG, "data")]

    @access.callback(app, Can.READ,
        Output(view.TILES, "children"), Output(view.BAR.id("period-note"), "children"),
        Output(view.MAP_AREAS, "children"), Output(view.MAP_EMPTY, "children"), Output(view.MAP_EMPTY, "hidden"),
        Output(view.MAP_NOTE, "children"), Output(view.IN_FORCE, "children"),
        *after,
    )
    def now_and_period(start, last_day, _version, lang):  # noqa: ANN001, ANN202
        """Tiles and the period's note; the warnings in force on the map and in the list."""
        lang = page_lang(ctx, lang)
        sel = selection(start, last_day)
        live = in_force_rows(ctx)
        sims = simulated_sources(ctx)
        shapes = shaping.area_shapes(live, ctx.tz, lang, sims)
        none = t("wn_none_in_force", lang)
        note = t("wn_map_note", lang, n=fmt_int(len(live), lang)) if live else none
        unplaced = len({s["id"] for s in shapes}) < len(live)
        if unplaced:
            note = f"{note} · {t('wn_map_unplaced', lang)}"
        return (tiles(ctx, sel.period, lang), period_text(sel.start, sel.last_day, lang), view.area_layers(shapes),
                none, bool(live), note, view.in_force_list(shaping.in_force_items(live, ctx.tz, lang, sims), lang))

    @access.callback(app, Can.READ, Output(view.GRID, "rowData"), Output(view.GRID_NOTE, "children"), *after)
    def messages(start, last_day, _version, lang):  # noqa: ANN001, ANN202
        lang = page_lang(ctx, lang)
        sel = selection(start, last_day)
        rows, total = message_rows(ctx, sel.period, lang)
        note = (t("wn_messages_capped", lang, n=fmt_int(len(rows), lang)) if total > len(rows)
                else t("wn_messages_note", lang, n=fmt_int(len(rows), lang)))
        return rows, note

    @access.callback(app, Can.READ, Output(view.DETAIL, "children"), Input(view.GRID, "selectedRows"),
                     State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def selected(rows, lang):  # noqa: ANN001, ANN202
        """The full text of the row selected (the row as the grid holds it; shown as text)."""
        row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
        return view.detail(row, page_lang(ctx, lang))
