"""Schema migrations of a store: Alembic, driven from code (``ioc/store/migrations``).

- :func:`upgrade` runs the revisions a store lacks (``python -m ioc db upgrade``);
- :func:`current` is a store's revision, :func:`head` the newest this code knows,
  :func:`history` every revision, :func:`stamp` records a revision without running anything;
- :func:`schema_transaction` is the transaction every schema change runs in, holding the
  schema lock (PostgreSQL: an advisory lock; SQLite: ``BEGIN IMMEDIATE``, which also makes the
  DDL transactional, as Python's sqlite3 does not begin a transaction before DDL itself).

A store made by the release before Alembic (commit 7d831bc: ``meta.schema_version`` = '1', no
``alembic_version`` table) is at ``0001_baseline``: :func:`upgrade` stamps it there, creating
only the baseline tables it may lack, and goes on from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ioc.store import bulk

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001_baseline"
UPGRADE_COMMAND = "python -m ioc db upgrade"
#: ``meta`` key a migration sets when it emptied or reshaped rollup tables: ``db upgrade``
#: then runs every family's rebuild and deletes it.
ROLLUPS_STALE = "rollups_stale"


class StoreOutdated(RuntimeError):
    """The store's schema is behind the code's: it must be upgraded before use."""

    def __init__(self, revision: str, head: str) -> None:
        self.revision, self.head = revision, head
        super().__init__(f"the store is at schema revision {revision}, this version needs {head}: "
                         f"back it up, then run `{UPGRADE_COMMAND}`")


class UnknownStore(RuntimeError):
    """The store's schema is not one this code knows (made by a newer version, or not a store)."""


def alembic_config(connection: Connection | None = None, tz: ZoneInfo | None = None) -> Config:
    """Alembic's configuration, built in code (no ``alembic.ini``); ``env.py`` runs on
    ``connection``; revisions that need local dates read ``tz`` (default: ``IOC_TIMEZONE``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    cfg.attributes["tz"] = tz
    return cfg


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision (the schema of the code)."""
    found = scripts().get_current_head()
    if found is None:
        raise UnknownStore(f"no revision under {MIGRATIONS / 'versions'}")
    return found


def history() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(scripts().walk_revisions())))


def known(revision: str) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


def lock(conn: Connection) -> None:
    """Take the schema lock for the transaction ``conn`` is in (see the module docstring)."""
    bulk.advisory_lock(conn, "schema")  # SQLite: BEGIN IMMEDIATE, the file's write lock


@contextmanager
def schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction under the schema lock: committed on exit, rolled back on an error."""
    with engine.begin() as conn:
        lock(conn)
        yield conn


def stamped(conn: Connection) -> str | None:
    """The revision in ``alembic_version`` (None: no such table or row)."""
    return MigrationContext.configure(conn).get_current_revision()


def _revision(conn: Connection) -> str | None:
    rev = stamped(conn)
    if rev is not None:
        return rev
    if not sa.inspect(conn).has_table("meta"):
        return None
    version = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar()
    if version == "1":
        return BASELINE
    raise UnknownStore(f"the store has a meta table but schema_version={version!r} and no alembic_version: "
                       "not a store of this application, or one whose creation failed")


def current(engine_or_conn: Engine | Connection) -> str | None:
    """The store's revision; ``0001_baseline`` for a store of the release before Alembic;
    None for an empty database."""
    if isinstance(engine_or_conn, Connection):
        return _revision(engine_or_conn)
    with engine_or_conn.connect() as conn:
        return _revision(conn)


def stamp(engine_or_conn: Engine | Connection, revision: str) -> None:
    """Record ``revision`` as the store's, running nothing (e.g. "head" after ``create_all``)."""
    if isinstance(engine_or_conn, Connection):
        command.stamp(alembic_config(engine_or_conn), revision)
        return
    with schema_transaction(engine_or_conn) as conn:
        command.stamp(alembic_config(conn), revision)


def adopt(conn: Connection) -> None:
    """Stamp a store of the release before Alembic at ``0001_baseline``. Its tables are kept;
    a baseline table or index it lacks (a store last opened by an older release) is created."""
    from ioc.store.migrations.baseline import statements

    for stmt in statements("schema", conn.dialect.name):
        conn.exec_driver_sql(stmt)  # CREATE … IF NOT EXISTS
    command.stamp(alembic_config(conn), BASELINE)


def upgrade(url_or_engine: str | Engine, revision: str = "head",
            tz: ZoneInfo | None = None) -> tuple[str | None, str | None]:
    """Run the revisions the store lacks up to ``revision``, in one transaction under the schema
    lock (an error leaves the store as it was). Returns (revision before, revision after);
    before is None for an empty database, which gets every revision from the baseline.
    ``tz``: the zone of the records' local dates (default: ``IOC_TIMEZONE``)."""
    if isinstance(url_or_engine, str):
        from ioc.store.db import make_engine

        engine, owned = make_engine(url_or_engine), True
    else:
        engine, owned = url_or_engine, False
    try:
        with schema_transaction(engine) as conn:
            before = _revision(conn)
            if before is not None and not known(before):
                raise UnknownStore(f"the store is at revision {before}, unknown to this version (head {head()}): "
                                   "was it made by a newer version?")
            if before == BASELINE and stamped(conn) is None:
                adopt(conn)
            command.upgrade(alembic_config(conn, tz), revision)
            after = stamped(conn)
        return before, after
    finally:
        if owned:
            engine.dispose()
