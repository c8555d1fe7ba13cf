"""Fishing vessels (family ``vessels``): the registry ``vessels``, the VMS reports
``vessel_positions`` (keyed by vessel and time; reports never change) and ``vessel_latest``,
each vessel's newest report with its port (``''`` at sea) and whether it lies outside the watch
zone, kept on ingest so the map and the silence rules read 2,000 rows, not millions.
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata

vessels = sa.Table(
    "vessels",
    metadata,
    sa.Column("vessel_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("length_m", sa.Float),
    sa.Column("port", sa.String(64), nullable=False, default=""),
    sa.Column("source", sa.String(96), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

vessel_positions = sa.Table(
    "vessel_positions",
    metadata,
    sa.Column("vessel_id", sa.String(32), primary_key=True),
    sa.Column("at", sa.DateTime, primary_key=True),
    sa.Column("source", sa.String(96), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("speed_kn", sa.Float),
    sa.Column("course_deg", sa.Float),
    sa.Index("ix_vessel_positions_at", "at"),
    # keyed by (vessel, time) alone: on SQLite the rows live in that key's B-tree (no rowid
    # table beside it), one structure less to write for each of millions of reports
    sqlite_with_rowid=False,
)

vessel_latest = sa.Table(
    "vessel_latest",
    metadata,
    sa.Column("vessel_id", sa.String(32), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("speed_kn", sa.Float),
    sa.Column("port_id", sa.String(32), nullable=False, default=""),
    sa.Column("outside", sa.Boolean, nullable=False),
)
