"""Pure builders for the traffic page: Plotly figures and the camera map's markers.

Each builder takes a tidy frame from :mod:`ioc.kpi.traffic_views` and returns a figure (dark
operations template of :mod:`layouts.figures`) or the camera map's GeoJSON. Leaflet renders
popup and tooltip strings as HTML, so every value from the data is escaped there; labels that
go into Plotly are escaped with :func:`~layouts.figures.plotly_text`.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from ioc.i18n import fmt_int, fmt_local_datetime, fmt_pct, fmt_vnd, t
from ioc.privacy import display_plate
from layouts import provisional
from layouts.figures import (
    CARD,
    GOOD,
    MUTED,
    TEXT,
    axis_title,
    base_layout,
    empty_figure,
    nice_ticks,
    percent_ticks,
    plotly_text,
)
from layouts.traffic_shaping import (
    NO_TYPE_COLOUR,
    TYPE_COLOURS,
    VEHICLE_COLOURS,
    fmt_vnd_compact,
    kind_text,
    status_text,
    type_text,
    vehicle_text,
)

ISSUED, COLLECTED = "#f59e0b", GOOD
HEAT_SCALE = [[0.0, "#0f1826"], [0.15, "#16324f"], [0.4, "#1d6fa5"], [0.7, "#f59e0b"], [1.0, "#ef4444"]]


def _ticks(peak: float) -> dict:
    return {"tickmode": "linear", "tick0": 0, "dtick": 1} if peak < 8 else {"tickmode": "auto", "nticks": 5}


def heatmap_figure(grid: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Violations by local hour (x) and weekday (y, Monday on top)."""
    if grid.to_numpy().sum() == 0:
        return empty_figure(t("no_data", lang), lang)
    days = t("traffic_weekdays", lang).split(",")
    hours = [f"{h:02d}" for h in grid.columns]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=hours, y=days, colorscale=HEAT_SCALE, xgap=2, ygap=2,
        colorbar=dict(thickness=10, outlinewidth=0, tickfont=dict(color=MUTED), tickformat=",d",
                      **_ticks(float(grid.to_numpy().max()))),
        hovertemplate="%{y} %{x}h: %{z:,.0f}<extra></extra>",
    ))
    base_layout(fig, lang, uirevision, margin=dict(l=8, r=8, t=8, b=8),
                xaxis=dict(title=t("traffic_hour", lang), tickmode="linear", dtick=2, showgrid=False),
                yaxis=dict(autorange="reversed", showgrid=False, title=None))
    return fig


UNIT_COLOUR = "#38bdf8"
DISTRICT_COLOUR = "#a78bfa"


def unit_figure(frame: pd.DataFrame, names: dict[str, str], lang: str, colour: str = UNIT_COLOUR,
                uirevision: str | None = None, max_label: int = 26) -> go.Figure:
    """Horizontal bars of violations per unit (a :func:`~ioc.kpi.traffic_views.traffic_breakdown`
    by commune or district), largest on top; records with no unit are left out."""
    frame = frame[frame["key"].fillna("") != ""]
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    full = [names.get(str(k)) or t("unknown_unit", lang, code=k) for k in frame["key"]]
    labels = [plotly_text(v if len(v) <= max_label else v[: max_label - 1] + "…") for v in full]
    custom = list(zip([plotly_text(v) for v in full], [fmt_pct(s, lang) for s in frame["share"]],
                      [fmt_vnd(v, lang) for v in frame["fines_issued_vnd"]], strict=True))
    fig = go.Figure(go.Bar(
        x=frame["violations"], y=labels, orientation="h", marker=dict(color=colour),
        text=frame["violations"], texttemplate="%{text:,.0f}", textposition="outside", cliponaxis=False,
        textfont=dict(color=TEXT), customdata=custom,
        hovertemplate=("<b>%{customdata[0]}</b><br>%{x:,.0f} (%{customdata[1]})<br>"
                       + t("traffic_series_issued", lang) + ": %{customdata[2]}<extra></extra>"),
    ))
    peak = float(frame["violations"].max())
    base_layout(fig, lang, uirevision, yaxis=dict(autorange="reversed", title=None, automargin=True,
                                                  tickfont=dict(size=11)),
                xaxis=dict(title=None, tickformat=",d", range=[0, peak * 1.25], tickangle=0,
                           **(_ticks(peak) if peak < 8 else {"nticks": 4})),
                bargap=0.2 if len(frame) >= 5 else 0.6)
    return fig


def type_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Horizontal bars of violations per type (largest on top), coloured as on the map."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    labels = [plotly_text(type_text(k, lang)) for k in frame["key"]]
    custom = list(zip([fmt_pct(s, lang) for s in frame["share"]],
                      [fmt_vnd(v, lang) for v in frame["fines_issued_vnd"]], strict=True))
    fig = go.Figure(go.Bar(
        x=frame["violations"], y=labels, orientation="h",
        marker=dict(color=[TYPE_COLOURS.get(k, NO_TYPE_COLOUR) for k in frame["key"]]),
        text=frame["violations"], texttemplate="%{text:,.0f}", textposition="outside", cliponaxis=False,
        textfont=dict(color=TEXT), customdata=custom,
        hovertemplate=("<b>%{y}</b><br>%{x:,.0f} (%{customdata[0]})<br>" + t("traffic_series_issued", lang)
                       + ": %{customdata[1]}<extra></extra>"),
    ))
    peak = float(frame["violations"].max())
    base_layout(fig, lang, uirevision, yaxis=dict(autorange="reversed", title=None),
                xaxis=dict(title=None, tickformat=",d", range=[0, peak * 1.35], tickangle=0,
                           **(_ticks(peak) if peak < 8 else {"nticks": 3})), bargap=0.25)
    return fig


def vehicle_figure(frame: pd.DataFrame, lang: str, uirevision: str | None = None) -> go.Figure:
    """Share of violations by vehicle class (donut)."""
    if frame.empty:
        return empty_figure(t("no_data", lang), lang)
    fig = go.Figure(go.Pie(
        labels=[plotly_text(vehicle_text(k, lang)) for k in frame["key"]], values=frame["violations"], hole=0.55,
        sort=False, marker=dict(colors=[VEHICLE_COLOURS.get(k, "#94a3b8") for k in frame["key"]],
                                line=dict(color=CARD, width=2)),
        textinfo="percent", automargin=True,  # a small slice's label is not cut
        hovertemplate="<b>%{label}</b><br>%{value:,.0f} (%{percent})<extra></extra>",
    ))
    base_layout(fig, lang, uirevision, showlegend=True, margin=dict(l=8, r=8, t=8, b=8),
                legend=dict(orientation="v", x=1.0, y=0.5, font=dict(color=TEXT)))
    return fig


def _bucket_days(freq: str) -> float:
    return {"day": 1, "week": 7, "month": 30.4}[freq]


def fines_figure(series: pd.DataFrame, lang: str, freq: str, span: tuple[date, date] | None = None,
                 uirevision: str | None = None, today: date | None = None) -> go.Figure:
    """Fines issued vs collected (VND) per bucket of detection date, and the collection rate
    (right axis); the bucket holding ``today`` (local) is drawn as provisional."""
    if series.empty or series["fines_issued_vnd"].sum() == 0:
        return empty_figure(t("no_data", lang), lang)
    x = series["bucket"]
    flags = provisional.running(x, freq, today)
    notes = provisional.hover_notes(flags, lang)
    width = _bucket_days(freq) * 86_400_000 * 0.4
    offset = width / 2
    fig = go.Figure()
    for col, name, colour, shift in (("fines_issued_vnd", "traffic_series_issued", ISSUED, -offset),
                                     ("fines_collected_vnd", "traffic_series_collected", COLLECTED, offset)):
        texts = [fmt_vnd(v, lang) + n for v, n in zip(series[col], notes, strict=True)]
        fig.add_bar(x=x + pd.to_timedelta(shift, unit="ms"), y=series[col], name=t(name, lang), width=width,
                    marker=provisional.bar_marker(flags, colour), customdata=texts,
                    hovertemplate="%{customdata}<extra>" + t(name, lang) + "</extra>")
    rate = t("traffic_kpi_collection_rate", lang)
    provisional.add_line(fig, x, series["collection_rate"], flags, name=rate, lang=lang, yaxis="y2",
                         line=dict(color=TEXT, width=2), marker=dict(size=4),
                         hovertemplate="%{y:.1%}<extra>" + rate + "</extra>")
    provisional.shade(fig, x, flags, freq, lang)
    peak = float(series["fines_issued_vnd"].max()) or 1.0
    ticks = nice_ticks(peak)
    base_layout(
        fig, lang, uirevision, hovermode="x unified", barmode="overlay",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(color=MUTED)),
        margin=dict(l=8, r=8, t=28, b=8),
        yaxis=dict(title=None, range=[0, max(ticks[-1], peak * 1.1)], tickvals=ticks,
                   ticktext=[fmt_vnd_compact(v, lang, tick=True) for v in ticks]),
        yaxis2=dict(overlaying="y", side="right", range=[0, 1.05], showgrid=False, color=MUTED,
                    title=axis_title(rate), **percent_ticks(0, 1.0, lang, most=5)),
        xaxis=dict(title=None, tickformat="%d/%m" if freq == "day" else ("%b %Y" if lang == "en" else "%m/%Y"),
                   range=None if span is None else [_edge(span[0], freq, -1), _edge(span[1], freq, 0)]),
    )
    return fig


def _edge(day: date, freq: str, sign: int) -> str:
    half = _bucket_days(freq) / 2 if sign else 0
    return (datetime.combine(day, datetime.min.time()) + timedelta(days=sign * half)).isoformat()


# --- the camera map ---------------------------------------------------------------------------------


def marker_radius(violations: int, peak: int) -> float:
    """Marker radius in px: area proportional to violations, 4 px for none, 18 px at the peak."""
    if violations <= 0 or peak <= 0:
        return 4.0
    return round(4 + 14 * math.sqrt(violations / peak), 1)


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def popup_html(cam: dict, latest: pd.DataFrame | list[dict], tz: ZoneInfo, lang: str, show_plates: bool) -> str:
    """A camera's Leaflet popup: its name, kind, road, violations in the period, main type and
    latest violations (a frame, or its records). Leaflet renders popup strings as HTML, so every
    value is escaped here."""
    items = []
    for r in latest if isinstance(latest, list) else latest.to_dict("records"):
        fine = r.get("fine_vnd")
        parts = [fmt_local_datetime(r["detected_at"], tz, lang), type_text(r["violation_type"], lang),
                 vehicle_text(r["vehicle_class"], lang),
                 display_plate(r["plate_raw"], r["plate"], r["plate_status"], show_plates) or "–",
                 status_text(r["status"], lang)]
        if fine is not None and fine is not pd.NA and fine == fine:
            parts.append(fmt_vnd(int(fine), lang) + (" ⚠" if r.get("fine_flag") in ("below", "above") else ""))
        items.append(f"<li>{_esc(' · '.join(parts))}</li>")
    body = [f'<div class="pp-h">{_esc(cam["name"])}</div>',
            f'<div class="pp-id">{_esc(kind_text(cam.get("kind"), lang))} · {_esc(cam.get("road") or "")} · '
            f'{_esc(cam["code"])}</div>',
            f'<div class="pp-s">{_esc(t("traffic_popup_count", lang, n=fmt_int(cam["violations"], lang)))}</div>']
    if cam.get("main_type"):
        body.append(f'<div>{_esc(t("traffic_popup_main", lang, label=type_text(cam["main_type"], lang)))}</div>')
    if items:
        body += [f'<div class="pp-sub">{_esc(t("traffic_popup_latest", lang))}</div>',
                 f'<ul class="pp-list">{"".join(items)}</ul>']
    else:
        body.append(f'<div class="pp-sub">{_esc(t("traffic_popup_none", lang))}</div>')
    return f'<div class="pp">{"".join(body)}</div>'


def css_token(code: object) -> str:
    """A camera code as a CSS class token (letters, digits, '-' and '_'; others become '_')."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(code))


def camera_geojson(summary: pd.DataFrame, latest: pd.DataFrame, tz: ZoneInfo, lang: str,
                   show_plates: bool) -> dict:
    """One point per located camera for ``dashExtensions.traffic.cameraToLayer`` (assets/traffic.js):
    ``r`` radius (area ∝ violations in the period), ``c`` colour of the main violation type (grey
    without violations), ``k`` a class token of its code, an escaped tooltip and popup."""
    located = summary[summary["lat"].notna() & summary["lon"].notna()]
    peak = int(located["violations"].max()) if len(located) else 0
    features = []
    by_camera: dict[str, list[dict]] = {}  # each camera's latest violations, split once
    for record in latest.to_dict("records"):
        by_camera.setdefault(record["camera_code"], []).append(record)
    # the biggest first, so smaller markers are drawn on top and stay clickable
    for cam in located.sort_values(["violations", "code"], ascending=[False, True]).to_dict("records"):
        mine = by_camera.get(cam["code"], [])
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(cam["lon"]), 5), round(float(cam["lat"]), 5)]},
            "properties": {
                "r": marker_radius(int(cam["violations"]), peak), "n": int(cam["violations"]),
                "c": TYPE_COLOURS.get(cam.get("main_type") or "", NO_TYPE_COLOUR), "k": css_token(cam["code"]),
                "tooltip": _esc(f"{cam['name']}: {fmt_int(cam['violations'], lang)}"),
                "popup": popup_html(cam, mine, tz, lang, show_plates),
            },
        })
    return {"type": "FeatureCollection", "features": features}
