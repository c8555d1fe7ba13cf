"""The query cache: keyed by data version, shared through the real Redis, harmless when down."""

from __future__ import annotations

import time

import redis

from ioc.cache import PREFIX, LocalCache, RedisCache, cache_key, cached

REDIS_URL = "redis://127.0.0.1:6379/6"


def _counting():
    calls: list[int] = []

    def compute() -> dict:
        calls.append(1)
        return {"received": 42 + len(calls)}

    return calls, compute


def test_same_version_is_computed_once_and_a_new_version_recomputes() -> None:
    cache = LocalCache()
    calls, compute = _counting()
    first = cached(cache, {"feedback": 3}, "feedback", "kpis", ("2026-01-01", "474"), compute)
    again = cached(cache, {"feedback": 3}, "feedback", "kpis", ("2026-01-01", "474"), compute)
    assert first == again == {"received": 43}
    assert len(calls) == 1
    other_params = cached(cache, {"feedback": 3}, "feedback", "kpis", ("2026-01-01", "479"), compute)
    assert other_params == {"received": 44}
    after_ingest = cached(cache, {"feedback": 4}, "feedback", "kpis", ("2026-01-01", "474"), compute)
    assert after_ingest == {"received": 45}
    assert len(calls) == 3


def test_local_cache_expires_and_evicts_least_recently_used() -> None:
    cache = LocalCache(max_items=2)
    cache.set("a", b"1", ttl_s=60)
    cache.set("b", b"2", ttl_s=60)
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.set("c", b"3", ttl_s=60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")
    cache.set("d", b"4", ttl_s=0.05)
    time.sleep(0.1)
    assert cache.get("d") is None


def test_two_workers_share_the_redis_cache() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    worker_a, worker_b = RedisCache(REDIS_URL), RedisCache(REDIS_URL)
    calls, compute = _counting()
    assert cached(worker_a, {"feedback": 9}, "feedback", "map", "x", compute) == {"received": 43}
    assert cached(worker_b, {"feedback": 9}, "feedback", "map", "x", compute) == {"received": 43}
    assert len(calls) == 1
    key = cache_key("feedback", 9, "map", "x")
    assert key.startswith(PREFIX) and 0 < client.pttl(key) <= 30_000
    client.flushdb()


def test_redis_down_is_a_miss_not_an_error() -> None:
    dead = RedisCache("redis://127.0.0.1:1/0")
    calls, compute = _counting()
    assert cached(dead, {"feedback": 1}, "feedback", "kpis", "p", compute) == {"received": 43}
    assert cached(dead, {"feedback": 1}, "feedback", "kpis", "p", compute) == {"received": 44}
    assert len(calls) == 2
