"""The sources file (TOML, ``IOC_SOURCES``) and the environment settings (``ioc.config``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ioc.config import DEFAULT_TILE_URL, ROOT, ConfigError, load_settings
from ioc.registry import registry
from ioc.sources import ConfigurationError, load_sources, parse_sources

GOOD = """
[[sources]]
name = "hue-open311"
type = "open311"
url = "https://gopy.hue.gov.vn/open311/v2"
every_seconds = 60
start_date = 2024-01-01
jurisdiction_id = "hue.gov.vn"

[[sources]]
name = "one-stop-backfill"
type = "file"
path = "data/feedback_2023.csv"
every_seconds = 86400
start_date = "2023-01-01"

[[sources]]
name = "sim"
type = "simulator"
family = "feedback"
every_seconds = 5
seed = 7
reports_per_minute = 2.5
"""


def write(tmp_path: Path, text: str, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one(**fields: object) -> dict:
    table = {"name": "src", "type": "simulator", "every_seconds": 5}
    table.update(fields)
    return {"sources": [{k: v for k, v in table.items() if v is not None}]}


# --- sources file -------------------------------------------------------------------------------


def test_good_file_gives_one_spec_per_table_with_options(tmp_path: Path) -> None:
    specs = load_sources(write(tmp_path, GOOD))

    assert [(s.name, s.type, s.family, s.every_seconds) for s in specs] == [
        ("hue-open311", "open311", "feedback", 60),
        ("one-stop-backfill", "file", "feedback", 86400),
        ("sim", "simulator", "feedback", 5),
    ]
    open311, files, sim = specs
    assert open311.url == "https://gopy.hue.gov.vn/open311/v2"
    assert open311.path is None
    assert open311.start_date == date(2024, 1, 1)  # a TOML date
    assert open311.options == {"jurisdiction_id": "hue.gov.vn"}
    assert files.path == Path("data/feedback_2023.csv")
    assert files.url is None
    assert files.start_date == date(2023, 1, 1)  # a quoted ISO date is accepted too
    assert sim.start_date is None
    assert sim.options == {"seed": 7, "reports_per_minute": 2.5}
    assert sim.option("seed") == 7
    assert sim.option("missing", "fallback") == "fallback"


def test_no_file_means_the_default_simulator_alone() -> None:
    specs = load_sources(None)

    # one simulator per connected family (each family adds its own); feedback's comes first; then
    # the files of published values a family ships (the indicators' CSV), read as real data
    simulators = [s for s in specs if s.type == "simulator"]
    published = [s for s in specs if s.type != "simulator"]
    assert specs == simulators + published
    assert len({s.family for s in simulators}) == len(simulators) == len(registry().families)
    assert [(s.name, s.type, s.every_seconds) for s in published] == [
        (f"{f.code}-published", "file", 86400) for f in registry().families if f.published is not None]
    assert all(s.path is not None and s.path.is_file() for s in published)
    assert "indicators-published" in {s.name for s in published}
    assert (specs[0].name, specs[0].type, specs[0].family, specs[0].every_seconds) == (
        "feedback-simulator", "simulator", "feedback", 5)
    assert specs[0].url is None and specs[0].path is None and specs[0].options == {}


@pytest.mark.parametrize(
    ("data", "names"),
    [
        pytest.param(one(name=None), ["[[sources]] #1", "'name'"], id="missing-name"),
        pytest.param(one(name="has space"), ["[[sources]] #1", "'name'"], id="bad-name"),
        pytest.param({"sources": [one(name="dup")["sources"][0], one(name="dup")["sources"][0]]},
                     ["source 'dup'", "duplicate name"], id="duplicate-name"),
        pytest.param(one(type="ftp"), ["source 'src'", "unknown type 'ftp'", "open311", "simulator", "file"],
                     id="unknown-type"),
        pytest.param(one(type=None), ["source 'src'", "unknown type None"], id="missing-type"),
        pytest.param(one(type="open311", family="traffic"), ["source 'src'", "family", "'traffic'"], id="wrong-family"),
        pytest.param(one(every_seconds=0), ["source 'src'", "'every_seconds'"], id="every-0"),
        pytest.param(one(every_seconds="5"), ["source 'src'", "'every_seconds'"], id="every-string"),
        pytest.param(one(every_seconds=2.5), ["source 'src'", "'every_seconds'"], id="every-float"),
        pytest.param(one(every_seconds=True), ["source 'src'", "'every_seconds'"], id="every-bool"),
        pytest.param(one(every_seconds=None), ["source 'src'", "'every_seconds'"], id="every-missing"),
        pytest.param(one(start_date="2024-13-01"), ["source 'src'", "'start_date'", "2024-13-01"],
                     id="bad-start-date"),
        pytest.param(one(type="open311"), ["source 'src'", "'url'"], id="open311-no-url"),
        pytest.param(one(type="open311", url="ftp://example.org/open311"), ["source 'src'", "'url'"],
                     id="open311-ftp-url"),
        pytest.param(one(type="file"), ["source 'src'", "'path'"], id="file-no-path"),
        pytest.param(one(type="file", path=""), ["source 'src'", "'path'"], id="file-empty-path"),
        pytest.param({"sources": []}, ["[[sources]]"], id="no-tables"),
        pytest.param({}, ["[[sources]]"], id="no-sources-key"),
        pytest.param({"sources": ["sim"]}, ["[[sources]] #1", "not a table"], id="not-a-table"),
    ],
)
def test_each_error_names_the_source_and_the_field(data: dict, names: list[str]) -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_sources(data, "hue.toml")

    message = str(err.value)
    assert message.startswith("hue.toml")
    for part in names:
        assert part in message


def test_the_second_table_is_named_when_it_is_the_bad_one() -> None:
    data = {"sources": [one(name="good")["sources"][0], one(name="bad", every_seconds=0)["sources"][0]]}

    with pytest.raises(ConfigurationError, match=r"source 'bad'.*'every_seconds'"):
        parse_sources(data)


def test_missing_name_in_second_table_gives_its_position() -> None:
    data = {"sources": [one(name="good")["sources"][0], {"type": "simulator", "every_seconds": 5}]}

    with pytest.raises(ConfigurationError, match=r"\[\[sources\]\] #2: 'name'"):
        parse_sources(data)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "unterminated\n', "broken.toml")

    with pytest.raises(ConfigurationError) as err:
        load_sources(path)

    assert str(path) in str(err.value)
    assert "not valid TOML" in str(err.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigurationError) as err:
        load_sources(path)

    assert str(path) in str(err.value)
    assert "cannot read" in str(err.value)


def test_errors_from_a_file_name_the_file_and_the_source(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('url = "https://gopy.hue.gov.vn/open311/v2"', 'url = "gopy.hue.gov.vn"'))

    with pytest.raises(ConfigurationError) as err:
        load_sources(path)

    assert str(err.value).startswith(f"{path}, source 'hue-open311'")
    assert "'url'" in str(err.value)


# --- environment settings -----------------------------------------------------------------------


def test_defaults_without_any_variable() -> None:
    s = load_settings({})

    assert s.database_url == f"sqlite:///{ROOT / 'var' / 'ioc.sqlite'}"
    assert s.is_sqlite
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert str(s.tz) == "Asia/Ho_Chi_Minh"
    assert s.lang == "vi"
    assert s.redis_url is None
    assert s.sources_path is None
    assert s.tile_url == DEFAULT_TILE_URL
    assert (s.target_on_time, s.target_satisfaction, s.target_processed) == (0.95, 0.90, 0.98)
    assert s.open311_page_cap == 1000
    assert s.backfill_days == 365
    assert s.embedded_scheduler is True


def test_empty_values_mean_defaults() -> None:
    s = load_settings({"IOC_DATABASE_URL": "", "IOC_TIMEZONE": "", "IOC_LANG": "", "IOC_BACKFILL_DAYS": ""})

    assert s.database_url.startswith("sqlite:///")
    assert (s.timezone, s.lang, s.backfill_days) == ("Asia/Ho_Chi_Minh", "vi", 365)


def test_values_are_read(tmp_path: Path) -> None:
    sources = write(tmp_path, GOOD)
    s = load_settings({
        "IOC_DATABASE_URL": "postgresql+psycopg://u@db/ioc", "IOC_REDIS_URL": "redis://cache:6379/0",
        "IOC_SOURCES": str(sources), "IOC_TILE_URL": "http://tiles.local/{z}/{x}/{y}.png",
        "IOC_TIMEZONE": "UTC", "IOC_LANG": "EN", "IOC_BACKFILL_DAYS": "30", "IOC_TARGET_ON_TIME": "0.9",
        "IOC_EMBEDDED_SCHEDULER": "off",
    })

    assert s.database_url == "postgresql+psycopg://u@db/ioc"
    assert not s.is_sqlite
    assert s.redis_url == "redis://cache:6379/0"
    assert s.sources_path == sources
    assert s.tile_url == "http://tiles.local/{z}/{x}/{y}.png"
    assert (s.timezone, s.lang) == ("UTC", "en")
    assert (s.backfill_days, s.target_on_time, s.embedded_scheduler) == (30, 0.9, False)


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    s = load_settings({"IOC_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/ioc"})

    assert s.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/ioc"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"IOC_TIMEZONE": "Asia/Hue"}, "IOC_TIMEZONE"),
        ({"IOC_TIMEZONE": "../../etc/passwd"}, "IOC_TIMEZONE"),
        ({"IOC_LANG": "fr"}, "IOC_LANG"),
        ({"IOC_SOURCES": "/nonexistent/sources.toml"}, "IOC_SOURCES"),
        ({"IOC_DATABASE_URL": "mysql://root@localhost/ioc"}, "IOC_DATABASE_URL"),
        ({"IOC_BACKFILL_DAYS": "a year"}, "IOC_BACKFILL_DAYS"),
        ({"IOC_BACKFILL_DAYS": "36.5"}, "IOC_BACKFILL_DAYS"),
        ({"IOC_OPEN311_PAGE_CAP": "1k"}, "IOC_OPEN311_PAGE_CAP"),
        ({"IOC_TARGET_ON_TIME": "95%"}, "IOC_TARGET_ON_TIME"),
        ({"IOC_HTTP_TIMEOUT": "ten"}, "IOC_HTTP_TIMEOUT"),
        ({"IOC_EMBEDDED_SCHEDULER": "maybe"}, "IOC_EMBEDDED_SCHEDULER"),
    ],
)
def test_bad_values_raise_config_error_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)

    assert variable in str(err.value)
    assert repr(env[variable]) in str(err.value)  # and the value it could not use


def test_a_directory_is_not_a_sources_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IOC_SOURCES"):
        load_settings({"IOC_SOURCES": str(tmp_path)})


def test_the_run_lease_must_outlast_three_heartbeats() -> None:
    cfg = load_settings({})
    assert (cfg.run_heartbeat_s, cfg.run_lease_s) == (15.0, 120.0)
    cfg = load_settings({"IOC_RUN_HEARTBEAT_SECONDS": "0.1", "IOC_RUN_LEASE_SECONDS": "0.3"})
    assert (cfg.run_heartbeat_s, cfg.run_lease_s) == (0.1, 0.3)
    with pytest.raises(ConfigError) as err:
        load_settings({"IOC_RUN_HEARTBEAT_SECONDS": "30", "IOC_RUN_LEASE_SECONDS": "60"})
    assert str(err.value) == "IOC_RUN_LEASE_SECONDS=60 must be at least 3 × IOC_RUN_HEARTBEAT_SECONDS (90)"
    with pytest.raises(ConfigError, match="IOC_RUN_HEARTBEAT_SECONDS"):
        load_settings({"IOC_RUN_HEARTBEAT_SECONDS": "0"})
