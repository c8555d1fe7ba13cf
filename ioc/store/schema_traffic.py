"""Traffic violations: tables on the shared metadata, and their seed (the fine schedule).

- ``traffic_cameras``: cameras are data (a deployment edits them; a camera first seen in a
  source's records is registered with ``generated = true``). The name is historical: it is the
  registry of **every** camera of the city, which the ``cameras`` family shares
  (:mod:`ioc.store.schema_cameras`); ``purpose`` is traffic | security | flood.
- ``traffic_fine_schedule``: legal fine ranges (VND) by violation type × vehicle class ×
  decree period, seeded from ``ioc/domain/fine_schedule.csv``; editable.
- ``traffic_violations``: one row per (source, external_id), with the ingest-time flags:
  ``plate_status`` (valid | invalid | missing), ``fine_flag`` (in | below | above |
  unchecked: no legal range covers the case | none: no fine recorded), the ``decree`` and the
  range it sets, and ``hour_of_week`` (local weekday × 24 + hour, Monday 00h = 0).
- ``traffic_rollup``: counts, VND sums and a notice-lag histogram per local day ('d') and
  month ('m') × district × violation type × vehicle class × channel. Cameras are not a
  dimension here, so a year of KPIs stays a few thousand rows however many cameras there are.
- ``traffic_rollup_all``: the same without the district, read when no district is filtered
  (a year is a few hundred rows).
- ``traffic_camera_rollup``: violations per day/month × camera (× its unit, type, vehicle
  class, channel), for the camera map and ``top_cameras``.
- ``traffic_hour_rollup``: violations per local day × local hour × district × type, for the
  hour × weekday heatmap.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ioc.domain.traffic import VIOLATION_LABELS, FineSchedule
from ioc.domain.traffic_records import FAMILY
from ioc.store.schema import categories, metadata
from ioc.store.table_builders import (
    HIST_COLUMNS,
    count_columns,
    histogram_columns,
    id_column,
    ingest_stamp_columns,
    map_point_columns,
    placement_columns,
    rollup_table,
    source_record_columns,
    sum_column,
)

traffic_cameras = sa.Table(
    "traffic_cameras",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    *map_point_columns(),
    sa.Column("kind", sa.String(32), nullable=False, default="junction"),
    sa.Column("road", sa.String(200), nullable=False, default=""),
    sa.Column("installed_at", sa.Date),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("source", sa.String(64), nullable=False, default=""),  # who registered it
    sa.Column("generated", sa.Boolean, nullable=False, default=False),
    sa.Column("purpose", sa.String(16), nullable=False, server_default="traffic"),
)

traffic_fine_schedule = sa.Table(
    "traffic_fine_schedule",
    metadata,
    id_column(),
    sa.Column("violation_type", sa.String(32), nullable=False),
    sa.Column("vehicle_class", sa.String(16), nullable=False),
    sa.Column("decree", sa.String(64), nullable=False),
    sa.Column("valid_from", sa.Date),  # local dates, both inclusive; NULL = open
    sa.Column("valid_to", sa.Date),
    sa.Column("min_vnd", sa.BigInteger, nullable=False),
    sa.Column("max_vnd", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("violation_type", "vehicle_class", "valid_from", name="uq_traffic_fine_period"),
)

traffic_violations = sa.Table(
    "traffic_violations",
    metadata,
    *source_record_columns(),
    sa.Column("detected_at", sa.DateTime, nullable=False),
    sa.Column("violation_type", sa.String(32), nullable=False),
    sa.Column("vehicle_class", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("camera_code", sa.String(64), nullable=False, default=""),
    sa.Column("unit_code", sa.String(16), nullable=False, default=""),
    *placement_columns(),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("address", sa.String(300), nullable=False, default=""),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("plate_raw", sa.String(40), nullable=False, default=""),  # verbatim, personal data
    sa.Column("plate", sa.String(20)),  # canonical (75A-123.45) when valid
    sa.Column("plate_status", sa.String(8), nullable=False),  # valid | invalid | missing
    sa.Column("evidence_url", sa.String(500), nullable=False, default=""),
    sa.Column("fine_vnd", sa.BigInteger),
    sa.Column("fine_flag", sa.String(10), nullable=False),  # in | below | above | unchecked | none
    sa.Column("decree", sa.String(64)),
    sa.Column("fine_min_vnd", sa.BigInteger),
    sa.Column("fine_max_vnd", sa.BigInteger),
    sa.Column("verified_at", sa.DateTime),
    sa.Column("notice_sent_at", sa.DateTime),
    sa.Column("paid_at", sa.DateTime),
    sa.Column("rating", sa.String(16)),
    sa.Column("hour_of_week", sa.SmallInteger, nullable=False),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "external_id", name="uq_traffic_source_external"),
    sa.Index("ix_traffic_detected", "detected_at"),
    sa.Index("ix_traffic_camera_detected", "camera_code", "detected_at"),
)

TRAFFIC_DIMS = ("commune_code", "district_code", "violation_type", "vehicle_class", "channel")
TRAFFIC_COUNTS = (
    "violations",
    "verified",
    "dismissed",
    "noticed",
    "paid",
    "fined",
    "fine_out_of_range",
    "fine_unchecked",
    "invalid_plates",
    "missing_plates",
    "rated",
    "satisfied",
    "acceptable",
    "dissatisfied",
    "notice_timed",
)
TRAFFIC_MONEY = ("fines_issued_vnd", "fines_collected_vnd")
TRAFFIC_HIST_COLUMNS = HIST_COLUMNS


def traffic_measures() -> list[sa.Column]:
    """The measures of both violation rollups: counts, VND sums, notice hours and their histogram."""
    return [*count_columns(TRAFFIC_COUNTS), *count_columns(TRAFFIC_MONEY, sa.BigInteger), sum_column("notice_hours_sum"),
            *histogram_columns()]


# grain 'd': bucket = local date of detection; grain 'm': first local date of that month.
# Clustered by (grain, bucket, …): a period is one contiguous range.
traffic_rollup = rollup_table(metadata, "traffic_rollup", TRAFFIC_DIMS, traffic_measures(), clustered=True)

# The same measures province-wide (no district dimension): a year of KPIs without a district
# filter reads a few hundred rows of this table, whatever the number of districts.
TRAFFIC_ALL_DIMS = ("channel", "violation_type", "vehicle_class")
traffic_rollup_all = rollup_table(metadata, "traffic_rollup_all", TRAFFIC_ALL_DIMS, traffic_measures(),
                                  clustered=True)

# Violations per local day × local hour × district × violation type: the hour × weekday
# heatmap without scanning the raw rows (the weekday comes from the day).
HOUR_DIMS = ("commune_code", "district_code", "violation_type")
traffic_hour_rollup = rollup_table(
    metadata, "traffic_hour_rollup", HOUR_DIMS, count_columns(["violations"]), clustered=True,
    lead=[sa.Column("bucket", sa.Date, nullable=False), sa.Column("hour", sa.SmallInteger, nullable=False)],
)

CAMERA_DIMS = ("camera_code", "commune_code", "district_code", "violation_type", "vehicle_class", "channel")
traffic_camera_rollup = rollup_table(metadata, "traffic_camera_rollup", CAMERA_DIMS, count_columns(["violations"]),
                                     clustered=True)


def seed(conn: Connection) -> None:
    """Seed the fine schedule (bundled CSV) and the violation types as categories (idempotent)."""
    if conn.execute(sa.select(traffic_fine_schedule.c.id).limit(1)).first() is None:
        conn.execute(sa.insert(traffic_fine_schedule), FineSchedule.load().to_rows())
    have = {code for (code,) in conn.execute(sa.select(categories.c.code).where(categories.c.family == FAMILY))}
    rows = [{"family": FAMILY, "code": str(code), "name_vi": vi, "name_en": en}
            for code, (vi, en) in VIOLATION_LABELS.items() if str(code) not in have]
    if rows:
        conn.execute(sa.insert(categories), rows)
