"""Overview page (path "/"): every data family at a glance, and the health of the sources.

The layout only builds the skeleton; callbacks in :mod:`callbacks.overview` fill it.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ioc.families import FAMILIES
from ioc.i18n import t
from layouts import ids
from layouts.admin import overview_section as admin_overview  # admin
from layouts.components import chart_card, error_banner, tile_placeholders
from layouts.environment import overview_section as environment_overview  # environment
from layouts.query import parse_lang
from layouts.traffic import overview_section as traffic_overview  # traffic

OVERVIEW_TILES = ("received", "processed_rate", "on_time_rate", "satisfaction_rate", "overdue")
HEALTH_REFRESH_MS = 15_000
RECENT_ROWS = 12
DAILY_DAYS = 30


def _not_connected(code: str, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header(html.H2(t(f"family_{code}", lang), className="card-title"), className="card-head"),
            html.Div(t("not_connected", lang), className="pill pill-muted not-connected"),
            html.P(t(f"family_{code}_desc", lang), className="family-desc"),
            html.P(t("not_connected_hint", lang), className="family-hint"),
        ],
        className="card family-card family-off",
        **{"data-family": code, "data-connected": "false"},
    )


def layout(settings: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    feedback = html.Section(
        [
            html.Header([
                html.H2(t("family_feedback", lang), className="card-title"),
                html.Span(id=ids.OV_FEEDBACK_SUB, className="card-note"),
                dcc.Link(t("open_details", lang), href=f"/feedback?lang={lang}", className="btn btn-link"),
            ], className="card-head"),
            html.Div(tile_placeholders(OVERVIEW_TILES, lang), id=ids.OV_FEEDBACK_TILES, className="tiles tiles-5"),
        ],
        className="card family-card family-on",
        **{"data-family": "feedback", "data-connected": "true"},
    )
    others = [_not_connected(code, lang) for code, fam in FAMILIES.items() if code != "feedback" and not fam.connected]
    others.insert(0, traffic_overview(lang))  # traffic: its tiles, in place of the "not connected" card
    others.append(environment_overview(lang))  # environment: its tiles, in place of the "not connected" card
    others.append(admin_overview(lang))  # admin: its tiles, in place of the "not connected" card
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Interval(id=ids.OV_HEALTH_INTERVAL, interval=HEALTH_REFRESH_MS, n_intervals=0),
            dcc.Download(id=ids.OV_DOWNLOAD),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("overview_title", lang), className="page-title"),
            feedback,
            html.Div(
                [
                    html.Section([
                        html.Header(html.H2(t("recent_title", lang), className="card-title"), className="card-head"),
                        html.Div(id=ids.OV_RECENT),
                    ], className="card recent-card"),
                    chart_card("daily", t("daily_title", lang), lang, "phan-anh_30-ngay", "daily-card",
                               graph_id=ids.OV_DAILY, button_type=ids.OV_CSV_BUTTON),
                ],
                className="row row-overview",
            ),
            html.Div(others, className="family-grid"),
            html.Section(
                [
                    html.Header(html.H2(t("sources_title", lang), className="card-title"), className="card-head"),
                    html.Div(id=ids.OV_SOURCES, className="table-wrap"),
                ],
                className="card sources-card",
            ),
        ],
        className="page page-overview",
    )
