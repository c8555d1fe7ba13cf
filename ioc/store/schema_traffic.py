"""Traffic violations: tables on the shared metadata, and their seed (the fine schedule).

- ``traffic_cameras``: cameras are data (a deployment edits them; a camera first seen in a
  source's records is registered with ``generated = true``).
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

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from ioc.domain.histogram import HIST_BINS
from ioc.domain.traffic import VIOLATION_LABELS, FineSchedule
from ioc.store.schema import metadata

traffic_cameras = Table(
    "traffic_cameras",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("unit_code", String(16), nullable=False, default=""),
    Column("kind", String(32), nullable=False, default="junction"),
    Column("road", String(200), nullable=False, default=""),
    Column("installed_at", Date),
    Column("active", Boolean, nullable=False, default=True),
    Column("source", String(64), nullable=False, default=""),  # who registered it
    Column("generated", Boolean, nullable=False, default=False),
)

traffic_fine_schedule = Table(
    "traffic_fine_schedule",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("violation_type", String(32), nullable=False),
    Column("vehicle_class", String(16), nullable=False),
    Column("decree", String(64), nullable=False),
    Column("valid_from", Date),  # local dates, both inclusive; NULL = open
    Column("valid_to", Date),
    Column("min_vnd", BigInteger, nullable=False),
    Column("max_vnd", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("violation_type", "vehicle_class", "valid_from", name="uq_traffic_fine_period"),
)

traffic_violations = Table(
    "traffic_violations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("detected_at", DateTime, nullable=False),
    Column("violation_type", String(32), nullable=False),
    Column("vehicle_class", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("camera_code", String(64), nullable=False, default=""),
    Column("unit_code", String(16), nullable=False, default=""),
    Column("lat", Float),
    Column("lon", Float),
    Column("address", String(300), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("plate_raw", String(40), nullable=False, default=""),  # verbatim, personal data
    Column("plate", String(20)),  # canonical (75A-123.45) when valid
    Column("plate_status", String(8), nullable=False),  # valid | invalid | missing
    Column("evidence_url", String(500), nullable=False, default=""),
    Column("fine_vnd", BigInteger),
    Column("fine_flag", String(10), nullable=False),  # in | below | above | unchecked | none
    Column("decree", String(64)),
    Column("fine_min_vnd", BigInteger),
    Column("fine_max_vnd", BigInteger),
    Column("verified_at", DateTime),
    Column("notice_sent_at", DateTime),
    Column("paid_at", DateTime),
    Column("rating", String(16)),
    Column("hour_of_week", SmallInteger, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    UniqueConstraint("source", "external_id", name="uq_traffic_source_external"),
    Index("ix_traffic_detected", "detected_at"),
    Index("ix_traffic_camera_detected", "camera_code", "detected_at"),
)

TRAFFIC_DIMS = ("unit_code", "violation_type", "vehicle_class", "channel")
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
TRAFFIC_HIST_COLUMNS = tuple(f"h{k:03d}" for k in range(HIST_BINS))

# grain 'd': bucket = local date of detection; grain 'm': first local date of that month.
traffic_rollup = Table(
    "traffic_rollup",
    metadata,
    Column("grain", String(1), nullable=False),
    Column("bucket", Date, nullable=False),
    *(Column(dim, String(64), nullable=False) for dim in TRAFFIC_DIMS),
    *(Column(name, Integer, nullable=False, default=0) for name in TRAFFIC_COUNTS),
    *(Column(name, BigInteger, nullable=False, default=0) for name in TRAFFIC_MONEY),
    Column("notice_hours_sum", Float, nullable=False, default=0.0),
    *(Column(name, Integer, nullable=False, default=0) for name in TRAFFIC_HIST_COLUMNS),
    PrimaryKeyConstraint("grain", "bucket", *TRAFFIC_DIMS),
    sqlite_with_rowid=False,  # clustered by (grain, bucket, …): a period is one contiguous range
)

# The same measures province-wide (no district dimension): a year of KPIs without a district
# filter reads a few hundred rows of this table, whatever the number of districts.
TRAFFIC_ALL_DIMS = ("channel", "violation_type", "vehicle_class")
traffic_rollup_all = Table(
    "traffic_rollup_all",
    metadata,
    Column("grain", String(1), nullable=False),
    Column("bucket", Date, nullable=False),
    *(Column(dim, String(64), nullable=False) for dim in TRAFFIC_ALL_DIMS),
    *(Column(name, Integer, nullable=False, default=0) for name in TRAFFIC_COUNTS),
    *(Column(name, BigInteger, nullable=False, default=0) for name in TRAFFIC_MONEY),
    Column("notice_hours_sum", Float, nullable=False, default=0.0),
    *(Column(name, Integer, nullable=False, default=0) for name in TRAFFIC_HIST_COLUMNS),
    PrimaryKeyConstraint("grain", "bucket", *TRAFFIC_ALL_DIMS),
    sqlite_with_rowid=False,
)

# Violations per local day × local hour × district × violation type: the hour × weekday
# heatmap without scanning the raw rows (the weekday comes from the day).
HOUR_DIMS = ("unit_code", "violation_type")
traffic_hour_rollup = Table(
    "traffic_hour_rollup",
    metadata,
    Column("bucket", Date, nullable=False),
    Column("hour", SmallInteger, nullable=False),
    *(Column(dim, String(64), nullable=False) for dim in HOUR_DIMS),
    Column("violations", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("bucket", "hour", *HOUR_DIMS),
    sqlite_with_rowid=False,
)

CAMERA_DIMS = ("camera_code", "unit_code", "violation_type", "vehicle_class", "channel")
traffic_camera_rollup = Table(
    "traffic_camera_rollup",
    metadata,
    Column("grain", String(1), nullable=False),
    Column("bucket", Date, nullable=False),
    *(Column(dim, String(64), nullable=False) for dim in CAMERA_DIMS),
    Column("violations", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("grain", "bucket", *CAMERA_DIMS),
    sqlite_with_rowid=False,
)


def seed_traffic(conn: Connection) -> None:
    """Seed the fine schedule (bundled CSV) and the violation types as categories (idempotent)."""
    from ioc.store.schema import categories

    if conn.execute(select(traffic_fine_schedule.c.id).limit(1)).first() is None:
        conn.execute(insert(traffic_fine_schedule), FineSchedule.load().to_rows())
    have = {code for (code,) in conn.execute(select(categories.c.code).where(categories.c.family == "traffic"))}
    rows = [{"family": "traffic", "code": str(code), "name_vi": vi, "name_en": en}
            for code, (vi, en) in VIOLATION_LABELS.items() if str(code) not in have]
    if rows:
        conn.execute(insert(categories), rows)
