"""Warnings, rivers and vessels (issue #15), created empty:

- ``cap_warnings`` (:mod:`ioc.store.schema_warnings`): official warnings, CAP 1.2 messages;
- ``flood_observations`` (:mod:`ioc.store.schema_floods`): hydrological stations' hourly
  water level and rain;
- ``vessels``, ``vessel_positions``, ``vessel_latest`` (:mod:`ioc.store.schema_vessels`): the
  fishing-vessel registry, VMS reports (keyed by vessel and time; on SQLite WITHOUT ROWID), and
  each vessel's latest report.

Frozen DDL (what the schema modules create on a new store at this revision).
Downgrade: drops the five tables (their alerts stay in ``alerts``, as ended episodes do).

Revision ID: 0007_warnings_floods_vessels
Revises: 0006_systems
"""

from __future__ import annotations

from alembic import op

revision = "0007_warnings_floods_vessels"
down_revision = "0006_systems"
branch_labels = None
depends_on = None

# ruff: noqa: E501
TABLES = {
    'sqlite': (
        'CREATE TABLE cap_warnings ( id INTEGER NOT NULL, source VARCHAR(96) NOT NULL, sender VARCHAR(200) NOT NULL, identifier VARCHAR(200) NOT NULL, sent DATETIME NOT NULL, status VARCHAR(16) NOT NULL, msg_type VARCHAR(16) NOT NULL, scope VARCHAR(16) NOT NULL, category VARCHAR(64) NOT NULL, event VARCHAR(500) NOT NULL, event_en VARCHAR(500) NOT NULL, headline VARCHAR(500) NOT NULL, headline_en VARCHAR(500) NOT NULL, description TEXT NOT NULL, instruction TEXT NOT NULL, severity VARCHAR(16) NOT NULL, urgency VARCHAR(16) NOT NULL, certainty VARCHAR(16) NOT NULL, onset DATETIME, expires DATETIME, area_desc VARCHAR(500) NOT NULL, areas TEXT NOT NULL, in_city BOOLEAN NOT NULL, ended_at DATETIME, ended_by VARCHAR(200), refs TEXT NOT NULL, updated_at DATETIME NOT NULL, ingested_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_cap_warnings_message UNIQUE (sender, identifier) )',
        'CREATE INDEX ix_cap_warnings_sent ON cap_warnings (sent)',
        'CREATE TABLE flood_observations ( id INTEGER NOT NULL, source VARCHAR(96) NOT NULL, station_id VARCHAR(64) NOT NULL, observed_at DATETIME NOT NULL, water_level_m FLOAT, rain_mm FLOAT, updated_at DATETIME NOT NULL, ingested_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_flood_observations_key UNIQUE (source, station_id, observed_at) )',
        'CREATE INDEX ix_flood_observations_station ON flood_observations (station_id, observed_at)',
        'CREATE INDEX ix_flood_observations_time ON flood_observations (observed_at)',
        'CREATE TABLE vessels ( vessel_id VARCHAR(32) NOT NULL, name VARCHAR(200) NOT NULL, length_m FLOAT, port VARCHAR(64) NOT NULL, source VARCHAR(96) NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (vessel_id) )',
        'CREATE TABLE vessel_positions ( vessel_id VARCHAR(32) NOT NULL, at DATETIME NOT NULL, source VARCHAR(96) NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL, speed_kn FLOAT, course_deg FLOAT, PRIMARY KEY (vessel_id, at) ) WITHOUT ROWID',
        'CREATE INDEX ix_vessel_positions_at ON vessel_positions (at)',
        'CREATE TABLE vessel_latest ( vessel_id VARCHAR(32) NOT NULL, at DATETIME NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL, speed_kn FLOAT, port_id VARCHAR(32) NOT NULL, outside BOOLEAN NOT NULL, PRIMARY KEY (vessel_id) )',
    ),
    'postgresql': (
        'CREATE TABLE cap_warnings ( id BIGSERIAL NOT NULL, source VARCHAR(96) NOT NULL, sender VARCHAR(200) NOT NULL, identifier VARCHAR(200) NOT NULL, sent TIMESTAMP WITHOUT TIME ZONE NOT NULL, status VARCHAR(16) NOT NULL, msg_type VARCHAR(16) NOT NULL, scope VARCHAR(16) NOT NULL, category VARCHAR(64) NOT NULL, event VARCHAR(500) NOT NULL, event_en VARCHAR(500) NOT NULL, headline VARCHAR(500) NOT NULL, headline_en VARCHAR(500) NOT NULL, description TEXT NOT NULL, instruction TEXT NOT NULL, severity VARCHAR(16) NOT NULL, urgency VARCHAR(16) NOT NULL, certainty VARCHAR(16) NOT NULL, onset TIMESTAMP WITHOUT TIME ZONE, expires TIMESTAMP WITHOUT TIME ZONE, area_desc VARCHAR(500) NOT NULL, areas TEXT NOT NULL, in_city BOOLEAN NOT NULL, ended_at TIMESTAMP WITHOUT TIME ZONE, ended_by VARCHAR(200), refs TEXT NOT NULL, updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, ingested_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_cap_warnings_message UNIQUE (sender, identifier) )',
        'CREATE INDEX ix_cap_warnings_sent ON cap_warnings (sent)',
        'CREATE TABLE flood_observations ( id BIGSERIAL NOT NULL, source VARCHAR(96) NOT NULL, station_id VARCHAR(64) NOT NULL, observed_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, water_level_m FLOAT, rain_mm FLOAT, updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, ingested_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_flood_observations_key UNIQUE (source, station_id, observed_at) )',
        'CREATE INDEX ix_flood_observations_station ON flood_observations (station_id, observed_at)',
        'CREATE INDEX ix_flood_observations_time ON flood_observations (observed_at)',
        'CREATE TABLE vessels ( vessel_id VARCHAR(32) NOT NULL, name VARCHAR(200) NOT NULL, length_m FLOAT, port VARCHAR(64) NOT NULL, source VARCHAR(96) NOT NULL, updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (vessel_id) )',
        'CREATE TABLE vessel_positions ( vessel_id VARCHAR(32) NOT NULL, at TIMESTAMP WITHOUT TIME ZONE NOT NULL, source VARCHAR(96) NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL, speed_kn FLOAT, course_deg FLOAT, PRIMARY KEY (vessel_id, at) )',
        'CREATE INDEX ix_vessel_positions_at ON vessel_positions (at)',
        'CREATE TABLE vessel_latest ( vessel_id VARCHAR(32) NOT NULL, at TIMESTAMP WITHOUT TIME ZONE NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL, speed_kn FLOAT, port_id VARCHAR(32) NOT NULL, outside BOOLEAN NOT NULL, PRIMARY KEY (vessel_id) )',
    ),
}


def upgrade() -> None:
    conn = op.get_bind()
    for statement in TABLES[conn.dialect.name]:
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    for table in ("vessel_latest", "vessel_positions", "vessels", "flood_observations", "cap_warnings"):
        op.drop_table(table)
