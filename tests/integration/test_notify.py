"""Live notices: the in-process notifier, and the Redis one against the real Redis at
127.0.0.1:6379 (only the notifier's own key is cleared), with its database fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from ioc.notify import CHANNEL, VERSIONS_KEY, LocalNotifier, RedisNotifier, db_versions, make_notifier
from ioc.store.db import bump_version, init_db, make_engine

LIVE_REDIS = "redis://127.0.0.1:6379/0"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


def bump(engine: Engine, family: str, times: int = 1) -> int:
    """What an ingest in another process does: bump the family's version in the database."""
    version = 0
    for _ in range(times):
        with engine.begin() as conn:
            version = bump_version(conn, family)
    return version


@pytest.fixture
def other_process(store_url: str, engine: Engine) -> Iterator[Engine]:
    """A second engine on the same database, standing for another process."""
    other = make_engine(store_url)
    init_db(other)
    yield other
    other.dispose()


@pytest.fixture
def live_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(LIVE_REDIS, socket_timeout=2)
    client.delete(VERSIONS_KEY)
    yield client
    client.delete(VERSIONS_KEY)
    client.close()


# --- in-process ---------------------------------------------------------------------------------


def test_local_publish_is_seen_and_versions_never_go_back(engine: Engine) -> None:
    notifier = LocalNotifier(engine, refresh_s=0)

    assert notifier.versions() == {}
    notifier.publish("feedback", 3)
    assert notifier.versions() == {"feedback": 3}
    notifier.publish("feedback", 2)  # a late, older notice
    assert notifier.versions() == {"feedback": 3}
    notifier.publish("traffic", 1)
    assert notifier.versions() == {"feedback": 3, "traffic": 1}
    assert notifier.degraded is None


def test_local_notifier_picks_up_a_version_bumped_by_another_process(engine: Engine,
                                                                     other_process: Engine) -> None:
    notifier = LocalNotifier(engine, refresh_s=0)
    notifier.publish("feedback", 1)

    bump(other_process, "feedback", times=4)  # e.g. `python -m ioc import feedback …`

    assert notifier.versions() == {"feedback": 4}


def test_make_notifier_is_local_without_redis_url(engine: Engine) -> None:
    assert isinstance(make_notifier(None, engine), LocalNotifier)
    assert isinstance(make_notifier(LIVE_REDIS, engine), RedisNotifier)


# --- Redis ---------------------------------------------------------------------------------------


def test_two_workers_see_each_others_notices(engine: Engine, other_process: Engine,
                                             live_redis: redis.Redis) -> None:
    worker_a = RedisNotifier(LIVE_REDIS, engine)
    worker_b = RedisNotifier(LIVE_REDIS, other_process)
    pubsub = live_redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    pubsub.get_message(timeout=1)  # the subscription confirmation

    worker_a.publish("feedback", 5)
    assert worker_b.versions() == {"feedback": 5}
    worker_b.publish("traffic", 2)
    assert worker_a.versions() == {"feedback": 5, "traffic": 2}

    message = pubsub.get_message(timeout=2)
    assert message is not None and message["data"] == b"feedback:5"
    assert live_redis.hgetall(VERSIONS_KEY) == {b"feedback": b"5", b"traffic": b"2"}
    assert worker_a.degraded is None and worker_b.degraded is None
    pubsub.close()


def test_an_empty_redis_is_filled_from_the_database(engine: Engine, live_redis: redis.Redis) -> None:
    bump(engine, "feedback", times=3)  # Redis restarted and kept nothing; the store knows

    notifier = RedisNotifier(LIVE_REDIS, engine)

    assert notifier.versions() == {"feedback": 3}
    assert live_redis.hgetall(VERSIONS_KEY) == {b"feedback": b"3"}


def test_dead_redis_falls_back_to_the_database_and_says_so(engine: Engine) -> None:
    bump(engine, "feedback", times=2)
    notifier = RedisNotifier(DEAD_REDIS, engine, retry_s=0)

    assert notifier.versions() == {"feedback": 2}
    assert notifier.degraded is not None and notifier.degraded.startswith("Redis")
    notifier.publish("feedback", 3)  # lost, but never raised into the ingest
    bump(engine, "feedback")
    assert notifier.versions() == {"feedback": 3}
    assert notifier.degraded is not None


def test_within_the_retry_delay_a_dead_redis_is_not_asked_again(engine: Engine) -> None:
    notifier = RedisNotifier(DEAD_REDIS, engine, retry_s=3600)
    notifier.versions()
    # Point the client at a live server: within retry_s the notifier must not try it.
    notifier._redis = redis.Redis.from_url(LIVE_REDIS)
    bump(engine, "feedback")

    assert notifier.versions() == {"feedback": 1}
    assert notifier.degraded is not None


def test_when_redis_returns_versions_are_resynchronised_and_degraded_clears(
        engine: Engine, other_process: Engine, live_redis: redis.Redis) -> None:
    healthy = RedisNotifier(LIVE_REDIS, other_process)
    bump(other_process, "feedback", times=2)
    healthy.publish("feedback", 2)
    flaky = RedisNotifier(DEAD_REDIS, engine, retry_s=0)
    assert flaky.versions() == {"feedback": 2}
    assert flaky.degraded is not None

    # While Redis is away from this worker, ingests carry on: the store's versions move on but
    # their notices never reach Redis, which still says 2.
    bump(engine, "feedback", times=3)
    flaky.publish("feedback", 5)
    assert live_redis.hget(VERSIONS_KEY, "feedback") == b"2"

    flaky._redis = redis.Redis.from_url(LIVE_REDIS, socket_timeout=0.5)  # Redis is back

    assert flaky.versions() == {"feedback": 5}
    assert flaky.degraded is None
    assert live_redis.hget(VERSIONS_KEY, "feedback") == b"5"
    assert healthy.versions() == {"feedback": 5} == db_versions(engine)
