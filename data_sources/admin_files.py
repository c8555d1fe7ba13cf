"""TTHC dossiers from a one-stop system's export: a CSV (UTF-8, with or without BOM) or the first
sheet of an XLSX. ``python -m ioc import admin FILE``.

The first row is the header; names are matched case- and accent-insensitively (the English
names below, or the Vietnamese ones in brackets); unknown columns are ignored; a missing
required column fails the whole run.

===========================  ========  ==========================================================
Column                       Required  Meaning
===========================  ========  ==========================================================
``external_id``              yes       Dossier number in the source system, the upsert key
                                       [Mã hồ sơ, Số hồ sơ]
``procedure_code``           yes       Procedure code, e.g. X.HT.01 [Mã thủ tục]
``procedure_name``           no        Its name (a code not in the catalogue joins it with this
                                       name) [Tên thủ tục]
``field``                    no        Field code, e.g. ho_tich (empty: the catalogue's) [Lĩnh vực]
``level``                    no        province, district, commune or Cấp tỉnh / huyện / xã (empty:
                                       the unit's level) [Cấp]
``unit_code``                yes       One-stop unit, e.g. 46.TTPVHCC, 474, 474.03 (must be a
                                       known unit) [Mã đơn vị]
``channel``                  yes       in_person, online, post or Trực tiếp, Trực tuyến, Bưu
                                       chính [Hình thức nộp, Kênh]
``online_mode``              no        full_process, partial, none or Toàn trình, Một phần,
                                       Không (empty: the catalogue's) [Mức độ]
``status``                   yes       new, in_progress, supplement_requested, resolved,
                                       returned, refused, stopped, withdrawn or Mới tiếp nhận,
                                       Đang xử lý, Yêu cầu bổ sung, Đã xử lý xong, Đã trả kết
                                       quả, Từ chối, Dừng xử lý, Rút hồ sơ [Trạng thái]
``received_at``              yes       Receipt [Ngày tiếp nhận]
``due_at``                   one of    Deadline [Hạn xử lý, Ngày hẹn trả]
``working_days``             the two   Deadline in working days from receipt [Số ngày xử lý]
``pauses``                   no        Supplement waits ``START/END; START/END`` (END empty while
                                       waiting) [Tạm dừng]
``supplement_requested_at``  no        One supplement wait: requested [Ngày yêu cầu bổ sung] …
``supplement_received_at``   no        … and supplied (empty: still waiting) [Ngày bổ sung]
``resolved_at``              resolved  Resolution [Ngày xử lý xong, Ngày hoàn thành]
``returned_at``              no        Result handed over [Ngày trả kết quả]
``paid_online``              no        yes/no, có/không, 1/0 [Thanh toán trực tuyến]
``fee_required``             no        yes/no (empty: the catalogue's) [Có phí]
``digitised``                no        yes/no [Số hóa]
``rating``                   no        satisfied, acceptable, dissatisfied or Hài lòng, Chấp nhận,
                                       Không hài lòng [Đánh giá]
``updated_at``               no        Version of the row: it replaces the stored dossier only if
                                       later (empty: the latest time above) [Ngày cập nhật]
===========================  ========  ==========================================================

Times are ISO 8601 or ``dd/mm/yyyy [HH:MM[:SS]]``; with an offset they are converted, without
one (and Excel date cells) they are local time in ``IOC_TIMEZONE``. A bad row is quarantined
with its row number (the header is row 1) and the reason; the other rows are imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data_sources.tabular import TabularFileCollector, select_row
from ioc.domain.admin_records import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    ONLINE_MODE_LABELS,
    RATING_LABELS,
    STATUS_LABELS,
    validate_dossier,
)
from ioc.domain.records import alias_table, fold

if TYPE_CHECKING:
    pass

REQUIRED_COLUMNS = ("external_id", "procedure_code", "unit_code", "channel", "status", "received_at")
OPTIONAL_COLUMNS = ("procedure_name", "field", "level", "online_mode", "due_at", "working_days", "pauses",
                    "supplement_requested_at", "supplement_received_at", "resolved_at", "returned_at",
                    "paid_online", "fee_required", "digitised", "rating", "updated_at")
HEADER_ALIASES = {
    "ma_ho_so": "external_id", "so_ho_so": "external_id", "ma_thu_tuc": "procedure_code",
    "ten_thu_tuc": "procedure_name", "linh_vuc": "field", "cap": "level", "ma_don_vi": "unit_code",
    "hinh_thuc_nop": "channel", "kenh": "channel", "muc_do": "online_mode", "trang_thai": "status",
    "ngay_tiep_nhan": "received_at", "han_xu_ly": "due_at", "ngay_hen_tra": "due_at",
    "so_ngay_xu_ly": "working_days", "tam_dung": "pauses", "ngay_yeu_cau_bo_sung": "supplement_requested_at",
    "ngay_bo_sung": "supplement_received_at", "ngay_xu_ly_xong": "resolved_at", "ngay_hoan_thanh": "resolved_at",
    "ngay_tra_ket_qua": "returned_at", "thanh_toan_truc_tuyen": "paid_online", "co_phi": "fee_required",
    "so_hoa": "digitised", "danh_gia": "rating", "ngay_cap_nhat": "updated_at",
}  # fmt: skip


VALUE_ALIASES = {
    "status": alias_table(STATUS_LABELS, {"Đã tiếp nhận": "new", "Đang giải quyết": "in_progress",
                                          "Chờ bổ sung": "supplement_requested", "Đã giải quyết": "resolved",
                                          "Hoàn thành": "resolved", "Đã trả": "returned"}),
    "channel": alias_table(CHANNEL_LABELS, {"Trực tuyến toàn trình": "online", "Qua bưu điện": "post",
                                            "Dịch vụ bưu chính": "post"}),
    "online_mode": alias_table(ONLINE_MODE_LABELS, {"Mức độ 4": "full_process", "Mức độ 3": "partial"}),
    "level": alias_table(LEVEL_LABELS, {"Tỉnh": "province", "Huyện": "district", "Xã": "commune"}),
    "rating": alias_table(RATING_LABELS, {"Rất hài lòng": "satisfied", "Bình thường": "acceptable"}),
}


def column_name(cell: Any) -> str | None:
    """A header cell as a store field name (English or Vietnamese, any case or accents)."""
    if cell in (None, ""):
        return None
    folded = fold(str(cell))
    return HEADER_ALIASES.get(folded, str(cell).strip().lower())


def normalise_row(raw: dict[str, Any]) -> dict[str, Any]:
    """One file row as :func:`validate_dossier` takes it (labels translated to codes)."""
    row = select_row(raw, (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    for key, table in VALUE_ALIASES.items():
        if isinstance(row[key], str) and row[key].strip():
            row[key] = table.get(fold(row[key]), row[key].strip())
    return row


class AdminFileCollector(TabularFileCollector):
    """Reads ``spec.path`` once per run and yields batches of validated dossiers."""

    type = "file"
    family = "admin"

    required_columns = REQUIRED_COLUMNS

    def column_name(self, cell: Any) -> str | None:
        return column_name(cell)

    def record(self, raw: dict[str, Any]) -> Any:
        return self.with_known_unit(validate_dossier(normalise_row(raw), naive_tz=self.ctx.tz), raw)
