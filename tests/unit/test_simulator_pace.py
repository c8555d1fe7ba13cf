"""The live simulators at the city's pace (issue 17): a simulated day of the live feed holds what
a day of the history holds, ``IOC_SIMULATOR_SPEED`` / ``--speed`` multiplies it, a bad value is
refused by name, and the screens say so on the SIMULATED badge.

Counts are Poisson draws of a seeded generator: each is checked against its expected value λ
(worked out from the simulator's own published rates) within 3 standard deviations (3 √λ), a
bound a wrong pace misses by far (the old default fed 8,640 reports a day against ≈ 26).
"""

from __future__ import annotations

import argparse
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from data_sources import admin_simulator, simulator, system_simulator, traffic_simulator
from data_sources.admin_simulator import AdminSimulator
from data_sources.simulator import FeedbackSimulator, live_day_rate
from data_sources.traffic_simulator import CAMERA_PER_DAY, CITIZEN_PER_DAY, TrafficSimulator, live_scale
from ioc.config import ConfigError, add_speed_argument, load_settings, parse_simulator_speed
from ioc.domain.calendar import WorkCalendar
from ioc.domain.units import UnitMap
from ioc.registry import registry
from ioc.sources import CollectorContext, SourceSpec
from layouts import ids
from layouts.shell import layout, sim_badge_texts
from tests.component_tree import walk

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = WorkCalendar.vietnam()
WEEK = [date(2026, 3, 9) + timedelta(days=k) for k in range(7)]  # Monday to Sunday, no holiday
TUESDAY = date(2026, 3, 10)


def utc_midnight(day: date) -> datetime:
    """Local midnight starting ``day``, as naive UTC (the simulators' clock)."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def live_records(collector_type: type, family: str, first: date, end: date, speed: float, start_column: str,
                 **options: object) -> pd.DataFrame:
    """The records a live simulator hands over when it starts at local midnight of ``first`` and
    runs again at local midnight of ``end``: everything received in between, once each."""
    cctx = CollectorContext(tz=TZ, calendar=CALENDAR, units=UnitMap.default(), simulator_speed=speed)
    t0, t1 = utc_midnight(first), utc_midnight(end)
    frames, watermark = [], None
    for now in (t0, t1):
        spec = SourceSpec(f"{family}-live", "simulator", family, 60, options={"now": now.isoformat(), **options})
        batch = next(iter(collector_type(spec, cctx).batches(watermark)))
        frames.append(batch.records)
        watermark = batch.watermark
    records = pd.concat([f for f in frames if len(f)], ignore_index=True).drop_duplicates("external_id")
    at = records[start_column]
    return records[(at >= pd.Timestamp(t0)) & (at < pd.Timestamp(t1))]


def within_three_sigma(count: int, expected: float) -> bool:
    return abs(count - expected) <= 3 * math.sqrt(expected)


# --- the setting ---------------------------------------------------------------------------------


def test_the_speed_defaults_to_the_citys_pace_and_reads_numbers_from_one_up() -> None:
    assert load_settings({}).simulator_speed == 1.0
    assert load_settings({"IOC_SIMULATOR_SPEED": ""}).simulator_speed == 1.0
    assert load_settings({"IOC_SIMULATOR_SPEED": "60"}).simulator_speed == 60.0
    assert load_settings({"IOC_SIMULATOR_SPEED": " 2.5 "}).simulator_speed == 2.5
    assert load_settings({"IOC_SIMULATOR_SPEED": "1"}).simulator_speed == 1.0


@pytest.mark.parametrize("raw", ["0.5", "0", "-60", "fast", "nan", "inf", "60x"])
def test_a_bad_speed_is_refused_naming_the_variable_and_the_value(raw: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"IOC_SIMULATOR_SPEED": raw})
    assert str(err.value).startswith(f"IOC_SIMULATOR_SPEED={raw!r}: ")
    assert "≥ 1" in str(err.value)


def test_the_speed_flag_takes_the_same_values_and_names_itself(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="python app.py")
    add_speed_argument(parser)
    assert parser.parse_args(["--speed", "60"]).speed == 60.0
    assert parser.parse_args([]).speed is None
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--speed", "0.5"])
    assert exit_.value.code == 2
    assert "--speed='0.5': the live simulators' speed must be a number ≥ 1" in capsys.readouterr().err
    assert parse_simulator_speed("3", "--speed") == 3.0


def test_app_py_and_the_scheduler_take_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from app import _arguments
    from ioc.cli import build_parser

    assert _arguments(["--speed", "60"]).speed == 60.0
    assert build_parser().parse_args(["scheduler", "--speed", "12"]).speed == 12.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["scheduler", "--speed", "slow"])
    assert "--speed='slow'" in capsys.readouterr().err


# --- the label -----------------------------------------------------------------------------------


def test_the_simulated_badge_says_the_speed_up_in_both_languages() -> None:
    assert sim_badge_texts("vi", 1.0)[0] == "DỮ LIỆU MÔ PHỎNG"
    assert sim_badge_texts("en", 1.0)[0] == "SIMULATED DATA"
    assert sim_badge_texts("vi", 60.0)[0] == "DỮ LIỆU MÔ PHỎNG ×60"
    assert sim_badge_texts("en", 60.0)[0] == "SIMULATED DATA ×60"
    assert sim_badge_texts("vi", 2.5)[0] == "DỮ LIỆU MÔ PHỎNG ×2,5"
    assert sim_badge_texts("en", 1234.0)[0] == "SIMULATED DATA ×1,234"
    assert sim_badge_texts("en", 60.0)[1] == ("Simulated sources running 60 times faster than the city's real pace: "
                                              "the figures are not real")
    assert "nhanh gấp 60 lần" in sim_badge_texts("vi", 60.0)[1]


def test_the_header_carries_the_label() -> None:
    settings = load_settings({})
    badge = next(c for c in walk(layout(settings, True, {}, sim_speed=60.0)) if getattr(c, "id", None) == ids.SIM_BADGE)
    assert badge.children == "DỮ LIỆU MÔ PHỎNG ×60"
    plain = next(c for c in walk(layout(settings, True, {})) if getattr(c, "id", None) == ids.SIM_BADGE)
    assert plain.children == "DỮ LIỆU MÔ PHỎNG"


# --- field feedback ------------------------------------------------------------------------------


def test_the_feedback_feeds_a_day_of_history_a_day_and_the_speed_multiplies_it() -> None:
    # A Tuesday of March: 9,500 / 365 × 1.14 (a working day, outside the flood season).
    assert live_day_rate(TUESDAY, CALENDAR) == pytest.approx(29.671, abs=0.001)
    assert live_day_rate(TUESDAY, CALENDAR, 60) == pytest.approx(1780.27, abs=0.01)
    assert live_day_rate(date(2026, 3, 14), CALENDAR) == pytest.approx(9_500 / 365 * 0.65)  # a Saturday
    assert live_day_rate(TUESDAY, CALENDAR, 60, reports_per_minute=6) == 8_640  # an explicit rate is kept
    history = [simulator._day_rate(d, CALENDAR, simulator.YEARLY_REPORTS) for d in WEEK]
    assert [live_day_rate(d, CALENDAR) for d in WEEK] == history


def test_a_simulated_week_of_live_feedback_holds_a_week_of_history() -> None:
    expected = sum(live_day_rate(d, CALENDAR) for d in WEEK)  # ≈ 182
    live = live_records(FeedbackSimulator, "feedback", WEEK[0], WEEK[-1] + timedelta(days=1), 1.0, "received_at",
                        seed=7)
    assert within_three_sigma(len(live), expected), (len(live), expected)
    assert live["external_id"].str.startswith("LIVE-").all()
    past = simulator.history(7, WEEK[0], WEEK[-1] + timedelta(days=1), utc_midnight(WEEK[-1] + timedelta(days=1)),
                             CALENDAR, str(TZ))
    assert abs(len(live) - len(past)) <= 3 * math.sqrt(2 * expected)  # two draws of the same pace


def test_a_simulated_day_of_live_feedback_at_speed_60() -> None:
    expected = 60 * live_day_rate(TUESDAY, CALENDAR)  # ≈ 1,780
    live = live_records(FeedbackSimulator, "feedback", TUESDAY, TUESDAY + timedelta(days=1), 60.0, "received_at",
                        seed=7)
    assert within_three_sigma(len(live), expected), (len(live), expected)


# --- traffic -------------------------------------------------------------------------------------


def test_the_traffic_history_and_live_rates_match_the_published_volumes() -> None:
    assert CAMERA_PER_DAY == pytest.approx(72.3)  # ≈ 2 a camera a day on 36 cameras
    assert CITIZEN_PER_DAY == pytest.approx(0.335 * 9_500 / 365)  # the feedback's traffic third, ≈ 8.72
    assert live_scale() == 1.0 and live_scale(60) == 60.0
    assert live_scale(60, violations_per_minute=4) == pytest.approx(4 * 1440 / (72.3 + 0.335 * 9_500 / 365))


def test_a_simulated_week_of_live_violations_holds_a_week_of_history() -> None:
    per_day = CAMERA_PER_DAY + CITIZEN_PER_DAY  # ≈ 81.0 on a weekday, × 0.85 at weekends
    expected = per_day * (5 + 2 * 0.85)  # ≈ 543
    live = live_records(TrafficSimulator, "traffic", WEEK[0], WEEK[-1] + timedelta(days=1), 1.0, "detected_at",
                        seed=7)
    assert within_three_sigma(len(live), expected), (len(live), expected)
    cameras = (live["channel"] == "camera").sum()
    assert within_three_sigma(int(cameras), CAMERA_PER_DAY * 6.7)
    traffic_simulator._plan_day.cache_clear()


def test_a_simulated_day_of_live_violations_at_speed_60() -> None:
    expected = 60 * (CAMERA_PER_DAY + CITIZEN_PER_DAY)  # ≈ 4,861 on a Tuesday
    live = live_records(TrafficSimulator, "traffic", TUESDAY, TUESDAY + timedelta(days=1), 60.0, "detected_at",
                        seed=7)
    assert within_three_sigma(len(live), expected), (len(live), expected)
    traffic_simulator._plan_day.cache_clear()


# --- a spec-declared system ----------------------------------------------------------------------


def test_a_simulated_day_of_a_systems_live_feed_at_speed_1_and_60() -> None:
    spec = registry().get("cyber").spec
    collector = system_simulator.simulator_for(spec)
    expected = system_simulator._day_rate(spec, TUESDAY)  # per_day 150, shaped by weekday and month
    one = live_records(collector, "cyber", TUESDAY, TUESDAY + timedelta(days=1), 1.0, "occurred_at", seed=7)
    sixty = live_records(collector, "cyber", TUESDAY, TUESDAY + timedelta(days=1), 60.0, "occurred_at", seed=7)
    assert within_three_sigma(len(one), expected), (len(one), expected)
    assert within_three_sigma(len(sixty), 60 * expected), (len(sixty), 60 * expected)
    fixed = live_records(collector, "cyber", TUESDAY, TUESDAY + timedelta(days=1), 60.0, "occurred_at", seed=7,
                         per_day=10)  # an explicit pace is kept, whatever the speed
    assert within_three_sigma(len(fixed), system_simulator._day_rate(spec, TUESDAY) / spec.simulation.per_day * 10)


# --- administrative services ---------------------------------------------------------------------


def test_the_dossiers_live_feed_is_the_history_itself_whatever_the_speed() -> None:
    """The admin feed plays the history's own dossiers at the city's pace: a simulated day hands
    over exactly the dossiers the history received that day, at speed 1 as at speed 60."""
    options = {"seed": 5, "dossiers_per_year": 20_000}
    first, end = TUESDAY, TUESDAY + timedelta(days=1)
    at_1 = live_records(AdminSimulator, "admin", first, end, 1.0, "received_at", **options)
    at_60 = live_records(AdminSimulator, "admin", first, end, 60.0, "received_at", **options)
    past = next(admin_simulator.history(5, first, end, utc_midnight(end), CALENDAR, str(TZ), 20_000))
    assert set(at_1["external_id"]) == set(at_60["external_id"]) == set(past["external_id"])
    assert within_three_sigma(len(past), admin_simulator.day_rate(TUESDAY, CALENDAR, 20_000))  # ≈ 76
