"""VN_AQI (Decision 1459/QĐ-TCMT) — expected values worked out by hand in the comments.

All concentrations are µg/m³ unless a unit is named.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ioc.domain.aqi import (
    BREAKPOINTS,
    INDEX_LEVELS,
    NowCastError,
    category_for,
    daily_aqi,
    hourly_aqi,
    hourly_aqi_array,
    nowcast,
    nowcast_array,
    nowcast_or_raise,
    round_half_up,
    sub_index,
    sub_index_array,
    to_ugm3,
    us_epa_pm25_aqi,
)

# --------------------------------------------------------------------------- worked examples


def test_decision_example_pm25_24h():
    # 55.7 lies in 50–80 → 100–150: (150−100)/(80−50)·(55.7−50) + 100 = 50/30·5.7 + 100
    # = 9.5 + 100 = 109.5 → half up → 110
    assert sub_index("pm25", 55.7) == pytest.approx(109.5)
    res = daily_aqi({"pm25": 55.7})
    assert res is not None and res.aqi == 110 and res.dominant == "pm25"


def test_decision_example_o3_1h():
    # 136.1 lies in 0–160 → 0–50: 50/160·136.1 = 42.53125 → 43
    assert sub_index("o3_1h", 136.1) == pytest.approx(42.53125)
    assert round_half_up(sub_index("o3_1h", 136.1)) == 43


def test_decision_example_daily():
    # O3 8h 89.3: 0–100 → 0–50: 0.5·89.3 = 44.65 → 45
    # O3 1h 114.6: 0–160 → 0–50: 50/160·114.6 = 35.8125 → 36
    # NO2 130.8: 100–200 → 50–100: 50 + 0.5·30.8 = 65.4 → 65
    # PM2.5 55.7 → 109.5 → 110 (above); max = 109.5 → 110, dominant pm25, band 101–150 Kém
    res = daily_aqi({"o3_8h": 89.3, "o3_1h": 114.6, "no2": 130.8, "pm25": 55.7})
    assert res is not None
    assert res.aqi == 110
    assert res.dominant == "pm25"
    assert res.sub == {"pm25": 110, "o3_1h": 36, "o3_8h": 45, "no2": 65}
    assert (res.category, res.label_vi, res.label_en) == ("poor", "Kém", "Poor")
    assert res.rgb == (255, 126, 0) and res.hex == "#FF7E00"


# --------------------------------------------------------------------------- breakpoint edges

# (pollutant, concentration, expected un-rounded sub-index).
# "Just above" = edge + δ → edge index + δ·slope of the next segment, slope = ΔI/ΔBP.
JUST_ABOVE = [
    # PM2.5, δ = 1: slopes 50/25, 50/25, 50/30, 50/70, 100/100, 100/100, 100/150
    ("pm25", 1, 2.0),  # 0 + 1·2
    ("pm25", 26, 52.0),  # 50 + 1·2
    ("pm25", 51, 100 + 5 / 3),  # 100 + 50/30 = 101.667
    ("pm25", 81, 150 + 5 / 7),  # 150 + 50/70 = 150.714
    ("pm25", 151, 201.0),  # 200 + 1
    ("pm25", 251, 301.0),  # 300 + 1
    ("pm25", 351, 400 + 2 / 3),  # 400 + 100/150 = 400.667
    # PM10, δ = 1: slopes 50/50, 50/100, 50/100, 50/100, 100/70, 100/80, 100/100
    ("pm10", 1, 1.0),  # 0 + 1
    ("pm10", 51, 50.5),  # 50 + 0.5
    ("pm10", 151, 100.5),  # 100 + 0.5
    ("pm10", 251, 150.5),  # 150 + 0.5
    ("pm10", 351, 200 + 10 / 7),  # 200 + 100/70 = 201.429
    ("pm10", 421, 301.25),  # 300 + 100/80
    ("pm10", 501, 401.0),  # 400 + 1
    # O3 1h, δ = 1: slopes 50/160, 50/40, 50/100, 50/100, 100/400, 100/200, 100/200
    ("o3_1h", 1, 0.3125),  # 50/160
    ("o3_1h", 161, 51.25),  # 50 + 50/40
    ("o3_1h", 201, 100.5),  # 100 + 0.5
    ("o3_1h", 301, 150.5),  # 150 + 0.5
    ("o3_1h", 401, 200.25),  # 200 + 0.25
    ("o3_1h", 801, 300.5),  # 300 + 0.5
    ("o3_1h", 1001, 400.5),  # 400 + 0.5
    # O3 8h, δ = 1: slopes 50/100, 50/20, 50/50, 50/40, 100/190
    ("o3_8h", 1, 0.5),  # 0.5
    ("o3_8h", 101, 52.5),  # 50 + 2.5
    ("o3_8h", 121, 101.0),  # 100 + 1
    ("o3_8h", 171, 151.25),  # 150 + 1.25
    ("o3_8h", 211, 200 + 100 / 190),  # 200 + 0.5263 = 200.526
    # CO, δ = 100: slopes 50/10000, 50/20000, 50/15000, 50/15000, 100/30000 ×3
    ("co", 100, 0.5),  # 100·0.005
    ("co", 10_100, 50.25),  # 50 + 100·0.0025
    ("co", 30_100, 100 + 1 / 3),  # 100 + 100·50/15000 = 100.333
    ("co", 45_100, 150 + 1 / 3),  # 150 + 0.333
    ("co", 60_100, 200 + 1 / 3),  # 200 + 100·100/30000
    ("co", 90_100, 300 + 1 / 3),  # 300 + 0.333
    ("co", 120_100, 400 + 1 / 3),  # 400 + 0.333
    # SO2, δ = 1: slopes 50/125, 50/225, 50/200, 50/250, 100/800, 100/500, 100/530
    ("so2", 1, 0.4),  # 50/125
    ("so2", 126, 50 + 2 / 9),  # 50 + 50/225 = 50.222
    ("so2", 351, 100.25),  # 100 + 0.25
    ("so2", 551, 150.2),  # 150 + 0.2
    ("so2", 801, 200.125),  # 200 + 0.125
    ("so2", 1601, 300.2),  # 300 + 0.2
    ("so2", 2101, 400 + 10 / 53),  # 400 + 100/530 = 400.189
    # NO2, δ = 1: slopes 50/100, 50/100, 50/500, 50/500, 100/1150, 100/750, 100/750
    ("no2", 1, 0.5),  # 0.5
    ("no2", 101, 50.5),  # 50 + 0.5
    ("no2", 201, 100.1),  # 100 + 0.1
    ("no2", 701, 150.1),  # 150 + 0.1
    ("no2", 1201, 200 + 2 / 23),  # 200 + 100/1150 = 200.087
    ("no2", 2351, 300 + 2 / 15),  # 300 + 100/750 = 300.133
    ("no2", 3101, 400 + 2 / 15),  # 400 + 0.133
]

# Every breakpoint row exactly: the concentration gives that row's index.
AT_EDGE = [
    (p, bp, level) for p, bps in BREAKPOINTS.items() for bp, level in zip(bps, INDEX_LEVELS, strict=False)
]


@pytest.mark.parametrize(("pollutant", "conc", "expected"), AT_EDGE)
def test_exactly_at_breakpoint(pollutant, conc, expected):
    assert sub_index(pollutant, conc) == expected


def test_edge_table_literal():
    # Spot-check the table against domain.md §5 so a typo in BREAKPOINTS can't hide.
    assert sub_index("pm25", 25) == 50
    assert sub_index("pm10", 420) == 300
    assert sub_index("o3_8h", 400) == 300
    assert sub_index("co", 45_000) == 150
    assert sub_index("so2", 2_630) == 500
    assert sub_index("no2", 1_200) == 200
    assert sub_index("o3_1h", 1_000) == 400


@pytest.mark.parametrize(("pollutant", "conc", "expected"), JUST_ABOVE)
def test_just_above_breakpoint(pollutant, conc, expected):
    assert sub_index(pollutant, conc) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("pollutant", "last"),
    [("pm25", 500), ("pm10", 600), ("o3_1h", 1200), ("co", 150_000), ("so2", 2630),
     ("no2", 3850)],
)
def test_at_or_above_last_row_is_500(pollutant, last):
    assert sub_index(pollutant, last) == 500
    assert sub_index(pollutant, last + 0.1) == 500
    assert sub_index(pollutant, last * 10) == 500


def test_o3_8h_beyond_table_is_undefined():
    # The 8-h table stops at 400 µg/m³ (→ 300); above it the 8-h value is not indexed.
    assert sub_index("o3_8h", 400) == 300
    assert sub_index("o3_8h", 400.1) is None
    assert sub_index("o3_8h", 1000) is None


@pytest.mark.parametrize("bad", [None, float("nan"), -0.1, -50])
def test_invalid_concentration_gives_none(bad):
    assert sub_index("pm25", bad) is None


def test_unknown_pollutant_raises():
    with pytest.raises(ValueError, match="nh3"):
        sub_index("nh3", 10)


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (42.5, 43),  # half → up (Python's round() gives 42)
        (43.5, 44),
        (0.5, 1),  # round() gives 0
        (109.5, 110),
        (2.4999, 2),
        (2.5001, 3),
        (50.0, 50),
        (0.0, 0),
        (-2.5, -2),  # "up" = towards +∞
    ],
)
def test_round_half_up(x, expected):
    assert round_half_up(x) == expected


def test_round_half_up_tolerates_float_noise():
    # 0.1·3·... style noise: 42.49999999999999 is 42.5 on paper
    assert round_half_up(42.49999999999999) == 43
    with pytest.raises(ValueError):
        round_half_up(float("nan"))


def test_half_up_through_aqi():
    # PM10 151: 100 + (151−150)·50/100 = 100.5 → 101 (banker's rounding would say 100)
    res = hourly_aqi({"pm10": 151})
    assert res is not None and res.aqi == 101 and res.category == "poor"
    # SO2 400 (daily max 1 h): 100 + 50/200·(400−350) = 112.5 → 113
    # CO 12 000: 50 + 50/20000·2000 = 55; PM10 40 → 40
    res = daily_aqi({"pm10": 40, "so2": 400, "co": 12_000})
    assert res is not None
    assert res.aqi == 113 and res.dominant == "so2"
    assert res.sub == {"pm10": 40, "so2": 113, "co": 55}


# --------------------------------------------------------------------------- NowCast


def test_nowcast_constant_series():
    # w* = 10/10 = 1 → plain mean of twelve 10s = 10
    assert nowcast([10.0] * 12) == pytest.approx(10.0)


def test_nowcast_weight_clamped_at_half():
    # c = 40, 20, 10: w* = 10/40 = 0.25 → w = 0.5
    # (40 + 0.5·20 + 0.25·10) / (1 + 0.5 + 0.25) = 52.5 / 1.75 = 30
    assert nowcast([40, 20, 10]) == pytest.approx(30.0)


def test_nowcast_weight_not_clamped():
    # c = 30, 20, 24: w* = 20/30 = 2/3 (> 0.5, kept)
    # (30 + 2/3·20 + 4/9·24) / (1 + 2/3 + 4/9) = (30 + 13.333 + 10.667) / (19/9)
    # = 54 · 9/19 = 486/19 = 25.5789…
    assert nowcast([30, 20, 24]) == pytest.approx(486 / 19)


def test_nowcast_missing_hour_keeps_position():
    # c1 = 40, c2 missing, c3 = 10: w = max(10/40, 0.5) = 0.5
    # (40 + 0.5²·10) / (1 + 0.5²) = 42.5 / 1.25 = 34   (collapsing positions would give 30)
    assert nowcast([40, None, 10]) == pytest.approx(34.0)
    assert nowcast([40, float("nan"), 10]) == pytest.approx(34.0)


def test_nowcast_far_hour():
    # c1 = c2 = 10, c12 = 20, rest missing: w* = 10/20 = 0.5
    # num = 10 + 0.5·10 + 0.5¹¹·20 = 15 + 20/2048 = 30740/2048
    # den = 1 + 0.5 + 0.5¹¹ = 3073/2048 → 30740/3073 = 10.00325…
    hours = [10, 10] + [None] * 9 + [20]
    assert nowcast(hours) == pytest.approx(30740 / 3073)


def test_nowcast_only_first_twelve_hours():
    # the 13th value (1000) is ignored → twelve 10s → 10
    assert nowcast([10.0] * 12 + [1000.0]) == pytest.approx(10.0)


def test_nowcast_all_zero():
    # Cmax = 0 → weights 1 → 0
    assert nowcast([0, 0, 0]) == 0.0


def test_nowcast_two_of_three_passing_with_newest_missing():
    # c2 = c3 = c4 = 20 → w = 1 → 20
    assert nowcast([None, 20, 20, 20]) == pytest.approx(20.0)


@pytest.mark.parametrize(
    "hours",
    [
        [40, None, None, 10, 10, 10],  # only 1 of the 3 most recent
        [None, None, 10, 10, 10],
        [None, 10, None] + [10] * 9,
        [40],  # only one hour at all
        [],
        [40, -1, float("nan"), 10],  # negative and NaN count as missing
    ],
)
def test_nowcast_two_of_three_failing(hours):
    assert nowcast(hours) is None
    with pytest.raises(NowCastError, match="2 of the 3 most recent"):
        nowcast_or_raise(hours)


def test_nowcast_or_raise_returns_value():
    assert nowcast_or_raise([40, 20, 10]) == pytest.approx(30.0)


def test_hourly_aqi_with_nowcast_pm():
    # NowCast(40, 20, 10) = 30 (above) → PM2.5 25–50 → 50–100: 50 + 2·5 = 60 → moderate
    # O3 1h 80: 50/160·80 = 25
    res = hourly_aqi({"pm25": nowcast([40, 20, 10]), "o3_1h": 80})
    assert res is not None
    assert (res.aqi, res.dominant, res.category) == (60, "pm25", "moderate")
    assert res.sub == {"pm25": 60, "o3_1h": 25}


# --------------------------------------------------------------------------- hourly / daily


def test_no_pm_no_aqi():
    assert hourly_aqi({"o3_1h": 300, "no2": 500}) is None
    assert hourly_aqi({"pm25": None, "pm10": float("nan"), "no2": 50}) is None
    assert daily_aqi({"o3_8h": 100}) is None


def test_pm10_alone_is_enough():
    # PM10 100: 50 + 0.5·50 = 75
    res = hourly_aqi({"pm10": 100})
    assert res is not None and res.aqi == 75 and res.dominant == "pm10"


def test_hourly_ignores_o3_8h():
    # PM2.5 10 → 2·10 = 20; the 8-h O3 (→ 300) is not part of the hourly index
    res = hourly_aqi({"pm25": 10, "o3_8h": 400})
    assert res is not None and res.aqi == 20 and res.sub == {"pm25": 20}


def test_unknown_key_raises():
    with pytest.raises(ValueError, match="pm1"):
        hourly_aqi({"pm25": 10, "pm1": 5})


def test_dominant_tie_prefers_pm25():
    # PM2.5 25 → 50 and PM10 50 → 50: tie → pm25
    res = hourly_aqi({"pm10": 50, "pm25": 25})
    assert res is not None and res.dominant == "pm25" and res.aqi == 50


def test_daily_o3_8h_beyond_400_ignored():
    # O3 8h 450 > 400 → ignored; O3 1h 300 → 150; PM2.5 10 → 20 → AQI 150 from o3_1h
    res = daily_aqi({"pm25": 10, "o3_1h": 300, "o3_8h": 450})
    assert res is not None
    assert (res.aqi, res.dominant) == (150, "o3_1h")
    assert "o3_8h" not in res.sub


def test_daily_o3_8h_wins_when_larger():
    # O3 8h 150: 120–170 → 100–150: 100 + 50/50·30 = 130
    # O3 1h 100: 50/160·100 = 31.25 → 31; PM2.5 10 → 20
    res = daily_aqi({"pm25": 10, "o3_1h": 100, "o3_8h": 150})
    assert res is not None
    assert (res.aqi, res.dominant) == (130, "o3_8h")
    assert res.sub == {"pm25": 20, "o3_1h": 31, "o3_8h": 130}


def test_result_is_frozen():
    res = hourly_aqi({"pm25": 10})
    assert res is not None
    with pytest.raises(AttributeError):
        res.aqi = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- categories

BANDS = [
    # (aqi, code, label_vi, rgb, hex) — hex by hand: 228 = 0xE4, 126 = 0x7E, 143 = 0x8F,
    # 63 = 0x3F, 151 = 0x97, 35 = 0x23
    (0, "good", "Tốt", (0, 228, 0), "#00E400"),
    (50, "good", "Tốt", (0, 228, 0), "#00E400"),
    (51, "moderate", "Trung bình", (255, 255, 0), "#FFFF00"),
    (100, "moderate", "Trung bình", (255, 255, 0), "#FFFF00"),
    (101, "poor", "Kém", (255, 126, 0), "#FF7E00"),
    (150, "poor", "Kém", (255, 126, 0), "#FF7E00"),
    (151, "bad", "Xấu", (255, 0, 0), "#FF0000"),
    (200, "bad", "Xấu", (255, 0, 0), "#FF0000"),
    (201, "very_bad", "Rất xấu", (143, 63, 151), "#8F3F97"),
    (300, "very_bad", "Rất xấu", (143, 63, 151), "#8F3F97"),
    (301, "hazardous", "Nguy hại", (126, 0, 35), "#7E0023"),
    (500, "hazardous", "Nguy hại", (126, 0, 35), "#7E0023"),
]


@pytest.mark.parametrize(("aqi", "code", "label_vi", "rgb", "hex_"), BANDS)
def test_category_bands(aqi, code, label_vi, rgb, hex_):
    cat = category_for(aqi)
    assert (cat.code, cat.label_vi, cat.rgb, cat.hex) == (code, label_vi, rgb, hex_)


def test_category_english_labels_and_negative():
    labels = [category_for(a).label_en for a in (0, 51, 101, 151, 201, 301)]
    assert labels == ["Good", "Moderate", "Poor", "Bad", "Very bad", "Hazardous"]
    with pytest.raises(ValueError):
        category_for(-1)


def test_result_colour_from_category():
    # PM2.5 300: 250–350 → 300–400: 300 + 50 = 350 → hazardous
    res = hourly_aqi({"pm25": 300})
    assert res is not None
    assert (res.aqi, res.category, res.label_vi, res.hex) == (350, "hazardous", "Nguy hại",
                                                              "#7E0023")


# --------------------------------------------------------------------------- US EPA PM2.5


@pytest.mark.parametrize(
    ("conc", "expected"),
    [
        (0.0, 0),
        (9.0, 50),
        (9.1, 51),
        (35.4, 100),
        (35.5, 101),
        (55.4, 150),
        (55.5, 151),
        (125.4, 200),
        (125.5, 201),
        (225.4, 300),
        (225.5, 301),
        (325.4, 500),
        (400.0, 500),  # beyond the table → capped
        (9.09, 50),  # truncated to 9.0 → 50 (not in the 9.0–9.1 gap)
        (35.49, 100),  # truncated to 35.4
        # 12.0: 49/26.3·(12.0−9.1) + 51 = 142.1/26.3 + 51 = 5.403 + 51 = 56.40 → 56
        (12.0, 56),
        # 55.7 (the VN example, VN_AQI 110): 49/69.9·0.2 + 151 = 0.140 + 151 → 151
        (55.7, 151),
        # 100: 49/69.9·44.5 + 151 = 2180.5/69.9 + 151 = 31.19 + 151 = 182.19 → 182
        (100.0, 182),
    ],
)
def test_us_epa_pm25(conc, expected):
    assert us_epa_pm25_aqi(conc) == expected


def test_us_epa_pm25_invalid():
    with pytest.raises(ValueError):
        us_epa_pm25_aqi(-1.0)
    with pytest.raises(ValueError):
        us_epa_pm25_aqi(float("nan"))


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("value", "unit", "pollutant", "expected"),
    [
        # NO2: 100 ppb · 46.0055 / 24.45 = 4600.55 / 24.45 = 188.16155
        (100, "ppb", "no2", 188.16155),
        (0.1, "ppm", "no2", 188.16155),
        # O3: 50 ppb · 48.00 / 24.45 = 2400 / 24.45 = 98.15951
        (50, "ppb", "o3_1h", 98.15951),
        (0.05, "ppm", "o3_8h", 98.15951),
        (50, "ppb", "o3", 98.15951),
        # SO2: 10 ppb · 64.066 / 24.45 = 640.66 / 24.45 = 26.20286
        (10, "ppb", "so2", 26.20286),
        (0.01, "ppm", "so2", 26.20286),
        # CO: 1 ppm = 1000 ppb · 28.010 / 24.45 = 28010 / 24.45 = 1145.60327
        (1, "ppm", "co", 1145.60327),
        (1000, "ppb", "co", 1145.60327),
        # mg/m³ → ×1000; µg/m³ spellings pass through
        (1.2, "mg/m3", "co", 1200.0),
        (1.2, "mg/m³", "co", 1200.0),
        (35.0, "µg/m³", "pm25", 35.0),  # micro sign U+00B5
        (35.0, "μg/m³", "pm10", 35.0),  # Greek mu U+03BC
        (35.0, "ug/m3", "no2", 35.0),
    ],
)
def test_to_ugm3(value, unit, pollutant, expected):
    assert to_ugm3(value, unit, pollutant) == pytest.approx(expected, rel=1e-6)


def test_to_ugm3_errors():
    with pytest.raises(ValueError, match="pm25"):
        to_ugm3(10, "ppb", "pm25")
    with pytest.raises(ValueError, match="ppt"):
        to_ugm3(10, "ppt", "no2")
    with pytest.raises(ValueError, match="nh3"):
        to_ugm3(10, "ppb", "nh3")


# --------------------------------------------------------------------------- vectorised


def _random_conc(rng: np.random.Generator, bps: tuple[float, ...], n: int) -> np.ndarray:
    x = rng.uniform(0, bps[-1] * 1.2, n)
    x[rng.random(n) < 0.05] = np.nan
    x[rng.random(n) < 0.03] = -1.0
    x[:len(bps)] = bps  # exact breakpoints too
    return x


@pytest.mark.parametrize("pollutant", sorted(BREAKPOINTS))
def test_sub_index_array_matches_scalar(pollutant):
    rng = np.random.default_rng(1459)
    x = _random_conc(rng, BREAKPOINTS[pollutant], 2000)
    got = sub_index_array(pollutant, x)
    scalar = [sub_index(pollutant, float(v)) for v in x]
    want = np.array([np.nan if s is None else s for s in scalar])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_nowcast_array_matches_scalar():
    rng = np.random.default_rng(2019)
    m = rng.lognormal(3, 1, size=(3000, 12))
    m[rng.random(m.shape) < 0.3] = np.nan
    m[:5, 3] = 0.0
    m[5] = 0.0  # all zeros
    got = nowcast_array(m)
    want = np.array([
        np.nan if (v := nowcast([None if math.isnan(c) else c for c in row])) is None else v
        for row in m
    ])
    assert np.isnan(got).sum() > 100  # the 2-of-3 rule fires on some rows
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_nowcast_array_rejects_1d():
    with pytest.raises(ValueError):
        nowcast_array(np.zeros(12))


def test_hourly_aqi_array_matches_scalar():
    rng = np.random.default_rng(7)
    n = 3000
    cols = {p: _random_conc(rng, BREAKPOINTS[p], n) for p in
            ("pm25", "pm10", "o3_1h", "co", "so2", "no2")}
    cols["pm25"][rng.random(n) < 0.2] = np.nan
    cols["pm10"][rng.random(n) < 0.2] = np.nan
    aqi, dominant = hourly_aqi_array(cols)
    for i in range(n):
        res = hourly_aqi({p: float(v[i]) for p, v in cols.items()})
        if res is None:
            assert np.isnan(aqi[i]) and dominant[i] == ""
        else:
            assert (int(aqi[i]), dominant[i]) == (res.aqi, res.dominant)
