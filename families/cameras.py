"""Urban cameras: one registry of the city's traffic, security and flood-watch cameras (the
traffic family's ``traffic_cameras`` table, which holds every camera), their heartbeats and AI
events, from CSV/XLSX files, the generic JSON collector and a simulator; cameras offline for more
than 30 minutes, too many offline at once and AI detections raise alerts (:mod:`ioc.domain.cameras`)."""

from __future__ import annotations

from data_sources.cameras_files import CameraFileCollector
from data_sources.cameras_simulator import CamerasSimulator
from families.web import web
from ioc.domain import cameras as rules
from ioc.family import AlertRules, Family, Page
from ioc.kpi import cameras as kpis
from ioc.store import cameras as store
from ioc.store import schema_cameras

FAMILY = Family(
    code="cameras",
    tables=schema_cameras,
    ingest=store.ingest,
    validate=rules.validate_record,
    kpis=kpis.family_kpis,
    filters=kpis.CAMERA_FILTERS,
    collectors=(CameraFileCollector, CamerasSimulator),
    simulator_every_s=60,
    # one menu with the traffic page: its violations come from the same cameras (one registry),
    # and a tenth link would not fit the header at 1920 px
    pages=(Page("cameras", "/cameras", web("callbacks.cameras:page"), "cameras_nav", nav_group="cameras"),),
    register_callbacks=web("callbacks.cameras:register"),
    overview_tiles=("online", "offline_30m", "uptime_pct", "events"),
    tile_placeholders=web("layouts.cameras:tile_placeholders"),
    summary=web("callbacks.cameras:summary"),
    # on a wall (kiosk mode): the tiles, the cameras' map, the offline cameras, the AI events per day
    kiosk_panels=("cam-tiles", "cam-map", "cam-offline-grid", "cam-events-chart"),
    alert_rules=AlertRules(kinds=rules.KINDS, find=store.findings, replayable=True),
    on_wall=False,  # the wall has six panels; its alerts reach the wall's ticker and stage
)
