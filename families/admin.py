"""Administrative services (TTHC): one-stop dossiers at every level, working-day clock, QĐ 766 score."""

from __future__ import annotations

from data_sources.admin_files import AdminFileCollector
from data_sources.admin_simulator import AdminSimulator
from families.web import web
from ioc.domain.admin_records import validate_dossier
from ioc.family import Family, Page
from ioc.kpi import admin_views as kpis
from ioc.kpi.admin import ADMIN_FILTERS
from ioc.store import admin as store
from ioc.store import schema_admin

FAMILY = Family(
    code="admin",
    tables=schema_admin,
    ingest=store.ingest_records,
    validate=validate_dossier,
    kpis=kpis.kpi_report,
    headline_kpis=kpis.headline_report,  # without the CLI report's breakdowns: brief and scorecard
    filters=ADMIN_FILTERS,
    collectors=(AdminFileCollector, AdminSimulator),
    simulator_every_s=30,
    pages=(Page("admin", "/admin", web("callbacks.admin:page"), "admin_nav"),),
    register_callbacks=web("callbacks.admin:register"),
    overview_tiles=("received", "on_time_rate", "overdue", "online_rate", "score_766"),
    wall_tiles=("received", "on_time_rate", "overdue", "online_rate"),
    tile_placeholders=web("layouts.admin:tile_placeholders"),
    summary=web("callbacks.admin_data:summary"),
    # on a wall (kiosk mode): the tiles, the three levels, the map of units, the 766 score
    kiosk_panels=("ad-tiles", "ad-chart-levels", "ad-map", "ad-chart-score"),
    rebuild=store.rebuild,  # local-time deadlines, buckets and rollups
)
