"""Run heartbeats (issue #13): ``collector_runs`` gains ``heartbeat_at``, the last sign of life
of a running run, and an index on ``status`` for the scheduler's sweep of orphaned runs (running
runs whose heartbeat lapsed: their process is gone).

Runs already in the table keep ``heartbeat_at`` NULL; a running one among them is judged by its
``started_at`` (a run left "running" by a scheduler killed before this revision is then marked
failed as orphaned by the next scheduler's start).

Downgrade: drops the index and the column.

Revision ID: 0003_run_heartbeats
Revises: 0002_units_dated
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_run_heartbeats"
down_revision = "0002_units_dated"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collector_runs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime))
    op.create_index("ix_collector_runs_status", "collector_runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_collector_runs_status", table_name="collector_runs")
    with op.batch_alter_table("collector_runs") as batch:
        batch.drop_column("heartbeat_at")
