"""Environment: air quality from OpenAQ v3, CSV/XLSX files and a simulator; VN_AQI with NowCast."""

from __future__ import annotations

from data_sources.environment_files import EnvironmentFileCollector
from data_sources.environment_simulator import EnvironmentSimulator
from data_sources.openaq import OpenAQCollector
from families.web import web
from ioc.domain.air_quality import validate_observation
from ioc.family import Family, Page
from ioc.kpi import environment as kpis
from ioc.store import environment as store
from ioc.store import schema_environment

FAMILY = Family(
    code="environment",
    tables=schema_environment,
    ingest=store.ingest,
    validate=validate_observation,
    kpis=kpis.family_kpis,
    filters=kpis.ENVIRONMENT_FILTERS,
    collectors=(OpenAQCollector, EnvironmentFileCollector, EnvironmentSimulator),
    simulator_every_s=300,
    pages=(Page("environment", "/environment", web("callbacks.environment:page"), "env_nav"),),
    register_callbacks=web("callbacks.environment:register"),
    overview_tiles=("worst_station", "reporting_stations", "active_alerts", "exceedance_days"),
    tile_placeholders=web("layouts.environment:tile_placeholders"),
    summary=web("callbacks.environment_data:summary"),
    # on a wall (kiosk mode): the tiles, the stations' map, the AQI now and open alerts, the series
    kiosk_panels=("env-tiles", "env-map", "env-now", "env-chart-series"),
    alerts_on_ingest=True,  # station episodes (no data, bad air) are written with the observations
)
