"""A spec-declared system's comparisons with earlier periods (issue 16), on hand-made data: the
tiles' lines and the by-unit table's and ranking's change column, through the page's callbacks
as registered (their Dash and access wrappers peeled off), and the history's edge.

Street lighting (tests/data/systems/lights.toml): 8 events from 5 January 2026 (local) to
1 April 2026, as in test_systems_store: March holds 5 reports (3 at the city centre, 2 placed
nowhere), its previous period (29 January – 28 February) one, placed nowhere; the history starts
on 5 January, so March 2025 (the year before) is not covered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dash
import flask
import pandas as pd
import pytest

from callbacks import systems as page_callbacks
from callbacks import systems_data
from callbacks.access import Principal
from callbacks.common import local_today
from ioc.access import Role
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.kpi.systems import filters_for
from ioc.kpi.systems_compare import history_starts, rank_steps
from ioc.store.systems import ingest
from ioc.systems.spec import load_spec
from tests.component_tree import body
from tests.component_tree import texts as _texts
from tests.component_tree import walk as _walk
from tests.integration.test_systems_store import DATA, EVENTS, TZ, _event, _indicator_spec, _records, _value

LIGHTS = load_spec(DATA / "lights.toml")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path: Path = tmp_path_factory.mktemp("systems-compare") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    assert ingest(LIGHTS, context.engine, "lights.csv", _records(LIGHTS, EVENTS), TZ).inserted == 8
    return context


@pytest.fixture
def app(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> dash.Dash:
    """The lights page's callbacks (the test spec is not in the app's registry)."""
    monkeypatch.setattr(systems_data, "spec_of", lambda code: LIGHTS if code == "lights" else None)
    dash_app = dash.Dash(__name__)
    page_callbacks.register("lights", dash_app, ctx)
    return dash_app


@contextmanager
def reader(app: dash.Dash) -> Iterator[None]:
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        flask.g.ioc_principal = Principal(Role.VIEWER, "viewer-user", Role.VIEWER, user_id=1)
        yield


def _lines(tile: Any) -> dict[str, Any]:
    """A tile's comparison lines by ``data-cmp`` (previous, year, snapshot)."""
    return {getattr(c, "data-cmp"): c for c in _walk(tile) if getattr(c, "data-cmp", None)}


def _tiles(app: dash.Dash, first: str, last: str, lang: str) -> dict[str, Any]:
    with reader(app):
        tiles, _note = body(app, "sys-lights-tiles.children")(first, last, None, None, None, 1, lang)
    return {getattr(t, "data-kpi"): t for t in tiles}


def test_march_tiles_compare_with_february_and_say_no_comparison_for_a_year_before(app: dash.Dash) -> None:
    tiles = _tiles(app, "2026-03-01", "2026-03-31", "vi")
    reports = _lines(tiles["lights_reports"])
    # 5 reports against 1 in 29 Jan – 28 Feb: +400 %, a count of demand (no direction): grey
    assert getattr(reports["previous"], "data-change") == "400.0" and getattr(reports["previous"], "data-tone") == \
        "neutral"
    assert _texts(reports["previous"]) == "▲ 400 % so với kỳ trước"
    assert _texts(reports["year"]) == "không có số liệu so sánh (so với cùng kỳ năm trước)"
    assert "05/01/2026" in reports["year"].title  # the history's first day, in the hover text
    # 3 of 5 dark against 1 of 1: −40 points, and fewer dark is better (direction "lower"): green
    dark = _lines(tiles["lights_dark_share"])["previous"]
    assert (getattr(dark, "data-change"), getattr(dark, "data-tone")) == ("-40.0", "good")
    assert _texts(dark) == "▼ 40,0 điểm so với kỳ trước"
    # 15 lamps against 1: +1 400 %
    assert getattr(_lines(tiles["lights_lamps"])["previous"], "data-change") == "1400.0"
    # the latest value and the change KPI are not compared by period: one line saying why
    assert _texts(_lines(tiles["lights_last_lamps"])["snapshot"]) == "giá trị mới nhất, không so sánh theo kỳ"
    assert _texts(_lines(tiles["lights_reports_change"])["snapshot"]) == "đã là mức thay đổi so với kỳ trước"
    assert not any("cmp-provisional" in str(getattr(c, "className", "")) for c in _walk(list(tiles.values())))


def test_at_the_history_edge_every_tile_says_no_comparison(app: dash.Dash) -> None:
    # January 2026: the previous period (1–31 December 2025) starts before the history (5 January)
    tiles = _tiles(app, "2026-01-01", "2026-01-31", "en")
    for key in ("lights_reports", "lights_dark_share", "lights_lamps", "lights_median_fix", "lights_per_day"):
        lines = _lines(tiles[key])
        assert [_texts(lines[w]) for w in ("previous", "year")] == [
            "no comparison (vs previous period)", "no comparison (vs same period last year)"], key
        assert {getattr(lines[w], "data-tone") for w in lines} == {"none"}


def test_the_unit_table_and_the_ranking_carry_the_change_of_the_ranking_kpi(app: dash.Dash) -> None:
    with reader(app):
        rows, note, ranking, _ranking_note = body(app, "sys-lights-units.rowData")(
            "2026-03-01", "2026-03-31", None, None, None, 1, "vi")
    by_unit = {r["unit_code"]: r for r in rows}
    centre = next(code for code, r in by_unit.items() if r["reports_raw"] == 3)
    nowhere = next(code for code, r in by_unit.items() if r["reports_raw"] == 2)
    # the centre had no report in February: from 0; the reports placed nowhere 2 against 1: +100 %
    assert (by_unit[centre]["change"], by_unit[centre]["change_raw"]) == ("▲ từ 0", None)
    assert (by_unit[nowhere]["change"], by_unit[nowhere]["change_raw"]) == ("▲ 100 %", 100.0)
    assert "Báo hỏng so với kỳ trước (29/01/2026 – 28/02/2026)" in note
    items = [li for li in _walk(ranking) if getattr(li, "className", "").startswith("sys-rank-item")]
    assert [li.className for li in items] == ["sys-rank-item sys-rank-cmp"] * 2
    assert [getattr(c, "data-change") for li in items for c in li.children if "sys-rank-change" in
            str(getattr(c, "className", ""))] == ["", "100.0"]  # centre first (3 reports), then +100 %


def test_the_unit_table_at_the_history_edge_has_no_change(app: dash.Dash) -> None:
    with reader(app):
        rows, note, _ranking, _ranking_note = body(app, "sys-lights-units.rowData")(
            "2026-01-01", "2026-01-31", None, None, None, 1, "en")
    assert [(r["reports_raw"], r["change"], r["change_raw"], r["change_tone"]) for r in rows] == [
        (1.0, "–", None, "none")]
    assert "No comparison for Reports: the previous period 01/12/2025 – 31/12/2025 lies before the data starts" \
        in note


def test_history_starts_per_indicator_and_the_previous_published_rank(engine, tmp_path: Path) -> None:  # noqa: ANN001
    spec = _indicator_spec(tmp_path)
    rows = [_value("pci", "2021", 62.0, 15), _value("pci", "2022", 64.0, 12), _value("pci", "2023", 66.5, 9),
            _value("revenue", "2023-Q3", 2000.0), _value("revenue", "2023-Q4", 2500.0)]
    assert ingest(spec, engine, "published.csv", rows, TZ).inserted == 5
    starts = history_starts(engine, spec)
    # the quarterly revenue starts in July 2023: 2023 is not covered for it, though PCI goes back to 2021
    assert starts == {"pci": date(2021, 1, 1), "pci_rank": date(2021, 1, 1), "pci_change": date(2021, 1, 1),
                      "revenue": date(2023, 7, 1)}
    steps = rank_steps(engine, spec, Selection.of(filters_for(spec), Period(date(2023, 1, 1), date(2024, 1, 1))))
    assert (steps["pci_rank"].rank, steps["pci_rank"].period) == (9.0, "2023")
    assert (steps["pci_rank"].previous, steps["pci_rank"].previous_period) == (12.0, "2022")
    first = rank_steps(engine, spec, Selection.of(filters_for(spec), Period(date(2021, 1, 1), date(2022, 1, 1))))
    assert first["pci_rank"].rank == 15.0 and first["pci_rank"].previous is None  # nothing published before 2021


@pytest.fixture(scope="module")
def scores(ctx: Context, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An indicator spec (PCI yearly with its rank, revenue quarterly) in the same store."""
    spec = _indicator_spec(tmp_path_factory.mktemp("scores"))
    rows = [_value("pci", "2022", 64.0, 12), _value("pci", "2023", 66.5, 9),
            _value("revenue", "2023-Q3", 2000.0), _value("revenue", "2023-Q4", 2500.0)]
    assert ingest(spec, ctx.engine, "published.csv", rows, TZ).inserted == 4
    return spec


def _indicator_tiles(ctx: Context, spec: Any, monkeypatch: pytest.MonkeyPatch, first: str, last: str,
                     lang: str) -> dict[str, Any]:
    monkeypatch.setattr(systems_data, "spec_of", lambda code: spec if code == spec.code else None)
    dash_app = dash.Dash(__name__)
    page_callbacks.register(spec.code, dash_app, ctx)
    with reader(dash_app):
        tiles, _note = body(dash_app, f"sys-{spec.code}-tiles.children")(first, last, 1, lang)
    return {getattr(t, "data-kpi"): t for t in tiles}


def test_indicator_tiles_compare_ranks_with_the_previous_edition_and_sums_by_period(
        ctx: Context, scores: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tiles = _indicator_tiles(ctx, scores, monkeypatch, "2023-10-01", "2023-12-31", "vi")
    # the last quarter of 2023: revenue 2,500 against the third quarter's 2,000, its first stored
    revenue = _lines(tiles["scores_revenue"])
    assert getattr(revenue["previous"], "data-change") == "25.0"
    assert _texts(revenue["year"]) == "không có số liệu so sánh (so với cùng kỳ năm trước)"
    # no PCI published for a period starting in the quarter: no rank, no line under its dash
    assert getattr(tiles["scores_pci_rank"], "data-value") == "" and _lines(tiles["scores_pci_rank"]) == {}
    # the whole of 2023 holds the revenue's first quarters: its previous year is not covered
    year = _indicator_tiles(ctx, scores, monkeypatch, "2023-01-01", "2023-12-31", "vi")
    assert _texts(_lines(year["scores_revenue"])["previous"]) == "không có số liệu so sánh (so với kỳ trước)"
    # the 2023 rank, 9th, against 12th in 2022: up 3 places, and a rank has fewer-is-better
    rank = _lines(year["scores_pci_rank"])["rank"]
    assert _texts(rank) == "▲ lên 3 bậc so với lần công bố trước (2022)"
    assert (getattr(rank, "data-change"), getattr(rank, "data-tone")) == ("-3.0", "good")
    assert _texts(_lines(year["scores_pci"])["snapshot"]) == "giá trị mới nhất, không so sánh theo kỳ"
    # a range up to today runs, but a rank's step between editions is not provisional
    running = _indicator_tiles(ctx, scores, monkeypatch, "2023-01-01", str(local_today(ctx)), "en")
    assert _texts(_lines(running["scores_pci_rank"])["rank"]) == "▲ up 3 places on the previous edition (2022)"
    assert not [c for c in _walk(running["scores_pci_rank"]) if getattr(c, "className", "") == "cmp-provisional"]
    first = _indicator_tiles(ctx, scores, monkeypatch, "2022-01-01", "2022-12-31", "en")
    assert _texts(_lines(first["scores_pci_rank"])["rank"]) == "no earlier published rank to compare"


def test_the_unit_csv_carries_the_change_column_as_the_table(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(systems_data, "spec_of", lambda code: LIGHTS if code == "lights" else None)
    sel = Selection.of(filters_for(LIGHTS), Period(date(2026, 3, 1), date(2026, 4, 1)))
    frame, _name = systems_data.export(ctx, LIGHTS, "ranking", sel, "en")
    assert list(frame.columns)[-1] == "Reports: vs previous period"
    # centre: from 0 (no ratio, empty), then the reports placed nowhere: +100 %
    assert frame["Reports"].tolist() == [3, 2]
    assert [None if pd.isna(v) else v for v in frame["Reports: vs previous period"]] == [None, 100.0]


def test_a_running_period_is_compared_with_as_many_days_and_marked_provisional(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite'}"}))
    today = local_today(context)

    def day(n: int) -> str:
        return f"{today + timedelta(days=n)} 00:30"

    # the 7 days from 2 days ago, 3 of them elapsed (today included): compared with the first 3
    # of the 7 days before (9 to 7 days ago), which hold one report; the one 4 days ago is left out
    rows = [_event("R-0", day(-30), "dark", "open", 1), _event("R-1", day(-8), "dark", "open", 1),
            _event("R-2", day(-4), "dark", "open", 1), _event("R-3", day(-1), "dark", "open", 1),
            _event("R-4", day(0), "flicker", "open", 1)]
    assert ingest(LIGHTS, context.engine, "lights.csv", _records(LIGHTS, rows), TZ).inserted == 5
    monkeypatch.setattr(systems_data, "spec_of", lambda code: LIGHTS if code == "lights" else None)
    dash_app = dash.Dash(__name__)
    page_callbacks.register("lights", dash_app, context)
    with reader(dash_app):
        tiles, _note = body(dash_app, "sys-lights-tiles.children")(
            str(today - timedelta(days=2)), str(today + timedelta(days=4)), None, None, None, 1, "en")
    by_key = {getattr(t, "data-kpi"): t for t in tiles}
    previous = _lines(by_key["lights_reports"])["previous"]
    assert getattr(previous, "data-change") == "100.0"  # 2 against 1
    assert str(today - timedelta(days=7)) not in previous.title  # the dates shown are dd/mm/yyyy
    assert (today - timedelta(days=7)).strftime("%d/%m/%Y") in previous.title  # …the cut part's last day
    notes = [c for c in _walk(by_key["lights_reports"]) if getattr(c, "className", "") == "cmp-provisional"]
    assert [_texts(n) for n in notes] == ["provisional (same days elapsed)"]
    # the latest value is not compared, so no provisional note under it
    assert not [c for c in _walk(by_key["lights_last_lamps"]) if getattr(c, "className", "") == "cmp-provisional"]
