"""The generic JSON collector (type = "json") feeding a spec-declared system: the sources file
maps the spec's source field names (tests/data/systems/lights.toml) to item paths; the events
land in ``system_events`` with their rollups, a malformed item is quarantined with its reason
and id, and the watermark follows the spec's time field. A local server, a real SQLite store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from families.systems import family_of
from ioc import registry
from ioc.context import Context
from ioc.store import runs
from ioc.store.schema_systems import system_events
from ioc.systems.spec import load_spec
from tests.integration.json_server import JsonServer
from tests.integration.test_json_mapping import counts, make_ctx, run

PATH = "/lights/api/tickets"
NAME = "lights-platform"
LIGHTS = Path(__file__).resolve().parents[1] / "data" / "systems" / "lights.toml"
FIELDS = {  # the spec's source field names → item paths
    "ticket": "id",
    "reported": "meta.created",
    "fixed": "meta.fixed",
    "commune": "place.commune",
    "lat": "place.geo.0",
    "lon": "place.geo.1",
    "lamps": "lamps",
    "note": "text",
    "fault": "kind.code",
    "state": "status",
}
VALUES = {"state": {"1": "open", "9": "fixed"}}


@pytest.fixture(autouse=True)
def lights() -> Iterator[Any]:
    """The registry with the test's system (it may be there already when IOC_SYSTEMS names it)."""
    real = registry.registry()
    if "lights" in real.codes:
        yield real
        return
    with registry.use(replace(real, families=(*real.families, family_of(load_spec(LIGHTS))))) as reg:
        yield reg


@pytest.fixture
def server() -> Iterator[JsonServer]:
    with JsonServer() as fake:
        yield fake


def ticket(tid: Any, created: str, status: int = 1, *, fixed: str | None = None, fault: str = "dark",
           lamps: Any = 3, geo: list[float] | None = None) -> dict[str, Any]:
    meta = {"created": created, **({"fixed": fixed} if fixed else {})}
    return {"id": tid, "meta": meta, "status": status, "kind": {"code": fault, "label": "…"}, "lamps": lamps,
            "text": f"Đèn hỏng #{tid}", "place": {"commune": "19753", "geo": geo or [16.4637, 107.5909]}}


def pages(*items_per_page: list[Any]) -> Any:
    """Pages 1, 2, … chained by ``links.next`` (a relative link with ?page=N)."""
    def answer(params: dict[str, str]) -> dict[str, Any]:
        n = int(params.get("page", "1"))
        more = n < len(items_per_page)
        return {"data": {"items": items_per_page[n - 1]}, "links": {"next": f"{PATH}?page={n + 1}" if more else None}}
    return answer


def lights_source(url: str) -> dict[str, Any]:
    return {"name": NAME, "type": "json", "family": "lights", "url": url, "every_seconds": 60,
            "items": "data.items", "next": "links.next", "retry_backoff_s": 0.01, "retry_attempts": 2, "query": {"from": "{since}"},
            "watermark_field": "reported", "fields": FIELDS, "values": VALUES}


def stored(ctx: Context) -> dict[str, dict[str, Any]]:
    e = system_events
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(e).where(e.c.source == f"lights/{NAME}")).mappings()
        return {r["external_id"]: dict(r) for r in rows}


def test_pages_of_items_land_as_events_bad_ones_quarantined_and_the_watermark_advances(
        tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, pages(
        [ticket("A1", "2026-03-02T08:00:00+07:00", 9, fixed="2026-03-02T11:30:00+07:00"),
         ticket("A2", "2026-03-03T09:15:00+07:00", fault="flicker", lamps="4,5")],
        [ticket("B1", "2026-03-03T10:00:00+07:00", fault="broken"),  # not a fault of the spec
         ticket("A3", "2026-03-04T20:00:00+07:00", lamps=None),
         ticket("B2", "2026-03-09T08:00:00+07:00", status=5),  # a status with no translation (newer: no watermark)
         "không phải đối tượng"],
    ))
    ctx = make_ctx(tmp_path, lights_source(server.url(PATH)))

    assert counts(run(ctx, NAME)) == {"fetched": 6, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 3}
    rows = stored(ctx)
    assert sorted(rows) == ["A1", "A2", "A3"]
    a1 = rows["A1"]
    assert (a1["system"], a1["d1"], a1["d2"], a1["value"], a1["duration_h"], a1["unit_code"], a1["title"]) == (
        "lights", "dark", "fixed", 3.0, 3.5, "19753", "Đèn hỏng #A1")
    assert str(a1["occurred_at"]) == "2026-03-02 01:00:00"  # naive UTC
    assert (rows["A2"]["d1"], rows["A2"]["value"], rows["A3"]["value"]) == ("flicker", 4.5, None)
    got = sorted((q["location"], q["external_id"], q["reason"]) for q in runs.quarantined(ctx.engine, NAME))
    assert got == [
        ("page 2 item 1", "B1", "fault: 'broken' is not a fault (expected one of dark, flicker)"),
        ("page 2 item 3", "B2", "state: source value 5 has no translation in [sources.values.state]"),
        ("page 2 item 4", None, "item is a str, not an object"),
    ]
    # The watermark is the newest stored time of the spec's ``reported`` field (A3), in UTC.
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-04T13:00:00+00:00"
    assert [p.get("page") for p in server.params(PATH)] == [None, "2"]

    # The next run asks from there, and moves on with what is newer.
    server.route(PATH, pages([ticket("A3", "2026-03-04T20:00:00+07:00", lamps=None),
                              ticket("A4", "2026-03-05T07:45:00+07:00", lamps=2)]))
    assert counts(run(ctx, NAME)) == {"fetched": 2, "inserted": 1, "updated": 0, "unchanged": 1, "rejected": 0}
    assert server.params(PATH)[-1] == {"from": "2026-03-04T13:00:00+00:00"}
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-05T00:45:00+00:00"
    assert sorted(stored(ctx)) == ["A1", "A2", "A3", "A4"]


def test_the_watermark_field_may_name_the_record_attribute_too(tmp_path: Path, server: JsonServer) -> None:
    server.route(PATH, pages([ticket("A1", "2026-03-02T08:00:00+07:00")]))
    ctx = make_ctx(tmp_path, {**lights_source(server.url(PATH)), "watermark_field": "occurred_at"})
    assert counts(run(ctx, NAME))["inserted"] == 1
    assert runs.get_watermark(ctx.engine, NAME) == "2026-03-02T01:00:00+00:00"
