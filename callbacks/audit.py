"""The audit page's callbacks (administrators only, checked on the server)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
from dash import Input, Output, html

from callbacks import access
from callbacks.common import page_lang
from ioc import accounts, audit
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_local_datetime, t
from ioc.store.db import utcnow
from layouts import audit as audit_layout
from layouts import ids

ROWS = 1000


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The audit page, or a refusal for anyone but an administrator (the data callbacks refuse too)."""
    if not access.principal().may(Can.ADMINISTER):
        lang, _ = audit_layout.parse_lang(params, lang_pref, ctx.settings.lang)
        return audit_layout.denied(lang)
    return audit_layout.layout(ctx.settings, lang_pref, **params)


def register(app: dash.Dash, ctx: Context) -> None:
    @access.callback(app, Can.ADMINISTER, Output(ids.AU_TRAIL, "children"), Output(ids.AU_NOTE, "children"),
                     Output(ids.AU_USERS, "children"), Output(ids.AU_TOKENS, "children"),
                     Input(ids.AU_ACTION, "value"), Input(ids.AU_DAYS, "value"), Input(ids.PAGE_LANG, "data"))
    def render(action: Any, days: Any, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        action = action if action in audit_layout.ACTION_CHOICES and action else None
        days = days if days in audit_layout.DAY_CHOICES else 7
        entries = audit.entries(ctx.engine, since=utcnow() - timedelta(days=days), action=action, limit=ROWS)

        def when(moment: Any) -> str:
            return fmt_local_datetime(moment, ctx.tz, lang, seconds=True) if moment else "–"

        note = t("audit_shown", lang, n=len(entries), days=days) + (t("audit_capped", lang, n=ROWS)
                                                                    if len(entries) >= ROWS else "")
        return (audit_layout.trail_table(entries, when, lang), note,
                audit_layout.users_table(accounts.list_users(ctx.engine), when, lang),
                audit_layout.tokens_table(accounts.list_wall_tokens(ctx.engine), when, lang))
