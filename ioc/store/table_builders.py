"""Columns and tables the families' schemas have in common, built in one place.

- :func:`id_column`: the surrogate key of a table of records (BIGINT; INTEGER on SQLite, so
  that it is the rowid);
- :func:`source_record_columns`: the ``id``, ``source`` and ``external_id`` a raw table of
  upserted records starts with (its natural key is ``(source, external_id)``), and
  :func:`ingest_stamp_columns`, the ``updated_at`` / ``ingested_at`` it ends with;
- :func:`map_point_columns`: name, position and district of a thing on the map;
- :func:`rollup_table`: a rollup keyed by grain ('d' or 'm') × bucket (a local date) × the
  family's dimensions, followed by its measures, built with :func:`count_columns`,
  :func:`sum_column` and :func:`histogram_columns`;
- :func:`partial_index`: an index of a small subset (the open records), on both dialects.

A family's schema module declares only its own dimensions and measures; the DDL is what the
tables were written out as before (same names, types, nullability, defaults and order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from ioc.domain.histogram import HIST_BINS

#: the histogram's columns, one per bin of :func:`ioc.domain.feedback.hist_bin`
HIST_COLUMNS = tuple(f"h{k:03d}" for k in range(HIST_BINS))


def id_column() -> sa.Column:
    """An autoincrementing surrogate key (BIGINT; INTEGER on SQLite, i.e. the rowid)."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)


def source_record_columns() -> list[sa.Column]:
    """``id``, then the natural key ``(source, external_id)`` of an upserted record."""
    return [
        id_column(),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
    ]


def ingest_stamp_columns() -> list[sa.Column]:
    """The source's ``updated_at`` (newer wins) and when the store took the version."""
    return [sa.Column("updated_at", sa.DateTime, nullable=False), sa.Column("ingested_at", sa.DateTime, nullable=False)]


def map_point_columns() -> list[sa.Column]:
    """A named point on the map (a camera, a station), the unit it lies in (``unit_code``, as
    given or placed), its current commune and the district-level unit it lay in before the
    district level ended ('' if unknown)."""
    return [
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("unit_code", sa.String(16), nullable=False, default=""),
        *placement_columns(),
    ]


def placement_columns() -> list[sa.Column]:
    """Where a record belongs besides the unit in force on its date (``unit_code``): the
    district-level unit in force then ('' from 1 July 2025) and the current commune."""
    return [
        sa.Column("district_code", sa.String(16), nullable=False, default=""),
        sa.Column("commune_code", sa.String(16), nullable=False, default=""),
    ]


def count_columns(names: Iterable[str], type_: type[TypeEngine] = sa.Integer) -> list[sa.Column]:
    """Additive measures, 0 by default (``type_``: Integer counts, BigInteger money)."""
    return [sa.Column(name, type_, nullable=False, default=0) for name in names]


def sum_column(name: str) -> sa.Column:
    """A float sum (hours), 0.0 by default."""
    return sa.Column(name, sa.Float, nullable=False, default=0.0)


def histogram_columns() -> list[sa.Column]:
    """The counts of :data:`HIST_COLUMNS`."""
    return count_columns(HIST_COLUMNS)


def grain_bucket_columns() -> list[sa.Column]:
    """grain 'd': bucket = local date; grain 'm': bucket = the first local date of the month."""
    return [sa.Column("grain", sa.String(1), nullable=False), sa.Column("bucket", sa.Date, nullable=False)]


def rollup_table(
    metadata: sa.MetaData,
    name: str,
    dims: Sequence[str],
    measures: Iterable[sa.Column],
    *,
    dim_length: int = 64,
    lead: Sequence[sa.Column] | None = None,
    clustered: bool = False,
) -> sa.Table:
    """A rollup: ``lead`` key columns (default grain × bucket), one text column per dimension,
    then the measures; primary key = lead + dims. ``clustered``: SQLite ``WITHOUT ROWID``, so
    that a period is one contiguous range of the primary key."""
    lead = grain_bucket_columns() if lead is None else list(lead)
    return sa.Table(
        name,
        metadata,
        *lead,
        *(sa.Column(dim, sa.String(dim_length), nullable=False) for dim in dims),
        *measures,
        sa.PrimaryKeyConstraint(*(c.name for c in lead), *dims),
        **({"sqlite_with_rowid": False} if clustered else {}),
    )


def partial_index(name: str, *columns: str, where: str) -> sa.Index:
    """An index of the rows matching ``where`` (SQL written out literally: SQLite uses the index
    only for queries that repeat that text; see :func:`ioc.store.schema.status_among_sql`)."""
    return sa.Index(name, *columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
