"""Tables of the administrative-services family (TTHC), on the shared metadata.

``admin_procedures`` is the procedure catalogue (seeded, editable, grown by dossiers that name
unknown procedures). ``admin_dossiers`` holds one row per (source, external_id) with what the
source said plus what the store derived once per version: the effective deadline after
supplement pauses (NULL while a pause that started before the budget ran out is still open),
the timeliness bucket of a resolved dossier and its elapsed working hours.

Two rollups, per local day ('d') and local month ('m', bucket = the 1st): by level × unit
(headline KPIs, unit ranking, map) and by level × field × procedure (breakdowns). Both are
small: 151 units × 36 months is 5,436 month rows for three years.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ioc.domain.admin import OPEN_STATUSES, DossierStatus
from ioc.domain.admin_catalogue import SEED_PROCEDURES
from ioc.domain.admin_units import PROVINCIAL_CENTRES
from ioc.store.schema import meta, metadata, status_among_sql, units
from ioc.store.table_builders import (
    count_columns,
    ingest_stamp_columns,
    partial_index,
    placement_columns,
    rollup_table,
    source_record_columns,
    sum_column,
)

# The open set of dossiers, as the partial index's predicate and its queries' term (in the
# statuses' declared order: new, in_progress, supplement_requested).
OPEN_SQL = status_among_sql(s.value for s in DossierStatus if s in OPEN_STATUSES)

admin_procedures = sa.Table(
    "admin_procedures",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("online_mode", sa.String(16), nullable=False),  # full_process | partial | none
    sa.Column("working_days", sa.Integer),
    sa.Column("has_fee", sa.Boolean, nullable=False, default=False),
    sa.Column("origin", sa.String(16), nullable=False, default="seed"),  # seed | dossier | edited
)

admin_dossiers = sa.Table(
    "admin_dossiers",
    metadata,
    *source_record_columns(),
    sa.Column("procedure_code", sa.String(64), nullable=False),
    sa.Column("field", sa.String(64), nullable=False, default=""),
    sa.Column("level", sa.String(16), nullable=False, default=""),
    sa.Column("unit_code", sa.String(16), nullable=False),
    *placement_columns(),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("online_mode", sa.String(16), nullable=False, default="none"),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("effective_due_at", sa.DateTime),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("returned_at", sa.DateTime),
    sa.Column("pauses", sa.Text),  # JSON [[start UTC, end UTC or null], …]
    sa.Column("pause_count", sa.SmallInteger, nullable=False, default=0),
    sa.Column("paid_online", sa.Boolean, nullable=False, default=False),
    sa.Column("fee_required", sa.Boolean, nullable=False, default=False),
    sa.Column("digitised", sa.Boolean, nullable=False, default=False),
    sa.Column("rating", sa.String(16)),
    sa.Column("bucket", sa.String(16)),  # early | on_time | late (resolved only)
    sa.Column("elapsed_hours", sa.Float),  # working hours receipt → resolution, pauses removed
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "external_id", name="uq_admin_source_external"),
    # One unit's dossiers of a period (its field and procedure breakdowns read them raw).
    sa.Index("ix_admin_unit_received", "unit_code", "received_at"),
    # The open set (a few % of all dossiers): overdue and due-soon queries never touch the rest.
    partial_index("ix_admin_open", "effective_due_at", "received_at", "level", "unit_code", where=OPEN_SQL),
)

ADMIN_COUNTS = (
    "received",
    "resolved",  # resolved + returned
    "returned",
    "early",
    "on_time",
    "late",
    "in_progress",  # new + in progress + supplement requested, as of the latest version
    "supplement_open",
    "had_supplement",
    "refused",
    "stopped",
    "withdrawn",
    "online",
    "post",
    "in_person",
    "full_process_online",
    "fee_required",
    "paid_online",
    "digitised",
    "rated",
    "satisfied",
    "acceptable",
    "dissatisfied",
)
ADMIN_MEASURES = (*ADMIN_COUNTS, "elapsed_hours_sum")
UNIT_DIMS = ("level", "unit_code", "commune_code")
PROCEDURE_DIMS = ("level", "field", "procedure_code")


def admin_measures() -> list[sa.Column]:
    """The measures of both dossier rollups."""
    return [*count_columns(ADMIN_COUNTS), sum_column("elapsed_hours_sum")]


admin_rollup = rollup_table(metadata, "admin_rollup", UNIT_DIMS, admin_measures())
admin_procedure_rollup = rollup_table(metadata, "admin_procedure_rollup", PROCEDURE_DIMS, admin_measures())


SEED_KEY = "seeded:admin"


def seed(conn: Connection) -> None:
    """Add the provincial (city) centre's dated rows to the units and the sample procedure
    catalogue where missing (district and commune one-stop units are the administrative units
    in force). Idempotent: rows already there are kept as a deployment edited them."""
    from ioc.store.db import unit_row

    have = set(conn.execute(sa.select(units.c.code, units.c.valid_from)).all())
    rows = [unit_row(u) for u in PROVINCIAL_CENTRES if (u.code, u.valid_from) not in have]
    if rows:
        conn.execute(sa.insert(units), rows)
    known = set(conn.execute(sa.select(admin_procedures.c.code)).scalars())
    procedures = [{"code": p.code, "name": p.name, "field": p.field, "level": p.level, "online_mode": p.online_mode,
                   "working_days": p.working_days, "has_fee": p.has_fee, "origin": "seed"}
                  for p in SEED_PROCEDURES if p.code not in known]
    if procedures:
        conn.execute(sa.insert(admin_procedures), procedures)
    if conn.execute(sa.select(meta.c.value).where(meta.c.key == SEED_KEY)).scalar() is None:
        conn.execute(sa.insert(meta).values(key=SEED_KEY, value="1"))
