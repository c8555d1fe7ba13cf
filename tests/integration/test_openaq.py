"""The OpenAQ v3 collector against a local v3-shaped server (tests/integration/openaq_server.py),
through the real runner into a SQLite store: paging, conversion, watermarks, 429, 401, bad items."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from data_sources.openaq import OpenAQCollector
from ioc.collect import RunOutcome, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.store import runs
from ioc.store.schema_environment import env_observations, env_stations
from tests.integration.openaq_server import FakeOpenAQ

KEY_ENV = "IOC_TEST_OPENAQ_KEY"
H = timedelta(hours=1)


def last_hours(n: int) -> list[datetime]:
    """The starts of the ``n`` whole hours before now (naive UTC), oldest first."""
    top = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return [top - (n - i) * H for i in range(n)]


@pytest.fixture
def server() -> Iterator[FakeOpenAQ]:
    with FakeOpenAQ(api_key="k-123") as fake:
        yield fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(OpenAQCollector, "sleep", staticmethod(waited.append))
    return waited


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k-123")


def make_ctx(tmp_path: Path, url: str, **options: Any) -> Context:
    table = {"name": "openaq", "type": "openaq", "url": url, "every_seconds": 900, "api_key_env": KEY_ENV,
             "page_limit": 2, "hours_limit": 5, "retry_backoff_s": 0.01, **options}
    lines = ["[[sources]]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
                                        "IOC_SOURCES": str(path), "IOC_HTTP_TIMEOUT": "2"}))


def run(ctx: Context) -> RunOutcome:
    return run_source(ctx, ctx.source("openaq"))


def stored(ctx: Context) -> dict[tuple[str, str, datetime], dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return {(r["station_id"], r["parameter"], r["hour"]): dict(r)
                for r in conn.execute(select(env_observations)).mappings()}


def network(server: FakeOpenAQ) -> dict[str, Any]:
    """Three stations in the province (one with a temperature sensor only) and one in Đà Nẵng."""
    hue = server.add_location(2001, "Huế – Lê Lợi", 16.4637, 107.5909, {"pm25": "µg/m³", "o3": "ppm", "co": "ppm"})
    phu_bai = server.add_location(2002, "Phú Bài", 16.36, 107.66, {"pm25": "µg/m³", "no2": "ppb"})
    server.add_location(2003, "Weather mast", 16.50, 107.60, {"temperature": "c"})
    server.add_location(2004, "Đà Nẵng", 16.05, 108.22 + 0.05, {"pm25": "µg/m³"})  # east of the bbox
    hours = last_hours(8)
    server.add_hours(hue.sensor_ids["pm25"], [(h, 20.0 + i) for i, h in enumerate(hours)])
    server.add_hours(hue.sensor_ids["o3"], [(h, 0.05) for h in hours[:3]] + [(h, 0.04 + i / 1000) for i, h in
                                                                              enumerate(hours[3:])])
    server.add_hours(hue.sensor_ids["co"], [(h, 0.8 + i / 100) for i, h in enumerate(hours)])
    server.add_hours(phu_bai.sensor_ids["pm25"], [(h, 30.0 + i) for i, h in enumerate(hours)])
    server.add_hours(phu_bai.sensor_ids["no2"], [(h, 20.0 + i) for i, h in enumerate(hours)])
    return {"hue": hue, "phu_bai": phu_bai, "hours": hours}


def test_stations_in_bbox_hourly_values_converted(tmp_path: Path, server: FakeOpenAQ, sleeps: list[float]):
    net = network(server)
    ctx = make_ctx(tmp_path, server.url)
    outcome = run(ctx)
    assert outcome.status == "ok", outcome.error
    assert outcome.counts["inserted"] == 5 * 8 and outcome.counts["rejected"] == 0
    with ctx.engine.connect() as conn:
        st = {r["station_id"]: dict(r) for r in conn.execute(select(env_stations)).mappings()}
    assert set(st) == {"openaq-2001", "openaq-2002"}  # temperature only: not a station; Đà Nẵng: outside
    assert (st["openaq-2001"]["parameters"], st["openaq-2001"]["provider"]) == ("pm25,o3,co", "AirGradient")
    # placed through the ward it lay in on 30 June 2025 (Thị xã Hương Thủy) and its conversion: Phường Phú Bài
    assert (st["openaq-2002"]["unit_code"], st["openaq-2002"]["commune_code"]) == ("19960", "19960")
    assert st["openaq-2002"]["district_code"] == "479"
    rows = stored(ctx)
    first = net["hours"][0]
    # O3 0.05 ppm = 50 ppb → 50 × 48.00 / 24.45 = 98.16 µg/m³; CO 0.8 ppm → 800 × 28.010 / 24.45 = 916.48
    o3 = rows[("openaq-2001", "o3", first)]
    assert (o3["value"], o3["unit"]) == (0.05, "ppm") and o3["value_ugm3"] == pytest.approx(98.1595, abs=1e-3)
    assert rows[("openaq-2001", "co", first)]["value_ugm3"] == pytest.approx(916.4826, abs=1e-3)
    # NO2 20 ppb → 20 × 46.0055 / 24.45 = 37.63 µg/m³
    assert rows[("openaq-2002", "no2", first)]["value_ugm3"] == pytest.approx(37.6323, abs=1e-3)
    # every request carried the key; the locations were paged 2 at a time (3 in the bbox → 2 pages)
    assert {key for _p, _q, key in server.calls} == {"k-123"}
    pages = [q["page"] for p, q, _k in server.calls if p == "/v3/locations"]
    assert pages == ["1", "2"]
    # 8 hours with hours_limit = 5 → two pages per sensor
    assert sorted(q["page"] for p, q in server.hour_calls() if p.startswith(f"/v3/sensors/{net['hue'].sensor_ids['pm25']}/")) == ["1", "2"]
    assert sleeps == []


def test_second_run_asks_only_for_new_hours(tmp_path: Path, server: FakeOpenAQ, sleeps: list[float]):
    net = network(server)
    ctx = make_ctx(tmp_path, server.url, lookback_hours=2)
    assert run(ctx).status == "ok"
    mark = json.loads(runs.get_watermark(ctx.engine, "openaq"))["sensors"]
    pm_sensor = net["hue"].sensor_ids["pm25"]
    assert mark[str(pm_sensor)] == net["hours"][-1].isoformat()
    server.calls.clear()
    again = run(ctx)
    assert again.status == "ok" and again.counts["inserted"] == 0
    assert server.hour_calls() == []  # /latest shows nothing newer: no sensor is asked
    # a revised value for the last hour and one new hour for the Huế PM2.5 sensor
    new_hour = net["hours"][-1] + H
    server.add_hours(pm_sensor, [(net["hours"][-1], 50.0), (new_hour, 31.0)])
    server.calls.clear()
    third = run(ctx)
    assert (third.counts["inserted"], third.counts["updated"]) == (1, 1)
    asked = server.hour_calls()
    assert [p for p, _q in asked] == [f"/v3/sensors/{pm_sensor}/hours"]
    # from the watermark minus the 2-hour lookback
    assert asked[0][1]["datetime_from"] == (net["hours"][-1] - 2 * H).isoformat() + "Z"
    assert stored(ctx)[("openaq-2001", "pm25", net["hours"][-1])]["value"] == 50.0


def test_429_retry_after_is_honoured(tmp_path: Path, server: FakeOpenAQ, sleeps: list[float]):
    network(server)
    server.fault("429", times=2, path="/v3/locations", retry_after="2")
    outcome = run(make_ctx(tmp_path, server.url))
    assert outcome.status == "ok", outcome.error
    assert sleeps == [2.0, 2.0]
    assert [p for p, _q, _k in server.calls[:3]] == ["/v3/locations"] * 3


def test_429_asking_too_long_fails_the_run_clearly(tmp_path: Path, server: FakeOpenAQ, sleeps: list[float]):
    network(server)
    server.fault("429", times=1, path="/v3/sensors/", retry_after="3600")
    ctx = make_ctx(tmp_path, server.url, max_retry_after_s=60)
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert "HTTP 429" in outcome.error and "3600 s" in outcome.error and "max_retry_after_s" in outcome.error
    assert sleeps == []
    # what was fetched before the failure stays stored; the watermark is not advanced
    with ctx.engine.connect() as conn:
        assert conn.execute(select(env_stations.c.station_id)).all()
    assert runs.get_watermark(ctx.engine, "openaq") is None


def test_401_is_reported_clearly_and_keeps_stored_data(tmp_path: Path, server: FakeOpenAQ, sleeps: list[float],
                                                       monkeypatch: pytest.MonkeyPatch):
    network(server)
    ctx = make_ctx(tmp_path, server.url)
    assert run(ctx).status == "ok"
    before = len(stored(ctx))
    monkeypatch.setenv(KEY_ENV, "wrong-key")
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert "HTTP 401" in outcome.error and "refused the API key" in outcome.error and f"${KEY_ENV}" in outcome.error
    assert len(stored(ctx)) == before == 40
    health = {h.name: h for h in runs.source_health(ctx.engine)}["openaq"]
    assert health.consecutive_failures == 1 and "HTTP 401" in health.last_error


def test_missing_key_variable_names_it(tmp_path: Path, server: FakeOpenAQ, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(KEY_ENV)
    outcome = run(make_ctx(tmp_path, server.url))
    assert outcome.status == "failed" and KEY_ENV in outcome.error and "not set" in outcome.error
    assert server.calls == []


def test_awkward_pages_bad_items_and_missing_sensor(tmp_path: Path, sleeps: list[float]):
    with FakeOpenAQ(api_key="k-123", found_as_text=True) as server:
        net = network(server)
        hours = net["hours"]
        pm = net["phu_bai"].sensor_ids["pm25"]
        server.add_hours(pm, [(hours[2], None)])                                       # no value
        server.hours[net["phu_bai"].sensor_ids["no2"]][3]["parameter"]["units"] = "furlongs"  # unknown unit
        first_co = server.hours[net["hue"].sensor_ids["co"]][0]["period"]["datetimeFrom"]
        first_co["utc"] += "x"                                                         # not a time
        del server.hours[net["hue"].sensor_ids["o3"]]                                    # the sensor answers 404
        server.fault("http500", times=1, path="/v3/locations/2002/latest")               # retried
        ctx = make_ctx(tmp_path, server.url)
        outcome = run(ctx)
    assert outcome.status == "ok", outcome.error
    assert outcome.counts["rejected"] == 4
    assert outcome.counts["inserted"] == 8 + 7 + 7 + 7  # Huế pm25, Huế co (one bad), Phú Bài pm25, no2
    reasons = {r["location"]: r["reason"] for r in runs.quarantined(ctx.engine, "openaq")}
    assert any("value: missing" in v for v in reasons.values())
    assert any("furlongs" in v for v in reasons.values())
    assert any(k.startswith(f"sensor {net['hue'].sensor_ids['o3']}") and "404" in v for k, v in reasons.items())
    assert any("hour" in v for k, v in reasons.items() if f"sensor {net['hue'].sensor_ids['co']}" in k)


def test_generic_json_mapping_feeds_environment(tmp_path: Path):
    """A provincial portal wired without code: ``type = "json"``, ``family = "environment"``."""
    from tests.integration.json_server import JsonServer

    hours = last_hours(3)
    items = [{"tram": "HUE-01", "ten": "Trạm Đống Đa", "chat": "PM2.5", "gio": h.isoformat() + "Z", "gia_tri": v,
              "don_vi": "µg/m³"} for h, v in zip(hours, (30.5, 31.0, 29.5), strict=True)]
    items += [{"tram": "HUE-01", "chat": "SO2", "gio": hours[-1].isoformat() + "Z", "gia_tri": 8, "don_vi": "ppb"},
              {"tram": "HUE-01", "chat": "benzene", "gio": hours[-1].isoformat() + "Z", "gia_tri": 1, "don_vi": "ppb"}]
    with JsonServer() as server:
        server.route("/api/aq", {"data": items})
        table = {"name": "portal", "type": "json", "family": "environment", "url": server.url("/api/aq"),
                 "every_seconds": 600, "items": "data"}
        lines = ["[[sources]]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
        lines += ["[sources.fields]", 'station_id = "tram"', 'station_name = "ten"', 'parameter = "chat"',
                  'hour = "gio"', 'value = "gia_tri"', 'unit = "don_vi"']
        path = tmp_path / "sources.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/j.sqlite",
                                           "IOC_SOURCES": str(path)}))
        outcome = run_source(ctx, ctx.source("portal"))
    assert outcome.status == "ok" and (outcome.counts["inserted"], outcome.counts["rejected"]) == (4, 1)
    rows = stored(ctx)
    # SO2 8 ppb × 64.066 / 24.45 = 20.9623 µg/m³
    assert rows[("HUE-01", "so2", hours[-1])]["value_ugm3"] == pytest.approx(20.9623, abs=1e-4)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(env_stations.c.name)).scalar_one() == "Trạm Đống Đa"
    reasons = [r["reason"] for r in runs.quarantined(ctx.engine, "portal")]
    assert reasons == ["parameter: unknown parameter 'benzene' (expected one of pm25, pm10, o3, co, so2, no2)"]
