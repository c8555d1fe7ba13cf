"""Camera heartbeats, AI events or registry entries from a file: a CSV (UTF-8) or the first sheet
of an XLSX. The header decides what the rows are:

- with an ``event`` column, AI events: ``external_id``, ``camera_code``, ``detected_at``,
  ``event`` (gathering, fire_smoke, flooding, illegal_parking) required; ``confidence`` (0–1),
  ``review`` (empty, confirmed, false_alarm), ``updated_at`` optional;
- with ``code`` and ``purpose`` columns, registry entries: ``purpose`` traffic, security or flood;
  ``name``, ``lat``, ``lon`` (WGS 84), ``kind``, ``road``, ``unit_code`` optional;
- otherwise heartbeats: ``camera_code`` and ``at`` required.

Times without an offset (ISO or ``dd/mm/yyyy HH:MM``) are local time in ``IOC_TIMEZONE``. A bad
row is quarantined with its row number and the reason; a camera first named by a heartbeat or an
event is registered by the store (as generated).
"""

from __future__ import annotations

from typing import Any

from data_sources.tabular import TabularFileCollector
from ioc.domain.cameras import EVENT_KINDS, validate_record
from ioc.domain.records import RecordError

#: shape → (required, optional, time) columns
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "events": (("external_id", "camera_code", "detected_at", "event"), ("confidence", "review", "updated_at"),
               ("detected_at", "updated_at")),
    "cameras": (("code", "purpose"), ("name", "lat", "lon", "kind", "road", "unit_code"), ()),
    "heartbeats": (("camera_code", "at"), (), ("at",)),
}


def shape_of(columns: list[str]) -> str:
    """What a file with these header columns holds: events, cameras or heartbeats."""
    if "event" in columns:
        return "events"
    if "code" in columns and "purpose" in columns and "camera_code" not in columns:
        return "cameras"
    return "heartbeats"


class CameraFileCollector(TabularFileCollector):
    type = "file"
    family = "cameras"

    shape = "heartbeats"
    required_columns, optional_columns, time_columns = SHAPES["heartbeats"]

    def missing_columns(self, named: list[str]) -> list[str]:
        # The header is read once, before any row: it sets the shape the rows are read in.
        self.shape = shape_of(named)
        self.required_columns, self.optional_columns, self.time_columns = SHAPES[self.shape]
        return super().missing_columns(named)

    def record(self, raw: dict[str, Any]) -> Any:
        row = self.row(raw)
        if self.shape == "events" and str(row.get("event") or "").strip() == "":
            raise RecordError("event", f"missing: one of {', '.join(EVENT_KINDS)}")
        record = validate_record(row, naive_tz=self.ctx.tz)
        return self.with_known_unit(record) if self.shape == "cameras" else record

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        if self.shape == "events":
            return str(raw.get("external_id") or "").strip() or None
        if self.shape == "cameras":
            return str(raw.get("code") or "").strip() or None
        return "/".join(str(raw.get(k) or "") for k in ("camera_code", "at"))
