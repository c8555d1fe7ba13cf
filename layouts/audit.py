"""The audit page (``/audit``, administrators): the audit trail, the accounts and the wall-screen
tokens. The layout builds the skeleton and the tables from rows it is handed; :mod:`callbacks.audit`
fills them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.components import error_banner
from layouts.query import parse_lang

ACTION_CHOICES = ("", "sign_in", "sign_in_failed", "acknowledge", "export", "report", "unmask", "unmasked_view", "user_add",
                  "user_disable", "user_reset", "user_role", "token_add", "token_revoke", "audit_prune",
                  "search")
DAY_CHOICES = (1, 7, 30, 365)


def denied(lang: str) -> html.Div:
    return html.Div([html.H1(t("audit_title", lang), className="page-title"),
                     html.Div(t("audit_denied", lang), className="banner banner-error", role="alert")],
                    className="page page-audit")


def layout(settings: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("audit_title", lang), className="page-title"),
            html.P(t("audit_intro", lang, days=settings.audit_retention_days), className="page-intro"),
            html.Section([
                html.Header([html.H2(t("audit_trail", lang), className="card-title"),
                             html.Span(id=ids.AU_NOTE, className="card-note")], className="card-head"),
                html.Div([
                    html.Label([t("audit_action", lang), dcc.Dropdown(
                        id=ids.AU_ACTION, value="", clearable=False, searchable=False,
                        options=[{"label": t("audit_all", lang) if not a else a, "value": a} for a in ACTION_CHOICES])],
                        className="filter"),
                    html.Label([t("audit_days", lang), dcc.Dropdown(
                        id=ids.AU_DAYS, value=7, clearable=False, searchable=False,
                        options=[{"label": t("audit_last_days", lang, n=d), "value": d} for d in DAY_CHOICES])],
                        className="filter"),
                ], className="filter-bar audit-filters"),
                html.Div(id=ids.AU_TRAIL, className="table-wrap"),
            ], className="card"),
            html.Section([html.Header(html.H2(t("audit_users", lang), className="card-title"), className="card-head"),
                          html.Div(id=ids.AU_USERS, className="table-wrap")], className="card"),
            html.Section([html.Header(html.H2(t("audit_tokens", lang), className="card-title"), className="card-head"),
                          html.Div(id=ids.AU_TOKENS, className="table-wrap")], className="card"),
        ],
        className="page page-audit",
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], lang: str, empty_key: str) -> html.Table | html.Div:
    if not rows:
        return html.Div(t(empty_key, lang), className="empty-note")
    return html.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])], className="table audit-table")


def trail_table(entries: Sequence[Any], when: Any, lang: str) -> html.Table | html.Div:
    """``when(datetime)``: a local time text."""
    rows = [(when(e.at), e.actor, e.role or "–", e.action, e.target or "",
             json.dumps(e.detail, ensure_ascii=False) if e.detail else "", e.address or "") for e in entries]
    return _table(("audit_col_at", "audit_col_actor", "audit_col_role", "audit_col_action", "audit_col_target",
                   "audit_col_detail", "audit_col_address"), rows, lang, "audit_none")


def users_table(users: Sequence[Any], when: Any, lang: str) -> html.Table | html.Div:
    rows = [(u.name, u.display_name or "", t(f"role_{u.role}", lang),
             t("audit_disabled", lang) if u.disabled else t("audit_active", lang),
             "OIDC" if u.oidc_subject else t("audit_password", lang), when(u.last_sign_in_at)) for u in users]
    return _table(("audit_col_user", "audit_col_display", "audit_col_role", "audit_col_state", "audit_col_method",
                   "audit_col_last"), rows, lang, "audit_no_users")


def tokens_table(tokens: Sequence[Any], when: Any, lang: str) -> html.Table | html.Div:
    rows = [(str(w.id), w.label, w.created_by, when(w.created_at),
             t("audit_revoked_at", lang, time=when(w.revoked_at)) if w.revoked_at else t("audit_active", lang),
             when(w.last_used_at)) for w in tokens]
    return _table(("audit_col_id", "audit_col_label", "audit_col_by", "audit_col_created", "audit_col_state",
                   "audit_col_last"), rows, lang, "audit_no_tokens")
