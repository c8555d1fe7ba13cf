"""Alert ids are never reused (issue #12).

On SQLite ``alerts.id`` was a plain ``INTEGER PRIMARY KEY`` (the rowid): after the environment
family deleted the alert with the highest id (its episode vanished after a data correction), the
next alert got that id again, and with it the deleted one's row in ``alert_acks`` (keyed by the
id, no foreign key on purpose): a new alert appeared already acknowledged. The table is
recreated with ``AUTOINCREMENT`` (frozen DDL below, the live schema's ``sqlite_autoincrement``),
its rows copied as they are, its indexes recreated; the counter then starts above every id an
alert or an acknowledgement ever used, so an acknowledgement left behind by a deleted alert can
never attach to a new one.

PostgreSQL: nothing to do (``BIGSERIAL``: the sequence never goes back).

Downgrade: not supported (restore the backup taken before upgrading).

Revision ID: 0004_alert_ids
Revises: 0003_run_heartbeats
"""

from __future__ import annotations

from alembic import op

revision = "0004_alert_ids"
down_revision = "0003_run_heartbeats"
branch_labels = None
depends_on = None

COLUMNS = 'id, family, kind, "key", severity, started_at, ended_at, details, updated_at'

SQLITE = (
    """CREATE TABLE alerts_0004 (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	family VARCHAR(32) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	"key" VARCHAR(128) NOT NULL,
	severity VARCHAR(16) NOT NULL,
	started_at DATETIME NOT NULL,
	ended_at DATETIME,
	details TEXT NOT NULL,
	updated_at DATETIME NOT NULL,
	CONSTRAINT uq_alerts_episode UNIQUE (family, kind, "key", started_at)
)""",
    f"INSERT INTO alerts_0004 ({COLUMNS}) SELECT {COLUMNS} FROM alerts ORDER BY id",
    "DROP TABLE alerts",
    "ALTER TABLE alerts_0004 RENAME TO alerts",  # SQLite renames its sqlite_sequence row with it
    "CREATE INDEX ix_alerts_active ON alerts (family, ended_at)",
    'CREATE INDEX ix_alerts_family_key ON alerts (family, "key", started_at)',
    # the counter above every id used, the acknowledgements' included (their alert may be gone)
    "DELETE FROM sqlite_sequence WHERE name = 'alerts'",
    "INSERT INTO sqlite_sequence (name, seq) SELECT 'alerts', max(coalesce((SELECT max(id) FROM alerts), 0), "
    "coalesce((SELECT max(alert_id) FROM alert_acks), 0))",
)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for stmt in SQLITE:
        conn.exec_driver_sql(stmt)


def downgrade() -> None:
    raise NotImplementedError("downgrade is not supported: restore the backup taken before upgrading")
