"""TTHC dossiers in the store: upsert rules, derived deadlines and buckets, incremental rollups,
and the KPIs read from them — on SQLite and on PostgreSQL (the ``engine`` fixture runs each
test on both). Local time is Asia/Ho_Chi_Minh (UTC+7); the store holds naive UTC.

Calendar facts used (2026): Tết holidays Mon 16 – Fri 20 Feb; Thu 1 Jan is a holiday.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from ioc.domain.admin_records import validate_dossier
from ioc.kpi.admin import AdminFilter, admin_kpis, overdue_count, procedure_sums, rollup_sums
from ioc.kpi.admin_views import admin_breakdown, kpi_report, open_queue, unit_ranking
from ioc.kpi.periods import Period
from ioc.store import schema
from ioc.store.admin import count_dossiers, ingest, rebuild, records_frame
from ioc.store.admin_derive import contributions, normalise
from ioc.store.schema_admin import ADMIN_MEASURES, admin_dossiers, admin_procedures, admin_rollup

SOURCE = "one-stop"
FEB = AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1)))
NOW = datetime(2026, 4, 1)  # naive UTC, long after every deadline below


def dossier(external_id: str = "HS-1", **overrides: object) -> dict:
    """Dossier A of tests/unit/test_admin_domain.py: received Wed 11 Feb 09:00, due Wed 25 Feb
    09:00 (5 working days over Tết), a commune civil-status procedure, in person."""
    raw = {
        "external_id": external_id, "procedure_code": "X.HT.02", "unit_code": "474.01", "channel": "in_person",
        "status": "in_progress", "received_at": "2026-02-11T09:00:00+07:00", "due_at": "2026-02-25T09:00:00+07:00",
    }
    raw.update(overrides)
    return raw


def put(engine: Engine, tz, *raws: dict, source: str = SOURCE):  # noqa: ANN001, ANN201
    return ingest(engine, source, records_frame([validate_dossier(r, tz) for r in raws]), tz)


def row(engine: Engine, external_id: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(admin_dossiers).where(admin_dossiers.c.external_id == external_id))
                    .mappings().one())


def rollup_total(engine: Engine, grain: str = "m") -> dict[str, float]:
    with engine.connect() as conn:
        sums = conn.execute(select(*(func.coalesce(func.sum(admin_rollup.c[m]), 0) for m in ADMIN_MEASURES))
                            .where(admin_rollup.c.grain == grain)).one()
    return dict(zip(ADMIN_MEASURES, sums, strict=True))


def recomputed(engine: Engine, tz) -> pd.DataFrame:  # noqa: ANN001
    """The unit rollup as a rebuild would write it, from the stored dossiers."""
    with engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(select(admin_dossiers)).mappings().all())
    for col in ("paid_online", "fee_required", "digitised"):
        raw[col] = raw[col].astype(bool)
    return contributions(normalise(raw), tz, +1)[0]


def stored_rollup(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(admin_rollup)).mappings().all())


def same_rollups(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keys = ["grain", "bucket", "level", "unit_code"]
    a = a.assign(bucket=pd.to_datetime(a["bucket"]).dt.date).set_index(keys).sort_index()[list(ADMIN_MEASURES)]
    b = b.assign(bucket=pd.to_datetime(b["bucket"]).dt.date).set_index(keys).sort_index()[list(ADMIN_MEASURES)]
    pd.testing.assert_frame_equal(a.astype("float64"), b.astype("float64"), check_like=True)


# -- upsert rules -------------------------------------------------------------------------------
def test_same_again_changes_nothing_newer_replaces_older_is_ignored(engine: Engine, tz) -> None:  # noqa: ANN001
    first = put(engine, tz, dossier(updated_at="2026-02-11T09:00:00+07:00"))
    assert (first.inserted, first.updated, first.unchanged) == (1, 0, 0)
    again = put(engine, tz, dossier(updated_at="2026-02-11T09:00:00+07:00"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)

    # Resolved Thu 26 Feb 10:00 local (no pause): elapsed 120 h + 1 h > budget 120 h → late.
    newer = put(engine, tz, dossier(status="resolved", resolved_at="2026-02-26T10:00:00+07:00",
                                    updated_at="2026-02-26T10:00:00+07:00", rating="dissatisfied"))
    assert (newer.inserted, newer.updated) == (0, 1)
    assert row(engine, "HS-1")["bucket"] == "late"

    older = put(engine, tz, dossier(status="withdrawn", updated_at="2026-02-20T10:00:00+07:00"))
    assert (older.updated, older.unchanged) == (0, 1)
    totals = rollup_total(engine)
    assert (totals["received"], totals["resolved"], totals["late"], totals["in_progress"], totals["withdrawn"],
            totals["dissatisfied"]) == (1, 1, 1, 0, 0, 1)
    assert count_dossiers(engine) == 1


def test_supplement_pause_over_tet_and_the_deadlines_last_minute(engine: Engine, tz) -> None:  # noqa: ANN001
    pause = "2026-02-13T12:00:00+07:00/2026-02-24T12:00:00+07:00"  # 2 working days paused
    put(engine, tz,
        dossier("ON-LAST-MINUTE", status="returned", pauses=pause, resolved_at="2026-02-27T09:00:00+07:00",
                returned_at="2026-02-27T10:00:00+07:00"),
        dossier("ONE-MINUTE-LATE", status="resolved", pauses=pause, resolved_at="2026-02-27T09:01:00+07:00"),
        dossier("EARLY", status="resolved", pauses=pause, resolved_at="2026-02-26T09:00:00+07:00"),
        dossier("NO-PAUSE-LATE", status="resolved", resolved_at="2026-02-25T09:01:00+07:00"))
    last = row(engine, "ON-LAST-MINUTE")
    # Effective deadline Fri 27 Feb 09:00 local = 02:00 UTC; 120 working hours elapsed.
    assert last["effective_due_at"] == datetime(2026, 2, 27, 2, 0)
    assert (last["bucket"], last["elapsed_hours"], last["pause_count"]) == ("on_time", 120.0, 1)
    assert row(engine, "ONE-MINUTE-LATE")["bucket"] == "late"
    assert (row(engine, "EARLY")["bucket"], row(engine, "EARLY")["elapsed_hours"]) == ("early", 96.0)
    assert row(engine, "NO-PAUSE-LATE")["bucket"] == "late"
    k = admin_kpis(engine, FEB, tz, NOW)
    assert (k.received, k.resolved, k.early, k.on_time, k.late) == (4, 4, 1, 1, 2)
    assert k.on_time_rate == pytest.approx(0.5)


def test_withdrawn_refused_and_stopped_are_received_but_never_resolved(engine: Engine, tz) -> None:  # noqa: ANN001
    put(engine, tz,
        dossier("W", status="withdrawn", resolved_at="2026-03-20T09:00:00+07:00"),
        dossier("R", status="refused"),
        dossier("S", status="stopped"),
        dossier("OK", status="resolved", resolved_at="2026-02-12T09:00:00+07:00"))
    for external_id in ("W", "R", "S"):
        assert row(engine, external_id)["bucket"] is None
    k = admin_kpis(engine, FEB, tz, NOW)
    assert (k.received, k.resolved, k.early, k.on_time, k.late, k.in_progress, k.overdue) == (4, 1, 1, 0, 0, 0, 0)
    assert k.on_time_rate == 1.0
    d = k.details
    assert (d["withdrawn"], d["refused"], d["stopped"]) == (1, 1, 1)


def test_overdue_depends_on_now_and_an_open_supplement_stops_the_clock(engine: Engine, tz) -> None:  # noqa: ANN001
    put(engine, tz,
        dossier("OPEN"),  # effective deadline = due: Wed 25 Feb 09:00 local = 02:00 UTC
        dossier("WAITING", status="supplement_requested", pauses="2026-02-13T12:00:00+07:00/"),
        # asked for a supplement only after the deadline: the clock had already run out
        dossier("ASKED-LATE", status="supplement_requested", pauses="2026-02-26T08:00:00+07:00/"))
    assert row(engine, "WAITING")["effective_due_at"] is None
    assert row(engine, "ASKED-LATE")["effective_due_at"] == datetime(2026, 2, 25, 2, 0)
    assert overdue_count(engine, FEB, tz, datetime(2026, 2, 25, 2, 0)) == 0  # exactly at the deadline
    assert overdue_count(engine, FEB, tz, datetime(2026, 2, 25, 2, 1)) == 2  # OPEN and ASKED-LATE
    assert overdue_count(engine, FEB, tz, datetime(2027, 1, 1)) == 2  # WAITING never, while waiting
    queue, totals = open_queue(engine, FEB, tz, datetime(2026, 2, 24, 2, 0), _calendar(engine))
    # at Tue 24 09:00 local both are due within two working days; WAITING is not in the queue
    assert sorted(queue["external_id"]) == ["ASKED-LATE", "OPEN"] and totals == {"overdue": 0, "due_soon": 2}
    assert set(queue["state"]) == {"due_soon"} and queue["procedure_name"].iloc[0] == "Đăng ký kết hôn"
    late, totals = open_queue(engine, FEB, tz, datetime(2026, 3, 2), _calendar(engine), state="overdue")
    assert sorted(late["external_id"]) == ["ASKED-LATE", "OPEN"] and totals == {"overdue": 2, "due_soon": 0}
    assert late["hours_left"].round(1).tolist() == [-118.0, -118.0]  # Wed 25 02:00 → Mon 2 Mar 00:00 UTC


def _calendar(engine: Engine):  # noqa: ANN202
    from ioc.store.db import load_calendar

    with engine.connect() as conn:
        return load_calendar(conn)


def test_deadline_from_working_days_and_catalogue_fill_in(engine: Engine, tz) -> None:  # noqa: ANN001
    # Fri 9 Jan 2026 15:00 + 3 working days: Mon 12, Tue 13, Wed 14 → Wed 14 Jan 15:00 local.
    put(engine, tz, dossier("WD", due_at=None, working_days=3, received_at="2026-01-09T15:00:00+07:00",
                            procedure_code="NEW.01", procedure_name="Thủ tục thử nghiệm", channel="online",
                            paid_online="có"))
    r = row(engine, "WD")
    assert r["due_at"] == datetime(2026, 1, 14, 8, 0)
    assert (r["level"], r["field"], r["online_mode"], r["fee_required"]) == ("commune", "other", "partial", True)
    with engine.connect() as conn:
        added = conn.execute(select(admin_procedures).where(admin_procedures.c.code == "NEW.01")).mappings().one()
    assert (added["name"], added["level"], added["origin"]) == ("Thủ tục thử nghiệm", "commune", "dossier")
    # A catalogue procedure gets its field and mode from the catalogue.
    put(engine, tz, dossier("CAT", procedure_code="H.KD.01", unit_code="474", channel="online"))
    r = row(engine, "CAT")
    assert (r["level"], r["field"], r["online_mode"], r["fee_required"]) == ("district", "kinh_doanh",
                                                                               "full_process", True)


def test_rollups_follow_every_change_and_a_rebuild_agrees(engine: Engine, tz) -> None:  # noqa: ANN001
    put(engine, tz, *(dossier(f"D{i}", unit_code=("474.01", "474.02", "474")[i % 3], channel=("online", "post")[i % 2],
                              digitised=i % 2, received_at=f"2026-02-{10 + i % 5}T09:00:00+07:00",
                              due_at="2026-03-10T09:00:00+07:00") for i in range(12)))
    # move D0 to another unit and another month, resolve D1 and move it from 474.02 to 474.01,
    # withdraw D2 — all later versions
    put(engine, tz,
        dossier("D0", unit_code="479", received_at="2026-01-30T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"),
        dossier("D1", unit_code="474.01", status="returned", resolved_at="2026-02-20T09:00:00+07:00",
                returned_at="2026-02-21T09:00:00+07:00", rating="satisfied", received_at="2026-02-11T09:00:00+07:00",
                due_at="2026-03-10T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"),
        dossier("D2", unit_code="474", status="withdrawn", received_at="2026-02-12T09:00:00+07:00",
                due_at="2026-03-10T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"))
    same_rollups(stored_rollup(engine), recomputed(engine, tz))
    by_unit = rollup_sums(engine, FEB, "unit_code").set_index("key")["received"].to_dict()
    assert by_unit == {"474.01": 4, "474.02": 3, "474": 4}  # D0 left (Feb, 474.01), D1 joined 474.01
    assert rollup_sums(engine, AdminFilter(Period(date(2026, 1, 1), date(2026, 2, 1))), "unit_code")[
        "key"].tolist() == ["479"]
    before = stored_rollup(engine)
    assert rebuild(engine, tz) == 12
    same_rollups(stored_rollup(engine), before)


def test_kpi_filters_breakdowns_and_ranking(engine: Engine, tz) -> None:  # noqa: ANN001
    resolved = {"status": "resolved", "resolved_at": "2026-02-12T09:00:00+07:00"}
    late = {"status": "resolved", "resolved_at": "2026-02-26T09:00:00+07:00"}
    put(engine, tz,
        *(dossier(f"C{i}", **resolved) for i in range(12)),                                 # 474.01: 12 early
        *(dossier(f"L{i}", unit_code="474.02", **(late if i < 3 else resolved)) for i in range(12)),  # 9 of 12
        *(dossier(f"P{i}", unit_code="46.TTPVHCC", procedure_code="T.DT.01", channel="online", **resolved)
          for i in range(4)),                                                               # too few to rank
        dossier("X", unit_code="474", procedure_code="H.KD.01"))                            # open, overdue at NOW
    k = admin_kpis(engine, AdminFilter(FEB.period, level="commune"), tz, NOW)
    assert (k.received, k.resolved, k.late, k.overdue) == (24, 24, 3, 0)
    assert k.on_time_rate == pytest.approx(21 / 24)
    unit = admin_kpis(engine, AdminFilter(FEB.period, unit="474"), tz, NOW)
    assert (unit.received, unit.in_progress, unit.overdue) == (1, 1, 1)
    levels = admin_breakdown(engine, FEB, tz, NOW, "level").set_index("key")
    assert levels["received"].to_dict() == {"commune": 24, "province": 4, "district": 1}
    assert levels.loc["district", "overdue"] == 1
    fields = procedure_sums(engine, AdminFilter(FEB.period, unit="474.02"), "field", tz)
    assert fields.set_index("key")[["received", "late"]].to_dict("index") == {"ho_tich": {"received": 12, "late": 3}}

    ranking = unit_ranking(engine, FEB, tz, NOW).set_index("code")
    assert len(ranking) == 151  # every reception unit, with or without dossiers
    assert ranking.loc["474.01", "rank"] == 1 and ranking.loc["474.02", "rank"] == 2
    assert ranking.loc["474.02", "on_time_rate"] == pytest.approx(0.75)
    assert pd.isna(ranking.loc["46.TTPVHCC", "rank"])  # 4 resolved < 10
    assert pd.isna(ranking.loc["474.01", "change"])  # nothing in January to compare with
    report = kpi_report(engine, FEB.period, {}, tz, NOW)
    assert {r["key"]: r["received"] for r in report["by_level"]} == {"commune": 24, "province": 4, "district": 1}
    assert report["received"] == 29 and report["score_766"]["groups"][1]["measured"] is True
    assert {r["key"] for r in report["by_procedure"]} == {"X.HT.02", "T.DT.01", "H.KD.01"}
    assert sum(r["received"] for r in report["by_unit"]) == 29


def test_seeded_units_and_catalogue(engine: Engine) -> None:
    with engine.connect() as conn:
        levels = dict(conn.execute(select(schema.units.c.level, func.count()).group_by(schema.units.c.level)).all())
        generated = conn.execute(select(func.count()).where(schema.units.c.generated.is_(True))).scalar_one()
        names = conn.execute(select(schema.units.c.name).where(schema.units.c.generated.is_(True))).scalars().all()
        procedures = conn.execute(select(func.count()).select_from(admin_procedures)).scalar_one()
    # the province itself + its one-stop centre; 9 districts; 141 communes (generated)
    assert levels == {"province": 2, "district": 9, "commune": 141}
    assert generated == 141 and all(n.endswith("(tên tạo tự động)") for n in names)
    assert procedures >= 40


def test_times_are_stored_in_utc_and_buckets_are_local_days(engine: Engine, tz) -> None:  # noqa: ANN001
    # 00:30 local on 1 Mar is 17:30 UTC on 28 Feb: it belongs to March locally.
    put(engine, tz, dossier("EDGE", received_at="2026-03-01T00:30:00+07:00", due_at="2026-03-05T00:30:00+07:00"))
    assert row(engine, "EDGE")["received_at"] == datetime(2026, 2, 28, 17, 30)
    assert admin_kpis(engine, FEB, tz, NOW).received == 0
    march = AdminFilter(Period(date(2026, 3, 1), date(2026, 3, 2)))
    assert admin_kpis(engine, march, tz, NOW).received == 1
