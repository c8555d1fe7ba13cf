"""Citizen field feedback (phản ánh hiện trường): Open311 GeoReport v2, CSV/XLSX files, simulator."""

from __future__ import annotations

from data_sources.feedback_files import FeedbackFileCollector
from data_sources.open311 import Open311Collector
from data_sources.simulator import FeedbackSimulator
from families.web import web
from ioc.domain.feedback import validate_report
from ioc.family import Family, Page
from ioc.kpi import feedback as kpis
from ioc.store import feedback as store
from ioc.store import schema_feedback

FAMILY = Family(
    code="feedback",
    tables=schema_feedback,
    ingest=store.ingest_records,
    validate=validate_report,
    kpis=kpis.family_kpis,
    filters=kpis.FEEDBACK_FILTERS,
    collectors=(Open311Collector, FeedbackFileCollector, FeedbackSimulator),
    simulator_every_s=5,
    pages=(Page("feedback", "/feedback", web("callbacks.feedback:page"), "nav_feedback"),),
    register_callbacks=web("callbacks.feedback:register"),
    overview_tiles=("received", "processed_rate", "on_time_rate", "satisfaction_rate", "overdue"),
    wall_tiles=("received", "on_time_rate", "satisfaction_rate", "overdue"),
    tile_placeholders=web("layouts.components:tile_placeholders"),
    summary=web("callbacks.feedback_data:summary"),
    # on a wall (kiosk mode): the tiles, the map of reports, the trend and the categories
    kiosk_panels=("fb-tiles", "fb-map", "fb-chart-trend", "fb-chart-category"),
    rebuild=store.rebuild_rollups,
)
