"""The shared marks of every trend chart and table: the period still running drawn as provisional
(layouts/provisional.py), percent and count axes written as the tiles write numbers
(layouts/figures.py), and grid numbers formatted in the page's language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ioc.systems.spec import Label, Term, load_spec
from layouts import admin, environment, feedback, provisional, systems, traffic
from layouts.admin_figures import online_figure
from layouts.admin_shaping import ranking_rows
from layouts.environment_figures import calendar_figure, completeness_figure
from layouts.figures import count_axis, nice_ticks, percent_ticks, trend_figure
from layouts.systems_figures import events_trend_figure, indicator_figure
from layouts.traffic_figures import fines_figure

NBSP = "\u00a0"
SPECS = sorted((Path(__file__).resolve().parents[2] / "ioc" / "systems" / "specs").glob("*.toml"))


# --- which buckets are still running --------------------------------------------------------------

@pytest.mark.parametrize(("freq", "starts", "today", "expected"), [
    ("day", ["2026-12-01", "2026-12-02", "2026-12-03"], date(2026, 12, 3), [False, False, True]),
    ("day", ["2026-12-01", "2026-12-02"], date(2026, 12, 3), [False, False]),  # yesterday is over
    ("week", ["2026-11-23", "2026-11-30"], date(2026, 12, 6), [False, True]),  # Sunday: still that week
    ("week", ["2026-11-23", "2026-11-30"], date(2026, 12, 7), [False, False]),  # the next Monday
    ("month", ["2026-01-01", "2026-02-01"], date(2026, 2, 28), [False, True]),
    ("month", ["2026-01-01", "2026-02-01"], date(2026, 3, 1), [False, False]),
    ("quarter", ["2026-07-01", "2026-10-01"], date(2026, 12, 31), [False, True]),
    ("year", ["2025-01-01", "2026-01-01"], date(2026, 6, 1), [False, True]),
    ("year", ["2025-01-01"], None, [False]),  # no today given: nothing is marked
])
def test_running_is_the_bucket_that_has_not_ended_before_today(freq: str, starts: list[str], today: date | None,
                                                               expected: list[bool]) -> None:
    assert provisional.running(pd.to_datetime(pd.Series(starts)), freq, today).tolist() == expected


def test_an_unknown_bucket_length_is_named() -> None:
    with pytest.raises(ValueError, match="'fortnight'"):
        provisional.running(pd.to_datetime(pd.Series(["2026-01-01"])), "fortnight", date(2026, 1, 2))


def test_split_line_shares_the_last_settled_point_with_the_dotted_part() -> None:
    settled, dotted = provisional.split_line([0.9, float("nan"), 0.8, 0.7, 0.2], [False, False, False, True, True])
    assert settled == [0.9, None, 0.8, None, None]
    assert dotted == [None, None, 0.8, 0.7, 0.2]


def test_bar_marker_hatches_and_lightens_only_the_running_bars() -> None:
    marker = provisional.bar_marker([False, True], "#123456")
    assert marker["pattern"]["shape"] == ["", "/"] and marker["opacity"] == [1.0, provisional.BAR_OPACITY]
    assert provisional.bar_marker([False, False], "#123456") == {"color": "#123456"}


def test_add_line_without_running_points_is_one_ordinary_trace() -> None:
    fig = go.Figure()
    provisional.add_line(fig, [1, 2], [0.5, 0.6], [False, False], name="A", lang="vi", line=dict(color="#fff"),
                         hovertemplate="%{y}<extra>A</extra>")
    assert len(fig.data) == 1 and list(fig.data[0].y) == [0.5, 0.6]


def test_add_line_draws_the_running_points_dotted_with_a_provisional_hover() -> None:
    fig = go.Figure()
    provisional.add_line(fig, [1, 2, 3], [0.5, 0.6, 0.1], [False, False, True], name="A", lang="vi",
                         line=dict(color="#fff", width=2), hovertemplate="%{y}<extra>A</extra>")
    settled, dotted, marks = fig.data
    assert list(settled.y) == [0.5, 0.6, None] and settled.showlegend is not False
    assert list(dotted.y) == [None, 0.6, 0.1] and dotted.line.dash == "dot" and dotted.hoverinfo == "skip"
    assert list(marks.x) == [3] and list(marks.customdata) == [" · tạm tính"]
    assert marks.hovertemplate == "%{y}%{customdata}<extra>A</extra>"
    assert {settled.legendgroup, dotted.legendgroup, marks.legendgroup} == {"A"}  # toggled together


@pytest.mark.parametrize(("lang", "text"), [("vi", "Tạm tính (kỳ chưa kết thúc)"), ("en", "Provisional (period not over)")])
def test_shade_covers_the_running_buckets_and_says_so(lang: str, text: str) -> None:
    fig = go.Figure()
    starts = pd.to_datetime(pd.Series(["2026-11-23", "2026-11-30"]))
    provisional.shade(fig, starts, [False, True], "week", lang)
    (rect,) = fig.layout.shapes
    assert (pd.Timestamp(rect.x0), pd.Timestamp(rect.x1)) == (pd.Timestamp("2026-11-26 12:00"),
                                                              pd.Timestamp("2026-12-03 12:00"))
    assert [a.text for a in fig.layout.annotations] == [text]
    provisional.shade(fig, starts, [False, False], "week", lang)  # nothing running: nothing added
    assert len(fig.layout.shapes) == 1


# --- every trend chart marks the running bucket --------------------------------------------------

WEEKS = pd.to_datetime(pd.Series(["2026-11-16", "2026-11-23", "2026-11-30"]))
TODAY = date(2026, 12, 3)  # a Thursday of the last week


def _feedback(today: date | None) -> go.Figure:
    series = pd.DataFrame({"bucket": WEEKS, "received": [70, 72, 30], "satisfaction_rate": [0.93, 0.94, 0.85],
                           "on_time_rate": [0.96, 0.95, 0.9]})
    return trend_figure(series, 0.9, "vi", "week", today=today)


def _traffic(today: date | None) -> go.Figure:
    series = pd.DataFrame({"bucket": WEEKS, "fines_issued_vnd": [4e9, 5e9, 1e9], "fines_collected_vnd": [3e9, 2e9, 1e8],
                           "collection_rate": [0.75, 0.4, 0.1]})
    return fines_figure(series, "vi", "week", today=today)


def _admin(today: date | None) -> go.Figure:
    series = pd.DataFrame({"bucket": WEEKS, "received": [900, 950, 300], "online_rate": [0.7, 0.71, 0.6],
                           "full_process_online_rate": [0.3, 0.32, 0.2]})
    return online_figure(series, 0.7, "vi", "week", today=today)


def _systems(today: date | None) -> go.Figure:
    frame = pd.DataFrame({"bucket": WEEKS, "n": [120, 118, 40]})
    return events_trend_figure(frame, "vi", "week", (date(2026, 11, 16), date(2026, 12, 4)), today=today)


def _indicator(today: date | None) -> go.Figure:
    term = Term("x", Label("Chỉ số", "Index"), frequency="year")
    frame = pd.DataFrame({"period": ["2025", "2026"], "period_start": [date(2025, 1, 1), date(2026, 1, 1)],
                          "value": [80.0, 40.0], "target": [90.0, 90.0], "simulated": [False, False]})
    return indicator_figure(frame, term, "vi", today=today)


@pytest.mark.parametrize("build", [_feedback, _traffic, _admin, _systems, _indicator])
def test_every_trend_chart_marks_the_running_period(build) -> None:  # noqa: ANN001
    fig = build(TODAY)
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 1 and shaded[0].fillcolor == provisional.FILL
    assert "Tạm tính (kỳ chưa kết thúc)" in [a.text for a in fig.layout.annotations]
    for bar in (tr for tr in fig.data if tr.type == "bar"):
        assert list(bar.marker.pattern.shape)[-1] == "/" and set(bar.marker.pattern.shape[:-1]) == {""}
    assert any(tr.type == "scatter" and tr.line.dash == "dot" for tr in fig.data) or \
        all(tr.type == "bar" for tr in fig.data)
    # seen after the period ended, the same figures are settled: nothing marked
    later = build(date(2027, 6, 1))
    assert not [s for s in later.layout.shapes if s.type == "rect"]
    assert all(tr.type != "bar" or tr.marker.pattern.shape is None for tr in later.data)


def test_the_aqi_calendar_outlines_today_as_provisional() -> None:
    frame = pd.DataFrame({"day": [date(2026, 12, 2), date(2026, 12, 3)], "aqi": [60, 40],
                          "category": ["moderate", "good"]})
    fig = calendar_figure(frame, "en", end=date(2026, 12, 3), weeks=2, today=date(2026, 12, 3))
    (cell,) = fig.layout.shapes
    assert cell.line.dash == "dot" and (cell.y0, cell.y1) == (2.5, 3.5)  # Thursday's row
    assert fig.data[0].customdata[3][1].endswith(" · provisional")
    assert not fig.data[0].customdata[2][1].endswith(" · provisional")
    assert "Provisional (period not over)" in [a.text for a in fig.layout.annotations]


# --- axes: percent ticks as the tiles write them, round counts with a title on the right -------

def test_percent_ticks_read_like_the_tiles() -> None:
    vi = percent_ticks(0.835, 1.005, "vi")
    assert vi["tickvals"] == [0.85, 0.9, 0.95, 1.0]
    assert vi["ticktext"] == [f"85{NBSP}%", f"90{NBSP}%", f"95{NBSP}%", f"100{NBSP}%"]
    assert percent_ticks(0, 1, "en", most=5)["ticktext"] == ["0%", "25%", "50%", "75%", "100%"]
    fine = percent_ticks(0.97, 0.99, "vi")  # a narrow range: half-percent steps, one decimal
    assert fine["ticktext"][:2] == [f"97,0{NBSP}%", f"97,5{NBSP}%"]


def test_count_axis_has_a_title_and_round_ticks() -> None:
    axis = count_axis(23_367, 56_083, "Hồ sơ tiếp nhận")
    assert axis["tickvals"] == [0, 10_000, 20_000, 30_000] and axis["title"]["text"] == "Hồ sơ tiếp nhận"
    assert axis["side"] == "right" and axis["overlaying"] == "y"
    assert nice_ticks(3) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("build", [_feedback, _traffic, _admin])
def test_secondary_axes_have_a_title_and_round_ticks(build) -> None:  # noqa: ANN001
    axis = build(None).layout.yaxis2
    assert axis.title.text
    ticks = np.asarray(axis.tickvals, dtype=float)
    assert len(ticks) >= 3 and all(v == round(v, 2) for v in ticks)


def test_completeness_axis_percentages_follow_the_language() -> None:
    frame = pd.DataFrame({"name": ["Trạm A"], "expected": [24], "valid": [20], "flagged": [2], "missing": [2],
                          "completeness": [0.9]})
    assert completeness_figure(frame, "vi").layout.xaxis.ticktext[1] == f"25{NBSP}%"


# --- tables: every numeric column formatted -------------------------------------------------------

def _grids() -> list:
    grids = [feedback._grid("vi"), traffic._grid("vi"), environment._alerts_grid("vi"), admin.ranking_grid("vi"),
             admin.queue_grid("vi")]
    for path in SPECS:
        spec = load_spec(path)
        grids += [systems._units_grid(spec, "vi"), systems._latest_grid(spec, "vi")]
    return grids


def test_every_numeric_grid_column_has_a_formatter() -> None:
    unformatted = [(grid.id, col["field"]) for grid in _grids() for col in grid.columnDefs
                   if col.get("type") == "numericColumn" and "valueFormatter" not in col]
    assert unformatted == []


@pytest.mark.parametrize(("lang", "received", "rank"), [("vi", "147.747", "1"), ("en", "147,747", "1")])
def test_the_admin_ranking_counts_are_grouped(lang: str, received: str, rank: str) -> None:
    ranking = pd.DataFrame([{"code": "19753", "rank": 1, "name": "Phường Phú Xuân", "former_names": None,
                             "level": "commune", "received": 147_747, "resolved": 140_001, "late": 1_234,
                             "overdue": 12, "on_time_rate": 0.978, "on_time_rate_prev": 0.97, "change": 0.008,
                             "online_rate": 0.7, "score_766": 80.0, "score_766_max": 100}])
    (row,) = ranking_rows(ranking, lang, 0.95)
    assert (row["received"], row["received_txt"], row["rank_txt"]) == (147_747, received, rank)
    assert row["late_txt"] == ("1.234" if lang == "vi" else "1,234") and row["overdue_txt"] == "12"


def test_a_yearly_indicator_has_a_tick_a_year() -> None:
    """Not Plotly's mid-year ticks, which a narrow chart (a wall's cell) labelled 2023, 2023, 2024, 2024."""
    fig = _indicator(None)
    assert (fig.layout.xaxis.dtick, fig.layout.xaxis.tickformat) == ("M12", "%Y")
