"""Citizen field feedback (phản ánh hiện trường): Open311 GeoReport v2, CSV/XLSX files, simulator."""

from __future__ import annotations

from callbacks import feedback as web
from callbacks.feedback_data import summary
from data_sources.feedback_files import FeedbackFileCollector
from data_sources.open311 import Open311Collector
from data_sources.simulator import FeedbackSimulator
from ioc.domain.feedback import validate_report
from ioc.family import Family, Page
from ioc.kpi import feedback as kpis
from ioc.store import feedback as store
from ioc.store import schema_feedback
from layouts.components import tile_placeholders
from layouts.feedback import OVERVIEW_TILE_KEYS

FAMILY = Family(
    code="feedback",
    tables=schema_feedback,
    ingest=store.ingest_records,
    validate=validate_report,
    kpis=kpis.family_kpis,
    filters=kpis.FEEDBACK_FILTERS,
    collectors=(Open311Collector, FeedbackFileCollector, FeedbackSimulator),
    simulator_every_s=5,
    pages=(Page("feedback", "/feedback", web.page, "nav_feedback"),),
    register_callbacks=web.register,
    overview_tiles=OVERVIEW_TILE_KEYS,
    tile_placeholders=tile_placeholders,
    summary=summary,
    rebuild=store.rebuild_rollups,
)
