"""Traffic violation records: vocabulary and validation of one record (pure, no I/O).

A record arriving from any collector (JSON mapping, CSV/XLSX file) is checked by
:func:`validate_violation`, which returns a normalised :class:`TrafficRecord` or raises
:class:`~ioc.domain.records.RecordError` naming the field and the value that was wrong.
The fine check (decree in force on the local detection date) and the plate normalisation are
*flags*, computed in bulk at ingest (:mod:`ioc.store.traffic`): a record with an out-of-range
fine or an unreadable plate is stored, never rejected for it.

Status flow: detected → verified → notice_sent (the fine is issued) → paid; or dismissed.
Money is VND (integers); datetimes are naive UTC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ioc.domain.feedback import RATING_LABELS, RATINGS
from ioc.domain.records import RecordError, alias_table, fold, parse_timestamp, text_field
from ioc.domain.traffic import VEHICLE_LABELS, VIOLATION_LABELS, VehicleClass, ViolationType

FAMILY = "traffic"

STATUSES = ("detected", "verified", "notice_sent", "paid", "dismissed")
#: statuses whose fine has been issued (a notice / penalty decision was sent)
ISSUED_STATUSES = ("notice_sent", "paid")
#: statuses confirmed by a reviewer
VERIFIED_STATUSES = ("verified", "notice_sent", "paid")
STATUS_LABELS = {
    "detected": ("Phát hiện", "Detected"),
    "verified": ("Đã xác minh", "Verified"),
    "notice_sent": ("Đã gửi thông báo phạt", "Notice sent"),
    "paid": ("Đã nộp phạt", "Paid"),
    "dismissed": ("Loại bỏ", "Dismissed"),
}
STATUS_COLOURS = {"detected": "#94a3b8", "verified": "#38bdf8", "notice_sent": "#f59e0b", "paid": "#22c55e",
                  "dismissed": "#6d4c41"}

CHANNELS = ("camera", "citizen")
CHANNEL_LABELS = {"camera": ("Camera AI", "AI camera"), "citizen": ("Người dân phản ánh", "Citizen report")}

CAMERA_KINDS = ("junction", "speed", "surveillance")
CAMERA_KIND_LABELS = {"junction": ("Camera nút giao", "Junction camera"),
                      "speed": ("Camera tốc độ", "Speed camera"),
                      "surveillance": ("Camera giám sát", "Surveillance camera")}

# Excess speed (km/h over the limit) → the schedule's speeding row. Decree bands: 5–<10,
# 10–20, >20–35, >35; under 5 km/h over is not fined.
SPEEDING = "speeding"


def speeding_type(excess_kmh: float) -> ViolationType:
    """The speeding violation type for ``excess_kmh`` over the limit (≥ 5 km/h)."""
    if not excess_kmh >= 5:  # also catches NaN
        raise ValueError(f"{excess_kmh} km/h over the limit is not a fined speeding violation (< 5 km/h)")
    if excess_kmh < 10:
        return ViolationType.SPEEDING_5_10
    if excess_kmh <= 20:
        return ViolationType.SPEEDING_10_20
    if excess_kmh <= 35:
        return ViolationType.SPEEDING_20_35
    return ViolationType.SPEEDING_OVER_35


#: folded spelling → code, for every vocabulary field (codes, Vietnamese and English labels)
ALIASES: dict[str, dict[str, str]] = {
    "violation_type": alias_table(VIOLATION_LABELS, slashes=True, extra={
        "speeding": SPEEDING, "Chạy quá tốc độ": SPEEDING, "Quá tốc độ": SPEEDING, "red light": "red_light",
        "Vượt đèn đỏ": "red_light", "Không chấp hành tín hiệu đèn giao thông": "red_light",
        "Sai làn": "wrong_lane", "Lấn làn": "wrong_lane", "Ngược chiều": "wrong_way",
        "counterflow": "wrong_way", "counter_flow": "wrong_way", "Không đội mũ bảo hiểm": "no_helmet",
        "helmet": "no_helmet", "phone": "handheld_phone", "Sử dụng điện thoại": "handheld_phone",
        "signs": "signs_markings", "markings": "signs_markings", "Biển báo": "signs_markings",
        "Vạch kẻ đường": "signs_markings"}),
    "vehicle_class": alias_table(VEHICLE_LABELS, slashes=True, extra={
        "motorcycle": "motorbike", "moto": "motorbike", "scooter": "motorbike", "Mô tô": "motorbike",
        "Xe mô tô": "motorbike", "Xe gắn máy": "motorbike", "Ô tô con": "car", "Xe ô tô": "car",
        "auto": "car", "automobile": "car", "bus": "car", "Xe khách": "car", "lorry": "truck",
        "Ô tô tải": "truck", "Xe tải": "truck", "Xe container": "truck"}),
    "status": alias_table(STATUS_LABELS, slashes=True, extra={
        "new": "detected", "Mới": "detected", "Vi phạm mới": "detected", "Chờ xác minh": "detected",
        "confirmed": "verified", "Đã xác nhận": "verified", "notified": "notice_sent", "notice": "notice_sent",
        "Đã thông báo": "notice_sent", "Đã gửi thông báo": "notice_sent", "Đã ra quyết định": "notice_sent",
        "fined": "notice_sent", "Đã xử phạt": "notice_sent", "Đã nộp tiền": "paid", "Đã thu": "paid",
        "rejected": "dismissed", "cancelled": "dismissed", "Hủy": "dismissed", "Từ chối": "dismissed",
        "Không vi phạm": "dismissed"}),
    "channel": alias_table(CHANNEL_LABELS, slashes=True, extra={
        "ai_camera": "camera", "cam": "camera", "Camera": "camera", "hue_s": "citizen", "Hue-S": "citizen",
        "citizen_report": "citizen", "Phản ánh": "citizen", "Người dân": "citizen", "report": "citizen"}),
    "rating": alias_table(RATING_LABELS, slashes=True),
}


@dataclass(frozen=True, slots=True)
class TrafficRecord:
    """One violation, normalised. Datetimes naive UTC; ``fine_vnd`` in VND; ``plate`` as typed."""

    external_id: str
    detected_at: datetime
    violation_type: str
    vehicle_class: str
    status: str
    channel: str
    camera_code: str
    camera_name: str
    unit_code: str
    lat: float | None
    lon: float | None
    address: str
    description: str
    plate: str
    evidence_url: str
    fine_vnd: int | None
    verified_at: datetime | None
    notice_sent_at: datetime | None
    paid_at: datetime | None
    rating: str | None
    updated_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


RECORD_FIELDS = tuple(TrafficRecord.__dataclass_fields__)
_AMOUNT_GROUPED = re.compile(r"^\d{1,3}([.,  ]\d{3})+$")
_AMOUNT_ZERO_DECIMALS = re.compile(r"^(\d+)[.,]0+$")


def parse_vnd(value: Any, field: str = "fine_vnd") -> int | None:
    """An amount in VND: 1000000, 1.000.000, 1,000,000, "1 000 000 ₫", 1000000.0; None if empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RecordError(field, f"not an amount in VND: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return None
        if not number.is_integer():
            raise RecordError(field, f"{value!r} is not a whole number of VND")
    elif isinstance(value, str):
        text = re.sub(r"(₫|vnđ|vnd|đồng|đ)$", "", value.strip().lower()).strip().replace("\u00a0", " ")
        if _AMOUNT_GROUPED.match(text):
            text = re.sub(r"[., ]", "", text)
        elif match := _AMOUNT_ZERO_DECIMALS.match(text):
            text = match.group(1)
        if not text.isdigit():
            raise RecordError(field, f"not an amount in VND: {value!r}")
        number = float(text)
    else:
        raise RecordError(field, f"not an amount in VND: {value!r}")
    if number < 0:
        raise RecordError(field, f"negative amount {value!r}")
    return int(number)


def _code(raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    text = text_field(raw, key, 64, required=default is None)
    if not text:
        return default or ""
    code = ALIASES[key].get(fold(text, slashes=True))
    if code is None or (code not in allowed and code != SPEEDING):
        raise RecordError(key, f"unknown value {text!r} (expected one of {', '.join(allowed)})")
    return code


def _coord(raw: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".") if value.count(",") == 1 and "." not in value else value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(key, f"not a number: {value!r}") from None
    if math.isnan(number):
        return None
    if not lo <= number <= hi:
        raise RecordError(key, f"{number} is outside [{lo}, {hi}]")
    return number


def _time(raw: dict[str, Any], key: str, naive_tz: Any) -> datetime | None:
    value = raw.get(key)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return parse_timestamp(value, key, naive_tz)


def validate_violation(raw: dict[str, Any], naive_tz: Any = UTC) -> TrafficRecord:
    """Check and normalise one violation given as a dict of the store's field names.

    Required: ``external_id``, ``detected_at``, ``violation_type``, ``vehicle_class``. Codes
    or their Vietnamese/English labels are accepted (accent- and case-insensitive);
    ``violation_type = "speeding"`` with ``speed_over_kmh`` picks the decree's speeding band.
    ``status`` defaults to detected; ``channel`` to camera when a ``camera_code`` is given,
    else citizen. Timestamps of stages the status has not reached are dropped (a status set
    back wins); a stage timestamp earlier than ``detected_at`` is an error.
    """
    external_id = text_field(raw, "external_id", 128, required=True)
    detected_at = _time(raw, "detected_at", naive_tz)
    if detected_at is None:
        raise RecordError("detected_at", "missing")
    vehicle_class = _code(raw, "vehicle_class", tuple(VehicleClass))
    violation_type = _code(raw, "violation_type", tuple(ViolationType))
    if violation_type == SPEEDING:
        excess = raw.get("speed_over_kmh")
        try:
            violation_type = str(speeding_type(float(excess)))
        except (TypeError, ValueError) as exc:
            reason = "missing" if excess in (None, "") else str(exc)
            raise RecordError("speed_over_kmh", f"needed to classify 'speeding': {reason}") from None
    status = _code(raw, "status", STATUSES, default="detected")
    camera_code = text_field(raw, "camera_code", 64)
    channel = _code(raw, "channel", CHANNELS, default="camera" if camera_code else "citizen")
    rating_text = text_field(raw, "rating", 64)
    rating = None if fold(rating_text, slashes=True) in ("", "none", "null") else _code(raw, "rating", RATINGS)
    stamps = {key: _time(raw, key, naive_tz) for key in ("verified_at", "notice_sent_at", "paid_at")}
    reached = {"verified_at": status in (*VERIFIED_STATUSES, "dismissed"),
               "notice_sent_at": status in ISSUED_STATUSES, "paid_at": status == "paid"}
    for key, value in stamps.items():
        if value is not None and value < detected_at:
            raise RecordError(key, "earlier than detected_at")
        if not reached[key]:
            stamps[key] = None
    updated_at = _time(raw, "updated_at", naive_tz) or max(
        t for t in (detected_at, *stamps.values()) if t is not None)
    return TrafficRecord(
        external_id=external_id,
        detected_at=detected_at,
        violation_type=violation_type,
        vehicle_class=vehicle_class,
        status=status,
        channel=channel,
        camera_code=camera_code,
        camera_name=text_field(raw, "camera_name", 200),
        unit_code=text_field(raw, "unit_code", 16),
        lat=_coord(raw, "lat", -90, 90),
        lon=_coord(raw, "lon", -180, 180),
        address=text_field(raw, "address", 300),
        description=text_field(raw, "description", 4000),
        plate=text_field(raw, "plate", 40),
        evidence_url=text_field(raw, "evidence_url", 500),
        fine_vnd=parse_vnd(raw.get("fine_vnd")),
        verified_at=stamps["verified_at"],
        notice_sent_at=stamps["notice_sent_at"],
        paid_at=stamps["paid_at"],
        rating=rating,
        updated_at=updated_at,
    )


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) address that may be rendered as a link, else None."""
    if isinstance(url, str) and re.match(r"^https?://[^\s\"'<>]+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None
