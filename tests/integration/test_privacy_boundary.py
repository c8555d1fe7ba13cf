"""Personal data is masked at the data boundary (issue #12): the report and violation queries
hand pages, popups, grids and CSV exports masked text and plates, on SQLite and PostgreSQL,
whatever digit forms the citizen or the camera used; revealing gives the stored text back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.domain.feedback import validate_report
from ioc.domain.traffic_records import validate_violation
from ioc.kpi.feedback import FeedbackFilter, map_reports, overdue_queue
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter
from ioc.kpi.traffic_views import latest_by_camera, latest_violations
from ioc.store import feedback as feedback_store
from ioc.store import traffic as traffic_store
from layouts.exports import reports_export
from layouts.shaping import popup_html
from layouts.traffic_shaping import violation_rows, violations_export

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2026, 3, 2, 2, 0)  # 09:00 local
PERIOD = Period(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 3, 25, 0, 0)
DESCRIPTION = "Đèn hỏng, gọi tôi 0905 123 456 hoặc ｎｇｕｙｅｎ＠ｇｍａｉｌ．ｃｏｍ; xe ٧٥A-١٢٣.٤٥ đỗ chắn"
ADDRESS = "12 Lê Lợi (SĐT +84 905123456)"


def put_report(engine: Engine) -> None:
    raw = {"external_id": "fb-1", "category_code": "lighting", "unit_code": "474", "channel": "hue_s",
           "status": "assigned", "received_at": RECEIVED.isoformat() + "+00:00",
           "due_at": (RECEIVED + timedelta(days=5)).isoformat() + "+00:00", "description": DESCRIPTION,
           "address": ADDRESS, "lat": 16.4637, "lon": 107.5909}
    feedback_store.ingest(engine, "hue_s", feedback_store.records_frame([validate_report(raw)]), HUE)


def test_feedback_reports_are_masked_for_the_map_the_queue_and_the_csv(engine: Engine) -> None:
    put_report(engine)
    flt = FeedbackFilter(PERIOD)
    frame, total = map_reports(engine, flt, HUE, 100)
    assert total == 1
    [row] = frame.to_dict("records")
    assert row["description"] == "Đèn hỏng, gọi tôi 090* *** *** hoặc n***@gmail.com; xe 75A-123.** đỗ chắn"
    assert row["address"] == "12 Lê Lợi (SĐT +84 9********)"
    popup = popup_html(row, HUE, "vi")
    assert "090* *** ***" in popup and "123 456" not in popup and "gmail.com" in popup and "nguyen" not in popup
    [queued] = overdue_queue(engine, flt, HUE, NOW).to_dict("records")
    assert (queued["description"], queued["address"]) == (row["description"], row["address"])
    csv = reports_export(frame, HUE, "vi", {}).to_csv(index=False)
    assert "0905" not in csv.replace("090*", "") and "905123456" not in csv and "٧٥" not in csv

    shown, _ = map_reports(engine, flt, HUE, 100, reveal_text=True)
    assert (shown["description"].iloc[0], shown["address"].iloc[0]) == (DESCRIPTION, ADDRESS)


def put_violations(engine: Engine) -> None:
    raws = [
        {"external_id": "v-full", "plate": "７５Ａ－１２３．４５", "address": "gần số 5, gọi 0234.3822.123"},
        {"external_id": "v-arabic", "plate": "٧٥A-١٢٣.٤٦", "address": ""},
        {"external_id": "v-ascii", "plate": "75a12347", "address": ""},
    ]
    batch = [validate_violation({**r, "detected_at": (RECEIVED + timedelta(minutes=i)).isoformat() + "+00:00",
                                 "violation_type": "red_light", "vehicle_class": "car", "unit_code": "474"})
             for i, r in enumerate(raws)]
    traffic_store.ingest_records(engine, "cams", batch, HUE)


def test_violations_show_masked_plates_in_any_digit_form(engine: Engine) -> None:
    put_violations(engine)
    flt = TrafficFilter(PERIOD)
    frame = latest_violations(engine, flt, HUE, 10)
    plates = dict(zip(frame["external_id"], frame["plate_raw"], strict=True))
    assert plates == {"v-full": "75A-123.**", "v-arabic": "75A-123.**", "v-ascii": "75A-123.**"}
    rows = {r["external_id"]: r for r in violation_rows(frame, HUE, "vi", {}, {}, show_plates=False)}
    assert all(r["plate"].startswith("75A-123.**") for r in rows.values())
    assert "023*.****.***" in rows["v-full"]["where"]
    csv = violations_export(frame, HUE, "vi", {}, {}, show_plates=False).to_csv(index=False)
    assert "123.45" not in csv and "123.4" not in csv.replace("123.**", "") and "٤" not in csv and "３" not in csv

    shown = latest_violations(engine, flt, HUE, 10, reveal_plates=True)
    assert dict(zip(shown["external_id"], shown["plate_raw"], strict=True))["v-full"] == "７５Ａ－１２３．４５"
    assert dict(zip(shown["external_id"], shown["address"], strict=True))["v-full"] == "gần số 5, gọi 023*.****.***"
    revealed = {r["external_id"]: r["plate"] for r in violation_rows(shown, HUE, "vi", {}, {}, show_plates=True)}
    assert revealed["v-ascii"] == "75A-123.47"
    # the map's popups (violations per camera; these citizen reports have none)
    popups = latest_by_camera(engine, flt, HUE, [""], 5)
    assert sorted(popups["plate_raw"]) == ["75A-123.**"] * 3
