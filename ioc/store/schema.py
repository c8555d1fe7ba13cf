"""The store's tables (SQLAlchemy 2 Core), one metadata for every family.

Timestamps are naive UTC (``DateTime`` without zone) so that SQLite and PostgreSQL hold the
same values; local time exists only at the edges (rollup buckets, display).
Each family owns its raw table and its rollup tables, in a module of its own on this metadata;
the platform tables (units, categories, holidays, sources, runs, watermarks, quarantine, locks,
versions) are here and shared.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, MetaData, String, Table, Text

from ioc.store.table_builders import id_column

metadata = MetaData()

SCHEMA_VERSION = "1"

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(16)),
    Column("lat", Float),
    Column("lon", Float),
    Column("generated", Boolean, nullable=False, default=False),
)

categories = Table(
    "categories",
    metadata,
    Column("family", String(32), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name_vi", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
)

holidays = Table(
    "holidays",
    metadata,
    Column("day", Date, primary_key=True),
    Column("name", String(200), nullable=False),
    # 'holiday' (no work) or 'workday' (a make-up working day on a weekend)
    Column("kind", String(16), nullable=False, default="holiday"),
)

sources = Table(
    "sources",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("family", String(32), nullable=False),
    Column("every_seconds", Integer, nullable=False),
    Column("config_json", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

collector_runs = Table(
    "collector_runs",
    metadata,
    id_column(),
    Column("source", String(64), nullable=False),
    Column("family", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("fetched", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("error", Text),
    Index("ix_collector_runs_source_started", "source", "started_at"),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    id_column(),
    Column("source", String(64), nullable=False),
    Column("family", String(32), nullable=False),
    Column("run_id", BigInteger),
    Column("quarantined_at", DateTime, nullable=False),
    Column("external_id", String(128)),
    Column("location", String(200)),  # where in the source: "row 17", "item 3 of requests.json"
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Index("ix_quarantine_source", "source", "quarantined_at"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200)),
    Column("locked_until", DateTime),
    Column("last_run_at", DateTime),
)

data_versions = Table(
    "data_versions",
    metadata,
    Column("family", String(32), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# --- Partial indexes ------------------------------------------------------------------------

def status_among_sql(statuses: Iterable[str]) -> str:
    """A partial index's predicate on ``status``, also the term its queries repeat.

    Written out literally: SQLite uses a partial index only when the query's WHERE contains the
    index's WHERE term as written (bound parameters do not qualify). ORed equalities, not IN:
    SQLite builds a temporary b-tree for an IN list of three or more constants each time an
    INSERT evaluates the predicate (≈ 4 µs on every row inserted). Stores made with an older
    predicate get the index rebuilt at start (ioc.store.db.upgrade_partial_indexes)."""
    return "({})".format(" OR ".join(f"status = '{s}'" for s in statuses))


# --- The families' tables --------------------------------------------------------------------
# Each family keeps its tables in its own module on this metadata (schema_feedback,
# schema_traffic, …; the platform's alerts in schema_alerts), with an optional ``seed(conn)``.
# Importing a module registers its tables here; ioc.store.db.store_schemas lists them from the
# family registry, so this module imports no family.
