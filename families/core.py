"""What belongs to no single family: the Overview, the alerts page, the operations wall, and
the collectors that serve any family."""

from __future__ import annotations

from data_sources.json_mapping import JsonMappingCollector
from families.web import web
from ioc.family import Page

# on a wall (kiosk mode; ids of layouts/ids.py): the first family's card, its latest records and
# 30 days; the city's stage and the active alerts
PAGES_BEFORE = (Page("overview", "/", web("callbacks.overview:page"), "nav_overview",
                     kiosk_panels=("ov-lead", "ov-recent", "ov-chart-daily")),
                # every family's headline KPIs against their targets for a month, quarter or year (leaders);
                # a review, not a wall page: no kiosk panels
                Page("scorecard", "/scorecard", web("callbacks.scorecard:page"), "sc_nav", nav_class="nav-scorecard"),
                # one record by its id, or a plate's violations (plates follow the reader's role); an
                # interactive lookup, never on a wall (kiosk mode hides its box): no kiosk panels
                Page("search", "/search", web("callbacks.search:page"), "search_nav", nav_class="nav-search"))
PAGES_AFTER = (
    Page("alerts", "/alerts", web("callbacks.alerts:page"), "alerts_nav", nav_class="nav-alerts",
         kiosk_panels=("al-stage", "al-active")),
    Page("wall", "/wall", web("callbacks.wall:page"), "wall_title", nav=False),
    # administrators only (the page and its callback check; the link shows for them alone)
    Page("audit", "/audit", web("callbacks.audit:page"), "audit_nav", nav_class="nav-admin"),
)
GENERIC_COLLECTORS = (JsonMappingCollector,)
