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


def layout(settings: Any, lang_pref: str | None = None, acting_as: str | None = None, **params: Any) -> html.Div:
    """``acting_as``: the signed-in name acknowledgements are recorded under (None: this reader
    may not acknowledge; the form is replaced by a note saying who may)."""
    lang, problem = parse_lang(params, lang_pref, settings.lang)
    if acting_as is None:
        form: list[Any] = [html.Div(t("alerts_ack_role", lang), className="ack-who muted")]
    else:
        form = [html.Div([t("alerts_who", lang), " ", html.Strong(acting_as, id=ids.AL_WHO)], className="ack-who"),
                html.Label([t("alerts_note", lang),
                            dcc.Input(id=ids.AL_NOTE, type="text", maxLength=200,
                                      placeholder=t("alerts_note_placeholder", lang), className="ack-input ack-note")],
                           className="ack-field ack-field-note")]
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Store(id=ids.AL_VERSION),
            dcc.Store(id=ids.AL_REFRESH, data=0),
            error_banner([problem.message(lang)] if problem else []),
            html.H1(t("alerts_title", lang), className="page-title"),
            html.Div(id=ids.AL_STAGE, className="wall-stage alerts-stage", role="status"),
            html.Section(
                [
                    html.Header([
                        html.H2(t("alerts_active", lang), className="card-title"),
                        html.Span(id=ids.AL_ACTIVE_NOTE, className="card-note"),
                    ], className="card-head"),
                    html.Div([*form, html.Div(id=ids.AL_MESSAGE, className="ack-message", role="status")],
                             className="ack-form"),
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
