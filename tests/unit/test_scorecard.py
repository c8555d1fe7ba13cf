"""The scorecard's periods, its period list and URL parameter, its trend drawing and its rankings'
two ends (issue #16), with no store."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import unquote

import pandas as pd
import pytest

from ioc.i18n import t
from ioc.kpi.periods import Period
from ioc.kpi.rankings import Ranking
from ioc.scorecard import ScorecardError, ScorePeriod
from layouts.scorecard import chosen_period, period_label, period_options, span_text, sparkline


@pytest.mark.parametrize(("text", "grain", "start", "end"), [
    ("2026-11", "month", date(2026, 11, 1), date(2026, 12, 1)),
    ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
    ("2024-02", "month", date(2024, 2, 1), date(2024, 3, 1)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
    (" 2025 ", "year", date(2025, 1, 1), date(2026, 1, 1)),
])
def test_a_period_key_is_read_as_its_local_dates(text: str, grain: str, start: date, end: date) -> None:
    p = ScorePeriod.parse(text)
    assert p.grain == grain and p.period == Period(start, end)
    assert ScorePeriod.parse(p.key) == p  # the key written back reads the same


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "26-11", "2026/11", "", "1999", "2026-11-01",
                                  "2026-Q", "abc"])
def test_a_bad_period_key_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ScorecardError, match="period"):
        ScorePeriod.parse(text)


def test_periods_step_across_years_and_contain_their_days() -> None:
    assert ScorePeriod.parse("2026-01").shifted(-1).key == "2025-12"
    assert ScorePeriod.parse("2026-01").shifted(-13).key == "2024-12"
    assert ScorePeriod.parse("2026-Q1").shifted(-1).key == "2025-Q4"
    assert ScorePeriod.parse("2025-Q4").shifted(1).key == "2026-Q1"
    assert ScorePeriod.parse("2026").shifted(-11).key == "2015"
    assert ScorePeriod.containing(date(2026, 12, 4), "month").key == "2026-12"
    assert ScorePeriod.containing(date(2026, 9, 30), "quarter").key == "2026-Q3"
    assert ScorePeriod.containing(date(2026, 10, 1), "quarter").key == "2026-Q4"
    assert ScorePeriod.containing(date(2026, 7, 1), "year").key == "2026"
    with pytest.raises(ScorecardError, match="grain"):
        ScorePeriod.containing(date(2026, 7, 1), "week")
    # periods of one grain order by time
    assert ScorePeriod.parse("2025-12") < ScorePeriod.parse("2026-01") < ScorePeriod.parse("2026-02")


def test_the_url_period_defaults_to_the_running_month_and_a_bad_or_future_one_is_named() -> None:
    today = date(2026, 12, 4)
    assert chosen_period({}, today) == (ScorePeriod.parse("2026-12"), None)
    assert chosen_period({"period": "2026-Q3"}, today) == (ScorePeriod.parse("2026-Q3"), None)
    chosen, problem = chosen_period({"period": "2026-13"}, today)
    assert chosen.key == "2026-12" and problem.param == "period" and problem.value == "2026-13"
    assert "period=2026-13" in problem.message("en") and "2026-12" in problem.message("en")
    chosen, problem = chosen_period({"period": "2027-Q1"}, today)  # not begun
    assert chosen.key == "2026-12" and problem.reason == "sc_reason_future"
    assert t("sc_reason_future", "vi") in problem.message("vi")


def test_the_period_list_starts_with_the_running_period_and_keeps_an_older_choice() -> None:
    today = date(2026, 12, 4)
    months = period_options("month", today, "vi")
    assert len(months) == 24 and months[0] == {"label": "Tháng 12/2026", "value": "2026-12"}
    assert months[-1]["value"] == "2025-01"
    quarters = period_options("quarter", today, "en")
    assert quarters[0] == {"label": "Q4 2026", "value": "2026-Q4"} and quarters[1]["value"] == "2026-Q3"
    years = period_options("year", today, "en", ScorePeriod.parse("2012"))
    assert [y["value"] for y in years] == ["2026", "2025", "2024", "2023", "2022", "2021", "2012"]
    assert period_label(ScorePeriod.parse("2026-11"), "en") == "November 2026"
    assert period_label(ScorePeriod.parse("2026-Q2"), "vi") == "Quý 2/2026"
    assert period_label(ScorePeriod.parse("2026"), "vi") == "Năm 2026"
    assert span_text(ScorePeriod.parse("2024-02"), "vi") == "01/02/2024 – 29/02/2024"


def _svg(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;utf8,")
    return unquote(uri.split(",", 1)[1])


def test_a_trend_leaves_gaps_marks_a_running_period_and_draws_the_target() -> None:
    svg = _svg(sparkline([None, None, 0.9, 0.92, None, 0.95, 0.97], provisional_last=True, target=0.95))
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert [len(points.split()) for points in lines] == [2, 2]  # the gap splits the line
    assert 'stroke-dasharray="3 3"' in svg  # the target
    last = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="2.8" fill="([^"]+)"', svg)
    assert last and last[0][2] == "#0a111b"  # hollow: still running
    assert float(last[0][0]) == pytest.approx(129.0)  # the last of seven points at the right edge
    # higher values are drawn higher (smaller y)
    ys = [float(p.split(",")[1]) for p in lines[1].split()]
    assert ys[0] > ys[1]
    closed = _svg(sparkline([1.0, 2.0], provisional_last=False))
    assert re.search(r'r="2.8" fill="#38bdf8"', closed) and "stroke-dasharray" not in closed
    flat = _svg(sparkline([5.0, 5.0, 5.0], provisional_last=False))  # no division by a zero range
    assert "nan" not in flat.lower() and "<polyline" in flat
    lone = _svg(sparkline([None, 3.0, None], provisional_last=False))
    assert "<polyline" not in lone and 'r="1.8"' in lone


def _ranking(n: int) -> Ranking:
    frame = pd.DataFrame({"code": [f"u{i}" for i in range(n)], "name": [f"U{i}" for i in range(n)],
                          "value": [1 - i / 100 for i in range(n)], "change": [0.0] * n, "volume": [50] * n,
                          "rank": list(range(1, n + 1))})
    return Ranking("feedback", "handling_unit", "on_time_rate", frame, True, 20)


@pytest.mark.parametrize(("n", "best", "worst"), [
    (12, ["u0", "u1", "u2", "u3", "u4"], ["u11", "u10", "u9", "u8", "u7"]),
    (7, ["u0", "u1", "u2", "u3", "u4"], ["u6", "u5"]),  # never a unit at both ends
    (3, ["u0", "u1", "u2"], []),
    (0, [], []),
])
def test_a_rankings_two_ends_never_overlap(n: int, best: list[str], worst: list[str]) -> None:
    ranking = _ranking(n)
    assert list(ranking.best()["code"]) == best
    assert list(ranking.worst()["code"]) == worst
