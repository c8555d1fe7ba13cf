"""Shared fixtures: a fresh store on SQLite and on PostgreSQL, the time zone, the calendar.

The PostgreSQL half of ``store_url`` really connects to 127.0.0.1:5432 (user ``postgres``,
trust auth) and creates a throw-away database for each test. If the server is down the test
fails with a message saying so; it is never skipped, so a green run always means both
dialects were exercised. Select or deselect it with ``-m postgres`` / ``-m "not postgres"``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine

from ioc.domain.calendar import WorkCalendar
from ioc.store.db import init_db, make_engine

PG_HOST = os.environ.get("IOC_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("IOC_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("IOC_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("IOC_TEST_PG_ADMIN_DB", "test")  # any existing database to connect to


# Modules that use the shared Redis at 127.0.0.1:6379 (its pub/sub channel is server-wide) or run
# the whole scaled deployment: under pytest-xdist they run one after another, on one worker.
SHARED_REDIS = {
    "tests/integration/test_notify.py",
    "tests/integration/test_cache.py",
    "tests/e2e/test_scaled.py",
    "tests/e2e/test_wall_live.py",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL server at 127.0.0.1:5432 (never skipped)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups for ``pytest -n N --dist loadgroup`` (scripts/dev.sh test): a module's tests stay on one
    worker (a browser module shares one app and its data), and the modules that share Redis or
    start the scaled deployment share one worker. Without xdist the marks change nothing."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        module = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("shared-redis" if module in SHARED_REDIS else module))


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_ADMIN_DB, autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} as user {PG_USER!r} "
            f"(database {PG_ADMIN_DB!r}): {exc}. Start it (.ci/run does) — these tests are never skipped.",
            pytrace=False,
        )


def _postgres_database() -> Iterator[str]:
    name = f"ioc_test_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file under tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An initialised (schema + seed) engine on ``store_url``, disposed afterwards."""
    eng = make_engine(store_url)
    init_db(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def tz() -> ZoneInfo:
    return ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.vietnam()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (for the scaled deployment tests)."""
    yield from _postgres_database()
