"""Search: one record, by its id, with its whole stored history; or every violation of a plate.

Query functions only (no web framework). A record found is a :class:`Found` with its personal
data (plate, citizen's description and address) as stored; :func:`for_reader` makes it fit for
one reader (:class:`ioc.privacy.Exposure`: hidden, masked or clear) before anything shows it.

**History.** The store keeps the latest version of each record, upserted by
``(source, external_id)``: a status change replaces the row, it is not kept as a row of its own.
A record's history is therefore the stage times stored on it — received / detected, verified,
notice sent, paid, supplement pauses, resolved, returned — its deadline and its last update
(``updated_at``, the source's time, and ``ingested_at``, when this store took that version).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, false, func, or_, select

from ioc.domain.admin_records import parse_pauses_json
from ioc.domain.search import SearchQuery
from ioc.privacy import Exposure, display_plate, mask_text
from ioc.store.schema_admin import admin_dossiers as D
from ioc.store.schema_admin import admin_procedures as P
from ioc.store.schema_feedback import feedback_reports as F
from ioc.store.schema_traffic import traffic_violations as V

#: the most records one id may match (one per source, in practice)
ID_LIMIT = 20
#: the most violations a plate search lists (the newest); the total is counted apart
PLATE_LIMIT = 100
KINDS = ("feedback", "traffic", "admin")


@dataclass(frozen=True)
class Event:
    """One moment of a record's history: ``at`` naive UTC, ``code`` what happened
    (``received``, ``verified``, ``resolved``, ``pause``, ``resume``, ``updated``, ``stored``…)."""

    at: datetime
    code: str


@dataclass(frozen=True)
class Found:
    """A record found. ``kind``: ``feedback`` (a citizen's report), ``traffic`` (a violation) or
    ``admin`` (a dossier). ``facts``: what is not personal (status, unit, channel, category,
    deadline…, keyed by field name); ``plate`` / ``description`` / ``address``: personal data,
    None when the reader may not see it. ``events``: its history, oldest first."""

    kind: str
    source: str
    external_id: str
    status: str
    facts: dict[str, Any]
    events: tuple[Event, ...]
    plate: str | None = None
    description: str | None = None
    address: str | None = None
    # the stored plate as read at ingest (canonical when valid) and its validity: for display_plate
    plate_canonical: str | None = field(default=None, repr=False)
    plate_status: str | None = None


@dataclass(frozen=True)
class SearchResult:
    """What one query found: the records by id, the violations of the plate (newest first, at
    most :data:`PLATE_LIMIT`), how many violations the plate has in all, and whether the plate
    part was searched (``plate_searched``: the text reads as a plate and the reader may)."""

    by_id: tuple[Found, ...]
    by_plate: tuple[Found, ...] = ()
    plate_total: int = 0
    plate_searched: bool = False

    @property
    def empty(self) -> bool:
        return not self.by_id and not self.by_plate


def _events(*moments: tuple[Any, str]) -> tuple[Event, ...]:
    """The given (time, code) pairs that have a time, in time order (ties keep the given order)."""
    found = [Event(at, code) for at, code in moments if isinstance(at, datetime)]
    return tuple(sorted(found, key=lambda e: e.at))


def _id_clause(table: Any, query: SearchQuery) -> Any:
    clauses = [table.c.external_id == ext if source is None
               else and_(table.c.source == source, table.c.external_id == ext) for source, ext in query.ids]
    return or_(*clauses) if clauses else false()


def _feedback(row: Any) -> Found:
    closed = "resolved" if row["status"] == "resolved" else "closed"
    return Found(
        "feedback", row["source"], row["external_id"], row["status"],
        {"category_code": row["category_code"], "category_name": row["category_name"], "channel": row["channel"],
         "unit_code": row["unit_code"] or row["commune_code"], "handling_unit": row["handling_unit"], "received_at": row["received_at"],
         "due_at": row["due_at"], "resolved_at": row["resolved_at"], "rating": row["rating"]},
        _events((row["received_at"], "received"), (row["resolved_at"], closed),
                (row["updated_at"], "updated"), (row["ingested_at"], "stored")),
        description=row["description"], address=row["address"])


def _violation(row: Any) -> Found:
    return Found(
        "traffic", row["source"], row["external_id"], row["status"],
        {"violation_type": row["violation_type"], "vehicle_class": row["vehicle_class"], "channel": row["channel"],
         "camera_code": row["camera_code"], "unit_code": row["unit_code"] or row["commune_code"], "detected_at": row["detected_at"],
         "fine_vnd": row["fine_vnd"], "fine_flag": row["fine_flag"], "decree": row["decree"],
         "rating": row["rating"]},
        _events((row["detected_at"], "detected"),
                (row["verified_at"], "dismissed" if row["status"] == "dismissed" else "verified"),
                (row["notice_sent_at"], "notice_sent"), (row["paid_at"], "paid"),
                (row["updated_at"], "updated"), (row["ingested_at"], "stored")),
        plate=row["plate_raw"], plate_canonical=row["plate"], plate_status=row["plate_status"],
        description=row["description"], address=row["address"])


def _dossier(row: Any) -> Found:
    pauses: list[tuple[Any, str]] = []
    try:
        for start, end in parse_pauses_json(row["pauses"]):
            pauses += [(start, "pause"), (end, "resume")]
    except (ValueError, TypeError):  # a malformed pauses text: the other stages still show
        pauses = []
    return Found(
        "admin", row["source"], row["external_id"], row["status"],
        {"procedure_code": row["procedure_code"], "procedure_name": row["procedure_name"], "field": row["field"],
         "level": row["level"], "channel": row["channel"], "unit_code": row["unit_code"] or row["commune_code"],
         "received_at": row["received_at"], "due_at": row["due_at"], "effective_due_at": row["effective_due_at"],
         "resolved_at": row["resolved_at"], "bucket": row["bucket"], "rating": row["rating"]},
        _events((row["received_at"], "received"), *pauses, (row["resolved_at"], "resolved"),
                (row["returned_at"], "returned"), (row["updated_at"], "updated"), (row["ingested_at"], "stored")))


def find_feedback(engine: Engine, query: SearchQuery) -> list[Found]:
    """Citizens' reports whose id is the query (any source, or the source of a store key)."""
    stmt = select(F).where(_id_clause(F, query)).order_by(F.c.source).limit(ID_LIMIT)
    with engine.connect() as conn:
        return [_feedback(r) for r in conn.execute(stmt).mappings()]


def find_violations(engine: Engine, query: SearchQuery) -> list[Found]:
    """Traffic violations whose id is the query."""
    stmt = select(V).where(_id_clause(V, query)).order_by(V.c.source).limit(ID_LIMIT)
    with engine.connect() as conn:
        return [_violation(r) for r in conn.execute(stmt).mappings()]


def find_dossiers(engine: Engine, query: SearchQuery) -> list[Found]:
    """Administrative dossiers (hồ sơ TTHC) whose id is the query, with their procedure's name."""
    stmt = (select(D, P.c.name.label("procedure_name"))
            .select_from(D.outerjoin(P, P.c.code == D.c.procedure_code))
            .where(_id_clause(D, query)).order_by(D.c.source).limit(ID_LIMIT))
    with engine.connect() as conn:
        return [_dossier(r) for r in conn.execute(stmt).mappings()]


def violations_by_plate(engine: Engine, query: SearchQuery, limit: int = PLATE_LIMIT) -> tuple[list[Found], int]:
    """The violations of the plate the query reads as (every canonical reading, and the text
    exactly as received for plates the store could not read), newest first (at most ``limit``),
    and how many there are in all."""
    if not query.plates:
        return [], 0
    where = or_(V.c.plate.in_(query.plates), V.c.plate_raw == query.text)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(V).where(where)).scalar_one())
        rows = conn.execute(select(V).where(where).order_by(V.c.detected_at.desc(), V.c.id.desc())
                            .limit(max(1, limit))).mappings().all()
    return [_violation(r) for r in rows], total


def search(engine: Engine, query: SearchQuery, plates_allowed: bool) -> SearchResult:
    """Every record whose id is the query, and, when ``plates_allowed`` and the query reads as a
    plate, that plate's violations (:func:`violations_by_plate`)."""
    by_id = (*find_feedback(engine, query), *find_violations(engine, query), *find_dossiers(engine, query))
    if not (plates_allowed and query.is_plate):
        return SearchResult(by_id)
    seen = {(f.kind, f.source, f.external_id) for f in by_id}
    plate_rows, total = violations_by_plate(engine, query)
    return SearchResult(by_id, tuple(f for f in plate_rows if (f.kind, f.source, f.external_id) not in seen),
                        total, plate_searched=True)


def for_reader(found: Found, exposure: Exposure) -> Found:
    """``found`` as one reader may see it: personal data None when hidden to them, masked
    (``75A-123.**``; phones, e-mails and plates inside text) unless they may see it in clear."""
    if exposure.hidden:
        return dataclasses.replace(found, plate=None, plate_canonical=None, description=None, address=None)
    plate = (None if found.plate is None
             else display_plate(found.plate, found.plate_canonical, found.plate_status, exposure.reveal_plates))
    return dataclasses.replace(
        found, plate=plate, plate_canonical=None,
        description=None if found.description is None else mask_text(found.description, exposure.reveal_text),
        address=None if found.address is None else mask_text(found.address, exposure.reveal_text))
