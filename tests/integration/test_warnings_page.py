"""The warnings page's layout and callbacks on a store the warnings simulator filled (400 days,
as ``python -m ioc simulate --family warnings --days 400``) plus CAP messages imported now: a
flood polygon over Huế and a circle in force, an exercise, a warning cancelled. The callbacks
are called as registered (their Dash and access wrappers peeled off), without a browser."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import dash
import pytest

from callbacks import warnings as page_callbacks
from callbacks.common import local_today
from ioc.cap import read_alert
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.kpi import warnings as kpis
from ioc.kpi.periods import Period
from ioc.runtime import backfill_source, simulator_sources
from ioc.store import warnings as store
from ioc.store.db import utcnow
from layouts import warnings as view
from tests.cap_samples import cap_message, reference
from tests.component_tree import body
from tests.component_tree import ids as _ids
from tests.component_tree import texts as _texts
from tests.component_tree import walk as _walk

SENDER = "kttv.hue.gov.vn"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path: Path = tmp_path_factory.mktemp("warnings-page") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    [spec] = simulator_sources(context, "warnings")
    assert backfill_source(context, spec, 400, 2023) > 0
    now = utcnow().replace(microsecond=0)
    sent = (now - timedelta(hours=1)).replace(tzinfo=UTC)
    messages = [
        cap_message("page.flood", sent, expires=sent + timedelta(hours=7), severity="Severe", urgency="Immediate"),
        cap_message("page.storm", sent - timedelta(minutes=5), expires=sent + timedelta(hours=7), severity="Extreme",
                    polygon=None, circle="16.46,107.59 15", event="Bão số 5", event_en="Typhoon no. 5",
                    area="Ven biển Huế"),
        cap_message("page.drill", sent - timedelta(minutes=10), expires=sent + timedelta(hours=7), status="Exercise",
                    event="Diễn tập sơ tán", event_en="Evacuation drill"),
        cap_message("page.old", sent - timedelta(hours=5), expires=sent + timedelta(hours=7), severity="Moderate",
                    event="Mưa lớn", event_en="Heavy rain", area="Thành phố Huế"),
        cap_message("page.old.cancel", sent - timedelta(hours=2), msg_type="Cancel",
                    references=reference("page.old", sent - timedelta(hours=5))),
    ]
    store.ingest(context.engine, "kttv-hue", [read_alert(m) for m in messages])
    return context


@pytest.fixture(scope="module")
def app(ctx: Context) -> dash.Dash:
    dash_app = dash.Dash(__name__)
    page_callbacks.register(dash_app, ctx)
    return dash_app


def _period(ctx: Context, days: int = 400) -> tuple[str, str, Period]:
    today = local_today(ctx)
    start = today - timedelta(days=days - 1)
    return start.isoformat(), today.isoformat(), Period(start, today + timedelta(days=1))


def test_the_page_builds_in_both_languages_with_the_period_bar(ctx: Context) -> None:
    vi, en = page_callbacks.page(ctx, None), page_callbacks.page(ctx, "en")
    assert _ids(vi) == _ids(en)
    assert {"wn-dates", "wn-preset", "wn-reset", "wn-tiles", "wn-map", "wn-map-areas", "wn-grid", "wn-in-force",
            "wn-detail", "wn-version", "page-lang"} <= _ids(vi)
    assert "Cảnh báo chính thức (CAP)" in _texts(vi) and "Official warnings (CAP)" in _texts(en)
    legend = [c for c in _walk(vi) if getattr(c, "className", None) == "legend-item"]
    assert [getattr(c, "data-severity", None) for c in legend][:5] == ["Extreme", "Severe", "Moderate", "Minor",
                                                                        "Unknown"]
    assert "Cực kỳ nguy hiểm" in _texts(vi) and "Extreme" in _texts(en)
    # the version store starts at the live versions: the panels do not run twice as the page appears
    [version] = [c for c in _walk(vi) if getattr(c, "id", None) == "wn-version"]
    assert version.data == view.version_key(ctx.notifier.versions())
    bad = page_callbacks.page(ctx, None, **{"from": "31/02/2026", "lang": "xx"})
    [banner] = [c for c in _walk(bad) if getattr(c, "id", None) == "page-errors"]
    assert len(banner.children) == 2 and "from=31/02/2026" in _texts(banner)


def test_tiles_map_and_list_show_the_warnings_in_force(ctx: Context, app: dash.Dash) -> None:
    start, last, period = _period(ctx)
    tiles, note, areas, empty, empty_hidden, map_note, listing = body(app, "wn-tiles.children")(start, last, "v", "vi")
    expected = kpis.family_kpis(ctx.engine, period, {}, ctx.tz, utcnow())
    by_key = {getattr(tile, "data-kpi"): tile for tile in tiles}
    assert list(by_key) == ["in_force", "worst_in_force", "issued", "cancelled"]
    assert getattr(by_key["in_force"], "data-value") == repr(expected["in_force"]) and expected["in_force"] >= 2
    assert getattr(by_key["issued"], "data-value") == repr(expected["issued"])
    assert getattr(by_key["cancelled"], "data-value") == repr(expected["cancelled"]) and expected["cancelled"] >= 1
    # the storm (Extreme, Expected) is the worst: level critical, stage 4 red, named in text
    assert getattr(by_key["worst_in_force"], "data-value") == "'Extreme'"
    assert "Bão số 5" in _texts(by_key["worst_in_force"]) and "Ven biển Huế" in _texts(by_key["worst_in_force"])
    assert "Cấp 4 · Báo động" in _texts(by_key["in_force"])
    assert by_key["in_force"].style == {"borderLeftColor": "#C62828"}
    assert note == f"{_period(ctx)[2].start:%d/%m/%Y} – {local_today(ctx):%d/%m/%Y}"
    # map: the flood polygon over Huế, the storm's 15 km circle, the drill dashed; no "none" note
    polygons = {a.id: a for a in areas if type(a).__name__ == "Polygon"}
    circles = [a for a in areas if type(a).__name__ == "Circle"]
    assert any(p.positions[0] == [16.8, 107.2] and p.color == "#F57C00" for p in polygons.values())
    assert [(c.center, c.radius, c.color) for c in circles if c.radius == 15000.0] == [([16.46, 107.59], 15000.0,
                                                                                          "#C62828")]
    assert any(getattr(p, "dashArray", None) for p in polygons.values())  # the exercise
    assert areas[-1] is circles[-1]  # the most severe is drawn last, on top
    popup = _texts(circles[-1])
    for text in ("Bão số 5", "Cực kỳ nguy hiểm", "Sắp xảy ra", "Nhiều khả năng",
                 "Hết hiệu lực"):
        assert text in popup, (text, popup)
    assert empty_hidden is True and "đang hiệu lực" in map_note
    shown = _texts(listing)
    assert "Bão số 5" in shown and "Diễn tập" in shown and "Mưa lớn" not in shown  # the cancelled one is gone


def test_the_table_lists_the_period_newest_first_with_what_ended_each(ctx: Context, app: dash.Dash) -> None:
    start, last, period = _period(ctx)
    rows, note = body(app, "wn-grid.rowData")(start, last, "v", "en")
    utc_start, utc_end = period.utc_bounds(ctx.tz)
    stored = store.warnings_between(ctx.engine, utc_start, utc_end, limit=10_000)
    assert len(rows) == len(stored) > 20 and note.startswith(f"{len(rows)} messages")
    assert [r["sent_sort"] for r in rows] == sorted((r["sent_sort"] for r in rows), reverse=True)
    by_id = {r["identifier"]: r for r in rows}
    old = by_id["page.old"]
    assert old["ended_kind"] == "cancel" and old["ended"].startswith("Cancelled at ") and not old["in_force"]
    assert by_id["page.old.cancel"]["type_label"] == "Cancel"
    drill = by_id["page.drill"]
    assert (drill["status_label"], drill["exercise"], drill["event"]) == ("Exercise", True, "Evacuation drill")
    flood = by_id["page.flood"]
    assert (flood["severity_label"], flood["urgency_label"], flood["certainty_label"], flood["city_label"]) == (
        "Severe", "Immediate", "Likely", "Yes")
    assert flood["source_label"] == SENDER and not flood["simulated"] and flood["in_force"]
    simulated = [r for r in rows if r["sender"] == "mo-phong.ioc.hue"]
    assert simulated and all(r["simulated"] and r["source_label"] == "SIMULATED" for r in simulated)
    updated = [r for r in simulated if r["ended_kind"] == "update"]
    assert updated and all(r["ended"].startswith("Updated at ") for r in updated)
    # a row selected: its whole text, as text
    detail = body(app, "wn-detail.children")([flood], "vi")
    assert "Water above alarm level" in _texts(detail) or "Mực nước vượt báo động" in _texts(detail)
    assert "kttv.hue.gov.vn · page.flood" in _texts(detail)
    assert "Chọn một tin" in _texts(body(app, "wn-detail.children")([], "vi"))


def test_summary_gives_the_overview_tiles_over_30_days(ctx: Context) -> None:
    tiles, note = page_callbacks.summary(ctx, "vi", ("in_force", "worst_in_force", "issued", "cancelled"))
    today = local_today(ctx)
    expected = kpis.family_kpis(ctx.engine, Period(today - timedelta(days=29), today + timedelta(days=1)), {},
                                ctx.tz, utcnow())
    assert [getattr(t, "data-kpi") for t in tiles] == ["in_force", "worst_in_force", "issued", "cancelled"]
    assert [getattr(t, "data-value") for t in tiles][2:] == [repr(expected["issued"]), repr(expected["cancelled"])]
    assert note == f"30 ngày qua · {expected['issued']} cảnh báo đã phát"


def test_without_a_warning_in_force_the_map_says_so(tmp_path: Path) -> None:
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}))
    sent = (utcnow() - timedelta(days=2)).replace(tzinfo=UTC)
    store.ingest(context.engine, "kttv-hue", [read_alert(cap_message("gone", sent, expires=sent + timedelta(hours=6)))])
    dash_app = dash.Dash(__name__)
    page_callbacks.register(dash_app, context)
    start, last, _ = _period(context, 7)
    tiles, _note, areas, empty, hidden, map_note, listing = body(dash_app, "wn-tiles.children")(start, last, None, "en")
    assert areas == [] and (empty, hidden, map_note) == ("No warning in force", False, "No warning in force")
    assert _texts(listing) == "No warning in force"
    in_force = tiles[0]
    assert (getattr(in_force, "data-value"), getattr(in_force, "data-state")) == ("0", "good")
    assert getattr(tiles[1], "data-state") == "none" and getattr(tiles[2], "data-value") == "1"
    rows, _ = body(dash_app, "wn-grid.rowData")(start, last, None, "en")
    assert [r["identifier"] for r in rows] == ["gone"] and not rows[0]["in_force"]


def test_the_english_page_shows_the_english_description_and_instruction(tmp_path: Path) -> None:
    """A message with an English info: its English description and instruction on the English
    page (table, detail, list in force), its Vietnamese ones on the Vietnamese page; a message
    without one: its Vietnamese texts on the English page, marked as such."""
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'en.sqlite'}"}))
    sent = (utcnow() - timedelta(hours=1)).replace(microsecond=0, tzinfo=UTC)
    store.ingest(context.engine, "kttv-hue", [read_alert(m) for m in (
        cap_message("en.flood", sent, expires=sent + timedelta(hours=6),
                    description="Mực nước sông Hương tại Kim Long vượt báo động II và đang lên.",
                    description_en="The Hương river at Kim Long is above alarm level II and rising.",
                    instruction="Người dân vùng trũng ven sông chủ động sơ tán.",
                    instruction_en="Residents of low-lying riverside areas should evacuate."),
        cap_message("vi.rain", sent - timedelta(minutes=5), expires=sent + timedelta(hours=6), english=False,
                    event="Mưa lớn", description="Mưa to đến rất to.", instruction="Đề phòng ngập úng."))])
    dash_app = dash.Dash(__name__)
    page_callbacks.register(dash_app, context)
    start, last, _ = _period(context, 7)

    rows, _ = body(dash_app, "wn-grid.rowData")(start, last, None, "en")
    by_id = {r["identifier"]: r for r in rows}
    flood, rain = by_id["en.flood"], by_id["vi.rain"]
    assert (flood["event"], flood["description"], flood["instruction"]) == (
        "Flood on the Hương river", "The Hương river at Kim Long is above alarm level II and rising.",
        "Residents of low-lying riverside areas should evacuate.")
    assert (rain["event"], rain["description"], rain["description_lang"]) == ("Mưa lớn", "Mưa to đến rất to.", "vi")
    detail = body(dash_app, "wn-detail.children")([flood], "en")
    assert "The Hương river at Kim Long is above alarm level II and rising." in _texts(detail)
    assert "Mực nước" not in _texts(detail) and "In Vietnamese" not in _texts(detail)
    [text, _instruction] = [c for c in _walk(body(dash_app, "wn-detail.children")([rain], "en"))
                            if getattr(c, "className", None) == "wn-detail-text"]
    assert text.lang == "vi" and _texts(text.children[0]) == "In Vietnamese (the message has no English text):"
    assert text.children[1] == "Mưa to đến rất to."

    *_, listing = body(dash_app, "wn-tiles.children")(start, last, None, "en")
    listed = {getattr(item, "data-id"): [c for c in _walk(item) if getattr(c, "className", None) == "wn-if-text"]
              for item in listing.children}
    assert [(p.lang, p.children) for p in listed[str(flood["id"])]] == [
        ("en", ["Residents of low-lying riverside areas should evacuate."])]
    [vi_text] = listed[str(rain["id"])]
    assert vi_text.lang == "vi" and vi_text.children[1] == "Đề phòng ngập úng."

    vi_rows, _ = body(dash_app, "wn-grid.rowData")(start, last, None, "vi")
    vi_flood = next(r for r in vi_rows if r["identifier"] == "en.flood")
    assert (vi_flood["description"], vi_flood["instruction"], vi_flood["description_lang"]) == (
        "Mực nước sông Hương tại Kim Long vượt báo động II và đang lên.",
        "Người dân vùng trũng ven sông chủ động sơ tán.", "vi")
