"""Traffic violations: generic JSON mapping, CSV/XLSX files, simulator; fines by decree, plates masked."""

from __future__ import annotations

from data_sources.traffic_files import TrafficFileCollector
from data_sources.traffic_simulator import TrafficSimulator
from families.web import web
from ioc.domain.traffic_records import validate_violation
from ioc.family import Family, Page
from ioc.kpi import traffic as kpis
from ioc.store import schema_traffic
from ioc.store import traffic as store

FAMILY = Family(
    code="traffic",
    tables=schema_traffic,
    ingest=store.ingest_records,
    validate=validate_violation,
    kpis=kpis.family_kpis,
    filters=kpis.TRAFFIC_FILTERS,
    collectors=(TrafficFileCollector, TrafficSimulator),
    simulator_every_s=10,
    pages=(Page("traffic", "/traffic", web("callbacks.traffic:page"), "traffic_nav", nav_group="cameras"),),
    register_callbacks=web("callbacks.traffic:register"),
    overview_tiles=("violations", "fines_issued_vnd", "collection_rate", "fine_out_of_range"),
    tile_placeholders=web("layouts.traffic:tile_placeholders"),
    summary=web("callbacks.traffic_data:summary"),
    # on a wall (kiosk mode): the tiles, the cameras' map, the hour × weekday heatmap, the fines
    kiosk_panels=("tr-tiles", "tr-map", "tr-chart-heatmap", "tr-chart-fines"),
    rebuild=store.rebuild,
)
