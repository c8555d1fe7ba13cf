"""Pure Plotly figure builders for the dashboard (no Dash, no store: unit-testable).

Each builder takes a tidy DataFrame from :mod:`ioc.kpi` (already labelled by
:mod:`layouts.shaping`) and returns a ``go.Figure`` in the dark operations template. Labels
that come from data (unit names, handling units, source category names) are escaped with
:func:`plotly_text`, because Plotly interprets a few HTML tags in text.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from ioc.i18n import fmt_pct, t
from layouts import provisional

BG = "#0d1520"
CARD = "#121c2b"
GRID = "#22324a"
TEXT = "#e6edf5"
MUTED = "#9fb0c6"
ACCENT = "#38bdf8"
BAR = "#3b82f6"
GOOD = "#22c55e"
WARN = "#f59e0b"
BAD = "#ef4444"
TARGET = "#f8fafc"
FONT = 'system-ui, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif'
CHANNEL_COLOURS = {"hue_s": "#38bdf8", "hotline": "#a78bfa", "web": "#34d399", "social": "#f472b6", "other": "#94a3b8"}


def plotly_text(value: object) -> str:
    """Data text made safe for Plotly labels (it renders <b>, <a>, <br> … from strings)."""
    return html.escape("" if value is None else str(value), quote=False)


#: The dark operations template, registered once with Plotly under this name.
TEMPLATE = "ioc-dark"
pio.templates[TEMPLATE] = go.layout.Template(layout=go.Layout(
    paper_bgcolor=CARD,
    plot_bgcolor=CARD,
    font=dict(family=FONT, color=TEXT, size=13),
    colorway=[BAR, ACCENT, "#a78bfa", "#34d399", "#f472b6", "#fbbf24", "#94a3b8"],
    xaxis=dict(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, tickcolor=GRID, automargin=True),
    yaxis=dict(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, tickcolor=GRID, automargin=True),
    hoverlabel=dict(bgcolor="#0b1220", bordercolor=ACCENT, font=dict(family=FONT, color=TEXT, size=13)),
    legend=dict(bgcolor="rgba(0,0,0,0)", font=dict(color=MUTED)),
    margin=dict(l=8, r=12, t=8, b=8),
))


def base_layout(fig: go.Figure, lang: str, uirevision: str | None = None, **kwargs: object) -> go.Figure:
    """Apply the dark template. ``uirevision`` keeps zoom and legend toggles across live
    updates of the same view (pass one key per chart and filter set)."""
    fig.update_layout(template=TEMPLATE, autosize=True, uirevision=uirevision,
                      separators=".," if lang == "en" else ",.", **kwargs)
    return fig


def level_line(fig: go.Figure, y: float, line: dict, text: str, font: dict, position: str = "bottom left",
               **label: object) -> None:
    """A horizontal line across the plot at ``y`` with its label at one end (``position``: "bottom
    left", "bottom right", "top left", "top right"), drawn as ``fig.add_hline`` draws it but as
    one shape and one annotation: ``add_hline`` checks the subplot grid and validates the whole
    layout on each call (about 7 ms a line, most of a small chart's build)."""
    vertical, side = position.split()
    fig.add_shape(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)
    fig.add_annotation(text=text, font=font, showarrow=False, xref="x domain", x=0 if side == "left" else 1,
                       xanchor=side, yref="y", y=y, yanchor="top" if vertical == "bottom" else "bottom", **label)


def graph_config(filename: str) -> dict:
    """dcc.Graph config: PNG download from the modebar with a meaningful file name."""
    return {
        "displaylogo": False,
        "responsive": True,
        "displayModeBar": "hover",
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "sendChartToCloud",
                                   "sendDataToCloud"],  # no uploads to a cloud from a control room
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def empty_figure(message: str, lang: str) -> go.Figure:
    fig = go.Figure()
    base_layout(fig, lang, xaxis=dict(visible=False), yaxis=dict(visible=False))
    fig.add_annotation(text=plotly_text(message), showarrow=False, font=dict(color=MUTED, size=14),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def trend_figure(series: pd.DataFrame, target: float, lang: str, freq: str, uirevision: str | None = None,
                 span: tuple[date, date] | None = None, today: date | None = None) -> go.Figure:
    """Reports received (bars, right axis) and satisfaction rate (line) against its target.

    ``span`` (local dates [start, end)) fixes the time axis to the whole period, so a sparse
    series is not stretched across the plot. The bucket holding ``today`` (local) is drawn as
    provisional (:mod:`layouts.provisional`).
    """
    if series.empty or series["received"].sum() == 0:
        return empty_figure(t("no_data", lang), lang)
    x = series["bucket"]
    flags = provisional.running(x, freq, today)
    notes = provisional.hover_notes(flags, lang)
    fig = go.Figure()
    fig.add_bar(x=x, y=series["received"], name=t("series_received", lang), yaxis="y2",
                marker=provisional.bar_marker(flags, "rgba(59,130,246,0.45)"), width=bucket_ms(freq) * 0.8,
                customdata=notes, hovertemplate="%{y:,.0f}%{customdata}<extra>" + t("series_received", lang) + "</extra>")
    provisional.add_line(fig, x, series["satisfaction_rate"], flags, name=t("series_satisfaction", lang), lang=lang,
                         line=dict(color=GOOD, width=3), marker=dict(size=5),
                         hovertemplate="%{y:.1%}<extra>" + t("series_satisfaction", lang) + "</extra>")
    provisional.add_line(fig, x, series["on_time_rate"], flags, name=t("series_on_time", lang), lang=lang, mode="lines",
                         line=dict(color=ACCENT, width=2), visible="legendonly",
                         hovertemplate="%{y:.1%}<extra>" + t("series_on_time", lang) + "</extra>")
    level_line(fig, target, dict(color=TARGET, width=1.5, dash="dash"),
               f"{t('series_target', lang)} {fmt_pct(target, lang, 0)}", dict(color=TARGET, size=12), bgcolor=CARD)
    provisional.shade(fig, x, flags, freq, lang)
    rates = pd.concat([series["satisfaction_rate"], series["on_time_rate"]]).dropna()
    low = max(0.0, min(target, float(rates.min()) if len(rates) else target) - 0.05)
    peak = float(series["received"].max()) or 1.0
    base_layout(
        fig, lang, uirevision,
        hovermode="x unified",
        bargap=0.15,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
        margin=dict(l=8, r=8, t=28, b=8),
        yaxis=dict(range=[low, 1.005], title=None, **percent_ticks(low, 1.005, lang)),
        # bars use the lower part of the plot so the rate line stays readable above them
        yaxis2=count_axis(peak, peak * 2.2, t("series_received", lang)),
        xaxis=dict(title=None, tickformat=date_ticks(freq, lang),
                   hoverformat="%d/%m/%Y" if freq != "month" else "%m/%Y",
                   range=None if span is None else [axis_edge(span[0], freq, -1), axis_edge(span[1], freq, 0)]),
    )
    return fig


def nice_ticks(peak: float, target: int = 4) -> list[int]:
    """Round tick values (1, 2 or 5 × 10^k apart) from 0 to just above ``peak``."""
    raw = peak / target
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [int(step * i) for i in range(int(peak // step) + 2)]


def count_axis(peak: float, top: float, title: str) -> dict:
    """A secondary (right) axis of counts from 0 to ``top``: its title, and round ticks (``nice_ticks``
    of ``peak``) that the separators of :func:`base_layout` group as the language does."""
    ticks = [v for v in nice_ticks(max(peak, 1.0)) if v <= top]
    return dict(overlaying="y", side="right", showgrid=False, range=[0, top], color=MUTED, tickmode="array",
                tickvals=ticks, tickformat=",d", title=axis_title(title))


def axis_title(text: str) -> dict:
    """An axis title in the muted colour, small (secondary axes say what they count)."""
    return dict(text=plotly_text(text), font=dict(color=MUTED, size=12), standoff=6)


#: steps of percent ticks (as ratios), the finest first
_PERCENT_STEPS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)


def percent_ticks(low: float, high: float, lang: str, most: int = 7) -> dict:
    """Ticks of a ratio axis from ``low`` to ``high`` written as the tiles write percentages
    (``95 %`` in Vietnamese, ``95%`` in English: Plotly's ``.0%`` cannot put the space in), at
    the finest round step that gives at most ``most`` ticks."""
    span = max(high - low, 1e-9)
    step = next((s for s in _PERCENT_STEPS if span / s <= most - 1), 1.0)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    values = [round(k * step, 6) for k in range(first, last + 1)]
    decimals = 1 if step < 0.01 else 0
    return dict(tickmode="array", tickvals=values, ticktext=[fmt_pct(v, lang, decimals) for v in values])


def breakdown_figure(frame: pd.DataFrame, lang: str, colour: str = BAR, max_label: int = 30,
                     uirevision: str | None = None) -> go.Figure:
    """Horizontal bars of reports received per ``label`` (largest on top), rates in the hover."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    labels = [plotly_text(shorten(str(v), max_label)) for v in frame["label"]]
    custom = list(zip(
        [plotly_text(v) for v in frame["label"]],
        [fmt_pct(v, lang) for v in frame["processed_rate"]],
        [fmt_pct(v, lang) for v in frame["on_time_rate"]],
        [fmt_pct(v, lang) for v in frame["satisfaction_rate"]],
        strict=True,
    ))
    hover = ("<b>%{customdata[0]}</b><br>" + t("series_received", lang) + ": %{x:,.0f}<br>"
             + t("col_processed_rate", lang) + ": %{customdata[1]}<br>"
             + t("col_on_time_rate", lang) + ": %{customdata[2]}<br>"
             + t("col_satisfaction_rate", lang) + ": %{customdata[3]}<extra></extra>")
    fig = go.Figure(go.Bar(
        x=frame["received"], y=labels, orientation="h", marker=dict(color=colour),
        text=frame["received"], texttemplate="%{text:,.0f}", textposition="outside", textangle=0, cliponaxis=False,
        textfont=dict(color=TEXT),
        customdata=custom, hovertemplate=hover,
    ))
    base_layout(fig, lang, uirevision, yaxis=dict(autorange="reversed", title=None, automargin=True),
                # room on the right for the largest bar's count
                xaxis=dict(title=None, tickformat=",d", range=[0, float(frame["received"].max()) * 1.18],
                           **_count_ticks(float(frame["received"].max()))),
                bargap=0.25 if len(frame) >= 5 else 0.6,
                uniformtext=dict(minsize=10, mode="hide"))
    return fig


def channel_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Share of reports by channel (donut)."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    colours = [CHANNEL_COLOURS.get(k, "#94a3b8") for k in frame["key"]]
    fig = go.Figure(go.Pie(
        labels=[plotly_text(v) for v in frame["label"]], values=frame["received"], hole=0.55, sort=False,
        marker=dict(colors=colours, line=dict(color=CARD, width=2)), textinfo="percent",
        automargin=True,  # a small slice's label outside the ring pushes the margin, not cut (a phone's width)
        hovertemplate="<b>%{label}</b><br>%{value:,.0f} (%{percent})<extra></extra>",
    ))
    base_layout(fig, lang, uirevision, showlegend=True, legend=dict(orientation="v", x=1.0, y=0.5, font=dict(color=TEXT)),
                margin=dict(l=8, r=8, t=8, b=8))
    return fig


def _count_ticks(peak: float) -> dict:
    """Whole-number ticks: small counts get a tick per unit instead of 0, 0, 1, 1."""
    return {"tickmode": "linear", "tick0": 0, "dtick": 1} if peak < 8 else {"tickmode": "auto", "nticks": 5}


def bucket_ms(freq: str) -> float:
    """A bucket's length in ms: bar widths on a date axis (a lone bar is otherwise 1 ms wide)."""
    return provisional.BUCKET_DAYS[freq] * 86_400_000


def date_ticks(freq: str, lang: str) -> str:
    if freq == "day":
        return "%d/%m"
    return "%b %Y" if lang == "en" else "%m/%Y"


def axis_edge(day: date, freq: str, sign: int) -> str:
    """Axis edge: half a bucket outside the period so the first and last bars show whole."""
    half = {"day": 0.5, "week": 3.5, "month": 15}[freq] if sign else 0
    return (datetime.combine(day, datetime.min.time()) + timedelta(days=sign * half)).isoformat()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
