"""Live notices: "family X changed, its version is now N".

The store's ``data_versions`` table is the truth (every ingest bumps it in the same
transaction). A notifier makes that cheap to read and push:

- :class:`LocalNotifier` (embedded default): in-process, for one process;
- :class:`RedisNotifier` (scaled): a Redis hash every gunicorn worker reads, plus a pub/sub
  channel; when Redis is down it falls back to the database and says so (``degraded``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from sqlalchemy import Engine, select

from ioc.store import schema

log = logging.getLogger(__name__)
CHANNEL = "ioc:notices"
VERSIONS_KEY = "ioc:versions"


class Notifier(Protocol):
    def publish(self, family: str, version: int) -> None: ...
    def versions(self) -> dict[str, int]: ...
    @property
    def degraded(self) -> str | None: ...


def db_versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(schema.data_versions.c.family, schema.data_versions.c.version)).all()
    return {family: int(version) for family, version in rows}


class LocalNotifier:
    """In-process versions; seeded from (and, across processes, refreshed from) the database."""

    def __init__(self, engine: Engine, refresh_s: float = 2.0):
        self._engine = engine
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._refreshed = 0.0
        self._refresh_s = refresh_s

    def publish(self, family: str, version: int) -> None:
        with self._lock:
            self._versions[family] = max(version, self._versions.get(family, 0))

    def versions(self) -> dict[str, int]:
        # A CLI import or a second process also bumps the database: look there now and then.
        if time.monotonic() - self._refreshed > self._refresh_s:
            fresh = db_versions(self._engine)
            with self._lock:
                for family, version in fresh.items():
                    self._versions[family] = max(version, self._versions.get(family, 0))
                self._refreshed = time.monotonic()
        with self._lock:
            return dict(self._versions)

    @property
    def degraded(self) -> str | None:
        return None


class RedisNotifier:
    """Versions in a Redis hash shared by every worker; database fallback while Redis is down."""

    def __init__(self, url: str, engine: Engine, retry_s: float = 5.0):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._engine = engine
        self._retry_s = retry_s
        self._down_since: float | None = None
        self._error: str | None = None
        self._last_try = 0.0

    def _call(self, fn):  # noqa: ANN001, ANN202
        import redis

        if self._down_since is not None and time.monotonic() - self._last_try < self._retry_s:
            return None
        self._last_try = time.monotonic()
        try:
            if self._down_since is not None:
                # Notices published while Redis was away were lost: the database has them.
                # Resynchronise before answering, so this very call already sees them.
                fresh = db_versions(self._engine)
                if fresh:
                    self._redis.hset(VERSIONS_KEY, mapping=fresh)
                log.info("Redis is back; versions resynchronised from the database")
                self._down_since, self._error = None, None
            return fn()
        except redis.RedisError as exc:
            if self._down_since is None:
                log.warning("Redis unavailable, falling back to the database: %s", exc)
                self._down_since = time.monotonic()
            self._error = f"Redis: {type(exc).__name__}"
            return None

    def publish(self, family: str, version: int) -> None:
        def go() -> None:
            pipe = self._redis.pipeline()
            pipe.hset(VERSIONS_KEY, family, version)
            pipe.publish(CHANNEL, f"{family}:{version}")
            pipe.execute()

        self._call(go)

    def versions(self) -> dict[str, int]:
        raw = self._call(lambda: self._redis.hgetall(VERSIONS_KEY))
        if raw is None:
            return db_versions(self._engine)
        out = {k.decode(): int(v) for k, v in raw.items()}
        if not out:  # a fresh Redis (restarted, keeps nothing): take the truth from the store
            out = db_versions(self._engine)
            if out:
                self._call(lambda: self._redis.hset(VERSIONS_KEY, mapping=out))
        return out

    @property
    def degraded(self) -> str | None:
        return self._error


def make_notifier(redis_url: str | None, engine: Engine) -> Notifier:
    return RedisNotifier(redis_url, engine) if redis_url else LocalNotifier(engine)
