"""CSV exports of the data behind each chart (pure: frames in, text out).

The frames come from the same :mod:`ioc.kpi` functions as the charts, so a chart and its CSV
never disagree. Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) get a leading apostrophe: reports are citizen text.
Files are UTF-8 with a BOM so Excel shows Vietnamese correctly; numbers use a dot decimal
and rates are ratios between 0 and 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.units import UnitMap
from ioc.i18n import category_label, channel_label, status_label, t
from layouts.export_cells import local_iso

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RATE_COLUMNS = ("processed_rate", "on_time_rate", "satisfaction_rate", "rated_share")
FILE_STEMS = {
    "trend": "phan-anh_xu-huong",
    "category": "phan-anh_theo-linh-vuc",
    "district": "phan-anh_theo-dia-ban",  # the "by area" chart (current communes or districts of the time)
    "channel": "phan-anh_theo-kenh",
    "handling": "phan-anh_theo-don-vi-xu-ly",
    "map": "phan-anh_ban-do",
    "overdue": "phan-anh_qua-han",
}


def neutralise_formula(value: object) -> object:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; anything else is kept."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (BOM first), every text cell and header neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise_formula(str(c)) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_formula)
    return "\ufeff" + safe.to_csv(index=False, lineterminator="\r\n")


def export_filename(stem: str, start: date, end: date) -> str:
    """``<stem>_<first day>_<last day>.csv`` for the period of local dates [start, end): the
    days the page shows (``phan-anh_theo-dia-ban_2025-12-04_2026-12-03.csv``), as the URL's
    ``from`` / ``to`` and the date picker read them."""
    return f"{stem}_{start.isoformat()}_{(end - timedelta(days=1)).isoformat()}.csv"


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in RATE_COLUMNS:
        if col in out:
            out[col] = out[col].astype("float64").round(4)
    if "mean_resolution_hours" in out:
        out["mean_resolution_hours"] = out["mean_resolution_hours"].astype("float64").round(2)
    return out


def _header(lang: str) -> dict[str, str]:
    en = lang == "en"
    return {
        "key": t("col_code", lang), "label": t("col_name", lang), "bucket": t("col_period", lang),
        "received": t("col_received_n", lang),
        "processed": "Processed" if en else "Đã xử lý",
        "resolved": "Resolved" if en else "Giải quyết xong",
        "rejected": "Rejected" if en else "Từ chối",
        "on_time": "On time" if en else "Đúng hạn",
        "rated": "Rated" if en else "Được đánh giá",
        "satisfied": "Satisfied" if en else "Hài lòng",
        "acceptable": "Acceptable" if en else "Chấp nhận",
        "dissatisfied": "Not satisfied" if en else "Không hài lòng",
        "processed_rate": t("col_processed_rate", lang) + " (0–1)",
        "on_time_rate": t("col_on_time_rate", lang) + " (0–1)",
        "satisfaction_rate": t("col_satisfaction_rate", lang) + " (0–1)",
        "rated_share": t("kpi_rated_share", lang) + " (0–1)",
        "mean_resolution_hours": ("Mean resolution (h)" if en else "Thời gian xử lý trung bình (giờ)"),
    }


_COUNT_COLUMNS = ["received", "processed", "resolved", "rejected", "on_time", "rated", "satisfied", "acceptable",
                  "dissatisfied", *RATE_COLUMNS, "mean_resolution_hours"]


def breakdown_export(labelled: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A labelled :func:`feedback_breakdown` frame (see ``shaping.label_breakdown``) for CSV."""
    cols = ["key", "label", *[c for c in _COUNT_COLUMNS if c in labelled]]
    return _rates(labelled[cols]).rename(columns=_header(lang))


def series_export(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A :func:`feedback_series` frame for CSV: the bucket's first local date, then counts and rates."""
    out = series.copy()
    out["bucket"] = pd.to_datetime(out["bucket"]).dt.strftime("%Y-%m-%d")
    cols = ["bucket", *[c for c in _COUNT_COLUMNS if c in out]]
    return _rates(out[cols]).rename(columns=_header(lang))


def reports_export(frame: pd.DataFrame, tz: ZoneInfo, lang: str, units: UnitMap | Mapping[str, str]) -> pd.DataFrame:
    """Report rows (map points or the overdue queue) for CSV: local times (ISO 8601), names for codes; the
    place as the unit in force on the receipt date (that version's name) and the current commune."""
    from layouts.shaping import unit_cells

    cells = [unit_cells(r, tz, lang, units) for r in frame.to_dict("records")]
    n = len(frame)

    def col(name: str) -> list:
        return frame[name].tolist() if name in frame else [None] * n

    columns: dict[str, list] = {
        t("col_id", lang): col("external_id"),
        t("col_category", lang): [category_label(str(c or ""), lang, m) for c, m in
                                  zip(col("category_code"), col("category_name"), strict=True)],
        t("col_status", lang): [status_label(str(s or ""), lang) for s in col("status")],
        t("col_unit", lang): [c["unit"] for c in cells],
        t("col_unit_code", lang): [str(u or "") for u in col("unit_code")],
        t("col_commune", lang): [c["commune"] for c in cells],
        t("col_commune_code", lang): [str(u or "") for u in col("commune_code")],
        t("col_handling", lang): col("handling_unit"),
        t("col_received", lang): [local_iso(v, tz) for v in col("received_at")],
        t("col_due", lang): [local_iso(v, tz) for v in col("due_at")],
        t("col_address", lang): col("address"),
        t("col_description", lang): col("description"),
    }
    if "channel" in frame:
        columns[t("col_channel", lang)] = [channel_label(str(c or ""), lang) for c in frame["channel"]]
    if "overdue_hours" in frame:
        columns[t("col_overdue_days", lang)] = (frame["overdue_hours"].astype("float64") / 24).round(2).tolist()
    if "lat" in frame:
        columns[t("col_lat", lang)] = frame["lat"].round(5).tolist()
        columns[t("col_lon", lang)] = frame["lon"].round(5).tolist()
    return pd.DataFrame(columns)
