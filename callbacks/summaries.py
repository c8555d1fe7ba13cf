"""Each family at a glance: the tiles and the one-line note shown on the Overview's family
cards and on the operations wall's panels (one computation, two places)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dash import html

from callbacks import admin_data, environment_data
from callbacks.common import local_today
from ioc.context import Context
from ioc.i18n import fmt_int, t
from ioc.kpi.feedback import FeedbackFilter, feedback_kpis
from ioc.kpi.periods import Period, default_period
from ioc.kpi.traffic import TrafficFilter, traffic_kpis
from ioc.store.db import utcnow
from layouts.admin import admin_tile
from layouts.admin_shaping import OVERVIEW_TILE_KEYS as ADMIN_TILES
from layouts.admin_shaping import admin_tiles
from layouts.components import tile
from layouts.environment import OVERVIEW_TILE_KEYS as ENV_TILES
from layouts.environment import env_tile
from layouts.environment_shaping import EnvQuery
from layouts.environment_shaping import tiles as env_tiles
from layouts.overview import OVERVIEW_TILES as FEEDBACK_TILES
from layouts.shaping import feedback_tiles
from layouts.traffic_shaping import OVERVIEW_TILE_KEYS as TRAFFIC_TILES
from layouts.traffic_shaping import traffic_tiles

Summary = tuple[list[html.Div], str]


def feedback(ctx: Context, lang: str) -> Summary:
    today, now = local_today(ctx), utcnow()
    kpis = feedback_kpis(ctx.engine, FeedbackFilter(default_period(today)), ctx.tz, now)
    today_kpis = feedback_kpis(ctx.engine, FeedbackFilter(Period(today, today + timedelta(days=1))), ctx.tz, now)
    tiles = [tile(spec, lang) for spec in feedback_tiles(kpis, ctx.settings, lang, FEEDBACK_TILES)]
    return tiles, t("overview_period", lang, today=fmt_int(today_kpis.received, lang))


def traffic(ctx: Context, lang: str) -> Summary:
    today = local_today(ctx)
    kpis = traffic_kpis(ctx.engine, TrafficFilter(default_period(today)), ctx.tz)
    today_n = traffic_kpis(ctx.engine, TrafficFilter(Period(today, today + timedelta(days=1))), ctx.tz).violations
    specs = traffic_tiles(kpis, ctx.settings.target_satisfaction, lang, TRAFFIC_TILES)
    out = []
    for spec in specs:
        div = tile(spec, lang)
        div.id = f"tr-tile-{spec.key}"
        out.append(div)
    return out, t("traffic_ov_sub", lang, today=fmt_int(today_n, lang))


def environment(ctx: Context, lang: str) -> Summary:
    kpis = environment_data.page_kpis(ctx, EnvQuery(range="30d"))
    specs = [spec for spec in env_tiles(kpis, lang) if spec.key in ENV_TILES]
    return [env_tile(spec) for spec in specs], t("env_ov_sub", lang, n=fmt_int(kpis.stations, lang))


def admin(ctx: Context, lang: str) -> Summary:
    kpis, counts, received_today = admin_data.overview_kpis(ctx)
    tiles = [admin_tile(s, lang) for s in admin_tiles(kpis, counts["due_soon"], ctx.settings.target_on_time, lang,
                                                      ADMIN_TILES)]
    return tiles, t("admin_overview_sub", lang, today=fmt_int(received_today, lang))


SUMMARIES: dict[str, Callable[[Context, str], Summary]] = {
    "feedback": feedback, "traffic": traffic, "environment": environment, "admin": admin,
}


def cached_summary(ctx: Context, family: str, lang: str, ttl_s: float = 30.0) -> Any:
    """A family's summary, computed once per data version, language and ``ttl_s`` for every
    screen and worker (200 wall screens asking at once cost one computation)."""
    return ctx.query(family, "summary", lang, lambda: SUMMARIES[family](ctx, lang), ttl_s)
