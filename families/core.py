"""What belongs to no single family: the Overview, the alerts page, the operations wall, and
the collectors that serve any family."""

from __future__ import annotations

from data_sources.json_mapping import JsonMappingCollector
from families.web import web
from ioc.family import Page

PAGES_BEFORE = (Page("overview", "/", web("callbacks.overview:page"), "nav_overview"),)
PAGES_AFTER = (
    Page("alerts", "/alerts", web("callbacks.alerts:page"), "alerts_nav", nav_class="nav-alerts"),
    Page("wall", "/wall", web("callbacks.wall:page"), "wall_title", nav=False),
    # administrators only (the page and its callback check; the link shows for them alone)
    Page("audit", "/audit", web("callbacks.audit:page"), "audit_nav", nav_class="nav-admin"),
)
GENERIC_COLLECTORS = (JsonMappingCollector,)
