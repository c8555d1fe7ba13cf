"""What every family's ``ingest`` shares: its result, and rollup buckets as the driver takes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class IngestResult:
    """How many records of a batch were new, replaced a stored older version, or changed nothing;
    ``alerts_changed``: alerts opened or closed by the batch (families with live alerts)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    alerts_changed: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.inserted + other.inserted, self.updated + other.updated,
                            self.unchanged + other.unchanged, self.alerts_changed + other.alerts_changed)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def bulk_date(conn: Connection, value: date) -> object:
    """A rollup bucket (local date) as the raw driver wants it."""
    return value.isoformat() if conn.dialect.name == "sqlite" else value
