"""Pure Plotly builders for the Admin page (no Dash, no store): tidy frames in, figures out.

Same dark template as :mod:`layouts.figures`; labels that come from data (unit, procedure and
field names) go through :func:`~layouts.figures.plotly_text`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ioc.i18n import fmt_int, fmt_number, fmt_pct, t
from layouts.figures import (
    ACCENT,
    BAD,
    GOOD,
    GRID,
    MUTED,
    TARGET,
    TEXT,
    WARN,
    axis_edge,
    base_layout,
    bucket_ms,
    count_axis,
    date_ticks,
    empty_figure,
    level_line,
    percent_ticks,
    plotly_text,
    shorten,
)
from layouts.provisional import add_line, bar_marker, hover_notes, running, shade

LEVEL_COLOURS = {"province": "#a78bfa", "district": ACCENT, "commune": "#34d399"}
UNMEASURED = "#334155"


def rate_colour(rate: float | None, target: float, band: float = 0.05) -> str:
    """Good at or above target, warn within ``band`` below it, bad under that; grey without data."""
    if rate is None or rate != rate:
        return "#64748b"
    if rate >= target - 1e-9:
        return GOOD
    return WARN if rate >= target - band - 1e-9 else BAD


def _time_axis(freq: str, lang: str, span: tuple[date, date] | None) -> dict:
    return dict(title=None, tickformat=date_ticks(freq, lang), hoverformat="%d/%m/%Y" if freq != "month" else "%m/%Y",
                range=None if span is None else [axis_edge(span[0], freq, -1), axis_edge(span[1], freq, 0)])


def _target_line(fig: go.Figure, target: float, lang: str) -> None:
    level_line(fig, target, dict(color=TARGET, width=1.5, dash="dash"),
               t("admin_series_target", lang, value=fmt_pct(target, lang, 0)), dict(color=TARGET, size=12))


#: A period whose dossiers are still more than this share open has an on-time rate of the fast
#: ones only (those resolved so far): drawn as provisional.
PROVISIONAL_OPEN_SHARE = 0.05


def provisional(part: pd.DataFrame) -> np.ndarray:
    """Per bucket: whether more than :data:`PROVISIONAL_OPEN_SHARE` of its dossiers are still open."""
    received = part["received"].to_numpy(dtype=float)
    open_ = part["in_progress"].to_numpy(dtype=float)
    return (received > 0) & (open_ > PROVISIONAL_OPEN_SHARE * np.maximum(received, 1))


def levels_figure(series: pd.DataFrame, labels: dict[str, str], target: float, lang: str, freq: str,
                  uirevision: str | None = None, span: tuple[date, date] | None = None,
                  today: date | None = None) -> go.Figure:
    """On-time rate per level over time (one line per ``key``) against the target. Periods still
    running on ``today`` (local) or with too many dossiers open are drawn as provisional."""
    if series.empty or series["resolved"].sum() == 0:
        return empty_figure(t("no_data", lang), lang)
    fig = go.Figure()
    flagged: set = set()
    open_share = False  # some period is provisional because its dossiers are still open
    for level in (lv for lv in ("province", "district", "commune") if lv in labels):  # the period's levels
        part = series[series["key"] == level]
        if part.empty:
            continue
        name = labels.get(level, level)
        still_open = provisional(part)
        flags = still_open | running(part["bucket"], freq, today)
        open_share = open_share or bool(still_open.any())
        flagged.update(part["bucket"][flags])
        notes = [" · " + (t("admin_series_provisional_point", lang, share=fmt_pct(o / r, lang, 0)) if s
                          else t("provisional", lang)) if p else ""
                 for o, r, s, p in zip(part["in_progress"], part["received"], still_open, flags, strict=True)]
        add_line(fig, part["bucket"], part["on_time_rate"], flags, name=name, lang=lang, notes=notes,
                 line=dict(color=LEVEL_COLOURS[level], width=3), marker=dict(size=5),
                 customdata=[fmt_int(n, lang) for n in part["resolved"]],
                 hovertemplate="%{y:.1%} (%{customdata})<extra>" + plotly_text(name) + "</extra>")
    _target_line(fig, target, lang)
    # recent periods: only the fastest dossiers are resolved yet, or the period is not over
    shade(fig, series["bucket"], series["bucket"].isin(flagged), freq, lang,
          text=t("admin_series_provisional", lang, share=fmt_pct(PROVISIONAL_OPEN_SHARE, lang, 0)) if open_share
          else None)
    low = max(0.0, min(target, float(series["on_time_rate"].min(skipna=True))) - 0.02)
    base_layout(fig, lang, uirevision, hovermode="x unified",
                legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
                margin=dict(l=8, r=8, t=28, b=8),
                yaxis=dict(range=[low, 1.005], **percent_ticks(low, 1.005, lang)),
                xaxis=_time_axis(freq, lang, span))
    return fig


def online_figure(series: pd.DataFrame, target: float, lang: str, freq: str, uirevision: str | None = None,
                  span: tuple[date, date] | None = None, today: date | None = None) -> go.Figure:
    """Dossiers received (bars, right axis), the online and full-process shares against the
    target; the period holding ``today`` (local) is drawn as provisional."""
    if series.empty or series["received"].sum() == 0:
        return empty_figure(t("no_data", lang), lang)
    x = series["bucket"]
    flags = running(x, freq, today)
    received = t("admin_series_received", lang)
    fig = go.Figure()
    fig.add_bar(x=x, y=series["received"], name=received, yaxis="y2",
                marker=bar_marker(flags, "rgba(59,130,246,0.35)"), width=bucket_ms(freq) * 0.8,
                customdata=hover_notes(flags, lang), hovertemplate="%{y:,.0f}%{customdata}<extra>" + received + "</extra>")
    add_line(fig, x, series["online_rate"], flags, name=t("admin_series_online", lang), lang=lang,
             line=dict(color=GOOD, width=3), marker=dict(size=5),
             hovertemplate="%{y:.1%}<extra>" + t("admin_series_online", lang) + "</extra>")
    add_line(fig, x, series["full_process_online_rate"], flags, name=t("admin_series_full_process", lang), lang=lang,
             mode="lines", line=dict(color=ACCENT, width=2),
             hovertemplate="%{y:.1%}<extra>" + t("admin_series_full_process", lang) + "</extra>")
    _target_line(fig, target, lang)
    shade(fig, x, flags, freq, lang)
    peak = float(series["received"].max()) or 1.0
    base_layout(fig, lang, uirevision, hovermode="x unified", bargap=0.15,
                legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
                margin=dict(l=8, r=8, t=28, b=8), yaxis=dict(range=[0, 1.0], **percent_ticks(0, 1.0, lang)),
                yaxis2=count_axis(peak, peak * 2.4, received),
                xaxis=_time_axis(freq, lang, span))
    return fig


def score_figure(groups: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """The five 766 groups: points earned against each group's maximum; groups the data cannot
    measure are drawn empty and say so (never as zero)."""
    if groups.empty:
        return empty_figure(t("no_data", lang), lang)
    labels = [plotly_text(v) for v in groups["label"]]
    measured = groups["measured"].astype(bool)
    ratio = (groups["points"] / groups["max_points"]).where(measured)
    colours = [rate_colour(r, 0.9, 0.2) if m else UNMEASURED for r, m in zip(ratio, measured, strict=True)]
    texts = [f"{fmt_number(p, lang, 1)} / {fmt_int(m, lang)}" if ok else t("admin_score_not_measured", lang)
             for p, m, ok in zip(groups["points"], groups["max_points"], measured, strict=True)]
    fig = go.Figure()
    earned = groups["points"].where(measured, 0)
    fig.add_bar(y=labels, x=earned, orientation="h", marker=dict(color=colours), hoverinfo="skip")
    fig.add_bar(y=labels, x=groups["max_points"] - earned, orientation="h", hoverinfo="skip",
                marker=dict(color="rgba(148,163,184,0.16)", line=dict(color=GRID, width=1),
                            pattern=dict(shape=["" if m else "/" for m in measured], fgcolor="#475569")))
    fig.add_scatter(y=labels, x=groups["max_points"], mode="text", text=texts, textposition="middle right",
                    textfont=dict(color=[TEXT if m else MUTED for m in measured], size=14),
                    customdata=texts, hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>")
    base_layout(fig, lang, uirevision, barmode="stack", showlegend=False, bargap=0.35,
                yaxis=dict(autorange="reversed", title=None),
                xaxis=dict(title=None, range=[0, float(groups["max_points"].max()) * 1.55], tickvals=[0, 5, 10, 15, 20]))
    return fig


def breakdown_figure(frame: pd.DataFrame, target: float, lang: str, max_label: int = 34,
                     uirevision: str | None = None) -> go.Figure:
    """Dossiers received per ``label`` (bars coloured by on-time rate against the target)."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    labels = [plotly_text(shorten(str(v), max_label)) for v in frame["label"]]
    custom = list(zip([plotly_text(v) for v in frame["label"]], [fmt_pct(v, lang) for v in frame["on_time_rate"]],
                      [fmt_int(v, lang) for v in frame["late"]], [fmt_int(v, lang) for v in frame["overdue"]],
                      [fmt_pct(v, lang) for v in frame["online_rate"]], strict=True))
    hover = ("<b>%{customdata[0]}</b><br>" + t("admin_col_received", lang) + ": %{x:,.0f}<br>"
             + t("admin_col_on_time", lang) + ": %{customdata[1]}<br>" + t("admin_col_late", lang)
             + ": %{customdata[2]}<br>" + t("admin_col_overdue", lang) + ": %{customdata[3]}<br>"
             + t("admin_col_online", lang) + ": %{customdata[4]}<extra></extra>")
    fig = go.Figure(go.Bar(
        x=frame["received"], y=labels, orientation="h",
        marker=dict(color=[rate_colour(r, target) for r in frame["on_time_rate"]]),
        text=[fmt_pct(r, lang) for r in frame["on_time_rate"]], textposition="outside", cliponaxis=False,
        textfont=dict(color=TEXT), customdata=custom, hovertemplate=hover,
    ))
    peak = float(frame["received"].max()) or 1.0
    base_layout(fig, lang, uirevision, yaxis=dict(autorange="reversed", title=None),
                xaxis=dict(title=None, tickformat=",d", range=[0, peak * 1.22], nticks=5),
                bargap=0.25 if len(frame) >= 5 else 0.6)
    return fig

