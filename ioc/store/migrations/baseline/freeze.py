"""How the files next to this one were made: run once, at commit 7d831bc (the release before
Alembic), and never again — the live schema has moved on since, the baseline must not.

    python ioc/store/migrations/baseline/freeze.py   # at 7d831bc only

- ``schema.<dialect>.sql``: ``CREATE TABLE`` / ``CREATE INDEX`` (``IF NOT EXISTS``) of every
  table of ``ioc.store.schema.metadata`` once every family's schema is imported
  (``ioc.store.db.store_schemas``), partial indexes with their ``WHERE``, compiled for the
  dialect;
- ``seed.<dialect>.sql``: the rows ``init_db`` of that commit wrote into a new store (units,
  holidays, categories, fine schedule, procedures, ``meta``), as literal ``INSERT``s; the
  surrogate ``id`` of the fine schedule is left to the database so that its sequence follows.

Statements are separated by a line holding only ``;``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from ioc.store import schema  # noqa: E402
from ioc.store.db import init_db, make_engine, store_schemas  # noqa: E402

SEPARATOR = "\n;\n"
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def ddl(dialect: sa.Dialect) -> list[str]:
    out = []
    for table in schema.metadata.sorted_tables:
        out.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: i.name):
            out.append(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip())
    return out


def seed_rows() -> dict[str, list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/seed.db")
        init_db(engine)
        rows = {}
        with engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                pk = [c.name for c in table.primary_key.columns]
                found = [dict(r) for r in conn.execute(sa.select(table).order_by(*pk)).mappings()]
                if found:
                    rows[table.name] = found
        engine.dispose()
    return rows


def inserts(rows: dict[str, list[dict]], dialect: sa.Dialect, chunk: int = 200) -> list[str]:
    out = []
    for name, found in rows.items():
        table = schema.metadata.tables[name]
        drop = {c.name for c in table.primary_key.columns if c.autoincrement is True}
        found = [{k: v for k, v in r.items() if k not in drop} for r in found]
        for start in range(0, len(found), chunk):
            stmt = sa.insert(table).values(found[start:start + chunk])
            out.append(str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})).strip())
    return out


def write(path: Path, statements: list[str]) -> None:
    text = SEPARATOR.join("\n".join(line.rstrip() for line in s.splitlines()) for s in statements) + SEPARATOR
    path.write_text(text, encoding="utf-8")


def main() -> None:
    store_schemas()
    rows = seed_rows()
    for name, dialect in DIALECTS.items():
        write(HERE / f"schema.{name}.sql", ddl(dialect))
        write(HERE / f"seed.{name}.sql", inserts(rows, dialect))


if __name__ == "__main__":
    main()
