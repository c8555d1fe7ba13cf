"""The Open311 GeoReport v2 collector against a local fake server, into a real SQLite store.

Every test talks to 127.0.0.1 only (tests/integration/open311_server.py).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ioc.collect import RunOutcome, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.store import runs, schema_feedback
from tests.integration.open311_server import FakeOpen311, open311_request, parse_dt

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
CAP_WARNING = "server cap reached in a 60 s window (min_window_s); some requests may be missing"


@pytest.fixture
def server() -> Iterator[FakeOpen311]:
    with FakeOpen311() as fake:
        yield fake


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def source(url: str, name: str = "hue311", **options: Any) -> dict[str, Any]:
    return {"name": name, "type": "open311", "url": url, "every_seconds": 60, "start_date": date(2026, 1, 1),
            "retry_backoff_s": 0.01, **options}


def make_ctx(tmp_path: Path, *sources: dict[str, Any], timeout: float = 2.0) -> Context:
    lines = []
    for table in sources:
        lines.append("[[sources]]")
        lines += [f"{key} = {_toml(value)}" for key, value in table.items()]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_context(load_settings({
        "IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "IOC_SOURCES": str(path),
        "IOC_HTTP_TIMEOUT": str(timeout),
    }))


def run(ctx: Context, name: str = "hue311") -> RunOutcome:
    return run_source(ctx, ctx.source(name))


def stored(ctx: Context, name: str = "hue311") -> dict[str, dict[str, Any]]:
    table = schema_feedback.feedback_reports
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.source == name)).mappings()
        return {r["external_id"]: dict(r) for r in rows}


def watermark(ctx: Context, name: str = "hue311") -> dict[str, Any]:
    return json.loads(runs.get_watermark(ctx.engine, name))


def health(ctx: Context, name: str = "hue311") -> runs.SourceHealth:
    return {h.name: h for h in runs.source_health(ctx.engine)}[name]


def hours_ago(hours: float) -> str:
    """A local (+07:00) timestamp ``hours`` before now: inside the 3-day lookback."""
    return (datetime.now(UTC) - timedelta(hours=hours)).astimezone(HUE).isoformat(timespec="seconds")


def counts(outcome: RunOutcome) -> dict[str, int]:
    assert outcome.status == "ok", outcome.error
    return outcome.counts


# --- windows and the server's cap ---------------------------------------------------------------


def test_capped_windows_are_split_until_every_request_is_stored(tmp_path: Path, server: FakeOpen311) -> None:
    server.cap = 10
    first = datetime(2026, 3, 2, 8, 0, tzinfo=HUE)
    server.requests += [
        open311_request(f"R{i:03d}", (first + timedelta(minutes=7 * i)).isoformat()) for i in range(95)
    ]
    ctx = make_ctx(tmp_path, source(server.url, page_cap=10))

    outcome = run(ctx)

    assert counts(outcome) == {"fetched": 95, "inserted": 95, "updated": 0, "unchanged": 0, "rejected": 0}
    rows = stored(ctx)
    assert sorted(rows) == [f"R{i:03d}" for i in range(95)]
    assert rows["R094"]["received_at"] == datetime(2026, 3, 2, 1, 0) + timedelta(minutes=7 * 94)
    windows = [c for c in server.request_calls() if "start_date" in c]
    assert len(windows) > 20  # 1 Jan → now is ~11 windows of 30 days; the capped one was halved many times
    assert all(c["start_date"].endswith("Z") and c["end_date"].endswith("Z") for c in windows)
    assert runs.quarantined(ctx.engine, "hue311") == []


def test_cap_reached_in_the_minimum_window_keeps_what_came_and_warns(tmp_path: Path, server: FakeOpen311) -> None:
    server.cap = 10
    server.requests += [open311_request(f"S{i:02d}", "2026-03-02T08:00:00+07:00") for i in range(12)]
    ctx = make_ctx(tmp_path, source(server.url, page_cap=10))

    outcome = run(ctx)

    assert counts(outcome)["inserted"] == 10 and outcome.counts["rejected"] == 1
    assert len(stored(ctx)) == 10
    [warning] = runs.quarantined(ctx.engine, "hue311")
    assert warning["reason"] == CAP_WARNING
    lo, hi = (parse_dt(t) for t in warning["location"].removeprefix("window ").split(" – "))
    assert hi - lo == timedelta(seconds=60) and lo <= datetime(2026, 3, 2, 1, 0, tzinfo=UTC) <= hi
    assert json.loads(warning["raw"])["returned"] == 10


# --- malformed items ----------------------------------------------------------------------------


def test_malformed_items_are_quarantined_and_good_ones_kept(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests += [
        open311_request("G1", hours_ago(30)),
        open311_request("", hours_ago(29)),                                     # no id
        open311_request("B2", "hôm qua", _at=hours_ago(28)),                     # unparseable
        open311_request("B3", hours_ago(27), status="pending"),                 # not open/closed
        open311_request("B4", hours_ago(26), status="closed", updated_datetime=hours_ago(40)),  # closed before opened
        open311_request("G2", hours_ago(25), status="closed", updated_datetime=hours_ago(1)),
    ]
    ctx = make_ctx(tmp_path, source(server.url))

    outcome = run(ctx)

    assert counts(outcome) == {"fetched": 6, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 4}
    assert sorted(stored(ctx)) == ["G1", "G2"]
    reasons = {q["external_id"]: q for q in runs.quarantined(ctx.engine, "hue311")}
    assert reasons[None]["reason"] == "external_id: empty"
    assert reasons["B2"]["reason"] == "received_at: unparseable timestamp 'hôm qua'"
    assert reasons["B3"]["reason"] == "status: unknown Open311 status 'pending' (expected open or closed)"
    assert reasons["B4"]["reason"] == "resolved_at: earlier than received_at"
    assert reasons["B3"]["location"].startswith("requests.json item ")
    assert "(window 20" in reasons["B3"]["location"]
    assert json.loads(reasons["B2"]["raw"])["requested_datetime"] == "hôm qua"

    # The lookback re-reads the bad items next run: they are not quarantined a second time.
    again = run(ctx)
    assert counts(again) == {"fetched": 6, "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert len(runs.quarantined(ctx.engine, "hue311")) == 4


def test_an_id_listed_twice_keeps_its_newest_copy(tmp_path: Path, server: FakeOpen311) -> None:
    """A server that lists a request twice in one response (open, then closed): the newer copy
    wins, whatever its place in the list; an older copy after a newer one changes nothing."""
    server.requests += [
        open311_request("D", hours_ago(30)),
        open311_request("D", hours_ago(30), status="closed", updated_datetime=hours_ago(2)),
        open311_request("E", hours_ago(29), status="closed", updated_datetime=hours_ago(3)),
        open311_request("E", hours_ago(29)),  # an older copy, listed after the newer one
    ]
    ctx = make_ctx(tmp_path, source(server.url))

    assert counts(run(ctx))["inserted"] == 2
    rows = stored(ctx)
    assert rows["D"]["status"] == "resolved" and rows["D"]["resolved_at"] is not None
    assert rows["E"]["status"] == "resolved"


# --- a misbehaving server -----------------------------------------------------------------------


def test_http_500_is_retried(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests.append(open311_request("A", "2026-03-02T08:00:00+07:00"))
    server.fault("http500", times=2)
    ctx = make_ctx(tmp_path, source(server.url))

    assert counts(run(ctx))["inserted"] == 1
    assert len(server.request_calls()) >= 3  # two 500s, then the first window again


@pytest.mark.parametrize(("kind", "kw", "expected"), [
    ("http500", {}, "HTTP 500"),
    ("broken_json", {}, "response is not valid JSON"),
    ("error_array", {"code": 403, "description": "Invalid api_key"}, "Open311 error response: 403 Invalid api_key"),
    ("not_a_list", {}, "expected a JSON list, got dict"),
])
def test_a_failing_server_fails_the_run_and_loses_nothing(
    tmp_path: Path, server: FakeOpen311, kind: str, kw: dict[str, Any], expected: str
) -> None:
    server.requests.append(open311_request("A", "2026-03-02T08:00:00+07:00", agency_responsible="Sở Xây dựng"))
    ctx = make_ctx(tmp_path, source(server.url, api_key="s3cret-key"))
    assert counts(run(ctx))["inserted"] == 1
    mark = runs.get_watermark(ctx.engine, "hue311")
    before = stored(ctx)
    server.requests.append(open311_request("B", hours_ago(2)))
    server.fault(kind, times=-1, **kw)

    outcome = run(ctx)

    assert outcome.status == "failed"
    assert expected in outcome.error
    assert f"{server.url}/requests.json" in outcome.error
    assert "s3cret-key" not in outcome.error
    assert stored(ctx) == before
    assert runs.get_watermark(ctx.engine, "hue311") == mark
    h = health(ctx)
    assert (h.last_status, h.consecutive_failures) == ("failed", 1)
    assert expected in h.last_error

    server.clear_faults()  # the server recovers: the next run picks up what it missed
    assert counts(run(ctx))["inserted"] == 1
    assert sorted(stored(ctx)) == ["A", "B"]
    assert health(ctx).consecutive_failures == 0


def test_timeouts(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests.append(open311_request("A", "2026-03-02T08:00:00+07:00"))
    ctx = make_ctx(tmp_path, source(server.url, retry_attempts=2), timeout=0.3)

    server.fault("slow", times=1, seconds=1.0)  # one slow answer: the retry gets through
    assert counts(run(ctx))["inserted"] == 1

    server.fault("slow", times=-1, seconds=2.0)
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert outcome.error.startswith(f"{server.url}/requests.json: timed out after 0.3s (2 attempts)")


# --- mapping ------------------------------------------------------------------------------------


def test_offsets_are_converted_to_utc_and_missing_deadlines_filled(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests += [
        # Monday 2 March 08:00 local + 7 working days = Wednesday 11 March 08:00 local.
        open311_request("MON", "2026-03-02T08:00:00+07:00"),
        # Thursday 12 Feb 10:00 local: Fri 13 is day 1, Tết closes 16–20 Feb, 23–27 Feb are days
        # 2–6, Monday 2 March is day 7.
        open311_request("TET", "2026-02-12T10:00:00+07:00"),
        open311_request("DUE", "2026-03-02T23:30:00Z", expected_datetime="2026-03-05T17:00:00+07:00",
                        updated_datetime="2026-03-03T09:15:00+07:00"),
    ]
    ctx = make_ctx(tmp_path, source(server.url))
    assert counts(run(ctx))["inserted"] == 3
    rows = stored(ctx)

    assert rows["MON"]["received_at"] == datetime(2026, 3, 2, 1, 0)
    assert rows["MON"]["due_at"] == datetime(2026, 3, 11, 1, 0)
    assert rows["TET"]["received_at"] == datetime(2026, 2, 12, 3, 0)
    assert rows["TET"]["due_at"] == datetime(2026, 3, 2, 3, 0)
    assert rows["DUE"]["received_at"] == datetime(2026, 3, 2, 23, 30)
    assert rows["DUE"]["due_at"] == datetime(2026, 3, 5, 10, 0)
    assert rows["DUE"]["updated_at"] == datetime(2026, 3, 3, 2, 15)
    assert rows["MON"]["updated_at"] == datetime(2026, 3, 2, 1, 0)


def test_naive_times_can_be_local(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests.append(open311_request("N", "2026-03-02T08:00:00"))
    ctx = make_ctx(tmp_path, source(server.url, times_are_local=True, jurisdiction_id="hue.gov.vn"))

    assert counts(run(ctx))["inserted"] == 1
    assert stored(ctx)["N"]["received_at"] == datetime(2026, 3, 2, 1, 0)
    first = server.request_calls()[0]
    assert first["start_date"] == "2026-01-01T00:00:00+07:00"
    assert first["jurisdiction_id"] == "hue.gov.vn"


def test_units_channels_ratings_and_categories(tmp_path: Path, server: FakeOpen311) -> None:
    closed = {"status": "closed", "updated_datetime": "2026-03-04T10:00:00+07:00"}
    server.requests += [
        open311_request("CITY", "2026-03-02T08:00:00+07:00", lat=16.4637, long=107.5909,
                        extended_attributes={"channel": "hue-s"}),
        open311_request("HANOI", "2026-03-02T08:01:00+07:00", lat=21.0285, long=105.8542,
                        extended_attributes={"channel": "fax", "rating": "satisfied"}),
        open311_request("NOGEO", "2026-03-02T08:02:00+07:00", lat=None, long=None, **closed,
                        extended_attributes={"rating": "acceptable", "channel": "hotline"}),
        open311_request("CODE", "2026-03-02T08:03:00+07:00", **closed, service_code="environment",
                        service_name=None, agency_responsible="Công ty Môi trường",
                        extended_attributes={"commune_code": "19960", "rating": "Dissatisfied",
                                             "resolution": "Duplicate"}),
        open311_request("AGENCY", "2026-03-02T08:04:00+07:00", agency_responsible="Sở Giao thông"),
        # before 1 July 2025 a server names the district of the time; the position finds the ward in it
        open311_request("OLD", "2025-06-10T08:05:00+07:00", lat=16.41, long=107.69,
                        extended_attributes={"district_code": "479"}),
        open311_request("OLDGONE", "2025-06-10T08:06:00+07:00", lat=None, long=None,
                        extended_attributes={"district_code": "483"}),
    ]
    ctx = make_ctx(tmp_path, source(server.url, start_date=date(2025, 6, 1), window_days=400))
    assert counts(run(ctx))["inserted"] == 7
    rows = stored(ctx)

    # the provincial centre's position lies in today's Phường Thuận Hóa
    assert (rows["CITY"]["unit_code"], rows["CITY"]["channel"], rows["CITY"]["status"]) == ("19789", "hue_s", "received")
    assert rows["CITY"]["commune_code"] == "19789" and rows["CITY"]["district_code"] == ""
    assert (rows["HANOI"]["unit_code"], rows["HANOI"]["channel"]) == ("", "other")
    assert rows["HANOI"]["lat"] == pytest.approx(21.0285)
    assert rows["HANOI"]["rating"] is None  # an open report has no rating yet
    assert (rows["NOGEO"]["unit_code"], rows["NOGEO"]["rating"], rows["NOGEO"]["status"]) == ("", "acceptable",
                                                                                               "resolved")
    assert rows["NOGEO"]["resolved_at"] == datetime(2026, 3, 4, 3, 0)
    assert (rows["CODE"]["unit_code"], rows["CODE"]["commune_code"]) == ("19960", "19960")
    old = rows["OLD"]  # a ward of Thị xã Hương Thủy then; today's commune through the conversion
    assert (old["district_code"], old["unit_code"], old["commune_code"]) == ("479", "19960", "19960")  # Phú Bài
    # Nam Đông was merged into Phú Lộc on 2025-01-01: no unit of that code then, and no position
    assert (rows["OLDGONE"]["unit_code"], rows["OLDGONE"]["commune_code"]) == ("", "")
    assert (rows["CODE"]["status"], rows["CODE"]["rating"]) == ("rejected", "dissatisfied")
    assert (rows["CODE"]["category_code"], rows["CODE"]["category_name"]) == ("environment", "Môi trường, vệ sinh")
    assert rows["CODE"]["handling_unit"] == "Công ty Môi trường"
    assert (rows["AGENCY"]["status"], rows["AGENCY"]["handling_unit"]) == ("assigned", "Sở Giao thông")
    assert (rows["CITY"]["description"], rows["CITY"]["address"]) == ("Đèn đường hỏng #CITY", "Lê Lợi, Huế")


# --- later changes to older requests ------------------------------------------------------------


def test_a_request_closed_months_later_ends_up_resolved(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests += [
        open311_request("A", "2026-01-05T09:00:00+07:00", agency_responsible="Công ty Môi trường"),
        open311_request("B", "2026-01-06T09:00:00+07:00"),
        open311_request("C", hours_ago(5)),
    ]
    ctx = make_ctx(tmp_path, source(server.url))
    assert counts(run(ctx)) == {"fetched": 3, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert sorted(watermark(ctx)["open"]) == ["A", "B", "C"]
    assert stored(ctx)["A"]["status"] == "assigned"

    # Nothing changed: A and B are re-polled by id (outside the lookback), C comes in its window.
    assert counts(run(ctx)) == {"fetched": 3, "inserted": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert server.request_calls()[-1] == {"service_request_id": "A,B"}

    server.requests[0].update(status="closed", updated_datetime="2026-05-20T15:30:00+07:00",
                              extended_attributes={"rating": "satisfied"})
    server.requests[1].update(status="closed", updated_datetime="2026-01-07T10:00:00+07:00",
                              extended_attributes={"resolution": "duplicate"})
    assert counts(run(ctx)) == {"fetched": 3, "inserted": 0, "updated": 2, "unchanged": 1, "rejected": 0}
    rows = stored(ctx)
    assert (rows["A"]["status"], rows["A"]["resolved_at"], rows["A"]["rating"]) == (
        "resolved", datetime(2026, 5, 20, 8, 30), "satisfied")
    assert rows["A"]["updated_at"] == datetime(2026, 5, 20, 8, 30)
    assert rows["A"]["received_at"] == datetime(2026, 1, 5, 2, 0)
    assert (rows["B"]["status"], rows["B"]["resolved_at"]) == ("rejected", datetime(2026, 1, 7, 3, 0))
    assert watermark(ctx)["open"] == ["C"]

    # An identical pull changes nothing, and the closed ones are no longer asked for.
    calls_before = len(server.request_calls())
    assert counts(run(ctx)) == {"fetched": 1, "inserted": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    assert stored(ctx) == rows
    assert all("service_request_id" not in c for c in server.request_calls()[calls_before:])


def test_open_ids_are_repolled_in_chunks_and_capped(tmp_path: Path, server: FakeOpen311) -> None:
    server.requests += [open311_request(f"O{i}", f"2026-01-0{i}T09:00:00+07:00") for i in range(1, 6)]
    ctx = make_ctx(tmp_path, source(server.url, repoll_chunk=2, open_cap=3))
    assert counts(run(ctx))["inserted"] == 5
    assert watermark(ctx)["open"] == ["O3", "O4", "O5"]  # the newest three

    calls_before = len(server.request_calls())
    assert counts(run(ctx))["unchanged"] == 3
    repolls = [c["service_request_id"] for c in server.request_calls()[calls_before:] if "service_request_id" in c]
    assert repolls == ["O3,O4", "O5"]


# --- configuration and isolation ----------------------------------------------------------------


def test_one_dead_source_does_not_stop_another(tmp_path: Path, server: FakeOpen311) -> None:
    with socket.socket() as sock:  # a port that nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    server.requests.append(open311_request("A", "2026-03-02T08:00:00+07:00"))
    ctx = make_ctx(tmp_path, source(f"http://127.0.0.1:{dead_port}/open311/v2", name="dead"),
                   source(server.url, name="live"))

    dead, live = run(ctx, "dead"), run(ctx, "live")

    assert dead.status == "failed" and "ConnectError" in dead.error
    assert f"127.0.0.1:{dead_port}/open311/v2/services.json" in dead.error
    assert counts(live)["inserted"] == 1
    assert list(stored(ctx, "live")) == ["A"] and stored(ctx, "dead") == {}
    assert (health(ctx, "dead").consecutive_failures, health(ctx, "live").last_status) == (1, "ok")


@pytest.mark.parametrize(("options", "expected"), [
    ({"page_size": 50}, "source 'hue311': unknown option(s) page_size (known: api_key, "),
    ({"jurisdiction_id": 12}, "source 'hue311': option 'jurisdiction_id'=12 is invalid (text)"),
    ({"lookback_days": -1}, "source 'hue311': option 'lookback_days'=-1 is invalid (a number ≥ 0)"),
    ({"times_are_local": "yes"}, "source 'hue311': option 'times_are_local'='yes' is invalid (true or false)"),
])
def test_bad_options_fail_the_run_before_any_request(
    tmp_path: Path, server: FakeOpen311, options: dict[str, Any], expected: str
) -> None:
    ctx = make_ctx(tmp_path, source(server.url, **options))
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert outcome.error.startswith(expected)
    assert server.calls == []
