"""The generic JSON-over-HTTP collector (type = "json") against a local server, into a real SQLite store.

Every test talks to 127.0.0.1 only (tests/integration/json_server.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from data_sources import json_mapping
from data_sources.json_mapping import _MISSING, dig, map_item
from ioc.collect import RunOutcome, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.registry import registry
from ioc.sources import ConfigurationError
from ioc.store import runs, schema_feedback
from tests.integration.json_server import JsonServer

PATH = "/api/events"
NAME = "camera"
KNOWN_FAMILIES = ", ".join(registry().codes)  # the sources file names them when refusing one
# 2026-01-01 00:00 in Huế (UTC+7) is 2025-12-31 17:00 UTC.
FIRST_SINCE = "2025-12-31T17:00:00+00:00"
FIELDS = {
    "external_id": "id",
    "received_at": "meta.created",
    "updated_at": "meta.updated",
    "resolved_at": "meta.closed",
    "status": "state",
    "channel": "=hue_s",
    "category_code": "kind.code",
    "description": "content",
    "address": "location.address",
    "lat": "location.coords.0",
    "lon": "location.coords.1",
    "handling_unit": "assignees.0.name",
    "rating": "survey.score",
}
VALUES = {
    "status": {"1": "received", "2": "in_progress", "9": "resolved"},
    "rating": {"1": "dissatisfied", "2": "acceptable", "3": "satisfied"},
}
FIELDS_ERROR = f"source {NAME!r}: [sources.fields] must map store fields to item paths (text)"


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[JsonServer]:
    with JsonServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def few_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paging loop ends after 30 pages, not 10,000, so a paging bug fails in well under a second."""
    monkeypatch.setattr(json_mapping, "MAX_PAGES", 30)


def item(iid: Any, created: str = "2026-03-02T08:00:00+07:00", state: Any = 1, *, updated: str | None = None,
         closed: str | None = None, **extra: Any) -> dict[str, Any]:
    """One event of the (made-up) camera platform; ``extra`` replaces top-level keys."""
    meta = {"created": created, "updated": updated or closed or created}
    if closed is not None:
        meta["closed"] = closed
    event = {
        "id": iid, "state": state, "content": f"Lấn chiếm vỉa hè #{iid}", "meta": meta,
        "kind": {"code": "urban_order", "label": "Trật tự đô thị"},
        "location": {"address": "Lê Lợi, Huế", "coords": [16.4637, 107.5909]},
        "assignees": [{"name": "Phường Phú Hội"}, {"name": "Sở Xây dựng"}],
    }
    event.update(extra)
    return event


def page(items: Any, next_link: Any = None) -> dict[str, Any]:
    return {"data": {"items": items}, "links": {"next": next_link}, "meta": {"count": len(items)}}


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def _emit(prefix: str, table: dict[str, Any], lines: list[str]) -> None:
    """Scalars first, then each sub-table as a ``[prefix.key]`` section, as in the docstring."""
    subs = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    lines += [f"{_key(k)} = {_toml(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for key, sub in subs:
        lines.append(f"[{prefix}.{_key(key)}]")
        _emit(f"{prefix}.{_key(key)}", sub, lines)


def source(url: str, name: str = NAME, **options: Any) -> dict[str, Any]:
    """A json/feedback source table; an option given as None is left out."""
    table = {"name": name, "type": "json", "family": "feedback", "url": url, "every_seconds": 60,
             "start_date": date(2026, 1, 1), "items": "data.items", "retry_backoff_s": 0.01, "retry_attempts": 2,
             "query": {"from": "{since}"}, "fields": FIELDS, "values": VALUES}
    table.update(options)
    return {k: v for k, v in table.items() if v is not None}


def write_sources(tmp_path: Path, *sources: dict[str, Any]) -> Path:
    lines: list[str] = []
    for table in sources:
        lines.append("[[sources]]")
        _emit("sources", table, lines)
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def settings_for(tmp_path: Path, sources_path: Path, timeout: float = 2.0, **env: str) -> Any:
    return load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "IOC_SOURCES": str(sources_path),
                          "IOC_HTTP_TIMEOUT": str(timeout), **env})


def make_ctx(tmp_path: Path, *sources: dict[str, Any], timeout: float = 2.0, **env: str) -> Context:
    return build_context(settings_for(tmp_path, write_sources(tmp_path, *sources), timeout, **env))


def run(ctx: Context, name: str = NAME) -> RunOutcome:
    return run_source(ctx, ctx.source(name))


def counts(outcome: RunOutcome) -> dict[str, int]:
    assert outcome.status == "ok", outcome.error
    return outcome.counts


def stored(ctx: Context, name: str = NAME) -> dict[str, dict[str, Any]]:
    table = schema_feedback.feedback_reports
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.source == name)).mappings()
        return {r["external_id"]: dict(r) for r in rows}


def quarantined(ctx: Context, name: str = NAME) -> list[dict[str, Any]]:
    return sorted(runs.quarantined(ctx.engine, name), key=lambda q: q["id"])


def health(ctx: Context, name: str = NAME) -> runs.SourceHealth:
    return {h.name: h for h in runs.source_health(ctx.engine)}[name]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- the documented format, end to end ----------------------------------------------------------

DOCUMENTED = """
[[sources]]
name = "camera-platform"
type = "json"
family = "feedback"
url = "URL"
every_seconds = 60
start_date = 2026-01-01
items = "data.items"
times_are_local = false
retry_backoff_s = 0.01
[sources.query]
from = "{since}"
[sources.fields]
external_id = "id"
received_at = "meta.created"
updated_at = "meta.updated"
resolved_at = "meta.closed"
status = "state"
channel = "=hue_s"
category_code = "kind.code"
description = "content"
address = "location.address"
lat = "location.coords.0"
lon = "location.coords.1"
handling_unit = "assignees.0.name"
rating = "survey.score"
[sources.values.status]
"1" = "received"
"9" = "resolved"
[sources.values.rating]
"1" = "dissatisfied"
"3" = "satisfied"
"""


def test_documented_format_maps_nested_paths_list_indexes_constants_and_values(
    tmp_path: Path, server: JsonServer
) -> None:
    server.route(PATH, page([
        item("A"),
        item("B", "2026-03-03T09:00:00+07:00", state="9", closed="2026-03-04T10:30:00+07:00",
             kind={"code": "lighting"}, assignees=[], location={"address": "Đập Đá"}, survey={"score": 3}),
    ]))
    path = tmp_path / "sources.toml"
    path.write_text(DOCUMENTED.replace("URL", server.url(PATH)), encoding="utf-8")
    ctx = build_context(settings_for(tmp_path, path))

    outcome = run(ctx, "camera-platform")

    assert counts(outcome) == {"fetched": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    rows = stored(ctx, "camera-platform")
    a, b = rows["A"], rows["B"]
    # Nested paths, converted to naive UTC; a missing deadline is 7 working days later.
    assert (a["received_at"], a["updated_at"], a["due_at"]) == (
        datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 11, 1, 0))
    # List indexes.
    assert (a["lat"], a["lon"], a["handling_unit"]) == (16.4637, 107.5909, "Phường Phú Hội")
    # The constant, the translated numeric state, plain nested text.
    assert (a["channel"], a["status"], a["resolved_at"], a["rating"]) == ("hue_s", "received", None, None)
    assert (a["category_code"], a["category_name"]) == ("urban_order", "Trật tự đô thị")
    assert (a["description"], a["address"]) == ("Lấn chiếm vỉa hè #A", "Lê Lợi, Huế")
    # A string "9" translates like a number 1 does; absent paths leave the field empty.
    assert (b["status"], b["resolved_at"], b["rating"]) == ("resolved", datetime(2026, 3, 4, 3, 30), "satisfied")
    assert (b["channel"], b["category_code"], b["category_name"]) == ("hue_s", "lighting", "Chiếu sáng công cộng")
    assert (b["lat"], b["lon"], b["handling_unit"], b["address"]) == (None, None, "", "Đập Đá")
    assert server.params(PATH) == [{"from": FIRST_SINCE}]
    assert runs.quarantined(ctx.engine, "camera-platform") == []

    # The same data again changes nothing.
    assert counts(run(ctx, "camera-platform")) == {
        "fetched": 2, "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert stored(ctx, "camera-platform") == rows


def test_items_at_the_top_level_and_other_field_names(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, [{"ref": {"code": "C-1"}, "t": "2026-03-02T01:00:00Z", "st": "new",
                         "photos": [{"url": "http://x/1.jpg"}, {"url": "http://x/2.jpg"}]}])
    ctx = make_ctx(tmp_path, source(server.url(PATH), items="", query=None, values={"status": {"new": "received"}},
                                    fields={"external_id": "ref.code", "received_at": "t", "status": "st",
                                            "description": "photos.-1.url", "channel": "=hotline"}))

    assert counts(run(ctx))["inserted"] == 1
    row = stored(ctx)["C-1"]
    assert (row["received_at"], row["status"], row["channel"]) == (datetime(2026, 3, 2, 1, 0), "received", "hotline")
    assert row["description"] == "http://x/2.jpg"
    assert server.params(PATH) == [{}]  # no [sources.query]: no parameters


# --- bad items ----------------------------------------------------------------------------------


def test_an_untranslated_value_is_quarantined_naming_the_field(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([
        item("G1"),
        item("X5", state=5),
        item("XR", state=9, closed="2026-03-03T08:00:00+07:00", survey={"score": 7}),
        item("G2", "2026-03-02T09:00:00+07:00"),
    ]))
    ctx = make_ctx(tmp_path, source(server.url(PATH)))

    assert counts(run(ctx)) == {"fetched": 4, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert sorted(stored(ctx)) == ["G1", "G2"]
    x5, xr = quarantined(ctx)
    assert x5["reason"] == "status: source value 5 has no translation in [sources.values.status]"
    assert xr["reason"] == "rating: source value 7 has no translation in [sources.values.rating]"
    assert (x5["external_id"], x5["location"], x5["family"]) == ("X5", "page 1 item 2", "feedback")
    assert json.loads(x5["raw"]) == item("X5", state=5)
    assert health(ctx).last_counts["rejected"] == 2


def test_malformed_items_are_quarantined_and_good_ones_of_the_page_kept(
    tmp_path: Path, server: JsonServer
) -> None:
    no_id = item("tmp")
    del no_id["id"]
    server.route(PATH, page([
        item("G1"),
        "không phải đối tượng",                                            # not an object
        [1, 2],                                                             # not an object either
        no_id,                                                              # no id
        item("B4", "hôm qua"),                                              # bad timestamp
        item("B5", state=9),                                                # resolved without a close time
        item("B6", "2026-03-05T08:00:00+07:00", state=9, closed="2026-03-04T08:00:00+07:00"),
        item("B7", location={"address": "Huế", "coords": [116.4, 107.6]}),  # latitude out of range
        item("G2", "2026-03-03T08:00:00+07:00", state=9, closed="2026-03-04T08:00:00+07:00", survey={"score": 1}),
    ]))
    ctx = make_ctx(tmp_path, source(server.url(PATH)))

    outcome = run(ctx)

    assert counts(outcome) == {"fetched": 9, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 7}
    rows = stored(ctx)
    assert sorted(rows) == ["G1", "G2"]
    assert (rows["G2"]["status"], rows["G2"]["rating"]) == ("resolved", "dissatisfied")
    got = [(q["location"], q["external_id"], q["reason"]) for q in quarantined(ctx)]
    assert got == [
        ("page 1 item 2", None, "item is a str, not an object"),
        ("page 1 item 3", None, "item is a list, not an object"),
        ("page 1 item 4", None, "external_id: missing"),
        ("page 1 item 5", "B4", "received_at: unparseable timestamp 'hôm qua'"),
        ("page 1 item 6", "B5", "resolved_at: missing for a resolved report"),
        ("page 1 item 7", "B6", "resolved_at: earlier than received_at"),
        ("page 1 item 8", "B7", "lat: 116.4 is outside [-90, 90]"),
    ]
    assert json.loads(quarantined(ctx)[0]["raw"]) == "không phải đối tượng"
    assert runs.get_watermark(ctx.engine, NAME) is not None  # bad items do not fail the run


def test_a_quarantined_item_keeps_its_nested_external_id(tmp_path: Path, server: JsonServer) -> None:
    """external_id may be a nested path like any other field; the quarantine should still name it."""
    server.route(PATH, page([item("ignored", ref={"code": "C-7"}, state=5)]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), fields={**FIELDS, "external_id": "ref.code"}))

    assert counts(run(ctx))["rejected"] == 1
    [bad] = quarantined(ctx)
    assert bad["reason"] == "status: source value 5 has no translation in [sources.values.status]"
    assert bad["external_id"] == "C-7"


# --- paging -------------------------------------------------------------------------------------


def test_paging_by_next_links_relative_root_relative_and_absolute(tmp_path: Path, server: JsonServer) -> None:
    pages = [[item("P1a"), item("P1b")], [item("P2")], [item("P3")], [item("P4")]]
    links = ["events?cursor=2", "/api/events?cursor=3", server.url("/archive/events?cursor=4"), ""]

    def handler(params: dict[str, str]) -> dict[str, Any]:
        k = int(params.get("cursor", "1"))
        return page(pages[k - 1], links[k - 1])

    server.route(PATH, handler)
    server.route("/archive/events", handler)
    ctx = make_ctx(tmp_path, source(server.url(PATH), next="links.next"))

    assert counts(run(ctx)) == {"fetched": 5, "inserted": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert sorted(stored(ctx)) == ["P1a", "P1b", "P2", "P3", "P4"]
    # The query goes with the first request only; the links carry what the server needs.
    assert server.calls == [(PATH, {"from": FIRST_SINCE}), (PATH, {"cursor": "2"}), (PATH, {"cursor": "3"}),
                            ("/archive/events", {"cursor": "4"})]


def test_the_url_s_own_query_is_kept_alongside_the_query_table(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, lambda params: page([item("A")] if params.get("page") == "1" else []))
    ctx = make_ctx(tmp_path, source(server.url(PATH) + "?kind=camera&district=474", page_param="page"))

    assert counts(run(ctx))["inserted"] == 1
    assert server.params(PATH) == [{"kind": "camera", "district": "474", "from": FIRST_SINCE, "page": str(n)}
                                   for n in (1, 2)]


def test_a_next_link_that_never_ends_stops_at_the_page_limit(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")], "?cursor=again"))
    ctx = make_ctx(tmp_path, source(server.url(PATH), next="links.next"))

    outcome = run(ctx)

    assert (outcome.status, outcome.error) == ("failed", f"{server.url(PATH)}: more than 30 pages; stopping")
    assert len(server.calls) == 30
    assert (outcome.counts["inserted"], outcome.counts["unchanged"]) == (1, 29)  # kept, as the runner promises


def test_a_null_or_missing_next_link_ends_paging(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, {"data": {"items": [item("A")]}})  # no "links" at all
    ctx = make_ctx(tmp_path, source(server.url(PATH), next="links.next"))
    assert counts(run(ctx))["inserted"] == 1
    assert len(server.calls) == 1


def test_reject_locations_name_the_page_when_following_next_links(tmp_path: Path, server: JsonServer) -> None:
    pages = [[item("A")], [item("B")], [item("C", state=5)]]

    def handler(params: dict[str, str]) -> dict[str, Any]:
        k = int(params.get("cursor", "1"))
        return page(pages[k - 1], f"?cursor={k + 1}" if k < len(pages) else None)

    server.route(PATH, handler)
    ctx = make_ctx(tmp_path, source(server.url(PATH), next="links.next"))

    assert counts(run(ctx))["rejected"] == 1
    [bad] = quarantined(ctx)
    assert bad["external_id"] == "C"
    assert bad["location"] == "page 3 item 1"


def test_paging_by_page_number_stops_at_the_first_empty_page(tmp_path: Path, server: JsonServer) -> None:
    pages = {1: [item("A"), item("B")], 2: [item("C"), item("X", state=5)], 3: [], 4: [item("NEVER")]}
    server.route(PATH, lambda params: page(pages.get(int(params["page"]), [])))
    ctx = make_ctx(tmp_path, source(server.url(PATH), page_param="page"))

    assert counts(run(ctx)) == {"fetched": 4, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    assert sorted(stored(ctx)) == ["A", "B", "C"]
    assert server.params(PATH) == [{"from": FIRST_SINCE, "page": str(n)} for n in (1, 2, 3)]
    [bad] = quarantined(ctx)
    assert (bad["external_id"], bad["location"]) == ("X", "page 2 item 2")


def test_an_empty_first_page_is_a_successful_empty_run(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), page_param="p"))
    assert counts(run(ctx)) == {"fetched": 0, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    assert server.params(PATH) == [{"from": FIRST_SINCE, "p": "1"}]
    assert health(ctx).last_status == "ok"


# --- since, until and watermarks ----------------------------------------------------------------


def test_since_is_the_watermark_of_the_previous_successful_run(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH),
                                    query={"from": "{since}", "to": "{until}", "kind": "camera", "w": "{since}/x"}))

    before = utc_now()
    assert counts(run(ctx))["inserted"] == 1
    after = utc_now()
    [first] = server.params(PATH)
    assert (first["from"], first["kind"], first["w"]) == (FIRST_SINCE, "camera", f"{FIRST_SINCE}/x")
    until = datetime.fromisoformat(first["to"])
    assert until.utcoffset() == timedelta(0) and before <= until <= after
    mark = runs.get_watermark(ctx.engine, NAME)
    assert mark == first["to"]  # without watermark_field, the next run resumes from this run's "until"

    server.fault("http500", times=-1)
    failed = run(ctx)
    assert failed.status == "failed"
    assert server.params(PATH)[-1]["from"] == mark
    assert runs.get_watermark(ctx.engine, NAME) == mark  # a failed run does not move it

    server.clear_faults()
    assert counts(run(ctx))["unchanged"] == 1
    assert server.params(PATH)[-1]["from"] == mark
    assert runs.get_watermark(ctx.engine, NAME) >= mark


@pytest.mark.parametrize(("tz", "expected"), [
    ("Asia/Ho_Chi_Minh", "2025-12-31T17:00:00+00:00"),
    ("UTC", "2026-01-01T00:00:00+00:00"),
    ("America/New_York", "2026-01-01T05:00:00+00:00"),
])
def test_the_first_since_is_start_date_at_local_midnight_in_utc(
    tmp_path: Path, server: JsonServer, tz: str, expected: str
) -> None:
    server.route(PATH, page([]))
    ctx = make_ctx(tmp_path, source(server.url(PATH)), IOC_TIMEZONE=tz)
    counts(run(ctx))
    assert server.params(PATH) == [{"from": expected}]


def test_without_start_date_the_first_pull_looks_back_30_days(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), start_date=None))
    before = utc_now()
    counts(run(ctx))
    since = datetime.fromisoformat(server.params(PATH)[0]["from"])
    assert before - timedelta(days=30, seconds=1) <= since <= utc_now() - timedelta(days=30)


def test_watermark_field_resumes_from_the_newest_stored_value(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([
        item("A", "2026-03-02T08:00:00+07:00"),
        item("B", "2026-03-03T08:00:00+07:00", state=9, closed="2026-03-05T10:00:00+07:00"),
        item("C", "2026-03-04T08:00:00+07:00", updated="2026-03-04T09:00:00+07:00"),
        item("X", "2026-04-01T08:00:00+07:00", state=5),  # newer, but rejected: it does not count
    ]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), watermark_field="updated_at"))

    assert counts(run(ctx))["inserted"] == 3
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-05T03:00:00+00:00"

    server.route(PATH, page([item("B", "2026-03-03T08:00:00+07:00", state=9, closed="2026-03-05T10:00:00+07:00"),
                             item("D", "2026-03-06T08:00:00+07:00", updated="2026-03-06T12:15:00+07:00")]))
    assert counts(run(ctx)) == {"fetched": 2, "inserted": 1, "updated": 0, "unchanged": 1, "rejected": 0}
    assert server.params(PATH)[-1] == {"from": "2026-03-05T03:00:00+00:00"}
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-06T05:15:00+00:00"


def test_watermark_field_stays_put_when_nothing_new_arrives(tmp_path: Path, server: JsonServer) -> None:
    """With watermark_field the source's own clock drives resumption: an empty pull must not
    jump the watermark to our clock, or an item the platform publishes late (updated before
    this run, visible after it) is never asked for again."""
    server.route(PATH, page([item("A", "2026-03-02T08:00:00+07:00")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), watermark_field="updated_at"))
    assert counts(run(ctx))["inserted"] == 1
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-02T01:00:00+00:00"

    server.route(PATH, page([]))
    assert counts(run(ctx))["fetched"] == 0
    assert server.params(PATH)[-1] == {"from": "2026-03-02T01:00:00+00:00"}
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-02T01:00:00+00:00"


@pytest.mark.parametrize(("local", "received", "mark"), [
    (True, datetime(2026, 3, 2, 1, 0), "2026-03-02T01:00:00+00:00"),
    (False, datetime(2026, 3, 2, 8, 0), "2026-03-02T08:00:00+00:00"),
])
def test_times_are_local(tmp_path: Path, server: JsonServer, local: bool, received: datetime, mark: str) -> None:
    server.route(PATH, page([
        item("NAIVE", "2026-03-02T08:00:00"),
        item("OFFSET", "2026-03-01T08:00:00+07:00"),  # an explicit offset wins either way
        item("ZULU", "2026-02-28T08:00:00Z"),
    ]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), times_are_local=local, watermark_field="updated_at"))

    assert counts(run(ctx))["inserted"] == 3
    rows = stored(ctx)
    assert rows["NAIVE"]["received_at"] == received
    assert rows["OFFSET"]["received_at"] == datetime(2026, 3, 1, 1, 0)
    assert rows["ZULU"]["received_at"] == datetime(2026, 2, 28, 8, 0)
    assert runs.get_watermark(ctx.engine, NAME) == mark


# --- a misbehaving server -----------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"data": {}},
    {"data": {"items": None}},
    {"data": {"items": {"0": item("A")}}},
    [item("A")],
    "data.items",
])
def test_a_response_without_a_list_at_items_fails_the_run(tmp_path: Path, server: JsonServer, body: Any) -> None:
    server.route(PATH, body)
    ctx = make_ctx(tmp_path, source(server.url(PATH)))

    outcome = run(ctx)

    assert outcome.status == "failed"
    assert outcome.error == f"{server.url(PATH)}: no list at 'data.items' in the response"
    assert stored(ctx) == {}
    assert runs.get_watermark(ctx.engine, NAME) is None
    h = health(ctx)
    assert (h.last_status, h.consecutive_failures, h.last_error) == ("failed", 1, outcome.error)


def test_a_failure_on_a_later_page_keeps_earlier_pages_and_the_watermark(
    tmp_path: Path, server: JsonServer
) -> None:
    pages: dict[int, Any] = {1: page([item("A"), item("B")]), 2: {"error": "backend down"}}
    server.route(PATH, lambda params: pages.get(int(params["page"]), page([])))
    ctx = make_ctx(tmp_path, source(server.url(PATH), page_param="page"))

    outcome = run(ctx)

    assert outcome.status == "failed"
    assert outcome.error == f"{server.url(PATH)}: no list at 'data.items' in the response"
    assert outcome.counts["inserted"] == 2
    assert sorted(stored(ctx)) == ["A", "B"]
    assert runs.get_watermark(ctx.engine, NAME) is None  # the next run starts from start_date again

    pages[2] = page([item("C")])
    assert counts(run(ctx)) == {"fetched": 3, "inserted": 1, "updated": 0, "unchanged": 2, "rejected": 0}
    assert server.params(PATH)[-1] == {"from": FIRST_SINCE, "page": "3"}


def test_http_500_is_retried_then_fails_the_run(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH)))  # retry_attempts = 2

    server.fault("http500", times=1)
    assert counts(run(ctx))["inserted"] == 1
    assert len(server.calls) == 2

    server.fault("http500", times=-1)
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert outcome.error == f"{server.url(PATH)}: HTTP 500"
    assert len(server.calls) == 4  # two attempts, no more
    assert health(ctx).consecutive_failures == 1

    server.clear_faults()
    assert counts(run(ctx))["unchanged"] == 1
    assert health(ctx).consecutive_failures == 0


def test_broken_json_is_retried_then_fails_the_run(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), retry_attempts=3))

    server.fault("broken_json", times=2)
    assert counts(run(ctx))["inserted"] == 1
    assert len(server.calls) == 3

    server.fault("broken_json", times=-1)
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert outcome.error.startswith(f"{server.url(PATH)}: response is not valid JSON")


def test_a_slow_server_times_out(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH)), timeout=0.3)

    server.fault("slow", times=1, seconds=1.0)  # one slow answer: the retry gets through
    assert counts(run(ctx))["inserted"] == 1

    server.fault("slow", times=-1, seconds=1.0)
    outcome = run(ctx)
    assert outcome.status == "failed"
    assert outcome.error == f"{server.url(PATH)}: timed out after 0.3s (2 attempts)"


@pytest.mark.parametrize("failure", ["http500", "no_list", "slow"])
def test_errors_do_not_show_the_query_of_a_next_link(tmp_path: Path, server: JsonServer, failure: str) -> None:
    """Like many APIs, this one echoes every request parameter (here an API key) in its next
    link; the error that ends up on the Sources page must not show it (base.py strips the query
    of HTTP errors for exactly that reason)."""
    more = "/api/events/more"

    def first(params: dict[str, str]) -> dict[str, Any]:
        return page([item("A")], server.url(more) + "?" + urlencode({**params, "page": 2}))

    server.route(PATH, first)
    server.route(more, {"error": "no such page"} if failure == "no_list" else page([item("B")]))
    if failure != "no_list":
        server.fault(failure, times=-1, path=more, seconds=1.0)
    ctx = make_ctx(tmp_path, source(server.url(PATH), next="links.next",
                                    query={"api_key": "s3cret-key", "from": "{since}"}), timeout=0.3)

    outcome = run(ctx)

    assert outcome.status == "failed"
    assert server.url(more) in outcome.error
    assert "s3cret-key" not in outcome.error
    assert "s3cret-key" not in (health(ctx).last_error or "")


# --- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    ({"family": None}, f"type 'json' needs 'family' (one of {KNOWN_FAMILIES})"),
    ({"family": "weather"}, f"type 'json' needs 'family' (one of {KNOWN_FAMILIES})"),
    ({"url": "ftp://127.0.0.1/x"}, "'url' must be an http(s) address"),
    ({"url": None}, "'url' must be an http(s) address"),
])
def test_bad_source_tables_stop_start_up_naming_the_source(
    tmp_path: Path, server: JsonServer, options: dict[str, Any], message: str
) -> None:
    table = {k: v for k, v in {**source(server.url(PATH)), **options}.items() if v is not None}
    path = write_sources(tmp_path, table)
    with pytest.raises(ConfigurationError) as caught:
        build_context(settings_for(tmp_path, path))
    assert str(caught.value) == f"{path}, source {NAME!r}: {message}"


def test_a_family_that_is_not_declared_is_refused_without_a_request(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, page([item("A")]))
    with pytest.raises(ConfigurationError, match=re.escape(f"source {NAME!r}: type 'json' needs 'family' "
                                                           f"(one of {KNOWN_FAMILIES})")):
        make_ctx(tmp_path, source(server.url(PATH), family="future"))  # not landed yet
    assert server.calls == []


@pytest.mark.parametrize(("options", "message"), [
    ({"fields": None}, FIELDS_ERROR),
    ({"fields": "id"}, FIELDS_ERROR),
    ({"fields": {}}, FIELDS_ERROR),
    ({"fields": {"external_id": "id", "lat": 16.46}}, FIELDS_ERROR),
    ({"values": "status"}, f"source {NAME!r}: [sources.values.FIELD] tables must map source values to ours"),
    ({"values": {"status": "received"}},
     f"source {NAME!r}: [sources.values.FIELD] tables must map source values to ours"),
    ({"query": "from={since}"}, f"source {NAME!r}: [sources.query] must be a table of query parameters"),
])
def test_bad_mapping_options_fail_the_run_naming_the_source_before_any_request(
    tmp_path: Path, server: JsonServer, options: dict[str, Any], message: str
) -> None:
    server.route(PATH, page([item("A")]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), **options))

    outcome = run(ctx)

    assert (outcome.status, outcome.error) == ("failed", message)
    assert server.calls == []
    h = health(ctx)
    assert (h.last_status, h.last_error, h.consecutive_failures) == ("failed", message, 1)
    assert stored(ctx) == {}


# --- dig and map_item ---------------------------------------------------------------------------

DOC = {
    "id": "E1",
    "meta": {"created": "2026-03-02T08:00:00+07:00", "closed": None, "n": 0, "flag": False, "empty": ""},
    "photos": [{"url": "a.jpg"}, {"url": "b.jpg"}, {"url": "c.jpg"}],
    "tags": ["x", "y"],
    "grid": [[1, 2], [3, 4]],
    "by_number": {"0": "zero", "1": {"v": "one"}},
    "a.b": "dotted key",
}


@pytest.mark.parametrize(("path", "expected"), [
    ("", DOC),
    ("id", "E1"),
    ("meta.created", "2026-03-02T08:00:00+07:00"),
    ("meta.closed", None),     # present but null: None, not missing
    ("meta.n", 0),
    ("meta.flag", False),
    ("meta.empty", ""),
    ("photos.0.url", "a.jpg"),
    ("photos.2.url", "c.jpg"),
    ("photos.-1.url", "c.jpg"),
    ("photos.-3.url", "a.jpg"),
    ("tags.1", "y"),
    ("grid.1.0", 3),
    ("by_number.0", "zero"),   # a dict's "0" key, not an index
    ("by_number.1.v", "one"),
    ("photos", DOC["photos"]),
])
def test_dig_finds(path: str, expected: Any) -> None:
    assert dig(DOC, path) == expected


@pytest.mark.parametrize("path", [
    "nope", "meta.nope", "meta.created.x", "meta.closed.x", "photos.3.url", "photos.-4.url", "photos.x",
    "photos.1.5", "tags.0.0", "id.0", "a.b", "meta.", ".id", "photos.+1.url", "photos.-",
])
def test_dig_misses(path: str) -> None:
    assert dig(DOC, path) is _MISSING


def test_dig_on_lists_and_scalars() -> None:
    assert dig([{"a": 1}, {"a": 2}], "1.a") == 2
    assert dig([], "0") is _MISSING
    assert dig("text", "0") is _MISSING
    assert dig(None, "a") is _MISSING
    assert dig(None, "") is None


def test_map_item_paths_constants_and_missing_fields() -> None:
    fields = {"external_id": "id", "received_at": "meta.created", "channel": "=hue_s", "empty": "=",
              "description": "photos.1.url", "resolved_at": "meta.closed", "rating": "survey.score"}
    assert map_item(DOC, fields, {}) == {
        "external_id": "E1", "received_at": "2026-03-02T08:00:00+07:00", "channel": "hue_s", "empty": "",
        "description": "b.jpg", "resolved_at": None,
    }  # "survey.score" is absent: the field is left out, not set to None


def test_map_item_translates_values() -> None:
    values = {"status": {"1": "received", "9": "resolved", "True": "verified"}, "channel": {"hue_s": "hue_s"},
              "rating": {"3": "satisfied"}}
    fields = {"status": "s", "channel": "=hue_s", "rating": "r"}
    assert map_item({"s": 1, "r": None}, fields, values) == {"status": "received", "channel": "hue_s", "rating": None}
    assert map_item({"s": "9"}, fields, values) == {"status": "resolved", "channel": "hue_s"}
    assert map_item({"s": True}, fields, values)["status"] == "verified"
    with pytest.raises(ValueError, match=re.escape(
            "status: source value 2 has no translation in [sources.values.status]")):
        map_item({"s": 2}, fields, values)
    with pytest.raises(ValueError, match=re.escape(
            "channel: source value 'web' has no translation in [sources.values.channel]")):
        map_item({"s": 1}, {**fields, "channel": "=web"}, values)


@pytest.mark.parametrize(("raw", "kind"), [("x", "str"), ([1], "list"), (None, "NoneType"), (3, "int")])
def test_map_item_refuses_non_objects(raw: Any, kind: str) -> None:
    with pytest.raises(ValueError, match=f"^item is a {kind}, not an object$"):
        map_item(raw, {"external_id": "id"}, {})


def test_an_item_from_the_future_or_year_one_is_quarantined_and_the_watermark_stays_honest(
        tmp_path: Path, server: JsonServer) -> None:
    """An item dated 2099 would carry the watermark past today and freeze the source; one dated
    year 1 (before the first representable instant once converted) used to fail the whole run.
    Both are quarantined with their reason, the good items of the page stored, and the next run
    still asks from the good items' newest time."""
    server.route(PATH, page([
        item("A", "2026-03-02T08:00:00+07:00"),
        item("FUTURE", "2099-01-01T08:00:00+07:00"),
        item("YEAR1", "0001-01-01T00:00:00+07:00"),
        item("B", "2026-03-03T08:00:00+07:00", updated="2026-03-03T09:00:00+07:00"),
        item("LATE", "2026-03-03T08:00:00+07:00", updated="9999-12-31T00:00:00+07:00"),
    ]))
    ctx = make_ctx(tmp_path, source(server.url(PATH), watermark_field="updated_at"))

    assert counts(run(ctx)) == {"fetched": 5, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    reasons = {q["external_id"]: q["reason"] for q in runs.quarantined(ctx.engine, NAME)}
    assert reasons["FUTURE"].startswith("received_at: 2099-01-01 01:00 UTC is after ")
    assert reasons["YEAR1"] == "received_at: '0001-01-01T00:00:00+07:00' is outside the accepted range"
    assert reasons["LATE"].startswith("updated_at: 9999-12-30 17:00 UTC is after ")
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-03T02:00:00+00:00"

    server.route(PATH, page([item("C", "2026-03-04T08:00:00+07:00")]))
    assert counts(run(ctx))["inserted"] == 1
    assert server.params(PATH)[-1] == {"from": "2026-03-03T02:00:00+00:00"}
