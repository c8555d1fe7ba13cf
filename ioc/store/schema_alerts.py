"""Acknowledgements of alerts (``alert_acks``), on the shared metadata.

The episodes themselves live in the shared ``alerts`` table (:mod:`ioc.store.schema_environment`).
Who acknowledged an alert, when (naive UTC) and with what note is a row of its own, keyed by
the alert's id, so a deployment that already has ``alerts`` gains acknowledgements from
``create_all`` alone, without an ALTER. One acknowledgement per alert: the first one stands.

No foreign key on purpose: the environment family deletes an alert whose episode vanished after
a data correction; its acknowledgement then stays behind, unread (every read joins from
``alerts``).
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata

MAX_ACK_NAME = 100
MAX_ACK_NOTE = 1000

alert_acks = sa.Table(
    "alert_acks",
    metadata,
    sa.Column("alert_id", sa.BigInteger, primary_key=True, autoincrement=False),  # alerts.id
    sa.Column("acked_by", sa.String(MAX_ACK_NAME), nullable=False),
    sa.Column("acked_at", sa.DateTime, nullable=False),
    sa.Column("note", sa.Text),
)
