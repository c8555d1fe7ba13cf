"""The Overview's family cards with a history long enough to compare (issue 16): each KPI tile
says its change against the same 12 months a year before, worked out from the same KPI function
over that earlier period, with the tone of the KPI's direction and the running period's note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callbacks import summaries
from callbacks.common import local_today
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.kpi.compare import baselines
from ioc.kpi.feedback import FeedbackFilter, feedback_kpis, first_received
from ioc.kpi.periods import default_period
from ioc.runtime import backfill_source, simulator_sources
from ioc.store.db import utcnow
from tests.component_tree import texts, walk


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """Two years and a month of simulated field feedback on a new SQLite store."""
    path: Path = tmp_path_factory.mktemp("overview-compare") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    [spec] = simulator_sources(context, "feedback")
    assert backfill_source(context, spec, 2 * 365 + 30, 2024) > 10_000
    return context


def _lines(tile: Any) -> list[Any]:
    return [c for c in walk(tile) if "cmp-line" in (getattr(c, "className", None) or "")]


def _tiles(ctx: Context, lang: str) -> dict[str, Any]:
    card, _note = summaries.cached_summary(ctx, "feedback", lang)
    return {getattr(tile, "data-kpi"): tile for tile in card}


def test_the_feedback_card_gives_each_kpi_its_change_against_a_year_before(ctx: Context) -> None:
    today = local_today(ctx)
    period = default_period(today)
    bases = baselines(period, today, first_received(ctx.engine))
    assert bases.year_covered and bases.provisional  # the last 12 months hold today
    now = feedback_kpis(ctx.engine, FeedbackFilter(period), ctx.tz, utcnow())
    before = feedback_kpis(ctx.engine, FeedbackFilter(bases.year_before), ctx.tz, utcnow())
    assert before.received > 1_000

    tiles = _tiles(ctx, "vi")
    [received] = _lines(tiles["received"])
    [satisfied] = _lines(tiles["satisfaction_rate"])
    assert getattr(received, "data-cmp") == getattr(satisfied, "data-cmp") == "year"
    # a count: the relative change, in percent; a rate: the difference, in points
    assert float(getattr(received, "data-change")) == pytest.approx(
        round((now.received - before.received) / before.received * 100, 2))
    points = round((now.satisfaction_rate - before.satisfaction_rate) * 100, 2)
    assert float(getattr(satisfied, "data-change")) == pytest.approx(points)
    # satisfaction: higher is better (green up, red down); reports received: neither
    shown_zero = round(abs(points), 1) == 0
    assert getattr(satisfied, "data-tone") == ("neutral" if shown_zero else "good" if points > 0 else "bad")
    assert getattr(received, "data-tone") == "neutral"
    assert "so với cùng kỳ năm trước" in texts(satisfied) and "điểm" in texts(satisfied)
    # the previous period (the same 12 months) is not said a second time
    assert all(len(_lines(tile)) <= 1 for tile in tiles.values())
    # the reports overdue now are a count at now: nothing to compare, and no line says so twice
    assert _lines(tiles["overdue"]) == []
    # today is still running: the tile says its comparison is provisional
    assert "tạm tính" in texts(tiles["received"])


def test_the_card_compares_in_english_and_the_wall_panel_does_not_compare(ctx: Context) -> None:
    [received] = _lines(_tiles(ctx, "en")["received"])
    assert "vs same period last year" in texts(received)
    panel, _note = summaries.cached_summary(ctx, "feedback", "en", wall=True)
    assert panel and not [line for tile in panel for line in _lines(tile)]


def test_the_cards_fewer_kpis_do_not_leave_the_page_without_comparisons(ctx: Context) -> None:
    # the card asks the year before for 4 KPIs; the page, asking for its 8 afterwards in the same
    # data version, must not be served the card's 4 (every other tile would read "no comparison")
    from callbacks.feedback_data import tile_comparisons
    from layouts.feedback import TILE_KEYS
    from layouts.shaping import feedback_tiles

    summaries.cached_summary(ctx, "feedback", "en")
    query = FeedbackFilter(default_period(local_today(ctx)))
    specs = feedback_tiles(feedback_kpis(ctx.engine, query, ctx.tz, utcnow()), ctx.settings, "en", TILE_KEYS)
    cmp = tile_comparisons(ctx, query, "en", specs)
    compared = {key for key, lines in cmp.lines.items() if all(line.value is not None for line in lines)}
    assert compared == {s.key for s in specs} - {"overdue"}, cmp.lines
