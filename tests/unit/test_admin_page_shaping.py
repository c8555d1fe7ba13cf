"""The Admin page's pure parts: URL parameters, tiles and their states, level cards, the 766 and
breakdown figures (no Dash server, no store)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ioc.kpi.admin import kpis_from_sums
from layouts.admin_figures import breakdown_figure, levels_figure, rate_colour, score_figure
from layouts.admin_shaping import admin_tiles, level_cards, score_frame
from layouts.query import parse_admin_query

TODAY = date(2026, 11, 27)


def test_query_parameters_are_validated_and_reported() -> None:
    query, problems = parse_admin_query({"from": "2026-01-01", "to": "2026-06-30", "level": "district",
                                         "unit": "474"}, TODAY, {"474", "474.01"})
    assert (query.start, query.end, query.level, query.unit, problems) == (
        date(2026, 1, 1), date(2026, 7, 1), "district", "474", [])  # 'to': the last day, included
    assert query.search("en") == "?from=2026-01-01&to=2026-06-30&level=district&unit=474&lang=en"

    query, problems = parse_admin_query({"level": "ward", "unit": "999", "to": "2025-01-01"}, TODAY, {"474"})
    assert (query.level, query.unit) == (None, None)
    assert [(p.param, p.value, p.reason) for p in problems] == [
        ("to", "2025-01-01", "reason_order"), ("level", "ward", "reason_choice"), ("unit", "999", "reason_choice")]
    assert (query.start, query.end) == (date(2025, 11, 28), date(2026, 11, 28))  # the default 365 days
    assert problems[1].message("vi") == "Bỏ qua tham số level=ward: không có cấp này. Đang dùng: tất cả."
    assert problems[2].message("en") == "Ignored unit=999: no such one-stop unit. Using: all."


def test_tiles_states_against_the_targets() -> None:
    sums = {"received": 1000, "resolved": 800, "early": 500, "on_time": 250, "late": 50, "in_progress": 150,
            "online": 710, "digitised": 500, "fee_required": 100, "paid_online": 40, "rated": 10, "satisfied": 9}
    tiles = {t.key: t for t in admin_tiles(kpis_from_sums(sums, 7), 3, 0.95, "vi")}
    # 750 / 800 = 93.75 % → within 5 points below 95 % → "warn"; 71 % online ≥ 70 % → "good"
    assert (tiles["on_time_rate"].state, tiles["on_time_rate"].value) == ("warn", "93,8\u00a0%")
    assert tiles["on_time_rate"].target == "Mục tiêu ≥ 95\u00a0%"
    assert (tiles["online_rate"].state, tiles["online_rate"].raw) == ("good", 0.71)
    assert (tiles["overdue"].state, tiles["overdue"].value, tiles["due_soon"].raw) == ("alert", "7", 3)
    assert tiles["received"].sub == "hồ sơ trong kỳ · 800 đã giải quyết"
    # progress 20 × 0.9375 = 18.75; digitisation 22 × 50/80 = 13.75; satisfaction 100 − 57/950 % ≥ 90 → 18;
    # online unmeasured (no catalogue given) → 50.5 of 60
    assert (tiles["score_766"].value, tiles["score_766"].raw) == ("50,5 / 60", 50.5)
    bad = {t.key: t for t in admin_tiles(kpis_from_sums({**sums, "late": 300, "on_time": 0}, 0), 0, 0.95, "en")}
    assert (bad["on_time_rate"].state, bad["on_time_rate"].value, bad["overdue"].state) == ("bad", "62.5%", "info")


def test_level_cards_always_show_the_three_levels() -> None:
    by_level = pd.DataFrame([{"key": "district", "on_time_rate": 0.951, "resolved": 1000, "early": 900,
                              "on_time": 51, "overdue": 4}])
    cards = level_cards(by_level, 0.95, "vi")
    assert [(c["level"], c["label"], c["state"]) for c in cards] == [
        ("province", "Cấp tỉnh", "none"), ("district", "Cấp huyện", "good"), ("commune", "Cấp xã", "none")]
    assert cards[1]["sub"] == "951 / 1.000 hồ sơ · 4 quá hạn"


def test_score_figure_names_unmeasured_groups_and_colours_by_share() -> None:
    score = kpis_from_sums({"received": 10, "resolved": 10, "early": 10, "digitised": 4}, 0).as_dict()["score_766"]
    frame = score_frame(score, "en")
    assert frame["label"].tolist()[0] == "Transparency"
    fig = score_figure(frame, "en")
    texts = list(fig.data[2].text)
    assert texts[0] == "not measured" and texts[1] == "20.0 / 20" and texts[2] == "11.0 / 22"
    assert (rate_colour(0.96, 0.95), rate_colour(0.92, 0.95), rate_colour(0.80, 0.95), rate_colour(None, 0.95)) == (
        "#22c55e", "#f59e0b", "#ef4444", "#64748b")


def test_breakdown_labels_from_data_are_escaped() -> None:
    frame = pd.DataFrame([{"label": "<b>Thủ tục</b> & co", "received": 5, "on_time_rate": 1.0, "late": 0,
                           "overdue": 0, "online_rate": 0.5}])
    fig = breakdown_figure(frame, 0.95, "vi")
    assert list(fig.data[0].y) == ["&lt;b&gt;Thủ tục&lt;/b&gt; &amp; co"]
    assert fig.data[0].text[0] == "100,0\u00a0%"


def _level_series(open_last: int) -> pd.DataFrame:
    weeks = pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-19"])
    rows = []
    for level in ("province", "district"):
        for i, week in enumerate(weeks):
            received, open_ = 100, (open_last if i == 2 else 2)
            resolved = received - open_
            rows.append({"bucket": week, "key": level, "received": received, "in_progress": open_,
                         "resolved": resolved, "on_time_rate": 1.0 if i == 2 else 0.95})
    return pd.DataFrame(rows)


def test_recent_weeks_with_many_open_dossiers_are_drawn_as_provisional() -> None:
    labels = {"province": "Cấp tỉnh", "district": "Cấp huyện"}
    # the last week still has 60 of its 100 dossiers open: its 100 % is the fast ones only
    fig = levels_figure(_level_series(open_last=60), labels, 0.95, "vi", "week")
    # per level (layouts.provisional.add_line): the settled line, its dotted continuation, and
    # hollow markers on the provisional week whose hover says how much is still open
    assert [(tr.name, tr.mode, tr.line.dash) for tr in fig.data] == [
        (name, m, d) for name in ("Cấp tỉnh", "Cấp huyện")
        for m, d in (("lines+markers", None), ("lines", "dot"), ("markers", None))]
    for settled, dotted, marks in (fig.data[0:3], fig.data[3:6]):
        assert list(settled.y) == [0.95, 0.95, None] and list(dotted.y) == [None, 0.95, 1.0]
        assert marks.marker.symbol == "circle-open" and list(marks.y) == [1.0]
        assert list(marks.customdata) == ["40 · tạm tính, 60\xa0% còn đang xử lý"]
        assert "tạm tính" not in settled.customdata[1]
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 1 and pd.Timestamp(shaded[0].x0) < pd.Timestamp("2026-10-19") < pd.Timestamp(shaded[0].x1)
    assert any("Tạm tính: còn > 5\xa0% hồ sơ đang xử lý" in (a.text or "") for a in fig.layout.annotations)
    # 5 of 100 open is not over the share: a complete-enough week, nothing shaded
    fig = levels_figure(_level_series(open_last=5), labels, 0.95, "en", "week")
    assert [tr.mode for tr in fig.data] == ["lines+markers"] * 2 and all(None not in tr.y for tr in fig.data)
    assert not [s for s in fig.layout.shapes if s.type == "rect"]
    # the same week while it is still running (today inside it) is provisional all the same
    fig = levels_figure(_level_series(open_last=5), labels, 0.95, "en", "week", today=date(2026, 10, 21))
    assert [tr.mode for tr in fig.data] == ["lines+markers", "lines", "markers"] * 2
    assert list(fig.data[2].customdata) == ["95 · provisional"]
    assert any(a.text == "Provisional (period not over)" for a in fig.layout.annotations)
