"""Urban cameras (family ``cameras``): tables on the shared metadata.

The camera **registry** is not here: it is ``traffic_cameras`` (:mod:`ioc.store.schema_traffic`),
which holds every camera of the city — traffic, security and flood — with its ``purpose``; the
traffic family and this one read and write the same rows.

- ``camera_status``: each camera's first and last heartbeat (naive UTC) and the source that
  last moved them, kept on ingest.
- ``camera_outages``: each gap longer than 15 minutes between two known heartbeats of a camera,
  from the heartbeat before (``started_at``) to the one after (``ended_at``); the gap a camera is
  in now (last_seen → now) is not stored. Raw heartbeats are **not** stored: a fleet of 650
  cameras beating every minute would write 340 million rows a year, and first_seen, last_seen
  and the outages are all the uptime, the state and the alerts need
  (:func:`ioc.domain.cameras.merge_heartbeats` keeps them exact whatever order heartbeats come in).
- ``camera_events``: AI detections, one row per ``(source, external_id)``; a version with a
  later ``updated_at`` replaces the stored one (a review added later).
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata
from ioc.store.table_builders import ingest_stamp_columns, source_record_columns

camera_status = sa.Table(
    "camera_status",
    metadata,
    sa.Column("camera_code", sa.String(64), primary_key=True),
    sa.Column("first_seen", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
)

camera_outages = sa.Table(
    "camera_outages",
    metadata,
    sa.Column("camera_code", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.DateTime, primary_key=True),
    sa.Column("ended_at", sa.DateTime, nullable=False),
    sa.Index("ix_camera_outages_ended", "ended_at"),
)

camera_events = sa.Table(
    "camera_events",
    metadata,
    *source_record_columns(),
    sa.Column("camera_code", sa.String(64), nullable=False),
    sa.Column("detected_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("confidence", sa.Float),
    sa.Column("review", sa.String(16), nullable=False, default=""),
    *ingest_stamp_columns(),
    sa.UniqueConstraint("source", "external_id", name="uq_camera_events_source_external"),
    sa.Index("ix_camera_events_detected", "detected_at"),
    sa.Index("ix_camera_events_camera_detected", "camera_code", "detected_at"),
)
