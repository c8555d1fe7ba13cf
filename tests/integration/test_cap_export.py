"""The IOC's alerts as CAP 1.2 (ioc.cap_export, callbacks/cap.py): the feed read back with the
project's own CAP reader on SQLite and PostgreSQL; over HTTP by role (a source's error only for
roles that see operations), one message per address, and clear 404s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from ioc import accounts
from ioc.access import Role
from ioc.alerts import evaluate, recent_alerts
from ioc.cap import read_alert, read_document
from ioc.cap_export import Publisher, feed
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.domain.air_quality import validate_observation
from ioc.i18n_alerts import describe
from ioc.sources import SourceSpec
from ioc.store import environment as env_store
from ioc.store import runs
from ioc.store.db import utcnow

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
SETTINGS = load_settings({})
SRC = SourceSpec(name="hue-open311", type="open311", family="feedback", every_seconds=60, url="http://open311.test")
ERROR = "ConnectError: refused by upstream 10.0.0.7"
SECRET = "k" * 48
PASSWORD = "correct horse battery staple"


def _run(engine: Engine, status: str, error: str | None = None) -> None:
    run_id = runs.start_run(engine, SRC.name, "feedback")
    runs.finish_run(engine, run_id, status, {}, error)


def _utc(naive: datetime) -> datetime:
    """A stored time (naive UTC) as CAP carries it: whole seconds."""
    return naive.replace(microsecond=0, tzinfo=UTC)


def _episodes(engine: Engine) -> None:
    """A source failure that ended, the same source failing again (active), and bad air at
    station S1 (active)."""
    runs.register_sources(engine, [SRC])
    _run(engine, "failed", "HTTP 502")
    evaluate(engine, SETTINGS, utcnow(), sources=(SRC.name,))
    _run(engine, "ok")
    evaluate(engine, SETTINGS, utcnow() + timedelta(minutes=1), sources=(SRC.name,))
    _run(engine, "failed", ERROR)
    evaluate(engine, SETTINGS, utcnow() + timedelta(minutes=2), sources=(SRC.name,))
    t0 = datetime(2026, 3, 1, 17)
    obs = [validate_observation({"station_id": "S1", "parameter": "pm25", "hour": (t0 + i * H).isoformat(),
                                 "value": v, "unit": "ug/m3", "station_name": "Trạm Hương Sơ",
                                 "lat": 16.46, "lon": 107.59}) for i, v in enumerate([99.0, 101.0] * 3)]
    env_store.ingest(engine, "openaq", obs, HUE, now=t0 + 6 * H + timedelta(minutes=10))


def test_the_feed_reads_back_as_cap_with_both_languages_areas_and_cancels(engine: Engine) -> None:
    _episodes(engine)
    episodes = recent_alerts(engine, since=datetime(2000, 1, 1))
    publisher = Publisher("ioc.test", {"vi": "IOC Huế", "en": "Huế IOC"}, "http://ioc.test/", HUE,
                          frozenset({"environment"}))
    now = utcnow()
    body = feed(publisher, episodes, engine, now, "http://ioc.test/cap/alerts.xml")
    read = read_document(body)
    assert read.problems == () and read.links == ()
    by_id = {a.identifier: a for a in read.alerts}
    ended, active = sorted((a for a in episodes if a.kind == "source_failed"), key=lambda a: a.id)
    [air] = [a for a in episodes if a.kind == "aqi_bad"]
    assert set(by_id) == {f"ioc.test.alert.{ended.id}.cancel", f"ioc.test.alert.{active.id}",
                          f"ioc.test.alert.{air.id}"}

    cancel = by_id[f"ioc.test.alert.{ended.id}.cancel"]
    assert (cancel.msg_type, cancel.status, cancel.scope, cancel.infos) == ("Cancel", "Actual", "Restricted", ())
    [ref] = cancel.references
    assert (ref.sender, ref.identifier) == ("ioc.test", f"ioc.test.alert.{ended.id}")
    assert ref.sent == _utc(ended.started_at) and cancel.sent == _utc(ended.ended_at)

    failing = by_id[f"ioc.test.alert.{active.id}"]
    assert (failing.msg_type, failing.status, failing.sent) == ("Alert", "Actual", _utc(active.started_at))
    vi, en = failing.infos
    assert (vi.language, en.language) == ("vi-VN", "en-US")
    assert vi.categories == ("Infra",) and (vi.severity, vi.urgency, vi.certainty) == ("Moderate", "Expected", "Observed")
    assert vi.headline == describe(active, "vi", HUE) and ERROR in vi.description and ERROR in en.description
    assert dict(vi.parameters) == {"IOC_FAMILY": "feedback", "IOC_KIND": "source_failed", "IOC_LEVEL": "warning",
                                   "IOC_KEY": "hue-open311"}
    assert vi.areas[0].geocodes == (("VN_ADMIN_CODE", "46"),) and vi.areas[0].desc == "Thành phố Huế"
    assert en.areas[0].desc == "Huế city" and vi.web == "http://ioc.test/alerts?lang=vi"
    assert failing.sent.utcoffset() == timedelta(hours=7)  # written in Huế's offset

    bad_air = by_id[f"ioc.test.alert.{air.id}"]
    assert bad_air.status == "Test" and "Simulated data" in bad_air.note  # its family is simulated here
    info = bad_air.info("vi")
    assert info.categories == ("Env",) and info.severity == "Severe"  # "Xấu": high
    assert info.areas[0].desc == "Trạm Hương Sơ"
    assert (info.areas[0].circles[0].lat, info.areas[0].circles[0].lon, info.areas[0].circles[0].radius_km) == (
        16.46, 107.59, 2.0)


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def public(tmp_path: Path) -> Context:
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
                                       "IOC_HOST": "0.0.0.0", "IOC_SECRET_KEY": SECRET, "IOC_CAP_SENDER": "ioc.hue"}))
    for role in (Role.VIEWER, Role.LEADER):
        accounts.add_user(ctx.engine, f"{role}-user", role, PASSWORD, display_name=role)
    from callbacks.access import forget_cached

    forget_cached()
    _episodes(ctx.engine)
    return ctx


def _signed_in(app: Any, role: str) -> Any:
    import re

    client = app.server.test_client()
    page = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/signin", data={"name": f"{role}-user", "password": PASSWORD, "csrf": csrf, "next": "/"})
    return client


def test_over_http_by_role_one_message_per_address_and_clear_404s(public: Context) -> None:
    from app import create_app

    app = create_app(public)
    assert app.server.test_client().get("/cap/alerts.xml").status_code in (302, 401)  # nobody: no alerts
    viewer, leader = _signed_in(app, Role.VIEWER), _signed_in(app, Role.LEADER)
    answer = leader.get("/cap/alerts.xml")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-store"
    seen = read_document(answer.data)
    assert len(seen.alerts) == 3 and seen.problems == ()
    assert ERROR in answer.get_data(as_text=True)
    for_viewer = viewer.get("/cap/alerts.xml")
    assert for_viewer.status_code == 200 and ERROR not in for_viewer.get_data(as_text=True)
    assert len(read_document(for_viewer.data).alerts) == 3  # the same alerts, without the source's error

    cancel = next(a for a in seen.alerts if a.msg_type == "Cancel")
    original = cancel.references[0].identifier
    one = leader.get(f"/cap/alerts/{original}.xml")
    assert one.status_code == 200 and one.headers["Content-Type"] == "application/cap+xml; charset=utf-8"
    assert read_alert(one.data).msg_type == "Alert"  # the ended alert's own message stays readable
    assert read_alert(leader.get(f"/cap/alerts/{cancel.identifier}.xml").data).msg_type == "Cancel"
    active = next(a for a in seen.alerts if a.msg_type == "Alert")
    for missing in (f"{active.identifier}.cancel", "ioc.hue.alert.999999", "other.alert.1", "ioc.hue.alert.1x",
                    "ioc.hue.alert.%C2%B2"):
        answer = leader.get(f"/cap/alerts/{missing}.xml")
        assert answer.status_code == 404 and "no CAP message" in answer.get_data(as_text=True), missing
