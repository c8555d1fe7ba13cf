"""SIMULATED urban-camera fleet for the cameras simulator — fiction placed at real places.

Security cameras watch real, named public places of Huế (markets, walking streets, squares and
parks, monuments, schools, stations, hospitals, shopping centres); flood cameras watch streets
that flood most years (Kim Long, Thủy Biều, Bao Vinh, Hương Sơ, Phú Hội, Vỹ Dạ, An Cựu…).
Positions are approximate (WGS 84, a few hundred metres at worst), not the IOC's installations;
the simulator spreads a place's cameras around its point. The traffic cameras are those of
:mod:`data_sources.traffic_sim_cameras` (the same registry rows).

:data:`AREAS` are the parts of the city a flood's power cut takes off together (a camera
belongs to the nearest centre within :data:`AREA_RADIUS_KM`; farther cameras, on National Road
1A, at Phú Bài or at Thuận An, belong to none).
"""

from __future__ import annotations

from dataclasses import dataclass

#: categories whose cameras see evening gatherings (markets, walking streets, squares, the beach)
GATHERING_PLACES = frozenset({"market", "walking_street", "square", "beach"})


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    category: str  # market | walking_street | square | landmark | school | station | hospital | mall | office | beach
    cameras: int


@dataclass(frozen=True)
class FloodSpot:
    name: str
    lat: float
    lon: float


PLACES: tuple[Place, ...] = (
    # --- markets -------------------------------------------------------------------------------
    Place("Chợ Đông Ba", 16.4733, 107.5888, "market", 11),
    Place("Chợ An Cựu", 16.4583, 107.6003, "market", 6),
    Place("Chợ Bến Ngự", 16.4571, 107.5853, "market", 5),
    Place("Chợ Tây Lộc", 16.4800, 107.5690, "market", 4),
    Place("Chợ Kim Long", 16.4628, 107.5547, "market", 4),
    Place("Chợ Bãi Dâu", 16.4822, 107.5991, "market", 3),
    Place("Chợ Vỹ Dạ", 16.4745, 107.6080, "market", 3),
    Place("Chợ Thủy Dương", 16.4390, 107.6170, "market", 3),
    Place("Chợ Phú Bài", 16.4010, 107.6920, "market", 3),
    # --- walking streets -----------------------------------------------------------------------
    Place("Phố đi bộ Nguyễn Đình Chiểu", 16.4700, 107.5912, "walking_street", 8),
    Place("Phố đi bộ Võ Thị Sáu – Phạm Ngũ Lão", 16.4697, 107.5967, "walking_street", 8),
    Place("Phố đi bộ Trịnh Công Sơn", 16.4783, 107.5918, "walking_street", 6),
    Place("Phố cổ Chi Lăng (Gia Hội)", 16.4770, 107.5950, "walking_street", 4),
    # --- squares, parks, monuments -------------------------------------------------------------
    Place("Quảng trường Ngọ Môn", 16.4668, 107.5790, "square", 8),
    Place("Kỳ Đài – Phu Văn Lâu", 16.4660, 107.5815, "square", 4),
    Place("Công viên Tứ Tượng", 16.4680, 107.5898, "square", 3),
    Place("Công viên Lý Tự Trọng", 16.4629, 107.5802, "square", 4),
    Place("Công viên Thương Bạc", 16.4712, 107.5865, "square", 3),
    Place("Hồ Tịnh Tâm", 16.4810, 107.5780, "landmark", 3),
    Place("Cồn Hến", 16.4795, 107.5940, "square", 3),
    Place("Đại Nội – cửa Hiển Nhơn", 16.4710, 107.5825, "landmark", 4),
    Place("Chùa Thiên Mụ", 16.4536, 107.5449, "landmark", 4),
    Place("Chùa Từ Đàm", 16.4490, 107.5830, "landmark", 2),
    Place("Lăng Tự Đức", 16.4337, 107.5644, "landmark", 3),
    Place("Lăng Khải Định", 16.3990, 107.5904, "landmark", 2),
    Place("Sân vận động Tự Do", 16.4630, 107.6010, "square", 4),
    Place("Bãi biển Thuận An", 16.5594, 107.6418, "beach", 5),
    # --- schools -------------------------------------------------------------------------------
    Place("Trường THPT chuyên Quốc Học", 16.4616, 107.5877, "school", 4),
    Place("Trường THPT Hai Bà Trưng", 16.4650, 107.5853, "school", 3),
    Place("Trường Đại học Sư phạm Huế", 16.4638, 107.5868, "school", 3),
    Place("Trường Đại học Khoa học Huế", 16.4588, 107.5900, "school", 3),
    Place("Trường Đại học Y Dược Huế", 16.4651, 107.5937, "school", 3),
    # --- stations ------------------------------------------------------------------------------
    Place("Ga Huế", 16.4566, 107.5774, "station", 6),
    Place("Bến xe phía Nam", 16.4460, 107.6050, "station", 4),
    Place("Bến xe phía Bắc", 16.4905, 107.5560, "station", 4),
    Place("Cảng hàng không Phú Bài", 16.4010, 107.7020, "station", 6),
    Place("Bến thuyền Tòa Khâm", 16.4685, 107.5870, "station", 3),
    # --- hospitals, shopping centres, public offices -------------------------------------------
    Place("Bệnh viện Trung ương Huế", 16.4628, 107.5898, "hospital", 5),
    Place("Vincom Plaza Huế", 16.4652, 107.5960, "mall", 4),
    Place("GO! Huế", 16.4556, 107.6000, "mall", 4),
    Place("AEON Mall Huế", 16.4485, 107.6175, "mall", 5),
    Place("Trung tâm Phục vụ hành chính công", 16.4600, 107.5830, "office", 3),
)

FLOOD_SPOTS: tuple[FloodSpot, ...] = (
    FloodSpot("Kim Long – Phú Mộng", 16.4600, 107.5570),
    FloodSpot("Kim Long – đường ra chùa Thiên Mụ", 16.4565, 107.5500),
    FloodSpot("Hương Long – Nguyễn Phúc Nguyên", 16.4675, 107.5490),
    FloodSpot("Thủy Biều – Ngọc Hồ", 16.4440, 107.5560),
    FloodSpot("Thủy Biều – Lương Quán", 16.4380, 107.5610),
    FloodSpot("Bao Vinh – phố cổ", 16.4905, 107.5935),
    FloodSpot("Bao Vinh – Nguyễn Chí Thanh", 16.4950, 107.5985),
    FloodSpot("Hương Sơ – Lý Thái Tổ", 16.4960, 107.5640),
    FloodSpot("Hương Sơ – Nguyễn Văn Linh", 16.5010, 107.5710),
    FloodSpot("Phú Hội – bờ sông Nguyễn Đình Chiểu", 16.4703, 107.5940),
    FloodSpot("Phú Hội – Hà Nội – Bến Nghé", 16.4668, 107.5925),
    FloodSpot("Vỹ Dạ – Nguyễn Sinh Cung", 16.4780, 107.6035),
    FloodSpot("Vỹ Dạ – Ưng Bình", 16.4820, 107.6080),
    FloodSpot("Phú Cát – Huỳnh Thúc Kháng", 16.4790, 107.5985),
    FloodSpot("An Cựu – cầu An Cựu", 16.4588, 107.5995),
    FloodSpot("An Cựu – Phan Chu Trinh", 16.4545, 107.5960),
    FloodSpot("Phường Đúc – Bùi Thị Xuân", 16.4530, 107.5680),
    FloodSpot("Phú Hậu – Nguyễn Gia Thiều", 16.4865, 107.5900),
    FloodSpot("Hương Vinh – đường Hương Vinh", 16.5050, 107.5870),
    FloodSpot("Phú Mậu – ngã ba Sình", 16.5200, 107.5800),
)

#: area code → (lat, lon) of its centre: Kim Long–Thủy Biều, the Citadel, the north bank
#: downstream (Bao Vinh, Hương Sơ, Hương Vinh), the south-bank centre, the east (Vỹ Dạ, Gia
#: Hội) and the south-east (An Cựu, Xuân Phú, Thủy Dương)
AREAS: dict[str, tuple[float, float]] = {
    "kim_long": (16.458, 107.552),
    "citadel": (16.472, 107.577),
    "north": (16.495, 107.580),
    "centre_south": (16.464, 107.588),
    "east": (16.477, 107.603),
    "an_cuu": (16.451, 107.606),
}
AREA_RADIUS_KM = 4.0
#: the areas a flood on each river reaches (storms and heavy rain: any area)
RIVER_AREAS = {"flood_huong": ("kim_long", "citadel", "centre_south", "east", "north"), "flood_bo": ("north",)}
