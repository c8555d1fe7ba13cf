"""Fine schedule (decrees 100/2019, 123/2021, 168/2024) and Vietnamese plates."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from ioc.domain.traffic import (
    DECREE_100_2019,
    DECREE_100_2019_123_2021,
    DECREE_168_2024,
    DEFAULT_SCHEDULE_PATH,
    SCHEDULE_COLUMNS,
    FineRange,
    FineRule,
    FineSchedule,
    Plate,
    VehicleClass,
    ViolationType,
    check_fine,
    check_fines,
    format_vnd,
    normalise_plate,
    normalise_plates,
    parse_plate,
    plate_issue,
    province_of,
    range_for,
    vehicle_label,
    violation_label,
)

M = 1_000_000
K = 1_000


@pytest.fixture(scope="module")
def schedule() -> FineSchedule:
    return FineSchedule.load()


# -- schedule as data ----------------------------------------------------------------------
def test_csv_has_expected_columns_and_codes(schedule: FineSchedule) -> None:
    frame = pd.read_csv(DEFAULT_SCHEDULE_PATH, dtype=str)
    assert tuple(frame.columns) == SCHEDULE_COLUMNS
    assert set(frame["violation_type"]) == {v.value for v in ViolationType}
    assert set(frame["vehicle_class"]) == {"car", "motorbike", "truck"}
    assert set(frame["decree"]) == {DECREE_100_2019, DECREE_100_2019_123_2021, DECREE_168_2024}
    assert len(schedule.rules) == len(frame)


def test_round_trip_through_rows_and_frame(schedule: FineSchedule) -> None:
    rows = schedule.to_rows()
    assert FineSchedule.from_rows(rows).rules == schedule.rules
    assert FineSchedule.from_frame(schedule.to_frame()).rules == schedule.rules
    assert isinstance(rows[0]["valid_from"], date)


def test_overlapping_periods_rejected() -> None:
    def rule(start: date, end: date | None) -> FineRule:
        return FineRule(ViolationType.RED_LIGHT, VehicleClass.CAR, "x", start, end, 1, 2)

    with pytest.raises(ValueError, match="overlapping"):
        FineSchedule([rule(date(2020, 1, 1), date(2022, 1, 1)), rule(date(2022, 1, 1), None)])
    with pytest.raises(ValueError, match="bad range"):
        FineSchedule([FineRule(ViolationType.RED_LIGHT, VehicleClass.CAR, "x", None, None, 5, 1)])
    with pytest.raises(ValueError):
        FineSchedule.from_rows([{"violation_type": "jaywalking", "vehicle_class": "car",
                                 "decree": "x", "min_vnd": 1, "max_vnd": 2}])


# -- ranges by date ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("violation", "vehicle", "day", "expected"),
    [
        # red light, car: 100/2019 → amended by 123/2021 → 168/2024
        ("red_light", "car", date(2021, 12, 31), (3 * M, 5 * M, DECREE_100_2019)),
        ("red_light", "car", date(2022, 1, 1), (4 * M, 6 * M, DECREE_100_2019_123_2021)),
        ("red_light", "car", date(2024, 12, 31), (4 * M, 6 * M, DECREE_100_2019_123_2021)),
        ("red_light", "car", date(2025, 1, 1), (18 * M, 20 * M, DECREE_168_2024)),
        # red light, motorbike
        ("red_light", "motorbike", date(2021, 12, 31), (600 * K, 1 * M, DECREE_100_2019)),
        ("red_light", "motorbike", date(2022, 1, 1), (800 * K, 1 * M, DECREE_100_2019_123_2021)),
        ("red_light", "motorbike", date(2024, 12, 31), (800 * K, 1 * M, DECREE_100_2019_123_2021)),
        ("red_light", "motorbike", date(2025, 1, 1), (4 * M, 6 * M, DECREE_168_2024)),
        # trucks follow the car column
        ("red_light", "truck", date(2024, 12, 31), (4 * M, 6 * M, DECREE_100_2019_123_2021)),
        ("red_light", "truck", date(2025, 1, 1), (18 * M, 20 * M, DECREE_168_2024)),
        ("speeding_over_35", "truck", date(2025, 6, 1), (12 * M, 14 * M, DECREE_168_2024)),
        # rows not amended by 123/2021 keep the 100/2019 figure
        ("wrong_way", "car", date(2021, 12, 31), (3 * M, 5 * M, DECREE_100_2019)),
        ("wrong_way", "car", date(2023, 3, 3), (3 * M, 5 * M, DECREE_100_2019_123_2021)),
        ("wrong_way", "car", date(2025, 1, 1), (18 * M, 20 * M, DECREE_168_2024)),
        ("wrong_way", "motorbike", date(2024, 12, 31), (1 * M, 2 * M, DECREE_100_2019_123_2021)),
        ("wrong_way", "motorbike", date(2025, 1, 1), (4 * M, 6 * M, DECREE_168_2024)),
        ("signs_markings", "car", date(2024, 12, 31), (200 * K, 400 * K, DECREE_100_2019_123_2021)),
        ("signs_markings", "car", date(2025, 1, 1), (400 * K, 600 * K, DECREE_168_2024)),
        ("signs_markings", "motorbike", date(2020, 6, 1), (100 * K, 200 * K, DECREE_100_2019)),
        ("speeding_5_10", "car", date(2024, 12, 31), (800 * K, 1 * M, DECREE_100_2019_123_2021)),
        ("speeding_5_10", "motorbike", date(2025, 1, 1), (400 * K, 600 * K, DECREE_168_2024)),
        ("speeding_10_20", "car", date(2024, 12, 31), (3 * M, 5 * M, DECREE_100_2019_123_2021)),
        ("speeding_10_20", "motorbike", date(2025, 1, 1), (800 * K, 1 * M, DECREE_168_2024)),
        ("speeding_20_35", "car", date(2024, 12, 31), (6 * M, 8 * M, DECREE_100_2019_123_2021)),
        ("speeding_20_35", "motorbike", date(2024, 12, 31),
         (4 * M, 5 * M, DECREE_100_2019_123_2021)),
        ("speeding_20_35", "motorbike", date(2025, 1, 1), (6 * M, 8 * M, DECREE_168_2024)),
        ("speeding_over_35", "car", date(2024, 12, 31),
         (10 * M, 12 * M, DECREE_100_2019_123_2021)),
        ("speeding_over_35", "car", date(2025, 1, 1), (12 * M, 14 * M, DECREE_168_2024)),
        # motorbikes: the ">20 km/h" row covers everything above 20
        ("speeding_over_35", "motorbike", date(2025, 1, 1), (6 * M, 8 * M, DECREE_168_2024)),
        ("wrong_lane", "car", date(2025, 1, 1), (4 * M, 6 * M, DECREE_168_2024)),
        ("wrong_lane", "motorbike", date(2024, 12, 31),
         (400 * K, 600 * K, DECREE_100_2019_123_2021)),
        ("wrong_lane", "motorbike", date(2025, 1, 1), (600 * K, 800 * K, DECREE_168_2024)),
        ("no_helmet", "motorbike", date(2024, 12, 31),
         (200 * K, 300 * K, DECREE_100_2019_123_2021)),
        ("no_helmet", "motorbike", date(2025, 1, 1), (400 * K, 600 * K, DECREE_168_2024)),
        ("handheld_phone", "car", date(2024, 12, 31), (1 * M, 2 * M, DECREE_100_2019_123_2021)),
        ("handheld_phone", "car", date(2025, 1, 1), (4 * M, 6 * M, DECREE_168_2024)),
        ("handheld_phone", "motorbike", date(2025, 1, 1), (800 * K, 1 * M, DECREE_168_2024)),
    ],
)
def test_range_for(schedule: FineSchedule, violation: str, vehicle: str, day: date,
                   expected: tuple[int, int, str]) -> None:
    assert schedule.range_for(violation, vehicle, day) == FineRange(*expected)


@pytest.mark.parametrize(
    ("violation", "vehicle", "day"),
    [
        ("no_helmet", "car", date(2024, 6, 1)),
        ("no_helmet", "car", date(2025, 6, 1)),
        ("no_helmet", "truck", date(2025, 6, 1)),
        ("red_light", "other", date(2025, 6, 1)),
        ("red_light", "bicycle", date(2025, 6, 1)),
        ("jaywalking", "car", date(2025, 6, 1)),
        ("red_light", "car", date(2019, 12, 31)),  # before Decree 100/2019 took effect
    ],
)
def test_no_schedule(schedule: FineSchedule, violation: str, vehicle: str, day: date) -> None:
    assert schedule.range_for(violation, vehicle, day) is None
    result = schedule.check_fine(violation, vehicle, day, 1 * M)
    assert result.in_range is None and result.range is None
    assert "No fine schedule" in result.reason


def test_enums_and_datetimes_accepted(schedule: FineSchedule) -> None:
    by_enum = schedule.range_for(ViolationType.RED_LIGHT, VehicleClass.CAR, date(2025, 1, 1))
    by_datetime = schedule.range_for("red_light", "car", datetime(2025, 1, 1, 0, 30))
    assert by_enum == by_datetime == FineRange(18 * M, 20 * M, DECREE_168_2024)
    assert range_for("red_light", "car", date(2024, 12, 31)) == FineRange(
        4 * M, 6 * M, DECREE_100_2019_123_2021)


# -- checking fines ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "fine", "in_range", "word"),
    [
        (date(2024, 12, 31), 3_999_999, False, "below"),
        (date(2024, 12, 31), 4 * M, True, "within"),  # bounds are inclusive
        (date(2024, 12, 31), 6 * M, True, "within"),
        (date(2024, 12, 31), 6_000_001, False, "above"),
        (date(2024, 12, 31), 18 * M, False, "above"),  # the 2025 fine, a year early
        (date(2025, 1, 1), 5 * M, False, "below"),  # the old fine after the change
        (date(2025, 1, 1), 18 * M, True, "within"),
        (date(2025, 1, 1), 20 * M, True, "within"),
        (date(2025, 1, 1), 20_000_001, False, "above"),
    ],
)
def test_check_fine_red_light_car(day: date, fine: int, in_range: bool, word: str) -> None:
    result = check_fine("red_light", "car", day, fine)
    assert result.in_range is in_range
    assert word in result.reason


def test_reason_names_decree_and_range() -> None:
    result = check_fine("red_light", "car", date(2025, 3, 1), 3 * M)
    assert result.reason == (
        "Fine 3,000,000 VND is below the legal range 18,000,000–20,000,000 VND "
        "(Decree 168/2024/NĐ-CP)")
    vi = check_fine("red_light", "motorbike", date(2023, 3, 1), 2 * M, lang="vi")
    assert vi.in_range is False
    assert vi.reason == (
        "Mức phạt 2.000.000 ₫ cao hơn khung 800.000–1.000.000 ₫ "
        "(Nghị định 100/2019/NĐ-CP + 123/2021/NĐ-CP)")


def test_missing_fine_cannot_be_checked() -> None:
    for missing in (None, float("nan")):
        result = check_fine("red_light", "car", date(2025, 3, 1), missing)
        assert result.in_range is None
        assert result.range == FineRange(18 * M, 20 * M, DECREE_168_2024)


def test_motorbike_bounds() -> None:
    assert check_fine("no_helmet", "motorbike", date(2025, 1, 1), 400 * K).in_range is True
    assert check_fine("no_helmet", "motorbike", date(2025, 1, 1), 600 * K).in_range is True
    assert check_fine("no_helmet", "motorbike", date(2025, 1, 1), 300 * K).in_range is False
    assert check_fine("no_helmet", "motorbike", date(2024, 12, 31), 300 * K).in_range is True
    assert check_fine("no_helmet", "motorbike", date(2024, 12, 31), 400 * K).in_range is False


def _random_cases(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vts = [v.value for v in ViolationType] + ["unknown"]
    vcs = [v.value for v in VehicleClass]
    days = pd.Timestamp("2019-11-01") + pd.to_timedelta(rng.integers(0, 2400, n), unit="D")
    # Fines near the legal bounds, in 100 k steps, so both sides and the bounds are hit.
    fines = rng.integers(0, 220, n) * 100 * K
    frame = pd.DataFrame({"violation_type": rng.choice(vts, n), "vehicle_class": rng.choice(vcs, n),
                          "local_date": days, "fine_vnd": fines.astype(float)})
    frame.loc[frame.sample(frac=0.02, random_state=seed).index, "fine_vnd"] = np.nan
    return frame


def test_vectorised_equals_scalar(schedule: FineSchedule) -> None:
    frame = _random_cases(5000)
    frame.index = frame.index * 3 + 11  # non-default index must be kept
    result = schedule.check_fines(frame)
    assert list(result.index) == list(frame.index)
    assert str(result["fine_out_of_range"].dtype) == "boolean"
    for row, (flag, decree, lo, hi) in zip(frame.itertuples(), result.itertuples(index=False),
                                           strict=True):
        scalar = schedule.check_fine(row.violation_type, row.vehicle_class,
                                     row.local_date.date(), row.fine_vnd)
        if scalar.in_range is None:
            assert flag is pd.NA
        else:
            assert flag is not pd.NA and bool(flag) is (not scalar.in_range)
        if scalar.range is None:
            assert pd.isna(decree) and lo is pd.NA and hi is pd.NA
        else:
            assert (lo, hi, decree) == (scalar.range.min_vnd, scalar.range.max_vnd,
                                        scalar.range.decree)
    counts = result["fine_out_of_range"].value_counts(dropna=False)
    assert counts[True] > 0 and counts[False] > 0 and result["fine_out_of_range"].isna().any()


def test_vectorised_input_types(schedule: FineSchedule) -> None:
    frame = pd.DataFrame({
        "violation_type": ["red_light", "red_light", "red_light", "no_helmet", "red_light"],
        "vehicle_class": ["car", "car", "truck", "car", "motorbike"],
        "local_date": [date(2024, 12, 31), "2025-01-01", datetime(2025, 1, 1, 23, 59), None,
                       "not a date"],
        "fine_vnd": [4 * M, 4 * M, 20 * M, 300 * K, 1 * M],
    })
    expected = [False, True, False, pd.NA, pd.NA]
    assert check_fines(frame)["fine_out_of_range"].tolist() == expected
    as_categories = frame.astype({"violation_type": "category", "vehicle_class": "category"})
    assert check_fines(as_categories)["fine_out_of_range"].tolist() == expected
    aware = frame.iloc[:3].assign(local_date=pd.to_datetime(
        ["2024-12-31 23:00", "2025-01-01 00:30", "2025-01-01 12:00"]).tz_localize(
        "Asia/Ho_Chi_Minh"))
    assert check_fines(aware)["fine_out_of_range"].tolist() == [False, True, False]
    assert check_fines(frame.iloc[:0]).empty


# -- labels --------------------------------------------------------------------------------
def test_labels() -> None:
    assert violation_label("red_light") == "Vượt đèn đỏ"
    assert violation_label("red_light", "en") == "Red light"
    assert violation_label(ViolationType.WRONG_WAY) == "Đi ngược chiều"
    assert violation_label("no_helmet") == "Không đội mũ bảo hiểm"
    assert violation_label("signs_markings") == "Không chấp hành biển báo, vạch kẻ đường"
    assert violation_label("wrong_lane") == "Đi sai làn đường"
    assert violation_label("handheld_phone") == "Dùng điện thoại khi lái xe"
    assert violation_label("speeding_10_20").startswith("Chạy quá tốc độ")
    assert all(violation_label(v) != v.value for v in ViolationType)
    assert [vehicle_label(v) for v in VehicleClass] == ["Ô tô", "Xe máy", "Xe tải", "Khác"]
    assert vehicle_label("car", "en") == "Car"
    assert violation_label("unknown") == "unknown"


def test_format_vnd() -> None:
    assert format_vnd(296_050_000) == "296.050.000 ₫"
    assert format_vnd(296_050_000, "en") == "296,050,000 VND"


# -- plates --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("75A-123.45", "75A-123.45"),
        ("75a12345", "75A-123.45"),
        (" 75A 123 45 ", "75A-123.45"),
        ("75 a-123.45", "75A-123.45"),
        ("75A.123.45", "75A-123.45"),
        ("75A-1234", "75A-1234"),
        ("75a 1234", "75A-1234"),
        ("75LD-012.34", "75LD-012.34"),
        ("75ld01234", "75LD-012.34"),
        ("43A-999.99", "43A-999.99"),
        ("11A-000.01", "11A-000.01"),
        ("99Z-12345", "99Z-123.45"),
        ("75-B1 234.56", "75-B1 234.56"),
        ("75-b1-234.56", "75-B1 234.56"),
        ("75B123456", "75-B1 234.56"),
        ("75 b1 23456", "75-B1 234.56"),
        ("  75-B1   234.56\t", "75-B1 234.56"),
        ("75-B1 2345", "75-B1 2345"),  # old 4-digit motorbike plate
        ("75-b1-2345", "75-B1 2345"),
        ("75-AB 123.45", "75-AB 123.45"),  # two-letter motorbike series, laid out as one
        ("75B12345", "75B-123.45"),  # no layout hint: read as a car
        ("75B-123.45", "75B-123.45"),
    ],
)
def test_parse_good_plates(text: str, canonical: str) -> None:
    assert normalise_plate(text) == canonical
    assert plate_issue(text) is None
    assert normalise_plate(canonical) == canonical  # canonical form is a fixed point


def test_plate_parts() -> None:
    assert parse_plate("75a12345") == Plate("75", "A", "12345", "car")
    assert parse_plate("75-b1-234.56") == Plate("75", "B1", "23456", "motorbike")
    assert parse_plate("75LD-012.34") == Plate("75", "LD", "01234", "car")
    assert str(parse_plate("75-B1 2345")) == "75-B1 2345"
    assert province_of("43A-123.45") == "43"
    assert province_of(parse_plate("75-B1 234.56")) == "75"
    assert province_of("nonsense") is None


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("ABC", "province code"),
        ("7A-123.45", "province code"),
        ("751A-123.45", "province code"),
        ("00A-123.45", "province code 00"),
        ("10A-123.45", "province code 10"),
        ("75A-12.3", "4 or 5 digits"),
        ("75A-123", "4 or 5 digits"),
        ("75A-12B.45", "letters where digits belong"),
        ("75-B1 234.5X", "letters where digits belong"),
        ("75ABC-123.45", "more than two letters"),
        ("75-123.45", "series letter"),
        ("75A-1234567", "too many digits"),
        ("75LD-123456", "too many digits"),
        ("75A-123.45!", "unexpected character"),
        ("75A—123,45", "unexpected character"),
    ],
)
def test_bad_plates(text: str | None, issue: str) -> None:
    assert parse_plate(text) is None
    assert normalise_plate(text) is None
    assert issue in (plate_issue(text) or "")


def test_normalise_plates_vectorised() -> None:
    raw = pd.Series(["75a12345", "bad", None, "75-b1-234.56", "75a12345"], index=[5, 6, 7, 8, 9])
    out = normalise_plates(raw)
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert out.tolist() == ["75A-123.45", pd.NA, pd.NA, "75-B1 234.56", "75A-123.45"]
