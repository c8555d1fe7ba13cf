"""Query results as pandas frames, fast.

SQLAlchemy's ``Row`` and ``RowMapping`` are not tuples or dicts: handed to pandas as they are,
each row is probed for namedtuple fields (an ``AttributeError`` raised and caught per row) or
read key by key. 20,000 rows of two columns take 253 ms as ``Row`` objects, 110 ms as mappings
and 14 ms as plain tuples. Every frame built from a query goes through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def plain(rows: Iterable[Any]) -> list[tuple]:
    """Rows (``Row`` objects, or any sequences) as plain tuples."""
    return [tuple(r) for r in rows]


def rows_frame(rows: Iterable[Any], columns: Sequence[str]) -> pd.DataFrame:
    """Rows whose values stand in the order of ``columns``, as a frame with those columns."""
    return pd.DataFrame.from_records(plain(rows), columns=list(columns))


def result_frame(result: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A query's result by column name: its own columns, or ``columns`` picked from them by name
    (one the query lacks comes out empty, as ``pd.DataFrame(mappings, columns=…)`` did)."""
    frame = rows_frame(result, list(result.keys()))
    return frame if columns is None else frame.reindex(columns=list(columns))
