"""Fault injection (issues #12, #13): each source type against one misbehaving upstream
(tests/integration/hostile_server.py), through ioc.collect.run_source into a real store.

For every case: the run ends with the expected outcome and message (small budgets: run deadline
3 s, request deadline 2 s, 1 MiB bodies; no timings are asserted), the store's good records
(count, ids and key fields) are the same before and after, a second hostile run changes nothing,
and a later honest run picks up what arrived meanwhile (the watermark skipped nothing).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import func, select

from data_sources.http import HttpJsonClient
from ioc import cli
from ioc.collect import RunOutcome, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.secrets import redact
from ioc.sources import RunBudget, RunStopped
from ioc.store import runs, schema, schema_feedback
from tests.conftest import _postgres_database
from tests.integration.hostile_server import HostileServer, report

KEY = "s3cr+t/key=="  # survives as itself, %-encoded, +-encoded and base64 only if redaction fails
BUDGET_ENV = {"IOC_RUN_DEADLINE_SECONDS": "3", "IOC_HTTP_REQUEST_DEADLINE_SECONDS": "2",
              "IOC_HTTP_MAX_BODY_BYTES": str(1024 * 1024), "IOC_HTTP_TIMEOUT": "1", "IOC_RUN_MAX_REQUESTS": "200"}
NOW = datetime.now(UTC).replace(microsecond=0)


def good_reports(n: int = 6) -> list[dict[str, Any]]:
    return [report(f"G{i}", NOW - timedelta(days=2, hours=i)) for i in range(n)]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer(good=good_reports(), cap=50, drip_s=0.3) as fake:
        yield fake


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """Another origin (another port), honest, for redirects."""
    with HostileServer(good=good_reports(), cap=50) as fake:
        yield fake


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, bool) else str(value).lower()


def _table(prefix: str, table: dict[str, Any]) -> list[str]:
    lines = [f"[{prefix}]"]
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    lines += [f"{k} = {_toml(v)}" for k, v in table.items() if k not in nested]
    for key, sub in nested.items():
        lines += _table(f"{prefix.strip('[]')}.{key}", sub)
    return lines


def make_ctx(tmp_path: Path, url: str, sources: list[dict[str, Any]], **env: str) -> Context:
    lines: list[str] = []
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {_toml(v)}" for k, v in src.items() if not isinstance(v, dict)]
        for key, sub in src.items():
            if isinstance(sub, dict):
                lines += _table(f"sources.{key}", sub)
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_context(load_settings({"IOC_DATABASE_URL": url, "IOC_SOURCES": str(path), **BUDGET_ENV, **env}))


def open311(url: str, **options: Any) -> dict[str, Any]:
    return {"name": "o311", "type": "open311", "url": f"{url}/open311", "every_seconds": 60,
            "page_cap": 50, "retry_attempts": 2, "retry_backoff_s": 0.01, "api_key": KEY, **options}


def json_source(url: str, **options: Any) -> dict[str, Any]:
    return {"name": "events", "type": "json", "family": "feedback", "url": f"{url}/json/events", "every_seconds": 60,
            "items": "data", "watermark_field": "updated_at", "retry_attempts": 2, "retry_backoff_s": 0.01,
            "query": {"from": "{since}", "token": KEY},
            "fields": {"external_id": "id", "received_at": "created", "updated_at": "updated",
                       "resolved_at": "updated", "status": "state", "category_code": "=lighting"},
            "values": {"status": {"open": "received", "closed": "resolved"}}, **options}


def snapshot(ctx: Context, source: str) -> dict[str, tuple[Any, ...]]:
    """The good records stored for ``source``: id → (status, received_at, updated_at, resolved_at)."""
    t = schema_feedback.feedback_reports
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(t.c.external_id, t.c.status, t.c.received_at, t.c.updated_at, t.c.resolved_at)
                            .where(t.c.source == source)).all()
    assert len(rows) == len({r[0] for r in rows})  # no id stored twice
    return {r[0]: tuple(r[1:]) for r in rows}


def quarantine_count(ctx: Context, source: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.quarantine)
                            .where(schema.quarantine.c.source == source)).scalar()


def run(ctx: Context, name: str) -> RunOutcome:
    return run_source(ctx, ctx.source(name))


# --- transport-level hostility: the run fails, bounded, and the store is untouched ----------------

TRANSPORT_CASES = {
    # mode: (words the run's error must contain, extra settings)
    "drip": ("no complete response within the request deadline of 2 s", {}),
    "slow_headers": ("no complete response within the request deadline of 2 s", {}),
    "endless": ("response larger than 1048576 bytes", {}),
    "huge_length": ("response larger than 1048576 bytes (Content-Length 1000000000000)", {}),
    "invalid_json": ("response is not valid JSON", {}),
    "http500": ("HTTP 500", {}),
    "ignore_dates": ("the server ignores start_date/end_date", {}),
}


@pytest.mark.parametrize("mode", sorted(TRANSPORT_CASES))
def test_open311_against_a_hostile_upstream_loses_nothing(tmp_path: Path, server: HostileServer, mode: str) -> None:
    words, env = TRANSPORT_CASES[mode]
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [open311(server.url)], **env)
    assert run(ctx, "o311").status == "ok"
    before, mark_before = snapshot(ctx, "o311"), runs.get_watermark(ctx.engine, "o311")
    assert sorted(before) == [f"G{i}" for i in range(6)]

    server.mode = mode
    for _ in range(2):
        outcome = run(ctx, "o311")
        assert outcome.status == "failed"
        assert words in outcome.error, outcome.error
        assert KEY not in outcome.error and "s3cr" not in outcome.error
        assert outcome.counts["inserted"] == outcome.counts["updated"] == 0
        assert snapshot(ctx, "o311") == before
    assert runs.get_watermark(ctx.engine, "o311") == mark_before
    health = {h.name: h for h in runs.source_health(ctx.engine)}["o311"]
    assert health.last_status == "failed" and words in health.last_error and health.consecutive_failures == 2

    # Back to honest, with one report that arrived meanwhile: nothing skipped, nothing doubled.
    server.mode = "good"
    server.good.append(report("NEW", NOW - timedelta(hours=1)))
    outcome = run(ctx, "o311")
    assert outcome.status == "ok"
    assert (outcome.counts["inserted"], outcome.counts["updated"]) == (1, 0)
    after = snapshot(ctx, "o311")
    assert {k: v for k, v in after.items() if k != "NEW"} == before and "NEW" in after


@pytest.mark.parametrize("mode", ["drip", "endless", "http500", "huge_length"])
def test_json_source_against_a_hostile_upstream_loses_nothing(tmp_path: Path, server: HostileServer,
                                                              mode: str) -> None:
    words = TRANSPORT_CASES[mode][0]
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [json_source(server.url)])
    assert run(ctx, "events").status == "ok"
    before = snapshot(ctx, "events")
    assert len(before) == 6
    server.mode = mode
    for _ in range(2):
        outcome = run(ctx, "events")
        assert outcome.status == "failed" and words in outcome.error, outcome.error
        assert KEY not in outcome.error
    assert snapshot(ctx, "events") == before


def test_the_run_deadline_bounds_a_request_with_a_longer_deadline(tmp_path: Path, server: HostileServer) -> None:
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [open311(server.url)],
                   IOC_HTTP_REQUEST_DEADLINE_SECONDS="60", IOC_RUN_DEADLINE_SECONDS="2")
    server.mode = "drip"
    outcome = run(ctx, "o311")
    assert outcome.status == "failed"
    assert "run deadline of 2 s reached during a request (1 request(s))" in outcome.error


def test_requests_per_run_are_limited_and_retries_count(tmp_path: Path, server: HostileServer) -> None:
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [open311(server.url, retry_attempts=5)],
                   IOC_RUN_MAX_REQUESTS="3")
    server.mode = "http500"
    outcome = run(ctx, "o311")
    assert outcome.status == "failed"
    assert outcome.error.endswith("limit of 3 requests per run reached")
    assert len(server.calls) == 3


def test_a_cancel_stops_a_dripping_request(server: HostileServer) -> None:
    budget = RunBudget(deadline_s=60, request_deadline_s=60)
    client = HttpJsonClient(30, budget=budget)
    server.mode = "drip"
    threading.Timer(0.5, budget.cancel.set).start()
    with pytest.raises(RunStopped, match="run stopped: the scheduler is shutting down"):
        client.get_json(f"{server.url}/json/events")
    client.close()


# --- payload-level hostility: good records stored, bad ones quarantined once ----------------------


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_extreme_dates_are_quarantined_and_never_move_the_watermark(
        tmp_path: Path, server: HostileServer, dialect: str, store_url_for: Any) -> None:
    ctx = make_ctx(tmp_path, store_url_for(dialect), [open311(server.url), json_source(server.url)])
    server.mode = "extreme_dates"
    for name in ("o311", "events"):
        first = run(ctx, name)
        assert first.status == "ok", first.error
        assert first.counts["inserted"] == 6 and first.counts["rejected"] == 3
        reasons = {q["external_id"]: q["reason"] for q in runs.quarantined(ctx.engine, name)}
        assert set(reasons) == {"BAD-0001", "BAD-9999", "BAD-2099"}
        assert "outside the accepted range" in reasons["BAD-0001"] or "before 2000-01-01" in reasons["BAD-0001"]
        assert "after" in reasons["BAD-2099"] and "now + 1 day" in reasons["BAD-2099"]
        stored = snapshot(ctx, name)
        assert sorted(stored) == [f"G{i}" for i in range(6)]
        again = run(ctx, name)
        assert again.status == "ok" and again.counts["inserted"] == again.counts["updated"] == 0
        assert snapshot(ctx, name) == stored
    assert quarantine_count(ctx, "o311") == 3  # the second run recognised the same rejects
    mark = datetime.fromisoformat(runs.get_watermark(ctx.engine, "events"))
    assert mark <= datetime.now(UTC)
    assert datetime.fromisoformat(json.loads(runs.get_watermark(ctx.engine, "o311"))["until"].replace(
        "Z", "+00:00")) <= datetime.now(UTC)


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_within_one_response_the_newest_copy_of_an_id_wins(tmp_path: Path, server: HostileServer, dialect: str,
                                                          store_url_for: Any) -> None:
    ctx = make_ctx(tmp_path, store_url_for(dialect), [open311(server.url), json_source(server.url)])
    server.mode = "duplicates"
    for name in ("o311", "events"):
        first = run(ctx, name)
        assert first.status == "ok", first.error
        assert first.counts["inserted"] == 6
        stored = snapshot(ctx, name)
        assert {v[0] for v in stored.values()} == {"resolved"}, stored
        again = run(ctx, name)
        assert again.counts["inserted"] == again.counts["updated"] == 0
        assert snapshot(ctx, name) == stored


# --- watermarks from the future ---------------------------------------------------------------

FUTURE = {
    "o311": json.dumps({"until": "2099-01-01T00:00:00Z", "open": [], "rejected": []}),
    "events": "2099-01-01T00:00:00+00:00",
    "aq": json.dumps({"sensors": {"70": "2099-01-01T00:00:00"}}),
}


def test_a_watermark_in_the_future_fails_the_run_until_reset(tmp_path: Path, server: HostileServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUE_AQ_KEY", KEY)
    aq = {"name": "aq", "type": "openaq", "url": f"{server.url}/openaq", "every_seconds": 900,
          "api_key_env": "HUE_AQ_KEY"}
    db = f"sqlite:///{tmp_path}/s.db"
    ctx = make_ctx(tmp_path, db, [open311(server.url), json_source(server.url), aq])
    for name, value in FUTURE.items():
        runs.set_watermark(ctx.engine, name, value)
        outcome = run(ctx, name)
        assert outcome.status == "failed"
        assert "is beyond now + 1 day" in outcome.error and "cannot advance" in outcome.error
        assert f"python -m ioc sources reset-watermark {name}" in outcome.error
        assert runs.get_watermark(ctx.engine, name) == value  # not overwritten by the failed run

    monkeypatch.setenv("IOC_DATABASE_URL", db)
    monkeypatch.setenv("IOC_SOURCES", str(tmp_path / "sources.toml"))
    for name in FUTURE:
        assert cli.main(["sources", "reset-watermark", name]) == 0
        outcome = run(ctx, name)
        assert outcome.status == "ok", outcome.error
    assert len(snapshot(ctx, "o311")) == 6 and len(snapshot(ctx, "events")) == 6
    sensors = json.loads(runs.get_watermark(ctx.engine, "aq"))["sensors"]
    assert datetime.fromisoformat(sensors["70"]) <= datetime.now(UTC).replace(tzinfo=None)


# --- secrets (issue #12) ---------------------------------------------------------------------


def test_keys_are_not_sent_to_another_host_after_a_redirect(tmp_path: Path, server: HostileServer,
                                                            elsewhere: HostileServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUE_AQ_KEY", KEY)
    aq = {"name": "aq", "type": "openaq", "url": f"{server.url}/openaq", "every_seconds": 900,
          "api_key_env": "HUE_AQ_KEY"}
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [open311(server.url), aq])
    server.mode, server.redirect_to = "redirect", elsewhere.url.replace("127.0.0.1", "localhost")
    for name in ("o311", "aq"):
        outcome = run(ctx, name)
        assert outcome.status == "ok", outcome.error
    assert len(snapshot(ctx, "o311")) == 6
    assert any(c["query"].get("api_key") == KEY for c in server.calls)  # the configured host had it
    assert any(c["headers"].get("X-API-Key") == KEY for c in server.calls)
    assert elsewhere.calls and all(c["host"].startswith("localhost:") for c in elsewhere.calls)
    for call in elsewhere.calls:
        seen = json.dumps(call)
        assert "s3cr" not in seen and "api_key" not in call["query"] and "X-API-Key" not in call["headers"]


def test_secrets_are_not_stored_nor_shown(tmp_path: Path, server: HostileServer) -> None:
    src = open311(server.url, jurisdiction_id="hue.gov.vn")
    src["url"] = src["url"].replace("http://", "http://ops:pa55word@")
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db", [src])
    with ctx.engine.connect() as conn:
        config = conn.execute(select(schema.sources.c.config_json).where(schema.sources.c.name == "o311")).scalar()
    assert "s3cr" not in config and "pa55word" not in config
    assert json.loads(config)["api_key"] == "***" and json.loads(config)["jurisdiction_id"] == "hue.gov.vn"

    # A server echoing the key (raw, %-encoded, +-encoded, base64) in its error body: none of it
    # reaches the text stored, nor the URL's userinfo.
    server.mode = "echo"
    outcome = run(ctx, "o311")
    assert outcome.status == "failed" and "HTTP 403" in outcome.error
    for form in (KEY, quote(KEY, safe=""), quote_plus(KEY), base64.b64encode(KEY.encode()).decode(), "pa55word"):
        assert form not in outcome.error
    assert "denied" in outcome.error  # the rest of the server's answer is still there to read


def test_redact_covers_every_encoding_userinfo_and_key_parameters() -> None:
    echoes = [KEY, quote(KEY, safe=""), quote_plus(KEY), base64.b64encode(KEY.encode()).decode()]
    text = redact("denied " + " ".join(echoes) + " at http://ops:pa55word@h/x?api_key=abc&token=def&page=2"
                  " Authorization: Bearer abc.def", [KEY])
    assert text == ("denied *** *** *** *** at http://***@h/x?api_key=***&token=***&page=2"
                    " Authorization: *** ***")
    assert redact("window 2026-03-02T00:00:00Z – 2026-03-02T01:00:00Z: HTTP 500", [KEY]) == \
        "window 2026-03-02T00:00:00Z – 2026-03-02T01:00:00Z: HTTP 500"


@pytest.fixture
def store_url_for(tmp_path: Path) -> Iterator[Any]:
    """A function: dialect → a fresh store URL (a SQLite file, or a throw-away PostgreSQL database)."""
    made: list[Iterator[str]] = []

    def make(dialect: str) -> str:
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path}/s.db"
        database = _postgres_database()
        made.append(database)
        return next(database)

    yield make
    for database in made:
        database.close()  # drops it


def test_a_run_cut_short_by_its_budget_resumes_from_its_last_complete_window(
        tmp_path: Path, server: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from data_sources import open311 as module

    monkeypatch.setattr(module, "_CHECKPOINT_EVERY_S", 0)  # a checkpoint after every window
    server.good = [report(f"D{d}", NOW - timedelta(days=d, hours=1)) for d in range(1, 10)]
    start = (NOW - timedelta(days=10)).date().isoformat()
    ctx = make_ctx(tmp_path, f"sqlite:///{tmp_path}/s.db",
                   [open311(server.url, window_days=1, lookback_days=0, start_date=start)],
                   IOC_RUN_MAX_REQUESTS="5")  # services.json + 4 one-day windows per run
    inserted, untils = [], []
    for _ in range(4):
        outcome = run(ctx, "o311")
        inserted.append(outcome.counts["inserted"])
        untils.append(json.loads(runs.get_watermark(ctx.engine, "o311"))["until"])
        if outcome.status == "ok":
            break
        assert outcome.error.endswith("limit of 5 requests per run reached")
    # each run moved on; a last run that found nothing left may end where the one before it did
    # (the watermark is to the second: both can end in the same one)
    moved = untils if inserted[-1] else untils[:-1]
    assert untils == sorted(untils) and len(set(moved)) == len(moved)
    assert outcome.status == "ok"
    assert sorted(snapshot(ctx, "o311")) == sorted(f"D{d}" for d in range(1, 10))
    assert sum(inserted) == 9  # nothing skipped, nothing stored twice
