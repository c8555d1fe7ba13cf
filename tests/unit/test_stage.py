"""The city's operational stage: every level, the cap on data-feed problems, breadth escalation,
acknowledged and ended alerts, the reasons, and what is shown with the colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from ioc.alerts import Alert
from ioc.domain.stage import STAGE_LEVELS, city_stage, stage_level

T0 = datetime(2026, 3, 9, 1)


@dataclass(frozen=True)
class A:
    family: str
    kind: str
    rank: int
    started_at: datetime = T0
    ended_at: datetime | None = None


def test_no_alert_is_normal_green() -> None:
    stage = city_stage([])
    assert (stage.level, stage.code, stage.colour, stage.reasons) == (1, "normal", "#1B7F3B", ())
    assert (stage.label("vi"), stage.label("en")) == ("Cấp 1 · Bình thường", "Stage 1 · Normal")


@pytest.mark.parametrize(("rank", "level", "code", "name_vi"), [
    (1, 1, "normal", "Bình thường"),
    (2, 2, "mobilisation", "Huy động"),
    (3, 3, "attention", "Chú ý"),
    (4, 4, "alert", "Báo động"),
    (5, 5, "crisis", "Khủng hoảng"),
])
def test_one_alert_proposes_its_rank(rank, level, code, name_vi) -> None:
    one = A("environment", "aqi_bad", rank)
    stage = city_stage([one])
    assert (stage.level, stage.code, stage.name_vi, stage.reasons) == (level, code, name_vi, (one,))


def test_data_feed_problems_alone_stop_at_mobilisation() -> None:
    failed = A("traffic", "source_failed", 3)
    stale = A("feedback", "source_stale", 3)
    stage = city_stage([failed, stale])
    assert (stage.level, stage.code) == (2, "mobilisation")
    assert set(stage.reasons) == {failed, stale}
    assert city_stage([A("traffic", "source_failed", 2)]).level == 2


def test_a_capped_source_alert_shares_the_reasons_with_a_warning() -> None:
    failed, silent = A("traffic", "source_failed", 3, T0), A("environment", "no_data", 2, T0 + timedelta(hours=1))
    assert city_stage([failed, silent]).reasons == (silent, failed)  # same rank: newest first


def test_high_in_two_families_is_at_least_alert() -> None:
    air, traffic = A("environment", "aqi_bad", 3), A("traffic", "violation_surge", 3, T0 + timedelta(minutes=5))
    stage = city_stage([air, traffic, A("feedback", "source_failed", 3)])
    assert (stage.level, stage.code, stage.colour) == (4, "alert", "#C62828")
    assert stage.reasons == (traffic, air)


def test_high_twice_in_one_family_is_attention_only() -> None:
    assert city_stage([A("environment", "aqi_bad", 3), A("environment", "aqi_bad", 3)]).level == 3


def test_source_problems_do_not_make_breadth() -> None:
    assert city_stage([A("environment", "aqi_bad", 3), A("traffic", "source_failed", 3),
                       A("feedback", "source_stale", 3)]).level == 3


def test_critical_and_high_in_two_families_is_alert_and_both_are_reasons() -> None:
    crit, high = A("environment", "aqi_bad", 4), A("feedback", "overdue_surge", 3)
    stage = city_stage([crit, high, A("traffic", "violation_surge", 2)])
    assert stage.level == 4
    assert stage.reasons == (crit, high)


def test_critical_in_two_families_is_crisis() -> None:
    air, traffic = A("environment", "aqi_bad", 4), A("traffic", "violation_surge", 4)
    warning = A("feedback", "overdue_surge", 2)
    stage = city_stage([air, traffic, warning])
    assert (stage.level, stage.code, stage.colour) == (5, "crisis", "#6A1B9A")
    assert set(stage.reasons) == {air, traffic}


def test_an_emergency_alone_is_crisis() -> None:
    emergency = A("environment", "aqi_bad", 5)
    stage = city_stage([emergency, A("traffic", "violation_surge", 3)])
    assert (stage.level, stage.reasons) == (5, (emergency,))


def test_ended_alerts_do_not_count_acknowledged_ones_do() -> None:
    ended = A("environment", "aqi_bad", 5, ended_at=T0 + timedelta(hours=2))
    assert city_stage([ended]).level == 1
    acked = Alert(7, "environment", "aqi_bad", "S1", "very_bad", 4, "critical", T0, None, {}, "Lan", T0, None)
    stage = city_stage([acked, ended])
    assert (stage.level, stage.reasons) == (4, (acked,))


def test_colours_are_distinct_and_readable_and_levels_numbered() -> None:
    assert [s.level for s in STAGE_LEVELS] == [1, 2, 3, 4, 5]
    assert [s.colour for s in STAGE_LEVELS] == ["#1B7F3B", "#FFD60A", "#F57C00", "#C62828", "#6A1B9A"]
    assert [s.name_en for s in STAGE_LEVELS] == ["Normal", "Mobilisation", "Attention", "Alert", "Crisis"]
    for spec in STAGE_LEVELS:
        assert _contrast(spec.colour, spec.text_colour) >= 4.5, spec
    with pytest.raises(ValueError, match="stage level must be 1..5, not 6"):
        stage_level(6)


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
