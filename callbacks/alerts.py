"""Alerts page callbacks: the stage, the active alerts with their acknowledge buttons, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
from dash import ALL, Input, Output, State, html
from dash import ctx as dash_ctx

from callbacks import access
from callbacks.common import counter, follow_versions, page_lang, whole_number
from callbacks.wall import SEVERITY_ICONS, alert_versions, family_label, stage_block
from ioc import audit
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_int, fmt_local_datetime, t
from ioc.store.db import utcnow
from layouts import alerts as alerts_layout
from layouts import ids

HISTORY_DAYS = 7


def _severity(alert: Any, lang: str) -> html.Span:
    return html.Span([html.Span(SEVERITY_ICONS.get(alert.rank, "●"), className="sev-icon", **{"aria-hidden": "true"}),
                      " ", t(f"severity_{alert.level}", lang)], className=f"sev-label sev-{alert.rank}")


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The alerts page's layout: the acknowledgement form under the signed-in name, for those who may."""
    who = access.principal()
    return alerts_layout.layout(ctx.settings, lang_pref, acting_as=who.display if who.may(Can.ACKNOWLEDGE) else None,
                                **params)


def alerts_table(alerts: list[Any], ctx: Context, lang: str, with_buttons: bool) -> html.Table | html.Div:

    if not alerts:
        return html.Div(t("alerts_none", lang), className="empty-note")
    head = ["alerts_col_severity", "alerts_col_family", "alerts_col_what", "alerts_col_started", "alerts_col_ack"]
    rows = []
    for a in alerts:
        if a.acked_by:
            ack: Any = html.Span(t("alerts_acked", lang, who=a.acked_by, time=fmt_local_datetime(a.acked_at, ctx.tz, lang)),
                                 className="ack-done", title=a.ack_note or "")
        elif with_buttons:
            ack = html.Button(t("alerts_ack", lang), id={"type": ids.AL_ACK, "id": a.id}, n_clicks=0,
                              className="btn btn-ack")
        else:
            ack = html.Span("–", className="muted")
        cells = [html.Td(_severity(a, lang)), html.Td(family_label(a.family, lang)), html.Td(access.alert_line(a, lang), className="alert-what"),
                 html.Td(fmt_local_datetime(a.started_at, ctx.tz, lang), className="num")]
        cells.append(html.Td(ack))
        rows.append(html.Tr(cells, **{"data-alert": str(a.id), "data-acked": "1" if a.acked_by else "0",
                                      "data-rank": str(a.rank)}))
    return html.Table([html.Thead(html.Tr([html.Th(t(k, lang)) for k in head])), html.Tbody(rows)],
                      className="table alerts-table")


def history_rows(alerts: list[Any], ctx: Context, lang: str) -> list[dict[str, Any]]:
    """The history grid's rows: texts formatted here (the reader's language and time zone), the
    times also as ISO values to sort on, the severity's rank for its colour and order."""
    rows = []
    for a in alerts:
        ack = (t("alerts_acked", lang, who=a.acked_by, time=fmt_local_datetime(a.acked_at, ctx.tz, lang))
               if a.acked_by else "–")
        rows.append({
            "id": str(a.id), "rank": int(a.rank), "acked": bool(a.acked_by),
            "severity": f"{SEVERITY_ICONS.get(a.rank, '●')} {t(f'severity_{a.level}', lang)}",
            "family": family_label(a.family, lang), "what": access.alert_line(a, lang),
            "started_at": a.started_at.isoformat(), "started": fmt_local_datetime(a.started_at, ctx.tz, lang),
            "ended_at": a.ended_at.isoformat() if a.ended_at else "9999",
            "ended": fmt_local_datetime(a.ended_at, ctx.tz, lang) if a.ended_at else t("alerts_ongoing", lang),
            "ack": ack, "ack_note": a.ack_note or "",
        })
    return rows


def register(app: dash.Dash, ctx: Context) -> None:
    from ioc.alerts import acknowledge, current_alerts, recent_alerts
    from ioc.domain.stage import city_stage

    follow_versions(app, ids.AL_VERSION, alert_versions())

    @access.callback(app, Can.READ,
        Output(ids.AL_STAGE, "children"), Output(ids.AL_STAGE, "className"),
        Output(ids.AL_ACTIVE, "children"), Output(ids.AL_ACTIVE_NOTE, "children"), Output(ids.AL_HISTORY, "rowData"),
        Output(ids.AL_HISTORY_NOTE, "children"),
        Input(ids.AL_VERSION, "data"), Input(ids.AL_REFRESH, "data"), Input(ids.PAGE_LANG, "data"),
    )
    def render(_version: str | None, _refresh: int | None, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        now = utcnow()
        active = current_alerts(ctx.engine, now)
        stage = city_stage(active)
        history = recent_alerts(ctx.engine, now - timedelta(days=HISTORY_DAYS), now)
        unacked = sum(1 for a in active if not a.acked_by)
        return (stage_block(stage, ctx, lang), f"wall-stage alerts-stage stage-{stage.level}",
                alerts_table(active, ctx, lang, with_buttons=access.principal().may(Can.ACKNOWLEDGE)),
                t("alerts_active_note", lang, n=len(active), unacked=unacked),
                history_rows(history, ctx, lang), t("alerts_history_note", lang, n=fmt_int(len(history), lang)))

    @access.callback(app, Can.ACKNOWLEDGE,
        Output(ids.AL_MESSAGE, "children"), Output(ids.AL_MESSAGE, "className"), Output(ids.AL_REFRESH, "data"),
        Input({"type": ids.AL_ACK, "id": ALL}, "n_clicks"),
        State(ids.AL_NOTE, "value"), State(ids.AL_REFRESH, "data"), State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def ack(clicks: list[int], note: str | None, refresh: int | None, lang: str | None):  # noqa: ANN202
        """Acknowledge under the signed-in name (never a typed one); recorded in the audit trail."""
        trigger = dash_ctx.triggered_id
        if not isinstance(trigger, dict) or not isinstance(clicks, list) or not any(
                isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in clicks):
            return dash.no_update, dash.no_update, dash.no_update
        lang = page_lang(ctx, lang)
        who = access.principal()
        before = utcnow()
        try:
            alert_id = whole_number(trigger.get("id"))
            if alert_id is None:  # the buttons' ids are the alerts' (positive, whole): a crafted request
                raise ValueError(f"no alert with id {str(trigger.get('id'))[:40]!r}")
            if note is not None and not isinstance(note, str):
                raise ValueError("the note must be text")
            note = (note or "").strip()
            alert = acknowledge(ctx.engine, alert_id, who.name, note or None)
        except ValueError as exc:
            return t("alerts_ack_error", lang, error=str(exc)), "ack-message error", dash.no_update
        done = alert.acked_at >= before - timedelta(seconds=1) and alert.acked_by == who.name
        if done:
            audit.record(ctx.engine, who.name, "acknowledge", target=f"alert {alert.id}", role=who.role,
                         detail={"note": note} if note else None, address=access.client_address())
        when = fmt_local_datetime(alert.acked_at, ctx.tz, lang, seconds=True)
        key = "alerts_ack_done" if done else "alerts_ack_already"
        return t(key, lang, id=alert.id, who=alert.acked_by, time=when), "ack-message ok", counter(refresh) + 1
