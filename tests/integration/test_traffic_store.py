"""Traffic store: upsert rules, flags and incremental rollups, on SQLite and on PostgreSQL.

Every store test runs twice through the ``engine`` fixture (tests/conftest.py): a fresh SQLite
file and a fresh PostgreSQL database (never skipped). Local time is Asia/Ho_Chi_Minh (UTC+7).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data_sources.traffic_simulator import _plates, history
from ioc.domain.traffic import DECREE_100_2019, DECREE_100_2019_123_2021, DECREE_168_2024, normalise_plates
from ioc.domain.traffic_records import FAMILY, validate_violation
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter, traffic_kpis, traffic_kpis_raw
from ioc.kpi.traffic_views import camera_summary, hour_weekday
from ioc.store import schema
from ioc.store import schema_traffic as st
from ioc.store.ingest import IngestResult
from ioc.store.traffic import canonical_plates, ingest, rebuild, records_frame

SOURCE = "camera-platform"
M = 1_000_000


def violation(external_id: str = "V-1", **overrides) -> dict:
    """A raw violation as a collector hands it over (local times with +07:00)."""
    raw = {
        "external_id": external_id, "detected_at": "2025-03-03T07:30:00+07:00", "violation_type": "red_light",
        "vehicle_class": "car", "camera_code": "HUE-J01", "camera_name": "Ngã tư Lê Lợi – Hùng Vương",
        "unit_code": "474", "lat": 16.4663, "lon": 107.5937, "plate": "75A-123.45", "status": "verified",
        "verified_at": "2025-03-03T09:00:00+07:00", "updated_at": "2025-03-03T09:00:00+07:00",
    }
    raw.update(overrides)
    return raw


def put(engine: Engine, tz, *raws: dict, source: str = SOURCE) -> IngestResult:
    return ingest(engine, source, records_frame([validate_violation(r) for r in raws]), tz)


def stored(engine: Engine) -> dict[str, dict]:
    t = st.traffic_violations
    with engine.connect() as conn:
        return {r["external_id"]: dict(r) for r in conn.execute(select(t)).mappings()}


def rollup(engine: Engine, table=st.traffic_rollup) -> pd.DataFrame:
    """The whole rollup table, sorted by its key, with plain types (counts int64, hours rounded)."""
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(table)).mappings()]
    frame = pd.DataFrame(rows, columns=[c.name for c in table.columns])
    text = ("grain", *st.TRAFFIC_DIMS, *st.CAMERA_DIMS, *st.TRAFFIC_ALL_DIMS, *st.HOUR_DIMS)
    frame = pd.DataFrame({
        col: (pd.to_datetime(frame[col]).dt.date if col == "bucket"
              else frame[col].astype("float64").round(6) if col == "notice_hours_sum"
              else frame[col] if col in text else frame[col].astype("int64"))
        for col in frame.columns})
    keys = [c.name for c in table.primary_key.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(schema.data_versions.c.version)
                            .where(schema.data_versions.c.family == FAMILY)).scalar()


def month_row(engine: Engine, **dims) -> dict:
    frame = rollup(engine)
    frame = frame[frame["grain"] == "m"]
    for k, v in dims.items():
        frame = frame[frame[k] == v]
    return frame[[*st.TRAFFIC_COUNTS, *st.TRAFFIC_MONEY]].sum().to_dict()


# --------------------------------------------------------------------------- upsert rules


def test_the_same_record_again_changes_nothing(engine, tz):
    batch = [violation("V-1"), violation("V-2", vehicle_class="motorbike", plate="75-B1 234.56"),
             violation("V-3", camera_code="", channel="citizen", unit_code="478", plate="")]
    assert put(engine, tz, *batch) == IngestResult(3, 0, 0)
    rows, roll, cams, v = stored(engine), rollup(engine), rollup(engine, st.traffic_camera_rollup), version(engine)
    assert v == 1
    assert put(engine, tz, *batch) == IngestResult(0, 0, 3)
    assert stored(engine) == rows
    pd.testing.assert_frame_equal(rollup(engine), roll)
    pd.testing.assert_frame_equal(rollup(engine, st.traffic_camera_rollup), cams)
    assert version(engine) == 1


def test_a_later_version_moves_the_fine_from_issued_to_collected_in_the_detection_month(engine, tz):
    put(engine, tz, violation("V-1", status="notice_sent", fine_vnd=19 * M,
                              notice_sent_at="2025-03-04T07:30:00+07:00", updated_at="2025-03-04T07:30:00+07:00"))
    before = month_row(engine)
    assert (before["noticed"], before["paid"], before["fines_issued_vnd"], before["fines_collected_vnd"]) == \
        (1, 0, 19 * M, 0)
    # paid in May: still counted in March, the month of detection
    assert put(engine, tz, violation("V-1", status="paid", fine_vnd=19 * M,
                                     notice_sent_at="2025-03-04T07:30:00+07:00",
                                     paid_at="2025-05-02T10:00:00+07:00",
                                     updated_at="2025-05-02T10:00:00+07:00")) == IngestResult(0, 1, 0)
    after = month_row(engine)
    assert (after["violations"], after["noticed"], after["paid"], after["fines_issued_vnd"],
            after["fines_collected_vnd"]) == (1, 1, 1, 19 * M, 19 * M)
    assert set(rollup(engine)["bucket"]) == {date(2025, 3, 1), date(2025, 3, 3)}
    assert stored(engine)["V-1"]["status"] == "paid"
    assert version(engine) == 2
    # an older version never overwrites
    assert put(engine, tz, violation("V-1", status="verified", updated_at="2025-03-03T09:00:00+07:00")) == \
        IngestResult(0, 0, 1)
    assert stored(engine)["V-1"]["status"] == "paid"


def test_within_a_batch_the_latest_version_wins(engine, tz):
    later = violation("V-1", status="paid", fine_vnd=19 * M, notice_sent_at="2025-03-04T07:30:00+07:00",
                      paid_at="2025-03-09T07:30:00+07:00", updated_at="2025-03-09T07:30:00+07:00")
    assert put(engine, tz, later, violation("V-1"), violation("V-2")) == IngestResult(2, 0, 0)
    assert stored(engine)["V-1"]["status"] == "paid"
    assert month_row(engine)["violations"] == 2 and month_row(engine)["paid"] == 1


def test_a_changed_key_leaves_no_empty_rollup_rows(engine, tz):
    put(engine, tz, violation("V-1"))
    put(engine, tz, violation("V-1", violation_type="wrong_lane", camera_code="HUE-J02", camera_name="J02",
                              updated_at="2025-03-05T09:00:00+07:00"))
    main, cams = rollup(engine), rollup(engine, st.traffic_camera_rollup)
    assert set(main["violation_type"]) == {"wrong_lane"} and (main["violations"] == 1).all()
    assert set(cams["camera_code"]) == {"HUE-J02"} and len(cams) == 2  # one day row, one month row


def test_same_external_id_from_two_sources_is_two_violations(engine, tz):
    put(engine, tz, violation("V-1"), source="a")
    put(engine, tz, violation("V-1"), source="b")
    with engine.connect() as conn:
        assert len(conn.execute(select(st.traffic_violations.c.id)).all()) == 2


# --------------------------------------------------------------------------- flags


@pytest.mark.parametrize(("detected", "vehicle", "fine", "flag", "decree"), [
    ("2021-12-31T23:30:00+07:00", "motorbike", 700_000, "in", DECREE_100_2019),
    ("2022-01-01T00:10:00+07:00", "motorbike", 700_000, "below", DECREE_100_2019_123_2021),
    ("2024-12-31T23:59:00+07:00", "car", 5 * M, "in", DECREE_100_2019_123_2021),
    ("2024-12-31T23:59:00+07:00", "car", 19 * M, "above", DECREE_100_2019_123_2021),
    ("2025-01-01T00:10:00+07:00", "car", 5 * M, "below", DECREE_168_2024),  # 2024-12-31 17:10 UTC
    ("2025-01-01T00:10:00+07:00", "car", 19 * M, "in", DECREE_168_2024),
    ("2025-01-01T00:10:00+07:00", "truck", 20 * M, "in", DECREE_168_2024),
    ("2025-01-01T00:10:00+07:00", "truck", 20_000_001, "above", DECREE_168_2024),
    ("2025-01-01T00:10:00+07:00", "other", 5 * M, "unchecked", None),
    ("2025-01-01T00:10:00+07:00", "car", None, "none", DECREE_168_2024),
])
def test_the_fine_is_checked_against_the_decree_of_the_local_date(engine, tz, detected, vehicle, fine, flag, decree):
    assert put(engine, tz, violation("V-1", detected_at=detected, vehicle_class=vehicle, fine_vnd=fine,
                                     status="notice_sent" if fine else "verified",
                                     notice_sent_at=detected if fine else None, verified_at=detected,
                                     updated_at=detected)) == IngestResult(1, 0, 0)
    row = stored(engine)["V-1"]
    assert (row["fine_flag"], row["decree"], row["fine_vnd"]) == (flag, decree, fine)
    assert month_row(engine)["fine_out_of_range"] == (1 if flag in ("below", "above") else 0)
    assert month_row(engine)["fine_unchecked"] == (1 if flag == "unchecked" else 0)


def test_out_of_range_fines_across_new_year_are_counted_in_the_kpis(engine, tz):
    put(engine, tz,
        violation("B1", detected_at="2024-12-31T23:30:00+07:00", status="notice_sent", fine_vnd=5 * M),
        violation("B2", detected_at="2025-01-01T00:10:00+07:00", status="notice_sent", fine_vnd=5 * M),
        violation("B3", detected_at="2025-01-01T00:10:00+07:00", status="notice_sent", fine_vnd=19 * M),
        violation("B4", detected_at="2024-12-31T23:59:00+07:00", status="notice_sent", fine_vnd=19 * M))
    k = traffic_kpis(engine, TrafficFilter(Period(date(2024, 12, 1), date(2025, 2, 1))), tz)
    assert (k.violations, k.fine_out_of_range, k.fines_issued_vnd) == (4, 2, 48 * M)
    assert traffic_kpis(engine, TrafficFilter(Period(date(2025, 1, 1), date(2025, 1, 2))), tz).fine_out_of_range == 1


@pytest.mark.parametrize(("typed", "status", "canonical"), [
    ("75A-123.45", "valid", "75A-123.45"),
    ("75a 12345", "valid", "75A-123.45"),
    ("75-B1 234.56", "valid", "75-B1 234.56"),
    ("75B123456", "valid", "75-B1 234.56"),
    ("75LD-123.45", "valid", "75LD-123.45"),
    ("7SA-123.45", "invalid", None),
    ("75A-12.3", "invalid", None),
    ("", "missing", None),
])
def test_plates_are_normalised_or_flagged_never_dropped(engine, tz, typed, status, canonical):
    assert put(engine, tz, violation("V-1", plate=typed)) == IngestResult(1, 0, 0)
    row = stored(engine)["V-1"]
    assert (row["plate_raw"], row["plate_status"], row["plate"]) == (typed, status, canonical)
    assert month_row(engine)["invalid_plates"] == (status == "invalid")
    assert month_row(engine)["missing_plates"] == (status == "missing")


def test_unit_and_position_come_from_the_camera_else_the_nearest_unit(engine, tz):
    put(engine, tz, violation("V-1"))  # registers HUE-J01, given in 474 (Quận Thuận Hóa in March 2025)
    put(engine, tz, violation("V-2", unit_code="", lat=None, lon=None),  # known camera: its place
        violation("V-3", camera_code="", channel="citizen", unit_code="", lat=16.34, lon=107.64),  # Hương Thủy
        violation("V-4", camera_code="QL1A-11", camera_name="QL1A – thị trấn Phú Lộc", unit_code="", lat=16.2876,
                  lon=107.8612))
    rows = stored(engine)
    assert (rows["V-2"]["lat"], rows["V-2"]["lon"], rows["V-2"]["district_code"]) == (16.4663, 107.5937, "474")
    assert (rows["V-3"]["unit_code"], rows["V-3"]["district_code"], rows["V-3"]["commune_code"]) == \
        ("19990", "479", "19960")  # Xã Phú Sơn, Thị xã Hương Thủy → Phường Phú Bài
    assert (rows["V-4"]["unit_code"], rows["V-4"]["district_code"], rows["V-4"]["commune_code"]) == \
        ("20107", "482", "20107")  # Thị trấn Phú Lộc, Huyện Phú Lộc → Xã Phú Lộc
    with engine.connect() as conn:
        cams = {r["code"]: r for r in conn.execute(select(st.traffic_cameras)).mappings()}
    assert set(cams) == {"HUE-J01", "QL1A-11"}
    assert (cams["QL1A-11"]["unit_code"], cams["QL1A-11"]["district_code"], cams["QL1A-11"]["commune_code"],
            cams["QL1A-11"]["generated"], cams["QL1A-11"]["source"]) == ("20107", "482", "20107", True, SOURCE)
    assert cams["HUE-J01"]["district_code"] == "474"


# A camera on QL1A in Xã Phú Sơn (Thị xã Hương Thủy) until 30 June 2025, in Phường Phú Bài since
PHU_SON = {"camera_code": "QL1A-20", "camera_name": "QL1A – Phú Sơn", "unit_code": "479", "lat": 16.34,
           "lon": 107.64}
OLD, NEW = ("19990", "479", "19960"), ("19960", "", "19960")  # (unit in force, district-level unit, current)


def placed(engine: Engine) -> dict[str, tuple[str, str, str]]:
    return {k: (r["unit_code"], r["district_code"], r["commune_code"]) for k, r in stored(engine).items()}


def test_violations_either_side_of_midnight_1_july_2025_land_on_the_old_and_the_new_map(engine, tz):
    put(engine, tz,
        detected("V-old", detected_at="2025-06-30T23:59:00+07:00", **PHU_SON),
        detected("V-new", detected_at="2025-07-01T00:00:00+07:00", **PHU_SON),
        detected("V-utc", detected_at="2025-06-30T17:00:00Z", **PHU_SON),  # 00:00 local on 1 July
        detected("V-eve-utc", detected_at="2025-06-30T16:59:59Z", camera_code="", channel="citizen", unit_code="",
                 lat=16.34, lon=107.64))  # 23:59:59 local on 30 June, by position only
    rows = placed(engine)
    assert rows["V-old"] == rows["V-eve-utc"] == OLD
    assert rows["V-new"] == rows["V-utc"] == NEW
    days = rollup(engine)
    days = days[days["grain"] == "d"].groupby(["bucket", "district_code", "commune_code"])["violations"].sum()
    assert days.to_dict() == {(date(2025, 6, 30), "479", "19960"): 2, (date(2025, 7, 1), "", "19960"): 2}
    both = Period(date(2025, 6, 1), date(2025, 8, 1))
    assert traffic_kpis(engine, TrafficFilter(both, unit="19960"), tz).violations == 4
    assert traffic_kpis(engine, TrafficFilter(both, unit="479"), tz).violations == 2  # before the change only
    july = Period(date(2025, 7, 1), date(2025, 8, 1))
    assert traffic_kpis(engine, TrafficFilter(july, unit="479"), tz).violations == 0


def test_a_camera_violation_is_placed_by_the_camera_position_on_its_date(engine, tz):
    put(engine, tz, detected("V-1", detected_at="2025-03-05T23:00:00+07:00", **PHU_SON))  # registers the camera
    with engine.connect() as conn:
        camera = conn.execute(select(st.traffic_cameras).where(st.traffic_cameras.c.code == "QL1A-20")).mappings().one()
    assert (camera["unit_code"], camera["district_code"], camera["commune_code"]) == OLD
    # later violations name the camera only: its position places them on the map of their own date, not
    # the camera's stored unit (Xã Phú Sơn, a unit of March 2025)
    only_camera = {"camera_code": "QL1A-20", "unit_code": "", "lat": None, "lon": None}
    put(engine, tz,
        detected("V-2", detected_at="2024-05-10T08:00:00+07:00", **only_camera),
        detected("V-3", detected_at="2025-06-30T12:00:00+07:00", **only_camera),
        detected("V-4", detected_at="2025-08-01T12:00:00+07:00", **only_camera),
        detected("V-5", detected_at="2026-02-01T12:00:00+07:00", **only_camera))
    rows = stored(engine)
    assert {(rows[k]["lat"], rows[k]["lon"]) for k in ("V-2", "V-3", "V-4", "V-5")} == {(16.34, 107.64)}
    assert placed(engine) == {"V-1": OLD, "V-2": OLD, "V-3": OLD, "V-4": NEW, "V-5": NEW}


def test_unit_filter_by_a_current_commune_counts_both_sides_and_by_an_old_district_its_own_time(engine, tz):
    # Phường Đông Ba: Thành phố Huế (474) in 2024, Quận Phú Xuân (475) in 2025; Phường Phú Xuân since 1 July
    city = {"camera_code": "", "channel": "citizen", "unit_code": "", "lat": 16.4726, "lon": 107.5848}
    put(engine, tz,
        detected("P-2024", detected_at="2024-05-10T08:00:00+07:00", **PHU_SON),
        detected("P-2025", detected_at="2025-03-10T08:00:00+07:00", **PHU_SON),
        detected("P-2025b", detected_at="2025-08-10T08:00:00+07:00", **PHU_SON),
        detected("P-2026", detected_at="2026-02-10T08:00:00+07:00", **PHU_SON),
        detected("C-2024", detected_at="2024-06-10T08:00:00+07:00", **city),
        detected("C-2025", detected_at="2025-03-10T08:00:00+07:00", **city),
        detected("C-2026", detected_at="2026-03-10T08:00:00+07:00", **city))
    rows = placed(engine)
    assert [rows[k] for k in ("C-2024", "C-2025", "C-2026")] == [("19768", "474", "19753"), ("19768", "475", "19753"),
                                                                  ("19753", "", "19753")]
    whole = Period(date(2024, 1, 1), date(2027, 1, 1))
    y2024 = Period(date(2024, 1, 1), date(2025, 1, 1))

    def count(period: Period, unit: str) -> int:
        flt = TrafficFilter(period, unit=unit)
        kpis = traffic_kpis(engine, flt, tz)
        assert kpis.as_dict() == traffic_kpis_raw(engine, flt, tz).as_dict()
        return kpis.violations

    assert count(whole, "19960") == 4  # Phường Phú Bài: 2024, 2025 (old map) and after the change
    assert count(whole, "19753") == 3  # Phường Phú Xuân: all three years
    assert count(y2024, "479") == 1  # Thị xã Hương Thủy in 2024
    assert count(y2024, "474") == 1  # Thành phố Huế in 2024
    assert count(whole, "479") == 2  # a district-level unit holds only the records of its time
    assert count(whole, "475") == 1  # Quận Phú Xuân: January – June 2025
    # the camera map: a camera belongs to a unit where it stands or where its violations are counted
    cams = {u: dict(zip(*camera_summary(engine, TrafficFilter(whole, unit=u))[["code", "violations"]].to_numpy().T,
                        strict=True)) for u in ("19960", "479", "475")}
    assert cams == {"19960": {"QL1A-20": 4}, "479": {"QL1A-20": 2}, "475": {}}


def test_the_fine_schedule_is_seeded_as_data(engine):
    with engine.connect() as conn:
        rows = conn.execute(select(st.traffic_fine_schedule)).mappings().all()
    assert len(rows) == 84
    red_car = {(r["decree"], r["valid_from"], r["valid_to"], r["min_vnd"], r["max_vnd"]) for r in rows
               if (r["violation_type"], r["vehicle_class"]) == ("red_light", "car")}
    assert red_car == {(DECREE_100_2019, date(2020, 1, 1), date(2021, 12, 31), 3 * M, 5 * M),
                       (DECREE_100_2019_123_2021, date(2022, 1, 1), date(2024, 12, 31), 4 * M, 6 * M),
                       (DECREE_168_2024, date(2025, 1, 1), None, 18 * M, 20 * M)}


def test_an_edited_schedule_applies_after_a_rebuild(engine, tz):
    put(engine, tz, violation("V-1", status="notice_sent", fine_vnd=10 * M))
    assert stored(engine)["V-1"]["fine_flag"] == "below"
    t = st.traffic_fine_schedule
    with engine.begin() as conn:  # a deployment corrects a range in the table
        conn.execute(t.update().where(t.c.violation_type == "red_light", t.c.vehicle_class == "car",
                                      t.c.decree == DECREE_168_2024).values(min_vnd=8 * M))
    assert rebuild(engine, tz) == 1
    assert stored(engine)["V-1"]["fine_flag"] == "in"
    assert month_row(engine)["fine_out_of_range"] == 0


# --------------------------------------------------------------------------- rollups at volume


def test_incremental_rollups_equal_a_rebuild_and_the_raw_kpis(engine, tz):
    # ≈ 330 violations a day (4 × the city's pace since issue 17, the simulator's volume before it):
    # ≈ 2,000 later versions, more than a thousand of them moving rollups
    early = history(5, date(2024, 12, 20), date(2025, 1, 12), datetime(2025, 1, 5), str(tz), yearly=120_000)
    late = history(5, date(2024, 12, 20), date(2025, 1, 12), datetime(2025, 3, 1), str(tz), yearly=120_000)
    shuffled = early.sample(frac=1.0, random_state=3)
    for start in range(0, len(shuffled), len(shuffled) // 3 + 1):
        ingest(engine, "sim", shuffled.iloc[start : start + len(shuffled) // 3 + 1], tz)
    result = ingest(engine, "sim", late, tz)
    assert result.inserted > 0 and result.updated > 1000
    main, cams = rollup(engine), rollup(engine, st.traffic_camera_rollup)
    province, hours = rollup(engine, st.traffic_rollup_all), rollup(engine, st.traffic_hour_rollup)
    # the province-wide rollup is the unit rollup summed over current communes and district-level units
    summed_up = main.drop(columns=["commune_code", "district_code"]).groupby(
        ["grain", "bucket", *st.TRAFFIC_ALL_DIMS]).sum()
    pd.testing.assert_frame_equal(summed_up.reset_index().astype(province.dtypes.to_dict()), province,
                                  check_exact=False)
    # the rollups' unit dims are the raw rows' (a raw scan grouped by the new dims)
    raw = pd.DataFrame(list(stored(engine).values()))
    raw_days = raw.assign(bucket=pd.to_datetime(raw["detected_at"]).dt.tz_localize("UTC").dt.tz_convert(tz).dt.date)
    keys = ["bucket", "commune_code", "district_code"]
    days = main[main["grain"] == "d"].groupby(keys)["violations"].sum()
    pd.testing.assert_series_equal(days[days > 0], raw_days.groupby(keys).size(), check_names=False)
    assert {"474", "482"} <= set(raw["district_code"]) and "" not in set(raw["commune_code"])
    cam_keys = ["camera_code", "commune_code", "district_code"]
    cam_days = cams[cams["grain"] == "d"].groupby(cam_keys)["violations"].sum()
    pd.testing.assert_series_equal(cam_days[cam_days > 0], raw_days[raw_days["camera_code"] != ""].groupby(cam_keys)
                                   .size(), check_names=False)
    commune = raw["commune_code"].value_counts().index[0]
    assert rebuild(engine, tz) == len(late)
    pd.testing.assert_frame_equal(rollup(engine), main)
    pd.testing.assert_frame_equal(rollup(engine, st.traffic_rollup_all), province)
    pd.testing.assert_frame_equal(rollup(engine, st.traffic_camera_rollup), cams)
    pd.testing.assert_frame_equal(rollup(engine, st.traffic_hour_rollup), hours)
    for period in (Period(date(2024, 12, 20), date(2025, 1, 12)), Period(date(2024, 12, 31), date(2025, 1, 2))):
        for filters in ({}, {"unit": "474"}, {"unit": "482"}, {"unit": commune}, {"vehicle_class": "motorbike"},
                        {"channel": "citizen"}):
            flt = TrafficFilter(period, **filters)
            assert traffic_kpis(engine, flt, tz).as_dict() == traffic_kpis_raw(engine, flt, tz).as_dict()


def test_the_fast_plate_path_agrees_with_the_domain_parser():
    rng = np.random.default_rng(9)
    typed = list(_plates(rng, rng.choice(["motorbike", "car", "truck"], 20_000))) + [
        "75A-123.45", "75LD-123.45", "75-LD 234.56", "75-B1 2345", "75B12345", "75LD12345", "10A-123.45",
        "09A12345", "75a-123.45", " 75A-123.45", "75AB-1234", "75-AB 2345", "75Đ-123.45", "11A12345",
        "75B123456", "7SB1 234.56", "", "75-A1 2345", "99ZZ-999.99", "10B123456", "75B1234567", None]
    values = pd.Series(typed, dtype=object)
    fast = canonical_plates(values)
    slow = normalise_plates(values)
    assert [None if pd.isna(v) else v for v in fast] == [None if pd.isna(v) else v for v in slow]
    assert fast.isna().sum() > 100  # the simulator's OCR mistakes are there


def detected(external_id: str, **overrides) -> dict:
    """A violation just detected (no review yet)."""
    return violation(external_id, status="detected", verified_at=None, updated_at=None, **overrides)


def test_the_heatmap_counts_local_hours_and_weekdays(engine, tz):
    put(engine, tz,
        detected("V-1", detected_at="2025-03-03T07:30:00+07:00"),                       # Mon 07h
        detected("V-2", detected_at="2025-03-03T00:30:00Z"),                            # Mon 07h (UTC given)
        detected("V-3", detected_at="2025-03-02T23:10:00+07:00", vehicle_class="motorbike"),  # Sun 23h
        detected("V-4", detected_at="2025-03-04T16:59:00Z", unit_code="478", camera_code="",
                  channel="citizen"))                                                     # Tue 23:59 → Tue 23h
    period = Period(date(2025, 3, 1), date(2025, 3, 8))
    grid = hour_weekday(engine, TrafficFilter(period), tz)
    assert grid.shape == (7, 24) and int(grid.to_numpy().sum()) == 4
    assert (grid.loc[0, 7], grid.loc[6, 23], grid.loc[1, 23]) == (2, 1, 1)
    assert int(hour_weekday(engine, TrafficFilter(period, unit="478"), tz).to_numpy().sum()) == 1
    cars = hour_weekday(engine, TrafficFilter(period, vehicle_class="car"), tz)  # from the raw rows
    assert (int(cars.to_numpy().sum()), cars.loc[0, 7]) == (3, 2)
    citizens = hour_weekday(engine, TrafficFilter(period, channel="citizen"), tz)
    assert citizens.loc[1, 23] == 1 and int(citizens.to_numpy().sum()) == 1
    assert int(hour_weekday(engine, TrafficFilter(Period(date(2025, 3, 3), date(2025, 3, 4))), tz)
               .to_numpy().sum()) == 2  # Sunday's and Tuesday's are outside
