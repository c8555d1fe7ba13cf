"""The search page (``/search?q=…``): a box for a report's, a violation's or a dossier's id, or a
plate, and a card per record found with its whole stored history. The layout builds the
skeleton and the cards from records it is handed (:class:`ioc.kpi.search.Found`, already made
fit for the reader); :mod:`callbacks.search` fills them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dash import dcc, html

from ioc.domain.admin_catalogue import field_label
from ioc.domain.search import MAX_QUERY
from ioc.i18n import DASH, category_label, channel_label, fmt_vnd, has, rating_label, status_label, t
from layouts import ids
from layouts.components import error_banner
from layouts.query import param, parse_lang
from layouts.traffic_shaping import channel_text, status_text, type_text, vehicle_text

SE_QUERY = "search-q"
SE_GO = "search-go"
SE_NOTE = "search-note"
SE_RESULTS = "search-results"
SE_FORM = "search-form"
SE_URL = "search-url"

#: what each kind of record shows, in order (catalogue keys ``search_f_<name>``)
FACTS = {
    "feedback": ("category_code", "channel", "unit_code", "handling_unit", "received_at", "due_at", "resolved_at",
                 "rating"),
    "traffic": ("violation_type", "vehicle_class", "channel", "camera_code", "unit_code", "detected_at", "fine_vnd",
                "decree", "rating"),
    "admin": ("procedure_code", "field", "level", "channel", "unit_code", "received_at", "due_at", "effective_due_at",
              "resolved_at", "bucket", "rating"),
}
TIMES = frozenset({"received_at", "due_at", "resolved_at", "detected_at", "effective_due_at"})
ADMIN_STATUSES = ("new", "in_progress", "supplement_requested", "resolved", "returned", "refused", "stopped",
                  "withdrawn")


def layout(settings: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    query = (param(params, "q") or "")[:MAX_QUERY + 1]  # one over: the callback says it is too long
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Location(id=SE_URL, refresh=False),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("search_title", lang), className="page-title"),
            html.P(t("search_intro", lang), className="page-intro"),
            html.Section([
                html.Label(t("search_label", lang), htmlFor=SE_QUERY, className="search-label"),
                html.Div([
                    dcc.Input(id=SE_QUERY, type="search", value=query, debounce=False, autoComplete="off",
                              maxLength=MAX_QUERY + 1, placeholder=t("search_placeholder", lang),
                              className="search-input"),
                    html.Button(t("search_go", lang), id=SE_GO, n_clicks=0, className="btn btn-primary search-go"),
                ], className="search-bar"),
                html.Div(id=SE_NOTE, className="search-note", role="status"),
            ], id=SE_FORM, className="card search-form"),
            html.Div(id=SE_RESULTS, className="search-results"),
        ],
        className="page page-search",
    )


def message(key: str, lang: str, kind: str = "info", **values: Any) -> html.Div:
    """A line under the box: ``info`` (nothing found, how to search), ``warn`` (a bad query, a
    refused plate search)."""
    return html.Div(t(key, lang, **values), className=f"banner banner-{kind}",
                    role="alert" if kind != "info" else None)


def _kind_label(kind: str, lang: str) -> str:
    return t(f"search_kind_{kind}", lang)


def _status(kind: str, code: str, lang: str) -> str:
    if kind == "feedback":
        return status_label(code, lang)
    if kind == "traffic":
        return status_text(code, lang)
    return t(f"search_dossier_status_{code}", lang) if code in ADMIN_STATUSES else code


def _fact(kind: str, name: str, value: Any, lang: str, when: Callable[[Any], str],
          unit_name: Callable[[str], str], facts: Mapping[str, Any]) -> str:
    if value is None or value == "":
        return DASH
    if name in TIMES:
        return when(value)
    if name == "unit_code":
        return unit_name(str(value))
    if name == "rating":
        return rating_label(str(value), lang)
    if name == "fine_vnd":
        return fmt_vnd(value, lang)
    if kind == "feedback" and name == "category_code":
        return category_label(str(value), lang, facts.get("category_name"))
    if kind == "feedback" and name == "channel":
        return channel_label(str(value), lang)
    if kind == "traffic" and name == "channel":
        return channel_text(str(value), lang)
    if name == "violation_type":
        return type_text(str(value), lang)
    if name == "vehicle_class":
        return vehicle_text(str(value), lang)
    if kind == "admin" and name in ("channel", "level", "bucket"):
        key = f"search_admin_{name}_{value}"
        return t(key, lang) if has(key) else str(value)
    if kind == "admin" and name == "field":
        return field_label(str(value), lang)
    if name == "procedure_code":
        label = facts.get("procedure_name")
        return f"{value} · {label}" if label else str(value)
    return str(value)


def record_card(found: Any, lang: str, when: Callable[[Any], str], unit_name: Callable[[str], str],
                hidden: bool) -> html.Section:
    """One record's card: what it is, its facts, its personal data as the reader may see it
    (``hidden``: a line saying it is hidden), and its history (oldest first)."""
    rows = [html.Tr([html.Th(t(f"search_f_{name}", lang)),
                     html.Td(_fact(found.kind, name, found.facts.get(name), lang, when, unit_name, found.facts))])
            for name in FACTS[found.kind]]
    personal = [(key, value) for key, value in (("search_f_plate", found.plate),
                                                ("search_f_description", found.description),
                                                ("search_f_address", found.address)) if value is not None]
    rows += [html.Tr([html.Th(t(key, lang)), html.Td(value or DASH, className="search-personal")])
             for key, value in personal]
    if hidden and found.kind in ("feedback", "traffic"):
        rows.append(html.Tr([html.Th(t("search_f_personal", lang)), html.Td(t("search_personal_hidden", lang))]))
    history = html.Ol([html.Li([html.Time(when(e.at), className="search-when"), " ",
                                html.Span(t(f"search_event_{e.code}", lang), className="search-what")],
                               className=f"search-event search-event-{e.code}") for e in found.events],
                      className="search-history")
    return html.Section(
        [
            html.Header([
                html.H2([html.Span(_kind_label(found.kind, lang), className="search-kind"), " ",
                         html.Span(found.external_id, className="search-id")], className="card-title"),
                html.Span([t("search_source", lang, source=found.source), " · ",
                           html.Strong(_status(found.kind, found.status, lang), className="search-status")],
                          className="card-note"),
            ], className="card-head"),
            html.Div([
                html.Table(html.Tbody(rows), className="table search-facts"),
                html.Div([html.H3(t("search_history", lang), className="search-history-title"), history,
                          html.P(t("search_history_note", lang), className="search-history-note")],
                         className="search-history-box"),
            ], className="search-body"),
        ],
        className=f"card search-card search-card-{found.kind}",
        **{"data-kind": found.kind, "data-id": found.external_id},
    )


def result_cards(by_id: Sequence[Any], by_plate: Sequence[Any], plate_total: int, plate_text: str | None,
                 lang: str, when: Callable[[Any], str], unit_name: Callable[[str], str], hidden: bool) -> list[Any]:
    """The cards of the records found by id, then those of the plate (``plate_text``: the plate
    as the reader may see it, None when the plate was not searched), with a heading saying how
    many violations the plate has and how many are shown."""
    out: list[Any] = [record_card(f, lang, when, unit_name, hidden) for f in by_id]
    if plate_text is not None and (by_plate or plate_total):
        out.append(html.H2(t("search_plate_heading", lang, plate=plate_text, n=plate_total, shown=len(by_plate)),
                           className="search-plate-heading"))
        out += [record_card(f, lang, when, unit_name, hidden) for f in by_plate]
    return out
