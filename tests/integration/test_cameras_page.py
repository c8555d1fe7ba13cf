"""The urban-cameras page's layout and callbacks, on two stores: one filled by ingest with a few
hand-made cameras, heartbeats and AI events (every figure worked out by hand), and one the
cameras simulator filled (7 days, as ``python -m ioc simulate --family cameras --days 7``).
The callbacks are called as registered (their Dash and access wrappers peeled off) inside a
request whose reader is a viewer: camera positions are not personal data, so a viewer sees the
map and every table."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import flask
import openpyxl
import pandas as pd
import pytest

from callbacks import cameras as page_callbacks
from callbacks.access import Principal
from ioc.access import Role
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.domain.cameras import Camera, CameraEvent, Heartbeat
from ioc.kpi import cameras as kpis
from ioc.runtime import backfill_source, simulator_sources
from ioc.store import cameras as store
from ioc.store.db import utcnow
from layouts import cameras as view
from layouts.export_cells import tidy_export
from layouts.xlsx import xlsx_bytes
from tests.component_tree import body
from tests.component_tree import ids as _ids
from tests.component_tree import texts as _texts
from tests.component_tree import walk as _walk

NBSP = "\u00a0"


def beats(code: str, first: Any, last: Any) -> list[Heartbeat]:
    """Heartbeats every 5 minutes from ``first`` to ``last`` (both included)."""
    out, at = [], first
    while at <= last:
        out.append(Heartbeat(code, at))
        at += timedelta(minutes=5)
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """T-1 (traffic) reporting every 5 minutes for 3 hours up to a minute ago; S-1 (security)
    from 3 h ago, silent 20 minutes at 2 h 30 ago, silent since 2 h ago; F-1 (flood) registered,
    never heard from; X-9 unknown to the registry, one heartbeat a minute ago (registered by it,
    with no position). Four AI events, two of them reviewed."""
    path: Path = tmp_path_factory.mktemp("cameras-made") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    now = utcnow().replace(microsecond=0)
    h3 = now - timedelta(hours=3)
    records: list[Any] = [
        Camera("T-1", "Ngã tư Lê Lợi – Hùng Vương", 16.4637, 107.5909, "traffic", kind="junction", road="Lê Lợi"),
        Camera("S-1", "Chợ Đông Ba (1)", 16.4720, 107.5870, "security"),
        Camera("F-1", "Kim Long (ngập)", 16.4660, 107.5530, "flood"),
        *beats("T-1", h3, now - timedelta(minutes=1)),
        *beats("S-1", h3, now - timedelta(hours=2, minutes=30)),
        *beats("S-1", now - timedelta(hours=2, minutes=10), now - timedelta(hours=2)),
        Heartbeat("X-9", now - timedelta(minutes=1)),
        CameraEvent("E1", "S-1", now - timedelta(hours=2, minutes=20), "gathering", 0.9),
        CameraEvent("E2", "T-1", now - timedelta(hours=1), "illegal_parking", 0.75, "confirmed"),
        CameraEvent("E3", "T-1", now - timedelta(minutes=30), "fire_smoke", 0.61, "false_alarm"),
        CameraEvent("E4", "F-1", now - timedelta(hours=2, minutes=50), "flooding", None),
    ]
    store.ingest(context.engine, "cameras-vms", records, context.tz)
    return context


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path: Path = tmp_path_factory.mktemp("cameras-sim") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    [spec] = simulator_sources(context, "cameras")
    assert backfill_source(context, spec, 7, 2023) > 0
    return context


def registered(ctx: Context) -> dash.Dash:
    dash_app = dash.Dash(__name__)
    page_callbacks.register(dash_app, ctx)
    return dash_app


@contextmanager
def reader(app: dash.Dash, role: str = Role.VIEWER) -> Iterator[None]:
    """A request whose reader has ``role`` (as callbacks.access resolves it from a session)."""
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        flask.g.ioc_principal = Principal(role, f"{role}-user", role, user_id=1)
        yield


def controls(ctx: Context, unit: str | None = None, purpose: str | None = None,
             events: list[str] | None = None) -> tuple:
    """The filter bar's values for the page's default period (the date picker's days)."""
    sel = page_callbacks.default_selection(ctx)
    return sel.start.isoformat(), sel.last_day.isoformat(), unit, purpose, events


# --------------------------------------------------------------------------- the hand-made store


def test_the_page_builds_in_both_languages_and_names_a_bad_parameter(made: Context) -> None:
    vi, en = page_callbacks.page(made, None), page_callbacks.page(made, "en")
    assert _ids(vi) == _ids(en)
    assert {"cam-tiles", "cam-map", "cam-markers", "cam-offline-grid", "cam-events-chart", "cam-events-grid",
            "cam-uptime-grid", "cam-version", "cam-preset", "cam-dates", "cam-unit", "cam-type", "cam-event",
            "cam-reset", "cam-url", "cam-period-note", "page-lang"} <= _ids(vi)
    assert "Camera đô thị" in _texts(vi) and "Urban cameras" in _texts(en)
    assert "{" not in _texts(vi) + _texts(en)  # every placeholder filled (the legend's 30 minutes)
    [markers] = [c for c in _walk(vi) if getattr(c, "id", None) == "cam-markers"]
    assert markers.data == view.EMPTY_GEOJSON  # the layout holds no camera: the callbacks fill it
    [preset] = [c for c in _walk(vi) if getattr(c, "id", None) == "cam-preset"]
    assert preset.value == "30"  # the page's default: the last 30 days
    legend = [getattr(c, "data-state", None) or getattr(c, "data-purpose", None) for c in _walk(en)
              if "legend-item" in str(getattr(c, "className", ""))]
    assert legend == ["online", "offline", "offline_30m", "never", "traffic", "security", "flood"]
    bad = page_callbacks.page(made, "en", type="drone", event=["fire_smoke", "ufo"])
    [banner] = [c for c in _walk(bad) if getattr(c, "id", None) == "page-errors"]
    assert "type=drone" in _texts(banner) and "event=ufo" in _texts(banner)
    [kinds] = [c for c in _walk(bad) if getattr(c, "id", None) == "cam-event"]
    assert kinds.value == ("fire_smoke",)


def test_tiles_count_the_cameras_now_and_the_events_of_the_period(made: Context) -> None:
    app = registered(made)
    with reader(app):
        tiles, period_note, unit_note = body(app, "cam-tiles.children")(*controls(made), 1, "vi")
    shown = {getattr(t, "data-kpi"): (getattr(t, "data-value"), getattr(t, "data-state"), _texts(t)) for t in tiles}
    assert list(shown) == ["online", "offline", "offline_30m", "uptime_pct", "events", "fire_smoke"]
    assert shown["online"][:2] == ("2", "bad")  # T-1 and X-9 of 3 reporting: a third offline (> 10 %)
    assert "2 / 3" in shown["online"][2] and "4 camera đăng ký" in shown["online"][2]
    assert shown["offline"][:2] == ("1", "bad") and shown["offline_30m"][:2] == ("1", "warn")
    assert shown["events"][0] == "4" and f"50{NBSP}% báo động giả" in shown["events"][2]  # 1 of the 2 reviewed
    assert shown["fire_smoke"][:2] == ("1", "warn")
    k = page_callbacks.page_kpis(made, page_callbacks.default_selection(made))
    assert shown["uptime_pct"][0] == repr(k["uptime_pct"])
    # S-1: 20 min + 2 h offline of its 3 h; T-1 3 h online; X-9 a minute online
    assert k["uptime_pct"] == pytest.approx(100 * (1 - 8400 / (10800 + 10800 + 60)), abs=0.2)
    assert shown["uptime_pct"][1] == "bad" and f"Mục tiêu ≥ 98{NBSP}%" in shown["uptime_pct"][2]
    assert " – " in period_note and unit_note == ""


def test_the_map_and_the_offline_table_show_each_camera_now(made: Context) -> None:
    app = registered(made)
    with reader(app):
        geo, map_note, rows, offline_note = body(app, "cam-markers.data")(*controls(made), 1, "vi")
    assert [f["properties"]["id"] for f in geo["features"]] == ["T-1", "F-1", "S-1"]  # X-9 has no position
    assert [f["properties"]["state"] for f in geo["features"]] == ["online", "never", "offline_30m"]
    assert [f["properties"]["shape"] for f in geo["features"]] == ["circle", "diamond", "square"]
    assert map_note == "2 / 4 trực tuyến · 3 có vị trí"  # cameras-vms is not a simulator: no label
    assert [(r["code"], r["state"]) for r in rows] == [("S-1", "offline_30m"), ("F-1", "never")]
    assert rows[0]["offline_for"].startswith("2 giờ ") and rows[0]["purpose_label"] == "An ninh trật tự"
    assert offline_note == "1 camera, trong đó 1 quá 30 phút · lâu nhất trước · 1 chưa từng có tín hiệu (cuối bảng)"
    with reader(app):
        traffic = body(app, "cam-markers.data")(*controls(made, purpose="traffic"), 1, "en")
    assert [f["properties"]["id"] for f in traffic[0]["features"]] == ["T-1"] and traffic[2] == []
    assert traffic[3] == "none offline"
    commune = store.camera_states(made.engine, utcnow()).set_index("code").loc["T-1", "commune_code"]
    with reader(app):
        here = body(app, "cam-markers.data")(*controls(made, unit=commune), 1, "en")
    assert "T-1" in [f["properties"]["id"] for f in here[0]["features"]]


def test_ai_events_by_kind_and_the_latest_events_follow_the_filters(made: Context) -> None:
    app = registered(made)
    with reader(app):
        figure, chart_note, rows, grid_note = body(app, "cam-events-chart.figure")(*controls(made), 1, "vi")
        traffic = body(app, "cam-events-chart.figure")(*controls(made, purpose="traffic"), 1, "en")
        fire = body(app, "cam-events-chart.figure")(*controls(made, events=["fire_smoke"]), 1, "en")
    assert [r["id"] for r in rows] == ["cameras-vms/E3", "cameras-vms/E2", "cameras-vms/E1", "cameras-vms/E4"]
    assert [r["kind_label"] for r in rows] == ["Cháy, khói", "Đỗ xe sai quy định", "Tụ tập đông người", "Ngập nước"]
    assert [r["review_label"] for r in rows] == ["Báo động giả", "Đã xác nhận", "Chưa xem xét", "Chưa xem xét"]
    assert (rows[0]["confidence_text"], rows[3]["confidence_text"]) == (f"61{NBSP}%", "–")
    assert grid_note == "4 sự kiện trong kỳ, mới nhất trước" and chart_note == "theo ngày"
    assert {tr.name: sum(tr.y) for tr in figure.data} == {"Tụ tập đông người": 1, "Cháy, khói": 1, "Ngập nước": 1,
                                                          "Đỗ xe sai quy định": 1}
    assert [r["code"] for r in traffic[2]] == ["T-1", "T-1"] and traffic[3] == "2 in the period, newest first"
    assert {tr.name for tr in traffic[0].data} == {"Fire or smoke", "Illegal parking"}
    assert [r["id"] for r in fire[2]] == ["cameras-vms/E3"] and [tr.name for tr in fire[0].data] == ["Fire or smoke"]


def test_the_worst_uptime_comes_first(made: Context) -> None:
    app = registered(made)
    with reader(app):
        rows, note = body(app, "cam-uptime-grid.rowData")(*controls(made), 1, "vi")
    assert [r["code"] for r in rows] == ["S-1", "T-1", "X-9"]  # F-1 was never observed
    worst = rows[0]
    assert worst["uptime_pct"] == pytest.approx(100 * (1 - 8400 / 10800), abs=0.5) and worst["below"]
    assert worst["outages"] == 2  # the stored 20 minutes, and the one it is in now
    assert [r["uptime"] for r in rows[1:]] == [f"100,00{NBSP}%"] * 2
    assert note == f"1 / 3 camera dưới mục tiêu 98{NBSP}%"


def test_a_row_chosen_in_a_table_flies_the_map_to_its_camera(made: Context) -> None:
    assert page_callbacks.chosen_camera([{"code": "T-1", "name": "x"}]) == "T-1"
    assert page_callbacks.chosen_camera([{"code": 5}]) is None
    assert page_callbacks.chosen_camera("T-1") is None
    assert page_callbacks.chosen_camera([{"code": "X" * 500}]) == "X" * 64
    app = registered(made)
    with reader(app):
        viewport = body(app, "cam-map.viewport")("T-1")
        nowhere = body(app, "cam-map.viewport")("X-9")  # no position
        unknown = body(app, "cam-map.viewport")(["T-1"])
    assert viewport == {"center": [16.4637, 107.5909], "zoom": view.FOCUS_ZOOM, "transition": "flyTo"}
    assert nowhere is dash.no_update and unknown is dash.no_update


def test_the_csv_exports_are_the_tables_as_shown(made: Context) -> None:
    sel = page_callbacks.default_selection(made)
    frame, name = page_callbacks.export(made, "offline", "en", sel)
    assert name == f"camera_mat-ket-noi_{sel.start.isoformat()}_{sel.last_day.isoformat()}.csv"
    assert list(frame["Code"]) == ["S-1", "F-1"] and list(frame["State"]) == ["Offline > 30 min", "Never reported"]
    events, _ = page_callbacks.export(made, "events", "vi", sel)
    assert list(events["Mã sự kiện"]) == ["cameras-vms/E3", "cameras-vms/E2", "cameras-vms/E1", "cameras-vms/E4"]
    daily, _ = page_callbacks.export(made, "events_daily", "en", sel)
    assert int(daily.drop(columns="Period start").to_numpy().sum()) == 4
    uptime, _ = page_callbacks.export(made, "uptime", "en", sel)
    assert list(uptime["Code"]) == ["S-1", "T-1", "X-9"]


def test_the_offline_csv_holds_iso_local_times_and_hours_as_numbers(made: Context) -> None:
    """"Offline since" is the last heartbeat's local wall-clock time in ISO 8601 (empty for a
    camera never heard from), not the table's "08/11/2026 16:00" or "2 giờ trước"; the hours
    silent are a number; read back from the XLSX they are a date cell and a number cell."""
    sel = page_callbacks.default_selection(made)
    last_beat = (utcnow().replace(microsecond=0) - timedelta(hours=2))
    for lang, since, hours in (("en", "Offline since", "Offline for (h)"), ("vi", "Mất tín hiệu từ", "Mất kết nối (giờ)")):
        frame, _ = page_callbacks.export(made, "offline", lang, sel)
        tidy = tidy_export(frame, lang)
        s1, f1 = tidy.to_dict("records")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", s1[since]), s1[since]
        stamp = datetime.strptime(s1[since], "%Y-%m-%d %H:%M")
        local = last_beat.replace(tzinfo=UTC).astimezone(made.tz).replace(tzinfo=None)
        assert abs((stamp - local).total_seconds()) <= 120  # the store's heartbeat, to the minute
        assert isinstance(s1[hours], int | float) and 1.9 <= s1[hours] <= 2.2
        assert pd.isna(f1[since]) and pd.isna(f1[hours])  # never heard from: empty cells
        book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, {}, lang, "offline")))
        sheet = book.worksheets[0]
        header = [c.value for c in sheet[1]]
        cell, number = sheet.cell(2, header.index(since) + 1), sheet.cell(2, header.index(hours) + 1)
        assert isinstance(cell.value, datetime) and cell.value.strftime("%Y-%m-%d %H:%M") == s1[since]
        assert isinstance(number.value, int | float) and number.value == s1[hours]


def test_the_overview_summary_gives_the_declared_tiles(made: Context) -> None:
    tiles, note = page_callbacks.summary(made, "en", ("online", "offline_30m", "uptime_pct", "events"))
    assert [getattr(t, "data-kpi") for t in tiles] == ["online", "offline_30m", "uptime_pct", "events"]
    assert [t.id for t in tiles] == ["tile-cam-online", "tile-cam-offline_30m", "tile-cam-uptime_pct", "tile-cam-events"]
    # the embedded default sources feed the family from its simulator: the card says so
    assert note == "last 30 days · 4 cameras: 1 traffic · 2 security · 1 flood watch · Simulated data"


# --------------------------------------------------------------------------- the simulated store


def test_on_the_simulated_store_the_page_agrees_with_the_kpis_and_labels_simulated_data(simulated: Context) -> None:
    app = registered(simulated)
    sel = page_callbacks.default_selection(simulated)
    with reader(app):
        tiles, *_ = body(app, "cam-tiles.children")(*controls(simulated), 1, "vi")
        geo, map_note, offline, _ = body(app, "cam-markers.data")(*controls(simulated), 1, "vi")
        figure, _, events, grid_note = body(app, "cam-events-chart.figure")(*controls(simulated), 1, "vi")
        uptime, _ = body(app, "cam-uptime-grid.rowData")(*controls(simulated), 1, "vi")
    k = kpis.family_kpis(simulated.engine, sel.period, {}, simulated.tz, utcnow())
    assert {getattr(t, "data-kpi"): getattr(t, "data-value") for t in tiles}["events"] == repr(k["events"])
    assert k["cameras"] == len(geo["features"]) > 200 and map_note.endswith("· Dữ liệu mô phỏng")
    assert len(offline) == k["offline"] and all(r["simulated"] for r in offline)
    assert [r["offline_s"] for r in offline] == sorted((r["offline_s"] for r in offline), reverse=True)
    assert sum(sum(tr.y) for tr in figure.data) == k["events"] > 0
    assert len(events) == min(k["events"], page_callbacks.EVENTS_SHOWN) and grid_note.endswith("Dữ liệu mô phỏng")
    assert [r["uptime_pct"] for r in uptime] == sorted(r["uptime_pct"] for r in uptime)
    assert {"traffic", "security", "flood"} == set(pd.Series([f["properties"]["purpose"] for f in geo["features"]]))
