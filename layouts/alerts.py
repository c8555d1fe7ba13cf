"""The alerts page (``/alerts``): the city stage, every family's active alerts with their
acknowledgement (who, when), and the last seven days. Operators acknowledge here; the wall
shows who did. The layout builds the skeleton; :mod:`callbacks.alerts` fills it."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.components import error_banner, grid_locale
from layouts.feedback import GRID_THEME
from layouts.query import parse_lang

HISTORY_PAGE = 15  # rows a page of the history grid


def history_grid(lang: str) -> dag.AgGrid:
    """The last seven days' alerts as one grid (rows as data, paged): a table of Dash components
    took the browser about 3 s to draw for 137 alerts, the grid draws a page at once. The cells
    are texts the callback formats; the time columns sort on their ISO value."""
    def col(field: str, key: str, **extra: Any) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    columns = [
        col("severity", "alerts_col_severity", width=150, cellClass={"function": "'sev-' + params.data.rank"},
            comparator={"function": "(a, b, na, nb) => na.data.rank - nb.data.rank"}),
        col("family", "alerts_col_family", width=210, tooltipField="family"),
        col("what", "alerts_col_what", flex=1, minWidth=260, tooltipField="what", wrapText=True, autoHeight=True),
        col("started_at", "alerts_col_started", width=170, valueFormatter={"function": "params.data.started"},
            sort="desc"),
        col("ended_at", "alerts_col_ended", width=170, valueFormatter={"function": "params.data.ended"}),
        col("ack", "alerts_col_ack", width=220, tooltipField="ack_note", wrapText=True, autoHeight=True),
    ]
    return dag.AgGrid(
        id=ids.AL_HISTORY, columnDefs=columns, rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        rowClassRules={"al-row-unacked": "!params.data.acked"},
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": HISTORY_PAGE,
                         "paginationPageSizeSelector": [HISTORY_PAGE, 50, 100], "animateRows": False,
                         "domLayout": "autoHeight", "enableCellTextSelection": True, "tooltipShowDelay": 300,
                         "localeText": grid_locale(lang, t("alerts_none", lang))},
        className="alerts-history-grid", style={"width": "100%"},
    )


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
                    html.Header([html.H2(t("alerts_history", lang), className="card-title"),
                                 html.Span(id=ids.AL_HISTORY_NOTE, className="card-note")], className="card-head"),
                    history_grid(lang),
                ],
                className="card alerts-card",
            ),
        ],
        className="page page-alerts",
    )
