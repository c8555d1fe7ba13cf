"""Rivers and rain: hydrological stations' hourly water levels and rain against the alarm levels
of Decision 05/2020/QĐ-TTg, from files, the generic JSON collector and a simulator; level
crossings, heavy rain and gauges silent during a flood raise alerts (:mod:`ioc.domain.floods`)."""

from __future__ import annotations

from data_sources.flood_files import FloodFileCollector
from data_sources.flood_simulator import FloodSimulator
from families.web import web
from ioc.domain import floods as rules
from ioc.family import AlertRules, Family, Page
from ioc.kpi import floods as kpis
from ioc.store import floods as store
from ioc.store import schema_floods

FAMILY = Family(
    code="flood",
    tables=schema_floods,
    ingest=store.ingest,
    validate=rules.validate_observation,
    kpis=kpis.family_kpis,
    filters=kpis.FLOOD_FILTERS,
    collectors=(FloodFileCollector, FloodSimulator),
    simulator_every_s=300,
    pages=(Page("flood", "/flood", web("callbacks.flood:page"), "flood_nav", nav_group="hazards"),),
    register_callbacks=web("callbacks.flood:register"),
    overview_tiles=("highest_alarm", "stations_at_alarm", "max_rain_24h", "reporting_stations"),
    tile_placeholders=web("layouts.flood:tile_placeholders"),
    summary=web("callbacks.flood:summary"),
    # on a wall (kiosk mode): the tiles, the stations' map and a hydrograph per river station
    # (layouts/flood.py: one per river station with alarm levels)
    kiosk_panels=("fl-tiles", "fl-map", *(f"fl-hydro-{s.station_id}" for s in rules.stations().values()
                                          if s.kind == "river" and s.levels)),
    alert_rules=AlertRules(kinds=rules.KINDS, find=store.findings, replayable=True),
)
