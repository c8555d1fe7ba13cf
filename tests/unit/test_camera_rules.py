"""Urban cameras' rules (ioc/domain/cameras.py), pure: heartbeats into outages (the 15-minute
edge, any arrival order, a late heartbeat splitting an outage), the state at a moment, the
alerts (offline, fleet share, AI events and their hold) and the records' validation."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ioc.alerts import Alert
from ioc.domain import cameras as rules
from ioc.domain.alert_rules import RANK, Finding, level_of
from ioc.domain.cameras import Camera, CameraEvent, Heartbeat, merge_heartbeats, validate_record
from ioc.domain.records import RecordError
from ioc.i18n_alerts import describe

T0 = datetime(2026, 3, 10, 0, 0)  # naive UTC
MIN, SEC = timedelta(minutes=1), timedelta(seconds=1)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")

Store = tuple[pd.DataFrame, pd.DataFrame]  # (status, outages): what the store keeps


def empty() -> Store:
    return (pd.DataFrame({"camera_code": pd.Series(dtype=object), "first_seen": pd.Series(dtype="datetime64[us]"),
                          "last_seen": pd.Series(dtype="datetime64[us]")}),
            pd.DataFrame({"camera_code": pd.Series(dtype=object), "started_at": pd.Series(dtype="datetime64[us]"),
                          "ended_at": pd.Series(dtype="datetime64[us]")}))


def beats(*items: tuple[str, datetime]) -> pd.DataFrame:
    return pd.DataFrame({"camera_code": [c for c, _ in items], "at": [at for _, at in items]})


def apply(store: Store, batch: pd.DataFrame) -> tuple[Store, rules.HeartbeatMerge]:
    """What the store does with a merge: delete the split outages, insert the new ones, upsert
    the status rows."""
    status, outages = store
    merged = merge_heartbeats(batch, status, outages)
    key = ["camera_code", "started_at"]
    gone = outages.merge(merged.remove[key].assign(_gone=True), on=key, how="left")["_gone"].fillna(False)
    outages = pd.concat([outages[~gone.to_numpy(dtype=bool)], merged.add], ignore_index=True)
    status = pd.concat([status[~status["camera_code"].isin(merged.status["camera_code"])], merged.status],
                       ignore_index=True)
    return (status, outages), merged


def spans(store: Store) -> list[tuple[str, datetime, datetime]]:
    """The stored outages as (camera, start, end), sorted, in plain datetimes."""
    return sorted((str(r.camera_code), pd.Timestamp(r.started_at).to_pydatetime(), pd.Timestamp(r.ended_at).to_pydatetime())
                  for r in store[1].itertuples(index=False))


def seen(store: Store) -> dict[str, tuple[datetime, datetime]]:
    return {str(r.camera_code): (pd.Timestamp(r.first_seen).to_pydatetime(), pd.Timestamp(r.last_seen).to_pydatetime())
            for r in store[0].itertuples(index=False)}


# --------------------------------------------------------------------------- gaps


def test_a_gap_of_exactly_15_minutes_is_no_outage_and_15_minutes_1_second_is_one() -> None:
    store, merged = apply(empty(), beats(("A", T0), ("A", T0 + 15 * MIN), ("B", T0), ("B", T0 + 15 * MIN + SEC)))
    assert spans(store) == [("B", T0, T0 + 15 * MIN + SEC)]
    assert seen(store) == {"A": (T0, T0 + 15 * MIN), "B": (T0, T0 + 15 * MIN + SEC)}
    assert merged.new_info == 4


def test_online_until_15_minutes_after_the_last_heartbeat_then_offline() -> None:
    store, _ = apply(empty(), beats(("A", T0)))
    status, outages = store
    assert rules.gap_starts(status, outages, T0 + 15 * MIN).isna().all()
    offline = rules.gap_starts(status, outages, T0 + 15 * MIN + SEC)
    assert offline.to_dict() == {"A": pd.Timestamp(T0)}
    assert rules.gap_starts(status, outages, T0 - SEC).empty  # not yet reporting


HEARTBEATS_MIN = (0, 5, 10, 40, 45, 100, 105, 106, 200, 214, 230)  # minutes after T0


def expected_outages() -> list[tuple[str, datetime, datetime]]:
    # 10 → 40 (30 min), 45 → 100 (55), 106 → 200 (94), 214 → 230 (16); 200 → 214 is 14 min
    return [("A", T0 + a * MIN, T0 + b * MIN) for a, b in ((10, 40), (45, 100), (106, 200), (214, 230))]


@pytest.mark.parametrize("seed", range(8))
def test_the_same_heartbeats_in_any_order_give_the_same_outages(seed: int) -> None:
    order = list(HEARTBEATS_MIN)
    random.Random(seed).shuffle(order)
    one_by_one = empty()
    for m in order:
        one_by_one, _ = apply(one_by_one, beats(("A", T0 + m * MIN)))
    in_two = empty()
    for half in (order[: len(order) // 2], order[len(order) // 2:]):
        in_two, _ = apply(in_two, beats(*(("A", T0 + m * MIN) for m in half)))

    assert spans(one_by_one) == spans(in_two) == expected_outages()
    assert seen(one_by_one) == seen(in_two) == {"A": (T0, T0 + 230 * MIN)}


def test_forward_and_reverse_arrival_give_the_same_outages() -> None:
    forward, backward = empty(), empty()
    for m in HEARTBEATS_MIN:
        forward, _ = apply(forward, beats(("A", T0 + m * MIN)))
    for m in reversed(HEARTBEATS_MIN):
        backward, _ = apply(backward, beats(("A", T0 + m * MIN)))
    assert spans(forward) == spans(backward) == expected_outages()


def test_a_late_heartbeat_splits_an_outage_keeping_the_parts_longer_than_15_minutes() -> None:
    store, _ = apply(empty(), beats(("A", T0), ("A", T0 + 60 * MIN)))
    assert spans(store) == [("A", T0, T0 + 60 * MIN)]

    store, merged = apply(store, beats(("A", T0 + 25 * MIN)))
    assert spans(store) == [("A", T0, T0 + 25 * MIN), ("A", T0 + 25 * MIN, T0 + 60 * MIN)]
    assert merged.new_info == 1 and merged.status.empty  # first and last heartbeat unchanged

    store, _ = apply(store, beats(("A", T0 + 10 * MIN)))  # 0 → 10 is no outage, 10 → 25 (15 min) neither
    assert spans(store) == [("A", T0 + 25 * MIN, T0 + 60 * MIN)]

    store, _ = apply(store, beats(("A", T0 + 40 * MIN), ("A", T0 + 50 * MIN)))
    assert spans(store) == []


def test_heartbeats_already_known_or_inside_the_kept_span_change_nothing() -> None:
    store, _ = apply(empty(), beats(*(("A", T0 + m * MIN) for m in HEARTBEATS_MIN)))
    again, merged = apply(store, beats(*(("A", T0 + m * MIN) for m in HEARTBEATS_MIN)))
    assert (merged.new_info, len(merged.add), len(merged.remove), len(merged.status)) == (0, 0, 0, 0)
    _, merged = apply(again, beats(("A", T0 + 3 * MIN), ("A", T0 + 102 * MIN), ("A", T0 + 207 * MIN)))
    assert (merged.new_info, len(merged.add), len(merged.remove)) == (0, 0, 0)


def test_a_heartbeat_before_the_first_or_after_the_last_opens_a_gap_to_it() -> None:
    store, _ = apply(empty(), beats(("A", T0)))
    store, merged = apply(store, beats(("A", T0 - 20 * MIN), ("A", T0 + 10 * MIN), ("A", T0 + 40 * MIN)))
    assert spans(store) == [("A", T0 - 20 * MIN, T0), ("A", T0 + 10 * MIN, T0 + 40 * MIN)]
    assert seen(store) == {"A": (T0 - 20 * MIN, T0 + 40 * MIN)}
    assert merged.new_info == 3


# --------------------------------------------------------------------------- alerts

CAMERAS = pd.DataFrame({"code": [f"C{i}" for i in range(10)], "name": [f"Camera {i}" for i in range(10)],
                        "purpose": ["security"] * 10, "lat": [16.47] * 10, "lon": [107.58] * 10})
NO_EVENTS = pd.DataFrame(columns=["source", "external_id", "camera_code", "detected_at", "kind", "confidence", "review"])


def fleet(last_seen: dict[str, datetime]) -> pd.DataFrame:
    """Ten cameras reporting since T0 − 1 day, each last seen at T0 unless ``last_seen`` says."""
    return pd.DataFrame({"camera_code": CAMERAS["code"], "first_seen": T0 - timedelta(days=1),
                         "last_seen": [last_seen.get(c, T0) for c in CAMERAS["code"]]}).astype(
        {"first_seen": "datetime64[us]", "last_seen": "datetime64[us]"})


def test_offline_more_than_30_minutes_raises_camera_offline_from_15_minutes_after_the_last_heartbeat() -> None:
    status, outages = fleet({}), empty()[1]
    assert [f for f in rules.findings(CAMERAS, status, outages, NO_EVENTS, T0 + 30 * MIN)
            if f.kind == "camera_offline"] == []
    status = fleet({c: T0 + 30 * MIN + SEC for c in CAMERAS["code"] if c != "C3"})
    found = rules.findings(CAMERAS, status, outages, NO_EVENTS, T0 + 30 * MIN + SEC)
    offline = [f for f in found if f.kind == "camera_offline"]
    assert [(f.key, f.severity, f.started_at) for f in offline] == [("C3", "warning", T0 + 15 * MIN)]
    assert offline[0].details["camera"] == "Camera 3" and offline[0].details["minutes"] == 30
    assert "ends_utc" not in offline[0].details  # still offline: its end is not known


def test_more_than_10_percent_of_the_fleet_offline_is_high_from_when_the_share_rose_above_10_percent() -> None:
    now = T0 + 60 * MIN
    one = fleet({c: now for c in CAMERAS["code"] if c != "C1"} | {"C1": T0})  # 1 of 10 offline: exactly 10 %
    assert [f for f in rules.findings(CAMERAS, one, empty()[1], NO_EVENTS, now) if f.family == rules.FAMILY
            and f.kind == "cameras_offline_share"] == []
    two = fleet({c: now for c in CAMERAS["code"] if c not in ("C1", "C2")} | {"C1": T0, "C2": T0 + 20 * MIN})
    share = [f for f in rules.findings(CAMERAS, two, empty()[1], NO_EVENTS, now) if f.kind == "cameras_offline_share"]
    # C1 offline from T0 + 15 min (1 of 10), C2 from T0 + 35 min: two of ten, 20 %
    assert [(f.key, f.severity, f.started_at) for f in share] == [("city", "high", T0 + 35 * MIN)]
    assert share[0].details == {"offline": 2, "cameras": 10, "share_pct": 20.0}


def test_at_a_past_moment_the_stored_outage_it_fell_in_says_offline() -> None:
    status = fleet({c: T0 + 5 * 60 * MIN for c in CAMERAS["code"]})  # every camera reported until T0 + 5 h
    outages = pd.DataFrame({"camera_code": ["C4", "C5"], "started_at": [T0, T0 + 10 * MIN],
                            "ended_at": [T0 + 2 * 60 * MIN, T0 + 50 * MIN]})
    found = rules.findings(CAMERAS, status, outages, NO_EVENTS, T0 + 45 * MIN)
    assert sorted((f.kind, f.key, f.started_at) for f in found) == [
        ("camera_offline", "C4", T0 + 15 * MIN),  # silent for 45 min at that moment, C5 for 35: both over 30
        ("camera_offline", "C5", T0 + 25 * MIN),
        ("cameras_offline_share", "city", T0 + 25 * MIN)]
    ends = {f.key: f.details.get("ends_utc") for f in found if f.kind == "camera_offline"}
    assert ends == {"C4": "2026-03-10T02:00:00", "C5": "2026-03-10T00:50:00"}  # known then: the episodes end there
    assert rules.findings(CAMERAS, status, outages, NO_EVENTS, T0 + 3 * 60 * MIN) == []  # both outages over


def event(kind: str, review: str = "", at: datetime = T0, confidence: float | None = 0.8) -> dict:
    return {"source": "ai", "external_id": f"{kind}-{review}", "camera_code": "C0", "detected_at": at, "kind": kind,
            "confidence": confidence, "review": review}


@pytest.mark.parametrize(("kind", "review", "level"), [
    ("fire_smoke", "", "high"), ("fire_smoke", "confirmed", "high"), ("fire_smoke", "false_alarm", None),
    ("flooding", "", "warning"), ("gathering", "", "info"), ("gathering", "false_alarm", None),
    ("illegal_parking", "", None), ("illegal_parking", "confirmed", None)])
def test_ai_event_alert_levels(kind: str, review: str, level: str | None) -> None:
    assert rules.event_level(kind, review) == level
    found = rules.findings(CAMERAS, fleet({}), empty()[1], pd.DataFrame([event(kind, review)]), T0 + MIN)
    assert [(f.kind, f.key, f.severity) for f in found] == ([] if level is None else
                                                             [("camera_event", f"ai/{kind}-{review}", level)])


def test_an_ai_event_holds_one_hour_from_its_detection() -> None:
    events = pd.DataFrame([event("fire_smoke", at=T0)])
    status = fleet({c: T0 + 2 * 60 * MIN for c in CAMERAS["code"]})

    def held(now: datetime) -> list[str]:
        return [f.key for f in rules.findings(CAMERAS, status, empty()[1], events, now) if f.kind == "camera_event"]

    assert held(T0 - SEC) == []
    assert held(T0) == held(T0 + 60 * MIN - SEC) == ["ai/fire_smoke-"]
    assert held(T0 + 60 * MIN) == []
    finding = rules.findings(CAMERAS, status, empty()[1], events, T0 + MIN)[0]
    assert finding.started_at == T0 and finding.details["ends_utc"] == "2026-03-10T01:00:00"
    assert finding.details["event"] == "fire_smoke" and finding.details["camera"] == "Camera 0"


# --------------------------------------------------------------------------- records


def test_validate_record_tells_the_three_records_apart() -> None:
    assert validate_record({"camera_code": "HUE-J01", "at": "2026-03-10T07:05:00+07:00"}) == \
        Heartbeat("HUE-J01", datetime(2026, 3, 10, 0, 5))
    assert validate_record({"external_id": "ev-1", "camera_code": "SEC-001", "detected_at": "2026-03-10 07:05",
                            "event": "Fire_Smoke", "confidence": "0,93", "review": ""}, naive_tz=HUE) == \
        CameraEvent("ev-1", "SEC-001", datetime(2026, 3, 10, 0, 5), "fire_smoke", 0.93, "", None)
    assert validate_record({"code": "FL-01", "purpose": "flood", "name": "Kim Long", "lat": 16.46, "lon": 107.55}) == \
        Camera("FL-01", "Kim Long", 16.46, 107.55, "flood")


@pytest.mark.parametrize(("raw", "field", "words"), [
    ({"external_id": "e", "camera_code": "C", "detected_at": "2026-03-10T00:00:00Z", "event": "riot"}, "event", "'riot'"),
    ({"external_id": "e", "camera_code": "C", "detected_at": "2026-03-10T00:00:00Z", "event": "gathering",
      "confidence": 1.5}, "confidence", "1.5"),
    ({"external_id": "e", "camera_code": "C", "detected_at": "2026-03-10T00:00:00Z", "event": "gathering",
      "review": "maybe"}, "review", "'maybe'"),
    ({"camera_code": "C", "at": "yesterday"}, "at", "yesterday"),
    ({"code": "C", "purpose": "parking"}, "purpose", "'parking'"),
    ({"code": "C", "purpose": "security", "lat": 16.4}, "lon", "both"),
    ({"plate": "75A-123.45"}, "record", "plate"),
])
def test_bad_records_name_the_field_and_the_value(raw: dict, field: str, words: str) -> None:
    with pytest.raises(RecordError) as raised:
        validate_record(raw)
    assert raised.value.field == field and words in str(raised.value)


# --------------------------------------------------------------------------- alert lines


def line(finding: Finding, lang: str) -> str:
    """The ticker's line for an alert stored from ``finding``."""
    level = level_of(finding.family, finding.kind, finding.severity)
    return describe(Alert(1, finding.family, finding.kind, finding.key, finding.severity, RANK[level], level,
                          finding.started_at, None, finding.details), lang)


def test_the_alerts_read_as_one_line_in_both_languages() -> None:
    status = fleet({c: T0 + 3 * 60 * MIN for c in CAMERAS["code"] if c not in ("C1", "C2")})
    events = pd.DataFrame([event("fire_smoke", at=T0 + 3 * 60 * MIN - 5 * MIN, confidence=0.93)])
    found = {f.kind: f for f in rules.findings(CAMERAS, status, empty()[1], events, T0 + 3 * 60 * MIN)}
    offline = rules.findings(CAMERAS, fleet({}), empty()[1], NO_EVENTS, T0 + 50 * MIN)[0]
    assert line(offline, "vi") == "Camera Camera 0 (C0) mất kết nối 50 phút"
    assert line(found["camera_offline"], "en") == "Camera Camera 2 (C2) offline for 3 h"  # the last of C1, C2
    assert line(found["cameras_offline_share"], "vi") == "2/10 camera mất kết nối cùng lúc (20,0\u00a0%)"
    assert line(found["cameras_offline_share"], "en") == "2 of 10 cameras offline at once (20.0%)"
    assert line(found["camera_event"], "vi") == "Cháy, khói tại camera Camera 0 (C0) (độ tin cậy 93\u00a0%)"
    assert line(found["camera_event"], "en") == "Fire or smoke at camera Camera 0 (C0) (confidence 93%)"
