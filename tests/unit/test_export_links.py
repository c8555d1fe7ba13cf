"""The addresses of the pages' export links (callbacks.export_links), from the page's URL query,
its language and its view settings, and the links a layout draws (layouts.components)."""

from __future__ import annotations

from typing import Any

import pytest

from callbacks.export_links import export_query, link_href
from callbacks.export_routes import Choice
from layouts import ids
from layouts.components import chart_card, chart_links, csv_button
from tests.component_tree import texts, walk

AREA = Choice("area", ("commune", "district"), "commune")
PANELS = ("trend", "category", "overdue")
CHARTS = ("trend", "category")


def test_the_query_is_the_pages_own_with_its_language_last() -> None:
    assert export_query("?from=2026-11-01&to=2026-11-30&district=19753&lang=vi", "en") == (
        "from=2026-11-01&to=2026-11-30&district=19753&lang=en")
    assert export_query("?category=a&category=b", "vi") == "category=a&category=b&lang=vi"  # repeated values kept
    assert export_query("", "vi") == export_query(None, "vi") == "lang=vi"
    assert export_query("?q=Huế &x=a%26b", "en") == "q=Hu%E1%BA%BF+&x=a%26b&lang=en"  # encoded again, not injected


def test_a_view_setting_comes_from_its_control_not_from_the_url() -> None:
    assert export_query("?from=2026-11-01&area=commune", "en", {AREA: "district"}) == (
        "from=2026-11-01&area=district&lang=en")
    # a value its choice does not know is left out (the route would refuse the file)
    assert export_query("?area=district", "en", {AREA: "province"}) == "lang=en"
    assert export_query("?area=district", "en", {AREA: ["district"]}) == "lang=en"


@pytest.mark.parametrize(("link", "expected"), [
    (ids.export_link("trend", "csv"), "/export/feedback/trend.csv?lang=en"),
    (ids.export_link("trend", "png"), "/export/feedback/trend.png?lang=en"),
    (ids.export_link("overdue", "xlsx"), "/export/feedback/overdue.xlsx?lang=en"),
    (ids.export_link("overdue", "png"), None),  # a list, not a chart
    (ids.export_link("nothing", "csv"), None),
    (ids.export_link("trend", "pdf"), None),
    ({"type": ids.CSV_BUTTON, "chart": ["trend"], "format": "csv"}, None),
    ({"type": ids.CSV_BUTTON, "chart": "trend"}, None),
    ("trend", None),
    (None, None),
])
def test_a_link_points_at_its_panel_in_its_format(link: Any, expected: str | None) -> None:
    assert link_href("/export/feedback/", link, "lang=en", PANELS, CHARTS) == expected


def test_a_panel_key_is_quoted_into_the_path() -> None:
    assert link_href("/export/p/", ids.export_link("a/b?c", "csv"), "lang=vi", ("a/b?c",), ()) == (
        "/export/p/a%2Fb%3Fc.csv?lang=vi")


def _links(component: Any) -> list[Any]:
    return [c for c in walk(component) if isinstance(getattr(c, "id", None), dict) and "format" in c.id]


def test_a_chart_card_links_its_csv_png_and_xlsx_and_a_list_its_csv() -> None:
    card = chart_card("trend", "Xu hướng", "vi", "phan-anh_xu-huong", button_type=ids.TR_CSV_BUTTON)
    links = _links(card)
    assert [link.id for link in links] == [ids.export_link("trend", fmt, ids.TR_CSV_BUTTON) for fmt in ("csv", "png", "xlsx")]
    assert all(link.download == "" and "btn" in link.className.split() for link in links)
    assert links[0].className == "btn btn-csv" and texts(links[0]) == "↓  CSV"
    assert [texts(link) for link in links[1:]] == ["PNG", "XLSX"]
    assert links[1].title == "Tải ảnh của biểu đồ (PNG, nền sáng để in)"
    assert chart_links("trend", "en")[2].title == "Download this chart's data (Excel XLSX)"
    assert [link.id["format"] for link in _links(csv_button("overdue", "en"))] == ["csv"]
