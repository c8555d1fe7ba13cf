"""Source types, and the sources file (TOML, named by ``IOC_SOURCES``).

Each ``[[sources]]`` table needs ``name``, ``type`` and ``every_seconds``; pull sources need
``url`` (or ``path`` for files) and may give ``start_date``. Any other key is an option of
that collector type (documented in the README).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from data_sources.base import Collector, CollectorContext, ConfigurationError, SourceSpec

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def collectors() -> list[type[Collector]]:
    """Every collector class. A (type, family) pair names one; family "*" serves any family.

    The first class of a type gives that type's default family (``type = "simulator"``
    without ``family`` is the feedback simulator).
    """
    from data_sources.admin_files import AdminFileCollector  # admin
    from data_sources.admin_simulator import AdminSimulator  # admin
    from data_sources.environment_files import EnvironmentFileCollector  # environment
    from data_sources.environment_simulator import EnvironmentSimulator  # environment
    from data_sources.feedback_files import FeedbackFileCollector
    from data_sources.json_mapping import JsonMappingCollector
    from data_sources.open311 import Open311Collector
    from data_sources.openaq import OpenAQCollector  # environment
    from data_sources.simulator import FeedbackSimulator
    from data_sources.traffic_files import TrafficFileCollector  # traffic
    from data_sources.traffic_simulator import TrafficSimulator  # traffic

    return [Open311Collector, FeedbackFileCollector, FeedbackSimulator, JsonMappingCollector,
            TrafficFileCollector, TrafficSimulator,  # traffic
            OpenAQCollector, EnvironmentFileCollector, EnvironmentSimulator,  # environment
            AdminFileCollector, AdminSimulator]  # admin


def collector_types() -> dict[str, type[Collector]]:
    """Type name → its first (default-family) class."""
    out: dict[str, type[Collector]] = {}
    for cls in collectors():
        out.setdefault(cls.type, cls)
    return out


def find_collector(kind: str, family: str) -> type[Collector] | None:
    for cls in collectors():
        if cls.type == kind and cls.family in (family, "*"):
            return cls
    return None


DEFAULT_SOURCES = [
    {"name": "feedback-simulator", "type": "simulator", "family": "feedback", "every_seconds": 5},
    {"name": "traffic-simulator", "type": "simulator", "family": "traffic", "every_seconds": 10},  # traffic
    {"name": "environment-simulator", "type": "simulator", "family": "environment", "every_seconds": 300},  # environment
    {"name": "admin-simulator", "type": "simulator", "family": "admin", "every_seconds": 30},  # admin
]


def parse_sources(data: dict[str, Any], where: str = "sources file") -> list[SourceSpec]:
    tables = data.get("sources")
    if not isinstance(tables, list) or not tables:
        raise ConfigurationError(f"{where}: expected one or more [[sources]] tables")
    types = collector_types()
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for i, table in enumerate(tables, start=1):
        here = f"{where}, [[sources]] #{i}"
        if not isinstance(table, dict):
            raise ConfigurationError(f"{here}: not a table")
        table = dict(table)
        name = table.pop("name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigurationError(f"{here}: 'name' must be 1–64 letters, digits, '.', '_' or '-'")
        here = f"{where}, source {name!r}"
        if name in seen:
            raise ConfigurationError(f"{here}: duplicate name")
        seen.add(name)
        kind = table.pop("type", None)
        if kind not in types:
            raise ConfigurationError(f"{here}: unknown type {kind!r} (known: {', '.join(sorted(types))})")
        default = types[kind]
        family = table.pop("family", None if default.family == "*" else default.family)
        from ioc.families import FAMILIES

        if family not in FAMILIES:
            raise ConfigurationError(f"{here}: type {kind!r} needs 'family' (one of {', '.join(FAMILIES)})")
        if find_collector(kind, family) is None:
            served = sorted({c.family for c in collectors() if c.type == kind})
            raise ConfigurationError(f"{here}: type {kind!r} feeds family {' or '.join(served)}, not {family!r}")
        every = table.pop("every_seconds", None)
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ConfigurationError(f"{here}: 'every_seconds' must be a whole number ≥ 1")
        start = table.pop("start_date", None)
        if start is not None and not isinstance(start, date):
            try:
                start = date.fromisoformat(str(start))
            except ValueError:
                raise ConfigurationError(f"{here}: 'start_date' {start!r} is not a date (YYYY-MM-DD)") from None
        url = table.pop("url", None)
        path = table.pop("path", None)
        if kind in ("open311", "json") and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise ConfigurationError(f"{here}: 'url' must be an http(s) address")
        if kind == "file" and not path:
            raise ConfigurationError(f"{here}: 'path' is required")
        specs.append(SourceSpec(
            name=name, type=kind, family=family, every_seconds=every, url=url,
            path=Path(path) if path else None, start_date=start, options=table,
        ))
    return specs


def load_sources(path: Path | None) -> list[SourceSpec]:
    """The configured sources; without a file, the feedback simulator alone."""
    if path is None:
        return parse_sources({"sources": DEFAULT_SOURCES}, "default sources")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_sources(data, str(path))


def make_collector(spec: SourceSpec, ctx: CollectorContext) -> Collector:
    cls = find_collector(spec.type, spec.family)
    if cls is None:
        raise ConfigurationError(f"source {spec.name!r}: no collector of type {spec.type!r} for {spec.family!r}")
    return cls(spec, ctx)
