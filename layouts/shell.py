"""The frame around every page: header, navigation, clock, language, live status, stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dash
from dash import dcc, html

from ioc.config import WALL_PAGES
from ioc.i18n import fmt_local_datetime, t
from layouts import ids
from layouts.browser import browser_config_json


def nav_href(path: str, lang: str) -> str:
    return f"{path}?lang={lang}"


def layout(settings: Any, simulated: bool, versions: dict[str, int], build: str = "") -> html.Div:
    """The app's layout. ``versions`` seeds the live store so the first poll finds no change.

    The live poll itself is assets/ioc.js (``GET /api/live``); its settings ride on the root's
    ``data-*`` attributes: the poll interval, the build this page was served by (a different
    one later means a redeploy: reload), the scheduled reload of kiosk screens, the wall's
    default playlist and rotation interval."""
    lang = settings.lang
    now = datetime.now(UTC).replace(tzinfo=None)
    right = []
    if simulated:
        right.append(html.Span(t("simulated", lang), id=ids.SIM_BADGE, className="badge badge-sim",
                               title=t("simulated_title", lang)))
    right += [
        html.Span([html.Span(className="live-dot"), html.Span(t("live", lang), id=ids.LIVE_TEXT, className="live-text"),
                   html.Span("", id=ids.LIVE_UPDATED, className="live-updated")],
                  id=ids.LIVE_BADGE, className="badge badge-live", **{"aria-live": "polite"}),
        html.Time(fmt_local_datetime(now, settings.tz, lang, seconds=True), id=ids.CLOCK, className="clock",
                  **{"data-tz": settings.timezone}),
        html.Div([
            html.Button("VI", id=ids.LANG_VI, n_clicks=0, className="lang-btn" + (" active" if lang == "vi" else ""),
                        title="Tiếng Việt", lang="vi"),
            html.Button("EN", id=ids.LANG_EN, n_clicks=0, className="lang-btn" + (" active" if lang == "en" else ""),
                        title="English", lang="en"),
        ], className="lang-switch", role="group", **{"aria-label": t("lang_label", lang)}),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.LANG_STORE, storage_type="local"),
            dcc.Location(id=ids.NAV_LOCATION, refresh="callback-nav"),  # written by assets/ioc.js
            dcc.Store(id=ids.VERSIONS, data=versions),
            dcc.Store(id=ids.LIVE_STATE, data="live"),
            dcc.Store(id=ids.LIVE_VISIBLE, data=True),
            dcc.Store(id=ids.FEEDBACK_VERSION, data=versions.get("feedback", 0)),
            # Written by assets/ioc.js only (text, never HTML): a lost server or Redis, on screen.
            html.Div(id=ids.LIVE_BANNER, className="live-banner", role="status", **{"aria-live": "assertive"}),
            html.Header(
                [
                    html.Div([
                        html.Div("IOC", className="brand-mark", **{"aria-hidden": "true"}),
                        html.Div([html.Div(t("product", lang), className="brand-name"),
                                  html.Div(t("product_long", lang), id=ids.PRODUCT_SUB, className="brand-sub")]),
                    ], className="brand"),
                    html.Nav([
                        dcc.Link(t("nav_overview", lang), href=nav_href("/", lang), id=ids.NAV_OVERVIEW,
                                 className="nav-link"),
                        dcc.Link(t("nav_feedback", lang), href=nav_href("/feedback", lang), id=ids.NAV_FEEDBACK,
                                 className="nav-link"),
                        dcc.Link(t("traffic_nav", lang), href=nav_href("/traffic", lang),  # traffic
                                 id=ids.NAV_TRAFFIC, className="nav-link"),
                        dcc.Link(t("env_nav", lang), href=nav_href("/environment", lang),  # environment
                                 id=ids.NAV_ENVIRONMENT, className="nav-link"),
                        dcc.Link(t("admin_nav", lang), href=nav_href("/admin", lang), id=ids.NAV_ADMIN,  # admin
                                 className="nav-link"),
                        dcc.Link(t("alerts_nav", lang), href=nav_href("/alerts", lang), id=ids.NAV_ALERTS,
                                 className="nav-link nav-alerts"),
                    ], id=ids.NAV, className="nav"),
                    html.Div(right, className="topbar-right"),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="main"),
        ],
        className="app",
        **{"data-build": build, "data-versions": json.dumps(versions, sort_keys=True), "data-poll-ms": str(settings.live_poll_ms), "data-lang": lang,
           "data-reload-min": str(settings.page_reload_minutes), "data-rotate": ",".join(settings.wall_playlist),
           "data-rotate-s": str(settings.wall_rotate_s), "data-config": browser_config_json(WALL_PAGES)},
    )
