"""The audit trail (Decree 13/2023/NĐ-CP: who did what with personal data, and when).

Append-only (:mod:`ioc.store.schema_access`): sign-ins and failed sign-ins, acknowledgements,
exports (what, how many rows, masked or not, the reason), unmasked views, and changes to users,
wall tokens and sources. Rows older than the retention (``IOC_AUDIT_RETENTION_DAYS``, default
730) are deleted by :func:`prune`, which the scheduler runs daily. Times are naive UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, desc, insert, select

from ioc.domain.local_time import utcnow
from ioc.store.schema_access import MAX_NAME, audit_log

ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "acknowledge", "export", "report", "unmask", "unmasked_view", "user_add",
           "user_disable", "user_enable", "user_reset", "user_role", "token_add", "token_revoke", "source_change",
           "audit_prune", "denied", "search")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str | None
    detail: dict[str, Any]
    address: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat() + "Z", "actor": self.actor, "role": self.role,
                "action": self.action, "target": self.target, "detail": self.detail, "address": self.address}


def record(engine: Engine, actor: str, action: str, target: str | None = None, detail: dict[str, Any] | None = None,
           role: str | None = None, address: str | None = None, at: datetime | None = None) -> None:
    """Append one entry; ``action`` is one of :data:`ACTIONS` (ValueError otherwise)."""
    with engine.begin() as conn:
        record_in(conn, actor, action, target, detail, role, address, at)


def record_in(conn: Connection, actor: str, action: str, target: str | None = None,
              detail: dict[str, Any] | None = None, role: str | None = None, address: str | None = None,
              at: datetime | None = None) -> None:
    """:func:`record` inside the caller's transaction (the entry stands or falls with the change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(insert(audit_log).values(
        at=at or utcnow(), actor=(actor or "?")[:MAX_NAME], role=role, action=action,
        target=None if target is None else str(target)[:300],
        detail=None if not detail else json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        address=None if address is None else str(address)[:64]))


def entries(engine: Engine, since: datetime | None = None, action: str | None = None, actor: str | None = None,
            limit: int = 1000) -> list[AuditEntry]:
    """The newest entries first (at most ``limit``), optionally from ``since`` (naive UTC), of one
    action or one actor."""
    stmt = select(audit_log).order_by(desc(audit_log.c.id)).limit(max(1, min(limit, 100_000)))
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= since)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if actor:
        stmt = stmt.where(audit_log.c.actor == actor)
    with engine.connect() as conn:
        return [AuditEntry(id=int(r["id"]), at=r["at"], actor=r["actor"], role=r["role"], action=r["action"],
                           target=r["target"], detail=json.loads(r["detail"]) if r["detail"] else {},
                           address=r["address"]) for r in conn.execute(stmt).mappings()]


def prune(engine: Engine, retention_days: int, now: datetime | None = None) -> int:
    """Delete the entries older than ``retention_days`` (0: keep everything); returns how many.
    The pruning itself is recorded."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with engine.begin() as conn:
        gone = conn.execute(delete(audit_log).where(audit_log.c.at < cutoff)).rowcount
    if gone:
        record(engine, "system", "audit_prune", detail={"deleted": gone, "before": cutoff.isoformat() + "Z",
                                                        "retention_days": retention_days})
    return int(gone)
