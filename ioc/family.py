"""What a data family is: the one declaration from which everything that lists families derives.

A family (citizen feedback, traffic violations, environment, administrative services, …) is
declared once, in its own module of the composition package ``families/``, as a :class:`Family`
whose fields point at its parts in every layer:

- the core (``ioc/``): its tables, seed, ingest, record validation, KPI set and filters;
- the collectors (``data_sources/``): its collector classes, file import, simulated source;
- the web (``layouts/``, ``callbacks/``): its pages, callbacks, Overview card and wall panel.

The core defines the type and consumes it through :mod:`ioc.registry`; it never imports a
family's collectors or pages itself. Adding a family is its own files plus one line in
``families/__init__.py`` (docs/adding-a-family.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ioc.domain.calendar import WorkCalendar
from ioc.kpi.filters import Filter, parse_cli
from ioc.kpi.periods import Period

#: Store a batch of records (dicts or a frame): (engine, source, records, tz, calendar) → a
#: result with ``inserted``, ``updated`` and ``unchanged`` counts.
Ingest = Callable[[Engine, str, Any, ZoneInfo, WorkCalendar], Any]
#: Check one record given as a dict of the store's field names; raises a ValueError subclass
#: (RecordError) naming the bad field. The second argument is the zone of offset-less times.
Validate = Callable[[dict[str, Any], Any], Any]
#: The KPI set as one JSON-able dict keyed by KPI name: (engine, period, filters, tz, now UTC).
Kpis = Callable[[Engine, Period, dict[str, str], ZoneInfo, datetime], dict[str, Any]]
#: The family at a glance for the Overview card and the wall panel: (context, lang, tile keys,
#: compare) → (tiles, note). ``compare`` (the Overview's cards, not the wall's panels): each tile
#: carries its change against the same period a year before, where its KPI is compared by period
#: on the family's page (:func:`callbacks.compare_data.card_compare`); a family whose tiles are
#: all counts at *now* (cameras online, the highest flood alarm) has nothing to compare.
Summary = Callable[[Any, str, tuple[str, ...], bool], tuple[list[Any], str]]


@dataclass(frozen=True)
class AlertRules:
    """Alert rules a family evaluates itself with the others (:func:`ioc.alerts.evaluate`):
    ``kinds`` are the alert kinds it owns (their open rows end when no longer found), ``find``
    returns the :class:`ioc.domain.alert_rules.Finding`\\ s holding at ``now`` (naive UTC)."""

    kinds: tuple[str, ...]
    find: Callable[[Any, datetime], list[Any]]  # (connection, now) → findings
    # ``find`` works for any past moment from the stored history (not only for now), so a
    # history written at once can be replayed into alerts (:func:`ioc.alerts.replay`)
    replayable: bool = False


class UnsupportedFilter(ValueError):
    """A filter the family's KPIs do not take; the message names it."""


@dataclass(frozen=True)
class Page:
    """One routed page. ``name`` is its Dash page name, its wall-playlist name (``?rotate=``)
    and its navigation key; ``layout(ctx, lang_pref=None, **params)`` builds it per request."""

    name: str
    path: str
    layout: Callable[..., Any]
    title_key: str  # i18n key of its navigation label and tab title
    nav: bool = True  # listed in the header navigation
    nav_class: str = ""  # extra class of its navigation link
    nav_group: str = ""  # links of one group share a menu in the header (i18n key ``nav_group_<group>``)
    # the panels this page keeps in kiosk mode, for a page that is not a family's (the Overview,
    # the alerts): see :attr:`Family.kiosk_panels`; a family's pages take their family's
    kiosk_panels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """One data family, declared once (see the module docstring). Every field but
    ``alerts_on_ingest``, ``rebuild``, ``spec``, ``published``, ``on_wall``, ``alert_rules``,
    ``wall_tiles``, ``kiosk_panels`` and ``headline_kpis`` is required:
    ``tests/unit/test_family_registry.py`` fails for a declared family that lacks a part.

    ``kiosk_panels`` are the page's most important panels, in reading order: in kiosk mode
    (``?kiosk=1``, a wall's rotation) the page shows them alone, laid out to fill one screen
    (:mod:`layouts.kiosk`), and hides the rest. Each is named by the id of a component in it
    (the tiles' row, a graph, a map, a list): the card holding that component is the panel, or
    the component itself when no card holds it. Empty: the page is shown whole, and scrolls."""

    code: str  # store, URLs, CLI and catalogue name: lowercase ASCII
    # --- core: tables, records, KPIs
    tables: Any  # its schema module: tables on the store's metadata, optional seed(conn) for a new store
    ingest: Ingest
    validate: Validate
    kpis: Kpis
    filters: tuple[Filter, ...]  # its declared filters (ioc.kpi.filters): controls, URL keys, CLI flags, SQL
    # --- collectors
    # its collector classes (``type`` + ``family`` class attributes); one of type "file" serves
    # ``python -m ioc import CODE FILE``, one of type "simulator" the embedded default
    collectors: tuple[type, ...]
    simulator_every_s: int  # cadence of its simulated source when no sources file is given
    # --- web
    pages: tuple[Page, ...]
    register_callbacks: Callable[[Any, Any], None]  # (dash app, context)
    overview_tiles: tuple[str, ...]  # tile keys of its Overview card and wall panel, in order
    tile_placeholders: Callable[[tuple[str, ...], str], list[Any]]  # (keys, lang) → labelled empty tiles
    summary: Summary  # fills them: (context, lang, overview_tiles, compare) → (tiles, note)
    alerts_on_ingest: bool = False  # its ingest opens or ends alerts itself (screens of alerts follow it)
    # recomputes what depends on IOC_TIMEZONE from its raw records (rollup buckets, local
    # deadlines): (engine, tz) → records read; ``python -m ioc rebuild-rollups`` runs every one
    rebuild: Callable[[Engine, ZoneInfo], int] | None = None
    # a system declared by a spec file (:class:`ioc.systems.spec.SystemSpec`): its page, KPIs and
    # simulator read it; None for the families written as code
    spec: Any = None
    # a file of published values shipped with the family (CSV/XLSX its file collector reads): the
    # default sources import it ("<code>-published"); a sources file names it as a "file" source
    published: Any = None
    # the KPI set the brief and the scorecard read for a period (their rows, both earlier periods,
    # twelve trend points), when cheaper than ``kpis`` (the CLI's whole report: breakdowns, every
    # KPI of a spec); the same signature, and the same values for the keys it gives. None: ``kpis``
    headline_kpis: Kpis | None = None
    # its panel is on the operations wall's grid (every family's panel can be shown by a playlist)
    on_wall: bool = True
    # alert rules of its own, evaluated with the others on the alerts cadence (None: none)
    alert_rules: AlertRules | None = None
    # the tiles of its wall panel when not all of ``overview_tiles``: a wall of six panels has
    # room for four tiles each at reading size (empty: ``overview_tiles``)
    wall_tiles: tuple[str, ...] = ()
    # the panels its pages keep in kiosk mode, by the id of a component in each (see above)
    kiosk_panels: tuple[str, ...] = ()

    def headline(self, engine: Engine, period: Period, filters: dict[str, Any], tz: ZoneInfo,
                 now: datetime) -> dict[str, Any]:
        """The KPI set of the brief's and the scorecard's rows (:attr:`headline_kpis`, else :attr:`kpis`)."""
        return (self.headline_kpis or self.kpis)(engine, period, filters, tz, now)

    def label(self, lang: str) -> str:
        """The family's name in ``lang`` (catalogue key ``family_<code>``)."""
        from ioc.i18n import t

        return t(f"family_{self.code}", lang)

    @property
    def flags(self) -> dict[str, str]:
        """CLI flag name → filter name, for every filter but the period (aliases included)."""
        return {flag: f.name for f in self.filters if f.kind != "period" for flag in (f.name, *f.aliases)}

    def check_filters(self, filters: dict[str, str | None]) -> dict[str, Any]:
        """The given (non-None) CLI filters keyed by filter name and parsed by their declaration
        (an alias, e.g. traffic's ``--category``, counts as its filter). Raises
        :class:`UnsupportedFilter` for a filter the family does not take, and the declaration's
        ``FilterError`` (naming the flag and the value) for a bad value."""
        given = {k: v for k, v in filters.items() if v is not None}
        for name in given:
            if name not in self.flags:
                allowed = ", ".join(f"--{f.name}" for f in self.filters if f.kind != "period") or "none"
                raise UnsupportedFilter(f"--{name} does not apply to {self.code} (filters: {allowed})")
        return parse_cli(self.filters, given)

    def missing_parts(self) -> list[str]:
        """Names of required parts left empty (None, empty tuple, blank string)."""
        optional = {"alerts_on_ingest", "rebuild", "spec", "published", "on_wall", "alert_rules", "wall_tiles",
                    "kiosk_panels", "headline_kpis"}
        missing = [f.name for f in fields(self)
                   if f.name not in optional and getattr(self, f.name) in (None, (), "")]
        types = {getattr(c, "type", None) for c in self.collectors}
        missing += [f"collector of type {kind!r}" for kind in ("file", "simulator") if kind not in types]
        return missing
