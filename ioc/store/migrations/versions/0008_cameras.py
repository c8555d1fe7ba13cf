"""Urban cameras (issue #15): the camera registry ``traffic_cameras`` gains ``purpose`` (traffic |
security | flood; the cameras already registered are the traffic family's, hence the default
'traffic'), and the cameras family's tables are created empty
(:mod:`ioc.store.schema_cameras`):

- ``camera_status``: each camera's first and last heartbeat;
- ``camera_outages``: the gaps longer than 15 minutes between two heartbeats;
- ``camera_events``: AI detections by (source, external_id).

Frozen DDL (what the schema modules create on a new store at this revision).
Downgrade: drops the three tables and the column (the cameras' alerts stay in ``alerts``, as
ended episodes do).

Revision ID: 0008_cameras
Revises: 0007_warnings_floods_vessels
"""

from __future__ import annotations

from alembic import op

revision = "0008_cameras"
down_revision = "0007_warnings_floods_vessels"
branch_labels = None
depends_on = None

# the same statement on both dialects: a NOT NULL column added with its default fills the rows there
ADD_PURPOSE = "ALTER TABLE traffic_cameras ADD COLUMN purpose VARCHAR(16) DEFAULT 'traffic' NOT NULL"

# ruff: noqa: E501
TABLES = {
    'sqlite': (
        'CREATE TABLE camera_status ( camera_code VARCHAR(64) NOT NULL, first_seen DATETIME NOT NULL, last_seen DATETIME NOT NULL, source VARCHAR(64) NOT NULL, PRIMARY KEY (camera_code) )',
        'CREATE TABLE camera_outages ( camera_code VARCHAR(64) NOT NULL, started_at DATETIME NOT NULL, ended_at DATETIME NOT NULL, PRIMARY KEY (camera_code, started_at) )',
        'CREATE INDEX ix_camera_outages_ended ON camera_outages (ended_at)',
        'CREATE TABLE camera_events ( id INTEGER NOT NULL, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL, camera_code VARCHAR(64) NOT NULL, detected_at DATETIME NOT NULL, kind VARCHAR(32) NOT NULL, confidence FLOAT, review VARCHAR(16) NOT NULL, updated_at DATETIME NOT NULL, ingested_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_camera_events_source_external UNIQUE (source, external_id) )',
        'CREATE INDEX ix_camera_events_camera_detected ON camera_events (camera_code, detected_at)',
        'CREATE INDEX ix_camera_events_detected ON camera_events (detected_at)',
    ),
    'postgresql': (
        'CREATE TABLE camera_status ( camera_code VARCHAR(64) NOT NULL, first_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL, last_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL, source VARCHAR(64) NOT NULL, PRIMARY KEY (camera_code) )',
        'CREATE TABLE camera_outages ( camera_code VARCHAR(64) NOT NULL, started_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, ended_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (camera_code, started_at) )',
        'CREATE INDEX ix_camera_outages_ended ON camera_outages (ended_at)',
        'CREATE TABLE camera_events ( id BIGSERIAL NOT NULL, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL, camera_code VARCHAR(64) NOT NULL, detected_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, kind VARCHAR(32) NOT NULL, confidence FLOAT, review VARCHAR(16) NOT NULL, updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, ingested_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_camera_events_source_external UNIQUE (source, external_id) )',
        'CREATE INDEX ix_camera_events_camera_detected ON camera_events (camera_code, detected_at)',
        'CREATE INDEX ix_camera_events_detected ON camera_events (detected_at)',
    ),
}


def upgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql(ADD_PURPOSE)
    for statement in TABLES[conn.dialect.name]:
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    for table in ("camera_events", "camera_outages", "camera_status"):
        op.drop_table(table)
    op.drop_column("traffic_cameras", "purpose")  # SQLite ≥ 3.35 drops a column in place
