"""The search page's callback (every role may search ids; plates follow the reader's right to
personal data, :func:`ioc.access.personal_data`), and the plain function it calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, html

from callbacks import access
from callbacks.common import page_lang, text, unit_names
from ioc import audit
from ioc.access import Can
from ioc.context import Context
from ioc.domain.search import MAX_QUERY, QueryError, parse_query
from ioc.i18n import fmt_local_datetime, unit_label
from ioc.kpi import search as lookups
from ioc.privacy import Exposure, mask_plate
from layouts import ids
from layouts import search as search_layout


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    return search_layout.layout(ctx.settings, lang_pref, **params)


def run_search(ctx: Context, lang: str, value: Any, who: access.Principal, exposure: Exposure) -> tuple[list[Any], Any]:
    """(cards, note) for the query ``value`` typed by ``who``, who sees personal data as
    ``exposure`` says. A plate search is written to the audit trail (refused: ``denied``)."""
    raw = text(value, "")
    if not raw.strip():
        return [], search_layout.message("search_hint", lang)
    try:
        query = parse_query(raw)
    except QueryError as exc:
        return [], search_layout.message(f"search_bad_{exc.reason}", lang, "warn", n=MAX_QUERY)
    result = lookups.search(ctx.engine, query, plates_allowed=not exposure.hidden)
    notes: list[Any] = []
    plate_text = None
    if query.is_plate and exposure.hidden:
        notes.append(search_layout.message("search_plate_refused", lang, "warn"))
        audit.record(ctx.engine, who.name, "denied", target="search:plate", role=who.role,
                     address=access.client_address())
    elif result.plate_searched:
        plate_text = query.plates[0] if exposure.reveal_plates else mask_plate(query.plates[0])
        detail = {"kind": "plate", "found": result.plate_total, "personal": exposure.level}
        if exposure.level == "clear":
            detail["reason"] = who.unmask_reason
        audit.record(ctx.engine, who.name, "search", target=mask_plate(query.plates[0]), role=who.role,
                     detail=detail, address=access.client_address())
    if exposure.level == "clear" and result.by_id:  # records seen in clear, by id
        audit.record(ctx.engine, who.name, "search", target=query.text[:100], role=who.role,
                     detail={"kind": "id", "found": len(result.by_id), "personal": exposure.level,
                             "reason": who.unmask_reason}, address=access.client_address())
    if result.empty:  # ids were searched whatever the role: say that none matched (a refused plate: not echoed)
        notes.append(search_layout.message("search_none_id", lang) if notes
                     else search_layout.message("search_none", lang, q=query.text))
        return [], notes
    names = unit_names(ctx)

    def when(moment: Any) -> str:
        return fmt_local_datetime(moment, ctx.tz, lang)

    def unit_name(code: str) -> str:
        return unit_label(code, names, lang)

    cards = search_layout.result_cards(
        [lookups.for_reader(f, exposure) for f in result.by_id],
        [lookups.for_reader(f, exposure) for f in result.by_plate], result.plate_total, plate_text,
        lang, when, unit_name, exposure.hidden)
    found = len(result.by_id) + len(result.by_plate)
    notes.append(search_layout.message("search_found", lang, n=found))
    return cards, notes


def query_url(value: Any, lang: str) -> str | None:
    """The page's address for a searched id (``?q=…&lang=…``), so a reload or a shared link
    searches it again; None for what is not searched, and for a plate (personal data is kept
    out of addresses, browser histories and access logs)."""
    try:
        query = parse_query(text(value, ""))
    except QueryError:
        return None
    return None if query.is_plate else "?" + urlencode({"q": query.text, "lang": lang})


def register(app: dash.Dash, ctx: Context) -> None:
    @access.callback(app, Can.READ, Output(search_layout.SE_RESULTS, "children"),
                     Output(search_layout.SE_NOTE, "children"), Output(search_layout.SE_URL, "search"),
                     Input(search_layout.SE_GO, "n_clicks"), Input(search_layout.SE_QUERY, "n_submit"),
                     State(search_layout.SE_QUERY, "value"), Input(ids.PAGE_LANG, "data"))
    def find(_clicks: Any, _submitted: Any, value: Any, lang: Any):  # noqa: ANN202
        lang = page_lang(ctx, text(lang))
        cards, note = run_search(ctx, lang, value, access.principal(), access.exposure(ctx.settings))
        return cards, note, query_url(value, lang) or dash.no_update
