"""Traffic collectors end to end into a real SQLite store: the generic JSON mapping collector
against a local HTTP server, CSV/XLSX import (also through ``python -m ioc``), the simulator."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from data_sources import traffic_simulator
from data_sources.traffic_simulator import CAMERAS, CITIZEN_PER_DAY, TrafficSimulator, history
from ioc.collect import import_file, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.domain.traffic import check_fines, parse_plate
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter, traffic_kpis
from ioc.sources import SourceSpec
from ioc.store import runs
from ioc.store import schema_traffic as st
from tests.integration.json_server import JsonServer

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PATH = "/api/violations"
M = 1_000_000


@pytest.fixture
def server() -> Iterator[JsonServer]:
    with JsonServer() as fake:
        yield fake


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def make_ctx(tmp_path: Path, url: str, **options: Any) -> Context:
    """A context whose one source is a json/traffic source with the camera platform's mapping."""
    fields = {"external_id": "id", "detected_at": "time", "updated_at": "modified", "violation_type": "event",
              "vehicle_class": "vehicle.type", "plate": "vehicle.plate", "camera_code": "camera.id",
              "camera_name": "camera.name", "lat": "camera.pos.0", "lon": "camera.pos.1", "status": "state",
              "fine_vnd": "penalty.amount", "notice_sent_at": "penalty.notified", "paid_at": "penalty.paid",
              "speed_over_kmh": "speed.over", "evidence_url": "media.0"}
    values = {"violation_type": {"RL": "red_light", "SP": "speeding", "NH": "no_helmet", "WW": "wrong_way"},
              "vehicle_class": {"1": "motorbike", "2": "car", "3": "truck"},
              "status": {"0": "detected", "1": "verified", "2": "notice_sent", "3": "paid", "9": "dismissed"}}
    lines = ["[[sources]]", 'name = "cam-platform"', 'type = "json"', 'family = "traffic"', f'url = "{url}"',
             "every_seconds = 60", "start_date = 2024-12-01", 'items = "data"', "retry_backoff_s = 0.01",
             'watermark_field = "updated_at"']
    lines += [f"{k} = {toml_value(v)}" for k, v in options.items()]
    lines += ["[sources.query]", 'since = "{since}"', "[sources.fields]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    for field, table in values.items():
        lines.append(f"[sources.values.{field}]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in table.items()]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
                                        "IOC_SOURCES": str(path), "IOC_HTTP_TIMEOUT": "2"}))


def event(eid: str, time: str, code: str = "RL", vehicle: Any = 2, plate: str = "75A-123.45", state: Any = 1,
          **extra: Any) -> dict[str, Any]:
    item = {"id": eid, "time": time, "modified": time, "event": code, "vehicle": {"type": vehicle, "plate": plate},
            "camera": {"id": "CAM-7", "name": "Ngã tư Lê Lợi – Hùng Vương", "pos": [16.4663, 107.5937]},
            "state": state, "media": ["https://evidence.example/CAM-7/" + eid + ".jpg"]}
    item.update(extra)
    return item


def stored(ctx: Context) -> dict[str, dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return {r["external_id"]: dict(r) for r in conn.execute(select(st.traffic_violations)).mappings()}


# --- the generic JSON mapping collector -----------------------------------------------------------


def test_json_mapping_stores_flags_and_quarantines_across_the_decree_change(tmp_path: Path,
                                                                            server: JsonServer) -> None:
    server.route(PATH, {"data": [
        # 23:30 on 31 Dec in Huế: Decree 100/2019 + 123/2021, red light car 4–6 M
        event("E1", "2024-12-31T23:30:00+07:00", state=2, penalty={"amount": "5.000.000",
                                                                   "notified": "2025-01-02T09:00:00+07:00"}),
        # 00:10 on 1 Jan in Huế (17:10 UTC on 31 Dec): Decree 168/2024, 18–20 M → 5 M is below
        event("E2", "2024-12-31T17:10:00Z", state=2, plate="75a12345",
              penalty={"amount": 5_000_000, "notified": "2025-01-02T09:00:00+07:00"}),
        event("E3", "2025-01-02T08:00:00+07:00", state=3, plate="75-B1 234.56", vehicle=1,
              penalty={"amount": 5_000_000, "notified": "2025-01-03T08:00:00+07:00",
                       "paid": "2025-01-10T08:00:00+07:00"}),
        event("E4", "2025-01-02T22:00:00+07:00", code="SP", vehicle=2, plate="7SA-123.45", speed={"over": 23}),
        event("E5", "2025-01-03T07:00:00+07:00", code="NH", vehicle=1, plate=""),
        event("X1", "2025-01-03T07:10:00+07:00", vehicle=7),                       # untranslated vehicle
        event("X2", "2025-01-03T07:20:00+07:00", code="SP"),                       # speeding, no speed
        event("X3", "hôm qua"),                                                    # bad time
        event("X4", "2025-01-03T07:40:00+07:00", penalty={"amount": "năm triệu"}),  # bad amount
    ]})
    ctx = make_ctx(tmp_path, server.url(PATH))

    outcome = run_source(ctx, ctx.source("cam-platform"))

    assert outcome.status == "ok", outcome.error
    assert outcome.counts == {"fetched": 9, "inserted": 5, "updated": 0, "unchanged": 0, "rejected": 4}
    rows = stored(ctx)
    assert (rows["E1"]["fine_flag"], rows["E1"]["decree"]) == ("in", "100/2019/NĐ-CP + 123/2021/NĐ-CP")
    assert (rows["E2"]["fine_flag"], rows["E2"]["decree"], rows["E2"]["fine_min_vnd"]) == \
        ("below", "168/2024/NĐ-CP", 18 * M)
    assert (rows["E2"]["detected_at"], rows["E2"]["plate"]) == (datetime(2024, 12, 31, 17, 10), "75A-123.45")
    assert (rows["E3"]["status"], rows["E3"]["paid_at"], rows["E3"]["fine_flag"]) == \
        ("paid", datetime(2025, 1, 10, 1, 0), "in")
    assert (rows["E4"]["violation_type"], rows["E4"]["plate_status"], rows["E4"]["plate_raw"]) == \
        ("speeding_20_35", "invalid", "7SA-123.45")
    assert (rows["E5"]["vehicle_class"], rows["E5"]["plate_status"], rows["E5"]["channel"]) == \
        ("motorbike", "missing", "camera")
    # placed by the camera's position: a ward of Thành phố Huế (474) on 31 Dec 2024; a ward of Quận Thuận
    # Hóa (474 again: codes are reused) on 1 Jan 2025; each with its current (2025) commune
    assert [(len(rows[e]["unit_code"]), rows[e]["district_code"], len(rows[e]["commune_code"])) for e in ("E1", "E2")] \
        == [(5, "474", 5), (5, "474", 5)]
    reasons = {q["external_id"]: (q["location"], q["reason"]) for q in runs.quarantined(ctx.engine, "cam-platform")}
    assert reasons == {
        "X1": ("page 1 item 6", "vehicle_class: source value 7 has no translation in [sources.values.vehicle_class]"),
        "X2": ("page 1 item 7", "speed_over_kmh: needed to classify 'speeding': missing"),
        "X3": ("page 1 item 8", "detected_at: unparseable timestamp 'hôm qua'"),
        "X4": ("page 1 item 9", "fine_vnd: not an amount in VND: 'năm triệu'"),
    }
    k = traffic_kpis(ctx.engine, TrafficFilter(Period(date(2024, 12, 1), date(2025, 2, 1))), TZ)
    assert (k.violations, k.fine_out_of_range, k.invalid_plates) == (5, 1, 1)
    assert (k.fines_issued_vnd, k.fines_collected_vnd) == (15 * M, 5 * M)
    assert k.top_cameras == [{"camera": "CAM-7", "name": "Ngã tư Lê Lợi – Hùng Vương", "violations": 5}]
    # the watermark is the latest updated_at seen; the next pull asks from there
    assert server.params(PATH)[0] == {"since": "2024-11-30T17:00:00+00:00"}
    run_source(ctx, ctx.source("cam-platform"))
    assert server.params(PATH)[1] == {"since": "2025-01-03T00:00:00+00:00"}  # E5's updated_at


def test_json_mapping_late_update_and_times_given_in_local_time(tmp_path: Path, server: JsonServer) -> None:
    items = [event("E1", "2025-03-03T07:30:00", state=2, penalty={"amount": 19_000_000,
                                                                 "notified": "2025-03-04T07:30:00"})]
    server.route(PATH, lambda params: {"data": items})
    ctx = make_ctx(tmp_path, server.url(PATH), times_are_local=True)
    assert run_source(ctx, ctx.source("cam-platform")).counts["inserted"] == 1
    assert stored(ctx)["E1"]["detected_at"] == datetime(2025, 3, 3, 0, 30)  # 07:30 in Huế
    items[0] = event("E1", "2025-03-03T07:30:00", state=3, modified="2025-04-01T10:00:00",
                     penalty={"amount": 19_000_000, "notified": "2025-03-04T07:30:00", "paid": "2025-04-01T10:00:00"})
    assert run_source(ctx, ctx.source("cam-platform")).counts["updated"] == 1
    k = traffic_kpis(ctx.engine, TrafficFilter(Period(date(2025, 3, 1), date(2025, 4, 1))), TZ)
    assert (k.fines_issued_vnd, k.fines_collected_vnd, k.collection_rate, k.median_hours_to_notice) == \
        (19 * M, 19 * M, 1.0, 24.0)


# --- CSV / XLSX files -------------------------------------------------------------------------------

HEADER = ["external_id", "detected_at", "violation_type", "vehicle_class", "status", "plate", "fine_vnd",
          "camera_code", "camera_name", "lat", "lon", "unit_code", "channel", "notice_sent_at", "paid_at", "rating",
          "description"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows([{k: r.get(k, "") for k in HEADER} for r in rows])
    return path


FILE_ROWS = [
    {"external_id": "F1", "detected_at": "31/12/2024 23:30", "violation_type": "Vượt đèn đỏ", "vehicle_class": "Ô tô",
     "status": "Đã gửi thông báo phạt", "plate": "75A 123.45", "fine_vnd": "5.000.000", "camera_code": "HUE-J01",
     "camera_name": "Ngã tư Lê Lợi – Hùng Vương", "lat": "16,4663", "lon": "107,5937",
     "notice_sent_at": "02/01/2025 09:00"},
    {"external_id": "F2", "detected_at": "01/01/2025 00:10", "violation_type": "red_light", "vehicle_class": "car",
     "status": "notice_sent", "plate": "75-b1 23456", "fine_vnd": "5000000 ₫", "camera_code": "HUE-J01",
     "notice_sent_at": "2025-01-02T09:00:00+07:00"},
    {"external_id": "F3", "detected_at": "2025-01-05 18:00", "violation_type": "Đi ngược chiều",
     "vehicle_class": "Xe máy", "status": "Đã nộp phạt", "plate": "", "fine_vnd": "5,000,000", "unit_code": "478",
     "channel": "Hue-S", "notice_sent_at": "07/01/2025 08:00", "paid_at": "15/01/2025 10:00", "rating": "Hài lòng",
     "description": '=HYPERLINK("http://x") <b>ngược chiều</b>'},
    {"external_id": "", "detected_at": "2025-01-05 18:00", "violation_type": "red_light", "vehicle_class": "car"},
    {"external_id": "F5", "detected_at": "2025-01-05 18:00", "violation_type": "parking", "vehicle_class": "car"},
    {"external_id": "F6", "detected_at": "2025-01-05 18:00", "violation_type": "red_light", "vehicle_class": "car",
     "unit_code": "999"},
    {"external_id": "F7", "detected_at": "2025-01-05 18:00", "violation_type": "red_light", "vehicle_class": "car",
     "status": "paid", "paid_at": "2025-01-04 18:00"},
]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"}))


def test_csv_import_with_vietnamese_labels_local_times_and_bad_rows(ctx: Context, tmp_path: Path) -> None:
    outcome = import_file(ctx, "traffic", write_csv(tmp_path / "csgt.csv", FILE_ROWS), show_progress=False)

    assert outcome.status == "ok", outcome.error
    assert outcome.counts == {"fetched": 7, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 4}
    rows = stored(ctx)
    f1, f2, f3 = rows["F1"], rows["F2"], rows["F3"]
    assert (f1["detected_at"], f1["violation_type"], f1["status"], f1["plate"], f1["fine_vnd"], f1["fine_flag"]) == \
        (datetime(2024, 12, 31, 16, 30), "red_light", "notice_sent", "75A-123.45", 5 * M, "in")
    assert (f1["lat"], f1["district_code"], len(f1["unit_code"]), len(f1["commune_code"])) == (16.4663, "474", 5, 5)
    assert (f3["unit_code"], f3["district_code"], f3["commune_code"]) == ("478", "478", "")  # a district, no position
    assert (f2["detected_at"], f2["fine_flag"], f2["plate"], f2["lat"]) == \
        (datetime(2024, 12, 31, 17, 10), "below", "75-B1 234.56", 16.4663)  # position of the known camera
    assert (f3["channel"], f3["status"], f3["rating"], f3["fine_flag"], f3["plate_status"]) == \
        ("citizen", "paid", "satisfied", "in", "missing")
    assert f3["description"] == '=HYPERLINK("http://x") <b>ngược chiều</b>'  # verbatim; shown as text
    reasons = {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, outcome.source)}
    assert reasons["row 5"] == "external_id: empty"
    assert reasons["row 6"].startswith("violation_type: unknown value 'parking'")
    assert reasons["row 7"] == "unit_code: unknown unit code '999'"
    assert reasons["row 8"] == "paid_at: earlier than detected_at"
    # the same file again: nothing changes
    again = import_file(ctx, "traffic", tmp_path / "csgt.csv", show_progress=False)
    assert (again.counts["inserted"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 3)


def test_xlsx_with_date_cells_numbers_and_a_missing_column(ctx: Context, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["External_ID ", "detected_at", "violation_type", "vehicle_class", "fine_vnd", "plate", "unit_code",
                  "status"])
    sheet.append([1001, datetime(2025, 1, 1, 0, 10), "red_light", "truck", 19000000, "75C-111.22", 474,
                  "notice_sent"])
    sheet.append([1002, datetime(2024, 12, 31, 23, 50), "no_helmet", "motorbike", 250000.0, "75-B1 11122", 482,
                  "notice_sent"])
    book.save(tmp_path / "x.xlsx")
    outcome = import_file(ctx, "traffic", tmp_path / "x.xlsx", show_progress=False)
    assert outcome.counts["inserted"] == 2, (outcome, runs.quarantined(ctx.engine))
    rows = stored(ctx)
    assert (rows["1001"]["detected_at"], rows["1001"]["fine_flag"], rows["1001"]["unit_code"]) == \
        (datetime(2024, 12, 31, 17, 10), "in", "474")
    assert (rows["1002"]["fine_flag"], rows["1002"]["decree"]) == ("in", "100/2019/NĐ-CP + 123/2021/NĐ-CP")

    sheet.delete_cols(4)  # no vehicle_class: the whole file fails, stored rows stay
    book.save(tmp_path / "y.xlsx")
    failed = import_file(ctx, "traffic", tmp_path / "y.xlsx", show_progress=False)
    assert failed.status == "failed"
    assert "missing required column(s) vehicle_class" in failed.error
    assert len(stored(ctx)) == 2


def test_cli_import_then_kpis_as_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env["IOC_DATABASE_URL"] = f"sqlite:///{tmp_path}/cli.sqlite"

    def ioc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ioc", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)

    path = write_csv(tmp_path / "csgt.csv", FILE_ROWS)
    imported = ioc("import", "traffic", str(path), "--quiet", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["inserted"] == 3
    result = ioc("kpi", "traffic", "--from", "2024-12-01", "--to", "2025-01-31", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "violations": 3, "by_type": {"red_light": 2, "wrong_way": 1}, "by_vehicle": {"car": 2, "motorbike": 1},
        "verified_rate": 1.0, "fines_issued_vnd": 15 * M, "fines_collected_vnd": 5 * M, "collection_rate": 1 / 3,
        "median_hours_to_notice": 33.5,  # F2 32 h 50 min, F1 33 h 30 min, F3 38 h
        "satisfaction_rate": 1.0, "fine_out_of_range": 1, "invalid_plates": 0,
        "top_cameras": [{"camera": "HUE-J01", "name": "Ngã tư Lê Lợi – Hùng Vương", "violations": 2}]}
    unit = ioc("kpi", "traffic", "--from", "2024-12-01", "--to", "2025-01-31", "--unit", "478", "--json")
    assert json.loads(unit.stdout)["violations"] == 1
    district = ioc("kpi", "traffic", "--from", "2024-12-01", "--to", "2025-01-31", "--district", "478", "--json")
    assert json.loads(district.stdout)["violations"] == 1  # the old flag is still read
    bad = ioc("kpi", "traffic", "--category", "parking", "--json")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --category: 'parking' is not one of red_light, signs_markings")


# --- the simulator ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def winter() -> pd.DataFrame:
    """Simulated violations detected 2024-12-01 → 2025-02-01, all lives played out."""
    return history(2023, date(2024, 12, 1), date(2025, 2, 1), datetime(2025, 6, 1), "Asia/Ho_Chi_Minh")


def local_of(frame: pd.DataFrame) -> pd.Series:
    return frame["detected_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None)


def test_the_simulator_is_deterministic_and_seeded() -> None:
    args = (date(2025, 3, 1), date(2025, 3, 4), datetime(2025, 3, 10), "Asia/Ho_Chi_Minh")
    traffic_simulator._plan_day.cache_clear()
    first = history(3, *args)
    traffic_simulator._plan_day.cache_clear()
    pd.testing.assert_frame_equal(first, history(3, *args))
    other = history(4, *args)
    assert set(zip(first["external_id"], first["detected_at"], strict=True)) != \
        set(zip(other["external_id"], other["detected_at"], strict=True))


def test_the_simulator_volume_cameras_and_places(winter: pd.DataFrame) -> None:
    days = 62
    # (72.3 cameras + 8.7 citizens) a weekday, × 0.85 at weekends: ≈ 77.6 a day, 4,809 in 62 days ± 3 σ (208)
    assert 74 * days <= len(winter) <= 81 * days
    assert winter["external_id"].is_unique
    cams = winter[winter["channel"] == "camera"]
    assert set(cams["camera_code"]) == {c.code for c in CAMERAS}
    assert 30 <= len(CAMERAS) <= 60 and sum(c.road == "Quốc lộ 1A" for c in CAMERAS) >= 10
    assert all(15.99 <= c.lat <= 16.74 and 107.02 <= c.lon <= 108.22 for c in CAMERAS)
    citizens = winter[winter["channel"] == "citizen"]
    # the feedback simulator's traffic third, ≈ 8.7 a weekday: ≈ 517 in 62 days ± 3 σ (68)
    assert len(citizens) / days == pytest.approx(CITIZEN_PER_DAY * 6.7 / 7, rel=0.13)


def test_the_mix_by_hour_speeding_at_night_red_light_at_rush_hours(winter: pd.DataFrame) -> None:
    hour = local_of(winter).dt.hour
    rush, night = hour.isin([7, 8, 17, 18]), hour.isin([22, 23, 0, 1, 2, 3])
    speeding = winter["violation_type"].str.startswith("speeding")
    red = winter["violation_type"] == "red_light"
    assert speeding[night].mean() > 2 * speeding[rush].mean()
    assert red[rush].mean() > 2 * red[night].mean()
    assert (winter.loc[winter["violation_type"] == "no_helmet", "vehicle_class"] == "motorbike").all()


def test_simulated_fines_follow_the_decree_of_the_local_date(winter: pd.DataFrame) -> None:
    fined = winter[winter["fine_vnd"].notna()]
    checked = check_fines(pd.DataFrame({"violation_type": fined["violation_type"],
                                        "vehicle_class": fined["vehicle_class"],
                                        "local_date": local_of(fined).dt.floor("D"), "fine_vnd": fined["fine_vnd"]}))
    out = checked["fine_out_of_range"].astype(bool).mean()
    assert 0.002 <= out <= 0.012  # ≈ 0.6 % data errors to flag
    decrees = checked.groupby(local_of(fined).dt.year.to_numpy())["decree"].agg(lambda s: set(s.dropna()))
    assert decrees[2024] == {"100/2019/NĐ-CP + 123/2021/NĐ-CP"} and decrees[2025] == {"168/2024/NĐ-CP"}


def test_simulated_plates_lives_and_citizen_satisfaction(winter: pd.DataFrame) -> None:
    cams = winter[winter["channel"] == "camera"]
    invalid = np.mean([parse_plate(p) is None for p in cams["plate"]])
    assert 0.005 <= invalid <= 0.02
    assert (cams["status"] == "dismissed").mean() == pytest.approx(0.06, abs=0.015)
    paid = winter[winter["status"] == "paid"]
    assert (paid["paid_at"] > paid["notice_sent_at"]).all() and (paid["notice_sent_at"] > paid["detected_at"]).all()
    issued = winter[winter["status"].isin(["notice_sent", "paid"]) & (winter["channel"] == "camera")]
    assert (issued["status"] == "paid").mean() == pytest.approx(0.35, abs=0.03)  # PAY_SHARE_CAMERA
    rated = winter[(winter["channel"] == "citizen") & winter["rating"].notna()]
    satisfied = rated["rating"].isin(["satisfied", "acceptable"]).mean()
    assert satisfied == pytest.approx(0.938, abs=0.03)


def test_the_simulator_backfills_and_then_feeds_live(ctx: Context) -> None:
    from ioc.runtime import backfill_source

    spec = SourceSpec(name="traffic-simulator", type="simulator", family="traffic", every_seconds=10)
    stored_n = backfill_source(ctx, spec, 20, 2023)
    assert stored_n > 20 * 70  # ≈ 77.6 violations a day: ≈ 1,550 in 20 whole days, less 3 σ (118)
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    live = SourceSpec(name="traffic-live", type="simulator", family="traffic", every_seconds=10,
                      options={"now": (now - timedelta(hours=2)).isoformat(), "violations_per_minute": 30})
    first = run_source(ctx, live)
    assert first.status == "ok" and first.counts["inserted"] <= 2  # the live feed starts now
    later = SourceSpec(name="traffic-live", type="simulator", family="traffic", every_seconds=10,
                       options={"now": now.isoformat(), "violations_per_minute": 30})
    second = run_source(ctx, later)
    assert second.status == "ok" and second.counts["inserted"] > 1000  # ≈ 30 a minute for two hours
    assert json.loads(runs.get_watermark(ctx.engine, "traffic-live"))["until"] == now.isoformat()
    assert isinstance(TrafficSimulator.simulated, bool) and TrafficSimulator.simulated
