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
# Units in force in 2026 (since 1 July 2025): the city's centre and 40 communes, among them
PHU_XUAN, VY_DA, THUAN_HOA, A_LUOI_1 = "19753", "19777", "19789", "20056"
CENTRE = "46.TTPVHCC"


def dossier(external_id: str = "HS-1", **overrides: object) -> dict:
    """Dossier A of tests/unit/test_admin_domain.py: received Wed 11 Feb 09:00, due Wed 25 Feb
    09:00 (5 working days over Tết), a commune civil-status procedure, in person, at Phường Phú
    Xuân's centre."""
    raw = {
        "external_id": external_id, "procedure_code": "X.HT.02", "unit_code": PHU_XUAN, "channel": "in_person",
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
    # (a district centre of the time: Quận Thuận Hóa, March 2025)
    put(engine, tz, dossier("CAT", procedure_code="H.KD.01", unit_code="474", channel="online",
                            received_at="2025-03-11T09:00:00+07:00", due_at="2025-03-25T09:00:00+07:00"))
    r = row(engine, "CAT")
    assert (r["level"], r["field"], r["online_mode"], r["fee_required"]) == ("district", "kinh_doanh",
                                                                               "full_process", True)
    assert (r["unit_code"], r["district_code"], r["commune_code"]) == ("474", "474", "")
    # The same district procedure in 2026 naming a district that no longer exists (Thị xã Phong
    # Điền): no unit that day, and no district level any more → a commune-level dossier.
    put(engine, tz, dossier("CAT-2026", procedure_code="H.KD.01", unit_code="476", channel="online"))
    r = row(engine, "CAT-2026")
    assert (r["level"], r["unit_code"], r["district_code"], r["commune_code"]) == ("commune", "", "", "")


def test_rollups_follow_every_change_and_a_rebuild_agrees(engine: Engine, tz) -> None:  # noqa: ANN001
    put(engine, tz, *(dossier(f"D{i}", unit_code=(PHU_XUAN, VY_DA, CENTRE)[i % 3], channel=("online", "post")[i % 2],
                              digitised=i % 2, received_at=f"2026-02-{10 + i % 5}T09:00:00+07:00",
                              due_at="2026-03-10T09:00:00+07:00") for i in range(12)))
    # move D0 to another unit and another month, resolve D1 and move it from Vỹ Dạ to Phú Xuân,
    # withdraw D2 — all later versions
    put(engine, tz,
        dossier("D0", unit_code=A_LUOI_1, received_at="2026-01-30T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"),
        dossier("D1", unit_code=PHU_XUAN, status="returned", resolved_at="2026-02-20T09:00:00+07:00",
                returned_at="2026-02-21T09:00:00+07:00", rating="satisfied", received_at="2026-02-11T09:00:00+07:00",
                due_at="2026-03-10T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"),
        dossier("D2", unit_code=CENTRE, status="withdrawn", received_at="2026-02-12T09:00:00+07:00",
                due_at="2026-03-10T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"))
    same_rollups(stored_rollup(engine), recomputed(engine, tz))
    by_unit = rollup_sums(engine, FEB, "unit_code").set_index("key")["received"].to_dict()
    assert by_unit == {PHU_XUAN: 4, VY_DA: 3, CENTRE: 4}  # D0 left (Feb, Phú Xuân), D1 joined Phú Xuân
    by_commune = rollup_sums(engine, FEB, "commune_code").set_index("key")["received"].to_dict()
    assert by_commune == {PHU_XUAN: 4, VY_DA: 3, "": 4}  # the centre's dossiers have no commune
    assert rollup_sums(engine, AdminFilter(Period(date(2026, 1, 1), date(2026, 2, 1))), "unit_code")[
        "key"].tolist() == [A_LUOI_1]
    before = stored_rollup(engine)
    assert rebuild(engine, tz) == 12
    same_rollups(stored_rollup(engine), before)


def test_kpi_filters_breakdowns_and_ranking(engine: Engine, tz) -> None:  # noqa: ANN001
    resolved = {"status": "resolved", "resolved_at": "2026-02-12T09:00:00+07:00"}
    late = {"status": "resolved", "resolved_at": "2026-02-26T09:00:00+07:00"}
    put(engine, tz,
        *(dossier(f"C{i}", **resolved) for i in range(12)),                                 # Phú Xuân: 12 early
        *(dossier(f"L{i}", unit_code=VY_DA, **(late if i < 3 else resolved)) for i in range(12)),  # 9 of 12
        *(dossier(f"P{i}", unit_code=CENTRE, procedure_code="T.DT.01", channel="online", **resolved)
          for i in range(4)),                                                               # too few to rank
        # a district-level procedure, now handled by a commune centre: open, overdue at NOW
        dossier("X", unit_code=THUAN_HOA, procedure_code="H.KD.01"))
    k = admin_kpis(engine, AdminFilter(FEB.period, level="commune"), tz, NOW)
    assert (k.received, k.resolved, k.late, k.overdue) == (25, 24, 3, 1)
    assert k.on_time_rate == pytest.approx(21 / 24)
    unit = admin_kpis(engine, AdminFilter(FEB.period, unit=THUAN_HOA), tz, NOW)
    assert (unit.received, unit.in_progress, unit.overdue) == (1, 1, 1)
    levels = admin_breakdown(engine, FEB, tz, NOW, "level").set_index("key")
    assert levels["received"].to_dict() == {"commune": 25, "province": 4}  # no district level in 2026
    assert levels.loc["commune", "overdue"] == 1
    fields = procedure_sums(engine, AdminFilter(FEB.period, unit=VY_DA), "field", tz)
    assert fields.set_index("key")[["received", "late"]].to_dict("index") == {"ho_tich": {"received": 12, "late": 3}}

    ranking = unit_ranking(engine, FEB, tz, NOW).set_index("code")
    assert len(ranking) == 41  # the units in force: the city's centre and the 40 communes, dossiers or not
    assert ranking.loc[PHU_XUAN, "rank"] == 1 and ranking.loc[VY_DA, "rank"] == 2
    assert ranking.loc[PHU_XUAN, "name"] == "Phường Phú Xuân" and ranking.loc[PHU_XUAN, "former_names"] == ""
    assert ranking.loc[VY_DA, "on_time_rate"] == pytest.approx(0.75)
    assert pd.isna(ranking.loc[CENTRE, "rank"])  # 4 resolved < 10
    assert ranking.loc[CENTRE, "name"] == "Trung tâm Phục vụ hành chính công thành phố Huế"
    assert pd.isna(ranking.loc[PHU_XUAN, "change"])  # nothing in January to compare with
    # each unit's own QĐ 766 score, out of what its data measures
    assert ranking.loc[PHU_XUAN, "score_766"] > ranking.loc[VY_DA, "score_766"] > 0
    assert pd.isna(ranking.loc[A_LUOI_1, "score_766"])  # no dossiers
    report = kpi_report(engine, FEB.period, {}, tz, NOW)
    assert {r["key"]: r["received"] for r in report["by_level"]} == {"commune": 25, "province": 4}
    assert report["received"] == 29 and report["score_766"]["groups"][1]["measured"] is True
    assert {r["key"] for r in report["by_procedure"]} == {"X.HT.02", "T.DT.01", "H.KD.01"}
    assert sum(r["received"] for r in report["by_unit"]) == 29


def test_seeded_units_and_catalogue(engine: Engine) -> None:
    from ioc.domain.admin_units import one_stop_units
    from ioc.store.db import load_units

    with engine.connect() as conn:
        units = load_units(conn)
        generated = conn.execute(select(func.count()).where(schema.units.c.generated.is_(True))).scalar_one()
        procedures = conn.execute(select(func.count()).select_from(admin_procedures)).scalar_one()
    assert generated == 0  # real units only
    # the one-stop units in force: the provincial centre, 9 district centres and 141 communes
    # in 2024; the city's centre and 40 communes from 1 July 2025
    for day, want in ((date(2024, 6, 1), {"province": 1, "district": 9, "commune": 141}),
                      (date(2025, 6, 30), {"province": 1, "district": 9, "commune": 133}),
                      (date(2025, 7, 1), {"province": 1, "commune": 40})):
        got = pd.Series([u.level for u in one_stop_units(units, day)]).value_counts().to_dict()
        assert got == want, day
    # the centre's two dated versions (the province became a centrally-run city on 1 Jan 2025)
    assert [u.name for u in (units.get(CENTRE, date(2024, 12, 31)), units.get(CENTRE, date(2025, 1, 1)))] == [
        "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế", "Trung tâm Phục vụ hành chính công thành phố Huế"]
    assert procedures >= 40


def test_times_are_stored_in_utc_and_buckets_are_local_days(engine: Engine, tz) -> None:  # noqa: ANN001
    # 00:30 local on 1 Mar is 17:30 UTC on 28 Feb: it belongs to March locally.
    put(engine, tz, dossier("EDGE", received_at="2026-03-01T00:30:00+07:00", due_at="2026-03-05T00:30:00+07:00"))
    assert row(engine, "EDGE")["received_at"] == datetime(2026, 2, 28, 17, 30)
    assert admin_kpis(engine, FEB, tz, NOW).received == 0
    march = AdminFilter(Period(date(2026, 3, 1), date(2026, 3, 2)))
    assert admin_kpis(engine, march, tz, NOW).received == 1


# -- units on each date (issue 11): the levels and units in force, history mapped to today's communes


def _resolved_on(day: str, unit_code: str, external_id: str, **extra: object) -> dict:
    """A commune civil-status dossier received at 09:00 local on ``day``, resolved the next day."""
    nxt = (date.fromisoformat(day).toordinal() + 1)
    return dossier(external_id, unit_code=unit_code, received_at=f"{day}T09:00:00+07:00",
                   due_at=f"{date.fromordinal(nxt + 7).isoformat()}T09:00:00+07:00", status="resolved",
                   resolved_at=f"{date.fromordinal(nxt).isoformat()}T09:00:00+07:00", **extra)


def test_the_last_minute_of_the_district_level_and_the_first_of_the_communes(engine: Engine, tz) -> None:  # noqa: ANN001
    # 30/06/2025 23:59 local at the district centre of Quận Thuận Hóa (474, a district procedure);
    # 01/07/2025 00:00 local at Phường Thuận Hóa's centre (19789), the same procedure.
    put(engine, tz,
        dossier("EVE", unit_code="474", procedure_code="H.KD.01", channel="online",
                received_at="2025-06-30T23:59:00+07:00", due_at="2025-07-04T23:59:00+07:00"),
        dossier("DAY-1", unit_code=THUAN_HOA, procedure_code="H.KD.01", channel="online",
                received_at="2025-07-01T00:00:00+07:00", due_at="2025-07-07T00:00:00+07:00"))
    eve, first = row(engine, "EVE"), row(engine, "DAY-1")
    assert eve["received_at"] == datetime(2025, 6, 30, 16, 59) and first["received_at"] == datetime(2025, 6, 30, 17, 0)
    assert (eve["level"], eve["unit_code"], eve["district_code"], eve["commune_code"]) == ("district", "474", "474", "")
    assert (first["level"], first["unit_code"], first["district_code"], first["commune_code"]) == (
        "commune", THUAN_HOA, "", THUAN_HOA)
    june, july = Period(date(2025, 6, 1), date(2025, 7, 1)), Period(date(2025, 7, 1), date(2025, 8, 1))
    both = Period(date(2025, 6, 1), date(2025, 8, 1))
    assert admin_breakdown(engine, AdminFilter(june), tz, NOW, "level")["key"].tolist() == ["district"]
    assert admin_breakdown(engine, AdminFilter(july), tz, NOW, "level")["key"].tolist() == ["commune"]
    assert admin_breakdown(engine, AdminFilter(both), tz, NOW, "level").set_index("key")["received"].to_dict() == {
        "district": 1, "commune": 1}
    # the ranking: the district centre in June (named as it was), the commune centre in July
    assert unit_ranking(engine, AdminFilter(june), tz, NOW).set_index("code").loc["474", "name"] == "Quận Thuận Hóa"
    july_ranking = unit_ranking(engine, AdminFilter(july), tz, NOW).set_index("code")
    assert "474" not in july_ranking.index and july_ranking.loc[THUAN_HOA, "received"] == 1


def test_ranking_lists_the_units_in_force_during_the_period(engine: Engine, tz) -> None:  # noqa: ANN001
    from ioc.domain.admin_units import one_stop_units_between
    from ioc.domain.units import UnitMap

    put(engine, tz, *(_resolved_on("2024-03-05", "474", f"D24-{i}", procedure_code="H.KD.01") for i in range(3)),
        *(_resolved_on("2024-03-05", "19780", f"C24-{i}") for i in range(3)),  # Phường Phường Đúc, 2024
        *(_resolved_on("2026-03-04", THUAN_HOA, f"C26-{i}") for i in range(3)))
    y2026 = unit_ranking(engine, AdminFilter(Period(date(2026, 1, 1), date(2027, 1, 1))), tz, NOW)
    current = {u.code for u in UnitMap.default().current_communes()}
    assert len(y2026) == 41 and set(y2026["code"]) == current | {CENTRE}
    assert set(y2026["level"]) == {"province", "commune"}
    y2024 = unit_ranking(engine, AdminFilter(Period(date(2024, 1, 1), date(2025, 1, 1))), tz, NOW).set_index("code")
    in_2024 = one_stop_units_between(UnitMap.default(), date(2024, 1, 1), date(2025, 1, 1))
    # the centre, 9 districts, 141 communes (those merged on 1 Nov 2024 kept one of their codes)
    assert set(y2024.index) == {p.code for p in in_2024} and len(y2024) == 151
    # GSO codes are reused: every current commune's code was some commune's in 2024, but the
    # 2024 ranking names the unit of 2024, never one born on 1 July 2025
    born = {u.name for u in UnitMap.default().current_communes()} - {p.unit.name for p in in_2024}
    assert born and not set(y2024["name"]) & born
    assert (y2024.loc[PHU_XUAN, "name"], y2026.set_index("code").loc[PHU_XUAN, "name"]) == (
        "Phường Thuận Lộc", "Phường Phú Xuân")
    # names of the versions in force in 2024 (the last in the year; other names of the year kept)
    assert y2024.loc["474", "name"] == "Thành phố Huế" and y2024.loc["19780", "name"] == "Phường Phường Đúc"
    assert (y2024.loc["476", "name"], y2024.loc["476", "former_names"]) == ("Thị xã Phong Điền", "Huyện Phong Điền")
    assert y2024.loc[CENTRE, "name"] == "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế"
    assert (y2024.loc["474", "received"], y2024.loc["19780", "received"], y2024["received"].sum()) == (3, 3, 6)
    # by level: only the levels of the time
    assert set(unit_ranking(engine, AdminFilter(Period(date(2024, 1, 1), date(2025, 1, 1)), level="district"),
                            tz, NOW)["level"]) == {"district"}


def test_a_current_commune_counts_its_commune_level_dossiers_of_both_sides(engine: Engine, tz) -> None:  # noqa: ANN001
    # Phường Thuận Hóa (19789, from 1 July 2025) succeeds Phường Đúc (19780), Vĩnh Ninh (19783)
    # and Phú Nhuận (19789, whose code it took), among others.
    put(engine, tz,
        _resolved_on("2024-05-06", "19780", "OLD-DUC"),
        _resolved_on("2025-03-04", "19783", "OLD-VINH-NINH"),
        _resolved_on("2024-05-06", "19789", "OLD-PHU-NHUAN"),
        _resolved_on("2025-09-09", THUAN_HOA, "NEW-1"),
        _resolved_on("2026-02-03", THUAN_HOA, "NEW-2"),
        _resolved_on("2024-05-06", "474", "DISTRICT", procedure_code="H.KD.01"),  # district level: not a commune's
        _resolved_on("2024-05-06", "19750", "OTHER-OLD"),  # Tây Lộc → Phú Xuân
        _resolved_on("2026-02-03", PHU_XUAN, "OTHER-NEW"))
    span = Period(date(2024, 1, 1), date(2027, 1, 1))
    flt = AdminFilter(span, unit=THUAN_HOA)
    assert flt.dims() == {"commune_code": THUAN_HOA}
    k = admin_kpis(engine, flt, tz, NOW)
    assert (k.received, k.resolved) == (5, 5)
    assert procedure_sums(engine, flt, "field", tz).set_index("key")["received"].to_dict() == {"ho_tich": 5}
    assert admin_kpis(engine, AdminFilter(Period(date(2024, 1, 1), date(2025, 7, 1)), unit=THUAN_HOA), tz,
                      NOW).received == 3  # before the change only
    # the ranking of that commune's view: the units of the time its dossiers were received at
    ranked = unit_ranking(engine, flt, tz, NOW).set_index("code")
    assert {c: int(n) for c, n in ranked["received"].items() if n} == {"19780": 1, "19783": 1, THUAN_HOA: 2 + 1}
    assert ranked.loc[THUAN_HOA, "former_names"] == "Phường Phú Nhuận"
    # a unit of the time by its own code: the district centre of 2024
    assert admin_kpis(engine, AdminFilter(span, unit="474"), tz, NOW).received == 1
    assert AdminFilter(span, unit="19780").dims() == {"unit_code": "19780"}


def test_a_writer_during_the_lookup_waits_for_the_ingest(engine: Engine, tz, monkeypatch) -> None:  # noqa: ANN001
    """Two ingests of the same dossier at once (the live feed's first run during the first
    start's backfill): the second waits for the first's transaction, from its lookup of the
    stored keys to its commit, then finds the dossier stored. On SQLite the lookup once ran
    outside the transaction, the second writer committed in between, and the first's insert
    failed on the unique (source, external_id) index."""
    import threading

    from ioc.store import admin

    original = admin._fetch_existing
    other: dict[str, object] = {}

    def second_writer() -> None:
        try:
            other["result"] = put(engine, tz, dossier("HS-RACE"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            other["error"] = exc

    def lookup_then_let_another_write(conn, source, ids):  # noqa: ANN001, ANN202
        found = original(conn, source, ids)
        if "thread" not in other:
            other["thread"] = thread = threading.Thread(target=second_writer)
            thread.start()
            thread.join(timeout=2)  # it must be waiting for us: it cannot finish while we hold the lock
            other["finished_first"] = not thread.is_alive()
        return found

    monkeypatch.setattr(admin, "_fetch_existing", lookup_then_let_another_write)
    first = put(engine, tz, dossier("HS-RACE"))
    other["thread"].join(timeout=30)
    assert other["finished_first"] is False, "the second writer committed inside the first's transaction"
    assert "error" not in other, other.get("error")
    assert (first.inserted, other["result"].inserted) == (1, 0)
    assert count_dossiers(engine) == 1
