"""Pure data shaping between the KPI layer and the screen (no Dash, no store).

Labels in the chosen language, KPI tiles with their traffic-light state, the map's GeoJSON
with escaped popups, and the overdue queue's rows. Citizen text is only ever handed on as
text, or escaped where the consumer interprets HTML (Leaflet popups).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.feedback import STATUS_COLOURS
from ioc.domain.units import UnitMap, name_key, short_name, unit_column
from ioc.i18n import (
    category_label,
    channel_label,
    fmt_hours,
    fmt_int,
    fmt_local_datetime,
    fmt_number,
    fmt_pct,
    status_label,
    t,
    unit_label,
)
from ioc.kpi.periods import Period, to_local

POPUP_DESCRIPTION_CHARS = 280


class Targets(Protocol):
    target_processed: float
    target_on_time: float
    target_satisfaction: float


def tile_state(value: float | None, target: float | None, band: float = 0.05) -> str:
    """Traffic light for a rate against its target.

    ``good`` at or above target, ``warn`` less than ``band`` (5 points) below it, ``bad`` below
    that; ``none`` without a value, ``info`` when the KPI has no target.
    """
    if target is None:
        return "info"
    if value is None or value != value:
        return "none"
    eps = 1e-9  # 0.95 − 0.05 is not exactly 0.90 in floating point
    if value >= target - eps:
        return "good"
    if value >= target - band - eps:
        return "warn"
    return "bad"


def as_number(value: Any) -> float | None:
    """A frame cell as a float; None for a missing value (None, NA, NaN) or one that is not a number."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    raw: float | None
    sub: str
    target: str | None
    state: str

    def state_text(self, lang: str) -> str:
        return t(f"state_{self.state}", lang) if self.state in ("good", "warn", "bad", "none") else ""


def feedback_tiles(kpis: Any, targets: Targets, lang: str, keys: tuple[str, ...] | None = None) -> list[Tile]:
    """The KPI tiles for a :class:`ioc.kpi.feedback.FeedbackKpis`, in display order."""
    d = kpis.details or {}
    processed, received, rated = kpis.processed, kpis.received, int(d.get("rated", 0))
    on_time = int(d.get("on_time", 0))

    def rate(key: str, value: float | None, target: float | None, sub: str) -> Tile:
        state = tile_state(value, target)
        text = fmt_pct(value, lang)
        if state in ("warn", "bad") and text == fmt_pct(target, lang):
            text = fmt_pct(value, lang, 2)  # 97,98 %, not a "98,0 %" that reads as on target
        return Tile(key, t(f"kpi_{key}", lang), text, value, sub,
                    None if target is None else t("target", lang, value=fmt_pct(target, lang, 0)), state)

    tiles = [
        Tile("received", t("kpi_received", lang), fmt_int(received, lang), received, t("sub_received", lang),
             None, "info"),
        rate("processed_rate", kpis.processed_rate, targets.target_processed,
             t("sub_processed", lang, n=fmt_int(processed, lang), d=fmt_int(received, lang))),
        rate("on_time_rate", kpis.on_time_rate, targets.target_on_time,
             t("sub_on_time", lang, n=fmt_int(on_time, lang), d=fmt_int(processed, lang))),
        Tile("overdue", t("kpi_overdue", lang), fmt_int(kpis.overdue, lang), kpis.overdue, t("sub_overdue", lang),
             None, "alert" if kpis.overdue else "info"),
        rate("satisfaction_rate", kpis.satisfaction_rate, targets.target_satisfaction,
             t("sub_rated", lang, n=fmt_int(int(d.get("satisfied", 0)) + int(d.get("acceptable", 0)), lang),
               d=fmt_int(rated, lang))),
        Tile("median_resolution_hours", t("kpi_median_resolution_hours", lang),
             fmt_hours(kpis.median_resolution_hours, lang), kpis.median_resolution_hours, t("sub_hours", lang),
             None, "info"),
        Tile("p90_resolution_hours", t("kpi_p90_resolution_hours", lang), fmt_hours(kpis.p90_resolution_hours, lang),
             kpis.p90_resolution_hours, t("sub_hours_p90", lang), None, "info"),
        rate("rated_share", kpis.rated_share, None, t("sub_rated_share", lang)),
    ]
    return tiles if keys is None else [tile for key in keys for tile in tiles if tile.key == key]


def series_freq(period: Period) -> str:
    """Bucket size for the trend: days up to two months, weeks up to ~15 months, else months."""
    days = (period.end - period.start).days
    if days <= 62:
        return "day"
    if days <= 460:
        return "week"
    return "month"


def label_breakdown(frame: pd.DataFrame, by: str, lang: str, unit_names: Mapping[str, str],
                    stored_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Add a ``label`` column (names in ``lang``) to a :func:`feedback_breakdown` frame."""
    frame = frame.copy()
    keys = frame["key"].fillna("").astype(str)
    if by in ("district", "commune"):
        frame["label"] = [unit_label(k, unit_names, lang) for k in keys]
    elif by == "category":
        frame["label"] = [category_label(k, lang, (stored_names or {}).get(k)) for k in keys]
    elif by == "channel":
        frame["label"] = [channel_label(k, lang) for k in keys]
    else:  # handling units are free text from the source
        frame["label"] = [k if k else "–" for k in keys]
    return frame


def fold_words(text: str) -> str:
    """``text`` lower-cased without diacritics, words kept ("Phường Phú Xuân" → "phuong phu xuan"):
    what a user types when the keyboard has no Vietnamese input."""
    folded = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def _search(*names: str, code: str = "") -> str:
    return " ".join(dict.fromkeys([*names, *(fold_words(n) for n in names), *(name_key(n) for n in names), code]))


def unit_options(units: UnitMap, start: date, end: date, lang: str, seen_codes: Iterable[str] = ()) -> list[dict]:
    """The unit filter's options for a period of local dates ``[start, end)``: the current
    communes grouped by kind (Phường, Xã), then, when the period reaches before 1 July 2025,
    the district-level units of that time. Group headers are disabled options; each option's
    ``search`` text also holds its name without diacritics, so typing "phu xuan" finds "Phú Xuân".
    Codes seen in data but unknown come last, by code."""
    options: list[dict] = []
    communes = sorted((u for u in units.current_communes() if u.administrative), key=lambda u: (u.kind, name_key(u.name)))
    for kind in dict.fromkeys(u.kind for u in communes):
        group = [u for u in communes if u.kind == kind]
        options.append({"label": t("unit_group_kind", lang, kind=kind, count=len(group)), "value": f"_group_{kind}",
                        "disabled": True})
        options += [{"label": u.name, "value": u.code, "search": _search(u.name, code=u.code)} for u in group]
    if start < units.changeover:
        names = units.names_during(start, min(end, units.changeover), "district")
        if names:
            options.append({"label": t("unit_group_districts", lang, day=units.changeover.strftime("%d/%m/%Y")),
                            "value": "_group_district", "disabled": True})
            options += [{"label": " / ".join(n), "value": code, "search": _search(*n, code=code)}
                        for code, n in sorted(names.items(), key=lambda kv: name_key(kv[1][-1]))]
    known = {o["value"] for o in options}
    for code in sorted(c for c in seen_codes if c and c not in known):
        options.append({"label": code, "value": code})
    return options


def unit_filter_codes(units: UnitMap) -> frozenset[str]:
    """The codes the unit filter takes from a URL: the current communes (any period, history
    mapped to them) and the district-level units of any time (old ``?district=`` links; for a
    period past a unit's end the page says so). Anything else is reported, not shown."""
    return frozenset(u.code for u in units.current_communes() if u.administrative) | frozenset(
        u.code for u in units.units if u.level == "district")


def spans_change(units: UnitMap, start: date, end: date) -> bool:
    """Whether local dates ``[start, end)`` hold days on both sides of the unit map's change."""
    return start < units.changeover < end


def unit_notes(units: UnitMap, start: date, end: date, unit: str | None, lang: str) -> list[str]:
    """What the page says about the unit map for a period of local dates ``[start, end)`` and a
    unit filter: the period spans the change (figures by today's communes, older records mapped
    to them); a district-level unit chosen for a period reaching past the change (only the days
    before count)."""
    notes = []
    if spans_change(units, start, end):
        notes.append(t("unit_map_change_note", lang))
    if unit and unit_column(unit) == "district_code" and end > units.changeover:
        notes.append(t("unit_district_after_note", lang))
    return notes


def area_choices(units: UnitMap, start: date, end: date) -> tuple[str, ...]:
    """How the "by area" chart may group ``[start, end)``: by current commune always, by the
    district-level units of the time too when the period lies wholly before the change."""
    return ("commune", "district") if end <= units.changeover else ("commune",)


def period_unit_names(units: UnitMap, start: date, end: date) -> dict[str, str]:
    """Names for the keys of a "by area" breakdown over ``[start, end)``: the current communes,
    and every unit in force during the period under the name(s) it had then ("Thành phố Huế /
    Quận Thuận Hóa" for 474 over 2024–2025); codes never in force keep their latest name."""
    names = {u.code: u.name for u in units.latest()}
    names.update({code: " / ".join(n) for code, n in units.names_during(start, end).items()})
    names.update({u.code: u.name for u in units.current_communes()})
    return names


def unit_name_on(units: UnitMap | Mapping[str, str], code: str | None, day: date | None, lang: str) -> str:
    """The name of unit ``code`` as it was on ``day`` (codes are reused: 474 was Thành phố Huế,
    then Quận Thuận Hóa); a code unknown that day takes its latest name; a plain mapping of names
    (older callers) is used as it is."""
    if not isinstance(units, UnitMap):
        return unit_label(code, dict(units), lang)
    if not code:
        return t("no_unit", lang)
    unit = units.get(code, day) if day is not None else None
    if unit is None:
        unit = units.version(code)
    return unit.name if unit is not None else t("unknown_unit", lang, code=code)


def _local_day(value: Any, tz: ZoneInfo) -> date | None:
    if not isinstance(value, datetime) or value != value:
        return None
    return to_local(value, tz).date()


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def popup_html(row: Mapping[str, Any], tz: ZoneInfo, lang: str) -> str:
    """A report's Leaflet popup. Leaflet renders popup strings as HTML, so every value from
    the report is escaped here (``<``, ``>``, ``&`` and both quotes). ``received_txt``, when
    the row has it, is the already formatted local receipt time (see :func:`map_geojson`)."""
    status = str(row.get("status") or "")
    colour = STATUS_COLOURS.get(status, "#9e9e9e")
    description = str(row.get("description") or "")
    if len(description) > POPUP_DESCRIPTION_CHARS:
        description = description[: POPUP_DESCRIPTION_CHARS - 1] + "…"
    category = category_label(str(row.get("category_code") or ""), lang, row.get("category_name"))
    parts = [
        f'<div class="pp"><div class="pp-h">{_esc(category)}</div>',
        f'<div class="pp-s" style="color:{colour}">● {_esc(status_label(status, lang))}</div>',
        f'<div><span>{_esc(t("popup_received", lang))}:</span> '
        f'{_esc(row.get("received_txt") or fmt_local_datetime(row.get("received_at"), tz, lang))}</div>',
    ]
    if row.get("address"):
        parts.append(f'<div><span>{_esc(t("popup_address", lang))}:</span> {_esc(row.get("address"))}</div>')
    if row.get("handling_unit"):
        parts.append(f'<div><span>{_esc(t("popup_unit", lang))}:</span> {_esc(row.get("handling_unit"))}</div>')
    if description:
        parts.append(f'<p>{_esc(description)}</p>')
    parts.append(f'<div class="pp-id">{_esc(row.get("external_id"))}</div></div>')
    return "".join(parts)


def map_geojson(frame: pd.DataFrame, tz: ZoneInfo, lang: str) -> dict:
    """Reports as a GeoJSON FeatureCollection: coordinates rounded to 5 decimals (≈ 1 m),
    and only what the map needs: the status (marker colour) and the escaped popup."""
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    frame = frame[frame["lat"].notna() & frame["lon"].notna()].copy()
    # one vectorised conversion instead of one per report (5,000 popups in ~50 ms)
    frame["received_txt"] = (pd.to_datetime(frame["received_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
                             .dt.strftime("%d/%m/%Y %H:%M"))
    frame["lon"], frame["lat"] = frame["lon"].astype(float).round(5), frame["lat"].astype(float).round(5)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
         "properties": {"s": row.get("status") or "", "popup": popup_html(row, tz, lang)}}
        for row in frame.to_dict("records")
    ]
    return {"type": "FeatureCollection", "features": features}


def unit_labels_geojson(units: list[Any], level: str = "district") -> dict:
    """Unit names (without "Huyện", "Thị xã"…, which make neighbours' labels overlap) at their
    centroids (a JS function sets them as text, not HTML)."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(u.lon, 5), round(u.lat, 5)]},
         "properties": {"name": short_name(u.name)}}
        for u in units if u.level == level and u.lat is not None and u.lon is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def unit_cells(row: Mapping[str, Any], tz: ZoneInfo, lang: str, units: UnitMap | Mapping[str, str]) -> dict[str, str]:
    """A record's place as text: ``unit`` the unit in force on its local date (the name of that
    version), ``commune`` its current commune ('' when unknown), ``district`` both in one cell
    ("Phường Thuận Lộc → Phường Phú Xuân"; one name when they are the same)."""
    day = _local_day(row.get("received_at") or row.get("detected_at"), tz)
    unit_code, commune_code = str(row.get("unit_code") or ""), str(row.get("commune_code") or "")
    unit = unit_name_on(units, unit_code, day, lang)
    commune = unit_name_on(units, commune_code, None, lang) if commune_code else ""
    both = unit if not commune or commune == unit else f"{unit} → {commune}"
    return {"unit": unit, "commune": commune, "district": both}


def recent_rows(frame: pd.DataFrame, tz: ZoneInfo, lang: str, units: UnitMap | Mapping[str, str],
                description_chars: int = 120) -> list[dict]:
    """The latest reports for the Overview's live list (plain text; rendered as text); the place
    is the unit in force on the report's date and its current commune (:func:`unit_cells`)."""
    rows = []
    for r in frame.to_dict("records"):
        text = str(r.get("description") or "")
        status = str(r.get("status") or "")
        rows.append({
            "id": str(r.get("external_id") or ""),
            "time": fmt_local_datetime(r.get("received_at"), tz, lang)[-5:] + " · "
                    + fmt_local_datetime(r.get("received_at"), tz, lang)[:5],
            "status": status_label(status, lang),
            "colour": STATUS_COLOURS.get(status, "#9e9e9e"),
            "category": category_label(str(r.get("category_code") or ""), lang, r.get("category_name")),
            **unit_cells(r, tz, lang, units),
            "description": text if len(text) <= description_chars else text[: description_chars - 1] + "…",
        })
    return rows


def map_note(shown: int, total: int, lang: str) -> str:
    if total > shown:
        return t("map_capped", lang, n=fmt_int(shown, lang), m=fmt_int(total, lang))
    return t("map_count", lang, n=fmt_int(shown, lang))


def overdue_rows(frame: pd.DataFrame, tz: ZoneInfo, lang: str, units: UnitMap | Mapping[str, str]) -> list[dict]:
    """Rows for the overdue grid. Times are local; ``*_sort`` fields keep sorting chronological
    while ``*_txt`` fields show dd/mm/yyyy. Citizen text stays plain text (the grid renders text).
    The place: the unit in force on the receipt date and the current commune (:func:`unit_cells`)."""
    rows = []
    for r in frame.to_dict("records"):
        received, due = r.get("received_at"), r.get("due_at")
        rows.append({
            "id": str(r.get("external_id") or ""),
            "category": category_label(str(r.get("category_code") or ""), lang, r.get("category_name")),
            "description": str(r.get("description") or ""),
            "address": str(r.get("address") or ""),
            **unit_cells(r, tz, lang, units),
            "handling_unit": str(r.get("handling_unit") or ""),
            "status": status_label(str(r.get("status") or ""), lang),
            "channel": channel_label(str(r.get("channel") or ""), lang),
            "received_sort": _iso_local(received, tz),
            "received_txt": fmt_local_datetime(received, tz, lang),
            "due_sort": _iso_local(due, tz),
            "due_txt": fmt_local_datetime(due, tz, lang),
            "overdue_days": round(float(r.get("overdue_hours") or 0) / 24, 1),
            "overdue_txt": fmt_number(float(r.get("overdue_hours") or 0) / 24, lang, 1),
        })
    return rows


def _iso_local(value: datetime | None, tz: ZoneInfo) -> str:
    if not isinstance(value, datetime) or value != value:
        return ""
    return to_local(value, tz).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class SourceRow:
    name: str
    type: str
    family: str
    every: str
    last_run: str
    status: str
    status_text: str
    freshness: str
    freshness_text: str
    counts: str
    error: str


def source_rows(healths: list[Any], now: datetime, tz: ZoneInfo, lang: str,
                family_label: Mapping[str, str], errors: bool = True) -> list[SourceRow]:
    """One row per configured source, for the Overview's health list (``now`` naive UTC);
    ``errors``: whether the reader may see the error texts (viewers may not)."""
    rows = []
    for h in healths:
        status = h.last_status or "none"
        fresh = h.freshness(now)
        c = h.last_counts or {}
        counts = " / ".join(fmt_int(c.get(k, 0), lang) for k in ("inserted", "updated", "rejected"))
        rows.append(SourceRow(
            name=h.name, type=h.type, family=family_label.get(h.family, h.family),
            every=t("src_every", lang, s=fmt_int(h.every_seconds, lang)),
            last_run=fmt_local_datetime(h.last_run_at, tz, lang, seconds=True),
            status=status, status_text=t(f"run_{status}", lang) if status in ("ok", "failed", "none") else status,
            freshness=fresh, freshness_text=t(f"fresh_{fresh}", lang),
            counts=counts if h.last_run_at else "–", error=(h.last_error or "") if errors else "",
        ))
    return rows
