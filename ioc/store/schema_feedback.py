"""Citizen field feedback: tables on the shared metadata, and their seed (the categories).

- ``feedback_reports``: one row per (source, external_id), as the source said it;
- ``feedback_rollup``: counts, resolution hours and their histogram per local day ('d') and
  month ('m') × district × category × channel × handling unit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ioc.domain.feedback import CATEGORIES, FAMILY, OPEN_STATUSES
from ioc.store.schema import categories, metadata, status_among_sql
from ioc.store.table_builders import (
    HIST_COLUMNS,
    count_columns,
    histogram_columns,
    ingest_stamp_columns,
    partial_index,
    placement_columns,
    rollup_table,
    source_record_columns,
    sum_column,
)

# The open set of reports.
OPEN_REPORT_SQL = status_among_sql(OPEN_STATUSES)

feedback_reports = sa.Table(
    "feedback_reports",
    metadata,
    *source_record_columns(),
    sa.Column("category_code", sa.String(64), nullable=False),
    sa.Column("category_name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("address", sa.String(300), nullable=False, default=""),
    sa.Column("unit_code", sa.String(16), nullable=False, default=""),
    *placement_columns(),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("handling_unit", sa.String(200), nullable=False, default=""),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("rating", sa.String(16)),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "external_id", name="uq_feedback_source_external"),
    sa.Index("ix_feedback_received", "received_at"),
    # Partial covering index of the small open set: overdue counts never touch the table, and
    # closed reports (≈ 98 %) cost nothing to index.
    # received_at leads so the planner, without statistics, prefers it to ix_feedback_received.
    partial_index("ix_feedback_open", "received_at", "due_at", "status", "commune_code", "district_code", "category_code",
                  "channel",
                  where=OPEN_REPORT_SQL),
)

FEEDBACK_DIMS = ("commune_code", "district_code", "category_code", "channel", "handling_unit")
FEEDBACK_COUNTS = (
    "received",
    "processed",
    "resolved",
    "rejected",
    "on_time",
    "rated",
    "satisfied",
    "acceptable",
    "dissatisfied",
)
FEEDBACK_HIST_COLUMNS = HIST_COLUMNS

feedback_rollup = rollup_table(
    metadata, "feedback_rollup", FEEDBACK_DIMS,
    [*count_columns(FEEDBACK_COUNTS), sum_column("res_hours_sum"), *histogram_columns()],
    dim_length=200,
)

# The same measures city-wide (no unit dimensions): a year of KPIs without a unit filter reads a
# few thousand rows of this table, however many communes the map has.
FEEDBACK_ALL_DIMS = ("category_code", "channel", "handling_unit")
feedback_rollup_all = rollup_table(
    metadata, "feedback_rollup_all", FEEDBACK_ALL_DIMS,
    [*count_columns(FEEDBACK_COUNTS), sum_column("res_hours_sum"), *histogram_columns()],
    dim_length=200,
)


def seed(conn: Connection) -> None:
    """The feedback categories (a new store)."""
    conn.execute(
        sa.insert(categories),
        [{"family": FAMILY, "code": c, "name_vi": vi, "name_en": en} for c, (vi, en) in CATEGORIES.items()],
    )
