"""The store's tables (SQLAlchemy 2 Core), one metadata for every family.

Timestamps are naive UTC (``DateTime`` without zone) so that SQLite and PostgreSQL hold the
same values; local time exists only at the edges (rollup buckets, display).
Each family owns its raw table and its rollup table; the platform tables (units, sources,
runs, watermarks, quarantine, locks, versions) are shared.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ioc.domain.feedback import OPEN_STATUSES
from ioc.domain.histogram import HIST_BINS

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
    Column("family", String(32), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name_vi", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    PrimaryKeyConstraint("family", "code"),
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
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
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
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
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

# --- Family: citizen field feedback ---------------------------------------------------------

def status_among_sql(statuses: Iterable[str]) -> str:
    """A partial index's predicate on ``status``, also the term its queries repeat.

    Written out literally: SQLite uses a partial index only when the query's WHERE contains the
    index's WHERE term as written (bound parameters do not qualify). ORed equalities, not IN:
    SQLite builds a temporary b-tree for an IN list of three or more constants each time an
    INSERT evaluates the predicate (≈ 4 µs on every row inserted). Stores made with an older
    predicate get the index rebuilt at start (ioc.store.db.upgrade_partial_indexes)."""
    return "({})".format(" OR ".join(f"status = '{s}'" for s in statuses))


# The open set of reports.
OPEN_REPORT_SQL = status_among_sql(OPEN_STATUSES)

feedback_reports = Table(
    "feedback_reports",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("category_code", String(64), nullable=False),
    Column("category_name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("address", String(300), nullable=False, default=""),
    Column("unit_code", String(16), nullable=False, default=""),
    Column("lat", Float),
    Column("lon", Float),
    Column("channel", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("handling_unit", String(200), nullable=False, default=""),
    Column("received_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    Column("rating", String(16)),
    Column("updated_at", DateTime, nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    UniqueConstraint("source", "external_id", name="uq_feedback_source_external"),
    Index("ix_feedback_received", "received_at"),
    # Partial covering index of the small open set: overdue counts never touch the table, and
    # closed reports (≈ 98 %) cost nothing to index.
    # received_at leads so the planner, without statistics, prefers it to ix_feedback_received.
    Index("ix_feedback_open", "received_at", "due_at", "status", "unit_code", "category_code", "channel",
          sqlite_where=text(OPEN_REPORT_SQL), postgresql_where=text(OPEN_REPORT_SQL)),
)

FEEDBACK_DIMS = ("unit_code", "category_code", "channel", "handling_unit")
FEEDBACK_COUNTS = (
    "received",
    "processed",
    "resolved",
    "rejected",
    "on_time",
    "rated",
    "satisfied",
    "acceptable",
    "dissatisfied",
)
FEEDBACK_HIST_COLUMNS = tuple(f"h{k:03d}" for k in range(HIST_BINS))

# grain 'd': bucket = local date; grain 'm': bucket = first local date of the month.
feedback_rollup = Table(
    "feedback_rollup",
    metadata,
    Column("grain", String(1), nullable=False),
    Column("bucket", Date, nullable=False),
    *(Column(dim, String(200), nullable=False) for dim in FEEDBACK_DIMS),
    *(Column(name, Integer, nullable=False, default=0) for name in FEEDBACK_COUNTS),
    Column("res_hours_sum", Float, nullable=False, default=0.0),
    *(Column(name, Integer, nullable=False, default=0) for name in FEEDBACK_HIST_COLUMNS),
    PrimaryKeyConstraint("grain", "bucket", *FEEDBACK_DIMS),
)

# --- Family: traffic violations (tables in their own module, on this metadata) ---------------
# --- Family: environment, air quality (tables + shared alerts table in their own module) -----
# --- Family: administrative services, TTHC (tables in their own module, on this metadata) ---
# Each family keeps its tables in its own module on this metadata (imported last on purpose).
from ioc.store import (  # noqa: E402
    schema_admin,  # noqa: F401
    schema_alerts,  # noqa: F401
    schema_environment,  # noqa: F401
    schema_traffic,  # noqa: F401
)
