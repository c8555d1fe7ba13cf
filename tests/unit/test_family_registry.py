"""Every declared family is complete, and everything that lists families derives from the
registry: a family declared only here (in the test) gets its pages, CLI choices, kpi flags,
default simulated source and collector types without any other file changing."""

from __future__ import annotations

import inspect
import re
from dataclasses import replace
from typing import Any, ClassVar

import pytest

from ioc import registry as ioc_registry
from ioc.cli import build_parser
from ioc.config import ConfigError, parse_playlist
from ioc.family import Family, Page, UnsupportedFilter
from ioc.kpi.filters import PERIOD, UNIT, Filter
from ioc.sources import Collector, ConfigurationError, parse_sources

FAMILIES = ioc_registry.registry().families


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.code)
def test_each_declared_family_has_every_part(family: Family) -> None:
    assert family.missing_parts() == []
    assert family.code.isascii() and family.code.islower() and family.code.isidentifier()
    assert all(cls.family == family.code for cls in family.collectors), "a collector of another family"
    assert all(issubclass(cls, Collector) for cls in family.collectors)
    assert [p.path for p in family.pages][0] == f"/{family.code}"
    for page in family.pages:
        assert list(inspect.signature(page.layout).parameters)[:2] == ["ctx", "lang_pref"]
    # the web parts are named by string (imported on first use): each must resolve
    assert list(inspect.signature(family.summary).parameters) == ["ctx", "lang", "keys", "compare"]
    assert list(inspect.signature(family.register_callbacks).parameters)[:2] == ["app", "ctx"]
    assert list(inspect.signature(family.tile_placeholders).parameters)[:2] == ["keys", "lang"]
    assert family.label("vi") != f"family_{family.code}" and family.label("en") != family.label("vi")
    assert family.tables.metadata.tables, "its tables are on the store's metadata"


def test_missing_parts_are_named() -> None:
    family = replace(FAMILIES[0], collectors=(), overview_tiles=(), summary=None)
    assert family.missing_parts() == ["collectors", "overview_tiles", "summary",
                                      "collector of type 'file'", "collector of type 'simulator'"]


def test_the_core_pages_resolve_and_the_cli_needs_no_web_layer() -> None:
    import subprocess
    import sys

    for page in ioc_registry.registry().pages:
        assert list(inspect.signature(page.layout).parameters)[:2] == ["ctx", "lang_pref"], page.name
    probe = ("import sys, ioc.cli; ioc.cli.build_parser(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dash', 'plotly', 'layouts', 'callbacks')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_registry_refuses_a_family_declared_twice() -> None:
    with pytest.raises(ValueError, match="family declared twice: feedback"):
        ioc_registry.Registry(families=(FAMILIES[0], FAMILIES[0]))


class _ToySimulator(Collector):
    type: ClassVar[str] = "simulator"
    family: ClassVar[str] = "toy"

    def batches(self, watermark: str | None) -> Any:
        return iter(())


class _ToyFile(_ToySimulator):
    type: ClassVar[str] = "file"


def _toy_page(ctx: Any, lang_pref: str | None = None, **params: Any) -> str:
    return "toy"


COLOUR = Filter("colour", "category", column="colour")
TOY = replace(FAMILIES[0], code="toy", filters=(PERIOD, UNIT, COLOUR), collectors=(_ToyFile, _ToySimulator),
              simulator_every_s=42, pages=(Page("toy", "/toy", _toy_page, "nav_overview"),))


@pytest.fixture
def with_toy() -> Any:
    real = ioc_registry.registry()
    with ioc_registry.use(replace(real, families=(*real.families, TOY))) as reg:
        yield reg


def test_a_new_family_is_listed_everywhere_from_its_declaration(with_toy: ioc_registry.Registry) -> None:
    assert with_toy.codes[-1] == "toy"
    assert [p.name for p in with_toy.pages][-4:] == ["toy", "alerts", "wall", "audit"]  # after the families, before alerts
    assert with_toy.page_paths()["toy"] == "/toy"
    assert parse_playlist("wall,toy", "IOC_WALL_PLAYLIST") == ("wall", "toy")
    assert {"name": "toy-simulator", "type": "simulator", "family": "toy", "every_seconds": 42} in \
        with_toy.default_sources()
    assert with_toy.find_collector("file", "toy") is _ToyFile
    # the sources file accepts the new family's types, and names it among the known ones
    [spec] = parse_sources({"sources": [{"name": "t", "type": "simulator", "family": "toy", "every_seconds": 5}]})
    assert (spec.family, spec.every_seconds) == ("toy", 5)
    with pytest.raises(ConfigurationError, match=re.escape(f"needs 'family' (one of {', '.join(with_toy.codes)})")):
        parse_sources({"sources": [{"name": "j", "type": "json", "family": "nope", "url": "http://127.0.0.1/x",
                                    "every_seconds": 5}]})
    # the CLI: import/simulate/kpi choices and the kpi flags
    parser = build_parser()
    args = parser.parse_args(["kpi", "toy", "--colour", "red"])
    assert (args.family, args.colour) == ("toy", "red")
    assert parser.parse_args(["import", "toy", "x.csv"]).family == "toy"
    assert parser.parse_args(["simulate", "--family", "toy"]).family == "toy"


def test_a_family_refuses_a_filter_it_does_not_take() -> None:
    with pytest.raises(UnsupportedFilter, match=r"^--level does not apply to toy \(filters: --unit, --colour\)$"):
        TOY.check_filters({"level": "1", "colour": None})
    assert TOY.check_filters({"unit": "19753", "colour": None}) == {"unit": "19753"}
    assert TOY.check_filters({"district": "474", "colour": None}) == {"unit": "474"}  # the older flag


def test_playlist_names_come_from_the_registry() -> None:
    with pytest.raises(ConfigError, match=r"unknown page 'toy' \(known: overview, scorecard, search, feedback, traffic"):
        parse_playlist("wall,toy", "IOC_WALL_PLAYLIST")


def test_cli_filter_values_are_checked_by_their_declaration() -> None:
    """The declared filter gives the message for a bad value, naming the flag as typed."""
    from ioc.kpi.periods import FilterError

    traffic = ioc_registry.registry().family("traffic")
    assert traffic.check_filters({"category": "red_light", "district": "474", "channel": None}) == {
        "violation_type": "red_light", "unit": "474"}
    with pytest.raises(FilterError, match=r"^--district: '<b>' is not a code"):
        traffic.check_filters({"district": "<b>"})
    with pytest.raises(FilterError, match=r"^--channel: 'fax' is not one of camera, citizen$"):
        traffic.check_filters({"channel": "fax"})
