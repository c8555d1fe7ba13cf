"""``python -m ioc aqi``, ``import environment`` and ``kpi environment`` as real subprocesses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ioc.domain.aqi import hourly_aqi, nowcast
from tests.integration.test_cli import ioc, one_line_error

HUE = ZoneInfo("Asia/Ho_Chi_Minh")


def aqi(tmp_path: Path, *args: str) -> dict:
    result = ioc(tmp_path / "unused.sqlite", "aqi", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_daily_worked_example_of_the_decision(tmp_path: Path):
    out = aqi(tmp_path, "--daily", "pm25=55.7", "no2=130.8", "o3_1h=114.6", "o3_8h=89.3")
    assert out["aqi"] == 110 and out["dominant"] == "pm25" and out["category"] == "poor"
    assert (out["label_vi"], out["label_en"], out["colour"]) == ("Kém", "Poor", "#FF7E00")
    assert out["sub"] == {"pm25": 110, "o3_1h": 36, "o3_8h": 45, "no2": 65}
    assert out["us_epa_pm25"] == 151  # 55.7 → (200 − 151)/(125.4 − 55.5)·0.2 + 151 = 151.14


@pytest.mark.parametrize("args, expected", [
    # O3 1 h 136.1 (worked example) with PM10 10 (→ 10): 42.53 → 43, O3 dominant
    (("pm10=10", "o3_1h=136.1"), (43, "o3_1h", "good")),
    # edges: PM2.5 25 → 50 (good), 25.1 → 50.2 → 50, 25.3 → 50.6 → 51 (moderate)
    (("pm25=25",), (50, "pm25", "good")),
    (("pm25=25.3",), (51, "pm25", "moderate")),
    # PM10 150 → 100; 151 → 100.5 → 101 (half up, poor)
    (("pm10=151",), (101, "pm10", "poor")),
    # CO 1.2 ppm → 1374.7 µg/m³ → 6.87; SO2 ≥ 2630 → 500 with PM10 20
    (("pm10=20", "so2=2630"), (500, "so2", "hazardous")),
    # NO2 in ppb: 150 ppb × 46.0055/24.45 = 282.25 µg/m³ → 100 + 0.1·82.25 = 108.2 → 108
    (("pm25=10", "no2=150ppb"), (108, "no2", "poor")),
])
def test_hourly_vectors(tmp_path: Path, args, expected):
    out = aqi(tmp_path, "--hourly", *args)
    assert (out["aqi"], out["dominant"], out["category"]) == expected


def test_nowcast_with_missing_hours(tmp_path: Path):
    hours = [20.6, 19.6, None, 22.4, 21.0, 18.0]
    out = aqi(tmp_path, "--nowcast", "pm25", "--hours", "20.6,19.6,,22.4,21,18")
    # w* = 18/22.4 = 0.80357; missing hour 3 keeps its position
    assert out["nowcast"] == pytest.approx(nowcast(hours), abs=1e-4) and out["hours_used"] == 5
    assert out["weight"] == pytest.approx(18 / 22.4, abs=1e-6)
    assert out["aqi"] == hourly_aqi({"pm25": nowcast(hours)}).aqi == 41


def test_nowcast_two_of_three_rule_fails_clearly(tmp_path: Path):
    result = ioc(tmp_path / "unused.sqlite", "aqi", "--nowcast", "pm25", "--hours", "20.6,,,22.4", "--json")
    assert one_line_error(result) == "error: NowCast needs at least 2 of the 3 most recent hourly means; got 1"
    assert result.stdout == ""


@pytest.mark.parametrize("args, needle", [
    (("--nowcast", "no2", "--hours", "1,2,3"), "applies to pm25 and pm10"),
    (("--nowcast", "pm10", "--hours", "1,abc,3"), "'abc' is not a number"),
    (("--nowcast", "pm10"), "needs --hours"),
    (("--daily", "pm25=x"), "not POLLUTANT=VALUE"),
    (("--daily", "pm1=3"), "unknown pollutant 'pm1'"),
    (("--daily", "no2=100"), "PM2.5 or PM10 must be given"),
    (("--daily", "pm25=10", "co=3furlongs"), "unknown unit"),
    (("--hourly", "pm25=10", "o3_8h=50"), "o3_8h does not enter the hourly AQI"),
])
def test_bad_input_one_line_exit_2(tmp_path: Path, args, needle):
    line = one_line_error(ioc(tmp_path / "unused.sqlite", "aqi", *args))
    assert needle in line


def test_import_file_then_kpis(tmp_path: Path):
    db = tmp_path / "env.sqlite"
    top = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    hours = [top - timedelta(hours=12 - i) for i in range(12)]
    lines = ["station_id,parameter,hour,value,unit,station_name,lat,lon"]
    for i, h in enumerate(hours):
        local = h.replace(tzinfo=UTC).astimezone(HUE)
        lines.append(f"T1,PM2.5,{local:%d/%m/%Y %H:%M},\"{100 + (i % 2)},0\",ug/m3,Trạm thử,16.46,107.59")
        lines.append(f"T1,NO2,{h.isoformat()}Z,{40 + i},ppb,,,")
    lines.append(f"T1,PM2.5,{hours[0].isoformat()}Z,abc,ug/m3,,,")
    lines.append(f"T1,PM1,{hours[0].isoformat()}Z,3,ug/m3,,,")
    path = tmp_path / "quan-trac.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ioc(db, "import", "environment", str(path), "--quiet", "--json")
    outcome = json.loads(result.stdout)
    assert result.returncode == 0 and outcome["status"] == "ok", result.stderr
    assert (outcome["inserted"], outcome["rejected"]) == (24, 2)
    rejected = ioc(db, "quarantine", "--source", "import:quan-trac.csv").stdout
    assert "row 26: value: not a number: 'abc'" in rejected and "row 27: parameter: unknown parameter 'PM1'" in rejected
    today = datetime.now(UTC).astimezone(HUE).date()
    kpis = json.loads(ioc(db, "kpi", "environment", "--from", str(today - timedelta(days=2)), "--to", str(today),
                          "--json").stdout)
    assert set(kpis) >= {"stations", "reporting_stations", "aqi_now", "worst_station", "hours_by_category",
                         "exceedance_days", "completeness", "active_alerts"}
    assert kpis["stations"] == 1 and kpis["reporting_stations"] == 1
    now = kpis["aqi_now"]["T1"]
    pm = [100.0 + (i % 2) for i in range(12)][::-1]
    no2_ugm3 = (40 + 11) * 46.0055 / 24.45
    assert now["aqi"] == hourly_aqi({"pm25": nowcast(pm), "no2": no2_ugm3}).aqi
    assert now["name"] == "Trạm thử" and now["hour"] == hours[-1].isoformat()
    assert kpis["worst_station"]["station_id"] == "T1" and kpis["exceedance_days"] == {"T1": 0}
    # an unknown filter is refused in one line
    line = one_line_error(ioc(db, "kpi", "environment", "--category", "x"))
    assert "--category does not apply to environment" in line
