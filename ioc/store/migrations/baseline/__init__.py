"""The frozen schema and seed of revision ``0001_baseline`` (commit 7d831bc), per dialect.

Made once by ``freeze.py`` (see there); never regenerate them from the live schema."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SEPARATOR = "\n;\n"


def statements(kind: str, dialect: str) -> list[str]:
    """The statements of ``<kind>.<dialect>.sql`` (kind: "schema" or "seed"), in order."""
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"no baseline for the {dialect!r} dialect (sqlite, postgresql)")
    text = (HERE / f"{kind}.{dialect}.sql").read_text(encoding="utf-8")
    return [s.strip() for s in text.split(SEPARATOR) if s.strip()]
