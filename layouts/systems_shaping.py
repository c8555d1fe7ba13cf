"""Pure shaping for a spec-declared system's page (no Dash, no store).

KPI values become tiles (the spec's labels, units, targets and directions), codes become the
labels the spec gives them in the viewer's language, and query frames become table rows and
map features. Text that came from a source (an event's title) is handed on as text, or escaped
where the consumer reads HTML (Leaflet popups); masking it is the caller's business, done
before it reaches here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.i18n import DASH, NBSP, fmt_date, fmt_int, fmt_number, fmt_pct, t
from ioc.systems.spec import Dimension, Kpi, SystemSpec, Term
from layouts.shaping import Tile

#: marker colours for the first dimension's codes, in the spec's order
PALETTE = ("#38bdf8", "#f59e0b", "#a78bfa", "#34d399", "#f472b6", "#fbbf24", "#60a5fa", "#f87171", "#94a3b8")
OTHER_COLOUR = "#9e9e9e"
#: share of a target within which a value is "near" it (amber); shares: 5 points
TARGET_BAND = 0.05
MINUS = "−"


@dataclass(frozen=True)
class SystemTile(Tile):
    """A tile whose light is worded for its KPI: "above target" when lower is better, "better" /
    "worse" for a change (``state_key``: the i18n key; None: the shared wording)."""

    state_key: str | None = None

    def state_text(self, lang: str) -> str:
        return t(self.state_key, lang) if self.state_key else super().state_text(lang)


def _state_key(spec: SystemSpec, kpi: Kpi, state: str) -> str | None:
    if kpi.type == "change" and state in ("good", "bad"):
        return f"systems_trend_{state}"
    if state == "bad" and _direction(spec, kpi) == "lower":
        return "systems_state_above"
    return None


def tile_key(spec: SystemSpec, kpi: str) -> str:
    """The id part of ``spec``'s KPI ``kpi`` (shared by the page, the Overview and the wall)."""
    return f"{spec.code}_{kpi}"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    """A stored text as shown: '' for none (None, or NaN in a pandas string column)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else str(value)


def _unit_text(kpi: Kpi, spec: SystemSpec, lang: str) -> str:
    """What follows a KPI's number: its own unit, else its indicator's, else hours for handling
    times, else the spec's value unit for sums and latest values."""
    if kpi.unit is not None:
        return kpi.unit(lang)
    if kpi.indicator and spec.kind == "indicator":
        term = spec.dimension("indicator").term(kpi.indicator)
        if term is not None and term.unit is not None:
            return term.unit(lang)
    if kpi.type in ("median", "p90"):
        return t("hours_unit", lang)
    if kpi.type in ("sum", "latest") and spec.value_unit is not None:
        return spec.value_unit(lang)
    return ""


def _decimals(value: float) -> int:
    return 0 if abs(value - round(value)) < 1e-9 else 1


def _with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number}{NBSP}{unit}"


def kpi_text(spec: SystemSpec, kpi: Kpi, value: float | None, lang: str) -> str:
    """``value`` of ``kpi`` as shown: shares as percentages, counts whole, rates per hour, day or
    week, handling times in hours, a change with its sign (a share's change in points)."""
    if _missing(value):
        return DASH
    if kpi.type == "change":
        ref = spec.kpi(kpi.kpi)
        sign = "+" if value > 0 else MINUS if value < 0 else ""
        if ref.type == "share":
            return f"{sign}{fmt_number(abs(value) * 100, lang, 1)}{NBSP}{t('systems_points', lang)}"
        return sign + kpi_text(spec, ref, abs(value), lang)
    if kpi.type == "share":
        return fmt_pct(value, lang)
    if kpi.type in ("count", "rank"):
        return _with_unit(fmt_int(value, lang), _unit_text(kpi, spec, lang) if kpi.type == "count" else "")
    if kpi.type == "rate":
        per = kpi.per or "day"
        return f"{fmt_number(value, lang, 1)}{t(f'systems_per_{per}', lang)}"
    if kpi.type in ("median", "p90"):
        return _with_unit(fmt_number(value, lang, 1), _unit_text(kpi, spec, lang))
    compact = _compact(value, lang)
    return _with_unit(compact or fmt_number(value, lang, _decimals(value)), _unit_text(kpi, spec, lang))


#: from here a sum or a value is shown in millions or billions (a tile holds about 12 characters)
COMPACT_FROM = 1e7


def _compact(value: float, lang: str) -> str | None:
    """``44,30 tỷ`` / ``44.30 bn`` for a large number (None below :data:`COMPACT_FROM`)."""
    if abs(value) < COMPACT_FROM:
        return None
    for scale, key, decimals in ((1e9, "traffic_billion", 2), (1e6, "traffic_million", 1)):
        if abs(value) >= scale:
            return f"{fmt_number(value / scale, lang, decimals)}{NBSP}{t(key, lang)}"
    return None


def _direction(spec: SystemSpec, kpi: Kpi) -> str | None:
    if kpi.direction:
        return kpi.direction
    if kpi.type == "change":
        return spec.kpi(kpi.kpi).direction
    return None


def kpi_state(spec: SystemSpec, kpi: Kpi, value: float | None) -> str:
    """The tile's light: against the target (``good`` at or beyond it in the better direction,
    ``warn`` within 5 % of it, 5 points for a share, ``bad`` beyond that); a change by its sign
    and the direction (``good`` when it moved the better way); ``none`` without a value; ``info``
    otherwise."""
    direction = _direction(spec, kpi)
    if _missing(value):
        return "none"
    if kpi.type == "change":
        if direction is None:
            return "info"
        if value == 0:
            return "info"
        return "good" if (value > 0) == (direction == "higher") else "bad"
    if kpi.target is None or direction is None:
        return "info"
    band = TARGET_BAND if kpi.type == "share" else TARGET_BAND * abs(kpi.target)
    gap = (value - kpi.target) if direction == "higher" else (kpi.target - value)
    eps = 1e-9
    if gap >= -eps:
        return "good"
    return "warn" if gap >= -band - eps else "bad"


def _sub(spec: SystemSpec, kpi: Kpi, lang: str) -> str:
    direction = _direction(spec, kpi)
    parts = []
    if kpi.type == "change":
        parts.append(t("systems_sub_change", lang))
    if direction:
        parts.append(t(f"systems_better_{direction}", lang))
    return " · ".join(parts)


def kpi_tiles(spec: SystemSpec, values: Mapping[str, float | None], lang: str,
              names: tuple[str, ...] | None = None) -> list[SystemTile]:
    """One tile per KPI (the spec's order, or ``names``' order), keyed ``<code>_<kpi>``."""
    kpis = spec.kpis if names is None else tuple(spec.kpi(n) for n in names)
    tiles = []
    for kpi in kpis:
        value = values.get(kpi.name)
        target = None
        if kpi.target is not None:
            target = t("systems_target", lang, v=kpi_text(spec, kpi, kpi.target, lang))
        state = kpi_state(spec, kpi, value)
        tiles.append(SystemTile(tile_key(spec, kpi.name), kpi.label(lang), kpi_text(spec, kpi, value, lang),
                                None if _missing(value) else float(value), _sub(spec, kpi, lang), target, state,
                                _state_key(spec, kpi, state)))
    return tiles


def code_label(dim: Dimension, code: str, lang: str) -> str:
    """A dimension code's label in ``lang``; an open dimension's unknown code as given; none: '–'."""
    if not code:
        return t("systems_none", lang)
    term = dim.term(code)
    return term.label(lang) if term is not None else code


def dimension_rows(frame: pd.DataFrame, dim: Dimension, lang: str) -> pd.DataFrame:
    """A :func:`ioc.kpi.systems_views.by_dimension` frame with its ``label``."""
    return frame.assign(label=[code_label(dim, str(k), lang) for k in frame["key"]])


def unit_name(names: Mapping[str, str], code: Any, lang: str) -> str:
    code = "" if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)
    if not code:
        return t("no_unit", lang)
    return names.get(code) or t("unknown_unit", lang, code=code)


def unit_rows(spec: SystemSpec, frame: pd.DataFrame, names: Mapping[str, str], lang: str,
              kpis: tuple[Kpi, ...], changes: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """The by-unit table's rows: the unit's name, then each KPI as shown (and raw, ``<kpi>_raw``,
    so the grid sorts by number); with ``changes`` (unit code → a cell of
    :func:`layouts.systems_compare.change_cell`), ``change`` / ``change_raw`` / ``change_tone``."""
    rows = []
    for r in frame.to_dict("records"):
        row = {"unit_code": str(r["commune_code"] or ""), "unit": unit_name(names, r["commune_code"], lang)}
        for k in kpis:
            value = r.get(k.name)
            row[k.name] = kpi_text(spec, k, value, lang)
            row[f"{k.name}_raw"] = None if _missing(value) else float(value)
        if changes is not None:
            cell = changes.get(str(r["commune_code"])) or {"text": DASH, "raw": None, "tone": "none"}
            row.update(change=cell["text"], change_raw=cell["raw"], change_tone=cell["tone"])
        if "rank" in r:
            row["rank"] = None if pd.isna(r["rank"]) else int(r["rank"])
        rows.append(row)
    return rows


def unit_export(spec: SystemSpec, frame: pd.DataFrame, names: Mapping[str, str], lang: str,
                kpis: tuple[Kpi, ...]) -> pd.DataFrame:
    """The by-unit CSV: unit code and name, then each KPI's raw number (shares as 0–1)."""
    out = pd.DataFrame({t("systems_col_unit_code", lang): [_text(c) for c in frame["commune_code"]],
                        t("systems_col_unit", lang): [unit_name(names, c, lang) for c in frame["commune_code"]]})
    for k in kpis:
        out[k.label(lang)] = pd.to_numeric(frame[k.name], errors="coerce").to_numpy()
    return out


def _local(frame: pd.DataFrame, column: str, tz: ZoneInfo) -> pd.Series:
    return pd.to_datetime(frame[column]).dt.tz_localize("UTC").dt.tz_convert(tz)


def latest_rows(spec: SystemSpec, frame: pd.DataFrame, names: Mapping[str, str], tz: ZoneInfo, lang: str) -> list[dict]:
    """The latest events' rows (``title`` already masked for the reader): local time, unit,
    each dimension's label, value, handling time."""
    if frame.empty:
        return []
    local = _local(frame, "occurred_at", tz)
    sort, shown = local.dt.strftime("%Y-%m-%d %H:%M:%S").tolist(), local.dt.strftime("%d/%m/%Y %H:%M").tolist()
    places = [unit_name(names, _text(c) or _text(u), lang) for c, u in zip(frame["commune_code"], frame["unit_code"], strict=True)]
    values, hours = _floats(frame["value"]), _floats(frame["duration_h"])
    labels = {dim.name: _labels(dim, frame[dim.column], lang) for dim in spec.dimensions}
    rows = []
    for i, (ext, title) in enumerate(zip(frame["external_id"].tolist(), frame["title"].tolist(), strict=True)):
        value, hour = values[i], hours[i]
        row = {"id": str(ext), "time_sort": sort[i], "time_txt": shown[i], "unit": places[i], "value": value,
               "value_txt": DASH if value is None else fmt_number(value, lang, _decimals(value)),
               "hours": hour, "hours_txt": DASH if hour is None else fmt_number(hour, lang, 1),
               "title": _text(title)}
        for name, texts in labels.items():
            row[name] = texts[i]
        rows.append(row)
    return rows


def _floats(column: pd.Series) -> list[float | None]:
    """A column's values as floats, ``None`` where missing."""
    return [None if _missing(v) else float(v) for v in column.tolist()]


def _labels(dim: Dimension, codes: pd.Series, lang: str) -> list[str]:
    """Each code's label (looked up once per distinct code)."""
    seen: dict[str, str] = {}
    out = []
    for c in codes.tolist():
        key = _text(c)
        if key not in seen:
            seen[key] = code_label(dim, key, lang)
        out.append(seen[key])
    return out


def latest_export(spec: SystemSpec, frame: pd.DataFrame, names: Mapping[str, str], tz: ZoneInfo,
                  lang: str) -> pd.DataFrame:
    """The latest events' CSV (``title`` already masked for the reader): one row per event."""
    local = _local(frame, "occurred_at", tz) if not frame.empty else pd.Series([], dtype="object")
    out = pd.DataFrame({
        t("systems_col_id", lang): frame["external_id"].astype(str).to_numpy(),
        t("systems_col_time", lang): [w.strftime("%Y-%m-%d %H:%M") for w in local],
        t("systems_col_unit_code", lang): [_text(c) for c in frame["commune_code"]],
        t("systems_col_unit", lang): [unit_name(names, _text(c) or _text(u), lang)
                                      for c, u in zip(frame["commune_code"], frame["unit_code"], strict=True)],
    })
    for dim in spec.dimensions:
        out[dim.label(lang)] = [code_label(dim, _text(c), lang) for c in frame[dim.column]]
    if "value" in spec.fields:
        out[spec.value(lang) if spec.value else t("systems_col_value", lang)] = frame["value"].to_numpy()
    if {"handled", "duration_hours"} & set(spec.fields):
        out[t("systems_col_hours", lang)] = frame["duration_h"].to_numpy()
    if "title" in spec.fields:
        out[t("systems_col_title", lang)] = [_text(v) for v in frame["title"]]
    return out


def marker_colours(spec: SystemSpec) -> dict[str, str]:
    """The map's colour per code of the first dimension (grey without one)."""
    if not spec.dimensions:
        return {}
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(spec.dimensions[0].codes)}


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def map_geojson(spec: SystemSpec, frame: pd.DataFrame, names: Mapping[str, str], tz: ZoneInfo, lang: str) -> dict:
    """Events with a position as GeoJSON (coordinates to 5 decimals, ≈ 1 m): the first
    dimension's code (marker colour) and an escaped popup."""
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    local = _local(frame, "occurred_at", tz).dt.strftime("%d/%m/%Y %H:%M").tolist()
    first = spec.dimensions[0] if spec.dimensions else None
    head = f'<div class="pp"><div class="pp-h">{_esc(spec.label(lang))}</div>'
    places = [_esc(unit_name(names, _text(c) or _text(u), lang)) for c, u in zip(frame["commune_code"], frame["unit_code"], strict=True)]
    # each dimension's line, written once per distinct code
    lines = [[f"<div><span>{_esc(dim.label(lang))}:</span> {_esc(text)}</div>" for text in _labels(dim, frame[dim.column], lang)]
             for dim in spec.dimensions]
    colour = [_text(c) for c in frame[first.column].tolist()] if first else None
    features = []
    for i, (lat, lon, title, ext) in enumerate(zip(frame["lat"].tolist(), frame["lon"].tolist(), frame["title"].tolist(),
                                                   frame["external_id"].tolist(), strict=True)):
        if _missing(lat) or _missing(lon):
            continue
        popup = [head, f"<div>{_esc(local[i])} · {places[i]}</div>", *(dim_lines[i] for dim_lines in lines)]
        if _text(title):
            popup.append(f"<p>{_esc(title)}</p>")
        popup.append(f'<div class="pp-id">{_esc(ext)}</div></div>')
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]},
                         "properties": {"s": colour[i] if colour else "", "popup": "".join(popup)}})
    return {"type": "FeatureCollection", "features": features}


def _term_unit(term: Term, lang: str) -> str:
    return term.unit(lang) if term.unit is not None else ""


def indicator_rows(spec: SystemSpec, frame: pd.DataFrame, lang: str) -> list[dict]:
    """The indicators table: label, latest value with its unit, period, target, rank "r/of",
    change (with its sign), citation, and whether the value is simulated."""
    terms = {t_.code: t_ for t_ in spec.indicators}
    rows = []
    for r in frame.to_dict("records"):
        term = terms[r["indicator"]]
        unit = _term_unit(term, lang)
        value, change, target = r["value"], r["change"], r["target"]

        def number(v: float | None, unit: str = unit) -> str:
            return DASH if _missing(v) else _with_unit(fmt_number(v, lang, _decimals(v)), unit)

        sign = "" if _missing(change) else "+" if change > 0 else MINUS if change < 0 else ""
        rank = DASH if _missing(r["rank"]) else (
            fmt_int(r["rank"], lang) + ("" if _missing(r["rank_of"]) else f"/{fmt_int(r['rank_of'], lang)}"))
        direction = term.direction
        trend = ("" if _missing(change) or not change or direction is None else
                 "good" if (change > 0) == (direction == "higher") else "bad")
        rows.append({
            "indicator": term.code, "label": term.label(lang), "value": number(value),
            "value_raw": None if _missing(value) else float(value),
            "period": r["period"] if isinstance(r["period"], str) and r["period"] else DASH, "target": number(target),
            "rank": rank, "change": DASH if _missing(change) else sign + number(abs(change)), "trend": trend,
            "citation": t("systems_simulated", lang) if r["simulated"] else (r["citation"] or DASH),
            "simulated": bool(r["simulated"]),
        })
    return rows


def indicator_export(spec: SystemSpec, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The indicators table as a CSV: raw numbers, and "simulated" said in the source column."""
    labels = {t_.code: t_.label(lang) for t_ in spec.indicators}
    return pd.DataFrame({
        t("systems_col_indicator", lang): [labels[c] for c in frame["indicator"]],
        t("systems_col_period", lang): frame["period"].to_numpy(),
        t("systems_col_value", lang): frame["value"].to_numpy(),
        t("systems_col_target", lang): frame["target"].to_numpy(),
        t("systems_col_rank", lang): frame["rank"].to_numpy(),
        t("systems_col_rank_of", lang): frame["rank_of"].to_numpy(),
        t("systems_col_change", lang): frame["change"].to_numpy(),
        t("systems_col_source", lang): [t("systems_simulated", lang) if s else c
                                        for s, c in zip(frame["simulated"], frame["citation"], strict=True)],
    })


def period_text(start: date, last_day: date, lang: str) -> str:
    return f"{fmt_date(start, lang)} – {fmt_date(last_day, lang)}"
