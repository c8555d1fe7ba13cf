"""Pure shaping between the traffic KPI layer and the screen (no Dash, no store).

Labels in the chosen language, the KPI tiles, plates masked unless allowed (a plate is
personal data), the fine check said in words with its decree and range, the rows of the
latest-violations table, and the CSV frames behind each chart (same data as the chart).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.traffic import vehicle_label, violation_label
from ioc.domain.traffic_records import CAMERA_KIND_LABELS, CHANNEL_LABELS, STATUS_LABELS
from ioc.domain.units import UnitMap
from ioc.i18n import NBSP, fmt_hours, fmt_int, fmt_local_datetime, fmt_number, fmt_pct, fmt_vnd, t, unit_label
from ioc.privacy import display_plate
from layouts.export_cells import code_label, local_iso
from layouts.shaping import Tile, period_unit_names, tile_state  # noqa: F401 - period_unit_names: the traffic page's unit names

# The unit rankings: by current commune always; by the district-level units of the time when the
# period reaches before the district level ended (1 July 2025).
UNIT_RANKINGS = ("commune", "district")

TILE_KEYS = ("violations", "verified_rate", "fines_issued_vnd", "fines_collected_vnd", "collection_rate",
             "median_hours_to_notice", "satisfaction_rate", "fine_out_of_range", "invalid_plates")
TYPE_COLOURS = {
    "red_light": "#ef4444", "signs_markings": "#a78bfa", "speeding_5_10": "#fde047", "speeding_10_20": "#fbbf24",
    "speeding_20_35": "#f97316", "speeding_over_35": "#dc2626", "wrong_lane": "#38bdf8", "wrong_way": "#f472b6",
    "no_helmet": "#34d399", "handheld_phone": "#94a3b8",
}
VEHICLE_COLOURS = {"motorbike": "#38bdf8", "car": "#a78bfa", "truck": "#f59e0b", "other": "#94a3b8"}
NO_TYPE_COLOUR = "#64748b"


def _pair(labels: Mapping[str, tuple[str, str]], code: str | None, lang: str) -> str:
    pair = labels.get(code or "")
    return (code or "–") if pair is None else pair[1 if lang == "en" else 0]


def status_text(code: str | None, lang: str) -> str:
    return _pair(STATUS_LABELS, code, lang)


def channel_text(code: str | None, lang: str) -> str:
    return _pair(CHANNEL_LABELS, code, lang)


def kind_text(code: str | None, lang: str) -> str:
    return _pair(CAMERA_KIND_LABELS, code, lang)


def type_text(code: str | None, lang: str) -> str:
    return violation_label(code or "", "en" if lang == "en" else "vi") if code else "–"


def vehicle_text(code: str | None, lang: str) -> str:
    return vehicle_label(code or "", "en" if lang == "en" else "vi") if code else "–"


def fmt_vnd_compact(amount: float | None, lang: str, tick: bool = False) -> str:
    """Large VND amounts for a tile: ``83,6 triệu ₫`` / ``1,25 tỷ ₫`` (vi), ``83.6 M VND`` (en);
    ``tick`` drops zero decimals (axis labels: ``20 tỷ ₫``)."""
    if amount is None or amount != amount:
        return "–"
    unit = "₫" if lang != "en" else "VND"
    for scale, key, decimals in ((1e9, "traffic_billion", 2), (1e6, "traffic_million", 1)):
        if abs(amount) >= scale:
            value = amount / scale
            if tick and float(value).is_integer():
                decimals = 0
            return f"{fmt_number(value, lang, decimals)}{NBSP}{t(key, lang)}{NBSP}{unit}"
    return fmt_vnd(amount, lang)


def traffic_tiles(kpis: Any, target_satisfaction: float, lang: str, keys: tuple[str, ...] = TILE_KEYS) -> list[Tile]:
    """The KPI tiles of a :class:`ioc.kpi.traffic.TrafficKpis`, in ``keys`` order."""
    d = kpis.details or {}
    n = int(kpis.violations)

    def tile(key: str, value: str, raw: Any, sub: str, state: str = "info", target: str | None = None) -> Tile:
        return Tile(key, t(f"traffic_kpi_{key}", lang), value, raw, sub, target, state)

    sat_state = tile_state(kpis.satisfaction_rate, target_satisfaction)
    citizens = int(d.get("citizen", 0))
    tiles = {
        "violations": tile("violations", fmt_int(n, lang), n,
                           t("traffic_sub_violations", lang, cam=fmt_int(n - citizens, lang),
                             cit=fmt_int(citizens, lang))),
        "verified_rate": tile("verified_rate", fmt_pct(kpis.verified_rate, lang), kpis.verified_rate,
                              t("traffic_sub_verified", lang, n=fmt_int(d.get("verified", 0), lang),
                                d=fmt_int(n, lang)), "info" if kpis.verified_rate is not None else "none"),
        "fines_issued_vnd": tile("fines_issued_vnd", fmt_vnd_compact(kpis.fines_issued_vnd, lang),
                                 kpis.fines_issued_vnd,
                                 t("traffic_sub_issued", lang, amount=fmt_vnd(kpis.fines_issued_vnd, lang),
                                   n=fmt_int(d.get("fined", 0), lang))),
        "fines_collected_vnd": tile("fines_collected_vnd", fmt_vnd_compact(kpis.fines_collected_vnd, lang),
                                    kpis.fines_collected_vnd,
                                    t("traffic_sub_collected", lang, amount=fmt_vnd(kpis.fines_collected_vnd, lang),
                                      n=fmt_int(d.get("paid", 0), lang))),
        "collection_rate": tile("collection_rate", fmt_pct(kpis.collection_rate, lang), kpis.collection_rate,
                                t("traffic_sub_collection", lang),
                                "info" if kpis.collection_rate is not None else "none"),
        "median_hours_to_notice": tile("median_hours_to_notice", fmt_hours(kpis.median_hours_to_notice, lang),
                                       kpis.median_hours_to_notice, t("traffic_sub_notice", lang)),
        "satisfaction_rate": tile("satisfaction_rate", fmt_pct(kpis.satisfaction_rate, lang), kpis.satisfaction_rate,
                                  t("traffic_sub_satisfaction", lang,
                                    n=fmt_int(int(d.get("satisfied", 0)) + int(d.get("acceptable", 0)), lang),
                                    d=fmt_int(d.get("rated", 0), lang)),
                                  sat_state, t("target", lang, value=fmt_pct(target_satisfaction, lang, 0))),
        "fine_out_of_range": tile("fine_out_of_range", fmt_int(kpis.fine_out_of_range, lang), kpis.fine_out_of_range,
                                  t("traffic_sub_out_of_range", lang), "alert" if kpis.fine_out_of_range else "info"),
        "invalid_plates": tile("invalid_plates", fmt_int(kpis.invalid_plates, lang), kpis.invalid_plates,
                               t("traffic_sub_invalid_plates", lang, missing=fmt_int(d.get("missing_plates", 0), lang)),
                               "alert" if kpis.invalid_plates else "info"),
    }
    return [tiles[k] for k in keys]


def fine_check_text(flag: Any, lo: Any, hi: Any, decree: Any, lang: str) -> str:
    """The fine check in words: the verdict, the legal range in VND and its decree."""
    flag = str(flag or "none")
    if flag in ("in", "below", "above") and lo is not None and lo == lo and hi is not None and hi == hi:
        return t(f"traffic_check_{flag}", lang, lo=fmt_vnd(int(lo), lang).split(NBSP)[0], hi=fmt_vnd(int(hi), lang),
                 decree=str(decree or ""))
    return t("traffic_check_unchecked" if flag == "unchecked" else "traffic_check_none", lang)


# --- units: which names a code had in a period, the unit in force on a record's date ------------


def shows_district_ranking(units: UnitMap, start: date) -> bool:
    """Whether the period reaches before the district level ended (its ranking has data)."""
    return start < units.changeover


def unit_on_text(code: Any, day: Any, units: UnitMap | None, unit_names: Mapping[str, str], lang: str) -> str:
    """A record's unit as it was named on its (local) date: codes are reused across the 2025
    changes (474 was Thành phố Huế, then Quận Thuận Hóa)."""
    code = "" if code is None or code != code else str(code)
    if code and units is not None and isinstance(day, date):
        unit = units.get(code, day) or units.version(code)
        if unit is not None:
            return unit.name
    return unit_label(code, dict(unit_names), lang)


def _local_day(value: Any, tz: ZoneInfo) -> date | None:
    if value is None or value is pd.NaT or value != value:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(tz).date()


def where_text(row: Mapping[str, Any], camera_names: Mapping[str, str], unit_names: Mapping[str, str],
               lang: str) -> str:
    code = str(row.get("camera_code") or "")
    if code:
        return camera_names.get(code, code)
    place = str(row.get("address") or "") or unit_label(str(row.get("unit_code") or ""), dict(unit_names), lang)
    return t("traffic_citizen_place", lang, where=place)


def violation_rows(frame: pd.DataFrame, tz: ZoneInfo, lang: str, unit_names: Mapping[str, str],
                   camera_names: Mapping[str, str], show_plates: bool, units: UnitMap | None = None) -> list[dict]:
    """Rows of the latest-violations grid: local times, labels, masked plates, the fine check;
    the unit in force on the violation's date (``units`` names it as it was then) and its current
    commune.

    ``*_sort`` fields keep sorting right while ``*_txt`` fields show formatted text; every value
    is plain text (the grid renders text, never HTML)."""
    rows = []
    for r in frame.to_dict("records"):
        fine = r.get("fine_vnd")
        has_fine = fine is not None and fine is not pd.NA and fine == fine
        plate = display_plate(r.get("plate_raw"), r.get("plate"), r.get("plate_status"), show_plates)
        if r.get("plate_status") == "invalid":
            plate = f"{plate} {t('traffic_plate_invalid', lang)}"
        elif r.get("plate_status") == "missing":
            plate = t("traffic_plate_missing", lang)
        flag = str(r.get("fine_flag") or "none")
        rows.append({
            "id": f"{r.get('source')}|{r.get('external_id')}",
            "external_id": str(r.get("external_id") or ""),
            "time_sort": str(r.get("detected_at")),
            "time_txt": fmt_local_datetime(r.get("detected_at"), tz, lang),
            "where": where_text(r, camera_names, unit_names, lang),
            "district": unit_on_text(r.get("unit_code"), _local_day(r.get("detected_at"), tz), units, unit_names,
                                     lang),
            "commune": unit_label(str(r.get("commune_code") or ""), dict(unit_names), lang),
            "type": type_text(r.get("violation_type"), lang),
            "vehicle": vehicle_text(r.get("vehicle_class"), lang),
            "plate": plate,
            "status": status_text(r.get("status"), lang),
            "fine": int(fine) if has_fine else None,
            "fine_txt": fmt_vnd(int(fine), lang) if has_fine else "–",
            "check": fine_check_text(flag, r.get("fine_min_vnd"), r.get("fine_max_vnd"), r.get("decree"), lang),
            "flag": flag in ("below", "above") or r.get("plate_status") == "invalid",
            "channel": channel_text(r.get("channel"), lang),
        })
    return rows


# --- CSV frames (same data as the charts; plates masked unless allowed) -------------------------


def breakdown_export(frame: pd.DataFrame, by: str, lang: str, unit_names: Mapping[str, str]) -> pd.DataFrame:
    """A breakdown's CSV: by type, vehicle, channel, current commune or district-level unit
    (``unit_names``: :func:`period_unit_names` of the period for units)."""
    label = {"type": type_text, "vehicle": vehicle_text, "channel": channel_text}.get(by)
    names = [label(k, lang) if label else unit_label(str(k), dict(unit_names), lang) for k in frame["key"]]
    return pd.DataFrame({
        t("col_code", lang): frame["key"].tolist(), t("col_name", lang): names,
        t("traffic_col_count", lang): frame["violations"].tolist(),
        t("xc_traffic_share", lang): frame["share"].astype("float64").round(4).tolist(),
        t("traffic_col_issued", lang): frame["fines_issued_vnd"].tolist(),
        t("traffic_col_collected", lang): frame["fines_collected_vnd"].tolist(),
        t("traffic_kpi_fine_out_of_range", lang): frame["fine_out_of_range"].tolist(),
    })


def series_export(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("col_period", lang): pd.to_datetime(frame["bucket"]).dt.strftime("%Y-%m-%d").tolist(),
        t("traffic_col_count", lang): frame["violations"].tolist(),
        t("traffic_col_issued", lang): frame["fines_issued_vnd"].tolist(),
        t("traffic_col_collected", lang): frame["fines_collected_vnd"].tolist(),
        t("traffic_kpi_collection_rate", lang) + " (0–1)": frame["collection_rate"].astype("float64").round(4).tolist(),
    })


def heatmap_export(grid: pd.DataFrame, lang: str) -> pd.DataFrame:
    days = t("traffic_weekdays", lang).split(",")
    out = grid.copy()
    out.index = [days[i] for i in grid.index]
    out.columns = [f"{h:02d}h" for h in grid.columns]
    return out.reset_index(names=t("traffic_weekday", lang))


def cameras_export(summary: pd.DataFrame, lang: str, unit_names: Mapping[str, str]) -> pd.DataFrame:
    """The cameras' CSV: where each is (its current commune; the district-level unit it lay in
    before 1 July 2025) and its violations in the period."""
    names = dict(unit_names)
    return pd.DataFrame({
        t("col_code", lang): summary["code"].tolist(), t("col_name", lang): summary["name"].tolist(),
        t("traffic_col_kind", lang): [kind_text(k, lang) for k in summary["kind"]],
        t("traffic_col_road", lang): summary["road"].tolist(),
        t("traffic_col_commune_code", lang): summary["commune_code"].fillna("").tolist(),
        t("traffic_col_commune", lang): [unit_label(str(u or ""), names, lang) for u in summary["commune_code"]],
        t("traffic_col_district_code", lang): summary["district_code"].fillna("").tolist(),
        t("traffic_col_district_before", lang): [unit_label(str(u), names, lang) if u else ""
                                                 for u in summary["district_code"].fillna("")],
        t("col_lat", lang): summary["lat"].tolist(), t("col_lon", lang): summary["lon"].tolist(),
        t("traffic_col_count", lang): summary["violations"].tolist(),
        t("traffic_col_main", lang): [type_text(m, lang) if m else "" for m in summary["main_type"]],
    })


def violations_export(frame: pd.DataFrame, tz: ZoneInfo, lang: str, unit_names: Mapping[str, str],
                      camera_names: Mapping[str, str], show_plates: bool, units: UnitMap | None = None) -> pd.DataFrame:
    """The latest violations for CSV: local times, plates masked unless allowed, the flags; the
    unit in force on the violation's date (code and name then) and its current commune."""
    rows = frame.to_dict("records")
    names = dict(unit_names)
    return pd.DataFrame({
        t("traffic_col_id", lang): [r["external_id"] for r in rows],
        t("traffic_col_time", lang): [local_iso(r["detected_at"], tz) for r in rows],
        t("traffic_col_where", lang): [where_text(r, camera_names, unit_names, lang) for r in rows],
        t("traffic_col_unit_code", lang): [str(r["unit_code"] or "") for r in rows],
        t("traffic_col_unit", lang): [unit_on_text(r["unit_code"], _local_day(r["detected_at"], tz), units, names, lang)
                                      for r in rows],
        t("traffic_col_commune_code", lang): [str(r.get("commune_code") or "") for r in rows],
        t("traffic_col_commune", lang): [unit_label(str(r.get("commune_code") or ""), names, lang) for r in rows],
        t("traffic_col_type", lang): [type_text(r["violation_type"], lang) for r in rows],
        t("traffic_col_vehicle", lang): [vehicle_text(r["vehicle_class"], lang) for r in rows],
        t("traffic_col_plate", lang): [display_plate(r["plate_raw"], r["plate"], r["plate_status"], show_plates)
                                       for r in rows],
        t("xp_col_plate_status", lang): [code_label("xp_plate_status", r["plate_status"], lang) for r in rows],
        t("traffic_col_status", lang): [status_text(r["status"], lang) for r in rows],
        t("traffic_col_fine", lang): [None if pd.isna(r["fine_vnd"]) else int(r["fine_vnd"]) for r in rows],
        t("xp_col_fine_flag", lang): [code_label("xp_fine_flag", r["fine_flag"], lang) for r in rows],
        t("traffic_col_decree", lang): [r["decree"] or "" for r in rows],
        t("traffic_col_min", lang): [None if pd.isna(r["fine_min_vnd"]) else int(r["fine_min_vnd"]) for r in rows],
        t("traffic_col_max", lang): [None if pd.isna(r["fine_max_vnd"]) else int(r["fine_max_vnd"]) for r in rows],
        t("traffic_col_channel", lang): [channel_text(r["channel"], lang) for r in rows],
        t("traffic_col_evidence", lang): [r["evidence_url"] or "" for r in rows],
    })
