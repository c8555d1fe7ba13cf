"""Pure Plotly builders for the environment page (no Dash, no store: unit-testable).

Every chart shows VN_AQI on its own scale: the six category bands of Decision 1459 (colours
from :data:`ioc.domain.aqi.CATEGORIES`) sit behind the hourly series, colour the calendar
and mark the pollutant sub-indices. Inputs are tidy frames from
:mod:`callbacks.environment_data`; times are already local (naive).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ioc.domain.air_quality import PARAMETER_LABELS
from ioc.domain.aqi import CATEGORIES
from ioc.i18n import fmt_pct, t
from layouts import provisional
from layouts.figures import CARD, GRID, MUTED, TEXT, base_layout, empty_figure, percent_ticks, plotly_text

LINE_COLOURS = ["#38bdf8", "#f472b6", "#a3e635", "#fbbf24", "#c084fc", "#2dd4bf", "#fb7185", "#e2e8f0"]
POLLUTANT_COLOURS = {"pm25": "#38bdf8", "pm10": "#a78bfa", "o3_1h": "#fbbf24", "co": "#94a3b8", "so2": "#f472b6",
                     "no2": "#34d399"}
POLLUTANT_NAMES = {"pm25": "PM2.5", "pm10": "PM10", "o3_1h": "O₃ 1h", "o3_8h": "O₃ 8h", "co": "CO", "so2": "SO₂",
                   "no2": "NO₂", **{k: v for k, v in PARAMETER_LABELS.items() if k not in ("o3",)}}
BAND_ALPHA = 0.16


def category_label(code: str | None, lang: str) -> str:
    for c in CATEGORIES:
        if c.code == code:
            return c.label_en if lang == "en" else c.label_vi
    return t("env_no_aqi", lang)


def text_colour(hex_colour: str) -> str:
    """Black or white text on a category colour (yellow and green need black)."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 128 else "#ffffff"


def _bands(fig: go.Figure, top: float, horizontal: bool = True) -> None:
    """Category bands behind the data (horizontal: along y; else along x), set in one update
    (``add_hrect`` validates the whole layout once per band: slow)."""
    shapes, lo = [], 0
    for c in CATEGORIES:
        if lo >= top:
            break
        hi = min(c.hi, top)
        band = dict(type="rect", fillcolor=f"rgba({c.rgb[0]},{c.rgb[1]},{c.rgb[2]},{BAND_ALPHA})", line_width=0,
                    layer="below")
        if horizontal:
            band.update(xref="paper", x0=0, x1=1, yref="y", y0=lo, y1=hi)
        else:
            band.update(yref="paper", y0=0, y1=1, xref="x", x0=lo, x1=hi)
        shapes.append(band)
        lo = c.hi
    fig.update_layout(shapes=shapes)


def aqi_series_figure(frame: pd.DataFrame, names: dict[str, str], lang: str, span: tuple[object, object],
                      uirevision: str | None = None) -> go.Figure:
    """Hourly AQI per station (lines) over the category bands. ``frame``: station_id, hour_local, aqi."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    fig = go.Figure()
    top = max(200.0, float(frame["aqi"].max()) * 1.08)
    _bands(fig, top)
    for i, (sid, part) in enumerate(frame.groupby("station_id", sort=False)):
        hours = pd.to_datetime(part["hour_local"])
        full = pd.DataFrame({"hour": pd.date_range(hours.min(), hours.max(), freq="h")})
        part = full.merge(part.assign(hour=hours), on="hour", how="left")  # gaps stay gaps
        labels = [category_label(c, lang) if isinstance(c, str) else "" for c in part["category"]]
        fig.add_scatter(
            x=part["hour"], y=part["aqi"], mode="lines", name=plotly_text(names.get(sid, sid)),
            line=dict(color=LINE_COLOURS[i % len(LINE_COLOURS)], width=2.2), connectgaps=False,
            customdata=labels,
            hovertemplate="%{y:.0f} · %{customdata}<extra>" + plotly_text(names.get(sid, sid)) + "</extra>",
        )
    base_layout(fig, lang, uirevision, hovermode="x unified",
                legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
                margin=dict(l=8, r=8, t=28, b=8),
                yaxis=dict(range=[0, top], title=None, tickvals=[0, 50, 100, 150, 200, 300, 400, 500]),
                xaxis=dict(range=[span[0], span[1]], title=None, tickformat="%H:%M\n%d/%m",
                           hoverformat="%d/%m/%Y %H:%M"))
    return fig


def pollutant_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Sub-index per pollutant (grouped bars) for each station. ``frame``: label, pollutant, sub."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    fig = go.Figure()
    stations = list(dict.fromkeys(frame["label"]))
    top = max(200.0, float(frame["sub"].max()) * 1.1)
    _bands(fig, top, horizontal=False)
    for code in POLLUTANT_COLOURS:
        part = frame[frame["pollutant"] == code]
        if part.empty:
            continue
        fig.add_bar(y=[plotly_text(s) for s in part["label"]], x=part["sub"], orientation="h",
                    name=POLLUTANT_NAMES[code], marker=dict(color=POLLUTANT_COLOURS[code]),
                    hovertemplate="%{y}<br>" + POLLUTANT_NAMES[code] + ": %{x}<extra></extra>")
    base_layout(fig, lang, uirevision, barmode="group", bargap=0.25, bargroupgap=0.05,
                legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
                margin=dict(l=8, r=12, t=28, b=8),
                yaxis=dict(autorange="reversed", title=None, categoryorder="array",
                           categoryarray=[plotly_text(s) for s in stations]),
                xaxis=dict(range=[0, top], title=None, tickvals=[0, 50, 100, 150, 200, 300, 400, 500]))
    return fig


def _colourscale() -> list[list[object]]:
    """Discrete VN_AQI colours on 0–500 (two stops per band)."""
    scale: list[list[object]] = []
    lo = 0.0
    for c in CATEGORIES:
        hi = min(c.hi + 0.5, 500.0) / 500.0
        scale += [[lo, c.hex], [hi, c.hex]]
        lo = hi
    scale[-1][0] = 1.0
    return scale


def calendar_figure(frame: pd.DataFrame, lang: str, end: date, weeks: int = 53,
                    uirevision: str | None = None, today: date | None = None) -> go.Figure:
    """Daily AQI as a calendar: a column per week (Monday first), a row per weekday.

    ``frame``: day (date), aqi (nullable), category; the calendar ends with ``end``'s week.
    ``today`` (local): its daily AQI holds the hours so far only, so its cell is outlined dotted
    and said provisional (in its hover and above the calendar).
    """
    last_monday = end - timedelta(days=end.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    z = np.full((7, weeks), np.nan)
    text = np.full((7, weeks), "", dtype=object)
    for row in frame.itertuples():
        d = row.day
        if d < first_monday or d > end:
            continue
        col, wd = (d - first_monday).days // 7, d.weekday()
        note = provisional.hover_notes([d == today], lang)[0]
        if pd.notna(row.aqi):
            z[wd, col] = float(row.aqi)
            text[wd, col] = f"{d:%d/%m/%Y}: {int(row.aqi)} · {category_label(row.category, lang)}{note}"
        else:
            text[wd, col] = f"{d:%d/%m/%Y}: {t('env_no_aqi', lang)}{note}"
    if np.isnan(z).all():
        return empty_figure(t("no_data", lang), lang)
    x = [first_monday + timedelta(weeks=i) for i in range(weeks)]
    days = t("env_weekdays", lang).split(",")
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=days, customdata=text, zmin=0, zmax=500, colorscale=_colourscale(), xgap=2, ygap=2,
        hovertemplate="%{customdata}<extra></extra>", showscale=False,
    ))
    marked = today is not None and first_monday <= today <= end
    if marked:
        monday = pd.Timestamp(x[(today - first_monday).days // 7])
        fig.add_shape(type="rect", xref="x", yref="y", x0=monday - pd.Timedelta(days=3.5),
                      x1=monday + pd.Timedelta(days=3.5), y0=today.weekday() - 0.5, y1=today.weekday() + 0.5,
                      line=dict(color=TEXT, width=2, dash="dot"), fillcolor="rgba(0,0,0,0)")
        fig.add_annotation(text=t("provisional_period", lang), xref="paper", yref="paper", x=1, y=1, xanchor="right",
                           yanchor="bottom", showarrow=False, font=dict(color=MUTED, size=11))
    base_layout(fig, lang, uirevision, margin=dict(l=8, r=8, t=24 if marked else 8, b=8),
                yaxis=dict(autorange="reversed", showgrid=False, title=None),
                xaxis=dict(showgrid=False, title=None, tickformat="%m/%Y" if lang != "en" else "%b %Y",
                           dtick="M1", ticklabelmode="period"),
                plot_bgcolor=CARD)
    return fig


def completeness_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Valid / flagged / missing hourly values per station (stacked shares), lowest first."""
    if frame.empty or int(frame["expected"].sum()) == 0:
        return empty_figure(t("no_data", lang), lang)
    frame = frame[frame["expected"] > 0]
    labels = [plotly_text(n) for n in frame["name"]]
    fig = go.Figure()
    for col, key, colour in (("valid", "env_series_valid", "#22c55e"), ("flagged", "env_series_flagged", "#f59e0b"),
                             ("missing", "env_series_missing", "#475569")):
        share = frame[col] / frame["expected"]
        fig.add_bar(y=labels, x=share, orientation="h", name=t(key, lang), marker=dict(color=colour),
                    customdata=frame[col], hovertemplate="%{y}: %{x:.1%} (%{customdata:,d})<extra>" + t(key, lang)
                    + "</extra>")
    fig.add_scatter(y=labels, x=[1.0] * len(labels), mode="text", showlegend=False, hoverinfo="skip",
                    text=[fmt_pct(v, lang) for v in frame["completeness"]], textposition="middle right",
                    textfont=dict(color=TEXT))
    base_layout(fig, lang, uirevision, barmode="stack", bargap=0.3,
                legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED),
                            traceorder="normal"),
                margin=dict(l=8, r=70, t=28, b=8),
                xaxis=dict(range=[0, 1], title=None, gridcolor=GRID, **percent_ticks(0, 1, lang, most=5)),
                yaxis=dict(autorange="reversed", title=None))
    return fig
