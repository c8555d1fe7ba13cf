"""Overview: the page, every family's card, the latest reports, the 30-day chart, sources health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import pandas as pd
from dash import ALL, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks import access, summaries
from callbacks.common import follow_versions, local_today, page_lang, units
from callbacks.export_routes import PanelUrls, UrlView
from callbacks.filters import register_download
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import t
from ioc.kpi.feedback import FeedbackFilter, feedback_series, map_reports
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store.db import utcnow
from ioc.store.runs import source_health
from layouts import ids, overview
from layouts.components import recent_list, sources_table
from layouts.exports import export_filename, series_export
from layouts.figures import trend_figure
from layouts.overview import DAILY_DAYS, RECENT_ROWS
from layouts.query import parse_lang
from layouts.shaping import recent_rows, source_rows


def daily_period(ctx: Context) -> Period:
    """The last 30 local days, today included."""
    today = local_today(ctx)
    return Period(today - timedelta(days=DAILY_DAYS - 1), today + timedelta(days=1))


def daily_series(ctx: Context) -> tuple[Period, pd.DataFrame]:
    """The last 30 local days and their daily counts: the chart's and its exports' data."""
    period = daily_period(ctx)
    return period, feedback_series(ctx.engine, FeedbackFilter(period), "day")


def daily_figure(ctx: Context, lang: str) -> Any:
    """The 30-day chart (the page's, and its PNG's)."""
    period, series = daily_series(ctx)
    return trend_figure(series, ctx.settings.target_satisfaction, lang, "day", f"daily-{lang}",
                        span=(period.start, period.end), today=local_today(ctx))


def daily_export(ctx: Context, lang: str) -> tuple[pd.DataFrame, str]:
    """The 30-day chart's table and file name (``phan-anh_30-ngay_<from>_<to>.csv``)."""
    period, series = daily_series(ctx)
    return series_export(series, lang), export_filename("phan-anh_30-ngay", period.start, period.end)


def daily_view(ctx: Context, _params: Any, lang: str) -> UrlView:
    """``/export/overview/daily.<fmt>``: the chart takes no filter (other parameters, such as the
    page's ``kiosk``, do not change it); its period is the last 30 days."""
    period = daily_period(ctx)
    return UrlView([], {t("xp_about_period", lang): f"{period.start.isoformat()} – {(period.end - timedelta(days=1)).isoformat()}"})


def page(ctx: Context, lang_pref: str | None = None, **params: object) -> object:
    """The Overview's layout: one card per declared family, in registry order."""
    lang, _problem = parse_lang(params, lang_pref, ctx.settings.lang)  # the layout reports the problem
    cards = [overview.FamilyCard(f.code, f.pages[0].path, f.tile_placeholders(f.overview_tiles, lang))
             for f in registry().families]
    return overview.layout(ctx.settings, cards, lang_pref, **params)


def version_key(key: Any) -> dict[str, int]:
    """``follow_versions``' key of several families ("feedback:3,traffic:9") as {family: version}
    (anything else: {})."""
    versions: dict[str, int] = {}
    for part in key.split(",") if isinstance(key, str) else ():
        family, _, number = part.rpartition(":")
        if family and number.isdigit():
            versions[family] = int(number)
    return versions


def family_cards(ctx: Context, key: Any, shown: Any, card_ids: Any, lang: str | None) -> tuple[list, list, dict]:
    """Every card whose family's version moved since it was filled (``shown``), in one answer:
    the tiles and note of those, ``no_update`` for the others, and the versions now shown. A card
    id naming no declared family changes nothing."""
    versions = version_key(key)
    before = shown if isinstance(shown, dict) else {}
    now = {f: v for f, v in before.items() if isinstance(f, str) and isinstance(v, int)}
    tiles: list[Any] = []
    notes: list[Any] = []
    lang = page_lang(ctx, lang)
    codes = registry().codes
    for card_id in card_ids if isinstance(card_ids, list) else []:
        family = card_id.get("family") if isinstance(card_id, dict) else None
        version = versions.get(family, 0) if isinstance(family, str) else None
        if family not in codes or (family in before and before.get(family) == version):
            tiles.append(dash.no_update)
            notes.append(dash.no_update)
            continue
        card_tiles, note = summaries.cached_summary(ctx, family, lang)
        tiles.append(card_tiles)
        notes.append(note)
        now[family] = version
    return tiles, notes, now


def register(app: dash.Dash, ctx: Context) -> None:
    # The families' versions as one key in the browser, moved only when one of them moves; one
    # callback then fills every card whose family moved, in one answer. (A store and a callback
    # per card cost the browser a render pass per card: 14 cards, 3–4 s of Dash's renderer.)
    follow_versions(app, ids.OV_VERSIONS, tuple(registry().codes))
    # the 30-day chart's CSV, PNG and XLSX at /export/overview/daily.<fmt>, as every page's charts
    register_download(app, ctx, ids.OV_CSV_BUTTON, ids.OV_URL, lambda _key, lang: daily_export(ctx, lang), ("daily",),
                      urls=PanelUrls("overview", "feedback", daily_view, lambda _key, lang: daily_figure(ctx, lang),
                                     ("daily",)))

    @access.callback(app, Can.READ, Output(ids.overview_card(ALL, "tiles"), "children"),
                  Output(ids.overview_card(ALL, "sub"), "children"), Output(ids.OV_SHOWN, "data"),
                  Input(ids.OV_VERSIONS, "data"), State(ids.OV_SHOWN, "data"),
                  State(ids.overview_card(ALL, "tiles"), "id"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    def cards(key: str | None, shown: dict | None, card_ids: list | None, lang: str | None):  # noqa: ANN202
        tiles, notes, now = family_cards(ctx, key, shown, card_ids, lang)
        if all(t is dash.no_update for t in tiles):  # no card moved
            raise PreventUpdate
        return tiles, notes, now

    @access.callback(app, Can.READ,
        Output(ids.OV_RECENT, "children"),
        Output(ids.OV_DAILY, "figure"),
        Input(ids.FEEDBACK_VERSION, "data"),
        Input(ids.PAGE_LANG, "data"),
    )
    def recent(_versions: dict | None, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        seen = access.exposure()
        latest, _total = map_reports(ctx.engine, FeedbackFilter(daily_period(ctx)), ctx.tz, RECENT_ROWS,
                                     located=False, reveal_text=seen.reveal_text)
        latest = seen.apply(latest)
        return recent_list(recent_rows(latest, ctx.tz, lang, units(ctx)), lang), daily_figure(ctx, lang)

    @access.callback(app, Can.READ,
        Output(ids.OV_SOURCES, "children"),
        Input(ids.OV_HEALTH_INTERVAL, "n_intervals"),
        Input(ids.FEEDBACK_VERSION, "data"),
        Input(ids.PAGE_LANG, "data"),
    )
    def sources(_n: int, _versions: dict | None, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        labels = {fam.code: fam.label(lang) for fam in registry().families}
        rows = source_rows(source_health(ctx.engine), utcnow(), ctx.tz, lang, labels,
                           errors=access.principal().may(Can.OPERATIONS))
        return sources_table(rows, lang)

    # The health refresh pauses with the live poll (hidden tab).
    app.clientside_callback(
        "function(visible) { return visible === false; }",
        Output(ids.OV_HEALTH_INTERVAL, "disabled"),
        Input(ids.LIVE_VISIBLE, "data"),
    )
