"""The comparison rules a system spec's KPIs give (ioc.kpi.systems_compare) and their words
(layouts.systems_compare), worked out by hand; the unit table's change at the history's edge."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from ioc.kpi.compare import Direction, Kind, Rule, Status, baselines
from ioc.kpi.periods import Period
from ioc.kpi.systems_compare import (
    RankStep,
    compared_by_period,
    spec_rule,
    spec_rules,
    unit_change_kpi,
    unit_previous,
)
from ioc.systems.spec import load_all
from layouts.systems_compare import change_cell, rank_line, tile_lines, unit_change, unit_change_note
from tests.system_specs import LIGHTS, SCORES

MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
AFTER = date(2026, 5, 2)  # "today", after March: nothing provisional


def test_each_kpi_type_gives_its_kind_and_the_spec_its_direction() -> None:
    assert spec_rules(LIGHTS) == {
        "reports": Rule(Kind.COUNT, Direction.NEUTRAL),
        "dark_share": Rule(Kind.RATE, Direction.LOWER),  # a share changes in points
        "lamps": Rule(Kind.AMOUNT, Direction.NEUTRAL),
        "median_fix": Rule(Kind.AMOUNT, Direction.NEUTRAL),
        "per_day": Rule(Kind.AMOUNT, Direction.NEUTRAL),
        "reports_change": Rule(Kind.SNAPSHOT, Direction.NEUTRAL),  # already a change
        "last_lamps": Rule(Kind.SNAPSHOT, Direction.NEUTRAL),  # the latest value
    }
    assert spec_rule(SCORES.kpi("par_rank")) == Rule(Kind.RANK, Direction.LOWER)
    assert compared_by_period(LIGHTS) == ("reports", "dark_share", "lamps", "median_fix", "per_day")


def test_a_rank_without_a_direction_is_better_lower_and_an_unknown_type_is_named() -> None:
    undirected = dataclasses.replace(SCORES.kpi("par_rank"), direction=None)
    assert spec_rule(undirected) == Rule(Kind.RANK, Direction.LOWER)
    with pytest.raises(ValueError, match="KPI 'reports': no comparison rule for type 'mode'"):
        spec_rule(dataclasses.replace(LIGHTS.kpi("reports"), type="mode"))


def test_every_shipped_spec_gets_a_rule_for_every_kpi_with_no_code() -> None:
    for spec in load_all():
        rules = spec_rules(spec)
        assert list(rules) == [k.name for k in spec.kpis], spec.code
        for kpi in spec.kpis:
            assert rules[kpi.name].direction == (Direction(kpi.direction) if kpi.direction else
                                                 Direction.LOWER if kpi.type == "rank" else Direction.NEUTRAL)


def test_the_unit_change_kpi_is_the_ranking_one_else_the_first_per_unit() -> None:
    assert unit_change_kpi(LIGHTS).name == "reports"  # ranking = "reports"
    shares_first = dataclasses.replace(LIGHTS, ranking="dark_share")
    assert unit_change_kpi(shares_first).name == "dark_share"
    assert unit_change_kpi(SCORES) is None  # indicators: no KPI per unit


def test_a_unit_absent_from_the_earlier_period_counted_zero_but_has_no_share() -> None:
    now = pd.DataFrame({"commune_code": ["A", "B"], "reports": [3.0, 2.0], "dark_share": [0.5, 1.0]})
    before = pd.DataFrame({"commune_code": ["B"], "reports": [1.0], "dark_share": [float("nan")]})
    assert unit_previous(LIGHTS.kpi("reports"), now, before) == [0.0, 1.0]
    assert unit_previous(LIGHTS.kpi("dark_share"), now, before) == [None, None]
    assert unit_previous(LIGHTS.kpi("reports"), now, None) == [None, None]  # not computed: not covered


def test_unit_cells_worked_by_hand() -> None:
    reports, dark = LIGHTS.kpi("reports"), LIGHTS.kpi("dark_share")
    assert change_cell(unit_change(reports, 3, 2, True), "vi") == {"text": "▲ 50 %", "raw": 50.0, "tone": "neutral"}
    assert change_cell(unit_change(reports, 3, 0, True), "en") == {"text": "▲ up from 0", "raw": None,
                                                                   "tone": "neutral"}
    # a share 0.60 against 0.75, fewer dark is better: 15 points down, green
    assert change_cell(unit_change(dark, 0.60, 0.75, True), "vi") == {"text": "▼ 15,0 điểm", "raw": -15.0,
                                                                      "tone": "good"}
    assert change_cell(unit_change(dark, 0.75, 0.7498, True), "en")["tone"] == "neutral"  # rounds to 0.0: flat
    assert change_cell(unit_change(dark, 0.75, 0.7498, True), "en")["text"].startswith("▬")


def test_unit_cells_at_the_history_edge_say_nothing_and_the_note_says_why() -> None:
    reports = LIGHTS.kpi("reports")
    # history from 10 February: March's previous period (29 Jan – 28 Feb) is not covered
    bases = baselines(MARCH, AFTER, date(2026, 2, 10))
    assert not bases.previous_covered
    change = unit_change(reports, 5, 1, bases.previous_covered)
    assert change.status == Status.NOT_COVERED
    assert change_cell(change, "vi") == {"text": "–", "raw": None, "tone": "none"}
    assert unit_change_note(reports, bases, "vi") == (
        "Không có số liệu so sánh cho Báo hỏng: kỳ trước 29/01/2026 – 28/02/2026 nằm trước khi có dữ liệu")
    covered = baselines(MARCH, AFTER, date(2026, 1, 29))
    assert unit_change_note(reports, covered, "en") == (
        "Change column: Reports against the previous period (29/01/2026 – 28/02/2026)")
    running = baselines(MARCH, date(2026, 3, 3), date(2026, 1, 1))  # 3 days of March against 29–31 January
    assert unit_change_note(reports, running, "en") == ("Change column: Reports against as many first days of "
                                                        "the previous period (29/01/2026 – 31/01/2026), provisional")


def test_rank_lines_up_down_same_and_none() -> None:
    rank = SCORES.kpi("par_rank")
    up = rank_line(rank, RankStep(9, "2023", 12, "2022"), "vi")
    assert (up.arrow, up.text, up.tone, up.value) == ("▲", "lên 3 bậc so với lần công bố trước (2022)", "good", -3.0)
    assert up.title == "Lần công bố trước (2022): hạng 12"
    down = rank_line(rank, RankStep(14, "2023", 12, "2022"), "en")
    assert (down.arrow, down.text, down.tone) == ("▼", "down 2 places on the previous edition (2022)", "bad")
    same = rank_line(rank, RankStep(12, "2023", 12, "2022"), "en")
    assert (same.arrow, same.tone, same.value) == ("▬", "neutral", 0.0)
    none = rank_line(rank, RankStep(12, "2023", None, None), "en")
    assert (none.arrow, none.text, none.tone, none.value) == ("", "no earlier published rank to compare", "none",
                                                              None)


def test_tile_lines_say_why_a_latest_or_a_change_is_not_compared_and_skip_a_missing_rank() -> None:
    lines = tile_lines(SCORES, {}, {}, {}, {"par_rank": RankStep(None, None, None, None)}, "en",
                       ("par_latest", "par_change", "par_rank"))
    assert [(line.which, line.text) for line in lines["scores_par_latest"]] == [
        ("snapshot", "latest value, not compared by period")]
    assert [(line.which, line.text) for line in lines["scores_par_change"]] == [
        ("snapshot", "already a change against the previous period")]
    assert lines["scores_par_rank"] == []  # no rank in the period: nothing to compare
