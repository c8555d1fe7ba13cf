"""The leaders' scorecard page (``/scorecard?period=2026-11``): every family's headline KPIs for a
month, a quarter or a year against their targets, each with its traffic light, a twelve-period
trend and both changes; the units ranked best and worst with their change; the provincial
indices. Pure: it lays out a :class:`ioc.scorecard.Scorecard` that :mod:`callbacks.scorecard`
reads; the KPI rows (targets, lights, changes) are the brief's (:mod:`layouts.brief_rows`).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from dash import dcc, html

from ioc.i18n import fmt_date, fmt_int, fmt_local_datetime, fmt_number, fmt_pct, t
from ioc.kpi.compare import Kind
from ioc.kpi.filters import Problem
from ioc.scorecard import GRAINS, SPARK_PERIODS, ScorecardError, ScorePeriod
from layouts import ids
from layouts.brief_rows import KpiRow, fmt_value, kpi_rows, number_of, rank_change
from layouts.components import STATE_ICONS, error_banner
from layouts.query import param, parse_lang

SC_GRAIN = "sc-grain"
SC_PERIOD = "sc-period"
SC_BODY = "sc-body"
SC_URL = "sc-url"
SC_SPAN = "sc-span"
SC_LINKS = "sc-links"
#: how many periods back the period list offers, per grain
OFFERED = {"month": 24, "quarter": 12, "year": 6}
_SPARK_W, _SPARK_H, _PAD = 132, 32, 3


# --- periods ------------------------------------------------------------------------------------


def period_label(p: ScorePeriod, lang: str) -> str:
    """``Tháng 11/2026`` · ``November 2026``; ``Quý 4/2026`` · ``Q4 2026``; ``Năm 2026`` · ``2026``."""
    if p.grain == "month":
        name = f"{p.index:02d}" if lang == "vi" else calendar.month_name[p.index]
        return t("sc_month", lang, name=name, y=p.year)
    if p.grain == "quarter":
        return t("sc_quarter", lang, q=p.index, y=p.year)
    return t("sc_year", lang, y=p.year)


def short_label(p: ScorePeriod, lang: str) -> str:
    """A trend point's label: ``11/2026`` · ``Nov 2026``, ``Q4/2026``, ``2026``."""
    if p.grain == "month":
        return f"{p.index:02d}/{p.year}" if lang == "vi" else f"{calendar.month_abbr[p.index]} {p.year}"
    if p.grain == "quarter":
        return f"Q{p.index}/{p.year}" if lang == "vi" else f"Q{p.index} {p.year}"
    return str(p.year)


def period_options(grain: str, today: date, lang: str, chosen: ScorePeriod | None = None) -> list[dict[str, str]]:
    """The periods offered for ``grain``, newest (the running one) first; ``chosen`` is kept in
    the list even when older than the offered ones."""
    newest = ScorePeriod.containing(today, grain)
    offered = [newest.shifted(-i) for i in range(OFFERED[grain])]
    if chosen is not None and chosen.grain == grain and chosen not in offered and chosen <= newest:
        offered.append(chosen)
    return [{"label": period_label(p, lang), "value": p.key} for p in offered]


def chosen_period(params: Mapping[str, Any], today: date) -> tuple[ScorePeriod, Problem | None]:
    """The URL's ``period`` (default: the running month); one after the running period of its
    grain or unreadable is refused, naming it."""
    default = ScorePeriod.containing(today, "month")
    raw = param(params, "period")
    if raw is None:
        return default, None
    try:
        chosen = ScorePeriod.parse(raw)
    except ScorecardError:
        return default, Problem("period", raw[:20], "sc_reason_period", default.key)
    if chosen > ScorePeriod.containing(today, chosen.grain):
        return default, Problem("period", raw[:20], "sc_reason_future", default.key)
    return chosen, None


def layout(settings: Any, today: date, lang_pref: str | None = None, **params: Any) -> html.Div:
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    chosen, problem = chosen_period(params, today)
    problems = [p.message(lang) for p in (lang_problem, problem) if p is not None]
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Location(id=SC_URL, refresh=False),
            error_banner(problems),
            html.Div([
                html.Div([
                    html.H1(t("sc_title", lang), className="page-title"),
                    html.P(t("sc_intro", lang), className="page-intro"),
                ], className="sc-heading"),
                html.Div([
                    html.Label(t("sc_grain", lang), htmlFor=SC_GRAIN, className="sc-label"),
                    dcc.RadioItems(id=SC_GRAIN, value=chosen.grain, inline=True, className="sc-grain",
                                   options=[{"label": t(f"sc_grain_{g}", lang), "value": g} for g in GRAINS]),
                    html.Label(t("sc_period", lang), htmlFor=SC_PERIOD, className="sc-label"),
                    dcc.Dropdown(id=SC_PERIOD, value=chosen.key, clearable=False, searchable=False,
                                 options=period_options(chosen.grain, today, lang, chosen), className="sc-period"),
                    html.Span(id=SC_SPAN, className="sc-span"),
                    html.Span(id=SC_LINKS, className="sc-links"),
                ], className="sc-controls card"),
            ], className="sc-top"),
            dcc.Loading(html.Div(id=SC_BODY, className="sc-body"), type="dot", delay_show=300),
        ],
        className="page page-scorecard",
    )


# --- the trend ----------------------------------------------------------------------------------


def sparkline(values: Sequence[float | None], provisional_last: bool, target: float | None = None) -> str:
    """An SVG trend of ``values`` (None: a gap) as a ``data:`` URI: a line, the last point as a
    dot (hollow when its period is still running), the target as a dashed line when given."""
    known = [v for v in values if v is not None]
    span = [*known, *([target] if target is not None else [])]
    low, high = (min(span), max(span)) if span else (0.0, 1.0)
    if math.isclose(low, high):
        low, high = low - 1, high + 1
    step = (_SPARK_W - 2 * _PAD) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return round(_SPARK_H - _PAD - (v - low) / (high - low) * (_SPARK_H - 2 * _PAD), 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SPARK_W}" height="{_SPARK_H}" '
             f'viewBox="0 0 {_SPARK_W} {_SPARK_H}">']
    if target is not None:
        parts.append(f'<line x1="0" x2="{_SPARK_W}" y1="{y(target)}" y2="{y(target)}" stroke="#9fb0c6" '
                     'stroke-width="1" stroke-dasharray="3 3"/>')
    run: list[str] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(f"{round(_PAD + i * step, 1)},{y(v)}")
            continue
        if len(run) > 1:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#38bdf8" stroke-width="2" '
                         'stroke-linejoin="round"/>')
        elif run:
            x_, y_ = run[0].split(",")
            parts.append(f'<circle cx="{x_}" cy="{y_}" r="1.8" fill="#38bdf8"/>')
        run = []
    if values and values[-1] is not None:
        x_last, y_last = round(_PAD + (len(values) - 1) * step, 1), y(values[-1])
        fill = "#0a111b" if provisional_last else "#38bdf8"
        parts.append(f'<circle cx="{x_last}" cy="{y_last}" r="2.8" fill="{fill}" stroke="#38bdf8" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "data:image/svg+xml;utf8," + quote("".join(parts))


def trend_values(row: KpiRow, points: Sequence[Any]) -> list[float | None]:
    return [None if p.kpis is None else number_of(p.kpis.get(row.key), row.kind) for p in points]


def _has_trend(row: KpiRow, rules: Mapping[str, Any] | None) -> bool:
    """Whether the KPI of ``row`` is drawn over periods: its family's comparison rule (the
    brief's, :func:`ioc.brief.comparison_rules`) is neither a snapshot nor a published rank."""
    rule = (rules or {}).get(row.key)
    return rule is not None and rule.kind not in (Kind.SNAPSHOT, Kind.RANK)


def trend_cell(row: KpiRow, points: Sequence[Any] | None, lang: str, rules: Mapping[str, Any] | None) -> html.Td:
    if not points or not _has_trend(row, rules):
        return html.Td("–", className="sc-trend sc-none", title=t("sc_no_trend", lang))
    values = trend_values(row, points)
    shown = [(p, v) for p, v in zip(points, values, strict=True) if v is not None]
    if not shown:
        return html.Td("–", className="sc-trend sc-none", title=t("sc_trend_empty", lang))
    first, last = shown[0], shown[-1]
    text = t("sc_trend_alt", lang, n=len(points), start=short_label(first[0].when, lang),
             first=fmt_value(first[1], row.kind, lang), end=short_label(last[0].when, lang),
             last=fmt_value(last[1], row.kind, lang))
    target = row.target if row.kind != "score" else None
    return html.Td(html.Img(src=sparkline(values, points[-1].provisional, target), alt=text, title=text,
                            width=_SPARK_W, height=_SPARK_H, className="sc-spark",
                            **{"data-values": ",".join("" if v is None else repr(round(v, 6)) for v in values)}),
                   className="sc-trend")


# --- the body -----------------------------------------------------------------------------------


def _change_cell(delta: Any, which: str) -> html.Td:
    if delta is None:
        return html.Td("", className=f"sc-change sc-{which}")
    return html.Td(delta.text, className=f"sc-change sc-{which} cmp-{delta.tone}",
                   **{"data-change": "" if delta.value is None else repr(round(delta.value, 6))})


def _light(state: str, lang: str) -> html.Td:
    icon = STATE_ICONS.get(state, "")
    return html.Td(html.Span([html.Span(icon, className="sc-dot", **{"aria-hidden": "true"}),
                              t(f"brief_state_{state}", lang)], className=f"sc-light sc-light-{state}"),
                   className="sc-state", **{"data-state": state})


def kpi_table(card: Any, lang: str, paths: Mapping[str, str], specs: Mapping[str, Any]) -> html.Div:
    """The headline KPIs, a group of rows per family (an ``indicator`` system's published indices
    have their own card: :func:`indices_card`)."""
    published = {code for code, spec in specs.items() if spec.kind == "indicator"}
    rows = [r for r in kpi_rows(card.brief, lang) if r.family not in published]
    head = html.Thead(html.Tr([html.Th(t(f"sc_col_{c}", lang), className=f"sc-h-{c}")
                               for c in ("kpi", "value", "target", "state", "trend", "previous", "year")]))
    body: list[Any] = []
    failed = {fb.code: fb.error for fb in card.brief.families if fb.error}
    rules = {fb.code: fb.rules for fb in card.brief.families}
    family = None
    for row in rows:
        if row.family != family:
            family = row.family
            title = html.A(row.family_label, href=paths[family]) if family in paths else row.family_label
            body.append(html.Tr(html.Th(title, colSpan=7, scope="colgroup"), className="sc-family",
                                **{"data-family": family}))
        body.append(html.Tr([
            html.Th(row.label, scope="row", className="sc-kpi"),
            html.Td(row.value_text, className="num sc-value",
                    **{"data-value": "" if row.value is None else repr(row.value)}),
            html.Td(row.target_text, className="num sc-target"),
            _light(row.state, lang),
            trend_cell(row, card.trends.get(row.family), lang, rules.get(row.family)),
            _change_cell(row.previous, "previous"),
            _change_cell(row.year, "year"),
        ], className="sc-row", **{"data-family": row.family, "data-kpi": row.key}))
    for code, error in failed.items():
        body.append(html.Tr(html.Td(t("sc_family_failed", lang, family=code, error=error), colSpan=7,
                                    className="sc-failed")))
    return html.Div(html.Table([head, html.Tbody(body)], className="table sc-table"), className="table-wrap")


def _rank_rows(frame: Any, lang: str, covered: bool) -> list[Any]:
    out = []
    for rec in frame.itertuples(index=False):
        delta = rank_change(rec.value, rec.change, covered, lang)
        out.append(html.Tr([
            html.Td(fmt_int(rec.rank, lang), className="num sc-rank"),
            html.Td(rec.name, className="sc-unit"),
            html.Td(fmt_pct(rec.value, lang), className="num"),
            html.Td(fmt_int(rec.volume, lang), className="num sc-volume"),
            html.Td(delta.text, className=f"sc-change cmp-{delta.tone}"),
        ], **{"data-code": rec.code}))
    return out


def ranking_card(ranking: Any, lang: str) -> html.Section:
    head = html.Thead(html.Tr([html.Th(t(f"sc_rank_col_{c}", lang, what=t(f"sc_volume_{ranking.unit_kind}", lang)))
                               for c in ("rank", "unit", "rate", "volume", "change")]))
    frame = ranking.frame
    parts: list[Any] = [html.Header(html.H2(t(f"sc_ranking_{ranking.unit_kind}", lang), className="card-title"),
                                    className="card-head"),
                        html.P(t(f"sc_ranking_note_{ranking.unit_kind}", lang, n=fmt_int(ranking.min_volume, lang),
                                 total=fmt_int(len(frame), lang)), className="sc-note")]
    if frame.empty:
        parts.append(html.P(t("sc_ranking_empty", lang), className="sc-none"))
    else:
        for which, part in (("best", ranking.best()), ("worst", ranking.worst())):
            if part.empty:
                continue
            parts.append(html.H3(t(f"sc_{which}", lang), className="sc-subtitle"))
            parts.append(html.Div(html.Table([head, html.Tbody(_rank_rows(part, lang, ranking.covered))],
                                             className=f"table sc-rank-table sc-{which}"), className="table-wrap"))
    return html.Section(parts, className="card sc-ranking", **{"data-ranking": ranking.unit_kind})


def _index_value(value: float | None, kind: str, rank_of: float | None, unit: str, lang: str) -> str:
    if value is None:
        return "–"
    if kind == "rank":
        text = fmt_int(value, lang)
        return t("sc_rank_of", lang, rank=text, of=fmt_int(rank_of, lang)) if rank_of else text
    number = fmt_int(value, lang) if float(value).is_integer() else fmt_number(value, lang, 1)
    return f"{number}\u00a0{unit}" if unit else number


def indices_card(card: Any, lang: str, specs: Mapping[str, Any]) -> html.Section | None:
    if not card.indices:
        return None
    rows = []
    for ix in card.indices:
        spec = specs.get(ix.family)
        kpi = next((k for k in spec.kpis if k.name == ix.kpi), None) if spec is not None else None
        label = kpi.label(lang) if kpi is not None else ix.kpi
        unit = kpi.unit(lang) if kpi is not None and kpi.unit is not None and ix.kind != "rank" else ""
        if ix.value is None or ix.previous is None:
            change, tone = t("sc_index_no_previous", lang), "none"
        else:
            diff = ix.value - ix.previous
            better = diff < 0 if ix.direction == "lower" else diff > 0
            size = fmt_int(abs(diff), lang) if float(diff).is_integer() else fmt_number(abs(diff), lang, 1)
            if ix.kind == "rank":  # a rank rises as its number falls: the arrow follows the place, not the number
                arrow = "▬" if diff == 0 else ("▲" if diff < 0 else "▼")
                key = "sc_index_same" if diff == 0 else ("sc_index_rose" if diff < 0 else "sc_index_fell")
            else:
                arrow = "▬" if diff == 0 else ("▲" if diff > 0 else "▼")
                key = "sc_index_change"
            change = f"{arrow} {t(key, lang, n=size, period=ix.previous_period)}"
            tone = "neutral" if diff == 0 else ("good" if better else "bad")
        rows.append(html.Tr([
            html.Th(label, scope="row"),
            html.Td(_index_value(ix.value, ix.kind, ix.rank_of, unit, lang), className="num sc-value"),
            html.Td(ix.period or "–", className="num"),
            html.Td(_index_value(ix.previous, ix.kind, None, unit, lang), className="num"),
            html.Td(change, className=f"sc-change cmp-{tone}"),
        ], **{"data-kpi": ix.kpi}))
    head = html.Thead(html.Tr([html.Th(t(f"sc_ix_col_{c}", lang)) for c in ("index", "value", "period", "previous",
                                                                              "change")]))
    return html.Section([html.Header(html.H2(t("sc_indices", lang), className="card-title"), className="card-head"),
                         html.P(t("sc_indices_note", lang), className="sc-note"),
                         html.Div(html.Table([head, html.Tbody(rows)], className="table sc-ix-table"),
                                  className="table-wrap")], className="card sc-indices")


def body(card: Any, lang: str, *, paths: Mapping[str, str], specs: Mapping[str, Any]) -> list[Any]:
    """The page's content for a read scorecard."""
    brief = card.brief
    notes = [html.Span(t("sc_as_of", lang, when=fmt_local_datetime(brief.generated_at, brief.tz, lang)))]
    if brief.provisional:
        notes.append(html.Span(t("sc_provisional", lang), className="cmp-provisional sc-provisional",
                               title=t("sc_provisional_title", lang)))
    trend_note = t("sc_trend_note", lang, n=SPARK_PERIODS, grain=t(f"sc_grain_{card.when.grain}_plural", lang))
    kpis = html.Section([
        html.Header([html.H2(t("sc_kpis", lang, period=period_label(card.when, lang)), className="card-title")],
                    className="card-head"),
        html.P([*notes, html.Span(trend_note)], className="sc-note sc-notes"),
        kpi_table(card, lang, paths, specs),
    ], className="card sc-kpis")
    side = [ranking_card(r, lang) for r in card.rankings]
    indices = indices_card(card, lang, specs)
    return [kpis, html.Div([*side, *([indices] if indices is not None else [])], className="sc-side")]


def span_text(when: ScorePeriod, lang: str) -> str:
    """``1/11/2026 – 30/11/2026``: the period's first and last day."""
    period = when.period
    return t("sc_span", lang, start=fmt_date(period.start, lang), end=fmt_date(period.end - timedelta(days=1), lang))
