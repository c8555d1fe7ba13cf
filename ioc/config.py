"""All configuration, read once from environment variables with documented defaults.

Every setting is listed in the README table; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = ROOT / "var" / "ioc.sqlite"
DEFAULT_TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def parse_playlist(raw: str, where: str) -> tuple[str, ...]:
    """``"wall, traffic,environment"`` → ("wall", "traffic", "environment"); names not of a
    registered page (:meth:`ioc.registry.Registry.page_paths`) raise."""
    names = tuple(n.strip().lower() for n in raw.split(",") if n.strip())
    if names:
        from ioc.registry import registry

        known = registry().page_paths()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"{where}: unknown page {', '.join(map(repr, unknown))} (known: {', '.join(known)})")
    return names


def _playlist(env: dict[str, str]) -> tuple[str, ...]:
    return parse_playlist(env.get("IOC_WALL_PLAYLIST") or "", "IOC_WALL_PLAYLIST")


def _at_least(env: dict[str, str], name: str, default: float, low: float, whole: bool = True) -> float:
    value = _int(env, name, int(default)) if whole else _float(env, name, default)
    if value < low:
        raise ConfigError(f"{name}={value!r} must be at least {low:g}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    sources_path: Path | None
    tile_url: str
    tile_attribution: str
    timezone: str
    lang: str
    target_on_time: float = 0.95
    target_satisfaction: float = 0.90
    target_processed: float = 0.98
    open311_page_cap: int = 1000
    http_timeout_s: float = 10.0
    # what one collector run may spend, whatever the upstream sends (ioc.sources.RunBudget)
    run_deadline_s: float = 55.0
    run_max_requests: int = 500
    http_max_body_bytes: int = 50 * 1024 * 1024
    http_request_deadline_s: float = 30.0
    live_poll_ms: int = 3000
    map_max_points: int = 5000
    backfill_days: int = 365
    embedded_scheduler: bool = True
    simulator_seed: int = 2023
    host: str = "127.0.0.1"
    port: int = 8050
    # the largest request body the web server reads (bytes); larger bodies get 413 (ioc/web_security.py)
    max_request_bytes: int = 1024 * 1024
    show_plates: bool = False  # traffic: plates are personal data, masked (75A-123.**) unless allowed
    # the operations wall (/wall, ?kiosk=1): playlist of pages to rotate through ("" = the fixed
    # multi-panel wall), seconds per page, and the scheduled full reload of a kiosk page
    wall_playlist: tuple[str, ...] = ()
    wall_rotate_s: int = 30
    page_reload_minutes: int = 360
    # alerts (ioc/alerts.py; rules and their meaning in ioc/domain/alert_rules.py): evaluation
    # interval in seconds (0: no alerts job) and the rule thresholds
    alerts_every_s: int = 60
    alert_failures_high: int = 3
    alert_overdue_min_count: int = 10
    alert_overdue_factor: float = 3.0
    alert_violation_factor: float = 1.5
    alert_violation_min_delta: int = 20
    alert_violation_high_factor: float = 2.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    db_url = env.get("IOC_DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
    if not (db_url.startswith("sqlite") or db_url.startswith("postgresql")):
        raise ConfigError(f"IOC_DATABASE_URL={db_url!r}: only sqlite:/// and postgresql:// are supported")
    tz_name = env.get("IOC_TIMEZONE") or "Asia/Ho_Chi_Minh"
    try:
        ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - zoneinfo raises several kinds
        raise ConfigError(f"IOC_TIMEZONE={tz_name!r} is not a known time zone") from None
    lang = (env.get("IOC_LANG") or "vi").lower()
    if lang not in {"vi", "en"}:
        raise ConfigError(f"IOC_LANG={lang!r}: use 'vi' or 'en'")
    sources = env.get("IOC_SOURCES")
    sources_path = Path(sources) if sources else None
    if sources_path is not None and not sources_path.is_file():
        raise ConfigError(f"IOC_SOURCES={sources!r}: no such file")
    return Settings(
        database_url=db_url,
        redis_url=env.get("IOC_REDIS_URL") or None,
        sources_path=sources_path,
        tile_url=env.get("IOC_TILE_URL") or DEFAULT_TILE_URL,
        tile_attribution=env.get("IOC_TILE_ATTRIBUTION") or "© OpenStreetMap contributors",
        timezone=tz_name,
        lang=lang,
        target_on_time=_float(env, "IOC_TARGET_ON_TIME", 0.95),
        target_satisfaction=_float(env, "IOC_TARGET_SATISFACTION", 0.90),
        target_processed=_float(env, "IOC_TARGET_PROCESSED", 0.98),
        open311_page_cap=_int(env, "IOC_OPEN311_PAGE_CAP", 1000),
        http_timeout_s=_float(env, "IOC_HTTP_TIMEOUT", 10.0),
        run_deadline_s=_at_least(env, "IOC_RUN_DEADLINE_SECONDS", 55.0, 1, whole=False),
        run_max_requests=int(_at_least(env, "IOC_RUN_MAX_REQUESTS", 500, 1)),
        http_max_body_bytes=int(_at_least(env, "IOC_HTTP_MAX_BODY_BYTES", 50 * 1024 * 1024, 1024)),
        http_request_deadline_s=_at_least(env, "IOC_HTTP_REQUEST_DEADLINE_SECONDS", 30.0, 1, whole=False),
        live_poll_ms=int(_at_least(env, "IOC_LIVE_POLL_MS", 3000, 250)),
        map_max_points=_int(env, "IOC_MAP_MAX_POINTS", 5000),
        backfill_days=_int(env, "IOC_BACKFILL_DAYS", 365),
        embedded_scheduler=_bool(env, "IOC_EMBEDDED_SCHEDULER", True),
        simulator_seed=_int(env, "IOC_SIMULATOR_SEED", 2023),
        host=env.get("IOC_HOST") or "127.0.0.1",
        port=_int(env, "IOC_PORT", 8050),
        max_request_bytes=int(_at_least(env, "IOC_MAX_REQUEST_BYTES", 1024 * 1024, 1024)),
        show_plates=_bool(env, "IOC_SHOW_PLATES", False),
        alerts_every_s=int(_at_least(env, "IOC_ALERTS_EVERY_SECONDS", 60, 0)),
        alert_failures_high=int(_at_least(env, "IOC_ALERT_FAILURES_HIGH", 3, 1)),
        alert_overdue_min_count=int(_at_least(env, "IOC_ALERT_OVERDUE_MIN_COUNT", 10, 1)),
        alert_overdue_factor=_at_least(env, "IOC_ALERT_OVERDUE_FACTOR", 3.0, 1, whole=False),
        alert_violation_factor=_at_least(env, "IOC_ALERT_VIOLATION_FACTOR", 1.5, 1, whole=False),
        alert_violation_min_delta=int(_at_least(env, "IOC_ALERT_VIOLATION_MIN_DELTA", 20, 1)),
        alert_violation_high_factor=_at_least(env, "IOC_ALERT_VIOLATION_HIGH_FACTOR", 2.0, 1, whole=False),
        wall_playlist=_playlist(env),
        wall_rotate_s=int(_at_least(env, "IOC_WALL_ROTATE_SECONDS", 30, 5)),
        page_reload_minutes=int(_at_least(env, "IOC_PAGE_RELOAD_MINUTES", 360, 0)),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Process-wide settings (read once)."""
    return load_settings()
