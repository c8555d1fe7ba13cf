"""The fast paths of the TTHC ingest (bench/admin.py) keep the store's behaviour: how values are
bound, the open-set index and its upgrade, and the skipped lookup of a batch of new numbers.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from ioc.domain.admin_records import validate_dossier
from ioc.kpi.admin import AdminFilter, D, admin_kpis, open_clauses
from ioc.kpi.periods import Period
from ioc.store import bulk, schema_feedback
from ioc.store import schema as store_schema
from ioc.store.admin import ingest, records_frame
from ioc.store.db import get_meta, init_db, make_engine, upgrade_partial_indexes
from ioc.store.schema_admin import OPEN_SQL

NOW = datetime(2026, 4, 1)


def dossier(external_id: str, **overrides: object) -> dict:
    raw = {"external_id": external_id, "procedure_code": "X.HT.02", "unit_code": "19753", "channel": "in_person",
           "status": "in_progress", "received_at": "2026-02-11T09:00:00+07:00", "due_at": "2026-02-25T09:00:00+07:00"}
    raw.update(overrides)
    return raw


def put(engine: Engine, tz, *raws: dict):  # noqa: ANN001, ANN201
    return ingest(engine, "one-stop", records_frame([validate_dossier(r, tz) for r in raws]), tz)


def _plan(engine: Engine, stmt) -> str:  # noqa: ANN001
    compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def _open_index_sql(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ix_admin_open'").scalar_one()


def test_open_set_predicate_is_ored_equalities_and_overdue_counts_use_the_partial_index(tmp_path, tz) -> None:
    # An IN list of 3+ constants makes SQLite build a temporary b-tree for every row an INSERT
    # tests against the partial index (≈ 4 µs a dossier); ORed equalities cost a few compares.
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    init_db(engine)
    assert " IN " not in OPEN_SQL.upper()
    assert "status = 'supplement_requested'" in _open_index_sql(engine)
    flt = AdminFilter(Period(date(2025, 1, 1), date(2026, 1, 1)), level="district")
    plan = _plan(engine, select(func.count()).select_from(D).where(*open_clauses(flt, tz), D.c.effective_due_at < NOW))
    assert "USING INDEX ix_admin_open" in plan, plan  # the same plan as with the IN list


@pytest.mark.parametrize("index, table, columns, in_list, query_term", [
    ("ix_admin_open", "admin_dossiers", "effective_due_at, received_at, level, unit_code",
     "status IN ('new', 'in_progress', 'supplement_requested')", OPEN_SQL),
    ("ix_feedback_open", "feedback_reports", "received_at, due_at, status, unit_code, category_code, channel",
     "status IN ('received', 'verified', 'assigned', 'in_progress')", schema_feedback.OPEN_REPORT_SQL),
])
def test_a_store_made_with_an_earlier_open_index_predicate_gets_the_current_index_at_start(
        tmp_path, tz, index: str, table: str, columns: str, in_list: str, query_term: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    init_db(engine)
    digest = _meta(engine, f"index:{index}")
    assert digest and _index_sql(engine, index).endswith(query_term)  # a new store starts with the current index
    put(engine, tz, dossier("OLD-1"))
    with engine.begin() as conn:  # as a store created before the change looked
        conn.exec_driver_sql(f"DROP INDEX {index}")
        conn.exec_driver_sql(f"CREATE INDEX {index} ON {table} ({columns}) WHERE {in_list}")
        conn.execute(store_schema.meta.delete().where(store_schema.meta.c.key.like("index:%")))
    engine.dispose()
    engine = make_engine(url)
    init_db(engine)  # the next start
    assert _index_sql(engine, index).endswith(query_term)
    assert _meta(engine, f"index:{index}") == digest
    with engine.connect() as conn:  # the other partial indexes were current: left as they were, marked
        assert upgrade_partial_indexes(conn) == []
    assert admin_kpis(engine, AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1))), tz, NOW).overdue == 1


def _meta(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return get_meta(conn, key)


def _index_sql(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar_one()


def test_a_batch_of_numbers_newer_than_the_store_skips_the_lookup_and_the_upsert_rules_hold(engine: Engine, tz,
                                                                                          monkeypatch) -> None:
    assert (put(engine, tz, dossier("HS-0005")).inserted) == 1
    looked_up: list[int] = []
    real = bulk.select_by_keys
    monkeypatch.setattr(bulk, "select_by_keys", lambda *a: looked_up.append(len(a[-1])) or real(*a))
    assert put(engine, tz, dossier("HS-0007"), dossier("HS-0009")).inserted == 2  # all newer than HS-0005
    assert looked_up == ([] if engine.dialect.name == "sqlite" else [2])  # PostgreSQL's collation may differ
    # an older number among them: every id is looked up, and the rules are the same as ever
    result = put(engine, tz, dossier("HS-0001"), dossier("HS-0009"),
                 dossier("HS-0007", status="returned", resolved_at="2026-02-20T09:00:00+07:00",
                         returned_at="2026-02-21T09:00:00+07:00", updated_at="2026-03-01T00:00:00Z"))
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    assert looked_up[-1] == 3
    feb = admin_kpis(engine, AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1))), tz, NOW)
    assert (feb.received, feb.resolved) == (4, 1)


def test_bulk_values_store_nulls_bools_and_times_as_sqlalchemy_does(engine: Engine) -> None:
    # On SQLite, missing values are bound as NaN and bools as 0/1 (the driver's fast path): the
    # stored rows must be those SQLAlchemy's own insert writes.
    table = Table("bulk_probe", MetaData(), Column("id", Integer, primary_key=True), Column("t", Text),
                  Column("at", DateTime), Column("x", Float), Column("flag", Boolean), Column("n", Integer))
    table.create(engine)
    times = [datetime(2026, 2, 28, 17, 30, 0, 123456), None, datetime(1969, 12, 31, 23, 59, 59, 999999),
             datetime(2026, 1, 1)]
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "t": pd.Series(["a", None, np.nan, "d"], dtype=object),
        "at": pd.Series(times, dtype="datetime64[us]"),
        "x": [1.5, np.nan, None, 2.0],
        "flag": [True, False, True, False],
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
    })
    with engine.begin() as conn:
        assert bulk.insert_many(conn, "bulk_probe", frame, list(frame.columns)) == 4
    expected = [(1, "a", times[0], 1.5, True, 1), (2, None, None, None, False, None),
                (3, None, times[2], None, True, 3), (4, "d", times[3], 2.0, False, 4)]
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))] == expected
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(insert(table), [dict(zip(("id", "t", "at", "x", "flag", "n"), (i + 10, *r[1:]), strict=True))
                                         for i, r in enumerate(expected)])
            stored = conn.execute(text("SELECT t, at, typeof(t), typeof(at), typeof(x), typeof(flag), typeof(n) "
                                       "FROM bulk_probe ORDER BY id")).all()
        assert stored[:4] == stored[4:]  # the same text, the same types (NULL, integer 0/1) as SQLAlchemy
        assert stored[0][1] == "2026-02-28 17:30:00.123456"
    before = _count(engine)
    # a driver error as SQLAlchemy's (PostgreSQL loads by COPY, SQLite by executemany), and the
    # transaction's rows all go: the good row before the duplicate is not kept
    with pytest.raises(IntegrityError, match="UNIQUE|unique|duplicate"), engine.begin() as conn:
        bulk.insert_many(conn, "bulk_probe", frame.assign(id=[100, 1, 101, 102]), list(frame.columns))
    assert _count(engine) == before


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(text("bulk_probe"))).scalar_one()
