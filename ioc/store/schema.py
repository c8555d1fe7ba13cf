"""The store's tables (SQLAlchemy 2 Core), one metadata for every family.

Timestamps are naive UTC (``DateTime`` without zone) so that SQLite and PostgreSQL hold the
same values; local time exists only at the edges (rollup buckets, display).
Each family owns its raw table and its rollup tables, in a module of its own on this metadata;
the platform tables (units, categories, holidays, sources, runs, watermarks, quarantine, locks,
versions) are here and shared.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ioc.store.table_builders import id_column

metadata = sa.MetaData()

SCHEMA_VERSION = "1"

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Administrative units as effective-dated data (ioc.domain.units): a version is (code,
# valid_from), since GSO codes are reused; valid_to is the last day in force (NULL: in force).
units = sa.Table(
    "units",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("valid_to", sa.Date),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("short_name", sa.String(200), nullable=False, default=""),
    sa.Column("kind", sa.String(32), nullable=False, default=""),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("parent_code", sa.String(16)),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("area_km2", sa.Float),
    sa.Column("generated", sa.Boolean, nullable=False, default=False),
    sa.Column("source", sa.String(200), nullable=False, default=""),
)

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("family", sa.String(32), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name_vi", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
)

holidays = sa.Table(
    "holidays",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # 'holiday' (no work) or 'workday' (a make-up working day on a weekend)
    sa.Column("kind", sa.String(16), nullable=False, default="holiday"),
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("every_seconds", sa.Integer, nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

collector_runs = sa.Table(
    "collector_runs",
    metadata,
    id_column(),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | failed | stopped (ioc.store.runs)
    sa.Column("fetched", sa.Integer, nullable=False, default=0),
    sa.Column("inserted", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text),
    # the last sign of life of a running run (ioc.heartbeat); revision 0003_run_heartbeats
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Index("ix_collector_runs_source_started", "source", "started_at"),
    # the orphan sweep (every minute) looks for running runs among a table that only grows
    sa.Index("ix_collector_runs_status", "status"),
)

watermarks = sa.Table(
    "watermarks",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    id_column(),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("run_id", sa.BigInteger),
    sa.Column("quarantined_at", sa.DateTime, nullable=False),
    sa.Column("external_id", sa.String(128)),
    sa.Column("location", sa.String(200)),  # where in the source: "row 17", "item 3 of requests.json"
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Index("ix_quarantine_source", "source", "quarantined_at"),
)

job_locks = sa.Table(
    "job_locks",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(200)),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("last_run_at", sa.DateTime),
)

data_versions = sa.Table(
    "data_versions",
    metadata,
    sa.Column("family", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
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
