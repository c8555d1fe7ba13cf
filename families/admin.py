"""Administrative services (TTHC): one-stop dossiers at every level, working-day clock, QĐ 766 score."""

from __future__ import annotations

from callbacks import admin as web
from callbacks.admin_data import summary
from data_sources.admin_files import AdminFileCollector
from data_sources.admin_simulator import AdminSimulator
from ioc.domain.admin_records import validate_dossier
from ioc.family import Family, Page
from ioc.kpi import admin_views as kpis
from ioc.kpi.admin import ADMIN_FILTERS
from ioc.store import admin as store
from ioc.store import schema_admin
from layouts.admin import tile_placeholders
from layouts.admin_shaping import OVERVIEW_TILE_KEYS

FAMILY = Family(
    code="admin",
    tables=schema_admin,
    ingest=store.ingest_records,
    validate=validate_dossier,
    kpis=kpis.kpi_report,
    filters=ADMIN_FILTERS,
    collectors=(AdminFileCollector, AdminSimulator),
    simulator_every_s=30,
    pages=(Page("admin", "/admin", web.page, "admin_nav"),),
    register_callbacks=web.register,
    overview_tiles=OVERVIEW_TILE_KEYS,
    tile_placeholders=tile_placeholders,
    summary=summary,
    rebuild=store.rebuild,  # local-time deadlines, buckets and rollups
)
