"""Traffic violations: generic JSON mapping, CSV/XLSX files, simulator; fines by decree, plates masked."""

from __future__ import annotations

from callbacks import traffic as web
from callbacks.traffic_data import summary
from data_sources.traffic_files import TrafficFileCollector
from data_sources.traffic_simulator import TrafficSimulator
from ioc.domain.traffic_records import validate_violation
from ioc.family import Family, Page
from ioc.kpi import traffic as kpis
from ioc.store import schema_traffic
from ioc.store import traffic as store
from layouts.traffic import tile_placeholders
from layouts.traffic_shaping import OVERVIEW_TILE_KEYS

FAMILY = Family(
    code="traffic",
    tables=schema_traffic,
    ingest=store.ingest_records,
    validate=validate_violation,
    kpis=kpis.family_kpis,
    filters=kpis.TRAFFIC_FILTERS,
    collectors=(TrafficFileCollector, TrafficSimulator),
    simulator_every_s=10,
    pages=(Page("traffic", "/traffic", web.page, "traffic_nav"),),
    register_callbacks=web.register,
    overview_tiles=OVERVIEW_TILE_KEYS,
    tile_placeholders=tile_placeholders,
    summary=summary,
    rebuild=store.rebuild,
)
