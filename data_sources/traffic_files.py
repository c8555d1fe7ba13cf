"""Traffic violations from a file: a CSV (UTF-8, with or without BOM) or the first sheet of an XLSX.

``python -m ioc import traffic FILE``. The first row is the header; names are matched
case-insensitively with surrounding spaces stripped; unknown columns are ignored; a missing
required column fails the whole run.

==================  ========  ==============================================================
Column              Required  Meaning
==================  ========  ==============================================================
``external_id``     yes       The violation's id in the source system (the upsert key)
``detected_at``     yes       When it was detected (camera) or reported (citizen)
``violation_type``  yes       red_light, signs_markings, speeding_5_10, speeding_10_20,
                              speeding_20_35, speeding_over_35, wrong_lane, wrong_way,
                              no_helmet, handheld_phone, or their Vietnamese/English labels
                              (Vượt đèn đỏ, Đi ngược chiều …); ``speeding`` with
                              ``speed_over_kmh`` picks the band (5–<10, 10–20, >20–35, >35)
``vehicle_class``   yes       car, motorbike, truck, other (or Ô tô, Xe máy, Xe tải, Khác)
``status``          no        detected (default), verified, notice_sent, paid, dismissed, or
                              Phát hiện, Đã xác minh, Đã gửi thông báo phạt, Đã nộp phạt,
                              Loại bỏ
``channel``         no        camera or citizen (default: camera when camera_code is given)
``camera_code``     no        Camera id; a camera not yet known is registered
``camera_name``     no        Its name (used when the camera is registered)
``unit_code``       no        GSO code of the district-level unit, e.g. 474 (empty: the
                              camera's, else the unit nearest to lat/lon)
``lat``, ``lon``    no        WGS 84 degrees (empty: the camera's position)
``address``         no        Where
``description``     no        A citizen's text, stored verbatim and always shown as text
``plate``           no        As read (75A-123.45, 75A12345, 75-B1 234.56 …); an unreadable
                              plate is stored and flagged, never rejected
``evidence_url``    no        Link to the image or clip (shown as a link only if http(s))
``fine_vnd``        no        Fine in VND (1000000, 1.000.000, 1,000,000 ₫); checked against
                              the decree in force on the local detection date, flagged if
                              outside its legal range, never rejected for it
``speed_over_kmh``  no        km/h over the limit (for ``violation_type = speeding``)
``verified_at``     no        When a reviewer verified (or dismissed) it
``notice_sent_at``  no        When the notice / penalty decision was sent
``paid_at``         no        When the fine was paid
``rating``          no        Citizen reports: satisfied, acceptable, dissatisfied (Hài lòng …)
``updated_at``      no        Version of the row: it replaces the stored violation only if
                              later (empty: the latest of the times above)
==================  ========  ==============================================================

Times are ISO 8601 or ``dd/mm/yyyy [HH:MM[:SS]]``; with an offset they are converted, without
one (and Excel date cells) they are local time in ``IOC_TIMEZONE``. A bad row is quarantined
with its row number (the header is row 1) and the reason; the other rows are imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data_sources.tabular import TabularFileCollector
from ioc.domain.traffic_records import validate_violation

if TYPE_CHECKING:
    pass

REQUIRED_COLUMNS = ("external_id", "detected_at", "violation_type", "vehicle_class")
OPTIONAL_COLUMNS = ("status", "channel", "camera_code", "camera_name", "unit_code", "lat", "lon", "address",
                    "description", "plate", "evidence_url", "fine_vnd", "speed_over_kmh", "verified_at",
                    "notice_sent_at", "paid_at", "rating", "updated_at")
TIME_COLUMNS = ("detected_at", "verified_at", "notice_sent_at", "paid_at", "updated_at")


class TrafficFileCollector(TabularFileCollector):
    """Reads ``spec.path`` once per run and yields batches of validated violations."""

    type = "file"
    family = "traffic"

    required_columns = REQUIRED_COLUMNS
    optional_columns = OPTIONAL_COLUMNS
    time_columns = TIME_COLUMNS

    def record(self, raw: dict[str, Any]) -> Any:
        record = validate_violation(self.row(raw), naive_tz=self.ctx.tz)
        return self.with_known_unit(record, raw)
