"""The composition layer: which families this dashboard runs, and the pages around them.

Each family is declared once, in its own module here (``FAMILY = Family(...)``, see
:mod:`ioc.family`); everything that lists families — page registration and order, navigation,
the Overview, the wall, wall-playlist names, CLI choices, the default simulated sources, the
collectors the sources file may name, schema registration and seeding, the browser's page
map — is derived from :data:`REGISTRY`. Adding a family is its own files plus one entry in
``FAMILY_MODULES`` (docs/adding-a-family.md); adding a system of the common shapes (events,
periodic indicators) is one spec file and no code (docs/systems.md). This is the only package that imports from every
layer; ``ioc`` loads it by name (:mod:`ioc.registry`).
"""

from __future__ import annotations

from importlib import import_module

from families import core
from families.systems import spec_families
from ioc.registry import Registry

#: One line per family, in navigation order.
FAMILY_MODULES = ("feedback", "traffic", "cameras", "environment", "admin", "warnings", "flood", "vessels")

REGISTRY = Registry(
    # the families written as code, then the systems declared by spec files (families/systems.py)
    families=(*(import_module(f"families.{name}").FAMILY for name in FAMILY_MODULES), *spec_families()),
    pages_before=core.PAGES_BEFORE,
    pages_after=core.PAGES_AFTER,
    generic_collectors=core.GENERIC_COLLECTORS,
)
