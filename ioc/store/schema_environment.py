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
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ioc.domain.aqi_series import DAILY_SUB_COLUMNS, DAILY_VALUE_COLUMNS, HOUR_COUNT_COLUMNS, HOURLY_SUB_COLUMNS
from ioc.store.schema import metadata
from ioc.store.table_builders import id_column, map_point_columns

env_stations = Table(
    "env_stations",
    metadata,
    Column("station_id", String(64), primary_key=True),
    *map_point_columns(),
    Column("provider", String(100), nullable=False, default=""),
    Column("parameters", String(100), nullable=False, default=""),  # comma-separated stored codes
    Column("simulated", Boolean, nullable=False, default=False),
    Column("source", String(64), nullable=False),
    Column("first_hour", DateTime),
    Column("last_hour", DateTime),
    Column("updated_at", DateTime, nullable=False),
)

env_observations = Table(
    "env_observations",
    metadata,
    Column("station_id", String(64), nullable=False),
    Column("parameter", String(8), nullable=False),
    Column("hour", DateTime, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("value_ugm3", Float, nullable=False),
    Column("flag", String(12), nullable=False),
    Column("source", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "parameter", "hour", name="pk_env_observations"),
)

env_aqi_hourly = Table(
    "env_aqi_hourly",
    metadata,
    Column("station_id", String(64), nullable=False),
    Column("hour", DateTime, nullable=False),
    Column("aqi", Integer, nullable=False),
    Column("dominant", String(8), nullable=False),
    Column("category", String(12), nullable=False),
    Column("pm25_nowcast", Float),
    Column("pm10_nowcast", Float),
    *(Column(name, Integer) for name in HOURLY_SUB_COLUMNS),
    Column("epa_pm25", Integer),
    PrimaryKeyConstraint("station_id", "hour", name="pk_env_aqi_hourly"),
    Index("ix_env_aqi_hourly_hour", "hour"),
)

env_aqi_daily = Table(
    "env_aqi_daily",
    metadata,
    Column("station_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("aqi", Integer),
    Column("dominant", String(8)),
    Column("category", String(12)),
    *(Column(name, Float) for name in DAILY_VALUE_COLUMNS),
    *(Column(name, Integer) for name in DAILY_SUB_COLUMNS),
    Column("epa_pm25", Integer),
    Column("valid_obs", Integer, nullable=False, default=0),
    Column("flagged_obs", Integer, nullable=False, default=0),
    Column("hours_reported", Integer, nullable=False, default=0),
    Column("hours_aqi", Integer, nullable=False, default=0),
    *(Column(name, Integer, nullable=False, default=0) for name in HOUR_COUNT_COLUMNS),
    PrimaryKeyConstraint("station_id", "day", name="pk_env_aqi_daily"),
    Index("ix_env_aqi_daily_day", "day"),
)

alerts = Table(
    "alerts",
    metadata,
    id_column(),
    Column("family", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(128), nullable=False),       # what the alert is about, e.g. a station id
    Column("severity", String(16), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),                      # NULL while the condition holds
    Column("details", Text, nullable=False, default="{}"),  # JSON
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("family", "kind", "key", "started_at", name="uq_alerts_episode"),
    Index("ix_alerts_family_key", "family", "key", "started_at"),
    Index("ix_alerts_active", "family", "ended_at"),
)
