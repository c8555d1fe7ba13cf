"""Fishing vessels end to end (issue #15) on SQLite and PostgreSQL: reports stored once, each
vessel's latest report moving forward only, silence and watch-zone alerts raised and ended with
the stage, the KPIs (with vessels at sea while an official warning is in force), and a file of
reports with its bad rows quarantined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from ioc.alerts import current_alerts, evaluate
from ioc.cap import read_alert
from ioc.collect import import_file
from ioc.config import load_settings
from ioc.context import build_context
from ioc.domain.vessels import Vessel
from ioc.i18n_alerts import describe
from ioc.kpi.periods import Period
from ioc.kpi.vessels import family_kpis
from ioc.store import runs
from ioc.store import vessels as store
from ioc.store import warnings as warnings_store
from ioc.store.vessels import POSITION_COLUMNS, VesselRecords
from tests.cap_samples import cap_message

SETTINGS = load_settings({})
T0 = datetime(2026, 11, 20, 0)
H = timedelta(hours=1)
SEA, PORT, FAR = (16.9, 108.3), (16.5585, 107.6425), (16.9, 110.5)


def _frame(rows: list[tuple[str, datetime, tuple[float, float]]]) -> pd.DataFrame:
    return pd.DataFrame([{"vessel_id": v, "at": at, "lat": p[0], "lon": p[1], "speed_kn": 5.0, "course_deg": None}
                         for v, at, p in rows], columns=list(POSITION_COLUMNS))


def test_reports_are_stored_once_and_the_latest_only_moves_forward(engine: Engine) -> None:
    registry = [Vessel("TTH-1", "Phước Lộc 001", 18.5, "thuan_an"), Vessel("TTH-2", "Tân Mỹ 002", 16.0, "tu_hien")]
    first = store.ingest(engine, "vms", VesselRecords(registry, _frame(
        [("TTH-1", T0 + h * H, SEA) for h in range(3)] + [("TTH-2", T0, PORT)])))
    assert (first.inserted, first.updated) == (4, 2)
    again = store.ingest(engine, "vms", VesselRecords(registry, _frame([("TTH-1", T0 + H, SEA)])))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    store.ingest(engine, "vms", VesselRecords([], _frame([("TTH-1", T0 - 5 * H, PORT)])))  # a late, older report
    with engine.connect() as conn:
        latest = {r.vessel_id: r for r in store.latest(conn)}
    assert latest["TTH-1"].at == T0 + 2 * H and latest["TTH-1"].port_id == ""
    assert latest["TTH-2"].port_id == "thuan_an" and latest["TTH-2"].outside is False
    assert store.count_positions(engine) == 5


def test_silence_and_the_watch_zone_raise_and_end_alerts(engine: Engine) -> None:
    store.ingest(engine, "vms", VesselRecords([Vessel("TTH-1", "Phước Lộc 001", 18.5, "thuan_an")], _frame(
        [("TTH-1", T0, SEA), ("TTH-3", T0 + 5 * H, FAR)])))
    evaluate(engine, SETTINGS, T0 + 6 * H - timedelta(minutes=1), sources=())
    assert {(a.kind, a.key) for a in current_alerts(engine, T0 + 6 * H) if a.family == "vessels"} == \
        {("vessel_outside", "TTH-3")}
    evaluate(engine, SETTINGS, T0 + 6 * H + timedelta(minutes=1), sources=())
    found = {(a.kind, a.key): a for a in current_alerts(engine, T0 + 7 * H) if a.family == "vessels"}
    silent = found[("vessel_silent", "TTH-1")]
    assert silent.level == "warning" and silent.started_at == T0 + 6 * H
    assert describe(silent, "vi") == "Tàu Phước Lộc 001 (TTH-1) mất tín hiệu trên biển 6 giờ"
    evaluate(engine, SETTINGS, T0 + timedelta(days=10, minutes=1), sources=())
    late = {(a.kind, a.key): a for a in current_alerts(engine, T0 + timedelta(days=11)) if a.family == "vessels"}
    assert late[("vessel_silent", "TTH-1")].level == "high"
    assert describe(late[("vessel_silent", "TTH-1")], "en").endswith("silent at sea for 10 days, over 10: must return to port")
    # Back in port: the silence ends.
    store.ingest(engine, "vms", VesselRecords([], _frame([("TTH-1", T0 + timedelta(days=10, hours=2), PORT)])))
    evaluate(engine, SETTINGS, T0 + timedelta(days=10, hours=3), sources=())
    assert ("vessel_silent", "TTH-1") not in {(a.kind, a.key) for a in current_alerts(engine, T0 + timedelta(days=11))}


def test_kpis_count_vessels_at_sea_during_a_warning(engine: Engine) -> None:
    store.ingest(engine, "vms", VesselRecords([], _frame(
        [("TTH-1", T0, SEA), ("TTH-2", T0, PORT), ("TTH-3", T0 - 8 * H, SEA)])))
    period = Period(T0.date() - timedelta(days=1), T0.date() + timedelta(days=1))
    calm = family_kpis(engine, period, {}, SETTINGS.tz, T0 + H)
    assert (calm["at_sea"], calm["in_port"], calm["silent_6h"], calm["at_sea_in_warning"]) == (2, 1, 1, 0)
    sent = T0.replace(tzinfo=UTC)
    warnings_store.ingest(engine, "kttv", [read_alert(cap_message("storm", sent, expires=sent + 12 * H))])
    storm = family_kpis(engine, period, {}, SETTINGS.tz, T0 + H)
    assert (storm["warnings_in_force"], storm["at_sea_in_warning"], storm["reports"]) == (1, 2, 3)


def test_a_file_of_reports(tmp_path: Path) -> None:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/v.sqlite"}))
    path = tmp_path / "vms.csv"
    path.write_text("vessel_id,at,lat,lon,speed_kn\n"
                    "TTH-1,20/11/2026 07:00,16.9,108.3,6\n"
                    "TTH-1,20/11/2026 08:00,16.9,not-a-number,6\n"
                    "TTH-2,2026-11-20T08:00:00+07:00,16.5585,107.6425,\n", encoding="utf-8")
    outcome = import_file(ctx, "vessels", path, show_progress=False)
    assert outcome.status == "ok" and (outcome.counts["inserted"], outcome.counts["rejected"]) == (2, 1)
    reasons = {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, outcome.source)}
    assert any("row 3" in loc and "lon" in why for loc, why in reasons.items()), reasons
    with ctx.engine.connect() as conn:
        assert {r.vessel_id: r.at for r in store.latest(conn)} == {"TTH-1": T0, "TTH-2": T0 + H}
