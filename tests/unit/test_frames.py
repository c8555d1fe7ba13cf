"""Query results as frames (ioc.store.frames): the same frame as pandas builds from the rows,
by position or by name, without handing pandas SQLAlchemy's Row objects."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ioc.store.frames import plain, result_frame, rows_frame


@pytest.fixture()
def conn():  # noqa: ANN201
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (code TEXT, n INTEGER, share REAL)"))
        conn.execute(text("INSERT INTO t VALUES ('a', 1, 0.5), ('b', 2, NULL)"))
        yield conn


def test_rows_frame_equals_pandas_own_frame_of_the_same_rows(conn) -> None:  # noqa: ANN001
    rows = conn.execute(text("SELECT code, n, share FROM t ORDER BY code")).all()
    assert type(rows[0]) is not tuple and plain(rows) == [("a", 1, 0.5), ("b", 2, None)]
    frame = rows_frame(rows, ["code", "n", "share"])
    pd.testing.assert_frame_equal(frame, pd.DataFrame.from_records(rows, columns=["code", "n", "share"]))
    assert frame["n"].tolist() == [1, 2] and pd.isna(frame["share"].iloc[1])


def test_an_empty_result_keeps_its_columns(conn) -> None:  # noqa: ANN001
    empty = rows_frame(conn.execute(text("SELECT code, n FROM t WHERE n > 9")).all(), ["code", "n"])
    assert empty.empty and list(empty.columns) == ["code", "n"]
    assert list(result_frame(conn.execute(text("SELECT code, n FROM t WHERE n > 9"))).columns) == ["code", "n"]


def test_result_frame_picks_columns_by_name(conn) -> None:  # noqa: ANN001
    frame = result_frame(conn.execute(text("SELECT n, code FROM t ORDER BY code")), ["code", "n", "missing"])
    assert list(frame.columns) == ["code", "n", "missing"]
    assert frame["code"].tolist() == ["a", "b"] and frame["missing"].isna().all()
