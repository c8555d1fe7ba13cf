"""Pure Plotly figures of a spec-declared system's page (no Dash, no store): the events per
day, week or month, the events per code of a dimension, and one indicator's values over time."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from ioc.i18n import fmt_number, t
from ioc.systems.spec import Term
from layouts.figures import (
    ACCENT,
    BAR,
    MUTED,
    TARGET,
    TEXT,
    axis_edge,
    base_layout,
    bucket_ms,
    date_ticks,
    empty_figure,
    level_line,
    plotly_text,
    shorten,
)
from layouts.provisional import NOTE_MARGIN, add_line, bar_marker, hover_notes, running, shade

SIMULATED_MARKER = "circle-open"


def _ticks(peak: float) -> dict:
    """Whole-number ticks for small counts (not 0, 0, 1, 1)."""
    return {"tickmode": "linear", "tick0": 0, "dtick": 1} if peak < 8 else {"tickmode": "auto", "nticks": 6}


def events_trend_figure(frame: pd.DataFrame, lang: str, freq: str, span: tuple[date, date],
                        uirevision: str | None = None, today: date | None = None) -> go.Figure:
    """Events per bucket (bars) over the whole period ``span`` (local dates [start, end)); the
    bucket holding ``today`` (local) is drawn as provisional."""
    if frame.empty or not frame["n"].sum():
        return empty_figure(t("no_data", lang), lang)
    name = t("systems_series_events", lang)
    flags = running(frame["bucket"], freq, today)
    fig = go.Figure(go.Bar(x=frame["bucket"], y=frame["n"], name=name, marker=bar_marker(flags, BAR),
                           width=bucket_ms(freq) * 0.8, customdata=hover_notes(flags, lang),
                           hovertemplate="%{y:,.0f}%{customdata}<extra>" + name + "</extra>"))
    shade(fig, frame["bucket"], flags, freq, lang)
    peak = float(frame["n"].max())
    base_layout(fig, lang, uirevision, bargap=0.15, margin=dict(l=8, r=8, t=NOTE_MARGIN if flags.any() else 12, b=8),
                yaxis=dict(title=None, tickformat=",d", **_ticks(peak)),
                xaxis=dict(title=None, tickformat=date_ticks(freq, lang),
                           hoverformat="%d/%m/%Y" if freq != "month" else "%m/%Y",
                           range=[axis_edge(span[0], freq, -1), axis_edge(span[1], freq, 0)]))
    return fig


def dimension_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None, max_label: int = 28) -> go.Figure:
    """Horizontal bars of events per ``label`` (most on top)."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    labels = [plotly_text(shorten(str(v), max_label)) for v in frame["label"]]
    fig = go.Figure(go.Bar(
        x=frame["n"], y=labels, orientation="h", marker=dict(color=ACCENT), text=frame["n"],
        texttemplate="%{text:,.0f}", textposition="outside", textangle=0, cliponaxis=False, textfont=dict(color=TEXT),
        customdata=[plotly_text(v) for v in frame["label"]],
        hovertemplate="<b>%{customdata}</b><br>%{x:,.0f}<extra></extra>"))
    peak = float(frame["n"].max())
    base_layout(fig, lang, uirevision, yaxis=dict(autorange="reversed", title=None, automargin=True),
                xaxis=dict(title=None, tickformat=",d", range=[0, peak * 1.2], **_ticks(peak)),
                bargap=0.25 if len(frame) >= 5 else 0.55, margin=dict(l=8, r=16, t=8, b=8))
    return fig


def indicator_figure(frame: pd.DataFrame, term: Term, lang: str, uirevision: str | None = None,
                     today: date | None = None) -> go.Figure:
    """One indicator's values per period (``frame``: its rows of
    :func:`ioc.kpi.systems_views.indicator_series`): a line, hollow markers on simulated values,
    and its target (the rows' plan, else the spec's) as a dashed line. A period still running on
    ``today`` (local) is drawn as provisional."""
    rows = frame[frame["value"].notna()]
    if rows.empty:
        return empty_figure(t("no_data", lang), lang)
    unit = term.unit(lang) if term.unit is not None else ""
    starts = pd.to_datetime(rows["period_start"])
    freq = term.frequency or "year"
    flags = running(starts, freq, today)
    symbols = ["circle-open" if s else "circle" for s in rows["simulated"]]
    texts = [f"{p}{' · ' + t('systems_simulated', lang) if s else ''}" for p, s in zip(rows["period"], rows["simulated"],
                                                                                       strict=True)]
    fig = go.Figure()
    add_line(fig, starts, rows["value"], flags, name=plotly_text(term.label(lang)), lang=lang,
             line=dict(color=ACCENT, width=2.5), marker=dict(size=9, symbol=symbols, line=dict(width=2, color=ACCENT)),
             customdata=texts, hovertemplate="%{customdata}: %{y:,.2f} " + plotly_text(unit) + "<extra></extra>")
    targets = rows["target"].dropna()
    target = float(targets.iloc[-1]) if len(targets) else term.target
    if target is not None:
        level_line(fig, target, dict(color=TARGET, width=1.2, dash="dash"),
                   plotly_text(f"{t('systems_target_short', lang)} {fmt_number(target, lang, 1)}"),
                   dict(color=MUTED, size=11))
    shade(fig, starts, flags, freq, lang)
    # a yearly series: a tick a year (between them Plotly put mid-year ticks, each labelled with its year)
    xaxis = (dict(title=None, tickformat="%Y", dtick="M12") if term.frequency == "year"
             else dict(title=None, tickformat="%m/%Y"))
    base_layout(fig, lang, uirevision, showlegend=False, margin=dict(l=8, r=8, t=NOTE_MARGIN if flags.any() else 10, b=8),
                yaxis=dict(title=None, tickformat=",~f"), xaxis=xaxis)
    return fig
