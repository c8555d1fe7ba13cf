"""The brief's report page (issue #16): a pure builder from a :class:`ioc.brief.Brief` to the
HTML that Chromium prints to PDF: a cover, the KPI rows of :mod:`layouts.brief_rows`, the key
charts (the pages' own figure builders in a print theme), the TTHC ranking and the notes. No
store, no Dash. :mod:`ioc.brief` loads this module by name: ``render_html``, and the XLSX's
``kpi_frame``, ``meta`` and ``sheet_title``.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from ioc.i18n import fmt_date, fmt_int, fmt_local_datetime, fmt_pct, t
from layouts.admin_shaping import ONLINE_TARGET
from layouts.brief_rows import (
    Delta,
    KpiRow,
    filters_text,
    kpi_frame,
    kpi_rows,
    meta,
    period_text,
    rank_change,
    sheet_title,
)
from layouts.compare_shaping import provisional_note

__all__ = ["kpi_frame", "kpi_rows", "meta", "render_html", "sheet_title"]
#: the colour of the print theme's text, and of the target lines the dark theme draws in white
INK = "#1f2937"


# --- charts ----------------------------------------------------------------------------------


def _print_theme(fig: go.Figure) -> go.Figure:
    """The dark screen figure made legible on paper: white ground, dark ink, dark target lines."""
    fig.update_layout(template="plotly_white", paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      font=dict(color=INK, size=11), width=700, height=290, autosize=False,
                      margin=dict(l=50, r=50, t=30, b=40), legend=dict(font=dict(color=INK)))
    for shape in fig.layout.shapes or ():
        if shape.line is not None and str(shape.line.color).lower() in ("#f8fafc", "#e6edf5"):
            shape.line.color = INK
    for note in fig.layout.annotations or ():
        if note.font is not None and str(note.font.color).lower() in ("#f8fafc", "#e6edf5", "#9fb0c6"):
            note.font.color = INK
        if note.bgcolor is not None:
            note.bgcolor = "rgba(255,255,255,0.85)"
    fig.update_xaxes(gridcolor="#e5e7eb", linecolor="#9ca3af", tickfont=dict(color=INK))
    fig.update_yaxes(gridcolor="#e5e7eb", linecolor="#9ca3af", tickfont=dict(color=INK))
    return fig


def charts(brief: Any, lang: str) -> list[tuple[str, go.Figure]]:
    """The key charts: citizen feedback received and satisfaction, TTHC online share; each drawn
    by its page's own figure builder, periods still running marked provisional."""
    from layouts.admin_figures import online_figure
    from layouts.figures import trend_figure

    span = (brief.period.start, brief.period.end)
    figs = []
    if not brief.feedback_series.empty and brief.feedback_series["received"].sum() > 0:
        fig = trend_figure(brief.feedback_series, brief.targets["target_satisfaction"], lang, brief.freq,
                           span=span, today=brief.today)
        figs.append((t("brief_chart_feedback", lang), _print_theme(fig)))
    if not brief.admin_series.empty and brief.admin_series["received"].sum() > 0:
        fig = online_figure(brief.admin_series, ONLINE_TARGET, lang, brief.freq, span=span, today=brief.today)
        figs.append((t("brief_chart_admin_online", lang), _print_theme(fig)))
    return figs


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


# --- the page --------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #1f2937; font-size: 10.5pt; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 6mm; color: #0f3d68; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; color: #0f3d68; border-bottom: 1px solid #cbd5e1; padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
.cover { page-break-after: always; padding-top: 40mm; }
.cover dl { display: grid; grid-template-columns: 40mm 1fr; gap: 2mm 4mm; font-size: 11pt; }
.cover dt { font-weight: 600; color: #475569; }
.sim { display: inline-block; border: 2px solid #b91c1c; color: #b91c1c; font-weight: 700; padding: 1mm 3mm;
       letter-spacing: .05em; margin: 4mm 0; }
.sim-banner { position: fixed; top: -10mm; right: 0; color: #b91c1c; font-weight: 700; font-size: 8pt; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2mm; table-layout: fixed; }
table.kpis col.c1 { width: 24%; } table.kpis col.c2 { width: 16%; } table.kpis col.c3 { width: 9%; }
table.kpis col.c4 { width: 15%; } table.kpis col.c5, table.kpis col.c6 { width: 18%; }
td.chg { font-size: 9pt; } .tone-good { color: #15803d; } .tone-bad { color: #b91c1c; }
.tone-neutral { color: #334155; } .tone-none { color: #64748b; }
table.rank col.c1 { width: 10%; } table.rank col.c2 { width: 42%; } table.rank col.c3, table.rank col.c4,
table.rank col.c5 { width: 16%; }
tr { page-break-inside: avoid; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.state { font-weight: 600; }
.state-good { color: #15803d; } .state-warn { color: #b45309; } .state-bad { color: #b91c1c; }
.state-none, .state-info { color: #64748b; font-weight: 400; }
.note { color: #475569; font-size: 9.5pt; }
.notes li { margin-bottom: 1mm; }
.chart { page-break-inside: avoid; margin: 2mm 0; }
.family { page-break-inside: avoid; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _cols(n: int) -> str:
    return "<colgroup>" + "".join(f'<col class="c{i}">' for i in range(1, n + 1)) + "</colgroup>"


def _change_cell(delta: Delta | None) -> str:
    if delta is None:
        return '<td class="chg">–</td>'
    return f'<td class="chg tone-{delta.tone}">{_e(delta.text)}</td>'


def _state_cell(row: KpiRow, lang: str) -> str:
    mark = {"good": "✔ ", "warn": "▲ ", "bad": "✖ "}.get(row.state, "")
    return f'<td class="state state-{row.state}">{mark}{_e(t(f"brief_state_{row.state}", lang))}</td>'


def _kpi_section(brief: Any, rows: list[KpiRow], lang: str) -> str:
    parts = [f"<h2>{_e(t('brief_kpis', lang))}</h2>"]
    by_family: dict[str, list[KpiRow]] = {}
    for r in rows:
        by_family.setdefault(r.family, []).append(r)
    head = "".join(f"<th>{_e(t(f'brief_col_{c}', lang))}</th>"
                   for c in ("kpi", "value", "target", "state", "previous", "year"))
    for fb in brief.families:
        frows = by_family.get(fb.code)
        if not frows and not fb.error:
            continue
        label = frows[0].family_label if frows else fb.code
        parts.append(f'<div class="family"><h3>{_e(label)}</h3>')
        if fb.error:
            parts.append(f'<p class="note">{_e(t("brief_family_failed", lang, error=fb.error))}</p>')
        if fb.ignored:
            parts.append(f'<p class="note">{_e(t("brief_filter_ignored", lang, filters=", ".join(fb.ignored)))}</p>')
        if frows:
            body = "".join(
                f"<tr><td>{_e(r.label)}</td><td class=\"num\">{_e(r.value_text)}</td>"
                f"<td class=\"num\">{_e(r.target_text or '–')}</td>{_state_cell(r, lang)}"
                f"{_change_cell(r.previous)}{_change_cell(r.year)}</tr>" for r in frows)
            parts.append(f'<table class="kpis">{_cols(6)}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
        parts.append("</div>")
    without = [fb.code for fb in brief.families if fb.bases is None and fb.code in by_family]
    if without:
        labels = ", ".join(by_family[c][0].family_label for c in without)
        parts.append(f'<p class="note">{_e(t("brief_no_comparison", lang, families=labels))}</p>')
    return "".join(parts)


def _ranking_section(brief: Any, lang: str) -> str:
    """Each ranking (:mod:`ioc.kpi.rankings`, the scorecard's): its best and its lowest units."""
    parts = []
    for ranking in brief.rankings:
        parts.append(f"<h2>{_e(t(f'sc_ranking_{ranking.unit_kind}', lang))}</h2>")
        frame = ranking.frame
        note = t(f"sc_ranking_note_{ranking.unit_kind}", lang, n=fmt_int(ranking.min_volume, lang),
                 total=fmt_int(len(frame), lang))
        parts.append(f'<p class="note">{_e(note)}</p>')
        if frame.empty:
            parts.append(f'<p class="note">{_e(t("sc_ranking_empty", lang))}</p>')
            continue
        what = t(f"sc_volume_{ranking.unit_kind}", lang)
        head = "".join(f"<th>{_e(t(f'sc_rank_col_{c}', lang, what=what))}</th>"
                       for c in ("rank", "unit", "rate", "volume", "change"))
        for which, part in (("best", ranking.best()), ("worst", ranking.worst())):
            if part.empty:
                continue
            body = "".join(
                f"<tr><td class=\"num\">{int(r.rank)}</td><td>{_e(r.name)}</td>"
                f"<td class=\"num\">{fmt_pct(r.value, lang)}</td><td class=\"num\">{fmt_int(r.volume, lang)}</td>"
                f"{_change_cell(rank_change(r.value, r.change, ranking.covered, lang))}</tr>"
                for r in part.itertuples(index=False))
            parts += [f"<h3>{_e(t(f'sc_{which}', lang))}</h3>",
                      f'<table class="rank">{_cols(5)}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>']
    return "".join(parts)


def _notes(brief: Any, lang: str) -> list[str]:
    notes = []
    if brief.provisional:
        notes.append(t("brief_note_provisional", lang, today=fmt_date(brief.today, lang)))
    if brief.freq == "week" and (brief.period.start.weekday() != 0 or brief.period.end.weekday() != 0):
        notes.append(t("brief_note_partial_bucket", lang))
    bases = next((fb.bases for fb in brief.families if fb.bases is not None), None)
    if bases is not None and bases.provisional:
        text, title = provisional_note(bases, lang)
        notes.append(f"{text}: {title}")
    if brief.simulated:
        notes.append(t("brief_note_simulated", lang))
    return notes


def render_html(brief: Any, lang: str, plotly_src: str | None = None) -> str:
    """The whole report as one HTML page: a cover,
    the KPIs against their targets, the key charts, the TTHC ranking and the notes. It sets
    ``window.briefReady`` once its charts are drawn (the printer waits for it). ``plotly_src``:
    the address of plotly.min.js (the printer gives the package's file: Chromium loads a file
    faster than 4.6 MB of inline script); None inlines it, for a page that stands alone."""
    rows = kpi_rows(brief, lang)
    figs = charts(brief, lang)
    sim = f'<div class="sim">{_e(t("brief_simulated", lang))}</div>' if brief.simulated else ""
    banner = f'<div class="sim-banner">{_e(t("brief_simulated", lang))}</div>' if brief.simulated else ""
    cover = (
        f'<section class="cover"><h1>{_e(t("brief_title", lang))}</h1>{sim}<dl>'
        f"<dt>{_e(t('brief_period', lang))}</dt><dd>{_e(period_text(brief, lang))}</dd>"
        f"<dt>{_e(t('brief_filters', lang))}</dt><dd>{_e(filters_text(brief, lang))}</dd>"
        f"<dt>{_e(t('brief_generated', lang))}</dt>"
        f"<dd>{_e(fmt_local_datetime(brief.generated_at, brief.tz, lang))} ({_e(brief.tz.key)})</dd>"
        + (f"<dt>{_e(t('brief_status', lang))}</dt><dd>{_e(t('brief_status_provisional', lang))}</dd>"
           if brief.provisional else "")
        + "</dl></section>"
    )
    chart_divs = "".join(f'<div class="chart"><h3>{_e(title)}</h3><div id="chart-{i}"></div></div>'
                         for i, (title, _fig) in enumerate(figs))
    chart_section = (f"<h2>{_e(t('brief_charts', lang))}</h2>{chart_divs}" if figs else "")
    notes = _notes(brief, lang)
    notes_section = (f"<h2>{_e(t('brief_notes', lang))}</h2><ul class=\"notes\">"
                     + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>") if notes else ""
    specs = json.dumps([json.loads(pio.to_json(f, validate=False)) for _title, f in figs])
    script = (
        "<script>(function(){var specs=" + specs.replace("</", "<\\/") + ";"
        "var jobs=specs.map(function(s,i){return Plotly.newPlot('chart-'+i,s.data,s.layout,"
        "{staticPlot:true,displayModeBar:false});});"
        "Promise.all(jobs).then(function(){window.briefReady=true;},function(){window.briefReady=true;});"
        "})();</script>"
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{_e(t('brief_title', lang))}</title><style>{CSS}</style>"
        + (f'<script src="{_e(plotly_src)}"></script>' if plotly_src else f"<script>{_plotly_js()}</script>")
        + f"</head><body>{banner}{cover}"
        f"{_kpi_section(brief, rows, lang)}{chart_section}{_ranking_section(brief, lang)}{notes_section}"
        f"{script}</body></html>"
    )

