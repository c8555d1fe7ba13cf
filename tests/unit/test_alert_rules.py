"""Alert rules by hand: the common severity scale, each rule at and just below its thresholds,
the thresholds read from the environment, and the one-line descriptions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ioc.alerts import Alert, thresholds
from ioc.config import ConfigError, load_settings
from ioc.domain import alert_rules as rules
from ioc.domain.alert_rules import Thresholds
from ioc.i18n_alerts import describe

TH = Thresholds()  # the documented defaults
NOW = datetime(2026, 3, 9, 2, 10)
S = timedelta(seconds=1)


# --------------------------------------------------------------------------- severity scale


@pytest.mark.parametrize(("family", "kind", "severity", "level", "rank"), [
    ("environment", "aqi_bad", "bad", "high", 3),  # Xấu, AQI 151–200
    ("environment", "aqi_bad", "very_bad", "critical", 4),  # Rất xấu, 201–300
    ("environment", "aqi_bad", "hazardous", "emergency", 5),  # Nguy hại, ≥ 301
    ("environment", "aqi_bad", "poor", "warning", 2),  # never stored; not below warning
    ("environment", "no_data", "warning", "warning", 2),
    ("feedback", "source_failed", "high", "high", 3),
    ("traffic", "violation_surge", "warning", "warning", 2),
    ("admin", "whatever", "info", "info", 1),
    ("admin", "whatever", "emergency", "emergency", 5),
    ("admin", "whatever", "HIGH", "warning", 2),  # unknown strings are seen, as warnings
])
def test_level_and_rank_of_stored_alerts(family, kind, severity, level, rank) -> None:
    assert rules.level_of(family, kind, severity) == level
    assert rules.rank_of(family, kind, severity) == rank


def test_levels_are_ordered_info_to_emergency() -> None:
    assert rules.LEVELS == ("info", "warning", "high", "critical", "emergency")
    assert [rules.RANK[name] for name in rules.LEVELS] == [1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- sources


def test_source_failed_warning_then_high_from_three_consecutive_failures() -> None:
    first = NOW - timedelta(minutes=5)
    assert rules.source_failed("feedback", "hue-open311", "ok", 0, None, first, TH) is None
    one = rules.source_failed("feedback", "hue-open311", "failed", 1, "ConnectError: refused", first, TH)
    assert (one.family, one.kind, one.key, one.severity, one.started_at) == (
        "feedback", "source_failed", "hue-open311", "warning", first)
    assert one.details == {"error": "ConnectError: refused", "failures": 1}
    assert rules.source_failed("feedback", "s", "failed", 2, "x", first, TH).severity == "warning"  # just below
    assert rules.source_failed("feedback", "s", "failed", 3, "x", first, TH).severity == "high"  # at threshold
    assert rules.source_failed("feedback", "s", "failed", 2, "x", first, Thresholds(failures_high=2)).severity == "high"


def test_source_failed_keeps_at_most_500_characters_of_the_error() -> None:
    found = rules.source_failed("traffic", "cams", "failed", 1, "E" * 2000, NOW, TH)
    assert found.details["error"] == "E" * 500
    assert rules.source_failed("traffic", "cams", "failed", 1, None, NOW, TH).details["error"] == ""


def test_source_stale_from_five_cadences_without_success() -> None:
    last_ok = NOW - 300 * S  # cadence 60 s: 5 cadences exactly
    found = rules.source_stale("feedback", "hue-open311", 60, last_ok, None, NOW)
    assert (found.kind, found.severity, found.started_at) == ("source_stale", "high", NOW)
    assert found.details == {"last_success_at": last_ok.isoformat(), "every_seconds": 60}
    assert rules.source_stale("feedback", "hue-open311", 60, NOW - 299 * S, None, NOW) is None  # just below


def test_a_source_that_never_succeeded_is_stale_five_cadences_after_it_was_configured() -> None:
    configured = NOW - 3000 * S
    assert rules.source_stale("admin", "dvc", 600, None, NOW - 2999 * S, NOW) is None
    found = rules.source_stale("admin", "dvc", 600, None, configured, NOW)
    assert (found.started_at, found.details["last_success_at"]) == (configured + 3000 * S, None)
    assert rules.source_stale("admin", "dvc", 600, None, None, NOW) is None  # configured when? unknown


# --------------------------------------------------------------------------- feedback


def test_overdue_surge_floor_of_ten_when_the_baseline_is_low() -> None:
    # 168 reports went overdue in 168 hours: mean 1.0/h, 3 × 1.0 = 3 < the floor of 10.
    assert rules.overdue_threshold(1.0, TH) == 10
    assert rules.overdue_surge(9, 168, NOW, TH) is None
    found = rules.overdue_surge(10, 168, NOW, TH)
    assert (found.family, found.kind, found.key, found.severity, found.started_at) == (
        "feedback", "overdue_surge", "city", "warning", NOW)
    assert found.details == {"count": 10, "baseline_per_hour": 1.0, "threshold": 10.0}
    assert rules.overdue_surge(19, 168, NOW, TH).severity == "warning"
    assert rules.overdue_surge(20, 168, NOW, TH).severity == "high"  # 2 × threshold


def test_overdue_surge_factor_of_the_hourly_mean_when_the_baseline_is_high() -> None:
    # 840 in 168 hours: mean 5.0/h; 3 × 5.0 = 15 > 10.
    assert rules.overdue_surge(14, 840, NOW, TH) is None
    assert rules.overdue_surge(15, 840, NOW, TH).details == {"count": 15, "baseline_per_hour": 5.0, "threshold": 15.0}
    assert rules.overdue_surge(29, 840, NOW, TH).severity == "warning"
    assert rules.overdue_surge(30, 840, NOW, TH).severity == "high"


# --------------------------------------------------------------------------- traffic


HOUR = datetime(2026, 3, 9, 1)  # 08:00 local


def test_violation_surge_needs_both_the_factor_and_the_minimum_increase() -> None:
    # 30 last week: 1.5 × 30 = 45 but 45 − 30 = 15 < 20; the increase decides.
    assert rules.violation_surge("474", 49, 30, HOUR, "2026-03-09 08:00", TH) is None
    found = rules.violation_surge("474", 50, 30, HOUR, "2026-03-09 08:00", TH)
    assert (found.family, found.kind, found.key, found.severity, found.started_at) == (
        "traffic", "violation_surge", "474", "warning", HOUR)
    assert found.details == {"count": 50, "last_week": 30, "ratio": 1.67, "hour": "2026-03-09 08:00",
                             "hour_end_utc": "2026-03-09T02:00:00"}
    assert rules.violation_surge("474", 59, 30, HOUR, "h", TH).severity == "warning"
    assert rules.violation_surge("474", 60, 30, HOUR, "h", TH).severity == "high"  # 2 ×
    # 60 last week: the increase is met first, the factor decides (1.5 × 60 = 90).
    assert rules.violation_surge("city", 89, 60, HOUR, "h", TH) is None
    assert rules.violation_surge("city", 90, 60, HOUR, "h", TH).severity == "warning"


def test_violation_surge_from_nothing_last_week_is_high_once_the_increase_is_met() -> None:
    assert rules.violation_surge("478", 19, 0, HOUR, "h", TH) is None
    found = rules.violation_surge("478", 20, 0, HOUR, "h", TH)
    assert (found.severity, found.details["ratio"]) == ("high", None)


# --------------------------------------------------------------------------- settings


def test_thresholds_come_from_the_environment_with_documented_defaults() -> None:
    assert thresholds(load_settings({})) == Thresholds(3, 10, 3.0, 1.5, 20, 2.0)
    assert load_settings({}).alerts_every_s == 60
    env = {"IOC_ALERT_FAILURES_HIGH": "5", "IOC_ALERT_OVERDUE_MIN_COUNT": "4", "IOC_ALERT_OVERDUE_FACTOR": "2.5",
           "IOC_ALERT_VIOLATION_FACTOR": "1.2", "IOC_ALERT_VIOLATION_MIN_DELTA": "8",
           "IOC_ALERT_VIOLATION_HIGH_FACTOR": "3", "IOC_ALERTS_EVERY_SECONDS": "0"}
    settings = load_settings(env)
    assert thresholds(settings) == Thresholds(5, 4, 2.5, 1.2, 8, 3.0)
    assert settings.alerts_every_s == 0


@pytest.mark.parametrize(("name", "value", "message"), [
    ("IOC_ALERT_VIOLATION_FACTOR", "0.9", "IOC_ALERT_VIOLATION_FACTOR=0.9 must be at least 1"),
    ("IOC_ALERT_OVERDUE_MIN_COUNT", "0", "IOC_ALERT_OVERDUE_MIN_COUNT=0 must be at least 1"),
    ("IOC_ALERTS_EVERY_SECONDS", "-5", "IOC_ALERTS_EVERY_SECONDS=-5 must be at least 0"),
    ("IOC_ALERT_FAILURES_HIGH", "three", "IOC_ALERT_FAILURES_HIGH='three' is not a whole number"),
])
def test_bad_thresholds_name_the_variable(name, value, message) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({name: value})
    assert str(err.value) == message


# --------------------------------------------------------------------------- describe


def alert(family: str, kind: str, key: str, severity: str, details: dict, subject: str | None = None) -> Alert:
    level = rules.level_of(family, kind, severity)
    return Alert(1, family, kind, key, severity, rules.RANK[level], level, HOUR, None, details, subject=subject)


def test_describe_bad_air_with_station_name_category_and_pollutant() -> None:
    bad = alert("environment", "aqi_bad", "S1", "bad", {"peak_aqi": 178, "dominant": "pm25"}, "Trạm Hương Sơ")
    assert describe(bad, "vi") == "Trạm Hương Sơ: AQI 178 (Xấu) – bụi PM2.5"
    assert describe(bad, "en") == "Trạm Hương Sơ: AQI 178 (Bad) – PM2.5 dust"
    bare = alert("environment", "aqi_bad", "S9", "very_bad", {})
    assert describe(bare, "vi") == "S9: không khí Rất xấu"


def test_describe_silent_station_and_sources() -> None:
    assert describe(alert("environment", "no_data", "S1", "warning", {"hours": 5}, "Thuận An"), "vi") == \
        "Thuận An: mất tín hiệu 5 giờ"
    assert describe(alert("environment", "no_data", "S1", "warning", {}), "en") == "S1: no data"
    failed = alert("feedback", "source_failed", "open311-hue", "high",
                   {"failures": 3, "error": "ConnectError: [Errno 111]\n Connection refused"})
    assert describe(failed, "vi") == "Nguồn open311-hue lỗi 3 lần liên tiếp: ConnectError: [Errno 111] Connection refused"
    assert describe(failed, "en") == "Source open311-hue failed 3 times in a row: ConnectError: [Errno 111] " \
                                     "Connection refused"
    once = alert("feedback", "source_failed", "x", "warning", {"failures": 1, "error": "E" * 300})
    assert describe(once, "en") == "Source x failed: " + "E" * 119 + "…"
    stale = alert("traffic", "source_stale", "cams", "high", {"last_success_at": "2026-03-09T01:05:00"})
    assert describe(stale, "vi") == "Nguồn cams ngừng cập nhật, lần thành công cuối 09/03/2026 08:05"
    assert describe(alert("traffic", "source_stale", "cams", "high", {"last_success_at": None}), "en") == \
        "Source cams has never succeeded"


def test_describe_surges() -> None:
    district = alert("traffic", "violation_surge", "474", "high", {"count": 63, "last_week": 30, "ratio": 2.1},
                     "Thành phố Huế")
    assert describe(district, "vi") == \
        "Vi phạm giao thông tại Thành phố Huế tăng 2,1× so với cùng giờ tuần trước (63 / 30)"
    assert describe(district, "en") == "Traffic violations in Thành phố Huế up 2.1× on the same hour last week (63 / 30)"
    city = alert("traffic", "violation_surge", "city", "high", {"count": 1250, "last_week": 0, "ratio": None})
    assert describe(city, "vi") == "Vi phạm giao thông toàn thành phố: 1.250 trong giờ qua, cùng giờ tuần trước không có"
    unknown_unit = alert("traffic", "violation_surge", "999", "warning", {})
    assert describe(unknown_unit, "en") == "Surge of traffic violations (in unit 999)"
    overdue = alert("feedback", "overdue_surge", "city", "warning", {"count": 12, "baseline_per_hour": 0.5})
    assert describe(overdue, "vi") == "12 phản ánh quá hạn trong 1 giờ qua (trung bình 7 ngày trước: 0,5/giờ)"
    assert describe(alert("feedback", "overdue_surge", "city", "warning", {}), "en") == "Surge of overdue reports"
    assert describe(alert("admin", "queue_jam", "46", "high", {}), "en") == "admin · queue_jam: 46"
