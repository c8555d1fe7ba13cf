"""The print version of a chart (layouts/print_figure.py), without rendering: a light copy with
title, subtitle, source and the simulated mark, every mark readable on white, the caller's
figure untouched. Rendering to PNG: tests/integration/test_print_png.py."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from layouts.figures import CARD, TEXT, base_layout
from layouts.print_figure import (
    INK,
    PAPER,
    WarmRenderer,
    contrast_on_white,
    darkened,
    parse_colour,
    print_version,
)


def dark_chart() -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[1, 2, 3], y=[1, 3, 2], name="AQI", line=dict(color="#fbbf24"))  # amber: 1.7:1 on white
    fig.add_bar(x=[1, 2, 3], y=[3, 2, 1], marker=dict(color="#3b82f6", line=dict(color=CARD, width=2)),
                text=["a", "b", "c"], textposition="inside", textfont=dict(color="#ffffff"))
    fig.add_annotation(text="Mục tiêu", font=dict(color=TEXT), bgcolor=CARD, x=1, y=1, showarrow=False)
    return base_layout(fig, "vi")


def test_the_copy_is_light_titled_and_readable_and_the_original_untouched() -> None:
    fig = dark_chart()
    before = fig.to_json()
    printed = print_version(fig, title="Chất lượng không khí", subtitle="01/12/2026 – 03/12/2026 · VN_AQI",
                            source="OpenAQ", simulated=False, lang="vi", width=1200, height=600)
    assert fig.to_json() == before
    layout = printed.layout
    assert (layout.paper_bgcolor, layout.plot_bgcolor, layout.width, layout.height) == (PAPER, PAPER, 1200, 600)
    assert layout.template.layout.font.color == INK
    assert layout.title.text == "<b>Chất lượng không khí</b>"
    assert layout.title.subtitle.text == "01/12/2026 – 03/12/2026 · VN_AQI"
    texts = [a.text for a in layout.annotations]
    assert texts == ["Mục tiêu", "Nguồn: OpenAQ"]
    line, bar = printed.data
    assert contrast_on_white(*parse_colour(line.line.color)[:3]) >= 3.0
    red, _, blue, _ = parse_colour(line.line.color)
    assert line.line.color != "#fbbf24" and red > blue  # darker, still amber
    assert bar.marker.color == "#3b82f6"  # already 3.7:1: kept
    assert bar.marker.line.color == PAPER  # the gaps drawn in the card's colour
    assert bar.textfont.color == "#ffffff"  # text inside a bar is read against the bar
    note = layout.annotations[0]
    assert (note.font.color, note.bgcolor) == (INK, PAPER)


@pytest.mark.parametrize(("lang", "mark"), [("vi", "SỐ LIỆU MÔ PHỎNG"), ("en", "SIMULATED DATA")])
def test_simulated_data_is_marked_in_the_corner_and_across_the_plot(lang: str, mark: str) -> None:
    printed = print_version(dark_chart(), title="T", subtitle="S", source="simulator", simulated=True, lang=lang)
    marks = [a for a in printed.layout.annotations if a.text == f"<b>{mark}</b>"]
    assert len(marks) == 2
    assert {(a.x, a.xanchor) for a in marks} == {(1, "right"), (0.5, None)}
    assert (printed.layout.width, printed.layout.height) == (1600, 900)


def test_darkening_keeps_dark_colours_and_refuses_bad_sizes() -> None:
    assert darkened("#111827", 4.5) == "#111827"
    assert contrast_on_white(*parse_colour(darkened("rgba(230,237,245,0.5)", 4.5))[:3]) >= 4.5
    assert darkened("rgba(230,237,245,0.5)", 4.5).endswith(",0.5)")
    assert darkened("not a colour", 4.5) == "not a colour"
    with pytest.raises(ValueError, match="width 100 must be"):
        print_version(go.Figure(), title="T", subtitle="S", source="x", simulated=False, lang="vi", width=100)
    with pytest.raises(ValueError, match="lang 'de'"):
        print_version(go.Figure(), title="T", subtitle="S", source="x", simulated=False, lang="de")


def test_a_missing_browser_is_named_and_no_render_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    renderer = WarmRenderer()
    with pytest.raises(RuntimeError, match="no Chromium at '/nonexistent/chromium'.*set BROWSER_PATH"):
        renderer.render(go.Figure(), dict(format="png", width=300, height=200))
    renderer.close()
