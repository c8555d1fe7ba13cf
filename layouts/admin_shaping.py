"""Pure shaping between the admin KPI layer and the screen (no Dash, no store): tiles with their
traffic-light state, level cards, labelled breakdowns, ranking and queue rows, map markers.

Names from data (units, procedures) are handed on as text; the grid and the map render text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.admin_catalogue import field_label
from ioc.domain.admin_records import CHANNEL_LABELS, STATUS_LABELS
from ioc.i18n import fmt_int, fmt_local_datetime, fmt_number, fmt_pct, t, unit_label
from ioc.kpi.admin import AdminKpis
from ioc.kpi.periods import to_local
from layouts.admin_figures import rate_colour
from layouts.shaping import Tile, tile_state

ONLINE_TARGET = 0.70  # domain.md §1: the province's target for online public services
TILE_KEYS = ("received", "on_time_rate", "overdue", "due_soon", "online_rate", "full_process_online_rate",
             "online_payment_rate", "digitised_rate", "satisfaction_rate", "score_766")
LEVEL_ORDER = ("province", "district", "commune")


def level_label(code: str | None, lang: str) -> str:
    return t(f"admin_level_{code or ''}", lang) if code in ("province", "district", "commune", "") else str(code)


def _label(code: str, labels: Mapping[str, tuple[str, str]], lang: str) -> str:
    pair = labels.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


def _rate_tile(key: str, value: float | None, target: float | None, sub: str, lang: str) -> Tile:
    state = tile_state(value, target)
    text = fmt_pct(value, lang)
    if state in ("warn", "bad") and target is not None and text == fmt_pct(target, lang):
        text = fmt_pct(value, lang, 2)  # 94,98 %, not a "95,0 %" that reads as on target
    return Tile(key, t(f"admin_kpi_{key}", lang), text, value, sub,
                None if target is None else t("admin_target_min", lang, value=fmt_pct(target, lang, 0)), state)


def admin_tiles(kpis: AdminKpis, due_soon: int, target_on_time: float, lang: str,
                keys: tuple[str, ...] = TILE_KEYS) -> list[Tile]:
    """The KPI tiles in display order (the raw value of each in ``Tile.raw`` for tests)."""
    d = kpis.details
    good = kpis.early + kpis.on_time
    score = kpis.score
    tiles = {
        "received": Tile("received", t("admin_kpi_received", lang), fmt_int(kpis.received, lang), kpis.received,
                         t("admin_sub_received", lang, r=fmt_int(kpis.resolved, lang)), None, "info"),
        "on_time_rate": _rate_tile("on_time_rate", kpis.on_time_rate, target_on_time,
                                   t("admin_sub_on_time", lang, n=fmt_int(good, lang), d=fmt_int(kpis.resolved, lang)),
                                   lang),
        "in_progress": Tile("in_progress", t("admin_kpi_in_progress", lang), fmt_int(kpis.in_progress, lang),
                            kpis.in_progress, t("admin_sub_in_progress", lang,
                                                s=fmt_int(d.get("supplement_open", 0), lang)), None, "info"),
        "overdue": Tile("overdue", t("admin_kpi_overdue", lang), fmt_int(kpis.overdue, lang), kpis.overdue,
                        t("admin_sub_overdue", lang), None, "alert" if kpis.overdue else "info"),
        "due_soon": Tile("due_soon", t("admin_kpi_due_soon", lang), fmt_int(due_soon, lang), due_soon,
                         t("admin_sub_due_soon", lang), None, "alert" if due_soon else "info"),
        "online_rate": _rate_tile("online_rate", kpis.online_rate, ONLINE_TARGET,
                                  t("admin_sub_share", lang, n=fmt_int(d.get("online", 0), lang),
                                    d=fmt_int(kpis.received, lang)), lang),
        "full_process_online_rate": _rate_tile(
            "full_process_online_rate", kpis.full_process_online_rate, None,
            t("admin_sub_share", lang, n=fmt_int(d.get("full_process_online", 0), lang),
              d=fmt_int(kpis.received, lang)), lang),
        "online_payment_rate": _rate_tile("online_payment_rate", kpis.online_payment_rate, None,
                                          t("admin_sub_payment", lang, n=fmt_int(d.get("paid_online", 0), lang),
                                            d=fmt_int(d.get("fee_required", 0), lang)), lang),
        "digitised_rate": _rate_tile("digitised_rate", kpis.digitised_rate, None,
                                     t("admin_sub_share", lang, n=fmt_int(d.get("digitised", 0), lang),
                                       d=fmt_int(kpis.received, lang)), lang),
        "satisfaction_rate": _rate_tile("satisfaction_rate", kpis.satisfaction_rate, None,
                                        t("admin_sub_rated", lang,
                                          n=fmt_int(d.get("satisfied", 0) + d.get("acceptable", 0), lang),
                                          d=fmt_int(d.get("rated", 0), lang)), lang),
        "score_766": Tile("score_766", t("admin_kpi_score_766", lang),
                          t("admin_score_value", lang, p=fmt_number(score.total_points, lang, 1),
                            m=fmt_int(score.measured_max_points, lang)) if score.measured_max_points else "–",
                          round(score.total_points, 4) if score.measured_max_points else None,
                          t("admin_sub_score", lang, m=fmt_int(score.measured_max_points, lang)), None, "info"),
    }
    return [tiles[k] for k in keys]


def level_cards(by_level: pd.DataFrame, target: float, lang: str,
                levels: tuple[str, ...] = LEVEL_ORDER) -> list[dict[str, Any]]:
    """One card per level that exists in the period (``levels``, in order; district only for a
    period before 1 July 2025) with its on-time rate and state."""
    rows = by_level.set_index("key") if len(by_level) else pd.DataFrame()
    cards = []
    for level in (lv for lv in LEVEL_ORDER if lv in levels):
        have = level in rows.index
        rate = float(rows.loc[level, "on_time_rate"]) if have and pd.notna(rows.loc[level, "on_time_rate"]) else None
        resolved = int(rows.loc[level, "resolved"]) if have else 0
        good = int(rows.loc[level, "early"] + rows.loc[level, "on_time"]) if have else 0
        overdue = int(rows.loc[level, "overdue"]) if have else 0
        state = tile_state(rate, target)
        cards.append({"level": level, "label": level_label(level, lang), "value": fmt_pct(rate, lang), "raw": rate,
                      "state": state, "state_text": t(f"state_{state}", lang),
                      "sub": t("admin_level_card_sub", lang, n=fmt_int(good, lang), d=fmt_int(resolved, lang),
                               o=fmt_int(overdue, lang))})
    return cards


def label_breakdown(frame: pd.DataFrame, by: str, lang: str, unit_names: Mapping[str, str],
                    procedure_names: Mapping[str, str]) -> pd.DataFrame:
    """Add a ``label`` column (names in ``lang``) to an admin breakdown frame."""
    frame = frame.copy()
    keys = frame["key"].fillna("").astype(str)
    if by == "level":
        frame["label"] = [level_label(k, lang) for k in keys]
    elif by == "unit":
        frame["label"] = [unit_label(k, dict(unit_names), lang) for k in keys]
    elif by == "field":
        frame["label"] = [field_label(k, lang) for k in keys]
    else:
        frame["label"] = [f"{procedure_names.get(k, k)} ({k})" for k in keys]
    return frame


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) else float(value)


def unit_text(row: Mapping[str, Any], lang: str) -> str:
    """A ranked unit's name (its version in force last in the period), with the other names it
    bore in the period."""
    name = str(row["name"] if isinstance(row.get("name"), str) else row["code"])
    former = row.get("former_names")
    return t("admin_unit_formerly", lang, name=name, former=former) if isinstance(former, str) and former else name


#: the ranking's counts: numbers for sorting, ``<name>_txt`` grouped as the language writes them
COUNT_COLUMNS = ("received", "resolved", "late", "overdue")


def ranking_rows(ranking: pd.DataFrame, lang: str, target: float) -> list[dict[str, Any]]:
    """Rows of the ranking grid: numbers for sorting, ``*_txt`` for display; names stay text."""
    rows = []
    for r in ranking.to_dict("records"):
        rate, prev, change = _num(r["on_time_rate"]), _num(r["on_time_rate_prev"]), _num(r["change"])
        rank = None if pd.isna(r["rank"]) else int(r["rank"])
        rows.append({
            "code": str(r["code"]), "rank": rank, "rank_txt": fmt_int(rank, lang),
            "unit": unit_text(r, lang), "level": level_label(r["level"] or "", lang),
            **{k: int(r[k]) for k in COUNT_COLUMNS},
            **{f"{k}_txt": fmt_int(r[k], lang) for k in COUNT_COLUMNS},
            "on_time": rate, "on_time_txt": fmt_pct(rate, lang),
            "prev_txt": fmt_pct(prev, lang),
            "change": None if change is None else round(change * 100, 2),
            "change_txt": "–" if change is None else ("+" if change > 0 else "") + fmt_number(change * 100, lang, 1),
            "online": _num(r["online_rate"]), "online_txt": fmt_pct(_num(r["online_rate"]), lang),
            "score": _num(r["score_766"]),
            "score_txt": "–" if _num(r["score_766"]) is None else t(
                "admin_score_value", lang, p=fmt_number(r["score_766"], lang, 1), m=fmt_int(r["score_766_max"], lang)),
            "state": tile_state(rate, target),
        })
    return rows


def best_worst(ranking: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` best and ``n`` worst ranked units (worst last-ranked first)."""
    ranked = ranking[ranking["rank"].notna()].sort_values("rank")
    return ranked.head(n), ranked.tail(n).iloc[::-1]


def queue_rows(frame: pd.DataFrame, tz: ZoneInfo, lang: str, unit_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of the overdue / due-soon grid (local times; ``*_sort`` keeps sorting chronological)."""
    rows = []
    for r in frame.to_dict("records"):
        due = r["effective_due_at"].to_pydatetime() if pd.notna(r["effective_due_at"]) else None
        received = r["received_at"].to_pydatetime() if pd.notna(r["received_at"]) else None
        hours = float(r["hours_left"])
        rows.append({
            "id": str(r["external_id"]), "state": r["state"], "state_txt": t(f"admin_state_{r['state']}", lang),
            "procedure": f"{r['procedure_name']}", "procedure_code": str(r["procedure_code"]),
            "field": field_label(str(r["field"]), lang), "unit": unit_label(str(r["unit_code"]), dict(unit_names), lang),
            "level": level_label(str(r["level"]), lang),
            "status": _label(str(r["status"]), STATUS_LABELS, lang),
            "channel": _label(str(r["channel"]), CHANNEL_LABELS, lang),
            "received_sort": "" if received is None else to_local(received, tz).strftime("%Y-%m-%d %H:%M"),
            "received_txt": fmt_local_datetime(received, tz, lang),
            "due_sort": "" if due is None else to_local(due, tz).strftime("%Y-%m-%d %H:%M"),
            "due_txt": fmt_local_datetime(due, tz, lang),
            "days_left": round(hours / 24, 2), "days_txt": fmt_number(hours / 24, lang, 1),
        })
    return rows


def centre_markers(centres: pd.DataFrame, target: float, lang: str) -> list[dict[str, Any]]:
    """One-stop centres for the map: radius by volume (area ∝ dossiers), colour by on-time rate."""
    peak = float(centres["received"].max()) if len(centres) else 0.0
    spread = 26 if len(centres) <= 12 else 16  # 41 centres after 1 July 2025: smaller circles
    out = []
    for r in centres.to_dict("records"):
        rate = _num(r["on_time_rate"])
        radius = 6 + spread * math.sqrt(r["received"] / peak) if peak else 6
        out.append({"code": str(r["code"]), "lat": float(r["lat"]), "lon": float(r["lon"]), "radius": round(radius, 1),
                    "colour": rate_colour(rate, target), "received": int(r["received"]), "on_time": rate,
                    "tooltip": t("admin_map_tooltip", lang, name=r["name"], n=fmt_int(r["received"], lang),
                                 rate=fmt_pct(rate, lang), o=fmt_int(r["overdue"], lang))})
    return out


def score_frame(score: dict[str, Any], lang: str) -> pd.DataFrame:
    """The 766 groups of a ``score_766`` dict as a frame (label in ``lang``)."""
    return pd.DataFrame([{"code": g["code"], "label": g["label_en"] if lang == "en" else g["label_vi"],
                          "max_points": g["max_points"], "points": g["points"], "measured": g["measured"]}
                         for g in score["groups"]])
