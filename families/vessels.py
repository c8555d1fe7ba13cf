"""Fishing vessels: the registry and VMS reports (Decree 26/2019 as amended by 37/2024), from a
simulator and the generic JSON collector; vessels silent at sea and vessels outside the watch
zone raise alerts (:mod:`ioc.domain.vessels`)."""

from __future__ import annotations

from data_sources.vessels_files import VesselFileCollector
from data_sources.vessels_simulator import VesselsSimulator
from families.web import web
from ioc.domain import vessels as rules
from ioc.family import AlertRules, Family, Page
from ioc.kpi import vessels as kpis
from ioc.store import schema_vessels
from ioc.store import vessels as store

FAMILY = Family(
    code="vessels",
    tables=schema_vessels,
    ingest=store.ingest,
    validate=rules.validate_position,
    kpis=kpis.family_kpis,
    filters=kpis.VESSEL_FILTERS,
    collectors=(VesselFileCollector, VesselsSimulator),
    simulator_every_s=300,
    pages=(Page("vessels", "/vessels", web("callbacks.vessels:page"), "vessels_nav", nav_group="hazards"),),
    register_callbacks=web("callbacks.vessels:register"),
    overview_tiles=("at_sea", "silent_6h", "outside_zone", "at_sea_in_warning"),
    tile_placeholders=web("layouts.vessels:tile_placeholders"),
    summary=web("callbacks.vessels:summary"),
    # on a wall (kiosk mode): the tiles, the fleet's map, the counts by state
    kiosk_panels=("vs-tiles", "vs-map", "vs-counts"),
    alert_rules=AlertRules(kinds=rules.KINDS, find=store.findings),
    on_wall=False,  # its alerts reach the wall's ticker and stage; its page holds the fleet
)
