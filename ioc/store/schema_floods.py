"""Hourly observations of the hydrological stations (family ``flood``): ``flood_observations``.

Keyed by ``(source, station_id, observed_at)`` (naive UTC, the end of the hour): a later
``updated_at`` replaces a stored value. The stations and their alarm levels are shipped data
(:mod:`ioc.domain.floods`), not rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata
from ioc.store.table_builders import id_column, ingest_stamp_columns

flood_observations = sa.Table(
    "flood_observations",
    metadata,
    id_column(),
    sa.Column("source", sa.String(96), nullable=False),
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("observed_at", sa.DateTime, nullable=False),
    sa.Column("water_level_m", sa.Float),
    sa.Column("rain_mm", sa.Float),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "station_id", "observed_at", name="uq_flood_observations_key"),
    sa.Index("ix_flood_observations_time", "observed_at"),
    sa.Index("ix_flood_observations_station", "station_id", "observed_at"),
)
