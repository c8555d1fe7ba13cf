"""A query cache keyed by the family's data version, so it never serves data older than the
last ingest: a new version makes new keys, and old ones expire.

In-process (embedded) it is a small LRU; with ``IOC_REDIS_URL`` it is Redis, shared by every
gunicorn worker, so N workers do one query where they would do N. A Redis failure is a miss,
never an error. Values are pickled: only this application writes them.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
PREFIX = "ioc:cache:"


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_s: float) -> None: ...


class LocalCache:
    def __init__(self, max_items: int = 256):
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            expires, value = hit
            if expires < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl_s, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


class RedisCache:
    def __init__(self, url: str, max_bytes: int = 8_000_000):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._max_bytes = max_bytes

    def get(self, key: str) -> bytes | None:
        import redis

        try:
            return self._redis.get(key)
        except redis.RedisError:
            return None

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        import redis

        if len(value) > self._max_bytes:
            return
        try:
            self._redis.set(key, value, px=max(1, int(ttl_s * 1000)))
        except redis.RedisError:
            pass


def make_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else LocalCache()


def cache_key(family: str, version: int, name: str, params: Any) -> str:
    digest = hashlib.sha1(repr(params).encode("utf-8")).hexdigest()[:20]
    return f"{PREFIX}{family}:{version}:{name}:{digest}"


def cached(cache: Cache, versions: dict[str, int], family: str, name: str, params: Any,
           compute: Callable[[], T], ttl_s: float = 30.0) -> T:
    """``compute()`` once per (family version, name, params) for at most ``ttl_s`` seconds.

    The TTL bounds what does not follow the version (KPIs such as ``overdue`` move with time).
    """
    key = cache_key(family, versions.get(family, 0), name, params)
    hit = cache.get(key)
    if hit is not None:
        return pickle.loads(hit)  # noqa: S301 - written by this application only
    value = compute()
    cache.set(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ttl_s)
    return value
