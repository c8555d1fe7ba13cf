"""The frozen definitions revision ``0002_units_dated`` creates, per dialect: the ``units`` table
keyed by (code, valid_from), the rollup tables whose dimensions changed, the new city-wide
feedback rollup and the feedback open-set index on the new columns. Made once by ``freeze.py``; never regenerate them from the live schema."""

from __future__ import annotations

from pathlib import Path

from ioc.store.migrations.baseline import read_statements

HERE = Path(__file__).resolve().parent


def statements(dialect: str) -> list[str]:
    """The statements of ``<dialect>.sql``, in order."""
    return read_statements(HERE / f"{dialect}.sql", dialect)
