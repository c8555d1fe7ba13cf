"""Dossiers in through every door: a one-stop system's CSV/XLSX export, the generic JSON mapping,
the simulator (calibration, Tết, live updates), and the CLI (``import admin``, ``kpi admin``).
Real SQLite stores under tmp_path; the JSON source is a local HTTP server."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from data_sources.admin_simulator import AdminSimulator, history, online_share
from ioc.collect import import_file, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.kpi.admin import AdminFilter, admin_kpis
from ioc.kpi.periods import Period
from ioc.sources import SourceSpec
from ioc.store import runs
from ioc.store.admin import ingest
from ioc.store.db import make_engine
from ioc.store.schema_admin import admin_dossiers
from tests.integration.json_server import JsonServer

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REPO = Path(__file__).resolve().parents[2]
HEADER = ["external_id", "procedure_code", "unit_code", "channel", "status", "received_at", "due_at",
          "working_days", "pauses", "resolved_at", "returned_at", "paid_online", "digitised", "rating"]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"}))


def stored(ctx: Context) -> dict[str, dict]:
    with ctx.engine.connect() as conn:
        return {r["external_id"]: dict(r) for r in conn.execute(select(admin_dossiers)).mappings()}


def quarantined(ctx: Context, source: str) -> dict[str, str]:
    return {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, source)}


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def good(external_id: str, **extra: str) -> dict[str, str]:
    return {"external_id": external_id, "procedure_code": "X.HT.02", "unit_code": "19753", "channel": "in_person",
            "status": "in_progress", "received_at": "11/02/2026 09:00", "due_at": "25/02/2026 09:00", **extra}


# -- files ----------------------------------------------------------------------------------------
def test_csv_export_edge_cases_and_rejects_by_row_number(ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mot-cua.csv", [
        good("OK-TET", status="returned", pauses="13/02/2026 12:00/24/02/2026 12:00",        # row 2
             resolved_at="27/02/2026 09:00", returned_at="27/02/2026 10:30", rating="Hài lòng"),
        good("LATE-1MIN", status="Đã xử lý xong", pauses="2026-02-13T12:00/2026-02-24T12:00",  # row 3
             resolved_at="27/02/2026 09:01"),
        good("WITHDRAWN", status="Rút hồ sơ"),                                                 # row 4
        good("REFUSED", status="refused", resolved_at="12/02/2026 10:00"),                     # row 5
        good("BAD-UNIT", unit_code="999.99"),                                                  # row 6
        good("NO-RESOLVED", status="resolved"),                                                # row 7
        good("BAD-PAUSE", pauses="20/02/2026 12:00/13/02/2026 12:00"),                         # row 8
        good("EARLY-DUE", due_at="10/02/2026 09:00"),                                          # row 9
        good("NO-DEADLINE", due_at=""),                                                        # row 10
        good("WEEKEND", due_at="", working_days="2", received_at="14/03/2026 10:00",           # row 11
             channel="Trực tuyến", paid_online="có", digitised="x"),
    ])
    outcome = import_file(ctx, "admin", path, show_progress=False)
    assert outcome.status == "ok", outcome.error
    assert outcome.counts == {"fetched": 10, "inserted": 5, "updated": 0, "unchanged": 0, "rejected": 5}
    assert quarantined(ctx, "import:mot-cua.csv") == {
        "row 6": "unit_code: unknown unit code '999.99'",
        "row 7": "resolved_at: missing for a resolved dossier",
        "row 8": "pauses: pause 1 ends before it starts (2026-02-13 05:00 < 2026-02-20 05:00 UTC)",
        "row 9": "due_at: earlier than received_at",
        "row 10": "due_at: missing (give due_at or working_days)",
    }
    rows = stored(ctx)
    assert (rows["OK-TET"]["bucket"], rows["OK-TET"]["rating"], rows["OK-TET"]["status"]) == (
        "on_time", "satisfied", "returned")
    assert rows["LATE-1MIN"]["bucket"] == "late"
    assert rows["WITHDRAWN"]["bucket"] is None and rows["REFUSED"]["bucket"] is None
    # Sat 14 Mar 10:00: the clock starts Mon 16 00:00; + 2 working days → Wed 18 00:00 local
    weekend = rows["WEEKEND"]
    assert weekend["due_at"] == datetime(2026, 3, 17, 17, 0)
    assert (weekend["channel"], weekend["paid_online"], weekend["digitised"]) == ("online", True, True)
    k = admin_kpis(ctx.engine, AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1))), TZ, datetime(2026, 4, 1))
    assert (k.received, k.resolved, k.on_time, k.late, k.on_time_rate) == (4, 2, 1, 1, 0.5)


def test_xlsx_with_vietnamese_headers_and_a_reimport_of_later_versions(ctx: Context, tmp_path: Path) -> None:
    header = ["Mã hồ sơ", "Mã thủ tục", "Mã đơn vị", "Hình thức nộp", "Trạng thái", "Ngày tiếp nhận", "Hạn xử lý",
              "Ngày yêu cầu bổ sung", "Ngày bổ sung", "Ngày xử lý xong", "Đánh giá", "Ngày cập nhật"]
    first = [["HS-01", "H.KD.01", 19789, "Trực tuyến", "Yêu cầu bổ sung", datetime(2026, 2, 12, 14, 30),
              datetime(2026, 2, 26, 14, 30), datetime(2026, 2, 13, 9, 0), None, None, None, datetime(2026, 2, 13, 9)]]
    later = [["HS-01", "H.KD.01", 19789, "Trực tuyến", "Đã xử lý xong", datetime(2026, 2, 12, 14, 30),
              datetime(2026, 2, 26, 14, 30), datetime(2026, 2, 13, 9, 0), datetime(2026, 2, 25, 8, 0),
              datetime(2026, 3, 2, 10, 0), "Không hài lòng", datetime(2026, 3, 2, 10)]]
    for name, rows in (("a.xlsx", first), ("a.xlsx", later)):
        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for r in rows:
            sheet.append(r)
        book.save(tmp_path / name)
        outcome = import_file(ctx, "admin", tmp_path / name, show_progress=False)
        assert outcome.status == "ok" and outcome.counts["rejected"] == 0, (outcome, quarantined(ctx, "import:a.xlsx"))
    row = stored(ctx)["HS-01"]
    # Thu 12 14:30 → due Thu 26 14:30 (5 working days across Tết). Paused Fri 13 09:00 → Wed 25
    # 08:00: Fri 15 h + Mon 23 + Tue 24 (48 h) + Wed 8 h = 71 h. Resolved Mon 2 Mar 10:00:
    # elapsed = (Thu 9.5 + Fri 9 = 18.5 h before) + (Wed 16 + Thu 24 + Fri 24 + Mon 10 = 74 h) = 92.5 h
    # ≤ 120 h, with 27.5 h ≥ 24 h to spare → early.
    assert (row["status"], row["bucket"], row["rating"], row["elapsed_hours"]) == ("resolved", "early",
                                                                                   "dissatisfied", 92.5)
    # a district-level procedure at Phường Thuận Hóa's centre (a number in the sheet): from 1 July
    # 2025 the district level's procedures are the communes'
    assert row["online_mode"] == "full_process" and (row["level"], row["unit_code"]) == ("commune", "19789")


def test_missing_required_columns_fail_the_run_naming_them(ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [{"external_id": "1"}], header=["external_id", "status"])
    outcome = import_file(ctx, "admin", path, show_progress=False)
    assert outcome.status == "failed"
    assert outcome.error == (f"{path}: missing required column(s) procedure_code, unit_code, channel, received_at; "
                             "columns found: external_id, status")


# -- generic JSON mapping -------------------------------------------------------------------------
def test_generic_json_mapping_feeds_the_admin_family(tmp_path: Path) -> None:
    items = [
        {"so": "J-1", "tt": {"ma": "X.HT.01"}, "dv": "19777", "kenh": 2, "st": "DONE",
         "nhan": "2026-03-02T08:00:00+07:00", "han": "2026-03-03T08:00:00+07:00", "xong": "2026-03-02T16:00:00+07:00",
         "bs": [{"start": "2026-03-02T09:00:00+07:00", "end": "2026-03-02T10:00:00+07:00"}], "so_hoa": True},
        {"so": "J-2", "tt": {"ma": "X.HT.01"}, "dv": "19777", "kenh": 1, "st": "WAIT",
         "nhan": "2026-03-02T08:00:00+07:00", "han": "2026-03-03T08:00:00+07:00",
         "bs": [["2026-03-02T09:00:00+07:00", None]]},
        {"so": "J-3", "tt": {"ma": "X.HT.01"}, "dv": "19777", "kenh": 1, "st": "DONE",
         "nhan": "2026-03-02T08:00:00+07:00"},  # no deadline
    ]
    with JsonServer() as server:
        server.route("/hs", {"items": items})
        sources = tmp_path / "sources.toml"
        sources.write_text(f"""
[[sources]]
name = "dvc"
type = "json"
family = "admin"
url = "{server.url('/hs')}"
every_seconds = 300
items = "items"
[sources.fields]
external_id = "so"
procedure_code = "tt.ma"
unit_code = "dv"
channel = "kenh"
status = "st"
received_at = "nhan"
due_at = "han"
resolved_at = "xong"
pauses = "bs"
digitised = "so_hoa"
[sources.values.channel]
1 = "in_person"
2 = "online"
[sources.values.status]
DONE = "resolved"
WAIT = "supplement_requested"
""", encoding="utf-8")
        ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/j.sqlite",
                                           "IOC_SOURCES": str(sources)}))
        outcome = run_source(ctx, ctx.source("dvc"))
    assert outcome.status == "ok", outcome.error
    assert (outcome.counts["inserted"], outcome.counts["rejected"]) == (2, 1)
    assert list(quarantined(ctx, "dvc").values()) == ["due_at: missing (give due_at or working_days)"]
    rows = stored(ctx)
    assert (rows["J-1"]["bucket"], rows["J-1"]["channel"], rows["J-1"]["digitised"]) == ("on_time", "online", True)
    assert rows["J-2"]["effective_due_at"] is None and rows["J-2"]["status"] == "supplement_requested"


# -- simulator ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def three_years(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """2023–2025 simulated at 40,000 dossiers a year, as they stood on 1 March 2026."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sim') / 's.sqlite'}")
    from ioc.store.db import init_db, load_calendar

    init_db(engine)
    with engine.connect() as conn:
        calendar = load_calendar(conn)
    for frame in history(5, date(2023, 1, 1), date(2026, 1, 1), datetime(2026, 3, 1), calendar, str(TZ), 40_000):
        ingest(engine, "sim", frame, TZ, calendar)
    yield engine, calendar
    engine.dispose()


def test_simulator_is_calibrated_on_the_published_figures(three_years) -> None:  # noqa: ANN001
    engine, _ = three_years
    now = datetime(2026, 3, 1)
    years = Period(date(2023, 1, 1), date(2026, 1, 1))
    on_time = {lv: admin_kpis(engine, AdminFilter(years, level=lv), TZ, now).on_time_rate
               for lv in ("province", "district", "commune")}
    assert on_time["province"] == pytest.approx(0.98, abs=0.007)
    assert on_time["district"] == pytest.approx(0.95, abs=0.007)
    assert on_time["commune"] == pytest.approx(0.96, abs=0.007)
    received = {lv: admin_kpis(engine, AdminFilter(years, level=lv), TZ, now).received
                for lv in ("province", "district", "commune")}
    assert received["province"] < received["district"] < received["commune"]
    assert 110_000 < sum(received.values()) < 130_000
    online = [admin_kpis(engine, AdminFilter(Period(date(y, 1, 1), date(y + 1, 1, 1))), TZ, now).online_rate
              for y in (2023, 2024, 2025)]
    assert online[0] < online[1] < online[2] <= 0.70 and online[2] > 0.62
    assert online_share(date(2030, 1, 1)) == pytest.approx(0.70, abs=0.03)


def test_fewer_dossiers_after_tet_and_supplement_pauses_across_it(three_years) -> None:  # noqa: ANN001
    engine, calendar = three_years
    now = datetime(2026, 3, 1)

    def per_working_day(start: date, end: date) -> float:
        n = admin_kpis(engine, AdminFilter(Period(start, end)), TZ, now).received
        return n / calendar.working_days_between(start, end)

    # Tết 2024: 8–14 Feb. The ten days after it against the whole of March.
    assert per_working_day(date(2024, 2, 15), date(2024, 2, 25)) < 0.8 * per_working_day(date(2024, 3, 1),
                                                                                          date(2024, 4, 1))
    with engine.connect() as conn:
        pauses = conn.execute(select(admin_dossiers.c.pauses).where(admin_dossiers.c.pause_count > 0)).scalars().all()
    tet = {d for d in calendar.holidays if d.year == 2024 and d.month == 2}
    spanning = [p for p in pauses if any(datetime.fromisoformat(s).date() < min(tet) and e is not None
                                         and datetime.fromisoformat(e).date() > max(tet) for s, e in json.loads(p))]
    assert len(pauses) > 5_000 and len(spanning) > 5  # 13 with this seed


def test_same_seed_same_history(three_years) -> None:  # noqa: ANN001
    _, calendar = three_years
    a = next(history(9, date(2025, 6, 1), date(2025, 6, 3), datetime(2025, 7, 1), calendar, str(TZ)))
    b = next(history(9, date(2025, 6, 1), date(2025, 6, 3), datetime(2025, 7, 1), calendar, str(TZ)))
    pd.testing.assert_frame_equal(a, b)
    c = next(history(10, date(2025, 6, 1), date(2025, 6, 3), datetime(2025, 7, 1), calendar, str(TZ)))
    assert a["external_id"].iloc[0].startswith("HS-9-20250601-") and c["external_id"].iloc[0].startswith("HS-10-")


def test_live_source_emits_new_dossiers_and_state_changes(tmp_path: Path) -> None:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/live.sqlite"}))
    cctx = ctx.collector_context()
    t0 = datetime(2026, 3, 10, 3, 0)  # Tue 10:00 local

    def run(now: datetime, watermark: str | None):  # noqa: ANN202
        spec = SourceSpec("admin-live", "simulator", "admin", 30, options={"now": now.isoformat(), "seed": 4,
                                                                           "dossiers_per_year": 200_000})
        return list(AdminSimulator(spec, cctx).batches(watermark))[0]

    first = run(t0, None)
    assert first.fetched > 100  # a day back on the first run
    ingest(ctx.engine, "admin-live", first.records, TZ, cctx.calendar)
    second = run(t0 + timedelta(minutes=30), first.watermark)
    assert json.loads(second.watermark) == {"until": (t0 + timedelta(minutes=30)).isoformat()}
    recs = second.records
    new = recs[recs["received_at"] > pd.Timestamp(t0)]
    moved = recs[recs["received_at"] <= pd.Timestamp(t0)]
    assert len(new) > 0 and len(moved) > 0  # new arrivals, and older dossiers that changed state
    assert (recs["updated_at"] > pd.Timestamp(t0)).all()
    result = ingest(ctx.engine, "admin-live", recs, TZ, cctx.calendar)
    known = set(first.records["external_id"])
    assert result.inserted == len(set(recs["external_id"]) - known)  # new, or older than the first day back
    assert result.updated == len(set(recs["external_id"]) & known) > 0


# -- CLI ------------------------------------------------------------------------------------------
def ioc(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env["IOC_DATABASE_URL"] = f"sqlite:///{db}"
    return subprocess.run([sys.executable, "-m", "ioc", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_cli_import_and_kpi_json_match_the_kpi_layer(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    path = write_csv(tmp_path / "hs.csv", [
        good("A", status="resolved", resolved_at="12/02/2026 09:00"),
        good("B", status="resolved", resolved_at="26/02/2026 09:00", unit_code="46.TTPVHCC"),
        good("C", status="withdrawn"),
        good("D", unit_code="999"),
    ])
    result = ioc(db, "import", "admin", str(path), "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {"error": None} == {"source": "import:hs.csv", "status": "ok", "fetched": 4,
                                                          "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 1,
                                                          "error": None, "also_under": {}}
    result = ioc(db, "kpi", "admin", "--from", "2026-02-01", "--to", "2026-02-28", "--level", "commune", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["received"], out["resolved"], out["early"], out["late"], out["on_time_rate"]) == (2, 1, 1, 0, 1.0)
    assert [g["measured"] for g in out["score_766"]["groups"]][:2] == [False, True]
    assert [r["key"] for r in out["by_level"]] == ["commune"]
    engine = make_engine(f"sqlite:///{db}")
    kpis = admin_kpis(engine, AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1)), level="commune"), TZ,
                      datetime(2026, 12, 1)).as_dict()
    engine.dispose()
    assert {k: out[k] for k in kpis if k not in ("overdue", "score_766")} == {
        k: v for k, v in kpis.items() if k not in ("overdue", "score_766")}
    unit = json.loads(ioc(db, "kpi", "admin", "--from", "2026-02-01", "--to", "2026-02-28", "--unit", "46.TTPVHCC",
                          "--json").stdout)
    assert (unit["received"], unit["late"]) == (1, 1)


@pytest.mark.parametrize(("args", "message"), [
    (("--level", "ward"), "error: --level: 'ward' is not one of province, district, commune"),
    (("--district", "474"), "error: --district does not apply to admin (filters: --level, --unit)"),
    (("--unit", "999"), "error: unit: '999' is not a known unit code (see the units table, e.g. 19753 or 474)"),
])
def test_cli_bad_filters_are_one_line_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = ioc(tmp_path / "e.sqlite", "kpi", "admin", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == message


def test_cli_simulate_admin(tmp_path: Path) -> None:
    result = ioc(tmp_path / "s.sqlite", "simulate", "--family", "admin", "--days", "3", "--seed", "7")
    assert result.returncode == 0, result.stderr
    stored_n = int(re.fullmatch(r"simulated 3 days of admin \(seed 7, source admin-simulator\): (\d+) records "
                                r"stored or updated\n", result.stdout).group(1))
    assert 5_000 < stored_n < 20_000  # ≈ 2,700 a day, four local days
