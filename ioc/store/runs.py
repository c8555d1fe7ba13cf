"""Collector runs, per-source watermarks, quarantine and source health.

A run's status is ``running`` until it ends ``ok`` or ``failed``; ``stopped`` when the scheduler
running it shut down in the middle (SIGTERM): that says nothing about the source, so source
health and the failure backoff look past stopped runs as past running ones. A running run beats
(``heartbeat_at``, :mod:`ioc.heartbeat`); one whose beat lapsed is marked ``failed`` as orphaned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, desc, func, insert, select, update

from ioc.domain.freshness import freshness
from ioc.secrets import public_options, redact
from ioc.sources import Reject, SourceSpec
from ioc.store import schema
from ioc.store.db import json_dumps, utcnow

RUNS = schema.collector_runs
RUNNING, STOPPED = "running", "stopped"
#: Statuses that are no verdict on the source (not finished, or cut short by a shutdown).
NO_VERDICT = (RUNNING, STOPPED)
ORPHANED = "orphaned: the scheduler running it stopped (no heartbeat since {since:%Y-%m-%d %H:%M:%S} UTC)"


def start_run(engine: Engine, source: str, family: str) -> int:
    now = utcnow()
    with engine.begin() as conn:
        result = conn.execute(insert(RUNS).values(source=source, family=family, started_at=now,
                                                  heartbeat_at=now, status=RUNNING))
        return int(result.inserted_primary_key[0])


def beat_run(engine: Engine, run_id: int) -> bool:
    """The run is alive (its heartbeat); False if it is no longer running (e.g. marked orphaned
    while its process was frozen: the run's own end still records its real outcome)."""
    with engine.begin() as conn:
        return conn.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status == RUNNING)
                            .values(heartbeat_at=utcnow())).rowcount == 1


def mark_orphaned_runs(engine: Engine, lease: timedelta, now: datetime | None = None) -> list[int]:
    """Mark ``failed`` every running run whose last heartbeat (or start, for a run that never
    beat) is older than ``lease``: its process is gone (killed, crashed, host down), or it would
    still beat. Returns the ids marked. Each row is re-checked in its UPDATE, so a run that beats
    in between is left alone."""
    now = now or utcnow()
    cutoff = now - lease
    last_sign = func.coalesce(RUNS.c.heartbeat_at, RUNS.c.started_at)
    marked = []
    with engine.begin() as conn:
        rows = conn.execute(select(RUNS.c.id, last_sign.label("since"))
                            .where(RUNS.c.status == RUNNING, last_sign < cutoff)).all()
        for run_id, since in rows:
            if isinstance(since, str):  # SQLite hands COALESCE back as text
                since = datetime.fromisoformat(since)
            done = conn.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status == RUNNING, last_sign < cutoff)
                                .values(status="failed", finished_at=now, error=ORPHANED.format(since=since)))
            if done.rowcount:
                marked.append(int(run_id))
    return marked


def finish_run(engine: Engine, run_id: int, status: str, counts: dict[str, int], error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
            finished_at=utcnow(), status=status, error=error, **counts))


def quarantine(engine: Engine, source: str, family: str, run_id: int | None, rejects: list[Reject]) -> None:
    if not rejects:
        return
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(insert(schema.quarantine), [
            {"source": source, "family": family, "run_id": run_id, "quarantined_at": now,
             "external_id": (r.external_id or None) and str(r.external_id)[:128], "location": r.location[:200],
             "reason": r.reason, "raw": r.raw_text()}
            for r in rejects
        ])


def get_watermark(engine: Engine, source: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(schema.watermarks.c.value).where(schema.watermarks.c.source == source)).scalar()


def set_watermark(engine: Engine, source: str, value: str) -> None:
    table = schema.watermarks
    with engine.begin() as conn:
        done = conn.execute(update(table).where(table.c.source == source).values(value=value, updated_at=utcnow()))
        if not done.rowcount:
            conn.execute(insert(table).values(source=source, value=value, updated_at=utcnow()))


def reset_watermark(engine: Engine, source: str) -> str | None:
    """Forget ``source``'s watermark (its next run starts from start_date or the default
    history; records are upserted, so nothing is doubled); returns the value removed."""
    table = schema.watermarks
    with engine.begin() as conn:
        old = conn.execute(select(table.c.value).where(table.c.source == source)).scalar()
        conn.execute(table.delete().where(table.c.source == source))
    return old


def register_sources(engine: Engine, specs: list[SourceSpec]) -> None:
    """Record the configured sources (so every process and page sees the same list). A source
    that is new or whose configuration changed is written to the audit trail (``source_change``,
    by ``config:<host>``: the sources file is the change's author), secrets left out."""
    import socket

    from ioc.audit import record_in

    table = schema.sources
    now = utcnow()
    with engine.begin() as conn:
        before = {r.name: r for r in conn.execute(select(table.c.name, table.c.type, table.c.family,
                                                         table.c.every_seconds, table.c.config_json))}
        for spec in specs:
            row = {"type": spec.type, "family": spec.family, "every_seconds": spec.every_seconds,
                   # Secrets (api_key, tokens, passwords, URL userinfo) never reach the database.
                   "config_json": json_dumps({"url": redact(spec.url), "path": str(spec.path) if spec.path else None,
                                              "start_date": spec.start_date, **public_options(spec.options)}),
                   "updated_at": now}
            old = before.get(spec.name)
            if old is None:
                conn.execute(insert(table).values(name=spec.name, **row))
            else:
                conn.execute(update(table).where(table.c.name == spec.name).values(**row))
            was = None if old is None else {"type": old.type, "family": old.family, "every_seconds": old.every_seconds,
                                            "config": old.config_json}
            now_is = {"type": spec.type, "family": spec.family, "every_seconds": spec.every_seconds,
                      "config": row["config_json"]}
            if was != now_is:
                record_in(conn, f"config:{socket.gethostname()}"[:100], "source_change", target=f"source {spec.name}",
                          detail={"before": was, "after": now_is})


@dataclass(frozen=True)
class SourceHealth:
    name: str
    type: str
    family: str
    every_seconds: int
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_counts: dict[str, int]

    def lag_seconds(self, now: datetime) -> float | None:
        """Seconds since the last successful run (None: never succeeded)."""
        return None if self.last_success_at is None else (now - self.last_success_at).total_seconds()

    def freshness(self, now: datetime) -> str:
        """'ok', 'late', 'stale' or 'never' (:func:`ioc.domain.freshness.freshness`)."""
        return freshness(self.lag_seconds(now), self.every_seconds)


def source_health(engine: Engine) -> list[SourceHealth]:
    """Each registered source's last finished run, last success and current failure streak.
    Running and stopped runs (:data:`NO_VERDICT`) are looked past: a shutdown neither breaks a
    failure streak nor adds to it, so the backoff after it is what it was before."""
    out = []
    with engine.connect() as conn:
        for src in conn.execute(select(schema.sources).order_by(schema.sources.c.name)).mappings():
            recent = conn.execute(
                select(RUNS).where(RUNS.c.source == src["name"], RUNS.c.status.not_in(NO_VERDICT))
                .order_by(desc(RUNS.c.id)).limit(20)
            ).mappings().all()
            last_ok = conn.execute(
                select(func.max(RUNS.c.finished_at)).where(RUNS.c.source == src["name"], RUNS.c.status == "ok")
            ).scalar()
            failures = 0
            for run in recent:
                if run["status"] != "failed":
                    break
                failures += 1
            last: dict[str, Any] = dict(recent[0]) if recent else {}
            out.append(SourceHealth(
                name=src["name"], type=src["type"], family=src["family"], every_seconds=src["every_seconds"],
                last_run_at=last.get("finished_at"), last_status=last.get("status"),
                # Errors stored by an older build may hold a key: the generic patterns catch most.
                last_error=redact(last.get("error")),
                last_success_at=last_ok, consecutive_failures=failures,
                last_counts={k: int(last.get(k) or 0) for k in
                             ("fetched", "inserted", "updated", "unchanged", "rejected")},
            ))
    return out


def quarantined(engine: Engine, source: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    q = schema.quarantine
    stmt = select(q).order_by(desc(q.c.id)).limit(limit)
    if source:
        stmt = stmt.where(q.c.source == source)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
