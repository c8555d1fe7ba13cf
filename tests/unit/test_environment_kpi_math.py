"""Pure environment rules: records, quality flags, vectorised hourly/daily VN_AQI, alert episodes.

Expected values are worked out by hand in the comments (µg/m³ unless a unit is named).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ioc.domain.air_quality import RecordError, normalise_parameter, quality_flags, validate_observation
from ioc.domain.aqi import daily_aqi, hourly_aqi, nowcast, us_epa_pm25_aqi
from ioc.domain.aqi_series import category_codes, daily_aqi_frame, hourly_aqi_frame, us_epa_pm25_array
from ioc.environment_alerts import bad_air_episodes, no_data_episodes

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 1, 0)  # 07:00 local
H = timedelta(hours=1)


def obs_frame(rows: list[tuple[str, str, datetime, float]], flag: str = "ok") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["station_id", "parameter", "hour", "value_ugm3"])
    frame["hour"] = pd.to_datetime(frame["hour"]).astype("datetime64[us]")
    frame["flag"] = flag
    return frame


def series(station: str, parameter: str, start: datetime, values: list[float | None]) -> list[tuple]:
    return [(station, parameter, start + i * H, v) for i, v in enumerate(values) if v is not None]


# --------------------------------------------------------------------------- records


def test_observation_in_ppb_is_converted_and_keyed_by_its_hour():
    # NO2 40 ppb → 40 × 46.0055 / 24.45 = 75.265… µg/m³; +07:00 → UTC
    rec = validate_observation({"station_id": "S1", "parameter": "NO2", "hour": "2026-03-01T10:00:00+07:00",
                                "value": "40", "unit": "ppb"})
    assert rec.parameter == "no2" and rec.hour == datetime(2026, 3, 1, 3)
    assert rec.value == 40 and rec.unit == "ppb"
    assert rec.value_ugm3 == pytest.approx(75.26462, abs=1e-4)
    assert rec.updated_at == datetime(2026, 3, 1, 4)  # default version: the end of the hour


def test_observation_co_in_ppm_and_mg_and_hour_end():
    # CO 1.2 ppm = 1200 ppb → 1200 × 28.010 / 24.45 = 1374.72… µg/m³
    co = validate_observation({"station_id": "S1", "parameter": "co", "hour_end": "2026-03-01T05:00:00Z",
                               "value": 1.2, "unit": "ppm"})
    assert co.value_ugm3 == pytest.approx(1374.7239, abs=1e-3)
    assert co.hour == datetime(2026, 3, 1, 4)  # the hour that ended at 05:00
    mg = validate_observation({"station_id": "S1", "parameter": "co", "hour": "2026-03-01 04:00", "value": "1,5",
                               "unit": "mg/m3"}, ZoneInfo("UTC"))
    assert mg.value_ugm3 == 1500.0


@pytest.mark.parametrize("raw, field", [
    ({"parameter": "pm25", "hour": "2026-03-01T00:00Z", "value": 1, "unit": "ug/m3"}, "station_id"),
    ({"station_id": "S", "parameter": "pm1", "hour": "2026-03-01T00:00Z", "value": 1, "unit": "ug/m3"}, "parameter"),
    ({"station_id": "S", "parameter": "pm25", "hour": "2026-03-01T00:30Z", "value": 1, "unit": "ug/m3"}, "hour"),
    ({"station_id": "S", "parameter": "pm25", "value": 1, "unit": "ug/m3"}, "hour"),
    ({"station_id": "S", "parameter": "pm25", "hour": "2026-03-01T00:00Z", "value": "abc", "unit": "ug/m3"}, "value"),
    ({"station_id": "S", "parameter": "pm25", "hour": "2026-03-01T00:00Z", "value": 3, "unit": "ppb"}, "unit"),
    ({"station_id": "S", "parameter": "so2", "hour": "2026-03-01T00:00Z", "value": 3, "unit": "g/l"}, "unit"),
    ({"station_id": "S", "parameter": "so2", "hour": "yesterday", "value": 3, "unit": "ppb"}, "hour"),
])
def test_bad_observation_names_the_field(raw, field):
    with pytest.raises(RecordError) as err:
        validate_observation(raw)
    assert err.value.field == field


def test_parameter_names():
    assert [normalise_parameter(x) for x in ("PM2.5", "pm2,5", "PM10", "O₃", "Ozone", "SO2", "no2", " co ")] == [
        "pm25", "pm25", "pm10", "o3", "o3", "so2", "no2", "co"]


# --------------------------------------------------------------------------- quality flags


def flags_of(values: list[float], parameter: str = "pm25", gaps: tuple[int, ...] = ()) -> list[str]:
    hours = np.array([T0 + i * H for i in range(len(values) + len(gaps)) if i not in gaps][: len(values)],
                     dtype="datetime64[us]")
    n = len(values)
    return quality_flags(np.array(["S"] * n, dtype=object), np.array([parameter] * n, dtype=object), hours,
                         np.array(values, dtype=float)).tolist()


def test_negative_and_impossible():
    assert flags_of([10, -0.5, 12, 1200, 11]) == ["ok", "negative", "ok", "impossible", "ok"]


def test_stuck_needs_six_equal_consecutive_hours():
    five = [10, 20, 20, 20, 20, 20, 30]
    six = [10, 20, 20, 20, 20, 20, 20, 30]
    assert flags_of(five) == ["ok"] * 7
    assert flags_of(six) == ["ok"] + ["stuck"] * 6 + ["ok"]


def test_stuck_run_broken_by_a_gap_and_low_gas_values_exempt():
    # six 20s but hour 3 is missing: runs of 3 and 3 → not stuck
    assert flags_of([20] * 6, gaps=(3,)) == ["ok"] * 6
    # SO2 at 5 µg/m³ for 8 hours: at or below the 10 µg/m³ floor, a coarse analyser → not stuck
    assert flags_of([5] * 8, "so2") == ["ok"] * 8
    assert flags_of([15] * 8, "so2") == ["stuck"] * 8


def test_spike_is_one_isolated_hour():
    # 200 vs neighbours 20 and 30: 200 ≥ 4 × 30 and 200 − 30 = 170 ≥ 50 → spike
    assert flags_of([20, 200, 30, 25]) == ["ok", "spike", "ok", "ok"]
    # two high hours in a row are an episode, not spikes
    assert flags_of([20, 200, 210, 25]) == ["ok"] * 4
    # 100 vs 20, 30: ratio ok (≥ 4 × 30 = 120? no: 100 < 120) → not a spike
    assert flags_of([20, 100, 30]) == ["ok"] * 3
    # the newest hour cannot be judged yet
    assert flags_of([20, 30, 200]) == ["ok"] * 3
    # a missing hour next to it does not hide a spike: 00:00 20, 01:00 200, (02:00 missing), 03:00 30
    assert flags_of([20, 200, 30, 25], gaps=(2,)) == ["ok", "spike", "ok", "ok"]
    # but a neighbour 3 hours away is too far to judge by: 00:00 20, 01:00 200, 04:00 30
    assert flags_of([20, 200, 30], gaps=(2, 3)) == ["ok"] * 3


def test_flags_are_per_series():
    # station A ends with 20 (×3) and station B starts with 20 (×3): not one run of six
    st = np.array(["A"] * 3 + ["B"] * 3, dtype=object)
    hours = np.array([T0 + i * H for i in range(3)] * 2, dtype="datetime64[us]")
    out = quality_flags(st, np.array(["pm25"] * 6, dtype=object), hours, np.full(6, 20.0))
    assert out.tolist() == ["ok"] * 6


# --------------------------------------------------------------------------- hourly AQI frame


def test_hourly_nowcast_with_missing_hour_matches_hand_value():
    # PM2.5, newest first at 03:00: c1 = 40, c2 missing, c3 = 10 → w = 0.5,
    # (40 + 0.25·10) / (1 + 0.25) = 34 → sub-index 50 + 2·(34 − 25) = 68
    obs = obs_frame(series("S", "pm25", T0 + H, [10, None, 40]))
    out = hourly_aqi_frame(obs, T0 + 3 * H, T0 + 4 * H)
    assert out["pm25_nowcast"].tolist() == [34.0]
    assert out["aqi"].tolist() == [68] and out["category"].tolist() == ["moderate"]


def test_hourly_two_of_three_rule():
    # data at 00:00 and 01:00 only. 02:00: c1 missing, c2, c3 present → NowCast; 03:00: only c3 → none
    obs = obs_frame(series("S", "pm25", T0, [20, 20]))
    out = hourly_aqi_frame(obs, T0, T0 + 4 * H)
    # 00:00 has only c1 (1 of 3) → no AQI; 01:00 and 02:00 → 20 µg/m³ → 40
    assert out["hour"].tolist() == [pd.Timestamp(T0 + H), pd.Timestamp(T0 + 2 * H)]
    assert out["aqi"].tolist() == [40, 40]


def test_hourly_gas_uses_current_hour_and_pm_is_required():
    # NO2 alone never gives an AQI; with PM10 NowCast 30 (→ 30) and NO2 250 (→ 100 + 0.1·50 = 105)
    gas_only = obs_frame(series("S", "no2", T0, [250, 250, 250]))
    assert hourly_aqi_frame(gas_only, T0, T0 + 3 * H).empty
    obs = obs_frame(series("S", "pm10", T0, [30, 30, 30]) + series("S", "no2", T0 + 2 * H, [250]))
    out = hourly_aqi_frame(obs, T0 + 2 * H, T0 + 3 * H)
    assert out["aqi"].tolist() == [105] and out["dominant"].tolist() == ["no2"]
    assert out["sub_pm10"].tolist() == [30] and out["sub_no2"].tolist() == [105]


def test_hourly_frame_equals_scalar_rules_on_random_series():
    rng = np.random.default_rng(4)
    rows = []
    for st in ("A", "B", "C"):
        for p, scale in (("pm25", 60), ("pm10", 120), ("o3", 180), ("co", 12_000), ("so2", 300), ("no2", 250)):
            for i in range(60):
                if rng.random() > 0.2:
                    rows.append((st, p, T0 + i * H, float(np.round(rng.gamma(2.0, scale / 2), 1))))
    obs = obs_frame(rows)
    out = hourly_aqi_frame(obs, T0 + 11 * H, T0 + 60 * H).set_index(["station_id", "hour"])
    expected = {}
    grid = {(s, p, h): v for s, p, h, v in rows}
    for st in ("A", "B", "C"):
        for i in range(11, 60):
            hour = T0 + i * H
            pm = {p: nowcast([grid.get((st, p, hour - k * H)) for k in range(12)]) for p in ("pm25", "pm10")}
            res = hourly_aqi({**pm, "o3_1h": grid.get((st, "o3", hour)), "co": grid.get((st, "co", hour)),
                              "so2": grid.get((st, "so2", hour)), "no2": grid.get((st, "no2", hour))})
            if res is not None:
                expected[(st, pd.Timestamp(hour))] = (res.aqi, res.dominant, res.category)
    got = {k: (int(r["aqi"]), r["dominant"], r["category"]) for k, r in out.iterrows()}
    assert got == expected and len(got) > 100


def test_flagged_values_are_kept_out():
    obs = obs_frame(series("S", "pm25", T0, [20, 20, 20]))
    obs.loc[2, "flag"] = "spike"  # the newest hour is flagged: c1 missing, c2 and c3 → still 20
    obs.loc[2, "value_ugm3"] = 900.0
    out = hourly_aqi_frame(obs, T0 + 2 * H, T0 + 3 * H)
    assert out["pm25_nowcast"].tolist() == [20.0]


def test_us_epa_array_matches_scalar():
    values = np.array([0, 9.0, 9.05, 9.1, 12.34, 35.4, 35.45, 35.5, 55.4, 55.5, 125.4, 125.5, 225.4, 225.5, 325.4,
                       325.5, 700.0])
    assert us_epa_pm25_array(values).tolist() == [float(us_epa_pm25_aqi(v)) for v in values]
    assert np.isnan(us_epa_pm25_array(np.array([-1.0, np.nan]))).all()


def test_category_codes_at_edges():
    assert category_codes(np.array([0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500, np.nan])).tolist() == [
        "good", "good", "moderate", "moderate", "poor", "poor", "bad", "bad", "very_bad", "very_bad", "hazardous",
        "hazardous", None]


# --------------------------------------------------------------------------- daily AQI frame


def local_day_hours(day: date) -> list[datetime]:
    """The 24 UTC hour starts of local ``day`` in Huế (UTC+7)."""
    start = datetime(day.year, day.month, day.day, tzinfo=HUE).astimezone(UTC).replace(tzinfo=None)
    return [start + i * H for i in range(24)]


def test_daily_decision_example_through_the_frame():
    # The decision's daily example: PM2.5 24 h mean 55.7, NO2 max 130.8, O3 max 1 h 114.6 → 110 (pm25)
    day = date(2026, 3, 2)
    hours = local_day_hours(day)
    pm = [55.7 + (1 if i % 2 else -1) for i in range(24)]  # mean 55.7
    no2 = [100.0] * 23 + [130.8]
    o3 = [60.0] * 23 + [114.6]
    rows = ([("S", "pm25", h, v) for h, v in zip(hours, pm, strict=True)]
            + [("S", "no2", h, v) for h, v in zip(hours, no2, strict=True)]
            + [("S", "o3", h, v) for h, v in zip(hours, o3, strict=True)])
    out = daily_aqi_frame(obs_frame(rows), pd.DataFrame(columns=["station_id", "hour", "category"]), HUE)
    row = out[out["day"] == day].iloc[0]
    assert row["pm25_24h"] == pytest.approx(55.7) and row["no2_max"] == 130.8 and row["o3_1h_max"] == 114.6
    assert (row["aqi"], row["dominant"], row["category"]) == (110, "pm25", "poor")
    assert (row["sub_pm25"], row["sub_no2"], row["sub_o3_1h"]) == (110, 65, 36)
    # O3 8 h: windows ending at local hours 5 … 23 hold ≥ 6 values (19 ≥ 18 windows); the largest
    # ends at 23:00: (7·60 + 114.6)/8 = 66.825 → 0.5·66.825 = 33.4 → 33
    assert row["o3_8h_max"] == pytest.approx(66.825) and row["sub_o3_8h"] == 33
    assert daily_aqi({"pm25": 55.7, "no2": 130.8, "o3_1h": 114.6, "o3_8h": 66.825}).aqi == row["aqi"]
    # US EPA of the 24 h mean 55.7 → truncated 55.7: (200 − 151)/(125.4 − 55.5)·(55.7 − 55.5) + 151 = 151.14 → 151
    assert row["epa_pm25"] == 151
    assert (row["valid_obs"], row["flagged_obs"], row["hours_reported"]) == (72, 0, 24)


def test_daily_needs_18_valid_hours_and_counts_flags():
    day = date(2026, 3, 2)
    hours = local_day_hours(day)
    rows = [("S", "pm25", h, 30.0) for h in hours[:17]]  # 17 valid hours: not enough
    obs = obs_frame(rows)
    extra = obs_frame([("S", "pm25", hours[17], -3.0)], flag="negative")
    out = daily_aqi_frame(pd.concat([obs, extra], ignore_index=True), pd.DataFrame(
        columns=["station_id", "hour", "category"]), HUE)
    row = out.iloc[0]
    assert pd.isna(row["aqi"]) and np.isnan(row["pm25_24h"])
    assert (row["valid_obs"], row["flagged_obs"], row["hours_reported"]) == (17, 1, 18)


def test_daily_o3_takes_larger_of_1h_and_8h():
    # O3 1 h max 150 (→ 50·150/160 = 46.875) vs 8 h max 110 (→ 50 + 2.5·10 = 75) → 75; PM2.5 10 (→ 20)
    day = date(2026, 3, 2)
    hours = local_day_hours(day)
    o3 = [110.0] * 10 + [150.0] + [110.0] * 13
    rows = [("S", "o3", h, v) for h, v in zip(hours, o3, strict=True)] + [("S", "pm25", h, 10.0) for h in hours]
    row = daily_aqi_frame(obs_frame(rows), pd.DataFrame(columns=["station_id", "hour", "category"]), HUE).iloc[0]
    # windows of 8 hours ending 7 … 23 local are complete; the 8 h max includes the 150: (7·110 + 150)/8 = 115
    assert row["o3_8h_max"] == pytest.approx(115.0)
    # sub 8 h: 50 + 50/20·(115 − 100) = 87.5 → 88; sub 1 h: 46.875 → 47
    assert (row["sub_o3_8h"], row["sub_o3_1h"], row["aqi"], row["dominant"]) == (88, 47, 88, "o3_8h")


def test_daily_hours_by_category_from_hourly():
    day = date(2026, 3, 2)
    hours = local_day_hours(day)
    hourly = pd.DataFrame({"station_id": "S", "hour": hours[:5], "category": ["good", "good", "bad", "poor", "good"]})
    rows = [("S", "pm25", h, 30.0) for h in hours]
    row = daily_aqi_frame(obs_frame(rows), hourly, HUE).iloc[0]
    assert (row["h_good"], row["h_poor"], row["h_bad"], row["hours_aqi"]) == (3, 1, 1, 5)


# --------------------------------------------------------------------------- alert episodes


def test_bad_air_episode_ends_at_first_lower_hour():
    hours = [T0 + i * H for i in range(8)]
    aqi = [120, 155, 170, None, 160, 140, 180, 90]
    eps = bad_air_episodes("S", hours, aqi, now=T0 + 10 * H)
    # 155 at 01:00 … (02:00 170, 03:00 missing bridged, 04:00 160) → ends 05:00 (140); again 06:00 → 07:00
    assert [(e.started_at, e.ended_at, e.severity, e.details["peak_aqi"]) for e in eps] == [
        (T0 + H, T0 + 5 * H, "bad", 170), (T0 + 6 * H, T0 + 7 * H, "bad", 180)]


def test_bad_air_still_active_and_ended_by_silence():
    hours = [T0, T0 + H]
    active = bad_air_episodes("S", hours, [210, 240], now=T0 + 3 * H)
    assert active[0].ended_at is None and active[0].severity == "very_bad"
    # three whole hours without any AQI after the last bad hour: ended one hour after it
    silent = bad_air_episodes("S", hours, [210, 240], now=T0 + 5 * H)
    assert silent[0].ended_at == T0 + 2 * H


def test_no_data_episodes():
    reported = [T0, T0 + H, T0 + 5 * H, T0 + 6 * H, T0 + 8 * H]
    eps = no_data_episodes("S", reported, T0, now=T0 + 12 * H)
    # gap 02:00–05:00 = 3 whole hours → alert [02:00, 05:00); gap of one hour (07:00) → none;
    # after 08:00: silent from 09:00, and at 12:00 that is 3 hours → active
    assert [(e.started_at, e.ended_at) for e in eps] == [(T0 + 2 * H, T0 + 5 * H), (T0 + 9 * H, None)]
    assert no_data_episodes("S", reported, T0, now=T0 + 11 * H)[-1].ended_at == T0 + 5 * H  # 2 h: not yet


def test_no_data_needs_a_report_before():
    assert no_data_episodes("S", [T0 + 10 * H], T0, now=T0 + 11 * H) == []
    eps = no_data_episodes("S", [T0 + 10 * H], T0, now=T0 + 11 * H, reported_before=T0 - 2 * H)
    assert [(e.started_at, e.ended_at) for e in eps] == [(T0 - H, T0 + 10 * H)]
