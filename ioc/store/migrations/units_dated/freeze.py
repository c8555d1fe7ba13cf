"""How ``sqlite.sql`` and ``postgresql.sql`` next to this one were made: run once, on the live
schema of the Units change (main 62b0a4d … 55c5d74, merged into the alembic branch), and never again — the
live schema moves on, revision 0002 must not.

    python ioc/store/migrations/units_dated/freeze.py   # only while 0002 is being written

``CREATE TABLE`` of ``units``, of the rollups whose dimensions changed and of the new city-wide
feedback rollup, then ``CREATE INDEX``
of the feedback open-set index on the new columns, compiled for each dialect.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from ioc.store import schema  # noqa: E402
from ioc.store.db import store_schemas  # noqa: E402
from ioc.store.migrations.baseline.freeze import write  # noqa: E402

# units and the rollups whose dimensions changed (dropped first), then the new city-wide feedback
# rollup (main 55c5d74)
TABLES = ("units", "feedback_rollup", "traffic_rollup", "traffic_hour_rollup", "traffic_camera_rollup",
          "admin_rollup", "feedback_rollup_all")
INDEXES = (("feedback_reports", "ix_feedback_open"),)


def main() -> None:
    store_schemas()
    for name, dialect in (("sqlite", sqlite.dialect()), ("postgresql", postgresql.dialect())):
        out = [str(CreateTable(schema.metadata.tables[t]).compile(dialect=dialect)).strip() for t in TABLES]
        for table, index in INDEXES:
            found = next(i for i in schema.metadata.tables[table].indexes if i.name == index)
            out.append(str(CreateIndex(found).compile(dialect=dialect)).strip())
        write(HERE / f"{name}.sql", out)


if __name__ == "__main__":
    main()
