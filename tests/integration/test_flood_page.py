"""The rivers and rain page's layout and callbacks on two stores: one the flood simulator filled
(30 days, as the app's backfill does), one with a gauge network's observations made here (Kim
Long rising through level III now, 90 days of history). The callbacks are called as registered
(their Dash and access wrappers peeled off), without a browser."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import pytest

from callbacks import flood as page_callbacks
from callbacks.common import local_today
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.domain.floods import FloodObservation
from ioc.kpi import floods as kpis
from ioc.kpi.periods import Period
from ioc.runtime import backfill_source, simulator_sources
from ioc.store import floods as store
from ioc.store.db import utcnow
from layouts import flood as view
from tests.component_tree import body
from tests.component_tree import ids as _ids
from tests.component_tree import texts as _texts
from tests.component_tree import walk as _walk


def _headline(fig: Any) -> str:
    """The hydrograph's headline (level, rate of rise, time), above the plot."""
    [text] = [a.text for a in fig.layout.annotations if a.name == "headline"]
    return text


def _context(path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Context:
    ctx = _context(tmp_path_factory.mktemp("flood-sim") / "store.sqlite")
    [spec] = simulator_sources(ctx, "flood")
    assert backfill_source(ctx, spec, 30, 2023) > 0
    return ctx


FLOOD_HOURS = 90 * 24


@pytest.fixture(scope="module")
def gauged(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """90 days of hourly observations from a real-named network (not simulated): Kim Long calm
    at 0.6 m, then over the last 7 hours 2.40 → 3.62 m (level III now, rising 0.33 m/h over 3 h);
    Phú Ốc at 1.2 m; A Lưới 130 mm over its last 13 hours; Nam Đông silent for 5 hours; Bình
    Điền and Tà Lương never heard from."""
    ctx = _context(tmp_path_factory.mktemp("flood-gauged") / "store.sqlite")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rise = [2.40, 2.50, 2.55, 2.63, 3.00, 3.30, 3.62]  # the last 7 hours, oldest first
    records = []
    for back in range(FLOOD_HOURS):
        at = now - timedelta(hours=back)
        kim = rise[-1 - back] if back < len(rise) else 0.6
        records += [FloodObservation("kim_long", at, kim, 2.0 if back < 6 else 0.0, at),
                    FloodObservation("phu_oc", at, 1.2, 0.0, at),
                    FloodObservation("a_luoi", at, None, 10.0 if back < 13 else 0.0, at)]
        if back >= 5:
            records.append(FloodObservation("nam_dong", at, None, 0.0, at))
    store.ingest(ctx.engine, "kttv-hue", records)
    return ctx


def _app(ctx: Context) -> dash.Dash:
    app = dash.Dash(__name__)
    page_callbacks.register(app, ctx)
    return app


def _days(ctx: Context, days: int) -> tuple[str, str, Period]:
    today = local_today(ctx)
    start = today - timedelta(days=days - 1)
    return start.isoformat(), today.isoformat(), Period(start, today + timedelta(days=1))


def test_the_page_builds_in_both_languages_with_the_last_3_days_and_the_source_of_the_levels(
        simulated: Context) -> None:
    vi, en = page_callbacks.page(simulated, None), page_callbacks.page(simulated, "en")
    assert _ids(vi) == _ids(en)
    assert {"fl-dates", "fl-preset", "fl-reset", "fl-tiles", "fl-map", "fl-map-stations", "fl-grid", "fl-version",
            "fl-hydro-kim_long", "fl-hydro-phu_oc", "page-lang", "fl-source"} <= _ids(vi)
    assert "Sông ngòi, mưa lũ" in _texts(vi) and "Rivers, rain and floods" in _texts(en)
    [dates] = [c for c in _walk(vi) if getattr(c, "id", None) == "fl-dates"]
    start, last, _ = _days(simulated, 3)
    assert (dates.start_date, dates.end_date) == (start, last)
    assert "Quyết định 05/2020/QĐ-TTg" in _texts(vi) and "Decision 05/2020/QĐ-TTg" in _texts(en)
    assert "sông Hương tại trạm Kim Long — BĐ I 1,00 m; BĐ II 2,00 m; BĐ III 3,50 m" in _texts(en)
    legend = [getattr(c, "data-alarm", None) for c in _walk(vi) if getattr(c, "className", None) == "legend-item"]
    assert legend == ["0", "1", "2", "3", None, "rain"]
    [version] = [c for c in _walk(vi) if getattr(c, "id", None) == "fl-version"]
    assert version.data == simulated.notifier.versions().get("flood")
    bad = page_callbacks.page(simulated, None, **{"from": "31/02/2026", "lang": "xx"})
    [banner] = [c for c in _walk(bad) if getattr(c, "id", None) == "page-errors"]
    assert len(banner.children) == 2 and "from=31/02/2026" in _texts(banner)


def test_simulated_observations_fill_tiles_map_table_and_hydrographs_labelled_simulated(simulated: Context) -> None:
    app = _app(simulated)
    start, last, period = _days(simulated, 7)
    tiles, note, geo, map_note, rows, grid_note = body(app, "fl-tiles.children")(start, last, 1, "vi")
    expected = kpis.family_kpis(simulated.engine, period, {}, simulated.tz, utcnow())
    by_key = {getattr(tile, "data-kpi"): tile for tile in tiles}
    assert list(by_key) == list(view.TILE_KEYS)
    assert getattr(by_key["highest_alarm"], "data-value") == repr(expected["highest_alarm"])
    assert getattr(by_key["stations_at_alarm"], "data-value") == repr(expected["stations_at_alarm"])
    assert getattr(by_key["reporting_stations"], "data-value") == repr(expected["reporting_stations"]) == "6"
    assert note == f"{period.start:%d/%m/%Y} – {local_today(simulated):%d/%m/%Y}"
    assert {f["properties"]["id"] for f in geo["features"]} == set(expected["stations"])
    assert all("mô phỏng" in f["properties"]["lines"] for f in geo["features"])
    assert {r["id"] for r in rows} == set(expected["stations"]) and all(r["simulated"] for r in rows)
    assert map_note == "6/6 trạm có số liệu" and grid_note.endswith("Số liệu mô phỏng")
    figures = body(app, "fl-hydro-kim_long.figure")(start, last, 1, "en")
    kim, phu, kim_note, phu_note = figures
    assert [s.y0 for s in kim.layout.shapes] == [1.0, 2.0, 3.5] and [s.y0 for s in phu.layout.shapes] == [1.5, 3.0, 4.5]
    assert kim_note == "hourly · simulated" and phu_note == "hourly · simulated"
    assert 6 * 24 <= len(kim.data[-1].x) <= 7 * 24 + 1  # six days and today so far, hour by hour
    tiles_, summary_note = page_callbacks.summary(simulated, "vi", ("highest_alarm", "max_rain_24h"))
    assert [getattr(tile, "data-kpi") for tile in tiles_] == ["highest_alarm", "max_rain_24h"]
    assert summary_note == "6 trạm · cấp báo động theo QĐ 05/2020/QĐ-TTg · mô phỏng"


def test_a_flood_now_shows_level_iii_at_kim_long_everywhere(gauged: Context) -> None:
    app = _app(gauged)
    start, last, _period = _days(gauged, 3)
    tiles, _note, geo, _map_note, rows, grid_note = body(app, "fl-tiles.children")(start, last, 1, "vi")
    by_key = {getattr(tile, "data-kpi"): tile for tile in tiles}
    top = by_key["highest_alarm"]
    assert getattr(top, "data-value") == "3" and top.style == {"borderLeftColor": "#C62828"}
    assert "Báo động III" in _texts(top) and "Kim Long (sông Hương): 3,62\u00a0m, đang lên 0,33 m/giờ" in _texts(top)
    assert "1/2" in _texts(by_key["stations_at_alarm"]) and "Kim Long (III)" in _texts(by_key["stations_at_alarm"])
    assert "130,0\u00a0mm" in _texts(by_key["max_rain_24h"]) and "tại A Lưới" in _texts(by_key["max_rain_24h"])
    assert getattr(by_key["max_rain_24h"], "data-state") == "warn"  # ≥ 100 mm, < 200 mm
    assert "4/6" in _texts(by_key["reporting_stations"])
    assert "Không có số liệu: Bình Điền, Tà Lương" in _texts(by_key["reporting_stations"])
    kim = next(f["properties"] for f in geo["features"] if f["properties"]["id"] == "kim_long")
    assert (kim["label"], kim["bg"]) == ("III", "#C62828") and "mô phỏng" not in kim["lines"]
    assert [r["id"] for r in rows][:2] == ["kim_long", "phu_oc"] and not any(r["simulated"] for r in rows)
    assert (rows[0]["alarm_text"], rows[0]["level_text"], rows[0]["rise_text"]) == ("Báo động III", "3,62\u00a0m",
                                                                                    "+0,33")
    assert rows[0]["hours_at_alarm"] == 7  # 2.40 … 3.62: at level I or above for the last 7 hours
    assert "mô phỏng" not in grid_note
    kim_fig, _phu_fig, kim_note, _ = body(app, "fl-hydro-kim_long.figure")(start, last, 1, "vi")
    assert kim_note == "theo giờ"
    assert "Mực nước 3,62\u00a0m, đang lên 0,33 m/giờ" in _headline(kim_fig)
    assert {"BĐ I 1,00\u00a0m", "BĐ II 2,00\u00a0m", "BĐ III 3,50\u00a0m"} <= {a.text for a in kim_fig.layout.annotations}


def test_a_long_period_draws_days_and_the_csv_holds_every_hour(gauged: Context) -> None:
    app = _app(gauged)
    start, last, _period = _days(gauged, 90)
    kim, _phu, kim_note, _ = body(app, "fl-hydro-kim_long.figure")(start, last, 1, "vi")
    assert kim_note == "kỳ dài: mực nước cao nhất và tổng mưa theo ngày"
    line = next(d for d in kim.data if d.type == "scatter")
    assert 89 <= len(line.x) <= 91 and max(line.y) == pytest.approx(3.62)
    frame, name = page_callbacks.export(gauged, "kim_long", "vi", start, last)
    assert name == f"mua-lu_thuy-do_kim-long_{start}_{last}.csv"
    assert list(frame.columns) == ["Thời gian (giờ địa phương)", "Mực nước (m)", "Mưa (mm)"]
    assert FLOOD_HOURS - 24 <= len(frame) <= FLOOD_HOURS and frame["Mực nước (m)"].max() == pytest.approx(3.62)
    table, table_name = page_callbacks.export(gauged, "stations", "en", start, last)
    assert table_name == f"mua-lu_tram_{start}_{last}.csv" and len(table) == 6
    assert table.iloc[0]["Station"] == "Kim Long" and table.iloc[0]["Alarm level"] == "Alarm level III"


def test_every_panel_follows_the_flood_version_and_the_period(simulated: Context) -> None:
    """Live refresh: the data callbacks take the family's version store (copied from the shell's
    versions only when the flood family's moved) and the filter bar's dates as inputs."""
    app = _app(simulated)
    panels = [v for k, v in app.callback_map.items() if "fl-tiles.children" in k or "fl-hydro-kim_long.figure" in k]
    assert len(panels) == 2
    for entry in panels:
        inputs = {f"{i['id']}.{i['property']}" for i in entry["inputs"]}
        assert {"fl-version.data", "fl-dates.start_date", "fl-dates.end_date"} <= inputs
    [follow] = [v for k, v in app.callback_map.items() if k.startswith("fl-version.data")]
    assert [f"{i['id']}.{i['property']}" for i in follow["inputs"]] == ["live-versions.data"]
    # the browser-side copy reads the flood family's version alone
    assert any('(versions || {})["flood"]' in script for script in app._inline_scripts)
