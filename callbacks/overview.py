"""Overview: the page, every family's card, the latest reports, the 30-day chart, sources health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import pandas as pd
from dash import ALL, MATCH, Input, Output, State, dcc
from dash import ctx as dash_ctx

from callbacks import access, summaries
from callbacks.common import follow_versions, local_today, page_lang, units
from callbacks.filter_state import clicked_chart
from callbacks.filters import audit_download
from ioc.access import Can
from ioc.context import Context
from ioc.kpi.feedback import FeedbackFilter, feedback_series, map_reports
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store.db import utcnow
from ioc.store.runs import source_health
from layouts import ids, overview
from layouts.components import recent_list, sources_table
from layouts.exports import csv_text, export_filename, series_export
from layouts.figures import trend_figure
from layouts.overview import DAILY_DAYS, RECENT_ROWS
from layouts.query import parse_lang
from layouts.shaping import recent_rows, source_rows


def daily_series(ctx: Context) -> tuple[Period, pd.DataFrame]:
    """The last 30 local days (today included) and their daily counts: the chart's and the CSV's data."""
    today = local_today(ctx)
    period = Period(today - timedelta(days=DAILY_DAYS - 1), today + timedelta(days=1))
    return period, feedback_series(ctx.engine, FeedbackFilter(period), "day")


def page(ctx: Context, lang_pref: str | None = None, **params: object) -> object:
    """The Overview's layout: one card per declared family, in registry order."""
    lang, _problem = parse_lang(params, lang_pref, ctx.settings.lang)  # the layout reports the problem
    cards = [overview.FamilyCard(f.code, f.pages[0].path, f.tile_placeholders(f.overview_tiles, lang))
             for f in registry().families]
    return overview.layout(ctx.settings, cards, lang_pref, **params)


def family_card(ctx: Context, card_id: Any, lang: str | None) -> Any:
    """The tiles and note of the Overview card ``card_id`` (its ``family`` key names it); an id
    naming no declared family changes nothing."""
    family = card_id.get("family") if isinstance(card_id, dict) else None
    if family not in registry().codes:
        return dash.no_update, dash.no_update
    return summaries.cached_summary(ctx, family, page_lang(ctx, lang))


def register(app: dash.Dash, ctx: Context) -> None:
    # Each card's version store follows its own family only (in the browser); one callback then
    # fills whichever card's version moved.
    for family in registry().codes:
        follow_versions(app, ids.overview_card(family, "version"), (family,))

    @access.callback(app, Can.READ, Output(ids.overview_card(MATCH, "tiles"), "children"),
                  Output(ids.overview_card(MATCH, "sub"), "children"),
                  Input(ids.overview_card(MATCH, "version"), "data"),
                  State(ids.overview_card(MATCH, "version"), "id"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def card(_version: int | None, card_id: dict[str, str], lang: str | None):  # noqa: ANN202
        return family_card(ctx, card_id, lang)

    @access.callback(app, Can.READ,
        Output(ids.OV_RECENT, "children"),
        Output(ids.OV_DAILY, "figure"),
        Input(ids.FEEDBACK_VERSION, "data"),
        Input(ids.PAGE_LANG, "data"),
    )
    def recent(_versions: dict | None, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        period, series = daily_series(ctx)
        seen = access.exposure()
        latest, _total = map_reports(ctx.engine, FeedbackFilter(period), ctx.tz, RECENT_ROWS, located=False,
                                     reveal_text=seen.reveal_text)
        latest = seen.apply(latest)
        figure = trend_figure(series, ctx.settings.target_satisfaction, lang, "day", f"daily-{lang}",
                              span=(period.start, period.end), today=local_today(ctx))
        return recent_list(recent_rows(latest, ctx.tz, lang, units(ctx)), lang), figure

    @access.callback(app, Can.REPORT,
        Output(ids.OV_DOWNLOAD, "data"),
        Input({"type": ids.OV_CSV_BUTTON, "chart": ALL}, "n_clicks"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def download_daily(clicks: list[int], lang: str | None):  # noqa: ANN202
        if clicked_chart(dash_ctx.triggered_id, clicks, ("daily",)) is None:
            return dash.no_update
        lang = page_lang(ctx, lang)
        period, series = daily_series(ctx)
        filename = export_filename("phan-anh_30-ngay", period.start, period.end)
        audit_download(ctx, access.principal(), filename, len(series), records=False)
        return dcc.send_string(csv_text(series_export(series, lang)), filename, type="text/csv")

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
