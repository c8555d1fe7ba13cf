"""The leaders' scorecard page's callbacks (aggregates only: every signed-in role and the
loopback viewer may read it, as the Overview) and the plain functions they call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, html

from callbacks import access
from callbacks.common import local_today, page_lang, text
from ioc.access import Can
from ioc.context import Context
from ioc.domain.local_time import utcnow
from ioc.scorecard import GRAINS, Scorecard, ScorecardError, ScorePeriod, collect_scorecard
from layouts import ids
from layouts import scorecard as view

#: how long a read scorecard is served before it is read again (its KPIs are months and years:
#: a few minutes' lag is nothing, and reading it costs a second or two)
CACHE_S = 120


def page(ctx: Context, lang_pref: str | None = None, **params: Any) -> html.Div:
    return view.layout(ctx.settings, local_today(ctx), lang_pref, **params)


def read_scorecard(ctx: Context, when: ScorePeriod) -> Scorecard:
    """The scorecard of ``when``, cached for :data:`CACHE_S` seconds (shared by the workers)."""
    return ctx.query("scorecard", "card", when.key,
                     lambda: collect_scorecard(ctx.engine, ctx.settings, when, simulated=ctx.simulated, now=utcnow()),
                     CACHE_S)


def page_paths() -> dict[str, str]:
    """Family code → the path of its page (a family row's title links there)."""
    from ioc.registry import registry

    return {f.code: f.pages[0].path for f in registry().families if f.pages}


def spec_of() -> dict[str, Any]:
    from ioc.registry import registry

    return {f.code: f.spec for f in registry().families if getattr(f, "spec", None) is not None}


def render(ctx: Context, key: Any, lang: str) -> tuple[Any, str, str | None]:
    """(content, the period's days, the page's query string) for period ``key`` as the control
    sends it; a key that is not a period, or one not yet begun, shows the running month instead
    and says so."""
    today = local_today(ctx)
    try:
        when = ScorePeriod.parse(text(key, ""))
        if when > ScorePeriod.containing(today, when.grain):
            raise ScorecardError(f"period {when.key!r} has not begun")
    except ScorecardError:
        when = ScorePeriod.containing(today, "month")
    card = read_scorecard(ctx, when)
    content = view.body(card, lang, paths=page_paths(), specs=spec_of())
    return content, view.span_text(when, lang), "?" + urlencode({"period": when.key, "lang": lang})


def regrain(ctx: Context, grain: Any, key: Any, lang: str) -> tuple[list[dict[str, str]], str]:
    """The period list of ``grain`` and the period of that grain holding the chosen one's first day."""
    today = local_today(ctx)
    grain = grain if grain in GRAINS else "month"
    try:
        current = ScorePeriod.parse(text(key, ""))
    except ScorecardError:
        current = ScorePeriod.containing(today, grain)
    chosen = current if current.grain == grain else ScorePeriod.containing(current.period.start, grain)
    return view.period_options(grain, today, lang, chosen), chosen.key


def register(app: dash.Dash, ctx: Context) -> None:
    @access.callback(app, Can.READ, Output(view.SC_PERIOD, "options"), Output(view.SC_PERIOD, "value"),
                     Input(view.SC_GRAIN, "value"), State(view.SC_PERIOD, "value"), State(ids.PAGE_LANG, "data"),
                     prevent_initial_call=True)
    def grain_changed(grain: Any, key: Any, lang: Any):  # noqa: ANN202
        return regrain(ctx, grain, key, page_lang(ctx, text(lang)))

    @access.callback(app, Can.READ, Output(view.SC_BODY, "children"), Output(view.SC_SPAN, "children"),
                     Output(view.SC_URL, "search"), Input(view.SC_PERIOD, "value"), Input(ids.PAGE_LANG, "data"))
    def show(key: Any, lang: Any):  # noqa: ANN202
        content, span, search = render(ctx, key, page_lang(ctx, text(lang)))
        return content, span, search or dash.no_update
