"""Feedback store: upsert rules and incremental rollups, on SQLite and on PostgreSQL.

Every test runs twice through the ``engine`` fixture (tests/conftest.py): once on a fresh
SQLite file, once on a fresh PostgreSQL database (marked ``postgres``; it fails, never
skips, when the server is down). Local time is Asia/Ho_Chi_Minh (UTC+7); the store holds
naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from ioc.domain.feedback import FAMILY, validate_report
from ioc.domain.histogram import hist_bin
from ioc.kpi.feedback import (
    FeedbackFilter,
    feedback_breakdown,
    feedback_kpis,
    feedback_kpis_raw,
    feedback_series,
    first_received,
)
from ioc.kpi.periods import Period
from ioc.store import schema, schema_feedback
from ioc.store.feedback import (
    REPORT_COLUMNS,
    ROLLUP_KEYS,
    ROLLUP_MEASURES,
    count_reports,
    ingest,
    rebuild_rollups,
    records_frame,
)
from ioc.store.ingest import IngestResult
from layouts.query import parse_feedback_query

SOURCE = "hue_s"
ROLLUP_INT_MEASURES = [m for m in ROLLUP_MEASURES if m != "res_hours_sum"]


def report(external_id: str = "PA-1", **overrides) -> dict:
    """A raw report as a collector would hand it over (local times with +07:00)."""
    raw = {
        "external_id": external_id,
        "category_code": "lighting",
        "description": "Đèn đường hỏng",
        "address": "12 Lê Lợi, Huế",
        "unit_code": "474",
        "lat": 16.4637,
        "lon": 107.5909,
        "channel": "hue_s",
        "status": "received",
        "handling_unit": "Điện lực Huế",
        "received_at": "2026-03-10T09:00:00+07:00",
        "due_at": "2026-03-19T09:00:00+07:00",
        "resolved_at": None,
        "rating": None,
        "updated_at": "2026-03-10T09:00:00+07:00",
    }
    raw.update(overrides)
    return raw


def frame_of(*raws: dict) -> pd.DataFrame:
    return records_frame([validate_report(r) for r in raws])


def put(engine: Engine, tz, *raws: dict, calendar=None) -> IngestResult:
    return ingest(engine, SOURCE, frame_of(*raws), tz, calendar)


def stored_rows(engine: Engine) -> list[dict]:
    t = schema_feedback.feedback_reports
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t).order_by(t.c.source, t.c.external_id)).mappings()]


def stored_row(engine: Engine, external_id: str) -> dict:
    rows = [r for r in stored_rows(engine) if r["external_id"] == external_id]
    assert len(rows) == 1
    return rows[0]


def rollup_table(engine: Engine) -> pd.DataFrame:
    """The whole rollup table, sorted by its key, with plain Python types."""
    with engine.connect() as conn:
        rows = conn.execute(select(schema_feedback.feedback_rollup)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in schema_feedback.feedback_rollup.columns])
    frame["bucket"] = pd.to_datetime(frame["bucket"]).dt.date
    for col in ROLLUP_INT_MEASURES:
        frame[col] = frame[col].astype("int64")
    frame["res_hours_sum"] = frame["res_hours_sum"].astype("float64")
    return frame.sort_values(list(ROLLUP_KEYS)).reset_index(drop=True)


def rollup_sums(engine: Engine, grain: str, by: str) -> dict:
    """{(bucket, value of ``by``): (received, processed, resolved, on_time, rated)} without all-zero entries."""
    frame = rollup_table(engine)
    frame = frame[frame["grain"] == grain]
    sums = frame.groupby(["bucket", by])[["received", "processed", "resolved", "on_time", "rated"]].sum()
    return {key: tuple(int(v) for v in row) for key, row in sums.iterrows() if any(row)}


def data_version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            select(schema.data_versions.c.version).where(schema.data_versions.c.family == FAMILY)
        ).scalar()


# --------------------------------------------------------------------------- same record again


def test_same_record_again_changes_nothing(engine, tz):
    batch = [report("PA-1"), report("PA-2", status="resolved", resolved_at="2026-03-11T09:00:00+07:00",
                                    updated_at="2026-03-11T09:00:00+07:00", rating="satisfied"),
             report("PA-3", unit_code="478", category_code="trees")]
    assert put(engine, tz, *batch) == IngestResult(inserted=3, updated=0, unchanged=0)
    rows, rollups, version = stored_rows(engine), rollup_table(engine), data_version(engine)
    assert version == 1
    assert put(engine, tz, *batch) == IngestResult(inserted=0, updated=0, unchanged=3)
    assert stored_rows(engine) == rows  # every column, ingested_at included
    pd.testing.assert_frame_equal(rollup_table(engine), rollups)
    assert data_version(engine) == 1
    assert count_reports(engine) == 3


def test_first_insert_rollups_by_hand(engine, tz):
    # PA-1 open, received Tue 10 Mar 09:00 local; PA-2 resolved after 24 h, on time, satisfied.
    put(engine, tz, report("PA-1"), report("PA-2", status="resolved", resolved_at="2026-03-11T09:00:00+07:00",
                                           rating="satisfied"))
    table = rollup_table(engine)
    assert sorted(set(zip(table["grain"], table["bucket"], strict=True))) == [
        ("d", date(2026, 3, 10)), ("m", date(2026, 3, 1))]
    for grain in ("d", "m"):
        g = table[table["grain"] == grain]
        assert g[["received", "processed", "resolved", "on_time", "rated", "satisfied"]].sum().tolist() == [
            2, 1, 1, 1, 1, 1]
        assert g["res_hours_sum"].sum() == pytest.approx(24.0)
        # 24 h falls in histogram bin 48: ⌊ln(96) / ln(1.1)⌋ + 1
        assert g["h048"].sum() == 1 and int(hist_bin(np.array([24.0]))[0]) == 48
        assert g[list(schema_feedback.FEEDBACK_HIST_COLUMNS)].to_numpy().sum() == 1


# --------------------------------------------------------------------------- later versions


def test_later_version_updates_row_and_moves_rollups_in_received_bucket(engine, tz):
    # Received Tue 2026-03-10 09:00 local, deadline by default: Wed 11 (1), Thu 12 (2), Fri 13 (3),
    # Mon 16 (4), Tue 17 (5), Wed 18 (6), Thu 19 (7) → 2026-03-19 09:00 local = 02:00 UTC.
    opened = report("PA-7", due_at=None)
    assert put(engine, tz, opened) == IngestResult(1, 0, 0)
    assert stored_row(engine, "PA-7")["due_at"] == datetime(2026, 3, 19, 2, 0)
    before = {g: rollup_sums(engine, g, "category_code") for g in ("d", "m")}
    assert before["d"] == {(date(2026, 3, 10), "lighting"): (1, 0, 0, 0, 0)}
    assert before["m"] == {(date(2026, 3, 1), "lighting"): (1, 0, 0, 0, 0)}

    # Resolved on 2026-05-20 09:00 local, 71 days later (21 + 30 + 20): 1704 h, late.
    closed = report("PA-7", due_at=None, status="resolved", resolved_at="2026-05-20T09:00:00+07:00",
                    rating="acceptable", updated_at="2026-05-20T09:05:00+07:00")
    assert put(engine, tz, closed) == IngestResult(0, 1, 0)
    row = stored_row(engine, "PA-7")
    assert (row["status"], row["rating"]) == ("resolved", "acceptable")
    assert row["resolved_at"] == datetime(2026, 5, 20, 2, 0)
    assert row["updated_at"] == datetime(2026, 5, 20, 2, 5)
    # processed 0 → 1 in the bucket of the day it was RECEIVED (10 March), not in May
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 10), "lighting"): (1, 1, 1, 0, 1)}
    assert rollup_sums(engine, "m", "category_code") == {(date(2026, 3, 1), "lighting"): (1, 1, 1, 0, 1)}
    table = rollup_table(engine)
    assert table.loc[table["grain"] == "d", "res_hours_sum"].sum() == pytest.approx(1704.0)
    assert data_version(engine) == 2
    # …and the KPI for March now sees it processed, late
    k = feedback_kpis(engine, FeedbackFilter(Period(date(2026, 3, 1), date(2026, 4, 1))), tz, datetime(2026, 6, 1))
    assert (k.received, k.processed, k.on_time_rate, k.overdue, k.satisfaction_rate) == (1, 1, 0.0, 0, 1.0)


def test_older_version_never_overwrites_a_newer_one(engine, tz):
    newer = report("PA-8", status="resolved", resolved_at="2026-03-12T10:00:00+07:00", rating="satisfied",
                   updated_at="2026-03-12T10:00:00+07:00")
    older = report("PA-8", status="in_progress", category_code="trees", updated_at="2026-03-11T08:00:00+07:00")
    assert put(engine, tz, newer) == IngestResult(1, 0, 0)
    rows, rollups = stored_rows(engine), rollup_table(engine)
    assert put(engine, tz, older) == IngestResult(0, 0, 1)
    # equally old but different content: not an update either
    same_time = report("PA-8", status="rejected", resolved_at="2026-03-12T10:00:00+07:00",
                       updated_at="2026-03-12T10:00:00+07:00")
    assert put(engine, tz, same_time) == IngestResult(0, 0, 1)
    assert stored_rows(engine) == rows
    assert stored_row(engine, "PA-8")["status"] == "resolved"
    pd.testing.assert_frame_equal(rollup_table(engine), rollups)
    assert data_version(engine) == 1


def test_duplicates_inside_one_batch_keep_the_newest(engine, tz):
    v1 = report("PA-9", updated_at="2026-03-10T09:00:00+07:00")
    v3 = report("PA-9", status="resolved", resolved_at="2026-03-13T09:00:00+07:00", rating="dissatisfied",
                updated_at="2026-03-13T09:00:00+07:00")
    v2 = report("PA-9", status="in_progress", updated_at="2026-03-11T09:00:00+07:00")
    assert put(engine, tz, v1, v3, v2) == IngestResult(1, 0, 0)
    row = stored_row(engine, "PA-9")
    assert (row["status"], row["rating"], row["resolved_at"]) == ("resolved", "dissatisfied", datetime(2026, 3, 13, 2))
    # counted once, as the newest version
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 10), "lighting"): (1, 1, 1, 1, 1)}
    # the same in a batch that updates a stored report: v4 wins over v2 and v3
    v4 = report("PA-9", status="rejected", resolved_at="2026-03-14T09:00:00+07:00",
                updated_at="2026-03-14T09:00:00+07:00")
    assert put(engine, tz, v2, v4, v3) == IngestResult(0, 1, 0)
    assert stored_row(engine, "PA-9")["status"] == "rejected"
    # rejected after 4 days, before the 19 March deadline: processed, on time, not rated
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 10), "lighting"): (1, 1, 0, 1, 0)}


def test_category_change_moves_the_count_between_rollup_keys(engine, tz):
    put(engine, tz, report("PA-10"), report("PA-11"))
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 10), "lighting"): (2, 0, 0, 0, 0)}
    put(engine, tz, report("PA-10", category_code="trees", updated_at="2026-03-10T15:00:00+07:00"))
    for grain, bucket in (("d", date(2026, 3, 10)), ("m", date(2026, 3, 1))):
        assert rollup_sums(engine, grain, "category_code") == {
            (bucket, "lighting"): (1, 0, 0, 0, 0), (bucket, "trees"): (1, 0, 0, 0, 0)}
    # the breakdown by category sees the move
    flt = FeedbackFilter(Period(date(2026, 3, 1), date(2026, 4, 1)), category="trees")
    assert feedback_kpis(engine, flt, tz, datetime(2026, 3, 11)).received == 1


def test_moves_leave_no_empty_rollup_rows(engine, tz):
    # A report corrected from lighting to trees, and its received date from 5 to 10 March:
    # the old keys hold nothing any more, so their rows must go (as a rebuild would do).
    put(engine, tz, report("PA-12", received_at="2026-03-05T09:00:00+07:00", updated_at="2026-03-05T09:00:00+07:00"))
    put(engine, tz, report("PA-12", category_code="trees", updated_at="2026-03-10T15:00:00+07:00"))
    table = rollup_table(engine)
    empty = table[table["received"] == 0]
    assert empty.empty, f"rollup rows with nothing in them:\n{empty[list(ROLLUP_KEYS)]}"
    assert len(table) == 2  # one day row, one month row
    # Visible symptoms of such rows: the first day with data, and a day series with a
    # bucket where nothing was received.
    assert first_received(engine) == date(2026, 3, 10)
    series = feedback_series(engine, FeedbackFilter(Period(date(2026, 3, 1), date(2026, 4, 1))), "day")
    assert series["bucket"].dt.date.tolist() == [date(2026, 3, 10)]


# --------------------------------------------------------------------------- unknown units, deadlines, times


def test_unknown_unit_code_falls_back_to_the_position(engine, tz):
    """A code not in force on the record's date does not place it: its position does (the
    commune in force then, Phường Thuận Hóa here); without a position the record has no unit."""
    put(engine, tz, report("PA-20", unit_code="999"), report("PA-21", unit_code="", lat=None, lon=None),
        report("PA-22", unit_code=None, lat=None, lon=None))
    assert count_reports(engine) == 3
    assert [(r["unit_code"], r["district_code"], r["commune_code"]) for r in stored_rows(engine)] == [
        ("19789", "", "19789"), ("", "", ""), ("", "", "")]
    assert rollup_sums(engine, "d", "commune_code") == {
        (date(2026, 3, 10), ""): (2, 0, 0, 0, 0), (date(2026, 3, 10), "19789"): (1, 0, 0, 0, 0)}
    period = Period(date(2026, 3, 1), date(2026, 4, 1))
    assert feedback_kpis(engine, FeedbackFilter(period, unit="19789"), tz, datetime(2026, 3, 11)).received == 1
    assert feedback_kpis(engine, FeedbackFilter(period, unit="999"), tz, datetime(2026, 3, 11)).received == 0
    assert feedback_kpis(engine, FeedbackFilter(period, unit=""), tz, datetime(2026, 3, 11)).received == 2


# --------------------------------------------------------------------------- the 1 July 2025 change

# Phường Thuận Lộc (19753, in Quận Phú Xuân 475 from 2025-01-01) became part of Phường Phú Xuân,
# which kept the code 19753; Phường Phú Hội (19777 … in Thành phố Huế 474 in 2024) and others
# went to other wards. Positions: the centroid of the ward in force on the record's date.
EVE, DAY_ONE = "2025-06-30T23:59:00+07:00", "2025-07-01T00:00:00+07:00"


def _at(external_id: str, received: str, **over) -> dict:
    return report(external_id, received_at=received, updated_at=received, due_at=None, **over)


def test_records_either_side_of_1_july_2025_land_in_the_old_and_new_map(engine, tz):
    put(engine, tz, _at("EVE", EVE, unit_code="19753", lat=None, lon=None),
        _at("ONE", DAY_ONE, unit_code="19753", lat=None, lon=None),
        _at("EVE-POS", EVE, unit_code="", lat=16.4785, lon=107.577),
        _at("ONE-POS", DAY_ONE, unit_code="", lat=16.4785, lon=107.577))
    rows = {r["external_id"]: (r["unit_code"], r["district_code"], r["commune_code"]) for r in stored_rows(engine)}
    # 30/06 23:59 local (16:59 UTC): Phường Thuận Lộc of Quận Phú Xuân, mapped to today's Phường Phú Xuân
    assert rows["EVE"] == ("19753", "475", "19753")
    # 01/07 00:00 local (30/06 17:00 UTC): Phường Phú Xuân, no district level any more
    assert rows["ONE"] == ("19753", "", "19753")
    # by position: a ward of Quận Phú Xuân the evening before, Phường Phú Xuân the next minute
    assert rows["EVE-POS"][1:] == ("475", "19753") and rows["EVE-POS"][0] != ""
    assert rows["ONE-POS"] == ("19753", "", "19753")
    assert stored_row(engine, "EVE")["received_at"] == datetime(2025, 6, 30, 16, 59)
    assert stored_row(engine, "ONE")["received_at"] == datetime(2025, 6, 30, 17, 0)
    # the day rollups split at local midnight: the district column only before the change
    sums = rollup_sums(engine, "d", "district_code")
    assert sums == {(date(2025, 6, 30), "475"): (2, 0, 0, 0, 0), (date(2025, 7, 1), ""): (2, 0, 0, 0, 0)}


def test_a_new_commune_counts_records_from_both_sides_and_an_old_district_its_own_days(engine, tz):
    """Phú Xuân (19753) over 2024–2026 counts its records of every date, the older ones mapped
    through the official conversion; Thành phố Huế (474) over 2024 counts that year's records."""
    put(engine, tz,
        _at("2024-HUE", "2024-05-10T09:00:00+07:00", unit_code="19753", lat=None, lon=None),  # Thuận Lộc, TP Huế
        _at("2025-PX", "2025-03-10T09:00:00+07:00", unit_code="19753", lat=None, lon=None),  # Thuận Lộc, Q. Phú Xuân
        _at("2025-TH", "2025-03-10T09:00:00+07:00", unit_code="474", lat=None, lon=None),  # Quận Thuận Hóa
        _at("2026-PX", "2026-03-10T09:00:00+07:00", unit_code="19753", lat=None, lon=None),  # Phường Phú Xuân
        _at("2026-KL", "2026-03-10T09:00:00+07:00", unit_code="19774", lat=None, lon=None),  # Phường Kim Long
        _at("2024-HT", "2024-05-10T09:00:00+07:00", unit_code="479", lat=None, lon=None))  # Thị xã Hương Thủy
    rows = {r["external_id"]: (r["unit_code"], r["district_code"], r["commune_code"]) for r in stored_rows(engine)}
    assert rows["2024-HUE"] == ("19753", "474", "19753")
    assert rows["2025-PX"] == ("19753", "475", "19753")
    assert rows["2025-TH"] == ("474", "474", "")  # known by district only, no position: no commune
    assert rows["2026-PX"] == ("19753", "", "19753")
    now = datetime(2026, 12, 1)
    wide = Period(date(2024, 1, 1), date(2027, 1, 1))
    for flt in (FeedbackFilter(wide, unit="19753"),):
        assert feedback_kpis(engine, flt, tz, now).received == 3
        assert feedback_kpis_raw(engine, flt, tz, now).received == 3
    # a district-level code means that unit of the time: 474 is Thành phố Huế in 2024 …
    year_2024 = Period(date(2024, 1, 1), date(2025, 1, 1))
    assert feedback_kpis(engine, FeedbackFilter(year_2024, unit="474"), tz, now).received == 1
    assert feedback_kpis(engine, FeedbackFilter(year_2024, unit="479"), tz, now).received == 1
    # … and Quận Thuận Hóa in 2025 (the code was reused); nothing after 1 July 2025
    assert feedback_kpis(engine, FeedbackFilter(wide, unit="474"), tz, now).received == 2
    assert feedback_kpis(engine, FeedbackFilter(Period(date(2025, 7, 1), date(2027, 1, 1)), unit="474"), tz,
                         now).received == 0
    # an old link (?district=474) gives the same view as ?unit=474
    old, problems = parse_feedback_query({"from": "2024-01-01", "to": "2024-12-31", "district": "474"}, date(2026, 12, 1))
    assert problems == [] and old == FeedbackFilter(year_2024, unit="474")
    assert feedback_kpis(engine, old, tz, now).received == 1
    # the breakdowns: by current commune over everything, by district of the time over 2024
    by_commune = feedback_breakdown(engine, FeedbackFilter(wide), "commune").set_index("key")["received"]
    assert by_commune.to_dict() == {"19753": 3, "": 2, "19774": 1}
    by_district = feedback_breakdown(engine, FeedbackFilter(year_2024), "district").set_index("key")["received"]
    assert by_district.to_dict() == {"474": 1, "479": 1}


@pytest.mark.parametrize("explicit_calendar", [False, True], ids=["store-calendar", "given-calendar"])
def test_missing_due_is_seven_working_days_in_local_time(engine, tz, calendar, explicit_calendar):
    cal = calendar if explicit_calendar else None  # None: the store's holidays table
    put(
        engine, tz,
        # Thu 2026-02-12 09:00 local (02:00 UTC): Fri 13 (1), Tết 16–20 off, Mon 23 (2) … Fri 27 (6),
        # Mon 2 Mar (7) → 2026-03-02 09:00 local = 02:00 UTC.
        report("TET", received_at="2026-02-12T09:00:00+07:00", updated_at="2026-02-12T09:00:00+07:00", due_at=None),
        # Fri 2026-03-06 18:00 UTC is Sat 7 Mar 01:00 local: a weekend, so the clock starts Mon 9
        # 00:00 local; Tue 10 (1) … Wed 18 (7) → Wed 2026-03-18 00:00 local = Tue 17 17:00 UTC.
        # (Counting in UTC would start on a Friday working day and give another answer.)
        report("SAT", received_at="2026-03-06T18:00:00Z", updated_at="2026-03-06T18:00:00Z", due_at=None),
        # Thu 2026-11-19 14:00 local: Fri 20 (1), Mon 23 (2), Tue 24 Cultural Day off, Wed 25 (3),
        # Thu 26 (4), Fri 27 (5), Mon 30 (6), Tue 1 Dec (7) → 2026-12-01 14:00 local = 07:00 UTC.
        report("VCD", received_at="2026-11-19T14:00:00+07:00", updated_at="2026-11-19T14:00:00+07:00", due_at=None),
        # an explicit deadline is kept as given
        report("GIVEN", due_at="2026-03-11T17:00:00+07:00"),
        calendar=cal,
    )
    due = {r["external_id"]: r["due_at"] for r in stored_rows(engine)}
    assert due == {
        "TET": datetime(2026, 3, 2, 2, 0),
        "SAT": datetime(2026, 3, 17, 17, 0),
        "VCD": datetime(2026, 12, 1, 7, 0),
        "GIVEN": datetime(2026, 3, 11, 10, 0),
    }


def test_timestamps_round_trip_exactly_in_utc(engine, tz):
    raw = report(
        "PA-30",
        received_at="2026-03-31T23:30:00.123456+07:00",
        due_at="2026-04-09T23:30:00.000001+07:00",
        resolved_at="2026-04-01T06:15:59.999999Z",
        status="resolved",
        updated_at="2026-04-02T00:00:00.5+00:00",
    )
    put(engine, tz, raw)
    row = stored_row(engine, "PA-30")
    assert row["received_at"] == datetime(2026, 3, 31, 16, 30, 0, 123456)
    assert row["due_at"] == datetime(2026, 4, 9, 16, 30, 0, 1)
    assert row["resolved_at"] == datetime(2026, 4, 1, 6, 15, 59, 999999)
    assert row["updated_at"] == datetime(2026, 4, 2, 0, 0, 0, 500000)
    assert all(row[c].tzinfo is None for c in ("received_at", "due_at", "resolved_at", "updated_at"))
    # read back by the upsert itself: the stored updated_at equals the incoming one to the µs
    assert put(engine, tz, raw) == IngestResult(0, 0, 1)
    # one microsecond later is newer
    assert put(engine, tz, {**raw, "updated_at": "2026-04-02T00:00:00.500001+00:00"}) == IngestResult(0, 1, 0)
    # the local day of 16:30 UTC on 31 March is 31 March
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 31), "lighting"): (1, 1, 1, 1, 0)}
    assert stored_row(engine, "PA-30")["received_at"] == datetime(2026, 3, 31, 16, 30, 0, 123456)


def test_sources_are_separate_keys(engine, tz):
    frame = frame_of(report("PA-40"))
    assert ingest(engine, "hue_s", frame, tz) == IngestResult(1, 0, 0)
    assert ingest(engine, "hotline_import", frame, tz) == IngestResult(1, 0, 0)
    assert count_reports(engine) == 2
    assert rollup_sums(engine, "d", "category_code") == {(date(2026, 3, 10), "lighting"): (2, 0, 0, 0, 0)}


# --------------------------------------------------------------------------- data version


def test_data_version_bumps_only_when_something_changed(engine, tz):
    assert data_version(engine) is None
    assert ingest(engine, SOURCE, frame_of(report("PA-50")).iloc[0:0], tz) == IngestResult()
    assert data_version(engine) is None
    put(engine, tz, report("PA-50"))
    assert data_version(engine) == 1
    put(engine, tz, report("PA-50"))  # same
    put(engine, tz, report("PA-50", status="rejected", updated_at="2026-03-09T00:00:00+07:00",
                           resolved_at="2026-03-10T10:00:00+07:00"))  # older
    assert data_version(engine) == 1
    put(engine, tz, report("PA-50", status="in_progress", updated_at="2026-03-10T10:00:00+07:00"))  # newer
    assert data_version(engine) == 2
    put(engine, tz, report("PA-50", status="in_progress", updated_at="2026-03-10T10:00:00+07:00"),
        report("PA-51"))  # one unchanged, one new
    assert data_version(engine) == 3


# --------------------------------------------------------------------------- rebuild == incremental


UNITS = ["474", "478", "482", "999", ""]
CATS = ["lighting", "trees", "environment", "water"]
CHANS = ["hue_s", "hotline", "web"]
OPEN = ["received", "verified", "assigned", "in_progress"]


def _random_version(rng: np.random.Generator, external_id: str, received: datetime, updated: datetime,
                    closed: bool) -> dict:
    # times on whole minutes plus some microseconds, local (+07:00) or UTC (Z)
    res = received + timedelta(minutes=int(rng.integers(1, 60 * 24 * 40)), microseconds=int(rng.integers(0, 10**6)))
    res = max(res, updated) if closed else res
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    status = str(rng.choice(["resolved", "rejected"])) if closed else str(rng.choice(OPEN))
    return {
        "external_id": external_id,
        "category_code": str(rng.choice(CATS)),
        "unit_code": str(rng.choice(UNITS)),
        "channel": str(rng.choice(CHANS)),
        "handling_unit": str(rng.choice(["Điện lực Huế", "URENCO Huế", ""])),
        "status": status,
        "received_at": received.strftime(fmt),
        "due_at": None if rng.random() < 0.4 else (received + timedelta(days=int(rng.integers(1, 15)))).strftime(fmt),
        "resolved_at": res.strftime(fmt) if closed else None,
        "rating": str(rng.choice(["satisfied", "acceptable", "dissatisfied", ""])) if closed else None,
        "updated_at": (res if closed else updated).strftime(fmt),
    }


def _random_history(seed: int, n_reports: int, n_batches: int) -> list[list[dict]]:
    """Batches of report versions: first sightings, late updates (status, category, unit and
    even received-date corrections), stale re-sends and in-batch duplicates."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 20)
    latest: dict[str, dict] = {}
    batches: list[list[dict]] = []
    for b in range(n_batches):
        batch: list[dict] = []
        for i in range(n_reports // n_batches):
            eid = f"R{b}-{i}"
            received = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 100)),
                                         microseconds=int(rng.integers(0, 10**6)))
            v = _random_version(rng, eid, received, received, closed=rng.random() < 0.3)
            latest[eid] = v
            batch.append(v)
        for eid in rng.choice(sorted(latest), size=min(len(latest), 40), replace=False):
            old = latest[str(eid)]
            received = datetime.fromisoformat(old["received_at"].rstrip("Z"))
            if rng.random() < 0.15:  # a corrected received time, possibly another day/month
                received += timedelta(hours=int(rng.integers(-72, 72)))
            updated = datetime.fromisoformat(old["updated_at"].rstrip("Z")) + timedelta(
                minutes=int(rng.integers(1, 60 * 24 * 60)))
            new = _random_version(rng, str(eid), received, max(updated, received), closed=rng.random() < 0.7)
            if datetime.fromisoformat(new["updated_at"].rstrip("Z")) <= datetime.fromisoformat(
                    old["updated_at"].rstrip("Z")):
                continue
            batch.append(new)
            latest[str(eid)] = new
            if rng.random() < 0.2:
                batch.append(old)  # a stale duplicate in the same batch
        rng.shuffle(batch)
        batches.append(batch)
        if b:
            batches.append([dict(v) for v in rng.choice(batches[b - 1], size=10, replace=False)])  # stale re-send
    return batches


def test_rebuild_reproduces_incremental_rollups(engine, tz, calendar):
    batches = _random_history(seed=766, n_reports=400, n_batches=8)
    totals = IngestResult()
    for batch in batches:
        totals = totals + ingest(engine, SOURCE, frame_of(*batch), tz, calendar)
    assert totals.updated > 100 and totals.unchanged > 50  # the history really exercised updates
    n = count_reports(engine)
    assert n == 400
    incremental = rollup_table(engine)
    assert rebuild_rollups(engine, tz) == n
    rebuilt = rollup_table(engine)
    # integer measures exactly; the float sum of hours up to rounding of the order of addition
    pd.testing.assert_frame_equal(
        incremental.drop(columns="res_hours_sum"), rebuilt.drop(columns="res_hours_sum"), check_dtype=False
    )
    np.testing.assert_allclose(incremental["res_hours_sum"], rebuilt["res_hours_sum"], rtol=1e-9, atol=1e-6)
    # …and the month rollups are the sums of the day rollups
    days = rebuilt[rebuilt["grain"] == "d"].assign(
        bucket=lambda f: [d.replace(day=1) for d in f["bucket"]])
    from_days = days.groupby(list(ROLLUP_KEYS[1:]))[ROLLUP_INT_MEASURES].sum().sort_index()
    months = rebuilt[rebuilt["grain"] == "m"].set_index(list(ROLLUP_KEYS[1:]))[ROLLUP_INT_MEASURES].sort_index()
    pd.testing.assert_frame_equal(from_days, months, check_dtype=False)
    # sanity on the raw table: every stored row is the newest version sent
    assert len(stored_rows(engine)) == n
    assert set(REPORT_COLUMNS) <= set(stored_rows(engine)[0])
