"""Search (issue #16): lookups by id and by plate on a real store built with the families' own
validation and ingest, and the access rules of the search page's callback function.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture). Local time is
Asia/Ho_Chi_Minh (UTC+7); the store holds naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from callbacks.access import Principal
from callbacks.search import run_search
from ioc import audit
from ioc.config import load_settings
from ioc.context import Context
from ioc.domain.search import parse_query
from ioc.kpi.search import find_dossiers, find_feedback, find_violations, for_reader, search, violations_by_plate
from ioc.notify import LocalNotifier
from ioc.privacy import Exposure
from ioc.registry import registry

PHU_XUAN = "19753"  # a commune in force in 2026


def put(engine: Engine, tz, calendar, family: str, source: str, *raws: dict) -> None:  # noqa: ANN001
    """Store ``raws`` as the family's collectors do: its declared validation, then its ingest."""
    fam = registry().family(family)
    fam.ingest(engine, source, [fam.validate(r, tz) for r in raws], tz, calendar)


def report(external_id: str, **overrides: Any) -> dict:
    raw = {"external_id": external_id, "category_code": "lighting", "unit_code": PHU_XUAN, "channel": "hue_s",
           "description": "Đèn đường hỏng, gọi 0905 123 456", "address": "12 Lê Lợi, Huế",
           "status": "resolved", "handling_unit": "Điện lực Huế", "received_at": "2026-03-10T09:00:00+07:00",
           "due_at": "2026-03-19T09:00:00+07:00", "resolved_at": "2026-03-12T15:30:00+07:00",
           "rating": "satisfied", "updated_at": "2026-03-12T16:00:00+07:00"}
    return {**raw, **overrides}


def violation(external_id: str, plate: str, detected: str, **overrides: Any) -> dict:
    raw = {"external_id": external_id, "detected_at": detected, "violation_type": "red_light",
           "vehicle_class": "car", "camera_code": "HUE-J01", "camera_name": "Ngã tư Lê Lợi – Hùng Vương",
           "unit_code": "474", "lat": 16.4663, "lon": 107.5937, "plate": plate, "status": "detected",
           "updated_at": detected}
    return {**raw, **overrides}


def dossier(external_id: str, **overrides: Any) -> dict:
    raw = {"external_id": external_id, "procedure_code": "X.HT.02", "unit_code": PHU_XUAN, "channel": "in_person",
           "status": "returned", "received_at": "2026-02-11T09:00:00+07:00", "due_at": "2026-02-25T09:00:00+07:00",
           "pauses": "2026-02-13T12:00:00+07:00/2026-02-24T12:00:00+07:00",
           "resolved_at": "2026-02-27T09:00:00+07:00", "returned_at": "2026-02-27T10:00:00+07:00"}
    return {**raw, **overrides}


@pytest.fixture
def city(engine: Engine, tz, calendar) -> Engine:  # noqa: ANN001
    put(engine, tz, calendar, "feedback", "hue_s", report("PA-2026-0001"),
        report("PA-2026-0002", status="in_progress", resolved_at=None, rating=None))
    put(engine, tz, calendar, "feedback", "hotline", report("PA-2026-0001", channel="hotline"))
    put(engine, tz, calendar, "traffic", "camera-platform",
        violation("V-1", "75A-123.45", "2026-03-01T07:30:00+07:00", status="paid",
                  verified_at="2026-03-01T09:00:00+07:00", notice_sent_at="2026-03-02T08:00:00+07:00",
                  paid_at="2026-03-05T10:00:00+07:00", updated_at="2026-03-05T10:00:00+07:00", fine_vnd=4_000_000),
        violation("V-2", "75a 12345", "2026-03-20T18:00:00+07:00"),
        violation("V-3", "43A-999.99", "2026-03-21T18:00:00+07:00"),
        violation("V-4", "75-B1 234.56", "2026-03-22T18:00:00+07:00", vehicle_class="motorbike"))
    put(engine, tz, calendar, "admin", "one-stop", dossier("HS-000123"))
    return engine


def test_a_report_by_its_id_with_its_history_oldest_first(city: Engine) -> None:
    found = find_feedback(city, parse_query("  PA-2026-0001 "))
    assert [(f.source, f.facts["channel"]) for f in found] == [("hotline", "hotline"), ("hue_s", "hue_s")]
    first = found[1]
    assert first.status == "resolved"
    assert [(e.code, e.at) for e in first.events[:3]] == [
        ("received", datetime(2026, 3, 10, 2, 0)), ("resolved", datetime(2026, 3, 12, 8, 30)),
        ("updated", datetime(2026, 3, 12, 9, 0))]
    assert first.events[-1].code == "stored"
    assert first.facts["due_at"] == datetime(2026, 3, 19, 2, 0)
    assert (first.facts["unit_code"], first.facts["handling_unit"]) == (PHU_XUAN, "Điện lực Huế")
    # the store's key names one source
    [only] = find_feedback(city, parse_query("hue_s/PA-2026-0001"))
    assert (only.source, only.external_id) == ("hue_s", "PA-2026-0001")
    assert find_feedback(city, parse_query("hotline|PA-2026-0002")) == []


def test_an_open_report_has_no_closing_event(city: Engine) -> None:
    [found] = find_feedback(city, parse_query("PA-2026-0002"))
    assert [e.code for e in found.events] == ["received", "updated", "stored"]


def test_a_violation_by_its_id_has_every_stage(city: Engine) -> None:
    [found] = find_violations(city, parse_query("V-1"))
    assert [e.code for e in found.events] == ["detected", "verified", "notice_sent", "paid", "updated", "stored"]
    assert found.events[3].at == datetime(2026, 3, 5, 3, 0)
    assert (found.plate, found.plate_canonical, found.facts["fine_vnd"]) == ("75A-123.45", "75A-123.45", 4_000_000)


def test_a_dossier_by_its_id_has_its_supplement_pause(city: Engine) -> None:
    [found] = find_dossiers(city, parse_query("HS-000123"))
    assert [e.code for e in found.events] == ["received", "pause", "resume", "resolved", "returned", "updated",
                                              "stored"]
    assert found.events[1].at == datetime(2026, 2, 13, 5, 0)
    assert found.facts["effective_due_at"] == datetime(2026, 2, 27, 2, 0)
    assert (found.facts["procedure_name"], found.facts["bucket"]) == ("Đăng ký kết hôn", "on_time")  # the catalogue
    assert found.plate is None and found.description is None


@pytest.mark.parametrize("typed", ["75A-123.45", "75a12345", " 75 A 123 45 ", "75A.123-45", "７５Ａ－１２３．４５"])
def test_every_spelling_of_a_plate_finds_its_violations_newest_first(city: Engine, typed: str) -> None:
    found, total = violations_by_plate(city, parse_query(typed))
    assert total == 2
    assert [f.external_id for f in found] == ["V-2", "V-1"]


def test_a_motorbike_plate_typed_without_separators_is_found(city: Engine) -> None:
    found, total = violations_by_plate(city, parse_query("75B123456"))
    assert (total, [f.external_id for f in found]) == (1, ["V-4"])


def test_unknown_ids_and_other_plates_find_nothing(city: Engine) -> None:
    assert search(city, parse_query("PA-9999"), plates_allowed=True).empty
    assert search(city, parse_query("75A-999.99"), plates_allowed=True).empty
    assert search(city, parse_query("'; DROP TABLE feedback_reports; --"), plates_allowed=True).empty


def test_a_plate_search_needs_the_right_to_personal_data(city: Engine) -> None:
    refused = search(city, parse_query("75A12345"), plates_allowed=False)
    assert (refused.by_plate, refused.plate_searched) == ((), False)
    allowed = search(city, parse_query("75A12345"), plates_allowed=True)
    assert (allowed.plate_total, allowed.plate_searched) == (2, True)


def test_personal_data_is_hidden_masked_or_clear_by_the_readers_level(city: Engine) -> None:
    [v] = find_violations(city, parse_query("V-2"))
    [r] = find_feedback(city, parse_query("hue_s/PA-2026-0001"))
    assert v.plate == "75a 12345"  # as received; the canonical form is shown
    hidden, masked, clear = Exposure.of("hidden"), Exposure.of("masked"), Exposure.of("clear")
    assert (for_reader(v, hidden).plate, for_reader(r, hidden).description) == (None, None)
    assert for_reader(v, masked).plate == "75A-123.**"
    assert for_reader(r, masked).description == "Đèn đường hỏng, gọi 090* *** ***"
    assert for_reader(v, clear).plate == "75A-123.45"
    assert for_reader(r, clear).description == "Đèn đường hỏng, gọi 0905 123 456"


# --------------------------------------------------------------------------- the page's callback


def _ctx(engine: Engine, url: str) -> Context:
    return Context(settings=load_settings({"IOC_DATABASE_URL": url}), engine=engine,
                   notifier=LocalNotifier(engine), sources=())


def _texts(component: Any) -> str:
    """Every text inside a Dash component tree, joined."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _texts(children)


def test_a_viewer_is_refused_a_plate_search_and_the_refusal_is_audited(city: Engine, store_url: str) -> None:
    viewer = Principal("viewer", "anonymous", "anonymous")
    cards, note = run_search(_ctx(city, store_url), "en", "75A-123.45", viewer, Exposure.of("hidden"))
    assert cards == []
    assert "may not search by plate" in _texts(note) and "No record has this id." in _texts(note)
    assert "123.45" not in _texts(note) and "123.**" not in _texts(note)
    [entry] = audit.entries(city, action="denied")
    assert (entry.actor, entry.target) == ("anonymous", "search:plate")
    # ids are still searched, with personal data hidden
    cards, _ = run_search(_ctx(city, store_url), "en", "V-1", viewer, Exposure.of("hidden"))
    text = _texts(cards)
    assert "V-1" in text and "Hidden (your role does not see personal data)" in text and "75A-123" not in text


def test_a_leader_sees_the_plates_violations_masked_and_the_search_is_audited(city: Engine, store_url: str) -> None:
    leader = Principal("leader", "lan", "Lan", user_id=7)
    cards, note = run_search(_ctx(city, store_url), "vi", "75a 123 45", leader, Exposure.of("masked"))
    text = _texts(cards)
    assert "Biển số 75A-123.**: 2 vi phạm" in text
    assert "V-1" in text and "V-2" in text and "V-3" not in text
    assert "75A-123.45" not in text and "75a 12345" not in text
    assert "Tìm thấy 2 kết quả." in _texts(note)
    [entry] = audit.entries(city, action="search")
    assert (entry.actor, entry.role, entry.target) == ("lan", "leader", "75A-123.**")
    assert entry.detail == {"kind": "plate", "found": 2, "personal": "masked"}


def test_an_analyst_with_a_reason_sees_the_plate_in_clear(city: Engine, store_url: str) -> None:
    analyst = Principal("analyst", "an", "An", user_id=8, unmask_reason="hồ sơ khiếu nại 12/2026")
    cards, _ = run_search(_ctx(city, store_url), "en", "75A12345", analyst, Exposure.of("clear"))
    assert "Plate 75A-123.45: 2 violations" in _texts(cards)
    [entry] = audit.entries(city, action="search")
    assert entry.detail["reason"] == "hồ sơ khiếu nại 12/2026"


@pytest.mark.parametrize(("typed", "expected"), [
    ("", "Type a report, violation or dossier id"),
    ("   ", "Type a report, violation or dossier id"),
    (None, "Type a report, violation or dossier id"),
    ("x" * 201, "too long (at most 200 characters)"),
    ("PA\n1", "not allowed"),
    ("PA-9999", "Nothing found for “PA-9999”."),
])
def test_bad_input_and_no_match_give_a_clear_message(city: Engine, store_url: str, typed: Any, expected: str) -> None:
    leader = Principal("leader", "lan", "Lan", user_id=7)
    cards, note = run_search(_ctx(city, store_url), "en", typed, leader, Exposure.of("masked"))
    assert cards == []
    assert expected in _texts(note)


def test_no_match_in_vietnamese_says_khong_tim_thay(city: Engine, store_url: str) -> None:
    _, note = run_search(_ctx(city, store_url), "vi", "HS-404", Principal("viewer", "a", "a"), Exposure.of("hidden"))
    assert "Không tìm thấy" in _texts(note)
