"""Official warnings (ioc.domain.warnings, data_sources/warnings_simulator.py): which CAP
messages concern Huế, the alert level each raises, when it stops being in force, and a
simulated year that holds warnings of every level in the rainy season."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from data_sources.warnings_simulator import SENDER, day_messages, messages_between
from ioc.cap import Area, Circle, read_alert
from ioc.domain import warnings as rules
from tests.cap_samples import HANOI_POLYGON, cap_message

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)
KNOWN = {"46", "19753"}.__contains__


@pytest.mark.parametrize(("severity", "urgency", "certainty", "level"), [
    ("Extreme", "Immediate", "Observed", "emergency"),
    ("Extreme", "Immediate", "Likely", "critical"),
    ("Extreme", "Expected", "Observed", "critical"),
    ("Severe", "Expected", "Likely", "high"),
    ("Moderate", "Future", "Possible", "warning"),
    ("Minor", "Expected", "Observed", "info"),
    ("Unknown", "Unknown", "Unknown", "warning"),
    ("Extreme", "Immediate", "Unlikely", "info"),
    ("Extreme", "Past", "Observed", None),
])
def test_the_level_a_warning_raises(severity: str, urgency: str, certainty: str, level: str | None) -> None:
    assert rules.level_for(severity, urgency, certainty) == level


@pytest.mark.parametrize(("area", "inside"), [
    (Area("Huế", polygons=(((16.8, 107.2), (16.8, 108.1), (16.2, 108.1), (16.8, 107.2)),)), True),
    (Area("Hà Nội", polygons=(((21.2, 105.6), (21.2, 106.0), (20.9, 106.0), (21.2, 105.6)),)), False),
    (Area("storm 200 km off the coast", circles=(Circle(16.9, 109.8, 200),)), True),
    (Area("storm 50 km off the coast", circles=(Circle(16.9, 109.8, 50),)), False),
    (Area("province by code", geocodes=(("VN_ADMIN_CODE", "46"),)), True),
    (Area("a commune by code", geocodes=(("VN_ADMIN_CODE", "19753"),)), True),
    (Area("Đà Nẵng by code", geocodes=(("VN_ADMIN_CODE", "48"),)), False),
    (Area("no geometry, no code"), True),
])
def test_which_areas_concern_the_city(area: Area, inside: bool) -> None:
    assert rules.area_touches_city(area, KNOWN) is inside


def test_a_message_is_stored_with_both_languages_its_worst_info_and_its_shapes() -> None:
    msg = read_alert(cap_message("m1", T0, expires=T0 + timedelta(hours=6), circle="16.46,107.56 12"))
    row = rules.message_row(msg, KNOWN)
    assert (row["event"], row["event_en"]) == ("Lũ trên sông Hương", "Flood on the Hương river")
    assert row["sent"] == datetime(2026, 10, 20, 1, 0) and row["expires"] == datetime(2026, 10, 20, 7, 0)
    assert row["in_city"] is True and row["severity"] == "Severe"
    shapes = [f["geometry"]["type"] for f in __import__("json").loads(row["areas"])["features"]]
    assert shapes == ["Polygon", "Point"]
    far = rules.message_row(read_alert(cap_message("m2", T0, polygon=HANOI_POLYGON)), KNOWN)
    assert far["in_city"] is False and far["expires"] is None


def test_the_english_info_keeps_its_own_description_and_instruction() -> None:
    both = read_alert(cap_message("m1", T0, instruction="Sơ tán vùng trũng ven sông",
                                  instruction_en="Evacuate low-lying riverside areas"))
    row = rules.message_row(both, KNOWN)
    assert (row["description"], row["instruction"], row["description_en"], row["instruction_en"]) == (
        "Mực nước vượt báo động", "Sơ tán vùng trũng ven sông", "Water above alarm level",
        "Evacuate low-lying riverside areas")
    vi_only = rules.message_row(read_alert(cap_message("m2", T0, english=False, instruction="Sơ tán")), KNOWN)
    assert (vi_only["event_en"], vi_only["description_en"], vi_only["instruction_en"]) == ("", "", "")
    assert (vi_only["description"], vi_only["instruction"]) == ("Mực nước vượt báo động", "Sơ tán")


def _row(**kw: object) -> SimpleNamespace:
    base = {"id": 7, "status": "Actual", "msg_type": "Alert", "in_city": True, "severity": "Severe",
            "urgency": "Expected", "certainty": "Likely", "sent": datetime(2026, 10, 20, 1),
            "expires": datetime(2026, 10, 20, 7), "ended_at": None, "event": "Lũ", "event_en": "Flood",
            "headline": "", "headline_en": "", "area_desc": "Kim Long", "sender": "s", "identifier": "i"}
    return SimpleNamespace(**{**base, **kw})


def test_a_warning_is_in_force_from_sent_until_it_expires_or_is_ended() -> None:
    at = datetime(2026, 10, 20, 3)
    found = rules.finding(_row(), at)
    assert found is not None and found.severity == "high" and found.started_at == datetime(2026, 10, 20, 1)
    assert found.details["ends_utc"] == "2026-10-20T07:00:00"
    assert rules.finding(_row(), datetime(2026, 10, 20, 7)) is None  # expired
    assert rules.finding(_row(), datetime(2026, 10, 20, 0)) is None  # not sent yet
    assert rules.finding(_row(ended_at=datetime(2026, 10, 20, 2)), at) is None  # cancelled
    assert rules.finding(_row(expires=None), datetime(2026, 10, 20, 23)) is not None  # 24 h without expires
    assert rules.finding(_row(expires=None), datetime(2026, 10, 21, 1)) is None
    for other in ({"status": "Exercise"}, {"status": "Test"}, {"msg_type": "Cancel"}, {"in_city": False},
                  {"urgency": "Past"}):
        assert rules.finding(_row(**other), at) is None, other


def test_the_simulated_year_has_its_warnings_in_the_rainy_season_and_every_level() -> None:
    now = datetime(2026, 12, 31, 16)
    year = messages_between(2023, date(2026, 1, 1), date(2027, 1, 1), now, HUE)
    assert year == messages_between(2023, date(2026, 1, 1), date(2027, 1, 1), now, HUE)  # the seed decides
    alerts = [m for m in year if m.msg_type == "Alert"]
    by_month = Counter(m.sent.astimezone(HUE).month for m in alerts)
    assert sum(by_month[m] for m in (9, 10, 11, 12)) > 2 * sum(by_month[m] for m in range(1, 9))
    levels = {rules.level_for(i.severity, i.urgency, i.certainty) for m in year if m.msg_type != "Cancel"
              for i in m.infos[:1]}
    assert {"warning", "high", "critical"} <= levels
    assert all(m.sender == SENDER and "mô phỏng" in m.note.lower() for m in year)
    # two infos, as the national centre's bulletins: each text in its own language, simulated said so
    assert all([i.language for i in m.infos] == ["vi-VN", "en-US"] for m in year)
    flood = next(m for m in alerts if m.identifier.endswith("flood_huong"))
    vi, en = flood.infos
    assert vi.description == ("Dữ liệu mô phỏng. Mực nước sông Hương tại Kim Long đang lên, có khả năng vượt mức "
                              "báo động II.")
    assert en.description == "Simulated data. The Hương river at Kim Long is rising and may exceed alarm level II."
    assert (vi.instruction, en.instruction) == (
        "Theo dõi mực nước; chuẩn bị sơ tán người dân vùng trũng ven sông.",
        "Watch the water level; prepare to evacuate residents of low-lying riverside areas.")
    stored = rules.message_row(flood, KNOWN)
    assert (stored["description_en"], stored["instruction_en"]) == (en.description, en.instruction)
    for m in year:  # an update or a cancel names the message it follows, sent before it
        for ref in m.references:
            assert ref.identifier in {x.identifier for x in year} and ref.sent < m.sent


def test_a_day_hands_over_only_what_was_sent_by_now() -> None:
    day = next(d for d in (date(2026, 10, 1) + timedelta(days=i) for i in range(60)) if day_messages(2023, d, HUE))
    sent = [m.sent for m in day_messages(2023, day, HUE)]
    cut = min(sent).replace(tzinfo=None) + timedelta(seconds=1)
    assert len(messages_between(2023, day, day + timedelta(days=1), cut, HUE)) == 1
