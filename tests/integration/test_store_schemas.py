"""init_db takes the schema modules a store is made of: each may seed a new store, once."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from ioc.domain.units import UnitMap
from ioc.registry import registry
from ioc.store import schema, schema_access, schema_alerts, schema_systems
from ioc.store.db import init_db, make_engine, store_schemas


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_init_db_seeds_a_new_store_with_the_given_schema_modules(tmp_path) -> None:  # noqa: ANN001
    seeded = []
    family = SimpleNamespace(seed=lambda conn: seeded.append(conn.dialect.name))
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    init_db(engine, [family, SimpleNamespace()])  # a module without seed() is fine
    init_db(engine, [family])  # an existing store is not seeded again
    assert seeded == ["sqlite"]
    assert _count(engine, schema.units) == len(UnitMap.default().units)  # the platform's seed: every unit version
    assert _count(engine, schema.categories) == 0  # no family seeded its categories


def test_the_store_is_made_of_the_registered_families_schemas() -> None:
    schemas = store_schemas()
    # each code-written family's own module, then the platform's: alerts, accounts, and the tables
    # every spec-declared system shares (once, however many specs)
    own = tuple(dict.fromkeys(f.tables for f in registry().families if f.spec is None))
    assert schemas == (*own, schema_alerts, schema_access, schema_systems)
    assert all(f.tables is schema_systems for f in registry().families if f.spec is not None)
    assert [m.__name__ for m in schemas[:2]] == ["ioc.store.schema_feedback", "ioc.store.schema_traffic"]
    assert all(callable(getattr(m, "seed", None)) for m in schemas[:2])  # categories; fine schedule
