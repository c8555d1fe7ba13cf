"""Citizen feedback from a file: a CSV (UTF-8, with or without BOM) or the first sheet of an XLSX.

The first row is the header. Column names are matched case-insensitively with surrounding
spaces stripped; unknown columns are ignored; a missing required column fails the whole run.

=================  ========  ===============================================================
Column             Required  Meaning
=================  ========  ===============================================================
``external_id``    yes       The report's id in the source system (the upsert key)
``received_at``    yes       When the report was received (tiếp nhận)
``status``         yes       received | verified | assigned | in_progress | resolved |
                             rejected, or Tiếp nhận, Đã xác minh, Đã chuyển xử lý,
                             Đang xử lý, Đã xử lý, Từ chối
``category_code``  no        e.g. traffic_infra, lighting (empty: other)
``category_name``  no        Display name of the category
``description``    no        The citizen's text, stored verbatim
``address``        no        Where the problem is
``unit_code``      no        GSO code of the district-level unit, e.g. 474 (Thành phố Huế);
                             empty: the unit nearest to lat/lon
``lat``, ``lon``   no        WGS 84 degrees (a decimal comma is accepted)
``channel``        no        hue_s | hotline | web | social | other, or Hue-S,
                             Đường dây nóng, Cổng thông tin, Mạng xã hội, Khác (empty: other)
``handling_unit``  no        The unit handling the report
``due_at``         no        Deadline (empty: received_at + 7 working days)
``resolved_at``    no        When it was closed; required for resolved and rejected reports
``rating``         no        satisfied | acceptable | dissatisfied, or Hài lòng, Chấp nhận,
                             Không hài lòng, or empty
``updated_at``     no        Version of the row: a row replaces the stored report only if it
                             is later (empty: the latest of received_at and resolved_at)
=================  ========  ===============================================================

Status, channel and rating are matched case- and accent-insensitively ("da xu ly" works).
Times are ISO 8601 (``2026-03-02T08:00:00+07:00``, ``2026-03-02 08:00``) or Vietnamese
``dd/mm/yyyy [HH:MM[:SS]]``. A time with an offset is converted to UTC; a time without one,
and every Excel date cell, is **local time** in ``IOC_TIMEZONE`` (a one-stop office's export
is in local time). A bad row is quarantined with its spreadsheet row number (the header is
row 1) and the reason; the other rows are still imported. An empty, unreadable or missing
file, a header without data rows, or another extension than .csv/.xlsx fails the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data_sources.tabular import TabularFileCollector, local_datetime
from ioc.domain.feedback import CHANNEL_LABELS, RATING_LABELS, STATUS_LABELS, validate_report
from ioc.domain.records import alias_table, fold

if TYPE_CHECKING:
    pass

REQUIRED_COLUMNS = ("external_id", "received_at", "status")
OPTIONAL_COLUMNS = ("category_code", "category_name", "description", "address", "unit_code", "lat", "lon",
                    "channel", "handling_unit", "due_at", "resolved_at", "rating", "updated_at")
TIME_COLUMNS = ("received_at", "due_at", "resolved_at", "updated_at")

ALIASES = {
    "status": alias_table(STATUS_LABELS, {"Đã tiếp nhận": "received", "Đang giải quyết": "in_progress",
                                          "Đã giải quyết": "resolved", "Đã hoàn thành": "resolved"}),
    "rating": alias_table(RATING_LABELS),
    "channel": alias_table(CHANNEL_LABELS, {"Hue-S": "hue_s", "Hotline": "hotline", "Web": "web",
                                            "Cổng dịch vụ công": "web", "Facebook": "social", "Zalo": "social"}),
}


def normalise_row(raw: dict[str, Any]) -> dict[str, Any]:
    """One file row (header name → cell) as :func:`validate_report` takes it."""
    row = {key: ("" if raw.get(key) is None else raw.get(key)) for key in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    for key in ("external_id", "unit_code"):  # Excel keeps 474 as a number
        if isinstance(row[key], float) and row[key].is_integer():
            row[key] = int(row[key])
    for key, table in ALIASES.items():
        if isinstance(row[key], str) and row[key].strip():
            row[key] = table.get(fold(row[key]), row[key])
    for key in ("lat", "lon"):
        if isinstance(row[key], str) and row[key].count(",") == 1 and "." not in row[key]:
            row[key] = row[key].replace(",", ".")
    for key in TIME_COLUMNS:
        row[key] = local_datetime(row[key])
    return row


class FeedbackFileCollector(TabularFileCollector):
    """Reads ``spec.path`` once per run and yields batches of validated reports."""

    type = "file"
    family = "feedback"

    required_columns = REQUIRED_COLUMNS

    def record(self, raw: dict[str, Any]) -> Any:
        return self.with_known_unit(validate_report(normalise_row(raw), naive_tz=self.ctx.tz), raw)
