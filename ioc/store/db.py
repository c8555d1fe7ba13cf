"""Engine creation, schema set-up and seeding, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, Index, create_engine, event, insert, select, text
from sqlalchemy.engine import Connection

from ioc.domain.calendar import WorkCalendar, default_holidays, default_workdays
from ioc.domain.local_time import utcnow  # the store's clock; imported from here by its callers
from ioc.domain.units import Unit, UnitMap
from ioc.store import bulk, migrate, schema, schema_access, schema_alerts, schema_systems


def store_schemas() -> tuple[ModuleType, ...]:
    """The schema modules a store is made of, in seeding order: each registered family's
    (:attr:`ioc.family.Family.tables`), then the platform's alerts, accounts (:mod:`ioc.store.schema_access`)
    and the tables every spec-declared system shares (:mod:`ioc.store.schema_systems`). Each defines its tables on
    :data:`ioc.store.schema.metadata` (importing it registers them) and may define
    ``seed(conn)``, run once when a store is created, after the platform's units and holidays."""
    from ioc.registry import registry

    own = tuple(dict.fromkeys(f.tables for f in registry().families if f.tables is not schema_systems))
    return (*own, schema_alerts, schema_access, schema_systems)


#: permissions of a SQLite store file this code creates: the owner's only (the store holds
#: citizens' personal data); SQLite gives its -wal and -shm files the database file's permissions
SQLITE_FILE_MODE = 0o600


def _create_private_file(path: Path) -> None:
    """Create ``path`` empty with :data:`SQLITE_FILE_MODE` if it does not exist yet (SQLite opens
    an empty file as a new database, and would otherwise create it 0644 under the usual umask).
    An existing file keeps its permissions: the operator chose them."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    os.fchmod(fd, SQLITE_FILE_MODE)  # whatever the umask
    os.close(fd)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout, its folder created and, for a new
    file, owner-only permissions (0600, its -wal and -shm alike)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        if path and path != ":memory:":
            _create_private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: keeps the unique index hot on bulk loads
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=8)
def engine_for(url: str, schemas: tuple[ModuleType, ...] | None = None) -> Engine:
    """One engine per URL per process (initialised on first use with ``schemas``, a tuple;
    default: :func:`store_schemas`)."""
    engine = make_engine(url)
    init_db(engine, schemas)
    return engine


def init_db(engine: Engine, schemas: Iterable[ModuleType] | None = None) -> None:
    """Open a store, creating it if the database is empty. Idempotent and cheap (every process
    runs it: on an existing store it reads the revision and the partial indexes' digests).

    - An empty database becomes a store at the newest schema: ``create_all``, the seed
      (:func:`seed`) and the head revision stamped (Alembic's "building an up-to-date database
      from scratch"), in one transaction under the schema lock.
    - A store at the head revision opens as it is.
    - A store behind it raises :class:`~ioc.store.migrate.StoreOutdated`, naming its revision,
      the head and ``python -m ioc db upgrade`` (which runs the migrations; it does not call this);
      a revision this code does not know raises :class:`~ioc.store.migrate.UnknownStore`.

    ``schemas``: the schema modules to seed (default: :func:`store_schemas`). Their tables are
    on the shared metadata, which is created whole."""
    schemas = store_schemas() if schemas is None else tuple(schemas)
    have = migrate.current(engine)
    if have is None:
        with migrate.schema_transaction(engine) as conn:
            if migrate.current(conn) is None:  # not made by another process while we waited
                create_store(conn, schemas)
                return
            have = migrate.current(conn)
    head = migrate.head()
    if have != head:
        if not migrate.known(have):
            raise migrate.UnknownStore(f"the store is at schema revision {have}, unknown to this version "
                                       f"(head {head}): was it made by a newer version?")
        raise migrate.StoreOutdated(have, head)
    with engine.begin() as conn:
        upgrade_partial_indexes(conn)


def create_store(conn: Connection, schemas: Iterable[ModuleType]) -> None:
    """Make a new store on ``conn`` (an empty database, under the schema lock): every table of the
    live schema, the seed, the head revision stamped."""
    schema.metadata.create_all(conn)
    conn.execute(insert(schema.meta), [{"key": "schema_version", "value": schema.SCHEMA_VERSION}])
    seed(conn, schemas)
    upgrade_partial_indexes(conn, fresh=True)
    migrate.stamp(conn, "head")


def _predicate(index: Index) -> str | None:
    where = index.dialect_options["sqlite"].get("where")
    return None if where is None else str(where)


def _partial_indexes() -> list[Index]:
    return sorted((i for t in schema.metadata.tables.values() for i in t.indexes if _predicate(i) is not None),
                  key=lambda i: i.name)


def _sqlite_index_has(conn: Connection, index: Index) -> bool:
    """Whether SQLite already holds ``index`` with the current predicate (its DDL is kept as
    written; PostgreSQL rewrites predicates, so there the index is rebuilt once)."""
    if conn.dialect.name != "sqlite":
        return False
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                               (index.name,)).scalar()
    return sql is not None and sql.rstrip().endswith(_predicate(index))


def upgrade_partial_indexes(conn: Connection, fresh: bool = False) -> list[str]:
    """Recreate every partial index whose predicate changed since the store was made.

    A partial index is only used by SQLite when a query repeats its predicate as written, so a
    store made with an older predicate would silently lose its index. Each index's predicate
    digest is kept in ``meta`` (``index:NAME``); a store just created has the current ones.
    Rebuilding scans the table once, under the schema lock. Returns the names rebuilt."""
    rebuilt = []
    for index in _partial_indexes():
        key, digest = f"index:{index.name}", hashlib.sha1(_predicate(index).encode()).hexdigest()[:12]
        if get_meta(conn, key) == digest:
            continue
        if not fresh:
            bulk.advisory_lock(conn, "schema")
            if get_meta(conn, key) == digest:  # another process did it while we waited
                continue
            if not _sqlite_index_has(conn, index):
                index.drop(conn, checkfirst=True)
                index.create(conn, checkfirst=True)
                rebuilt.append(index.name)
        set_meta(conn, key, digest)
    return rebuilt


def seed(conn: Connection, schemas: Iterable[ModuleType] | None = None) -> None:
    """Seed a new store: the platform's units and holidays, then each of ``schemas`` that has a
    ``seed(conn)``, in order (feedback categories; traffic fine schedule and violation types;
    admin one-stop units and sample procedure catalogue)."""
    conn.execute(insert(schema.units), [unit_row(u) for u in UnitMap.default().units])
    conn.execute(
        insert(schema.holidays),
        [{"day": d, "name": n, "kind": "holiday"} for d, n in sorted(default_holidays(range(2015, 2036)).items())]
        + [{"day": d, "name": "Ngày làm bù", "kind": "workday"} for d in sorted(default_workdays(range(2015, 2036)))],
    )
    for module in store_schemas() if schemas is None else schemas:
        family_seed = getattr(module, "seed", None)
        if family_seed is not None:
            family_seed(conn)


def unit_row(unit: Unit, generated: bool = False) -> dict[str, Any]:
    """A unit version as a row of the ``units`` table."""
    return {"code": unit.code, "valid_from": unit.valid_from, "valid_to": unit.valid_to, "name": unit.name,
            "short_name": unit.short_name, "kind": unit.kind, "level": unit.level, "parent_code": unit.parent_code,
            "lat": unit.lat, "lon": unit.lon, "area_km2": unit.area_km2, "generated": generated,
            "source": unit.source[:200]}


def load_units(conn: Connection) -> UnitMap:
    """Every unit version in the store, with the shipped old → new conversion."""
    rows = conn.execute(select(schema.units)).mappings().all()
    units = [Unit(r["code"], r["name"], r["level"], r["parent_code"], r["lat"], r["lon"], short_name=r["short_name"],
                  kind=r["kind"], area_km2=r["area_km2"], valid_from=r["valid_from"], valid_to=r["valid_to"],
                  source=r["source"]) for r in rows]
    return UnitMap(units, UnitMap.default().conversion)


def load_calendar(conn: Connection) -> WorkCalendar:
    rows = conn.execute(select(schema.holidays.c.day, schema.holidays.c.kind)).all()
    return WorkCalendar(
        holidays=frozenset(d for d, k in rows if k == "holiday"),
        extra_workdays=frozenset(d for d, k in rows if k == "workday"),
    )


def sql_ts(engine_or_conn: Engine | Connection, value: datetime | None) -> Any:
    """A timestamp as the raw DBAPI wants it (SQLite: SQLAlchemy's text format)."""
    if value is None:
        return None
    if engine_or_conn.dialect.name == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def sql_date(engine_or_conn: Engine | Connection, value: date) -> Any:
    if engine_or_conn.dialect.name == "sqlite":
        return value.isoformat()
    return value


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()


def set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(schema.meta.update().where(schema.meta.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(insert(schema.meta).values(key=key, value=value))


def bump_version(conn: Connection, family: str) -> int:
    """Increase ``family``'s data version (the cheap key browsers poll); returns the new one."""
    now = utcnow()
    updated = conn.execute(
        text("UPDATE data_versions SET version = version + 1, updated_at = :now WHERE family = :f"),
        {"now": sql_ts(conn, now), "f": family},
    ).rowcount
    if not updated:
        conn.execute(insert(schema.data_versions).values(family=family, version=1, updated_at=now))
    return int(conn.execute(
        select(schema.data_versions.c.version).where(schema.data_versions.c.family == family)
    ).scalar_one())


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
