"""English texts of official warnings (issue #15): ``cap_warnings`` gains ``description_en`` and
``instruction_en``, the description and instruction of a CAP message's English ``info`` (it
kept the English event and headline only), so the English page shows the centre's own English
text rather than the Vietnamese one.

Messages stored before this revision get "" in both (the English page shows their Vietnamese
texts, marked as such); importing a message again fills them (a message whose stored copy
differs is replaced: :mod:`ioc.store.warnings`).

Frozen DDL (the columns as :mod:`ioc.store.schema_warnings` has them at this revision). A NOT
NULL column added with its default fills the rows already there, on both dialects.
Downgrade: drops the two columns.

Revision ID: 0009_cap_english
Revises: 0008_cameras
"""

from __future__ import annotations

from alembic import op

revision = "0009_cap_english"
down_revision = "0008_cameras"
branch_labels = None
depends_on = None

COLUMNS = ("description_en", "instruction_en")
STATEMENTS = {
    "sqlite": (
        "ALTER TABLE cap_warnings ADD COLUMN description_en TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cap_warnings ADD COLUMN instruction_en TEXT NOT NULL DEFAULT ''",
    ),
    "postgresql": (
        "ALTER TABLE cap_warnings ADD COLUMN description_en TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cap_warnings ADD COLUMN instruction_en TEXT NOT NULL DEFAULT ''",
    ),
}


def upgrade() -> None:
    conn = op.get_bind()
    for statement in STATEMENTS[conn.dialect.name]:
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("cap_warnings", column)  # SQLite ≥ 3.35 drops a column in place
