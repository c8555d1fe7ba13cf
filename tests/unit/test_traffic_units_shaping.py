"""The traffic page's unit shaping (pure): names of unit codes for a period (codes are reused
across the 2025 changes), the unit in force named as on a record's date, the rankings shown,
the map-change notice, and the CSV of latest violations carrying the unit in force and the
current commune."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.domain.units import UnitMap
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter
from layouts.traffic import unit_note
from layouts.traffic_figures import unit_figure
from layouts.traffic_shaping import (
    period_unit_names,
    shows_district_ranking,
    unit_on_text,
    violation_rows,
    violations_export,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = UnitMap.default()


def test_period_names_name_a_reused_district_code_by_each_of_its_names():
    names = period_unit_names(UNITS, date(2024, 6, 1), date(2025, 8, 1))
    assert names["474"] == "Thành phố Huế / Quận Thuận Hóa"
    assert names["475"] == "Quận Phú Xuân"
    assert names["19753"] == "Phường Phú Xuân"  # a current commune: its current name (was Phường Thuận Lộc)
    assert period_unit_names(UNITS, date(2024, 1, 1), date(2024, 7, 1))["474"] == "Thành phố Huế"


def test_the_unit_in_force_is_named_as_on_the_records_date():
    assert unit_on_text("474", date(2024, 12, 31), UNITS, {}, "vi") == "Thành phố Huế"
    assert unit_on_text("474", date(2025, 1, 1), UNITS, {}, "vi") == "Quận Thuận Hóa"
    assert unit_on_text("19753", date(2025, 6, 30), UNITS, {}, "vi") == "Phường Thuận Lộc"
    assert unit_on_text("19753", date(2025, 7, 1), UNITS, {}, "vi") == "Phường Phú Xuân"
    assert unit_on_text("", date(2025, 7, 1), UNITS, {}, "en") == "No unit given"


def test_the_district_ranking_and_the_notice_follow_the_period():
    assert shows_district_ranking(UNITS, date(2025, 6, 30)) and not shows_district_ranking(UNITS, date(2025, 7, 1))
    across = TrafficFilter(Period(date(2025, 6, 1), date(2025, 8, 1)))
    assert "1675/NQ-UBTVQH15" in unit_note(UNITS, across, "vi")
    assert unit_note(UNITS, TrafficFilter(Period(date(2025, 7, 1), date(2025, 8, 1))), "vi") == ""
    assert unit_note(UNITS, TrafficFilter(Period(date(2025, 1, 1), date(2025, 7, 1))), "en") == ""  # ends 30 June
    after = TrafficFilter(Period(date(2025, 7, 1), date(2025, 8, 1)), unit="474")
    assert unit_note(UNITS, after, "en") == "District-level units ended on 1 July 2025: only records before that " \
                                            "day are counted."


def frame() -> pd.DataFrame:
    base = {"source": "s", "camera_code": "", "address": "", "channel": "citizen", "violation_type": "red_light",
            "vehicle_class": "car", "plate_raw": "75A-123.45", "plate": "75A-123.45", "plate_status": "valid",
            "status": "detected", "fine_vnd": pd.NA, "fine_flag": "none", "decree": None, "fine_min_vnd": pd.NA,
            "fine_max_vnd": pd.NA, "evidence_url": "", "lat": 16.47, "lon": 107.58}
    return pd.DataFrame([
        {**base, "external_id": "old", "detected_at": datetime(2025, 6, 30, 16, 59),  # 23:59 local, 30 June
         "unit_code": "19753", "district_code": "475", "commune_code": "19753"},
        {**base, "external_id": "new", "detected_at": datetime(2025, 6, 30, 17, 0),  # 00:00 local, 1 July
         "unit_code": "19753", "district_code": "", "commune_code": "19753"},
    ])


def test_the_latest_violations_show_and_export_the_unit_in_force_and_the_current_commune():
    names = period_unit_names(UNITS, date(2025, 6, 1), date(2025, 8, 1))
    rows = violation_rows(frame(), TZ, "vi", names, {}, False, UNITS)
    assert [(r["district"], r["commune"]) for r in rows] == [("Phường Thuận Lộc", "Phường Phú Xuân"),
                                                             ("Phường Phú Xuân", "Phường Phú Xuân")]
    out = violations_export(frame(), TZ, "en", names, {}, False, UNITS)
    assert out[["Unit code (at the time)", "Unit (at the time)", "Current commune code", "Current commune / ward"]] \
        .values.tolist() == [["19753", "Phường Thuận Lộc", "19753", "Phường Phú Xuân"],
                             ["19753", "Phường Phú Xuân", "19753", "Phường Phú Xuân"]]


def test_the_unit_ranking_leaves_out_records_without_a_unit_and_names_the_rest():
    ranking = pd.DataFrame({"key": ["19753", "", "474"], "violations": [5, 3, 2], "share": [0.5, 0.3, 0.2],
                            "fines_issued_vnd": [0, 0, 0]})
    fig = unit_figure(ranking, {"19753": "Phường Phú Xuân", "474": "Thành phố Huế / Quận Thuận Hóa"}, "vi")
    assert list(fig.data[0].y) == ["Phường Phú Xuân", "Thành phố Huế / Quận Thuậ…"]
    assert list(fig.data[0].x) == [5, 2]
