"""Official warnings: CAP 1.2 messages from a feed URL, files and a simulator; they raise alerts
(and so the city stage) while in force, by the rules of :mod:`ioc.domain.warnings`."""

from __future__ import annotations

from data_sources.cap_feed import CapFeedCollector, CapFileCollector
from data_sources.warnings_simulator import WarningsSimulator
from families.web import web
from ioc.domain import warnings as rules
from ioc.family import AlertRules, Family, Page
from ioc.kpi import warnings as kpis
from ioc.store import schema_warnings
from ioc.store import warnings as store


def _validate(record: dict, naive_tz: object = None) -> object:
    """CAP messages are read whole (:mod:`ioc.cap`), never mapped field by field from JSON."""
    raise ValueError("warnings are read from CAP 1.2 documents (a source of type \"cap\" or a file), "
                     "not from JSON records")


FAMILY = Family(
    code="warnings",
    tables=schema_warnings,
    ingest=store.ingest,
    validate=_validate,
    kpis=kpis.family_kpis,
    filters=kpis.WARNINGS_FILTERS,
    collectors=(CapFeedCollector, CapFileCollector, WarningsSimulator),
    simulator_every_s=300,
    pages=(Page("warnings", "/warnings", web("callbacks.warnings:page"), "warnings_nav", nav_group="hazards"),),
    register_callbacks=web("callbacks.warnings:register"),
    overview_tiles=("in_force", "worst_in_force", "issued", "cancelled"),
    tile_placeholders=web("layouts.warnings:tile_placeholders"),
    summary=web("callbacks.warnings:summary"),
    # on a wall (kiosk mode): the tiles, the map of the areas warned, the warnings in force
    kiosk_panels=("wn-tiles", "wn-map", "wn-in-force"),
    alert_rules=AlertRules(kinds=(rules.KIND,), find=store.findings, replayable=True),
)
