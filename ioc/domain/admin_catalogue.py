"""A sample catalogue of administrative procedures (TTHC) and their fields (lĩnh vực).

Seed data, editable in the store (table ``admin_procedures``) like units: the names are the
common procedures every Vietnamese one-stop unit handles, but codes, deadlines, online modes
and fee flags are **our illustration**, not the province's official catalogue. A one-stop
system's export brings its own procedures; codes it sends that are not in the catalogue are
added from the dossiers (name, field, online mode as sent).
"""

from __future__ import annotations

from dataclasses import dataclass

# field code: (vi, en)
FIELDS: dict[str, tuple[str, str]] = {
    "ho_tich": ("Hộ tịch", "Civil status"),
    "chung_thuc": ("Chứng thực", "Certification"),
    "dat_dai": ("Đất đai", "Land"),
    "xay_dung": ("Xây dựng", "Construction"),
    "kinh_doanh": ("Đăng ký kinh doanh", "Business registration"),
    "dau_tu": ("Kế hoạch và Đầu tư", "Planning and investment"),
    "giao_thong": ("Giao thông vận tải", "Transport"),
    "tu_phap": ("Tư pháp", "Justice"),
    "lao_dong": ("Lao động, Thương binh và Xã hội", "Labour and social affairs"),
    "giao_duc": ("Giáo dục và Đào tạo", "Education"),
    "y_te": ("Y tế", "Health"),
    "van_hoa": ("Văn hóa, Thể thao và Du lịch", "Culture, sports and tourism"),
    "tai_nguyen": ("Tài nguyên và Môi trường", "Natural resources and environment"),
    "cong_thuong": ("Công Thương", "Industry and trade"),
    "nong_nghiep": ("Nông nghiệp", "Agriculture"),
    "thong_tin": ("Thông tin và Truyền thông", "Information and communications"),
    "other": ("Khác", "Other"),
}


@dataclass(frozen=True)
class Procedure:
    """One procedure: ``working_days`` is its legal deadline (hạn giải quyết) in working days."""

    code: str
    name: str
    field: str
    level: str  # province | district | commune
    online_mode: str  # full_process | partial | none
    working_days: int
    has_fee: bool


def _p(code: str, name: str, field: str, mode: str, days: int, fee: bool) -> Procedure:
    level = {"T": "province", "H": "district", "X": "commune"}[code[0]]
    return Procedure(code, name, field, level, mode, days, fee)


SEED_PROCEDURES: tuple[Procedure, ...] = (
    # commune (cấp xã)
    _p("X.HT.01", "Đăng ký khai sinh", "ho_tich", "full_process", 1, False),
    _p("X.HT.02", "Đăng ký kết hôn", "ho_tich", "partial", 3, False),
    _p("X.HT.03", "Đăng ký khai tử", "ho_tich", "full_process", 1, False),
    _p("X.HT.04", "Cấp bản sao trích lục hộ tịch", "ho_tich", "full_process", 1, True),
    _p("X.HT.05", "Xác nhận tình trạng hôn nhân", "ho_tich", "full_process", 3, True),
    _p("X.HT.06", "Đăng ký thay đổi, cải chính hộ tịch", "ho_tich", "partial", 3, True),
    _p("X.CT.01", "Chứng thực bản sao điện tử từ bản chính", "chung_thuc", "partial", 1, True),
    _p("X.CT.02", "Chứng thực chữ ký", "chung_thuc", "none", 1, True),
    _p("X.CT.03", "Chứng thực hợp đồng, giao dịch", "chung_thuc", "none", 2, True),
    _p("X.LD.01", "Xác nhận hộ nghèo, hộ cận nghèo", "lao_dong", "partial", 7, False),
    _p("X.LD.02", "Trợ cấp xã hội hằng tháng", "lao_dong", "partial", 10, False),
    _p("X.DD.01", "Hòa giải tranh chấp đất đai", "dat_dai", "partial", 30, False),
    # district (cấp huyện)
    _p("H.KD.01", "Đăng ký thành lập hộ kinh doanh", "kinh_doanh", "full_process", 3, True),
    _p("H.KD.02", "Đăng ký thay đổi nội dung hộ kinh doanh", "kinh_doanh", "full_process", 3, True),
    _p("H.XD.01", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "xay_dung", "partial", 15, True),
    _p("H.DD.01", "Đăng ký biến động quyền sử dụng đất", "dat_dai", "partial", 10, True),
    _p("H.DD.02", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu", "dat_dai", "partial", 20, True),
    _p("H.DD.03", "Chuyển mục đích sử dụng đất", "dat_dai", "partial", 15, True),
    _p("H.HT.01", "Đăng ký khai sinh có yếu tố nước ngoài", "ho_tich", "partial", 3, True),
    _p("H.CT.01", "Chứng thực bản sao giấy tờ do cơ quan nước ngoài cấp", "chung_thuc", "none", 1, True),
    _p("H.LD.01", "Hỗ trợ chi phí mai táng", "lao_dong", "partial", 5, False),
    _p("H.GD.01", "Chuyển trường cho học sinh trung học cơ sở", "giao_duc", "full_process", 3, False),
    _p("H.CN.01", "Cấp giấy phép bán lẻ sản phẩm thuốc lá", "cong_thuong", "full_process", 15, True),
    _p("H.CN.02", "Cấp giấy phép bán lẻ rượu", "cong_thuong", "full_process", 10, True),
    _p("H.TN.01", "Đăng ký kế hoạch bảo vệ môi trường", "tai_nguyen", "partial", 10, False),
    # province (cấp tỉnh, through the provincial centre)
    _p("T.DT.01", "Đăng ký thành lập doanh nghiệp", "dau_tu", "full_process", 3, True),
    _p("T.DT.02", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "dau_tu", "full_process", 3, True),
    _p("T.DT.03", "Chấp thuận chủ trương đầu tư", "dau_tu", "partial", 25, False),
    _p("T.XD.01", "Cấp giấy phép xây dựng công trình", "xay_dung", "partial", 20, True),
    _p("T.XD.02", "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở", "xay_dung", "partial", 20, True),
    _p("T.GT.01", "Cấp đổi giấy phép lái xe", "giao_thong", "full_process", 5, True),
    _p("T.GT.02", "Cấp phù hiệu xe kinh doanh vận tải", "giao_thong", "full_process", 2, False),
    _p("T.TP.01", "Cấp phiếu lý lịch tư pháp", "tu_phap", "full_process", 10, True),
    _p("T.TN.01", "Đăng ký biến động đất đai của tổ chức", "tai_nguyen", "partial", 10, True),
    _p("T.TN.02", "Giao đất, cho thuê đất", "tai_nguyen", "none", 20, True),
    _p("T.YT.01", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "y_te", "partial", 20, True),
    _p("T.YT.02", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "y_te", "partial", 15, True),
    _p("T.LD.01", "Cấp giấy phép lao động cho người nước ngoài", "lao_dong", "full_process", 5, True),
    _p("T.GD.01", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "giao_duc", "full_process", 2, True),
    _p("T.VH.01", "Chấp thuận tổ chức biểu diễn nghệ thuật", "van_hoa", "full_process", 5, False),
    _p("T.CN.01", "Cấp giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "cong_thuong", "partial", 15, True),
    _p("T.NN.01", "Cấp giấy chứng nhận cơ sở sản xuất nông lâm thủy sản đủ điều kiện an toàn thực phẩm",
       "nong_nghiep", "partial", 15, True),
    _p("T.TT.01", "Cấp giấy phép hoạt động in", "thong_tin", "full_process", 7, False),
)

PROCEDURES_BY_CODE = {p.code: p for p in SEED_PROCEDURES}


def field_label(code: str, lang: str) -> str:
    """A field's name in ``lang``; an unknown code is shown as given."""
    pair = FIELDS.get(code)
    if pair is None:
        return code or FIELDS["other"][1 if lang == "en" else 0]
    return pair[1 if lang == "en" else 0]
