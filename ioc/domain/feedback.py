"""Citizen field feedback (phản ánh hiện trường): vocabulary and record validation.

Pure code: no I/O. A record arriving from any collector is checked by :func:`validate_report`,
which returns either a normalised :class:`FeedbackRecord` or raises :class:`RecordError`
naming the field and the value that was wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ioc.domain.records import DEADLINE_HORIZON, RecordError, parse_timestamp

FAMILY = "feedback"

# Status flow: received → verified → assigned → in_progress → resolved | rejected.
OPEN_STATUSES = ("received", "verified", "assigned", "in_progress")
CLOSED_STATUSES = ("resolved", "rejected")
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
STATUS_LABELS = {
    "received": ("Tiếp nhận", "Received"),
    "verified": ("Đã xác minh", "Verified"),
    "assigned": ("Đã chuyển xử lý", "Assigned"),
    "in_progress": ("Đang xử lý", "In progress"),
    "resolved": ("Đã xử lý", "Resolved"),
    "rejected": ("Từ chối", "Rejected"),
}
STATUS_COLOURS = {
    "received": "#9e9e9e",
    "verified": "#42a5f5",
    "assigned": "#5c6bc0",
    "in_progress": "#ffa726",
    "resolved": "#2e7d32",
    "rejected": "#6d4c41",
}

RATINGS = ("satisfied", "acceptable", "dissatisfied")
RATING_LABELS = {
    "satisfied": ("Hài lòng", "Satisfied"),
    "acceptable": ("Chấp nhận", "Acceptable"),
    "dissatisfied": ("Không hài lòng", "Not satisfied"),
}

CHANNELS = ("hue_s", "hotline", "web", "social", "other")
CHANNEL_LABELS = {
    "hue_s": ("Ứng dụng Hue-S", "Hue-S app"),
    "hotline": ("Đường dây nóng", "Hotline"),
    "web": ("Cổng thông tin", "Web portal"),
    "social": ("Mạng xã hội", "Social media"),
    "other": ("Khác", "Other"),
}

# Typical categories (domain.md §3). Categories are data: a source may bring its own codes.
CATEGORIES = {
    "traffic_infra": ("Giao thông, hạ tầng", "Traffic and infrastructure"),
    "urban_order": ("Trật tự đô thị", "Urban order"),
    "environment": ("Môi trường, vệ sinh", "Environment and sanitation"),
    "lighting": ("Chiếu sáng công cộng", "Street lighting"),
    "trees": ("Cây xanh", "Trees"),
    "security": ("An ninh trật tự", "Security and order"),
    "electricity": ("Điện", "Electricity"),
    "water": ("Cấp thoát nước", "Water"),
    "traffic_violation": ("Vi phạm giao thông", "Traffic violations"),
    "other": ("Khác", "Other"),
}

DEFAULT_DUE_WORKING_DAYS = 7

@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One report, normalised. Datetimes are naive UTC."""

    external_id: str
    category_code: str
    category_name: str
    description: str
    address: str
    unit_code: str
    lat: float | None
    lon: float | None
    channel: str
    status: str
    handling_unit: str
    received_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    rating: str | None
    updated_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _text(raw: dict[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise RecordError(key, "missing")
        return ""
    if not isinstance(value, (str, int, float)):
        raise RecordError(key, f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise RecordError(key, "empty")
    return text[:limit]


def _coord(raw: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(key, f"not a number: {value!r}") from None
    if not (lo <= number <= hi) or math.isnan(number):
        raise RecordError(key, f"{number} is outside [{lo}, {hi}]")
    return number


def validate_report(raw: dict[str, Any], naive_tz: Any = UTC) -> FeedbackRecord:
    """Check and normalise one report given as a dict of the store's field names.

    Timestamps may be ISO strings or datetimes; ``due_at`` may be absent (the store's caller
    fills the 7-working-day default). Raises :class:`RecordError` naming the bad field.
    """
    external_id = _text(raw, "external_id", 128, required=True)
    status = _text(raw, "status", 32, required=True).lower()
    if status not in STATUSES:
        raise RecordError("status", f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    channel = (_text(raw, "channel", 32) or "other").lower()
    if channel not in CHANNELS:
        raise RecordError("channel", f"unknown channel {channel!r} (expected one of {', '.join(CHANNELS)})")
    rating = _text(raw, "rating", 32).lower() or None
    if rating in {"none", "null"}:
        rating = None
    if rating is not None and rating not in RATINGS:
        raise RecordError("rating", f"unknown rating {rating!r} (expected one of {', '.join(RATINGS)})")
    received_at = parse_timestamp(raw.get("received_at"), "received_at", naive_tz)
    due_raw = raw.get("due_at")
    due_at = (parse_timestamp(due_raw, "due_at", naive_tz, latest=DEADLINE_HORIZON)
              if due_raw not in (None, "") else None)
    resolved_raw = raw.get("resolved_at")
    resolved_at = (
        parse_timestamp(resolved_raw, "resolved_at", naive_tz) if resolved_raw not in (None, "") else None
    )
    if status in CLOSED_STATUSES and resolved_at is None:
        raise RecordError("resolved_at", f"missing for a {status} report")
    if status in OPEN_STATUSES:
        resolved_at = None  # a reopened report is open, whatever an old close time says
    if resolved_at is not None and resolved_at < received_at:
        raise RecordError("resolved_at", "earlier than received_at")
    updated_raw = raw.get("updated_at")
    updated_at = (
        parse_timestamp(updated_raw, "updated_at", naive_tz)
        if updated_raw not in (None, "")
        else max(t for t in (received_at, resolved_at) if t is not None)
    )
    category_code = _text(raw, "category_code", 64) or "other"
    return FeedbackRecord(
        external_id=external_id,
        category_code=category_code,
        category_name=_text(raw, "category_name", 200) or CATEGORIES.get(category_code, (category_code,))[0],
        description=_text(raw, "description", 4000),
        address=_text(raw, "address", 300),
        unit_code=_text(raw, "unit_code", 16),
        lat=_coord(raw, "lat", -90, 90),
        lon=_coord(raw, "lon", -180, 180),
        channel=channel,
        status=status,
        handling_unit=_text(raw, "handling_unit", 200),
        received_at=received_at,
        due_at=due_at,
        resolved_at=resolved_at,
        rating=rating if status in CLOSED_STATUSES else None,
        updated_at=updated_at,
    )
