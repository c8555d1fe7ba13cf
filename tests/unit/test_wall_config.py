"""The wall's settings and URL parameters, and the freshness summary screens poll (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ioc.config import ConfigError, load_settings, parse_playlist
from ioc.live import build_id, family_freshness, source_entry
from ioc.registry import registry
from ioc.store.runs import SourceHealth
from layouts.wall import parse_rotation

NOW = datetime(2026, 11, 26, 12, 0, 0)
PAGES = tuple(registry().page_paths())


def test_playlist_names_pages_and_refuses_unknown_ones() -> None:
    assert parse_playlist(" wall, Traffic ,environment,", "X") == ("wall", "traffic", "environment")
    assert parse_playlist("", "X") == ()
    with pytest.raises(ConfigError, match=re.escape(f"IOC_WALL_PLAYLIST: unknown page 'weather' (known: {', '.join(PAGES)})")):
        load_settings({"IOC_WALL_PLAYLIST": "wall,weather"})
    settings = load_settings({"IOC_WALL_PLAYLIST": "wall,admin", "IOC_WALL_ROTATE_SECONDS": "45"})
    assert (settings.wall_playlist, settings.wall_rotate_s, settings.page_reload_minutes) == (("wall", "admin"), 45, 360)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("IOC_WALL_ROTATE_SECONDS", "4", "IOC_WALL_ROTATE_SECONDS=4 must be at least 5"),
    ("IOC_LIVE_POLL_MS", "100", "IOC_LIVE_POLL_MS=100 must be at least 250"),
    ("IOC_PAGE_RELOAD_MINUTES", "-1", "IOC_PAGE_RELOAD_MINUTES=-1 must be at least 0"),
    ("IOC_WALL_ROTATE_SECONDS", "half", "IOC_WALL_ROTATE_SECONDS='half' is not a whole number"),
])
def test_wall_timings_out_of_range_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value})


def test_rotation_parameters_from_the_url() -> None:
    assert parse_rotation({"rotate": "Wall,traffic", "every": "20"}, PAGES) == ("wall,traffic", 20, [])
    assert parse_rotation({}, PAGES) == (None, None, [])
    rotate, every, problems = parse_rotation({"rotate": "wall,nowhere", "every": "3"}, PAGES)
    assert (rotate, every) == (None, None)
    assert [(p.param, p.value, p.reason) for p in problems] == [
        ("rotate", "wall,nowhere", "reason_pages"), ("every", "3", "reason_every")]
    assert problems[1].message("en") == "Ignored every=3: expected whole seconds from 5 to 3600. Using: 30 seconds."
    assert parse_rotation({"every": "3601"}, PAGES)[2][0].param == "every"
    assert parse_rotation({"every": "x"}, PAGES)[2][0].param == "every"


def _health(name: str, family: str, every: int, success_ago: float | None, status: str = "ok",
            error: str | None = None, failures: int = 0) -> SourceHealth:
    success = None if success_ago is None else NOW - timedelta(seconds=success_ago)
    return SourceHealth(name, "simulator", family, every, NOW - timedelta(seconds=1), status, error, success,
                        failures, {})


def test_freshness_amber_at_twice_and_red_at_five_times_the_cadence() -> None:
    states = [source_entry(_health("s", "feedback", 10, ago), NOW)["state"] for ago in (0, 19.9, 20, 49.9, 50, None)]
    assert states == ["ok", "ok", "late", "late", "stale", "never"]


def test_a_family_takes_its_worst_source_and_says_why_one_fails() -> None:
    sources = [source_entry(h, NOW) for h in (
        _health("open311", "feedback", 60, 30),
        _health("csv-drop", "feedback", 10, 35, status="failed", error="ConnectError: refused", failures=2),
        _health("traffic-sim", "traffic", 10, 5),
    )]
    assert sources[1]["error"] == "ConnectError: refused" and sources[0]["error"] is None
    assert sources[1]["last_success"] == int((NOW - timedelta(seconds=35)).replace(tzinfo=UTC).timestamp() * 1000)
    families = family_freshness(sources)
    assert families["feedback"] == {"state": "late", "source": "csv-drop", "every_s": 10,
                                    "last_success": sources[1]["last_success"],
                                    "error": "csv-drop: ConnectError: refused", "sources": 2}
    assert families["traffic"]["state"] == "ok" and families["traffic"]["error"] is None


def test_build_id_is_stable_and_can_be_given(monkeypatch: pytest.MonkeyPatch) -> None:
    build_id.cache_clear()
    first = build_id()
    build_id.cache_clear()
    assert build_id() == first and len(first) == 12
    monkeypatch.setenv("IOC_BUILD_ID", "release-2026.11")
    build_id.cache_clear()
    try:
        assert build_id() == "release-2026.11"
    finally:
        monkeypatch.delenv("IOC_BUILD_ID")
        build_id.cache_clear()


def test_the_wall_grid_fits_any_number_of_families() -> None:
    from layouts.wall import grid_style

    shapes = {n: (grid_style(n)["--wall-cols"], grid_style(n)["--wall-rows"]) for n in (1, 2, 4, 5, 6, 7, 9, 10)}
    assert shapes == {1: (1, 1), 2: (2, 1), 4: (2, 2), 5: (3, 2), 6: (3, 2), 7: (3, 3), 9: (3, 3), 10: (4, 3)}
