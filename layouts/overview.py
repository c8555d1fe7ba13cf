"""Overview page (path "/"): every data family at a glance, and the health of the sources.

The layout only builds the skeleton; callbacks in :mod:`callbacks.overview` fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.components import chart_card, error_banner
from layouts.query import parse_lang

HEALTH_REFRESH_MS = 15_000
RECENT_ROWS = 12
DAILY_DAYS = 30


@dataclass(frozen=True)
class FamilyCard:
    """What the Overview shows of one family: its code, its page and its (still empty) tiles."""

    code: str
    path: str
    placeholders: list[Any]


def family_card(card: FamilyCard, lang: str, extra_class: str = "", card_id: str | None = None) -> html.Section:
    """A family's card: name, note, link to its page and its tiles (filled by
    :mod:`callbacks.overview` when the family's data version moves); ``card_id``: its id."""
    return html.Section(
        [
            html.Header([
                html.H2(t(f"family_{card.code}", lang), className="card-title"),
                html.Span(id=ids.overview_card(card.code, "sub"), className="card-note"),
                dcc.Link(t("open_details", lang), href=f"{card.path}?lang={lang}", className="btn btn-link"),
            ], className="card-head"),
            html.Div(card.placeholders, id=ids.overview_card(card.code, "tiles"),
                     className=f"tiles tiles-{len(card.placeholders)}"),
        ],
        className=f"card family-card family-on {extra_class}".strip(),
        **{"data-family": card.code, "data-connected": "true"}, **({"id": card_id} if card_id else {}),
    )


def layout(settings: Any, cards: list[FamilyCard], lang_pref: str | None = None, **params: Any) -> html.Div:
    """The first family's card spans the page, with its latest records and 30-day chart below;
    the other families' cards share a grid."""
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.OV_VERSIONS),  # every family's live version, as one key
            dcc.Store(id=ids.OV_SHOWN, data={}),  # the version each card shows
            dcc.Interval(id=ids.OV_HEALTH_INTERVAL, interval=HEALTH_REFRESH_MS, n_intervals=0),
            dcc.Location(id=ids.OV_URL, refresh=False),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("overview_title", lang), className="page-title"),
            family_card(cards[0], lang, "family-lead", ids.OV_LEAD),
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
            html.Div([family_card(card, lang) for card in cards[1:]], className="family-grid"),
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
