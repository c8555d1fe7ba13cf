"""Systems declared by spec files: each validated spec becomes a :class:`~ioc.family.Family`.

The shipped specs are ``ioc/systems/specs/*.toml``; ``IOC_SYSTEMS`` names a folder of extra
ones (docs/systems.md). A new file there gives a page, a navigation entry, an Overview card and
a wall panel, CLI names and KPIs with no code change: every part below is the same code bound to
the spec. A spec that does not validate stops the start with its file, line and field. A CSV
beside a spec (``indicators.csv``) holds published values: the default sources import it.
"""

from __future__ import annotations

import os
from functools import partial

from data_sources.system_files import file_collector_for
from data_sources.system_simulator import simulator_for
from families.web import web
from ioc.family import Family, Page
from ioc.i18n import add_strings
from ioc.kpi import systems as kpis
from ioc.store import schema_systems
from ioc.store import systems as store
from ioc.systems.records import validator
from ioc.systems.spec import SystemSpec, load_all

#: the environment variable naming a folder of extra spec files
SYSTEMS_ENV = "IOC_SYSTEMS"


def tile_key(spec: SystemSpec, kpi: str) -> str:
    """The Overview / wall tile key of ``spec``'s KPI ``kpi`` (ids are shared by every family)."""
    return f"{spec.code}_{kpi}"


def kiosk_panels(spec: SystemSpec) -> tuple[str, ...]:
    """The panels of ``spec``'s page kept on a wall (kiosk mode), by the ids layouts/systems.py
    gives them (``sys-<code>-<part>``): its tiles, then up to three cells: its map and trend, as
    many breakdowns as fit, its ranking; for indicators (a tile each), the first three series, or
    the table when the page draws none."""

    def ids(*parts: str) -> list[str]:
        return [f"sys-{spec.code}-{part}" for part in parts]

    tiles = ids("tiles") if "tiles" in spec.panels else []
    if spec.kind != "events":
        series = [f"chart-ind-{term.code}" for term in spec.indicators][:3] if "trend" in spec.panels else []
        return (*tiles, *ids(*(series or ["indicators"])))
    cells = [part for part, panel in (("map", "map"), ("chart-trend", "trend")) if panel in spec.panels]
    ranking = ["ranking"] if "ranking" in spec.panels and spec.ranking else []
    dims = [f"chart-dim-{d.name}" for d in spec.dimensions] if "by_category" in spec.panels else []
    return (*tiles, *ids(*cells, *dims[:max(0, 3 - len(cells) - len(ranking))], *ranking))


def family_of(spec: SystemSpec) -> Family:
    """The family of one validated spec."""
    strings = spec.strings()
    for lang, texts in kpis.filter_strings(spec).items():
        strings[lang].update(texts)
    add_strings(strings, str(spec.path))
    return Family(
        code=spec.code,
        tables=schema_systems,
        ingest=partial(store.ingest, spec),
        validate=validator(spec),
        kpis=partial(kpis.family_kpis, spec),
        headline_kpis=partial(kpis.family_kpis, spec, names=tuple(spec.overview)),
        filters=kpis.filters_for(spec),
        collectors=(file_collector_for(spec), simulator_for(spec)),
        simulator_every_s=spec.simulated_every_s,
        pages=(Page(spec.code, f"/{spec.code}", partial(web("callbacks.systems:page"), spec.code),
                    f"sys_{spec.code}_nav", nav_group="systems"),),
        register_callbacks=partial(web("callbacks.systems:register"), spec.code),
        overview_tiles=tuple(tile_key(spec, name) for name in spec.overview),
        tile_placeholders=partial(web("layouts.systems:tile_placeholders"), spec.code),
        summary=partial(web("callbacks.systems_data:summary"), spec.code),
        rebuild=partial(store.rebuild, spec) if spec.kind == "events" else None,
        spec=spec,
        on_wall=spec.wall,
        published=published if (published := spec.path.with_suffix(".csv")).is_file() else None,
        kiosk_panels=kiosk_panels(spec),
    )


def spec_families(extra: str | None = None) -> tuple[Family, ...]:
    """The shipped specs' families, then those of ``extra`` (default: ``$IOC_SYSTEMS``)."""
    folder = extra if extra is not None else os.environ.get(SYSTEMS_ENV, "").strip() or None
    return tuple(family_of(spec) for spec in load_all(folder))
