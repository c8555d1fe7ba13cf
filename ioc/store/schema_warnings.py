"""Official warnings received as CAP 1.2 messages (``cap_warnings``), one row per message.

A message is keyed by CAP's own identity, ``(sender, identifier)``: the same message read again
from another feed or file is the same row. Times are naive UTC. The texts (``event``,
``headline``, ``description``, ``instruction``) are those of the message's Vietnamese ``info``
(else its first), and the ``*_en`` ones those of its English ``info`` ("" when it has none:
the English page then shows the Vietnamese text, marked as such); the
``severity``/``urgency``/``certainty`` are those of its most severe ``info``. ``areas`` is a
GeoJSON FeatureCollection of every area's polygons and circles (circles as points with a
``radius_m`` property), ``area_desc`` their ``areaDesc``\\ s. ``in_city``: one of its areas
reaches the province (see :mod:`ioc.domain.warnings`). ``ended_at``/``ended_by``: a later
``Cancel`` or ``Update`` from the same sender that names it in ``references``.
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata
from ioc.store.table_builders import id_column, ingest_stamp_columns

MAX_ID = 200
MAX_TEXT = 500

cap_warnings = sa.Table(
    "cap_warnings",
    metadata,
    id_column(),
    sa.Column("source", sa.String(96), nullable=False),
    sa.Column("sender", sa.String(MAX_ID), nullable=False),
    sa.Column("identifier", sa.String(MAX_ID), nullable=False),
    sa.Column("sent", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("msg_type", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("category", sa.String(64), nullable=False, default=""),
    sa.Column("event", sa.String(MAX_TEXT), nullable=False, default=""),
    sa.Column("event_en", sa.String(MAX_TEXT), nullable=False, default=""),
    sa.Column("headline", sa.String(MAX_TEXT), nullable=False, default=""),
    sa.Column("headline_en", sa.String(MAX_TEXT), nullable=False, default=""),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("instruction", sa.Text, nullable=False, default=""),
    sa.Column("description_en", sa.Text, nullable=False, default=""),  # since 0009_cap_english
    sa.Column("instruction_en", sa.Text, nullable=False, default=""),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("certainty", sa.String(16), nullable=False),
    sa.Column("onset", sa.DateTime),
    sa.Column("expires", sa.DateTime),
    sa.Column("area_desc", sa.String(MAX_TEXT), nullable=False, default=""),
    sa.Column("areas", sa.Text, nullable=False, default="{}"),  # GeoJSON FeatureCollection
    sa.Column("in_city", sa.Boolean, nullable=False),
    sa.Column("ended_at", sa.DateTime),
    sa.Column("ended_by", sa.String(MAX_ID)),
    sa.Column("refs", sa.Text, nullable=False, default=""),  # its references: "sender,identifier" pairs, spaced
    *ingest_stamp_columns(),
    sa.UniqueConstraint("sender", "identifier", name="uq_cap_warnings_message"),
    sa.Index("ix_cap_warnings_sent", "sent"),
)
