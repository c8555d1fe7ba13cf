"""The leaders' scorecard page's callbacks (aggregates only: every signed-in role and the
loopback viewer may read it, as the Overview) and the plain functions they call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import flask
from dash import Input, Output, State, html

from callbacks import access
from callbacks.common import local_today, page_lang, text
from ioc.access import Can
from ioc.context import Context
from ioc.domain.local_time import utcnow
from ioc.i18n import t
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


def chosen(ctx: Context, key: Any) -> ScorePeriod:
    """The period ``key`` as the control sends it; one that is not a period, or has not begun: the running month."""
    today = local_today(ctx)
    try:
        when = ScorePeriod.parse(text(key, ""))
    except ScorecardError:
        return ScorePeriod.containing(today, "month")
    return when if when <= ScorePeriod.containing(today, when.grain) else ScorePeriod.containing(today, "month")


def render(ctx: Context, key: Any, lang: str) -> tuple[Any, str, str | None]:
    """(content, the period's days, the page's query string) for period ``key`` as the control
    sends it; a key that is not a period, or one not yet begun, shows the running month instead
    and says so."""
    when = chosen(ctx, key)
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


BRIEF_ENDPOINT = "scorecard_brief"
BRIEF_FORMATS = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def brief_file(ctx: Context, key: str, fmt: str, args: Any) -> flask.Response:
    """``/scorecard/<period>.<pdf|xlsx>?lang=…``: the brief of the scorecard's period (the same
    KPI rows, changes and rankings, :mod:`ioc.brief`), for readers who may download reports;
    audited as a report. 404 naming an unknown format, 400 naming a bad period or language."""
    from callbacks.export_routes import BadParameter, file_answer, query_params, text_answer, url_lang
    from callbacks.filters import audit_download
    from ioc.brief import make_report, report_filename

    if fmt not in BRIEF_FORMATS:
        return text_answer(f"no format {fmt!r} for a brief (formats: {', '.join(BRIEF_FORMATS)})", 404)
    try:
        when = ScorePeriod.parse(key)
    except ScorecardError as exc:
        return text_answer(str(exc), 400)
    if when > ScorePeriod.containing(local_today(ctx), when.grain):
        return text_answer(f"period {when.key!r} has not begun", 400)
    try:
        lang = url_lang(ctx, query_params(args))
    except BadParameter as exc:
        return text_answer(str(exc), 400)
    who = access.principal()
    if not who.may(Can.REPORT):
        return text_answer(f"a brief is a report: the {who.role or 'anonymous'} role may not download it",
                           403 if who.role else 401)
    brief = read_scorecard(ctx, when).brief
    body = make_report(brief, fmt, lang)
    filename = report_filename(f"scorecard-{when.grain}", when.period, lang, fmt)
    audit_download(ctx, who, filename, sum(len(f.kpis) for f in brief.families), False)
    return file_answer(body, filename, BRIEF_FORMATS[fmt])


def brief_links(when: ScorePeriod, lang: str) -> list[Any]:
    """The links to the period's brief, for a reader who may download reports."""
    if not access.principal().may(Can.REPORT):
        return []
    query = urlencode({"lang": lang})
    return [html.A(t(f"sc_brief_{fmt}", lang), href=f"/scorecard/{when.key}.{fmt}?{query}", download="",
                   className=f"btn sc-brief sc-brief-{fmt}", title=t("sc_brief_title", lang)) for fmt in BRIEF_FORMATS]


def register_routes(server: flask.Flask, ctx: Context) -> None:
    @server.get("/scorecard/<string:file>", endpoint=BRIEF_ENDPOINT)
    def scorecard_brief(file: str) -> flask.Response:
        key, dot, fmt = file.rpartition(".")
        return brief_file(ctx, key if dot else file, fmt if dot else "", flask.request.args)


def register(app: dash.Dash, ctx: Context) -> None:
    @access.callback(app, Can.READ, Output(view.SC_PERIOD, "options"), Output(view.SC_PERIOD, "value"),
                     Input(view.SC_GRAIN, "value"), State(view.SC_PERIOD, "value"), State(ids.PAGE_LANG, "data"),
                     prevent_initial_call=True)
    def grain_changed(grain: Any, key: Any, lang: Any):  # noqa: ANN202
        return regrain(ctx, grain, key, page_lang(ctx, text(lang)))

    @access.callback(app, Can.READ, Output(view.SC_BODY, "children"), Output(view.SC_SPAN, "children"),
                     Output(view.SC_URL, "search"), Output(view.SC_LINKS, "children"), Input(view.SC_PERIOD, "value"),
                     Input(ids.PAGE_LANG, "data"))
    def show(key: Any, lang: Any):  # noqa: ANN202
        lang = page_lang(ctx, text(lang))
        when = chosen(ctx, key)
        content, span, search = render(ctx, when.key, lang)
        return content, span, search, brief_links(when, lang)
