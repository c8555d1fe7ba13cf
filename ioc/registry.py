"""The families and pages this deployment runs, and everything derived from that one list.

The composition package (``families/``) declares each family once and names the pages that
belong to no family (Overview, alerts, wall). The core loads it *by name* on first use, the way
Django loads ``INSTALLED_APPS``: ``ioc`` never imports ``data_sources``, ``layouts`` or
``callbacks``, yet the runner, the CLI, the store and the pages all read the same list.
Tests install a registry of their own with :func:`use`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ioc.family import Family, Page

#: The composition package: it must expose ``REGISTRY`` (a :class:`Registry`).
COMPOSITION = "families"


@dataclass(frozen=True)
class Registry:
    families: tuple[Family, ...]
    pages_before: tuple[Page, ...] = ()  # pages ahead of the families' (the Overview)
    pages_after: tuple[Page, ...] = ()  # pages after them (alerts, wall)
    generic_collectors: tuple[type, ...] = ()  # collectors that serve any family (``family = "*"``)
    by_code: dict[str, Family] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        codes = [f.code for f in self.families]
        duplicate = sorted({c for c in codes if codes.count(c) > 1})
        if duplicate:
            raise ValueError(f"family declared twice: {', '.join(duplicate)}")
        names = [p.name for p in self.pages]
        duplicate = sorted({n for n in names if names.count(n) > 1})
        if duplicate:
            raise ValueError(f"page name used twice: {', '.join(duplicate)}")
        object.__setattr__(self, "by_code", {f.code: f for f in self.families})

    # --- families -------------------------------------------------------------------------

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.families)

    @property
    def wall_codes(self) -> tuple[str, ...]:
        """The families whose panel is on the operations wall's grid."""
        return tuple(f.code for f in self.families if f.on_wall)

    def family(self, code: str) -> Family:
        """The family ``code``; KeyError naming the known ones otherwise."""
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(f"unknown family {code!r} (known: {', '.join(self.codes)})") from None

    def get(self, code: str) -> Family | None:
        return self.by_code.get(code)

    # --- pages ----------------------------------------------------------------------------

    @property
    def pages(self) -> tuple[Page, ...]:
        """Every page in navigation order: those before, each family's, those after."""
        return (*self.pages_before, *(p for f in self.families for p in f.pages), *self.pages_after)

    def page_paths(self) -> dict[str, str]:
        """Page name → path: the names a wall playlist (``?rotate=``) may use."""
        return {p.name: p.path for p in self.pages}

    # --- collectors -----------------------------------------------------------------------

    def collectors(self) -> list[type]:
        """Every collector class, each family's in order, then the generic ones. A (type, family)
        pair names one; the first class of a type gives the type's default family."""
        return [*(c for f in self.families for c in f.collectors), *self.generic_collectors]

    def collector_types(self) -> dict[str, type]:
        """Type name → its first (default-family) class."""
        out: dict[str, type] = {}
        for cls in self.collectors():
            out.setdefault(cls.type, cls)
        return out

    def find_collector(self, kind: str, family: str) -> type | None:
        for cls in self.collectors():
            if cls.type == kind and cls.family in (family, "*"):
                return cls
        return None

    def simulated_source_names(self, family: str, configured: Any = ()) -> frozenset[str]:
        """Names of ``family``'s sources whose records are simulated: the ``configured`` sources
        (:class:`ioc.sources.SourceSpec`) of a simulated collector, and the default simulator
        (``python -m ioc simulate`` writes under its name). Pages label such records."""

        def simulated(kind: str) -> bool:
            return bool(getattr(self.find_collector(kind, family), "simulated", False))

        names = {s.name for s in configured if s.family == family and simulated(s.type)}
        names |= {s["name"] for s in self.default_sources() if s["family"] == family and simulated(s["type"])}
        return frozenset(names)

    def default_sources(self) -> list[dict[str, Any]]:
        """Without a sources file: each family's simulator at its own cadence, and the published
        values a family ships (:attr:`ioc.family.Family.published`), read again once a day."""
        sources = [{"name": f"{f.code}-simulator", "type": "simulator", "family": f.code,
                    "every_seconds": f.simulator_every_s} for f in self.families]
        sources += [{"name": f"{f.code}-published", "type": "file", "family": f.code, "every_seconds": 86400,
                     "path": str(f.published)} for f in self.families if f.published is not None]
        return sources


_installed: Registry | None = None


def registry() -> Registry:
    """The deployment's registry (the composition package's, loaded once)."""
    global _installed
    if _installed is None:
        _installed = importlib.import_module(COMPOSITION).REGISTRY
    return _installed


@contextmanager
def use(reg: Registry) -> Iterator[Registry]:
    """Run with ``reg`` as the registry (tests: a family that exists only in the test)."""
    global _installed
    before = _installed
    _installed = reg
    try:
        yield reg
    finally:
        _installed = before
