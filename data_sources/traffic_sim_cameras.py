"""SIMULATED camera network for the traffic simulator — fiction placed at real places.

Thirty-six cameras at real junctions of Huế city and along National Road 1A (Quốc lộ 1A)
through Phong Điền, Hương Trà, Huế, Hương Thủy and Phú Lộc. Positions are plausible (WGS 84,
≈ 100 m), not the IOC's actual installations; daily rates are violations detected per camera
per day: ≈ 2 on average (72 a day for the network), the busiest city junctions ≈ 3, quiet
ones ≈ 1. Basis: Yên Bái's nine camera points detected ≈ 3,500 violations from 3 January to
19 July 2023 (Lao Động, July 2023), ≈ 2 per point per day; the calibration is in
:mod:`data_sources.traffic_simulator`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimCamera:
    code: str
    name: str
    lat: float
    lon: float
    unit_code: str
    kind: str  # junction | speed | surveillance
    road: str
    daily_rate: float


_CITY = "474"
CAMERAS: tuple[SimCamera, ...] = (
    # --- Huế city junctions (red light, lanes, helmets) ---------------------------------------
    SimCamera("HUE-J01", "Ngã tư Lê Lợi – Hùng Vương", 16.4663, 107.5937, _CITY, "junction", "Lê Lợi", 3.1),
    SimCamera("HUE-J02", "Đầu cầu Trường Tiền – Lê Lợi", 16.4688, 107.5872, _CITY, "junction", "Lê Lợi", 2.7),
    SimCamera("HUE-J03", "Đầu cầu Trường Tiền – Trần Hưng Đạo", 16.4726, 107.5848, _CITY, "junction",
              "Trần Hưng Đạo", 2.5),
    SimCamera("HUE-J04", "Ngã tư Hùng Vương – Bà Triệu", 16.4606, 107.6006, _CITY, "junction", "Hùng Vương", 2.9),
    SimCamera("HUE-J05", "Ngã tư Hùng Vương – Nguyễn Huệ", 16.4634, 107.5968, _CITY, "junction", "Hùng Vương", 2.2),
    SimCamera("HUE-J06", "Ngã tư Lý Thường Kiệt – Nguyễn Huệ", 16.4628, 107.5906, _CITY, "junction",
              "Lý Thường Kiệt", 2.0),
    SimCamera("HUE-J07", "Ngã tư Lê Lợi – Điện Biên Phủ", 16.4611, 107.5826, _CITY, "junction", "Điện Biên Phủ",
              2.2),
    SimCamera("HUE-J08", "Ga Huế – Bùi Thị Xuân", 16.4567, 107.5779, _CITY, "junction", "Bùi Thị Xuân", 1.6),
    SimCamera("HUE-J09", "Đầu cầu Phú Xuân – Lê Lợi", 16.4652, 107.5801, _CITY, "junction", "Lê Lợi", 2.0),
    SimCamera("HUE-J10", "Ngã tư Trần Hưng Đạo – Đinh Tiên Hoàng", 16.4737, 107.5873, _CITY, "junction",
              "Trần Hưng Đạo", 2.5),
    SimCamera("HUE-J11", "Ngã tư Đinh Tiên Hoàng – Mai Thúc Loan", 16.4762, 107.5828, _CITY, "junction",
              "Đinh Tiên Hoàng", 1.3),
    SimCamera("HUE-J12", "Ngã tư Lê Duẩn – Nguyễn Trãi", 16.4748, 107.5703, _CITY, "junction", "Lê Duẩn", 1.8),
    SimCamera("HUE-J13", "Đầu cầu Dã Viên – Lê Duẩn", 16.4660, 107.5723, _CITY, "junction", "Lê Duẩn", 1.8),
    SimCamera("HUE-J14", "Ngã tư Bà Triệu – Phạm Văn Đồng", 16.4711, 107.6098, _CITY, "junction", "Phạm Văn Đồng",
              2.7),
    SimCamera("HUE-J15", "Ngã tư Tố Hữu – Nguyễn Hữu Thọ", 16.4527, 107.6053, _CITY, "junction", "Tố Hữu", 2.2),
    SimCamera("HUE-J16", "Ngã tư Võ Văn Kiệt – An Dương Vương", 16.4449, 107.6035, _CITY, "junction",
              "Võ Văn Kiệt", 2.0),
    SimCamera("HUE-J17", "Ngã tư Điện Biên Phủ – Phan Bội Châu", 16.4545, 107.5880, _CITY, "junction",
              "Điện Biên Phủ", 1.6),
    SimCamera("HUE-J18", "Ngã tư Hùng Vương – Trần Phú (Big C)", 16.4555, 107.6003, _CITY, "junction",
              "Hùng Vương", 2.7),
    SimCamera("HUE-J19", "Ngã tư Nguyễn Sinh Cung – Lê Quang Đạo", 16.4795, 107.6080, _CITY, "junction",
              "Nguyễn Sinh Cung", 1.6),
    SimCamera("HUE-J20", "Ngã tư Tố Hữu – Dương Văn An", 16.4641, 107.6131, _CITY, "junction", "Tố Hữu", 1.8),
    SimCamera("HUE-J21", "Ngã ba Kim Long – Nguyễn Phúc Nguyên", 16.4623, 107.5548, _CITY, "junction", "Kim Long",
              1.1),
    SimCamera("HUE-S01", "Chợ Đông Ba – Trần Hưng Đạo", 16.4745, 107.5890, _CITY, "surveillance", "Trần Hưng Đạo",
              1.3),
    SimCamera("HUE-S02", "Phố đi bộ Nguyễn Đình Chiểu", 16.4695, 107.5907, _CITY, "surveillance",
              "Nguyễn Đình Chiểu", 0.9),
    # --- National Road 1A (speed, lanes) ----------------------------------------------------------
    SimCamera("QL1A-01", "QL1A – thị trấn Phong Điền", 16.5462, 107.3452, "476", "speed", "Quốc lộ 1A", 2.0),
    SimCamera("QL1A-02", "QL1A – Phong An", 16.5325, 107.3924, "476", "speed", "Quốc lộ 1A", 1.8),
    SimCamera("QL1A-03", "QL1A – Tứ Hạ", 16.5268, 107.4355, "480", "speed", "Quốc lộ 1A", 2.0),
    SimCamera("QL1A-04", "QL1A – cầu An Lỗ", 16.5130, 107.4718, "480", "speed", "Quốc lộ 1A", 1.8),
    SimCamera("QL1A-05", "QL1A – Hương Sơ", 16.4985, 107.5270, _CITY, "speed", "Quốc lộ 1A", 1.8),
    SimCamera("QL1A-06", "QL1A – cửa ngõ An Hòa", 16.4880, 107.5562, _CITY, "junction", "Quốc lộ 1A", 2.2),
    SimCamera("QL1A-07", "QL1A – Thủy Dương", 16.4367, 107.6152, "479", "speed", "Quốc lộ 1A", 2.5),
    SimCamera("QL1A-08", "QL1A – Phú Bài", 16.4011, 107.6892, "479", "speed", "Quốc lộ 1A", 2.5),
    SimCamera("QL1A-09", "QL1A – ngã ba sân bay Phú Bài", 16.3962, 107.7011, "479", "junction", "Quốc lộ 1A", 1.8),
    SimCamera("QL1A-10", "QL1A – cầu Truồi", 16.3302, 107.7793, "482", "speed", "Quốc lộ 1A", 2.0),
    SimCamera("QL1A-11", "QL1A – thị trấn Phú Lộc", 16.2876, 107.8612, "482", "speed", "Quốc lộ 1A", 2.0),
    SimCamera("QL1A-12", "QL1A – Lăng Cô", 16.2560, 108.0712, "482", "speed", "Quốc lộ 1A", 1.8),
    SimCamera("QL1A-13", "QL1A – cửa bắc hầm Hải Vân", 16.2195, 108.1188, "482", "speed", "Quốc lộ 1A", 1.6),
)
