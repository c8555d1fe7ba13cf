"""The fishing-vessels page's layout and callbacks on a store the vessels simulator filled (14
days, as ``python -m ioc simulate --family vessels --days 14``) plus a CAP flood warning in force
over Huế. The callbacks are called as registered (their Dash and access wrappers peeled off),
inside a request whose reader is set, so the role rule of issue #12 is tested as the server
applies it: operators see each vessel, viewers and wall screens the totals only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import dash
import flask
import pytest

from callbacks import vessels as page_callbacks
from callbacks.access import Principal
from ioc.access import Role
from ioc.cap import read_alert
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.runtime import backfill_source, simulator_sources
from ioc.store import vessels as store
from ioc.store import warnings as warnings_store
from ioc.store.db import utcnow
from layouts import vessels as view
from tests.cap_samples import cap_message
from tests.component_tree import body
from tests.component_tree import ids as _ids
from tests.component_tree import texts as _texts
from tests.component_tree import walk as _walk


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path: Path = tmp_path_factory.mktemp("vessels-page") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    [spec] = simulator_sources(context, "vessels")
    assert backfill_source(context, spec, 14, 2023) > 0
    sent = (utcnow() - timedelta(hours=1)).replace(microsecond=0, tzinfo=UTC)
    warnings_store.ingest(context.engine, "kttv-hue", [read_alert(cap_message("vs.flood", sent,
                                                                              expires=sent + timedelta(hours=7)))])
    return context


@pytest.fixture(scope="module")
def app(ctx: Context) -> dash.Dash:
    dash_app = dash.Dash(__name__)
    page_callbacks.register(dash_app, ctx)
    return dash_app


@contextmanager
def reader(app: dash.Dash, role: str) -> Iterator[None]:
    """A request whose reader has ``role`` (as callbacks.access resolves it from a session)."""
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        flask.g.ioc_principal = Principal(role, f"{role}-user", role, user_id=1)
        yield


def test_the_page_builds_in_both_languages_with_the_zone_and_no_vessel(ctx: Context) -> None:
    vi, en = page_callbacks.page(ctx, None), page_callbacks.page(ctx, "en")
    assert _ids(vi) == _ids(en)
    assert {"vs-tiles", "vs-map", "vs-markers", "vs-ports", "vs-track", "vs-grid", "vs-detail", "vs-privacy",
            "vs-version", "vs-selected", "vs-zone", "page-lang"} <= _ids(vi)
    assert "Giám sát tàu cá" in _texts(vi) and "Fishing vessel monitoring" in _texts(en)
    [zone] = [c for c in _walk(vi) if getattr(c, "id", None) == "vs-zone"]
    assert zone.positions[0][0] == [17.0, 107.0]  # the boundary's first point, as lat, lon
    [markers] = [c for c in _walk(vi) if getattr(c, "id", None) == "vs-markers"]
    assert markers.data == view.EMPTY_GEOJSON  # the layout holds no vessel: the callbacks decide per reader
    legend = [getattr(c, "data-state", None) for c in _walk(vi) if getattr(c, "className", None) == "legend-item"]
    assert legend[:4] == ["at_sea", "in_port", "silent_6h", "silent_10d"]
    bad = page_callbacks.page(ctx, None, lang="xx")
    [banner] = [c for c in _walk(bad) if getattr(c, "id", None) == "page-errors"]
    assert "lang=xx" in _texts(banner)


def test_an_operator_sees_every_vessel_on_the_map_and_in_the_table(ctx: Context, app: dash.Dash) -> None:
    with reader(app, Role.OPERATOR):
        (tiles, markers, ports, map_note, counts, privacy, privacy_hidden, rows, grid_note, table_hidden,
         detail_hidden, *_link) = body(app, "vs-tiles.children")("vessels:1,warnings:1", "vi", None, None)
    expected = page_callbacks.page_kpis(ctx)
    by_key = {getattr(tile, "data-kpi"): tile for tile in tiles}
    assert list(by_key) == ["at_sea", "silent_6h", "outside_zone", "at_sea_in_warning"]
    for key in by_key:
        assert getattr(by_key[key], "data-value") == repr(expected[key]), key
    # the flood warning is in force over the city: every vessel at sea is at sea during it
    assert expected["warnings_in_force"] == 1 and expected["at_sea_in_warning"] == expected["at_sea"] > 0
    assert "1 cảnh báo chính thức đang hiệu lực" in _texts(by_key["at_sea_in_warning"])
    latest = store.latest_positions(ctx.engine)
    assert len(rows) == len(markers["features"]) == len(latest) == expected["vessels"] == 180
    assert {r["id"] for r in rows} == set(latest["vessel_id"])
    assert (privacy_hidden, table_hidden, detail_hidden, privacy) == (True, False, False, "")
    assert map_note == "180 tàu có vị trí · Dữ liệu mô phỏng" and grid_note.startswith("180 tàu")
    states = {r["state"] for r in rows}
    assert {"at_sea", "in_port"} <= states
    silent = [r for r in rows if r["state"].startswith("silent")]
    assert len(silent) == expected["silent_6h"] and rows[:len(silent)] == silent  # the silent ones first
    assert sum(r["outside"] for r in rows) == expected["outside_zone"]
    assert sum(r["state"] == "in_port" for r in rows) == expected["in_port"]
    counted = {getattr(li, "data-state"): int(li.children[2].children) for li in counts.children}
    assert counted["in_port"] == expected["in_port"] and counted["outside"] == expected["outside_zone"]
    in_ports = sum(int(_texts(p).split(": ")[1].split()[0]) for p in ports)
    assert in_ports == expected["in_port"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.WALL])
def test_viewers_and_wall_screens_see_totals_only(ctx: Context, app: dash.Dash, role: str) -> None:
    with reader(app, Role.OPERATOR):
        operator = body(app, "vs-tiles.children")("vessels:1,warnings:1", "en", None, None)
    with reader(app, role):
        (tiles, markers, ports, map_note, counts, privacy, privacy_hidden, rows, grid_note, table_hidden,
         detail_hidden, *_link) = body(app, "vs-tiles.children")("vessels:1,warnings:1", "en", None, None)
        track, detail = body(app, "vs-track.children")(operator[7][0]["id"], "vessels:1,warnings:1", "en")
        viewport = body(app, "vs-map.viewport")(operator[7][0]["id"])
    assert markers == view.EMPTY_GEOJSON and rows == [] and track == [] and viewport is dash.no_update
    assert (privacy_hidden, table_hidden, detail_hidden, grid_note) == (False, True, True, "")
    assert "personal and commercial data" in privacy and "personal and commercial data" in _texts(detail)
    assert operator[7][0]["id"] not in _texts(detail) + map_note + _texts(ports) + _texts(counts)
    # the same totals as the operator's
    assert [getattr(t, "data-value") for t in tiles] == [getattr(t, "data-value") for t in operator[0]]
    assert _texts(counts) == _texts(operator[4]) and _texts(ports) == _texts(operator[2])
    assert map_note == "180 vessels with a position (totals only) · Simulated data"


def test_a_click_or_a_row_selects_a_vessel_and_nothing_else_does() -> None:
    feature = {"type": "Feature", "properties": {"id": "TTH-90001-TS", "state": "at_sea"}}
    assert page_callbacks.chosen_vessel(view.MARKERS, feature, None) == "TTH-90001-TS"
    assert page_callbacks.chosen_vessel(view.GRID, None, [{"id": "TTH-90002-TS"}]) == "TTH-90002-TS"
    assert page_callbacks.chosen_vessel(view.GRID, feature, []) is None
    assert page_callbacks.chosen_vessel(view.MARKERS, {"properties": "x"}, None) is None
    assert page_callbacks.chosen_vessel(view.MARKERS, {"properties": {"id": 5}}, None) is None
    assert page_callbacks.chosen_vessel("other", feature, [{"id": "TTH-90002-TS"}]) is None
    assert page_callbacks.chosen_vessel(view.GRID, None, [{"id": "X" * 500}]) == "X" * 32


def test_an_operator_sees_the_selected_vessels_three_day_track(ctx: Context, app: dash.Dash) -> None:
    with reader(app, Role.OPERATOR):
        rows = body(app, "vs-tiles.children")("v", "vi", None, None)[7]
        at_sea = next(r for r in rows if r["state"] == "at_sea")
        track, detail = body(app, "vs-track.children")(at_sea["id"], "v", "vi")
        nothing, hint = body(app, "vs-track.children")(None, "v", "vi")
        unknown, note = body(app, "vs-track.children")("TTH-NONE", "v", "vi")
        viewport = body(app, "vs-map.viewport")(at_sea["id"])
        stay = body(app, "vs-map.viewport")("TTH-NONE")
    now = utcnow()
    stored = store.track(ctx.engine, at_sea["id"], now - timedelta(days=3), now + timedelta(seconds=1))
    [line] = [c for c in track if type(c).__name__ == "Polyline"]
    assert line.positions == [[r.lat, r.lon] for r in stored] and len(stored) > 10
    [ring] = [c for c in track if getattr(c, "className", "") == "vs-selected-ring"]
    assert ring.center == [at_sea["lat"], at_sea["lon"]]
    shown = _texts(detail)
    assert at_sea["id"] in shown and at_sea["name"] in shown and f"{len(stored)} báo cáo" in shown
    assert getattr(detail, "data-vessel") == at_sea["id"]
    assert nothing == [] and "Chọn một tàu" in _texts(hint)
    assert unknown == [] and "TTH-NONE" in _texts(note)
    assert viewport == {"center": [at_sea["lat"], at_sea["lon"]], "zoom": view.FOCUS_ZOOM, "transition": "flyTo"}
    assert stay is dash.no_update


def test_the_overview_summary_gives_the_declared_tiles(ctx: Context) -> None:
    tiles, note = page_callbacks.summary(ctx, "vi", ("at_sea", "silent_6h", "outside_zone", "at_sea_in_warning"))
    assert [getattr(t, "data-kpi") for t in tiles] == ["at_sea", "silent_6h", "outside_zone", "at_sea_in_warning"]
    assert note.startswith("180 tàu đăng ký") and note.endswith("Dữ liệu mô phỏng")
    assert [getattr(t, "data-kpi") for t in view.tile_placeholders(("silent_6h",), "en")] == ["silent_6h"]


# --- a link to a vessel: ?vessel=<registration> -----------------------------------------------

LINKED_VESSEL = "TTH-90012-TS"  # the simulator's fleet is TTH-90000-TS … TTH-90179-TS


def store_data(layout: Any, store_id: str) -> Any:
    [store] = [c for c in _walk(layout) if getattr(c, "id", None) == store_id]
    return getattr(store, "data", None)


def banner_of(layout: Any) -> Any:
    [banner] = [c for c in _walk(layout) if getattr(c, "id", None) == "page-errors"]
    return banner


def as_sent_back(banner: Any) -> list[dict[str, Any]] | None:
    """The banner's children as the browser sends them back in a callback's State."""
    children = getattr(banner, "children", None)
    return [c.to_plotly_json() for c in children] if isinstance(children, list) else children


def test_the_layout_keeps_the_registration_a_link_names_and_names_one_no_registration_can_be(ctx: Context) -> None:
    good = page_callbacks.page(ctx, None, vessel=f" {LINKED_VESSEL} ")
    assert store_data(good, view.LINK) == LINKED_VESSEL and store_data(good, view.LINKED) is None
    assert banner_of(good).className == "banner-hidden"
    assert {view.URL, view.LINK, view.LINKED} <= _ids(good)
    bad = page_callbacks.page(ctx, "en", vessel="X" * 40)
    assert store_data(bad, view.LINK) is None
    assert _texts(banner_of(bad)).startswith("Ignored vessel=XXXXXXXX") and "not a vessel registration" in _texts(bad)
    both = page_callbacks.page(ctx, "en", vessel="\u0007", lang="xx")  # each bad parameter on its own line
    assert [_texts(line) for line in banner_of(both).children] == [
        "Ignored vessel=: not a vessel registration (at most 32 characters, no control characters). "
        "Using: no vessel selected.",
        "Ignored lang=xx: not a known value. Using: en."]


def fleet_link(app: dash.Dash, role: str, link: Any, banner: Any = None, lang: str = "en") -> tuple[Any, ...]:
    """The fleet callback's last five outputs (link, linked, banner children, class, role) for
    a reader with ``role`` whose page holds ``link``; and its rows."""
    with reader(app, role):
        out = body(app, "vs-tiles.children")("vessels:1,warnings:1", lang, link, banner)
    return out[-5:], out[7]


def test_an_operator_opening_a_link_gets_that_vessel_selected_as_a_click_would(ctx: Context, app: dash.Dash) -> None:
    (link, linked, *banner), rows = fleet_link(app, Role.OPERATOR, LINKED_VESSEL)
    assert (link, linked, banner) == (None, LINKED_VESSEL, [dash.no_update] * 3)  # applied once, then emptied
    row = next(r for r in rows if r["id"] == LINKED_VESSEL)
    with reader(app, Role.OPERATOR):
        chosen = page_callbacks.choose(view.LINKED, None, None, linked, None, "?lang=vi")
        clicked = page_callbacks.choose(view.MARKERS, {"properties": {"id": LINKED_VESSEL}}, None, None,
                                        LINKED_VESSEL, "?lang=vi")  # clicked again: selected again (the map flies)
        from_table = page_callbacks.choose(view.GRID, None, [{"id": LINKED_VESSEL}], None, None,
                                           "?vessel=TTH-90001-TS")
        echoed = page_callbacks.choose(view.GRID, None, [{"id": LINKED_VESSEL}], None, LINKED_VESSEL, "?lang=vi")
        track, detail = body(app, "vs-track.children")(linked, "v", "vi")
        viewport = body(app, "vs-map.viewport")(linked)
    # the link selects it as a click on the map does: the vessel, its row, the address
    assert chosen == clicked == (LINKED_VESSEL, {"ids": [LINKED_VESSEL]}, f"?lang=vi&vessel={LINKED_VESSEL}")
    # a row clicked in the table is selected already: only the vessel and the address change
    assert from_table == (LINKED_VESSEL, dash.no_update, f"?vessel={LINKED_VESSEL}")
    # the grid reporting the selection the page made changes nothing
    assert echoed == (dash.no_update,) * 3
    assert getattr(detail, "data-vessel") == LINKED_VESSEL
    [ring] = [c for c in track if getattr(c, "className", "") == "vs-selected-ring"]
    assert ring.center == [row["lat"], row["lon"]]
    assert viewport == {"center": [row["lat"], row["lon"]], "zoom": view.FOCUS_ZOOM, "transition": "flyTo"}


def test_without_a_link_the_fleet_leaves_the_selection_and_the_banner_alone(app: dash.Dash) -> None:
    (link, linked, *banner), _rows = fleet_link(app, Role.OPERATOR, None)
    assert [link, linked, *banner] == [dash.no_update] * 5


def test_a_link_to_a_vessel_not_in_the_fleet_is_named_beside_the_pages_other_problems(ctx: Context,
                                                                                      app: dash.Dash) -> None:
    shown = page_callbacks.page(ctx, "en", vessel="TTH-99999-TS", lang="xx")
    (link, linked, children, class_name, role), _rows = fleet_link(app, Role.OPERATOR, "TTH-99999-TS",
                                                                   as_sent_back(banner_of(shown)))
    assert (link, linked, class_name, role) == (None, dash.no_update, "banner banner-warn", "alert")
    assert [line.children for line in children] == [
        "Ignored lang=xx: not a known value. Using: en.",
        "Ignored vessel=TTH-99999-TS: no such registration. Using: no vessel selected."]
    (_l, _v, alone, _c, _r), _rows = fleet_link(app, Role.OPERATOR, "TTH-99999-TS", None, "vi")
    assert [line.children for line in alone] == [
        "Bỏ qua tham số vessel=TTH-99999-TS: không có số đăng ký này. Đang dùng: không chọn tàu nào."]
    # what the browser sends back as the banner is read for its lines only
    (_l, _v, junk, _c, _r), _rows = fleet_link(app, Role.OPERATOR, "TTH-99999-TS", [{"props": {"children": 7}}, "x"])
    assert len(junk) == 1


@pytest.mark.parametrize("role", [Role.VIEWER, Role.WALL])
def test_a_reader_who_may_not_see_vessels_gets_the_link_ignored_with_the_usual_note(app: dash.Dash, role: str) -> None:
    for name in (LINKED_VESSEL, "TTH-99999-TS"):  # known or not: nothing tells them which
        (link, linked, *banner), rows = fleet_link(app, role, name)
        assert (link, linked, banner, rows) == (None, dash.no_update, [dash.no_update] * 3, [])
    with reader(app, role):
        out = body(app, "vs-tiles.children")("vessels:1,warnings:1", "en", LINKED_VESSEL, None)
        chosen = page_callbacks.choose(view.LINKED, None, None, LINKED_VESSEL, None, "?lang=en")
    assert "personal and commercial data" in out[5] and out[6] is False  # the privacy note, shown
    assert chosen == (dash.no_update,) * 3  # a forged request selects nothing and writes no address


def test_the_link_follows_the_registration_rules_whatever_the_browser_sends_back() -> None:
    rows = [{"id": LINKED_VESSEL}]
    assert page_callbacks.follow_link(LINKED_VESSEL, rows, True) == (LINKED_VESSEL, None)
    assert page_callbacks.follow_link(None, rows, True) == (None, None)
    for junk in (7, ["TTH-90012-TS"], {"a": 1}, ""):
        assert page_callbacks.follow_link(junk, rows, True) == (None, None)
    vessel, problem = page_callbacks.follow_link("Q" * 50, rows, True)
    assert vessel is None and problem.reason == "vs_reason_registration"
    assert page_callbacks.follow_link("Q" * 50, rows, False) == (None, None)
    assert page_callbacks.chosen_vessel(view.LINKED, None, None, LINKED_VESSEL) == LINKED_VESSEL
    assert page_callbacks.chosen_vessel(view.LINKED, None, None, 12) is None
    assert page_callbacks.chosen_vessel(view.GRID, None, {"ids": [LINKED_VESSEL]}) is None  # the page's own selection
