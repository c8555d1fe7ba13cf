"""SQLite store files are private to their owner (issue #12): a new store, its -wal and -shm
are created 0600 whatever the umask; an existing file keeps the permissions it was given."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ioc.store.db import init_db, make_engine


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems run with (022), which made the files 0644 before."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_wal_and_shm_are_owner_only(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "data" / "ioc.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        init_db(engine)
        with engine.connect() as conn:  # hold a reader open: the -wal and -shm files stay
            conn.exec_driver_sql("SELECT count(*) FROM units").scalar_one()
            with engine.begin() as writer:
                writer.execute(sa.text("INSERT INTO meta (key, value) VALUES ('probe', '1')"))
            files = {p.name: mode(p) for p in path.parent.iterdir()}
    finally:
        engine.dispose()
    assert files == {"ioc.sqlite": 0o600, "ioc.sqlite-wal": 0o600, "ioc.sqlite-shm": 0o600}
    assert mode(path.parent) == 0o700  # the folder made for it too


def test_an_existing_store_keeps_its_permissions(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "shared.sqlite"
    path.touch()
    path.chmod(0o640)  # chosen by the operator (a backup group may read it)
    engine = make_engine(f"sqlite:///{path}")
    try:
        init_db(engine)
    finally:
        engine.dispose()
    assert mode(path) == 0o640
