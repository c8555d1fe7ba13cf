"""The simulators' speed-up travels from the scheduler that runs them to every web process: the
scheduler records it in the store, and the SIMULATED badge of any worker reads it there."""

from __future__ import annotations

from ioc.config import load_settings
from ioc.context import build_context
from ioc.live import simulator_speed
from ioc.scheduler import build_scheduler


def test_the_scheduler_records_its_speed_for_every_web_process(store_url: str) -> None:
    web = build_context(load_settings({"IOC_DATABASE_URL": store_url}))  # a worker: its own setting is 1
    assert simulator_speed(web.engine, web.settings.simulator_speed) == 1.0  # nothing recorded yet

    fast = build_context(load_settings({"IOC_DATABASE_URL": store_url, "IOC_SIMULATOR_SPEED": "60"}))
    build_scheduler(fast)  # built, not started: recording happens as it is built
    assert simulator_speed(web.engine, web.settings.simulator_speed) == 60.0

    plain = build_context(load_settings({"IOC_DATABASE_URL": store_url}))
    build_scheduler(plain)  # restarted at the city's pace: the label goes
    assert simulator_speed(web.engine, 7.0) == 1.0
    for ctx in (web, fast, plain):
        ctx.engine.dispose()
