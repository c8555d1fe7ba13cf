"""A query cache keyed by the family's data version, so it never serves data older than the
last ingest: a new version makes new keys, and old ones expire.

In-process (embedded) it is a small LRU; with ``IOC_REDIS_URL`` it is Redis, shared by every
gunicorn worker, so N workers do one query where they would do N. A Redis failure is a miss,
never an error. Values are pickled: only this application writes them.

Single flight: when a new version lands, every open screen asks for the same keys within a
second. The first asker takes a short compute lease on the key (a ``SET NX`` in Redis, a set of
keys in process) and computes; the others wait for its value instead of computing the same thing
(with 200 screens: 131 computations for 30 versions without it). A lease that is not answered
in time (its holder died or is slow) or that cannot be taken (Redis down) never blocks a page:
the asker computes itself.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
PREFIX = "ioc:cache:"
LEASE_SUFFIX = ":computing"
# How long an asker waits for another's computation before computing itself (a page's slowest
# query is well under this; a holder that dies frees its lease after LEASE_S anyway).
WAIT_S = 5.0
LEASE_S = 10.0


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_s: float) -> None: ...
    def lease(self, key: str, ttl_s: float) -> str | None:
        """Take the right to compute ``key``: a token, or None if someone else holds it."""
    def leased(self, key: str) -> bool:
        """Whether someone holds the right to compute ``key``."""
    def release(self, key: str, token: str) -> None: ...


class LocalCache:
    def __init__(self, max_items: int = 256):
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()
        self._leases: dict[str, tuple[str, float]] = {}  # key → (token, expires)

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

    def lease(self, key: str, ttl_s: float) -> str | None:
        now = time.monotonic()
        with self._lock:
            held = self._leases.get(key)
            if held is not None and held[1] > now:
                return None
            token = uuid.uuid4().hex
            self._leases[key] = (token, now + ttl_s)
            return token

    def leased(self, key: str) -> bool:
        with self._lock:
            held = self._leases.get(key)
            return held is not None and held[1] > time.monotonic()

    def release(self, key: str, token: str) -> None:
        with self._lock:
            if self._leases.get(key, ("",))[0] == token:
                del self._leases[key]


class RedisCache:
    def __init__(self, url: str, max_bytes: int = 8_000_000):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._max_bytes = max_bytes
        # a lease is deleted only by its holder (it may have expired and been taken by another);
        # registering does not reach Redis: the script is loaded on its first call
        self._release = self._redis.register_script(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0")

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

    def lease(self, key: str, ttl_s: float) -> str | None:
        """A ``SET NX PX`` on the key's lease; Redis down: a token all the same (compute, do not wait)."""
        import redis

        token = f"{os.getpid()}:{uuid.uuid4().hex}"
        try:
            taken = self._redis.set(key + LEASE_SUFFIX, token, nx=True, px=max(1, int(ttl_s * 1000)))
        except redis.RedisError:
            return token
        return token if taken else None

    def leased(self, key: str) -> bool:
        import redis

        try:
            return bool(self._redis.exists(key + LEASE_SUFFIX))
        except redis.RedisError:
            return False

    def release(self, key: str, token: str) -> None:
        import redis

        try:
            self._release(keys=[key + LEASE_SUFFIX], args=[token])
        except redis.RedisError:
            pass


def make_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else LocalCache()


def cache_key(family: str, version: int, name: str, params: Any) -> str:
    digest = hashlib.sha1(repr(params).encode("utf-8")).hexdigest()[:20]
    return f"{PREFIX}{family}:{version}:{name}:{digest}"


def cached(cache: Cache, versions: dict[str, int], family: str, name: str, params: Any,
           compute: Callable[[], T], ttl_s: float = 30.0, wait_s: float = WAIT_S) -> T:
    """``compute()`` once per (family version, name, params) for at most ``ttl_s`` seconds, by
    one asker at a time: the others wait up to ``wait_s`` for its value (see the module's doc).

    The TTL bounds what does not follow the version (KPIs such as ``overdue`` move with time).
    """
    key = cache_key(family, versions.get(family, 0), name, params)
    hit = cache.get(key)
    if hit is not None:
        return pickle.loads(hit)  # noqa: S301 - written by this application only
    token = cache.lease(key, LEASE_S)
    if token is None:
        hit = _wait_for(cache, key, wait_s)
        if hit is not None:
            return pickle.loads(hit)  # noqa: S301
        token = cache.lease(key, LEASE_S)  # the holder failed or is slow: compute ourselves
    try:
        value = compute()
        cache.set(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ttl_s)
    finally:
        if token is not None:
            cache.release(key, token)
    return value


def _wait_for(cache: Cache, key: str, wait_s: float) -> bytes | None:
    """The value another asker is computing, polled until it lands, its lease goes or ``wait_s``."""
    deadline = time.monotonic() + wait_s
    pause = 0.005
    while time.monotonic() < deadline:
        time.sleep(pause)
        hit = cache.get(key)
        if hit is not None:
            return hit
        if not cache.leased(key):  # released without a value (the computation failed): our turn
            return cache.get(key)
        pause = min(pause * 2, 0.05)
    return None
