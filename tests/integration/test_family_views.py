"""Each declared family's plain view functions, called directly (no browser, no Dash callback):
the summary behind its Overview card and wall panel, its pages in both languages, and its CSV
exports, on a store its own simulator filled."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from callbacks import admin_data, environment_data, feedback_data, summaries, traffic_data
from callbacks.common import local_today
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.kpi.admin import AdminFilter
from ioc.kpi.feedback import FeedbackFilter
from ioc.kpi.periods import Period
from ioc.kpi.traffic import TrafficFilter
from ioc.registry import registry
from ioc.runtime import backfill_source, simulator_sources
from ioc.store.db import utcnow
from layouts.environment_shaping import EnvQuery
from tests.component_tree import ids as _ids
from tests.component_tree import texts
from tests.component_tree import walk as _walk

FAMILIES = registry().families
#: A refused value of each family page's own URL parameter.
BAD_PERIOD = ("from", "31/02/2026")
BAD_PARAMETER = {"environment": ("range", "9y")}  # its page picks a range, not dates


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """Embedded defaults (every family's simulator) on a new SQLite store, 20 days of history
    (the published indicators, monthly to yearly: more than a year, so some period always ended
    in it whatever the date)."""
    path: Path = tmp_path_factory.mktemp("views") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    for spec in simulator_sources(context):
        assert backfill_source(context, spec, 400 if spec.family == "indicators" else 20, 2023) > 0, spec.name
    return context


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.code)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_summary_gives_the_overview_tiles_in_order_with_values(ctx: Context, family: Any, lang: str) -> None:
    tiles, note = family.summary(ctx, lang, family.overview_tiles)
    assert [getattr(t, "data-kpi") for t in tiles] == list(family.overview_tiles)
    assert all(getattr(t, "data-value") not in (None, "") for t in tiles if getattr(t, "data-state") != "none")
    assert note and re.search(r"\d", note), note  # e.g. "12 tháng qua · hôm nay: 1.234"


def _lines(tile: Any) -> list[Any]:
    return [c for c in _walk(tile) if "cmp-line" in (getattr(c, "className", None) or "")]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.code)
def test_the_overview_card_compares_with_a_year_before_and_the_wall_panel_does_not(ctx: Context, family: Any) -> None:
    card, _note = summaries.cached_summary(ctx, family.code, "en")
    panel, _note = summaries.cached_summary(ctx, family.code, "en", wall=True)
    assert not [line for tile in panel for line in _lines(tile)], family.code
    lines = {getattr(tile, "data-kpi"): _lines(tile) for tile in card}
    # one line a tile at most: the same period a year before (a rank: its previous edition); the
    # previous period of a 12-month card is that same year before, and is not said twice
    assert all(len(found) <= 1 for found in lines.values()), lines
    which = {getattr(line, "data-cmp") for found in lines.values() for line in found}
    assert which <= {"year", "rank"}, which
    if family.code == "indicators":  # published values, compared with their previous edition only
        assert which <= {"rank"}
    elif family.code in ("feedback", "traffic", "admin", "environment") or family.spec is not None:
        # 20 days stored: a year before lies before the history, said on every tile compared
        year = [line for found in lines.values() for line in found if getattr(line, "data-cmp") == "year"]
        assert year and all(getattr(line, "data-tone") == "none" and getattr(line, "data-change") == ""
                            and "no comparison (vs same period last year)" in texts(line) for line in year), family.code
    else:  # counts at now (cameras, flood, vessels), too few a month to compare (warnings)
        assert which == set(), family.code


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.headline_kpis is not None], ids=lambda f: f.code)
def test_the_headline_kpis_are_the_reports_values_for_the_keys_they_give(ctx: Context, family: Any) -> None:
    # the brief and the scorecard read the cheaper set: it must say what the CLI's report says
    today, now = local_today(ctx), utcnow()  # one "now": a rate per day of a running period moves with it
    for period in (Period(today - timedelta(days=6), today + timedelta(days=1)), Period(today, today + timedelta(days=1))):
        report = family.kpis(ctx.engine, period, {}, ctx.tz, now)
        headline = family.headline(ctx.engine, period, {}, ctx.tz, now)
        assert headline and set(headline) < set(report), family.code
        assert {k: report[k] for k in headline} == headline, family.code
    if family.spec is not None:
        assert set(headline) == set(family.spec.overview)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.code)
def test_pages_build_in_both_languages_and_name_a_bad_parameter(ctx: Context, family: Any) -> None:
    for page in family.pages:
        vi, en = page.layout(ctx, None), page.layout(ctx, "en")
        assert _ids(vi) == _ids(en) and len(_ids(vi)) > 5
        key, value = BAD_PARAMETER.get(family.code, BAD_PERIOD)
        bad = page.layout(ctx, None, **{key: value, "lang": "xx"})
        [banner] = [c for c in _walk(bad) if getattr(c, "id", None) == "page-errors"]
        lines = [line.children for line in banner.children]
        assert banner.className == "banner banner-warn" and len(lines) == 2, lines
        assert any(f"{key}={value}" in line for line in lines), lines
        assert any("lang=xx" in line for line in lines), lines


def _by_id(component: Any, id_: str) -> Any:
    [found] = [c for c in _walk(component) if getattr(c, "id", None) == id_]
    return found


def test_one_day_and_values_the_page_does_not_know_on_the_feedback_page(ctx: Context) -> None:
    """``?from=D&to=D`` is day D (an old bookmark with from == to included); ``?category=zzz``
    and ``?district=999`` are named on the amber banner in the page's language, ignored (the
    filters show all), and neither reaches a dropdown."""
    [page] = registry().family("feedback").pages
    day = local_today(ctx) - timedelta(days=1)
    for lang, lines in (("vi", ["Bỏ qua tham số district=999: không có xã, phường này. Đang dùng: tất cả.",
                                "Bỏ qua tham số category=zzz: không có lĩnh vực này. Đang dùng: tất cả."]),
                        ("en", ["Ignored district=999: no such commune / ward. Using: all.",
                                "Ignored category=zzz: no such category. Using: all."])):
        built = page.layout(ctx, None, **{"from": day.isoformat(), "to": day.isoformat(), "category": "zzz",
                                          "district": "999", "lang": lang})
        banner = _by_id(built, "page-errors")
        assert (banner.className, banner.role) == ("banner banner-warn", "alert")
        assert [line.children for line in banner.children] == lines
        dates = _by_id(built, "fb-dates")
        assert (dates.start_date, dates.end_date) == (day.isoformat(), day.isoformat())  # that one day
        for control, bad in (("fb-category", "zzz"), ("fb-unit", "999")):
            dropdown = _by_id(built, control)
            assert dropdown.value is None and bad not in {o["value"] for o in dropdown.options}, control
        assert _by_id(built, "fb-unit").options and _by_id(built, "fb-category").options

    good = page.layout(ctx, None, **{"from": day.isoformat(), "to": day.isoformat(), "category": "lighting"})
    assert _by_id(good, "page-errors").className == "banner-hidden"
    assert _by_id(good, "fb-category").value == "lighting"


@pytest.mark.parametrize(("family", "unit_id"), [("traffic", "tr-unit"), ("environment", "env-unit")])
def test_a_unit_not_on_the_map_is_named_and_ignored(ctx: Context, family: str, unit_id: str) -> None:
    page = registry().family(family).pages[0]
    built = page.layout(ctx, None, unit="abc", lang="en")
    lines = [line.children for line in _by_id(built, "page-errors").children]
    assert lines == ["Ignored unit=abc: no such commune / ward. Using: all."]
    assert _by_id(built, unit_id).value is None
    assert _by_id(page.layout(ctx, None, unit="19753"), "page-errors").className == "banner-hidden"


def _period(ctx: Context) -> Period:
    today = local_today(ctx)
    return Period(today - timedelta(days=20), today + timedelta(days=1))


@pytest.mark.parametrize(("export", "key", "query", "stem"), [
    (feedback_data.export, "district", lambda p: FeedbackFilter(p), "phan-anh_"),
    (traffic_data.export, "type", lambda p: TrafficFilter(p), "vi-pham_theo-hanh-vi_"),
    (admin_data.export, "levels", lambda p: AdminFilter(p), "tthc_dung-han-theo-cap_"),
    (environment_data.export, "stations", lambda p: EnvQuery(range="30d"), "aqi_tram_"),
], ids=["feedback", "traffic", "admin", "environment"])
def test_exports_give_the_chart_table_and_a_dated_file_name(ctx: Context, export: Any, key: str, query: Any,
                                                           stem: str) -> None:
    frame, filename = export(ctx, key, query(_period(ctx)), "vi")
    assert len(frame) > 0 and len(frame.columns) >= 2
    assert filename.startswith(stem) and filename.endswith(".csv")
    assert re.search(r"\d{4}-\d{2}-\d{2}", filename)
    # named by the days shown: the period [today − 20, tomorrow) ends with today, not tomorrow
    assert filename.endswith(f"_{local_today(ctx).isoformat()}.csv"), filename


def test_the_calendar_defaults_to_the_worst_station_that_has_a_daily_aqi(tmp_path: Path) -> None:
    """A station imported an hour ago can be the worst now, but has no daily VN_AQI yet: the
    calendar shows the next worst instead of an empty year; a station asked for is kept."""
    from datetime import UTC, datetime

    from ioc.collect import import_file

    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/env.sqlite"}))
    [spec] = simulator_sources(context, "environment")
    backfill_source(context, spec, 3, 2023)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    rows = ["station_id,parameter,hour,value,unit,station_name,lat,lon"] + [
        f"new-1,pm25,{(hour - timedelta(hours=2 - i)).isoformat()},{180 + i},ug/m3,Trạm mới,16.52,107.45"
        for i in range(3)]
    (tmp_path / "new.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_file(context, "environment", tmp_path / "new.csv", show_progress=False).status == "ok"
    now = environment_data.stations_now(context, "vi")
    assert now.rows[0]["id"] == "new-1"  # the worst now (PM2.5 ≈ 180 µg/m³)
    chosen = environment_data.calendar_station(context, EnvQuery(range="7d"), now)
    assert chosen not in (None, "new-1") and chosen.startswith("sim-")
    assert environment_data.calendar_station(context, EnvQuery(range="7d", calendar="new-1"), now) == "new-1"


def test_answers_are_compressed_when_large_and_polls_are_not(ctx: Context) -> None:
    """Dash's compress=True (flask-compress): the layout goes gzip-compressed to a client that
    accepts it, and so does /api/live now that a dozen families' sources make it several KB; the
    small /api/versions answer goes as it is (below COMPRESS_MIN_SIZE)."""
    import gzip
    import json

    from app import create_app

    client = create_app(ctx).server.test_client()
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.status_code == 200 and layout.headers["Content-Encoding"] == "gzip"
    assert "shell-nav" in json.dumps(json.loads(gzip.decompress(layout.data)))
    live = client.get("/api/live", headers={"Accept-Encoding": "gzip"})
    assert live.status_code == 200
    body = gzip.decompress(live.data) if live.headers.get("Content-Encoding") == "gzip" else live.data
    assert len(body) < 4096 or live.headers.get("Content-Encoding") == "gzip"
    assert set(json.loads(body)["versions"]) >= {"feedback", "traffic", "flood", "warnings"}
    versions = client.get("/api/versions", headers={"Accept-Encoding": "gzip"})
    assert versions.status_code == 200 and "Content-Encoding" not in versions.headers
    assert len(versions.data) < 4096


def test_a_database_outage_is_reported_as_such_not_as_a_lost_server(ctx: Context) -> None:
    """/api/live with the database gone (a real connection to a port nothing listens on): 503
    naming the database and the error's type, never its text (which may hold credentials)."""
    import dataclasses

    from sqlalchemy import create_engine

    from app import create_app

    down = dataclasses.replace(ctx, engine=create_engine("postgresql+psycopg://ioc:secret@127.0.0.1:9/ioc",
                                                         connect_args={"connect_timeout": 2}))
    client = create_app(down).server.test_client()
    live = client.get("/api/live")
    assert live.status_code == 503
    body = live.get_json()
    assert body["database"] == "unavailable" and body["reason"] == "OperationalError"
    assert "secret" not in live.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


CRAFTED = [
    {"settings": "1"}, {"today": "1"}, {"ctx": "1"}, {"simulated": "1"}, {"known_units": "1"}, {"unit_map": "1"},
    {"lang_pref": "xx"}, {"from": "0001-01-01", "to": "9999-12-31"}, {"from": "9999-12-31"}, {"to": "0001-01-01"},
    {"unit": "'; DROP TABLE units; --"}, {"district": "9" * 500}, {"unit": ["19753", "474"]}, {"level": "x"},
    {"kiosk": "maybe"}, {"rotate": "wall,nowhere", "every": "-5"}, {"station": "\u0000"}, {"a-b": "1"},
]


@pytest.mark.parametrize("params", CRAFTED, ids=lambda p: ",".join(p))
def test_every_page_survives_crafted_query_parameters(ctx: Context, params: dict) -> None:
    """Unknown parameters are ignored, names of the builders' own arguments never reach them, bad
    values fall back (the page's banner names them): every page renders, never an error."""
    import dash

    from app import create_app

    app = create_app(ctx)
    with app.server.test_request_context("/"):
        for entry in dash.page_registry.values():
            component = entry["layout"](**params)
            assert component is not None, entry["path"]
