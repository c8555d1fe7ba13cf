"""Systems declared by spec files (``ioc.systems.spec``): one set of tables for all of them.

- ``system_events``: one row per (source, external_id) of an ``events`` system; ``source`` is
  stored as ``<system>/<source name>`` so that two systems' files of the same name never meet;
  ``d1``..``d3`` hold the codes of the spec's dimensions in their order; ``duration_h`` the
  handling time in hours (from ``handled`` − ``time`` or given);
- ``system_rollup``: counts (all, with a value, with a handling time, with a position), value
  sums, handling-time sums and histogram per local day ('d')
  and month ('m') × system × commune × district-level unit × d1 × d2 × d3; ``system_rollup_all``
  the same city-wide (no unit), which a year of KPIs without a unit filter reads;
- ``system_indicators``: one value per (system, indicator, period, unit) of an ``indicator``
  system, with its plan (target), rank among provinces, and the citation it came from.
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata
from ioc.store.table_builders import (
    count_columns,
    histogram_columns,
    id_column,
    ingest_stamp_columns,
    placement_columns,
    rollup_table,
    sum_column,
)

DIM_COLUMNS = ("d1", "d2", "d3")

system_events = sa.Table(
    "system_events",
    metadata,
    id_column(),
    sa.Column("source", sa.String(96), nullable=False),  # <system>/<source name>
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("system", sa.String(24), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("unit_code", sa.String(16), nullable=False, default=""),
    *placement_columns(),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    *(sa.Column(c, sa.String(64), nullable=False, default="") for c in DIM_COLUMNS),
    sa.Column("value", sa.Float),
    sa.Column("duration_h", sa.Float),
    sa.Column("title", sa.String(300), nullable=False, default=""),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "external_id", name="uq_system_events_source_external"),
    sa.Index("ix_system_events_time", "system", "occurred_at"),
)

SYSTEM_DIMS = ("system", "commune_code", "district_code", *DIM_COLUMNS)
SYSTEM_ALL_DIMS = ("system", *DIM_COLUMNS)
SYSTEM_COUNTS = ("n", "value_n", "dur_n", "loc_n")  # loc_n: events with a position (the map's count)
SYSTEM_SUMS = ("value_sum", "dur_sum")


def _measures() -> list[sa.Column]:
    return [*count_columns(SYSTEM_COUNTS), *(sum_column(s) for s in SYSTEM_SUMS), *histogram_columns()]


system_rollup = rollup_table(metadata, "system_rollup", SYSTEM_DIMS, _measures())
system_rollup_all = rollup_table(metadata, "system_rollup_all", SYSTEM_ALL_DIMS, _measures())

system_indicators = sa.Table(
    "system_indicators",
    metadata,
    id_column(),
    sa.Column("system", sa.String(24), nullable=False),
    sa.Column("indicator", sa.String(64), nullable=False),
    sa.Column("period", sa.String(10), nullable=False),  # 2024 | 2024-Q3 | 2024-07
    sa.Column("frequency", sa.String(8), nullable=False),  # year | quarter | month
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),  # exclusive
    sa.Column("unit_code", sa.String(16), nullable=False, default=""),  # '' = the province
    sa.Column("value", sa.Float),
    sa.Column("target", sa.Float),
    sa.Column("rank", sa.Integer),
    sa.Column("rank_of", sa.Integer),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("citation", sa.String(500), nullable=False, default=""),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("system", "indicator", "period", "unit_code", name="uq_system_indicators_key"),
    sa.Index("ix_system_indicators_start", "system", "period_start"),
)
