"""VMS position reports from a file: a CSV (UTF-8) or the first sheet of an XLSX, one row per
report: ``vessel_id`` (registration), ``at`` (time; without an offset, local time in
``IOC_TIMEZONE``), ``lat``, ``lon`` (WGS 84) required; ``speed_kn``, ``course_deg`` optional. A
bad row is quarantined with its row number and the reason."""

from __future__ import annotations

from typing import Any

from data_sources.tabular import TabularFileCollector
from ioc.domain.vessels import validate_position


class VesselFileCollector(TabularFileCollector):
    type = "file"
    family = "vessels"

    required_columns = ("vessel_id", "at", "lat", "lon")
    optional_columns = ("speed_kn", "course_deg")
    time_columns = ("at",)

    def record(self, raw: dict[str, Any]) -> Any:
        return validate_position(self.row(raw), naive_tz=self.ctx.tz)

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        return "/".join(str(raw.get(k) or "") for k in ("vessel_id", "at"))
