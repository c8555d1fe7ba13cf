"""The hydrograph of a river station (pure Plotly builder, family ``flood``).

Water level (m, left axis) over the period with the station's alarm levels I, II and III as
horizontal lines labelled with their values (``BĐ I 1,00 m``), the peak marked, the rate of rise
at the period's last level in the title (``đang lên 0,33 m/giờ``), and the rain (mm in the hour,
or in the day when the period is drawn by day) as bars hanging from the top on a right axis, as
hydrologists draw them. Dark template, separators and texts of the language from
:mod:`layouts.figures`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go

from ioc.i18n import t
from layouts.figures import (
    ACCENT,
    CARD,
    MUTED,
    TEXT,
    axis_title,
    base_layout,
    empty_figure,
    level_line,
    nice_ticks,
    plotly_text,
)
from layouts.flood_shaping import Hydrograph, alarm_colours, alarm_line_label, metres, rise_text

RAIN_BAR = "rgba(56,189,248,0.45)"
RAIN_BAND = (0.8, 1.0)  # the rain's share of the plot's height, at the top
DATE_TIME = "%d/%m/%Y %H:%M"


def _time_text(value: datetime | None) -> str:
    return "" if value is None else value.strftime(DATE_TIME)


def hydrograph_figure(station: Mapping[str, Any], graph: Hydrograph, lang: str,
                      span: tuple[datetime, datetime] | None = None, uirevision: str | None = None) -> go.Figure:
    """The figure of one river station. ``station``: its entry of the KPI set (``name``,
    ``river``, ``levels_m``); ``span``: the period's local [start, end) on the time axis."""
    frame = graph.frame
    if frame.empty or frame["level_m"].notna().sum() == 0:
        return empty_figure(t("fl_no_levels", lang), lang)
    daily = graph.daily
    levels = list(station.get("levels_m") or [])
    fig = go.Figure()
    rain = frame["rain_mm"].fillna(0.0)
    rain_name = t("fl_rain_daily" if daily else "fl_rain_hourly", lang)
    if rain.max() > 0:
        fig.add_bar(x=frame["time"], y=rain, name=rain_name, yaxis="y2", marker=dict(color=RAIN_BAR, line=dict(width=0)),
                    width=(86_400_000 if daily else 3_600_000) * 0.85,
                    hovertemplate="%{y:,.1f} mm<extra>" + plotly_text(rain_name) + "</extra>")
    level_name = t("fl_level_daily_max" if daily else "fl_level", lang)
    fig.add_scatter(x=frame["time"], y=frame["level_m"], name=level_name, mode="lines+markers" if daily else "lines",
                    line=dict(color=ACCENT, width=2.5), marker=dict(size=4), connectgaps=False,
                    hovertemplate="%{y:,.2f} m<extra>" + plotly_text(level_name) + "</extra>")
    for i, value in enumerate(levels, start=1):
        colour = alarm_colours(i)[0]
        level_line(fig, value, dict(color=colour, width=1.5, dash="dash"),
                   plotly_text(alarm_line_label(i, value, lang)), dict(color=colour, size=12), "bottom right",
                   bgcolor=CARD, borderpad=1)
    if graph.peak_m is not None and graph.peak_at is not None:
        at = graph.peak_at if not daily else graph.peak_at.replace(hour=12, minute=0)
        fig.add_annotation(x=at, y=graph.peak_m, yref="y", ax=0, ay=-26, arrowcolor=TEXT, arrowwidth=1,
                           xanchor=_anchor(at, frame, span),
                           text=plotly_text(t("fl_peak_note", lang, value=metres(graph.peak_m, lang),
                                              time=_time_text(graph.peak_at))),
                           font=dict(color=TEXT, size=12), bgcolor=CARD)
    low = min(float(frame["level_m"].min()), 0.0)
    high = max([float(frame["level_m"].max()), *levels]) if levels else float(frame["level_m"].max())
    pad = max((high - low) * 0.12, 0.2)
    peak_rain = float(rain.max())
    title = (plotly_text(t("fl_hydro_title", lang, level=metres(graph.last_level_m, lang),
                           rise=rise_text(graph.rise_m_per_h, lang)))
             + f"<br><span style='font-size:11px;color:{MUTED}'>"
             + plotly_text(t("fl_hydro_at", lang, time=_time_text(graph.last_level_at))) + "</span>")
    # the headline as an annotation above the plot: a two-line layout title is clipped at the top
    fig.add_annotation(name="headline", text=title, xref="paper", yref="paper", x=0, y=1, xanchor="left",
                       yanchor="bottom", yshift=4, align="left", showarrow=False, font=dict(color=TEXT, size=14))
    # rain in a band above the levels (its own axis, on the right): bars never cover the water line
    rain_axis: dict[str, Any] = dict(domain=[RAIN_BAND[0], 1.0], anchor="x", side="right", showgrid=False,
                                     zeroline=False, visible=peak_rain > 0)
    if peak_rain > 0:
        ticks = nice_ticks(peak_rain, 2)
        rain_axis.update(range=[0, ticks[-1]], color=MUTED, tickmode="array", tickvals=ticks, tickformat=",d",
                         title=axis_title(t("fl_axis_rain_daily" if daily else "fl_axis_rain", lang)))
    x_range = None
    if span is not None:
        x_range = [span[0].isoformat(), span[1].isoformat()]
    base_layout(
        fig, lang, uirevision,
        # no legend: the axes' titles name the line and the bars (a legend crowds a phone's chart)
        hovermode="x unified", bargap=0, showlegend=False,
        margin=dict(l=8, r=8, t=52, b=8),
        yaxis=dict(title=axis_title(t("fl_axis_level", lang)), range=[low - pad * 0.3, high + pad], tickformat=",.1f",
                   domain=[0.0, RAIN_BAND[0] - 0.04 if peak_rain > 0 else 1.0],
                   ticksuffix=" m", zeroline=False),
        yaxis2=rain_axis,
        xaxis=dict(title=None, range=x_range, hoverformat="%d/%m/%Y" if daily else "%d/%m/%Y %H:%M",
                   tickformat="%d/%m" if daily or _long(span) else "%H:%M<br>%d/%m"),
    )
    return fig


def _long(span: tuple[datetime, datetime] | None) -> bool:
    return span is not None and span[1] - span[0] > timedelta(days=10)


def _anchor(at: datetime, frame: Any, span: tuple[datetime, datetime] | None) -> str:
    """Where the peak's label sits on its arrow: inside the plot near either edge."""
    first, last = span if span is not None else (frame["time"].min().to_pydatetime(),
                                                 frame["time"].max().to_pydatetime())
    share = (at - first) / (last - first) if last > first else 0.5
    return "left" if share < 0.2 else ("right" if share > 0.8 else "center")
