"""Traffic KPIs (ioc.kpi.traffic) against numbers worked out by hand.

Fifteen hand-made violations go through the real path (validate_violation → records_frame →
ingest into a SQLite store → rollups → traffic_kpis). Times are local (+07:00); March 2025
is under Decree 168/2024. Notice lag = notice − detected, in hours.

    id   detected (local)   camera / unit         type              vehicle    plate           status       fine (VND)    range (168/2024)  notice lag  rating
    V1   Mon 03-03 07:30    HUE-J01 474           red_light         car        75A-123.45      paid         19,000,000    18–20 M in        24
    V2   Mon 03-03 08:00    HUE-J01 474           red_light         motorbike  75-B1 234.56    notice_sent   5,000,000    4–6 M in          48
    V3   Tue 03-04 17:00    HUE-J01 474           no_helmet         motorbike  75B1 23456      paid            500,000    400–600 k in       6
    V4   Wed 03-05 23:00    QL1A-08 479           speeding_20_35    car        75A12345        paid          7,000,000    6–8 M in          36
    V5   Thu 03-06 02:00    QL1A-08 479           speeding_over_35  truck      43C-999.99      notice_sent   1,300,000    12–14 M BELOW     (no time)
    V6   Thu 03-06 03:00    QL1A-08 479           speeding_10_20    motorbike  7SB1 234.56 ✗   verified      –
    V7   Mon 03-10 07:45    HUE-J02 474           wrong_lane        car        (none)          dismissed     –
    V8   Mon 03-10 08:00    HUE-J02 474           wrong_lane        motorbike  75-C1 111.11    detected      –
    V9   Wed 03-12 10:00    citizen 474           wrong_way         motorbike  (none)          verified      –                                            satisfied
    V10  Thu 03-13 15:00    citizen 478           signs_markings    car        75A-555.55      paid            500,000    400–600 k in      48          acceptable
    V11  Thu 03-20 09:00    citizen 474           no_helmet         motorbike  (none)          dismissed     –                                            dissatisfied
    V12  Tue 03-25 18:00    citizen 482           handheld_phone    car        ABC ✗           notice_sent  30,000,000    4–6 M ABOVE       30          satisfied
    V13  Mon 03-31 23:30    HUE-J02 474           red_light         car        75A-222.22      notice_sent  20,000,000    18–20 M in        24
    V14  Tue 04-01 00:10    HUE-J01 474           red_light         car        75A-333.33      notice_sent  19,000,000    (April)
    V15  Sat 03-15 12:00    HUE-J03 (new, ≈ Huế)  signs_markings    other      75LD-123.45     notice_sent     300,000    no range: unchecked 72

V13 is detected 2025-03-31 16:30 UTC (23:30 local): March. V14 is detected 2025-03-31 17:10
UTC but 00:10 local on 1 April: April, although its UTC date is 31 March. V15's camera is
unknown to the store: it is registered, and it is placed by its position on the map of its date
(15 March 2025): Phường Đông Ba (19768) of Quận Phú Xuân (475, the north bank since 1 January
2025), whose current commune is Phường Phú Xuân (19753). The citizens' reports name a
district-level unit only (474 = Quận Thuận Hóa in March 2025) and have no position: no current
commune.

March: 14 violations; verified (verified / notice_sent / paid) 11 → 11/14; issued fines
19 + 5 + 0.5 + 7 + 1.3 + 0.5 + 30 + 20 + 0.3 = 83.6 M; collected 19 + 0.5 + 7 + 0.5 = 27 M;
collection 27 / 83.6; notice lags (V5 has no time) 6, 24, 24, 30, 36, 48, 48, 72 → median
(30 + 36) / 2 = 33 h; citizen ratings satisfied, acceptable, dissatisfied, satisfied → 3/4;
out of range V5, V12 → 2; invalid plates V6, V12 → 2 (missing ones are not invalid);
cameras HUE-J01 3, HUE-J02 3, QL1A-08 3 (ties by code), HUE-J03 1.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from ioc.domain.histogram import HIST_MAX_RELATIVE_ERROR, hist_bin, hist_bin_value
from ioc.domain.traffic_records import validate_violation
from ioc.domain.units import UnitMap
from ioc.kpi import traffic as kpi_traffic
from ioc.kpi.periods import FilterError, Period
from ioc.kpi.traffic import KPI_NAMES, TrafficFilter, family_kpis, traffic_kpis, traffic_kpis_raw
from ioc.store import schema_traffic as st
from ioc.store.db import init_db, make_engine
from ioc.store.traffic import ingest, records_frame

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
M = 1_000_000
J01, J02, J03, Q08 = ("HUE-J01", "Ngã tư Lê Lợi – Hùng Vương"), ("HUE-J02", "Đầu cầu Trường Tiền"), \
    ("HUE-J03", "Camera mới"), ("QL1A-08", "QL1A – Phú Bài")
CAMERA_UNITS = {"HUE-J01": "474", "HUE-J02": "474", "QL1A-08": "479", "HUE-J03": ""}
CAMERA_AT = {"HUE-J01": (16.4663, 107.5937), "HUE-J02": (16.4688, 107.5872), "HUE-J03": (16.4726, 107.5848),
             "QL1A-08": (16.4011, 107.6892)}

# id, detected, camera (or unit for citizens), type, vehicle, plate, status, fine, notice, paid, rating
HAND = [
    ("V1", "2025-03-03T07:30", J01, "red_light", "car", "75A-123.45", "paid", 19 * M, "2025-03-04T07:30",
     "2025-03-10T09:00", None),
    ("V2", "2025-03-03T08:00", J01, "red_light", "motorbike", "75-B1 234.56", "notice_sent", 5 * M,
     "2025-03-05T08:00", None, None),
    ("V3", "2025-03-04T17:00", J01, "no_helmet", "motorbike", "75B1 23456", "paid", 500_000, "2025-03-04T23:00",
     "2025-03-06T10:00", None),
    ("V4", "2025-03-05T23:00", Q08, "speeding_20_35", "car", "75A12345", "paid", 7 * M, "2025-03-07T11:00",
     "2025-03-20T10:00", None),
    ("V5", "2025-03-06T02:00", Q08, "speeding_over_35", "truck", "43C-999.99", "notice_sent", 1_300_000, None, None,
     None),
    ("V6", "2025-03-06T03:00", Q08, "speeding_10_20", "motorbike", "7SB1 234.56", "verified", None, None, None, None),
    ("V7", "2025-03-10T07:45", J02, "wrong_lane", "car", "", "dismissed", None, None, None, None),
    ("V8", "2025-03-10T08:00", J02, "wrong_lane", "motorbike", "75-C1 111.11", "detected", None, None, None, None),
    ("V9", "2025-03-12T10:00", "474", "wrong_way", "motorbike", "", "verified", None, None, None, "satisfied"),
    ("V10", "2025-03-13T15:00", "478", "signs_markings", "car", "75A-555.55", "paid", 500_000, "2025-03-15T15:00",
     "2025-03-20T08:00", "acceptable"),
    ("V11", "2025-03-20T09:00", "474", "no_helmet", "motorbike", "", "dismissed", None, None, None, "dissatisfied"),
    ("V12", "2025-03-25T18:00", "482", "handheld_phone", "car", "ABC", "notice_sent", 30 * M, "2025-03-27T00:00",
     None, "satisfied"),
    ("V13", "2025-03-31T23:30", J02, "red_light", "car", "75A-222.22", "notice_sent", 20 * M, "2025-04-01T23:30",
     None, None),
    ("V14", "2025-04-01T00:10", J01, "red_light", "car", "75A-333.33", "notice_sent", 19 * M, "2025-04-02T00:10",
     None, None),
    ("V15", "2025-03-15T12:00", J03, "signs_markings", "other", "75LD-123.45", "notice_sent", 300_000,
     "2025-03-18T12:00", None, None),
]
MARCH = Period(date(2025, 3, 1), date(2025, 4, 1))
APRIL = Period(date(2025, 4, 1), date(2025, 5, 1))


def local(text: str | None) -> str | None:
    return None if text is None else f"{text}:00+07:00"


def raw_violation(row: tuple) -> dict:
    eid, detected, where, vtype, vehicle, plate, status, fine, notice, paid, rating = row
    raw = {"external_id": eid, "detected_at": local(detected), "violation_type": vtype, "vehicle_class": vehicle,
           "plate": plate, "status": status, "fine_vnd": fine, "notice_sent_at": local(notice),
           "paid_at": local(paid), "rating": rating,
           "verified_at": local(detected[:11] + "23:59") if status != "detected" else None}
    if isinstance(where, tuple):
        code, name = where
        lat, lon = CAMERA_AT[code]
        raw.update(camera_code=code, camera_name=name, unit_code=CAMERA_UNITS[code], lat=lat, lon=lon)
    else:
        raw.update(unit_code=where, channel="citizen", description=f"Phản ánh {eid}")
    return raw


@pytest.fixture(scope="module")
def hand_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('traffic-kpi') / 'hand.db'}")
    init_db(engine)
    result = ingest(engine, "hand", records_frame([validate_violation(raw_violation(r)) for r in HAND]), TZ)
    assert (result.inserted, result.updated, result.unchanged) == (15, 0, 0)
    yield engine
    engine.dispose()


def kpis(engine, period: Period = MARCH, **filters) -> dict:
    return traffic_kpis(engine, TrafficFilter(period, **filters), TZ).as_dict()


def test_march_whole_kpi_set(hand_engine):
    assert kpis(hand_engine) == {
        "violations": 14,
        "by_type": {"red_light": 3, "no_helmet": 2, "signs_markings": 2, "wrong_lane": 2, "handheld_phone": 1,
                     "speeding_10_20": 1, "speeding_20_35": 1, "speeding_over_35": 1, "wrong_way": 1},
        "by_vehicle": {"car": 6, "motorbike": 6, "other": 1, "truck": 1},
        "verified_rate": 11 / 14,
        "fines_issued_vnd": 83_600_000,
        "fines_collected_vnd": 27_000_000,
        "collection_rate": 27 / 83.6,
        "median_hours_to_notice": 33.0,
        "satisfaction_rate": 0.75,
        "fine_out_of_range": 2,
        "invalid_plates": 2,
        "top_cameras": [{"camera": "HUE-J01", "name": J01[1], "violations": 3},
                        {"camera": "HUE-J02", "name": J02[1], "violations": 3},
                        {"camera": "QL1A-08", "name": Q08[1], "violations": 3},
                        {"camera": "HUE-J03", "name": J03[1], "violations": 1}],
    }


def test_the_json_keys_are_exactly_the_issues(hand_engine):
    assert tuple(kpis(hand_engine)) == KPI_NAMES == (
        "violations", "by_type", "by_vehicle", "verified_rate", "fines_issued_vnd", "fines_collected_vnd",
        "collection_rate", "median_hours_to_notice", "satisfaction_rate", "fine_out_of_range", "invalid_plates",
        "top_cameras")


def test_the_local_date_decides_the_month(hand_engine):
    april = kpis(hand_engine, APRIL)
    assert april["violations"] == 1  # V14, detected on 31 March in UTC
    assert april["fines_issued_vnd"] == 19 * M and april["fines_collected_vnd"] == 0
    assert april["collection_rate"] == 0.0
    assert april["median_hours_to_notice"] == 24.0
    assert april["satisfaction_rate"] is None  # no citizen report
    assert kpis(hand_engine, Period(date(2025, 3, 31), date(2025, 4, 1)))["violations"] == 1  # V13


def test_unit_filter_by_a_district_level_unit_of_the_time(hand_engine):
    k = kpis(hand_engine, unit="474")  # Quận Thuận Hóa in March 2025: district_code
    # V1 V2 V3 V7 V8 V13 (cameras in 474), V9 V11 (citizens); not V15 (new camera, north bank: 475)
    assert k["violations"] == 8
    assert k["fines_issued_vnd"] == 19 * M + 5 * M + 500_000 + 20 * M
    assert k["fines_collected_vnd"] == 19 * M + 500_000
    assert k["median_hours_to_notice"] == 24.0  # 6, 24, 24, 48
    assert k["satisfaction_rate"] == 0.5  # V9 satisfied, V11 dissatisfied
    assert [c["camera"] for c in k["top_cameras"]] == ["HUE-J01", "HUE-J02"]
    assert kpis(hand_engine, unit="475")["top_cameras"] == [{"camera": "HUE-J03", "name": J03[1], "violations": 1}]
    assert kpis(hand_engine, unit="479")["violations"] == 3


def test_unit_filter_by_a_current_commune(hand_engine):
    k = kpis(hand_engine, unit="19753")  # Phường Phú Xuân (from 1 July 2025): commune_code
    assert (k["violations"], k["top_cameras"]) == (1, [{"camera": "HUE-J03", "name": J03[1], "violations": 1}])
    # every positioned violation has exactly one current commune; the citizens' reports (a
    # district only, no position) have none
    current = [u.code for u in UnitMap.default().current_communes()]
    assert sum(kpis(hand_engine, unit=c)["violations"] for c in current) == 14 - 4


def test_type_vehicle_and_channel_filters(hand_engine):
    red = kpis(hand_engine, violation_type="red_light")
    assert (red["violations"], red["fines_issued_vnd"], red["fines_collected_vnd"]) == (3, 44 * M, 19 * M)
    assert red["median_hours_to_notice"] == 24.0  # 24, 24, 48
    citizen = kpis(hand_engine, channel="citizen")
    assert citizen["violations"] == 4 and citizen["top_cameras"] == []
    assert citizen["verified_rate"] == 0.75 and citizen["satisfaction_rate"] == 0.75
    assert citizen["fine_out_of_range"] == 1 and citizen["invalid_plates"] == 1
    cars = kpis(hand_engine, vehicle_class="car")
    assert cars["violations"] == 6 and cars["by_vehicle"] == {"car": 6}
    assert kpis(hand_engine, unit="999")["violations"] == 0
    assert kpis(hand_engine, unit="99999")["violations"] == 0


def test_an_empty_period_has_no_rates(hand_engine):
    k = kpis(hand_engine, Period(date(2025, 6, 1), date(2025, 7, 1)))
    assert k == {"violations": 0, "by_type": {}, "by_vehicle": {}, "verified_rate": None, "fines_issued_vnd": 0,
                 "fines_collected_vnd": 0, "collection_rate": None, "median_hours_to_notice": None,
                 "satisfaction_rate": None, "fine_out_of_range": 0, "invalid_plates": 0, "top_cameras": []}


def test_rollups_agree_with_a_raw_scan(hand_engine):
    for period in (MARCH, APRIL, Period(date(2025, 3, 5), date(2025, 4, 3)), Period(date(2025, 3, 6), date(2025, 3, 7))):
        for filters in ({}, {"unit": "474"}, {"unit": "19753"}, {"channel": "camera"},
                        {"violation_type": "red_light"}):
            flt = TrafficFilter(period, **filters)
            assert traffic_kpis(hand_engine, flt, TZ).as_dict() == traffic_kpis_raw(hand_engine, flt, TZ).as_dict()


def test_above_the_exact_limit_the_median_comes_from_the_histogram(hand_engine, monkeypatch):
    monkeypatch.setattr(kpi_traffic, "EXACT_MEDIAN_MAX", 0)
    median = kpis(hand_engine)["median_hours_to_notice"]
    # nearest rank of 8 lags is the 4th, 30 h: its histogram bin's middle, within 4.9 %
    assert median == hist_bin_value(int(hist_bin(np.array([30.0]))[0]))
    assert median == pytest.approx(30.0, rel=HIST_MAX_RELATIVE_ERROR)


def test_the_family_entry_maps_cli_filters_and_rejects_unknown_values(hand_engine):
    """The CLI path: the family's declared filters check and name the flags, then its KPI set."""
    from ioc.registry import registry

    check = registry().family("traffic").check_filters
    out = family_kpis(hand_engine, MARCH, check({"unit": "474", "category": "red_light"}), TZ, datetime(2025, 5, 1))
    assert out["violations"] == 3  # V1 V2 V13
    assert family_kpis(hand_engine, MARCH, check({"channel": "citizen"}), TZ, datetime(2025, 5, 1))["violations"] == 4
    # --district, the filter's old name, is still read (a district-level unit of the time)
    assert family_kpis(hand_engine, MARCH, check({"district": "479"}), TZ, datetime(2025, 5, 1))["violations"] == 3
    with pytest.raises(FilterError, match="--category: 'speeding' is not one of red_light, signs_markings"):
        check({"category": "speeding"})
    with pytest.raises(FilterError, match="--channel: 'hotline' is not one of camera, citizen"):
        check({"channel": "hotline"})


def test_stored_flags_name_the_decree_and_the_range(hand_engine):
    t = st.traffic_violations
    with hand_engine.connect() as conn:
        rows = {r["external_id"]: r for r in conn.execute(select(t)).mappings()}
    assert (rows["V5"]["fine_flag"], rows["V5"]["decree"], rows["V5"]["fine_min_vnd"], rows["V5"]["fine_max_vnd"]) \
        == ("below", "168/2024/NĐ-CP", 12 * M, 14 * M)
    assert (rows["V12"]["fine_flag"], rows["V12"]["fine_max_vnd"]) == ("above", 6 * M)
    assert (rows["V15"]["fine_flag"], rows["V15"]["decree"]) == ("unchecked", None)
    assert rows["V6"]["fine_flag"] == "none"
    assert (rows["V6"]["plate_status"], rows["V6"]["plate"], rows["V6"]["plate_raw"]) == \
        ("invalid", None, "7SB1 234.56")
    assert (rows["V3"]["plate_status"], rows["V3"]["plate"]) == ("valid", "75-B1 234.56")
    assert (rows["V4"]["plate"], rows["V7"]["plate_status"]) == ("75A-123.45", "missing")
    assert rows["V1"]["hour_of_week"] == 7  # Monday 07:30 local
    assert rows["V13"]["hour_of_week"] == 23 and rows["V14"]["hour_of_week"] == 24  # Mon 23:30, Tue 00:10
    assert (rows["V15"]["unit_code"], rows["V15"]["district_code"], rows["V15"]["commune_code"]) == \
        ("19768", "475", "19753")
    assert (rows["V9"]["unit_code"], rows["V9"]["district_code"], rows["V9"]["commune_code"]) == ("474", "474", "")
    with hand_engine.connect() as conn:
        cams = {r["code"]: r for r in conn.execute(select(st.traffic_cameras)).mappings()}
    assert cams["HUE-J03"]["generated"] and cams["HUE-J03"]["name"] == "Camera mới"
    assert (cams["HUE-J03"]["unit_code"], cams["HUE-J03"]["district_code"], cams["HUE-J03"]["commune_code"]) == \
        ("19768", "475", "19753")
    assert cams["HUE-J03"]["installed_at"] == date(2025, 3, 15)
