"""All configuration, read once from environment variables with documented defaults.

Every setting is listed in the README table; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = ROOT / "var" / "ioc.sqlite"
DEFAULT_TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
SIMULATOR_SPEED_ENV = "IOC_SIMULATOR_SPEED"


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


def _liveness(env: dict[str, str]) -> dict[str, float]:
    """The heartbeat and the lease: a lease of fewer than three heartbeats would let one late
    beat (a busy database, a long SQLite write) hand a live run's lock to another scheduler."""
    beat = _at_least(env, "IOC_RUN_HEARTBEAT_SECONDS", 15.0, 0.05, whole=False)
    lease = _at_least(env, "IOC_RUN_LEASE_SECONDS", 120.0, 0.2, whole=False)
    if lease < 3 * beat * (1 - 1e-9):  # 3 × 0.1 is 0.30000000000000004
        raise ConfigError(f"IOC_RUN_LEASE_SECONDS={lease:g} must be at least 3 × IOC_RUN_HEARTBEAT_SECONDS "
                          f"({3 * beat:g})")
    return {"run_heartbeat_s": beat, "run_lease_s": lease}


def parse_simulator_speed(raw: str, where: str = SIMULATOR_SPEED_ENV) -> float:
    """The live simulators' pace as a multiple of the city's (``IOC_SIMULATOR_SPEED`` or
    ``--speed``): a finite number ≥ 1; 1 is the pace of the simulated history (e.g. ≈ 26 field
    reports a day), 60 an hour of the city's records every minute. ConfigError naming ``where``
    and the value otherwise."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1:
        raise ConfigError(f"{where}={raw!r}: the live simulators' speed must be a number ≥ 1 "
                          "(1 = the city's own pace, 60 = an hour of records every minute)")
    return value


def _simulator_speed(env: Mapping[str, str]) -> float:
    raw = env.get(SIMULATOR_SPEED_ENV)
    return 1.0 if raw is None or raw.strip() == "" else parse_simulator_speed(raw.strip())


def _speed_argument(raw: str) -> float:
    try:
        return parse_simulator_speed(raw, "--speed")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_speed_argument(parser: argparse.ArgumentParser) -> None:
    """``--speed N`` on a command that runs the live simulators (``python app.py``,
    ``python -m ioc scheduler``); apply it with :func:`use_simulator_speed`."""
    parser.add_argument("--speed", type=_speed_argument, metavar="N",
                        help="run the live simulators N times faster than the city's pace, for demonstrations "
                             f"(a number ≥ 1; default {SIMULATOR_SPEED_ENV} or 1); the screens say so")


def use_simulator_speed(speed: float) -> None:
    """A command line's ``--speed``: it overrides ``IOC_SIMULATOR_SPEED`` for this process, and
    :func:`settings` is read again with it."""
    os.environ[SIMULATOR_SPEED_ENV] = repr(float(speed))
    settings.cache_clear()


def _cap_sender(env: Mapping[str, str]) -> str:
    value = (env.get("IOC_CAP_SENDER") or "ioc.hue").strip()
    if not value or any(c.isspace() or c in ",<&" for c in value):
        raise ConfigError(f"IOC_CAP_SENDER={value!r}: a CAP sender id has no spaces, commas, '<' or '&'")
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
    http_max_body_bytes: int = 8 * 1024 * 1024
    http_request_deadline_s: float = 30.0
    # a run's liveness (ioc.heartbeat): how often a running collector run and its job lock say
    # they are alive, and how long without that before the lock is anyone's and the run is
    # marked failed as orphaned (also the lock's lease, whatever the source's cadence)
    run_heartbeat_s: float = 15.0
    run_lease_s: float = 120.0
    live_poll_ms: int = 3000
    map_max_points: int = 5000
    backfill_days: int = 365
    embedded_scheduler: bool = True
    simulator_seed: int = 2023
    # the live simulators' pace as a multiple of the city's (IOC_SIMULATOR_SPEED, --speed): 1 keeps
    # a day's live records like any day of the simulated history; more, for demonstrations
    simulator_speed: float = 1.0
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
    # sign-in (issue #12; ioc/access.py has the roles): the key that signs session cookies
    # (IOC_SECRET_KEY; required unless bound to loopback), whether anonymous visitors are refused
    # (always when bound to another address), session length, audit retention, OpenID Connect
    secret_key: str | None = field(default=None, repr=False)
    require_signin: bool = False
    session_hours: float = 12.0
    cookie_secure: bool = False
    audit_retention_days: int = 730
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_role_claim: str = "ioc_role"
    oidc_default_role: str = "viewer"
    oidc_label: str = "SSO"
    # the sender of the alerts as CAP 1.2 (GET /cap/alerts.xml): no spaces, commas, '<' or '&'
    cap_sender: str = "ioc.hue"
    # briefs (ioc/brief.py): the scheduler writes a daily and a weekly PDF brief to brief_dir
    # (None: no brief job) at brief_hour local time, in each of brief_langs, and mails them to
    # brief_to through the SMTP server when smtp_host is set (smtp_tls: starttls, ssl or none)
    brief_dir: Path | None = None
    brief_langs: tuple[str, ...] = ("vi",)
    brief_hour: int = 6
    brief_to: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    smtp_tls: str = "starttls"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (IOC_HOST) only accepts connections from this machine."""
    import ipaddress

    if host.strip().lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _access(env: dict[str, str], host: str) -> dict[str, object]:
    """The sign-in settings; ConfigError for a non-loopback bind without IOC_SECRET_KEY, or a
    half-configured OpenID Connect."""
    from ioc.access import ROLES

    secret = env.get("IOC_SECRET_KEY") or None
    public = not is_loopback(host)
    if public and not secret:
        raise ConfigError(f"IOC_HOST={host!r} is not a loopback address: set IOC_SECRET_KEY (a long random "
                          "string, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                          "to sign the session cookies; the dashboard will not start without it")
    if secret is not None and len(secret) < 32:
        raise ConfigError("IOC_SECRET_KEY is too short: use at least 32 random characters")
    require = public or _bool(env, "IOC_REQUIRE_SIGNIN", False)
    issuer, client = env.get("IOC_OIDC_ISSUER") or None, env.get("IOC_OIDC_CLIENT_ID") or None
    if bool(issuer) != bool(client):
        raise ConfigError("OpenID Connect needs both IOC_OIDC_ISSUER and IOC_OIDC_CLIENT_ID (and usually "
                          "IOC_OIDC_CLIENT_SECRET)")
    if issuer and not issuer.startswith(("https://", "http://")):
        raise ConfigError(f"IOC_OIDC_ISSUER={issuer!r}: expected the provider's https:// address")
    default_role = env.get("IOC_OIDC_DEFAULT_ROLE") or "viewer"
    if default_role not in ROLES:
        raise ConfigError(f"IOC_OIDC_DEFAULT_ROLE={default_role!r}: one of {', '.join(ROLES)}")
    return dict(
        secret_key=secret, require_signin=require,
        session_hours=_at_least(env, "IOC_SESSION_HOURS", 12.0, 0.05, whole=False),
        cookie_secure=_bool(env, "IOC_COOKIE_SECURE", False),
        audit_retention_days=int(_at_least(env, "IOC_AUDIT_RETENTION_DAYS", 730, 0)),
        oidc_issuer=issuer, oidc_client_id=client, oidc_client_secret=env.get("IOC_OIDC_CLIENT_SECRET") or None,
        oidc_role_claim=env.get("IOC_OIDC_ROLE_CLAIM") or "ioc_role", oidc_default_role=default_role,
        oidc_label=env.get("IOC_OIDC_LABEL") or "SSO",
    )


def _briefs(env: dict[str, str]) -> dict[str, object]:
    """The brief job's folder, languages and hour, and the SMTP server that mails the briefs;
    ConfigError for a bad language, hour, TLS mode, or recipients without a server."""
    folder = env.get("IOC_BRIEF_DIR") or None
    langs = tuple(x.strip().lower() for x in (env.get("IOC_BRIEF_LANG") or "vi").split(",") if x.strip())
    bad = [x for x in langs if x not in ("vi", "en")]
    if bad or not langs:
        raise ConfigError(f"IOC_BRIEF_LANG={env.get('IOC_BRIEF_LANG')!r}: vi, en or vi,en")
    hour = _int(env, "IOC_BRIEF_HOUR", 6)
    if not 0 <= hour <= 23:
        raise ConfigError(f"IOC_BRIEF_HOUR={hour!r}: an hour of the day, 0 to 23 (local time)")
    to = tuple(x.strip() for x in (env.get("IOC_BRIEF_TO") or "").split(",") if x.strip())
    bad = [x for x in to if "@" not in x]
    if bad:
        raise ConfigError(f"IOC_BRIEF_TO: {bad[0]!r} is not an e-mail address")
    host = env.get("IOC_SMTP_HOST") or None
    tls = (env.get("IOC_SMTP_TLS") or "starttls").lower()
    if tls not in ("starttls", "ssl", "none"):
        raise ConfigError(f"IOC_SMTP_TLS={tls!r}: starttls, ssl or none")
    sender = env.get("IOC_SMTP_FROM") or env.get("IOC_SMTP_USER") or None
    if host and to and not sender:
        raise ConfigError("IOC_SMTP_FROM: the briefs' sender address is needed to mail them")
    return dict(brief_dir=Path(folder) if folder else None, brief_langs=langs, brief_hour=hour, brief_to=to,
                smtp_host=host, smtp_port=_int(env, "IOC_SMTP_PORT", 465 if tls == "ssl" else 587),
                smtp_user=env.get("IOC_SMTP_USER") or None, smtp_password=env.get("IOC_SMTP_PASSWORD") or None,
                smtp_from=sender, smtp_tls=tls)


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
        http_max_body_bytes=int(_at_least(env, "IOC_HTTP_MAX_BODY_BYTES", 8 * 1024 * 1024, 1024)),
        http_request_deadline_s=_at_least(env, "IOC_HTTP_REQUEST_DEADLINE_SECONDS", 30.0, 1, whole=False),
        **_liveness(env),
        live_poll_ms=int(_at_least(env, "IOC_LIVE_POLL_MS", 3000, 250)),
        map_max_points=_int(env, "IOC_MAP_MAX_POINTS", 5000),
        backfill_days=_int(env, "IOC_BACKFILL_DAYS", 365),
        embedded_scheduler=_bool(env, "IOC_EMBEDDED_SCHEDULER", True),
        simulator_seed=_int(env, "IOC_SIMULATOR_SEED", 2023),
        simulator_speed=_simulator_speed(env),
        host=env.get("IOC_HOST") or "127.0.0.1",
        port=_int(env, "IOC_PORT", 8050),
        max_request_bytes=int(_at_least(env, "IOC_MAX_REQUEST_BYTES", 1024 * 1024, 1024)),
        show_plates=_bool(env, "IOC_SHOW_PLATES", False),
        cap_sender=_cap_sender(env),
        **_briefs(env),
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
        **_access(env, env.get("IOC_HOST") or "127.0.0.1"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Process-wide settings (read once)."""
    return load_settings()
