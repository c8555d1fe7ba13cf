"""Operations wall callbacks: one panel per family, the city stage and the alert ticker.

Each panel listens to its own family's version only (a clientside filter of the live
versions), so a feedback ingest every 5 s re-renders the feedback panel and nothing else; every
answer comes from :func:`callbacks.summaries.cached_summary` (computed once per data version for
all screens and workers). The one-minute tick refreshes what moves with the clock alone.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html

from callbacks import access
from callbacks.common import follow_versions, page_lang
from callbacks.summaries import cached_summary
from ioc.access import Can
from ioc.context import Context
from ioc.i18n import fmt_local_datetime, t
from ioc.live import simulator_speed
from ioc.registry import registry
from layouts import ids
from layouts import wall as wall_layout

#: A shape per normalised severity rank, so the ticker reads without colour.
SEVERITY_ICONS = {1: "●", 2: "▲", 3: "◆", 4: "■", 5: "⬣"}
#: A shape per stage level (1 green … 5 purple), for the same reason.
STAGE_ICONS = {1: "●", 2: "▲", 3: "◆", 4: "■", 5: "⬣"}
TICKER_MAX = 30


def alert_versions() -> tuple[str, ...]:
    """The versions that move the alerts: the alerts job's, and those of families whose ingest
    writes alerts itself (environment: its station episodes)."""
    return ("alerts", *(f.code for f in registry().families if f.alerts_on_ingest))


def family_label(code: str, lang: str) -> str:
    """A declared family's name in ``lang``; anything else (the "alerts" channel) as it is."""
    family = registry().get(code)
    return family.label(lang) if family else code


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    """The wall's layout: a panel per family on the wall (:attr:`ioc.family.Family.on_wall`);
    ``?rotate=`` may name any page."""
    reg = registry()
    speed = simulator_speed(ctx.engine, ctx.settings.simulator_speed) if ctx.simulated else 1.0
    return wall_layout.layout(ctx.settings, ctx.simulated, reg.wall_codes, reg.page_paths(), lang_pref,
                              sim_speed=speed, **params)


def alert_items(alerts: list[Any], ctx: Context, lang: str) -> list[html.Div]:

    items = []
    for alert in alerts[:TICKER_MAX]:
        since = fmt_local_datetime(alert.started_at, ctx.tz, lang)
        ack = (t("wall_acked", lang, who=alert.acked_by, time=fmt_local_datetime(alert.acked_at, ctx.tz, lang))
               if alert.acked_by else t("wall_not_acked", lang))
        items.append(html.Div(
            [
                html.Span([html.Span(SEVERITY_ICONS.get(alert.rank, "●"), className="sev-icon",
                                     **{"aria-hidden": "true"}), t(f"severity_{alert.level}", lang)],
                          className="sev-label"),
                html.Span(family_label(alert.family, lang), className="alert-family"),
                html.Span(access.alert_line(alert, lang), className="alert-text"),
                html.Span(t("wall_alert_since", lang, time=since), className="alert-since"),
                html.Span(("✓ " if alert.acked_by else "○ ") + ack,
                          className="alert-ack" + (" acked" if alert.acked_by else "")),
            ],
            className=f"ticker-item sev-{alert.rank}",
            **{"data-alert": str(alert.id), "data-rank": str(alert.rank), "data-acked": "1" if alert.acked_by else "0"},
        ))
    return items


def stage_block(stage: Any, ctx: Context, lang: str) -> list[Any]:
    reasons = [access.alert_line(a, lang) for a in stage.reasons[:2]]
    if len(stage.reasons) > 2:
        reasons.append(t("wall_stage_more", lang, n=len(stage.reasons) - 2))
    return [
        html.Div([html.Span(STAGE_ICONS[stage.level], className="stage-icon", **{"aria-hidden": "true"}),
                  html.Span(t("wall_stage_level", lang, n=stage.level), className="stage-level")],
                 className="stage-badge"),
        html.Div([
            html.Div(t(f"stage_{stage.code}", lang), className="stage-name"),
            html.Div(" · ".join(reasons) if reasons else t("wall_stage_why_none", lang), className="stage-why"),
        ], className="stage-text"),
    ]


def alerts_view(ctx: Context, lang: str) -> tuple[list[Any], list[Any], int]:
    """Ticker items, stage block and stage level for the current alerts (cached per version)."""
    from ioc.alerts import current_alerts
    from ioc.domain.stage import city_stage

    def compute() -> tuple[list[Any], list[Any], int]:
        alerts = current_alerts(ctx.engine)
        stage = city_stage(alerts)
        items = alert_items(alerts, ctx, lang)
        if not items:
            track = html.Div(t("wall_no_alerts", lang), className="ticker-empty")
        else:  # more than fit on one line: scroll, slowly enough to read (CSS animation, no JS)
            scrolling = len(items) > 3
            track = html.Div(items + (items if scrolling else []),
                             className="ticker-track" + (" scrolling" if scrolling else ""),
                             style={"animationDuration": f"{max(30, 9 * len(items))}s"} if scrolling else None)
        return [track], stage_block(stage, ctx, lang), stage.level

    return ctx.query("alerts", "wall", lang, compute, 20.0)


def register(app: dash.Dash, ctx: Context) -> None:
    for family in registry().wall_codes:
        follow_versions(app, ids.wall_version(family), (family,))
        _register_panel(app, ctx, family)

    follow_versions(app, ids.WALL_ALERTS_VERSION, alert_versions())

    @access.callback(app, Can.READ,
        Output(ids.WALL_TICKER, "children"),
        Output(ids.WALL_STAGE, "children"),
        Output(ids.WALL_STAGE, "className"),
        Input(ids.WALL_ALERTS_VERSION, "data"),
        Input(ids.WALL_TICK, "n_intervals"),
        State(ids.PAGE_LANG, "data"),
    )
    def alerts(_version: str | None, _tick: int, lang: str | None):  # noqa: ANN202
        lang = page_lang(ctx, lang)
        items, stage, level = alerts_view(ctx, lang)
        return items, stage, f"wall-stage stage-{level}"


def _register_panel(app: dash.Dash, ctx: Context, family: str) -> None:
    @access.callback(app, Can.READ,
        Output(ids.wall_tiles(family), "children"),
        Output(ids.wall_sub(family), "children"),
        Input(ids.wall_version(family), "data"),
        Input(ids.WALL_TICK, "n_intervals"),
        State(ids.PAGE_LANG, "data"),
    )
    def panel(_version: str | None, _tick: int, lang: str | None):  # noqa: ANN202
        return cached_summary(ctx, family, page_lang(ctx, lang), wall=True)
