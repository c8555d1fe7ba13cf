"""One dossier (hồ sơ TTHC) as a collector hands it over: vocabulary labels and validation.

Pure code, no I/O. :func:`validate_dossier` turns a dict of the store's field names (from a
file row, a JSON item or the simulator) into a :class:`DossierRecord`, or raises
:class:`~ioc.domain.records.RecordError` naming the field and the value that was wrong.
Times are ISO 8601 or ``dd/mm/yyyy [HH:MM[:SS]]``; with an offset they are converted to UTC,
without one they are read in ``naive_tz``. Stored times are naive UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ioc.domain.admin import (
    EXCLUDED_STATUSES,
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    Channel,
    DossierStatus,
    Level,
    OnlineMode,
)
from ioc.domain.records import DEADLINE_HORIZON, EVENT_SKEW, RecordError, parse_dmy, parse_timestamp

FAMILY = "admin"
MIN_TIME = datetime(2000, 1, 1)
MAX_TIME = datetime(2100, 1, 1)
MAX_PAUSES = 50
MAX_WORKING_DAYS = 365

STATUS_LABELS: dict[str, tuple[str, str]] = {
    s.value: (s.label_vi, en) for s, en in zip(DossierStatus, (
        "New", "In progress", "Supplement requested", "Resolved", "Result returned", "Refused", "Stopped",
        "Withdrawn"), strict=True)
}
CHANNEL_LABELS = {c.value: (c.label_vi, en) for c, en in zip(Channel, ("In person", "Online", "By post"), strict=True)}
ONLINE_MODE_LABELS = {m.value: (m.label_vi, en) for m, en in zip(OnlineMode, ("Full-process", "Partial", "None"),
                                                                   strict=True)}
LEVEL_LABELS = {lv.value: (lv.label_vi, en) for lv, en in zip(Level, ("Province", "District", "Commune"), strict=True)}
RATINGS = ("satisfied", "acceptable", "dissatisfied")
RATING_LABELS = {"satisfied": ("Hài lòng", "Satisfied"), "acceptable": ("Chấp nhận", "Acceptable"),
                 "dissatisfied": ("Không hài lòng", "Not satisfied")}
_TRUE = {"1", "true", "yes", "y", "x", "co", "có", "đã", "da"}
_FALSE = {"0", "false", "no", "n", "khong", "không", "chua", "chưa", ""}

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class DossierRecord:
    """One dossier, normalised. Datetimes are naive UTC; ``pauses`` are supplement waits
    ``(requested, supplied or None while still waiting)``; empty text means "from the catalogue"
    for ``procedure_name``, ``field``, ``level`` and ``online_mode``."""

    external_id: str
    procedure_code: str
    procedure_name: str
    field: str
    level: str
    unit_code: str
    channel: str
    online_mode: str
    status: str
    received_at: datetime
    due_at: datetime | None
    working_days: int | None
    pauses: tuple[Pause, ...]
    resolved_at: datetime | None
    returned_at: datetime | None
    paid_online: bool
    fee_required: bool | None
    digitised: bool
    rating: str | None
    updated_at: datetime

    def as_row(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["pauses"] = pauses_json(self.pauses)
        return row


def pauses_json(pauses: tuple[Pause, ...] | list[Pause]) -> str | None:
    """The canonical stored form: ``[["2026-02-13T05:00:00", "2026-02-24T05:00:00"], …]`` (UTC),
    ``null`` for a pause still open; None when there are no pauses."""
    if not pauses:
        return None
    return json.dumps([[s.isoformat(), None if e is None else e.isoformat()] for s, e in pauses])


def parse_pauses_json(text: str | None) -> list[Pause]:
    """Inverse of :func:`pauses_json`."""
    if not text:
        return []
    return [(datetime.fromisoformat(s), None if e is None else datetime.fromisoformat(e)) for s, e in json.loads(text)]


def _time(value: Any, field: str, naive_tz: Any, latest: timedelta = EVENT_SKEW) -> datetime:
    try:
        value = parse_dmy(value) or value
    except ValueError:
        raise RecordError(field, f"not a valid date/time: {value!r}") from None
    out = parse_timestamp(value, field, naive_tz, latest=latest)
    if not MIN_TIME <= out < MAX_TIME:
        raise RecordError(field, f"{out:%Y-%m-%d} is outside the years 2000–2099")
    return out


def _optional_time(raw: dict[str, Any], key: str, naive_tz: Any, latest: timedelta = EVENT_SKEW) -> datetime | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _time(value, key, naive_tz, latest)


def _text(raw: dict[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = raw.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet keeps 474 as 474.0
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(key, "missing")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RecordError(key, f"expected text, got {type(value).__name__}")
    return str(value).strip()[:limit]


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...] | list[str], required: bool = False) -> str:
    value = _text(raw, key, 40, required).lower()
    if value and value not in allowed:
        raise RecordError(key, f"unknown value {value!r} (expected one of {', '.join(allowed)})")
    return value


def parse_bool(value: Any, field: str) -> bool | None:
    """``True``/``False`` from booleans, 0/1, yes/no, có/không, x/empty; None when missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return None if text == "" else False
    raise RecordError(field, f"not a yes/no value: {value!r}")


def _pause_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                return list(json.loads(text))
            except ValueError:
                raise RecordError("pauses", f"not valid JSON: {text[:80]!r}") from None
        # "START/END; START/END" (ISO 8601 interval notation; END empty while still waiting)
        items = []
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            if part.endswith("/") and part.count("/") in (1, 3):  # still waiting
                items.append([part[:-1], None])
            elif part.count("/") == 1:  # ISO on both sides
                start, _, end = part.partition("/")
                items.append([start, end])
            elif part.count("/") == 5:  # dd/mm/yyyy on both sides
                pieces = part.split("/")
                items.append(["/".join(pieces[:3]), "/".join(pieces[3:])])
            else:
                raise RecordError("pauses", f"expected START/END, got {part!r}")
        return items
    if isinstance(value, (list, tuple)):
        return list(value)
    raise RecordError("pauses", f"expected a list of [start, end], got {type(value).__name__}")


def parse_pauses(raw: dict[str, Any], naive_tz: Any) -> tuple[Pause, ...]:
    """Supplement pauses from ``pauses`` (a list of ``[start, end]`` or ``{"start", "end"}``, JSON
    text, or ``START/END; …``) plus the single pause ``supplement_requested_at`` →
    ``supplement_received_at`` of many one-stop exports. An empty end means still waiting."""
    items = _pause_items(raw.get("pauses"))
    requested = raw.get("supplement_requested_at")
    if requested not in (None, ""):
        items.append([requested, raw.get("supplement_received_at")])
    elif raw.get("supplement_received_at") not in (None, ""):
        raise RecordError("supplement_received_at", "given without supplement_requested_at")
    if len(items) > MAX_PAUSES:
        raise RecordError("pauses", f"{len(items)} pauses (at most {MAX_PAUSES})")
    out: list[Pause] = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            start = item.get("start", item.get("requested_at"))
            end = item.get("end", item.get("supplied_at"))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            start, end = item
        else:
            raise RecordError("pauses", f"pause {n}: expected [start, end], got {item!r}"[:200])
        s = _time(start, f"pauses[{n}].start", naive_tz)
        e = None if end is None or (isinstance(end, str) and not end.strip()) else _time(end, f"pauses[{n}].end",
                                                                                         naive_tz)
        if e is not None and e < s:
            raise RecordError("pauses", f"pause {n} ends before it starts ({e:%Y-%m-%d %H:%M} < {s:%Y-%m-%d %H:%M} UTC)")
        out.append((s, e))
    return tuple(sorted(out, key=lambda p: p[0]))


def validate_dossier(raw: dict[str, Any], naive_tz: Any = UTC) -> DossierRecord:
    """Check and normalise one dossier given as a dict of the store's field names.

    Required: ``external_id``, ``procedure_code``, ``unit_code``, ``channel``, ``status``,
    ``received_at``, and ``due_at`` or ``working_days`` (the deadline is then computed from the
    working-day calendar when stored). Resolved and returned dossiers need ``resolved_at``.
    """
    external_id = _text(raw, "external_id", 128, required=True)
    status = _choice(raw, "status", [s.value for s in DossierStatus], required=True)
    channel = _choice(raw, "channel", [c.value for c in Channel], required=True)
    online_mode = _choice(raw, "online_mode", [m.value for m in OnlineMode])
    level = _choice(raw, "level", [lv.value for lv in Level])
    received_at = _time(raw.get("received_at"), "received_at", naive_tz)
    due_at = _optional_time(raw, "due_at", naive_tz, DEADLINE_HORIZON)
    working_days = None
    if raw.get("working_days") not in (None, ""):
        try:
            working_days = int(float(str(raw.get("working_days")).strip()))
        except ValueError:
            raise RecordError("working_days", f"not a whole number: {raw.get('working_days')!r}") from None
        if not 0 <= working_days <= MAX_WORKING_DAYS:
            raise RecordError("working_days", f"{working_days} is outside 0–{MAX_WORKING_DAYS}")
    if due_at is None and working_days is None:
        raise RecordError("due_at", "missing (give due_at or working_days)")
    if due_at is not None and due_at < received_at:
        raise RecordError("due_at", "earlier than received_at")
    resolved_at = _optional_time(raw, "resolved_at", naive_tz)
    returned_at = _optional_time(raw, "returned_at", naive_tz)
    if status in RESOLVED_STATUSES and resolved_at is None:
        raise RecordError("resolved_at", f"missing for a {status} dossier")
    if status in OPEN_STATUSES:
        resolved_at = returned_at = None  # reopened: an old resolution time does not count
    if resolved_at is not None and resolved_at < received_at:
        raise RecordError("resolved_at", "earlier than received_at")
    if returned_at is not None and resolved_at is not None and returned_at < resolved_at:
        raise RecordError("returned_at", "earlier than resolved_at")
    pauses = parse_pauses(raw, naive_tz)
    rating = _choice(raw, "rating", RATINGS) or None
    if status in OPEN_STATUSES:
        rating = None  # a rating judges the answer; an open dossier has none yet
    paid_online = parse_bool(raw.get("paid_online"), "paid_online") or False
    fee_required = parse_bool(raw.get("fee_required"), "fee_required")
    if paid_online and fee_required is False:
        raise RecordError("paid_online", "true for a dossier without a fee (fee_required is false)")
    stamps = [received_at, resolved_at, returned_at, *(t for p in pauses for t in p)]
    updated_at = _optional_time(raw, "updated_at", naive_tz) or max(t for t in stamps if t is not None)
    return DossierRecord(
        external_id=external_id,
        procedure_code=_text(raw, "procedure_code", 64, required=True),
        procedure_name=_text(raw, "procedure_name", 300),
        field=_text(raw, "field", 64),
        level=level,
        unit_code=_text(raw, "unit_code", 16, required=True),
        channel=channel,
        online_mode=online_mode,
        status=status,
        received_at=received_at,
        due_at=due_at,
        working_days=working_days,
        pauses=pauses,
        resolved_at=resolved_at,
        returned_at=returned_at,
        paid_online=paid_online,
        fee_required=fee_required,
        digitised=parse_bool(raw.get("digitised"), "digitised") or False,
        rating=rating,
        updated_at=updated_at,
    )


__all__ = ["EXCLUDED_STATUSES", "DossierRecord", "validate_dossier"]
