"""The feedback simulator: determinism, a calibrated year, report lives, and the live feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

import data_sources.simulator as simulator
from data_sources.simulator import changed_between, history, state_at
from ioc.collect import run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.domain.calendar import WorkCalendar
from ioc.domain.feedback import CLOSED_STATUSES, DEFAULT_DUE_WORKING_DAYS, OPEN_STATUSES, RATINGS
from ioc.domain.units import PROVINCE_BBOX, UnitMap
from ioc.sources import SourceSpec
from ioc.store import runs, schema_feedback

TZ_NAME = "Asia/Ho_Chi_Minh"
TZ = ZoneInfo(TZ_NAME)
DISTRICTS = {u.code for u in UnitMap.default().units if u.level == "district"}
YEAR_NOW = datetime(2024, 6, 1)  # five months after the simulated year: every life has played out


@pytest.fixture(scope="module")
def vn_calendar() -> WorkCalendar:
    return WorkCalendar.vietnam()


@pytest.fixture(scope="module")
def year(vn_calendar: WorkCalendar) -> pd.DataFrame:
    return history(2023, date(2023, 1, 1), date(2024, 1, 1), YEAR_NOW, vn_calendar, TZ_NAME)


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_the_same_frames(vn_calendar: WorkCalendar) -> None:
    args = (date(2024, 3, 1), date(2024, 3, 15), datetime(2024, 3, 20), vn_calendar, TZ_NAME)
    simulator._plan_day.cache_clear()  # compare two real computations, not one cached plan
    first = history(11, *args)
    simulator._plan_day.cache_clear()
    second = history(11, *args)

    assert len(first) > 300
    pd.testing.assert_frame_equal(first, second)


def test_a_different_seed_gives_different_reports(vn_calendar: WorkCalendar) -> None:
    args = (date(2024, 3, 1), date(2024, 3, 15), datetime(2024, 3, 20), vn_calendar, TZ_NAME)
    a = history(11, *args)
    b = history(12, *args)

    assert set(zip(a["external_id"], a["received_at"], strict=True)) != set(
        zip(b["external_id"], b["received_at"], strict=True))


# --- a simulated calendar year ------------------------------------------------------------------


def test_a_year_has_nine_to_ten_and_a_half_thousand_reports(year: pd.DataFrame) -> None:
    assert 9_000 <= len(year) <= 10_500
    assert year["external_id"].is_unique
    local_days = year["received_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    assert local_days.min() == date(2023, 1, 1)
    assert local_days.max() == date(2023, 12, 31)


def test_a_year_is_at_least_98_percent_processed(year: pd.DataFrame) -> None:
    processed = year["status"].isin(CLOSED_STATUSES).mean()

    assert processed >= 0.98
    assert processed < 1.0  # a few reports are stuck open, as in real life


def test_a_year_is_90_to_95_percent_satisfied(year: pd.DataFrame) -> None:
    rated = year[year["rating"].notna()]
    satisfaction = rated["rating"].isin(["satisfied", "acceptable"]).sum() / len(rated)

    assert 0.90 <= satisfaction <= 0.95
    assert set(rated["rating"]) == set(RATINGS)


def test_every_report_is_in_a_commune_of_its_date_and_hue_city_is_the_largest(year: pd.DataFrame) -> None:
    """Simulated reports are written for the map in force on their date (2023: 141 communes in 9
    district-level units), and Thành phố Huế (474) carries most of the activity."""
    units = UnitMap.default()
    local_days = year["received_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    for code, day in zip(year["unit_code"], local_days, strict=True):
        unit = units.get(code, day)
        assert unit is not None and unit.level == "commune", (code, day)
    districts = pd.Series([units.district_of(units.get(c, d), d) for c, d in zip(year["unit_code"], local_days,
                                                                                  strict=True)]).value_counts()
    assert set(districts.index) <= DISTRICTS
    assert len(districts) == 9
    assert districts.idxmax() == "474"
    assert districts["474"] > 2 * districts.drop("474").max()


def test_coordinates_are_inside_the_province(year: pd.DataFrame) -> None:
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX

    assert year["lat"].notna().all() and year["lon"].notna().all()
    assert year["lat"].between(lat_min, lat_max).all()
    assert year["lon"].between(lon_min, lon_max).all()


def test_due_is_seven_working_days_after_receipt_in_local_time(year: pd.DataFrame,
                                                               vn_calendar: WorkCalendar) -> None:
    # Received on a Saturday, on a weekday before Tết, and a spread of ordinary rows.
    local = year["received_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None)
    picks = [
        int(np.flatnonzero(local.dt.day_of_week.to_numpy() == 5)[0]),
        int(np.flatnonzero((local.dt.date == date(2023, 1, 18)).to_numpy())[0]),
        *range(0, len(year), len(year) // 7),
    ]
    for i in picks:
        received_local = local.iloc[i].to_pydatetime()
        due_local = vn_calendar.add_working_days(received_local, DEFAULT_DUE_WORKING_DAYS)
        expected_utc = due_local.replace(tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)
        assert year["due_at"].iloc[i].to_pydatetime() == expected_utc, year.iloc[i]["external_id"]


def test_the_tet_deadline_skips_the_holiday_week(year: pd.DataFrame) -> None:
    # Tết 2023: 20–26 January off; received Wednesday 18 January → due well into February.
    local = year["received_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None)
    row = year[(local.dt.date == date(2023, 1, 18)).to_numpy()].iloc[0]
    due_local = row["due_at"].tz_localize("UTC").tz_convert(TZ).tz_localize(None)

    assert due_local.date() == date(2023, 2, 3)


def test_statuses_timestamps_and_ratings_are_consistent(year: pd.DataFrame) -> None:
    closed = year["status"].isin(CLOSED_STATUSES)
    still_open = year["status"].isin(OPEN_STATUSES)

    assert (closed | still_open).all()
    assert year.loc[closed, "resolved_at"].notna().all()
    assert (year.loc[closed, "resolved_at"] >= year.loc[closed, "received_at"]).all()
    assert year.loc[still_open, "resolved_at"].isna().all()
    assert not year.loc[~closed, "rating"].notna().any()
    assert set(year.loc[closed, "status"]) == {"resolved", "rejected"}
    assert (year["updated_at"] >= year["received_at"]).all()
    assert (year["updated_at"] <= pd.Timestamp(YEAR_NOW)).all()


# --- a report's life ----------------------------------------------------------------------------


def _plan(vn_calendar: WorkCalendar) -> pd.DataFrame:
    return simulator._plan_day(5, date(2024, 4, 2), 40.0, "SIM", vn_calendar, TZ_NAME)


def test_state_at_and_changed_between_follow_a_report_from_open_to_closed(vn_calendar: WorkCalendar) -> None:
    plan = _plan(vn_calendar)
    row = plan[plan["closed_at"].notna() & plan["rated_at"].notna()].iloc[0]
    rid = row["external_id"]
    received = row["received_at"].to_pydatetime()
    closes = row["closed_at"].to_pydatetime()
    before, after = closes - timedelta(seconds=1), closes + timedelta(seconds=1)

    # Not there before it was received.
    assert rid not in set(state_at(plan, received - timedelta(seconds=1))["external_id"])

    opened = changed_between(plan, received - timedelta(seconds=1), before).set_index("external_id").loc[rid]
    assert opened["status"] in OPEN_STATUSES
    assert pd.isna(opened["resolved_at"])
    assert opened["rating"] is None

    closed = changed_between(plan, before, after).set_index("external_id").loc[rid]
    assert closed["status"] == row["closed_status"]
    assert closed["resolved_at"] == row["closed_at"]
    assert closed["updated_at"] == row["closed_at"]
    assert closed["rating"] is None  # rated only later, at least an hour after closing

    rated = state_at(plan, row["rated_at"].to_pydatetime()).set_index("external_id").loc[rid]
    assert rated["rating"] == row["rating_value"]
    assert rated["updated_at"] == row["rated_at"]


def test_changed_between_emits_only_reports_with_a_transition_in_the_window(vn_calendar: WorkCalendar) -> None:
    plan = _plan(vn_calendar)
    row = plan[plan["closed_at"].notna()].iloc[0]
    closes = row["closed_at"].to_pydatetime()
    window = changed_between(plan, closes - timedelta(seconds=1), closes)
    transitions = plan[["received_at", "verified_at", "assigned_at", "started_at", "closed_at", "rated_at"]]
    inside = ((transitions > closes - timedelta(seconds=1)) & (transitions <= closes)).any(axis=1)

    assert set(window["external_id"]) == set(plan.loc[inside, "external_id"])
    assert row["external_id"] in set(window["external_id"])
    # A window after every life has ended is empty.
    assert changed_between(plan, datetime(2025, 1, 1), datetime(2025, 2, 1)).empty


# --- the live feed through the runner -----------------------------------------------------------


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite'}"}))


def live_spec(now: datetime) -> SourceSpec:
    return SourceSpec(name="live-sim", type="simulator", family="feedback", every_seconds=5,
                      options={"now": now.isoformat(), "seed": 42, "reports_per_minute": 6})


def test_live_simulator_feeds_the_store_as_simulated_time_passes(sqlite_ctx: Context) -> None:
    # 13:00 UTC is 20:00 in Huế, an hour with about the daily average rate. Half a second past
    # the minute: simulated reports arrive on whole seconds, so none is received at live_start.
    live_start = datetime(2025, 3, 10, 13, 0, 0, 500_000)
    table = schema_feedback.feedback_reports

    first = run_source(sqlite_ctx, live_spec(live_start))
    assert (first.status, first.error) == ("ok", None)
    assert first.counts["inserted"] == 0 and first.counts["updated"] == 0

    ten_minutes = run_source(sqlite_ctx, live_spec(live_start + timedelta(minutes=10)))
    assert ten_minutes.status == "ok"
    assert 30 <= ten_minutes.counts["inserted"] <= 90
    assert ten_minutes.counts["updated"] == 0
    with sqlite_ctx.engine.connect() as conn:
        first_window = {r.external_id: r.status for r in conn.execute(select(table.c.external_id, table.c.status))}
        earliest = conn.execute(select(func.min(table.c.received_at))).scalar_one()
    assert len(first_window) == ten_minutes.counts["inserted"]
    assert earliest > live_start  # nothing from before the feed started
    assert set(first_window.values()) <= set(OPEN_STATUSES)

    three_days = run_source(sqlite_ctx, live_spec(live_start + timedelta(days=3, minutes=10)))
    assert three_days.status == "ok"
    assert three_days.counts["updated"] > 0
    assert three_days.counts["inserted"] > 1000
    with sqlite_ctx.engine.connect() as conn:
        now_closed = conn.execute(
            select(func.count()).select_from(table)
            .where(table.c.external_id.in_(list(first_window)), table.c.status.in_(CLOSED_STATUSES))
        ).scalar_one()
        earliest = conn.execute(select(func.min(table.c.received_at))).scalar_one()
    assert now_closed > 0
    assert earliest > live_start
    assert runs.get_watermark(sqlite_ctx.engine, "live-sim") is not None


def test_simulated_reports_follow_the_map_in_force_on_their_date(vn_calendar: WorkCalendar) -> None:
    """Either side of 1 July 2025: the old map's communes (in their district) before, the 40
    communes after (no district level)."""
    frame = history(2025, date(2025, 6, 25), date(2025, 7, 6), datetime(2025, 7, 20), vn_calendar, TZ_NAME)
    units = UnitMap.default()
    days = frame["received_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    before, after = frame[days < date(2025, 7, 1)], frame[days >= date(2025, 7, 1)]
    assert len(before) and len(after)
    eve = {u.code for u in units.on(date(2025, 6, 30)) if u.level == "commune"}
    current = {u.code for u in units.current_communes()}
    assert set(before["unit_code"]) <= eve
    assert set(after["unit_code"]) <= current
    assert any(" Quận " in a or "Huyện " in a or "Thị xã " in a for a in before["handling_unit"])
    assert not any("Quận " in a or "Huyện " in a for a in after["handling_unit"])
