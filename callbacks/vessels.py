"""Fishing-vessels page callbacks (and the family's Overview card and wall panel, :func:`summary`).

The data callback runs when the vessels' or the warnings' data version moves (copied out of the
shell's versions store: vessels at sea while a warning is in force follow both). It reads each
vessel's latest report (:func:`ioc.store.vessels.latest_positions`) and the KPI set
(:func:`ioc.kpi.vessels.family_kpis`) and hands them to the pure builders of
:mod:`layouts.vessels_shaping` and :mod:`layouts.vessels`; no SQL here.

**Personal and commercial data** (issue #12's role rules): a vessel's position, registration
and track go only to readers who may see personal data (:attr:`callbacks.access.Principal.personal`
masked or clear: operators and up). Viewers and wall screens get the tiles and the aggregate
counts; the markers, the table's rows and the track are never computed for them, and the page
says why. The check is made on the server in each callback, for each request.

**A link to a vessel** (``?vessel=TTH-90012-TS``): the layout keeps the registration in
:data:`layouts.vessels.LINK`; the fleet callback, once it has the fleet, hands it on to
:data:`layouts.vessels.LINKED` for a reader who may see it and the fleet holds, names it in the
banner when the fleet does not, and ignores it for the others (whose page already says why).
A vessel chosen in any of the three ways (map, table, link) is selected the same way: its
registration in :data:`layouts.vessels.SELECTED` (its track and details, the map flown to it),
its row selected in the table and the table's page turned to it, ``?vessel=`` in the address.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, html

from callbacks import access
from callbacks.common import follow_versions, local_today, page_lang, text
from ioc.access import Can, Personal
from ioc.context import Context
from ioc.domain import vessels as rules
from ioc.i18n import fmt_int, fmt_number, t
from ioc.kpi import vessels as kpis
from ioc.kpi.filters import Problem
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store import vessels as store
from ioc.store.db import utcnow
from layouts import ids
from layouts import vessels as view
from layouts import vessels_shaping as shaping
from layouts.components import error_banner

KPI_TTL_S = 10.0  # silences grow with the clock, not only with new reports
TRACK_MAX_REPORTS = 5000  # 3 days of 5-minute reports is 864: the cap only guards a flood of bad data


# --------------------------------------------------------------------------- data


def per_vessel_allowed() -> bool:
    """Whether this request's reader may see individual vessels (positions, registrations,
    tracks): those who see personal data masked or in clear."""
    return access.principal().personal is not Personal.HIDDEN


def simulated_sources(ctx: Context) -> frozenset[str]:
    """Names of the sources whose records here are simulated (labelled on the page)."""
    return registry().simulated_source_names(rules.FAMILY, ctx.sources)


def family_simulated(ctx: Context) -> bool:
    """Whether a configured source of the vessels family is a simulator (the page must say so)."""
    sims = simulated_sources(ctx)
    return any(s.family == rules.FAMILY and s.name in sims for s in ctx.sources)


def page_kpis(ctx: Context) -> dict[str, Any]:
    """The KPI set now; ``reports`` counts today's (local) reports."""
    today = local_today(ctx)
    period = Period(today, today + timedelta(days=1))
    return ctx.query(rules.FAMILY, "kpis", period,
                     lambda: kpis.family_kpis(ctx.engine, period, {}, ctx.tz, utcnow()), KPI_TTL_S)


def latest_frame(ctx: Context) -> pd.DataFrame:
    """Every vessel's latest report with its registry entry (cached per data version)."""
    return ctx.query(rules.FAMILY, "latest", None, lambda: store.latest_positions(ctx.engine), KPI_TTL_S)


def vessel_rows(ctx: Context, lang: str) -> list[dict[str, Any]]:
    """The table's and the map's rows (:func:`layouts.vessels_shaping.vessel_rows`) at now.
    Individual vessels: call only for a reader :func:`per_vessel_allowed` admits."""
    return shaping.vessel_rows(latest_frame(ctx), utcnow(), ctx.tz, lang, simulated_sources(ctx))


def vessel_track(ctx: Context, vessel_id: str, lang: str) -> dict[str, Any]:
    """The vessel's track over the last :data:`layouts.vessels_shaping.TRACK_DAYS` days, with
    its summary texts."""
    now = utcnow()
    reports = store.track(ctx.engine, vessel_id, now - timedelta(days=shaping.TRACK_DAYS), now + timedelta(seconds=1),
                          TRACK_MAX_REPORTS)
    track = shaping.track_line(reports, ctx.tz, lang)
    return {**track, "reports_text": fmt_int(track["reports"], lang), "km_text": fmt_number(track["km"], lang, 0),
            "gap_text": fmt_number(track["max_gap_h"], lang, 1)}


def tiles(ctx: Context, lang: str, keys: tuple[str, ...] = view.TILE_KEYS) -> list[Any]:
    return [view.vessel_tile(spec, lang) for spec in shaping.tiles(page_kpis(ctx), lang) if spec.key in keys]


def summary(ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The family at a glance (Overview card, wall panel): tiles ``keys`` (its declared
    ``overview_tiles``) and the fleet registered; counts only, fit for every reader. ``compare``
    changes nothing: its tiles are counts at now."""
    k = page_kpis(ctx)
    note = t("vs_ov_sub", lang, n=fmt_int(k["vessels"], lang), reports=fmt_int(k["reports"], lang))
    if family_simulated(ctx):
        note = f"{note} · {t('vs_simulated', lang)}"
    return tiles(ctx, lang, keys), note


# --------------------------------------------------------------------------- page


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> Any:
    """The registered page's layout function."""
    return view.layout(ctx.settings, lang_pref, **params)


def register(app: dash.Dash, ctx: Context) -> None:
    follow_versions(app, view.VERSION, view.VERSION_FAMILIES)

    @access.callback(app, Can.READ,
        Output(view.TILES, "children"),
        Output(view.MARKERS, "data"),
        Output(view.PORTS, "children"),
        Output(view.MAP_NOTE, "children"),
        Output(view.COUNTS, "children"),
        Output(view.PRIVACY, "children"),
        Output(view.PRIVACY, "hidden"),
        Output(view.GRID, "rowData"),
        Output(view.GRID_NOTE, "children"),
        Output(view.TABLE_CARD, "hidden"),
        Output(view.DETAIL_CARD, "hidden"),
        Output(view.LINK, "data"),
        Output(view.LINKED, "data"),
        Output(ids.PAGE_ERRORS, "children", allow_duplicate=True),
        Output(ids.PAGE_ERRORS, "className", allow_duplicate=True),
        Output(ids.PAGE_ERRORS, "role", allow_duplicate=True),
        Input(view.VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
        State(view.LINK, "data"),
        State(ids.PAGE_ERRORS, "children"),
        prevent_initial_call=True,
    )
    def fleet(_version, lang, link, banner):  # noqa: ANN001, ANN202
        """Tiles, the counts and the ports for everyone; markers and rows only for a reader who
        may see individual vessels; the vessel a link names, once (module docstring)."""
        lang = page_lang(ctx, lang)
        frame = latest_frame(ctx)
        rows = shaping.vessel_rows(frame, utcnow(), ctx.tz, lang, simulated_sources(ctx))
        counts = shaping.state_counts(rows)
        ports = view.port_layers(shaping.port_items(frame), lang)
        sim = f" · {t('vs_simulated', lang)}" if family_simulated(ctx) else ""
        allowed = per_vessel_allowed()
        linked, problem = follow_link(link, rows, allowed)
        outcome = (None if link is not None else dash.no_update, linked or dash.no_update,
                   *(banner_with(banner, problem.message(lang)) if problem else (dash.no_update,) * 3))
        if not allowed:
            note = t("vs_map_note_hidden", lang, n=fmt_int(len(rows), lang)) + sim
            return (tiles(ctx, lang), view.EMPTY_GEOJSON, ports, note, view.counts_list(counts, lang),
                    t("vs_privacy_hidden", lang), False, [], "", True, True, *outcome)
        note = t("vs_map_note", lang, n=fmt_int(len(rows), lang)) + sim
        grid_note = t("vs_grid_note", lang, n=fmt_int(len(rows), lang)) + sim
        return (tiles(ctx, lang), shaping.positions_geojson(rows, lang), ports, note, view.counts_list(counts, lang),
                "", True, rows, grid_note, False, False, *outcome)

    # One callback both reads and sets the table's selection (Dash allows that loop only
    # within a callback): a vessel chosen on the map or by the link selects its row too.
    @access.callback(app, Can.READ,
        Output(view.SELECTED, "data"),
        Output(view.GRID, "selectedRows"),
        Output(view.URL, "search"),
        Input(view.MARKERS, "clickData"),
        Input(view.GRID, "selectedRows"),
        Input(view.LINKED, "data"),
        State(view.SELECTED, "data"),
        State(view.URL, "search"),
        prevent_initial_call=True,
    )
    def select(clicked, selected_rows, linked, current, search):  # noqa: ANN001, ANN202
        """The vessel clicked on the map, chosen in the table or named by the link: selected,
        its row selected in the table, its registration in the address."""
        return choose(dash.ctx.triggered_id, clicked, selected_rows, linked, text(current), text(search))

    # The table's page holding the vessel selected: the grid's own sort and page size decide
    # which it is, so the browser finds it (assets/vessels.js).
    app.clientside_callback(ClientsideFunction("iocVessels", "rowPage"), Output(view.GRID, "paginationGoTo"),
                            Input(view.SELECTED, "data"), prevent_initial_call=True)

    @access.callback(app, Can.READ,
        Output(view.TRACK, "children"),
        Output(view.DETAIL, "children"),
        Input(view.SELECTED, "data"),
        Input(view.VERSION, "data"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def selected(vessel_id, _version, lang):  # noqa: ANN001, ANN202
        """The selected vessel's track over the last 3 days and its details (none for a reader
        who may not see individual vessels, whatever the browser sends)."""
        lang = page_lang(ctx, lang)
        vessel_id = text(vessel_id)
        if not per_vessel_allowed():
            return [], html_note(t("vs_privacy_hidden", lang))
        if not vessel_id:
            return [], view.detail(None, None, lang)
        row = next((r for r in vessel_rows(ctx, lang) if r["id"] == vessel_id), None)
        if row is None:
            return [], html_note(t("vs_unknown_vessel", lang, id=vessel_id[:32]))
        track = vessel_track(ctx, vessel_id, lang)
        return view.track_layers(track, row), view.detail(row, track, lang)

    @access.callback(app, Can.READ, Output(view.MAP, "viewport"), Input(view.SELECTED, "data"),
                     prevent_initial_call=True)
    def focus(vessel_id):  # noqa: ANN001, ANN202
        """The map flies to the vessel chosen (in the table, it may lie outside the view)."""
        vessel_id = text(vessel_id)
        if not vessel_id or not per_vessel_allowed():
            return dash.no_update
        row = next((r for r in vessel_rows(ctx, ctx.settings.lang) if r["id"] == vessel_id), None)
        return focus_viewport(row) or dash.no_update


def focus_viewport(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Where the map flies to show the vessel selected (None: stay)."""
    if row is None:
        return None
    return {"center": [row["lat"], row["lon"]], "zoom": view.FOCUS_ZOOM, "transition": "flyTo"}


def chosen_vessel(trigger: Any, clicked: Any, selected_rows: Any, linked: Any = None) -> str | None:
    """The registration of the vessel a click on the map (``clicked``: the GeoJSON feature), a
    row chosen in the table (``selected_rows``) or the link (``linked``) names, whichever
    ``trigger`` says fired; None for anything else the browser sends (the table's selection as
    the page itself set it, ``{"ids": […]}``, included: that vessel is selected already)."""
    chosen = None
    if trigger == view.MARKERS and isinstance(clicked, dict) and isinstance(clicked.get("properties"), dict):
        chosen = text(clicked["properties"].get("id"))
    elif trigger == view.GRID and isinstance(selected_rows, list) and selected_rows and isinstance(selected_rows[0], dict):
        chosen = text(selected_rows[0].get("id"))
    elif trigger == view.LINKED:
        chosen = text(linked)
    return chosen[:shaping.MAX_REGISTRATION] if chosen else None


def choose(trigger: Any, clicked: Any, selected_rows: Any, linked: Any, current: str | None,
           search: str | None) -> tuple[Any, ...]:
    """What the select callback sets when ``trigger`` fired (:func:`chosen_vessel`): the
    selected vessel, the table's selection (not when the table itself was clicked), and the
    address's query string ``search`` with ``?vessel=``
    (:func:`layouts.vessels_shaping.vessel_search`). Nothing when the table names the vessel
    selected already (``current``: the grid reporting the selection the page made; a marker
    clicked again flies the map back to it), nor for a reader who may not see individual
    vessels, whatever the browser sends."""
    vessel_id = chosen_vessel(trigger, clicked, selected_rows, linked)
    from_table = trigger == view.GRID
    if not vessel_id or (from_table and vessel_id == current) or not per_vessel_allowed():
        return (dash.no_update,) * 3
    return (vessel_id, dash.no_update if from_table else {"ids": [vessel_id]}, shaping.vessel_search(search, vessel_id))


def follow_link(link: Any, rows: list[dict[str, Any]], allowed: bool) -> tuple[str | None, Problem | None]:
    """What the link's registration ``link`` (:data:`layouts.vessels.LINK`, as the browser sends
    it back) does once the fleet ``rows`` are known: (the vessel to select, the problem to name
    in the banner). Nothing for a reader who may not see individual vessels (``allowed``
    False), whatever it names: their page says why already, and whether a registration is in
    the fleet is itself not theirs to learn."""
    vessel_id, problem = shaping.parse_vessel_param({shaping.VESSEL_PARAM: link if isinstance(link, str) else None})
    if not allowed or (vessel_id is None and problem is None):
        return None, None
    if problem is not None:
        return None, problem
    if any(r["id"] == vessel_id for r in rows):
        return vessel_id, None
    return None, shaping.unknown_vessel(vessel_id)


def banner_with(children: Any, line: str) -> tuple[list[Any], str, str]:
    """The page's banner (children, class name, role) with ``line`` added to the lines it shows
    (``children`` as the browser sends them back; anything but a banner's lines is dropped)."""
    items = children if isinstance(children, list) else [children]
    lines = [item["props"]["children"] for item in items
             if isinstance(item, dict) and isinstance(item.get("props"), dict)
             and isinstance(item["props"].get("children"), str)]
    banner = error_banner(list(dict.fromkeys([*lines, line])))
    return banner.children, banner.className, "alert"


def html_note(message: str) -> html.Div:
    return html.Div(message, className="empty-note")
