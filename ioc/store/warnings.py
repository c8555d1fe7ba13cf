"""Store and read official warnings (CAP 1.2 messages, :mod:`ioc.store.schema_warnings`).

A message is upserted by ``(sender, identifier)``: read again it changes nothing, unless its
content differs (a corrected copy replaces the stored one). After every batch, the Cancel and
Update messages of the senders it touched are applied again to their senders' earlier
messages (``ended_at``/``ended_by``), whatever order the messages came in: a Cancel read before
the warning it cancels still ends it once both are stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, or_, select, update

from ioc.cap import CapAlert
from ioc.domain import warnings as rules
from ioc.domain.alert_rules import Finding
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import utcnow
from ioc.domain.units import UnitMap
from ioc.store import bulk
from ioc.store.db import bump_version
from ioc.store.ingest import IngestResult
from ioc.store.schema_warnings import cap_warnings

COMPARED = ("sent", "status", "msg_type", "scope", "category", "event", "event_en", "headline", "headline_en",
            "description", "instruction", "description_en", "instruction_en", "severity", "urgency", "certainty",
            "onset", "expires", "area_desc", "areas", "in_city", "refs")


def _known_codes() -> Any:
    codes = {u.code for u in UnitMap.default().units}
    return codes.__contains__


def ingest(engine: Engine, source: str, records: Iterable[CapAlert], tz: ZoneInfo | None = None,
           calendar: WorkCalendar | None = None) -> IngestResult:
    """Upsert CAP messages from ``source`` and apply their senders' Cancels and Updates."""
    known = _known_codes()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for alert in records:
        row = rules.message_row(alert, known)
        rows[(row["sender"], row["identifier"])] = row  # the same message twice: the last copy
    if not rows:
        return IngestResult()
    inserted = updated = 0
    now = utcnow()
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "ingest:warnings")
        keys = list(rows)
        stored = {}
        for chunk in range(0, len(keys), 200):
            part = keys[chunk:chunk + 200]
            cond = or_(*(and_(cap_warnings.c.sender == s, cap_warnings.c.identifier == i) for s, i in part))
            stored.update({(r.sender, r.identifier): r for r in conn.execute(select(cap_warnings).where(cond))})
        for key, row in rows.items():
            old = stored.get(key)
            if old is None:
                conn.execute(cap_warnings.insert().values(source=source, updated_at=now, ingested_at=now, **row))
                inserted += 1
            elif any(getattr(old, c) != row[c] for c in COMPARED):
                conn.execute(update(cap_warnings).where(cap_warnings.c.id == old.id)
                             .values(source=source, updated_at=now, ingested_at=now, **row))
                updated += 1
        ended = _apply_references(conn, {s for s, _ in rows})
        if inserted or updated or ended:
            bump_version(conn, rules.FAMILY)
    return IngestResult(inserted, updated, len(rows) - inserted - updated)


def _apply_references(conn: Connection, senders: set[str]) -> int:
    """End each message a later Cancel or Update of its sender references; returns rows changed."""
    rows = conn.execute(select(cap_warnings.c.id, cap_warnings.c.sender, cap_warnings.c.identifier,
                               cap_warnings.c.sent, cap_warnings.c.msg_type, cap_warnings.c.refs,
                               cap_warnings.c.ended_at, cap_warnings.c.ended_by)
                        .where(cap_warnings.c.sender.in_(sorted(senders)))).all()
    by_key = {(r.sender, r.identifier): r for r in rows}
    ends: dict[int, tuple[datetime, str]] = {}
    for r in rows:
        if r.msg_type not in ("Cancel", "Update") or not r.refs:
            continue
        for pair in r.refs.split():
            sender, _, identifier = pair.partition(",")
            target = by_key.get((sender, identifier))
            if target is None or target.id == r.id or sender != r.sender or target.sent > r.sent:
                continue  # only the sender ends its own messages, and only earlier ones
            if target.id not in ends or r.sent < ends[target.id][0]:
                ends[target.id] = (r.sent, r.identifier)
    changed = 0
    for r in rows:
        want = ends.get(r.id, (None, None))
        if (r.ended_at, r.ended_by) != want:
            conn.execute(update(cap_warnings).where(cap_warnings.c.id == r.id)
                         .values(ended_at=want[0], ended_by=want[1]))
            changed += 1
    return changed


# --------------------------------------------------------------------------- reading


def findings(conn: Connection, now: datetime) -> list[Finding]:
    """The alerts the stored warnings raise at ``now`` (naive UTC): :func:`ioc.domain.warnings.finding`."""
    rows = conn.execute(select(cap_warnings).where(
        cap_warnings.c.status == "Actual", cap_warnings.c.msg_type.in_(("Alert", "Update")),
        cap_warnings.c.in_city.is_(True), cap_warnings.c.sent <= now,
        or_(cap_warnings.c.ended_at.is_(None), cap_warnings.c.ended_at > now))).all()
    return [f for f in (rules.finding(r, now) for r in rows) if f is not None]


def warnings_between(engine: Engine, start: datetime, end: datetime, limit: int = 500) -> list[Any]:
    """Messages sent in ``[start, end)`` (naive UTC), newest first."""
    with engine.connect() as conn:
        return conn.execute(select(cap_warnings).where(cap_warnings.c.sent >= start, cap_warnings.c.sent < end)
                            .order_by(cap_warnings.c.sent.desc(), cap_warnings.c.id.desc()).limit(limit)).all()


def in_force(engine: Engine, now: datetime) -> list[Any]:
    """Warnings in force at ``now`` (any status, so exercises can be shown as such), most
    severe first, then newest."""
    with engine.connect() as conn:
        rows = conn.execute(select(cap_warnings).where(
            cap_warnings.c.msg_type.in_(("Alert", "Update")), cap_warnings.c.sent <= now,
            or_(cap_warnings.c.ended_at.is_(None), cap_warnings.c.ended_at > now))).all()
    live = [r for r in rows if (rules.ends_of(r) or now) > now]
    order = {s: i for i, s in enumerate(("Extreme", "Severe", "Moderate", "Minor", "Unknown"))}
    return sorted(live, key=lambda r: (order.get(r.severity, 9), -r.sent.timestamp()))


def geojson(row: Any) -> dict[str, Any]:
    try:
        data = json.loads(row.areas or "{}")
    except ValueError:
        data = {}
    return data if data.get("type") == "FeatureCollection" else {"type": "FeatureCollection", "features": []}
