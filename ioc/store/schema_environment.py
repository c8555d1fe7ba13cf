"""Tables of the environment family (air quality, VN_AQI) and the shared ``alerts`` table.

Defined on the one :data:`ioc.store.schema.metadata`, so ``create_all`` makes them with the
rest. Times are naive UTC; ``hour`` is the *start* of an hourly mean; ``day`` a local date.

* ``env_stations``: stations as data (provider, parameters, first and last reported hour);
* ``env_observations``: hourly means keyed by (station, parameter, hour): the value and unit
  as received, the value in µg/m³, and the quality flag;
* ``env_aqi_hourly`` / ``env_aqi_daily``: VN_AQI materialised on ingest, so pages and KPIs
  read it instead of recomputing a year of NowCasts; the daily rows also carry the day's data
  counts (valid and flagged values, hours per AQI category) that period KPIs add up;
* ``alerts``: episodes with a start and an end (NULL while active), keyed by
  (family, kind, key, started_at) — designed for every family's alerts, the wall and history.
  Their ids are never reused, not even after a delete (AUTOINCREMENT on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.domain.aqi_series import DAILY_SUB_COLUMNS, DAILY_VALUE_COLUMNS, HOUR_COUNT_COLUMNS, HOURLY_SUB_COLUMNS
from ioc.store.schema import metadata
from ioc.store.table_builders import id_column, map_point_columns

env_stations = sa.Table(
    "env_stations",
    metadata,
    sa.Column("station_id", sa.String(64), primary_key=True),
    *map_point_columns(),
    sa.Column("provider", sa.String(100), nullable=False, default=""),
    sa.Column("parameters", sa.String(100), nullable=False, default=""),  # comma-separated stored codes
    sa.Column("simulated", sa.Boolean, nullable=False, default=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("first_hour", sa.DateTime),
    sa.Column("last_hour", sa.DateTime),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

env_observations = sa.Table(
    "env_observations",
    metadata,
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("parameter", sa.String(8), nullable=False),
    sa.Column("hour", sa.DateTime, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("value_ugm3", sa.Float, nullable=False),
    sa.Column("flag", sa.String(12), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("station_id", "parameter", "hour", name="pk_env_observations"),
)

env_aqi_hourly = sa.Table(
    "env_aqi_hourly",
    metadata,
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("hour", sa.DateTime, nullable=False),
    sa.Column("aqi", sa.Integer, nullable=False),
    sa.Column("dominant", sa.String(8), nullable=False),
    sa.Column("category", sa.String(12), nullable=False),
    sa.Column("pm25_nowcast", sa.Float),
    sa.Column("pm10_nowcast", sa.Float),
    *(sa.Column(name, sa.Integer) for name in HOURLY_SUB_COLUMNS),
    sa.Column("epa_pm25", sa.Integer),
    sa.PrimaryKeyConstraint("station_id", "hour", name="pk_env_aqi_hourly"),
    sa.Index("ix_env_aqi_hourly_hour", "hour"),
)

env_aqi_daily = sa.Table(
    "env_aqi_daily",
    metadata,
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("aqi", sa.Integer),
    sa.Column("dominant", sa.String(8)),
    sa.Column("category", sa.String(12)),
    *(sa.Column(name, sa.Float) for name in DAILY_VALUE_COLUMNS),
    *(sa.Column(name, sa.Integer) for name in DAILY_SUB_COLUMNS),
    sa.Column("epa_pm25", sa.Integer),
    sa.Column("valid_obs", sa.Integer, nullable=False, default=0),
    sa.Column("flagged_obs", sa.Integer, nullable=False, default=0),
    sa.Column("hours_reported", sa.Integer, nullable=False, default=0),
    sa.Column("hours_aqi", sa.Integer, nullable=False, default=0),
    *(sa.Column(name, sa.Integer, nullable=False, default=0) for name in HOUR_COUNT_COLUMNS),
    sa.PrimaryKeyConstraint("station_id", "day", name="pk_env_aqi_daily"),
    sa.Index("ix_env_aqi_daily_day", "day"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    id_column(),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),       # what the alert is about, e.g. a station id
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),                      # NULL while the condition holds
    sa.Column("details", sa.Text, nullable=False, default="{}"),  # JSON
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("family", "kind", "key", "started_at", name="uq_alerts_episode"),
    sa.Index("ix_alerts_family_key", "family", "key", "started_at"),
    sa.Index("ix_alerts_active", "family", "ended_at"),
    # AUTOINCREMENT: SQLite would otherwise hand a deleted highest id to the next alert, which
    # would then show the old one's acknowledgement (alert_acks is keyed by the id, with no
    # foreign key). PostgreSQL's sequence never goes back.
    sqlite_autoincrement=True,
)
