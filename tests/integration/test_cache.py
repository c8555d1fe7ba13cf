"""The query cache: keyed by data version, shared through the real Redis, harmless when down."""

from __future__ import annotations

import threading
import time

import redis

from ioc.cache import LEASE_SUFFIX, PREFIX, LocalCache, RedisCache, cache_key, cached

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


def _slow_counting(delay_s: float = 0.3, fail_first: bool = False):
    calls: list[int] = []
    lock = threading.Lock()

    def compute() -> dict:
        with lock:
            calls.append(1)
            n = len(calls)
        time.sleep(delay_s)
        if fail_first and n == 1:
            raise RuntimeError("the database went away")
        return {"received": 42 + n}

    return calls, compute


def _ask_together(caches: list, compute, key: str = "x", **kwargs) -> list:  # noqa: ANN001
    """Every cache asks for the same key at the same instant, from its own thread."""
    barrier = threading.Barrier(len(caches))
    results: list = [None] * len(caches)

    def ask(i: int) -> None:
        barrier.wait()
        try:
            results[i] = cached(caches[i], {"wall": 5}, "wall", "panel", key, compute, **kwargs)
        except RuntimeError as err:
            results[i] = err

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(caches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return results


def test_screens_asking_at_once_in_one_process_compute_once() -> None:
    cache = LocalCache()
    calls, compute = _slow_counting()
    results = _ask_together([cache] * 8, compute)
    assert results == [{"received": 43}] * 8
    assert len(calls) == 1
    assert not cache.leased(cache_key("wall", 5, "panel", "x"))


def test_workers_asking_at_once_through_redis_compute_once() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    workers = [RedisCache(REDIS_URL) for _ in range(3)]  # three gunicorn workers
    calls, compute = _slow_counting()
    results = _ask_together([w for w in workers for _ in range(4)], compute)  # 4 threads each
    assert results == [{"received": 43}] * 12
    assert len(calls) == 1
    key = cache_key("wall", 5, "panel", "x")
    assert client.exists(key) and not client.exists(key + LEASE_SUFFIX)  # the lease is given back
    client.flushdb()


def test_a_failed_computation_lets_the_waiting_askers_compute_themselves() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    calls, compute = _slow_counting(fail_first=True)
    results = _ask_together([RedisCache(REDIS_URL) for _ in range(3)], compute)
    errors = [r for r in results if isinstance(r, RuntimeError)]
    assert len(errors) == 1 and "went away" in str(errors[0])  # only the holder sees its error
    answers = [r for r in results if isinstance(r, dict)]
    assert len(answers) == 2 and all(r["received"] > 43 for r in answers)
    assert 2 <= len(calls) <= 3
    assert not client.exists(cache_key("wall", 5, "panel", "x") + LEASE_SUFFIX)
    client.flushdb()


def test_a_lease_left_by_a_dead_worker_delays_an_asker_by_the_wait_only() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    key = cache_key("wall", 5, "panel", "x")
    client.set(key + LEASE_SUFFIX, "dead-worker", px=60_000)  # taken, never answered
    calls, compute = _counting()
    started = time.monotonic()
    assert cached(RedisCache(REDIS_URL), {"wall": 5}, "wall", "panel", "x", compute, wait_s=0.3) == {"received": 43}
    assert len(calls) == 1 and 0.3 <= time.monotonic() - started < 3
    assert client.get(key + LEASE_SUFFIX) == b"dead-worker"  # not ours to delete
    client.flushdb()


def test_a_lease_is_given_back_only_by_its_holder() -> None:
    cache = LocalCache()
    token = cache.lease("k", ttl_s=60)
    assert token and cache.lease("k", ttl_s=60) is None and cache.leased("k")
    cache.release("k", "someone-else")
    assert cache.leased("k")
    cache.release("k", token)
    assert not cache.leased("k") and cache.lease("k", ttl_s=0.05)
    time.sleep(0.1)
    assert not cache.leased("k")  # an expired lease frees itself
