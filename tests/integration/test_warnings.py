"""Official warnings end to end (issue #15): CAP 1.2 messages stored by their identity on
SQLite and PostgreSQL, Cancels and Updates applied in whatever order they come, alerts and the
city stage raised while a warning is in force; a feed polled over HTTP from a local server and
files imported, with bad entries quarantined and a broken source failing without loss."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from ioc import cap_export
from ioc.alerts import current_alerts, current_stage, evaluate, recent_alerts
from ioc.cap import read_alert
from ioc.collect import import_file, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.i18n_alerts import describe
from ioc.sources import SourceSpec
from ioc.store import runs
from ioc.store import warnings as store
from ioc.store.schema_warnings import cap_warnings
from tests.cap_samples import HANOI_POLYGON, atom_feed, cap_message, reference

HUE = ZoneInfo("Asia/Ho_Chi_Minh")

SETTINGS = load_settings({})
T0 = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)
NAIVE_T0 = T0.replace(tzinfo=None)
H = timedelta(hours=1)


def _rows(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {r.identifier: r for r in conn.execute(select(cap_warnings))}


def _ingest(engine: Engine, *xml: str):  # noqa: ANN202
    return store.ingest(engine, "test", [read_alert(x) for x in xml])


def test_messages_are_kept_by_identity_and_cancels_end_them_in_any_order(engine: Engine) -> None:
    flood = cap_message("w1", T0, expires=T0 + 6 * H)
    cancel = cap_message("w1.cancel", T0 + 2 * H, msg_type="Cancel", references=reference("w1", T0))
    first = _ingest(engine, cancel)  # the cancel comes first, alone
    assert (first.inserted, first.updated) == (1, 0)
    second = _ingest(engine, flood, flood)  # then the warning, twice in one batch
    assert (second.inserted, second.unchanged) == (1, 0)
    again = _ingest(engine, flood)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    rows = _rows(engine)
    assert rows["w1"].ended_at == NAIVE_T0 + 2 * H and rows["w1"].ended_by == "w1.cancel"
    # Another sender cannot end it; an update of the same sender can, and is in force itself.
    _ingest(engine, cap_message("x.cancel", T0 + H, sender="someone.else", msg_type="Cancel",
                                references=reference("w2", T0)))
    _ingest(engine, cap_message("w2", T0, expires=T0 + 6 * H),
            cap_message("w2.up", T0 + H, msg_type="Update", severity="Extreme", urgency="Immediate",
                        certainty="Observed", expires=T0 + 9 * H, references=reference("w2", T0)))
    rows = _rows(engine)
    assert rows["w2"].ended_at == NAIVE_T0 + H and rows["w2"].ended_by == "w2.up"
    assert rows["w2.up"].ended_at is None


def test_a_warning_in_force_raises_an_alert_and_the_stage_until_it_ends(engine: Engine) -> None:
    _ingest(engine, cap_message("w1", T0, expires=T0 + 6 * H),
            cap_message("drill", T0, status="Exercise", severity="Extreme", expires=T0 + 6 * H),
            cap_message("far", T0, polygon=HANOI_POLYGON, severity="Extreme", expires=T0 + 6 * H))
    at = NAIVE_T0 + H
    evaluate(engine, SETTINGS, at, sources=())
    found = [a for a in current_alerts(engine, at) if a.family == "warnings"]
    assert [(a.kind, a.level) for a in found] == [("cap_warning", "high")]  # not the drill, not Hà Nội's
    assert current_stage(engine, at).level == 3
    assert describe(found[0], "vi") == "Lũ trên sông Hương — Sông Hương tại Kim Long (Nguy hiểm), " \
                                       "hiệu lực đến 20/10/2026 14:00"
    assert describe(found[0], "en").startswith("Flood on the Hương river — Sông Hương tại Kim Long (Severe)")
    # The IOC's own CAP feed leaves the warning out: it is the agency's message, not the IOC's.
    feed = cap_export.feed(cap_export.Publisher(sender="ioc.test", sender_name={}, base_url="http://ioc.test/",
                                                tz=HUE), current_alerts(engine, at), engine, at, "http://ioc.test/cap")
    assert b"<entry" not in feed and b"Kim Long" not in feed
    # An update to Extreme, Immediate, Observed: the first ends, the update is an emergency (stage 5).
    _ingest(engine, cap_message("w1.up", T0 + 2 * H, msg_type="Update", severity="Extreme", urgency="Immediate",
                                certainty="Observed", expires=T0 + 8 * H, references=reference("w1", T0)))
    evaluate(engine, SETTINGS, NAIVE_T0 + 3 * H, sources=())
    assert current_stage(engine, NAIVE_T0 + 3 * H).level == 5
    # Past its expiry nothing is in force; both episodes are history with their ends.
    evaluate(engine, SETTINGS, NAIVE_T0 + 9 * H, sources=())
    assert not [a for a in current_alerts(engine, NAIVE_T0 + 9 * H) if a.family == "warnings"]
    ended = sorted((a.started_at, a.ended_at) for a in recent_alerts(engine, NAIVE_T0 - H, family="warnings"))
    assert ended == [(NAIVE_T0, NAIVE_T0 + 3 * H), (NAIVE_T0 + 2 * H, NAIVE_T0 + 8 * H)]


class CapServer:
    """Serves fixed XML bodies by path on 127.0.0.1 and counts the requests; ``fail`` answers 500."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}
        self.calls: list[str] = []
        self.fail = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.calls.append(self.path)
                body = server.bodies.get(self.path)
                status = 500 if server.fail else 200 if body is not None else 404
                data = (body or "not here").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/cap+xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"


@pytest.fixture
def cap_server() -> Iterator[CapServer]:
    server = CapServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite"}))


def test_a_feed_is_polled_its_links_read_once_and_bad_entries_quarantined(ctx: Context, cap_server: CapServer) -> None:
    now = datetime.now(UTC)
    cap_server.bodies["/cap/a2.xml"] = cap_message("a2", now, expires=now + 6 * H)
    cap_server.bodies["/cap/bad.xml"] = cap_message("a3", now).replace("<status>Actual</status>", "<status>Real</status>")
    cap_server.bodies["/feed.xml"] = atom_feed([cap_message("a1", now, expires=now + 6 * H)],
                                               ["/cap/a2.xml", "cap/bad.xml"],
                                               broken=['<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>'])
    spec = SourceSpec(name="kttv", type="cap", family="warnings", every_seconds=300, url=cap_server.url("/feed.xml"))
    runs.register_sources(ctx.engine, [spec])
    outcome = run_source(ctx, spec)
    assert outcome.status == "ok", outcome.error
    assert (outcome.counts["inserted"], outcome.counts["rejected"]) == (2, 2)
    reasons = {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, "kttv")}
    assert reasons[cap_server.url("/cap/bad.xml")] == "alert/status: 'Real' is not one of Actual, Exercise, System, " \
                                                      "Test, Draft"
    assert any("feed/entry[" in r for r in reasons.values())
    assert set(_rows(ctx.engine)) == {"a1", "a2"}
    # The next run reads the feed again but no link it has read.
    cap_server.calls.clear()
    assert run_source(ctx, spec).status == "ok"
    assert cap_server.calls == ["/feed.xml"]
    # A server error fails the run with the reason; nothing stored is lost.
    cap_server.fail = True
    failed = run_source(ctx, spec)
    assert failed.status == "failed" and "HTTP 500" in (failed.error or "")
    assert set(_rows(ctx.engine)) == {"a1", "a2"}
    cap_server.fail = False
    cap_server.bodies["/feed.xml"] = "<html><body>maintenance</body></html>"
    broken = run_source(ctx, spec)
    assert broken.status == "failed" and "neither a CAP <alert> nor an Atom or RSS feed" in (broken.error or "")


def test_a_file_is_imported_with_its_linked_files_and_http_links_refused(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "msgs").mkdir()
    (tmp_path / "msgs" / "f2.xml").write_text(cap_message("f2", T0), encoding="utf-8")
    feed = tmp_path / "msgs" / "feed.xml"
    feed.write_text(atom_feed([cap_message("f1", T0)], ["f2.xml", "http://example.invalid/f3.xml", "../../etc.xml"]),
                    encoding="utf-8")
    outcome = import_file(ctx, "warnings", feed, show_progress=False)
    assert outcome.status == "ok" and outcome.counts["inserted"] == 2 and outcome.counts["rejected"] == 2
    reasons = " | ".join(q["reason"] for q in runs.quarantined(ctx.engine, outcome.source))
    assert 'a source of type "cap"' in reasons and "outside the feed's folder" in reasons
    bad = tmp_path / "bad.xml"
    bad.write_text("<alert>not CAP</alert>", encoding="utf-8")
    failed = import_file(ctx, "warnings", bad, show_progress=False)
    assert failed.status == "failed" and "bad.xml" in (failed.error or "")
    assert set(_rows(ctx.engine)) == {"f1", "f2"}
