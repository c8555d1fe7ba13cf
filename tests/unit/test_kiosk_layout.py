"""Kiosk layouts (layouts/kiosk.py): which parts of a page are marked as kept, strips or cells,
and the grid's tracks, on a page built like the family pages."""

from __future__ import annotations

import logging

import pytest
from dash import dcc, html

from ioc.registry import registry
from layouts.kiosk import MARK, arrange, grid_tracks
from tests.component_tree import walk


def _page() -> html.Div:
    """A family page: banner, badge, filters, tiles, a row of a map card and a chart card, a row
    of two chart cards, a table card."""
    return html.Div([
        dcc.Store(id="lang"),
        html.Div(id="page-errors", className="banner-hidden"),
        html.Span(className="fresh-badge page-fresh"),
        html.Div("filters", className="filter-bar"),
        html.Div([html.Div("tile", className="tile")], id="x-tiles", className="tiles tiles-2"),
        html.Div([
            html.Section([html.H2("map"), html.Div(html.Div(id="x-map"), className="map-wrap")], className="card map-card"),
            html.Section([html.H2("trend"), dcc.Graph(id="x-chart-trend")], className="card chart-card"),
        ], className="row row-main"),
        html.Div([
            html.Section(dcc.Graph(id="x-chart-a"), className="card chart-card"),
            html.Section(dcc.Graph(id="x-chart-b"), className="card chart-card"),
        ], className="row"),
        html.Section(html.Div(id="x-grid"), className="card grid-card"),
    ], className="page page-x")


def marks(page: html.Div) -> dict[str, str]:
    """``data-kiosk`` of every marked component, keyed by its id or its first class."""
    return {str(getattr(c, "id", None) or c.className.split()[0]): getattr(c, MARK)
            for c in walk(page) if hasattr(c, MARK)}


def test_the_kept_panels_are_the_cards_holding_the_named_components() -> None:
    page = arrange(_page(), ("x-tiles", "x-map", "x-chart-trend", "x-chart-b"), "Trang X")
    # the tiles' row runs across (a strip); each named chart or map keeps the card holding it (a
    # cell); the rows on the way give their place; the page is the grid
    assert marks(page) == {"page": "page", "x-tiles": "strip", "card": "cell", "row": "path"}
    cards = [c for c in walk(page) if isinstance(c, html.Section)]
    assert [getattr(c, MARK, None) for c in cards] == ["cell", "cell", None, "cell", None]
    rows = [c for c in walk(page) if "row" in str(getattr(c, "className", "")).split()]
    assert [getattr(r, MARK, None) for r in rows] == ["path", "path"]
    # three cells in a row under the title line and the tiles
    assert page.style == {"--kiosk-cols": "repeat(3, minmax(0, 1fr))",
                          "--kiosk-rows": "auto auto repeat(1, minmax(0, 1fr))"}
    # the title line comes first, shown in kiosk mode only (assets/wall.css)
    head = page.children[0]
    assert head.className == "kiosk-head" and head.children.children == "Trang X"


def test_a_card_holding_tiles_is_a_strip_and_a_status_line_too() -> None:
    page = html.Div([
        html.Section([html.H2("lead"), html.Div(id={"type": "tiles"}, className="tiles")], id="lead", className="card"),
        html.Div(id="stage", className="wall-stage"),
        html.Section(html.Div(id="list"), className="card"),
    ], className="page")
    arrange(page, ("lead", "stage", "list"), "Tổng quan")
    assert [getattr(c, MARK) for c in page.children[1:]] == ["strip", "strip", "cell"]
    assert page.style["--kiosk-rows"] == "auto auto auto repeat(1, minmax(0, 1fr))"


def test_a_name_the_page_lacks_is_logged_and_a_page_with_none_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="layouts.kiosk"):
        page = arrange(_page(), ("x-tiles", "x-nowhere"), "Trang X")
    assert "x-nowhere" in caplog.text
    assert marks(page) == {"page": "page", "x-tiles": "strip"}
    untouched = arrange(_page(), ("x-nowhere",), "Trang X")
    assert marks(untouched) == {} and untouched.children[0].id == "lang" and getattr(untouched, "style", None) is None


@pytest.mark.parametrize(("cells", "strips", "cols", "rows"), [
    (1, 1, 1, "auto auto repeat(1, minmax(0, 1fr))"),
    (3, 1, 3, "auto auto repeat(1, minmax(0, 1fr))"),
    (4, 1, 2, "auto auto repeat(2, minmax(0, 1fr))"),
    (5, 0, 3, "auto repeat(2, minmax(0, 1fr))"),
    (0, 2, 1, "auto auto auto"),
])
def test_grid_tracks(cells: int, strips: int, cols: int, rows: str) -> None:
    assert grid_tracks(cells, strips) == {"--kiosk-cols": f"repeat({cols}, minmax(0, 1fr))", "--kiosk-rows": rows}


def test_every_page_but_the_wall_the_audit_the_search_and_the_scorecard_declares_its_kiosk_panels() -> None:
    """A page without them would scroll on a wall (the browser suite opens each in kiosk mode).
    The audit (administrators only), the search (an interactive lookup) and the scorecard (a
    leader's review by month, quarter or year) are never on a wall."""
    reg = registry()
    owners = {p.name: f for f in reg.families for p in f.pages}
    missing = [p.name for p in reg.pages if p.name not in ("wall", "audit", "search", "scorecard")
               and not (p.kiosk_panels or (owners[p.name].kiosk_panels if p.name in owners else ()))]
    assert missing == []
