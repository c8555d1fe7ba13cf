"""Comparisons with earlier periods (ioc.kpi.compare, layouts.compare_shaping): numbers by hand."""

from __future__ import annotations

from datetime import date

import pytest

from ioc.kpi.compare import (
    RULES,
    Direction,
    Kind,
    Rule,
    Status,
    baselines,
    compare,
    compare_sets,
    covered,
    elapsed_part,
    previous_period,
    rule_for,
    tone,
    year_before,
)
from ioc.kpi.periods import Period
from layouts.compare_shaping import CompareLine, card_lines, compare_lines, provisional_note

RATE = Rule(Kind.RATE, Direction.HIGHER)
COUNT = Rule(Kind.COUNT, Direction.NEUTRAL)
HOURS = Rule(Kind.AMOUNT, Direction.LOWER)


def P(a: str, b: str) -> Period:  # noqa: N802
    return Period(date.fromisoformat(a), date.fromisoformat(b))


# ----------------------------------------------------------------- periods

def test_previous_period_of_a_month_is_as_many_days_before():
    # March 2025 has 31 days: the 31 days before 1 March start on 29 January
    assert previous_period(P("2025-03-01", "2025-04-01")) == P("2025-01-29", "2025-03-01")
    # 1–29 February 2024 (29 days, leap year): 3–31 January
    assert previous_period(P("2024-02-01", "2024-03-01")) == P("2024-01-03", "2024-02-01")


@pytest.mark.parametrize(("period", "expected"), [
    # whole months keep whole months: February 2025 (28 days) → February 2024 (29 days)
    (P("2025-02-01", "2025-03-01"), P("2024-02-01", "2024-03-01")),
    # February 2024 (29 days) → February 2023 (28 days)
    (P("2024-02-01", "2024-03-01"), P("2023-02-01", "2023-03-01")),
    # a year of months
    (P("2025-01-01", "2026-01-01"), P("2024-01-01", "2025-01-01")),
    # 29 February alone → 28 February
    (P("2024-02-29", "2024-03-01"), P("2023-02-28", "2023-03-01")),
    # 1–28 February 2024 (end 29 Feb exclusive): last day 28 Feb → 28 Feb 2023
    (P("2024-02-01", "2024-02-29"), P("2023-02-01", "2023-03-01")),
    # a period ending on 29 February (last day 29 Feb → 28 Feb)
    (P("2024-02-20", "2024-03-01"), P("2023-02-20", "2023-03-01")),
    # month end that is not a month: 15 Jan – 31 Mar 2025
    (P("2025-01-15", "2025-04-01"), P("2024-01-15", "2024-04-01")),
    # the default rolling 365 days
    (P("2025-12-04", "2026-12-04"), P("2024-12-04", "2025-12-04")),
])
def test_year_before(period, expected):
    assert year_before(period) == expected


def test_year_before_of_28_february_2025_is_28_february_2024_one_day():
    assert year_before(P("2025-02-28", "2025-03-01")) == P("2024-02-28", "2024-02-29")


def test_elapsed_part_cuts_the_earlier_period_to_the_days_elapsed():
    # December 2026 on 3 December: 3 days elapsed (today included)
    current = P("2026-12-01", "2027-01-01")
    assert elapsed_part(current, P("2026-10-31", "2026-12-01"), date(2026, 12, 3)) == P("2026-10-31", "2026-11-03")
    # a finished period is compared whole; so is one whose last day is today
    assert elapsed_part(current, P("2025-12-01", "2026-01-01"), date(2027, 1, 5)) == P("2025-12-01", "2026-01-01")
    assert elapsed_part(current, P("2025-12-01", "2026-01-01"), date(2026, 12, 31)) == P("2025-12-01", "2026-01-01")


def test_baselines_of_a_running_month_are_provisional_and_cut():
    b = baselines(P("2026-12-01", "2027-01-01"), date(2026, 12, 3), date(2025, 1, 1))
    assert b.provisional
    assert b.previous == P("2026-10-31", "2026-11-03")
    assert b.year_before == P("2025-12-01", "2025-12-04")
    assert b.previous_covered and b.year_covered


# ----------------------------------------------------------------- coverage

def test_coverage_needs_history_from_the_earlier_start_on():
    earlier = P("2025-01-01", "2025-02-01")
    assert covered(date(2025, 1, 1), earlier)
    assert covered(date(2024, 6, 1), earlier)
    assert not covered(date(2025, 1, 2), earlier)  # one day short
    assert not covered(None, earlier)


def test_last_365_days_after_a_365_day_backfill_has_no_previous_period():
    # the TTHC defect: history from 3 Dec 2025 (backfill of 365 days on 3 Dec 2026), the default
    # period 4 Dec 2025 – 3 Dec 2026; the previous period (4 Dec 2024 – 3 Dec 2025) holds one day
    # of data and must not be compared
    b = baselines(P("2025-12-04", "2026-12-04"), date(2026, 12, 3), date(2025, 12, 3))
    assert not b.previous_covered and not b.year_covered
    change = compare(RATE, 0.95, 0.98, b.previous_covered)
    assert change.status == Status.NOT_COVERED and change.value is None and change.sign == 0


# ----------------------------------------------------------------- changes

def test_rate_change_is_a_difference_in_points():
    c = compare(RATE, 0.951, 0.930)
    assert c.status == Status.CHANGE and c.value == pytest.approx(0.021) and c.tone == "good" and c.sign == 1
    c = compare(RATE, 0.90, 0.93)
    assert c.value == pytest.approx(-0.03) and c.tone == "bad" and c.sign == -1


def test_count_change_is_relative():
    c = compare(COUNT, 97, 100)
    assert c.value == pytest.approx(-0.03) and c.tone == "neutral"
    assert compare(COUNT, 2352, 1960).value == pytest.approx(0.2)


def test_lower_is_better_amount_turns_a_rise_red():
    c = compare(HOURS, 60.0, 48.0)
    assert c.value == pytest.approx(0.25) and c.tone == "bad"
    assert compare(HOURS, 36.0, 48.0).tone == "good"


def test_zero_bases():
    assert compare(COUNT, 0, 0).status == Status.CHANGE and compare(COUNT, 0, 0).value == 0.0
    assert compare(COUNT, 0, 0).tone == "neutral" and compare(COUNT, 0, 0).sign == 0
    c = compare(HOURS, 5.0, 0.0)
    assert c.status == Status.FROM_ZERO and c.value is None and c.sign == 1 and c.tone == "bad"
    assert compare(COUNT, 0, 12).value == pytest.approx(-1.0)


def test_missing_sides_give_no_change():
    assert compare(RATE, None, 0.9).status == Status.MISSING
    assert compare(RATE, 0.9, float("nan")).status == Status.MISSING
    assert compare(COUNT, 10, None).value is None


def test_snapshot_kpis_are_never_compared():
    c = compare(rule_for("admin", "overdue"), 12, 3)
    assert c.status == Status.NOT_COMPARABLE


@pytest.mark.parametrize(("direction", "sign", "expected"), [
    (Direction.HIGHER, 1, "good"), (Direction.HIGHER, -1, "bad"), (Direction.LOWER, 1, "bad"),
    (Direction.LOWER, -1, "good"), (Direction.NEUTRAL, 1, "neutral"), (Direction.HIGHER, 0, "neutral"),
])
def test_tone_follows_direction(direction, sign, expected):
    assert tone(direction, sign) == expected


def test_every_rule_is_declared_and_unknown_ones_fail_clearly():
    assert rule_for("feedback", "median_resolution_hours") == HOURS
    assert all(isinstance(r, Rule) for fam in RULES.values() for r in fam.values())
    with pytest.raises(KeyError, match="'nope' of family 'feedback'"):
        rule_for("feedback", "nope")


# ----------------------------------------------------------------- texts

def test_lines_read_as_a_leader_reads_them():
    bases = baselines(P("2026-01-01", "2026-02-01"), date(2026, 3, 1), date(2025, 1, 1))
    cmp = compare_sets("feedback", ("on_time_rate", "received", "overdue"),
                       {"on_time_rate": 0.951, "received": 970, "overdue": 4},
                       {"on_time_rate": 0.930, "received": 1000, "overdue": 1},
                       {"on_time_rate": 0.960, "received": 800, "overdue": 0}, bases)
    vi = compare_lines(cmp["on_time_rate"], bases, date(2025, 1, 1), "vi")
    assert [(x.arrow, x.text, x.tone) for x in vi] == [
        ("▲", "2,1 điểm so với kỳ trước", "good"), ("▼", "0,9 điểm so với cùng kỳ năm trước", "bad")]
    assert vi[0].value == pytest.approx(2.1)
    en = compare_lines(cmp["received"], bases, date(2025, 1, 1), "en")
    assert [(x.arrow, x.text, x.tone) for x in en] == [
        ("▼", "3.0% vs previous period", "neutral"), ("▲", "21% vs same period last year", "neutral")]
    assert [x.text for x in compare_lines(cmp["overdue"], bases, None, "en")] == [
        "current count, not compared by period"]
    assert provisional_note(bases, "en") is None


def test_an_overview_card_keeps_the_year_before_and_a_ranks_edition_only():
    # the last 12 months on 4 Dec 2026: the previous period and the year before are the same days
    bases = baselines(P("2025-12-05", "2026-12-05"), date(2026, 12, 4), date(2024, 1, 1))
    assert bases.previous == bases.year_before
    cmp = compare_sets("feedback", ("on_time_rate", "overdue"), {"on_time_rate": 0.951, "overdue": 4},
                       {"on_time_rate": 0.930, "overdue": 1}, {"on_time_rate": 0.930, "overdue": 1}, bases)
    [line] = card_lines(compare_lines(cmp["on_time_rate"], bases, date(2024, 1, 1), "vi"))
    assert (line.which, line.arrow, line.text) == ("year", "▲", "2,1 điểm so với cùng kỳ năm trước")
    assert card_lines(compare_lines(cmp["overdue"], bases, None, "vi")) == []  # a count at now
    rank = CompareLine("rank", "▲", "lên 2 bậc so với lần công bố trước (2023)", "good", "", -2.0)
    assert card_lines([rank]) == [rank] and card_lines(None) == []


def test_not_covered_line_says_so_and_names_the_history_start():
    bases = baselines(P("2026-01-01", "2026-02-01"), date(2026, 3, 1), date(2025, 12, 15))
    assert bases.previous_covered is False and bases.year_covered is False
    cmp = compare_sets("admin", ("on_time_rate",), {"on_time_rate": 0.98}, None, None, bases)
    lines = compare_lines(cmp["on_time_rate"], bases, date(2025, 12, 15), "vi")
    assert [(x.arrow, x.text, x.tone) for x in lines] == [
        ("", "không có số liệu so sánh (so với kỳ trước)", "none"),
        ("", "không có số liệu so sánh (so với cùng kỳ năm trước)", "none")]
    assert "01/12/2025 – 31/12/2025" in lines[0].title and "15/12/2025" in lines[0].title


def test_running_period_is_flagged_provisional():
    bases = baselines(P("2026-12-01", "2027-01-01"), date(2026, 12, 3), date(2020, 1, 1))
    text, title = provisional_note(bases, "en")
    assert text.startswith("provisional") and "3 days" in title


def test_tile_keeps_its_ids_and_value_and_adds_the_comparison_lines():
    from layouts.components import tile
    from layouts.shaping import Tile

    bases = baselines(P("2026-12-01", "2027-01-01"), date(2026, 12, 3), date(2020, 1, 1))
    cmp = compare_sets("feedback", ("on_time_rate",), {"on_time_rate": 0.95}, {"on_time_rate": 0.97},
                       {"on_time_rate": None}, bases)
    spec = Tile("on_time_rate", "Đúng hạn", "95,0 %", 0.95, "sub", None, "good")
    div = tile(spec, "vi", compare_lines(cmp["on_time_rate"], bases, date(2020, 1, 1), "vi"), provisional_note(bases, "vi"))
    assert div.id == "tile-on_time_rate" and getattr(div, "data-value") == "0.95"
    block = div.children[-1]
    assert block.className == "tile-compare"
    prev, year, note = block.children
    assert prev.className == "cmp-line cmp-bad cmp-arrowed" and getattr(prev, "data-change") == "-2.0"
    assert prev.children == "▼ 2,0 điểm so với kỳ trước"  # one element, one text: the arrow hangs (CSS)
    assert year.className == "cmp-line cmp-none" and getattr(year, "data-change") == ""
    assert note.className == "cmp-provisional" and "3 ngày" in note.title
    # without comparisons the tile is what it was
    assert [c.className for c in tile(spec, "vi").children] == ["tile-label", "tile-value", "tile-meta", "tile-sub"]


def test_a_change_that_rounds_to_zero_is_drawn_flat_and_grey():
    bases = baselines(P("2026-01-01", "2026-02-01"), date(2026, 3, 1), date(2020, 1, 1))
    cmp = compare_sets("feedback", ("satisfaction_rate", "received"), {"satisfaction_rate": 0.9660, "received": 1000},
                       {"satisfaction_rate": 0.9664, "received": 1000}, {"satisfaction_rate": 0.9, "received": 999},
                       bases)
    assert cmp["satisfaction_rate"].previous.tone == "bad"  # −0.04 points: down, in the numbers
    line = compare_lines(cmp["satisfaction_rate"], bases, None, "vi")[0]
    assert (line.arrow, line.text, line.tone) == ("▬", "0,0 điểm so với kỳ trước", "neutral")
    flat, up = compare_lines(cmp["received"], bases, None, "en")
    assert (flat.arrow, flat.text, up.arrow, up.text) == ("▬", "0.0% vs previous period", "▲",
                                                          "0.1% vs same period last year")


def test_a_snapshot_tile_gets_no_provisional_note():
    from layouts.components import compare_block

    bases = baselines(P("2026-12-01", "2027-01-01"), date(2026, 12, 3), date(2020, 1, 1))
    cmp = compare_sets("admin", ("overdue",), {"overdue": 4}, {"overdue": 1}, {"overdue": 0}, bases)
    block = compare_block(compare_lines(cmp["overdue"], bases, None, "vi"), provisional_note(bases, "vi"))
    assert [c.className for c in block.children] == ["cmp-line cmp-none"]


def test_no_provisional_note_when_no_earlier_period_is_covered():
    from layouts.components import compare_block

    # a running month, but the history starts after both earlier periods: nothing is compared
    bases = baselines(P("2026-12-01", "2027-01-01"), date(2026, 12, 3), date(2026, 11, 20))
    cmp = compare_sets("feedback", ("on_time_rate",), {"on_time_rate": 0.95}, {"on_time_rate": 0.97},
                       {"on_time_rate": 0.9}, bases)
    block = compare_block(compare_lines(cmp["on_time_rate"], bases, date(2026, 11, 20), "vi"),
                          provisional_note(bases, "vi"))
    assert [c.className for c in block.children] == ["cmp-line cmp-none", "cmp-line cmp-none"]
