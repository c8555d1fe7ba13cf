"""The page for an address that holds none (Dash pages' ``not_found_404``): what was asked for, in
the reader's language, and the way back — the Overview first, then every page of the menu."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.query import parse_lang

MAX_PATH_SHOWN = 120


def not_found(settings: Any, pages: Sequence[Any], path: str, lang_pref: str | None,
              query: Mapping[str, Any]) -> html.Div:
    """``pages``: the app's :class:`ioc.family.Page` declarations; ``path``: the address asked for
    (shown as text, shortened); ``query``: its query parameters (only ``lang`` is read)."""
    lang, _problem = parse_lang({"lang": query["lang"]} if "lang" in query else {}, lang_pref, settings.lang)
    shown = path if len(path) <= MAX_PATH_SHOWN else path[:MAX_PATH_SHOWN - 1] + "…"
    links = [html.Li(dcc.Link(t(p.title_key, lang), href=f"{p.path}?lang={lang}")) for p in pages
             if p.nav and p.path != "/"]
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            html.H1(t("notfound_title", lang), className="page-title"),
            html.P(t("notfound_text", lang, path=shown), className="notfound-text"),
            html.P(dcc.Link(t("notfound_back", lang), href=f"/?lang={lang}", className="btn notfound-back")),
            html.H2(t("notfound_pages", lang), className="card-title"),
            html.Ul(links, className="notfound-pages"),
        ],
        className="page page-not-found",
    )
