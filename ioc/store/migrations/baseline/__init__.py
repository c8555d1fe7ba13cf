"""The frozen schema and seed of revision ``0001_baseline`` (commit 7d831bc), per dialect.

Made once by ``freeze.py`` (see there); never regenerate them from the live schema."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SEPARATOR = "\n;\n"


def statements(kind: str, dialect: str) -> list[str]:
    """The statements of ``<kind>.<dialect>.sql`` (kind: "schema" or "seed"), in order."""
    return read_statements(HERE / f"{kind}.{dialect}.sql", dialect)


def read_statements(path: Path, dialect: str) -> list[str]:
    """The statements of a frozen SQL file (separated by a line holding only ``;``)."""
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"no frozen SQL for the {dialect!r} dialect (sqlite, postgresql)")
    text = path.read_text(encoding="utf-8")
    return [s.strip() for s in text.split(SEPARATOR) if s.strip()]
