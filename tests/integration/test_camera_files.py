"""Camera files (CSV/XLSX) imported into the store on SQLite and PostgreSQL: heartbeats, AI
events or registry entries as the header says, bad rows quarantined with their row number and
the field at fault; the same through ``python -m ioc import cameras FILE``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from data_sources.cameras_files import CameraFileCollector
from ioc.domain.calendar import WorkCalendar
from ioc.domain.cameras import Camera, CameraEvent, Heartbeat
from ioc.domain.units import UnitMap
from ioc.sources import Batch, CollectorContext, SourceError, SourceSpec
from ioc.store import cameras as store
from ioc.store import runs
from ioc.store.db import make_engine

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 20, 0, 0)  # 07:00 local
MIN = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


def _read(path: Path) -> tuple[list, dict[str, str]]:
    """The file's records and its rejects (location → reason), through the collector."""
    spec = SourceSpec(f"import:{path.name}", "file", "cameras", 86400, path=path)
    batches: list[Batch] = list(CameraFileCollector(spec, CollectorContext(TZ, WorkCalendar.vietnam(),
                                                                           UnitMap.default())).batches(None))
    return ([r for b in batches for r in b.records],
            {j.location: j.reason for b in batches for j in b.rejects})


def test_a_file_of_heartbeats_moves_status_and_outages(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "beats.csv"
    path.write_text("Camera_Code,At\n"
                    "HUE-J01,20/11/2026 07:00\n"
                    "HUE-J01,2026-11-20T07:05:00+07:00\n"
                    "HUE-J01,20/11/2026 07:40\n"
                    ",20/11/2026 07:45\n"
                    "HUE-J01,31/11/2026 07:45\n"
                    "SEC-900,2026-11-20T00:10:00Z\n", encoding="utf-8")
    records, rejects = _read(path)
    assert records == [Heartbeat("HUE-J01", T0), Heartbeat("HUE-J01", T0 + 5 * MIN),
                       Heartbeat("HUE-J01", T0 + 40 * MIN), Heartbeat("SEC-900", T0 + 10 * MIN)]
    assert set(rejects) == {"row 5", "row 6"}
    assert "camera_code" in rejects["row 5"] and "at" in rejects["row 6"] and "31/11/2026" in rejects["row 6"]

    store.ingest(engine, "import:beats.csv", records, TZ)
    gaps = store.outages(engine, T0, T0 + timedelta(hours=1), "HUE-J01")
    closed = gaps[gaps["ended_at"].notna()]
    assert list(zip(closed["started_at"], closed["ended_at"], strict=True)) == [(T0 + 5 * MIN, T0 + 40 * MIN)]
    states = store.camera_states(engine, T0 + 50 * MIN).set_index("code")
    assert bool(states.loc["HUE-J01", "online"]) is True  # last heard 10 minutes ago
    assert bool(states.loc["SEC-900", "online"]) is False and states.loc["SEC-900", "offline_s"] == 40 * 60
    assert bool(states.loc["SEC-900", "generated"]) is True  # first named by a heartbeat


def test_an_xlsx_of_ai_events_with_bad_rows_quarantined(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "camera_code", "detected_at", "event", "confidence", "review"])
    sheet.append(["E1", "SEC-001", datetime(2026, 11, 20, 19, 30), "gathering", 0.8, "false_alarm"])
    sheet.append(["E2", "HUE-J02", "20/11/2026 14:00", "FIRE_SMOKE", "0,91", None])
    sheet.append(["E3", "SEC-001", "20/11/2026 20:00", "riot", 0.7, None])
    sheet.append(["E4", "SEC-002", "20/11/2026 20:00", "gathering", 1.5, None])
    sheet.append(["E5", "SEC-002", "20/11/2026 20:00", None, 0.7, None])
    sheet.append(["E6", "SEC-002", "20/11/2026 20:00", "gathering", 0.7, "maybe"])
    path = tmp_path / "events.xlsx"
    book.save(path)
    records, rejects = _read(path)
    assert records == [CameraEvent("E1", "SEC-001", T0 + timedelta(hours=12, minutes=30), "gathering", 0.8, "false_alarm"),
                       CameraEvent("E2", "HUE-J02", T0 + timedelta(hours=7), "fire_smoke", 0.91, "")]
    assert set(rejects) == {"row 4", "row 5", "row 6", "row 7"}
    assert "event" in rejects["row 4"] and "riot" in rejects["row 4"]
    assert "confidence" in rejects["row 5"] and "1.5" in rejects["row 5"]
    assert "event" in rejects["row 6"] and "missing" in rejects["row 6"]
    assert "review" in rejects["row 7"] and "maybe" in rejects["row 7"]

    store.ingest(engine, "import:events.xlsx", records, TZ)
    stored = store.events(engine, T0, T0 + timedelta(days=1))
    assert list(stored["external_id"]) == ["E1", "E2"]  # newest first
    assert dict(zip(stored["external_id"], stored["review"], strict=True)) == {"E1": "false_alarm", "E2": ""}


def test_a_file_of_registry_entries(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text("code,purpose,name,lat,lon,kind,road,unit_code\n"
                    "FLD-77,flood,Kim Long – Phú Mộng,16.4600,107.5570,surveillance,Kim Long,\n"
                    "SEC-77,parking,Chợ Đông Ba,16.4733,107.5888,,,\n"
                    "SEC-78,security,Chợ Đông Ba,16.4733,,,,\n"
                    "SEC-79,security,Chợ Đông Ba,16.4733,107.5888,,,99999\n", encoding="utf-8")
    records, rejects = _read(path)
    assert records == [Camera("FLD-77", "Kim Long – Phú Mộng", 16.46, 107.557, "flood", "surveillance", "Kim Long")]
    assert "purpose" in rejects["row 3"] and "parking" in rejects["row 3"]
    assert "lon" in rejects["row 4"]
    assert "unit_code" in rejects["row 5"] and "99999" in rejects["row 5"]
    store.ingest(engine, "import:registry.csv", records, TZ)
    row = store.camera_states(engine, T0).set_index("code").loc["FLD-77"]
    assert (row["purpose"], row["lat"], row["lon"], bool(row["online"])) == ("flood", 16.46, 107.557, False)


def test_a_header_without_the_needed_columns_fails_the_file_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("camera,at\nHUE-J01,20/11/2026 07:00\n", encoding="utf-8")
    with pytest.raises(SourceError, match="missing required column.*camera_code"):
        _read(path)
    path.write_text("external_id,camera_code,event\nE1,HUE-J01,gathering\n", encoding="utf-8")
    with pytest.raises(SourceError, match="missing required column.*detected_at"):
        _read(path)


def test_python_m_ioc_import_cameras(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    path = tmp_path / "beats.csv"
    path.write_text("camera_code,at\nHUE-J01,20/11/2026 07:00\nHUE-J01,20/11/2026 07:30\nHUE-J01,not a time\n",
                    encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": f"sqlite:///{db}", "IOC_TIMEZONE": "Asia/Ho_Chi_Minh"})
    result = subprocess.run([sys.executable, "-m", "ioc", "import", "cameras", str(path), "--quiet", "--json"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["source"], outcome["status"], outcome["fetched"], outcome["rejected"]) == \
        ("import:beats.csv", "ok", 3, 1), outcome
    engine = make_engine(f"sqlite:///{db}")
    try:
        gaps = store.outages(engine, T0, T0 + timedelta(hours=1), "HUE-J01")
        closed = gaps[gaps["ended_at"].notna()]
        assert list(zip(closed["started_at"], closed["ended_at"], strict=True)) == [(T0, T0 + 30 * MIN)]
        reasons = {q["location"]: q["reason"] for q in runs.quarantined(engine, "import:beats.csv")}
        assert "at" in reasons["row 4"] and "not a time" in reasons["row 4"]
    finally:
        engine.dispose()
