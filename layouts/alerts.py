"""The alerts page (``/alerts``): the city stage, every family's active alerts with their
acknowledgement (who, when), and the last seven days. Operators acknowledge here; the wall
shows who did. The layout builds the skeleton; :mod:`callbacks.alerts` fills it."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.components import error_banner
from layouts.query import parse_lang


def layout(settings: Any, lang_pref: str | None = None, **params: Any) -> html.Div:
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.AL_VERSION),
            dcc.Store(id=ids.AL_REFRESH, data=0),
            dcc.Store(id=ids.AL_OPERATOR, storage_type="local"),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("alerts_title", lang), className="page-title"),
            html.Div(id=ids.AL_STAGE, className="wall-stage alerts-stage", role="status"),
            html.Section(
                [
                    html.Header([
                        html.H2(t("alerts_active", lang), className="card-title"),
                        html.Span(id=ids.AL_ACTIVE_NOTE, className="card-note"),
                    ], className="card-head"),
                    html.Div([
                        html.Label([t("alerts_who", lang),
                                    dcc.Input(id=ids.AL_WHO, type="text", maxLength=80, debounce=False,
                                              placeholder=t("alerts_who_placeholder", lang), className="ack-input")],
                                   className="ack-field"),
                        html.Label([t("alerts_note", lang),
                                    dcc.Input(id=ids.AL_NOTE, type="text", maxLength=200,
                                              placeholder=t("alerts_note_placeholder", lang),
                                              className="ack-input ack-note")],
                                   className="ack-field ack-field-note"),
                        html.Div(id=ids.AL_MESSAGE, className="ack-message", role="status"),
                    ], className="ack-form"),
                    html.Div(id=ids.AL_ACTIVE),
                ],
                className="card alerts-card",
            ),
            html.Section(
                [
                    html.Header(html.H2(t("alerts_history", lang), className="card-title"), className="card-head"),
                    html.Div(id=ids.AL_HISTORY),
                ],
                className="card alerts-card",
            ),
        ],
        className="page page-alerts",
    )
