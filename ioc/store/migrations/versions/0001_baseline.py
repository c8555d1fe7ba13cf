"""Baseline: the store as the release before Alembic (commit 7d831bc) made it.

On an empty database: every table and index of that release (frozen DDL per dialect in
``ioc/store/migrations/baseline/``, partial indexes with their ``WHERE``), then the rows its
``init_db`` seeded (units, holidays, categories, fine schedule, procedures, ``meta``).
A store made by that release (``meta.schema_version`` = '1', no ``alembic_version``) is not
re-created: :func:`ioc.store.migrate.upgrade` stamps it at this revision (after creating any
table it lacks).

Downgrade: not supported (there is nothing before the baseline; restore a backup instead).

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

from alembic import op

from ioc.store.migrations.baseline import statements

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for stmt in statements("schema", conn.dialect.name):
        conn.exec_driver_sql(stmt)
    seeded = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar()
    if seeded is None:
        for stmt in statements("seed", conn.dialect.name):
            conn.exec_driver_sql(stmt)


def downgrade() -> None:
    raise NotImplementedError("downgrade is not supported: restore the backup taken before upgrading")
